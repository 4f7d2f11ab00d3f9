//! `devctl lint-dockerfile`: the IO shell around [`crate::lint`]. Finds the
//! files and the configuration, reads them, streams the report to stdout and
//! turns the findings into an exit code.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};

use anyhow::Context;

use crate::cli::{ColorChoice, Global};
use crate::dockerfile::Dockerfile;
use crate::error::usage;
use crate::lint::config::{self, LabelType, LintConfigFile, OverrideConfig, Settings};
use crate::lint::format::{source_lines, OutputFormat, Report};
use crate::lint::{lint_source_with, shellcheck, Finding, Severity};

/// Lint Dockerfiles (hadolint-compatible rules, BuildKit checks, devctl's own rules)
#[derive(Debug, Clone, clap::Args)]
#[command(
    disable_version_flag = true,
    after_help = "\
PATHS: files; `-` reads stdin; a directory is searched recursively for files named \
`Dockerfile`, `*Dockerfile`, `*.dockerfile` or `Dockerfile.*` (any case; \
`*.dockerignore` excluded), \
skipping `.git`, `node_modules`, `target` and hidden directories. \
Without PATH: every Dockerfile devctl.toml builds (with its context and targets), else ./Dockerfile.

CONFIG: hadolint's keys, from --config FILE, else the first of ./.hadolint.yaml, \
./.hadolint.yml, $XDG_CONFIG_HOME/hadolint.yaml, ~/.hadolint/hadolint.yaml, \
~/.hadolint.yaml (and .yml variants); then devctl.toml's [lint] table (wins over the \
YAML file); flags win over both.

PRAGMAS: `# hadolint ignore=DL3008,DL3009` above an instruction, \
`# hadolint global ignore=DL3008` anywhere, and BuildKit's `# check=skip=<names>|all` \
and `# check=error=true` directives at the top of the file.

SHELLCHECK: when `shellcheck` is installed, RUN scripts are checked too (SC codes, \
reported at the RUN's line, as hadolint does); --no-shellcheck turns it off. The \
binary: $DEVCTL_SHELLCHECK, else the newest of every `shellcheck` on PATH and \
$XDG_DATA_HOME/devctl/shellcheck/bin/shellcheck. Each file's check is stopped after \
--shellcheck-timeout seconds (default 10; `shellcheck-timeout` in the config): DC1008.

EXIT: 0 clean, 1 a finding at or above the failure threshold (default: info; never \
with -f codeclimate or codacy, as hadolint), 2 usage/configuration error or an \
unreadable path."
)]
pub struct LintArgs {
    /// Dockerfiles or directories to lint (`-` = stdin; default: what devctl.toml builds, else ./Dockerfile)
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Output format
    #[arg(short = 'f', long, value_enum, value_name = "FORMAT")]
    pub format: Option<OutputFormat>,
    /// Exit 1 only for findings at least this severe (`none`: never)
    #[arg(
        short = 't',
        long = "failure-threshold",
        value_name = "LEVEL",
        value_parser = ["error", "warning", "info", "style", "ignore", "none"]
    )]
    pub failure_threshold: Option<String>,
    /// Do not report this rule (repeatable)
    #[arg(long = "ignore", value_name = "CODE")]
    pub ignore: Vec<String>,
    /// hadolint YAML config file (instead of ./.hadolint.yaml and the user's)
    #[arg(short = 'c', long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Write the report to this file instead of stdout (written only when linting completes)
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The file name to put in the report for every input (checkstyle, codeclimate, gitlab_codeclimate, sonarqube, junit; hadolint's flag)
    #[arg(long, value_name = "PATH")]
    pub file_path_in_report: Option<String>,
    /// Do not colour the report (also NO_COLOR)
    #[arg(long)]
    pub no_color: bool,
    /// hadolint's -V: more output on stderr (same as -v/--verbose)
    #[arg(short = 'V')]
    pub verbose_v: bool,
    /// Print the version and exit (hadolint's --version)
    #[arg(long)]
    pub version: bool,
    /// DL3026: base images must come from these registries (repeatable)
    #[arg(long = "trusted-registry", value_name = "REG")]
    pub trusted_registry: Vec<String>,
    /// Label schema entry, TYPE one of text, url, rfc3339, spdx, hash, semver, email (repeatable)
    #[arg(long = "require-label", value_name = "NAME:TYPE", value_parser = parse_label)]
    pub require_label: Vec<(String, String)>,
    /// DL3050: report labels that are not in the schema
    #[arg(long)]
    pub strict_labels: bool,
    /// Do not honour `# hadolint ignore=` / `global ignore=` pragmas
    #[arg(long)]
    pub disable_ignore_pragma: bool,
    /// Always exit 0 when linting ran
    #[arg(long)]
    pub no_fail: bool,
    /// Do not run `shellcheck` on RUN scripts (SC codes; run by default when on PATH)
    #[arg(long)]
    pub no_shellcheck: bool,
    /// Do not read or write the ShellCheck result cache ($XDG_CACHE_HOME/devctl/shellcheck)
    #[arg(long)]
    pub no_shellcheck_cache: bool,
    /// Stop ShellCheck after this many seconds per file (default 10): DC1008 instead of SC findings
    #[arg(long, value_name = "SECS", value_parser = parse_timeout)]
    pub shellcheck_timeout: Option<std::time::Duration>,
    /// Lint this many files at a time (default: one per CPU)
    #[arg(short = 'j', long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
    /// Report this rule as an error (repeatable)
    #[arg(long = "error", value_name = "CODE")]
    pub error: Vec<String>,
    /// Report this rule as a warning (repeatable)
    #[arg(long = "warning", value_name = "CODE")]
    pub warning: Vec<String>,
    /// Report this rule as info (repeatable)
    #[arg(long = "info", value_name = "CODE")]
    pub info: Vec<String>,
    /// Report this rule as style (repeatable)
    #[arg(long = "style", value_name = "CODE")]
    pub style: Vec<String>,
}

