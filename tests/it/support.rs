//! Test helpers: the shared corpus and the one builder for running the
//! `devctl` binary.
//!
//! # Running the binary: `Project` + `Run`
//!
//! ```ignore
//! let p = Project::new()                    // a temp dir, the cwd of each run
//!     .file("devctl.toml", "[project]\nname = \"x\"\n");
//! p.devctl(&["config", "--check"])          // a `Run`: nothing is spawned yet
//!     .env("APP_PORT", "8000")              // also .env_remove, .stdin, .cwd
//!     .stdout("ok\n")                       // exact; not given = must be empty
//!     .stderr("warning: [TMP]/x is odd\n")  // [TMP] = the temp dir
//!     .status(2)                            // not given = must be 0
//!     .run();                               // spawn, compare, return `Done`
//! ```
//!
//! Like `just`'s tests, a stream with no expectation must be empty and the
//! exit code must be 0, so that a new warning or a changed exit fails a test.
//! The temp dir (as given and canonicalised) reads `[TMP]` and its
//! compose-normalised name `[NAME]` in both streams before they are compared.
//! Output that genuinely varies (timings, a child's pid, a tool's version)
//! uses an escape hatch instead of exact matching (`status_any` for the
//! exit code): `stdout_contains` /
//! `stderr_contains` (several allowed), `stdout_matches` / `stderr_matches`
//! (a regex over the whole stream), or `stdout_any` / `stderr_any` when the
//! test checks that stream itself (parses JSON, counts lines). Output too
//! long to read inline (a completion script, `--help`) is an insta snapshot:
//! `.stdout_snapshot("tasks_cli__completions_bash")`. A mismatch
//! prints a line diff (`similar`, which insta already brings in).
//! `Done::stdout()` / `stderr()` give the text as printed for more checks.
//!
//! Runs in a directory that is not a `Project` use `devctl_in(dir, args)`.
//! Runs that need a pty, a signal mid-run, an rlimit or another uid spawn
//! themselves with `Run::command()`, which hands back the prepared
//! `std::process::Command` (the engine tests' harnesses do this too: their
//! output depends on Docker's timing, so they check it themselves).
//!
//! Filling in expectations: `DEVCTL_TEST_RECORD=DIR` makes every `run()` write
//! what it saw (file, line, status, stdout, stderr) as JSON into DIR instead
//! of comparing the streams; `scripts/fill-test-expectations.py DIR` writes
//! them into the tests, which are then reviewed like any code.
//!
//! # Snapshots: insta
//!
//! Generated files (the example compose files) are insta snapshots under
//! `tests/it/snapshots/`. A change fails with a diff; `INSTA_UPDATE=always
//! cargo nextest run -E 'test(example_snapshots)'` (or `cargo insta test` then
//! `cargo insta accept`) rewrites them, and the diff is reviewed in git.
//! Under CI=true insta never writes a snapshot, it only fails.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// `../shared/corpus` (or `$DEVCTL_CORPUS`). When it is missing the test is
/// skipped locally but fails under CI=true.
pub fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("DEVCTL_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "the test corpus is missing at {} (CI=true: failing, not skipping)",
            dir.display()
        );
    }
    eprintln!("skipping: no corpus at {}", dir.display());
    None
}

pub fn buildkit_testfiles(corpus: &Path) -> PathBuf {
    corpus.join("buildkit-parser/buildkit/frontend/dockerfile/parser")
}

/// Every file under `dir`, sorted.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// A temp project dir; `devctl()` starts a `Run` in it.
pub struct Project {
    pub dir: tempfile::TempDir,
}

impl Default for Project {
    fn default() -> Self {
        Self::new()
    }
}

