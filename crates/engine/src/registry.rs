//! `devctl push` / `devctl pull`: images to and from their registries, with
//! the credentials the docker CLI keeps (`$DOCKER_CONFIG/config.json`:
//! `auths`, `credsStore`, `credHelpers`), sent as `X-Registry-Auth`.
//!
//! - [`DockerConfig`]: config.json read (the caller names the directory;
//!   this crate reads no environment variable) and which credentials a
//!   registry host gets ([`DockerConfig::credentials`] runs a credential
//!   helper, `docker-credential-<name> get`, when the config names one).
//!   Every password and token read is registered with `devctl-out`'s
//!   scrubber at once, and [`Credentials`] never shows them (`Debug`).
//! - [`push`] / [`pull`]: one image through the engine, progress on a
//!   spinner; the engine's in-band stream error (`errorDetail`) and its
//!   HTTP errors become one [`failure`] message each: an unreachable
//!   registry, a refused login, no login, an image the registry lacks
//!   (exit 2: something to fix first), else the engine's text (exit 1).
//!
//! The parsing, the lookup and the classification are pure (unit-tested).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{anyhow, Result};
use base64::Engine as _;
use bollard::auth::DockerCredentials;
use futures_util::StreamExt;
use serde::Deserialize;

use super::build::Progress;
use super::Engine;

/// Docker Hub's host in image references, and the key the docker CLI files
/// its credentials under.
pub const DOCKER_HUB: &str = "docker.io";
pub const DOCKER_HUB_AUTH_KEY: &str = "https://index.docker.io/v1/";

/// The registry host of an image reference, as the docker CLI splits it:
/// the first path component when it holds a `.` or a `:` or is
/// `localhost`, else Docker Hub.
pub fn registry_host(image: &str) -> String {
    match image.split_once('/') {
        Some((first, _)) if first.contains('.') || first.contains(':') || first == "localhost" => {
            first.to_string()
        }
        _ => DOCKER_HUB.to_string(),
    }
}

/// `repo[:tag]` split at the tag (`latest` when none); a digest stays in
/// the repository part.
pub fn split_tag(image: &str) -> (&str, &str) {
    if image.contains('@') {
        return (image, "");
    }
    match image.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => (repo, tag),
        _ => (image, "latest"),
    }
}

/// The host an `auths` / `credHelpers` key names (the docker CLI's
/// `ConvertToHostname`: scheme and path dropped). Docker Hub's spellings
/// all read `docker.io`.
fn key_host(key: &str) -> &str {
    let k = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    let h = k.split('/').next().unwrap_or(k);
    match h {
        "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" => DOCKER_HUB,
        _ => h,
    }
}

/// One `auths` entry: `auth` (base64 `user:password`) or the fields
/// apart; an identity token.
#[derive(Clone, Default, Deserialize)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    identitytoken: Option<String>,
    #[serde(default)]
    registrytoken: Option<String>,
}

#[derive(Default, Deserialize)]
struct RawConfig {
    #[serde(default)]
    auths: BTreeMap<String, AuthEntry>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: BTreeMap<String, String>,
}

/// The docker CLI's config as far as registries go.
#[derive(Default)]
pub struct DockerConfig {
    /// config.json as messages show it.
    shown: String,
    auths: BTreeMap<String, AuthEntry>,
    creds_store: Option<String>,
    cred_helpers: BTreeMap<String, String>,
}

impl std::fmt::Debug for DockerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DockerConfig")
            .field("file", &self.shown)
            .field("auths", &self.auths.keys().collect::<Vec<_>>())
            .field("creds_store", &self.creds_store)
            .field("cred_helpers", &self.cred_helpers)
            .finish()
    }
}

/// Credentials for one registry. The secret and the token are never shown
/// (`Debug` leaves them out; both are registered with the scrubber).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    pub username: Option<String>,
    secret: Option<String>,
    identity_token: Option<String>,
    registry_token: Option<String>,
    /// Where they came from, for messages (`config.json`, a helper).
    pub from: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("secret", &self.secret.as_ref().map(|_| devctl_out::MASK))
            .field(
                "identity_token",
                &self.identity_token.as_ref().map(|_| devctl_out::MASK),
            )
            .field("from", &self.from)
            .finish()
    }
}

