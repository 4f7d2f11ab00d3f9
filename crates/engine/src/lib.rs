//! Everything that talks to the Docker Engine (and nothing else does).
//!
//! - [`connect`]: bollard client from `DOCKER_HOST` (unix, tcp, ssh) or the
//!   local socket, with API version negotiation; an unreachable engine is a
//!   one-line usage error naming the address and pointing at `devctl doctor`.
//! - [`plan`]: compose document → plan (pure).
//! - [`apply`]: converge / stop / down / ps.
//! - [`build`]: context tarball + image build with progress.
//! - [`exec`]: `devctl sh`.
//! - [`logs`]: `devctl logs [-f]`.
//! - [`registry`]: `devctl push` / `devctl pull`, with the docker CLI's logins.

pub mod apply;
pub mod build;
pub mod compose_hash;
pub mod context;
pub mod exec;
pub mod info;
pub mod jobs;
pub mod logs;
pub mod plan;
pub mod ready;
pub mod registry;
pub mod stamp;

use std::path::{Path, PathBuf};
use std::time::Duration;

use bollard::Docker;

pub mod error;
pub use error::{usage, Error};

/// The default socket when DOCKER_HOST is unset.
pub const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";

/// The environment variable that overrides [`Timeouts`] (whole seconds).
pub const TIMEOUT_ENV: &str = "DEVCTL_ENGINE_TIMEOUT";

/// How long a request waits for the engine's answer (bollard bounds the
/// time to the response headers: the connection, the request body and the
/// engine's reply; a stream's body, such as build output or `logs -f`, is
/// not bounded once it has started).
///
/// - `short`: inspects, lists, creates, exec set-up, the version round
///   trip: an engine that is up answers these at once.
/// - `medium`: start, remove, network and volume changes, reading a file
///   out of a container (`stop` gets its grace period on top).
/// - `long`: the build request (the context upload and the first step) and
///   the start of `logs` streams.
///
/// Defaults 10 s / 60 s / 600 s; `DEVCTL_ENGINE_TIMEOUT=N` sets the short
/// bound to N seconds and the others in proportion (×6, ×60), for slow
/// remote engines or, in tests, to find a silent engine sooner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    pub short: Duration,
    pub medium: Duration,
    pub long: Duration,
}

impl Timeouts {
    pub const DEFAULT_SHORT_SECS: u64 = 10;

    fn scaled(short: u64) -> Timeouts {
        Timeouts {
            short: Duration::from_secs(short),
            medium: Duration::from_secs(short * 6),
            long: Duration::from_secs(short * 60),
        }
    }

    /// From the value of [`TIMEOUT_ENV`] (`None`: unset or empty).
    pub fn parse(v: Option<&str>) -> Result<Timeouts, String> {
        match v.map(str::trim).filter(|v| !v.is_empty()) {
            None => Ok(Timeouts::scaled(Self::DEFAULT_SHORT_SECS)),
            Some(v) => match v.parse::<u64>() {
                Ok(n @ 1..=3600) => Ok(Timeouts::scaled(n)),
                _ => Err(format!(
                    "{TIMEOUT_ENV}={v}: give the engine's answer time in whole seconds, 1 to 3600 (default {})",
                    Self::DEFAULT_SHORT_SECS
                )),
            },
        }
    }

    /// From [`Config::timeout`].
    pub fn of(config: &Config) -> anyhow::Result<Timeouts> {
        Timeouts::parse(config.timeout.as_deref()).map_err(usage)
    }
}

/// How to reach the engine, as the caller read it from the environment
/// (this crate reads no environment variable itself).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// `DOCKER_HOST`, or the Docker context's endpoint (unset or empty:
    /// the local socket).
    pub docker_host: Option<String>,
    /// [`TIMEOUT_ENV`] (unset or empty: the defaults).
    pub timeout: Option<String>,
    /// The Docker context in use when it is not `default` (named in
    /// messages), see [`context`].
    pub context: Option<String>,
    /// Why the context cannot be used (unknown, no endpoint): the error of
    /// every connection attempt (exit 2).
    pub context_error: Option<String>,
    /// Where the negotiated API version of a local socket is remembered
    /// (`$XDG_CACHE_HOME/devctl/engine-api`), see [`connect`].
    pub api_cache: Option<PathBuf>,
}

impl Config {
    /// The address devctl will use: `DOCKER_HOST` or the local socket.
    pub fn addr(&self) -> String {
        self.docker_host
            .clone()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| DEFAULT_HOST.to_string())
    }

    /// The address as messages name it: with the Docker context it came
    /// from, when that is not `default`.
    pub fn shown_addr(&self) -> String {
        match &self.context {
            Some(c) => format!("{} (docker context `{c}`)", self.addr()),
            None => self.addr(),
        }
    }
}

