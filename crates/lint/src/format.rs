//! Output formats for lint findings. Pure: findings, a file name and the
//! source lines in, text out.
//!
//! A [`Report`] streams one document for any number of files: `begin()`,
//! then `file()` per linted file, then `end()`; with several files the
//! result is still one JSON array, one SARIF run, one checkstyle root.

use serde::Deserialize;
use serde_json::{json, Value};

use super::{rules, Finding, Severity};

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum OutputFormat {
    /// `file:line:col severity code message`, the source line and a caret
    #[default]
    Tty,
    /// hadolint's JSON: an array of {code, column, file, level, line, message}
    Json,
    /// SARIF 2.1.0 (GitHub code scanning)
    Sarif,
    /// Checkstyle XML
    Checkstyle,
    /// `file:line:col: severity: code message`
    Gnu,
}

impl OutputFormat {
    pub const ALL: [OutputFormat; 5] = [
        OutputFormat::Tty,
        OutputFormat::Json,
        OutputFormat::Sarif,
        OutputFormat::Checkstyle,
        OutputFormat::Gnu,
    ];

    /// The name in `--format`, the config's `format` and `HADOLINT_FORMAT`.
    pub fn as_str(self) -> &'static str {
        match self {
            OutputFormat::Tty => "tty",
            OutputFormat::Json => "json",
            OutputFormat::Sarif => "sarif",
            OutputFormat::Checkstyle => "checkstyle",
            OutputFormat::Gnu => "gnu",
        }
    }

    /// A format by name, any ASCII case (as `HADOLINT_FORMAT` is read).
    pub fn parse(s: &str) -> Option<OutputFormat> {
        OutputFormat::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(s))
    }
}

/// The lines of a source file for carets: split on `\n`, `\r` and a
/// leading BOM dropped, invalid UTF-8 replaced.
pub fn source_lines(src: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(src);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    text.split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l).to_string())
        .collect()
}

/// One document being written.
pub struct Report {
    format: OutputFormat,
    color: bool,
    /// Findings written so far (JSON/SARIF separators).
    written: usize,
    /// SARIF's `tool.driver.version`.
    tool_version: &'static str,
}

impl Report {
    pub fn new(format: OutputFormat, color: bool) -> Self {
        Report {
            format,
            color,
            written: 0,
            tool_version: env!("CARGO_PKG_VERSION"),
        }
    }

    /// The version SARIF names for the tool (default: this crate's); the
    /// binary passes its own.
    pub fn with_tool_version(mut self, version: &'static str) -> Self {
        self.tool_version = version;
        self
    }

    /// The document's opening.
    pub fn begin(&mut self) -> String {
        match self.format {
            OutputFormat::Json => "[".into(),
            OutputFormat::Sarif => sarif_begin(self.tool_version),
            OutputFormat::Checkstyle => {
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<checkstyle version=\"4.3\">\n".into()
            }
            OutputFormat::Tty | OutputFormat::Gnu => String::new(),
        }
    }

    /// One file's findings. `lines` are the file's source lines (for tty
    /// carets; may be empty).
    pub fn file(&mut self, name: &str, findings: &[Finding], lines: &[String]) -> String {
        let mut out = String::new();
        match self.format {
            OutputFormat::Tty => {
                // Findings at the same position share one snippet.
                for (i, f) in findings.iter().enumerate() {
                    out.push_str(&tty_header(name, f, self.color));
                    let next_same = findings
                        .get(i + 1)
                        .is_some_and(|n| n.span.start == f.span.start);
                    if !next_same {
                        out.push_str(&tty_snippet(f, lines, self.color));
                    }
                }
            }
            OutputFormat::Gnu => {
                for f in findings {
                    out.push_str(&format!(
                        "{}:{}:{}: {}: {} {}\n",
                        name,
                        f.line(),
                        f.col(),
                        f.severity.as_str(),
                        f.code,
                        printable(&f.message)
                    ));
                }
            }
            OutputFormat::Json => {
                for f in findings {
                    if self.written > 0 {
                        out.push(',');
                    }
                    self.written += 1;
                    json_finding(&mut out, name, f);
                }
            }
            OutputFormat::Sarif => {
                for f in findings {
                    if self.written > 0 {
                        out.push(',');
                    }
                    self.written += 1;
                    out.push_str(&sarif_result(name, f).to_string());
                }
            }
            OutputFormat::Checkstyle => {
                out.push_str(&format!("<file name=\"{}\">\n", xml_escape(name)));
                for f in findings {
                    out.push_str(&format!(
                        "<error line=\"{}\" column=\"{}\" severity=\"{}\" message=\"{}\" source=\"{}\"/>\n",
                        f.line(),
                        f.col(),
                        f.severity.as_str(),
                        xml_escape(&f.message),
                        xml_escape(&f.code)
                    ));
                }
                out.push_str("</file>\n");
            }
        }
        out
    }