fn parse_timeout(s: &str) -> Result<std::time::Duration, String> {
    s.trim()
        .parse::<f64>()
        .ok()
        .and_then(config::seconds)
        .ok_or_else(|| format!("`{s}`: expected seconds above 0 (at most 86400), e.g. 10 or 2.5"))
}

fn parse_label(s: &str) -> Result<(String, String), String> {
    let (name, ty) = s.split_once(':').ok_or_else(|| {
        format!("`{s}`: expected NAME:TYPE, e.g. org.opencontainers.image.source:url")
    })?;
    if name.is_empty() {
        return Err(format!("`{s}`: the label name is empty"));
    }
    LabelType::parse(ty).ok_or_else(|| {
        format!("`{s}`: unknown type `{ty}`; use text, url, rfc3339, spdx, hash, semver or email")
    })?;
    Ok((name.to_string(), ty.to_string()))
}

impl LintArgs {
    /// The flags as the highest-precedence configuration layer.
    fn layer(&self) -> LintConfigFile {
        LintConfigFile {
            ignored: self.ignore.clone(),
            trusted_registries: self.trusted_registry.clone(),
            overrides: OverrideConfig {
                error: self.error.clone(),
                warning: self.warning.clone(),
                info: self.info.clone(),
                style: self.style.clone(),
            },
            failure_threshold: self.failure_threshold.as_deref().and_then(Severity::parse),
            label_schema: self
                .require_label
                .iter()
                .filter_map(|(n, t)| Some((n.clone(), LabelType::parse(t)?)))
                .collect(),
            strict_labels: self.strict_labels.then_some(true),
            disable_ignore_pragma: self.disable_ignore_pragma.then_some(true),
            no_fail: self.no_fail.then_some(true),
            no_color: self.no_color.then_some(true),
            format: self.format,
            verbose: self.verbose_v.then_some(true),
            shellcheck_timeout: self.shellcheck_timeout,
        }
    }
}

/// One thing to lint.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Input {
    Stdin,
    /// A `dockerfile_inline` of devctl.toml: linted as written there, its
    /// findings told at devctl.toml's lines.
    Inline {
        /// devctl.toml as shown.
        name: String,
        /// devctl.toml's text (for the snippets; one copy for all).
        toml: std::sync::Arc<str>,
        /// The Dockerfile's text (`$$` as `$`, as the engine gets it).
        text: String,
        /// Which devctl.toml line each of the text's lines is on.
        lines: Vec<usize>,
        context: PathBuf,
        targets: Vec<String>,
    },
    File {
        path: PathBuf,
        name: String,
        /// The build context when devctl.toml says (else the Dockerfile's
        /// directory): where `.dockerignore` is looked for.
        context: Option<PathBuf>,
        /// Stages devctl.toml builds with `target` (DC1004).
        targets: Vec<String>,
    },
}

/// A Dockerfile devctl.toml builds, as written there (relative to the
/// project directory): `[app]` (`context`, `dockerfile`, `target`) and every
/// `[services.NAME] build` (a context string or a table).
#[derive(Debug, Clone, PartialEq, Eq)]
struct ProjectBuild {
    context: String,
    dockerfile: String,
    target: Option<String>,
    /// `dockerfile_inline`: the text and where its value starts in
    /// devctl.toml (bytes).
    inline: Option<(String, usize)>,
}

