//! In-file controls over which findings are reported. Pure.
//!
//! - `# hadolint ignore=DL3008,DL3009`: the codes are not reported for the
//!   instruction that starts on the very next line (hadolint: the pragma maps
//!   to `comment line + 1`, so a blank line or another comment in between
//!   breaks it). A trailing `# comment` after the list is allowed.
//! - `# hadolint global ignore=…`: anywhere in the file, for the whole file.
//! - `# check=skip=A,B`, `# check=skip=all`, `# check=error=true`: BuildKit's
//!   parser directive (only at the top of the file, where BuildKit reads it);
//!   applies to BuildKit check names, and to DL findings that stand for a
//!   check named in `skip=` (their message ends `(BuildKit check: Name)`).
//!
//! A rule list that does not parse (e.g. `ignore=crazy,DL3002`) ignores
//! nothing, as in hadolint.

use std::collections::{BTreeMap, BTreeSet};

use devctl_dockerfile::Dockerfile;

/// `DL1001`'s message, hadolint's wording (typo fixed).
pub const DL1001_MESSAGE: &str =
    "Please refrain from using inline ignore pragmas `# hadolint ignore=DLxxxx`.";

/// BuildKit's `# check=` directive.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckDirective {
    /// `skip=all`.
    pub skip_all: bool,
    /// `skip=A,B`: check names as written (case-sensitive, like BuildKit).
    pub skip: BTreeSet<String>,
    /// `error=true`: check findings are errors.
    pub error: bool,
}

impl CheckDirective {
    /// Parses the directive's value: `;`-separated `key=value` parts, as
    /// BuildKit does. Unknown keys and malformed parts are ignored.
    pub fn parse(value: &str) -> CheckDirective {
        let mut out = CheckDirective::default();
        for part in value.split(';') {
            let Some((key, val)) = part.split_once('=') else {
                continue;
            };
            match key.trim().to_ascii_lowercase().as_str() {
                "skip" => {
                    for name in val.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                        if name.eq_ignore_ascii_case("all") {
                            out.skip_all = true;
                        } else {
                            out.skip.insert(name.to_string());
                        }
                    }
                }
                "error" => {
                    out.error =
                        matches!(val.trim().to_ascii_lowercase().as_str(), "1" | "t" | "true")
                }
                _ => {}
            }
        }
        out
    }

    /// Whether a finding is skipped: a BuildKit check by name or `all`; a DL
    /// finding that stands for a check only when that check is named
    /// (`skip=all` silences BuildKit, not hadolint's rules).
    pub fn skips_finding(&self, code: &str, message: &str) -> bool {
        if is_buildkit_check(code) {
            self.skips(code)
        } else {
            covered_check(message).is_some_and(|c| self.skip.contains(c))
        }
    }

    /// Whether the check named `code` is skipped.
    pub fn skips(&self, code: &str) -> bool {
        self.skip_all || self.skip.contains(code)
    }
}

/// Every pragma in one Dockerfile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pragmas {
    /// `(first line, last line, codes)`: an inline pragma covers the lines
    /// of the instruction that starts directly below it (or just that next
    /// line when no instruction starts there).
    pub line_ignores: Vec<(usize, usize, BTreeSet<String>)>,
    /// `# hadolint global ignore=` codes.
    pub global_ignores: BTreeSet<String>,
    /// Lines of inline `# hadolint ignore=` comments (for DL1001).
    pub inline_pragma_lines: Vec<usize>,
    pub check: CheckDirective,
}

impl Pragmas {
    /// Collects the pragmas of a parsed Dockerfile.
    pub fn collect(df: &Dockerfile) -> Pragmas {
        let mut p = Pragmas::default();
        let starts: BTreeMap<usize, usize> = df
            .instructions
            .iter()
            .map(|i| (i.start_line(), i.end_line()))
            .collect();
        for c in &df.comments {
            if let Some(codes) = parse_ignore(&c.text) {
                p.inline_pragma_lines.push(c.line);
                let first = c.line + 1;
                let last = starts.get(&first).copied().unwrap_or(first).max(first);
                p.line_ignores
                    .push((first, last, codes.into_iter().collect()));
            } else if let Some(codes) = parse_global_ignore(&c.text) {
                p.global_ignores.extend(codes);
            }
        }
        if let Some(d) = df.directive("check") {
            p.check = CheckDirective::parse(&d.value);
        }
        p
    }

