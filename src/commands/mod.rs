//! The commands: IO shells over the pure library modules, one per subcommand.

pub mod init;
pub mod lint;
