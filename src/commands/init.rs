//! `devctl init [--template django|minimal] [--force]`: scaffold a project.
//!
//! The templates live under `compose/templates/<template>/` (and the
//! production run script under `scripts/bash/`) and are embedded at build
//! time. Planning is pure ([`plan`]: what to write given what exists); the
//! shell ([`run`]) looks at the directory, writes each file atomically and
//! prints one line per file. An existing file is never replaced without
//! `--force`.

use std::fmt;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::error::usage;

/// Which project layout to scaffold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Template {
    /// Django + Poetry app stage, Node `staticassets` stage, Postgres service
    #[default]
    Django,
    /// One non-root stage, no asset pipeline
    Minimal,
}

/// One file a template writes, relative to the project dir.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TemplateFile {
    pub path: &'static str,
    pub contents: &'static str,
    pub mode: u32,
}

const PROJECT_NAME_PLACEHOLDER: &str = "{{project_name}}";

const DJANGO: &[TemplateFile] = &[
    TemplateFile {
        path: "devctl.toml",
        contents: include_str!("../../compose/templates/django/devctl.toml"),
        mode: 0o644,
    },
    TemplateFile {
        path: "Dockerfile",
        contents: include_str!("../../compose/templates/django/Dockerfile"),
        mode: 0o644,
    },
    TemplateFile {
        path: ".dockerignore",
        contents: include_str!("../../compose/templates/django/.dockerignore"),
        mode: 0o644,
    },
    TemplateFile {
        path: ".env.example",
        contents: include_str!("../../compose/templates/django/.env.example"),
        mode: 0o644,
    },
    TemplateFile {
        path: "bash/run.sh",
        contents: include_str!("../../scripts/bash/run.sh"),
        mode: 0o755,
    },
];

const MINIMAL: &[TemplateFile] = &[
    TemplateFile {
        path: "devctl.toml",
        contents: include_str!("../../compose/templates/minimal/devctl.toml"),
        mode: 0o644,
    },
    TemplateFile {
        path: "Dockerfile",
        contents: include_str!("../../compose/templates/minimal/Dockerfile"),
        mode: 0o644,
    },
    TemplateFile {
        path: ".dockerignore",
        contents: include_str!("../../compose/templates/minimal/.dockerignore"),
        mode: 0o644,
    },
    TemplateFile {
        path: ".env.example",
        contents: include_str!("../../compose/templates/minimal/.env.example"),
        mode: 0o644,
    },
];

impl Template {
    pub fn files(self) -> &'static [TemplateFile] {
        match self {
            Template::Django => DJANGO,
            Template::Minimal => MINIMAL,
        }
    }
}

/// Lines `init` makes sure `.gitignore` has: devctl's generated files, and the
/// local settings that must never be committed.
pub const GITIGNORE_ENTRIES: &[&str] = &[".devctl/", ".env", "devctl.local.toml"];

/// The project name as compose normalises it: lowercase, only `a-z 0-9 _ -`,
/// starting with a letter or digit. `app` when nothing is left.
pub fn normalize_project_name(dir_name: &str) -> String {
    let kept: String = dir_name
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-')
        .collect();
    let trimmed = kept.trim_start_matches(['_', '-']);
    if trimmed.is_empty() {
        "app".to_string()
    } else {
        trimmed.to_string()
    }
}

/// A template file's contents for a project called `project_name`.
pub fn render(file: &TemplateFile, project_name: &str) -> String {
    file.contents
        .replace(PROJECT_NAME_PLACEHOLDER, project_name)
}

/// Whether a `.gitignore` line already ignores `entry` (`.devctl/` is also
/// covered by `.devctl`, `/.devctl/`, `/.devctl`).
fn gitignore_covers(line: &str, entry: &str) -> bool {
    let line = line.trim();
    let bare = entry.trim_end_matches('/');
    let line = line.strip_prefix('/').unwrap_or(line);
    line == entry || line == bare || (entry.ends_with('/') && line == format!("{bare}/"))
}

/// The new `.gitignore` contents, or None when it already has every entry.
/// Appends; never reorders or removes the user's lines.
pub fn gitignore_update(existing: Option<&str>) -> Option<(String, Vec<&'static str>)> {
    let text = existing.unwrap_or("");
    let missing: Vec<&'static str> = GITIGNORE_ENTRIES
        .iter()
        .copied()
        .filter(|e| !text.lines().any(|l| gitignore_covers(l, e)))
        .collect();
    if missing.is_empty() {
        return None;
    }
    let mut out = text.to_string();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    if existing.is_none() || text.trim().is_empty() {
        out.push_str("# devctl: generated files and local settings\n");
    }
    for e in &missing {
        out.push_str(e);
        out.push('\n');
    }
    Some((out, missing))
}

