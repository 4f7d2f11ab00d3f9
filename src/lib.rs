//! devctl: the local development environment of a containerised web project.
//!
//! The binary (`src/main.rs`) is a thin shell over this library. See
//! ARCHITECTURE.md for the map.

pub mod cli;
pub mod commands;
pub mod dockerfile;

pub mod doctor;
pub mod error;
pub mod lint;
pub mod par;
pub mod session;
pub mod watch;

pub use devctl_compose as compose;
pub use devctl_compose::yaml;
pub use devctl_dockerignore as dockerignore;
pub use devctl_engine as engine;
pub use devctl_fsutil as fsutil;
pub use devctl_out as out;
pub use devctl_out::{errln, outln};
pub use devctl_project as project;
pub use devctl_text as text;
