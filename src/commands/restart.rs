//! `devctl restart [SERVICE…]`: restart the containers of those services
//! (all when none is named), as `docker compose restart` does.

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
        let done = apply::restart(eng, &loaded.plan, services).await?;
        if done.is_empty() && !session.global.quiet {
            crate::errln!("no container to restart (`devctl start` creates them)");
        }
        Ok(ExitCode::SUCCESS)
    })
}
