//! `devctl doctor`: gather facts ([`facts`], the only IO), decide each check
//! ([`checks`], pure), and render one line per check.

pub mod checks;
pub mod facts;

use checks::{Check, Status};

/// One line per check (`✓ title: detail`), the fix indented under every !
/// and ✗, then a summary line.
pub fn render_text(checks: &[Check], color: bool) -> String {
    let mut out = String::new();
    for c in checks {
        let sym = c.status.symbol();
        let sym = if color {
            let code = match c.status {
                Status::Ok => "32",
                Status::Warn => "33",
                Status::Fail => "31",
            };
            format!("\x1b[{code}m{sym}\x1b[0m")
        } else {
            sym.to_string()
        };
        out.push_str(&format!("{sym} {}: {}\n", c.title, c.detail));
        if let Some(fix) = &c.fix {
            out.push_str(&format!("    fix: {fix}\n"));
        }
    }
    let n = |s: Status| checks.iter().filter(|c| c.status == s).count();
    out.push_str(&format!(
        "{} ok, {} warning{}, {} failure{}\n",
        n(Status::Ok),
        n(Status::Warn),
        if n(Status::Warn) == 1 { "" } else { "s" },
        n(Status::Fail),
        if n(Status::Fail) == 1 { "" } else { "s" },
    ));
    out
}

/// `{"ok": bool, "checks": [{id, status, title, detail, fix}]}`.
pub fn render_json(checks: &[Check]) -> String {
    let v = serde_json::json!({
        "ok": !failed(checks),
        "checks": checks,
    });
    serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
}

pub fn failed(checks: &[Check]) -> bool {
    checks.iter().any(|c| c.status == Status::Fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(status: Status, fix: Option<&str>) -> Check {
        Check {
            id: "x",
            status,
            title: "thing".into(),
            detail: "detail".into(),
            fix: fix.map(str::to_string),
        }
    }

    #[test]
    fn text_has_symbols_fixes_and_summary() {
        let t = render_text(
            &[
                c(Status::Ok, None),
                c(Status::Warn, Some("do a")),
                c(Status::Fail, Some("do b")),
            ],
            false,
        );
        assert_eq!(
            t,
            "✓ thing: detail\n! thing: detail\n    fix: do a\n✗ thing: detail\n    fix: do b\n1 ok, 1 warning, 1 failure\n"
        );
        assert!(render_text(&[c(Status::Fail, Some("f"))], true).contains("\x1b[31m✗\x1b[0m"));
    }

    #[test]
    fn json_says_ok_only_without_failures() {
        let j: serde_json::Value =
            serde_json::from_str(&render_json(&[c(Status::Warn, Some("f"))])).unwrap();
        assert_eq!(j["ok"], true);
        assert_eq!(j["checks"][0]["status"], "warn");
        assert_eq!(j["checks"][0]["fix"], "f");
        let j: serde_json::Value = serde_json::from_str(&render_json(&[
            c(Status::Ok, None),
            c(Status::Fail, Some("f")),
        ]))
        .unwrap();
        assert_eq!(j["ok"], false);
        assert!(failed(&[c(Status::Fail, Some("f"))]));
        assert!(!failed(&[c(Status::Warn, Some("f"))]));
    }
}
