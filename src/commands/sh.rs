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

pub fn run(session: &Session, service: Option<&str>, cmd: &[String]) -> Result<ExitCode> {
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
    let tty = std::io::stdin().is_terminal() && crate::out::stdout_is_terminal();
    let code = rt.block_on(async {
        let mut req = ExecRequest {
            // replica 1 directly (no listing) in the common case
            container: plan.container_name(&svc.name, 1),
            user: svc.user.clone(),
            workdir: svc.working_dir.clone(),
            cmd,
            tty,
            stdin: !exec::stdin_is_dev_null(),
            env: crate::session::tty_env(tty),
        };
        let mut id = exec::create(&eng, &req)
            .await
            .map_err(|e| crate::engine::unreachable_if_lost(&eng, e))?;
        if id.is_none() {
            if let Some(other) = running_container(&eng, plan, &svc.name).await? {
                req.container = other;
                id = exec::create(&eng, &req).await?;
            }
        }
        let id = id.ok_or_else(|| {
            anyhow!(
                "service {} is not running: run `devctl start` first",
                svc.name
            )
        })?;
        exec::attach(&eng, &id, tty, req.stdin).await
    })?;
    // Returned through main like every command: the runtime and the
    // connection pool are dropped here, the terminal was restored when
    // `attach` returned, and std flushes stdout on the way out.
    Ok(ExitCode::from((code & 0xff) as u8))
}
