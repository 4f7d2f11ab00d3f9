//! `.env` and the process environment: dotenvy parses the file, the process
//! environment overrides it (as compose does), and AUTO_START_SERVER is
//! resolved here. Pure apart from [`process_env`].

use std::collections::BTreeMap;
use std::fmt;

/// The merged environment used for interpolation and AUTO_START_SERVER.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Env {
    /// `.env` merged with the process environment (process wins).
    pub vars: BTreeMap<String, String>,
    /// Keys that came from the .env file (for reporting).
    pub from_file: BTreeMap<String, String>,
}

impl Env {
    /// Builds the merged environment from parsed `.env` pairs and the
    /// process environment.
    pub fn merge(
        dotenv: Vec<(String, String)>,
        process: impl IntoIterator<Item = (String, String)>,
    ) -> Env {
        let from_file: BTreeMap<String, String> = dotenv.into_iter().collect();
        let mut vars = from_file.clone();
        vars.extend(process);
        Env { vars, from_file }
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.vars.get(key).map(String::as_str)
    }
}

/// The process environment as UTF-8 pairs (others are skipped).
pub fn process_env() -> Vec<(String, String)> {
    std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect()
}

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
                        let (line, col, _) = crate::project::load::line_col(text, at);
                        (line, col)
                    }
                    None => {
                        let (_, line, col) = locate(text, &bad, idx);
                        (line, col)
                    }
                };
                let source_line = mask_env_line(if line > 0 {
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
    let (line, col, _) = crate::project::load::line_col(text, at);
    (at, line, col)
}

/// The values devctl must never print that the env file and the process
/// environment give: those of secret-looking keys set in the env file (and
/// the value in effect when the process environment overrides one), and
/// the password of every URL in any value. A process variable is not a
/// secret by its key alone (`PWD`, `XDG_SESSION_ID`…); see
/// [`referenced_secret_values`]. The scrubber drops values too short to hide.
pub fn secret_values(env: &Env) -> Vec<String> {
    let mut v = file_secret_values(env.from_file.iter());
    for (k, _) in env.from_file.iter().filter(|(k, _)| looks_secret(k)) {
        v.extend(env.vars.get(k).cloned());
    }
    for val in env.vars.values() {
        v.extend(
            crate::out::url_passwords(val)
                .into_iter()
                .map(str::to_string),
        );
    }
    v
}

/// Values of secret-looking keys and URL passwords in parsed env-file
/// pairs (`.env`, a service's `env_file`).
pub fn file_secret_values<'a>(
    pairs: impl IntoIterator<Item = (&'a String, &'a String)>,
) -> Vec<String> {
    let mut v = Vec::new();
    for (k, val) in pairs {
        if looks_secret(k) {
            v.push(val.clone());
        }
        v.extend(
            crate::out::url_passwords(val)
                .into_iter()
                .map(str::to_string),
        );
    }
    v
}

/// Values of secret-looking process variables that `config_text`
/// (devctl.toml) interpolates (`$NAME`, `${NAME…}`): a token passed as
/// `API_TOKEN=… devctl start` is hidden wherever devctl.toml puts it.
pub fn referenced_secret_values(env: &Env, config_text: &str) -> Vec<String> {
    let names = referenced_names(config_text);
    env.vars
        .iter()
        .filter(|(k, _)| looks_secret(k) && names.iter().any(|n| n == *k))
        .map(|(_, v)| v.clone())
        .collect()
}

/// The variable names `$NAME` / `${NAME` in `text` (`$$` skipped).
fn referenced_names(text: &str) -> Vec<&str> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'$' {
            i += 1;
            continue;
        }
        if b.get(i + 1) == Some(&b'$') {
            i += 2;
            continue;
        }
        let start = if b.get(i + 1) == Some(&b'{') {
            i + 2
        } else {
            i + 1
        };
        let mut end = start;
        while end < b.len() && (b[end] == b'_' || b[end].is_ascii_alphanumeric()) {
            end += 1;
        }
        if end > start {
            out.push(&text[start..end]);
        }
        i = end.max(i + 1);
    }
    out
}

fn looks_secret(key: &str) -> bool {
    crate::gen::compose::looks_secret(key)
}

