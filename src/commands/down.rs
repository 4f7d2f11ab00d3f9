//! `devctl down [--volumes]`: remove the project's containers and network
//! (named volumes too with `--volumes`).

use std::process::ExitCode;

use anyhow::Result;

use crate::commands::engine_input::ProjectLock;
use crate::engine::apply;
use crate::session::{Input, Session};

pub fn run(session: &Session, volumes: bool) -> Result<ExitCode> {
    let loaded = session.engine_input(Input::ReadOnly)?;
    let _lock = ProjectLock::acquire(&loaded.dir)?;
    let eng = session.engine()?;
    session.runtime()?.block_on(async {
        apply::down(eng, &loaded.plan, volumes).await?;
        Ok(ExitCode::SUCCESS)
    })
}
