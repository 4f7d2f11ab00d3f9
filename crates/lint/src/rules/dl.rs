//! hadolint DL rules on instructions (FROM, COPY, LABEL, USER, …).
//!
//! Each rule is a port of hadolint's `src/Hadolint/Rule/DLxxxx.hs`: the same
//! conditions, the same line (the instruction's), the same message. Like
//! hadolint, these rules look at top-level instructions only; an instruction
//! wrapped in `ONBUILD` is checked only where hadolint unwraps it (DL3043,
//! DL3064).
//!
//! Where a BuildKit check finds the same thing, the finding is reported once,
//! here, and the message names the check (see `buildkit.rs`).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::LazyLock;

use regex::Regex;

use crate::{Ctx, Finding, RuleInfo, Severity};
use devctl_dockerfile::Instruction;

pub const RULES: &[RuleInfo] = &[
    RuleInfo { code: "DL3000", severity: Severity::Error, summary: "Use absolute WORKDIR" },
    RuleInfo { code: "DL3002", severity: Severity::Warning, summary: "Last USER should not be root" },
    RuleInfo { code: "DL3006", severity: Severity::Warning, summary: "Always tag the version of an image explicitly" },
    RuleInfo { code: "DL3007", severity: Severity::Warning, summary: "Using latest is prone to errors; pin the version explicitly to a release tag" },
    RuleInfo { code: "DL3011", severity: Severity::Error, summary: "Valid UNIX ports range from 0 to 65535" },
    RuleInfo { code: "DL3012", severity: Severity::Error, summary: "Multiple HEALTHCHECK instructions in one stage" },
    RuleInfo { code: "DL3020", severity: Severity::Error, summary: "Use COPY instead of ADD for files and folders" },
    RuleInfo { code: "DL3021", severity: Severity::Error, summary: "COPY with more than 2 arguments requires the last argument to end with /" },
    RuleInfo { code: "DL3022", severity: Severity::Warning, summary: "COPY --from should reference a previously defined FROM alias" },
    RuleInfo { code: "DL3023", severity: Severity::Error, summary: "COPY --from cannot reference its own FROM alias" },
    RuleInfo { code: "DL3024", severity: Severity::Error, summary: "FROM aliases (stage names) must be unique" },
    RuleInfo { code: "DL3025", severity: Severity::Warning, summary: "Use arguments JSON notation for CMD and ENTRYPOINT arguments" },
    RuleInfo { code: "DL3026", severity: Severity::Error, summary: "Use only an allowed registry in the FROM image" },
    RuleInfo { code: "DL3029", severity: Severity::Warning, summary: "Do not use --platform flag with FROM" },
    RuleInfo { code: "DL3043", severity: Severity::Error, summary: "ONBUILD, FROM or MAINTAINER triggered from within ONBUILD" },
    RuleInfo { code: "DL3044", severity: Severity::Error, summary: "Do not refer to an environment variable within the same ENV statement where it is defined" },
    RuleInfo { code: "DL3045", severity: Severity::Warning, summary: "COPY to a relative destination without WORKDIR set" },
    RuleInfo { code: "DL3048", severity: Severity::Style, summary: "Invalid label key" },
    RuleInfo { code: "DL3049", severity: Severity::Info, summary: "Label from the label schema is missing" },
    RuleInfo { code: "DL3050", severity: Severity::Info, summary: "Superfluous label(s) present (strict labels)" },
    RuleInfo { code: "DL3051", severity: Severity::Warning, summary: "Label from the label schema is empty" },
    RuleInfo { code: "DL3052", severity: Severity::Warning, summary: "Label is not a valid URL" },
    RuleInfo { code: "DL3053", severity: Severity::Warning, summary: "Label is not a valid RFC3339 time" },
    RuleInfo { code: "DL3054", severity: Severity::Warning, summary: "Label is not a valid SPDX identifier" },
    RuleInfo { code: "DL3055", severity: Severity::Warning, summary: "Label is not a valid git hash" },
    RuleInfo { code: "DL3056", severity: Severity::Warning, summary: "Label does not conform to semantic versioning" },
    RuleInfo { code: "DL3057", severity: Severity::Ignore, summary: "HEALTHCHECK instruction missing" },
    RuleInfo { code: "DL3058", severity: Severity::Warning, summary: "Label is not a valid email address" },
    RuleInfo { code: "DL3059", severity: Severity::Info, summary: "Multiple consecutive RUN instructions; consider consolidation" },
    RuleInfo { code: "DL3061", severity: Severity::Error, summary: "Invalid instruction order: a Dockerfile must begin with FROM, ARG or a comment" },
    RuleInfo { code: "DL3063", severity: Severity::Warning, summary: "Stage name uses a reserved name (scratch, context)" },
    RuleInfo { code: "DL3064", severity: Severity::Warning, summary: "Potentially sensitive data in ARG or ENV names" },
    RuleInfo { code: "DL3065", severity: Severity::Warning, summary: "FROM --platform=$TARGETPLATFORM is redundant" },
    RuleInfo { code: "DL3066", severity: Severity::Info, summary: "Non-numeric user-id may not be resolvable by host system" },
    RuleInfo { code: "DL3067", severity: Severity::Warning, summary: "Do not copy an entire filesystem from another stage" },
    RuleInfo { code: "DL4000", severity: Severity::Error, summary: "MAINTAINER is deprecated" },
    RuleInfo { code: "DL4003", severity: Severity::Warning, summary: "Multiple CMD instructions in one stage" },
    RuleInfo { code: "DL4004", severity: Severity::Error, summary: "Multiple ENTRYPOINT instructions in one stage" },
];

// ---------------------------------------------------------------------------
// Shared helpers (also used by the BuildKit and DC families).

/// hadolint's `dropQuotes`: strip every leading and trailing `"` / `'`.
pub(crate) fn drop_quotes(s: &str) -> &str {
    s.trim_matches(|c| c == '"' || c == '\'')
}

/// Remove shell-style quoting from an ENV/LABEL key or value as BuildKit
/// does when it processes words: `"…"` (with `\` escaping `"`, `\`, `$`),
/// `'…'` literal, and a bare escape character escaping the next character.
pub(crate) fn unquote(s: &str, escape: char) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    out.push(c);
                }
            }
            '"' => {
                while let Some(c) = chars.next() {
                    if c == '"' {
                        break;
                    }
                    if c == escape {
                        match chars.peek() {
                            Some(&n) if n == '"' || n == escape || n == '$' => {
                                out.push(n);
                                chars.next();
                            }
                            _ => out.push(c),
                        }
                    } else {
                        out.push(c);
                    }
                }
            }
            c if c == escape => {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// ENV/LABEL (key, value, separator) triples.
pub(crate) fn triples(inst: &Instruction) -> impl Iterator<Item = (&str, &str, &str)> {
    inst.args
        .chunks(3)
        .filter(|c| c.len() == 3)
        .map(|c| (c[0].as_str(), c[1].as_str(), c[2].as_str()))
}

/// A FROM reference split as hadolint's language-docker does.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct ImageRef {
    /// A registry host: the part before the first `/` when it contains `.`.
    pub registry: Option<String>,
    /// The image name without registry, tag or digest.
    pub name: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

pub(crate) fn parse_image(s: &str) -> ImageRef {
    let (rest, digest) = match s.split_once('@') {
        Some((a, d)) => (a, Some(d.to_string())),
        None => (s, None),
    };
    let (registry, rest) = match rest.split_once('/') {
        Some((r, n)) if r.contains('.') => (Some(r.to_string()), n),
        _ => (None, rest),
    };
    let (name, tag) = match rest.split_once(':') {
        Some((n, t)) => (n.to_string(), Some(t.to_string())),
        None => (rest.to_string(), None),
    };
    ImageRef {
        registry,
        name,
        tag,
        digest,
    }
}

/// A FROM instruction's pieces: image as written, the alias (`AS name`).
pub(crate) fn from_parts(inst: &Instruction) -> (&str, Option<&str>) {
    let image = inst.args.first().map(String::as_str).unwrap_or("");
    let alias = match inst.args.as_slice() {
        [_, kw, name, ..] if kw.eq_ignore_ascii_case("as") => Some(name.as_str()),
        _ => None,
    };
    (image, alias)
}

/// COPY/ADD sources and destination (heredoc-free, flags removed).
pub(crate) fn copy_parts(inst: &Instruction) -> Option<(&[String], &str)> {
    match inst.args.split_last() {
        Some((dest, srcs)) if !srcs.is_empty() => Some((srcs, dest.as_str())),
        _ => None,
    }
}

/// The BuildKit check name appended to a DL message that covers it.
pub(crate) fn with_check(msg: &str, check: Option<&str>) -> String {
    match check {
        Some(c) => format!("{msg} (BuildKit check: {c})"),
        None => msg.to_string(),
    }
}

// ---------------------------------------------------------------------------

pub fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    let insts = &ctx.df.instructions;
    dl3002(ctx, out);
    dl3006_3007_3026_3029_3065(ctx, out);
    dl3022_3023_3024(ctx, out);
    dl3044(ctx, out);
    dl3045(ctx, out);
    dl3049(ctx, out);
    dl3057(ctx, out);
    dl3059(ctx, out);
    per_stage_multiples(ctx, out);

    let mut seen_from = false;
    // BuildKit context: a WORKDIR / a SHELL seen in this stage (or the
    // named stage it builds on).
    let mut workdir_set: Vec<bool> = Vec::new();
    let mut shell_set: Vec<bool> = Vec::new();
    let mut arg_names: Vec<String> = Vec::new();
    for (idx, inst) in insts.iter().enumerate() {
        match inst.keyword.as_str() {
            "from" => {
                seen_from = true;
                let parent = ctx.stage_of(idx).and_then(|st| {
                    let (image, _) = from_parts(inst);
                    ctx.stages[..st.index]
                        .iter()
                        .rev()
                        .find(|s| {
                            s.name
                                .as_deref()
                                .is_some_and(|n| n.eq_ignore_ascii_case(image))
                        })
                        .map(|s| s.index)
                });
                workdir_set.push(parent.is_some_and(|p| workdir_set[p]));
                shell_set.push(parent.is_some_and(|p| shell_set[p]));
                dl3063(ctx, inst, out);
            }
            "arg" => arg_names.extend(
                inst.args
                    .iter()
                    .map(|a| a.split_once('=').map_or(a.as_str(), |(k, _)| k).to_string()),
            ),
            _ if !seen_from => out.push(ctx.finding(
                "DL3061",
                inst,
                "Invalid instruction order. Dockerfile must begin with `FROM`, `ARG` or comment.",
            )),
            _ => {}
        }
        match inst.keyword.as_str() {
            "workdir" => {
                let set_before = workdir_set.last().copied().unwrap_or(false);
                dl3000(ctx, inst, set_before, out);
                if let Some(a) = workdir_set.last_mut() {
                    *a = true;
                }
            }
            "shell" => {
                if let Some(s) = shell_set.last_mut() {
                    *s = true;
                }
            }
            "expose" => dl3011(ctx, inst, out),
            "add" => dl3020(ctx, inst, out),
            "copy" => {
                dl3021(ctx, inst, out);
                dl3067(ctx, inst, out);
            }
            "cmd" | "entrypoint" if !inst.json => {
                // BuildKit stays quiet when the stage set a SHELL.
                let check =
                    (!shell_set.last().copied().unwrap_or(false)).then_some("JSONArgsRecommended");
                out.push(ctx.finding(
                    "DL3025",
                    inst,
                    with_check(
                        "Use arguments JSON notation for CMD and ENTRYPOINT arguments",
                        check,
                    ),
                ));
            }
            // hadolint also wants the JSON form for HEALTHCHECK's command.
            "healthcheck"
                if !inst.json
                    && inst.args.len() > 1
                    && inst.args[0].eq_ignore_ascii_case("cmd") =>
            {
                out.push(ctx.finding(
                    "DL3025",
                    inst,
                    "Use arguments JSON notation for CMD and ENTRYPOINT arguments",
                ));
            }
            "onbuild" => {
                if let Some(inner) = &inst.onbuild {
                    if matches!(inner.keyword.as_str(), "onbuild" | "from" | "maintainer") {
                        out.push(ctx.finding(
                            "DL3043",
                            inst,
                            "`ONBUILD`, `FROM` or `MAINTAINER` triggered from within `ONBUILD` instruction.",
                        ));
                    }
                }
            }
            "label" => dl_labels(ctx, inst, out),
            "user" => dl3066(ctx, inst, &arg_names, out),
            "maintainer" => out.push(ctx.finding(
                "DL4000",
                inst,
                with_check("MAINTAINER is deprecated", Some("MaintainerDeprecated")),
            )),
            _ => {}
        }
        dl3064(ctx, inst, out);
    }
}

