//! Errors found in the generated document, told at devctl.toml's line.
//!
//! The engine's plan ([`devctl_engine`]'s `plan`) is the one check of
//! what `start` and `run` will do: ports, mounts, networks, secrets, env
//! files. `config`, `config --check`, doctor and every engine command plan
//! the same document, so they all fail the same way; this module turns the
//! plan's `services.NAME.KEY` into the devctl.toml section and key the
//! value came from, so the message names devctl.toml, never the generated
//! file.

use crate::load::{locate_key, ConfigError};

/// The devctl.toml position of a compose key path (`services.web.ports`,
/// `networks.front`), with `message` (the plan's, without its file and key).
/// `app` is the name of the service `[app]` generates.
pub fn locate(file: &str, text: &str, app: &str, key_path: &str, message: &str) -> ConfigError {
    let mut parts = key_path.splitn(3, '.');
    let (top, name, key) = (parts.next(), parts.next(), parts.next());
    let (header, key, shown) = match (top, name) {
        (Some("services"), Some(n)) if n == app => (
            "[app]".to_string(),
            key.unwrap_or(""),
            format!("[app] {}", key.unwrap_or("")),
        ),
        (Some("services"), Some(n)) => (
            format!("[services.{n}]"),
            key.unwrap_or(""),
            format!("[services.{n}] {}", key.unwrap_or("")),
        ),
        (Some(t), Some(n)) => (
            format!("[{t}.{n}]"),
            key.unwrap_or(""),
            format!("[{t}.{n}]"),
        ),
        _ => ("the top level".to_string(), key_path, key_path.to_string()),
    };
    // The key's own first segment (`healthcheck.interval` is under `healthcheck`).
    let first = key.split('.').next().unwrap_or(key);
    if message.contains('\n') {
        // The message shows its own source line (an env file's): one
        // snippet is enough.
        return ConfigError::at(file, text, None, format!("{}: {message}", shown.trim_end()));
    }
    let span = locate_key(text, &header, first)
        .or_else(|| text.find(&header).map(|i| i..i + header.len()))
        .or_else(|| {
            // an inline table: `web = { … }` under `[services]`
            name.and_then(|n| text.find(&format!("{n} = {{")).map(|i| i..i + n.len()))
        });
    ConfigError::at(file, text, span, format!("{}: {message}", shown.trim_end()))
}

/// Splits a plan error `FILE: KEY: message` into (key path, message) when
/// it names a key of `file`.
pub fn split_plan_error<'a>(file: &str, err: &'a str) -> Option<(&'a str, &'a str)> {
    let rest = err.strip_prefix(file)?.strip_prefix(": ")?;
    let (key, msg) = rest.split_once(": ")?;
    let is_key = !key.is_empty()
        && !key.contains(' ')
        && ["services.", "networks.", "volumes.", "secrets.", "configs."]
            .iter()
            .any(|p| key.starts_with(p));
    is_key.then_some((key, msg))
}

/// The host files devctl.toml names that must exist before anything runs
/// (the engine would make a missing bind source an empty directory): a
/// secret's or config's `file`, and a long-syntax bind with
/// `create_host_path = false`. `exists` is asked about each absolute path.
pub fn check_files(
    file: &str,
    text: &str,
    c: &crate::model::Config,
    abs: &dyn Fn(&str) -> String,
    exists: &dyn Fn(&str) -> bool,
) -> Result<(), ConfigError> {
    let at = |needle: &str, msg: String| {
        let span = text
            .find(&format!("\"{needle}\""))
            .map(|i| i + 1..i + 1 + needle.len());
        Err(ConfigError::at(file, text, span, msg))
    };
    for (kind, top) in [("secrets", &c.secrets), ("configs", &c.configs)] {
        for (name, o) in top {
            if o.sources() != 1 {
                let span = text
                    .find(&format!("[{kind}.{name}]"))
                    .map(|i| i..i + kind.len() + name.len() + 3);
                let what = if kind == "secrets" {
                    "`file` or `environment`"
                } else {
                    "`file`, `environment` or `content`"
                };
                return Err(ConfigError::at(
                    file,
                    text,
                    span,
                    format!("[{kind}.{name}] needs exactly one of {what}"),
                ));
            }
            if kind == "secrets" && o.content.is_some() {
                return at(
                    "content",
                    format!("[secrets.{name}]: a secret takes `file` or `environment` (inline `content` is for configs: a secret's value belongs in .env)"),
                );
            }
            if let Some(f) = &o.file {
                if !exists(&abs(f)) {
                    return at(
                        f,
                        format!("[{kind}.{name}] file `{f}` does not exist ({}): create it, or point `file` at it", abs(f)),
                    );
                }
            }
        }
    }
    let services = c
        .app
        .iter()
        .map(|a| a.volumes.clone())
        .chain(c.services.values().map(|s| s.volumes.clone()));
    for vols in services {
        for v in vols.iter().filter(|v| v.no_create_host_path) {
            if let Some(src) = &v.source {
                if !exists(&abs(src)) {
                    return at(
                        src,
                        format!("bind source `{src}` does not exist ({}) and `create_host_path` is false: create it", abs(src)),
                    );
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOML: &str = "[app]\nport = 8000\n\n[services.web]\nimage = \"x\"\nports = [\"1-3:1-2\"]\nhealthcheck = { interval = \"1s\" }\n";

    #[test]
    fn a_plan_key_is_told_at_its_devctl_toml_line() {
        let (k, m) = split_plan_error(
            "/p/.devctl/compose.yaml",
            "/p/.devctl/compose.yaml: services.web.ports: port `1-3:1-2` is invalid",
        )
        .unwrap();
        let e = locate("devctl.toml", TOML, "app", k, m);
        assert_eq!((e.line, e.col), (6, 1));
        assert_eq!(
            e.to_string().lines().next().unwrap(),
            "devctl.toml:6:1: [services.web] ports: port `1-3:1-2` is invalid"
        );
        let e = locate(
            "devctl.toml",
            TOML,
            "app",
            "services.web.healthcheck.interval",
            "bad",
        );
        assert_eq!(e.line, 7);
        let e = locate("devctl.toml", TOML, "app", "services.app.ports", "bad");
        assert_eq!((e.line, e.message.as_str()), (1, "[app] ports: bad"));
        assert!(split_plan_error("f", "f: dependency cycle between a, b").is_none());
        assert!(split_plan_error("f", "g: services.a.b: x").is_none());
    }
}