impl Credentials {
    /// The engine's `X-Registry-Auth` for `host`.
    pub fn to_bollard(&self, host: &str) -> DockerCredentials {
        DockerCredentials {
            username: self.username.clone(),
            password: self.secret.clone(),
            identitytoken: self.identity_token.clone(),
            registrytoken: self.registry_token.clone(),
            serveraddress: Some(if host == DOCKER_HUB {
                DOCKER_HUB_AUTH_KEY.to_string()
            } else {
                host.to_string()
            }),
            ..Default::default()
        }
    }

    /// Who they log in as, for messages.
    pub fn who(&self) -> String {
        match (&self.username, &self.identity_token) {
            (Some(u), _) if !u.is_empty() => format!("user `{u}`"),
            (_, Some(_)) => "an identity token".to_string(),
            _ => "an empty user".to_string(),
        }
    }

    fn secrets(&self) -> Vec<String> {
        [&self.secret, &self.identity_token, &self.registry_token]
            .into_iter()
            .flatten()
            .cloned()
            .collect()
    }
}

/// The helper's `get` answer.
#[derive(Deserialize)]
struct HelperAnswer {
    #[serde(rename = "Username", default)]
    username: String,
    #[serde(rename = "Secret", default)]
    secret: String,
}

/// A credential helper's `get` output → credentials (`<token>` as the
/// user name means the secret is an identity token, as the docker CLI
/// reads it).
fn parse_helper_answer(text: &str, from: &str) -> Result<Credentials, String> {
    let a: HelperAnswer = serde_json::from_str(text.trim())
        .map_err(|e| format!("{from} answered something other than its JSON ({e})"))?;
    Ok(if a.username == "<token>" {
        Credentials {
            identity_token: Some(a.secret),
            from: from.to_string(),
            ..Default::default()
        }
    } else {
        Credentials {
            username: Some(a.username),
            secret: Some(a.secret),
            from: from.to_string(),
            ..Default::default()
        }
    })
}

/// `auth`: base64 of `user:password`.
fn decode_auth(b64: &str) -> Result<(String, String), String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .map_err(|_| "its `auth` is not base64".to_string())?;
    let text = String::from_utf8(bytes).map_err(|_| "its `auth` is not text".to_string())?;
    let (u, p) = text
        .split_once(':')
        .ok_or_else(|| "its `auth` is not `user:password` in base64".to_string())?;
    Ok((u.to_string(), p.to_string()))
}

/// Where a registry's credentials come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `docker-credential-<name>` (`credHelpers` for the host, else
    /// `credsStore`); `fallback`: an `auths` entry to use when the helper
    /// has none.
    Helper {
        name: String,
        fallback: bool,
    },
    /// An `auths` entry.
    Entry,
    None,
}

impl DockerConfig {
    /// config.json's text (`shown`: its path in messages). The secrets it
    /// holds are registered with the scrubber before anything else.
    pub fn parse(text: &str, shown: &str) -> Result<DockerConfig, String> {
        let raw: RawConfig = serde_json::from_str(text).map_err(|e| {
            format!(
                "{shown}: {e}; fix the JSON (it is the docker CLI's config: `docker login` rewrites it) or move it away"
            )
        })?;
        let mut secrets = Vec::new();
        for a in raw.auths.values() {
            secrets.extend(a.auth.iter().cloned());
            secrets.extend(a.password.iter().cloned());
            secrets.extend(a.identitytoken.iter().cloned());
            secrets.extend(a.registrytoken.iter().cloned());
            if let Some(Ok((_, p))) = a.auth.as_deref().map(decode_auth) {
                secrets.push(p);
            }
        }
        devctl_out::add_secrets(secrets);
        Ok(DockerConfig {
            shown: shown.to_string(),
            auths: raw.auths,
            creds_store: raw.creds_store.filter(|s| !s.is_empty()),
            cred_helpers: raw.cred_helpers,
        })
    }

