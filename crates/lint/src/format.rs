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
    /// Code Climate issues, each followed by a NUL byte (exit 0, as hadolint)
    Codeclimate,
    /// GitLab Code Quality: a JSON array of Code Climate issues with fingerprints
    #[serde(rename = "gitlab_codeclimate")]
    #[cfg_attr(feature = "clap", value(name = "gitlab_codeclimate"))]
    GitlabCodeclimate,
    /// Codacy: one JSON object per finding (exit 0, as hadolint)
    Codacy,
    /// SonarQube's generic issue import format
    Sonarqube,
    /// JUnit XML: one test suite per file, one failing test case per finding
    Junit,
}

impl OutputFormat {
    pub const ALL: [OutputFormat; 10] = [
        OutputFormat::Tty,
        OutputFormat::Json,
        OutputFormat::Sarif,
        OutputFormat::Checkstyle,
        OutputFormat::Gnu,
        OutputFormat::Codeclimate,
        OutputFormat::GitlabCodeclimate,
        OutputFormat::Codacy,
        OutputFormat::Sonarqube,
        OutputFormat::Junit,
    ];

    /// The name in `--format`, the config's `format` and `HADOLINT_FORMAT`.
    pub fn as_str(self) -> &'static str {
        match self {
            OutputFormat::Tty => "tty",
            OutputFormat::Json => "json",
            OutputFormat::Sarif => "sarif",
            OutputFormat::Checkstyle => "checkstyle",
            OutputFormat::Gnu => "gnu",
            OutputFormat::Codeclimate => "codeclimate",
            OutputFormat::GitlabCodeclimate => "gitlab_codeclimate",
            OutputFormat::Codacy => "codacy",
            OutputFormat::Sonarqube => "sonarqube",
            OutputFormat::Junit => "junit",
        }
    }

    /// hadolint exits 0 whatever it found in these formats (its
    /// `shallSkipErrorStatus`): the CI services read the report instead.
    pub fn skips_error_status(self) -> bool {
        matches!(self, OutputFormat::Codeclimate | OutputFormat::Codacy)
    }

    /// The formats in which hadolint's `--file-path-in-report` replaces the
    /// file name (hadolint 2.15.1: not json, sarif, gnu, tty or codacy).
    pub fn takes_file_path_in_report(self) -> bool {
        matches!(
            self,
            OutputFormat::Checkstyle
                | OutputFormat::Codeclimate
                | OutputFormat::GitlabCodeclimate
                | OutputFormat::Sonarqube
                | OutputFormat::Junit
        )
    }

    /// Every name, for messages: `tty, json, …, sonarqube or junit`.
    pub fn names() -> String {
        let names: Vec<&str> = OutputFormat::ALL.iter().map(|f| f.as_str()).collect();
        match names.split_last() {
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
            None => String::new(),
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
    /// Files written so far (JUnit's root is written with the first).
    files: usize,
    /// JUnit's run time stamp: seconds since the Unix epoch (UTC).
    run_time: u64,
}

impl Report {
    pub fn new(format: OutputFormat, color: bool) -> Self {
        Report {
            format,
            color,
            written: 0,
            tool_version: env!("CARGO_PKG_VERSION"),
            files: 0,
            run_time: 0,
        }
    }

    /// The run's time for JUnit's `testsuites` id and name (seconds since
    /// the Unix epoch; default 0). The binary passes the clock's.
    pub fn with_run_time(mut self, unix_secs: u64) -> Self {
        self.run_time = unix_secs;
        self
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
            OutputFormat::GitlabCodeclimate => "[".into(),
            OutputFormat::Sonarqube => "{\"issues\":[".into(),
            // JUnit's root waits for the first file: with none it is empty.
            OutputFormat::Tty
            | OutputFormat::Gnu
            | OutputFormat::Codeclimate
            | OutputFormat::Codacy
            | OutputFormat::Junit => String::new(),
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
            OutputFormat::Codeclimate => {
                for f in findings {
                    out.push_str(&aeson(&codeclimate_issue(name, f, None)));
                    out.push('\0');
                }
            }
            OutputFormat::GitlabCodeclimate => {
                for f in findings {
                    if self.written > 0 {
                        out.push(',');
                    }
                    self.written += 1;
                    out.push_str(&gitlab_issue(name, f));
                }
            }
            OutputFormat::Codacy => {
                for f in findings {
                    out.push_str(&aeson(&Codacy {
                        filename: name,
                        line: f.line(),
                        message: &f.message,
                        pattern_id: &f.code,
                    }));
                }
            }
            OutputFormat::Sonarqube => {
                for f in findings {
                    if self.written > 0 {
                        out.push(',');
                    }
                    self.written += 1;
                    out.push_str(&aeson(&sonarqube_issue(name, f)));
                }
            }
            OutputFormat::Junit => {
                if self.files == 0 {
                    out.push_str(&junit_root(self.run_time));
                    out.push('>');
                }
                out.push_str(&junit_suite(name, findings, self.tool_version));
            }
        }
        self.files += 1;
        out
    }

    /// The document's closing.
    pub fn end(&mut self) -> String {
        match self.format {
            OutputFormat::Json => "]\n".into(),
            OutputFormat::Sarif => "]}]}\n".into(),
            OutputFormat::Checkstyle => "</checkstyle>\n".into(),
            OutputFormat::GitlabCodeclimate => "]".into(),
            OutputFormat::Sonarqube => "]}".into(),
            OutputFormat::Junit if self.files == 0 => format!("{}/>", junit_root(self.run_time)),
            OutputFormat::Junit => "</testsuites>".into(),
            OutputFormat::Tty
            | OutputFormat::Gnu
            | OutputFormat::Codeclimate
            | OutputFormat::Codacy => String::new(),
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

/// hadolint's JSON (aeson): keys in the order the structs below declare
/// them (sorted, as aeson writes them), no spaces, and control characters
/// other than `\n`, `\r` and `\t` as `\u00XX` (serde_json writes `\b` and
/// `\f`; the GitLab fingerprint hashes these bytes).
fn aeson<T: serde::Serialize>(value: &T) -> String {
    struct Aeson;
    impl serde_json::ser::Formatter for Aeson {
        fn write_char_escape<W: ?Sized + std::io::Write>(
            &mut self,
            w: &mut W,
            escape: serde_json::ser::CharEscape,
        ) -> std::io::Result<()> {
            use serde_json::ser::CharEscape;
            match escape {
                CharEscape::Backspace => w.write_all(b"\\u0008"),
                CharEscape::FormFeed => w.write_all(b"\\u000c"),
                other => serde_json::ser::CompactFormatter.write_char_escape(w, other),
            }
        }
    }
    let mut buf = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, Aeson);
    // Strings and integers only: serialising cannot fail.
    if value.serialize(&mut ser).is_err() {
        return String::new();
    }
    String::from_utf8(buf).unwrap_or_default()
}

/// Code Climate's severities (hadolint's mapping).
fn codeclimate_severity(sev: Severity) -> &'static str {
    match sev {
        Severity::Error => "blocker",
        Severity::Warning => "major",
        Severity::Info => "info",
        Severity::Style => "minor",
        Severity::Ignore => "",
    }
}

#[derive(serde::Serialize)]
struct CodeclimateIssue<'a> {
    categories: [&'static str; 1],
    check_name: &'a str,
    description: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    fingerprint: Option<String>,
    location: CodeclimateLocation<'a>,
    severity: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(serde::Serialize)]
#[serde(untagged)]
enum CodeclimateLocation<'a> {
    /// A rule's finding: its line.
    Lines { lines: LineRange, path: &'a str },
    /// A parse error (DL1000): line and column.
    Positions { path: &'a str, positions: PosRange },
}

#[derive(serde::Serialize)]
struct LineRange {
    begin: usize,
    end: usize,
}

#[derive(serde::Serialize, Clone, Copy)]
struct LineCol {
    column: usize,
    line: usize,
}

#[derive(serde::Serialize)]
struct PosRange {
    begin: LineCol,
    end: LineCol,
}

fn codeclimate_issue<'a>(
    name: &'a str,
    f: &'a Finding,
    fingerprint: Option<String>,
) -> CodeclimateIssue<'a> {
    let location = if f.code == "DL1000" {
        let at = LineCol {
            column: f.col(),
            line: f.line(),
        };
        CodeclimateLocation::Positions {
            path: name,
            positions: PosRange { begin: at, end: at },
        }
    } else {
        CodeclimateLocation::Lines {
            lines: LineRange {
                begin: f.line(),
                end: f.line(),
            },
            path: name,
        }
    };
    CodeclimateIssue {
        categories: ["Bug Risk"],
        check_name: &f.code,
        description: &f.message,
        fingerprint,
        location,
        severity: codeclimate_severity(f.severity),
        kind: "issue",
    }
}

