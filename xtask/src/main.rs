//! The project's own automation, as plain Rust: `cargo xtask <task>`.
//! Each task lives in its own module; this file only dispatches.

mod fixtures;

use anyhow::{bail, Result};

const USAGE: &str = "usage: cargo xtask <task> [args]

tasks:
  fixtures [busybox|bookworm] [--force]
                build the local base images the end-to-end tests use
                (idempotent: an up-to-date image is skipped)";

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rest = args.get(1..).unwrap_or_default();
    match args.first().map(String::as_str) {
        Some("fixtures") => fixtures::run(rest),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => bail!("unknown task {other:?}\n\n{USAGE}"),
        None => bail!("{USAGE}"),
    }
}
