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
        "project/user.rs",
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
        "out.rs",
        // The exempt raw passthrough: `devctl sh` copies the container's own
        // terminal byte stream (a TTY exec: prompts, escape sequences, the
        // echo of keystrokes) to stdout/stderr as it comes; it is what the
        // user's own shell in the container prints, not devctl's output.
        "engine/exec.rs",
    ];
    let mut offenders = Vec::new();
    for p in files_under(&src()) {
        let rel = p
            .strip_prefix(src())
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if allowed.contains(&rel.as_str()) {
            continue;
        }
        if let Some(s) = production_source(&p) {
            offenders.extend(direct_prints(&s).into_iter().map(|h| format!("{rel}: {h}")));
        }
    }
    assert!(
        offenders.is_empty(),
        "printing outside src/out.rs (use crate::outln!/errln!/out::print…): {offenders:?}"
    );
}
