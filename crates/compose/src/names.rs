//! Compose's spellings: project names and Go durations.

/// Compose's project-name normalisation: lowercase, only `[a-z0-9_-]`, no
/// leading `_` or `-`.
pub fn normalize_project_name(s: &str) -> String {
    s.to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-' || *c == '_')
        .collect::<String>()
        .trim_start_matches(['-', '_'])
        .to_string()
}

/// True when `s` is a Go duration as devctl.toml accepts it (`10s`,
/// `1m30s`, `500ms`: numbers each followed by ns, us, ms, s, m or h).
pub fn is_duration(s: &str) -> bool {
    if s.is_empty() {
        return false;
    }
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
            i += 1;
        }
        if i == start {
            return false;
        }
        let ustart = i;
        while i < b.len() && b[i].is_ascii_alphabetic() {
            i += 1;
        }
        if !matches!(&s[ustart..i], "ns" | "us" | "ms" | "s" | "m" | "h") {
            return false;
        }
    }
    true
}

/// Go duration (`1m30s`, `500ms`, `10s`, `0`) → nanoseconds.
pub fn parse_duration(s: &str) -> Result<i64, String> {
    parse_units(s, false)
}

/// A duration as compose-go's str2duration reads it (`every_…` pull
/// policies): Go's units and `d` (24 h) and `w` (7 days) → nanoseconds.
pub fn parse_long_duration(s: &str) -> Result<i64, String> {
    parse_units(s, true)
}

fn parse_units(s: &str, days: bool) -> Result<i64, String> {
    let s = s.trim();
    if s == "0" {
        return Ok(0);
    }
    let units = if days {
        "w, d, h, m, s, ms, us, ns"
    } else {
        "ns, us, ms, s, m, h"
    };
    let mut total: f64 = 0.0;
    let mut rest = s;
    if rest.is_empty() {
        return Err("empty duration".into());
    }
    while !rest.is_empty() {
        let num_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| format!("{s:?}: a duration needs a unit ({units})"))?;
        if num_end == 0 {
            return Err(format!("{s:?} is not a duration like 10s or 1m30s"));
        }
        let n: f64 = rest[..num_end]
            .parse()
            .map_err(|_| format!("{s:?} is not a duration like 10s or 1m30s"))?;
        rest = &rest[num_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let mult = match &rest[..unit_end] {
            "ns" => 1.0,
            "us" | "µs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            "d" if days => 86400e9,
            "w" if days => 7.0 * 86400e9,
            u => return Err(format!("{s:?}: unknown unit {u:?} ({units})")),
        };
        total += n * mult;
        rest = &rest[unit_end..];
    }
    Ok(total as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_names_normalise_as_compose_does() {
        assert_eq!(normalize_project_name("My_App.v2"), "my_appv2");
        assert_eq!(normalize_project_name("-_x"), "x");
        assert_eq!(normalize_project_name("ÄÖ"), "");
    }

    #[test]
    fn durations_are_read_as_go_reads_them() {
        assert_eq!(parse_duration("1m30s").unwrap(), 90_000_000_000);
        assert_eq!(parse_duration("500ms").unwrap(), 500_000_000);
        assert_eq!(parse_duration("0").unwrap(), 0);
        assert!(parse_duration("10").is_err());
        assert!(parse_duration("5d").is_err());
        assert!(is_duration("1h2m3s4ms"));
        assert!(!is_duration("10"));
        assert!(!is_duration(""));
        assert!(!is_duration("1d"));
    }
}