/// A `.env` line as shown in an error: the value of a secret-looking key
/// masked (`export` and quotes tolerated), and any URL password in it.
pub fn mask_env_line(line: &str) -> String {
    let masked = crate::out::mask_url_passwords(line).into_owned();
    let Some((k, _)) = masked.split_once('=') else {
        return masked;
    };
    let key = k.trim().trim_start_matches("export ").trim();
    if looks_secret(key) {
        format!("{k}={}", crate::out::MASK)
    } else {
        masked
    }
}

/// How AUTO_START_SERVER resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoStart {
    pub on: bool,
    /// Set when the value was not recognised (then `on` is false).
    pub warning: Option<String>,
}

/// `true/1/yes/on` (any case) → on; absent, empty, `false/0/no/off` → off;
/// anything else → off with a warning naming the value.
pub fn auto_start_server(value: Option<&str>) -> AutoStart {
    let Some(raw) = value else {
        return AutoStart {
            on: false,
            warning: None,
        };
    };
    let v = raw.trim().to_ascii_lowercase();
    match v.as_str() {
        "true" | "1" | "yes" | "on" => AutoStart { on: true, warning: None },
        "" | "false" | "0" | "no" | "off" => AutoStart { on: false, warning: None },
        _ => AutoStart {
            on: false,
            warning: Some(format!(
                "AUTO_START_SERVER={raw:?} is not one of true/1/yes/on or false/0/no/off: treating it as off"
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn parses_common_dotenv_syntax() {
        let text = "# comment\nA=1\nexport B=\"two words\"\nC=\"quoted # not comment\"\nD='single $A'\nE=${A}x\n\nF=\n";
        let got = parse_dotenv(text).unwrap();
        assert_eq!(
            got,
            pairs(&[
                ("A", "1"),
                ("B", "two words"),
                ("C", "quoted # not comment"),
                ("D", "single $A"),
                ("E", "1x"),
                ("F", "")
            ])
        );
    }

    #[test]
    fn bad_line_reports_its_line_number() {
        let text = "A=1\nB=2\nthis line is bad\nC=3\n";
        let e = parse_dotenv(text).unwrap_err();
        assert_eq!(e.line, 3);
        assert_eq!(e.source_line, "this line is bad");
        assert!(e.to_string().starts_with("3:"), "{e}");
        let e = parse_dotenv("A=1\nB=two words\nC=1\n").unwrap_err();
        assert_eq!((e.line, e.col), (2, 6), "{e:?}");
        assert_eq!(e.source_line, "B=two words");
    }

    #[test]
    fn unterminated_quote_is_an_error() {
        let e = parse_dotenv("A=1\nB=\"open\n").unwrap_err();
        assert_eq!(e.line, 2, "{e:?}");
    }

    #[test]
    fn unterminated_quote_blames_the_line_where_it_opened() {
        let e = parse_dotenv("A=1\nB=\"open\nC=3\n# note\nD=4\n").unwrap_err();
        assert_eq!((e.line, e.col), (2, 3), "{e:?}");
        assert_eq!(e.source_line, "B=\"open");
        assert!(
            e.message.contains("quote opened here is never closed"),
            "{e}"
        );
        let e = parse_dotenv("A='it''s\nB=x\nC=y").unwrap_err();
        assert_eq!((e.line, e.col), (1, 7), "{e:?}");
        assert!(e.message.contains("the ' quote"), "{e}");
        // a closed multi-line value before it does not confuse it
        let e = parse_dotenv("A=\"one\ntwo\"\nB=\"x\" C=\"y\nD=1\n").unwrap_err();
        assert_eq!((e.line, e.col), (3, 9), "{e:?}");
        // an escaped quote does not open one
        assert_eq!(
            parse_dotenv("A=\"a\\\"b\"\nB=1\n").unwrap(),
            pairs(&[("A", "a\"b"), ("B", "1")])
        );
        // a secret's line is masked in the error
        let e = parse_dotenv("A=1\nAPI_TOKEN=\"hunter2\nC=3\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(!e.to_string().contains("hunter2") && !e.source_line.contains("hunter2"));
    }

    #[test]
    fn bom_and_crlf_are_accepted() {
        let got = parse_dotenv("\u{feff}A=1\r\nB=\"two words\"\r\n# c\r\nC='x'\r\n").unwrap();
        assert_eq!(got, pairs(&[("A", "1"), ("B", "two words"), ("C", "x")]));
        let e = parse_dotenv("\u{feff}A=1\r\nB=two words\r\n").unwrap_err();
        assert_eq!((e.line, e.col), (2, 6), "{e:?}");
        assert_eq!(e.source_line, "B=two words");
        let e = parse_dotenv("\u{feff}bad line\r\n").unwrap_err();
        assert_eq!(e.line, 1, "{e:?}");
        assert!(!e.source_line.contains('\u{feff}'), "{e:?}");
    }

    #[test]
    fn bad_secret_line_is_masked_in_the_error() {
        let e = parse_dotenv("A=1\nSECRET_KEY=hunter2 hunter3\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(!e.to_string().contains("hunter"), "{e}");
        assert!(!e.source_line.contains("hunter"), "{e:?}");
        assert_eq!(e.source_line, "SECRET_KEY=********");
        let e = parse_dotenv("export API_TOKEN=\"open\n").unwrap_err();
        assert!(!e.source_line.contains("open"), "{e:?}");
        let e = parse_dotenv("NAME=two words\n").unwrap_err();
        assert_eq!(e.source_line, "NAME=two words", "other keys stay visible");
    }

    #[test]
    fn secrets_come_from_the_file_by_key_and_from_urls_anywhere() {
        let env = Env::merge(
            pairs(&[
                ("DB_PASSWORD", "hunter22"),
                ("API_TOKEN", "from-file"),
                ("NAME", "public-name"),
                ("DATABASE_URL", "postgres://app:urlpass1@db/app"),
            ]),
            pairs(&[
                ("API_TOKEN", "from-process"),
                ("PWD", "/home/me/project"),
                ("XDG_SESSION_ID", "8000"),
                ("GITHUB_TOKEN", "not-referenced"),
                ("DOCKER_HOST", "tcp://me:dockerpw@h:2376"),
            ]),
        );
        let mut got = secret_values(&env);
        got.sort();
        got.dedup();
        assert_eq!(
            got,
            vec![
                "dockerpw",
                "from-file",
                "from-process",
                "hunter22",
                "urlpass1"
            ],
            "process variables are not secrets by key alone"
        );
        assert_eq!(
            referenced_secret_values(&env, "command = \"x --t ${GITHUB_TOKEN} $PWD $$API_TOKEN\""),
            vec!["not-referenced".to_string()]
        );
        assert!(referenced_secret_values(&env, "x = \"$GITHUB_TOKENS\"").is_empty());
    }

    #[test]
    fn a_bad_line_with_a_url_password_is_masked_in_the_error() {
        let e = parse_dotenv("DATABASE_URL=postgres://u:hunter2@db/x y\n").unwrap_err();
        assert!(!e.to_string().contains("hunter2"), "{e}");
        assert!(!e.source_line.contains("hunter2"), "{e:?}");
        assert!(
            e.source_line.contains("postgres://u:********@db/x y"),
            "{e:?}"
        );
    }

    #[test]
    fn process_env_overrides_dotenv() {
        let env = Env::merge(
            pairs(&[("A", "file"), ("B", "file")]),
            pairs(&[("B", "process"), ("C", "process")]),
        );
        assert_eq!(env.get("A"), Some("file"));
        assert_eq!(env.get("B"), Some("process"));
        assert_eq!(env.get("C"), Some("process"));
        assert_eq!(env.from_file.len(), 2);
    }

    #[test]
    fn auto_start_values() {
        for on in [
            "true", "TRUE", "True", "1", "yes", "YES", "on", "On", " on ",
        ] {
            assert_eq!(
                auto_start_server(Some(on)),
                AutoStart {
                    on: true,
                    warning: None
                },
                "{on}"
            );
        }
        for off in ["", "false", "FALSE", "0", "no", "No", "off", "OFF"] {
            assert_eq!(
                auto_start_server(Some(off)),
                AutoStart {
                    on: false,
                    warning: None
                },
                "{off}"
            );
        }
        assert_eq!(
            auto_start_server(None),
            AutoStart {
                on: false,
                warning: None
            }
        );
        for weird in ["2", "enabled", "tru", "y"] {
            let r = auto_start_server(Some(weird));
            assert!(!r.on);
            let w = r.warning.unwrap();
            assert!(w.contains(&format!("{weird:?}")), "{w}");
        }
    }
}
