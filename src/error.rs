//! Error classification for exit codes: a [`UsageError`] anywhere in an
//! error's chain means "the user's input or configuration is wrong" (exit 2);
//! anything else means the job failed (exit 1).

use std::fmt;

/// A usage or configuration error: bad flags, a bad config file, a path that
/// cannot be read. Exit code 2.
#[derive(Debug)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Shorthand: `return Err(usage(format!(…)))`.
pub fn usage(msg: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(UsageError(msg.into()))
}

/// The one place errors become exit codes: 2 when the chain holds a
/// usage error of any layer (the binary's [`UsageError`], a project
/// [`devctl_project::Error`] or `ConfigError`, an engine input or
/// unreachable error), else 1.
pub fn exit_code_for(err: &anyhow::Error) -> u8 {
    if err.chain().any(|e| e.is::<UsageError>())
        || devctl_project::error::is_config_error(err)
        || devctl_engine::error::is_input_error(err)
    {
        2
    } else {
        1
    }
}

/// True when the error is a broken pipe (e.g. `devctl … | head`): not an error.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