impl Project {
    pub fn new() -> Self {
        Project {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
    /// Write a file (creating parent dirs).
    pub fn file(self, rel: &str, contents: impl AsRef<[u8]>) -> Self {
        let p = self.dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, contents).unwrap();
        self
    }
    /// A run of the binary at `CARGO_BIN_EXE_devctl` in this project.
    pub fn devctl(&self, args: &[&str]) -> Run {
        devctl_in(self.dir.path(), args)
    }
}

/// A run of the binary in `dir`, which is not a `Project` (a mount, a
/// view of one): `dir` reads `[TMP]`.
pub fn devctl_in(dir: &Path, args: &[&str]) -> Run {
    bin_in(Path::new(env!("CARGO_BIN_EXE_devctl")), dir, args)
}

/// A run of another copy of the binary (a hard link elsewhere) in `dir`.
pub fn bin_in(bin: &Path, dir: &Path, args: &[&str]) -> Run {
    let mut cmd = Command::new(bin);
    cmd.args(args).current_dir(dir).env_remove("NO_COLOR");
    Run::new(cmd, dir)
}

/// What one stream must be.
#[derive(Clone, Debug)]
enum Expect {
    Exact(String),
    Contains(Vec<String>),
    Matches(regex::Regex),
    /// The insta snapshot `tests/it/snapshots/NAME.snap`.
    Snapshot(String),
    Any,
}

impl Expect {
    fn check(&self, name: &str, actual: &str) -> Option<String> {
        match self {
            Expect::Exact(e) if e == actual => None,
            Expect::Exact(e) => Some(format!(
                "{name} differs (- expected, + actual):\n{}",
                diff(e, actual)
            )),
            Expect::Contains(parts) => {
                let missing: Vec<_> = parts.iter().filter(|p| !actual.contains(*p)).collect();
                (!missing.is_empty())
                    .then(|| format!("{name} lacks {missing:?}:\n{}", fence(actual)))
            }
            Expect::Matches(re) => (!re.is_match(actual))
                .then(|| format!("{name} does not match /{re}/:\n{}", fence(actual))),
            Expect::Snapshot(snap) => {
                // insta panics with its own diff on a mismatch.
                insta::with_settings!({ prepend_module_to_snapshot => false, omit_expression => true }, {
                    insta::assert_snapshot!(snap.as_str(), actual);
                });
                None
            }
            Expect::Any => None,
        }
    }
}

fn fence(s: &str) -> String {
    format!("----\n{s}----")
}

/// A line diff, with a visible mark where a line lacks its newline.
pub fn diff(expected: &str, actual: &str) -> String {
    use similar::{ChangeTag, TextDiff};
    let mut out = String::new();
    for c in TextDiff::from_lines(expected, actual).iter_all_changes() {
        let sign = match c.tag() {
            ChangeTag::Delete => '-',
            ChangeTag::Insert => '+',
            ChangeTag::Equal => ' ',
        };
        let line = c.value();
        match line.strip_suffix('\n') {
            Some(l) => out.push_str(&format!("{sign}{l}\n")),
            None => out.push_str(&format!("{sign}{line}\u{23CE}(no newline at end)\n")),
        }
    }
    out
}

/// One run of the binary and what it must print and return.
pub struct Run {
    cmd: Command,
    stdin: Option<Vec<u8>>,
    tmp: PathBuf,
    stdout: Expect,
    stderr: Expect,
    status: Option<i32>,
}

impl Run {
    fn new(cmd: Command, tmp: &Path) -> Self {
        Run {
            cmd,
            stdin: None,
            tmp: tmp.to_path_buf(),
            stdout: Expect::Exact(String::new()),
            stderr: Expect::Exact(String::new()),
            status: Some(0),
        }
    }
    pub fn arg(mut self, a: impl AsRef<std::ffi::OsStr>) -> Self {
        self.cmd.arg(a);
        self
    }
    pub fn env(mut self, k: &str, v: impl AsRef<std::ffi::OsStr>) -> Self {
        self.cmd.env(k, v);
        self
    }
    pub fn env_remove(mut self, k: &str) -> Self {
        self.cmd.env_remove(k);
        self
    }
    /// Run in `rel` (relative to the project, or absolute) instead of the
    /// project root.
    pub fn cwd(mut self, rel: impl AsRef<Path>) -> Self {
        self.cmd.current_dir(self.tmp.join(rel));
        self
    }
    pub fn stdin(mut self, data: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(data.into());
        self
    }
    /// Exactly this on stdout (after `[TMP]`/`[NAME]` substitution).
    pub fn stdout(mut self, s: impl Into<String>) -> Self {
        self.stdout = Expect::Exact(s.into());
        self
    }
    /// Exactly this on stderr (after `[TMP]`/`[NAME]` substitution).
    pub fn stderr(mut self, s: impl Into<String>) -> Self {
        self.stderr = Expect::Exact(s.into());
        self
    }
    /// Escape hatch for output that varies: stdout contains `s` (repeatable).
    pub fn stdout_contains(mut self, s: &str) -> Self {
        self.stdout = contains(self.stdout, s);
        self
    }
    /// Escape hatch for output that varies: stderr contains `s` (repeatable).
    pub fn stderr_contains(mut self, s: &str) -> Self {
        self.stderr = contains(self.stderr, s);
        self
    }
    /// Escape hatch: stdout matches the regex (use `(?s)`, `^`, `$` as needed).
    pub fn stdout_matches(mut self, re: &str) -> Self {
        self.stdout = Expect::Matches(regex::Regex::new(re).unwrap());
        self
    }
    /// Escape hatch: stderr matches the regex (use `(?s)`, `^`, `$` as needed).
    pub fn stderr_matches(mut self, re: &str) -> Self {
        self.stderr = Expect::Matches(regex::Regex::new(re).unwrap());
        self
    }
    /// Output too long to read inline: stdout (after substitution) is the
    /// insta snapshot `tests/it/snapshots/NAME.snap`.
    pub fn stdout_snapshot(mut self, name: &str) -> Self {
        self.stdout = Expect::Snapshot(name.to_string());
        self
    }
    /// The test checks stdout itself (parses it, say).
    pub fn stdout_any(mut self) -> Self {
        self.stdout = Expect::Any;
        self
    }
    /// The test checks stderr itself.
    pub fn stderr_any(mut self) -> Self {
        self.stderr = Expect::Any;
        self
    }
    /// The exit code (default 0).
    pub fn status(mut self, code: i32) -> Self {
        self.status = Some(code);
        self
    }
    /// Killed by a signal, or the code does not matter.
    pub fn status_any(mut self) -> Self {
        self.status = None;
        self
    }
    /// The prepared command (args, cwd, env), for a run that needs what
    /// `run()` cannot do: a pty, a signal mid-run, a resource limit, another
    /// uid, a reader that stops early. Expectations are not checked.
    pub fn command(self) -> Command {
        self.cmd
    }

