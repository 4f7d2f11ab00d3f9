//! BuildKit's named build checks (`docker build --check`), reported under
//! the check's name so that `# check=skip=<Name>` works.
//!
//! Checks that find the same thing as a hadolint rule are reported once,
//! under the DL code, whose message names the check (see `dl.rs`):
//! DuplicateStageName (DL3024), ReservedStageName (DL3063),
//! JSONArgsRecommended (DL3025), MaintainerDeprecated (DL4000),
//! WorkdirRelativePath (DL3000), MultipleInstructionsDisallowed (DL3012,
//! DL4003, DL4004), RedundantTargetPlatform (DL3065), SecretsUsedInArgOrEnv
//! (DL3064), FromPlatformFlagConstDisallowed (DL3029). Those checks appear
//! under their own name only where the DL rule stays silent.
//!
//! Without the pulled base image we cannot know the variables its config
//! defines, so UndefinedVar in a stage built on an external image reports
//! only likely typos (a defined name within edit distance 2), and
//! InvalidBaseImagePlatform is not implemented.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use regex::Regex;

use crate::rules::dl::{copy_parts, from_parts, triples, unquote};
use crate::{Ctx, Finding, RuleInfo, Severity};
use devctl_dockerfile::parser::go_quote;
use devctl_dockerfile::{expand, Instruction};
use devctl_dockerignore::{go_clean, DockerIgnore};

const fn rule(code: &'static str, severity: Severity, summary: &'static str) -> RuleInfo {
    RuleInfo {
        code,
        severity,
        summary,
    }
}

pub const RULES: &[RuleInfo] = &[
    rule("StageNameCasing", Severity::Warning, "Stage names should be lowercase"),
    rule("FromAsCasing", Severity::Warning, "The 'as' keyword should match the case of the 'from' keyword"),
    rule("NoEmptyContinuation", Severity::Warning, "Empty continuation lines will become errors in a future release"),
    rule("ConsistentInstructionCasing", Severity::Warning, "All commands within the Dockerfile should use the same casing (either upper or lower)"),
    rule("DuplicateStageName", Severity::Warning, "Stage names should be unique (reported as DL3024 when the names are identical)"),
    rule("ReservedStageName", Severity::Warning, "Reserved words should not be used as stage names (reported as DL3063)"),
    rule("JSONArgsRecommended", Severity::Warning, "JSON arguments recommended for ENTRYPOINT/CMD to prevent unintended behavior related to OS signals (reported as DL3025)"),
    rule("MaintainerDeprecated", Severity::Warning, "The MAINTAINER instruction is deprecated, use a label instead to define an image author (reported as DL4000)"),
    rule("UndefinedArgInFrom", Severity::Warning, "FROM command must use declared ARGs"),
    rule("WorkdirRelativePath", Severity::Warning, "Relative workdir without an absolute workdir declared within the build can have unexpected results if the base image changes (reported as DL3000)"),
    rule("UndefinedVar", Severity::Warning, "Variables should be defined before their use"),
    rule("MultipleInstructionsDisallowed", Severity::Warning, "Multiple instructions of the same type should not be used in the same stage (reported as DL3012/DL4003/DL4004)"),
    rule("LegacyKeyValueFormat", Severity::Warning, "Legacy key/value format with whitespace separator should not be used"),
    rule("RedundantTargetPlatform", Severity::Warning, "Setting platform to predefined $TARGETPLATFORM in FROM is redundant as this is the default behavior (reported as DL3065)"),
    rule("SecretsUsedInArgOrEnv", Severity::Warning, "Sensitive data should not be used in the ARG or ENV commands (reported as DL3064 when hadolint agrees)"),
    rule("InvalidDefaultArgInFrom", Severity::Warning, "Default value for global ARG results in an empty or invalid base image name"),
    rule("FromPlatformFlagConstDisallowed", Severity::Warning, "FROM --platform flag should not use a constant value (reported as DL3029)"),
    rule("CopyIgnoredFile", Severity::Warning, "Attempting to Copy file that is excluded by .dockerignore"),
    rule("ExposeProtoCasing", Severity::Warning, "Protocol in EXPOSE instruction should be lowercase"),
    rule("ExposeInvalidFormat", Severity::Warning, "IP address and host-port mapping should not be used in EXPOSE instruction"),
    rule("InvalidDefinitionDescription", Severity::Ignore, "Comment for build stage or argument should follow the format: `# <arg/stage name> <description>` (experimental)"),
];

