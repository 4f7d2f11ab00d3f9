//! ShellCheck (SC codes) on RUN scripts, as hadolint embeds it. Pure: this
//! module builds the scripts and maps `shellcheck -f json1` output back to
//! findings; the command layer runs the `shellcheck` binary when it is on
//! PATH.
//!
//! hadolint's behaviour, followed here: per stage (reset at FROM), the shell
//! is the last SHELL's first word (default `/bin/sh`), and every ARG/ENV name
//! plus the proxy variables is exported before the script so ShellCheck
//! does not report them unassigned; PowerShell is not checked; SC2187 (ash
//! not supported) and SC1090 (needs a source directive) are excluded; every
//! finding is reported at the RUN instruction. Exec-form (JSON) RUNs run no
//! shell and are not checked; a RUN that is only heredocs (`RUN <<EOF`) is
//! checked on the heredoc bodies; ONBUILD RUNs are not checked (hadolint
//! neither).

use std::collections::BTreeSet;

use serde::Deserialize;

use super::{Finding, Severity};
use crate::dockerfile::Dockerfile;

/// ShellCheck codes hadolint excludes.
pub const EXCLUDED: &str = "SC2187,SC1090";

const DEFAULT_SHELL: &str = "/bin/sh";
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
pub struct Script {
    /// Index of the RUN in `df.instructions`.
    pub inst: usize,
    /// The whole script given to ShellCheck (shebang, exports, commands).
    pub text: String,
}

/// One `shellcheck -f json1` comment.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Comment {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub level: String,
    pub code: u32,
    pub message: String,
}

#[derive(Deserialize)]
struct Json1 {
    comments: Vec<Comment>,
}

/// Parses `shellcheck -f json1` output.
pub fn parse_json1(out: &str) -> Result<Vec<Comment>, String> {
    serde_json::from_str::<Json1>(out)
        .map(|j| j.comments)
        .map_err(|e| format!("unexpected shellcheck output: {e}"))
}

fn is_powershell_or_cmd(shell: &str) -> bool {
    let base = shell
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(shell)
        .to_ascii_lowercase();
    base.starts_with("pwsh") || base.starts_with("powershell") || base.starts_with("cmd")
}

/// `<<EOF`, `<<-"EOF"`, `3<<'EOF'` …: true when `cmd` holds only heredoc
/// markers.
fn only_heredoc_markers(cmd: &str) -> bool {
    cmd.split_whitespace().all(|w| {
        let w = w.trim_start_matches(|c: char| c.is_ascii_digit());
        w.starts_with("<<") && w.len() > 2
    })
}

