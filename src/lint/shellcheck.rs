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

use std::collections::BTreeSet;
use std::process::{Command, Stdio};

use serde::Deserialize;

use crate::dockerfile::{Dockerfile, Instruction};
use crate::lint::rules::dl_run::run_script;
use crate::lint::{Finding, Severity};

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
            "arg" => {
                for a in &inst.args {
                    let name = a.split('=').next().unwrap_or(a);
                    self.vars.insert(name.to_string());
                }
            }
            "env" => {
                for t in inst.args.chunks(3) {
                    if let Some(k) = t.first() {
                        self.vars.insert(k.clone());
                    }
                }
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

#[derive(Deserialize)]
pub struct Comment {
    code: u32,
    level: String,
    message: String,
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

fn to_findings(comments: Vec<Comment>, inst: &Instruction) -> Vec<Finding> {
    // hadolint keeps a set: one finding per code and message at a RUN.
    let mut out: Vec<Finding> = Vec::new();
    for c in comments {
        let f = Finding {
            code: format!("SC{}", c.code),
            severity: severity(&c.level),
            message: c.message,
            span: inst.span,
        };
        if !out.contains(&f) {
            out.push(f);
        }
    }
    out
}

/// Runs `shellcheck` once over several scripts (IO): each is written to a
/// file `<index>.sh` in a temp dir and the JSON comments are split back by
/// file name. `Ok(None)` when the binary is not installed.
pub fn run_shellcheck(scripts: &[&str]) -> Result<Option<Vec<Vec<Comment>>>, String> {
    let mut per_script: Vec<Vec<Comment>> = scripts.iter().map(|_| Vec::new()).collect();
    if scripts.is_empty() {
        return Ok(Some(per_script));
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
    let output = match Command::new("shellcheck")
        .args(["-f", "json", "-S", "style", "-e", EXCLUDED])
        .args(&paths)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
    {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot run shellcheck: {e}")),
    };
    // Exit status 1 means "findings"; anything above is a real failure.
    if output.status.code().is_some_and(|c| c > 1) {
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
    Ok(Some(per_script))
}

#[derive(Deserialize)]
struct FileComment {
    file: String,
    #[serde(flatten)]
    comment: Comment,
}

/// SC findings for a Dockerfile (empty when `shellcheck` is not installed),
/// raw: the driver ([`crate::lint::lint_source_with`]) applies pragmas,
/// overrides and ignores to them like to every other finding. One
/// shellcheck process for all of the file's RUN scripts.
pub fn findings(df: &Dockerfile) -> Result<Vec<Finding>, String> {
    let reqs = requests(df);
    let scripts: Vec<&str> = reqs.iter().map(|r| r.script.as_str()).collect();
    let Some(results) = run_shellcheck(&scripts)? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (req, comments) in reqs.iter().zip(results) {
        if let Some(inst) = df.instructions.get(req.instruction) {
            out.extend(to_findings(comments, inst));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dockerfile::parse;
    use crate::lint::Options;

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
        let f = parse_output(json, inst).expect("valid json");
        assert_eq!(f.len(), 2);
        let twice = format!("[{0},{0}]", r#"{"code":2086,"level":"info","message":"m"}"#);
        assert_eq!(parse_output(&twice, inst).map(|v| v.len()), Ok(1));
        assert_eq!(f[0].code, "SC2086");
        assert_eq!(f[0].severity, Severity::Info);
        assert_eq!(f[0].line(), 2);
        assert_eq!(f[1].severity, Severity::Error);
        assert!(parse_output("not json", inst).is_err());
        assert_eq!(parse_output("[]", inst).map(|v| v.len()), Ok(0));
    }

    /// Runs the real binary when it is installed.
    #[test]
    fn real_shellcheck_when_installed() {
        let df = parse("FROM a\nRUN echo $MISSING_QUOTES\nRUN echo foo").expect("parses");
        let f = findings(&df).expect("shellcheck runs");
        if run_shellcheck(&["#!/bin/sh\ntrue"])
            .ok()
            .flatten()
            .is_none()
        {
            assert!(f.is_empty());
            return;
        }
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
        let linted =
            crate::lint::lint_source_with(src, &opts, None, &mut |df| findings(df).expect("runs"));
        assert!(
            !linted.iter().any(|f| f.code.starts_with("SC")),
            "{linted:?}"
        );
    }
}