/// The builds in devctl.toml's text (pure; only these keys are read, the
/// rest is checked by `config --check`).
fn project_builds(text: &str, name: &str) -> anyhow::Result<Vec<ProjectBuild>> {
    #[derive(serde::Deserialize)]
    struct App {
        #[serde(default)]
        dockerfile: Option<String>,
        #[serde(default)]
        context: Option<String>,
        #[serde(default)]
        target: Option<String>,
        #[serde(default)]
        dockerfile_inline: Option<toml::Spanned<String>>,
    }
    #[derive(serde::Deserialize)]
    struct BuildTable {
        #[serde(default)]
        context: Option<String>,
        #[serde(default)]
        dockerfile: Option<String>,
        #[serde(default)]
        target: Option<String>,
        /// The Dockerfile in devctl.toml (written into the build context).
        #[serde(default)]
        dockerfile_inline: Option<toml::Spanned<String>>,
    }
    /// A context string or the table (by hand, not `untagged`: that
    /// would lose the inline text's span).
    enum Build {
        Context(String),
        Table(BuildTable),
    }
    impl<'de> serde::Deserialize<'de> for Build {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> serde::de::Visitor<'de> for V {
                type Value = Build;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("a build context path or a table")
                }
                fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Build, E> {
                    Ok(Build::Context(v.to_string()))
                }
                fn visit_map<A: serde::de::MapAccess<'de>>(
                    self,
                    map: A,
                ) -> Result<Build, A::Error> {
                    serde::Deserialize::deserialize(serde::de::value::MapAccessDeserializer::new(
                        map,
                    ))
                    .map(Build::Table)
                }
            }
            d.deserialize_any(V)
        }
    }
    #[derive(serde::Deserialize)]
    struct Service {
        #[serde(default)]
        build: Option<Build>,
    }
    #[derive(serde::Deserialize)]
    struct Doc {
        #[serde(default)]
        app: Option<App>,
        #[serde(default)]
        services: std::collections::BTreeMap<String, Service>,
    }
    let doc: Doc =
        toml::from_str(text).map_err(|e| usage(format!("{name}: {}", e.message().trim_end())))?;
    let mut out = Vec::new();
    let inline =
        |d: Option<toml::Spanned<String>>| d.map(|d| (d.get_ref().clone(), d.span().start));
    if let Some(a) = doc.app {
        out.push(ProjectBuild {
            context: a.context.unwrap_or_else(|| ".".into()),
            dockerfile: a.dockerfile.unwrap_or_else(|| "Dockerfile".into()),
            target: a.target,
            inline: inline(a.dockerfile_inline),
        });
    }
    for s in doc.services.into_values() {
        match s.build {
            Some(Build::Context(c)) => out.push(ProjectBuild {
                context: c,
                dockerfile: "Dockerfile".into(),
                target: None,
                inline: None,
            }),
            Some(Build::Table(BuildTable {
                context,
                dockerfile,
                target,
                dockerfile_inline,
            })) => out.push(ProjectBuild {
                context: context.unwrap_or_else(|| ".".into()),
                dockerfile: dockerfile.unwrap_or_else(|| "Dockerfile".into()),
                target,
                inline: inline(dockerfile_inline),
            }),
            None => {}
        }
    }
    Ok(out)
}

/// With no PATH: every Dockerfile devctl.toml builds (each once, with its
/// context and the targets built from it), else `None` (./Dockerfile).
fn project_inputs(base: &Path) -> anyhow::Result<Option<Vec<Input>>> {
    let Some(root) = find_project_root(base) else {
        return Ok(None);
    };
    let toml_path = root.join("devctl.toml");
    let text = read_config_text(&toml_path)?;
    let shown = display(toml_path.strip_prefix(base).unwrap_or(&toml_path));
    let builds = project_builds(&text, &shown)?;
    if builds.is_empty() {
        return Ok(None);
    }
    let config: std::sync::Arc<str> = text.into();
    let mut inputs: Vec<Input> = Vec::new();
    for b in builds {
        let context = root.join(&b.context);
        if let Some((text, at)) = b.inline {
            inputs.push(Input::Inline {
                name: shown.clone(),
                lines: inline_lines(&config, at, &text),
                text: text.replace("$$", "$"),
                toml: config.clone(),
                context,
                targets: b.target.into_iter().collect(),
            });
            continue;
        }
        let path = context.join(&b.dockerfile);
        if !path.is_file() {
            return Err(usage(format!(
                "{shown}: the Dockerfile {} (context `{}`, dockerfile `{}`) does not exist; fix the path there or give the Dockerfile to lint",
                display(&path),
                b.context,
                b.dockerfile
            )));
        }
        let existing = inputs.iter_mut().find(|i| {
            matches!(i, Input::File { path: p, context: Some(c), .. } if *p == path && *c == context)
        });
        match existing {
            Some(Input::File { targets, .. }) => {
                if let Some(t) = b.target {
                    targets.push(t);
                }
            }
            _ => inputs.push(Input::File {
                name: display(path.strip_prefix(base).unwrap_or(&path)),
                path,
                context: Some(context),
                targets: b.target.into_iter().collect(),
            }),
        }
    }
    Ok(Some(inputs))
}

/// The devctl.toml line of each line of a `dockerfile_inline` whose value
/// starts at byte `at`: a multi-line string (`"""`, `'''`) has its lines
/// there (after the newline that follows the opening quotes); a one-line
/// string with `\n` escapes has all of them on its one line.
fn inline_lines(toml: &str, at: usize, text: &str) -> Vec<usize> {
    let first = toml[..at.min(toml.len())].matches('\n').count() + 1;
    let raw = &toml[at.min(toml.len())..];
    let n = text.lines().count().max(1);
    let multi = raw.starts_with("\"\"\"") || raw.starts_with("\'\'\'");
    if !multi {
        return vec![first; n];
    }
    let skip = usize::from(raw[3..].starts_with('\n') || raw[3..].starts_with("\r\n"));
    (0..n).map(|k| first + skip + k).collect()
}

/// The file names searched for in directories: `Dockerfile`, `*Dockerfile`
/// (`DevDjangoDockerfile`), `*.dockerfile`, `Dockerfile.*`, any case.
fn is_dockerfile_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    !n.ends_with(".dockerignore") && (n.ends_with("dockerfile") || n.starts_with("dockerfile."))
}