/// A connected engine.
pub struct Engine {
    /// The client for short requests ([`Timeouts::short`]).
    pub docker: Docker,
    /// The address it was reached at (for messages).
    pub addr: String,
    pub timeouts: Timeouts,
}

impl Engine {
    /// The same connection with another bound on each request.
    pub fn bounded(&self, bound: Duration) -> Docker {
        self.docker.clone().with_timeout(bound)
    }

    /// For start, remove, network and volume changes.
    pub fn medium(&self) -> Docker {
        self.bounded(self.timeouts.medium)
    }

    /// For the build request and the start of log streams.
    pub fn long(&self) -> Docker {
        self.bounded(self.timeouts.long)
    }

    /// For `stop` with a grace period of `grace` seconds (the engine
    /// answers once the container has stopped or been killed).
    pub fn for_stop(&self, grace: Option<i64>) -> Docker {
        let grace = Duration::from_secs(grace.unwrap_or(10).clamp(0, 86_400) as u64);
        self.bounded(self.timeouts.medium + grace)
    }
}

fn unreachable(addr: &str, cause: impl std::fmt::Display) -> anyhow::Error {
    let cause = cause.to_string();
    let cause = if cause == bollard::errors::Error::RequestTimeoutError.to_string() {
        "it accepted the connection but did not answer in time".to_string()
    } else {
        cause
    };
    let cause = cause.lines().next().unwrap_or("").to_string();
    anyhow::Error::new(Error::Unreachable {
        addr: addr.to_string(),
        cause,
    })
}

/// `ssh://[user@]host:port`: bollard's ssh transport hands `host:port` to
/// ssh as a host name, which cannot work. Returns (host, port) so the
/// error can say how to write it instead.
pub fn ssh_port_in_url(addr: &str) -> Option<(String, String)> {
    let rest = addr.strip_prefix("ssh://")?;
    let authority = rest.split('/').next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("");
    let (h, p) = host.rsplit_once(':')?;
    let bracketed = h.starts_with('[') && h.ends_with(']');
    (!p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && (bracketed || !h.contains(':')))
        .then(|| {
            (
                h.trim_start_matches('[').trim_end_matches(']').to_string(),
                p.to_string(),
            )
        })
}

/// Connects and negotiates the API version. Errors are one line (exit 2).
///
/// The engine's `/version` takes ~10 ms (it asks containerd and runc for
/// theirs), most of a no-op `start`. For a local socket the negotiated
/// version is remembered in [`Config::api_cache`], keyed by the socket's
/// path, inode and change time (the daemon makes a new socket each time it
/// starts, so an upgraded engine is asked again); then a `/_ping` (under a
/// millisecond) checks the engine answers.
pub async fn connect(config: &Config) -> anyhow::Result<Engine> {
    let eng = client(config)?;
    let key = config
        .api_cache
        .as_ref()
        .and_then(|_| socket_key(&config.addr()));
    if let (Some(file), Some(key)) = (&config.api_cache, &key) {
        if let Some(v) = cached_api(file, key) {
            let path = config.addr();
            let docker = Docker::connect_with_unix(&path, eng.timeouts.short.as_secs(), &v)
                .map_err(|e| unreachable(&eng.addr, e))?
                .with_timeout(eng.timeouts.short);
            docker.ping().await.map_err(|e| unreachable(&eng.addr, e))?;
            return Ok(Engine {
                docker,
                addr: eng.addr,
                timeouts: eng.timeouts,
            });
        }
    }
    let docker = eng
        .docker
        .negotiate_version()
        .await
        .map_err(|e| unreachable(&eng.addr, e))?;
    if let (Some(file), Some(key)) = (&config.api_cache, &key) {
        // only the next connection's shortcut is lost if this fails
        let _ = remember_api(file, key, &docker.client_version());
    }
    Ok(Engine {
        docker,
        addr: eng.addr,
        timeouts: eng.timeouts,
    })
}

/// A local socket's identity: path, inode, change time.
fn socket_key(addr: &str) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let path = addr.strip_prefix("unix://")?;
    let m = std::fs::metadata(path).ok()?;
    Some(format!(
        "{path} {} {}.{}",
        m.ino(),
        m.ctime(),
        m.ctime_nsec()
    ))
}

/// The cache file's lines: `KEY\tMAJOR.MINOR`.
fn cached_api(file: &Path, key: &str) -> Option<bollard::ClientVersion> {
    let text = std::fs::read_to_string(file).ok()?;
    let v = text
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix('\t'))?;
    let (a, b) = v.trim().split_once('.')?;
    Some(bollard::ClientVersion {
        major_version: a.parse().ok()?,
        minor_version: b.parse().ok()?,
    })
}