/// What `init` does with one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Write a file that does not exist.
    Create {
        path: String,
        contents: String,
        mode: u32,
    },
    /// Replace an existing file (`--force`).
    Replace {
        path: String,
        contents: String,
        mode: u32,
    },
    /// Leave an existing file alone.
    Skip { path: String },
    /// Write `.gitignore` with `added` appended.
    Gitignore {
        contents: String,
        added: Vec<&'static str>,
    },
    /// `.gitignore` already has every entry.
    GitignoreOk,
}

/// Pure: the actions for `template` in a directory where `exists(path)` tells
/// which template paths are taken and `gitignore` is the current `.gitignore`.
pub fn plan(
    template: Template,
    project_name: &str,
    force: bool,
    exists: impl Fn(&str) -> bool,
    gitignore: Option<&str>,
) -> Vec<Action> {
    let mut actions: Vec<Action> = template
        .files()
        .iter()
        .map(|f| {
            let path = f.path.to_string();
            let contents = render(f, project_name);
            match (exists(f.path), force) {
                (false, _) => Action::Create {
                    path,
                    contents,
                    mode: f.mode,
                },
                (true, true) => Action::Replace {
                    path,
                    contents,
                    mode: f.mode,
                },
                (true, false) => Action::Skip { path },
            }
        })
        .collect();
    actions.push(match gitignore_update(gitignore) {
        Some((contents, added)) => Action::Gitignore { contents, added },
        None => Action::GitignoreOk,
    });
    actions
}

/// The report line for what happened to one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Wrote(String),
    Replaced(String),
    Skipped(String),
    GitignoreCreated(Vec<&'static str>),
    GitignoreUpdated(Vec<&'static str>),
    GitignoreOk,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Wrote(p) => write!(f, "wrote {p}"),
            Outcome::Replaced(p) => write!(f, "wrote {p} (replaced the existing file: --force)"),
            Outcome::Skipped(p) => write!(f, "skipped {p} (exists; --force overwrites)"),
            Outcome::GitignoreCreated(added) => {
                write!(f, "wrote .gitignore (ignores {})", added.join(", "))
            }
            Outcome::GitignoreUpdated(added) => {
                write!(f, "updated .gitignore (added {})", added.join(", "))
            }
            Outcome::GitignoreOk => write!(
                f,
                "left .gitignore alone (already ignores .devctl/, .env and devctl.local.toml)"
            ),
        }
    }
}

/// The command: scaffold `template` into `dir` (which must exist).
pub fn run(dir: &Path, template: Template, force: bool, quiet: bool) -> Result<()> {
    let meta = fs::metadata(dir).map_err(|e| {
        usage(format!(
            "project directory {} does not exist or cannot be read ({e}): create it first, or pass an existing one to -C",
            dir.display()
        ))
    })?;
    if !meta.is_dir() {
        return Err(usage(format!(
            "{} is not a directory: pass a directory to -C",
            dir.display()
        )));
    }
    let abs = dir
        .canonicalize()
        .with_context(|| format!("resolving {}", dir.display()))?;
    let dir_name = abs
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let project_name = normalize_project_name(&dir_name);

    let gitignore_path = dir.join(".gitignore");
    let gitignore = match fs::read_to_string(&gitignore_path) {
        Ok(s) => Some(s),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("reading {}", gitignore_path.display())),
    };
    let exists = |p: &str| fs::symlink_metadata(dir.join(p)).is_ok();
    let actions = plan(template, &project_name, force, exists, gitignore.as_deref());

    let mut out = crate::out::stdout();
    for action in actions {
        let outcome = apply(dir, action, gitignore.is_some())?;
        writeln!(out, "{outcome}")?;
    }
    if !quiet {
        writeln!(
            out,
            "next: cp .env.example .env, then devctl build && devctl start"
        )?;
    }
    out.flush()?;
    Ok(())
}

