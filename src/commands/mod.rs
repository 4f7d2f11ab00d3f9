//! One module per subcommand: the IO shell over the pure library modules.
//! Each takes its parsed arguments and the global flags and returns an exit
//! code; errors map to exit codes in cli.rs.

pub mod build;
pub mod config;
pub mod doctor;
pub mod down;
pub mod engine_input;
pub mod init;
pub mod lint;
pub mod logs;

pub mod ps;
pub mod pull;
pub mod push;
pub mod restart;
pub mod run;
pub mod rundev;
pub mod sh;
pub mod start;
pub mod stop;
pub mod task;
