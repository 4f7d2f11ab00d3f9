//! `devctl ps [--json]`: the project's containers.

use std::process::ExitCode;

use anyhow::Result;

use crate::engine::apply;
use crate::engine::apply::PsRow;
use crate::session::{Input, Session};

/// The table: NAME, SERVICE, STATUS, PORTS, columns as wide as their content.
pub fn table(rows: &[PsRow]) -> String {
    let head = ["NAME", "SERVICE", "STATUS", "PORTS"];
    let cells: Vec<[String; 4]> = rows
        .iter()
        .map(|r| {
            [
                r.name.clone(),
                r.service.clone(),
                r.status.clone(),
                r.ports.join(", "),
            ]
        })
        .collect();
    let mut w = head.map(str::len);
    for c in &cells {
        for i in 0..4 {
            w[i] = w[i].max(c[i].len());
        }
    }
    let mut out = String::new();
    let mut line = |c: [&str; 4]| {
        let s = format!(
            "{:<a$}   {:<b$}   {:<c$}   {}",
            c[0],
            c[1],
            c[2],
            c[3],
            a = w[0],
            b = w[1],
            c = w[2]
        );
        out.push_str(s.trim_end());
        out.push('\n');
    };
    line(head);
    for c in &cells {
        line([&c[0], &c[1], &c[2], &c[3]]);
    }
    out
}

pub fn run(session: &Session, json: bool) -> Result<ExitCode> {
    let loaded = session.engine_input(Input::ReadOnly)?;
    let eng = session.engine()?;
    let rows = session
        .runtime()?
        .block_on(async { apply::ps(eng, &loaded.plan.project).await })?;
    if json {
        crate::outln!("{}", serde_json::to_string_pretty(&rows)?)?;
    } else {
        crate::out::print(&table(&rows))?;
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_aligns_columns() {
        let rows = vec![PsRow {
            name: "p-app-1".into(),
            service: "app".into(),
            number: 1,
            state: "running".into(),
            status: "Up 2 seconds".into(),
            image: "p-app:dev".into(),
            ports: vec!["127.0.0.1:8000->8000/tcp".into()],
        }];
        let t = table(&rows);
        assert_eq!(
            t,
            "NAME      SERVICE   STATUS         PORTS\np-app-1   app       Up 2 seconds   127.0.0.1:8000->8000/tcp\n"
        );
    }
}
