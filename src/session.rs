//! What one command knows about where it runs: the host facts read once
//! (the current directory, the user's home, uid/gid, the process
//! environment). Library crates never read these themselves; commands pass
//! them in.

use std::path::{Path, PathBuf};

/// The current directory, canonical (`/` when it cannot be read).
pub fn current_dir() -> PathBuf {
    let c = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
    c.canonicalize().unwrap_or(c)
}

/// A path as shown in messages: relative to the current directory when it
/// is below it, else as it is.
pub fn shown(p: &Path) -> String {
    devctl_text::display_path(p, &current_dir())
}
