//! The commands: IO shells over the pure library modules.

pub mod lint;