/// GitLab's issue: the Code Climate one with `fingerprint`, the SHA-1 of
/// the Code Climate issue's JSON (as hadolint computes it, so that GitLab
/// matches issues across runs of either tool).
fn gitlab_issue(name: &str, f: &Finding) -> String {
    use sha1::{Digest, Sha1};
    let plain = aeson(&codeclimate_issue(name, f, None));
    let digest = Sha1::digest(plain.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    aeson(&codeclimate_issue(name, f, Some(hex)))
}

#[derive(serde::Serialize)]
struct Codacy<'a> {
    filename: &'a str,
    line: usize,
    message: &'a str,
    #[serde(rename = "patternId")]
    pattern_id: &'a str,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct SonarIssue<'a> {
    engine_id: &'static str,
    primary_location: SonarLocation<'a>,
    rule_id: &'a str,
    severity: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct SonarLocation<'a> {
    file_path: &'a str,
    message: &'a str,
    text_range: SonarRange,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct SonarRange {
    end_column: usize,
    end_line: usize,
    start_column: usize,
    start_line: usize,
}

/// SonarQube's issue (hadolint's mapping: errors are bugs, the rest code
/// smells; a parse error is a blocker at its column, a rule's finding spans
/// columns 0–1 of its line). `engineId` stays "Hadolint": SonarQube keys
/// imported issues by engine and rule.
fn sonarqube_issue<'a>(name: &'a str, f: &'a Finding) -> SonarIssue<'a> {
    let parse_error = f.code == "DL1000";
    let (severity, kind) = match f.severity {
        _ if parse_error => ("BLOCKER", "BUG"),
        Severity::Error => ("CRITICAL", "BUG"),
        Severity::Warning => ("MAJOR", "CODE_SMELL"),
        Severity::Info => ("MINOR", "CODE_SMELL"),
        Severity::Style | Severity::Ignore => ("INFO", "CODE_SMELL"),
    };
    let (start_column, end_column) = if parse_error {
        (f.col(), f.col())
    } else {
        (0, 1)
    };
    SonarIssue {
        engine_id: "Hadolint",
        primary_location: SonarLocation {
            file_path: name,
            message: &f.message,
            text_range: SonarRange {
                end_column,
                end_line: f.line(),
                start_column,
                start_line: f.line(),
            },
        },
        rule_id: &f.code,
        severity,
        kind,
    }
}

/// `(year, month, day, hour, minute, second)` in UTC of a Unix time
/// (the proleptic Gregorian calendar; days-from-civil inverted).
fn utc(unix_secs: u64) -> (i64, u32, u32, u32, u32, u32) {
    let days = (unix_secs / 86_400) as i64;
    let secs = (unix_secs % 86_400) as u32;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day, secs / 3600, secs / 60 % 60, secs % 60)
}

/// The XML declaration and JUnit's root element, unclosed.
fn junit_root(unix_secs: u64) -> String {
    let (y, mo, d, h, mi, s) = utc(unix_secs);
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><testsuites id=\"{y:04}{mo:02}{d:02}_{h:02}{mi:02}{s:02}\" name=\"devctl run at {y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}\" time=\"0.001\""
    )
}

