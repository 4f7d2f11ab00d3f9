//! `devctl doctor [--json]`: one line per check with the fix for every !
//! and ✗; exit 1 when any check fails.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use crate::cli::Global;
use crate::doctor::{checks, facts, failed, render_json, render_text};

pub fn run(global: &Global, json: bool) -> anyhow::Result<ExitCode> {
    let facts = facts::gather(global);
    let list = checks::all(&facts);
    let mut out = std::io::stdout().lock();
    if json {
        out.write_all(render_json(&list).as_bytes())?;
    } else {
        let color = global.color_for(std::io::stdout().is_terminal());
        out.write_all(render_text(&list, color).as_bytes())?;
    }
    out.flush()?;
    Ok(if failed(&list) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
