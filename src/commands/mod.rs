//! The commands: IO shells over the pure library modules, one per subcommand.

pub mod build;
pub mod config;
pub mod down;
pub mod engine_input;
pub mod init;
pub mod lint;
pub mod logs;
pub mod ps;
pub mod rundev;
pub mod sh;
pub mod start;
pub mod stop;
