//! BuildKit's own parser cases: each `testfiles/<case>/Dockerfile` must dump
//! exactly as its `result`, and each `testfiles-negative` case must be rejected.

use crate::support::*;
use devctl::dockerfile::{dump::dump, parse};

#[test]
fn buildkit_testfiles_dump_exactly() {
    let Some(corpus) = corpus() else { return };
    let dir = buildkit_testfiles(&corpus).join("testfiles");
    let mut cases = 0;
    let mut failures = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let case = entry.unwrap().path();
        let src = std::fs::read(case.join("Dockerfile")).unwrap();
        let expected = std::fs::read_to_string(case.join("result")).unwrap();
        cases += 1;
        let got = match parse(&String::from_utf8_lossy(&src)) {
            Ok(d) => dump(&d),
            Err(e) => format!("parse error: {e}"),
        };
        if got.trim() != expected.trim() {
            failures.push(format!(
                "{}:\n--- expected\n{}\n--- got\n{}",
                case.display(),
                expected.trim(),
                got.trim()
            ));
        }
    }
    assert_eq!(cases, 33, "BuildKit's testfiles should hold 33 cases");
    assert!(
        failures.is_empty(),
        "{} of {cases} differ:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn buildkit_negative_testfiles_are_rejected() {
    let Some(corpus) = corpus() else { return };
    let dir = buildkit_testfiles(&corpus).join("testfiles-negative");
    let mut cases = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let case = entry.unwrap().path();
        let src = std::fs::read_to_string(case.join("Dockerfile")).unwrap();
        cases += 1;
        let r = parse(&src);
        assert!(
            r.is_err(),
            "{} must be rejected, got {:?}",
            case.display(),
            r.map(|d| dump(&d))
        );
    }
    assert_eq!(cases, 4);
}
