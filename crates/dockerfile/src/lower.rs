//! Lowering newer Dockerfile syntax to what an older built-in frontend
//! parses. Pure: the caller decides when (the engine's built-in frontend is
//! older than Dockerfile 1.4, and no frontend image may be pulled) and does
//! the IO (adding [`Lowered::files`] to the context, fetching
//! [`Lowered::fetches`]).
//!
//! Each rewrite mirrors what BuildKit's `dockerfile2llb` makes of the
//! instruction, so the image is the same:
//! - `RUN <<EOF` (one heredoc, nothing else): the body is the shell's
//!   script (`SHELL` + [body]); a body starting with `#!` is a file mounted at
//!   `/dev/pipes/NAME` and run, as BuildKit does. Any other heredoc use is
//!   handed whole to the shell (`cmd <<EOF` + body + terminator).
//! - `COPY`/`ADD <<EOF dest`: the body becomes a file (mode 0644) sent with
//!   the context under [`LOWERED_DIR`], copied from there. A body that
//!   BuildKit would expand (`$` or `\` under an unquoted delimiter) needs the
//!   stage's environment, which only the builder has: refused.
//! - `--link`: dropped (the files and their metadata are the same; only
//!   layer reuse across base changes is lost).
//! - `ADD --checksum=DIGEST URL dest`: devctl downloads and checks it, then
//!   `COPY --chmod=600` (ADD's mode for a download) from the context.
//! - `# syntax=docker/dockerfile…`: removed (it would pull a frontend image).
//!
//! Line numbers stay: a rewritten instruction takes its first line and the
//! rest of its lines (heredoc bodies included) become empty, so the builder's
//! errors point at the user's file.

use crate::ast::{Dockerfile, Instruction};

/// Where lowered files go in the build context.
pub const LOWERED_DIR: &str = ".devctl-lowered";

/// The result of [`lower`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lowered {
    /// The Dockerfile to send instead of the user's.
    pub text: String,
    /// Files to add to the context (heredoc bodies).
    pub files: Vec<LoweredFile>,
    /// Downloads to check and add to the context (`ADD --checksum`).
    pub fetches: Vec<Fetch>,
    /// What was rewritten, by line: for the build's output.
    pub changes: Vec<(usize, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoweredFile {
    /// Path inside the context (under [`LOWERED_DIR`]).
    pub path: String,
    pub data: Vec<u8>,
    pub mode: u32,
}

/// `ADD --checksum=ALGO:HEX URL`: the caller downloads `url`, checks the
/// digest and adds the bytes at `path` in the context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetch {
    pub url: String,
    /// `sha256`, `sha384` or `sha512`.
    pub algorithm: String,
    /// Lower-case hex.
    pub hex: String,
    pub path: String,
    pub line: usize,
}

/// Newer syntax that cannot be lowered faithfully.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LowerError {
    pub line: usize,
    pub message: String,
}

/// Whether [`lower`] would change anything.
pub fn needs_lowering(df: &Dockerfile) -> bool {
    syntax_is_dockerfile(df) || df.instructions.iter().any(|i| newer(i.effective()))
}

/// Uses what a Dockerfile 1.2 frontend cannot parse.
fn newer(i: &Instruction) -> bool {
    !i.heredocs.is_empty() || i.flag("link").is_some() || i.flag("checksum").is_some()
}

/// A heredoc's body as BuildKit writes it to a file (`<<-`: tabs chomped).
fn body(doc: &crate::ast::Heredoc) -> String {
    if doc.chomp {
        chomp(&doc.content)
    } else {
        doc.content.clone()
    }
}

/// `# syntax=docker/dockerfile…` (any tag or digest): the official frontend,
/// whose features lowering stands in for.
fn syntax_is_dockerfile(df: &Dockerfile) -> bool {
    df.directive("syntax").is_some_and(|d| {
        let v = d.value.trim();
        let v = v.strip_prefix("docker.io/").unwrap_or(v);
        v == "docker/dockerfile"
            || v.starts_with("docker/dockerfile:")
            || v.starts_with("docker/dockerfile@")
    })
}