    /// `<dir>/config.json` (`dir`: `$DOCKER_CONFIG`, else `~/.docker`, as
    /// the caller read them); a missing file is an empty config.
    pub fn load(dir: &Path, shown_dir: &str) -> Result<DockerConfig> {
        let path = dir.join("config.json");
        let shown = format!("{}/config.json", shown_dir.trim_end_matches('/'));
        match std::fs::read_to_string(&path) {
            Ok(t) => DockerConfig::parse(&t, &shown).map_err(crate::usage),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(DockerConfig {
                shown,
                ..Default::default()
            }),
            Err(e) => Err(crate::usage(format!(
                "cannot read {shown}: {}; fix its permissions or point DOCKER_CONFIG at another directory",
                super::build::io_reason(&e)
            ))),
        }
    }

    /// The file, as messages show it.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    fn entry(&self, host: &str) -> Option<(&String, &AuthEntry)> {
        self.auths.iter().find(|(k, _)| key_host(k) == host)
    }

    /// Where `host`'s credentials come from, as the docker CLI picks:
    /// `credHelpers[host]`, else `credsStore`, else `auths`.
    pub fn source(&self, host: &str) -> Source {
        let helper = self
            .cred_helpers
            .iter()
            .find(|(k, _)| key_host(k) == host)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty());
        let has_entry = self.entry(host).is_some();
        match (helper.or_else(|| self.creds_store.clone()), has_entry) {
            (Some(name), fallback) => Source::Helper { name, fallback },
            (None, true) => Source::Entry,
            (None, false) => Source::None,
        }
    }

    /// The credentials of an `auths` entry.
    fn entry_credentials(&self, host: &str) -> Result<Option<Credentials>, String> {
        let Some((key, a)) = self.entry(host) else {
            return Ok(None);
        };
        let from = format!("{} (auths.\"{key}\")", self.shown);
        let (username, secret) = match (&a.auth, &a.username, &a.password) {
            (Some(b64), _, _) if !b64.is_empty() => {
                let (u, p) = decode_auth(b64).map_err(|e| {
                    format!("{from}: {e}; run `docker login {host}` to write it again")
                })?;
                (Some(u), Some(p))
            }
            (_, u, p) => (u.clone(), p.clone()),
        };
        let c = Credentials {
            username,
            secret,
            identity_token: a.identitytoken.clone().filter(|t| !t.is_empty()),
            registry_token: a.registrytoken.clone().filter(|t| !t.is_empty()),
            from,
        };
        Ok(
            (c.username.is_some() || c.identity_token.is_some() || c.registry_token.is_some())
                .then_some(c),
        )
    }

    /// The credentials for `host` (None: log in anonymously). A helper is
    /// run (`docker-credential-<name> get`, the server on stdin, bounded
    /// to 30 s); its answer's secret is registered with the scrubber.
    pub fn credentials(&self, host: &str) -> Result<Option<Credentials>> {
        match self.source(host) {
            Source::None => Ok(None),
            Source::Entry => self.entry_credentials(host).map_err(crate::usage),
            Source::Helper { name, fallback } => {
                let server = if host == DOCKER_HUB {
                    DOCKER_HUB_AUTH_KEY
                } else {
                    host
                };
                match run_helper(&name, server)? {
                    Some(c) => {
                        devctl_out::add_secrets(c.secrets());
                        Ok(Some(c))
                    }
                    None if fallback => self.entry_credentials(host).map_err(crate::usage),
                    None => Ok(None),
                }
            }
        }
    }
}