    /// Whether a `# hadolint` pragma suppresses `code` at `line` (the
    /// finding's line; an instruction's findings are at its first line).
    pub fn ignores(&self, code: &str, line: usize) -> bool {
        self.global_ignores.contains(code)
            || self
                .line_ignores
                .iter()
                .any(|(a, b, codes)| (*a..=*b).contains(&line) && codes.contains(code))
    }
}

/// `hadolint ignore=A,B` (the comment text after `#`). `None` when the
/// comment is not an ignore pragma or its list does not parse.
pub fn parse_ignore(comment: &str) -> Option<Vec<String>> {
    let rest = hadolint_prefix(comment)?;
    ignore_list(rest)
}

/// `hadolint global ignore=A,B`.
pub fn parse_global_ignore(comment: &str) -> Option<Vec<String>> {
    let rest = hadolint_prefix(comment)?;
    let rest = rest.strip_prefix("global")?;
    let trimmed = rest.trim_start_matches(is_blank);
    if trimmed.len() == rest.len() {
        return None; // `global` needs at least one blank after it
    }
    ignore_list(trimmed)
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// Strips `hadolint` and the blanks after it (at least one).
fn hadolint_prefix(comment: &str) -> Option<&str> {
    let rest = comment
        .trim_start_matches(is_blank)
        .strip_prefix("hadolint")?;
    let trimmed = rest.trim_start_matches(is_blank);
    (trimmed.len() < rest.len()).then_some(trimmed)
}

/// `ignore = A , B [# comment]`.
fn ignore_list(s: &str) -> Option<Vec<String>> {
    let s = s.strip_prefix("ignore")?.trim_start_matches(is_blank);
    let s = s.strip_prefix('=')?;
    // A trailing `# …` comment is allowed.
    let list = match s.find('#') {
        Some(i) => &s[..i],
        None => s,
    };
    let mut codes = Vec::new();
    for item in list.split(',') {
        let code = item.trim_matches(is_blank);
        if !is_rule_code(code) {
            return None;
        }
        codes.push(code.to_string());
    }
    Some(codes)
}

/// A rule code: `DL3008`, `SC2086`, `DC1001`, or a BuildKit check name
/// (`StageNameCasing`): starts with an upper-case letter, then letters and
/// digits.
fn is_rule_code(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_alphanumeric())
}

/// The BuildKit check a DL finding stands for: rules name it at the end of
/// the message, `… (BuildKit check: JSONArgsRecommended)`.
pub fn covered_check(message: &str) -> Option<&str> {
    let rest = message.strip_suffix(')')?;
    let i = rest.rfind("(BuildKit check: ")?;
    Some(&rest[i + "(BuildKit check: ".len()..])
}

/// True for BuildKit check names (not `XX1234`-style codes).
pub fn is_buildkit_check(code: &str) -> bool {
    let b = code.as_bytes();
    !(b.len() >= 3
        && b[..2].iter().all(u8::is_ascii_uppercase)
        && b[2..].iter().all(u8::is_ascii_digit))
}

#[cfg(test)]
mod tests {
    use super::*;
    use devctl_dockerfile::parse;

