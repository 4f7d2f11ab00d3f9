//! `devctl doctor [--json]`: one line per check with the fix for every !
//! and ✗; exit 1 when any check fails.

use std::process::ExitCode;

use crate::cli::Global;
use crate::doctor::{checks, facts, failed, render_json, render_text};

pub fn run(global: &Global, json: bool) -> anyhow::Result<ExitCode> {
    let facts = facts::gather(global);
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