/// One file's test suite, in hadolint's layout (attributes sorted, as its
/// XML library writes them; ids kept, so that CI dashboards group the
/// cases as they did; the names say devctl).
fn junit_suite(name: &str, findings: &[Finding], version: &str) -> String {
    let errors = findings.iter().filter(|f| f.code == "DL1000").count();
    let mut out = format!(
        "<testsuite errors=\"{errors}\" failures=\"{}\" id=\"hadolint\" name=\"devctl {}\" time=\"0.001\"",
        findings.len(),
        xml_attr(version)
    );
    if findings.is_empty() {
        out.push_str("/>");
        return out;
    }
    out.push('>');
    // hadolint lists a file's parse error before its rules' findings.
    let (parse, rules): (Vec<&Finding>, Vec<&Finding>) =
        findings.iter().partition(|f| f.code == "DL1000");
    for f in parse {
        let (line, col) = (f.line(), f.col());
        out.push_str(&format!(
            "<testcase id=\"hadolint.error\" name=\"DL1000\" time=\"0.001\"><failure message=\"parse error at line {line}, column {col}\" type=\"error\">{}</failure></testcase>",
            xml_text(&format!(
                "Parse Error in {name}\nLine: {line}\nColumn: {col}\nParse Error: {}\n",
                f.message
            ))
        ));
    }
    for f in rules {
        let sev = f.severity.as_str();
        out.push_str(&format!(
            "<testcase id=\"hadolint.rule.{code}\" time=\"0.001\"><failure id=\"{code}\" message=\"{msg}\" type=\"{sev}\">{body}</failure></testcase>",
            code = xml_attr(&f.code),
            msg = xml_attr(&f.message),
            body = xml_text(&format!(
                "File: {name}\nLine: {}\nCategory: Hadolint - Dockerfile Static Analysis\n{sev}: {}\n",
                f.line(),
                f.message
            )),
        ));
    }
    out.push_str("</testsuite>");
    out
}

