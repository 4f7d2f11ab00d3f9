//! `devctl run [--rm] [-e K=V]… [-u USER] [-w DIR] [-T] [--no-deps]
//! [--service-ports] [--entrypoint CMD] SERVICE [CMD…]`: a command in a
//! fresh one-off container of the service, as `docker compose run` makes
//! it (labelled `oneoff=True`, named `<project>-<service>-run-<slug>`),
//! its dependencies started first; exits with the command's exit code.
//! Tasks with `oneoff = true` run through [`run_oneoff`] too.

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;

use crate::cli::Global;
use crate::commands::engine_input::ProjectLock;
use crate::engine::apply;
use crate::engine::exec;
use crate::engine::plan::{OneOff, Plan};
use crate::error::usage;
use crate::session::{Input, Session};

#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    /// Remove the container when it ends (also after a failure or Ctrl-C)
    #[arg(long)]
    pub rm: bool,
    /// Set an environment variable (repeatable; `KEY` alone takes this environment's value)
    #[arg(short = 'e', long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<String>,
    /// Run as this user (default: the service's)
    #[arg(short = 'u', long = "user", value_name = "USER")]
    pub user: Option<String>,
    /// Run in this directory (default: the service's working_dir)
    #[arg(short = 'w', long = "workdir", value_name = "DIR")]
    pub workdir: Option<String>,
    /// No TTY, even on a terminal
    #[arg(short = 'T')]
    pub no_tty: bool,
    /// Do not start the service's dependencies
    #[arg(long)]
    pub no_deps: bool,
    /// Publish the service's ports (not published by default)
    #[arg(long)]
    pub service_ports: bool,
    /// Replace the image's entrypoint (split as a shell splits words)
    #[arg(long, value_name = "CMD")]
    pub entrypoint: Option<String>,
    /// The service
    #[arg(value_name = "SERVICE")]
    pub service: String,
    /// The command and its arguments (default: the service's command)
    #[arg(
        value_name = "CMD",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub cmd: Vec<String>,
}

/// One one-off run, as the caller (`run`, a task) asks for it.
pub struct Request {
    pub service: String,
    /// Everything but the slug (made here).
    pub oneoff: OneOff,
    pub rm: bool,
    pub no_deps: bool,
}

pub fn run(session: &Session, args: &RunArgs) -> Result<ExitCode> {
    let (loaded, eng) = session.input_and_engine(Input::Write {
        show_warnings: true,
    })?;
    let rt = session.runtime()?;
    let entrypoint = args
        .entrypoint
        .as_deref()
        .map(|e| -> Result<Vec<String>> {
            if e.trim().is_empty() {
                // `--entrypoint ''`: none (the image's is dropped)
                return Ok(Vec::new());
            }
            let (first, rest) = crate::project::tasks::split_dep(e)
                .map_err(|x| usage(format!("--entrypoint {e:?}: {x}")))?;
            Ok(std::iter::once(first).chain(rest).collect())
        })
        .transpose()?;
    let tty = !args.no_tty && std::io::stdin().is_terminal() && crate::out::stdout_is_terminal();
    let req = Request {
        service: args.service.clone(),
        oneoff: OneOff {
            slug: String::new(),
            cmd: (!args.cmd.is_empty()).then(|| args.cmd.clone()),
            entrypoint,
            env: crate::commands::sh::env_pairs(&args.env)?,
            user: args.user.clone(),
            workdir: args.workdir.clone(),
            tty,
            stdin: tty || !exec::stdin_is_dev_null(),
            service_ports: args.service_ports,
        },
        rm: args.rm,
        no_deps: args.no_deps,
    };
    let profiles = session.profiles();
    let code = rt.block_on(run_oneoff(
        session.global,
        &session.paths()?.cwd,
        &loaded.dir,
        eng,
        &loaded.plan,
        &profiles,
        req,
    ))?;
    Ok(ExitCode::from((code & 0xff) as u8))
}

/// Starts the dependencies (unless `no_deps`; under the project lock, as
/// `start` does), builds the service's image when it is missing, creates
/// the one-off container, runs it attached and, with `rm`, removes it
/// whatever happened. Returns the command's exit code (128 + the signal
/// when interrupted).
pub async fn run_oneoff(
    global: &Global,
    cwd: &Path,
    project_dir: &Path,
    eng: &crate::engine::Engine,
    plan: &Plan,
    profiles: &[String],
    mut req: Request,
) -> Result<i64> {
    let svc = plan.service(&req.service).ok_or_else(|| {
        usage(format!(
            "no service {:?} (services: {})",
            req.service,
            plan.names()
        ))
    })?;
    // Naming the service activates its profiles, as in compose.
    let selected = plan
        .select(std::slice::from_ref(&req.service), profiles)
        .map_err(usage)?;
    let deps: Vec<_> = selected
        .into_iter()
        .filter(|s| s.name != svc.name)
        .collect();
    let name = {
        let _lock = ProjectLock::acquire(project_dir)?;
        if !req.no_deps && !deps.is_empty() {
            crate::commands::start::converge_selected(global, cwd, eng, plan, &deps).await?;
        }
        let ids = crate::commands::start::image_ids(global, cwd, eng, plan, &[svc]).await?;
        let image = ids.get(&svc.name).map(String::as_str).unwrap_or_default();
        // The never-root rule for the service's own user (`-u` is the
        // caller's explicit choice, as with `docker compose run -u`).
        if let (None, Some(user)) = (&req.oneoff.user, &svc.user) {
            crate::engine::info::ensure_user_not_root(
                eng,
                &svc.name,
                plan.is_app(&svc.name),
                user,
                image,
                &svc.image,
            )
            .await?;
        }
        if !req.no_deps {
            apply::wait_for_dependencies(eng, plan, svc).await?;
        }
        req.oneoff.slug = apply::new_slug()?;
        apply::create_oneoff(eng, plan, svc, &req.oneoff).await?
    };
    let code = exec::attach_container(eng, &name, req.oneoff.tty, req.oneoff.stdin).await;
    if req.rm {
        let removed = apply::remove_now(eng, &name).await;
        let code = code?;
        removed?;
        return Ok(code);
    }
    code
}