fn skip_dir(name: &str) -> bool {
    name.starts_with('.') || name == "node_modules" || name == "target"
}

/// Dockerfiles under `dir`, sorted, without following symlinked directories.
fn find_dockerfiles(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| usage(format!("cannot read directory {}: {e}", dir.display())))?;
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        let Ok(ft) = e.file_type() else { continue };
        let path = e.path();
        if ft.is_dir() {
            if !skip_dir(&name) {
                find_dockerfiles(&path, out)?;
            }
        } else if is_dockerfile_name(&name) && path.is_file() {
            out.push(path);
        }
    }
    Ok(())
}

/// The display name of a path: as the user wrote it.
fn display(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// Expands the PATH arguments (relative to `base`); missing paths are usage
/// errors naming the path.
fn collect_inputs(paths: &[PathBuf], base: &Path) -> anyhow::Result<Vec<Input>> {
    if paths.is_empty() {
        if let Some(inputs) = project_inputs(base)? {
            return Ok(inputs);
        }
    }
    let default = [PathBuf::from("Dockerfile")];
    let paths = if paths.is_empty() {
        &default[..]
    } else {
        paths
    };
    let mut inputs = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" {
            if !inputs.contains(&Input::Stdin) {
                inputs.push(Input::Stdin);
            }
            continue;
        }
        let full = base.join(p);
        let meta = std::fs::metadata(&full).map_err(|e| {
            usage(if e.kind() == std::io::ErrorKind::NotFound {
                format!(
                    "{}: no such file or directory (give the Dockerfile's path, a directory, or `-` for stdin)",
                    p.display()
                )
            } else {
                format!("{}: {e}", p.display())
            })
        })?;
        if meta.is_dir() {
            let mut found = Vec::new();
            find_dockerfiles(&full, &mut found)?;
            if found.is_empty() {
                return Err(usage(format!(
                    "{}: no Dockerfile found in this directory (looked for Dockerfile, *Dockerfile, *.dockerfile, Dockerfile.*)",
                    p.display()
                )));
            }
            for f in found {
                let rel = f.strip_prefix(base).unwrap_or(&f).to_path_buf();
                let name = if p.is_absolute() {
                    display(&f)
                } else {
                    display(&rel)
                };
                inputs.push(Input::File {
                    path: f,
                    name,
                    context: None,
                    targets: Vec::new(),
                });
            }
        } else {
            inputs.push(Input::File {
                path: full,
                name: display(p),
                context: None,
                targets: Vec::new(),
            });
        }
    }
    Ok(inputs)
}

/// BuildKit's rule: `<Dockerfile>.dockerignore` beside it, else
/// `.dockerignore` at the root of the build context (the Dockerfile's
/// directory when the context is not known).
fn dockerignore_for(dockerfile: &Path, context: Option<&Path>) -> Option<String> {
    let mut specific = dockerfile.as_os_str().to_owned();
    specific.push(".dockerignore");
    let context = match context {
        Some(c) => c,
        None => dockerfile.parent()?,
    };
    let candidates = [PathBuf::from(specific), context.join(".dockerignore")];
    candidates
        .iter()
        .find_map(|p| std::fs::read(p).ok())
        .map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// The nearest ancestor of `start` (itself included) holding devctl.toml.
fn find_project_root(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|d| d.join("devctl.toml").is_file())
        .map(Path::to_path_buf)
}

/// Where hadolint looks for its config when `--config` is not given.
fn hadolint_config_candidates(base: &Path) -> Vec<PathBuf> {
    let mut c = vec![base.join(".hadolint.yaml"), base.join(".hadolint.yml")];
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from);
    let xdg = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .or_else(|| home.as_ref().map(|h| h.join(".config")));
    if let Some(x) = xdg {
        c.push(x.join("hadolint.yaml"));
        c.push(x.join("hadolint.yml"));
    }
    if let Some(h) = home {
        for f in ["hadolint.yaml", "hadolint.yml", "config.yaml", "config.yml"] {
            c.push(h.join(".hadolint").join(f));
        }
        c.push(h.join(".hadolint.yaml"));
        c.push(h.join(".hadolint.yml"));
    }
    c
}

fn read_config_text(path: &Path) -> anyhow::Result<String> {
    let bytes = std::fs::read(path)
        .map_err(|e| usage(format!("cannot read config {}: {e}", path.display())))?;
    String::from_utf8(bytes).map_err(|_| {
        usage(format!(
            "{}: the config file is not UTF-8 text",
            path.display()
        ))
    })
}

/// Parses a hadolint YAML config (`name` is used in messages). The YAML is
/// read here: the linter crate has the config's types, not a YAML parser.
/// An empty file (or only comments) is an empty config, as in hadolint.
fn config_from_yaml(text: &str, name: &str) -> Result<LintConfigFile, config::ConfigError> {
    crate::yaml::from_str_located(text)
        .map(Option::unwrap_or_default)
        .map_err(|e| config::yaml_error(name, e.line, e.column, &e.message))
}

