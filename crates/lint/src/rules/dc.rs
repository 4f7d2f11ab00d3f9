//! devctl's own DC rules (DC1001–DC1005): what hadolint and BuildKit do not
//! check but a web project's dev loop suffers from.

use std::collections::HashSet;

use crate::rules::dl::{
    buildkit_sensitive, copy_parts, drop_quotes, from_parts, hadolint_sensitive,
};
use crate::{Ctx, Finding, RuleInfo, Severity};
use devctl_dockerfile::Instruction;
use devctl_dockerignore::DockerIgnore;

pub const RULES: &[RuleInfo] = &[
    RuleInfo {
        code: "DC1001",
        severity: Severity::Warning,
        summary: "The final stage runs as root: no USER (also none inherited from the stage it builds on), or the last USER is 0/root",
    },
    RuleInfo {
        code: "DC1002",
        severity: Severity::Warning,
        summary: "Dependency manifests arrive only with a whole-context `COPY .` before the install RUN: every code change reinstalls dependencies; copy the manifests first",
    },
    RuleInfo {
        code: "DC1003",
        severity: Severity::Error,
        summary: ".env copied into the image, or the whole context copied while .dockerignore does not exclude .env",
    },
    RuleInfo {
        code: "DC1004",
        severity: Severity::Warning,
        summary: "A named stage that no later COPY --from, FROM or RUN --mount=from uses (and is not the last stage)",
    },
    RuleInfo {
        code: "DC1005",
        severity: Severity::Warning,
        summary: "A secret-looking build ARG consumed by a RUN: the value is kept in the image history; use `RUN --mount=type=secret` (DL3064 flags secret-looking ARG/ENV names wherever they are; DC1005 only when a RUN actually reads the build arg)",
    },
    // Reported by the ShellCheck runner (lint::shellcheck), not by `check`.
    RuleInfo {
        code: "DC1008",
        severity: Severity::Warning,
        summary: "ShellCheck did not finish the file's RUN scripts within the time limit (--shellcheck-timeout, default 10 s) and was stopped: no SC findings for that file",
    },
];

pub fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    dc1001(ctx, out);
    dc1002(ctx, out);
    dc1003(ctx, out);
    dc1004(ctx, out);
    dc1005(ctx, out);
}

fn is_root(u: &str) -> bool {
    u == "root" || u == "0" || u.starts_with("root:") || u.starts_with("0:")
}

/// The last USER of a stage (following `FROM <earlier stage>` when the stage
/// sets none): `Some((instruction index, user))`.
fn effective_user<'a>(ctx: &'a Ctx, stage: usize, depth: usize) -> Option<(usize, &'a str)> {
    let st = ctx.stages.get(stage)?;
    let insts = &ctx.df.instructions;
    if let Some(i) = st.body.clone().rev().find(|&i| insts[i].keyword == "user") {
        return Some((i, insts[i].args.first().map(String::as_str).unwrap_or("")));
    }
    if depth > ctx.stages.len() {
        return None;
    }
    let (image, _) = from_parts(&insts[st.from]);
    let base = ctx.stages[..stage].iter().rev().find(|s| {
        s.name
            .as_deref()
            .is_some_and(|n| n.eq_ignore_ascii_case(image))
    })?;
    effective_user(ctx, base.index, depth + 1)
}

/// DC1001: the final stage runs as root.
fn dc1001(ctx: &Ctx, out: &mut Vec<Finding>) {
    let Some(last) = ctx.stages.last() else {
        return;
    };
    let from = &ctx.df.instructions[last.from];
    match effective_user(ctx, last.index, 0) {
        None => out.push(ctx.finding(
            "DC1001",
            from,
            "The final stage sets no USER, so the container runs as root: add `USER <non-root user>` (create one with useradd/adduser if the image has none)",
        )),
        Some((i, u)) if is_root(u) => {
            let inst = &ctx.df.instructions[i];
            let where_ = if ctx.stage_of(i).map(|s| s.index) == Some(last.index) {
                "The final stage's last USER".to_string()
            } else {
                format!("The USER inherited by the final stage (line {})", inst.start_line())
            };
            out.push(ctx.finding(
                "DC1001",
                if ctx.stage_of(i).map(|s| s.index) == Some(last.index) { inst } else { from },
                format!("{where_} is root: the container runs as root; switch to a non-root USER at the end"),
            ))
        }
        Some(_) => {}
    }
}

