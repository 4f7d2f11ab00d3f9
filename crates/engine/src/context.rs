//! Which Docker context devctl uses, picked as the docker CLI picks it
//! (`resolveContextName` in docker/cli `cli/command/cli.go`). Pure: the
//! binary reads the flag, the environment and the files under
//! `$DOCKER_CONFIG` and passes them in.
//!
//! The order: `--context NAME`; else a non-empty `DOCKER_HOST` (the
//! default context, which is `DOCKER_HOST` itself); else `DOCKER_CONTEXT`;
//! else `currentContext` of `config.json`; else `default`. `default` is the
//! default socket (or `DOCKER_HOST` when set). Like the docker CLI,
//! `--context` wins over `DOCKER_HOST`, and `DOCKER_HOST` over
//! `DOCKER_CONTEXT`.

use sha2::{Digest, Sha256};

/// The context that is `DOCKER_HOST` or the local socket.
pub const DEFAULT_CONTEXT: &str = "default";

/// Where the chosen context's name came from (for messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Flag,
    Env,
    CurrentContext,
}

impl Source {
    pub fn describe(self) -> &'static str {
        match self {
            Source::Flag => "--context",
            Source::Env => "DOCKER_CONTEXT",
            Source::CurrentContext => "the docker CLI's current context (config.json)",
        }
    }
}

/// What the caller read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inputs {
    /// `--context NAME`.
    pub flag: Option<String>,
    /// `DOCKER_HOST`.
    pub docker_host: Option<String>,
    /// `DOCKER_CONTEXT`.
    pub docker_context: Option<String>,
    /// `currentContext` of `$DOCKER_CONFIG/config.json`.
    pub current: Option<String>,
}

/// The context's name and where it came from; `None`: the default context.
pub fn name(i: &Inputs) -> Option<(String, Source)> {
    let set = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
    let picked = if let Some(n) = set(&i.flag) {
        Some((n, Source::Flag))
    } else if set(&i.docker_host).is_some() {
        None
    } else if let Some(n) = set(&i.docker_context) {
        Some((n, Source::Env))
    } else {
        set(&i.current).map(|n| (n, Source::CurrentContext))
    };
    picked.filter(|(n, _)| n != DEFAULT_CONTEXT)
}

/// `currentContext` of a docker CLI `config.json` (`None` when absent,
/// empty or the file is not JSON: the docker CLI then uses the default).
pub fn current_context(config_json: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(config_json).ok()?;
    v.get("currentContext")?
        .as_str()
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// The directory under `contexts/meta/` that holds a context's
/// `meta.json`: the hex sha256 of its name.
pub fn meta_dir(name: &str) -> String {
    Sha256::digest(name.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A context's `meta.json`: its name and `Endpoints.docker.Host`.
pub fn parse_meta(text: &str) -> Result<(String, Option<String>), String> {
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    let name = v
        .get("Name")
        .and_then(|n| n.as_str())
        .ok_or("no `Name`")?
        .to_string();
    let host = v
        .pointer("/Endpoints/docker/Host")
        .and_then(|h| h.as_str())
        .filter(|h| !h.is_empty())
        .map(str::to_string);
    Ok((name, host))
}

/// The chosen context's engine address. `meta` is the text of the chosen
/// context's `meta.json` (`None`: there is none), `known` the names of
/// the contexts that exist (for the error). `Ok(None)`: the default.
pub fn resolve(
    chosen: Option<&(String, Source)>,
    meta: Option<&str>,
    meta_path: &str,
    known: &[String],
) -> Result<Option<String>, String> {
    let Some((name, source)) = chosen else {
        return Ok(None);
    };
    let Some(text) = meta else {
        let mut all: Vec<&str> = vec![DEFAULT_CONTEXT];
        all.extend(known.iter().map(String::as_str));
        all.sort_unstable();
        all.dedup();
        return Err(format!(
            "docker context `{name}` (from {}) does not exist; the known contexts are: {}. Create it with `docker context create {name} --docker host=…`, or pick a known one",
            source.describe(),
            all.join(", ")
        ));
    };
    let (_, host) =
        parse_meta(text).map_err(|e| format!("docker context `{name}`: {meta_path}: {e}"))?;
    host.map(Some).ok_or_else(|| {
        format!(
            "docker context `{name}` has no Docker endpoint (`Endpoints.docker.Host` in {meta_path}): set one with `docker context update {name} --docker host=…`"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(flag: &str, host: &str, env: &str, current: &str) -> Inputs {
        let o = |s: &str| (!s.is_empty()).then(|| s.to_string());
        Inputs {
            flag: o(flag),
            docker_host: o(host),
            docker_context: o(env),
            current: o(current),
        }
    }

    #[test]
    fn the_docker_cli_order() {
        let n = |i: Inputs| name(&i);
        assert_eq!(
            n(inputs("f", "tcp://h:1", "e", "c")),
            Some(("f".into(), Source::Flag))
        );
        // DOCKER_HOST wins over DOCKER_CONTEXT and the current context
        assert_eq!(n(inputs("", "tcp://h:1", "e", "c")), None);
        assert_eq!(n(inputs("", "", "e", "c")), Some(("e".into(), Source::Env)));
        assert_eq!(
            n(inputs("", "", "", "c")),
            Some(("c".into(), Source::CurrentContext))
        );
        assert_eq!(n(inputs("", "", "", "")), None);
        // `default` is the default context, from wherever it is named
        assert_eq!(n(inputs("default", "", "e", "c")), None);
        assert_eq!(n(inputs("", "", "default", "c")), None);
    }

    #[test]
    fn current_context_of_config_json() {
        assert_eq!(
            current_context(r#"{"auths":{},"currentContext":"box"}"#).as_deref(),
            Some("box")
        );
        assert_eq!(current_context(r#"{"currentContext":""}"#), None);
        assert_eq!(current_context("{}"), None);
        assert_eq!(current_context("not json"), None);
    }

    #[test]
    fn meta_dir_is_the_sha256_of_the_name() {
        // sha256("default"), as `sha256sum` prints it
        assert_eq!(
            meta_dir("default"),
            "37a8eec1ce19687d132fe29051dca629d164e2c4958ba141d5f4133a33f0688f"
        );
    }

    #[test]
    fn resolves_the_endpoint_or_names_the_context() {
        let meta = r#"{"Name":"box","Metadata":{},"Endpoints":{"docker":{"Host":"unix:///run/x.sock","SkipTLSVerify":false}}}"#;
        let chosen = ("box".to_string(), Source::Env);
        assert_eq!(
            resolve(Some(&chosen), Some(meta), "m.json", &[]).unwrap(),
            Some("unix:///run/x.sock".into())
        );
        assert_eq!(resolve(None, None, "", &[]).unwrap(), None);
        let e = resolve(
            Some(&("nope".into(), Source::Flag)),
            None,
            "",
            &["box".into(), "alpha".into()],
        )
        .unwrap_err();
        assert_eq!(
            e,
            "docker context `nope` (from --context) does not exist; the known contexts are: alpha, box, default. Create it with `docker context create nope --docker host=…`, or pick a known one"
        );
        let e = resolve(
            Some(&chosen),
            Some(r#"{"Name":"box","Endpoints":{}}"#),
            "m.json",
            &[],
        )
        .unwrap_err();
        assert!(
            e.contains("no Docker endpoint") && e.contains("m.json"),
            "{e}"
        );
        let e = resolve(Some(&chosen), Some("{"), "m.json", &[]).unwrap_err();
        assert!(
            e.starts_with("docker context `box`: m.json: not valid JSON"),
            "{e}"
        );
    }
}
