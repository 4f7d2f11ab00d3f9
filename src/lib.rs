//! devctl: the local development environment of a containerised web project.
//!
//! The binary (`src/main.rs`) is a thin shell over the library crates under
//! `crates/`; this library holds the binary's own layers (cli, commands,
//! session, doctor, watch). See ARCHITECTURE.md for the map.

pub mod cli;
pub mod commands;
pub mod doctor;
pub mod error;
pub mod session;
pub mod watch;

pub use devctl_compose as compose;
pub use devctl_compose::yaml;
pub use devctl_dockerfile as dockerfile;
pub use devctl_dockerignore as dockerignore;
pub use devctl_engine as engine;
pub use devctl_fsutil as fsutil;
pub use devctl_lint as lint;
pub use devctl_out as out;
pub use devctl_out::{errln, outln};
pub use devctl_project as project;
pub use devctl_text as text;
