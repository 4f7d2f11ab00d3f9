//! The engine layer's errors: what the binary tells apart (exit codes, the
//! one-line "lost the engine" message) is a variant, never message text.

/// An engine error the caller acts on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The input is wrong (a missing Dockerfile, a root user, a bad
    /// `DOCKER_HOST`): exit 2.
    #[error("{0}")]
    Input(String),
    /// The engine cannot be reached at all: exit 2.
    #[error("cannot reach the Docker engine at {addr} ({cause}); run `devctl doctor` to diagnose")]
    Unreachable { addr: String, cause: String },
    /// The engine closed a build request before it finished.
    #[error("the engine closed the build request")]
    BuildClosed,
}

/// Shorthand for [`Error::Input`]: `return Err(usage(format!(…)))`.
pub fn usage(msg: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Error::Input(msg.into()))
}

/// True when `err`'s chain holds an engine error that means the user must
/// change something first (exit 2).
pub fn is_input_error(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        matches!(
            e.downcast_ref::<Error>(),
            Some(Error::Input(_) | Error::Unreachable { .. })
        )
    })
}