    /// The document's closing.
    pub fn end(&mut self) -> String {
        match self.format {
            OutputFormat::Json => "]\n".into(),
            OutputFormat::Sarif => "]}]}\n".into(),
            OutputFormat::Checkstyle => "</checkstyle>\n".into(),
            OutputFormat::Tty | OutputFormat::Gnu => String::new(),
        }
    }
}

/// Renders a whole document at once: `(file name, findings, source lines)`.
pub fn render(
    format: OutputFormat,
    color: bool,
    files: &[(&str, &[Finding], &[String])],
) -> String {
    let mut r = Report::new(format, color);
    let mut out = r.begin();
    for (name, findings, lines) in files {
        out.push_str(&r.file(name, findings, lines));
    }
    out.push_str(&r.end());
    out
}

/// Control characters (but tab) shown escaped, so that file contents cannot
/// drive the terminal.
fn printable(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            let esc: Vec<char> = if c.is_control() && c != '\t' {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            esc
        })
        .collect()
}

fn paint(s: &str, sev: Severity, color: bool) -> String {
    if !color {
        return s.to_string();
    }
    let code = match sev {
        Severity::Error => "1;31",
        Severity::Warning => "33",
        Severity::Info => "36",
        Severity::Style | Severity::Ignore => "2",
    };
    format!("\x1b[{code}m{s}\x1b[0m")
}

/// Longest source excerpt shown under a finding (characters).
const SNIPPET_MAX: usize = 160;

fn tty_header(name: &str, f: &Finding, color: bool) -> String {
    format!(
        "{}:{}:{} {} {} {}\n",
        name,
        f.line(),
        f.col(),
        paint(f.severity.as_str(), f.severity, color),
        if color {
            format!("\x1b[1m{}\x1b[0m", f.code)
        } else {
            f.code.clone()
        },
        printable(&f.message)
    )
}

/// The source line and a caret under the finding's column.
fn tty_snippet(f: &Finding, lines: &[String], color: bool) -> String {
    let mut out = String::new();
    let Some(line) = f.line().checked_sub(1).and_then(|i| lines.get(i)) else {
        return out;
    };
    // A window of the line around the column, for very long lines.
    let col0 = f.col().saturating_sub(1);
    let total = line.chars().count();
    let start = if total > SNIPPET_MAX {
        col0.saturating_sub(SNIPPET_MAX / 3)
            .min(total - SNIPPET_MAX)
    } else {
        0
    };
    let shown: Vec<char> = line.chars().skip(start).take(SNIPPET_MAX).collect();
    let mut text = String::new();
    let mut pad = String::new();
    if start > 0 {
        text.push('…');
        pad.push(' ');
    }
    for (i, c) in shown.iter().enumerate() {
        let c = if c.is_control() && *c != '\t' {
            '\u{fffd}'
        } else {
            *c
        };
        text.push(c);
        if start + i < col0 {
            pad.push(if c == '\t' { '\t' } else { ' ' });
        }
    }
    if start + shown.len() < total {
        text.push('…');
    }
    let num = f.line().to_string();
    let gutter = " ".repeat(num.len());
    out.push_str(&format!(
        " {num} | {text}\n {gutter} | {pad}{}\n",
        paint("^", f.severity, color)
    ));
    out
}

/// SARIF's three levels; info and style are notes.
fn sarif_level(sev: Severity) -> &'static str {
    match sev {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info | Severity::Style => "note",
        Severity::Ignore => "none",
    }
}