/// `docker-credential-<name> get` with `server` on stdin. None: the helper
/// has no credentials for it (it says "credentials not found").
fn run_helper(name: &str, server: &str) -> Result<Option<Credentials>> {
    use std::io::{Read, Write};
    use std::process::{Command, Stdio};
    let prog = format!("docker-credential-{name}");
    let mut child = Command::new(&prog)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            crate::usage(format!(
                "the docker config names the credential helper `{name}` but `{prog}` cannot run ({e}): install it, or remove `credsStore`/`credHelpers` from the config"
            ))
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(server.as_bytes());
    }
    let read = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_string(&mut text);
            }
            text
        })
    };
    let out = read(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = read(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let t0 = std::time::Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if t0.elapsed() < Duration::from_secs(30) => {
                std::thread::sleep(Duration::from_millis(10))
            }
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(anyhow!(
                    "the credential helper `{prog}` did not answer within 30 s (asked for {server})"
                ));
            }
            Err(e) => return Err(anyhow!("waiting for the credential helper `{prog}`: {e}")),
        };
    };
    let out = out.join().unwrap_or_default();
    let err = err.join().unwrap_or_default();
    let said = format!("{} {}", out.trim(), err.trim());
    if !status.success() {
        if said.contains("credentials not found") {
            return Ok(None);
        }
        return Err(anyhow!(
            "the credential helper `{prog}` failed for {server} ({status}): {}",
            devctl_text::shown(said.trim(), 200)
        ));
    }
    parse_helper_answer(&out, &format!("the credential helper `{prog}`"))
        .map(Some)
        .map_err(crate::usage)
}

/// What a push or pull that failed ran into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The engine could not connect to the registry (refused, no such
    /// host, timeout, TLS to a plain-http registry).
    Unreachable { cause: String, https_to_http: bool },
    /// The registry asked for a login and got none.
    NoLogin,
    /// The registry refused the credentials sent.
    Refused,
    /// The registry has no such image (or hides it without a login).
    NotFound,
    /// Anything else: the engine's words.
    Other,
}

/// Which [`Failure`] the engine's message reports (the Go error text the
/// engine passes on; there is no code for it).
pub fn classify(message: &str) -> Failure {
    let m = message.to_ascii_lowercase();
    if m.contains("server gave http response to https client") {
        return Failure::Unreachable {
            cause: "it answers plain http where the engine asked for https".into(),
            https_to_http: true,
        };
    }
    for cause in [
        "connection refused",
        "no such host",
        "i/o timeout",
        "network is unreachable",
        "no route to host",
        "connection reset by peer",
        "tls: handshake failure",
        "certificate signed by unknown authority",
    ] {
        if m.contains(cause) {
            return Failure::Unreachable {
                cause: cause.into(),
                https_to_http: false,
            };
        }
    }
    if m.contains("no basic auth credentials") {
        return Failure::NoLogin;
    }
    if m.contains("unauthorized")
        || m.contains("authentication required")
        || m.contains("incorrect username or password")
    {
        return Failure::Refused;
    }
    if m.contains("manifest unknown")
        || m.contains("not found")
        || m.contains("repository does not exist")
        || m.contains("pull access denied")
    {
        return Failure::NotFound;
    }
    Failure::Other
}

/// Push or pull, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Push,
    Pull,
}

impl Op {
    fn ing(self) -> &'static str {
        match self {
            Op::Push => "pushing",
            Op::Pull => "pulling",
        }
    }
}