/// Rewrites `src` (parsed as `df`) for a Dockerfile 1.2 frontend.
pub fn lower(src: &str, df: &Dockerfile) -> Result<Lowered, LowerError> {
    let mut lines: Vec<String> = src.lines().map(str::to_string).collect();
    let mut out = Lowered {
        text: String::new(),
        files: Vec::new(),
        fetches: Vec::new(),
        changes: Vec::new(),
    };
    if syntax_is_dockerfile(df) {
        // Directives are the file's first lines; a blank line among them
        // would end them, so the kept ones move up and the blank goes last.
        let first = df.directives.iter().map(|d| d.line).min().unwrap_or(1);
        let last = df.directives.iter().map(|d| d.line).max().unwrap_or(1);
        let kept: Vec<String> = df
            .directives
            .iter()
            .filter(|d| d.name != "syntax")
            .map(|d| lines[d.line - 1].clone())
            .collect();
        let line = df.directive("syntax").map_or(first, |d| d.line);
        for (k, n) in (first..=last).enumerate() {
            lines[n - 1] = kept.get(k).cloned().unwrap_or_default();
        }
        out.changes.push((
            line,
            "`# syntax=docker/dockerfile` removed: the engine's built-in frontend builds it, no frontend image is pulled".into(),
        ));
    }
    let default_shell = vec!["/bin/sh".to_string(), "-c".to_string()];
    let mut shell = default_shell.clone();
    // stage name (lower case) → its SHELL at the end of the stage
    let mut stages: Vec<(String, Vec<String>)> = Vec::new();
    let mut current: Option<String> = None;
    let mut seq = 0usize;
    for inst in &df.instructions {
        let line = inst.start_line();
        match inst.keyword.as_str() {
            "from" => {
                if let Some(name) = current.take() {
                    stages.push((name, shell.clone()));
                }
                let base = inst.args.first().map(|b| b.to_ascii_lowercase());
                shell = stages
                    .iter()
                    .rev()
                    .find(|(n, _)| Some(n) == base.as_ref())
                    .map_or_else(|| default_shell.clone(), |(_, s)| s.clone());
                current = match inst.args.get(1) {
                    Some(a) if a.eq_ignore_ascii_case("as") => {
                        inst.args.get(2).map(|n| n.to_ascii_lowercase())
                    }
                    _ => Some(String::new()),
                };
                continue;
            }
            "shell" if inst.json && !inst.args.is_empty() => {
                shell = inst.args.clone();
                continue;
            }
            "onbuild" => {
                if let Some(e) = inst.onbuild.as_deref() {
                    if newer(e) {
                        return Err(LowerError {
                            line,
                            message: "ONBUILD with a heredoc, --link or --checksum needs Dockerfile frontend 1.4 where the image is used: this engine's built-in frontend is older; write the instruction in the stage that uses it".into(),
                        });
                    }
                }
                continue;
            }
            _ => {}
        }
        if !newer(inst) {
            continue;
        }
        let checksum = inst.flag("checksum").is_some();
        if inst.flag("link").is_some() {
            let kw = inst.keyword.to_uppercase();
            out.changes.push((
                line,
                format!("{kw} --link built as a plain {kw} (same files; the layer is not reusable across base images)"),
            ));
        }
        let flags: Vec<&str> = inst
            .flags
            .iter()
            .map(String::as_str)
            .filter(|f| !is_flag(f, "link") && !is_flag(f, "checksum"))
            .collect();
        let new = match inst.keyword.as_str() {
            "run" if !inst.heredocs.is_empty() => {
                seq += 1;
                lower_run(inst, &shell, &flags, seq, &mut out)?
            }
            "copy" | "add" if !inst.heredocs.is_empty() => {
                if checksum {
                    return Err(LowerError {
                        line,
                        message: "ADD --checksum takes one URL, not a heredoc".into(),
                    });
                }
                if inst.flag("from").is_some() {
                    return Err(LowerError {
                        line,
                        message: format!(
                            "{} --from with a heredoc needs Dockerfile frontend 1.4, and this engine's built-in frontend is older: copy the heredoc in its own {} without --from",
                            inst.keyword.to_uppercase(),
                            inst.keyword.to_uppercase()
                        ),
                    });
                }
                seq += 1;
                lower_copy_heredocs(inst, &flags, seq, &mut out)?
            }
            "add" if checksum => {
                seq += 1;
                lower_add_checksum(inst, &flags, seq, &mut out)?
            }
            // only --link: dropped
            _ => join(&inst.keyword_raw, &flags, &inst.rest),
        };
        lines[line - 1] = new;
        for n in line + 1..=inst.end_line().min(lines.len()) {
            lines[n - 1] = String::new();
        }
    }
    let mut text = lines.join("\n");
    if src.ends_with('\n') {
        text.push('\n');
    }
    out.text = text;
    Ok(out)
}

