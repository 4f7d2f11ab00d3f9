//! The invariants of ARCHITECTURE.md, checked: only `engine/` talks to
//! Docker, and the pure core does no IO (outside its tests).

use std::path::Path;

use crate::support::files_under;

/// Source of the non-test part of a file (everything before the first
/// `#[cfg(test)]`); test-only files are skipped.
fn production_source(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    if name == "tests.rs" || name.ends_with("_tests.rs") || !name.ends_with(".rs") {
        return None;
    }
    let text = std::fs::read_to_string(path).ok()?;
    Some(match text.find("#[cfg(test)]") {
        Some(i) => text[..i].to_string(),
        None => text,
    })
}

fn src() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn only_engine_talks_to_docker() {
    let engine = src().join("engine");
    let offenders: Vec<String> = files_under(&src())
        .into_iter()
        .filter(|p| !p.starts_with(&engine))
        .filter(|p| production_source(p).is_some_and(|s| s.contains("bollard")))
        .map(|p| p.display().to_string())
        .collect();
    assert!(
        offenders.is_empty(),
        "bollard used outside src/engine/: {offenders:?}"
    );
}

#[test]
fn pure_core_does_no_io() {
    let pure_dirs = ["dockerfile", "lint", "gen"];
    let pure_files = [
        "project/model.rs",
        "project/tasks.rs",
        "project/load.rs",
        "project/interp.rs",
        "project/build_args.rs",
        "watch/sched.rs",
        "watch/filter.rs",
        "watch/roots.rs",
        "dockerignore.rs",
        "text.rs",
    ];
    // The one deliberate exception: the ShellCheck runner (an external program).
    let allowed = ["lint/shellcheck.rs"];
    let io = [
        "std::fs",
        "std::process",
        "std::env::var",
        "std::net::TcpStream",
        "File::open",
    ];
    let mut offenders = Vec::new();
    for p in files_under(&src()) {
        let rel = p
            .strip_prefix(src())
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let pure = pure_dirs.iter().any(|d| rel.starts_with(&format!("{d}/")))
            || pure_files.contains(&rel.as_str());
        if !pure || allowed.contains(&rel.as_str()) {
            continue;
        }
        if let Some(s) = production_source(&p) {
            for pat in io {
                if s.contains(pat) {
                    offenders.push(format!("{rel}: {pat}"));
                }
            }
        }
    }
    assert!(offenders.is_empty(), "IO in the pure core: {offenders:?}");
}