/// DL3000 (and BuildKit's WorkdirRelativePath, which only looks at the
/// first WORKDIR of a stage).
fn dl3000(ctx: &Ctx, inst: &Instruction, workdir_before: bool, out: &mut Vec<Finding>) {
    let Some(loc) = inst.args.first() else {
        return;
    };
    let p = drop_quotes(loc);
    let mut cs = p.chars();
    let windows = matches!((cs.next(), cs.next()), (Some(a), Some(':')) if a.is_alphabetic());
    if p.starts_with('/') || windows || p.starts_with('$') {
        return;
    }
    let check = (!workdir_before).then_some("WorkdirRelativePath");
    out.push(ctx.finding("DL3000", inst, with_check("Use absolute WORKDIR.", check)));
}

fn is_root_user(u: &str) -> bool {
    u == "root" || u == "0" || u.starts_with("root:") || u.starts_with("0:")
}

/// DL3002: every stage whose last USER is root.
fn dl3002(ctx: &Ctx, out: &mut Vec<Finding>) {
    let mut current: Option<usize> = None;
    let mut last_root: BTreeMap<usize, usize> = BTreeMap::new();
    for (i, inst) in ctx.df.instructions.iter().enumerate() {
        match inst.keyword.as_str() {
            "from" => current = Some(i),
            "user" => {
                let Some(stage) = current else { continue };
                let user = inst.args.first().map(String::as_str).unwrap_or("");
                if is_root_user(user) {
                    last_root.insert(stage, i);
                } else {
                    last_root.remove(&stage);
                }
            }
            _ => {}
        }
    }
    for i in last_root.values() {
        out.push(ctx.finding(
            "DL3002",
            &ctx.df.instructions[*i],
            "Last USER should not be root",
        ));
    }
}

/// Does a trusted-registry entry match? `*` matches all, `*.x` any
/// subdomain of `x`.
fn registry_matches(allowed: &str, registry: &str) -> bool {
    if allowed == "*" {
        return true;
    }
    if let Some(suffix) = allowed.strip_prefix('*') {
        return registry.ends_with(suffix);
    }
    allowed == registry
}

/// FROM image rules: DL3006, DL3007, DL3026, DL3029, DL3065.
fn dl3006_3007_3026_3029_3065(ctx: &Ctx, out: &mut Vec<Finding>) {
    let mut aliases: HashSet<&str> = HashSet::new();
    let trusted = &ctx.opts.trusted_registries;
    for inst in &ctx.df.instructions {
        if inst.keyword != "from" {
            continue;
        }
        let (image, alias) = from_parts(inst);
        let r = parse_image(image);
        // DL3006
        if r.name != "scratch"
            && r.digest.is_none()
            && r.tag.is_none()
            && !r.name.starts_with('$')
            && !aliases.contains(r.name.as_str())
        {
            out.push(ctx.finding(
                "DL3006",
                inst,
                "Always tag the version of an image explicitly",
            ));
        }
        // DL3007
        if r.tag.as_deref() == Some("latest") {
            out.push(ctx.finding(
                "DL3007",
                inst,
                "Using latest is prone to errors if the image will ever update. Pin the version explicitly to a release tag",
            ));
        }
        // DL3026
        if !trusted.is_empty() && !aliases.contains(r.name.as_str()) {
            let ok = match &r.registry {
                Some(reg) => trusted.iter().any(|t| registry_matches(t, reg)),
                None => {
                    r.name == "scratch"
                        || trusted.iter().any(|t| {
                            registry_matches(t, "docker.io")
                                || registry_matches(t, "hub.docker.com")
                        })
                }
            };
            if !ok {
                out.push(ctx.finding(
                    "DL3026",
                    inst,
                    "Use only an allowed registry in the FROM image",
                ));
            }
        }
        if let Some(alias) = alias {
            aliases.insert(alias);
        }
        // DL3029 / DL3065
        if let Some(p) = inst.flag("platform") {
            if !p.is_empty() && !p.contains("BUILDPLATFORM") && !p.contains("TARGETPLATFORM") {
                let check =
                    const_platform_reported(p, alias).then_some("FromPlatformFlagConstDisallowed");
                out.push(ctx.finding(
                    "DL3029",
                    inst,
                    with_check("Do not use --platform flag with FROM", check),
                ));
            }
            if p == "$TARGETPLATFORM" || p == "${TARGETPLATFORM}" {
                out.push(ctx.finding(
                    "DL3065",
                    inst,
                    with_check(
                        "Setting `FROM --platform` to predefined `$TARGETPLATFORM` in is redundant as this is the default behavior",
                        Some("RedundantTargetPlatform"),
                    ),
                ));
            }
        }
    }
}

/// Would BuildKit's FromPlatformFlagConstDisallowed fire? A constant
/// platform, unless the stage name mentions its OS or architecture.
fn const_platform_reported(platform: &str, stage: Option<&str>) -> bool {
    if platform.contains('$') {
        return false;
    }
    let mut parts = platform.split('/');
    let os = parts.next().unwrap_or("");
    let arch = parts.next().unwrap_or("");
    if os.is_empty() {
        return false;
    }
    match stage {
        Some(name) => !(name.contains(os) || (!arch.is_empty() && name.contains(arch))),
        None => true,
    }
}

/// DL3011: EXPOSE ports must be 0..=65535 (variables are not checked).
fn dl3011(ctx: &Ctx, inst: &Instruction, out: &mut Vec<Finding>) {
    let too_big = |s: &str| -> bool {
        !s.is_empty()
            && s.bytes().all(|b| b.is_ascii_digit())
            && s.parse::<u64>().map_or(true, |n| n > 65535)
    };
    let bad = inst.args.iter().any(|a| {
        let port = a.split('/').next().unwrap_or("");
        match port.split_once('-') {
            Some((l, h)) => too_big(l) || too_big(h),
            None => too_big(port),
        }
    });
    if bad {
        out.push(ctx.finding("DL3011", inst, "Valid UNIX ports range from 0 to 65535"));
    }
}

/// hadolint's `archiveFileFormatExtensions`.
const ARCHIVE_EXTENSIONS: &[&str] = &[
    ".tar", ".Z", ".bz2", ".gz", ".lz", ".lzma", ".tZ", ".tb2", ".tbz", ".tbz2", ".tgz", ".tlz",
    ".tpz", ".txz", ".xz",
];

/// DL3020: ADD of anything but archives and URLs.
fn dl3020(ctx: &Ctx, inst: &Instruction, out: &mut Vec<Finding>) {
    let Some((srcs, _)) = copy_parts(inst) else {
        return;
    };
    let ok = srcs.iter().all(|s| {
        let s = drop_quotes(s);
        ARCHIVE_EXTENSIONS.iter().any(|e| s.ends_with(e))
            || s.starts_with("https://")
            || s.starts_with("http://")
    });
    if !ok {
        out.push(ctx.finding(
            "DL3020",
            inst,
            "Use COPY instead of ADD for files and folders",
        ));
    }
}

/// DL3021: COPY with several sources needs a directory destination.
fn dl3021(ctx: &Ctx, inst: &Instruction, out: &mut Vec<Finding>) {
    let Some((srcs, dest)) = copy_parts(inst) else {
        return;
    };
    if srcs.len() > 1 && !drop_quotes(dest).ends_with('/') {
        out.push(ctx.finding(
            "DL3021",
            inst,
            "COPY with more than 2 arguments requires the last argument to end with /",
        ));
    }
}

/// DL3067: `COPY --from=x / /`.
fn dl3067(ctx: &Ctx, inst: &Instruction, out: &mut Vec<Finding>) {
    if inst.flag("from").is_none() {
        return;
    }
    let Some((srcs, dest)) = copy_parts(inst) else {
        return;
    };
    if srcs.iter().any(|s| drop_quotes(s) == "/") && drop_quotes(dest) == "/" {
        out.push(ctx.finding(
            "DL3067",
            inst,
            "Do not copy an entire filesystem from another stage",
        ));
    }
}

/// DL3022 (COPY --from an unknown stage), DL3023 (its own stage), DL3024
/// (duplicate alias).
fn dl3022_3023_3024(ctx: &Ctx, out: &mut Vec<Finding>) {
    let mut aliases: HashSet<&str> = HashSet::new();
    let mut lower_aliases: HashSet<String> = HashSet::new();
    let mut count = 0usize;
    let mut current_alias: Option<&str> = None;
    let mut in_stage = false;
    for inst in &ctx.df.instructions {
        match inst.keyword.as_str() {
            "from" => {
                count += 1;
                in_stage = true;
                let (_, alias) = from_parts(inst);
                current_alias = alias;
                if let Some(a) = alias {
                    if !aliases.insert(a) {
                        let check = Some("DuplicateStageName");
                        out.push(ctx.finding(
                            "DL3024",
                            inst,
                            with_check("FROM aliases (stage names) must be unique.", check),
                        ));
                    } else if !lower_aliases.insert(a.to_lowercase()) {
                        // BuildKit compares stage names case-insensitively.
                        out.push(ctx.finding(
                            "DuplicateStageName",
                            inst,
                            format!(
                                "Duplicate stage name {}, stage names should be unique",
                                devctl_dockerfile::parser::go_quote(&a.to_lowercase())
                            ),
                        ));
                    }
                    lower_aliases.insert(a.to_lowercase());
                }
            }
            "copy" => {
                let Some(src) = inst.flag("from") else {
                    continue;
                };
                // DL3022
                let known = drop_quotes(src).contains(':')
                    || aliases.contains(src)
                    || leading_decimal(src).is_some_and(|v| v < count);
                if !known {
                    out.push(ctx.finding(
                        "DL3022",
                        inst,
                        "`COPY --from` should reference a previously defined `FROM` alias",
                    ));
                }
                // DL3023
                if in_stage && current_alias == Some(src) {
                    out.push(ctx.finding(
                        "DL3023",
                        inst,
                        "`COPY --from` cannot reference its own `FROM` alias",
                    ));
                }
            }
            _ => {}
        }
    }
}

/// Haskell's `Data.Text.Read.decimal`: the leading digits, if any.
fn leading_decimal(s: &str) -> Option<usize> {
    let digits: String = s.chars().take_while(|c| c.is_ascii_digit()).collect();
    if digits.is_empty() {
        return None;
    }
    Some(digits.parse::<usize>().unwrap_or(usize::MAX))
}

