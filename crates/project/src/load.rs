//! devctl.toml text → [`Config`], pure. Errors name the file, line, column
//! and key, suggest the closest valid key, and show the line with a caret.
//!
//! Two passes: the text is deserialised as written (structure, types and
//! value checks, all with TOML spans), then, when it holds a `$`, its string
//! values are interpolated (compose's rules, `[lint]` excepted) and the
//! result is deserialised again so interpolated values are checked too.

use std::fmt;
use std::ops::Range;

use serde::Deserialize;

use super::env::Env;
use super::interp::{self, InterpError};
use super::model::{Config, VolumeMount};

/// A configuration error with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file as shown to the user.
    pub file: String,
    /// 1-based; 0 when the position is unknown.
    pub line: usize,
    pub col: usize,
    pub message: String,
    /// The source line and the caret's (column, width).
    pub snippet: Option<(String, usize, usize)>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A key or value quoted in the message is the file's text too.
        let message = devctl_text::escape_controls(&self.message);
        let message = devctl_text::cut_middle(&message, 2 * devctl_text::MAX_SHOWN);
        if self.line == 0 {
            write!(f, "{}: {}", self.file, message)?;
        } else {
            write!(f, "{}:{}:{}: {}", self.file, self.line, self.col, message)?;
        }
        if let Some((src, col, width)) = &self.snippet {
            // escaped and cut: the file cannot drive the terminal
            f.write_str(&devctl_text::snippet(self.line, src, *col, *width))?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

impl ConfigError {
    /// An error at a byte range of `text`.
    pub fn at(file: &str, text: &str, span: Option<Range<usize>>, message: String) -> Self {
        let Some(span) = span else {
            return ConfigError {
                file: file.to_string(),
                line: 0,
                col: 0,
                message,
                snippet: None,
            };
        };
        let (line, col, src) = line_col(text, span.start);
        let width = span
            .end
            .saturating_sub(span.start)
            .min(src.len().saturating_sub(col - 1));
        ConfigError {
            file: file.to_string(),
            line,
            col,
            message,
            snippet: Some((src.to_string(), col, width.max(1))),
        }
    }
}

pub use devctl_text::line_col;

/// A loaded config and the warnings loading produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    pub config: Config,
    pub warnings: Vec<String>,
}

/// Parses, interpolates and checks devctl.toml.
pub fn load(file: &str, text: &str, env: &Env) -> Result<Loaded, ConfigError> {
    let raw: Config = toml::from_str(text).map_err(|e| toml_error(file, text, &e))?;
    if !text.contains('$') {
        let config = checks(file, text, raw, env)?;
        return Ok(Loaded {
            config,
            warnings: Vec::new(),
        });
    }
    let table: toml::Table = toml::from_str(text).map_err(|e| toml_error(file, text, &e))?;
    finish(file, text, table, env)
}

/// Interpolates the table read from `text`, then deserialises and checks it.
fn finish(
    file: &str,
    text: &str,
    mut table: toml::Table,
    env: &Env,
) -> Result<Loaded, ConfigError> {
    let mut warnings = Vec::new();
    let mut unset = Vec::new();
    for (key, value) in table.iter_mut() {
        if key == "tasks" {
            super::tasks::protect_arg_refs(value);
        }
        if key != "lint" {
            interpolate_value(value, env, &mut unset).map_err(|e| interp_error(file, text, &e))?;
        }
    }
    for var in unset {
        warnings.push(format!(
            "the {var} variable is not set (in .env or the environment): defaulting to a blank string"
        ));
    }
    let config = match Config::deserialize(toml::Value::Table(table.clone())) {
        Ok(c) => c,
        Err(e) => return Err(after_interpolation_error(file, text, &table, &e)),
    };
    let config = checks(file, text, config, env)?;
    Ok(Loaded { config, warnings })
}

/// `extends` resolved, then the checks of the whole model.
fn checks(file: &str, text: &str, config: Config, env: &Env) -> Result<Config, ConfigError> {
    let config = super::extends::resolve(file, text, config)?;
    check(file, text, &config)?;
    super::tasks::check(file, text, &config)?;
    super::build_args::check(file, text, &config, env)?;
    Ok(config)
}

/// The file next to devctl.toml that is merged over it (not committed).
pub const LOCAL_FILE: &str = "devctl.local.toml";

/// devctl.toml and devctl.local.toml as one text to find errors in: the
/// local file first (its values win, so a key it sets is found there),
/// then devctl.toml; [`Sources::blame`] turns a position in it back into
/// the file and line it came from.
#[derive(Debug, Clone)]
pub struct Sources {
    pub main_file: String,
    pub local_file: Option<String>,
    /// The text positions are found in.
    pub text: String,
    /// How many lines of [`Sources::text`] are the local file's.
    local_lines: usize,
}

impl Sources {
    pub fn new(main_file: &str, main_text: &str, local: Option<(&str, &str)>) -> Sources {
        match local {
            None => Sources {
                main_file: main_file.to_string(),
                local_file: None,
                text: main_text.to_string(),
                local_lines: 0,
            },
            Some((file, text)) => {
                let mut joined = text.to_string();
                if !joined.is_empty() && !joined.ends_with('\n') {
                    joined.push('\n');
                }
                let local_lines = joined.matches('\n').count();
                joined.push_str(main_text);
                Sources {
                    main_file: main_file.to_string(),
                    local_file: Some(file.to_string()),
                    text: joined,
                    local_lines,
                }
            }
        }
    }

    /// An error located in [`Sources::text`], named by the file and line
    /// it is on.
    pub fn blame(&self, mut e: ConfigError) -> ConfigError {
        match &self.local_file {
            Some(local) if e.line >= 1 && e.line <= self.local_lines => e.file = local.clone(),
            _ => {
                if e.line > self.local_lines {
                    e.line -= self.local_lines;
                }
                e.file = self.main_file.clone();
            }
        }
        e
    }
}

/// devctl.toml with devctl.local.toml (when there is one) merged over it
/// ([`merge_local`]), interpolated and checked. Each file is first read
/// as written (syntax, keys, types: errors at its own line and column);
/// the merged document's errors name the file the offending value came
/// from.
pub fn load_layered(
    file: &str,
    text: &str,
    local: Option<(&str, &str)>,
    env: &Env,
) -> Result<Loaded, ConfigError> {
    let Some((local_file, local_text)) = local else {
        return load(file, text, env);
    };
    let _: Config = toml::from_str(text).map_err(|e| toml_error(file, text, &e))?;
    let mut table: toml::Table = toml::from_str(text).map_err(|e| toml_error(file, text, &e))?;
    let over: toml::Table =
        toml::from_str(local_text).map_err(|e| toml_error(local_file, local_text, &e))?;
    // A local file may leave out what devctl.toml gives (a watch rule's
    // `run`…): only a missing key is left to the merged check.
    if let Err(e) = toml::from_str::<Config>(local_text) {
        if !e.message().starts_with("missing field") {
            return Err(toml_error(local_file, local_text, &e));
        }
    }
    merge_local(&mut table, over, &[]);
    let sources = Sources::new(file, text, Some((local_file, local_text)));
    finish(file, &sources.text, table, env).map_err(|e| sources.blame(e))
}

/// Service keys whose lists the local file adds to (entries already there
/// are not repeated), as docker-compose.override.yml adds to them.
const APPENDED: &[&str] = &[
    "ports",
    "expose",
    "dns",
    "dns_search",
    "tmpfs",
    "env_file",
    "cap_add",
    "cap_drop",
    "security_opt",
    "depends_on",
    "extra_hosts",
];

