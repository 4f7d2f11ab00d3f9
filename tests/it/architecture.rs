//! The invariants of ARCHITECTURE.md, checked: the crates depend along the
//! layers, only the engine crate talks to Docker, only the binary reads
//! the process environment, only the out crate prints, and the pure core
//! does no IO (outside its tests).

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

fn root() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// Every production source file of the workspace (the binary's `src/` and
/// each library crate's `crates/*/src/`), as (path relative to the
/// workspace root, path).
fn sources() -> Vec<(String, std::path::PathBuf)> {
    let mut dirs = vec![root().join("src")];
    for e in std::fs::read_dir(root().join("crates")).unwrap() {
        let src = e.unwrap().path().join("src");
        if src.is_dir() {
            dirs.push(src);
        }
    }
    let mut out = Vec::new();
    for d in dirs {
        for p in files_under(&d) {
            let rel = p
                .strip_prefix(root())
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            out.push((rel, p));
        }
    }
    out
}

#[test]
fn only_engine_talks_to_docker() {
    let offenders: Vec<String> = sources()
        .into_iter()
        .filter(|(rel, _)| !rel.starts_with("crates/engine/"))
        .filter(|(_, p)| production_source(p).is_some_and(|s| s.contains("bollard")))
        .map(|(rel, _)| rel)
        .collect();
    assert!(
        offenders.is_empty(),
        "bollard used outside crates/engine/: {offenders:?}"
    );
}

/// The pure core: whole crates and single files that do no IO.
const PURE: &[&str] = &[
    "crates/compose/",
    "crates/text/",
    "crates/dockerfile/",
    "crates/dockerignore/",
    "crates/lint/",
    "crates/envfile/",
    "crates/project/src/model.rs",
    "crates/project/src/tasks.rs",
    "crates/project/src/load.rs",
    "crates/project/src/interp.rs",
    "crates/project/src/build_args.rs",
    "crates/project/src/generate.rs",
    "crates/project/src/env.rs",
    "crates/project/src/import.rs",
    "crates/project/src/import/",
    "crates/engine/src/plan.rs",
    "src/watch/sched.rs",
    "src/watch/filter.rs",
    "src/watch/roots.rs",
];

#[test]
fn pure_core_does_no_io() {
    // The one deliberate exception: the ShellCheck runner (an external program).
    let allowed = ["crates/lint/src/shellcheck.rs"];
    let io = [
        "std::fs",
        "std::process",
        "std::env::var",
        "std::net::TcpStream",
        "File::open",
    ];
    // A listed path that no longer exists would silently check nothing.
    for x in PURE {
        assert!(
            root().join(x).exists(),
            "{x} is listed as pure but does not exist"
        );
    }
    let mut offenders = Vec::new();
    for (rel, p) in sources() {
        let pure = PURE.iter().any(|x| rel.starts_with(x));
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

/// What reads the process environment (or the current directory) in
/// `source`.
fn environment_reads(source: &str) -> Vec<&'static str> {
    const READS: [&str; 5] = [
        "env::var(",
        "env::var_os(",
        "env::vars(",
        "env::vars_os(",
        "env::current_dir(",
    ];
    READS.into_iter().filter(|r| source.contains(r)).collect()
}

#[test]
fn the_environment_check_finds_reads() {
    assert_eq!(
        environment_reads("let h = std::env::var(\"HOME\");"),
        ["env::var("]
    );
    assert_eq!(
        environment_reads("std::env::vars_os().count()"),
        ["env::vars_os("]
    );
    assert!(environment_reads("let v = vars.get(\"HOME\");").is_empty());
}

/// Library crates take what they need from the process (environment
/// variables, HOME, the current directory) from their caller: only the
/// binary (`src/`) reads it.
#[test]
fn only_the_binary_reads_the_process_environment() {
    let offenders: Vec<String> = sources()
        .into_iter()
        .filter(|(rel, _)| rel.starts_with("crates/"))
        .filter_map(|(rel, p)| {
            let reads = environment_reads(&production_source(&p)?);
            (!reads.is_empty()).then(|| format!("{rel}: {reads:?}"))
        })
        .collect();
    assert!(
        offenders.is_empty(),
        "a library crate reads the process environment: {offenders:?}"
    );
}

/// The layers as Cargo sees them: `cargo metadata`'s dependency lists.
#[test]
fn crates_depend_along_the_layers() {
    let out = std::process::Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut deps: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for pkg in meta["packages"].as_array().unwrap() {
        let name = pkg["name"].as_str().unwrap().to_string();
        let of: Vec<String> = pkg["dependencies"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["kind"].is_null())
            .map(|d| d["name"].as_str().unwrap().to_string())
            .filter(|d| d.starts_with("devctl"))
            .collect();
        deps.insert(name, of);
    }
    let of = |c: &str| {
        deps.get(c)
            .unwrap_or_else(|| panic!("no crate {c}: {deps:?}"))
    };
    assert!(of("devctl-compose").is_empty(), "{deps:?}");
    assert!(
        !of("devctl-engine").contains(&"devctl-project".to_string()),
        "{deps:?}"
    );
    for layer in ["devctl-compose", "devctl-project", "devctl-engine"] {
        assert!(!of("devctl-lint").contains(&layer.to_string()), "{deps:?}");
    }
    for (name, d) in &deps {
        assert!(
            !d.contains(&"devctl".to_string()),
            "{name} depends on the binary"
        );
    }
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).unwrap();
    assert!(
        !lock.contains("name = \"serde_yaml\""),
        "serde_yaml is back in Cargo.lock"
    );
}