    fn v(codes: &[&str]) -> Option<Vec<String>> {
        Some(codes.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn ignore_pragma_forms() {
        assert_eq!(parse_ignore("hadolint ignore=DL3002"), v(&["DL3002"]));
        assert_eq!(
            parse_ignore("hadolint ignore=DL3001,DL3002"),
            v(&["DL3001", "DL3002"])
        );
        assert_eq!(
            parse_ignore("hadolint ignore=DL3023, DL3021"),
            v(&["DL3023", "DL3021"])
        );
        assert_eq!(parse_ignore("hadolint ignore = DL3002 "), v(&["DL3002"]));
        assert_eq!(
            parse_ignore("hadolint ignore=DL3002 # because"),
            v(&["DL3002"])
        );
        assert_eq!(
            parse_ignore("hadolint ignore=StageNameCasing,DC1001"),
            v(&["StageNameCasing", "DC1001"])
        );
        // invalid names: nothing ignored
        assert_eq!(parse_ignore("hadolint ignore=crazy,DL3002"), None);
        assert_eq!(parse_ignore("hadolint ignore="), None);
        // not pragmas
        assert_eq!(parse_ignore("hadolintignore=DL3002"), None);
        assert_eq!(parse_ignore("hadolint global ignore=DL3002"), None);
        assert_eq!(parse_ignore("just a comment"), None);
        assert_eq!(parse_ignore("hadolint shell=powershell"), None);
    }

    #[test]
    fn global_ignore_pragma_forms() {
        assert_eq!(
            parse_global_ignore("hadolint global ignore=DL3002"),
            v(&["DL3002"])
        );
        assert_eq!(
            parse_global_ignore("hadolint global ignore = DL3023 , DL3021"),
            v(&["DL3023", "DL3021"])
        );
        assert_eq!(parse_global_ignore("hadolint globalignore=DL3002"), None);
        assert_eq!(parse_global_ignore("hadolint ignore=DL3002"), None);
    }

    #[test]
    fn check_directive_forms() {
        let c = CheckDirective::parse("skip=JSONArgsRecommended,StageNameCasing");
        assert!(c.skips("JSONArgsRecommended") && c.skips("StageNameCasing"));
        assert!(!c.skips("FromAsCasing") && !c.error);
        let c = CheckDirective::parse("skip=all");
        assert!(c.skip_all && c.skips("Anything"));
        let c = CheckDirective::parse("error=true");
        assert!(c.error && !c.skips("StageNameCasing"));
        let c = CheckDirective::parse("skip=A ; error=true");
        assert!(c.error && c.skips("A"));
        let c = CheckDirective::parse("error=false;nonsense");
        assert_eq!(c, CheckDirective::default());
    }

    #[test]
    fn collect_maps_inline_pragma_to_next_line_only() {
        let df = parse(
            "FROM ubuntu\n# hadolint ignore=DL3002\nUSER root\n# hadolint ignore=DL3003\n\nRUN cd /x\n# hadolint global ignore=DL4000\nMAINTAINER me\n",
        )
        .unwrap();
        let p = Pragmas::collect(&df);
        assert!(p.ignores("DL3002", 3));
        assert!(!p.ignores("DL3002", 1));
        // a blank line breaks the pragma
        assert!(!p.ignores("DL3003", 6));
        assert!(p.ignores("DL4000", 1) && p.ignores("DL4000", 8));
        assert_eq!(p.inline_pragma_lines, vec![2, 4]);
    }

    #[test]
    fn inline_pragma_covers_a_multiline_instruction() {
        let df = parse("FROM a\n# hadolint ignore=DL3008\nRUN a \\\n  b\nRUN c\n").unwrap();
        let p = Pragmas::collect(&df);
        assert!(p.ignores("DL3008", 3) && p.ignores("DL3008", 4));
        assert!(!p.ignores("DL3008", 5));
    }

    #[test]
    fn collect_reads_check_directive_only_at_top() {
        let df = parse("# check=skip=StageNameCasing;error=true\nFROM a\n").unwrap();
        let p = Pragmas::collect(&df);
        assert!(p.check.skips("StageNameCasing") && p.check.error);
        let df = parse("FROM a\n# check=skip=StageNameCasing\nRUN x\n").unwrap();
        assert_eq!(Pragmas::collect(&df).check, CheckDirective::default());
    }

    #[test]
    fn skip_covers_dl_findings_naming_the_check() {
        let c = CheckDirective::parse("skip=JSONArgsRecommended");
        let m = "Use arguments JSON notation (BuildKit check: JSONArgsRecommended)";
        assert!(c.skips_finding("DL3025", m));
        assert!(!c.skips_finding("DL3025", "Use arguments JSON notation"));
        assert!(c.skips_finding("JSONArgsRecommended", "x"));
        let all = CheckDirective::parse("skip=all");
        assert!(!all.skips_finding("DL3025", m));
        assert!(all.skips_finding("StageNameCasing", "x"));
        assert_eq!(covered_check(m), Some("JSONArgsRecommended"));
        assert_eq!(covered_check("plain (note)"), None);
    }

    #[test]
    fn buildkit_check_names() {
        assert!(is_buildkit_check("StageNameCasing"));
        assert!(!is_buildkit_check("DL3008"));
        assert!(!is_buildkit_check("DC1001"));
        assert!(!is_buildkit_check("SC2086"));
    }
}