/// DL3012, DL4003, DL4004: a second HEALTHCHECK / CMD / ENTRYPOINT in a stage.
fn per_stage_multiples(ctx: &Ctx, out: &mut Vec<Finding>) {
    let (mut hc, mut cmd, mut ep) = (false, false, false);
    for inst in &ctx.df.instructions {
        match inst.keyword.as_str() {
            "from" => (hc, cmd, ep) = (false, false, false),
            "healthcheck" => {
                if hc {
                    out.push(ctx.finding(
                        "DL3012",
                        inst,
                        with_check(
                            "Multiple `HEALTHCHECK` instructions.",
                            Some("MultipleInstructionsDisallowed"),
                        ),
                    ));
                }
                hc = true;
            }
            "cmd" => {
                if cmd {
                    out.push(ctx.finding(
                        "DL4003",
                        inst,
                        with_check(
                            "Multiple `CMD` instructions found. If you list more than one `CMD` then only the last `CMD` will take effect",
                            Some("MultipleInstructionsDisallowed"),
                        ),
                    ));
                }
                cmd = true;
            }
            "entrypoint" => {
                if ep {
                    out.push(ctx.finding(
                        "DL4004",
                        inst,
                        with_check(
                            "Multiple `ENTRYPOINT` instructions found. If you list more than one `ENTRYPOINT` then only the last `ENTRYPOINT` will take effect",
                            Some("MultipleInstructionsDisallowed"),
                        ),
                    ));
                }
                ep = true;
            }
            _ => {}
        }
    }
}

fn is_var_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// hadolint's `bareVariableInText`: some occurrence of `$v` in `t` is
/// followed by the end of the text or a character that ends a variable name.
fn bare_variable_in_text(v: &str, t: &str) -> bool {
    let var = format!("${v}");
    t.split(var.as_str())
        .skip(1)
        .any(|x| x.chars().next().is_none_or(|c| !is_var_char(c)))
}

/// DL3044: ENV referring to a variable defined in the same ENV.
fn dl3044(ctx: &Ctx, out: &mut Vec<Finding>) {
    let esc = ctx.df.escape;
    let mut defined: HashSet<String> = HashSet::new();
    for inst in &ctx.df.instructions {
        match inst.keyword.as_str() {
            "env" if inst.args.len() <= 3 || !inst.args.iter().any(|a| a.contains('$')) => {
                defined.extend(triples(inst).map(|(k, _, _)| unquote(k, esc)));
            }
            "env" => {
                let pairs: Vec<(String, String)> = triples(inst)
                    .map(|(k, v, _)| (unquote(k, esc), unquote(v, esc)))
                    .collect();
                let refs = pairs.iter().enumerate().any(|(idx, (var, _))| {
                    !defined.contains(var)
                        && pairs.iter().enumerate().any(|(j, (_, val))| {
                            j != idx
                                && (val.contains(&format!("${{{var}}}"))
                                    || bare_variable_in_text(var, val))
                        })
                });
                if refs {
                    out.push(ctx.finding(
                        "DL3044",
                        inst,
                        "Do not refer to an environment variable within the same `ENV` statement where it is defined.",
                    ));
                }
                defined.extend(pairs.into_iter().map(|(k, _)| k));
            }
            "arg" => {
                for w in &inst.args {
                    let name = w.split_once('=').map_or(w.as_str(), |(n, _)| n);
                    defined.insert(name.to_string());
                }
            }
            _ => {}
        }
    }
}

/// DL3045: COPY to a relative destination with no WORKDIR in the stage (or
/// in the stage it is built on).
fn dl3045(ctx: &Ctx, out: &mut Vec<Finding>) {
    // Stage key: alias, else image name (as hadolint keys them). `None` is
    // the WORKDIR-before-any-FROM state.
    let mut current: Option<Option<String>> = None;
    let mut workdir_set: HashMap<Option<String>, bool> = HashMap::new();
    for inst in &ctx.df.instructions {
        match inst.keyword.as_str() {
            "from" => {
                let (image, alias) = from_parts(inst);
                let name = parse_image(image).name;
                let key = alias.map(str::to_string).unwrap_or_else(|| name.clone());
                if current.is_some() {
                    let parent = workdir_set.get(&Some(name)).copied().unwrap_or(false);
                    workdir_set.insert(Some(key.clone()), parent);
                }
                current = Some(Some(key));
            }
            "workdir" => match &current {
                None => {
                    current = Some(None);
                    workdir_set = HashMap::from([(None, true)]);
                }
                Some(k) => {
                    workdir_set.insert(k.clone(), true);
                }
            },
            "copy" => {
                if let Some(k) = &current {
                    if workdir_set.get(k).copied().unwrap_or(false) {
                        continue;
                    }
                }
                let Some((_, dest)) = copy_parts(inst) else {
                    continue;
                };
                let d = drop_quotes(dest);
                let after_drive: String = d.chars().skip(1).collect();
                if d.starts_with('/')
                    || after_drive.starts_with(":\\")
                    || after_drive.starts_with(":/")
                    || d.starts_with('$')
                {
                    continue;
                }
                out.push(ctx.finding(
                    "DL3045",
                    inst,
                    "`COPY` to a relative destination without `WORKDIR` set.",
                ));
            }
            _ => {}
        }
    }
}

// ---------------------------------------------------------------------------
// Labels: DL3048, DL3050–DL3056, DL3058 (per LABEL) and DL3049 (per stage).

/// hadolint 2.15.1 (the binary, past its DL3048 spec) also allows `_` and
/// `/`: `LABEL registry_image=…` is fine (measured; hadolint_cases/labels_chars).
const LABEL_VALID_CHARS: &str = "0123456789abcdefghijklmnopqrstuvwxyz.-_/";

fn invalid_label_key(l: &str) -> bool {
    let first_ok = l.chars().next().is_some_and(|c| c.is_ascii_lowercase());
    let last_ok = l
        .chars()
        .next_back()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    !first_ok
        || !last_ok
        || l.chars().any(|c| !LABEL_VALID_CHARS.contains(c))
        || l.starts_with("com.docker.")
        || l.starts_with("io.docker.")
        || l.starts_with("org.dockerproject.")
        || l.contains("..")
        || l.contains("--")
}

static URI_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^[A-Za-z][A-Za-z0-9+.\-]*:(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$",
    )
    .expect("static regex")
});
static RFC3339_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?([Zz]|[+-]([0-9]{2}):([0-9]{2}))$",
    )
    .expect("static regex")
});
static SEMVER_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(?:-((?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$",
    )
    .expect("static regex")
});
static EMAIL_RE: LazyLock<Regex> = LazyLock::new(|| {
    let atext = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-]";
    let dot_atom = format!(r"{atext}+(?:\.{atext}+)*");
    let quoted = r#""(?:[^"\\\r\n]|\\.)*""#;
    let literal = r"\[[^\[\]\\\s]*\]";
    Regex::new(&format!(
        r"^(?:{dot_atom}|{quoted})@(?:{dot_atom}|{literal})$"
    ))
    .expect("static regex")
});

pub(crate) fn is_valid_url(v: &str) -> bool {
    URI_RE.is_match(v)
}

pub(crate) fn is_valid_rfc3339(v: &str) -> bool {
    let Some(c) = RFC3339_RE.captures(v) else {
        return false;
    };
    let n = |i: usize| -> u32 { c.get(i).and_then(|m| m.as_str().parse().ok()).unwrap_or(0) };
    let (y, mo, d, h, mi, s) = (n(1), n(2), n(3), n(4), n(5), n(6));
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match mo {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    let tz_ok = c.get(9).is_none() || (n(9) < 24 && n(10) < 60);
    d >= 1 && d <= days && h < 24 && mi < 60 && s <= 60 && tz_ok
}

pub(crate) fn is_valid_spdx(v: &str) -> bool {
    spdx::license_id(v).is_some()
}

pub(crate) fn is_valid_git_hash(v: &str) -> bool {
    (v.len() == 7 || v.len() == 40) && v.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f'))
}

pub(crate) fn is_valid_semver(v: &str) -> bool {
    SEMVER_RE.is_match(v)
}

pub(crate) fn is_valid_email(v: &str) -> bool {
    v.len() <= 254 && EMAIL_RE.is_match(v)
}

/// Per-LABEL rules.
fn dl_labels(ctx: &Ctx, inst: &Instruction, out: &mut Vec<Finding>) {
    let esc = ctx.df.escape;
    let pairs: Vec<(String, String)> = triples(inst)
        .map(|(k, v, _)| (unquote(k, esc), unquote(v, esc)))
        .collect();
    if pairs.iter().any(|(k, _)| invalid_label_key(k)) {
        out.push(ctx.finding("DL3048", inst, "Invalid label key."));
    }
    let schema = &ctx.opts.label_schema;
    if ctx.opts.strict_labels && pairs.iter().any(|(k, _)| !schema.contains_key(k)) {
        out.push(ctx.finding("DL3050", inst, "Superfluous label(s) present."));
    }
    for (label, ty) in schema {
        let values: Vec<&str> = pairs
            .iter()
            .filter(|(k, _)| k == label)
            .map(|(_, v)| v.as_str())
            .collect();
        if values.is_empty() {
            continue;
        }
        if values.iter().any(|v| v.is_empty()) {
            out.push(ctx.finding("DL3051", inst, format!("label `{label}` is empty.")));
        }
        let (code, valid, msg): (&str, fn(&str) -> bool, String) = match ty.as_str() {
            "url" => (
                "DL3052",
                is_valid_url,
                format!("Label `{label}` is not a valid URL."),
            ),
            "rfc3339" => (
                "DL3053",
                is_valid_rfc3339,
                format!("Label `{label}` is not a valid time format - must be conform to RFC3339."),
            ),
            "spdx" => (
                "DL3054",
                is_valid_spdx,
                format!("Label `{label}` is not a valid SPDX identifier."),
            ),
            "hash" => (
                "DL3055",
                is_valid_git_hash,
                format!("Label `{label}` is not a valid git hash."),
            ),
            "semver" => (
                "DL3056",
                is_valid_semver,
                format!("Label `{label}` does not conform to semantic versioning."),
            ),
            "email" => (
                "DL3058",
                is_valid_email,
                format!(
                    "Label `{label}` is not a valid email format - must be conform to RFC5322."
                ),
            ),
            _ => continue,
        };
        if values.iter().any(|v| !valid(v)) {
            out.push(ctx.finding(code, inst, msg));
        }
    }
}

/// DL3049: a schema label missing from a stage. Reported at the stage's
/// FROM, unless the stage is built on a stage that has it, or it is only
/// used as a `COPY --from` source.
fn dl3049(ctx: &Ctx, out: &mut Vec<Finding>) {
    if ctx.opts.label_schema.is_empty() {
        return;
    }
    let esc = ctx.df.escape;
    // Per stage (FROM index): image name, alias, and the labels it sets.
    struct St<'a> {
        from: usize,
        image: String,
        alias: Option<&'a str>,
    }
    let mut stages: Vec<St> = Vec::new();
    // Events in order, replayed per label.
    enum Ev<'a> {
        From(usize),
        CopyFrom(&'a str),
        Label(Vec<String>),
    }
    let mut events: Vec<Ev> = Vec::new();
    for (i, inst) in ctx.df.instructions.iter().enumerate() {
        match inst.keyword.as_str() {
            "from" => {
                let (image, alias) = from_parts(inst);
                stages.push(St {
                    from: i,
                    image: parse_image(image).name,
                    alias,
                });
                events.push(Ev::From(stages.len() - 1));
            }
            "copy" => {
                if let Some(src) = inst.flag("from") {
                    events.push(Ev::CopyFrom(src));
                }
            }
            "label" => events.push(Ev::Label(
                triples(inst).map(|(k, _, _)| unquote(k, esc)).collect(),
            )),
            _ => {}
        }
    }
    for label in ctx.opts.label_schema.keys() {
        let mut current: Option<usize> = None;
        let mut good: BTreeSet<usize> = BTreeSet::new();
        let mut bad: BTreeSet<usize> = BTreeSet::new();
        for ev in &events {
            match ev {
                Ev::From(s) => {
                    let img = &stages[*s].image;
                    if current.is_some()
                        && good.iter().any(|g| stages[*g].alias == Some(img.as_str()))
                    {
                        good.insert(*s);
                    } else {
                        bad.insert(*s);
                    }
                    current = Some(*s);
                }
                Ev::CopyFrom(src) => {
                    if current.is_some() {
                        bad.retain(|b| stages[*b].alias != Some(*src));
                    }
                }
                Ev::Label(keys) => {
                    let Some(cur) = current else { continue };
                    if keys.iter().any(|k| k == label) {
                        let name = stages[cur]
                            .alias
                            .map(str::to_string)
                            .unwrap_or_else(|| stages[cur].image.clone());
                        bad.retain(|b| stages[*b].alias != Some(name.as_str()));
                        good.insert(cur);
                        bad.remove(&cur);
                    }
                }
            }
        }
        for b in bad {
            out.push(ctx.finding(
                "DL3049",
                &ctx.df.instructions[stages[b].from],
                format!("Label `{label}` is missing."),
            ));
        }
    }
}