fn remember_api(file: &Path, key: &str, v: &bollard::ClientVersion) -> std::io::Result<()> {
    let path = key.split(' ').next().unwrap_or_default();
    let mut lines: Vec<String> = std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        // one line per socket path
        .filter(|l| l.split(' ').next() != Some(path))
        .map(str::to_string)
        .collect();
    lines.push(format!("{key}\t{}.{}", v.major_version, v.minor_version));
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = file.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, lines.join("\n") + "\n")?;
    std::fs::rename(&tmp, file)
}

/// A client without any request yet (no version round trip): for commands
/// whose latency matters (`sh`). Their first request's error goes through
/// [`unreachable_if_lost`] so an unreachable engine still gives the one
/// exit-2 line [`connect`] gives.
pub fn client(config: &Config) -> anyhow::Result<Engine> {
    if let Some(e) = &config.context_error {
        return Err(usage(e.clone()));
    }
    let addr = config.addr();
    let shown = config.shown_addr();
    if let Some((host, port)) = ssh_port_in_url(&addr) {
        return Err(usage(format!(
            "{}: the ssh transport cannot take a port in the URL; add `Host dockerhost` with `HostName {host}` and `Port {port}` to ~/.ssh/config and use ssh://[user@]dockerhost",
            match &config.context {
                Some(c) => format!("docker context `{c}` ({addr})"),
                None => format!("DOCKER_HOST={addr}"),
            }
        )));
    }
    let timeouts = Timeouts::of(config)?;
    let docker = if config.docker_host.as_deref().is_some_and(|h| !h.is_empty()) {
        Docker::connect_with_host(&addr)
    } else {
        Docker::connect_with_local_defaults()
    }
    .map_err(|e| unreachable(&shown, e))?
    .with_timeout(timeouts.short);
    Ok(Engine {
        docker,
        addr: shown,
        timeouts,
    })
}

/// The first request of a [`client`] failed: an engine that cannot be
/// reached becomes [`connect`]'s usage error; anything else is kept.
pub fn unreachable_if_lost(eng: &Engine, err: anyhow::Error) -> anyhow::Error {
    if lost_connection(&err, &eng.addr).is_some() {
        unreachable(&eng.addr, err.root_cause())
    } else {
        err
    }
}

/// A current-thread tokio runtime for one command.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

/// HTTP status of a bollard error, when the engine answered.
pub fn status_of(e: &bollard::errors::Error) -> Option<u16> {
    match e {
        bollard::errors::Error::DockerResponseServerError { status_code, .. } => Some(*status_code),
        _ => None,
    }
}

