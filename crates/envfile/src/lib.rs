//! Env files (`.env`, `--env-file`, a service's `env_file`) read as
//! compose and devctl read them: dotenvy's syntax, a BOM and CRLF
//! accepted, an error at line:col with the offending line shown with its
//! secret values masked.

use std::fmt;

/// A `.env` line that does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DotenvError {
    /// 1-based; 0 when unknown.
    pub line: usize,
    pub col: usize,
    pub message: String,
    /// The offending line as written.
    pub source_line: String,
}

impl fmt::Display for DotenvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.col, self.message)
    }
}

/// Parses `.env` text with dotenvy (`KEY=value`, quotes, `export`, comments,
/// `${VAR}` substitution from earlier lines). Pure apart from dotenvy's own
/// lookup of the process environment for substitution.
/// A leading UTF-8 byte-order mark is skipped (as for devctl.toml); CRLF
/// line endings are read as LF.
pub fn parse_dotenv(text: &str) -> Result<Vec<(String, String)>, DotenvError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Vec::new();
    for item in dotenvy::from_read_iter(text.as_bytes()) {
        match item {
            Ok(pair) => out.push(pair),
            Err(dotenvy::Error::LineParse(bad, idx)) => {
                // A quote left open reads to the end of the file: blame
                // the line where it opened, not the last one.
                let open = (idx == bad.len() && text.ends_with(bad.as_str()))
                    .then(|| unclosed_quote(&bad))
                    .flatten()
                    .map(|at| text.len() - bad.len() + at);
                let (line, col) = match open {
                    Some(at) => {
                        let (line, col, _) = devctl_text::line_col(text, at);
                        (line, col)
                    }
                    None => {
                        let (_, line, col) = locate(text, &bad, idx);
                        (line, col)
                    }
                };
                let source_line = devctl_out::mask_env_line(if line > 0 {
                    text.lines().nth(line - 1).unwrap_or("")
                } else {
                    bad.lines().next().unwrap_or("")
                });
                let message = match open.map(|at| &text[at..at + 1]) {
                    Some(q) => format!(
                        "the {q} quote opened here is never closed (close it, or escape a literal {q} with a backslash)"
                    ),
                    None => "cannot parse this line: expected KEY=value (quote a value holding spaces or special characters)".to_string(),
                };
                return Err(DotenvError {
                    line,
                    col,
                    message,
                    source_line,
                });
            }
            Err(other) => {
                return Err(DotenvError {
                    line: 0,
                    col: 0,
                    message: other.to_string(),
                    source_line: String::new(),
                })
            }
        }
    }
    Ok(out)
}

/// The byte offset in `buf` of a quote still open at its end, following
/// dotenvy's own reading of logical lines (quotes, backslash escapes, a `#`
/// after whitespace starting a comment).
fn unclosed_quote(buf: &str) -> Option<usize> {
    #[derive(Clone, Copy, PartialEq)]
    enum S {
        Complete,
        Escape,
        Strong,
        StrongEsc,
        Weak,
        WeakEsc,
        White,
    }
    let mut s = S::Complete;
    let mut open = None;
    for (i, c) in buf.char_indices() {
        s = match (s, c) {
            (S::White, '#') => return None,
            (S::Complete, c) if c.is_whitespace() && c != '\n' && c != '\r' => S::White,
            (S::White | S::Complete, '\\') => S::Escape,
            (S::White | S::Complete, '"') => {
                open = Some(i);
                S::Weak
            }
            (S::White | S::Complete, '\'') => {
                open = Some(i);
                S::Strong
            }
            (S::White | S::Complete | S::Escape, _) => S::Complete,
            (S::Weak, '\\') => S::WeakEsc,
            (S::Weak, '"') => S::Complete,
            (S::Weak | S::WeakEsc, _) => S::Weak,
            (S::Strong, '\\') => S::StrongEsc,
            (S::Strong, '\'') => S::Complete,
            (S::Strong | S::StrongEsc, _) => S::Strong,
        };
    }
    matches!(s, S::Weak | S::WeakEsc | S::Strong | S::StrongEsc)
        .then_some(open)
        .flatten()
}

/// Where dotenvy's offending text (`bad`, the rest of a line from some
/// point to its end, error at `idx` in it) is in `text`: (byte offset,
/// 1-based line, 1-based column); line 0 when not found.
fn locate(text: &str, bad: &str, idx: usize) -> (usize, usize, usize) {
    let bad = bad.trim_end_matches(['\n', '\r']);
    let hit = text.match_indices(bad).map(|(i, _)| i).find(|&i| {
        let end = i + bad.len();
        end == text.len() || text[end..].starts_with(['\n', '\r']) || bad.contains('\n')
    });
    let Some(start) = hit.filter(|_| !bad.is_empty()) else {
        return (0, 0, 0);
    };
    let at = (start + idx.saturating_sub(1).min(bad.len().saturating_sub(1))).min(text.len());
    let (line, col, _) = devctl_text::line_col(text, at);
    (at, line, col)
}