pub fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    stage_names(ctx, out);
    no_empty_continuation(ctx, out);
    consistent_casing(ctx, out);
    from_args(ctx, out);
    undefined_var(ctx, out);
    legacy_key_value(ctx, out);
    expose(ctx, out);
    copy_ignored(ctx, out);
    definition_description(ctx, out);
}

fn is_lower(s: &str) -> bool {
    !s.chars().any(char::is_uppercase)
}

fn is_upper(s: &str) -> bool {
    !s.chars().any(char::is_lowercase)
}

fn is_self_consistent(s: &str) -> bool {
    is_lower(s) || is_upper(s)
}

/// StageNameCasing, FromAsCasing.
fn stage_names(ctx: &Ctx, out: &mut Vec<Finding>) {
    for inst in &ctx.df.instructions {
        if inst.keyword != "from" {
            continue;
        }
        if inst.args.len() == 3 && inst.args[2] != inst.args[2].to_lowercase() {
            out.push(ctx.finding(
                "StageNameCasing",
                inst,
                format!("Stage name '{}' should be lowercase", inst.args[2]),
            ));
        }
        if inst.args.len() >= 3 {
            let from = inst.keyword_raw.as_str();
            let as_ = inst.args[1].as_str();
            let mismatch = if from == from.to_lowercase() {
                as_ != as_.to_lowercase()
            } else if from == from.to_uppercase() {
                as_ != as_.to_uppercase()
            } else {
                false
            };
            if mismatch {
                out.push(ctx.finding(
                    "FromAsCasing",
                    inst,
                    format!("'{as_}' and '{from}' keywords' casing do not match"),
                ));
            }
        }
    }
}

/// NoEmptyContinuation, at each instruction that had empty continuation lines.
fn no_empty_continuation(ctx: &Ctx, out: &mut Vec<Finding>) {
    for &line in &ctx.df.empty_continuation_lines {
        match ctx.df.instructions.iter().find(|i| i.start_line() == line) {
            Some(inst) => {
                out.push(ctx.finding("NoEmptyContinuation", inst, "Empty continuation line"))
            }
            None => {
                out.push(ctx.finding_at("NoEmptyContinuation", line, 1, "Empty continuation line"))
            }
        }
    }
}

/// ConsistentInstructionCasing: every instruction from the first FROM on
/// must match the majority casing (ties count as uppercase).
fn consistent_casing(ctx: &Ctx, out: &mut Vec<Finding>) {
    let Some(first) = ctx.df.instructions.iter().position(|i| i.keyword == "from") else {
        return;
    };
    let insts = &ctx.df.instructions[first..];
    let (mut lower, mut upper) = (0usize, 0usize);
    for i in insts {
        let k = &i.keyword_raw;
        if is_self_consistent(k) {
            if is_lower(k) {
                lower += 1;
            } else {
                upper += 1;
            }
        }
    }
    let majority_lower = lower > upper;
    for i in insts {
        let k = &i.keyword_raw;
        let correct = if majority_lower && !is_lower(k) {
            "lowercase"
        } else if !majority_lower && !is_upper(k) {
            "uppercase"
        } else {
            continue;
        };
        out.push(ctx.finding(
            "ConsistentInstructionCasing",
            i,
            format!("Command '{k}' should match the case of the command majority ({correct})"),
        ));
    }
}

/// A variable reference found in a word.
#[derive(Debug, Clone, PartialEq, Eq)]
struct VarRef {
    name: String,
    /// `${X:-…}` and friends: never "unmatched".
    has_default: bool,
}

/// Variable references as BuildKit's shell lexer sees them: the escape
/// character and single quotes make `$` literal.
fn var_refs(s: &str, escape: char) -> Vec<VarRef> {
    let mut refs = Vec::new();
    if !s.contains('$') {
        return refs;
    }
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    let mut in_double = false;
    while i < chars.len() {
        let c = chars[i];
        if c == escape {
            i += 2;
            continue;
        }
        if c == '\'' && !in_double {
            i += 1;
            while i < chars.len() && chars[i] != '\'' {
                i += 1;
            }
            i += 1;
            continue;
        }
        if c == '"' {
            in_double = !in_double;
            i += 1;
            continue;
        }
        if c != '$' {
            i += 1;
            continue;
        }
        i += 1;
        match chars.get(i) {
            Some('{') => {
                i += 1;
                let start = i;
                while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                let name: String = chars[start..i].iter().collect();
                let has_default = matches!(chars.get(i), Some(':' | '-' | '+' | '?' | '#' | '%'));
                while i < chars.len() && chars[i] != '}' {
                    i += 1;
                }
                i += 1;
                if !name.is_empty() && !name.starts_with(|c: char| c.is_ascii_digit()) {
                    refs.push(VarRef { name, has_default });
                }
            }
            Some(&c) if c.is_ascii_alphabetic() || c == '_' => {
                let start = i;
                while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                refs.push(VarRef {
                    name: chars[start..i].iter().collect(),
                    has_default: false,
                });
            }
            _ => {}
        }
    }
    refs
}