fn apply(dir: &Path, action: Action, gitignore_existed: bool) -> Result<Outcome> {
    Ok(match action {
        Action::Create {
            path,
            contents,
            mode,
        } => {
            // Someone may create the file between the check and now: never
            // clobber it, report it skipped instead.
            if write_atomic(&dir.join(&path), contents.as_bytes(), mode, false)? {
                Outcome::Wrote(path)
            } else {
                Outcome::Skipped(path)
            }
        }
        Action::Replace {
            path,
            contents,
            mode,
        } => {
            write_atomic(&dir.join(&path), contents.as_bytes(), mode, true)?;
            Outcome::Replaced(path)
        }
        Action::Skip { path } => Outcome::Skipped(path),
        Action::Gitignore { contents, added } => {
            write_atomic(&dir.join(".gitignore"), contents.as_bytes(), 0o644, true)?;
            if gitignore_existed {
                Outcome::GitignoreUpdated(added)
            } else {
                Outcome::GitignoreCreated(added)
            }
        }
        Action::GitignoreOk => Outcome::GitignoreOk,
    })
}

/// `devctl init --from-compose [FILE…] [--app NAME] [--dry-run]`: the
/// compose files (default: those compose reads in `dir`) become
/// devctl.toml (issue 18). Nothing is written unless the whole import
/// succeeds; devctl.toml is replaced only with `--force`. The notes (what
/// devctl does differently on purpose) go to stderr, so `--dry-run`'s
/// stdout is the file alone.
pub fn run_from_compose(dir: &Path, opts: &FromCompose<'_>) -> Result<()> {
    use devctl_project::import::{self, NoteKind, Source};
    if !dir.is_dir() {
        return Err(usage(format!(
            "{} is not a directory: pass the project directory to -C",
            dir.display()
        )));
    }
    let names: Vec<PathBuf> = if opts.files.is_empty() {
        let found = import::default_files(&|f| dir.join(f).is_file());
        if found.is_empty() {
            return Err(usage(format!(
                "no compose file in {} ({}): name one, e.g. `devctl init --from-compose docker-compose.yml`",
                dir.display(),
                import::DEFAULT_FILES.join(", ")
            )));
        }
        found.into_iter().map(PathBuf::from).collect()
    } else {
        opts.files.to_vec()
    };
    // compose resolves relative paths against the first file's directory;
    // devctl.toml's are relative to the project directory: they must be one.
    let abs_dir = dir
        .canonicalize()
        .with_context(|| format!("resolving {}", dir.display()))?;
    let first = dir.join(&names[0]);
    let first_dir = first
        .canonicalize()
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf));
    if first_dir.as_deref().is_some_and(|d| d != abs_dir) {
        return Err(usage(format!(
            "{} is not in the project directory {}: compose reads its paths relative to the first file's directory; run devctl init there (-C DIR)",
            names[0].display(),
            dir.display()
        )));
    }
    let mut texts = Vec::new();
    for n in &names {
        let path = dir.join(n);
        let bytes =
            fs::read(&path).map_err(|e| usage(format!("cannot read {}: {e}", n.display())))?;
        let text = devctl_text::decode(&bytes)
            .map_err(|e| {
                usage(format!(
                    "{}:{}:{}: {}: a compose file is UTF-8 text",
                    n.display(),
                    e.line,
                    e.col,
                    e.what
                ))
            })?
            .to_string();
        texts.push((n.display().to_string(), text));
    }
    let sources: Vec<Source<'_>> = texts
        .iter()
        .map(|(name, text)| Source { name, text })
        .collect();
    let read = |rel: &str| -> Option<String> {
        let p = dir.join(rel);
        let meta = fs::metadata(&p).ok()?;
        if !meta.is_file() || meta.len() > 1 << 20 {
            return None;
        }
        fs::read_to_string(p).ok()
    };
    let imported = import::import(&sources, &import::Options { app: opts.app }, &read)
        .map_err(|e| usage(format!("{e} (nothing was written)")))?;

    let from = texts
        .iter()
        .map(|(n, _)| n.as_str())
        .collect::<Vec<_>>()
        .join(" + ");
    if opts.dry_run {
        crate::out::print(&imported.toml)?;
    } else {
        let target = dir.join(devctl_project::CONFIG_FILE);
        let existed = fs::symlink_metadata(&target).is_ok();
        if existed && !opts.force {
            return Err(usage(format!(
                "{} exists: --force replaces it (--dry-run prints the import)",
                devctl_project::CONFIG_FILE
            )));
        }
        let gitignore_path = dir.join(".gitignore");
        let gitignore = match fs::read_to_string(&gitignore_path) {
            Ok(s) => Some(s),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                return Err(e).with_context(|| format!("reading {}", gitignore_path.display()))
            }
        };
        if !write_atomic(&target, imported.toml.as_bytes(), 0o644, opts.force)? {
            return Err(usage(format!(
                "{} appeared meanwhile: --force replaces it",
                devctl_project::CONFIG_FILE
            )));
        }
        let what = match &imported.app {
            Some(a) => format!("the app is service `{a}`"),
            None => "no service builds from . and mounts the tree: no [app]".to_string(),
        };
        let verb = if existed { "replaced" } else { "wrote" };
        crate::outln!("{verb} devctl.toml from {from} ({what})")?;
        let action = match gitignore_update(gitignore.as_deref()) {
            Some((contents, added)) => Action::Gitignore { contents, added },
            None => Action::GitignoreOk,
        };
        let outcome = apply(dir, action, gitignore.is_some())?;
        crate::outln!("{outcome}")?;
    }
    for n in &imported.notes {
        match n.kind {
            NoteKind::Change => crate::errln!("note: {n}"),
            NoteKind::Warning => crate::errln!("warning: {n}"),
        }
    }
    if !opts.dry_run && !opts.quiet {
        crate::outln!(
            "next: devctl config (the generated compose file), then devctl build && devctl start"
        )?;
    }
    Ok(())
}