/// When `err` comes from losing the engine mid-command (connection refused,
/// reset or closed, timeout), the one line that says so, naming the engine.
pub fn lost_connection(err: &anyhow::Error, addr: &str) -> Option<String> {
    use bollard::errors::Error as E;
    let lost = err.chain().any(|e| {
        e.downcast_ref::<E>().is_some_and(|b| {
            matches!(
                b,
                E::HyperLegacyError { .. }
                    | E::HyperResponseError { .. }
                    | E::IOError { .. }
                    | E::RequestTimeoutError
                    | E::SocketNotFoundError(_)
            )
        }) || e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|inner| inner.downcast_ref::<Error>())
            .is_some_and(|x| *x == Error::BuildClosed)
            || e.downcast_ref::<Error>() == Some(&Error::BuildClosed)
    });
    let silent = err.chain().any(|e| {
        e.downcast_ref::<E>()
            .is_some_and(|b| matches!(b, E::RequestTimeoutError))
    });
    lost.then(|| {
        if silent {
            format!(
                "the Docker engine at {} stopped answering (a request got no reply in time): check that it is running and not stuck (`devctl doctor`), then run the command again (it picks up where this one stopped)",
                addr
            )
        } else {
            format!(
                "lost the connection to the Docker engine at {}: check that it is running (`devctl doctor`), then run the command again (it picks up where this one stopped)",
                addr
            )
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_default_and_scale_with_the_override() {
        let d = Timeouts::parse(None).unwrap();
        assert_eq!(d.short, Duration::from_secs(10));
        assert_eq!(d.medium, Duration::from_secs(60));
        assert_eq!(d.long, Duration::from_secs(600));
        assert_eq!(Timeouts::parse(Some("")).unwrap(), d);
        let t = Timeouts::parse(Some("2")).unwrap();
        assert_eq!(
            (t.short, t.medium, t.long),
            (
                Duration::from_secs(2),
                Duration::from_secs(12),
                Duration::from_secs(120)
            )
        );
        for bad in ["0", "-1", "1.5", "abc", "3601"] {
            let e = Timeouts::parse(Some(bad)).unwrap_err();
            assert!(
                e.contains(TIMEOUT_ENV) && e.contains("seconds"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn the_api_version_is_remembered_per_socket_and_a_new_socket_asks_again() {
        let d = tempfile::tempdir().unwrap();
        let sock = d.path().join("engine.sock");
        let _l = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        let addr = format!("unix://{}", sock.display());
        let key = socket_key(&addr).unwrap();
        let file = d.path().join("cache/engine-api");
        assert!(cached_api(&file, &key).is_none());
        let v = |a, b| bollard::ClientVersion {
            major_version: a,
            minor_version: b,
        };
        remember_api(&file, &key, &v(1, 41)).unwrap();
        remember_api(&file, "/other.sock 1 2.3", &v(1, 44)).unwrap();
        let got = cached_api(&file, &key).unwrap();
        assert_eq!((got.major_version, got.minor_version), (1, 41));
        // the daemon made a new socket (restart, upgrade): not the same key
        drop(_l);
        std::fs::remove_file(&sock).unwrap();
        let _l2 = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        let key2 = socket_key(&addr).unwrap();
        assert_ne!(key, key2);
        assert!(cached_api(&file, &key2).is_none());
        // a new entry for a path replaces its old one
        remember_api(&file, &key2, &v(1, 43)).unwrap();
        let text = std::fs::read_to_string(&file).unwrap();
        assert_eq!(text.lines().count(), 2, "{text}");
        assert!(
            socket_key("tcp://box:2375").is_none(),
            "remote engines are asked each time"
        );
    }

    /// A remembered version does not hide an engine that is gone: the
    /// ping fails with the one "cannot reach" line.
    #[test]
    fn a_remembered_version_still_checks_the_engine_answers() {
        let d = tempfile::tempdir().unwrap();
        let sock = d.path().join("gone.sock");
        let l = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        drop(l); // the file stays, nothing listens
        let addr = format!("unix://{}", sock.display());
        let file = d.path().join("engine-api");
        remember_api(
            &file,
            &socket_key(&addr).unwrap(),
            &bollard::ClientVersion {
                major_version: 1,
                minor_version: 41,
            },
        )
        .unwrap();
        let config = Config {
            docker_host: Some(addr.clone()),
            api_cache: Some(file),
            ..Config::default()
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let err = rt.block_on(connect(&config)).err().unwrap();
        assert!(err.to_string().contains(&addr), "{err}");
    }

    #[test]
    fn a_timed_out_request_is_a_silent_engine_naming_the_address() {
        let err = anyhow::Error::new(bollard::errors::Error::RequestTimeoutError)
            .context("listing containers");
        let line = lost_connection(&err, "tcp://box:2375").unwrap();
        assert!(line.contains("stopped answering"), "{line}");
        assert!(line.contains("tcp://box:2375"), "{line}");
        let err = anyhow::Error::new(bollard::errors::Error::IOError {
            err: std::io::Error::from(std::io::ErrorKind::ConnectionReset),
        });
        assert!(lost_connection(&err, "unix:///x.sock")
            .unwrap()
            .starts_with("lost the connection"));
        let closed = anyhow::Error::new(std::io::Error::new(
            std::io::ErrorKind::BrokenPipe,
            Error::BuildClosed,
        ));
        assert!(lost_connection(&closed, "unix:///x.sock").is_some());
        let other = anyhow::anyhow!("the engine closed the build request");
        assert!(
            lost_connection(&other, "unix:///x.sock").is_none(),
            "message text is not a type"
        );
        let e = unreachable(
            "unix:///x.sock",
            bollard::errors::Error::RequestTimeoutError,
        );
        assert!(
            e.to_string().contains("unix:///x.sock") && e.to_string().contains("did not answer"),
            "{e}"
        );
    }

    #[test]
    fn ssh_url_with_a_port_is_recognised() {
        assert_eq!(
            ssh_port_in_url("ssh://root@127.0.0.1:2222"),
            Some(("127.0.0.1".into(), "2222".into()))
        );
        assert_eq!(
            ssh_port_in_url("ssh://[::1]:22"),
            Some(("::1".into(), "22".into()))
        );
        assert_eq!(ssh_port_in_url("ssh://root@box"), None);
        assert_eq!(ssh_port_in_url("ssh://box/"), None);
        assert_eq!(ssh_port_in_url("unix:///var/run/docker.sock"), None);
        assert_eq!(ssh_port_in_url("tcp://host:2375"), None);
    }
}
