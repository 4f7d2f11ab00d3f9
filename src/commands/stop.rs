//! `devctl stop [SERVICE…]`: stop the project's containers (kept for `start`).

use std::process::ExitCode;

use anyhow::Result;

use crate::engine::apply;
use crate::error::usage;
use crate::session::{Input, Session};

pub fn run(session: &Session, services: &[String]) -> Result<ExitCode> {
    let loaded = session.engine_input(Input::ReadOnly)?;
    loaded.plan.known(services).map_err(usage)?;
    let eng = session.engine()?;
    session.runtime()?.block_on(async {
        apply::stop(eng, &loaded.plan, services).await?;
        Ok(ExitCode::SUCCESS)
    })
}
