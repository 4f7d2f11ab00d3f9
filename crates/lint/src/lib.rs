//! The Dockerfile linter. Pure: a function of the parsed Dockerfile, the
//! options and (optionally) the .dockerignore text; no IO.
//!
//! Rule families live in `rules/`: each exposes `RULES` (metadata) and
//! `check(&Ctx, &mut Vec<Finding>)`. Findings carry the rule's default
//! severity; [`lint`] then applies pragmas (`# hadolint ignore=`,
//! `# check=skip=`), the config's ignore list and severity overrides.

pub mod config;
pub mod format;
pub mod pragma;
pub mod rules;
pub mod shell;
pub mod shellcheck;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use devctl_dockerfile::{parse, Dockerfile, Instruction, Pos, Span};
use pragma::{is_buildkit_check, Pragmas};

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
    /// Stages built directly (`--target`, from devctl.toml): DC1004 does
    /// not report them.
    pub built_targets: Vec<String>,
    /// Run `shellcheck` (when on PATH) on RUN scripts: the command layer sets
    /// this and passes its findings to [`lint_source_with`] (see
    /// [`shellcheck`]).
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

/// The driver's own rules: parse failures and the inline-pragma rule.
pub const DRIVER_RULES: &[RuleInfo] = &[
    RuleInfo {
        code: "DL1000",
        severity: Severity::Error,
        summary: "The Dockerfile cannot be parsed",
    },
    RuleInfo {
        code: "DL1001",
        severity: Severity::Ignore,
        summary: "An inline ignore pragma `# hadolint ignore=` is used",
    },
];

/// DL1001: one finding per inline `# hadolint ignore=` comment (hidden
/// unless its severity is overridden).
pub fn driver_check(ctx: &Ctx, out: &mut Vec<Finding>) {
    for c in &ctx.df.comments {
        if pragma::parse_ignore(&c.text).is_some() {
            out.push(ctx.finding_at("DL1001", c.line, c.col, pragma::DL1001_MESSAGE));
        }
    }
}

/// The instructions BuildKit knows.
const KNOWN_INSTRUCTIONS: &[&str] = &[
    "add",
    "arg",
    "cmd",
    "copy",
    "entrypoint",
    "env",
    "expose",
    "from",
    "healthcheck",
    "label",
    "maintainer",
    "onbuild",
    "run",
    "shell",
    "stopsignal",
    "user",
    "volume",
    "workdir",
];

fn dl1000(line: usize, col: usize, message: String) -> Finding {
    let p = Pos { line, col };
    Finding {
        code: "DL1000".into(),
        severity: Severity::Error,
        message,
        span: Span { start: p, end: p },
    }
}

/// Printable, bounded rendering of user text inside a message.
fn shown(s: &str) -> String {
    const MAX: usize = 40;
    let mut out: String = s.chars().take(MAX).flat_map(char::escape_debug).collect();
    if s.chars().nth(MAX).is_some() {
        out.push('…');
    }
    out
}

/// Lint raw file contents: invalid UTF-8, parse errors and unknown
/// instructions become DL1000 findings (with the position of the problem),
/// like hadolint's parse failures; otherwise the rules run via [`lint`].
/// Never panics on any input.
pub fn lint_source(src: &[u8], opts: &Options, dockerignore: Option<&str>) -> Vec<Finding> {
    lint_source_with(src, opts, dockerignore, &mut |_| Vec::new())
}