/// The one-line error for a failed push or pull of `image` whose engine
/// message was `message`, sent with `creds` (None: anonymously) from
/// `config`. Unreachable, login and missing-image failures are input
/// errors (exit 2: fix the registry, the login or the name first).
pub fn failure(
    op: Op,
    image: &str,
    message: &str,
    creds: Option<&Credentials>,
    config: &str,
) -> anyhow::Error {
    let host = registry_host(image);
    let login = if host == DOCKER_HUB {
        "docker login".to_string()
    } else {
        format!("docker login {host}")
    };
    let msg = message.trim();
    let what = op.ing();
    match classify(msg) {
        Failure::Unreachable {
            cause,
            https_to_http,
        } => crate::usage(if https_to_http {
            format!(
                "{what} {image}: cannot reach registry {host}: {cause} ({msg}); add \"{host}\" to `insecure-registries` in the engine's daemon.json (127.0.0.0/8 is trusted by default), or serve the registry over https"
            )
        } else {
            format!(
                "{what} {image}: cannot reach registry {host}: {cause} ({msg}); check that the registry is running at {host} and that the Docker engine can reach it, or fix the image's registry ([project].registry or the service's `image` in devctl.toml)"
            )
        }),
        Failure::NoLogin => crate::usage(format!(
            "{what} {image}: the registry {host} asks for a login and {config} has none for it: run `{login}`"
        )),
        Failure::Refused => crate::usage(match creds {
            Some(c) => format!(
                "{what} {image}: the registry {host} refused the credentials for {} from {}: run `{login}`",
                c.who(),
                c.from
            ),
            None => format!(
                "{what} {image}: the registry {host} asks for a login and {config} has none for it ({msg}): run `{login}`"
            ),
        }),
        Failure::NotFound if op == Op::Pull => crate::usage(format!(
            "{what} {image}: the registry {host} has no such image, or hides it without a login ({msg}); check the name and tag, push it first (`devctl push`), or run `{login}`"
        )),
        _ => anyhow!("{what} {image}: {msg}"),
    }
}

/// The engine's message of a stream or HTTP error; None for a transport
/// failure (the engine went away: the caller keeps the typed error).
fn engine_message(e: &bollard::errors::Error) -> Option<String> {
    match e {
        bollard::errors::Error::DockerStreamError { error } => Some(error.clone()),
        bollard::errors::Error::DockerResponseServerError { message, .. } => Some(message.clone()),
        _ => None,
    }
}

/// The status line shown while a layer moves (`Pushing 1.1MB/2.0MB`).
fn status_text(status: Option<&str>, detail: Option<&bollard::models::ProgressDetail>) -> String {
    let s = status.unwrap_or("");
    match detail.and_then(|d| Some((d.current?, d.total?))) {
        Some((cur, total)) if total > 0 => {
            format!("{s} {:.1}MB/{:.1}MB", cur as f64 / 1e6, total as f64 / 1e6)
        }
        _ => s.to_string(),
    }
}

/// Pushes `image` (`repo[:tag]`) as it is on the engine; `creds` None:
/// anonymously. The caller prints the result line.
pub async fn push(
    eng: &Engine,
    image: &str,
    creds: Option<&Credentials>,
    config: &str,
    progress: Progress,
) -> Result<()> {
    let (repo, tag) = split_tag(image);
    let host = registry_host(image);
    let opts = bollard::query_parameters::PushImageOptionsBuilder::default()
        .tag(tag)
        .build();
    let long = eng.long();
    let stream = long.push_image(repo, Some(opts), creds.map(|c| c.to_bollard(&host)));
    let status = |i: &bollard::models::PushImageInfo| {
        status_text(i.status.as_deref(), i.progress_detail.as_ref())
    };
    drive(stream, &status, Op::Push, image, creds, config, progress).await
}

/// Follows a push or pull stream to its end: its status on the spinner
/// (on a terminal), its first error told as [`failure`] tells it.
async fn drive<T>(
    mut stream: impl futures_util::Stream<Item = Result<T, bollard::errors::Error>> + Unpin,
    status: &dyn Fn(&T) -> String,
    op: Op,
    image: &str,
    creds: Option<&Credentials>,
    config: &str,
    progress: Progress,
) -> Result<()> {
    let bar = (progress == Progress::Tty).then(|| devctl_out::Spinner::new(image));
    let mut result = Ok(());
    while let Some(item) = stream.next().await {
        match item {
            Ok(info) => {
                if let Some(pb) = &bar {
                    pb.set_message(&status(&info));
                }
            }
            Err(e) => {
                result = Err(match engine_message(&e) {
                    Some(m) => failure(op, image, &m, creds, config),
                    None => anyhow::Error::new(e).context(format!("{} {image}", op.ing())),
                });
                break;
            }
        }
    }
    if let Some(pb) = &bar {
        pb.finish_and_clear();
    }
    result
}

