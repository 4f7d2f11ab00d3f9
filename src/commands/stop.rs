//! `devctl stop [SERVICE…]`: stop the project's containers (kept for `start`).

use std::process::ExitCode;

use anyhow::Result;

use crate::cli::Global;
use crate::commands::engine_input::load_read_only;
use crate::engine::{apply, connect, runtime};
use crate::error::usage;

pub fn run(global: &Global, services: &[String]) -> Result<ExitCode> {
    let loaded = load_read_only(global)?;
    for s in services {
        if loaded.plan.service(s).is_none() {
            return Err(usage(format!(
                "no service {s:?} (services: {})",
                loaded.plan.names()
            )));
        }
    }
    runtime()?.block_on(async {
        let eng = connect().await?;
        apply::stop(&eng, &loaded.plan, services).await?;
        Ok(ExitCode::SUCCESS)
    })
}