/// DL3057: a stage without HEALTHCHECK (and not built on one that has it).
fn dl3057(ctx: &Ctx, out: &mut Vec<Finding>) {
    let mut names: Vec<(String, usize)> = Vec::new(); // (stage name, FROM index)
    let mut good: BTreeSet<usize> = BTreeSet::new();
    let mut bad: BTreeSet<usize> = BTreeSet::new();
    let mut current: Option<usize> = None;
    for (i, inst) in ctx.df.instructions.iter().enumerate() {
        match inst.keyword.as_str() {
            "from" => {
                let (image, alias) = from_parts(inst);
                let img = parse_image(image).name;
                let name = alias.map(str::to_string).unwrap_or_else(|| img.clone());
                let inherits = current.is_some()
                    && good
                        .iter()
                        .any(|g| names.iter().any(|(n, f)| f == g && *n == img));
                if inherits {
                    good.insert(i);
                } else {
                    bad.insert(i);
                }
                names.push((name, i));
                current = Some(i);
            }
            "healthcheck" => {
                if let Some(c) = current {
                    good.insert(c);
                    bad.remove(&c);
                }
            }
            _ => {}
        }
    }
    for b in bad {
        out.push(ctx.finding(
            "DL3057",
            &ctx.df.instructions[b],
            "`HEALTHCHECK` instruction missing.",
        ));
    }
}

/// The number of simple commands in a shell script, roughly as ShellCheck's
/// AST would give them: commands are split at `&&`, `||`, `;`, `|`, `&`,
/// newlines and `$(`/backticks; words that are only variable assignments
/// or shell keywords are not commands.
#[cfg(test)]
fn count_commands(script: &str) -> usize {
    count_commands_capped(script, usize::MAX)
}

/// [`count_commands`], stopping once `cap` commands are seen.
fn count_commands_capped(script: &str, cap: usize) -> usize {
    let mut count = 0;
    let mut word = String::new();
    let mut words_in_seg: Vec<String> = Vec::new();
    let flush_seg = |words: &mut Vec<String>, count: &mut usize| {
        const KEYWORDS: &[&str] = &[
            "if", "then", "else", "elif", "fi", "do", "done", "while", "until", "for", "in",
            "case", "esac", "!", "{", "}", "(", ")", "function", "select", "time",
        ];
        let mut has_cmd = false;
        let mut skip_for_vars = false;
        for w in words.iter() {
            if skip_for_vars {
                break;
            }
            if w == "for" || w == "case" || w == "select" {
                skip_for_vars = true;
                continue;
            }
            if KEYWORDS.contains(&w.as_str()) {
                continue;
            }
            // `[[ … ]]` is a condition, not a simple command (ShellCheck's
            // T_Condition: hadolint's command list does not have it).
            if w == "[[" {
                break;
            }
            let is_assign = w
                .split_once('=')
                .is_some_and(|(n, _)| !n.is_empty() && n.chars().all(is_var_char));
            if is_assign {
                continue;
            }
            has_cmd = true;
            break;
        }
        if has_cmd {
            *count += 1;
        }
        words.clear();
    };
    let mut chars = script.chars().peekable();
    let end_word = |word: &mut String, words: &mut Vec<String>| {
        if !word.is_empty() {
            words.push(std::mem::take(word));
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    if n != '\n' {
                        word.push(n);
                    }
                }
            }
            '\'' => {
                word.push('q');
                for n in chars.by_ref() {
                    if n == '\'' {
                        break;
                    }
                }
            }
            '"' => {
                word.push('q');
                while let Some(n) = chars.next() {
                    match n {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        _ => {}
                    }
                }
            }
            '#' if word.is_empty() => {
                for n in chars.by_ref() {
                    if n == '\n' {
                        break;
                    }
                }
                end_word(&mut word, &mut words_in_seg);
                flush_seg(&mut words_in_seg, &mut count);
            }
            '$' if chars.peek() == Some(&'(') => {
                chars.next();
                if chars.peek() == Some(&'(') {
                    // arithmetic: skip to the closing `))`
                    let mut depth = 1;
                    for n in chars.by_ref() {
                        match n {
                            '(' => depth += 1,
                            ')' => {
                                depth -= 1;
                                if depth == 0 {
                                    break;
                                }
                            }
                            _ => {}
                        }
                    }
                    word.push('a');
                } else {
                    word.push('s');
                    end_word(&mut word, &mut words_in_seg);
                    // the substitution's commands are counted as their own segment(s)
                    let saved = std::mem::take(&mut words_in_seg);
                    let mut depth = 1;
                    let mut inner = String::new();
                    for n in chars.by_ref() {
                        match n {
                            '(' => depth += 1,
                            ')' => {
                                depth -= 1;
                                if depth == 0 {
                                    break;
                                }
                            }
                            _ => {}
                        }
                        inner.push(n);
                    }
                    count += count_commands_capped(&inner, cap);
                    words_in_seg = saved;
                }
            }
            ';' | '&' | '|' | '\n' | '(' | ')' => {
                end_word(&mut word, &mut words_in_seg);
                flush_seg(&mut words_in_seg, &mut count);
                if count >= cap {
                    return count;
                }
            }
            c if c.is_whitespace() => end_word(&mut word, &mut words_in_seg),
            c => word.push(c),
        }
    }
    end_word(&mut word, &mut words_in_seg);
    flush_seg(&mut words_in_seg, &mut count);
    count
}

/// DL3059: consecutive RUNs with the same flags that each run one command.
fn dl3059(ctx: &Ctx, out: &mut Vec<Finding>) {
    let mut prev: Option<(&Vec<String>, usize)> = None;
    for inst in &ctx.df.instructions {
        if inst.keyword != "run" {
            prev = None;
            continue;
        }
        let n = if inst.json {
            1
        } else {
            // only "at most one command" matters
            let script = inst.args.first().map(String::as_str).unwrap_or("");
            let mut n = count_commands_capped(script, 2);
            for h in &inst.heredocs {
                if n < 2 {
                    n += count_commands_capped(&h.content, 2);
                }
            }
            n
        };
        match prev {
            Some((flags, pn)) if *flags == inst.flags && n <= 1 && pn <= 1 => {
                out.push(ctx.finding(
                    "DL3059",
                    inst,
                    "Multiple consecutive `RUN` instructions. Consider consolidation.",
                ));
            }
            _ => {}
        }
        prev = Some((&inst.flags, n));
    }
}

/// DL3063: a stage named like a reserved stage (BuildKit: ReservedStageName).
fn dl3063(ctx: &Ctx, inst: &Instruction, out: &mut Vec<Finding>) {
    let (_, alias) = from_parts(inst);
    let Some(alias) = alias else { return };
    let lower = alias.to_lowercase();
    if lower == "scratch" || lower == "context" {
        out.push(ctx.finding(
            "DL3063",
            inst,
            with_check(
                &format!(
                    "Stage name should not use the same name as reserved stage {}",
                    devctl_dockerfile::parser::go_quote(&lower)
                ),
                Some("ReservedStageName"),
            ),
        ));
    }
}

const SENSITIVE_NAMES: &[&str] = &[
    "ACCESS_TOKEN",
    "APPLICATION_KEY",
    "APP_SECRET",
    "AUTH_TOKEN",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "BITTREX_API_KEY",
    "BITTREX_API_SECRET",
    "CF_PASSWORD",
    "CF_USERNAME",
    "CIRCLE_TOKEN",
    "CI_DEPLOY_PASSWORD",
    "CI_DEPLOY_USER",
    "DOCKERHUB_PASSWORD",
    "DOCKER_EMAIL",
    "DOCKER_PASSWORD",
    "DOCKER_USERNAME",
    "FACEBOOK_ACCESS_TOKEN",
    "FACEBOOK_APP_ID",
    "FACEBOOK_APP_SECRET",
    "FIREBASE_API_TOKEN",
    "FIREBASE_TOKEN",
    "FOSSA_API_KEY",
    "GH_ENTERPRISE_TOKEN",
    "GH_TOKEN",
    "GITHUB_ENTERPRISE_TOKEN",
    "GITHUB_TOKEN",
    "HEROKU_API_KEY",
    "HEROKU_API_USER",
    "NPM_AUTH_TOKEN",
    "NPM_TOKEN",
    "OKTA_AUTHN_GROUPID",
    "OKTA_CLIENT_ORGURL",
    "OKTA_CLIENT_TOKEN",
    "OKTA_OAUTH2_CLIENTID",
    "OKTA_OAUTH2_CLIENTSECRET",
    "OPENAI_API_KEY",
    "OS_PASSWORD",
    "OS_USERNAME",
    "POSTGRES_PASSWORD",
    "SLACK_TOKEN",
    "STRIPE_API_KEY",
    "STRIPE_DEVICE_NAME",
    "TRAVIS_OS_NAME",
    "TRAVIS_SECURE_ENV_VARS",
    "TRAVIS_SUDO",
    "VAULT_CLIENT_KEY",
    "VAULT_TOKEN",
];
const SUSPICIOUS_SUBSTRINGS: &[&str] = &[
    "api_key",
    "client_key",
    "password",
    "private",
    "secret",
    "token",
    "username",
];

/// hadolint DL3064's test of one ARG/ENV name.
pub(crate) fn hadolint_sensitive(name: &str) -> bool {
    if SENSITIVE_NAMES.iter().any(|s| s.eq_ignore_ascii_case(name)) {
        return true;
    }
    let lower = name.to_lowercase();
    SUSPICIOUS_SUBSTRINGS.iter().any(|s| lower.contains(s))
}

/// BuildKit's secret words: `(?i)(?:_|^)(?:apikey|…|token)(?:_|$)`.
const BK_SECRET_WORDS: &[&str] = &[
    "apikey",
    "auth",
    "credential",
    "credentials",
    "key",
    "password",
    "pword",
    "passwd",
    "secret",
    "token",
];

/// BuildKit SecretsUsedInArgOrEnv's test of one name: one of its
/// `_`-separated parts is a secret word and none is `public`, compared as
/// Go's `(?i)` does (simple case folding: besides ASCII, only K (U+212A)
/// folds to `k` and ſ (U+017F) to `s`). Written out rather than as the two
/// regexes: building those took 2.9M instructions, more than linting a
/// typical Dockerfile.
pub(crate) fn buildkit_sensitive(name: &str) -> bool {
    let folds_to = |part: &str, word: &str| {
        let mut p = part.chars();
        word.chars().all(|w| {
            p.next().is_some_and(|c| {
                let c = match c {
                    '\u{212a}' => 'k',
                    '\u{17f}' => 's',
                    c => c.to_ascii_lowercase(),
                };
                c == w
            })
        }) && p.next().is_none()
    };
    let mut secret = false;
    for part in name.split('_') {
        if folds_to(part, "public") {
            return false;
        }
        secret |= BK_SECRET_WORDS.iter().any(|w| folds_to(part, w));
    }
    secret
}