/// Levenshtein distance (small strings).
fn levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// BuildKit's `suggest.Search`: the closest option within a small edit
/// distance (a case-insensitive equal wins).
fn suggest<'a>(v: &str, options: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let mut best: Option<(usize, &str)> = None;
    for o in options {
        if o.eq_ignore_ascii_case(v) && o != v {
            return Some(o.to_string());
        }
        let d = levenshtein(v, o);
        if d > 0 && best.is_none_or(|(bd, bo)| d < bd || (d == bd && o < bo)) {
            best = Some((d, o));
        }
    }
    let (d, o) = best?;
    let max = if v.chars().count() <= 3 { 1 } else { 2 };
    (d <= max).then(|| o.to_string())
}

/// The platform ARGs BuildKit always defines for FROM.
const PLATFORM_ARGS: &[&str] = &[
    "TARGETPLATFORM",
    "TARGETOS",
    "TARGETARCH",
    "TARGETVARIANT",
    "BUILDPLATFORM",
    "BUILDOS",
    "BUILDARCH",
    "BUILDVARIANT",
];

/// Meta ARGs (before the first FROM): name -> default value.
fn meta_args(ctx: &Ctx) -> Vec<(String, Option<String>)> {
    let esc = ctx.df.escape;
    let mut out = Vec::new();
    for inst in &ctx.df.instructions {
        if inst.keyword == "from" {
            break;
        }
        if inst.keyword == "arg" {
            for w in &inst.args {
                match w.split_once('=') {
                    Some((k, v)) => out.push((k.to_string(), Some(unquote(v, esc)))),
                    None => out.push((w.to_string(), None)),
                }
            }
        }
    }
    out
}

/// distribution/reference's grammar, but for the tag's length (at most 128,
/// checked by [`valid_reference`]: a `{0,127}` repetition made the regex
/// several times dearer to build). Go's `\w` is ASCII (`[0-9A-Za-z_]`):
/// written out, since Rust's is Unicode — which both accepted non-ASCII
/// tags BuildKit rejects and made this regex take 215M instructions (60 ms)
/// to build, on every Dockerfile with a `$` in FROM.
static REFERENCE_RE: LazyLock<Regex> = LazyLock::new(|| {
    let component = r"[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*";
    let domain = r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?";
    let re = format!(
        r"^(?:{domain}/)?{component}(?:/{component})*(?::[0-9A-Za-z_][0-9A-Za-z_.-]*)?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{{32,}})?$"
    );
    Regex::new(&re).expect("static regex")
});

/// A valid image reference (`[domain/]name[:tag][@digest]`).
fn valid_reference(r: &str) -> bool {
    let name = r.split_once('@').map_or(r, |(n, _)| n);
    let last = name.rsplit('/').next().unwrap_or(name);
    let tag_ok = last.split_once(':').is_none_or(|(_, tag)| tag.len() <= 128);
    !r.is_empty() && tag_ok && REFERENCE_RE.is_match(r)
}