/// Characters XML 1.0 cannot hold at all.
fn xml_forbidden(c: char) -> bool {
    ((c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{fffe}' || c == '\u{ffff}'
}

/// An attribute value as hadolint's XML library writes it (`&`, `<`, `"`
/// escaped); line breaks and tabs as character references so that they
/// survive attribute normalisation, forbidden characters as U+FFFD.
fn xml_attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '"' => out.push_str("&quot;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if xml_forbidden(c) => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// Element text as hadolint's XML library writes it (`&`, `<`, `>`
/// escaped; `\r` as a reference so that it is not turned into `\n`).
fn xml_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            c if xml_forbidden(c) => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
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

    /// `FROM x` from stdin, as hadolint 2.15.1 reports it.
    fn dl3006() -> Vec<Finding> {
        vec![finding(
            "DL3006",
            Severity::Warning,
            1,
            1,
            "Always tag the version of an image explicitly",
        )]
    }

    #[test]
    fn codeclimate_is_nul_terminated_issues() {
        let mut f = dl3006();
        f.push(finding("DL3059", Severity::Style, 2, 1, "m"));
        assert_eq!(
            render(OutputFormat::Codeclimate, false, &[("-", &f, &[]), ("e", &[], &[])]),
            "{\"categories\":[\"Bug Risk\"],\"check_name\":\"DL3006\",\"description\":\"Always tag the version of an image explicitly\",\"location\":{\"lines\":{\"begin\":1,\"end\":1},\"path\":\"-\"},\"severity\":\"major\",\"type\":\"issue\"}\0{\"categories\":[\"Bug Risk\"],\"check_name\":\"DL3059\",\"description\":\"m\",\"location\":{\"lines\":{\"begin\":2,\"end\":2},\"path\":\"-\"},\"severity\":\"minor\",\"type\":\"issue\"}\0"
        );
        // a parse error has a position, as hadolint's
        let e = vec![finding("DL1000", Severity::Error, 3, 7, "bad")];
        assert_eq!(
            render(OutputFormat::Codeclimate, false, &[("D", &e, &[])]),
            "{\"categories\":[\"Bug Risk\"],\"check_name\":\"DL1000\",\"description\":\"bad\",\"location\":{\"path\":\"D\",\"positions\":{\"begin\":{\"column\":7,\"line\":3},\"end\":{\"column\":7,\"line\":3}}},\"severity\":\"blocker\",\"type\":\"issue\"}\0"
        );
        assert_eq!(render(OutputFormat::Codeclimate, false, &[]), "");
    }

    #[test]
    fn gitlab_fingerprint_is_hadolints() {
        let f = dl3006();
        assert_eq!(
            render(OutputFormat::GitlabCodeclimate, false, &[("-", &f, &[]), ("-", &f, &[])]),
            "[{\"categories\":[\"Bug Risk\"],\"check_name\":\"DL3006\",\"description\":\"Always tag the version of an image explicitly\",\"fingerprint\":\"bd497ea0b8d4587c72cfa3a28216993b426a1bf3\",\"location\":{\"lines\":{\"begin\":1,\"end\":1},\"path\":\"-\"},\"severity\":\"major\",\"type\":\"issue\"},{\"categories\":[\"Bug Risk\"],\"check_name\":\"DL3006\",\"description\":\"Always tag the version of an image explicitly\",\"fingerprint\":\"bd497ea0b8d4587c72cfa3a28216993b426a1bf3\",\"location\":{\"lines\":{\"begin\":1,\"end\":1},\"path\":\"-\"},\"severity\":\"major\",\"type\":\"issue\"}]"
        );
        // another file, another fingerprint
        let a = render(OutputFormat::GitlabCodeclimate, false, &[("a", &f, &[])]);
        assert!(!a.contains("bd497ea0"), "{a}");
        assert_eq!(render(OutputFormat::GitlabCodeclimate, false, &[]), "[]");
    }

    #[test]
    fn aeson_escapes_controls_as_unicode() {
        let f = vec![finding(
            "DL3000",
            Severity::Error,
            1,
            1,
            "b\u{8}f\u{c}n\nq\"<&>",
        )];
        let out = render(OutputFormat::Codacy, false, &[("D", &f, &[])]);
        assert_eq!(
            out,
            "{\"filename\":\"D\",\"line\":1,\"message\":\"b\\u0008f\\u000cn\\nq\\\"<&>\",\"patternId\":\"DL3000\"}"
        );
    }

    #[test]
    fn codacy_objects_back_to_back() {
        let f = dl3006();
        assert_eq!(
            render(OutputFormat::Codacy, false, &[("-", &f, &[]), ("-", &f, &[])]),
            "{\"filename\":\"-\",\"line\":1,\"message\":\"Always tag the version of an image explicitly\",\"patternId\":\"DL3006\"}".repeat(2)
        );
    }

    #[test]
    fn sonarqube_severities_and_parse_errors() {
        let f = vec![
            finding("DL4000", Severity::Error, 1, 1, "e"),
            finding("DL3006", Severity::Warning, 2, 1, "w"),
            finding("DL3059", Severity::Info, 3, 1, "i"),
            finding("DL3048", Severity::Style, 4, 1, "s"),
            finding("DL1000", Severity::Error, 5, 4, "p"),
        ];
        let out = render(OutputFormat::Sonarqube, false, &[("D", &f, &[])]);
        let v: Value = serde_json::from_str(&out).unwrap();
        let issues = v["issues"].as_array().unwrap();
        let sev: Vec<(&str, &str)> = issues
            .iter()
            .map(|i| (i["severity"].as_str().unwrap(), i["type"].as_str().unwrap()))
            .collect();
        assert_eq!(
            sev,
            [
                ("CRITICAL", "BUG"),
                ("MAJOR", "CODE_SMELL"),
                ("MINOR", "CODE_SMELL"),
                ("INFO", "CODE_SMELL"),
                ("BLOCKER", "BUG")
            ]
        );
        assert_eq!(
            issues[1].to_string(),
            r#"{"engineId":"Hadolint","primaryLocation":{"filePath":"D","message":"w","textRange":{"endColumn":1,"endLine":2,"startColumn":0,"startLine":2}},"ruleId":"DL3006","severity":"MAJOR","type":"CODE_SMELL"}"#
        );
        assert_eq!(
            issues[4]["primaryLocation"]["textRange"],
            json!({"endColumn": 4, "endLine": 5, "startColumn": 4, "startLine": 5})
        );
        assert_eq!(
            render(OutputFormat::Sonarqube, false, &[]),
            "{\"issues\":[]}"
        );
    }

    #[test]
    fn junit_layout() {
        let f = vec![
            finding("SC2140", Severity::Warning, 3, 1, "form \"A\"B <x> & y"),
            finding("DL1000", Severity::Error, 2, 5, "unexpected <"),
        ];
        let mut r = Report::new(OutputFormat::Junit, false)
            .with_tool_version("9.9")
            .with_run_time(1_796_187_193);
        let mut out = r.begin();
        out.push_str(&r.file("a<b", &f, &[]));
        out.push_str(&r.file("c", &[], &[]));
        out.push_str(&r.end());
        assert_eq!(
            out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><testsuites id=\"20261202_045313\" name=\"devctl run at 2026-12-02 04:53:13\" time=\"0.001\">\
<testsuite errors=\"1\" failures=\"2\" id=\"hadolint\" name=\"devctl 9.9\" time=\"0.001\">\
<testcase id=\"hadolint.error\" name=\"DL1000\" time=\"0.001\"><failure message=\"parse error at line 2, column 5\" type=\"error\">Parse Error in a&lt;b\nLine: 2\nColumn: 5\nParse Error: unexpected &lt;\n</failure></testcase>\
<testcase id=\"hadolint.rule.SC2140\" time=\"0.001\"><failure id=\"SC2140\" message=\"form &quot;A&quot;B &lt;x> &amp; y\" type=\"warning\">File: a&lt;b\nLine: 3\nCategory: Hadolint - Dockerfile Static Analysis\nwarning: form \"A\"B &lt;x&gt; &amp; y\n</failure></testcase></testsuite>\
<testsuite errors=\"0\" failures=\"0\" id=\"hadolint\" name=\"devctl 9.9\" time=\"0.001\"/></testsuites>"
        );
        // no files: an empty root
        assert_eq!(
            render(OutputFormat::Junit, false, &[]),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><testsuites id=\"19700101_000000\" name=\"devctl run at 1970-01-01 00:00:00\" time=\"0.001\"/>"
        );
    }

    #[test]
    fn utc_civil_time() {
        assert_eq!(utc(0), (1970, 1, 1, 0, 0, 0));
        assert_eq!(utc(951_868_799), (2000, 2, 29, 23, 59, 59));
        assert_eq!(utc(951_868_800), (2000, 3, 1, 0, 0, 0));
        assert_eq!(utc(1_796_187_193), (2026, 12, 2, 4, 53, 13));
    }

    #[test]
    fn format_names_round_trip() {
        for f in OutputFormat::ALL {
            assert_eq!(OutputFormat::parse(f.as_str()), Some(f));
            let v: OutputFormat = serde_json::from_value(json!(f.as_str())).unwrap();
            assert_eq!(v, f);
        }
        assert_eq!(
            OutputFormat::parse("GITLAB_CODECLIMATE"),
            Some(OutputFormat::GitlabCodeclimate)
        );
        assert!(OutputFormat::names().ends_with("sonarqube or junit"));
    }
}
