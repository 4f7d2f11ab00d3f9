//! `.env` and the process environment: dotenvy parses the file, the process
//! environment overrides it (as compose does), and AUTO_START_SERVER is
//! resolved here. Pure: the caller passes the process environment in.

use std::collections::BTreeMap;

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

    /// A value devctl provides (`APP_UID`): the env file and the process
    /// environment win over it.
    pub fn set_default(&mut self, key: &str, value: String) {
        self.vars.entry(key.to_string()).or_insert(value);
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.vars.get(key).map(String::as_str)
    }
}

pub use devctl_envfile::{parse_dotenv, DotenvError};

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
            devctl_out::url_passwords(val)
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
            devctl_out::url_passwords(val)
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

use devctl_out::looks_secret;

pub use devctl_out::mask_env_line;

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
