//! The invariants of ARCHITECTURE.md, checked over the binary's `src/` and
//! every library crate's `crates/*/src/`: only `engine/` talks to Docker,
//! the pure core does no IO, only the out crate prints, and library crates
//! do not read the environment (outside their tests).

use std::path::{Path, PathBuf};

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

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// Every source file of the workspace's production code: the binary's
/// `src/` and each library crate's `crates/*/src/`, with its path relative
/// to the workspace root (`/`-separated).
fn sources() -> Vec<(String, PathBuf)> {
    let root = root();
    let mut dirs = vec![root.join("src")];
    let mut crates: Vec<PathBuf> = std::fs::read_dir(root.join("crates"))
        .unwrap()
        .map(|e| e.unwrap().path().join("src"))
        .filter(|p| p.is_dir())
        .collect();
    crates.sort();
    dirs.extend(crates);
    dirs.iter()
        .flat_map(|d| files_under(d))
        .map(|p| {
            let rel = p
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (rel, p)
        })
        .collect()
}

#[test]
fn the_checks_see_every_crate() {
    let files: Vec<String> = sources().into_iter().map(|(rel, _)| rel).collect();
    for f in [
        "src/main.rs",
        "crates/lint/src/lib.rs",
        "crates/dockerfile/src/parser.rs",
        "crates/dockerignore/src/lib.rs",
        "crates/out/src/lib.rs",
    ] {
        assert!(files.iter().any(|x| x == f), "{f} not walked: {files:?}");
    }
}

#[test]
fn only_engine_talks_to_docker() {
    let offenders: Vec<String> = sources()
        .into_iter()
        .filter(|(rel, _)| !rel.starts_with("src/engine/"))
        .filter(|(_, p)| production_source(p).is_some_and(|s| s.contains("bollard")))
        .map(|(rel, _)| rel)
        .collect();
    assert!(
        offenders.is_empty(),
        "bollard used outside src/engine/: {offenders:?}"
    );
}

#[test]
fn pure_core_does_no_io() {
    let pure_dirs = [
        "src/gen",
        "crates/dockerfile/src",
        "crates/dockerignore/src",
        "crates/lint/src",
        "crates/text/src",
    ];
    let pure_files = [
        "src/project/model.rs",
        "src/project/tasks.rs",
        "src/project/load.rs",
        "src/project/interp.rs",
        "src/project/build_args.rs",
        "src/project/user.rs",
        "src/watch/sched.rs",
        "src/watch/filter.rs",
        "src/watch/roots.rs",
    ];
    // A moved file must not drop out of the check unnoticed.
    for p in pure_dirs.iter().chain(pure_files.iter()) {
        assert!(
            root().join(p).exists(),
            "{p} no longer exists: update this list"
        );
    }
    // The one deliberate exception: the ShellCheck runner (an external program).
    let allowed = ["crates/lint/src/shellcheck.rs"];
    let io = [
        "std::fs",
        "std::process",
        "std::env::var",
        "std::net::TcpStream",
        "File::open",
    ];
    let mut offenders = Vec::new();
    for (rel, p) in sources() {
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

/// The process environment is read by the binary only: a library crate
/// takes what it needs as arguments (issue 12). Test code may read it.
#[test]
fn library_crates_read_no_environment() {
    let reads = ["env::var(", "env::var_os(", "env::vars(", "env::vars_os("];
    let mut offenders = Vec::new();
    for (rel, p) in sources() {
        if !rel.starts_with("crates/") {
            continue;
        }
        let Some(s) = production_source(&p) else {
            continue;
        };
        for (n, line) in s.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for r in reads {
                if code.contains(r) {
                    offenders.push(format!("{rel}:{}: {r}", n + 1));
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "a library crate reads the environment (pass the values in from the binary): {offenders:?}"
    );
}

/// The ways of writing to the terminal that bypass the out crate (the
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

/// Every line devctl prints goes through the out crate, which scrubs secrets
/// (ARCHITECTURE.md, "Secrets").
#[test]
fn only_out_prints() {
    let allowed = [
        // the scrubber and the printing shell themselves
        "crates/out/src/lib.rs",
        // The exempt raw passthrough: `devctl sh` copies the container's own
        // terminal byte stream (a TTY exec: prompts, escape sequences, the
        // echo of keystrokes) to stdout/stderr as it comes; it is what the
        // user's own shell in the container prints, not devctl's output.
        "src/engine/exec.rs",
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
        "printing outside crates/out (use crate::outln!/errln!/out::print…): {offenders:?}"
    );
}
