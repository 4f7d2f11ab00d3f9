//! `devctl build [SERVICE…] [--no-cache] [--pull]`.

use std::process::ExitCode;

use anyhow::Result;

use crate::cli::Global;
use crate::commands::engine_input::stderr_is_tty;
use crate::engine::build::{build_service, BuildOptions, Progress};
use crate::error::usage;
use crate::session::{Input, Session};

pub fn progress_mode(global: &Global) -> Progress {
    if global.quiet {
        Progress::Quiet
    } else if stderr_is_tty() {
        Progress::Tty
    } else {
        Progress::Plain
    }
}

pub fn run(session: &Session, services: &[String], no_cache: bool, pull: bool) -> Result<ExitCode> {
    let global = session.global;
    let loaded = session.engine_input(Input::Write {
        show_warnings: true,
    })?;
    let plan = &loaded.plan;
    // The services the active profiles enable (and those named), as
    // `docker compose build` builds them.
    let selected = plan.select(services, &session.profiles()).map_err(usage)?;
    let opts = BuildOptions {
        no_cache,
        pull,
        progress: progress_mode(global),
        cwd: session.paths()?.cwd.clone(),
        stamps: Some(std::path::PathBuf::from(&plan.working_dir)),
        legacy_asked: crate::engine::build::legacy_asked(
            std::env::var("DOCKER_BUILDKIT").ok().as_deref(),
        ),
        ssh_agent: std::env::var_os("SSH_AUTH_SOCK").is_some_and(|v| !v.is_empty()),
    };
    let eng = session.engine()?;
    session.runtime()?.block_on(async {
        let mut built: Vec<&str> = Vec::new();
        for svc in selected {
            // services named explicitly, or all: dependencies are not built
            if !services.is_empty() && !services.contains(&svc.name) {
                continue;
            }
            // the images its build names (`service:` contexts) first
            let order = crate::engine::build::context_services(plan, svc);
            for s in order.into_iter().chain([svc]) {
                if s.build.is_some() && !built.contains(&s.name.as_str()) {
                    build_service(eng, s, opts.clone()).await?;
                    built.push(&s.name);
                }
            }
        }
        let built = built.len();
        if built == 0 && !global.quiet {
            crate::errln!("no service has a `build:` section: nothing to build");
        }
        Ok(ExitCode::SUCCESS)
    })
}
