//! Differential test: devctl's parser against BuildKit's Go parser (through
//! the PyPI package `dockerfile`) over every real Dockerfile in the corpus.
//! Same instruction sequence, start/end lines, flags, values, JSON-ness,
//! original text and heredocs; zero differences allowed.

use std::process::Command;

use serde_json::{json, Value};

use crate::support::*;
use devctl::dockerfile::{parse, Instruction};

/// What the PyPI wrapper reports for one instruction (it flattens ONBUILD to
/// its wrapped instruction and reads heredocs from that inner node).
fn as_pypi(inst: &Instruction) -> Value {
    let inner = inst.effective();
    let mut original = inst.original.clone();
    if !inner.heredocs.is_empty() && inst.onbuild.is_none() {
        original.push('\n');
        for h in &inner.heredocs {
            original.push_str(&h.content);
            original.push_str(&h.name);
            original.push('\n');
        }
    }
    let heredocs: Vec<Value> = if inst.onbuild.is_none() {
        inst.heredocs
            .iter()
            .map(|h| json!([h.name, h.fd, h.content]))
            .collect()
    } else {
        Vec::new()
    };
    json!({
        "cmd": inst.keyword_raw,
        "sub_cmd": inst.onbuild.as_ref().map(|o| o.keyword_raw.clone()),
        "json": inner.json,
        "original": original,
        "start_line": inst.start_line(),
        "end_line": inst.end_line(),
        "flags": inst.flags,
        "value": pypi_values(inner),
        "heredocs": heredocs,
    })
}

/// BuildKit v0.12.5 (what the wrapper embeds) has no separator node in
/// ENV/LABEL key-value pairs; newer BuildKit (and our AST, which the
/// conformance `result` files need) has (key, value, sep) triples.
fn pypi_values(inst: &Instruction) -> Vec<String> {
    if matches!(inst.keyword.as_str(), "env" | "label") {
        inst.args
            .chunks(3)
            .flat_map(|kv| kv.iter().take(2).cloned())
            .collect()
    } else {
        inst.args.clone()
    }
}

fn python_with_dockerfile() -> Option<String> {
    for py in ["python3", "python"] {
        let ok = Command::new(py)
            .args(["-c", "import dockerfile"])
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return Some(py.to_string());
        }
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("python3 with the PyPI package `dockerfile` is required (pip install dockerfile)");
    }
    eprintln!("skipping: python3 -c 'import dockerfile' failed");
    None
}

#[test]
fn corpus_parses_exactly_like_buildkit() {
    let Some(corpus) = corpus() else { return };
    let Some(py) = python_with_dockerfile() else {
        return;
    };
    let files = files_under(&corpus.join("dockerfiles"));
    assert_eq!(files.len(), 177, "the corpus should hold 177 Dockerfiles");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/py/buildkit_dump.py");
    let out = Command::new(py).arg(script).args(&files).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reference: Value = serde_json::from_slice(&out.stdout).unwrap();

    let mut diffs = Vec::new();
    let mut instructions = 0;
    for f in &files {
        let key = f.to_str().unwrap();
        let expected = &reference[key];
        let src = std::fs::read(f).unwrap();
        let got = match parse(&String::from_utf8_lossy(&src)) {
            Ok(d) => Value::Array(d.instructions.iter().map(as_pypi).collect()),
            Err(e) => json!({ "error": e.message }),
        };
        if expected.get("error").is_some() || got.get("error").is_some() {
            if expected.get("error").is_some() != got.get("error").is_some() {
                diffs.push(format!("{key}: expected {expected}, got {got}"));
            }
            continue;
        }
        let (e, g) = (expected.as_array().unwrap(), got.as_array().unwrap());
        instructions += e.len();
        if e.len() != g.len() {
            diffs.push(format!(
                "{key}: {} instructions expected, {} parsed",
                e.len(),
                g.len()
            ));
        }
        for (a, b) in e.iter().zip(g) {
            if a != b {
                diffs.push(format!("{key}:\n  buildkit: {a}\n  devctl:   {b}"));
            }
        }
    }
    assert!(
        instructions > 1000,
        "suspiciously few instructions compared: {instructions}"
    );
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}
