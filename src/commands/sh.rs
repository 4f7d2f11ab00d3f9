//! `devctl sh [SERVICE] [-- CMD…]`: a shell (or CMD) in the running
//! container, as the service's user in its workdir; exits with the command's
//! exit code.

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::{anyhow, Result};

use crate::engine::apply::running_container;
use crate::engine::exec::{self, ExecRequest};
use crate::error::usage;
use crate::session::{Input, Session};

/// bash when the image has it, else sh.
pub const DEFAULT_SHELL: &str =
    "if command -v bash >/dev/null 2>&1; then exec bash; else exec sh; fi";

/// `docker compose exec`'s flags.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ShOpts {
    /// No TTY, even on a terminal
    #[arg(short = 'T')]
    pub no_tty: bool,
    /// Set an environment variable (repeatable; `KEY` alone takes this environment's value)
    #[arg(short = 'e', long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<String>,
    /// Run as this user (default: the service's)
    #[arg(short = 'u', long = "user", value_name = "USER")]
    pub user: Option<String>,
    /// Run in this directory (default: the service's working_dir)
    #[arg(short = 'w', long = "workdir", value_name = "DIR")]
    pub workdir: Option<String>,
    /// The replica (container number) of the service
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub index: u32,
}

/// `-e` values as `KEY=VALUE`: `KEY` alone takes the value this process
/// has (dropped when it has none), as compose does.
pub fn env_pairs(env: &[String]) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for e in env {
        let (k, v) = match e.split_once('=') {
            Some((k, v)) => (k.to_string(), Some(v.to_string())),
            None => (e.clone(), crate::session::env_var(e)),
        };
        if k.is_empty() {
            return Err(usage(format!(
                "-e {e:?}: give KEY=VALUE (or KEY to pass this environment's value)"
            )));
        }
        if let Some(v) = v {
            out.push((k, v));
        }
    }
    Ok(out)
}

pub fn run(
    session: &Session,
    service: Option<&str>,
    opts: &ShOpts,
    cmd: &[String],
) -> Result<ExitCode> {
    // No version round trip first: `sh` is latency-bound (the first request's
    // error still says "cannot reach the Docker engine", exit 2).
    let rt = session.runtime()?;
    let eng = session.client()?;
    // `sh` runs in a running container: it writes nothing in the project.
    let loaded = session.engine_input(Input::ReadOnly)?;
    let plan = &loaded.plan;
    let svc = match service {
        Some(s) => plan
            .service(s)
            .ok_or_else(|| usage(format!("no service {s:?} (services: {})", plan.names())))?,
        None => plan
            .app
            .as_deref()
            .and_then(|a| plan.service(a))
            .or_else(|| plan.services.first())
            .ok_or_else(|| usage("the compose file has no services"))?,
    };
    let cmd = if cmd.is_empty() {
        vec![
            "/bin/sh".to_string(),
            "-c".to_string(),
            DEFAULT_SHELL.to_string(),
        ]
    } else {
        cmd.to_vec()
    };
    let tty = !opts.no_tty && std::io::stdin().is_terminal() && crate::out::stdout_is_terminal();
    let env: Vec<String> = crate::session::tty_env(tty)
        .into_iter()
        .chain(
            env_pairs(&opts.env)?
                .into_iter()
                .map(|(k, v)| format!("{k}={v}")),
        )
        .collect();
    let code = rt.block_on(async {
        let mut req = ExecRequest {
            // replica N directly (no listing) in the common case
            container: plan.container_name(&svc.name, opts.index),
            user: opts.user.clone().or_else(|| svc.user.clone()),
            workdir: opts.workdir.clone().or_else(|| svc.working_dir.clone()),
            cmd,
            tty,
            stdin: !exec::stdin_is_dev_null(),
            env,
        };
        let mut id = exec::create(eng, &req)
            .await
            .map_err(|e| crate::engine::unreachable_if_lost(eng, e))?;
        // Another running replica stands in for replica 1 (not for one
        // asked for by --index).
        if id.is_none() && opts.index == 1 {
            if let Some(other) = running_container(eng, plan, &svc.name).await? {
                req.container = other;
                id = exec::create(eng, &req).await?;
            }
        }
        let id = id.ok_or_else(|| {
            if opts.index == 1 {
                anyhow!(
                    "service {} is not running: run `devctl start` first",
                    svc.name
                )
            } else {
                anyhow!(
                    "container {} (replica {} of service {}) is not running",
                    req.container,
                    opts.index,
                    svc.name
                )
            }
        })?;
        exec::attach(eng, &id, tty, req.stdin).await
    })?;
    // Returned through main like every command: the runtime and the
    // connection pool are dropped here, the terminal was restored when
    // `attach` returned, and std flushes stdout on the way out.
    Ok(ExitCode::from((code & 0xff) as u8))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_flags_split_at_the_first_equals_and_key_alone_reads_the_environment() {
        let p = |v: &[&str]| env_pairs(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(
            p(&["A=1", "B=x=y", "C="]).unwrap(),
            [
                ("A".to_string(), "1".to_string()),
                ("B".to_string(), "x=y".to_string()),
                ("C".to_string(), String::new())
            ]
        );
        // PATH is set for the test process; an unset key is dropped
        let got = p(&["PATH", "DEVCTL_SURELY_UNSET_VAR"]).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, "PATH");
        assert!(p(&["=1"]).is_err());
    }
}
