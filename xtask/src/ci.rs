//! `cargo xtask ci`: everything the test suite needs on a fresh machine of
//! this kind, then the tests. Idempotent: what is present is not reinstalled,
//! an up-to-date fixture image is not rebuilt.

use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};

fn run(cmd: &mut Command) -> Result<()> {
    let shown = format!("{cmd:?}");
    eprintln!("xtask ci: {shown}");
    let status = cmd.status().with_context(|| format!("starting {shown}"))?;
    if !status.success() {
        bail!("{shown} failed with {status}");
    }
    Ok(())
}

/// Debian and PyPI packages the tests use: `scripts/install-test-deps.sh`.
pub fn install_deps(root: &Path) -> Result<()> {
    run(Command::new("bash").arg(root.join("scripts/install-test-deps.sh")))
}

pub fn ci(root: &Path) -> Result<()> {
    install_deps(root)?;
    // Both images: the engine tests use busybox, run-dev's use bookworm.
    crate::fixtures::run(&[])?;
    run(Command::new("cargo")
        .args(["fmt", "--all", "--", "--check"])
        .current_dir(root))?;
    let nextest = Command::new("cargo")
        .args(["nextest", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let mut test = Command::new("cargo");
    if nextest {
        test.args(["nextest", "run", "--workspace", "--no-fail-fast"]);
    } else {
        test.args(["test", "--workspace", "--no-fail-fast"]);
    }
    let ci = std::env::var("CI").unwrap_or_else(|_| "true".into());
    run(test.current_dir(root).env("CI", ci))
}