    /// Spawn, wait, and compare status, stdout and stderr.
    #[track_caller]
    pub fn run(mut self) -> Done {
        use std::io::Write;
        self.cmd.stdin(if self.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        self.cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = self.cmd.spawn().expect("spawn devctl");
        if let Some(data) = self.stdin.take() {
            let mut si = child.stdin.take().unwrap();
            std::thread::spawn(move || {
                let _ = si.write_all(&data);
            });
        }
        let output = child.wait_with_output().unwrap();
        let subst = Subst::new(&self.tmp);
        let done = Done {
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            output,
        };
        let (out, err) = (subst.apply(&done.stdout), subst.apply(&done.stderr));
        let here = std::panic::Location::caller();
        if let Some(dir) = std::env::var_os("DEVCTL_TEST_RECORD") {
            record(
                Path::new(&dir),
                here,
                &done,
                (&out, &err),
                (&self.stdout, &self.stderr),
            );
        }
        let mut problems = Vec::new();
        if let Some(want) = self
            .status
            .filter(|s| done.output.status.code() != Some(*s))
        {
            problems.push(format!(
                "exit status: expected {want:?}, got {:?}",
                done.output.status
            ));
        }
        if std::env::var_os("DEVCTL_TEST_RECORD").is_none() {
            problems.extend(self.stdout.check("stdout", &out));
            problems.extend(self.stderr.check("stderr", &err));
        }
        if !problems.is_empty() {
            panic!(
                "{:?} at {here}:\n{}\n--- stdout\n{}--- stderr\n{}---",
                self.cmd.get_args().collect::<Vec<_>>(),
                problems.join("\n"),
                out,
                err,
            );
        }
        done
    }
}

fn contains(e: Expect, s: &str) -> Expect {
    match e {
        Expect::Contains(mut v) => {
            v.push(s.to_string());
            Expect::Contains(v)
        }
        _ => Expect::Contains(vec![s.to_string()]),
    }
}

/// The temp dir, as given and canonicalised, reads `[TMP]`; its name as
/// compose normalises it (the default project name) reads `[NAME]`.
struct Subst(Vec<(String, &'static str)>);

impl Subst {
    fn new(tmp: &Path) -> Self {
        let mut v = vec![(tmp.display().to_string(), "[TMP]")];
        if let Ok(c) = tmp.canonicalize() {
            if c != tmp {
                v.insert(0, (c.display().to_string(), "[TMP]"));
            }
        }
        let name: String = tmp
            .file_name()
            .unwrap()
            .to_string_lossy()
            .to_lowercase()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
            .collect();
        let name = name.trim_start_matches(['_', '-']).to_string();
        if name.len() >= 6 {
            v.push((name, "[NAME]"));
        }
        Subst(v)
    }
    fn apply(&self, s: &str) -> String {
        let mut s = s.to_string();
        for (from, to) in &self.0 {
            s = s.replace(from.as_str(), to);
        }
        s
    }
}

/// Whether the expectation holds, without insta's side effects.
fn ok(e: &Expect, actual: &str) -> bool {
    match e {
        Expect::Snapshot(_) => true,
        _ => e.check("", actual).is_none(),
    }
}

fn record(
    dir: &Path,
    here: &std::panic::Location,
    d: &Done,
    (stdout, stderr): (&str, &str),
    (out, err): (&Expect, &Expect),
) {
    std::fs::create_dir_all(dir).unwrap();
    let v = serde_json::json!({
        "file": here.file(),
        "line": here.line(),
        "status": d.output.status.code(),
        "stdout": stdout,
        "stderr": stderr,
        "stdout_exact": matches!(out, Expect::Exact(_)),
        "stderr_exact": matches!(err, Expect::Exact(_)),
        "stdout_ok": ok(out, stdout),
        "stderr_ok": ok(err, stderr),
        "test": std::thread::current().name().unwrap_or("").to_string(),
    });
    static SEQ: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let f = dir.join(format!(
        "{}-{}.json",
        std::process::id(),
        SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    std::fs::write(f, v.to_string()).unwrap();
}

/// A finished run; `stdout()` and `stderr()` are the text as printed (no
/// `[TMP]`), for checks of the test's own.
pub struct Done {
    pub output: Output,
    stdout: String,
    stderr: String,
}

impl Done {
    pub fn stdout(&self) -> String {
        self.stdout.clone()
    }
    pub fn stderr(&self) -> String {
        self.stderr.clone()
    }
    pub fn code(&self) -> Option<i32> {
        self.output.status.code()
    }
}

impl Done {
    /// A further check on top of the exact ones, for a test's point.
    pub fn stdout_has(self, s: &str) -> Self {
        assert!(
            self.stdout.contains(s),
            "stdout lacks {s:?}:\n{}",
            self.stdout
        );
        self
    }
    pub fn stderr_has(self, s: &str) -> Self {
        assert!(
            self.stderr.contains(s),
            "stderr lacks {s:?}:\n{}",
            self.stderr
        );
        self
    }
}

/// The builder's own promises: unexpected output or status fails.
mod builder_tests {
    use super::Project;

    #[test]
    #[should_panic(expected = "stdout differs")]
    fn output_nobody_expected_fails() {
        Project::new().devctl(&["--version"]).run();
    }

    #[test]
    #[should_panic(expected = "exit status: expected 0")]
    fn a_failure_nobody_expected_fails() {
        Project::new()
            .devctl(&["no-such-command"])
            .stderr_any()
            .run();
    }

    #[test]
    #[should_panic(expected = "stderr lacks")]
    fn contains_is_checked() {
        Project::new()
            .devctl(&["no-such-command"])
            .status(2)
            .stderr_contains("no such text")
            .run();
    }

    #[test]
    fn the_temp_dir_reads_tmp() {
        let p = Project::new().file("devctl.toml", "[services.r]\nimage = \"r\"\n");
        p.devctl(&["config", "--check"])
            .stdout("[TMP]/devctl.toml: ok (1 service)\n")
            .run();
    }
}
