//! One module per subcommand. Each takes its parsed arguments and the
//! global flags and returns an exit code; errors map to exit codes in cli.rs.

pub mod config;
pub mod init;