fn is_flag(f: &str, name: &str) -> bool {
    let f = f.trim_start_matches('-');
    f == name || f.strip_prefix(name).is_some_and(|r| r.starts_with('='))
}

fn join(keyword: &str, flags: &[&str], rest: &str) -> String {
    let mut s = keyword.to_string();
    for f in flags {
        s.push(' ');
        s.push_str(f);
    }
    if !rest.is_empty() {
        s.push(' ');
        s.push_str(rest);
    }
    s
}

fn json_args(args: &[String]) -> String {
    serde_json::to_string(args).unwrap_or_else(|_| "[]".into())
}

/// BuildKit's ChompHeredocContent: leading tabs off every line.
fn chomp(s: &str) -> String {
    s.split_inclusive('\n')
        .map(|l| l.trim_start_matches('\t'))
        .collect()
}

/// A word that opens a heredoc (`<<EOF`, `<<-"EOF"`, `3<<EOF`).
fn is_heredoc_word(w: &str) -> bool {
    let w = w.trim_start_matches(|c: char| c.is_ascii_digit());
    w.len() > 2 && w.starts_with("<<")
}

fn lower_run(
    inst: &Instruction,
    shell: &[String],
    flags: &[&str],
    seq: usize,
    out: &mut Lowered,
) -> Result<String, LowerError> {
    let line = inst.start_line();
    let mut flags: Vec<String> = flags.iter().map(|f| f.to_string()).collect();
    let rest = inst.rest.trim();
    let script = if inst.heredocs.len() == 1 && is_heredoc_word(rest) && !rest.contains(' ') {
        let doc = &inst.heredocs[0];
        if doc.content.starts_with("#!") {
            let dir = format!("{LOWERED_DIR}/{seq}");
            out.files.push(LoweredFile {
                path: format!("{dir}/{}", doc.name),
                data: body(doc).into_bytes(),
                mode: 0o755,
            });
            flags.push(format!("--mount=type=bind,source={dir},target=/dev/pipes"));
            out.changes.push((
                line,
                format!(
                    "RUN <<{} (a script with #!) run from /dev/pipes/{}",
                    doc.name, doc.name
                ),
            ));
            format!("/dev/pipes/{}", doc.name)
        } else {
            out.changes.push((
                line,
                format!("RUN <<{}: its body is the shell's script", doc.name),
            ));
            doc.content.clone()
        }
    } else {
        let mut full = rest.to_string();
        for doc in &inst.heredocs {
            full.push('\n');
            full.push_str(&doc.content);
            full.push_str(&doc.name);
        }
        out.changes
            .push((line, "RUN with heredocs: handed whole to the shell".into()));
        full
    };
    let mut args: Vec<String> = shell.to_vec();
    args.push(script);
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    Ok(join(&inst.keyword_raw, &flags, &json_args(&args)))
}

fn lower_copy_heredocs(
    inst: &Instruction,
    flags: &[&str],
    seq: usize,
    out: &mut Lowered,
) -> Result<String, LowerError> {
    let line = inst.start_line();
    let kw = inst.keyword.to_uppercase();
    let mut docs = inst.heredocs.iter();
    let mut words = Vec::with_capacity(inst.args.len());
    let last = inst.args.len().saturating_sub(1);
    for (i, w) in inst.args.iter().enumerate() {
        if i == last || !is_heredoc_word(w) {
            words.push(w.clone());
            continue;
        }
        let Some(doc) = docs.next() else {
            words.push(w.clone());
            continue;
        };
        if doc.expand && (doc.content.contains('$') || doc.content.contains('\\')) {
            return Err(LowerError {
                line,
                message: format!(
                    "{kw} <<{}: its body has `$` or `\\`, which BuildKit expands with the stage's variables, and this engine's built-in frontend (older than Dockerfile 1.4) has no heredocs: quote the delimiter (<<\"{}\") to copy it as written, or put the file in the build context",
                    doc.name, doc.name
                ),
            });
        }
        let path = format!("{LOWERED_DIR}/{seq}-{i}/{}", doc.name);
        out.files.push(LoweredFile {
            path: path.clone(),
            data: body(doc).into_bytes(),
            mode: 0o644,
        });
        out.changes.push((
            line,
            format!("{kw} <<{}: sent as a file of the context", doc.name),
        ));
        words.push(path);
    }
    Ok(join(&inst.keyword_raw, flags, &words.join(" ")))
}

