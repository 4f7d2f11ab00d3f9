//! The project's own automation, as plain Rust: `cargo xtask <task>`.

use anyhow::{bail, Result};

fn main() -> Result<()> {
    let task = std::env::args().nth(1);
    match task.as_deref() {
        _ => bail!("usage: cargo xtask <task>\n\ntasks:\n  (none yet)"),
    }
}