/// Pulls `image` for `platform`; `creds` None: anonymously. The caller
/// prints the result line.
pub async fn pull(
    eng: &Engine,
    image: &str,
    platform: Option<&str>,
    creds: Option<&Credentials>,
    config: &str,
    progress: Progress,
) -> Result<()> {
    let host = registry_host(image);
    let mut b = bollard::query_parameters::CreateImageOptionsBuilder::default().from_image(image);
    if let Some(p) = platform {
        b = b.platform(p);
    }
    let long = eng.long();
    let stream = long.create_image(Some(b.build()), None, creds.map(|c| c.to_bollard(&host)));
    let status = |i: &bollard::models::CreateImageInfo| {
        status_text(i.status.as_deref(), i.progress_detail.as_ref())
    };
    drive(stream, &status, Op::Pull, image, creds, config, progress).await
}

/// The docker CLI's config directory: `$DOCKER_CONFIG` when set and not
/// empty, else `<home>/.docker` (the caller reads both).
pub fn config_dir(docker_config: Option<&str>, home: &str) -> PathBuf {
    match docker_config.filter(|d| !d.is_empty()) {
        Some(d) => PathBuf::from(d),
        None => Path::new(home).join(".docker"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    #[test]
    fn registry_hosts_are_split_as_the_docker_cli_splits_them() {
        assert_eq!(registry_host("redis:7"), "docker.io");
        assert_eq!(registry_host("library/redis"), "docker.io");
        assert_eq!(registry_host("team/app:dev"), "docker.io");
        assert_eq!(
            registry_host("127.0.0.1:5000/demo-app:dev"),
            "127.0.0.1:5000"
        );
        assert_eq!(registry_host("localhost/x"), "localhost");
        assert_eq!(registry_host("ghcr.io/o/x:1"), "ghcr.io");
        assert_eq!(
            split_tag("127.0.0.1:5000/a/b:dev"),
            ("127.0.0.1:5000/a/b", "dev")
        );
        assert_eq!(
            split_tag("127.0.0.1:5000/a/b"),
            ("127.0.0.1:5000/a/b", "latest")
        );
        assert_eq!(split_tag("redis"), ("redis", "latest"));
    }

    #[test]
    fn credentials_come_from_auths_helpers_or_the_store() {
        let text = format!(
            r#"{{"auths": {{"http://127.0.0.1:5000": {{"auth": "{}"}},
                 "https://index.docker.io/v1/": {{"auth": "{}"}},
                 "tok.example": {{"identitytoken": "tok-abcdef"}}}},
               "credHelpers": {{"ghcr.io": "gh"}}}}"#,
            b64("alice:pw-hunter2"),
            b64("bob:hub-pass")
        );
        let c = DockerConfig::parse(&text, "~/.docker/config.json").unwrap();
        assert_eq!(c.source("127.0.0.1:5000"), Source::Entry);
        assert_eq!(
            c.source("ghcr.io"),
            Source::Helper {
                name: "gh".into(),
                fallback: false
            }
        );
        assert_eq!(c.source("other:1"), Source::None);
        let a = c.entry_credentials("127.0.0.1:5000").unwrap().unwrap();
        assert_eq!(a.username.as_deref(), Some("alice"));
        let d = a.to_bollard("127.0.0.1:5000");
        assert_eq!(d.password.as_deref(), Some("pw-hunter2"));
        assert_eq!(d.serveraddress.as_deref(), Some("127.0.0.1:5000"));
        assert_eq!(a.who(), "user `alice`");
        let hub = c.entry_credentials("docker.io").unwrap().unwrap();
        assert_eq!(hub.username.as_deref(), Some("bob"));
        assert_eq!(
            hub.to_bollard("docker.io").serveraddress.as_deref(),
            Some(DOCKER_HUB_AUTH_KEY)
        );
        let t = c.entry_credentials("tok.example").unwrap().unwrap();
        assert_eq!(t.who(), "an identity token");
        // never shown, and hidden from everything printed
        let shown = format!("{a:?} {t:?} {c:?}");
        assert!(
            !shown.contains("pw-hunter2") && !shown.contains("tok-abcdef"),
            "{shown}"
        );
        assert!(!devctl_out::scrub("x pw-hunter2 tok-abcdef").contains("hunter2"));
        assert!(!devctl_out::scrub("tok-abcdef").contains("tok-abcdef"));
        // a store for everything, the entry as its fallback
        let s = DockerConfig::parse(
            r#"{"credsStore": "desktop", "auths": {"r.example": {}}}"#,
            "c.json",
        )
        .unwrap();
        assert_eq!(
            s.source("r.example"),
            Source::Helper {
                name: "desktop".into(),
                fallback: true
            }
        );
        assert_eq!(s.entry_credentials("r.example").unwrap(), None);
    }

    #[test]
    fn bad_configs_and_answers_are_named() {
        let e = DockerConfig::parse("{", "/h/.docker/config.json").unwrap_err();
        assert!(e.starts_with("/h/.docker/config.json: "), "{e}");
        let c = DockerConfig::parse(r#"{"auths": {"r:1": {"auth": "!!"}}}"#, "c.json").unwrap();
        let e = c.entry_credentials("r:1").unwrap_err();
        assert!(
            e.contains("not base64") && e.contains("docker login r:1"),
            "{e}"
        );
        let h = parse_helper_answer(r#"{"ServerURL":"r","Username":"u","Secret":"s3cr3t"}"#, "h")
            .unwrap();
        assert_eq!(h.to_bollard("r").password.as_deref(), Some("s3cr3t"));
        let t = parse_helper_answer(r#"{"Username":"<token>","Secret":"idtok"}"#, "h").unwrap();
        assert_eq!(t.to_bollard("r").identitytoken.as_deref(), Some("idtok"));
        assert!(parse_helper_answer("nope", "h").is_err());
    }

    #[test]
    fn engine_messages_are_classified() {
        let refused = "Get \"http://127.0.0.1:5999/v2/\": dial tcp 127.0.0.1:5999: connect: connection refused";
        assert_eq!(
            classify(refused),
            Failure::Unreachable {
                cause: "connection refused".into(),
                https_to_http: false
            }
        );
        assert!(matches!(
            classify("Get \"https://r:5000/v2/\": http: server gave HTTP response to HTTPS client"),
            Failure::Unreachable {
                https_to_http: true,
                ..
            }
        ));
        assert_eq!(classify("no basic auth credentials"), Failure::NoLogin);
        assert_eq!(
            classify(
                "Head \"http://127.0.0.1:5502/v2/x/bb/manifests/t1\": no basic auth credentials"
            ),
            Failure::NoLogin
        );
        assert_eq!(
            classify("unauthorized: authentication required"),
            Failure::Refused
        );
        assert_eq!(
            classify("manifest for r:1/x:t not found: manifest unknown: manifest unknown"),
            Failure::NotFound
        );
        assert_eq!(classify("disk full"), Failure::Other);

        let e = failure(Op::Push, "127.0.0.1:5999/a:dev", refused, None, "c.json");
        assert!(crate::error::is_input_error(&e));
        assert!(
            e.to_string()
                .starts_with("pushing 127.0.0.1:5999/a:dev: cannot reach registry 127.0.0.1:5999: connection refused ("),
            "{e}"
        );
        let creds = Credentials {
            username: Some("alice".into()),
            secret: Some("wrong".into()),
            from: "c.json (auths.\"r:1\")".into(),
            ..Default::default()
        };
        let e = failure(
            Op::Pull,
            "r:1/a:dev",
            "unauthorized: authentication required",
            Some(&creds),
            "c.json",
        );
        assert_eq!(
            e.to_string(),
            "pulling r:1/a:dev: the registry r:1 refused the credentials for user `alice` from c.json (auths.\"r:1\"): run `docker login r:1`"
        );
        let e = failure(Op::Push, "r:1/a:dev", "disk full", None, "c.json");
        assert!(!crate::error::is_input_error(&e));
        assert_eq!(e.to_string(), "pushing r:1/a:dev: disk full");
    }
}
