//! The project layer's errors. Everything that goes wrong while finding and
//! reading a project is the user's input: devctl.toml, `.env`, an env file,
//! `-C`. The binary maps [`Error`] to exit code 2.

/// A project that cannot be used, with the message that names the file,
/// the position and the fix. Secret values are already scrubbed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// devctl.toml, an env file or the project layout is wrong.
    #[error("{0}")]
    Config(String),
}

/// Shorthand: `return Err(usage(format!(…)))`.
pub fn usage(msg: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Error::Config(msg.into()))
}

/// True when `err`'s chain holds a project [`Error`].
pub fn is_config_error(err: &anyhow::Error) -> bool {
    err.chain()
        .any(|e| e.is::<Error>() || e.is::<crate::load::ConfigError>())
}
