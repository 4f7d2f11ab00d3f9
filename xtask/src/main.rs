//! The project's own automation, as plain Rust: `cargo xtask <task>`.
//! Each task lives in its own module; this file only dispatches.

mod bench;
mod ci;
mod fixtures;

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};

const USAGE: &str = "usage: cargo xtask <task>

tasks:
  ci                              install what the tests need (apt, PyPI) when missing, then
                                  run every test (cargo nextest run --workspace)
  deps                            only the install step of `ci`
  bench [--runs=N] [--no-write]   devctl side by side with hadolint, BuildKit's parser and
                                  docker-compose; writes BENCHMARKS.md
  fixtures [busybox|bookworm] [--force]
                                  build the local base images the end-to-end tests use
                                  (idempotent: an up-to-date image is skipped)";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or(Path::new("."))
        .to_path_buf()
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rest = args.get(1..).unwrap_or(&[]);
    match args.first().map(String::as_str) {
        Some("bench") => bench::run(&root(), rest),
        Some("ci") => ci::ci(&root()),
        Some("deps") => ci::install_deps(),
        Some("fixtures") => fixtures::run(rest),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(())
        }
        _ => bail!("{USAGE}"),
    }
}