/// Package ecosystems: (install command test, manifest file test, example manifest).
struct Eco {
    name: &'static str,
    installs: fn(&str) -> bool,
    manifest: fn(&str) -> bool,
    example: &'static str,
}

fn words(cmd: &str) -> Vec<&str> {
    cmd.split(|c: char| c.is_whitespace() || matches!(c, ';' | '&' | '|' | '(' | ')'))
        .filter(|w| !w.is_empty())
        .collect()
}

/// `tool sub…` appears in the command (e.g. `npm ci`, `pip install`).
fn has_cmd(cmd: &str, tool: &[&str], subs: &[&str]) -> bool {
    let w = words(cmd);
    w.iter().enumerate().any(|(i, t)| {
        let base = t.rsplit('/').next().unwrap_or(t);
        tool.iter()
            .any(|x| base == *x || (x.ends_with('*') && base.starts_with(&x[..x.len() - 1])))
            && (subs.is_empty()
                || w[i + 1..]
                    .iter()
                    .take_while(|n| !matches!(**n, "&&" | "||"))
                    .any(|n| subs.contains(n)))
    })
}

const ECOSYSTEMS: &[Eco] = &[
    Eco {
        name: "Node",
        installs: |c| {
            has_cmd(c, &["npm"], &["install", "i", "ci"])
                || has_cmd(c, &["pnpm"], &["install", "i"])
                || has_cmd(c, &["yarn"], &["install"])
                || words(c)
                    .windows(2)
                    .any(|w| w[0] == "yarn" && w[1].starts_with('-'))
                || words(c).last() == Some(&"yarn")
                || has_cmd(c, &["bun"], &["install"])
        },
        manifest: |f| {
            (f.starts_with("package") && f.ends_with(".json"))
                || matches!(
                    f,
                    "yarn.lock" | "pnpm-lock.yaml" | "bun.lockb" | "npm-shrinkwrap.json"
                )
        },
        example: "package.json",
    },
    Eco {
        name: "Python",
        installs: |c| {
            has_cmd(c, &["pip*"], &["install"])
                || (has_cmd(c, &["python*"], &["-m"]) && c.contains("pip install"))
                || has_cmd(c, &["poetry"], &["install"])
                || has_cmd(c, &["pipenv"], &["install", "sync"])
                || has_cmd(c, &["uv"], &["sync", "pip"])
                || has_cmd(c, &["pdm"], &["install", "sync"])
        },
        manifest: |f| {
            matches!(
                f,
                "pyproject.toml"
                    | "poetry.lock"
                    | "setup.py"
                    | "setup.cfg"
                    | "uv.lock"
                    | "pdm.lock"
            ) || (f.starts_with("requirements") && f.ends_with(".txt"))
                || f.starts_with("Pipfile")
        },
        example: "requirements.txt",
    },
    Eco {
        name: "Ruby",
        installs: |c| has_cmd(c, &["bundle", "bundler"], &["install"]),
        manifest: |f| f.starts_with("Gemfile") || f.ends_with(".gemspec"),
        example: "Gemfile",
    },
    Eco {
        name: "Rust",
        installs: |c| has_cmd(c, &["cargo"], &["build", "fetch", "install", "chef"]),
        manifest: |f| matches!(f, "Cargo.toml" | "Cargo.lock"),
        example: "Cargo.toml",
    },
    Eco {
        name: "Go",
        installs: |c| has_cmd(c, &["go"], &["mod", "build", "install"]),
        manifest: |f| matches!(f, "go.mod" | "go.sum"),
        example: "go.mod",
    },
    Eco {
        name: "PHP",
        installs: |c| has_cmd(c, &["composer", "composer.phar"], &["install", "update"]),
        manifest: |f| f.starts_with("composer.") && (f.ends_with(".json") || f.ends_with(".lock")),
        example: "composer.json",
    },
];

