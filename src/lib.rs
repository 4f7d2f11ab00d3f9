//! devctl: the local development environment of a containerised web project.
//!
//! The binary (`src/main.rs`) is a thin shell over this library. See
//! ARCHITECTURE.md for the map.

pub mod cli;
pub mod commands;
pub mod doctor;
pub mod engine;
pub mod error;
pub mod gen;
pub mod project;
pub mod watch;
pub mod yaml;

pub use devctl_dockerfile as dockerfile;
pub use devctl_dockerignore as dockerignore;
pub use devctl_fsutil as fsutil;
pub use devctl_lint as lint;
pub use devctl_out as out;
pub use devctl_out::{errln, outln};
pub use devctl_text as text;
