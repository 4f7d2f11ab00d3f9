//! `devctl doctor [--json]`: one line per check with the fix for every !
//! and ✗; exit 1 when any check fails.

use std::process::ExitCode;

use crate::doctor::{checks, facts, failed, render_json, render_text};
use crate::session::Session;

pub fn run(session: &Session, json: bool) -> anyhow::Result<ExitCode> {
    let global = session.global;
    let facts = facts::gather(session);
    let list = checks::all(&facts);
    if json {
        crate::out::print(&render_json(&list))?;
    } else {
        let color = global.color_for(crate::out::stdout_is_terminal());
        crate::out::print(&render_text(&list, color))?;
    }
    Ok(if failed(&list) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
