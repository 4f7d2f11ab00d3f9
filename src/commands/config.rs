//! `devctl config [--check] [--show-secrets]`: load devctl.toml and .env,
//! generate the compose file, write it to `.devctl/compose.yaml` (only when
//! everything succeeded) with `.devctl/.env` next to it (the project name,
//! `COMPOSE_PROJECT_NAME`), and print it with secret-looking values masked.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::cli::Global;
use crate::error::usage;
use crate::fsutil::write_atomic;
use crate::gen::compose::{self, ComposeFile, Input, HEADER};
use crate::project::{self, Project};
use crate::{errln, outln};

/// The generated compose file: its document, its text, the text of the
/// `.env` beside it, and the warnings.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub doc: ComposeFile,
    pub text: String,
    /// `.devctl/.env`: `COMPOSE_PROJECT_NAME=<project>` (the compose file
    /// has no `name:`, which docker-compose 1.29 rejects).
    pub env: String,
    pub warnings: Vec<String>,
}

/// Host facts for the generator: uid/gid and home.
#[derive(Debug, Clone)]
pub struct Host {
    pub uid: u32,
    pub gid: u32,
    pub home: String,
}

impl Host {
    pub fn current() -> Host {
        // SAFETY: getuid/getgid cannot fail and have no preconditions.
        let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
        Host {
            uid,
            gid,
            home: std::env::var("HOME").unwrap_or_else(|_| "/".to_string()),
        }
    }
}

/// Model → compose text (pure apart from nothing: `host` is passed in).
pub fn render(p: &Project, host: &Host) -> anyhow::Result<Rendered> {
    let dir = p.paths.dir.to_string_lossy().into_owned();
    let env_file = p.paths.env_file.to_string_lossy().into_owned();
    let mut warnings = p.warnings.clone();
    if p.auto_start.on && p.config.app.as_ref().is_some_and(|a| a.server.is_none()) {
        warnings.push(
            "AUTO_START_SERVER is on but [app] has no `server` command: the app container idles"
                .to_string(),
        );
    }
    let generated = compose::generate(&Input {
        config: &p.config,
        project: &p.name,
        project_dir: &dir,
        home: &host.home,
        env_file: p.env_file_exists.then_some(env_file.as_str()),
        auto_start: p.auto_start.on,
        host_uid: host.uid,
        host_gid: host.gid,
    });
    warnings.extend(generated.warnings);
    register_secrets(&generated.doc);
    let text = to_text(&generated.doc)?;
    Ok(Rendered {
        doc: generated.doc,
        text,
        env: compose::project_env(&p.name),
        warnings,
    })
}

/// Tells the scrubber ([`crate::out`]) the values the generated document
/// must not print: its own (secret-looking environment and build args, URL
/// passwords) and those of every service `env_file` (read here; one that
/// cannot be read is the engine's to report).
fn register_secrets(doc: &ComposeFile) {
    crate::out::add_secrets(doc.secret_values());
    for f in doc.env_files() {
        if let Ok(text) = std::fs::read_to_string(&f) {
            let pairs = crate::project::env::parse_dotenv(&text).unwrap_or_else(|_| {
                // one that does not parse: its lines as they are
                text.lines()
                    .filter_map(|l| l.split_once('='))
                    .map(|(k, v)| {
                        let k = k.trim().trim_start_matches("export ").trim();
                        (
                            k.to_string(),
                            v.trim().trim_matches(['"', '\'']).to_string(),
                        )
                    })
                    .collect()
            });
            crate::out::add_secrets(crate::project::env::file_secret_values(
                pairs.iter().map(|(k, v)| (k, v)),
            ));
        }
    }
}

/// The first line of masked `config` output: how to see the real values.
pub const MASKED_NOTE: &str =
    "# secret values are shown as \"********\": `devctl config --show-secrets` prints them\n";

/// The printed document: secret-looking keys' values masked, and every
/// string of the document scrubbed as a whole scalar (so the text is
/// still valid YAML: the mask is a quoted string), under a note saying how
/// to see the real values when anything was masked.
pub fn masked_text(doc: &ComposeFile) -> anyhow::Result<String> {
    let scrubber = crate::out::scrubber();
    let yaml = crate::yaml::to_string_mapped(&doc.masked(), &|s| scrubber.scrub(s).into_owned())?;
    let note = if yaml == crate::yaml::to_string(doc)? {
        ""
    } else {
        MASKED_NOTE
    };
    Ok(format!("{HEADER}{note}{yaml}"))
}

