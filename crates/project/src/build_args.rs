//! Build args never carry secrets (pure): a build arg's value is stored in
//! the image (`docker history` shows it), so a build arg whose value holds a
//! secret value from `.env` or the environment is a configuration error.
//! What counts as a secret is [`env::secret_values`]'s rule.

use super::env::{self, Env};
use super::load::{locate_key, ConfigError};
use super::model::Config;

/// Refuses every build arg (`[app.build_args]`, a service's `build.args`)
/// whose value, after interpolation, holds a secret value. The error names
/// the arg and its line in devctl.toml, never the value.
pub fn check(file: &str, text: &str, config: &Config, env: &Env) -> Result<(), ConfigError> {
    let secrets = env::secret_values(env);
    if secrets.is_empty() {
        return Ok(());
    }
    let mut args: Vec<(String, &str, &str)> = Vec::new();
    if let Some(app) = &config.app {
        for (k, v) in &app.build_args {
            args.push(("[app.build_args]".into(), k, &v.0));
        }
    }
    for (name, s) in &config.services {
        if let Some(b) = &s.build {
            for (k, v) in &b.args.0 {
                if let Some(v) = v {
                    args.push((format!("[services.{name}]"), k, v));
                }
            }
        }
    }
    for (table, key, value) in args {
        let Some(secret) = secrets.iter().find(|s| holds(value, s)) else {
            continue;
        };
        let whose = env
            .vars
            .iter()
            .find(|(k, v)| *v == secret && devctl_out::looks_secret(k))
            .map(|(k, _)| {
                let from = if env.from_file.get(k) == Some(secret) {
                    "from the env file"
                } else {
                    "from the environment"
                };
                format!("the value of the secret {k} ({from})")
            })
            .or_else(|| {
                // A secret inside a value (the password of a URL).
                env.vars
                    .iter()
                    .find(|(_, v)| holds(v, secret))
                    .map(|(k, _)| format!("a secret from {k}"))
            })
            .unwrap_or_else(|| "a secret value".to_string());
        let span = locate_key(text, &table, key)
            .or_else(|| {
                locate_key(
                    text,
                    &format!("[services.{}.build.args]", service_of(&table)),
                    key,
                )
            })
            .or_else(|| inline_key(text, key));
        let msg = format!(
            "build arg {key} holds {whose}: build args are stored in the image, where `docker history` shows them\n  fix: pass it to the container as a runtime env var instead (or, once devctl supports them, as a build secret), and remove it from {table} of devctl.toml"
        );
        return Err(ConfigError::at(file, text, span, msg));
    }
    Ok(())
}

/// Does `value` hold `secret` as a whole value or a whole word (not as part
/// of a longer run of letters and digits)?
fn holds(value: &str, secret: &str) -> bool {
    if secret.is_empty() {
        return false;
    }
    let mut from = 0;
    while let Some(i) = value[from..].find(secret) {
        let start = from + i;
        let end = start + secret.len();
        let before = value[..start].chars().next_back();
        let after = value[end..].chars().next();
        let edge = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
        if edge(before) && edge(after) {
            return true;
        }
        from = start + value[start..].chars().next().map_or(1, char::len_utf8);
    }
    false
}

fn service_of(table: &str) -> &str {
    table.trim_start_matches("[services.").trim_end_matches(']')
}

/// `KEY = …` inside an inline table (`args = { KEY = "…" }`): the first
/// occurrence of `KEY` followed by `=` at a word boundary.
fn inline_key(text: &str, key: &str) -> Option<std::ops::Range<usize>> {
    let mut from = 0;
    while let Some(i) = text[from..].find(key) {
        let start = from + i;
        let end = start + key.len();
        let before = text[..start].chars().next_back();
        let boundary = before.is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
        if boundary
            && text[end..]
                .trim_start_matches([' ', '\t', '"'])
                .starts_with('=')
        {
            return Some(start..end);
        }
        from = end;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::load;

    fn env(file: &[(&str, &str)], process: &[(&str, &str)]) -> Env {
        Env::merge(
            file.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            process.iter().map(|(k, v)| (k.to_string(), v.to_string())),
        )
    }

    /// Loads devctl.toml, which runs [`check`].
    fn run(toml: &str, e: &Env) -> Result<(), ConfigError> {
        load("devctl.toml", toml, e).map(|_| ())
    }

    const TOKEN: &str = "tok-5f2a9c1e7b";

    #[test]
    fn an_app_build_arg_holding_a_secret_is_refused_without_the_value() {
        let e = env(&[("API_TOKEN", TOKEN)], &[]);
        let toml = "[app]\n\n[app.build_args]\nNPM_AUTH = \"${API_TOKEN}\"\n";
        let err = run(toml, &e).unwrap_err();
        let shown = err.to_string();
        assert_eq!((err.file.as_str(), err.line), ("devctl.toml", 4), "{shown}");
        assert!(shown.contains("build arg NPM_AUTH"), "{shown}");
        assert!(
            shown.contains("the secret API_TOKEN (from the env file)"),
            "{shown}"
        );
        assert!(shown.contains("docker history"), "{shown}");
        assert!(shown.contains("runtime env var"), "{shown}");
        assert!(shown.contains("build secret"), "{shown}");
        assert!(!shown.contains(TOKEN), "{shown}");
        // Inside a longer value (a URL) it is still stored in the history.
        let toml = "[app]\n[app.build_args]\nURL = \"https://x:${API_TOKEN}@h/\"\n";
        assert!(run(toml, &e)
            .unwrap_err()
            .to_string()
            .contains("build arg URL"));
    }

    #[test]
    fn a_service_build_arg_holding_a_secret_is_refused_at_its_line() {
        let e = env(&[("DB_PASSWORD", "hunter2-long")], &[]);
        let toml =
            "[services.tool]\nbuild = { context = \".\", args = { PW = \"${DB_PASSWORD}\" } }\n";
        let err = run(toml, &e).unwrap_err();
        assert_eq!(err.line, 2, "{err}");
        let shown = err.to_string();
        assert!(shown.contains("build arg PW"), "{shown}");
        assert!(!shown.contains("hunter2-long"), "{shown}");
        let toml =
            "[services.tool.build]\ncontext = \".\"\n[services.tool.build.args]\nPW = \"${DB_PASSWORD}\"\n";
        assert_eq!(run(toml, &e).unwrap_err().line, 4);
    }

    #[test]
    fn ordinary_build_args_pass() {
        let e = env(&[("API_TOKEN", TOKEN), ("NODE_VERSION", "20")], &[]);
        let toml = "[app]\n[app.build_args]\nNODE = \"${NODE_VERSION}\"\nOTHER = \"x{TOKEN}y\"\n"
            .replace("{TOKEN}", TOKEN);
        run(&toml, &e).unwrap();
        // Not a secret by key: its value may be used.
        let e = env(&[("NODE_VERSION", TOKEN)], &[]);
        run("[app]\n[app.build_args]\nV = \"${NODE_VERSION}\"\n", &e).unwrap();
    }

    #[test]
    fn holds_matches_whole_values_and_words_only() {
        assert!(holds("abcd", "abcd"));
        assert!(holds("u:abcd@h", "abcd"));
        assert!(!holds("xabcd", "abcd"));
        assert!(!holds("abcd1", "abcd"));
        assert!(holds("abcd1 abcd", "abcd"));
        assert!(!holds("", "abcd"));
    }
}