/// The ways of writing to the terminal that bypass `src/out.rs` (the
/// scrubber) found in `source`.
fn direct_prints(source: &str) -> Vec<String> {
    const MACROS: [&str; 5] = ["println!", "print!(", "eprintln!", "eprint!(", "dbg!("];
    const CALLS: [&str; 2] = ["stdout()", "stderr()"];
    const OTHER: [&str; 4] = ["indicatif::", "io::Stdout", "io::Stderr", "libc::write("];
    let mut hits = Vec::new();
    for (n, line) in source.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        for m in MACROS.iter().chain(OTHER.iter()) {
            if code.contains(m) {
                hits.push(format!("line {}: {m}", n + 1));
            }
        }
        for c in CALLS {
            for (i, _) in code.match_indices(c) {
                // `crate::out::stdout()` is the scrubbing writer;
                // `e.use_stderr()` is another name
                let before = code[..i].chars().next_back();
                let ident = before.is_some_and(|c| c.is_alphanumeric() || c == '_');
                if !ident && !code[..i].ends_with("out::") {
                    hits.push(format!("line {}: {c}", n + 1));
                }
            }
        }
    }
    hits
}

#[test]
fn the_print_check_finds_direct_prints() {
    for bad in [
        "println!(\"{x}\");",
        "eprintln!(\"{x}\")",
        "print!(\"x\")",
        "let _ = writeln!(std::io::stderr(), \"e\");",
        "let o = stdout().lock();",
        "let pb = indicatif::ProgressBar::new_spinner();",
    ] {
        assert!(!direct_prints(bad).is_empty(), "{bad}");
    }
    for ok in [
        "crate::outln!(\"{x}\")?;",
        "crate::errln!(\"{x}\");",
        "let mut out = crate::out::stdout();",
        "// println!(\"a comment\")",
        "if e.use_stderr() {",
    ] {
        assert!(
            direct_prints(ok).is_empty(),
            "{ok}: {:?}",
            direct_prints(ok)
        );
    }
}

/// Every line devctl prints goes through `src/out.rs`, which scrubs secrets
/// (ARCHITECTURE.md, "Secrets").
#[test]
fn only_out_prints() {
    let allowed = [
        // the scrubber and the printing shell themselves
        "crates/out/src/lib.rs",
        // The exempt raw passthrough: `devctl sh` copies the container's own
        // terminal byte stream (a TTY exec: prompts, escape sequences, the
        // echo of keystrokes) to stdout/stderr as it comes; it is what the
        // user's own shell in the container prints, not devctl's output;
        // `devctl run` passes a one-off container's stream the same way.
        "crates/engine/src/exec.rs",
    ];
    let mut offenders = Vec::new();
    for (rel, p) in sources() {
        if allowed.contains(&rel.as_str()) {
            continue;
        }
        if let Some(s) = production_source(&p) {
            offenders.extend(direct_prints(&s).into_iter().map(|h| format!("{rel}: {h}")));
        }
    }
    assert!(
        offenders.is_empty(),
        "printing outside crates/out (use outln!/errln!/out::print…): {offenders:?}"
    );
}

/// YAML goes through one module (`devctl_compose::yaml`), so the YAML
/// crate can be swapped there alone.
#[test]
fn yaml_is_behind_one_module() {
    let offenders: Vec<String> = sources()
        .into_iter()
        .filter(|(rel, _)| rel != "crates/compose/src/yaml.rs")
        .filter(|(_, p)| {
            production_source(p)
                .is_some_and(|s| s.contains("yaml_serde") || s.contains("serde_yaml"))
        })
        .map(|(rel, _)| rel)
        .collect();
    assert!(
        offenders.is_empty(),
        "the YAML crate used outside crates/compose/src/yaml.rs: {offenders:?}"
    );
}

/// Inside the binary, dependencies point one way: cli → commands →
/// session → doctor/watch. doctor and watch never reach back into the
/// command layer or the flag definitions (they take a `Session`).
#[test]
fn doctor_and_watch_do_not_import_commands_or_cli() {
    let offenders: Vec<String> = sources()
        .into_iter()
        .filter(|(rel, _)| rel.starts_with("src/doctor/") || rel.starts_with("src/watch/"))
        .filter_map(|(rel, p)| {
            let s = production_source(&p)?;
            let bad: Vec<&str> = ["crate::cli", "crate::commands"]
                .into_iter()
                .filter(|m| s.contains(m))
                .collect();
            (!bad.is_empty()).then(|| format!("{rel}: {bad:?}"))
        })
        .collect();
    assert!(offenders.is_empty(), "{offenders:?}");
}
