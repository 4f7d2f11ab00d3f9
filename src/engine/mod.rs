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
pub mod logs;
pub mod plan;

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

/// Connects and negotiates the API version. Errors are one line (exit 2).
pub async fn connect() -> anyhow::Result<Engine> {
    let addr = engine_addr();
    let docker = if std::env::var("DOCKER_HOST").is_ok_and(|h| !h.is_empty()) {
        Docker::connect_with_defaults()
    } else {
        Docker::connect_with_local_defaults()
    }
    .map_err(|e| unreachable(&addr, e))?;
    let docker = docker
        .negotiate_version()
        .await
        .map_err(|e| unreachable(&addr, e))?;
    Ok(Engine { docker, addr })
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