/// Is this COPY/ADD the whole build context (`COPY . dest`)?
fn copies_whole_context(inst: &Instruction) -> bool {
    if inst.flag("from").is_some() || !inst.heredocs.is_empty() {
        return false;
    }
    let Some((srcs, _)) = copy_parts(inst) else {
        return false;
    };
    srcs.iter()
        .any(|s| matches!(drop_quotes(s), "." | "./" | "*" | "./*"))
}

fn basename(p: &str) -> &str {
    let p = drop_quotes(p).trim_end_matches('/');
    p.rsplit('/').next().unwrap_or(p)
}

/// The RUN command text (shell form, JSON form, heredocs).
fn run_text(inst: &Instruction) -> String {
    let mut s = inst.args.join(" ");
    for h in &inst.heredocs {
        s.push('\n');
        s.push_str(&h.content);
    }
    s
}

/// DC1002: manifests only arrive with the whole context.
fn dc1002(ctx: &Ctx, out: &mut Vec<Finding>) {
    let insts = &ctx.df.instructions;
    for st in &ctx.stages {
        let Some(whole) = st.body.clone().find(|&i| {
            matches!(insts[i].keyword.as_str(), "copy" | "add") && copies_whole_context(&insts[i])
        }) else {
            continue;
        };
        let copied_before: Vec<&str> = (st.body.start..whole)
            .filter(|&i| matches!(insts[i].keyword.as_str(), "copy" | "add"))
            .filter(|&i| insts[i].flag("from").is_none())
            .filter_map(|i| copy_parts(&insts[i]))
            .flat_map(|(srcs, _)| srcs.iter().map(|s| basename(s)))
            .collect();
        let mut reported: HashSet<&str> = HashSet::new();
        for i in whole + 1..st.body.end {
            if insts[i].keyword != "run" {
                continue;
            }
            let cmd = run_text(&insts[i]);
            for eco in ECOSYSTEMS {
                if reported.contains(eco.name) || !(eco.installs)(&cmd) {
                    continue;
                }
                let has_manifest_first = copied_before.iter().any(|f| {
                    (eco.manifest)(f) || f.contains('*') && glob_may_match_manifest(f, eco)
                });
                if has_manifest_first {
                    continue;
                }
                reported.insert(eco.name);
                out.push(ctx.finding(
                    "DC1002",
                    &insts[whole],
                    format!(
                        "{} dependencies are installed (line {}) after the whole context is copied: every source change reinstalls them; COPY the manifests ({} …) and install before `COPY .`",
                        eco.name,
                        insts[i].start_line(),
                        eco.example
                    ),
                ));
            }
        }
    }
}

/// A glob source like `package*.json` or `requirements*.txt` that names a
/// manifest.
fn glob_may_match_manifest(glob: &str, eco: &Eco) -> bool {
    let probe = glob.replace('*', "");
    (eco.manifest)(&probe) || (eco.manifest)(&glob.replace('*', "-lock"))
}

/// Secret-bearing env files (`.env`, `.env.production`), not templates.
fn is_env_file(name: &str) -> bool {
    if name == ".env" {
        return true;
    }
    match name.strip_prefix(".env.") {
        Some(suffix) => !matches!(
            suffix,
            "example" | "sample" | "template" | "dist" | "defaults" | "default" | "tpl"
        ),
        None => false,
    }
}

/// DC1003: `.env` in the image.
fn dc1003(ctx: &Ctx, out: &mut Vec<Finding>) {
    let ignore = ctx.dockerignore.map(DockerIgnore::cached);
    for inst in &ctx.df.instructions {
        let inst_eff = inst.effective();
        if !matches!(inst_eff.keyword.as_str(), "copy" | "add") || inst_eff.flag("from").is_some() {
            continue;
        }
        let Some((srcs, _)) = copy_parts(inst_eff) else {
            continue;
        };
        if let Some(src) = srcs.iter().find(|s| is_env_file(basename(s))) {
            out.push(ctx.finding(
                "DC1003",
                inst,
                format!(
                    "`{}` is copied into the image: its secrets stay in the image layers; pass settings at run time (env_file in compose) instead",
                    drop_quotes(src)
                ),
            ));
            continue;
        }
        if !copies_whole_context(inst_eff) {
            continue;
        }
        match &ignore {
            None => out.push(ctx.finding(
                "DC1003",
                inst,
                "The whole build context is copied and there is no .dockerignore: a `.env` file (and .git, node_modules…) ends up in the image; add a .dockerignore that lists `.env`",
            )),
            Some(di) if !di.is_excluded(".env") => out.push(ctx.finding(
                "DC1003",
                inst,
                "The whole build context is copied and .dockerignore does not exclude `.env`: its secrets end up in the image; add `.env` to .dockerignore",
            )),
            Some(_) => {}
        }
    }
}