/// UndefinedArgInFrom and InvalidDefaultArgInFrom.
fn from_args(ctx: &Ctx, out: &mut Vec<Finding>) {
    let metas = meta_args(ctx);
    let mut keys: Vec<&str> = metas.iter().map(|(k, _)| k.as_str()).collect();
    keys.extend(PLATFORM_ARGS);
    let mut vals: HashMap<&str, &str> = HashMap::new();
    for p in PLATFORM_ARGS {
        let v = match *p {
            "TARGETPLATFORM" | "BUILDPLATFORM" => "linux/amd64",
            "TARGETOS" | "BUILDOS" => "linux",
            "TARGETARCH" | "BUILDARCH" => "amd64",
            _ => "",
        };
        vals.insert(p, v);
    }
    for (k, v) in &metas {
        vals.insert(k.as_str(), v.as_deref().unwrap_or(""));
    }
    let key_set: HashSet<&str> = keys.iter().copied().collect();
    for inst in &ctx.df.instructions {
        if inst.keyword != "from" {
            continue;
        }
        let (image, _) = from_parts(inst);
        let mut words = vec![image];
        if let Some(p) = inst.flag("platform") {
            words.push(p);
        }
        let mut reported: HashSet<String> = HashSet::new();
        for w in &words {
            for r in var_refs(w, ctx.df.escape) {
                if key_set.contains(r.name.as_str())
                    || r.has_default
                    || !reported.insert(r.name.clone())
                {
                    continue;
                }
                let mut msg = format!("FROM argument '{}' is not declared", r.name);
                if let Some(s) = suggest(&r.name, keys.iter().copied()) {
                    msg.push_str(&format!(" (did you mean {s}?)"));
                }
                out.push(ctx.finding("UndefinedArgInFrom", inst, msg));
            }
        }
        if image.contains('$') {
            let expanded = expand(image, &vals);
            if !valid_reference(&expanded) {
                out.push(ctx.finding(
                    "InvalidDefaultArgInFrom",
                    inst,
                    format!(
                        "Default value for ARG {image} results in empty or invalid base image name"
                    ),
                ));
            }
        }
    }
}

/// The variables a stage's config defines, as far as the Dockerfile shows.
struct StageEnv {
    names: HashSet<String>,
    /// The stage is built on an image whose config we cannot see.
    external_base: bool,
}

/// Instructions whose arguments BuildKit expands with the stage's variables.
fn expanded_words(inst: &Instruction) -> Vec<&str> {
    match inst.keyword.as_str() {
        "add" | "copy" => {
            let mut w: Vec<&str> = inst.args.iter().map(String::as_str).collect();
            for f in ["chown", "chmod", "from"] {
                w.extend(inst.flag(f));
            }
            w
        }
        "env" | "label" => triples(inst).flat_map(|(k, v, _)| [k, v]).collect(),
        "arg" => inst
            .args
            .iter()
            .filter_map(|a| a.split_once('=').map(|(_, v)| v))
            .collect(),
        "expose" | "stopsignal" | "user" | "volume" | "workdir" => {
            inst.args.iter().map(String::as_str).collect()
        }
        _ => Vec::new(),
    }
}

/// UndefinedVar.
fn undefined_var(ctx: &Ctx, out: &mut Vec<Finding>) {
    let esc = ctx.df.escape;
    let insts = &ctx.df.instructions;
    let mut envs: Vec<StageEnv> = Vec::new();
    for st in &ctx.stages {
        let (image, _) = from_parts(&insts[st.from]);
        let parent = ctx.stages[..st.index].iter().rev().find(|s| {
            s.name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(image))
        });
        let mut env = match parent {
            Some(p) => StageEnv {
                names: envs[p.index].names.clone(),
                external_base: envs[p.index].external_base,
            },
            None => StageEnv {
                names: HashSet::new(),
                external_base: !image.eq_ignore_ascii_case("scratch"),
            },
        };
        env.names.insert("PATH".to_string());
        for i in st.body.clone() {
            let inst = &insts[i];
            let mut reported: HashSet<String> = HashSet::new();
            for w in expanded_words(inst) {
                for r in var_refs(w, esc) {
                    if r.has_default
                        || env.names.contains(&r.name)
                        || !reported.insert(r.name.clone())
                    {
                        continue;
                    }
                    let sg = suggest(&r.name, env.names.iter().map(String::as_str));
                    if env.external_base && sg.is_none() {
                        continue;
                    }
                    let mut msg = format!("Usage of undefined variable '${}'", r.name);
                    if let Some(s) = sg {
                        msg.push_str(&format!(" (did you mean ${s}?)"));
                    }
                    out.push(ctx.finding("UndefinedVar", inst, msg));
                }
            }
            match inst.keyword.as_str() {
                "env" => env
                    .names
                    .extend(triples(inst).map(|(k, _, _)| unquote(k, esc))),
                "arg" => env.names.extend(
                    inst.args
                        .iter()
                        .map(|a| a.split_once('=').map_or(a.as_str(), |(k, _)| k).to_string()),
                ),
                _ => {}
            }
        }
        envs.push(env);
    }
}