/// The file's text: header + YAML.
pub fn to_text(doc: &ComposeFile) -> anyhow::Result<String> {
    Ok(format!("{HEADER}{}", crate::yaml::to_string(doc)?))
}

/// Loads the project named by the global flags.
pub fn load_project(global: &Global) -> anyhow::Result<Project> {
    let cwd = std::env::current_dir()
        .map_err(|e| usage(format!("cannot read the current directory: {e}")))?;
    let paths = project::discover(
        &cwd,
        global.project_dir.as_deref(),
        global.env_file.as_deref(),
    )?;
    project::open(paths)
}

/// `.devctl/.env`, next to the compose file: compose reads it from the
/// compose file's directory.
pub fn env_path(p: &Project) -> PathBuf {
    p.paths.compose().with_file_name(".env")
}

/// Writes `.devctl/.env` and then `.devctl/compose.yaml` (each mode 0600,
/// atomically; the `.env` first, so that a compose file never sits there
/// without its project name). A file that already has exactly this content
/// and mode is left alone (no fsync: the no-change path stays fast).
pub fn write_compose(p: &Project, rendered: &Rendered) -> anyhow::Result<()> {
    write_if_changed(&env_path(p), rendered.env.as_bytes())?;
    write_if_changed(&p.paths.compose(), rendered.text.as_bytes())
}

fn write_if_changed(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    if let (Ok(meta), Ok(old)) = (std::fs::metadata(path), std::fs::read(path)) {
        if meta.is_file() && meta.permissions().mode() & 0o777 == 0o600 && old == bytes {
            return Ok(());
        }
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    }
    write_atomic(path, bytes, 0o600)
}

/// `--check` extras: the app's Dockerfile parses and has the target stage.
pub fn check_dockerfile(p: &Project) -> anyhow::Result<()> {
    let Some(app) = &p.config.app else {
        return Ok(());
    };
    let path = p.paths.dir.join(&app.context).join(&app.dockerfile);
    let shown = display_rel(&p.paths.dir, &path);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| usage(format!("{shown}: cannot read the app's Dockerfile: {e}")))?;
    let df = crate::dockerfile::parse(&text).map_err(|e| {
        usage(format!(
            "{shown}:{}:{}: {}",
            e.span.start.line, e.span.start.col, e.message
        ))
    })?;
    if let Some(target) = &app.target {
        let found = df.instructions.iter().any(|i| {
            i.keyword == "from"
                && matches!(i.args.as_slice(), [_, kw, name, ..] if kw.eq_ignore_ascii_case("as") && name.eq_ignore_ascii_case(target))
        });
        if !found {
            return Err(usage(format!(
                "{shown}: no build stage named `{target}` ([app].target in devctl.toml): add `FROM … AS {target}` or change the target"
            )));
        }
    }
    Ok(())
}

fn display_rel(dir: &Path, p: &Path) -> String {
    p.strip_prefix(dir).unwrap_or(p).display().to_string()
}

pub fn run(global: &Global, check: bool, show_secrets: bool) -> anyhow::Result<ExitCode> {
    let project = load_project(global)?;
    let rendered = render(&project, &Host::current())?;
    if check {
        check_dockerfile(&project)?;
    }
    write_compose(&project, &rendered)?;
    if !global.quiet {
        for w in &rendered.warnings {
            errln!("warning: {w}");
        }
        if global.verbose > 0 {
            errln!(
                "wrote {} and {} (COMPOSE_PROJECT_NAME={}: docker compose -f {} finds the project)",
                project.paths.compose().display(),
                env_path(&project).display(),
                project.name,
                project.paths.compose().display(),
            );
        }
    }
    if check {
        if !global.quiet {
            let n = rendered.doc.services.0.len();
            outln!(
                "{}: ok ({n} service{})",
                project.paths.config.display(),
                if n == 1 { "" } else { "s" }
            )?;
        }
    } else if show_secrets {
        // asked for: the real values, unscrubbed
        crate::out::print_unscrubbed(&rendered.text)?;
    } else {
        crate::out::print(&masked_text(&rendered.doc)?)?;
    }
    Ok(ExitCode::SUCCESS)
}
