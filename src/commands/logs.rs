//! `devctl logs [-f] [SERVICE…]`.

use std::process::ExitCode;

use anyhow::Result;

use crate::cli::Global;
use crate::commands::engine_input::load_read_only;
use crate::engine::{connect, logs, runtime};
use crate::error::usage;

pub fn run(global: &Global, follow: bool, services: &[String]) -> Result<ExitCode> {
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
        let color = global.color_for(crate::out::stdout_is_terminal());
        logs::logs(&eng, &loaded.plan.project, services, follow, color).await?;
        Ok(ExitCode::SUCCESS)
    })
}