/// LegacyKeyValueFormat: `ENV k v` / `LABEL k v`.
fn legacy_key_value(ctx: &Ctx, out: &mut Vec<Finding>) {
    for inst in &ctx.df.instructions {
        if !matches!(inst.keyword.as_str(), "env" | "label") {
            continue;
        }
        let name = inst.keyword.to_uppercase();
        for (_, _, sep) in triples(inst) {
            if sep.is_empty() {
                out.push(ctx.finding(
                    "LegacyKeyValueFormat",
                    inst,
                    format!("\"{name} key=value\" should be used instead of legacy \"{name} key value\" format"),
                ));
            }
        }
    }
}

/// ExposeProtoCasing, ExposeInvalidFormat.
fn expose(ctx: &Ctx, out: &mut Vec<Finding>) {
    for inst in &ctx.df.instructions {
        if inst.keyword != "expose" {
            continue;
        }
        for raw in &inst.args {
            if raw.contains('$') {
                continue;
            }
            let parts: Vec<&str> = raw.split(':').collect();
            let n = parts.len();
            let container = parts[n - 1];
            let (ip, host) = match n {
                1 => ("", ""),
                2 => ("", parts[0]),
                _ => (parts[0], parts[n - 2]),
            };
            if let Some((_, proto)) = container.split_once('/') {
                if proto != proto.to_lowercase() {
                    out.push(ctx.finding(
                        "ExposeProtoCasing",
                        inst,
                        format!(
                            "Defined protocol '{raw}' in EXPOSE instruction should be lowercase"
                        ),
                    ));
                }
            }
            if !ip.is_empty() || !host.is_empty() {
                out.push(ctx.finding(
                    "ExposeInvalidFormat",
                    inst,
                    format!(
                        "EXPOSE instruction should not define an IP address or host-port mapping, found '{raw}'"
                    ),
                ));
            }
        }
    }
}

/// CopyIgnoredFile: a COPY/ADD source the .dockerignore excludes.
fn copy_ignored(ctx: &Ctx, out: &mut Vec<Finding>) {
    let Some(text) = ctx.dockerignore else { return };
    let di = DockerIgnore::cached(text);
    for inst in &ctx.df.instructions {
        let cmd = match inst.keyword.as_str() {
            "copy" => "Copy",
            "add" => "Add",
            _ => continue,
        };
        if inst.flag("from").is_some() {
            continue;
        }
        let Some((srcs, _)) = copy_parts(inst) else {
            continue;
        };
        let heredoc_names: HashSet<&str> = inst.heredocs.iter().map(|h| h.name.as_str()).collect();
        for s in srcs {
            let s = if inst.json {
                s.clone()
            } else {
                unquote(s, ctx.df.escape)
            };
            if s.contains('$')
                || s.contains("://")
                || s.starts_with("git@")
                || s.starts_with("<<")
                || heredoc_names.contains(s.as_str())
            {
                continue;
            }
            let cleaned = go_clean(&s);
            let cleaned = cleaned.trim_start_matches('/');
            if di.is_excluded(cleaned) {
                out.push(ctx.finding(
                    "CopyIgnoredFile",
                    inst,
                    format!(
                        "Attempting to {cmd} file {} that is excluded by .dockerignore",
                        go_quote(&go_clean(&s))
                    ),
                ));
            }
        }
    }
}

/// InvalidDefinitionDescription (experimental): a comment right above an
/// ARG or a named FROM must start with the name it describes.
fn definition_description(ctx: &Ctx, out: &mut Vec<Finding>) {
    for inst in &ctx.df.instructions {
        let (what, keys): (&str, Vec<String>) = match inst.keyword.as_str() {
            "arg" => (
                "ARG",
                inst.args
                    .iter()
                    .map(|a| a.split_once('=').map_or(a.as_str(), |(k, _)| k).to_string())
                    .collect(),
            ),
            "from" => match from_parts(inst).1 {
                Some(n) => ("FROM", vec![n.to_string()]),
                None => continue,
            },
            _ => continue,
        };
        let Some(last) = inst.prev_comment.last() else {
            continue;
        };
        if keys.is_empty() {
            continue;
        }
        let first_word = last.split(' ').next().unwrap_or("");
        if keys.iter().any(|k| k == first_word) {
            continue;
        }
        let example = if keys.len() > 1 {
            "<arg_key>"
        } else {
            keys[0].as_str()
        };
        out.push(ctx.finding(
            "InvalidDefinitionDescription",
            inst,
            format!("Comment for {what} should follow the format: `# {example} <description>`"),
        ));
    }
}