/// `from=` in a `--mount=…` flag value.
fn mount_from(flag: &str) -> Option<&str> {
    let v = flag.strip_prefix("--mount=")?;
    v.split(',').find_map(|kv| kv.trim().strip_prefix("from="))
}

/// DC1004: named stages nothing uses.
fn dc1004(ctx: &Ctx, out: &mut Vec<Finding>) {
    let n = ctx.stages.len();
    if n < 2 {
        return;
    }
    let insts = &ctx.df.instructions;
    let mut used: HashSet<String> = HashSet::new();
    for (i, inst) in insts.iter().enumerate() {
        let inst = inst.effective();
        let mut refs: Vec<&str> = Vec::new();
        match inst.keyword.as_str() {
            "from" if i > 0 => refs.push(from_parts(inst).0),
            "copy" | "add" => refs.extend(inst.flag("from")),
            "run" => refs.extend(inst.flags.iter().filter_map(|f| mount_from(f))),
            _ => {}
        }
        for r in refs {
            let r = drop_quotes(r).to_lowercase();
            match r.parse::<usize>() {
                Ok(idx) => {
                    if let Some(s) = ctx.stages.get(idx).and_then(|s| s.name.as_ref()) {
                        used.insert(s.to_lowercase());
                    }
                }
                Err(_) => {
                    used.insert(r);
                }
            }
        }
    }
    for st in &ctx.stages[..n - 1] {
        let Some(name) = &st.name else { continue };
        if used.contains(&name.to_lowercase())
            || ctx
                .opts
                .built_targets
                .iter()
                .any(|t| t.eq_ignore_ascii_case(name))
        {
            continue;
        }
        out.push(ctx.finding(
            "DC1004",
            &insts[st.from],
            format!(
                "Stage `{name}` is never used: no later COPY --from, FROM or RUN --mount=from refers to it, so its output is not in the final image (remove it, or build it with --target)"
            ),
        ));
    }
}

/// `$NAME` or `${NAME…}` in a text.
fn references_var(text: &str, name: &str) -> bool {
    let braced = format!("${{{name}");
    if let Some(pos) = text.find(&braced) {
        let after = &text[pos + braced.len()..];
        if after.starts_with('}')
            || after.starts_with(':')
            || after.starts_with('-')
            || after.starts_with('+')
            || after.starts_with('?')
        {
            return true;
        }
    }
    let bare = format!("${name}");
    text.match_indices(&bare).any(|(pos, _)| {
        text[pos + bare.len()..]
            .chars()
            .next()
            .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_'))
    })
}