/// [`lint_source`] plus findings from an outside checker (ShellCheck), run
/// on the parsed file; pragmas, overrides and ignores apply to them too.
pub fn lint_source_with(
    src: &[u8],
    opts: &Options,
    dockerignore: Option<&str>,
    extra: &mut dyn FnMut(&Dockerfile) -> Vec<Finding>,
) -> Vec<Finding> {
    let text = match std::str::from_utf8(src) {
        Ok(t) => t,
        Err(e) => {
            let good = &src[..e.valid_up_to()];
            // The prefix is valid UTF-8 by construction.
            let prefix = std::str::from_utf8(good).unwrap_or_default();
            let line = prefix.matches('\n').count() + 1;
            let line_start = prefix
                .rfind('\n')
                .map(|i| &prefix[i + 1..])
                .unwrap_or(prefix);
            let line_start = line_start.strip_prefix('\u{feff}').unwrap_or(line_start);
            let col = line_start.chars().count() + 1;
            let byte = src.get(e.valid_up_to()).copied().unwrap_or(0);
            return vec![dl1000(
                line,
                col,
                format!(
                    "invalid UTF-8 (byte 0x{byte:02x} at offset {}): a Dockerfile must be UTF-8 text; is this a binary file?",
                    e.valid_up_to()
                ),
            )];
        }
    };
    let df = match parse(text) {
        Ok(df) => df,
        Err(e) => return vec![dl1000(e.span.start.line, e.span.start.col, e.message)],
    };
    let unknown: Vec<Finding> = df
        .instructions
        .iter()
        .filter(|i| !KNOWN_INSTRUCTIONS.contains(&i.effective().keyword.as_str()))
        .map(|i| {
            dl1000(
                i.span.start.line,
                i.span.start.col,
                format!(
                    "unexpected '{}' expecting ADD, ARG, CMD, COPY, ENTRYPOINT, ENV, EXPOSE, FROM, HEALTHCHECK, LABEL, MAINTAINER, ONBUILD, RUN, SHELL, STOPSIGNAL, USER, VOLUME or WORKDIR",
                    shown(&i.effective().keyword_raw)
                ),
            )
        })
        .collect();
    if !unknown.is_empty() {
        // hadolint stops at a parse failure: no rule runs on a file it
        // cannot read.
        return unknown;
    }
    let mut out = raw_findings(&df, opts, dockerignore);
    out.extend(extra(&df));
    finish(out, &Pragmas::collect(&df), opts)
}

/// Lint a parsed Dockerfile: every rule family, then `# check=` (BuildKit
/// checks skipped or made errors; a DL finding whose message names a skipped
/// check is skipped too), severity overrides, the ignore list and
/// `# hadolint` pragmas; sorted by position then code.
pub fn lint(df: &Dockerfile, opts: &Options, dockerignore: Option<&str>) -> Vec<Finding> {
    finish(
        raw_findings(df, opts, dockerignore),
        &Pragmas::collect(df),
        opts,
    )
}

/// Every rule family's findings, before pragmas, overrides and ignores.
fn raw_findings(df: &Dockerfile, opts: &Options, dockerignore: Option<&str>) -> Vec<Finding> {
    let ctx = Ctx::new(df, opts, dockerignore);
    let mut out = Vec::new();
    rules::check_all(&ctx, &mut out);
    out
}

