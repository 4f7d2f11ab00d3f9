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

pub mod apply;
pub mod build;
pub mod exec;
pub mod info;
pub mod jobs;
pub mod logs;
pub mod plan;
pub mod ready;

use bollard::Docker;

use crate::error::usage;

/// The default socket when DOCKER_HOST is unset.
pub const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";

/// A connected engine.
pub struct Engine {
    pub docker: Docker,
    /// The address it was reached at (for messages).
    pub addr: String,
}

/// The address devctl will use: `DOCKER_HOST` or the local socket.
pub fn engine_addr() -> String {
    std::env::var("DOCKER_HOST")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| DEFAULT_HOST.to_string())
}

fn unreachable(addr: &str, cause: impl std::fmt::Display) -> anyhow::Error {
    let cause = cause.to_string();
    let cause = cause.lines().next().unwrap_or("").to_string();
    usage(format!(
        "cannot reach the Docker engine at {addr} ({cause}); run `devctl doctor` to diagnose"
    ))
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
pub async fn connect() -> anyhow::Result<Engine> {
    let eng = client()?;
    let docker = eng
        .docker
        .negotiate_version()
        .await
        .map_err(|e| unreachable(&eng.addr, e))?;
    Ok(Engine {
        docker,
        addr: eng.addr,
    })
}

/// A client without any request yet (no version round trip): for commands
/// whose latency matters (`sh`). Their first request's error goes through
/// [`unreachable_if_lost`] so an unreachable engine still gives the one
/// exit-2 line [`connect`] gives.
pub fn client() -> anyhow::Result<Engine> {
    let addr = engine_addr();
    if let Some((host, port)) = ssh_port_in_url(&addr) {
        return Err(usage(format!(
            "DOCKER_HOST={addr}: the ssh transport cannot take a port in the URL; add `Host dockerhost` with `HostName {host}` and `Port {port}` to ~/.ssh/config and use ssh://[user@]dockerhost"
        )));
    }
    let docker = if std::env::var("DOCKER_HOST").is_ok_and(|h| !h.is_empty()) {
        Docker::connect_with_defaults()
    } else {
        Docker::connect_with_local_defaults()
    }
    .map_err(|e| unreachable(&addr, e))?;
    Ok(Engine { docker, addr })
}

/// The first request of a [`client`] failed: an engine that cannot be
/// reached becomes [`connect`]'s usage error; anything else is kept.
pub fn unreachable_if_lost(eng: &Engine, err: anyhow::Error) -> anyhow::Error {
    if lost_connection(&err).is_some() {
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
pub fn lost_connection(err: &anyhow::Error) -> Option<String> {
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
            .to_string()
            .contains("the engine closed the build request")
    });
    lost.then(|| {
        format!(
            "lost the connection to the Docker engine at {}: check that it is running (`devctl doctor`), then run the command again (it picks up where this one stopped)",
            engine_addr()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