/// Loads and merges every configuration source.
fn load_settings(args: &LintArgs, base: &Path, verbose: bool) -> anyhow::Result<Settings> {
    let mut layers = Vec::new();
    let yaml_path = match &args.config {
        Some(p) => {
            let p = base.join(p);
            if !p.is_file() {
                return Err(usage(format!("--config {}: no such file", p.display())));
            }
            Some(p)
        }
        None => hadolint_config_candidates(base)
            .into_iter()
            .find(|p| p.is_file()),
    };
    if let Some(p) = yaml_path {
        let text = read_config_text(&p)?;
        let name = display(p.strip_prefix(base).unwrap_or(&p));
        layers.push(config_from_yaml(&text, &name).map_err(|e| usage(e.0))?);
        if verbose {
            crate::errln!("lint config: {}", p.display());
        }
    }
    if let Some(root) = find_project_root(base) {
        let p = root.join("devctl.toml");
        let text = read_config_text(&p)?;
        let name = display(p.strip_prefix(base).unwrap_or(&p));
        if let Some(l) = config::from_devctl_toml(&text, &name).map_err(|e| usage(e.0))? {
            layers.push(l);
            if verbose {
                crate::errln!("lint config: {} [lint]", p.display());
            }
        }
    }
    let env = config::from_env(&|k| std::env::var(k).ok()).map_err(|e| usage(e.0))?;
    layers.push(env);
    layers.push(args.layer());
    Ok(config::merge(&layers))
}

/// SC findings for one Dockerfile via [`shellcheck::findings`]. A failure
/// to run shellcheck is reported once on stderr (whichever worker sees it
/// first) and yields no SC findings: linting goes on.
fn run_shellcheck(
    df: &Dockerfile,
    runner: &shellcheck::Runner,
    warned: &AtomicBool,
) -> Vec<Finding> {
    match shellcheck::findings(df, runner) {
        Ok(f) => f,
        Err(e) => {
            if !warned.swap(true, Ordering::Relaxed) {
                crate::errln!("warning: {e}; SC checks skipped");
            }
            Vec::new()
        }
    }
}

/// One input, linted: what the report needs.
struct Linted {
    name: String,
    findings: Vec<Finding>,
    /// The source lines, for the tty format's snippets (else empty).
    lines: Vec<String>,
}

/// Reads and lints one input. `stdin` holds what was read from stdin when
/// `-` was among the paths.
fn lint_input(
    input: &Input,
    stdin: &[u8],
    settings: &Settings,
    runner: Option<&shellcheck::Runner>,
    sc_warned: &AtomicBool,
) -> anyhow::Result<Linted> {
    let (name, owned, dockerignore, targets) = match input {
        Input::Stdin => ("-".to_string(), None, None, &[][..]),
        Input::Inline {
            name,
            text,
            context,
            targets,
            ..
        } => (
            name.clone(),
            Some(std::borrow::Cow::Borrowed(text.as_bytes())),
            // the builder gets the text as this file of the context
            dockerignore_for(
                &context.join(crate::engine::plan::INLINE_DOCKERFILE),
                Some(context),
            ),
            &targets[..],
        ),
        Input::File {
            path,
            name,
            context,
            targets,
        } => {
            let bytes =
                std::fs::read(path).map_err(|e| usage(format!("cannot read {name}: {e}")))?;
            (
                name.clone(),
                Some(std::borrow::Cow::Owned(bytes)),
                dockerignore_for(path, context.as_deref()),
                &targets[..],
            )
        }
    };
    let with_targets;
    let options = if targets.is_empty() {
        &settings.options
    } else {
        let mut o = settings.options.clone();
        o.built_targets = targets.to_vec();
        with_targets = o;
        &with_targets
    };
    let bytes = owned.as_deref().unwrap_or(stdin);
    let findings = if let Some(runner) = runner.filter(|_| settings.options.shellcheck) {
        lint_source_with(bytes, options, dockerignore.as_deref(), &mut |df| {
            run_shellcheck(df, runner, sc_warned)
        })
    } else {
        lint_source_with(bytes, options, dockerignore.as_deref(), &mut |_| Vec::new())
    };
    let mut findings = findings;
    let source: &[u8] = match input {
        // told at devctl.toml's lines, with its lines as the snippets
        Input::Inline { lines, toml, .. } => {
            for f in &mut findings {
                for pos in [&mut f.span.start, &mut f.span.end] {
                    let at = lines.get(pos.line.saturating_sub(1)).copied();
                    pos.line = at.unwrap_or_else(|| lines.last().copied().unwrap_or(1));
                }
            }
            toml.as_bytes()
        }
        _ => bytes,
    };
    let lines = if settings.format == OutputFormat::Tty && !findings.is_empty() {
        source_lines(source)
    } else {
        Vec::new()
    };
    Ok(Linted {
        name,
        findings,
        lines,
    })
}

/// What the lint workers share: the inputs and how to lint them.
struct LintJob<'a> {
    inputs: Vec<Input>,
    stdin: Vec<u8>,
    settings: &'a Settings,
    shellcheck: Option<shellcheck::Runner>,
    sc_warned: AtomicBool,
}

fn lint_item(job: &LintJob, i: usize) -> anyhow::Result<Linted> {
    let input = job
        .inputs
        .get(i)
        .ok_or_else(|| anyhow::anyhow!("internal error: no input {i}"))?;
    lint_input(
        input,
        &job.stdin,
        job.settings,
        job.shellcheck.as_ref(),
        &job.sc_warned,
    )
}