/// Applies pragmas, overrides and ignores to raw rule findings.
fn finish(mut out: Vec<Finding>, pragmas: &Pragmas, opts: &Options) -> Vec<Finding> {
    out.retain(|f| !pragmas.check.skips_finding(&f.code, &f.message));
    for f in &mut out {
        if pragmas.check.error && is_buildkit_check(&f.code) && f.severity != Severity::Ignore {
            f.severity = Severity::Error;
        }
        if let Some(sev) = opts.overrides.get(&f.code) {
            f.severity = *sev;
        }
    }
    out.retain(|f| {
        f.severity != Severity::Ignore
            && !opts.ignored.iter().any(|c| c == &f.code)
            && (opts.disable_ignore_pragma || !pragmas.ignores(&f.code, f.line()))
    });
    out.sort_by(|a, b| (a.span.start, &a.code).cmp(&(b.span.start, &b.code)));
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(f: &[Finding]) -> Vec<(&str, usize, usize)> {
        f.iter()
            .map(|f| (f.code.as_str(), f.line(), f.col()))
            .collect()
    }

    fn raw(code: &str, line: usize) -> Finding {
        let p = Pos { line, col: 1 };
        Finding {
            code: code.into(),
            severity: rules::default_severity(code),
            message: "m".into(),
            span: Span { start: p, end: p },
        }
    }

    fn pragmas(src: &str) -> Pragmas {
        Pragmas::collect(&parse(src).unwrap())
    }

    #[test]
    fn invalid_utf8_is_dl1000_at_the_bad_byte() {
        let f = lint_source(b"FROM a\nRUN \xc3\xa9x\xff\n", &Options::default(), None);
        assert_eq!(codes(&f), vec![("DL1000", 2, 7)]);
        assert_eq!(f[0].severity, Severity::Error);
        assert!(f[0].message.contains("UTF-8"), "{}", f[0].message);
        let f = lint_source(b"\xef\xbb\xbf\x89PNG\r\n", &Options::default(), None);
        assert_eq!(codes(&f), vec![("DL1000", 1, 1)]);
    }

    #[test]
    fn parse_errors_are_dl1000_with_buildkits_message() {
        let f = lint_source(b"FROM a\nRUN <<EOF\necho\n", &Options::default(), None);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].code, "DL1000");
        assert_eq!(f[0].line(), 2);
        assert!(
            f[0].message.contains("unterminated heredoc"),
            "{}",
            f[0].message
        );
        let f = lint_source(b"", &Options::default(), None);
        assert_eq!(codes(&f), vec![("DL1000", 1, 1)]);
        assert_eq!(f[0].message, "file with no instructions");
        let long = format!("FROM a\nRUN {}\n", "x".repeat(10 << 20));
        let f = lint_source(long.as_bytes(), &Options::default(), None);
        assert_eq!(f[0].code, "DL1000");
        assert_eq!(f[0].line(), 2);
    }

    #[test]
    fn unknown_instructions_are_dl1000_and_stop_the_rules() {
        let f = lint_source(
            b"FROM a\n  FROMM b\nONBUILD BOGUS x\nMAINTAINER me\n",
            &Options::default(),
            None,
        );
        assert_eq!(codes(&f), vec![("DL1000", 2, 3), ("DL1000", 3, 1)]);
        assert!(f[0].message.starts_with("unexpected 'FROMM' expecting ADD"));
        assert!(f[1].message.starts_with("unexpected 'BOGUS'"));
        let f = lint_source(b"\0\0\x1b[2J\n", &Options::default(), None);
        assert_eq!(f.len(), 1);
        assert!(!f[0].message.contains('\x1b'));
    }

    #[test]
    fn dl1001_is_hidden_unless_overridden() {
        let src = b"FROM a\n  # hadolint ignore=DL3002\nUSER root\n";
        let f = lint_source(src, &Options::default(), None);
        assert!(f.iter().all(|f| f.code != "DL1001"));
        let mut opts = Options::default();
        opts.overrides.insert("DL1001".into(), Severity::Warning);
        let f = lint_source(src, &opts, None);
        let dl1001: Vec<_> = f.iter().filter(|f| f.code == "DL1001").collect();
        assert_eq!(dl1001.len(), 1);
        assert_eq!((dl1001[0].line(), dl1001[0].col()), (2, 3));
        assert_eq!(dl1001[0].severity, Severity::Warning);
    }

    #[test]
    fn inline_and_global_pragmas_filter_findings() {
        let p = pragmas("FROM a\n# hadolint ignore=DL3002\nUSER root\nUSER root\n# hadolint global ignore=DL4000\n");
        let out = finish(
            vec![raw("DL3002", 3), raw("DL3002", 4), raw("DL4000", 1)],
            &p,
            &Options::default(),
        );
        assert_eq!(codes(&out), vec![("DL3002", 4, 1)]);
    }

    #[test]
    fn disable_ignore_pragma_keeps_everything() {
        let p = pragmas(
            "FROM a\n# hadolint ignore=DL3002\nUSER root\n# hadolint global ignore=DL4000\n",
        );
        let opts = Options {
            disable_ignore_pragma: true,
            ..Options::default()
        };
        let out = finish(vec![raw("DL3002", 3), raw("DL4000", 1)], &p, &opts);
        assert_eq!(out.len(), 2);
    }

    #[test]
    fn check_skip_applies_to_buildkit_names_only() {
        let p = pragmas("# check=skip=StageNameCasing,DL3006\nFROM a\n");
        let out = finish(
            vec![
                raw("StageNameCasing", 2),
                raw("FromAsCasing", 2),
                raw("DL3006", 2),
            ],
            &p,
            &Options::default(),
        );
        assert_eq!(codes(&out), vec![("DL3006", 2, 1), ("FromAsCasing", 2, 1)]);
        let p = pragmas("# check=skip=all\nFROM a\n");
        let out = finish(
            vec![raw("StageNameCasing", 2), raw("DC1001", 2)],
            &p,
            &Options::default(),
        );
        assert_eq!(codes(&out), vec![("DC1001", 2, 1)]);
    }

    #[test]
    fn check_error_makes_checks_errors_but_overrides_win() {
        let p = pragmas("# check=error=true\nFROM a\n");
        let mut a = raw("FromAsCasing", 2);
        a.severity = Severity::Warning;
        let mut b = raw("StageNameCasing", 2);
        b.severity = Severity::Warning;
        let mut c = raw("DL3006", 2);
        c.severity = Severity::Warning;
        let mut opts = Options::default();
        opts.overrides
            .insert("StageNameCasing".into(), Severity::Info);
        let out = finish(vec![a, b, c], &p, &opts);
        let sev: Vec<_> = out.iter().map(|f| (f.code.as_str(), f.severity)).collect();
        assert_eq!(
            sev,
            vec![
                ("DL3006", Severity::Warning),
                ("FromAsCasing", Severity::Error),
                ("StageNameCasing", Severity::Info)
            ]
        );
    }

    #[test]
    fn ignored_list_and_ignore_override_drop_findings() {
        let p = Pragmas::default();
        let mut opts = Options {
            ignored: vec!["DL3006".into()],
            ..Options::default()
        };
        opts.overrides.insert("DL3007".into(), Severity::Ignore);
        let out = finish(
            vec![raw("DL3006", 1), raw("DL3007", 1), raw("DL4000", 2)],
            &p,
            &opts,
        );
        assert_eq!(codes(&out), vec![("DL4000", 2, 1)]);
    }

    #[test]
    fn extra_findings_go_through_pragmas_and_overrides() {
        let src = b"FROM a:1\n# hadolint ignore=SC2086\nRUN echo $x\nRUN echo $y\nUSER 1000\n";
        let mut opts = Options::default();
        opts.overrides.insert("SC2154".into(), Severity::Error);
        let mut extra = |df: &Dockerfile| {
            df.instructions
                .iter()
                .filter(|i| i.keyword == "run")
                .flat_map(|i| {
                    ["SC2086", "SC2154"].map(|c| Finding {
                        code: c.into(),
                        severity: Severity::Info,
                        message: "m".into(),
                        span: i.span,
                    })
                })
                .collect()
        };
        let f = lint_source_with(src, &opts, None, &mut extra);
        let sc: Vec<_> = f
            .iter()
            .filter(|f| f.code.starts_with("SC"))
            .map(|f| (f.code.as_str(), f.line(), f.severity))
            .collect();
        assert_eq!(
            sc,
            vec![
                ("SC2154", 3, Severity::Error),
                ("SC2086", 4, Severity::Info),
                ("SC2154", 4, Severity::Error)
            ]
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// Any bytes: findings with positions inside the file, never a panic;
        /// every format renders them.
        #[test]
        fn any_bytes_lint_and_render(src in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400)) {
            let f = lint_source(&src, &Options::default(), Some("*\n!x"));
            let lines = format::source_lines(&src);
            for x in &f {
                proptest::prop_assert!(x.line() >= 1 && x.col() >= 1);
            }
            for fmt in format::OutputFormat::ALL {
                let _ = format::render(fmt, true, &[("D", &f, &lines)]);
            }
        }

        /// Dockerfile-shaped text from instruction fragments.
        #[test]
        fn dockerfile_like_text_never_panics(parts in proptest::collection::vec(
            proptest::sample::select(vec![
                "FROM a:1 AS b\n", "FROM --platform=$X b\n", "RUN echo $x | tee y\n",
                "RUN <<EOF\n", "EOF\n", "# hadolint ignore=DL3008\n", "# check=skip=all\n",
                "# hadolint global ignore=DL3006\n", "COPY --from=b . /x\n", "ENV a=b c\n",
                "CMD [\"a\"\n", "\\\n", "ONBUILD RUN x\n", "USER 0\n", "LABEL a=\"\"\n",
                "\t  \n", "ARG x\n", "SHELL [\"/bin/bash\", \"-c\"]\n", "HEALTHCHECK NONE\n",
                "EXPOSE 99999\n", "WORKDIR x\n", "# escape=`\n", "\u{feff}", "\r\n",
            ]),
            0..24,
        )) {
            let src: String = parts.concat();
            let _ = lint_source(src.as_bytes(), &Options::default(), None);
        }
    }

    #[test]
    fn driver_rules_are_registered() {
        assert_eq!(rules::default_severity("DL1001"), Severity::Ignore);
        assert_eq!(rules::default_severity("DL1000"), Severity::Error);
    }
}