#[cfg(test)]
mod tests {

    /// The regex `expand` replaced, kept here as its specification.
    fn expand_by_regex(s: &str, vals: &HashMap<&str, &str>) -> String {
        let var = Regex::new(
            r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::?([-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))",
        )
        .unwrap();
        var.replace_all(s, |c: &regex::Captures| {
            let name = c.get(1).or_else(|| c.get(4)).map_or("", |m| m.as_str());
            let val = vals.get(name).copied().unwrap_or("");
            match (
                c.get(2).map(|m| m.as_str()),
                c.get(3).map_or("", |m| m.as_str()),
            ) {
                (Some("-"), d) if val.is_empty() => d.to_string(),
                (Some("+"), d) if !val.is_empty() => d.to_string(),
                (Some("+"), _) => String::new(),
                _ => val.to_string(),
            }
        })
        .into_owned()
    }

    #[test]
    fn expand_is_the_regex_it_replaced() {
        let vals: HashMap<&str, &str> = [("A", "alpine"), ("V", "3.19"), ("E", "")].into();
        for s in [
            "",
            "plain",
            "$A",
            "${A}",
            "$A:$V",
            "${A}:${V}-slim",
            "${X:-def}",
            "${X-def}",
            "${E:-def}",
            "${E-def}",
            "${A:+set}",
            "${A+set}",
            "${X:+set}",
            "${X+set}",
            "$",
            "$$A",
            "${",
            "${A",
            "${A:-",
            "${1}",
            "$1",
            "${A:?err}",
            "${A}}",
            "$_x9",
            "x$A$V$X",
            "${A:-${V}}",
            "ü$Aü",
            "${A:=x}",
            "${:-x}",
            "$-",
            "${A-}",
        ] {
            assert_eq!(expand(s, &vals), expand_by_regex(s, &vals), "{s:?}");
        }
    }

    #[test]
    fn references_follow_distributions_grammar() {
        let tag = |n: usize| format!("alpine:{}", "a".repeat(n));
        for ok in [
            "alpine".to_string(),
            "alpine:3.19".into(),
            "docker.io/library/alpine:3.19".into(),
            "localhost:5000/app".into(),
            "[::1]:5000/app:v1".into(),
            "a__b/c-d--e:T_1.x".into(),
            format!("alpine@sha256:{}", "a".repeat(64)),
            tag(128),
        ] {
            assert!(valid_reference(&ok), "{ok}");
        }
        for bad in [
            "".to_string(),
            "Alpine".into(),
            "alpine:".into(),
            "alpine:ünï".into(),
            "alpine:-x".into(),
            "/alpine".into(),
            "alpine@sha256:abc".into(),
            tag(129),
        ] {
            assert!(!valid_reference(&bad), "{bad}");
        }
    }
    use super::*;
    use crate::Options;
    use devctl_dockerfile::parse;

    fn run(src: &str, ignore: Option<&str>) -> Vec<Finding> {
        let df = parse(src).expect("parses");
        let opts = Options::default();
        let ctx = Ctx::new(&df, &opts, ignore);
        let mut out = Vec::new();
        check(&ctx, &mut out);
        out
    }
    fn msgs(code: &str, src: &str) -> Vec<String> {
        run(src, None)
            .into_iter()
            .filter(|f| f.code == code)
            .map(|f| f.message)
            .collect()
    }
    fn lines(code: &str, src: &str) -> Vec<usize> {
        run(src, None)
            .into_iter()
            .filter(|f| f.code == code)
            .map(|f| f.line())
            .collect()
    }

    #[test]
    fn stage_name_casing() {
        assert_eq!(
            msgs("StageNameCasing", "FROM a:1 AS Builder\n"),
            vec!["Stage name 'Builder' should be lowercase"]
        );
        assert!(msgs("StageNameCasing", "FROM a:1 AS builder\n").is_empty());
    }

    #[test]
    fn from_as_casing() {
        assert_eq!(
            msgs("FromAsCasing", "FROM a:1 as b\n"),
            vec!["'as' and 'FROM' keywords' casing do not match"]
        );
        assert_eq!(
            msgs("FromAsCasing", "from a:1 AS b\n"),
            vec!["'AS' and 'from' keywords' casing do not match"]
        );
        assert!(msgs("FromAsCasing", "FROM a:1 AS b\nfrom c:1 as d\n").is_empty());
        assert!(msgs("FromAsCasing", "From a:1 as b\n").is_empty());
    }

