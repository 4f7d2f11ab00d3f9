//! `devctl logs [-f] [SERVICE…]`.

use std::process::ExitCode;

use anyhow::Result;

use crate::engine::logs;
use crate::error::usage;
use crate::session::{Input, Session};

pub fn run(session: &Session, follow: bool, services: &[String]) -> Result<ExitCode> {
    let global = session.global;
    let loaded = session.engine_input(Input::ReadOnly)?;
    loaded.plan.known(services).map_err(usage)?;
    let eng = session.engine()?;
    session.runtime()?.block_on(async {
        let color = global.color_for(crate::out::stdout_is_terminal());
        logs::logs(eng, &loaded.plan.project, services, follow, color).await?;
        Ok(ExitCode::SUCCESS)
    })
}