/// The names an ARG or ENV instruction defines.
pub(crate) fn defined_names(inst: &Instruction, escape: char) -> Vec<String> {
    match inst.keyword.as_str() {
        "arg" => inst
            .args
            .iter()
            .map(|w| w.split_once('=').map_or(w.as_str(), |(n, _)| n).to_string())
            .collect(),
        "env" => triples(inst).map(|(k, _, _)| unquote(k, escape)).collect(),
        _ => Vec::new(),
    }
}

/// DL3064 (also inside ONBUILD), and BuildKit's SecretsUsedInArgOrEnv for
/// names only BuildKit considers secret.
fn dl3064(ctx: &Ctx, inst: &Instruction, out: &mut Vec<Finding>) {
    let eff = inst.effective();
    if eff.keyword != "arg" && eff.keyword != "env" {
        return;
    }
    let names = defined_names(eff, ctx.df.escape);
    let kw = eff.keyword.to_uppercase();
    let hadolint_hit = names.iter().any(|n| hadolint_sensitive(n));
    let bk_hits: Vec<&String> = names.iter().filter(|n| buildkit_sensitive(n)).collect();
    if hadolint_hit {
        let check = (!bk_hits.is_empty()).then_some("SecretsUsedInArgOrEnv");
        out.push(ctx.finding(
            "DL3064",
            inst,
            with_check(
                "Potentially sensitive data should not be used in the `ARG` or `ENV` commands",
                check,
            ),
        ));
    } else if inst.onbuild.is_none() {
        // BuildKit does not look inside ONBUILD.
        for n in bk_hits {
            out.push(ctx.finding(
                "SecretsUsedInArgOrEnv",
                inst,
                format!(
                    "Do not use ARG or ENV instructions for sensitive data ({kw} {})",
                    devctl_dockerfile::parser::go_quote(n)
                ),
            ));
        }
    }
}