/// `init --from-compose`'s settings.
#[derive(Debug, Clone, Default)]
pub struct FromCompose<'a> {
    /// The files named (empty: compose's default files).
    pub files: &'a [PathBuf],
    pub app: Option<&'a str>,
    pub dry_run: bool,
    pub force: bool,
    pub quiet: bool,
}

/// Write `path` atomically: a temp file in the same directory, synced, then
/// renamed over `path` (`replace`) or hard-linked to it, which fails when
/// `path` exists (`!replace`; returns false then). Parent dirs are created.
fn write_atomic(path: &Path, contents: &[u8], mode: u32, replace: bool) -> Result<bool> {
    use std::os::unix::fs::PermissionsExt;
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = TempPath(parent.join(format!(".{name}.devctl-{}.tmp", std::process::id())));
    {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp.0)
            .with_context(|| format!("creating {}", tmp.0.display()))?;
        f.write_all(contents)
            .and_then(|()| f.set_permissions(fs::Permissions::from_mode(mode)))
            .and_then(|()| f.sync_all())
            .with_context(|| format!("writing {}", tmp.0.display()))?;
    }
    if replace {
        fs::rename(&tmp.0, path).with_context(|| format!("writing {}", path.display()))?;
        return Ok(true);
    }
    match fs::hard_link(&tmp.0, path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(e).with_context(|| format!("writing {}", path.display())),
    }
}

/// Removes the temp file when dropped (after a rename it is already gone).
struct TempPath(PathBuf);

impl Drop for TempPath {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dockerfile::parser::parse;
    use crate::lint::{lint, Options};

