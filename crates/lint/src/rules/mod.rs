//! Rule families. Add a family: a module with `RULES` and `check`, listed in
//! [`FAMILIES`].

pub mod buildkit;
pub mod dc;
pub mod dl;
pub mod dl_run;

use std::collections::HashMap;
use std::sync::LazyLock;

use super::{Ctx, Finding, RuleInfo, Severity};

type Check = fn(&Ctx, &mut Vec<Finding>);

/// Every family's rules and checker.
const FAMILIES: &[(&[RuleInfo], Check)] = &[
    (dl::RULES, dl::check),
    (dl_run::RULES, dl_run::check),
    (buildkit::RULES, buildkit::check),
    (dc::RULES, dc::check),
    (super::DRIVER_RULES, super::driver_check),
];

/// Run every rule family.
pub fn check_all(ctx: &Ctx, out: &mut Vec<Finding>) {
    for (_, check) in FAMILIES {
        check(ctx, out);
    }
}

/// All known rules, in family order.
pub fn all() -> impl Iterator<Item = &'static RuleInfo> {
    FAMILIES.iter().flat_map(|(rules, _)| rules.iter())
}

/// The rule's default severity (Warning for an unknown code).
pub fn default_severity(code: &str) -> Severity {
    // Asked once per finding: a map, not a walk of every family's table.
    static BY_CODE: LazyLock<HashMap<&'static str, Severity>> = LazyLock::new(|| {
        let mut m = HashMap::new();
        for r in all() {
            // The first family listing a code wins, as before.
            m.entry(r.code).or_insert(r.severity);
        }
        m
    });
    BY_CODE.get(code).copied().unwrap_or(Severity::Warning)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::Options;

    fn table() -> BTreeSet<&'static str> {
        all().map(|r| r.code).collect()
    }

    /// The crate's `.rs` files, without their tests (the part before the
    /// first `#[cfg(test)]`; `tests.rs` files skipped).
    fn production_sources() -> Vec<(PathBuf, String)> {
        let mut out = Vec::new();
        let mut stack = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "rs")
                    && p.file_name().is_some_and(|n| n != "tests.rs")
                {
                    let text = std::fs::read_to_string(&p).unwrap();
                    let code = match text.find("#[cfg(test)]") {
                        Some(i) => text[..i].to_string(),
                        None => text,
                    };
                    out.push((p, code));
                }
            }
        }
        out.sort();
        out
    }

    /// The codes a source can emit, as written in it: every string literal
    /// that is a DL/DC code (whether passed to a finding constructor
    /// directly or through a variable, as DL3049..DL3058 and DL3009/DL3060
    /// are), and the literal first argument of every finding constructor
    /// (`finding(`, `finding_at(`, `hit(`, `code: "…".into()`), which covers
    /// BuildKit's check names. Comment lines are skipped.
    fn emitted_literals(source: &str) -> Vec<(usize, String)> {
        let code_like = |s: &str| {
            s.len() == 6
                && (s.starts_with("DL") || s.starts_with("DC"))
                && s[2..].bytes().all(|b| b.is_ascii_digit())
        };
        let mut out = Vec::new();
        let lines: Vec<&str> = source.lines().collect();
        for (n, line) in lines.iter().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            // Every literal on the line.
            let mut rest = *line;
            while let Some(i) = rest.find('"') {
                let after = &rest[i + 1..];
                let Some(j) = after.find('"') else { break };
                let lit = &after[..j];
                if code_like(lit) {
                    out.push((n + 1, lit.to_string()));
                }
                rest = &after[j + 1..];
            }
            // A constructor's first argument, also on the next line.
            for call in ["finding(", "finding_at(", "hit(", "code: "] {
                for (i, _) in line.match_indices(call) {
                    let tail = line[i + call.len()..].trim_start();
                    let tail = if tail.is_empty() {
                        lines.get(n + 1).map_or("", |l| l.trim_start())
                    } else {
                        tail
                    };
                    let Some(lit) = tail.strip_prefix('"') else {
                        continue;
                    };
                    let Some(end) = lit.find('"') else { continue };
                    out.push((n + 1, lit[..end].to_string()));
                }
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// Every code a rule can emit has an entry (code, default severity,
    /// summary) in its family's `RULES`: found in the sources, so that a
    /// code no test input triggers is checked too.
    #[test]
    fn every_code_in_the_sources_is_in_a_rule_table() {
        let table = table();
        let mut found = BTreeSet::new();
        let mut missing = Vec::new();
        for (path, source) in production_sources() {
            for (line, code) in emitted_literals(&source) {
                if !table.contains(code.as_str()) {
                    missing.push(format!("{}:{line}: {code}", path.display()));
                }
                found.insert(code);
            }
        }
        assert!(
            missing.is_empty(),
            "codes emitted but not in any RULES table (add them with a severity and a summary): {missing:?}"
        );
        // The scan sees the rules: every family's codes are among what it found.
        for code in [
            "DL1000",
            "DL3008",
            "DL3055",
            "DC1001",
            "DC1008",
            "StageNameCasing",
            "UndefinedVar",
        ] {
            assert!(
                found.contains(code),
                "the source scan missed {code}: {found:?}"
            );
        }
    }

    #[test]
    fn the_source_scan_sees_literals_and_constructor_arguments() {
        let src = "let a = \"DL9999\";\n// \"DC9999\" in a comment\nout.push(ctx.finding(\n    \"NewCheck\", inst, \"m\"));\nout.push(ctx.finding_at(\"Other\", 1, 1, msg));\nFinding { code: \"DC1234\".into() }\n";
        let codes: Vec<String> = emitted_literals(src).into_iter().map(|(_, c)| c).collect();
        assert_eq!(codes, ["DL9999", "NewCheck", "Other", "DC1234"]);
    }

    /// Every code the rules emit over the corpus, BuildKit's parser cases and
    /// the hadolint edge cases (with every option that turns a rule on) is
    /// in a table, with the severity the finding carries.
    #[test]
    fn every_emitted_code_is_in_a_rule_table() {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        let corpus = std::env::var_os("DEVCTL_CORPUS")
            .map(PathBuf::from)
            .unwrap_or_else(|| manifest.join("../../../shared/corpus"));
        let roots = [
            corpus.join("dockerfiles"),
            corpus.join("buildkit-parser"),
            manifest.join("../../tests/it/hadolint_cases"),
        ];
        let mut files = Vec::new();
        let mut stack: Vec<PathBuf> = roots.iter().filter(|r| r.is_dir()).cloned().collect();
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    files.push(p);
                }
            }
        }
        if !corpus.join("dockerfiles").is_dir() {
            assert!(
                std::env::var("CI").map_or(true, |v| v != "true"),
                "corpus missing at {}",
                corpus.display()
            );
        }
        let opts = Options {
            label_schema: [
                ("maintainer", "email"),
                ("version", "semver"),
                ("url", "url"),
                ("created", "rfc3339"),
                ("license", "spdx"),
                ("revision", "hash"),
                ("title", "text"),
            ]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
            strict_labels: true,
            trusted_registries: vec!["docker.io".to_string()],
            built_targets: vec!["build".to_string()],
            ..Options::default()
        };
        let table: BTreeSet<&str> = table();
        let mut seen = BTreeSet::new();
        for p in &files {
            let Ok(bytes) = std::fs::read(p) else {
                continue;
            };
            let Ok(text) = std::str::from_utf8(&bytes) else {
                continue;
            };
            let Ok(df) = devctl_dockerfile::parse(text) else {
                continue;
            };
            for ignore in [None, Some("node_modules\n.git\n*.md\n[\n")] {
                for f in crate::raw_findings(&df, &opts, ignore) {
                    assert!(
                        table.contains(f.code.as_str()),
                        "{}: {} is emitted but in no RULES table",
                        p.display(),
                        f.code
                    );
                    assert_eq!(f.severity, default_severity(&f.code), "{}", f.code);
                    seen.insert(f.code);
                }
            }
        }
        if !files.is_empty() {
            assert!(
                seen.len() > 20,
                "only {} codes emitted: {seen:?}",
                seen.len()
            );
        }
    }
}