/// Merges `over` (devctl.local.toml) into `base` (devctl.toml) as compose
/// merges docker-compose.override.yml: tables key by key, recursively;
/// scalars and other lists replace. In a service (`[app]`,
/// `[services.NAME]`) the lists of [`APPENDED`] are added to, `volumes`
/// merge by container path (an entry for a path already mounted replaces
/// it), and `environment`/`labels` written as lists merge by name.
/// `command`, `entrypoint` and everything else are replaced.
pub fn merge_local(base: &mut toml::Table, over: toml::Table, path: &[&str]) {
    let in_service = path == ["app"] || (path.len() == 2 && path[0] == "services");
    for (k, v) in over {
        let slot = base.get_mut(&k);
        match (slot, v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => {
                let mut p = path.to_vec();
                p.push(&k);
                merge_local(b, o, &p);
            }
            (Some(toml::Value::Array(b)), toml::Value::Array(o)) if in_service => {
                match k.as_str() {
                    "volumes" => {
                        for entry in o {
                            let t = mount_target(&entry);
                            match b.iter_mut().find(|x| t.is_some() && mount_target(x) == t) {
                                Some(slot) => *slot = entry,
                                None => b.push(entry),
                            }
                        }
                    }
                    "environment" | "labels" => {
                        for entry in o {
                            let name = |v: &toml::Value| {
                                v.as_str()
                                    .map(|s| s.split('=').next().unwrap_or(s).to_string())
                            };
                            let n = name(&entry);
                            match b.iter_mut().find(|x| n.is_some() && name(x) == n) {
                                Some(slot) => *slot = entry,
                                None => b.push(entry),
                            }
                        }
                    }
                    k if APPENDED.contains(&k) => {
                        for entry in o {
                            if !b.contains(&entry) {
                                b.push(entry);
                            }
                        }
                    }
                    _ => *b = o,
                }
            }
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

/// The container path of a `volumes` entry (`src:/target[:mode]`, `/target`,
/// or a table's `target`).
fn mount_target(v: &toml::Value) -> Option<String> {
    match v {
        toml::Value::String(s) => {
            let parts: Vec<&str> = s.split(':').collect();
            Some(match parts.as_slice() {
                [t] => t.to_string(),
                [_, t, ..] => t.to_string(),
                [] => return None,
            })
        }
        toml::Value::Table(t) => t.get("target").and_then(|x| x.as_str()).map(str::to_string),
        _ => None,
    }
}

/// An error found only once variables were interpolated: find its key by
/// re-reading the interpolated table as TOML text (which has spans), then
/// point at that key in the original text.
fn after_interpolation_error(
    file: &str,
    text: &str,
    table: &toml::Table,
    e: &toml::de::Error,
) -> ConfigError {
    let fallback = || ConfigError {
        file: file.to_string(),
        line: 0,
        col: 0,
        message: format!("after interpolating variables: {}", e.message().trim()),
        snippet: None,
    };
    let Ok(t) = toml::to_string(table) else {
        return fallback();
    };
    let Err(e2) = toml::from_str::<Config>(&t) else {
        return fallback();
    };
    let Some(span) = e2.span() else {
        return fallback();
    };
    let header = enclosing_table(&t, span.start);
    let Some(key) = key_at(&t, span.start) else {
        return fallback();
    };
    let located = locate_key(text, &header, &key);
    let message = format!(
        "{} (after interpolating variables)",
        toml_error(file, &t, &e2).message
    );
    ConfigError::at(file, text, located, message)
}

/// The span of `key = …` under the table header `header` in `text`.
pub(crate) fn locate_key(text: &str, header: &str, key: &str) -> Option<Range<usize>> {
    let mut in_table = header == "the top level";
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim();
        if t.starts_with('[') {
            in_table = t.split(" #").next().unwrap_or(t).trim() == header;
        } else if in_table {
            let lead = line.len() - line.trim_start().len();
            if let Some(rest) = t.strip_prefix(key) {
                if rest.trim_start().starts_with('=') {
                    return Some(offset + lead..offset + lead + key.len());
                }
            }
        }
        offset += line.len();
    }
    None
}

fn interpolate_value(
    v: &mut toml::Value,
    env: &Env,
    unset: &mut Vec<String>,
) -> Result<(), InterpError> {
    match v {
        toml::Value::String(s) if s.contains('$') => {
            let r = interp::interpolate(s, &|k| env.get(k).map(str::to_string))?;
            for u in r.unset {
                if !unset.contains(&u) {
                    unset.push(u);
                }
            }
            *s = r.value;
        }
        toml::Value::Array(a) => {
            for x in a {
                interpolate_value(x, env, unset)?;
            }
        }
        toml::Value::Table(t) => {
            for (_, x) in t.iter_mut() {
                interpolate_value(x, env, unset)?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn interp_error(file: &str, text: &str, e: &InterpError) -> ConfigError {
    let needle = match e {
        InterpError::Required { expr, .. } => Some(expr.as_str()),
        InterpError::Invalid { text, .. } => Some(text.as_str()),
    };
    let span = needle.and_then(|n| text.find(n).map(|i| i..i + n.len()));
    ConfigError::at(file, text, span, e.to_string())
}

/// The table header (`[app]`, `[[assets.watch]]`) governing byte `offset`.
fn enclosing_table(text: &str, offset: usize) -> String {
    let before = &text[..offset.min(text.len())];
    // The header line itself counts when the error is on it.
    let line_end = text[offset.min(text.len())..]
        .find('\n')
        .map_or(text.len(), |i| offset + i);
    for line in text[..line_end].lines().rev() {
        let t = line.trim();
        if t.starts_with('[') {
            let header = t.split(" #").next().unwrap_or(t).trim();
            let _ = before;
            return header.to_string();
        }
    }
    "the top level".to_string()
}

/// The key written on the line holding byte `offset` (`key = …`).
fn key_at(text: &str, offset: usize) -> Option<String> {
    let (_, _, line) = line_col(text, offset);
    let (k, _) = line.split_once('=')?;
    let k = k.trim().trim_matches('"');
    (!k.is_empty() && !k.starts_with('[')).then(|| k.to_string())
}

/// Names between backticks in `s`.
fn backticked(s: &str) -> Vec<&str> {
    s.split('`').skip(1).step_by(2).collect()
}

/// The closest of `candidates` to `word`, when close enough to be a typo.
pub fn suggest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| {
            (
                *c,
                strsim::damerau_levenshtein(word, c),
                strsim::jaro_winkler(word, c),
            )
        })
        .filter(|(c, d, jw)| *d <= (c.len() / 3).max(1) + 1 || *jw >= 0.88)
        .min_by(|a, b| a.1.cmp(&b.1).then(b.2.total_cmp(&a.2)))
        .map(|(c, _, _)| c)
}

fn toml_error(file: &str, text: &str, e: &toml::de::Error) -> ConfigError {
    let msg = e.message().trim();
    let span = e.span();
    let offset = span.as_ref().map_or(0, |s| s.start);
    let table = enclosing_table(text, offset);
    if text.parse::<toml::Table>().is_err() {
        let first = msg.lines().next().unwrap_or(msg);
        let rest: Vec<&str> = msg.lines().skip(1).collect();
        let detail = if rest.is_empty() {
            String::new()
        } else {
            format!(" ({})", rest.join("; "))
        };
        return ConfigError::at(file, text, span, format!("invalid TOML: {first}{detail}"));
    }
    let message = if let Some(rest) = msg.strip_prefix("unknown field ") {
        let names = backticked(rest);
        let unknown = names.first().copied().unwrap_or("");
        let valid: Vec<&str> = names.iter().skip(1).copied().collect();
        let mut m = format!("unknown key `{unknown}` in {table}");
        match suggest(unknown, &valid) {
            Some(s) => m.push_str(&format!("; did you mean `{s}`?")),
            None if !valid.is_empty() => m.push_str(&format!(
                "; valid keys: {}",
                valid
                    .iter()
                    .map(|v| format!("`{v}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            None => {}
        }
        m
    } else if let Some(rest) = msg.strip_prefix("unknown variant ") {
        let names = backticked(rest);
        let unknown = names.first().copied().unwrap_or("");
        let valid: Vec<&str> = names.iter().skip(1).copied().collect();
        let key = key_at(text, offset).unwrap_or_default();
        let mut m = format!(
            "unknown value `{unknown}` for `{key}` in {table}; expected one of {}",
            valid
                .iter()
                .map(|v| format!("`{v}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        if let Some(s) = suggest(unknown, &valid) {
            m.push_str(&format!("; did you mean `{s}`?"));
        }
        m
    } else if let Some(rest) = msg.strip_prefix("missing field ") {
        let field = backticked(rest).first().copied().unwrap_or("").to_string();
        format!("missing required key `{field}` in {table}")
    } else if msg.starts_with("invalid type:") || msg.starts_with("invalid value:") {
        match key_at(text, offset) {
            Some(k) => format!("wrong type for `{k}` in {table}: {msg}"),
            None => format!("wrong type in {table}: {msg}"),
        }
    } else {
        match key_at(text, offset) {
            Some(k) => format!("`{k}` in {table}: {msg}"),
            None => format!("{table}: {msg}"),
        }
    };
    ConfigError::at(file, text, span, message)
}

/// Where a service is declared (for errors about it).
fn service_span(text: &str, name: &str) -> Option<Range<usize>> {
    for needle in [
        format!("[services.{name}]"),
        format!("[services.\"{name}\"]"),
        format!("services.{name}"),
    ] {
        if let Some(i) = text.find(&needle) {
            return Some(i..i + needle.len());
        }
    }
    None
}

fn find_span(text: &str, needle: &str) -> Option<Range<usize>> {
    text.find(needle).map(|i| i..i + needle.len())
}

use super::model::is_service_name;

/// `path` cleaned lexically as Go's `filepath.Clean` does: repeated `/`,
/// `.` and a trailing `/` dropped, `..` taking the previous component off
/// (at the root it stays the root).
pub fn clean_path(path: &str) -> String {
    let abs = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for c in path.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !abs {
                    parts.push("..");
                }
            }
            c => parts.push(c),
        }
    }
    let joined = parts.join("/");
    match (abs, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

/// A host path from devctl.toml made absolute as the compose file writes
/// it: `~` is `home`, a relative path is under `project_dir`.
pub fn absolute_host_path(project_dir: &str, home: &str, p: &str) -> String {
    let dir = project_dir.trim_end_matches('/');
    if p == "~" {
        home.to_string()
    } else if let Some(rest) = p.strip_prefix("~/") {
        format!("{}/{}", home.trim_end_matches('/'), rest)
    } else if p.starts_with('/') {
        p.to_string()
    } else if p == "." || p == "./" {
        dir.to_string()
    } else {
        format!("{dir}/{}", p.trim_start_matches("./").trim_end_matches('/'))
    }
}

/// True when a bind mount's source, as written (cleaned lexically), is the
/// Docker socket or a directory above the usual sockets. This is the check
/// that needs no filesystem; the caller also resolves symlinks (see
/// [`check_socket_reach`]).
pub fn is_docker_socket(source: &str) -> bool {
    let s = clean_path(source);
    s == "docker.sock"
        || s.ends_with("/docker.sock")
        || [
            "/",
            "/var",
            "/var/run",
            "/run",
            "/var/run/docker",
            "/run/docker",
        ]
        .contains(&s.as_str())
}

/// Every host path devctl.toml bind-mounts: (service, source as written
/// after interpolation, `allow_docker_socket` of that service). The app's
/// own mounts count too: the project directory as `.`, and the host nvm
/// directory when the compose file mounts one.
pub fn bind_mounts(c: &Config) -> Vec<(String, String, bool)> {
    let mut out = Vec::new();
    let one = |out: &mut Vec<(String, String, bool)>, name: &str, common: &super::model::Common| {
        for v in &common.volumes {
            if let Some(src) = &v.source {
                if !v.is_named() {
                    out.push((name.to_string(), src.clone(), common.allow_docker_socket));
                }
            }
        }
    };
    if let Some(app) = &c.app {
        let common = app.common();
        let app_name = app.service_name();
        one(&mut out, app_name, &common);
        out.push((app_name.into(), ".".into(), common.allow_docker_socket));
        let nvm_wanted = c.nvm.is_some()
            || c.assets
                .as_ref()
                .is_some_and(|a| a.toolchain == super::model::Toolchain::Nvm);
        if nvm_wanted {
            let nvm = c.nvm.clone().unwrap_or_default();
            if nvm.dir != "volume" {
                out.push((app_name.into(), nvm.dir, common.allow_docker_socket));
            }
        }
    }
    for (name, s) in &c.services {
        one(&mut out, name, &s.common());
    }
    out
}

/// The Docker-socket rule on resolved paths: `reach(source)` is the IO
/// shell's answer for one bind-mount source — `Some((absolute path, what
/// it reaches))` when, cleaned and with symlinks resolved, it is the
/// engine's socket or a directory holding it. Refused (naming file, line
/// and the fix) unless the service sets `allow_docker_socket = true`; then
/// the warning (when the lexical check of the generator does not already
/// give one).
pub fn check_socket_reach(
    file: &str,
    text: &str,
    c: &Config,
    reach: &dyn Fn(&str) -> Option<(String, String)>,
) -> Result<Vec<String>, ConfigError> {
    let mut warnings = Vec::new();
    for (service, src, allowed) in bind_mounts(c) {
        let Some((abs, what)) = reach(&src) else {
            continue;
        };
        if !allowed {
            let span = find_span(text, &format!("\"{src}"))
                .map(|r| r.start + 1..r.end)
                .or_else(|| service_span(text, &service))
                .or_else(|| find_span(text, "[app]"));
            return Err(ConfigError::at(
                file,
                text,
                span,
                format!(
                    "service `{service}` mounts the Docker socket: `{src}` is {what}, which gives root on the host; set `allow_docker_socket = true` on it if that is really wanted"
                ),
            ));
        }
        if !is_docker_socket(&abs) {
            warnings.push(format!(
                "service `{service}` mounts the Docker socket ({src}: {what}): it can start privileged containers and mount any host path, which is root on the host"
            ));
        }
    }
    Ok(warnings)
}

/// Checks across keys (those a single value's deserialiser cannot do).
fn check(file: &str, text: &str, c: &Config) -> Result<(), ConfigError> {
    let err = |span: Option<Range<usize>>, msg: String| Err(ConfigError::at(file, text, span, msg));
    let mut names: Vec<&str> = c.services.keys().map(String::as_str).collect();
    if let Some(app) = &c.app {
        let n = app.service_name();
        if c.services.contains_key(n) {
            let what = if app.name.is_some() {
                format!("the app service of [app] (`name = \"{n}\"`)")
            } else {
                "the app service of [app] (named `app` by default)".to_string()
            };
            return err(
                service_span(text, n),
                format!("[services.{n}] clashes with {what}: rename one of them (`name` in [app] names the app service)"),
            );
        }
        names.push(n);
        if app.dockerfile_inline.is_some() {
            if let Some(span) = locate_key(text, "[app]", "dockerfile") {
                return err(
                    Some(span),
                    "[app] sets both `dockerfile` and `dockerfile_inline`: keep one (compose refuses both too)".to_string(),
                );
            }
        }
        if app.command.is_some() {
            for k in ["server", "migrate"] {
                let set = if k == "server" {
                    app.server.is_some()
                } else {
                    app.migrate.is_some()
                };
                if set {
                    return err(
                        locate_key(text, "[app]", k).or_else(|| locate_key(text, "[app]", "command")),
                        format!("[app] sets both `command` and `{k}`: `command` replaces the script devctl generates from `migrate`, `server` and AUTO_START_SERVER, so `{k}` would never run; remove `{k}`, or `command` to let devctl run migrate and the server"),
                    );
                }
            }
        }
    }
    for (name, s) in &c.services {
        if !is_service_name(name) {
            return err(
                service_span(text, name),
                format!("service name `{name}` is invalid: use letters, digits, `.`, `_`, `-`, starting with a letter or digit"),
            );
        }
        if s.image.is_none() && s.build.is_none() {
            return err(
                service_span(text, name),
                format!("[services.{name}] needs `image` or `build` (e.g. image = \"redis:7.4\")"),
            );
        }
        if let Some(user) = &s.user {
            if let Err(e) = devctl_compose::user::check_spelling(user) {
                return err(
                    locate_key(text, &format!("[services.{name}]"), "user")
                        .or_else(|| service_span(text, name)),
                    format!("[services.{name}] {e}"),
                );
            }
        }
        if let Some(d) = &s.deploy {
            if d.replicas.is_some() && s.ports.iter().any(|p| p.host.is_some()) {
                return err(
                    service_span(text, name),
                    format!("[services.{name}] has deploy.replicas and a fixed host port: replicas would clash on it; publish a range or no host port"),
                );
            }
        }
    }
    let mut all: Vec<(&str, super::model::Common)> = c
        .services
        .iter()
        .map(|(n, s)| (n.as_str(), s.common()))
        .collect();
    if let Some(app) = &c.app {
        all.push((app.service_name(), app.common()));
        for k in ["APP_UID", "APP_GID"] {
            if app.build_args.contains_key(k) {
                return err(
                    find_span(text, k),
                    format!("build arg `{k}` in [app.build_args] is set by devctl from the host user: remove it"),
                );
            }
        }
    }
    for (name, common) in &all {
        if let Some(dep) = &common.depends_on {
            for (d, _) in &dep.0 {
                if d == name {
                    return err(
                        dep_span(text, c.app_name(), name, d),
                        format!("service `{name}` depends on itself (depends_on cycle: {name} -> {name}): remove `{d}` from its depends_on"),
                    );
                }
                if !names.contains(&d.as_str()) {
                    let hint = suggest(d, &names)
                        .map(|s| format!("; did you mean `{s}`?"))
                        .unwrap_or_default();
                    return err(
                        dep_span(text, c.app_name(), name, d),
                        format!("service `{name}` depends on `{d}`, which is not defined{hint}"),
                    );
                }
            }
        }
        for v in &common.volumes {
            check_socket(file, text, name, v, common.allow_docker_socket)?;
        }
        if common.network_mode.as_deref() == Some("host") {
            let app_port =
                Some(*name) == c.app_name() && c.app.as_ref().is_some_and(|a| a.port.is_some());
            if !common.ports.is_empty() || app_port {
                return err(
                    find_span(text, "network_mode").or_else(|| service_span(text, name)),
                    format!("service `{name}` uses network_mode = \"host\" and publishes ports: with the host network there is nothing to publish; remove `ports`/`port` or the host network"),
                );
            }
        }
        // compose v2's `service:NAME`: the service lives in NAME's network
        // stack, so it has no ports or networks of its own.
        if let Some(target) = common
            .network_mode
            .as_deref()
            .and_then(|m| m.strip_prefix("service:"))
        {
            let is_app = Some(*name) == c.app_name();
            let header = if is_app {
                "[app]".to_string()
            } else {
                format!("[services.{name}]")
            };
            let at = |k: &str| locate_key(text, &header, k).or_else(|| service_span(text, name));
            if target == *name {
                return err(
                    at("network_mode"),
                    format!("service `{name}` has network_mode = \"service:{name}\", which names itself: name the service whose network it shares"),
                );
            }
            if !names.contains(&target) {
                let hint = suggest(target, &names)
                    .map(|s| format!("; did you mean `service:{s}`?"))
                    .unwrap_or_default();
                return err(
                    at("network_mode"),
                    format!("service `{name}` has network_mode = \"service:{target}\", but no service `{target}` is defined{hint}"),
                );
            }
            let app_port = is_app && c.app.as_ref().is_some_and(|a| a.port.is_some());
            if !common.ports.is_empty() || app_port {
                let key = if common.ports.is_empty() {
                    "port"
                } else {
                    "ports"
                };
                return err(
                    at(key),
                    format!("service `{name}` shares the network of `{target}` (network_mode = \"service:{target}\") and cannot publish ports of its own: remove `{key}` here and publish them on `{target}`"),
                );
            }
            if common.networks.is_some() {
                return err(
                    at("networks"),
                    format!("service `{name}` shares the network of `{target}` (network_mode = \"service:{target}\") and cannot join networks of its own: remove `networks` here (it is on `{target}`'s networks)"),
                );
            }
        }
    }
    // Rule names and roots are printed by run-dev on every line it prints
    // for the rule: no control characters in them.
    for rule in c.assets.iter().flat_map(|a| a.watch.iter()) {
        let bad_root = rule
            .paths
            .iter()
            .find(|p| p.as_str().chars().any(devctl_text::is_unsafe));
        if rule.name.chars().any(devctl_text::is_unsafe) || rule.name.is_empty() {
            let shown = devctl_text::shown(&rule.name, 60);
            return err(
                Some(rule.name.as_str())
                    .filter(|n| !n.is_empty())
                    .and_then(|n| find_span(text, n))
                    .or_else(|| find_span(text, "[[assets.watch]]")),
                format!("[[assets.watch]] name \"{shown}\" must be a non-empty name without control characters (run-dev prints it before every line of the rule)"),
            );
        }
        if let Some(root) = bad_root {
            let shown = devctl_text::shown(root.as_str(), 60);
            return err(
                find_span(text, "[[assets.watch]]"),
                format!(
                    "[[assets.watch]] {:?}: path \"{shown}\" has control characters",
                    rule.name
                ),
            );
        }
    }
    // The app first, then the services by name: the chain reads from the
    // app when it is part of the cycle.
    let graph: Vec<(&str, Vec<&str>)> = all
        .iter()
        .rev()
        .take(c.app.is_some() as usize)
        .chain(all.iter().take(c.services.len()))
        .map(|(n, c)| {
            let deps = c
                .depends_on
                .as_ref()
                .map(|d| d.0.iter().map(|(x, _)| x.as_str()).collect())
                .unwrap_or_default();
            (*n, deps)
        })
        .collect();
    if let Some(chain) = find_cycle(&graph) {
        let n = chain.len();
        let (from, to) = (chain[n - 2], chain[n - 1]);
        return err(
            dep_span(text, c.app_name(), from, to),
            format!(
                "depends_on cycle: {}; no service of it can start first: remove one of these dependencies",
                chain.join(" -> ")
            ),
        );
    }
    Ok(())
}

/// The first dependency cycle in `graph` (nodes in the given order, edges
/// in theirs), as the chain of names from where it starts back to it:
/// `[a, b, a]`. Edges to unknown nodes are ignored.
pub fn find_cycle<'a>(graph: &[(&'a str, Vec<&'a str>)]) -> Option<Vec<&'a str>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        OnPath,
        Done,
    }
    let index = |n: &str| graph.iter().position(|(m, _)| *m == n);
    let mut mark = vec![Mark::New; graph.len()];
    for start in 0..graph.len() {
        if mark[start] != Mark::New {
            continue;
        }
        // (node, next edge to follow)
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        mark[start] = Mark::OnPath;
        while let Some(&mut (node, ref mut edge)) = stack.last_mut() {
            let deps = &graph[node].1;
            if *edge == deps.len() {
                mark[node] = Mark::Done;
                stack.pop();
                continue;
            }
            let next = deps[*edge];
            *edge += 1;
            let Some(j) = index(next) else { continue };
            match mark[j] {
                Mark::OnPath => {
                    let from = stack.iter().position(|(n, _)| *n == j).unwrap_or(0);
                    let mut chain: Vec<&str> =
                        stack[from..].iter().map(|(n, _)| graph[*n].0).collect();
                    chain.push(graph[j].0);
                    return Some(chain);
                }
                Mark::New => {
                    mark[j] = Mark::OnPath;
                    stack.push((j, 0));
                }
                Mark::Done => {}
            }
        }
    }
    None
}

/// Where `service`'s depends_on names `dep` (the quoted name in a list, or
/// the key in a table or a `[services.x.depends_on]` header), falling back
/// to its depends_on key, then to the service.
fn dep_span(text: &str, app: Option<&str>, service: &str, dep: &str) -> Option<Range<usize>> {
    let headers: Vec<String> = if Some(service) == app {
        vec!["[app".into()]
    } else {
        vec![
            format!("[services.{service}"),
            format!("[services.\"{service}\""),
            format!("[services.'{service}'"),
        ]
    };
    // the byte ranges of the service's tables ([x] and [x.sub…])
    let mut regions: Vec<Range<usize>> = Vec::new();
    let mut offset = 0;
    let mut inside = false;
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        if t.starts_with('[') {
            let h = t.split('#').next().unwrap_or(t).trim_end();
            inside = headers.iter().any(|p| {
                h.strip_prefix(p.as_str())
                    .is_some_and(|rest| rest.starts_with(']') || rest.starts_with('.'))
            });
            if inside {
                regions.push(offset..offset + line.len());
            }
        } else if inside {
            if let Some(r) = regions.last_mut() {
                r.end = offset + line.len();
            }
        }
        offset += line.len();
    }
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.';
    for r in &regions {
        let region = &text[r.clone()];
        let Some(k) = region.find("depends_on") else {
            continue;
        };
        let after = &region[k..];
        for needle in [format!("\"{dep}\""), format!("'{dep}'")] {
            if let Some(i) = after.find(&needle) {
                let at = r.start + k + i;
                return Some(at..at + needle.len());
            }
        }
        // a bare key: `dep = …` or `depends_on.dep` or `[….depends_on.dep]`
        let bytes = after.as_bytes();
        let mut from = "depends_on".len();
        while let Some(i) = after[from..].find(dep) {
            let s = from + i;
            let e = s + dep.len();
            let before_ok = s == 0 || !is_word(bytes[s - 1]) || bytes[s - 1] == b'.';
            let after_ok = e == bytes.len() || !is_word(bytes[e]);
            if before_ok && after_ok {
                let at = r.start + k + s;
                return Some(at..at + dep.len());
            }
            from = e;
        }
        let at = r.start + k;
        return Some(at..at + "depends_on".len());
    }
    service_span(text, service)
}

fn check_socket(
    file: &str,
    text: &str,
    service: &str,
    v: &VolumeMount,
    allowed: bool,
) -> Result<(), ConfigError> {
    if let Some(src) = &v.source {
        if !v.is_named() && is_docker_socket(src) && !allowed {
            return Err(ConfigError::at(
                file,
                text,
                find_span(text, src),
                format!(
                    "service `{service}` mounts the Docker socket (`{src}`), which gives root on the host; set `allow_docker_socket = true` on it if that is really wanted"
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::merge(
            pairs
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            Vec::new(),
        )
    }

    fn err(text: &str) -> ConfigError {
        load("devctl.toml", text, &env(&[])).unwrap_err()
    }

    #[test]
    fn unknown_key_names_file_line_col_table_and_suggestion() {
        let e = err("[project]\nname = \"x\"\n\n[app]\nprot = 8000\n");
        assert_eq!((e.line, e.col), (5, 1));
        assert_eq!(
            e.message,
            "unknown key `prot` in [app]; did you mean `port`?"
        );
        let s = e.to_string();
        assert!(
            s.starts_with("devctl.toml:5:1: unknown key `prot` in [app]"),
            "{s}"
        );
        assert!(s.contains("\n 5 | prot = 8000\n   | ^^^^"), "{s}");
    }

    #[test]
    fn misspelt_service_key_suggests() {
        let e = err("[services.db]\nimage = \"postgres:16.4\"\nenviroment = { A = \"1\" }\n");
        assert_eq!(e.line, 3);
        assert!(
            e.message.contains("did you mean `environment`?"),
            "{}",
            e.message
        );
        assert!(e.message.contains("[services.db]"), "{}", e.message);
    }

    #[test]
    fn unrelated_unknown_key_lists_valid_keys() {
        let e = err("[nvm]\nzzzzzz = 1\n");
        assert!(
            e.message.contains("valid keys: `dir`, `install`"),
            "{}",
            e.message
        );
    }

    #[test]
    fn wrong_type_names_key() {
        let e = err("[app]\nport = \"eighty\"\n");
        assert_eq!((e.line, e.col), (2, 8));
        assert!(
            e.message.starts_with("wrong type for `port` in [app]"),
            "{}",
            e.message
        );
    }

    #[test]
    fn out_of_range_port_names_key_and_value() {
        let e = err("[app]\nport = 70000\n");
        assert_eq!((e.line, e.col), (2, 8));
        assert!(
            e.message.contains("port 70000 is out of range"),
            "{}",
            e.message
        );
        assert!(e.message.contains("`port` in [app]"), "{}", e.message);
    }

    #[test]
    fn malformed_toml_is_reported_with_position() {
        let e = err("[app]\nport = = 8000\n");
        assert_eq!(e.line, 2);
        assert!(e.message.starts_with("invalid TOML"), "{}", e.message);
        let e = err("[app\n");
        assert_eq!(e.line, 1);
    }

    #[test]
    fn missing_required_key() {
        let e = err("[assets]\n[[assets.watch]]\nname = \"css\"\npaths = [\"sass\"]\n");
        assert!(
            e.message
                .contains("missing required key `run` in [[assets.watch]]"),
            "{}",
            e.message
        );
        assert!(e.line >= 2);
    }

    #[test]
    fn interpolation_uses_env_and_defaults() {
        let text = "[services.db]\nimage = \"postgres:${PG:-16.4}\"\nenvironment = { P = \"${PW}\", L = \"$$lit\" }\n";
        let l = load("f", text, &env(&[("PW", "s3cret")])).unwrap();
        let db = &l.config.services["db"];
        assert_eq!(db.image.as_deref(), Some("postgres:16.4"));
        assert_eq!(
            db.environment.as_ref().unwrap().0,
            vec![
                ("L".into(), Some("$lit".into())),
                ("P".into(), Some("s3cret".into()))
            ]
        );
        assert!(l.warnings.is_empty());
    }

    #[test]
    fn unset_variable_warns() {
        let l = load("f", "[services.db]\nimage = \"x${NOPE}\"\n", &env(&[])).unwrap();
        assert_eq!(l.warnings.len(), 1);
        assert!(l.warnings[0].contains("NOPE"));
    }

    #[test]
    fn required_variable_error_names_it_and_its_position() {
        let text = "[services.db]\nimage = \"postgres\"\nenvironment = { P = \"${DB_PASSWORD:?set it in .env}\" }\n";
        let e = load("devctl.toml", text, &env(&[])).unwrap_err();
        assert_eq!(e.line, 3);
        assert_eq!(e.col, 22);
        assert!(e.message.contains("`DB_PASSWORD`"), "{}", e.message);
        assert!(e.message.contains("set it in .env"), "{}", e.message);
    }

    #[test]
    fn interpolated_values_are_checked_again() {
        let text = "[app]\nworkdir = \"${WD}\"\n";
        let e = load("f", text, &env(&[("WD", "relative")])).unwrap_err();
        assert!(e.message.contains("relative path"), "{}", e.message);
        assert!(e.message.contains("`workdir` in [app]"), "{}", e.message);
        assert!(e.message.contains("after interpolating"), "{}", e.message);
        assert_eq!((e.line, e.col), (2, 1));
        let text = "[services.db]\nimage = \"p\"\nports = [\"${P}:80\"]\n";
        let e = load("f", text, &env(&[("P", "99999")])).unwrap_err();
        assert!(e.message.contains("out of range"), "{}", e.message);
        assert_eq!(e.line, 3, "{e}");
        assert!(load("f", text, &env(&[("WD", "/srv")])).is_ok());
    }

    #[test]
    fn lint_table_is_not_interpolated() {
        let l = load("f", "[lint]\nx = \"$1\"\n", &env(&[])).unwrap();
        assert_eq!(l.config.lint.unwrap()["x"].as_str(), Some("$1"));
    }

    #[test]
    fn services_need_image_or_build() {
        let e = err("[services.worker]\ncommand = \"x\"\n");
        assert_eq!(e.line, 1);
        assert!(e.message.contains("needs `image` or `build`"));
    }

    #[test]
    fn depends_on_must_name_a_service() {
        let e = err("[services.w]\nimage = \"i\"\ndepends_on = [\"rediss\"]\n[services.redis]\nimage = \"r\"\n");
        assert!(
            e.message
                .contains("`rediss`, which is not defined; did you mean `redis`?"),
            "{}",
            e.message
        );
        assert_eq!(e.line, 3);
        assert!(load(
            "f",
            "[app]\n[services.w]\nimage = \"i\"\ndepends_on = [\"app\"]\n",
            &env(&[])
        )
        .is_ok());
        let e = err("[services.w]\nimage = \"i\"\ndepends_on = [\"w\"]\n");
        assert!(e.message.contains("depends on itself"));
    }

    #[test]
    fn depends_on_cycles_are_named_at_the_closing_dependency() {
        // a 2-cycle, list form
        let e = err("[services.a]\nimage = \"i\"\ndepends_on = [\"b\"]\n[services.b]\nimage = \"i\"\ndepends_on = [\"a\"]\n");
        assert!(
            e.message.starts_with("depends_on cycle: a -> b -> a"),
            "{}",
            e.message
        );
        assert_eq!((e.line, e.col), (6, 15), "{e}");
        // a 3-cycle through the app, table forms (inline and header)
        let text = "[app]\ndepends_on = { db = { condition = \"service_healthy\" } }\n\n[services.db]\nimage = \"i\"\n[services.db.depends_on.cache]\ncondition = \"service_started\"\n\n[services.cache]\nimage = \"i\"\ndepends_on = [\"app\"]\n";
        let e = err(text);
        assert!(
            e.message
                .starts_with("depends_on cycle: app -> db -> cache -> app"),
            "{}",
            e.message
        );
        assert_eq!(e.line, 11, "{e}");
        // the same with the cycle closed by a table form
        let text = "[services.a]\nimage = \"i\"\ndepends_on = [\"b\"]\n[services.b]\nimage = \"i\"\n[services.b.depends_on]\na = { condition = \"service_started\" }\n";
        let e = err(text);
        assert!(
            e.message.starts_with("depends_on cycle: a -> b -> a"),
            "{}",
            e.message
        );
        assert_eq!((e.line, e.col), (7, 1), "{e}");
        // self-dependency, named as a cycle at its line
        let e = err("[services.w]\nimage = \"w\"\ndepends_on = { w = {} }\n");
        assert!(
            e.message
                .contains("depends on itself (depends_on cycle: w -> w)"),
            "{}",
            e.message
        );
        assert_eq!((e.line, e.col), (3, 16), "{e}");
        // a diamond is no cycle
        assert!(load("f", "[services.a]\nimage = \"i\"\ndepends_on = [\"b\", \"c\"]\n[services.b]\nimage = \"i\"\ndepends_on = [\"c\"]\n[services.c]\nimage = \"i\"\n", &env(&[])).is_ok());
    }

    #[test]
    fn watch_rule_names_and_paths_have_no_control_characters() {
        let e = err("[assets]\n[[assets.watch]]\nname = \"c\\u001b[2Js\"\npaths = [\"sass\"]\nrun = \"x\"\n");
        assert!(
            e.message.contains("without control characters"),
            "{}",
            e.message
        );
        assert!(!e.to_string().contains('\u{1b}'), "{e}");
        let e = err(
            "[assets]\n[[assets.watch]]\nname = \"css\"\npaths = [\"sa\\u0007ss\"]\nrun = \"x\"\n",
        );
        assert!(
            e.message.contains("has control characters"),
            "{}",
            e.message
        );
        assert!(!e.to_string().contains('\u{7}'), "{e}");
        assert!(load(
            "f",
            "[assets]\n[[assets.watch]]\nname = \"css\"\npaths = [\"sass\"]\nrun = \"x\"\n",
            &env(&[])
        )
        .is_ok());
    }

    #[test]
    fn find_cycle_returns_the_chain() {
        assert_eq!(find_cycle(&[("a", vec!["b"]), ("b", vec![])]), None);
        assert_eq!(
            find_cycle(&[("a", vec!["b"]), ("b", vec!["c"]), ("c", vec!["b"])]),
            Some(vec!["b", "c", "b"])
        );
        assert_eq!(find_cycle(&[("a", vec!["a"])]), Some(vec!["a", "a"]));
        assert_eq!(find_cycle(&[("a", vec!["zz"])]), None);
    }

    #[test]
    fn echoed_lines_are_escaped_and_cut() {
        // ESC and BEL in a TOML line: shown escaped, never raw
        let e = err("[app]\nport = \u{1b}]0;pwned\u{7}\n");
        let s = e.to_string();
        assert!(!s.contains('\u{1b}') && !s.contains('\u{7}'), "{s:?}");
        assert!(s.contains("\\x1b]0;pwned\\x07"), "{s}");
        // a very long line is cut around the caret
        let long = format!("[app]\nport = {}x\n", "9".repeat(5000));
        let s = err(&long).to_string();
        assert!(s.len() < 1000, "{}", s.len());
        assert!(s.contains('…'), "{s}");
        // a message quoting a huge value is cut too
        let long = format!("[app]\nport = \"{}\"\n", "9".repeat(5000));
        let s = err(&long).to_string();
        assert!(s.len() < 1200, "{}: {s}", s.len());
        assert!(s.contains("wrong type for `port`"), "{s}");
        // a quoted key with control characters in a message
        let e = err("[app]\n\"a\\u001bb\" = 1\n");
        assert!(!e.to_string().contains('\u{1b}'), "{e}");
    }

    #[test]
    fn docker_socket_needs_opt_in() {
        let text = "[services.ci]\nimage = \"docker:27\"\nvolumes = [\"/var/run/docker.sock:/var/run/docker.sock\"]\n";
        let e = err(text);
        assert_eq!(e.line, 3);
        assert!(
            e.message.contains("allow_docker_socket = true"),
            "{}",
            e.message
        );
        let ok = format!("{text}allow_docker_socket = true\n");
        assert!(load("f", &ok, &env(&[])).is_ok());
    }

    #[test]
    fn docker_socket_spellings_are_refused_without_the_filesystem() {
        for src in [
            "/var/run/docker.sock",
            "/var/./run/docker.sock",
            "/var/run/../run/docker.sock",
            "/run/docker.sock",
            "//run//docker.sock",
            "/var/run",
            "/var/run/",
            "/var/./run",
            "/var/run/../run",
            "/run",
            "/run/",
            "/",
            "/var",
            "./docker.sock",
        ] {
            assert!(is_docker_socket(src), "{src}");
            let text = format!("[services.ci]\nimage = \"docker:27\"\nvolumes = [\"{src}:/s\"]\n");
            let e = err(&text);
            assert_eq!(e.line, 3, "{src}: {}", e.message);
            assert!(
                e.message.contains("allow_docker_socket = true"),
                "{src}: {}",
                e.message
            );
            assert!(load(
                "f",
                &format!("{text}allow_docker_socket = true\n"),
                &env(&[])
            )
            .is_ok());
        }
        // Interpolated: the value is checked.
        let e = load(
            "f",
            "[services.ci]\nimage = \"i\"\nvolumes = [\"${SOCK}:/s\"]\n",
            &env(&[("SOCK", "/var/./run/")]),
        )
        .unwrap_err();
        assert!(e.message.contains("Docker socket"), "{}", e.message);
        for fine in [
            "/var/lib/app",
            "/srv",
            "/run-data",
            "./data",
            "/home/dev/docker.socket",
        ] {
            assert!(!is_docker_socket(fine), "{fine}");
        }
        assert_eq!(clean_path("/a/b/../../.."), "/");
        assert_eq!(clean_path("a/../../b/"), "../b");
        assert_eq!(clean_path("./"), ".");
    }

    #[test]
    fn resolved_socket_paths_are_refused_unless_allowed() {
        // The IO shell's answer, faked: `./sock-link` and `${D}` reach it.
        let reach = |src: &str| {
            (src == "./sock-link" || src == "/tmp/x/engine" || src == ".")
                .then(|| (format!("/p/{src}"), "/run once cleaned and symlinks resolved: a directory holding the Docker socket /run/docker.sock".to_string()))
        };
        let text = "[services.ci]\nimage = \"i\"\nvolumes = [\"./data:/d\", \"./sock-link:/s\"]\n";
        let loaded = load("devctl.toml", text, &env(&[])).unwrap();
        let e = check_socket_reach("devctl.toml", text, &loaded.config, &reach).unwrap_err();
        assert_eq!((e.line, e.col), (3, 26), "{e}");
        assert!(
            e.message.contains("`./sock-link` is /run once cleaned")
                && e.message.contains("allow_docker_socket = true"),
            "{}",
            e.message
        );
        // Interpolated value: the error points at the service.
        let text = "[services.ci]\nimage = \"i\"\nvolumes = [\"${D}:/s\"]\n";
        let loaded = load("devctl.toml", text, &env(&[("D", "/tmp/x/engine")])).unwrap();
        let e = check_socket_reach("devctl.toml", text, &loaded.config, &reach).unwrap_err();
        assert_eq!(e.line, 1, "{e}");
        // Allowed: a warning instead.
        let text = "[services.ci]\nimage = \"i\"\nvolumes = [\"./sock-link:/s\"]\nallow_docker_socket = true\n";
        let loaded = load("devctl.toml", text, &env(&[])).unwrap();
        let w = check_socket_reach("devctl.toml", text, &loaded.config, &reach).unwrap();
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].contains("`ci` mounts the Docker socket"), "{w:?}");
        // The app's own mount of the project directory counts.
        let e = check_socket_reach(
            "devctl.toml",
            "[app]\n",
            &load("f", "[app]\n", &env(&[])).unwrap().config,
            &reach,
        )
        .unwrap_err();
        assert!(
            e.message.contains("`app`") && e.message.contains("`.`"),
            "{}",
            e.message
        );
        // So does the host nvm dir mounted into the app.
        let text = "[app]\n[nvm]\ndir = \"./sock-link\"\n";
        let c = load("f", text, &env(&[])).unwrap().config;
        let mounts = bind_mounts(&c);
        assert!(
            mounts.contains(&("app".into(), "./sock-link".into(), false)),
            "{mounts:?}"
        );
        let e = check_socket_reach("devctl.toml", text, &c, &reach).unwrap_err();
        assert_eq!(e.line, 3, "{e}");
        let c = load("f", "[app]\n[nvm]\ndir = \"volume\"\n", &env(&[]))
            .unwrap()
            .config;
        assert_eq!(bind_mounts(&c).len(), 1);
    }

    #[test]
    fn host_network_cannot_publish() {
        let e = err("[services.a]\nimage = \"x\"\nnetwork_mode = \"host\"\nports = [\"80:80\"]\n");
        assert_eq!(e.line, 3);
        assert!(e.message.contains("nothing to publish"), "{}", e.message);
        let e = err("[app]\nport = 8000\nnetwork_mode = \"host\"\n");
        assert!(e.message.contains("`app`"), "{}", e.message);
        assert!(load(
            "f",
            "[services.a]\nimage = \"x\"\nnetwork_mode = \"host\"\n",
            &env(&[])
        )
        .is_ok());
    }

    #[test]
    fn service_network_mode_names_a_service_and_has_no_ports_or_networks() {
        let ok = "[services.a]\nimage = \"x\"\n[services.b]\nimage = \"y\"\nnetwork_mode = \"service:a\"\n";
        assert!(load("f", ok, &env(&[])).is_ok());
        let e = err("[services.a]\nimage = \"x\"\n[services.b]\nimage = \"y\"\nnetwork_mode = \"service:ab\"\n");
        assert_eq!(e.line, 5, "{e}");
        assert!(
            e.message
                .contains("no service `ab` is defined; did you mean `service:a`?"),
            "{}",
            e.message
        );
        let e = err("[services.a]\nimage = \"x\"\nnetwork_mode = \"service:a\"\n");
        assert!(e.message.contains("names itself"), "{}", e.message);
        let e = err("[services.a]\nimage = \"x\"\n[services.b]\nimage = \"y\"\nnetwork_mode = \"service:a\"\nports = [\"80\"]\n");
        assert_eq!(e.line, 6, "{e}");
        assert!(e.message.contains("remove `ports`"), "{}", e.message);
        let e =
            err("[services.a]\nimage = \"x\"\n[app]\nport = 8000\nnetwork_mode = \"service:a\"\n");
        assert_eq!(e.line, 4, "{e}");
        assert!(e.message.contains("remove `port`"), "{}", e.message);
        let e = err("[services.a]\nimage = \"x\"\n[services.b]\nimage = \"y\"\nnetwork_mode = \"service:a\"\nnetworks = [\"default\"]\n");
        assert_eq!(e.line, 6, "{e}");
        assert!(e.message.contains("remove `networks`"), "{}", e.message);
    }

    #[test]
    fn app_service_name_is_reserved() {
        let e = err("[app]\n[services.app]\nimage = \"x\"\n");
        assert!(e.message.contains("clashes"));
    }

    #[test]
    fn uid_build_args_are_devctl_s() {
        let e = err("[app]\n[app.build_args]\nAPP_UID = 0\n");
        assert_eq!(e.line, 3);
    }

    #[test]
    fn suggestions() {
        assert_eq!(suggest("prot", &["port", "publish"]), Some("port"));
        assert_eq!(suggest("imgae", &["image", "init"]), Some("image"));
        assert_eq!(
            suggest("workingdir", &["working_dir", "user"]),
            Some("working_dir")
        );
        assert_eq!(suggest("zzzz", &["image", "init"]), None);
    }

    #[test]
    fn line_col_inside_a_multibyte_char() {
        let t = "a\nxᩡy\n";
        let inside = t.find('ᩡ').unwrap() + 1;
        assert_eq!(line_col(t, inside), (2, 2, "xᩡy"));
        assert_eq!(line_col(t, 999).0, 3);
    }

    #[test]
    fn line_col_counts_chars() {
        let t = "a\nbé = 1\n";
        assert_eq!(line_col(t, 0), (1, 1, "a"));
        let off = t.find('=').unwrap();
        assert_eq!(line_col(t, off), (2, 4, "bé = 1"));
    }

    proptest::proptest! {
        #[test]
        fn load_never_panics(s in "(\\[app\\]|\\[services\\.x\\]|port|image|=|\"|\\$\\{X:\\?\\}|[a-z0-9 é]|\n|\\[|\\]){0,40}") {
            let _ = load("f", &s, &env(&[]));
        }
    }

    #[test]
    fn no_user_setting_spells_root() {
        for bad in [
            "0",
            "00",
            "000:0",
            "+0",
            "-0",
            "0:0",
            "root",
            "root:root",
            " 0",
            ":0",
            "",
        ] {
            let e = err(&format!("[services.w]\nimage = \"i\"\nuser = \"{bad}\"\n"));
            assert_eq!(e.line, 3, "{bad:?}: {}", e.message);
            assert!(e.message.contains("[services.w]"), "{bad:?}: {}", e.message);
            let e = err(&format!("[app]\nuser = \"{bad}\"\n"));
            assert_eq!(e.line, 2, "{bad:?}: {}", e.message);
        }
        // Interpolated: the resolved value is checked.
        for v in ["0", "+0", "-0", "00", "root"] {
            let e = load("f", "[app]\nuser = \"${RUN_AS}\"\n", &env(&[("RUN_AS", v)])).unwrap_err();
            assert_eq!(e.line, 2, "{v}: {}", e.message);
            let e = load(
                "f",
                "[services.w]\nimage = \"i\"\nuser = \"${RUN_AS}:${RUN_AS}\"\n",
                &env(&[("RUN_AS", v)]),
            )
            .unwrap_err();
            assert!(e.message.contains("root"), "{v}: {}", e.message);
        }
        for ok in ["1000", "app", "1000:0", "web:web"] {
            let text =
                format!("[app]\nuser = \"{ok}\"\n[services.w]\nimage = \"i\"\nuser = \"{ok}\"\n");
            assert!(load("f", &text, &env(&[])).is_ok(), "{ok}");
        }
        assert!(load(
            "f",
            "[app]\nuser = \"${RUN_AS}\"\n",
            &env(&[("RUN_AS", "1000")])
        )
        .is_ok());
    }

    #[test]
    fn the_app_service_name_is_checked_and_must_not_clash() {
        let e = err("[app]\nname = \"-web\"\n");
        assert_eq!((e.line, e.col), (2, 8), "{e}");
        assert!(e.message.contains("service name `-web` is invalid"), "{e}");
        let e = err("[app]\nname = \"web\"\n\n[services.web]\nimage = \"x\"\n");
        assert_eq!(
            e.to_string(),
            "devctl.toml:4:1: [services.web] clashes with the app service of [app] (`name = \"web\"`): rename one of them (`name` in [app] names the app service)\n 4 | [services.web]\n   | ^^^^^^^^^^^^^^"
        );
        // `app` is free for a service once the app is called otherwise
        let ok = load(
            "devctl.toml",
            "[app]\nname = \"web\"\n\n[services.app]\nimage = \"x\"\ndepends_on = [\"web\"]\n",
            &env(&[]),
        )
        .unwrap();
        assert_eq!(ok.config.app_name(), Some("web"));
        let e =
            err("[app]\nname = \"web\"\n\n[services.db]\nimage = \"x\"\ndepends_on = [\"app\"]\n");
        assert!(
            e.message.contains("depends on `app`, which is not defined"),
            "{e}"
        );
    }

    #[test]
    fn command_replaces_server_and_migrate_so_not_both() {
        let e = err("[app]\nserver = \"httpd\"\ncommand = \"run\"\n");
        assert_eq!((e.line, e.col), (2, 1), "{e}");
        assert!(
            e.message.starts_with(
                "[app] sets both `command` and `server`: `command` replaces the script"
            ),
            "{e}"
        );
        let e = err("[app]\ncommand = [\"run\"]\nmigrate = \"m\"\n");
        assert_eq!((e.line, e.col), (3, 1), "{e}");
        assert!(e.message.contains("`migrate` would never run"), "{e}");
    }

    #[test]
    fn mount_options_are_what_compose_takes() {
        let e = err("[app]\nmount_options = [\"z\", \"zz\"]\n");
        assert_eq!((e.line, e.col), (2, 23), "{e}");
        assert!(
            e.message
                .contains("mount option `zz` is not one compose takes"),
            "{e}"
        );
        assert!(load(
            "devctl.toml",
            "[app]\nmount_options = [\"Z\", \"ro\", \"delegated\"]\n",
            &env(&[])
        )
        .is_ok());
    }

    #[test]
    fn app_uid_and_gid_interpolate_and_the_environment_wins() {
        let mut e = env(&[]);
        e.set_default("APP_UID", "1234".into());
        e.set_default("APP_GID", "99".into());
        let text = "[app]\n[app.build_args]\nUSERID = \"${APP_UID}\"\nGROUPID = \"${APP_GID}\"\n";
        let l = load("devctl.toml", text, &e).unwrap();
        let args = &l.config.app.unwrap().build_args;
        assert_eq!(
            (args["USERID"].0.as_str(), args["GROUPID"].0.as_str()),
            ("1234", "99")
        );
        assert!(l.warnings.is_empty(), "{:?}", l.warnings);
        let mut e = env(&[("APP_UID", "5")]);
        e.set_default("APP_UID", "1234".into());
        let l = load("devctl.toml", text, &e).unwrap();
        assert_eq!(l.config.app.unwrap().build_args["USERID"].0, "5");
    }

    fn layered(main: &str, local: &str) -> Result<Loaded, ConfigError> {
        load_layered(
            "devctl.toml",
            main,
            Some(("devctl.local.toml", local)),
            &env(&[]),
        )
    }

    #[test]
    fn the_local_file_merges_over_devctl_toml_as_compose_overrides() {
        let main = "[app]\nport = 8000\ncommand = [\"a\", \"b\"]\nports = [\"9000:9000\"]\nvolumes = [\"./a:/a\", \"./b:/b:ro\"]\nenvironment = [\"A=1\", \"B=2\"]\n\n[services.db]\nimage = \"postgres:16\"\nenvironment = { X = \"1\", Y = \"2\" }\n";
        let local = "[app]\ncommand = [\"c\"]\nports = [\"9000:9000\", \"9001:9001\"]\nvolumes = [\"./other:/b\", \"./c:/c\"]\nenvironment = [\"B=3\"]\nmount_options = [\"z\"]\n\n[services.db.environment]\nY = \"local\"\n\n[services.cache]\nimage = \"redis:7\"\n";
        let c = layered(main, local).unwrap().config;
        let app = c.app.unwrap();
        assert_eq!(app.port.unwrap().0, 8000);
        // command replaces, ports append (no repeat), volumes merge by target
        assert_eq!(
            app.command,
            Some(crate::model::CommandSpec::Many(vec!["c".into()]))
        );
        assert_eq!(app.ports.len(), 2);
        let vols: Vec<String> = app
            .volumes
            .iter()
            .map(|v| format!("{}:{}", v.source.as_deref().unwrap_or(""), v.target))
            .collect();
        assert_eq!(vols, ["./a:/a", "./other:/b", "./c:/c"]);
        let env: Vec<(String, Option<String>)> = app.environment.unwrap().0;
        assert_eq!(
            env,
            [
                ("A".into(), Some("1".into())),
                ("B".into(), Some("3".into()))
            ]
        );
        assert_eq!(app.mount_options.len(), 1);
        let db = &c.services["db"];
        assert_eq!(
            db.environment.as_ref().unwrap().0,
            [
                ("X".into(), Some("1".into())),
                ("Y".into(), Some("local".into()))
            ]
        );
        assert!(c.services.contains_key("cache"));
    }

    #[test]
    fn errors_name_the_file_the_value_came_from() {
        let main = "[project]\nname = \"demo\"\n\n[app]\nport = 8000\n";
        // a wrong key or type in the local file: its own line and column
        let e = layered(main, "[app]\nprot = 1\n").unwrap_err();
        assert_eq!(
            (e.file.as_str(), e.line, e.col),
            ("devctl.local.toml", 2, 1),
            "{e}"
        );
        let e = layered(main, "\n[app]\nport = \"x\"\n").unwrap_err();
        assert_eq!(
            (e.file.as_str(), e.line, e.col),
            ("devctl.local.toml", 3, 8),
            "{e}"
        );
        let e = layered(main, "[app\n").unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("devctl.local.toml", 1), "{e}");
        // devctl.toml's own errors stay devctl.toml's
        let e = layered("[app]\nport = 0\n", "[app]\nuser = \"web\"\n").unwrap_err();
        assert_eq!(
            (e.file.as_str(), e.line, e.col),
            ("devctl.toml", 2, 8),
            "{e}"
        );
        // found only in the merged document: where the value is
        let e = layered(
            main,
            "[services.db]\nimage = \"x\"\ndepends_on = [\"nope\"]\n",
        )
        .unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("devctl.local.toml", 3), "{e}");
        assert!(
            e.to_string()
                .starts_with("devctl.local.toml:3:15: service `db` depends on `nope`"),
            "{e}"
        );
        let e = layered(
            "[app]\nport = 8000\n\n[services.db]\nimage = \"x\"\ndepends_on = [\"nope\"]\n",
            "[app]\nport = 8001\n",
        )
        .unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("devctl.toml", 6), "{e}");
        // a rule of [app] whose parts are in both files
        let e = layered("[app]\nserver = \"httpd\"\n", "[app]\ncommand = \"run\"\n").unwrap_err();
        assert!(
            e.message
                .starts_with("[app] sets both `command` and `server`"),
            "{e}"
        );
        // after interpolation, in the local file
        let e = load_layered(
            "devctl.toml",
            main,
            Some(("devctl.local.toml", "[app]\nport = \"${P}\"\n")),
            &env(&[("P", "x")]),
        )
        .unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("devctl.local.toml", 2), "{e}");
    }

    #[test]
    fn a_local_file_may_leave_out_what_devctl_toml_gives() {
        // a partial [services.db]: `image` comes from devctl.toml
        let c = layered(
            "[services.db]\nimage = \"postgres:16\"\n",
            "[services.db]\nports = [\"5432:5432\"]\n",
        )
        .unwrap()
        .config;
        assert_eq!(c.services["db"].image.as_deref(), Some("postgres:16"));
        assert_eq!(c.services["db"].ports.len(), 1);
    }
}