    #[test]
    fn empty_continuation() {
        assert_eq!(
            lines("NoEmptyContinuation", "FROM a:1\nRUN echo \\\n\n  hi\n"),
            vec![2]
        );
        assert!(lines("NoEmptyContinuation", "FROM a:1\nRUN echo \\\n  hi\n").is_empty());
    }

    #[test]
    fn instruction_casing() {
        let src = "FROM a:1\nRUN x\nrun y\nCopy a b\n";
        let m = msgs("ConsistentInstructionCasing", src);
        assert_eq!(
            m,
            vec![
                "Command 'run' should match the case of the command majority (uppercase)",
                "Command 'Copy' should match the case of the command majority (uppercase)",
            ]
        );
        let src = "from a:1\nrun x\nRUN y\n";
        assert_eq!(
            msgs("ConsistentInstructionCasing", src),
            vec!["Command 'RUN' should match the case of the command majority (lowercase)"]
        );
        // ties: uppercase wins
        assert_eq!(
            lines("ConsistentInstructionCasing", "FROM a:1\nrun x\n"),
            vec![2]
        );
        // meta ARGs are not looked at
        assert!(lines("ConsistentInstructionCasing", "arg X\nFROM a:1\n").is_empty());
    }

    #[test]
    fn undefined_arg_in_from() {
        assert_eq!(
            msgs("UndefinedArgInFrom", "FROM node:$VERSON\n"),
            vec!["FROM argument 'VERSON' is not declared"]
        );
        assert_eq!(
            msgs(
                "UndefinedArgInFrom",
                "ARG VERSION=20\nFROM node:${VERSON}\n"
            ),
            vec!["FROM argument 'VERSON' is not declared (did you mean VERSION?)"]
        );
        assert!(msgs("UndefinedArgInFrom", "ARG VERSION\nFROM node:${VERSION}\n").is_empty());
        assert!(msgs(
            "UndefinedArgInFrom",
            "FROM --platform=$BUILDPLATFORM golang:1\n"
        )
        .is_empty());
        assert_eq!(
            lines("UndefinedArgInFrom", "FROM --platform=$PLATFORM golang:1\n"),
            vec![1]
        );
        assert!(msgs("UndefinedArgInFrom", "FROM node:${V:-20}\n").is_empty());
    }

    #[test]
    fn invalid_default_arg_in_from() {
        assert_eq!(
            msgs("InvalidDefaultArgInFrom", "ARG TAG\nFROM busybox:${TAG}\n"),
            vec![
                "Default value for ARG busybox:${TAG} results in empty or invalid base image name"
            ]
        );
        assert_eq!(
            lines("InvalidDefaultArgInFrom", "ARG IMAGE\nFROM $IMAGE\n"),
            vec![2]
        );
        assert!(lines(
            "InvalidDefaultArgInFrom",
            "ARG TAG=1.36\nFROM busybox:${TAG}\n"
        )
        .is_empty());
        assert!(lines(
            "InvalidDefaultArgInFrom",
            "ARG TAG\nFROM busybox:${TAG:-latest}\n"
        )
        .is_empty());
        assert!(lines(
            "InvalidDefaultArgInFrom",
            "ARG REG=my.reg:5000\nFROM $REG/team/app:1\n"
        )
        .is_empty());
        assert_eq!(
            lines("InvalidDefaultArgInFrom", "ARG NAME=Alpine\nFROM $NAME\n"),
            vec![2]
        );
    }