fn help_uri(code: &str) -> Option<String> {
    if code.starts_with("DL") {
        Some(format!("https://github.com/hadolint/hadolint/wiki/{code}"))
    } else if code.starts_with("SC") {
        Some(format!("https://www.shellcheck.net/wiki/{code}"))
    } else if super::pragma::is_buildkit_check(code) {
        Some(format!(
            "https://docs.docker.com/reference/build-checks/{}/",
            kebab(code)
        ))
    } else {
        None
    }
}

/// `StageNameCasing` -> `stage-name-casing`, `JSONArgsRecommended` ->
/// `json-args-recommended`.
fn kebab(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::new();
    for (i, c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            let prev_lower = chars[i - 1].is_ascii_lowercase() || chars[i - 1].is_ascii_digit();
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            if prev_lower || (chars[i - 1].is_ascii_uppercase() && next_lower) {
                out.push('-');
            }
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

fn sarif_begin(version: &str) -> String {
    let rules: Vec<Value> = rules::all()
        .map(|r| {
            let mut v = json!({
                "id": r.code,
                "shortDescription": { "text": r.summary },
                "defaultConfiguration": { "level": sarif_level(r.severity) },
            });
            if let Some(u) = help_uri(r.code) {
                v["helpUri"] = json!(u);
            }
            v
        })
        .collect();
    let tool = json!({ "driver": {
        "name": "devctl",
        "informationUri": "https://github.com/hadolint/hadolint",
        "version": version,
        "rules": rules,
    }});
    // Written by hand up to the open results array, for streaming.
    format!(
        r#"{{"$schema":"https://json.schemastore.org/sarif-2.1.0.json","version":"2.1.0","runs":[{{"tool":{tool},"columnKind":"unicodeCodePoints","results":["#
    )
}

/// A relative URI reference for a path: `/` separators, reserved characters
/// percent-encoded.
fn path_uri(name: &str) -> String {
    let path = name.replace('\\', "/");
    let b = path.as_bytes();
    // Absolute paths become file URIs (`/x`, `C:/x`).
    let (mut out, rest) = if path.starts_with('/') {
        ("file://".to_string(), path.as_str())
    } else if b.len() > 2 && b[0].is_ascii_alphabetic() && &b[1..3] == b":/" {
        (format!("file:///{}:", b[0] as char), &path[2..])
    } else {
        (String::new(), path.as_str())
    };
    for c in rest.bytes() {
        if c.is_ascii_alphanumeric() || b"-._~/".contains(&c) {
            out.push(c as char);
        } else {
            out.push_str(&format!("%{c:02X}"));
        }
    }
    out
}

fn sarif_result(name: &str, f: &Finding) -> Value {
    let mut v = json!({
        "ruleId": f.code,
        "level": sarif_level(f.severity),
        "message": { "text": f.message },
        "locations": [{
            "physicalLocation": {
                "artifactLocation": { "uri": path_uri(name) },
                "region": {
                    "startLine": f.line().max(1),
                    "startColumn": f.col().max(1),
                },
            },
        }],
    });
    if let Some(i) = rules::all().position(|r| r.code == f.code) {
        v["ruleIndex"] = json!(i);
    }
    v
}

/// hadolint's JSON object for one finding, keys in its (sorted) order.
fn json_finding(out: &mut String, name: &str, f: &Finding) {
    #[derive(serde::Serialize)]
    struct Json<'a> {
        code: &'a str,
        column: usize,
        file: &'a str,
        level: &'a str,
        line: usize,
        message: &'a str,
    }
    let j = Json {
        code: &f.code,
        column: f.col(),
        file: name,
        level: f.severity.as_str(),
        line: f.line(),
        message: &f.message,
    };
    // Strings and integers only: serialising cannot fail.
    if let Ok(text) = serde_json::to_string(&j) {
        out.push_str(&text);
    }
}

/// Escapes text for an XML attribute; characters XML 1.0 cannot hold become
/// U+FFFD.
fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use devctl_dockerfile::{Pos, Span};

    fn finding(code: &str, sev: Severity, line: usize, col: usize, msg: &str) -> Finding {
        let p = Pos { line, col };
        Finding {
            code: code.into(),
            severity: sev,
            message: msg.into(),
            span: Span { start: p, end: p },
        }
    }

    fn sample() -> (Vec<Finding>, Vec<String>) {
        (
            vec![
                finding("DL1000", Severity::Error, 2, 3, "bad <thing> & \"more\""),
                finding("DL3059", Severity::Info, 3, 1, "Multiple consecutive `RUN`"),
            ],
            source_lines(b"FROM a\n  FOO x\nRUN b\n"),
        )
    }

    #[test]
    fn tty_plain_has_position_snippet_and_caret() {
        let (f, l) = sample();
        let out = render(OutputFormat::Tty, false, &[("Dockerfile", &f, &l)]);
        assert_eq!(
            out,
            "Dockerfile:2:3 error DL1000 bad <thing> & \"more\"\n 2 |   FOO x\n   |   ^\nDockerfile:3:1 info DL3059 Multiple consecutive `RUN`\n 3 | RUN b\n   | ^\n"
        );
        assert!(!out.contains('\x1b'));
    }

    #[test]
    fn tty_findings_at_one_position_share_the_snippet() {
        let f = vec![
            finding("DL3008", Severity::Warning, 1, 1, "a"),
            finding("DL3014", Severity::Warning, 1, 1, "b"),
        ];
        let out = render(OutputFormat::Tty, false, &[("D", &f, &["RUN x".into()])]);
        assert_eq!(
            out,
            "D:1:1 warning DL3008 a\nD:1:1 warning DL3014 b\n 1 | RUN x\n   | ^\n"
        );
    }

    #[test]
    fn tty_colour_only_when_enabled() {
        let (f, l) = sample();
        let out = render(OutputFormat::Tty, true, &[("Dockerfile", &f, &l)]);
        assert!(out.contains("\x1b[1;31merror\x1b[0m"), "{out:?}");
        assert!(out.contains("\x1b[36minfo\x1b[0m"), "{out:?}");
    }

    #[test]
    fn tty_long_line_is_windowed_and_controls_escaped() {
        let long = format!("RUN {}X{}", "a".repeat(5000), "b".repeat(5000));
        let f = vec![finding("DL3000", Severity::Error, 1, 5005, "m\x1b[2J")];
        let out = render(OutputFormat::Tty, false, &[("D", &f, &[long])]);
        assert!(out.len() < 600, "{}", out.len());
        assert!(!out.contains('\x1b'));
        let lines: Vec<&str> = out.lines().collect();
        let x = lines[1].chars().position(|c| c == 'X').unwrap();
        let caret = lines[2].chars().position(|c| c == '^').unwrap();
        assert_eq!(x, caret);
    }

    #[test]
    fn tty_tab_keeps_caret_aligned() {
        let f = vec![finding("DL3000", Severity::Error, 1, 2, "m")];
        let out = render(
            OutputFormat::Tty,
            false,
            &[("D", &f, &["\tWORKDIR x".into()])],
        );
        assert!(out.ends_with(" 1 | \tWORKDIR x\n   | \t^\n"), "{out:?}");
    }

    #[test]
    fn gnu_lines() {
        let (f, l) = sample();
        assert_eq!(
            render(OutputFormat::Gnu, false, &[("a/Dockerfile", &f, &l)]),
            "a/Dockerfile:2:3: error: DL1000 bad <thing> & \"more\"\na/Dockerfile:3:1: info: DL3059 Multiple consecutive `RUN`\n"
        );
    }

    #[test]
    fn json_is_hadolints_shape_across_files() {
        let (f, l) = sample();
        let out = render(
            OutputFormat::Json,
            false,
            &[("-", &f[..1], &l), ("b", &[], &[]), ("c", &f[1..], &l)],
        );
        assert!(out.starts_with(
            r#"[{"code":"DL1000","column":3,"file":"-","level":"error","line":2,"message":"#
        ));
        let v: Value = serde_json::from_str(&out).unwrap();
        let arr = v.as_array().unwrap();
        assert_eq!(arr.len(), 2);
        assert_eq!(arr[1]["file"], "c");
        assert_eq!(arr[1]["level"], "info");
        assert_eq!(
            render(OutputFormat::Json, false, &[("a", &[], &[])]),
            "[]\n"
        );
    }

    #[test]
    fn sarif_structure() {
        let (f, l) = sample();
        let out = render(
            OutputFormat::Sarif,
            false,
            &[("dir with space/Dockerfile", &f, &l), ("x", &f[..1], &l)],
        );
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["version"], "2.1.0");
        assert!(v["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
        let run = &v["runs"][0];
        assert_eq!(v["runs"].as_array().unwrap().len(), 1);
        assert_eq!(run["tool"]["driver"]["name"], "devctl");
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        assert!(rules
            .iter()
            .any(|r| r["id"] == "DL1000" && r["shortDescription"]["text"].is_string()));
        let results = run["results"].as_array().unwrap();
        assert_eq!(results.len(), 3);
        assert_eq!(results[0]["ruleId"], "DL1000");
        assert_eq!(results[0]["level"], "error");
        assert_eq!(results[1]["level"], "note");
        let idx = results[0]["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[idx]["id"], "DL1000");
        let loc = &results[0]["locations"][0]["physicalLocation"];
        assert_eq!(
            loc["artifactLocation"]["uri"],
            "dir%20with%20space/Dockerfile"
        );
        assert_eq!(loc["region"]["startLine"], 2);
        assert_eq!(loc["region"]["startColumn"], 3);
        // no files: still a valid document
        let v: Value = serde_json::from_str(&render(OutputFormat::Sarif, false, &[])).unwrap();
        assert_eq!(v["runs"][0]["results"], json!([]));
    }

    #[test]
    fn checkstyle_escapes_and_groups_by_file() {
        let (f, l) = sample();
        let out = render(
            OutputFormat::Checkstyle,
            false,
            &[("a&b", &f, &l), ("c", &[], &l)],
        );
        assert!(out.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<checkstyle version=\"4.3\">\n<file name=\"a&amp;b\">\n"));
        assert!(out.contains(
            "<error line=\"2\" column=\"3\" severity=\"error\" message=\"bad &lt;thing&gt; &amp; &quot;more&quot;\" source=\"DL1000\"/>"
        ));
        assert!(out.contains("<file name=\"c\">\n</file>\n"));
        assert!(out.ends_with("</checkstyle>\n"));
        assert_eq!(xml_escape("a\x01b"), "a\u{fffd}b");
    }

    #[test]
    fn sarif_uris() {
        assert_eq!(path_uri("a b/Dockerfile"), "a%20b/Dockerfile");
        assert_eq!(
            path_uri("/srv/app/Dockerfile"),
            "file:///srv/app/Dockerfile"
        );
        assert_eq!(path_uri("C:\\app\\Dockerfile"), "file:///C:/app/Dockerfile");
        assert_eq!(path_uri("-"), "-");
    }

    #[test]
    fn kebab_names() {
        assert_eq!(kebab("StageNameCasing"), "stage-name-casing");
        assert_eq!(kebab("JSONArgsRecommended"), "json-args-recommended");
        assert_eq!(kebab("FromAsCasing"), "from-as-casing");
    }

    #[test]
    fn source_lines_strip_bom_and_cr() {
        assert_eq!(
            source_lines(b"\xef\xbb\xbfFROM a\r\nRUN b"),
            vec!["FROM a", "RUN b"]
        );
    }

    #[test]
    fn json_escapes_quotes_backslashes_and_control_characters() {
        let f = vec![finding(
            "DL3000",
            Severity::Error,
            1,
            1,
            "q \" b \\ t\tn\nr\r \u{0}\u{8}\u{c}\u{1f}\u{7f} ✓",
        )];
        assert_eq!(
            render(OutputFormat::Json, false, &[("dir \"x\"/D", &f, &[])]),
            "[{\"code\":\"DL3000\",\"column\":1,\"file\":\"dir \\\"x\\\"/D\",\"level\":\"error\",\"line\":1,\"message\":\"q \\\" b \\\\ t\\tn\\nr\\r \\u0000\\b\\f\\u001f\u{7f} ✓\"}]\n"
        );
    }
}