/// The scripts of a Dockerfile's RUN instructions.
pub fn scripts(df: &Dockerfile) -> Vec<Script> {
    let mut shell = DEFAULT_SHELL.to_string();
    let mut vars: BTreeSet<String> = BTreeSet::new();
    let reset = |vars: &mut BTreeSet<String>| {
        vars.clear();
        vars.extend(DEFAULT_VARS.iter().map(|s| s.to_string()));
    };
    reset(&mut vars);
    let mut out = Vec::new();
    for (i, inst) in df.instructions.iter().enumerate() {
        match inst.keyword.as_str() {
            "from" => {
                shell = DEFAULT_SHELL.to_string();
                reset(&mut vars);
            }
            "arg" => {
                for w in &inst.args {
                    let name = w.split('=').next().unwrap_or(w);
                    if !name.is_empty() {
                        vars.insert(name.to_string());
                    }
                }
            }
            "env" => {
                for k in inst.args.iter().step_by(3) {
                    if !k.is_empty() {
                        vars.insert(k.clone());
                    }
                }
            }
            "shell" => {
                let first = inst
                    .args
                    .first()
                    .and_then(|a| a.split_whitespace().next())
                    .unwrap_or(DEFAULT_SHELL);
                shell = first.to_string();
            }
            "run" if !inst.json && !is_powershell_or_cmd(&shell) => {
                let exports: String = vars.iter().map(|v| format!("export {v}=1\n")).collect();
                let cmd = inst.args.first().map(String::as_str).unwrap_or("");
                if inst.heredocs.is_empty() {
                    out.push(Script {
                        inst: i,
                        text: format!("#!{shell}\n{exports}{cmd}\n"),
                    });
                } else if only_heredoc_markers(cmd) {
                    for h in &inst.heredocs {
                        let text = match h.content.strip_prefix("#!") {
                            Some(rest) => {
                                let (bang, body) = rest.split_once('\n').unwrap_or((rest, ""));
                                format!("#!{bang}\n{exports}{body}")
                            }
                            None => format!("#!{shell}\n{exports}{}", h.content),
                        };
                        out.push(Script { inst: i, text });
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn severity(level: &str) -> Severity {
    match level {
        "warning" => Severity::Warning,
        "info" => Severity::Info,
        "style" => Severity::Style,
        _ => Severity::Error,
    }
}

/// Maps ShellCheck's comments (one list per script, in `scripts` order) to
/// findings at the RUN instructions, without duplicates.
pub fn to_findings(df: &Dockerfile, scripts: &[Script], comments: &[Vec<Comment>]) -> Vec<Finding> {
    let mut out: Vec<Finding> = Vec::new();
    for (s, cs) in scripts.iter().zip(comments) {
        let Some(inst) = df.instructions.get(s.inst) else {
            continue;
        };
        for c in cs {
            let f = Finding {
                code: format!("SC{}", c.code),
                severity: severity(&c.level),
                message: c.message.clone(),
                span: inst.span,
            };
            if !out.contains(&f) {
                out.push(f);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dockerfile::parse;

    #[test]
    fn scripts_follow_shell_and_vars_per_stage() {
        let df = parse(
            "ARG TOP=1\nFROM a\nARG V=1\nENV E=2 F=3\nRUN echo $V\nSHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\nRUN echo hi\nRUN [\"echo\", \"exec\"]\nFROM b\nRUN echo $V\n",
        )
        .unwrap();
        let s = scripts(&df);
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].inst, 4);
        assert!(s[0].text.starts_with("#!/bin/sh\n"));
        for v in [
            "export V=1\n",
            "export E=1\n",
            "export F=1\n",
            "export HTTP_PROXY=1\n",
        ] {
            assert!(s[0].text.contains(v), "{v}: {}", s[0].text);
        }
        assert!(!s[0].text.contains("TOP"));
        assert!(s[0].text.ends_with("echo $V\n"));
        assert!(s[1].text.starts_with("#!/bin/bash\n"));
        // new stage: shell and vars reset
        assert!(s[2].text.starts_with("#!/bin/sh\n") && !s[2].text.contains("export V="));
    }

    #[test]
    fn heredoc_only_runs_check_the_bodies_and_powershell_is_skipped() {
        let df = parse("FROM a\nRUN <<EOF\necho $x\nEOF\nRUN cat <<EOF > f\nx\nEOF\nSHELL [\"pwsh\", \"-c\"]\nRUN Write-Host hi\n").unwrap();
        let s = scripts(&df);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].inst, 1);
        assert!(s[0].text.ends_with("echo $x\n"));
        let df = parse("FROM a\nRUN <<EOF\n#!/bin/bash\necho hi\nEOF\n").unwrap();
        assert!(scripts(&df)[0].text.starts_with("#!/bin/bash\nexport "));
    }

    #[test]
    fn comments_map_to_the_run_line() {
        let df = parse("FROM a\nRUN echo $x && \\\n  cd /y\n").unwrap();
        let s = scripts(&df);
        let out = r#"{"comments":[{"file":"s0.sh","line":12,"endLine":12,"column":6,"endColumn":8,"level":"info","code":2086,"message":"Double quote to prevent globbing and word splitting.","fix":null},{"file":"s0.sh","line":13,"endLine":13,"column":3,"endColumn":8,"level":"warning","code":2164,"message":"Use 'cd ... || exit'.","fix":null},{"file":"s0.sh","line":13,"endLine":13,"column":3,"endColumn":8,"level":"warning","code":2164,"message":"Use 'cd ... || exit'.","fix":null}]}"#;
        let cs = parse_json1(out).unwrap();
        let f = to_findings(&df, &s, &[cs]);
        assert_eq!(f.len(), 2);
        assert_eq!(
            (f[0].code.as_str(), f[0].severity, f[0].line()),
            ("SC2086", Severity::Info, 2)
        );
        assert_eq!(
            (f[1].code.as_str(), f[1].severity),
            ("SC2164", Severity::Warning)
        );
        assert!(parse_json1("not json").is_err());
    }
}
