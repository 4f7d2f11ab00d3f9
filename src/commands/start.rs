//! `devctl start [SERVICE…]`: build what is missing, converge, print the URL.

use std::collections::HashMap;
use std::process::ExitCode;

use anyhow::{bail, Result};

use crate::cli::Global;
use crate::commands::build::progress_mode;
use crate::commands::engine_input::{load_and_connect, ProjectLock};
use crate::engine::apply::{converge, image_id};
use crate::engine::build::{build_service, BuildOptions};
use crate::error::usage;

pub fn run(global: &Global, services: &[String]) -> Result<ExitCode> {
    let (loaded, eng, rt) = load_and_connect(global, true)?;
    let _lock = ProjectLock::acquire(&loaded.dir)?;
    let plan = &loaded.plan;
    rt.block_on(async {
        start_services(global, &eng, plan, services).await?;
        if let Some(url) = plan.app_url() {
            if !global.quiet {
                crate::outln!("{url}")?;
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// Builds what is missing and converges `services` (all when empty) and
/// their dependencies; the caller holds the [`ProjectLock`].
pub async fn start_services(
    global: &Global,
    eng: &crate::engine::Engine,
    plan: &crate::engine::plan::Plan,
    services: &[String],
) -> Result<()> {
    let selected = plan.select(services).map_err(usage)?;
    {
        let ids =
            futures_util::future::join_all(selected.iter().map(|s| image_id(eng, &s.image))).await;
        let mut image_ids = HashMap::new();
        for (svc, id) in selected.iter().zip(ids) {
            let id = match id? {
                Some(id) => id,
                None if svc.build.is_some() => {
                    let opts = BuildOptions {
                        no_cache: false,
                        pull: false,
                        progress: progress_mode(global),
                    };
                    build_service(eng, svc, opts).await?;
                    match image_id(eng, &svc.image).await? {
                        Some(id) => id,
                        None => bail!("the build of {} did not produce image {}", svc.name, svc.image),
                    }
                }
                None => bail!(
                    "service {}: image {} is not available locally (devctl does not pull: `docker pull {}`, or give the service a `build:`)",
                    svc.name,
                    svc.image,
                    svc.image
                ),
            };
            image_ids.insert(svc.name.clone(), id);
        }
        converge(eng, plan, &selected, &image_ids).await?;
        Ok(())
    }
}
