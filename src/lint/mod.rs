//! The Dockerfile linter. Pure: a function of the parsed Dockerfile, the
//! options and (optionally) the .dockerignore text; no IO.
//!
//! Rule families live in `rules/`: each exposes `RULES` (metadata) and
//! `check(&Ctx, &mut Vec<Finding>)`. Findings carry the rule's default
//! severity; [`lint`] then applies pragmas (`# hadolint ignore=`,
//! `# check=skip=`), the config's ignore list and severity overrides.

pub mod rules;
pub mod shell;
pub mod shellcheck;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::dockerfile::{Dockerfile, Instruction, Pos, Span};

/// hadolint's levels, most severe first. `Ignore` findings are dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
    Style,
    Ignore,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
            Severity::Style => "style",
            Severity::Ignore => "ignore",
        }
    }
    /// Parses hadolint's names (`none` is an alias of `ignore` for thresholds).
    pub fn parse(s: &str) -> Option<Severity> {
        Some(match s.to_ascii_lowercase().as_str() {
            "error" => Severity::Error,
            "warning" => Severity::Warning,
            "info" => Severity::Info,
            "style" => Severity::Style,
            "ignore" | "none" => Severity::Ignore,
            _ => return None,
        })
    }
}

/// Static description of a rule.
#[derive(Debug, Clone, Copy)]
pub struct RuleInfo {
    /// `DL3008`, `DC1001`, or a BuildKit check name (`StageNameCasing`).
    pub code: &'static str,
    pub severity: Severity,
    /// One line: what the rule is about.
    pub summary: &'static str,
}

/// One problem found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub code: String,
    pub severity: Severity,
    pub message: String,
    pub span: Span,
}

impl Finding {
    pub fn line(&self) -> usize {
        self.span.start.line
    }
    pub fn col(&self) -> usize {
        self.span.start.col
    }
}

/// Lint settings: hadolint's config keys (`.hadolint.yaml` or devctl.toml
/// `[lint]`), after merging with flags.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// Rules never reported.
    pub ignored: Vec<String>,
    /// DL3026: when non-empty, FROM images must come from these registries.
    pub trusted_registries: Vec<String>,
    /// Severity per rule code.
    pub overrides: BTreeMap<String, Severity>,
    /// DL3049..DL3058: label name -> expected type (`text`, `url`, `rfc3339`,
    /// `spdx`, `hash`, `semver`, `email`).
    pub label_schema: BTreeMap<String, String>,
    /// DL3050: labels not in the schema are reported.
    pub strict_labels: bool,
    /// `# hadolint ignore=` pragmas are not honoured.
    pub disable_ignore_pragma: bool,
    /// Run `shellcheck` (when on PATH) on RUN scripts: the command layer sets
    /// this and passes the results in [`Ctx::shellcheck`].
    pub shellcheck: bool,
}

/// Everything a rule may look at.
pub struct Ctx<'a> {
    pub df: &'a Dockerfile,
    pub opts: &'a Options,
    /// The build context's .dockerignore text, when the caller knows it
    /// (CopyIgnoredFile, DC1003). `None`: unknown, rules that need it stay quiet.
    pub dockerignore: Option<&'a str>,
    /// Build stages in order.
    pub stages: Vec<Stage>,
}

/// A build stage: a FROM and the instructions up to the next FROM.
#[derive(Debug, Clone)]
pub struct Stage {
    pub index: usize,
    /// `AS name`, as written.
    pub name: Option<String>,
    /// The image reference after FROM (flags removed), as written.
    pub base: String,
    /// Index into `df.instructions` of the FROM.
    pub from: usize,
    /// Indices of the instructions after the FROM up to the next FROM.
    pub body: std::ops::Range<usize>,
}

impl<'a> Ctx<'a> {
    pub fn new(df: &'a Dockerfile, opts: &'a Options, dockerignore: Option<&'a str>) -> Self {
        let mut stages: Vec<Stage> = Vec::new();
        for (i, inst) in df.instructions.iter().enumerate() {
            if inst.keyword == "from" {
                if let Some(last) = stages.last_mut() {
                    last.body.end = i;
                }
                let base = inst.args.first().cloned().unwrap_or_default();
                let name = match inst.args.as_slice() {
                    [_, kw, name, ..] if kw.eq_ignore_ascii_case("as") => Some(name.clone()),
                    _ => None,
                };
                stages.push(Stage {
                    index: stages.len(),
                    name,
                    base,
                    from: i,
                    body: i + 1..df.instructions.len(),
                });
            }
        }
        Ctx {
            df,
            opts,
            dockerignore,
            stages,
        }
    }

    /// The stage an instruction belongs to (None before the first FROM).
    pub fn stage_of(&self, inst_index: usize) -> Option<&Stage> {
        self.stages.iter().rev().find(|s| s.from <= inst_index)
    }

    /// A finding at an instruction (its whole span), with the rule's default
    /// severity looked up from the registry.
    pub fn finding(&self, code: &str, inst: &Instruction, message: impl Into<String>) -> Finding {
        Finding {
            code: code.to_string(),
            severity: rules::default_severity(code),
            message: message.into(),
            span: inst.span,
        }
    }

    /// A finding at an explicit position.
    pub fn finding_at(
        &self,
        code: &str,
        line: usize,
        col: usize,
        message: impl Into<String>,
    ) -> Finding {
        let p = Pos { line, col };
        Finding {
            code: code.to_string(),
            severity: rules::default_severity(code),
            message: message.into(),
            span: Span { start: p, end: p },
        }
    }
}

/// Lint a parsed Dockerfile: every rule family, then pragmas, ignores and
/// overrides; sorted by position then code.
pub fn lint(df: &Dockerfile, opts: &Options, dockerignore: Option<&str>) -> Vec<Finding> {
    let ctx = Ctx::new(df, opts, dockerignore);
    let mut out = Vec::new();
    rules::check_all(&ctx, &mut out);
    for f in &mut out {
        if let Some(sev) = opts.overrides.get(&f.code) {
            f.severity = *sev;
        }
    }
    out.retain(|f| f.severity != Severity::Ignore && !opts.ignored.iter().any(|c| c == &f.code));
    out.sort_by(|a, b| (a.span.start, &a.code).cmp(&(b.span.start, &b.code)));
    out.dedup();
    out
}
