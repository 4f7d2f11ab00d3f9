//! `devctl down [--volumes]`: remove the project's containers and network
//! (named volumes too with `--volumes`).

use std::process::ExitCode;

use anyhow::Result;

use crate::cli::Global;
use crate::commands::engine_input::{load_read_only, ProjectLock};
use crate::engine::{apply, connect, runtime};

pub fn run(global: &Global, volumes: bool) -> Result<ExitCode> {
    let loaded = load_read_only(global)?;
    let _lock = ProjectLock::acquire(&loaded.dir)?;
    runtime()?.block_on(async {
        let eng = connect().await?;
        apply::down(&eng, &loaded.plan, volumes).await?;
        Ok(ExitCode::SUCCESS)
    })
}