    #[test]
    fn undefined_var() {
        assert_eq!(
            msgs("UndefinedVar", "FROM scratch\nCOPY $SRC /app\n"),
            vec!["Usage of undefined variable '$SRC'"]
        );
        assert!(msgs("UndefinedVar", "FROM scratch\nARG SRC\nCOPY $SRC /app\n").is_empty());
        assert!(msgs(
            "UndefinedVar",
            "FROM scratch\nENV SRC=x\nCOPY ${SRC} /app\n"
        )
        .is_empty());
        assert!(msgs("UndefinedVar", "FROM scratch\nCOPY ${SRC:-.} /app\n").is_empty());
        assert!(msgs("UndefinedVar", "FROM scratch\nENV PATH=$PATH:/x\n").is_empty());
        assert!(msgs("UndefinedVar", "FROM scratch\nCOPY \\$SRC /app\n").is_empty());
        // RUN is expanded by the shell, not BuildKit
        assert!(msgs("UndefinedVar", "FROM scratch\nRUN echo $X\n").is_empty());
        // external base images: only likely typos
        assert!(msgs("UndefinedVar", "FROM php:8\nCOPY x $PHP_INI_DIR/\n").is_empty());
        assert_eq!(
            msgs(
                "UndefinedVar",
                "FROM php:8\nARG APP_DIR=/app\nWORKDIR $APP_DIRR\n"
            ),
            vec!["Usage of undefined variable '$APP_DIRR' (did you mean $APP_DIR?)"]
        );
        // inherited through a named stage
        assert!(msgs(
            "UndefinedVar",
            "FROM scratch AS base\nENV A=1\nFROM base\nWORKDIR /$A\n"
        )
        .is_empty());
        // global ARGs are not visible in a stage without redeclaration
        assert_eq!(
            lines("UndefinedVar", "ARG V=1\nFROM scratch\nLABEL v=$V\n"),
            vec![3]
        );
    }

    #[test]
    fn legacy_key_value_format() {
        assert_eq!(
            msgs("LegacyKeyValueFormat", "FROM a:1\nENV FOO bar\n"),
            vec!["\"ENV key=value\" should be used instead of legacy \"ENV key value\" format"]
        );
        assert_eq!(
            lines("LegacyKeyValueFormat", "FROM a:1\nLABEL foo bar\n"),
            vec![2]
        );
        assert!(lines("LegacyKeyValueFormat", "FROM a:1\nENV FOO=bar\n").is_empty());
    }

    #[test]
    fn expose_checks() {
        assert_eq!(
            msgs("ExposeProtoCasing", "FROM a:1\nEXPOSE 80/TCP 443/tcp\n"),
            vec!["Defined protocol '80/TCP' in EXPOSE instruction should be lowercase"]
        );
        assert_eq!(
            msgs("ExposeInvalidFormat", "FROM a:1\nEXPOSE 8080:80 127.0.0.1:9000:9000 80\n"),
            vec![
                "EXPOSE instruction should not define an IP address or host-port mapping, found '8080:80'",
                "EXPOSE instruction should not define an IP address or host-port mapping, found '127.0.0.1:9000:9000'",
            ]
        );
    }

    #[test]
    fn copy_ignored_file() {
        let src = "FROM a:1\nCOPY node_modules /app/\nCOPY src/ /app/src\nADD ./secret.txt /x\nCOPY --from=b node_modules /y\n";
        let f: Vec<(usize, String)> = run(src, Some("node_modules\n*.txt\n"))
            .into_iter()
            .filter(|f| f.code == "CopyIgnoredFile")
            .map(|f| (f.line(), f.message))
            .collect();
        assert_eq!(
            f,
            vec![
                (
                    2,
                    "Attempting to Copy file \"node_modules\" that is excluded by .dockerignore"
                        .to_string()
                ),
                (
                    4,
                    "Attempting to Add file \"secret.txt\" that is excluded by .dockerignore"
                        .to_string()
                ),
            ]
        );
        assert!(run(src, None).iter().all(|f| f.code != "CopyIgnoredFile"));
    }

    #[test]
    fn definition_description() {
        let src =
            "FROM a:1\n# the version to use\nARG VERSION=1\n# VERSION2 is fine\nARG VERSION2\n";
        assert_eq!(
            msgs("InvalidDefinitionDescription", src),
            vec!["Comment for ARG should follow the format: `# VERSION <description>`"]
        );
        let src = "# build stage\nFROM a:1 AS builder\n";
        assert_eq!(
            msgs("InvalidDefinitionDescription", src),
            vec!["Comment for FROM should follow the format: `# builder <description>`"]
        );
        assert_eq!(
            crate::rules::default_severity("InvalidDefinitionDescription"),
            Severity::Ignore
        );
    }

    #[test]
    fn helpers() {
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(
            suggest("VERSON", ["VERSION", "OTHER"]),
            Some("VERSION".to_string())
        );
        assert_eq!(suggest("FOO", ["BAR"]), None);
        let r = var_refs("a $B ${C} ${D:-x} '$E' \\$F \"$G\" $1", '\\');
        let names: Vec<&str> = r.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, vec!["B", "C", "D", "G"]);
        assert!(r[2].has_default);
    }
}