/// Computes `each(i)` for every `i` in `0..len` on `jobs` threads (the
/// calling thread among them) and hands each result to `emit` in index
/// order, as soon as it and all before it are done. Stops at `emit`'s first
/// error (the other threads finish the item in hand and stop).
fn ordered_map<R: Send>(
    len: usize,
    jobs: usize,
    each: &(dyn Fn(usize) -> R + Sync),
    emit: &mut dyn FnMut(R) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let claim = || {
        let i = next.fetch_add(1, Ordering::Relaxed);
        (i < len && !stop.load(Ordering::Relaxed)).then_some(i)
    };
    // Results that came early wait here until the ones before them are in.
    let mut early: BTreeMap<usize, R> = BTreeMap::new();
    let mut want = 0usize;
    let mut take = |i: usize, r: R| -> anyhow::Result<()> {
        early.insert(i, r);
        while let Some(r) = early.remove(&want) {
            want += 1;
            emit(r)?;
        }
        Ok(())
    };
    let result = std::thread::scope(|s| {
        let (tx, rx) = mpsc::channel::<(usize, R)>();
        let helpers: Vec<_> = (1..jobs.min(len))
            .map(|_| {
                let tx = tx.clone();
                s.spawn(move || {
                    while let Some(i) = claim() {
                        if tx.send((i, each(i))).is_err() {
                            break;
                        }
                    }
                })
            })
            .collect();
        drop(tx);
        let mut result = Ok(());
        // The calling thread works too, handing over what the helpers
        // finished between its own items.
        while let Some(i) = claim() {
            result = take(i, each(i));
            while result.is_ok() {
                let Ok((i, r)) = rx.try_recv() else { break };
                result = take(i, r);
            }
            if result.is_err() {
                break;
            }
        }
        if result.is_ok() {
            // Ends when every helper is done (their senders dropped).
            for (i, r) in rx.iter() {
                result = take(i, r);
                if result.is_err() {
                    break;
                }
            }
        }
        if result.is_err() {
            stop.store(true, Ordering::Relaxed);
        }
        for h in helpers {
            // A helper that panicked: its item is missing; see below.
            let _ = h.join();
        }
        result
    });
    result?;
    if want < len {
        anyhow::bail!("internal error: a worker thread stopped at item {want} of {len}");
    }
    Ok(())
}