/// DC1005: a secret build ARG read by a RUN.
fn dc1005(ctx: &Ctx, out: &mut Vec<Finding>) {
    let insts = &ctx.df.instructions;
    for st in &ctx.stages {
        for i in st.body.clone() {
            let inst = &insts[i];
            if inst.keyword != "arg" {
                continue;
            }
            for w in &inst.args {
                let name = w.split_once('=').map_or(w.as_str(), |(n, _)| n);
                if !(hadolint_sensitive(name) || buildkit_sensitive(name)) {
                    continue;
                }
                let user = (i + 1..st.body.end).find(|&j| {
                    insts[j].keyword == "run" && references_var(&run_text(&insts[j]), name)
                });
                if let Some(j) = user {
                    out.push(ctx.finding(
                        "DC1005",
                        inst,
                        format!(
                            "Build arg `{name}` looks like a secret and is used by RUN (line {}): build args are recorded in the image history; use `RUN --mount=type=secret,id={} …` and `--secret` at build time",
                            insts[j].start_line(),
                            name.to_lowercase()
                        ),
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Options;
    use devctl_dockerfile::parse;

    fn run(src: &str, ignore: Option<&str>) -> Vec<Finding> {
        let df = parse(&format!("{src}\n")).expect("parses");
        let opts = Options::default();
        let ctx = Ctx::new(&df, &opts, ignore);
        let mut out = Vec::new();
        check(&ctx, &mut out);
        out
    }
    fn lines(code: &str, src: &str, ignore: Option<&str>) -> Vec<usize> {
        run(src, ignore)
            .iter()
            .filter(|f| f.code == code)
            .map(|f| f.line())
            .collect()
    }

    #[test]
    fn dc1001_root() {
        assert_eq!(lines("DC1001", "FROM node:20\nRUN x", None), vec![1]);
        assert_eq!(
            lines("DC1001", "FROM node:20\nUSER node", None),
            Vec::<usize>::new()
        );
        assert_eq!(
            lines("DC1001", "FROM node:20\nUSER node\nUSER root", None),
            vec![3]
        );
        assert_eq!(lines("DC1001", "FROM node:20\nUSER 0:0", None), vec![2]);
        // only the final stage counts
        assert!(lines("DC1001", "FROM a:1 AS b\nFROM c:1\nUSER app", None).is_empty());
        // inherited from a named earlier stage
        assert!(lines(
            "DC1001",
            "FROM a:1 AS base\nUSER app\nFROM base\nRUN x",
            None
        )
        .is_empty());
        assert_eq!(
            lines(
                "DC1001",
                "FROM a:1 AS base\nUSER root\nFROM BASE\nRUN x",
                None
            ),
            vec![3]
        );
        let f = run("FROM a:1 AS base\nUSER root\nFROM base", None);
        assert!(f
            .iter()
            .any(|f| f.code == "DC1001" && f.message.contains("inherited")));
        assert!(lines("DC1001", "FROM a:1\nUSER ${APP_UID}", None).is_empty());
    }

    #[test]
    fn dc1002_manifests() {
        let bad = "FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm ci\nCMD [\"node\",\"x\"]";
        assert_eq!(lines("DC1002", bad, None), vec![3]);
        let good = "FROM node:20\nWORKDIR /app\nCOPY package*.json ./\nRUN npm ci\nCOPY . .\nRUN npm run build";
        assert!(lines("DC1002", good, None).is_empty());
        let good2 = "FROM node:20\nCOPY package.json yarn.lock ./\nRUN yarn install --frozen-lockfile\nCOPY . .";
        assert!(lines("DC1002", good2, None).is_empty());
        let py = "FROM python:3.12\nCOPY . /app\nRUN pip install -r /app/requirements.txt";
        assert_eq!(lines("DC1002", py, None), vec![2]);
        let py_ok = "FROM python:3.12\nCOPY requirements.txt /app/\nRUN pip install -r /app/requirements.txt\nCOPY . /app";
        assert!(lines("DC1002", py_ok, None).is_empty());
        let go = "FROM golang:1.22\nCOPY . .\nRUN go mod download && go build -o /app";
        assert_eq!(lines("DC1002", go, None), vec![2]);
        let go_ok = "FROM golang:1.22\nCOPY go.mod go.sum ./\nRUN go mod download\nCOPY . .\nRUN go build -o /app";
        assert!(lines("DC1002", go_ok, None).is_empty());
        // no install after the copy: fine
        assert!(lines("DC1002", "FROM nginx:1\nCOPY . /usr/share/nginx/html", None).is_empty());
        // copying from another stage is not the context
        assert!(lines(
            "DC1002",
            "FROM a:1 AS b\nFROM node:20\nCOPY --from=b . .\nRUN npm ci",
            None
        )
        .is_empty());
        let f = run(bad, None);
        assert!(f
            .iter()
            .any(|f| f.message.contains("package.json") && f.message.contains("line 4")));
    }

    #[test]
    fn dc1003_env() {
        assert_eq!(
            lines("DC1003", "FROM a:1\nCOPY .env /app/", Some("")),
            vec![2]
        );
        assert_eq!(
            lines("DC1003", "FROM a:1\nCOPY .env.production /app/", Some("")),
            vec![2]
        );
        assert!(lines("DC1003", "FROM a:1\nCOPY .env.example /app/", Some("")).is_empty());
        assert!(lines(
            "DC1003",
            "FROM a:1 AS b\nFROM c:1\nCOPY --from=b /x/.env /app/",
            Some("")
        )
        .is_empty());
        assert_eq!(
            lines("DC1003", "FROM a:1\nCOPY . /app", Some("node_modules\n")),
            vec![2]
        );
        assert!(lines(
            "DC1003",
            "FROM a:1\nCOPY . /app",
            Some("node_modules\n.env\n")
        )
        .is_empty());
        assert!(lines("DC1003", "FROM a:1\nCOPY . /app", Some("*\n!src\n")).is_empty());
        assert!(lines("DC1003", "FROM a:1\nCOPY . /app", Some(".env*\n!.env\n")).len() == 1);
        let f = run("FROM a:1\nCOPY . /app", None);
        let m = &f.iter().find(|f| f.code == "DC1003").unwrap().message;
        assert!(m.contains("no .dockerignore"));
        assert!(lines("DC1003", "FROM a:1\nCOPY src /app", None).is_empty());
        assert_eq!(
            lines("DC1003", "FROM a:1\nONBUILD COPY . /app", Some("")),
            vec![2]
        );
    }

    #[test]
    fn dc1004_unused_stage() {
        let src = "FROM node:20 AS deps\nRUN x\nFROM node:20 AS assets\nRUN y\nFROM nginx:1\nCOPY --from=deps /a /b";
        assert_eq!(lines("DC1004", src, None), vec![3]);
        // a stage the project builds with --target is used
        let opts = crate::Options {
            built_targets: vec!["Assets".into()],
            ..Default::default()
        };
        let f = crate::lint_source(src.as_bytes(), &opts, None);
        assert!(!f.iter().any(|f| f.code == "DC1004"), "{f:?}");
        assert!(lines("DC1004", "FROM a:1 AS base\nFROM base AS final", None).is_empty());
        assert!(lines(
            "DC1004",
            "FROM a:1 AS assets\nFROM b:1\nCOPY --from=0 /x /y",
            None
        )
        .is_empty());
        assert!(lines(
            "DC1004",
            "FROM a:1 AS cache\nFROM b:1\nRUN --mount=type=cache,from=cache,target=/c make",
            None
        )
        .is_empty());
        assert!(lines(
            "DC1004",
            "FROM a:1 AS Assets\nFROM b:1\nCOPY --from=assets /x /y",
            None
        )
        .is_empty());
        // the last stage is the build result
        assert!(lines("DC1004", "FROM a:1 AS only", None).is_empty());
    }

    #[test]
    fn dc1005_secret_build_args() {
        let src = "FROM a:1\nARG NPM_TOKEN\nRUN echo \"//registry/:_authToken=${NPM_TOKEN}\" > .npmrc && npm ci";
        assert_eq!(lines("DC1005", src, None), vec![2]);
        // declared but not consumed: DL3064's business, not DC1005
        assert!(lines("DC1005", "FROM a:1\nARG NPM_TOKEN\nRUN npm ci", None).is_empty());
        assert!(lines("DC1005", "FROM a:1\nARG VERSION\nRUN echo $VERSION", None).is_empty());
        assert_eq!(
            lines(
                "DC1005",
                "FROM a:1\nARG DB_PASSWORD=x\nRUN setup --pw $DB_PASSWORD",
                None
            ),
            vec![2]
        );
        assert!(lines(
            "DC1005",
            "FROM a:1\nARG DB_PASSWORD\nRUN echo $DB_PASSWORDS",
            None
        )
        .is_empty());
        // a RUN in another stage does not see it
        assert!(lines(
            "DC1005",
            "FROM a:1\nARG API_TOKEN\nFROM b:1\nRUN echo $API_TOKEN",
            None
        )
        .is_empty());
    }
}