fn lower_add_checksum(
    inst: &Instruction,
    flags: &[&str],
    seq: usize,
    out: &mut Lowered,
) -> Result<String, LowerError> {
    let line = inst.start_line();
    let bad = |message: String| LowerError { line, message };
    let digest = inst.flag("checksum").unwrap_or_default();
    let (algorithm, hex) = digest.split_once(':').ok_or_else(|| {
        bad(format!(
            "ADD --checksum={digest}: a digest is ALGORITHM:HEX, e.g. sha256:…"
        ))
    })?;
    let want_len = match algorithm {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => {
            return Err(bad(format!(
                "ADD --checksum={digest}: the algorithm is sha256, sha384 or sha512"
            )))
        }
    };
    if hex.len() != want_len || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad(format!(
            "ADD --checksum={digest}: a {algorithm} digest is {want_len} hex digits"
        )));
    }
    if inst.json || inst.args.len() != 2 {
        return Err(bad(
            "ADD --checksum takes one source URL and a destination".into()
        ));
    }
    let url = &inst.args[0];
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(bad(format!(
            "ADD --checksum={digest} {url}: a checksum is for an http(s) URL"
        )));
    }
    // BuildKit names the download after the URL's last path segment.
    let path_part = url
        .split_once("://")
        .map_or(url.as_str(), |(_, r)| r)
        .split(['?', '#'])
        .next()
        .unwrap_or_default();
    let name = path_part
        .split_once('/')
        .map_or("", |(_, p)| p)
        .rsplit('/')
        .next()
        .filter(|n| !n.is_empty())
        .unwrap_or("index");
    let path = format!("{LOWERED_DIR}/{seq}/{name}");
    out.fetches.push(Fetch {
        url: url.clone(),
        algorithm: algorithm.to_string(),
        hex: hex.to_ascii_lowercase(),
        path: path.clone(),
        line,
    });
    out.changes.push((
        line,
        format!("ADD --checksum {url}: downloaded and checked by devctl, then copied"),
    ));
    let mut flags: Vec<&str> = flags
        .iter()
        .copied()
        .filter(|f| !is_flag(f, "keep-git-dir"))
        .collect();
    let mode;
    if inst.flag("chmod").is_none() {
        mode = "--chmod=600".to_string();
        flags.push(&mode);
    }
    let copy = if inst.keyword_raw.chars().all(|c| c.is_ascii_lowercase()) {
        "copy"
    } else {
        "COPY"
    };
    Ok(join(copy, &flags, &format!("{path} {}", inst.args[1])))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn low(src: &str) -> Result<Lowered, LowerError> {
        let df = crate::parse(src).unwrap();
        lower(src, &df)
    }

    #[test]
    fn run_heredoc_becomes_the_shell_script_on_the_same_lines() {
        let src = "FROM b AS app\nSHELL [\"/bin/bash\", \"-ec\"]\nRUN --mount=type=cache,target=/c <<EOF\necho hi\necho \"two\"\nEOF\nUSER app\n";
        let l = low(src).unwrap();
        assert_eq!(
            l.text,
            "FROM b AS app\nSHELL [\"/bin/bash\", \"-ec\"]\nRUN --mount=type=cache,target=/c [\"/bin/bash\",\"-ec\",\"echo hi\\necho \\\"two\\\"\\n\"]\n\n\n\nUSER app\n"
        );
        assert!(l.files.is_empty());
        // what the old parser makes of it
        let df = crate::parse(&l.text).unwrap();
        let run = &df.instructions[2];
        assert!(run.json && run.heredocs.is_empty());
        assert_eq!(run.args, ["/bin/bash", "-ec", "echo hi\necho \"two\"\n"]);
        assert_eq!(df.instructions[3].start_line(), 7);
    }

    #[test]
    fn shells_follow_stages() {
        let src = "FROM b AS one\nSHELL [\"/bin/ash\", \"-c\"]\nFROM one AS two\nRUN <<EOF\nx\nEOF\nFROM b\nRUN <<EOF\ny\nEOF\n";
        let l = low(src).unwrap();
        assert!(
            l.text.contains("RUN [\"/bin/ash\",\"-c\",\"x\\n\"]"),
            "{}",
            l.text
        );
        assert!(
            l.text.contains("RUN [\"/bin/sh\",\"-c\",\"y\\n\"]"),
            "{}",
            l.text
        );
    }

    #[test]
    fn a_shebang_script_is_mounted_and_run_and_complex_heredocs_go_to_the_shell() {
        let src = "FROM b\nRUN <<-EOT\n\t#!/usr/bin/env python3\n\tprint(1)\n\tEOT\nRUN python3 <<EOF > /out\nprint(2)\nEOF\n";
        let l = low(src).unwrap();
        // no chomp happens before the #! test: the body starts with a tab
        assert_eq!(l.files.len(), 0, "{l:?}");
        let src = "FROM b\nRUN <<EOT\n#!/usr/bin/env python3\nprint(1)\nEOT\nRUN python3 <<EOF > /out\nprint(2)\nEOF\n";
        let l = low(src).unwrap();
        assert_eq!(
            l.files,
            [LoweredFile {
                path: ".devctl-lowered/1/EOT".into(),
                data: b"#!/usr/bin/env python3\nprint(1)\n".to_vec(),
                mode: 0o755
            }]
        );
        let lines: Vec<&str> = l.text.lines().collect();
        assert_eq!(
            lines[1],
            "RUN --mount=type=bind,source=.devctl-lowered/1,target=/dev/pipes [\"/bin/sh\",\"-c\",\"/dev/pipes/EOT\"]"
        );
        assert_eq!(
            lines[5],
            "RUN [\"/bin/sh\",\"-c\",\"python3 <<EOF > /out\\nprint(2)\\nEOF\"]"
        );
    }

    #[test]
    fn copy_heredocs_become_context_files_and_link_is_dropped() {
        let src = "FROM b\nCOPY --link --chown=1:1 a <<-'EOF' <<X /dst/\n\tliteral $HOME\n\tEOF\nplain\nX\nCOPY --link=true a /b\n";
        let l = low(src).unwrap();
        let lines: Vec<&str> = l.text.lines().collect();
        assert_eq!(
            lines[1],
            "COPY --chown=1:1 a .devctl-lowered/1-1/EOF .devctl-lowered/1-2/X /dst/"
        );
        assert_eq!(lines[6], "COPY a /b");
        assert_eq!(l.files[0].data, b"literal $HOME\n");
        assert_eq!(l.files[1].data, b"plain\n");
        assert_eq!(l.files[0].mode, 0o644);
        assert_eq!(l.text.lines().count(), src.lines().count());
    }

    #[test]
    fn an_expanding_copy_heredoc_with_variables_is_refused_with_the_fix() {
        let e = low("FROM b\nARG V=1\nCOPY <<EOF /x\nv=$V\nEOF\n").unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.message.contains("<<\"EOF\""), "{}", e.message);
    }

    #[test]
    fn add_checksum_is_fetched_and_copied_with_adds_mode() {
        let h = "a".repeat(64);
        let l = low(&format!(
            "FROM b\nADD --checksum=sha256:{h} --chown=app https://example.com/dl/tool.tgz?x=1 /opt/\n"
        ))
        .unwrap();
        assert_eq!(
            l.fetches,
            [Fetch {
                url: "https://example.com/dl/tool.tgz?x=1".into(),
                algorithm: "sha256".into(),
                hex: h.clone(),
                path: ".devctl-lowered/1/tool.tgz".into(),
                line: 2
            }]
        );
        assert_eq!(
            l.text.lines().nth(1).unwrap(),
            "COPY --chown=app --chmod=600 .devctl-lowered/1/tool.tgz /opt/"
        );
        let e = low("FROM b\nADD --checksum=sha256:abc https://x/y /y\n").unwrap_err();
        assert!(e.message.contains("64 hex digits"), "{}", e.message);
        let e = low(&format!("FROM b\nADD --checksum=sha256:{h} local.tgz /y\n")).unwrap_err();
        assert!(e.message.contains("http(s) URL"), "{}", e.message);
    }

    #[test]
    fn the_official_syntax_directive_goes_and_other_directives_stay_directives() {
        let src = "# syntax=docker/dockerfile:1.7\n# escape=`\nFROM b\nRUN echo `\n  hi\n";
        let df = crate::parse(src).unwrap();
        assert!(needs_lowering(&df));
        let l = lower(src, &df).unwrap();
        assert_eq!(l.text, "# escape=`\n\nFROM b\nRUN echo `\n  hi\n");
        assert_eq!(crate::parse(&l.text).unwrap().escape, '`');
        let plain = crate::parse("# syntax=example.com/my/frontend\nFROM b\n").unwrap();
        assert!(!needs_lowering(&plain));
        assert!(!needs_lowering(
            &crate::parse("FROM b\nRUN x\nCOPY a b\n").unwrap()
        ));
    }
}