/// Runs the command.
pub fn run(args: &LintArgs, global: &Global) -> anyhow::Result<ExitCode> {
    let cwd = std::env::current_dir().context("cannot determine the current directory")?;
    let base = match &global.project_dir {
        Some(d) => cwd.join(d),
        None => cwd,
    };
    // Files are independent: lint them on every core (ShellCheck runs, one
    // process per Dockerfile, overlap too); one file needs no helper thread.
    let jobs = match args.jobs {
        Some(n) => usize::from(n),
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let one_file = match args.paths.as_slice() {
        [] => true,
        [p] => p.as_os_str() == "-" || !base.join(p).is_dir(),
        _ => false,
    };
    let jobs = if one_file { 1 } else { jobs };

    if args.version {
        let _ = crate::outln!(
            "devctl {} lint-dockerfile (hadolint 2.15-compatible)",
            env!("CARGO_PKG_VERSION")
        );
        return Ok(ExitCode::SUCCESS);
    }
    let verbose = global.verbose > 0
        || args.verbose_v
        || std::env::var("HADOLINT_VERBOSE").is_ok_and(|v| {
            ["1", "y", "yes", "on", "true"].contains(&v.trim().to_ascii_lowercase().as_str())
        });
    let mut settings = load_settings(args, &base, verbose)?;
    let verbose = verbose || settings.verbose;
    let runner = if args.no_shellcheck {
        None
    } else {
        let env = shellcheck::Env::from_lookup(&|k| std::env::var_os(k));
        let cache_dir = if args.no_shellcheck_cache {
            None
        } else {
            shellcheck::Cache::default_dir(&env)
        };
        // The binaries' versions are remembered with the results.
        shellcheck::find_remembered(&env, settings.shellcheck_timeout, cache_dir.as_deref()).map(
            |bin| shellcheck::Runner {
                bin,
                timeout: settings.shellcheck_timeout,
                cache: Some(Arc::new(shellcheck::Cache::new(cache_dir))),
            },
        )
    };
    if verbose {
        if let Some(r) = &runner {
            crate::errln!(
                "shellcheck: {} (version {})",
                r.bin.path.display(),
                r.bin.version
            );
        }
    }
    settings.options.shellcheck = runner.is_some();
    let inputs = collect_inputs(&args.paths, &base)?;
    let mut stdin = Vec::new();
    if inputs.contains(&Input::Stdin) {
        std::io::stdin()
            .read_to_end(&mut stdin)
            .map_err(|e| usage(format!("cannot read stdin: {e}")))?;
    }

    // To a file (-o): no terminal, so no colour unless asked for.
    let to_terminal = args.output.is_none() && crate::out::stdout_is_terminal();
    let color = settings.format == OutputFormat::Tty
        && match global.color {
            ColorChoice::Always => true,
            _ => !settings.no_color && global.color_for(to_terminal),
        };
    let mut buffered: Vec<u8> = Vec::new();
    let mut stdout = crate::out::stdout();
    let out: &mut dyn Write = if args.output.is_some() {
        &mut buffered
    } else {
        &mut stdout
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut report = Report::new(settings.format, color)
        .with_tool_version(env!("CARGO_PKG_VERSION"))
        .with_run_time(now);
    out.write_all(report.begin().as_bytes())?;
    let mut failed = false;
    let mut total = 0usize;
    let n = inputs.len();
    let job = LintJob {
        inputs,
        stdin,
        settings: &settings,
        shellcheck: runner,
        sc_warned: AtomicBool::new(false),
    };
    // hadolint's --file-path-in-report names every input in the formats
    // meant for CI servers.
    let report_name = args
        .file_path_in_report
        .as_deref()
        .filter(|_| settings.format.takes_file_path_in_report());
    let mut emit = |l: anyhow::Result<Linted>| -> anyhow::Result<()> {
        let l = l?;
        total += l.findings.len();
        failed |= settings.fails(&l.findings) && !settings.format.skips_error_status();
        let name = report_name.unwrap_or(&l.name);
        out.write_all(report.file(name, &l.findings, &l.lines).as_bytes())?;
        Ok(())
    };
    ordered_map(n, jobs, &|i| lint_item(&job, i), &mut emit)?;
    out.write_all(report.end().as_bytes())?;
    out.flush()?;
    if let Some(path) = &args.output {
        let path = base.join(path);
        crate::fsutil::write_atomic(&path, &buffered, 0o644)
            .with_context(|| format!("cannot write the report to {}", path.display()))?;
    }
    if verbose {
        crate::errln!("linted {n} file(s): {total} finding(s)");
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordered_map_hands_results_over_in_input_order() {
        for jobs in [1, 2, 4, 64] {
            let mut got = Vec::new();
            // Later items finish first: their order must not leak out.
            let each = |i: usize| {
                std::thread::sleep(std::time::Duration::from_micros((40 - i as u64) * 50));
                i * 10
            };
            ordered_map(40, jobs, &each, &mut |r| {
                got.push(r);
                Ok(())
            })
            .unwrap();
            assert_eq!(
                got,
                (0..40).map(|i| i * 10).collect::<Vec<_>>(),
                "jobs {jobs}"
            );
        }
        let mut none = 0;
        ordered_map(0, 4, &|i| i, &mut |_| {
            none += 1;
            Ok(())
        })
        .unwrap();
        assert_eq!(none, 0);
    }

    #[test]
    fn ordered_map_stops_at_the_first_error_in_order() {
        let computed = AtomicUsize::new(0);
        let mut got = Vec::new();
        let each = |i: usize| {
            computed.fetch_add(1, Ordering::Relaxed);
            std::thread::sleep(std::time::Duration::from_millis(1));
            if i == 5 {
                Err(anyhow::anyhow!("item {i}"))
            } else {
                Ok(i)
            }
        };
        let e = ordered_map(1000, 3, &each, &mut |r: anyhow::Result<usize>| {
            got.push(r?);
            Ok(())
        })
        .unwrap_err();
        assert_eq!(e.to_string(), "item 5");
        assert_eq!(got, vec![0, 1, 2, 3, 4]);
        // The other threads stopped: far from every item was computed.
        assert!(computed.load(Ordering::Relaxed) < 500);
    }

    #[test]
    fn dockerfile_names() {
        for n in [
            "Dockerfile",
            "dockerfile",
            "app.Dockerfile",
            "Dockerfile.dev",
            "DevDjangoDockerfile",
            "web.dockerfile",
        ] {
            assert!(is_dockerfile_name(n), "{n}");
        }
        for n in [
            "Dockerfile.dockerignore",
            "README",
            "Dockerfiles",
            "x.dockerfile.bak",
        ] {
            assert!(!is_dockerfile_name(n), "{n}");
        }
    }

    #[test]
    fn dockerignore_beside_the_dockerfile_wins() {
        let t = tempfile::tempdir().unwrap();
        let df = t.path().join("app.Dockerfile");
        std::fs::write(&df, "FROM a\n").unwrap();
        assert_eq!(dockerignore_for(&df, None), None);
        std::fs::write(t.path().join(".dockerignore"), "general\n").unwrap();
        assert_eq!(dockerignore_for(&df, None).as_deref(), Some("general\n"));
        // a known context: its .dockerignore, not the one beside the Dockerfile
        let ctx = t.path().join("ctx");
        std::fs::create_dir_all(&ctx).unwrap();
        assert_eq!(dockerignore_for(&df, Some(&ctx)), None);
        std::fs::write(ctx.join(".dockerignore"), "context\n").unwrap();
        assert_eq!(
            dockerignore_for(&df, Some(&ctx)).as_deref(),
            Some("context\n")
        );
        std::fs::write(t.path().join("app.Dockerfile.dockerignore"), "specific\n").unwrap();
        assert_eq!(dockerignore_for(&df, None).as_deref(), Some("specific\n"));
    }

    #[test]
    fn inputs_default_stdin_and_directories() {
        let t = tempfile::tempdir().unwrap();
        let base = t.path();
        std::fs::create_dir_all(base.join("d/.git")).unwrap();
        std::fs::write(base.join("d/Dockerfile"), "").unwrap();
        std::fs::write(base.join("d/.git/Dockerfile"), "").unwrap();
        std::fs::write(base.join("Dockerfile"), "").unwrap();
        let names = |v: Vec<Input>| -> Vec<String> {
            v.into_iter()
                .map(|i| match i {
                    Input::Stdin => "-".to_string(),
                    Input::File { name, .. } | Input::Inline { name, .. } => name,
                })
                .collect()
        };
        assert_eq!(
            names(collect_inputs(&[], base).unwrap()),
            vec!["Dockerfile"]
        );
        let args = [PathBuf::from("-"), PathBuf::from("d"), PathBuf::from("-")];
        assert_eq!(
            names(collect_inputs(&args, base).unwrap()),
            vec![
                "-".to_string(),
                format!("d{}Dockerfile", std::path::MAIN_SEPARATOR)
            ]
        );
        let e = collect_inputs(&[PathBuf::from("nope")], base).unwrap_err();
        assert!(e.to_string().starts_with("nope: no such file"), "{e}");
        assert_eq!(crate::error::exit_code_for(&e), 2);
    }

    #[test]
    fn label_flag() {
        assert_eq!(
            parse_label("org.label:url"),
            Ok(("org.label".into(), "url".into()))
        );
        assert!(parse_label("nolabel").is_err());
        assert!(parse_label("a:colour").unwrap_err().contains("colour"));
        assert!(parse_label(":url").is_err());
    }

    fn yaml(s: &str) -> LintConfigFile {
        config_from_yaml(s, ".hadolint.yaml").unwrap()
    }

    #[test]
    fn yaml_reads_every_key() {
        let c = yaml(
            "ignored: [DL3008, SC2086]\ntrustedRegistries:\n  - docker.io\noverride:\n  error: [DL3006]\n  style: [DL3059]\nfailure-threshold: warning\nlabel-schema:\n  maintainer: text\n  url: url\nstrict-labels: true\ndisable-ignore-pragma: true\nno-fail: true\nno-color: true\nformat: json\nverbose: false\n",
        );
        assert_eq!(c.ignored, vec!["DL3008", "SC2086"]);
        assert_eq!(c.trusted_registries, vec!["docker.io"]);
        assert_eq!(c.overrides.error, vec!["DL3006"]);
        assert_eq!(c.overrides.style, vec!["DL3059"]);
        assert_eq!(c.failure_threshold, Some(Severity::Warning));
        assert_eq!(c.label_schema.get("url"), Some(&LabelType::Url));
        assert_eq!(c.strict_labels, Some(true));
        assert_eq!(c.disable_ignore_pragma, Some(true));
        assert_eq!(c.no_fail, Some(true));
        assert_eq!(c.no_color, Some(true));
        assert_eq!(c.format, Some(OutputFormat::Json));
    }

    #[test]
    fn yaml_alias_and_empty_file() {
        assert_eq!(
            yaml("trusted-registries: [a.io]\n").trusted_registries,
            vec!["a.io"]
        );
        assert_eq!(yaml(""), LintConfigFile::default());
        assert_eq!(yaml("# nothing\n"), LintConfigFile::default());
        assert_eq!(
            yaml("failure-threshold: none\n").failure_threshold,
            Some(Severity::Ignore)
        );
    }

    #[test]
    fn yaml_unknown_key_names_file_line_and_key() {
        let e = config_from_yaml("ignored: [DL3008]\nignore: [DL3009]\n", "x/.hadolint.yaml")
            .unwrap_err();
        assert!(e.0.starts_with("x/.hadolint.yaml:2:1: "), "{e}");
        assert!(e.0.contains("unknown field `ignore`"), "{e}");
        let e = config_from_yaml("override:\n  fatal: [DL3008]\n", "h.yaml").unwrap_err();
        assert!(
            e.0.starts_with("h.yaml:2:3: ") && e.0.contains("`fatal`"),
            "{e}"
        );
    }

    #[test]
    fn yaml_bad_values_are_errors() {
        let e = config_from_yaml("failure-threshold: loud\n", "h.yaml").unwrap_err();
        assert!(e.0.starts_with("h.yaml:1:") && e.0.contains("loud"), "{e}");
        let e = config_from_yaml("label-schema:\n  a: colour\n", "h.yaml").unwrap_err();
        assert!(
            e.0.starts_with("h.yaml:2:") && e.0.contains("colour"),
            "{e}"
        );
        let e = config_from_yaml("format: xml\n", "h.yaml").unwrap_err();
        assert!(e.0.contains("xml"), "{e}");
        assert!(config_from_yaml("- a\n- b\n", "h.yaml").is_err());
    }

    #[test]
    fn yaml_shellcheck_timeout_key() {
        assert_eq!(
            yaml("shellcheck-timeout: 2.5\n").shellcheck_timeout,
            Some(std::time::Duration::from_millis(2500))
        );
        for bad in ["0", "-1", "soon"] {
            let e =
                config_from_yaml(&format!("shellcheck-timeout: {bad}\n"), "h.yaml").unwrap_err();
            assert!(e.0.starts_with("h.yaml:1:"), "{e}");
        }
    }
}