/// DL3066: USER with a non-numeric user id.
/// hadolint skips a USER that mentions `$NAME` or `${NAME}` for any ARG
/// declared earlier in the file (any stage, or before the first FROM);
/// `${NAME:-x}` does not count.
fn dl3066(ctx: &Ctx, inst: &Instruction, arg_names: &[String], out: &mut Vec<Finding>) {
    let user = inst.args.first().map(String::as_str).unwrap_or("");
    if arg_names
        .iter()
        .any(|n| user.contains(&format!("${n}")) || user.contains(&format!("${{{n}}}")))
    {
        return;
    }
    let uid = user.split(':').next().unwrap_or("");
    if !uid.chars().all(|c| c.is_ascii_digit()) {
        out.push(ctx.finding(
            "DL3066",
            inst,
            "Non-numeric user-id may not be resolvable by host system",
        ));
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn label_values_take_ascii_digits_only() {
        assert!(is_valid_rfc3339("2024-01-02T03:04:05Z"));
        assert!(!is_valid_rfc3339("٢٠٢٤-01-02T03:04:05Z"));
        assert!(is_valid_semver("1.2.3-rc.1+build.5"));
        assert!(!is_valid_semver("١.2.3"));
    }

    #[test]
    fn buildkit_sensitive_is_buildkits_regex() {
        let secret = regex::Regex::new(
            r"(?i)(?:_|^)(?:apikey|auth|credential|credentials|key|password|pword|passwd|secret|token)(?:_|$)",
        )
        .unwrap();
        let public = regex::Regex::new(r"(?i)(?:_|^)public(?:_|$)").unwrap();
        for name in [
            "KEY",
            "key",
            "MY_KEY",
            "KEY_ID",
            "A_KEY_B",
            "KEYS",
            "MONKEY",
            "_KEY_",
            "API_KEY",
            "APIKEY",
            "ApiKey",
            "GITHUB_TOKEN",
            "TOKENS",
            "PUBLIC_KEY",
            "KEY_PUBLIC",
            "PUBLICKEY",
            "AUTH",
            "OAUTH",
            "AUTH_",
            "__",
            "",
            "_",
            "PASSWD",
            "DB_PASSWORD",
            "PWORD",
            "CREDENTIALS_FILE",
            "SECRET",
            "MY_SECRET_PUBLIC",
            "\u{212a}EY",
            "\u{17f}ECRET",
            "SECRET\u{17f}",
            "ÄPI_KEY",
            "KEY_ÄPUBLIC",
            "NO_PUBLIC_HERE_TOKEN",
        ] {
            let want = secret.is_match(name) && !public.is_match(name);
            assert_eq!(buildkit_sensitive(name), want, "{name:?}");
        }
    }
    use super::*;
    use crate::{Ctx, Options};
    use devctl_dockerfile::parse;

    /// Every finding of this family, Ignore severity included.
    fn run_with(src: &str, opts: &Options) -> Vec<Finding> {
        let df = parse(&format!("{src}\n")).expect("test Dockerfile parses");
        let ctx = Ctx::new(&df, opts, None);
        let mut out = Vec::new();
        check(&ctx, &mut out);
        out
    }
    fn count_with(code: &str, src: &str, opts: &Options) -> usize {
        run_with(src, opts)
            .iter()
            .filter(|f| f.code == code)
            .count()
    }
    fn count(code: &str, src: &str) -> usize {
        count_with(code, src, &Options::default())
    }
    #[track_caller]
    fn catches(code: &str, src: &str) {
        assert!(count(code, src) > 0, "{code} should fire on:\n{src}");
    }
    #[track_caller]
    fn catches_not(code: &str, src: &str) {
        assert_eq!(count(code, src), 0, "{code} should not fire on:\n{src}");
    }
    fn lines(code: &str, src: &str, opts: &Options) -> Vec<usize> {
        let mut v: Vec<usize> = run_with(src, opts)
            .iter()
            .filter(|f| f.code == code)
            .map(|f| f.line())
            .collect();
        v.sort();
        v
    }
    fn schema(pairs: &[(&str, &str)]) -> Options {
        Options {
            label_schema: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Options::default()
        }
    }

    #[test]
    fn dl3000() {
        catches("DL3000", "WORKDIR relative/dir");
        catches_not("DL3000", "WORKDIR /usr/local");
        catches_not("DL3000", "WORKDIR ${work}");
        catches("DL3000", "WORKDIR 'relative/dir'");
        catches_not("DL3000", "WORKDIR '/usr/local'");
        catches("DL3000", "WORKDIR \"relative/dir\"");
        catches_not("DL3000", "WORKDIR \"/usr/local\"");
        catches_not("DL3000", "WORKDIR \"${dir}\"");
        catches_not("DL3000", "WORKDIR 'C:\\'");
        catches_not("DL3000", "WORKDIR C:/");
        catches_not("DL3000", "WORKDIR \"C:/\"");
        // names WorkdirRelativePath only when no WORKDIR came before
        let f = run_with("FROM a:1\nWORKDIR rel", &Options::default());
        let m = &f.iter().find(|f| f.code == "DL3000").unwrap().message;
        assert!(m.contains("WorkdirRelativePath"));
        let f = run_with("FROM a:1\nWORKDIR $X\nWORKDIR rel", &Options::default());
        let m = &f.iter().find(|f| f.code == "DL3000").unwrap().message;
        assert_eq!(m, "Use absolute WORKDIR.");
        let f = run_with(
            "FROM a:1 AS b\nWORKDIR /x\nFROM b\nWORKDIR rel",
            &Options::default(),
        );
        let m = &f.iter().find(|f| f.code == "DL3000").unwrap().message;
        assert_eq!(m, "Use absolute WORKDIR.");
    }

    #[test]
    fn dl3002() {
        catches("DL3002", "FROM scratch\nUSER root");
        catches_not("DL3002", "FROM scratch\nUSER foo");
        catches("DL3002", "FROM scratch\nUSER 0");
        catches("DL3002", "FROM scratch\nUSER root:root");
        catches("DL3002", "FROM scratch\nUSER 0:0");
        catches_not("DL3002", "FROM scratch\nUSER root\nRUN something\nUSER foo");
        catches(
            "DL3002",
            "FROM debian as base\nUSER root\nRUN something\nFROM base\nRUN something else",
        );
        catches("DL3002", "FROM debian as base\nUSER root\nRUN something\nFROM scratch\nUSER foo\nRUN something else");
        catches_not("DL3002", "FROM debian as base\nUSER root\nRUN something\nUSER foo\nFROM scratch\nRUN something else");
        assert_eq!(
            lines("DL3002", "FROM a\nUSER root\nRUN x", &Options::default()),
            vec![2]
        );
    }

    #[test]
    fn dl3006() {
        catches("DL3006", "FROM debian");
        catches("DL3006", "FROM debian AS builder");
        catches_not("DL3006", "FROM ruby@sha256:f1dbca0f5dbc9");
        catches_not("DL3006", "FROM ruby:2");
        catches_not("DL3006", "FROM ${VALUE}");
        catches_not("DL3006", "FROM scratch");
        catches_not(
            "DL3006",
            "FROM golang:1.9.3-alpine3.7 AS build\nRUN foo\nFROM build as unit-test\nRUN bar\nFROM alpine:3.7\nRUN baz",
        );
        catches(
            "DL3006",
            "FROM golang:1.9.3-alpine3.7 AS build\nRUN foo\nFROM node as unit-test\nRUN bar\nFROM alpine:3.7\nRUN baz",
        );
        catches_not("DL3006", "FROM localhost.dev/img:1");
        catches("DL3006", "FROM registry.io/img");
        // an alias defined later does not count
        catches("DL3006", "FROM build\nFROM x:1 AS build");
        // ONBUILD FROM is not checked (hadolint does not unwrap it)
        catches_not("DL3006", "FROM a:1\nONBUILD FROM debian");
    }

    #[test]
    fn dl3007() {
        catches("DL3007", "FROM debian:latest");
        catches("DL3007", "FROM debian:latest AS builder");
        catches_not("DL3007", "FROM debian:jessie");
        catches_not(
            "DL3007",
            "FROM hub.docker.io/debian@sha256:7959ed6f7e35f8b1aaa06d1d8259d4ee25aa85a086d5c125480c333183f9deeb",
        );
        catches_not("DL3007", "FROM debian:jessie AS builder");
        catches("DL3007", "FROM --platform=linux/amd64 debian:latest");
    }

    #[test]
    fn dl3011() {
        catches("DL3011", "EXPOSE 80000");
        catches_not("DL3011", "EXPOSE 60000");
        catches_not("DL3011", "EXPOSE ${FOOBAR}");
        catches("DL3011", "EXPOSE 40000-80000/tcp");
        catches_not("DL3011", "EXPOSE 40000-60000/tcp");
        catches_not("DL3011", "EXPOSE 40000-${FOOBAR}");
        catches_not("DL3011", "EXPOSE 80/tcp 443/udp");
        catches("DL3011", "EXPOSE 80 99999999999999999999999");
    }

    #[test]
    fn dl3012_dl4003_dl4004() {
        catches_not("DL3012", "FROM scratch");
        catches_not("DL3012", "FROM scratch\nHEALTHCHECK CMD /bin/bla");
        catches_not(
            "DL3012",
            "FROM scratch\nHEALTHCHECK CMD /bin/bla1\nFROM scratch\nHEALTHCHECK CMD /bin/bla2",
        );
        catches(
            "DL3012",
            "FROM scratch\nHEALTHCHECK CMD /bin/bla1\nHEALTHCHECK CMD /bin/bla2",
        );
        assert_eq!(
            lines(
                "DL3012",
                "FROM scratch\nHEALTHCHECK CMD a\nHEALTHCHECK CMD b\nHEALTHCHECK NONE",
                &Options::default()
            ),
            vec![3, 4]
        );
        catches("DL4003", "FROM busybox\nCMD bash\nRUN foo\nCMD another");
        catches_not("DL4003", "FROM busybox\nCMD bash\nFROM node\nCMD another");
        catches_not("DL4003", "FROM busybox\nCMD bash");
        catches(
            "DL4004",
            "FROM busybox\nENTRYPOINT bash\nRUN foo\nENTRYPOINT another",
        );
        catches_not(
            "DL4004",
            "FROM busybox\nENTRYPOINT bash\nFROM node\nENTRYPOINT another",
        );
        catches_not("DL4004", "FROM busybox\nENTRYPOINT bash");
        let m = run_with("FROM a\nCMD a\nCMD b", &Options::default());
        assert!(m
            .iter()
            .any(|f| f.code == "DL4003" && f.message.contains("MultipleInstructionsDisallowed")));
    }

    #[test]
    fn dl3020() {
        catches_not("DL3020", "ADD file.tar /usr/src/app/");
        catches_not("DL3020", "ADD file.gz /usr/src/app/");
        catches_not("DL3020", "ADD file.bz2 /usr/src/app/");
        catches_not("DL3020", "ADD file.xz /usr/src/app/");
        catches_not("DL3020", "ADD file.tgz /usr/src/app/");
        catches_not("DL3020", "ADD http://file.com /usr/src/app/");
        catches("DL3020", "ADD file /usr/src/app/");
        catches("DL3020", "ADD file.zip /usr/src/app/");
        catches_not("DL3020", "ADD \"file.tgz\" /usr/src/app/");
        catches_not("DL3020", "ADD \"http://file.com\" /usr/src/app/");
        catches("DL3020", "ADD \"file.zip\" /usr/src/app/");
        catches("DL3020", "ADD [\"file\", \"/usr/src/app/\"]");
        catches("DL3020", "ADD --chown=1:1 file /usr/src/app/");
    }

    #[test]
    fn dl3021() {
        catches_not("DL3021", "COPY foo bar");
        catches("DL3021", "COPY foo bar baz");
        catches_not("DL3021", "COPY foo bar baz/");
        catches("DL3021", "COPY foo bar \"baz\"");
        catches_not("DL3021", "COPY foo bar \"baz/\"");
        catches_not("DL3021", "COPY --from=a foo bar baz/");
    }

    #[test]
    fn dl3022() {
        catches("DL3022", "COPY --from=foo bar .");
        catches(
            "DL3022",
            "FROM scratch\nCOPY --from=build foo .\nFROM node as build\nRUN baz",
        );
        catches_not(
            "DL3022",
            "FROM scratch as build\nRUN foo\nFROM node\nCOPY --from=build foo .\nRUN baz",
        );
        catches_not("DL3022", "COPY --from=haskell:latest bar .");
        catches("DL3022", "COPY --from=0 bar .");
        catches_not(
            "DL3022",
            "FROM scratch as build\nRUN foo\nFROM node\nCOPY --from=0 foo .",
        );
        catches_not(
            "DL3022",
            "FROM scratch\nRUN foo\nFROM node\nCOPY --from=0 foo .",
        );
        catches("DL3022", "FROM scratch\nFROM node\nCOPY --from=2 foo .");
    }

    #[test]
    fn dl3023() {
        catches("DL3023", "FROM node as foo\nCOPY --from=foo bar .");
        catches_not(
            "DL3023",
            "FROM scratch as build\nRUN foo\nFROM node as run\nCOPY --from=build foo .\nRUN baz",
        );
        catches_not("DL3023", "COPY --from=foo bar .");
    }

    #[test]
    fn dl3024() {
        catches(
            "DL3024",
            "FROM node as foo\nRUN something\nFROM scratch as foo\nRUN something",
        );
        catches_not(
            "DL3024",
            "FROM scratch as build\nRUN foo\nFROM node as run\nRUN baz",
        );
        assert_eq!(
            lines(
                "DL3024",
                "FROM a as x\nFROM b as x\nFROM c as x",
                &Options::default()
            ),
            vec![2, 3]
        );
        // BuildKit compares names case-insensitively: reported under its own name
        let f = run_with("FROM a:1 AS Foo\nFROM b:1 AS foo", &Options::default());
        assert!(!f.iter().any(|f| f.code == "DL3024"));
        let d = f.iter().find(|f| f.code == "DuplicateStageName").unwrap();
        assert_eq!(
            d.message,
            "Duplicate stage name \"foo\", stage names should be unique"
        );
    }

    #[test]
    fn dl3025() {
        catches("DL3025", "FROM node as foo\nENTRYPOINT something");
        catches_not(
            "DL3025",
            "FROM scratch as build\nENTRYPOINT [\"foo\", \"bar\"]",
        );
        catches("DL3025", "FROM node as foo\nCMD something");
        catches(
            "DL3025",
            "FROM node as foo\nHEALTHCHECK CMD curl -f http://x || exit 1",
        );
        catches_not(
            "DL3025",
            "FROM node as foo\nHEALTHCHECK CMD [\"true\"]\nHEALTHCHECK NONE",
        );
        catches_not(
            "DL3025",
            "FROM scratch as build\nCMD [\"foo\", \"bar\"]\nCMD [ \"foo\", \"bar\" ]",
        );
        let f = run_with("FROM a:1\nCMD x", &Options::default());
        assert!(f
            .iter()
            .any(|f| f.code == "DL3025"
                && f.message.ends_with("(BuildKit check: JSONArgsRecommended)")));
        let f = run_with(
            "FROM a:1\nSHELL [\"/bin/bash\", \"-c\"]\nCMD x",
            &Options::default(),
        );
        assert!(f
            .iter()
            .any(|f| f.code == "DL3025" && !f.message.contains("BuildKit")));
        catches_not(
            "DL3025",
            "CMD [ \"/bin/sh\", \"-c\", \\\n      \"echo foo && \\\n       echo bar\" \\\n    ]",
        );
    }

    #[test]
    fn dl3026() {
        let reg = |r: &[&str]| Options {
            trusted_registries: r.iter().map(|s| s.to_string()).collect(),
            ..Options::default()
        };
        assert_eq!(
            count_with("DL3026", "FROM random.com/debian", &Options::default()),
            0
        );
        assert_eq!(
            count_with("DL3026", "FROM random.com/debian", &reg(&["docker.io"])),
            1
        );
        assert_eq!(
            count_with(
                "DL3026",
                "FROM random.com/debian",
                &reg(&["x.com", "random.com"])
            ),
            0
        );
        assert_eq!(
            count_with("DL3026", "FROM scratch", &reg(&["x.com", "random.com"])),
            0
        );
        let all = "FROM ubuntu:18.04 AS builder1\nFROM zemanlx/ubuntu:18.04 AS builder2\nFROM docker.io/zemanlx/ubuntu:18.04 AS builder3";
        assert_eq!(count_with("DL3026", all, &reg(&["docker.io"])), 0);
        assert_eq!(count_with("DL3026", all, &reg(&["*"])), 0);
        assert_eq!(
            count_with(
                "DL3026",
                "FROM random.com/foo AS builder1\nFROM builder1 AS builder2",
                &reg(&["random.com"])
            ),
            0
        );
        assert_eq!(
            count_with("DL3026", "FROM x.com/debian", &reg(&["*.random.com"])),
            1
        );
        assert_eq!(
            count_with(
                "DL3026",
                "FROM foo.random.com/debian",
                &reg(&["x.com", "*.random.com"])
            ),
            0
        );
    }

    #[test]
    fn dl3029_dl3065() {
        catches("DL3029", "FROM --platform=linux debian:jessie");
        catches_not("DL3029", "FROM debian:jessie");
        catches_not("DL3029", "FROM --platform=$BUILDPLATFORM debian:jessie");
        catches_not("DL3029", "FROM --platform=\"$BUILDPLATFORM\" debian:jessie");
        catches_not("DL3029", "FROM --platform=${BUILDPLATFORM} debian:jessie");
        catches_not("DL3029", "FROM --platform=${BUILDPLATFORM:-} debian:jessie");
        catches_not(
            "DL3029",
            "FROM --platform=\"${BUILDPLATFORM:-}\" debian:jessie",
        );
        catches_not("DL3029", "FROM --platform=$TARGETPLATFORM debian:jessie");
        catches_not("DL3065", "FROM alpine:3.24");
        catches_not("DL3065", "FROM --platform=$FOOBAR alpine:3.24");
        catches_not("DL3065", "FROM --platform=foobar alpine:3.24");
        catches_not("DL3065", "FROM --platform=foobar/arm64 alpine:3.24");
        catches("DL3065", "FROM --platform=$TARGETPLATFORM alpine:3.24");
        catches("DL3065", "FROM --platform=${TARGETPLATFORM} alpine:3.24");
        let f = run_with("FROM --platform=linux/amd64 a:1", &Options::default());
        let m = &f.iter().find(|f| f.code == "DL3029").unwrap().message;
        assert!(m.ends_with("(BuildKit check: FromPlatformFlagConstDisallowed)"));
        let f = run_with(
            "FROM --platform=linux/arm64 a:1 AS build-arm64",
            &Options::default(),
        );
        let m = &f.iter().find(|f| f.code == "DL3029").unwrap().message;
        assert_eq!(m, "Do not use --platform flag with FROM");
    }

    #[test]
    fn dl3043() {
        catches("DL3043", "ONBUILD ONBUILD RUN anything");
        catches("DL3043", "ONBUILD FROM debian:buster");
        catches("DL3043", "ONBUILD MAINTAINER \"BoJack Horseman\"");
        for ok in [
            "ONBUILD ADD anything anywhere",
            "ONBUILD USER anything",
            "ONBUILD LABEL bla=\"blubb\"",
            "ONBUILD STOPSIGNAL anything",
            "ONBUILD COPY anything anywhere",
            "ONBUILD RUN anything",
            "ONBUILD CMD anything",
            "ONBUILD SHELL anything",
            "ONBUILD WORKDIR anything",
            "ONBUILD EXPOSE 69",
            "ONBUILD VOLUME anything",
            "ONBUILD ENTRYPOINT anything",
            "ONBUILD ENV MYVAR=\"bla\"",
            "ONBUILD ARG anything",
            "ONBUILD HEALTHCHECK NONE",
            "FROM debian:buster",
            "MAINTAINER \"Some Guy\"",
        ] {
            catches_not("DL3043", ok);
        }
    }

    #[test]
    fn dl3044() {
        catches_not("DL3044", "ENV BLA=\"blubb\"\nENV BLUBB=\"${BLA}/blubb\"");
        catches_not("DL3044", "ENV BLA=\"blubb\" BLUBB=\"${FOOBLA}/blubb\"");
        catches_not("DL3044", "ENV BLA=\"blubb\" BLUBB=\"${BLAFOO}/blubb\"");
        catches_not("DL3044", "ENV BLA=\"blubb\" BLUBB=\"$FOOBLA/blubb\"");
        catches_not("DL3044", "ENV BLA=\"blubb\" BLUBB=\"$BLAFOO/blubb\"");
        catches("DL3044", "ENV BLA=\"blubb\" BLUBB=\"$BLA/$BLAFOO/blubb\"");
        catches_not("DL3044", "ENV BLA=\"blubb\" BLUBB=\"BLA/$BLAFOO/BLA\"");
        catches_not("DL3044", "ARG BLA\nENV BLA=${BLA}");
        catches_not("DL3044", "ENV BLA blubb\nENV BLA=${BLA}");
        catches_not("DL3044", "ENV PATH=/bla:${PATH}");
        catches_not("DL3044", "ENV PATH=/bla:${PATH}\nENV PATH=/blubb:${PATH}");
        catches("DL3044", "ENV PATH=/bla:${PATH} PATH=/blubb:${PATH}");
        catches("DL3044", "ENV BLA=\"blubb\" BLUBB=\"${BLA}/blubb\"");
        catches("DL3044", "ENV BLA=\"blubb\" BLUBB=\"$BLA/blubb\"");
        catches("DL3044", "ENV BLA=\"blubb\" BLUBB=\"$BLA\"");
        catches("DL3044", "ENV BLA=\"blubb\" BLUBB=\"${BLA}\"");
    }

    #[test]
    fn dl3045() {
        catches_not("DL3045", "COPY bla.sh /usr/local/bin/blubb.sh");
        catches_not("DL3045", "COPY bla.sh \"/usr/local/bin/blubb.s\"");
        catches_not("DL3045", "COPY bla.sh c:\\system32\\blubb.sh");
        catches_not("DL3045", "COPY bla.sh \"c:\\system32\\blubb.sh\"");
        catches_not("DL3045", "COPY bla.sh c:/system32/blubb.sh");
        catches_not("DL3045", "FROM scratch\nWORKDIR /usr\nCOPY bla.sh blubb.sh");
        catches_not(
            "DL3045",
            "FROM scratch\nWORKDIR c:\\system32\nCOPY bla.sh blubb.sh",
        );
        catches_not("DL3045", "COPY src.sh ${SRC_BASE_ENV}");
        catches_not("DL3045", "COPY src.sh $SRC_BASE_ENV");
        catches_not("DL3045", "COPY src.sh \"${SRC_BASE_ENV}\"");
        catches_not("DL3045", "COPY src.sh \"$SRC_BASE_ENV\"");
        catches("DL3045", "COPY bla.sh blubb.sh");
        catches("DL3045", "COPY bla.sh \"blubb.sh\"");
        catches(
            "DL3045",
            "FROM debian:buster as stage1\nWORKDIR /usr\nFROM debian:buster\nCOPY foo bar",
        );
        catches(
            "DL3045",
            "FROM microsoft/windowsservercore as stage1\nWORKDIR c:\\system32\nFROM microsoft/windowsservercore\nCOPY foo bar",
        );
        catches_not(
            "DL3045",
            "FROM debian:buster as base\nWORKDIR /usr\nFROM debian:buster as stage-inbetween\nRUN foo\nFROM base\nCOPY foo bar",
        );
        catches_not(
            "DL3045",
            "FROM debian:buster as base1\nWORKDIR /usr\nFROM base1 as base2\nRUN foo\nFROM base2\nCOPY foo bar",
        );
        catches_not(
            "DL3045",
            "FROM debian:buster\nONBUILD WORKDIR /usr/local/lib\nONBUILD COPY foo bar",
        );
        catches("DL3045", "COPY a b");
    }

    #[test]
    fn dl3048() {
        catches_not("DL3048", "LABEL org.opencontainers.image.created=\"x\"");
        catches_not("DL3048", "LABEL com.example.vendor=\"ACME Incorporated\"");
        catches("DL3048", "LABEL Bla=\"x\"");
        catches("DL3048", "LABEL bla.=\"x\"");
        catches("DL3048", "LABEL 1bla=\"x\"");
        // hadolint 2.15.1 allows `_` and `/`; quotes are stripped
        catches_not("DL3048", "LABEL bla_bla=\"x\"");
        catches_not("DL3048", "LABEL \"registry_image\"=\"x\" 'a/b'=y");
        catches("DL3048", "LABEL _a=x");
        catches("DL3048", "LABEL a_=x");
        catches("DL3048", "LABEL \"a:b\"=x");
        catches("DL3048", "LABEL com.docker.bla=\"x\"");
        catches("DL3048", "LABEL io.docker.bla=\"x\"");
        catches("DL3048", "LABEL org.dockerproject.bla=\"x\"");
        catches("DL3048", "LABEL bla..bla=\"x\"");
        catches("DL3048", "LABEL bla--bla=\"x\"");
        catches_not("DL3048", "LABEL \"bla\"=\"x\"");
        catches("DL3048", "LABEL bla=x foo_=y");
        catches("DL3048", "LABEL bla=x Foo=y");
    }

    #[test]
    fn dl3049() {
        let o = schema(&[("foo", "text")]);
        assert_eq!(
            count_with("DL3049", "FROM baseimage\nLABEL foo=\"bar\"", &o),
            0
        );
        assert_eq!(
            lines("DL3049", "FROM baseimage\nLABEL bar=\"baz\"", &o),
            vec![1]
        );
        // inherited from a labelled stage
        assert_eq!(
            count_with("DL3049", "FROM a as base\nLABEL foo=\"bar\"\nFROM base", &o),
            0
        );
        // a stage used only via COPY --from is not reported
        assert_eq!(
            count_with(
                "DL3049",
                "FROM a as build\nRUN x\nFROM b\nLABEL foo=\"bar\"\nCOPY --from=build /x /x",
                &o
            ),
            0
        );
        assert_eq!(
            lines(
                "DL3049",
                "FROM a as build\nRUN x\nFROM b\nLABEL foo=\"x\"",
                &o
            ),
            vec![1]
        );
        assert_eq!(lines("DL3049", "FROM a\nFROM b\nLABEL foo=1", &o), vec![1]);
        assert_eq!(count_with("DL3049", "FROM a", &Options::default()), 0);
        let o2 = schema(&[("foo", "text"), ("bar", "text")]);
        let f = run_with("FROM a\nLABEL foo=1", &o2);
        let m: Vec<&str> = f
            .iter()
            .filter(|f| f.code == "DL3049")
            .map(|f| f.message.as_str())
            .collect();
        assert_eq!(m, vec!["Label `bar` is missing."]);
    }

    #[test]
    fn dl3049_spec() {
        let o = schema(&[("foo", "text")]);
        let n = |src: &str| count_with("DL3049", src, &o);
        assert_eq!(n("FROM baseimage"), 1);
        assert_eq!(n("FROM baseimage\nLABEL bar=\"baz\""), 1);
        assert_eq!(n("FROM baseimage\nLABEL foo=\"bar\""), 0);
        assert_eq!(n("FROM stage1\nFROM stage2"), 2);
        assert_eq!(
            n("FROM stage1\nLABEL bar=\"baz\"\nFROM stage2\nLABEL buzz=\"fuzz\""),
            2
        );
        assert_eq!(n("FROM baseimage\nLABEL foo=\"bar\"\nFROM newimage"), 1);
        assert_eq!(n("FROM baseimage\nFROM newimage\nLABEL foo=\"bar\""), 1);
        assert_eq!(
            n("FROM baseimage\nLABEL baz=\"bar\"\nFROM newimage\nLABEL foo=\"bar\""),
            1
        );
        assert_eq!(n("FROM baseimage as base\nFROM base"), 2);
        assert_eq!(n("FROM baseimage as base\nFROM base\nLABEL foo=\"bar\""), 0);
        assert_eq!(
            n("FROM baseimage as base\nFROM anotherimage\nLABEL foo=\"bar\"\nCOPY --from=base /bar /baz"),
            0
        );
        assert_eq!(
            n("FROM baseimage as base\nFROM anotherimage\nLABEL foo=\"bar\""),
            1
        );
        assert_eq!(n("FROM baseimage as base\nLABEL foo=\"bar\"\nFROM base"), 0);
        assert_eq!(
            n("FROM baseimage as base\nFROM newimage\nLABEL foo=\"bar\"\nCOPY --from=base /bar /baz\n\nFROM newimage\nCOPY --from=base /bar /baz"),
            1
        );
        assert_eq!(
            n("FROM baseimage as base\nFROM base\nLABEL foo=\"bar\"\n\nFROM base"),
            1
        );
        assert_eq!(
            n("FROM baseimage as base\nFROM base\n\nFROM base\nLABEL foo=\"bar\""),
            1
        );
    }

    #[test]
    fn label_specs() {
        catches("DL3048", "LABEL invalid$character=\"foo\"");
        catches("DL3048", "LABEL .invalid =\"foo\"");
        catches("DL3048", "LABEL -invalid =\"foo\"");
        catches("DL3048", "LABEL 1invalid =\"foo\"");
        catches_not("DL3048", "LABEL org.valid-key.label3=\"foo\"");
        catches_not("DL3048", "LABEL validlabel=\"foo\"");
        let o = schema(&[("datelabel", "rfc3339")]);
        assert_eq!(count_with("DL3053", "LABEL datelabel=\"not-date\"", &o), 1);
        assert_eq!(
            count_with(
                "DL3053",
                "LABEL datelabel=\"2021-03-10T10:26:33.564595127+01:00\"",
                &o
            ),
            0
        );
        assert_eq!(count_with("DL3053", "LABEL other=\"doo\"", &o), 0);
        let o = schema(&[("maintainer", "email")]);
        assert_eq!(
            count_with("DL3058", "LABEL maintainer=\"not-email\"", &o),
            1
        );
        assert_eq!(
            count_with("DL3058", "LABEL maintainer=\"abcd@google.com\"", &o),
            0
        );
        assert_eq!(count_with("DL3058", "LABEL other=\"doo\"", &o), 0);
    }

    #[test]
    fn dl3050_dl3051() {
        let mut o = schema(&[("foo", "text")]);
        assert_eq!(count_with("DL3050", "LABEL foo=\"bar\" baz=1", &o), 0);
        o.strict_labels = true;
        assert_eq!(count_with("DL3050", "LABEL foo=\"bar\"", &o), 0);
        assert_eq!(count_with("DL3050", "LABEL foo=\"bar\" baz=1", &o), 1);
        let o = schema(&[("emptylabel", "text")]);
        assert_eq!(count_with("DL3051", "LABEL emptylabel=\"\"", &o), 1);
        assert_eq!(count_with("DL3051", "LABEL emptylabel=\"foo\"", &o), 0);
        assert_eq!(count_with("DL3051", "LABEL other=\"\"", &o), 0);
    }

    #[test]
    fn dl3052_to_dl3058() {
        let o = schema(&[("u", "url")]);
        assert_eq!(
            count_with("DL3052", "LABEL u=\"https://example.com/x?y=1\"", &o),
            0
        );
        assert_eq!(count_with("DL3052", "LABEL u=\"mailto:a@b.c\"", &o), 0);
        assert_eq!(count_with("DL3052", "LABEL u=\"example.com\"", &o), 1);
        assert_eq!(count_with("DL3052", "LABEL u=\"not a url\"", &o), 1);
        let o = schema(&[("t", "rfc3339")]);
        assert_eq!(
            count_with("DL3053", "LABEL t=\"2021-03-10T12:34:56Z\"", &o),
            0
        );
        assert_eq!(
            count_with("DL3053", "LABEL t=\"2021-03-10T12:34:56.123+01:00\"", &o),
            0
        );
        assert_eq!(count_with("DL3053", "LABEL t=\"2021-03-10\"", &o), 1);
        assert_eq!(
            count_with("DL3053", "LABEL t=\"2021-02-30T00:00:00Z\"", &o),
            1
        );
        assert_eq!(count_with("DL3053", "LABEL t=\"last tuesday\"", &o), 1);
        let o = schema(&[("l", "spdx")]);
        assert_eq!(count_with("DL3054", "LABEL l=\"MIT\"", &o), 0);
        assert_eq!(count_with("DL3054", "LABEL l=\"Apache-2.0\"", &o), 0);
        assert_eq!(count_with("DL3054", "LABEL l=\"Some License\"", &o), 1);
        let o = schema(&[("h", "hash")]);
        assert_eq!(count_with("DL3055", "LABEL h=\"2dbfae9\"", &o), 0);
        assert_eq!(
            count_with(
                "DL3055",
                "LABEL h=\"43c572f1272b8b3171dd1db7e8e4b4d6f2dc7db0\"",
                &o
            ),
            0
        );
        assert_eq!(count_with("DL3055", "LABEL h=\"not-a-hash\"", &o), 1);
        assert_eq!(count_with("DL3055", "LABEL h=\"2dbfae\"", &o), 1);
        let o = schema(&[("v", "semver")]);
        assert_eq!(count_with("DL3056", "LABEL v=\"1.2.3\"", &o), 0);
        assert_eq!(
            count_with("DL3056", "LABEL v=\"1.2.3-rc.1+build.5\"", &o),
            0
        );
        assert_eq!(count_with("DL3056", "LABEL v=\"1.2\"", &o), 1);
        assert_eq!(count_with("DL3056", "LABEL v=\"v1.2.3\"", &o), 1);
        let o = schema(&[("m", "email")]);
        assert_eq!(count_with("DL3058", "LABEL m=\"dev@example.com\"", &o), 0);
        assert_eq!(count_with("DL3058", "LABEL m=\"not-an-email\"", &o), 1);
        assert_eq!(count_with("DL3058", "LABEL m=\"a@@b\"", &o), 1);
        let f = run_with("LABEL m=\"x\"", &o);
        assert!(f
            .iter()
            .any(|f| f.message
                == "Label `m` is not a valid email format - must be conform to RFC5322."));
    }

    #[test]
    fn dl3057() {
        let raw = |s: &str| count("DL3057", s);
        assert_eq!(raw("FROM a\nHEALTHCHECK CMD x"), 0);
        assert_eq!(raw("FROM a"), 1);
        assert_eq!(raw("FROM a as base\nHEALTHCHECK CMD x\nFROM base"), 0);
        assert_eq!(raw("FROM a as b1\nFROM b as b2\nHEALTHCHECK CMD x"), 1);
        // Ignore severity: dropped by lint() unless overridden
        let df = parse("FROM a\n").unwrap();
        assert!(crate::lint(&df, &Options::default(), None)
            .iter()
            .all(|f| f.code != "DL3057"));
    }

    #[test]
    fn dl3059() {
        catches_not("DL3059", "FROM debian:10");
        catches_not("DL3059", "RUN /foo.sh");
        catches_not("DL3059", "RUN /foo.sh\nWORKDIR /\nRUN /bar.sh");
        catches("DL3059", "RUN /foo.sh\nRUN /bar.sh");
        // `[[ ]]` is no command: one command each
        catches("DL3059", "RUN [[ -n \"$x\" ]] && echo $y\nRUN /bar.sh");
        catches("DL3059", "RUN /foo.sh\n# a comment\nRUN /bar.sh");
        catches(
            "DL3059",
            "RUN /foo.sh\n# a comment\n# another comment\nRUN /bar.sh",
        );
        catches_not("DL3059", "# a comment\nRUN /foo.sh");
        catches_not(
            "DL3059",
            "RUN --mount=type=secret,id=foo /foo.sh\nRUN /bar.sh",
        );
        catches_not(
            "DL3059",
            "RUN --mount=type=secret,id=foo /foo.sh\nRUN --mount=type=secret,id=bar /bar.sh",
        );
        catches(
            "DL3059",
            "RUN --mount=type=secret,id=foo /foo.sh\nRUN --mount=type=secret,id=foo /bar.sh",
        );
        catches_not("DL3059", "RUN foo && bar\nRUN foobar");
        catches_not("DL3059", "RUN foo; bar\nRUN foobar");
        catches_not("DL3059", "RUN foobar\nRUN foo && bar");
        catches_not("DL3059", "RUN foobar\nRUN foo; bar");
        catches_not("DL3059", "RUN foo && bar\nRUN foo; bar");
        catches("DL3059", "RUN foo && bar\nRUN foo\nRUN bar");
        assert_eq!(
            lines("DL3059", "RUN a\nRUN b\nRUN c", &Options::default()),
            vec![2, 3]
        );
    }

    #[test]
    fn command_counting() {
        assert_eq!(count_commands("foo"), 1);
        assert_eq!(count_commands("foo && bar || baz"), 3);
        assert_eq!(count_commands("a | b; c & d"), 4);
        assert_eq!(count_commands("echo 'a && b' \"c; d\""), 1);
        assert_eq!(count_commands("FOO=1 bar"), 1);
        assert_eq!(count_commands("FOO=1"), 0);
        assert_eq!(count_commands("if true; then echo x; fi"), 2);
        assert_eq!(count_commands("echo $(date) \\\n  --flag"), 2);
        assert_eq!(count_commands(""), 0);
    }

    #[test]
    fn dl3061() {
        catches("DL3061", "LABEL foo=bar\nFROM foo");
        catches_not("DL3061", "FROM foo\nLABEL foo=bar");
        catches_not("DL3061", "ARG A=B\nFROM foo\nLABEL foo=bar");
        catches_not(
            "DL3061",
            "# syntax = docker/dockerfile:1.0-experimental\nFROM node:16-alpine3.13",
        );
        catches_not("DL3061", "FROM foo\nARG A=B\nRUN echo bla");
    }

    #[test]
    fn dl3063_reserved_stage_name() {
        catches("DL3063", "FROM a:1 AS scratch");
        catches("DL3063", "FROM a:1 AS Context");
        catches_not("DL3063", "FROM a:1 AS build");
    }

    #[test]
    fn dl3064() {
        catches_not("DL3064", "FROM debian:bullseye\nRUN foobar");
        catches_not("DL3064", "ARG foobar\nFROM debian:bullseye\nRUN foobar");
        catches_not(
            "DL3064",
            "FROM debian:bullseye\nENV foobar=barfoo\nRUN foobar",
        );
        catches(
            "DL3064",
            "ARG AWS_ACCESS_KEY_ID\nFROM debian:bullseye\nRUN foobar",
        );
        catches(
            "DL3064",
            "ARG openai_api_key\nFROM debian:bullseye\nRUN foobar",
        );
        catches(
            "DL3064",
            "FROM debian:bullseye\nENV AWS_ACCESS_KEY_ID=abcdefghijklmnopqrstuvwxyz\nRUN foobar",
        );
        catches(
            "DL3064",
            "FROM debian:bullseye\nENV my_password=abcdefghijklmnopqrstuvwxyz\nRUN foobar",
        );
        catches("DL3064", "FROM debian:bullseye\nONBUILD ENV my_password=x");
        // BuildKit-only names are reported under the check's name
        let f = run_with("FROM a:1\nARG AUTH_KEY=x", &Options::default());
        assert!(f.iter().any(|f| f.code == "SecretsUsedInArgOrEnv"
            && f.message
                == "Do not use ARG or ENV instructions for sensitive data (ARG \"AUTH_KEY\")"));
        let f = run_with("FROM a:1\nARG GITHUB_TOKEN", &Options::default());
        assert!(f
            .iter()
            .any(|f| f.code == "DL3064" && f.message.contains("SecretsUsedInArgOrEnv")));
        assert!(!f.iter().any(|f| f.code == "SecretsUsedInArgOrEnv"));
        catches_not("SecretsUsedInArgOrEnv", "FROM a:1\nARG PUBLIC_KEY");
    }

    #[test]
    fn dl3066() {
        catches_not("DL3066", "USER 12345");
        catches_not("DL3066", "USER 1234:5678");
        catches("DL3066", "USER foobar");
        catches("DL3066", "USER foobar:barfoo");
        // Checked against hadolint 2.15.1.
        catches_not("DL3066", "ARG U=app\nUSER $U");
        catches_not("DL3066", "ARG G\nFROM debian:12\nUSER ${G}:${G}");
        catches_not("DL3066", "ARG Y\nFROM a\nFROM b\nUSER app:${Y}");
        catches("DL3066", "ENV U=x\nUSER $U");
        catches("DL3066", "ARG Y\nUSER ${Y:-app}");
        catches("DL3066", "USER ${NOPE}");
    }

    #[test]
    fn dl3067() {
        catches("DL3067", "COPY --from=build / /");
        catches("DL3067", "COPY --from=build \"/\" \"/\"");
        catches_not("DL3067", "COPY / /");
        catches_not("DL3067", "COPY --from=build /app /");
        catches_not("DL3067", "COPY --from=build / /app");
    }

    #[test]
    fn dl4000() {
        catches("DL4000", "FROM busybox\nMAINTAINER hudu@mail.com");
        catches_not("DL4000", "FROM busybox");
        assert_eq!(
            lines("DL4000", "FROM busybox\nMAINTAINER x", &Options::default()),
            vec![2]
        );
    }

    /// Every real Dockerfile of the corpus parses and lints (all families)
    /// without a panic, and fast.
    #[test]
    fn corpus_lints_without_panics() {
        let dir = std::env::var_os("DEVCTL_CORPUS")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| {
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus")
            })
            .join("dockerfiles");
        if !dir.is_dir() {
            assert!(
                std::env::var("CI").map_or(true, |v| v != "true"),
                "corpus missing at {}",
                dir.display()
            );
            eprintln!("skipping: no corpus at {}", dir.display());
            return;
        }
        let read_all = |root: std::path::PathBuf| -> Vec<String> {
            let mut out = Vec::new();
            let mut stack = vec![root];
            while let Some(d) = stack.pop() {
                let Ok(entries) = std::fs::read_dir(&d) else {
                    continue;
                };
                for e in entries.flatten() {
                    let p = e.path();
                    if p.is_dir() {
                        stack.push(p);
                    } else if let Ok(s) = std::fs::read_to_string(&p) {
                        out.push(s);
                    }
                }
            }
            out
        };
        // BuildKit's parser cases: odd but valid syntax, for robustness
        for src in read_all(dir.join("../buildkit-parser")) {
            if let Ok(df) = parse(&src) {
                let _ = crate::lint(&df, &Options::default(), Some("*\n!a\n[\n"));
            }
        }
        let sources = read_all(dir);
        assert!(sources.len() > 100, "only {} corpus files", sources.len());
        let opts = Options {
            label_schema: [("maintainer", "email"), ("version", "semver")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            trusted_registries: vec!["docker.io".to_string()],
            ..Options::default()
        };
        let dfs: Vec<_> = sources.iter().filter_map(|s| parse(s).ok()).collect();
        let mut total = 0;
        for df in &dfs {
            total += crate::lint(df, &opts, Some("node_modules\n.git\n")).len();
            total += crate::lint(df, &opts, None).len();
        }
        assert!(total > 0);
    }

    #[test]
    fn helpers() {
        assert_eq!(unquote("\"a b\"", '\\'), "a b");
        assert_eq!(unquote("'a\\b'", '\\'), "a\\b");
        assert_eq!(unquote("a\\ b", '\\'), "a b");
        assert_eq!(unquote("\"a\\\"b\"", '\\'), "a\"b");
        let r = parse_image("my.reg.io/team/app:1.2@sha256:abc");
        assert_eq!(r.registry.as_deref(), Some("my.reg.io"));
        assert_eq!(r.name, "team/app");
        assert_eq!(r.tag.as_deref(), Some("1.2"));
        assert_eq!(r.digest.as_deref(), Some("sha256:abc"));
    }
}