    fn paths(t: Template) -> Vec<&'static str> {
        t.files().iter().map(|f| f.path).collect()
    }

    #[test]
    fn django_writes_the_files_the_design_names() {
        assert_eq!(
            paths(Template::Django),
            [
                "devctl.toml",
                "Dockerfile",
                ".dockerignore",
                ".env.example",
                "bash/run.sh"
            ]
        );
        let run = Template::Django
            .files()
            .iter()
            .find(|f| f.path == "bash/run.sh");
        assert_eq!(run.map(|f| f.mode), Some(0o755));
    }

    #[test]
    fn minimal_writes_config_dockerfile_ignore_and_env_example() {
        assert_eq!(
            paths(Template::Minimal),
            ["devctl.toml", "Dockerfile", ".dockerignore", ".env.example"]
        );
    }

    #[test]
    fn project_names_are_normalised_like_compose() {
        assert_eq!(normalize_project_name("MyApp"), "myapp");
        assert_eq!(normalize_project_name("my app.v2"), "myappv2");
        assert_eq!(normalize_project_name("_-web_site-1"), "web_site-1");
        assert_eq!(normalize_project_name("..."), "app");
        assert_eq!(normalize_project_name(""), "app");
    }

    #[test]
    fn templates_are_rendered_with_the_project_name() {
        for t in [Template::Django, Template::Minimal] {
            let toml_file = &t.files()[0];
            let text = render(toml_file, "shop");
            assert!(!text.contains("{{"), "{text}");
            let v: toml::Value = toml::from_str(&text).unwrap();
            assert_eq!(v["project"]["name"].as_str(), Some("shop"));
            assert_eq!(v["app"]["user"].as_str(), Some("app"));
            assert_eq!(v["app"]["target"].as_str(), Some("app"));
            assert_eq!(v["app"]["port"].as_integer(), Some(8000));
        }
    }

    #[test]
    fn django_config_is_the_design_reference_case() {
        let v: toml::Value = toml::from_str(&render(&DJANGO[0], "myapp")).unwrap();
        let args = &v["app"]["build_args"];
        assert_eq!(args["PYTHON_IMAGE"].as_str(), Some("python:3.12-slim"));
        assert_eq!(args["NODE_IMAGE"].as_str(), Some("node:20-slim"));
        assert_eq!(v["assets"]["toolchain"].as_str(), Some("nvm"));
        assert_eq!(v["assets"]["watch"].as_array().map(Vec::len), Some(2));
        assert_eq!(v["services"]["db"]["image"].as_str(), Some("postgres:16"));
        assert_eq!(
            v["app"]["migrate"].as_array().map(Vec::len),
            Some(4),
            "migrate = python manage.py migrate --noinput"
        );
    }

    #[test]
    fn dockerignores_exclude_env_git_node_modules_and_devctl() {
        for t in [Template::Django, Template::Minimal] {
            let di = t
                .files()
                .iter()
                .find(|f| f.path == ".dockerignore")
                .unwrap();
            let lines: Vec<&str> = di.contents.lines().map(str::trim).collect();
            for must in [".env", ".git", "node_modules", ".devctl"] {
                assert!(lines.contains(&must), "{t:?} .dockerignore lacks {must}");
            }
        }
    }

    #[test]
    fn env_examples_document_auto_start_server() {
        for t in [Template::Django, Template::Minimal] {
            let env = t.files().iter().find(|f| f.path == ".env.example").unwrap();
            assert!(env
                .contents
                .lines()
                .any(|l| l.starts_with("AUTO_START_SERVER=")));
            assert!(env.contents.contains("true/1/yes/on"));
        }
    }

    /// The dockerfile structure the issue asks for, checked on the parsed AST.
    #[test]
    fn django_dockerfile_has_the_asked_for_shape() {
        let text = DJANGO[1].contents;
        let df = parse(text).unwrap();
        let find = |kw: &str| -> Vec<&crate::dockerfile::ast::Instruction> {
            df.instructions.iter().filter(|i| i.keyword == kw).collect()
        };
        let froms = find("from");
        assert_eq!(froms.len(), 2);
        assert_eq!(froms[0].args, ["${NODE_IMAGE}", "AS", "staticassets"]);
        assert_eq!(froms[1].args, ["${PYTHON_IMAGE}", "AS", "app"]);
        let args: Vec<&str> = find("arg").iter().map(|i| i.args[0].as_str()).collect();
        for a in [
            "NODE_IMAGE=node:20-slim",
            "PYTHON_IMAGE=python:3.12-slim",
            "APP_UID=1000",
            "APP_GID=1000",
        ] {
            assert!(args.contains(&a), "ARG {a} missing: {args:?}");
        }
        assert_eq!(find("expose")[0].args, ["8000"]);
        assert_eq!(find("shell")[0].args, ["/bin/bash", "-o", "pipefail", "-c"]);
        let cmd = find("cmd");
        assert!(cmd[0].json);
        assert_eq!(cmd[0].args, ["/app/bash/run.sh"]);
        assert_eq!(find("user").last().unwrap().args, ["${APP_UID}:${APP_GID}"]);
        assert!(find("workdir").iter().any(|w| w.args == ["/app"]));
        let copies = find("copy");
        let pos = |needle: &str| copies.iter().position(|c| c.original.contains(needle));
        // Lockfiles before the code, in both stages; the code with --chown.
        assert!(pos("package-lock.json") < pos("COPY . ."));
        let lock = pos("poetry.lock").unwrap();
        let code = pos("--chown=app:app . .").unwrap();
        assert!(lock < code);
        assert!(copies[code].flag("chown").is_some());
        let assets = copies
            .iter()
            .find(|c| c.flag("from") == Some("staticassets"))
            .unwrap();
        assert!(assets.original.contains("static/dist"));
        let runs: Vec<&str> = find("run").iter().map(|r| r.original.as_str()).collect();
        assert!(runs.iter().any(|r| r.contains("collectstatic")));
        assert!(runs.iter().any(|r| r.contains("poetry==")), "poetry pinned");
        // Issue 15: npm's, pip's and Poetry's caches are BuildKit cache
        // mounts, where each tool looks for its cache.
        for (tool, target) in [
            ("npm ci", "/root/.npm"),
            ("pip install", "/home/app/.cache/pip"),
            ("poetry install", "/home/app/.cache/pypoetry"),
        ] {
            let run = runs.iter().find(|r| r.contains(tool)).unwrap();
            assert!(
                run.contains(&format!("--mount=type=cache,target={target}")),
                "{tool}: {run}"
            );
        }
        assert!(text.contains("POETRY_CACHE_DIR=/home/app/.cache/pypoetry"));
        assert!(runs.iter().any(|r| r.contains("chmod 0755 bash/run.sh")));
        assert!(runs
            .iter()
            .all(|r| !r.contains("apt-get") && !r.contains(" cd ")));
    }

    #[test]
    fn every_template_dockerfile_lints_clean() {
        for t in [Template::Django, Template::Minimal] {
            let f = t.files().iter().find(|f| f.path == "Dockerfile").unwrap();
            let di = t
                .files()
                .iter()
                .find(|f| f.path == ".dockerignore")
                .unwrap();
            let df = parse(f.contents).unwrap();
            let findings = lint(&df, &Options::default(), Some(di.contents));
            assert!(findings.is_empty(), "{t:?}: {findings:#?}");
        }
    }

    #[test]
    fn plan_creates_missing_and_skips_existing() {
        let actions = plan(Template::Minimal, "x", false, |p| p == "Dockerfile", None);
        assert!(matches!(&actions[0], Action::Create { path, .. } if path == "devctl.toml"));
        assert_eq!(
            actions[1],
            Action::Skip {
                path: "Dockerfile".into()
            }
        );
        assert!(matches!(actions.last(), Some(Action::Gitignore { .. })));
    }

    #[test]
    fn plan_with_force_replaces() {
        let actions = plan(
            Template::Minimal,
            "x",
            true,
            |_| true,
            Some(".devctl/\n.env\ndevctl.local.toml\n"),
        );
        assert!(actions[..4]
            .iter()
            .all(|a| matches!(a, Action::Replace { .. })));
        assert_eq!(actions[4], Action::GitignoreOk);
    }

    #[test]
    fn gitignore_is_created_appended_and_left_alone() {
        let (created, added) = gitignore_update(None).unwrap();
        assert_eq!(added, [".devctl/", ".env", "devctl.local.toml"]);
        assert!(created.lines().any(|l| l == ".devctl/"));

        let (appended, added) = gitignore_update(Some("target\n*.swp")).unwrap();
        assert_eq!(
            appended,
            "target\n*.swp\n.devctl/\n.env\ndevctl.local.toml\n"
        );
        assert_eq!(added, [".devctl/", ".env", "devctl.local.toml"]);

        assert_eq!(gitignore_update(Some(&created)), None);
        assert_eq!(
            gitignore_update(Some("/.devctl\n/.env\n/devctl.local.toml\n")),
            None
        );
        let (_, added) = gitignore_update(Some(".devctl\n.env\n")).unwrap();
        assert_eq!(added, ["devctl.local.toml"]);
        // A longer pattern is not the entry.
        let (_, added) = gitignore_update(Some(".devctl/cache\n.env.local\n")).unwrap();
        assert_eq!(added, [".devctl/", ".env", "devctl.local.toml"]);
    }

    #[test]
    fn atomic_write_never_clobbers_without_replace() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/f.txt");
        assert!(write_atomic(&p, b"one", 0o644, false).unwrap());
        assert!(!write_atomic(&p, b"two", 0o644, false).unwrap());
        assert_eq!(fs::read_to_string(&p).unwrap(), "one");
        assert!(write_atomic(&p, b"three", 0o600, true).unwrap());
        assert_eq!(fs::read_to_string(&p).unwrap(), "three");
        // No temp files are left behind.
        let names: Vec<_> = fs::read_dir(dir.path().join("sub"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["f.txt"]);
    }
}
