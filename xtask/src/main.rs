//! The project's own automation, as plain Rust: `cargo xtask <task>`.
//! Each task lives in its own module; this file only dispatches.

mod fixtures;

mod bench;
mod ci;

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};

const USAGE: &str = "usage: cargo xtask <task> [args]

tasks:
  ci                              install what the tests need when missing, build the
                                  fixture images, then run every test
  deps                            only the install step of `ci` (scripts/install-test-deps.sh)
  fixtures [busybox|bookworm] [--force]
                                  build the local base images the end-to-end tests use
                                  (idempotent: an up-to-date image is skipped)
  bench [--runs=N] [--no-write]   devctl side by side with hadolint, BuildKit's parser and
                                  docker-compose; writes BENCHMARKS.md; with the bookworm
                                  fixture also run-dev's latency / idle CPU / watcher RSS
  bench --only=tricks [--runs=N]  issue 12's tricks with and without: builds each variant
                                  (target/tricks/), runs them interleaved, prints a table
  bench --rundev-only [--devctl=PATH] [--idle-secs=N]
                                  only the run-dev numbers (printed, not written)";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or(Path::new("."))
        .to_path_buf()
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rest = args.get(1..).unwrap_or_default();
    match args.first().map(String::as_str) {
        Some("bench") => bench::run(&root(), rest),
        Some("ci") => ci::ci(&root()),
        Some("deps") => ci::install_deps(&root()),
        Some("fixtures") => fixtures::run(rest),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => bail!("unknown task {other:?}\n\n{USAGE}"),
        None => bail!("{USAGE}"),
    }
}
