//! `devctl config [--check] [--show-secrets]`: load devctl.toml and .env,
//! generate the compose file, write it to `.devctl/compose.yaml` (only when
//! everything succeeded) with `.devctl/.env` next to it (the project name,
//! `COMPOSE_PROJECT_NAME`), and print it with secret-looking values masked.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use crate::compose::ComposeFile;
use crate::error::usage;
use crate::fsutil::write_all_atomic;
use crate::project::generate::{self, Input, HEADER};
use crate::project::Project;
use crate::{errln, outln};

/// The generated compose file: its document, its text, the text of the
/// `.env` beside it, and the warnings.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub doc: ComposeFile,
    pub text: String,
    /// The comment lines the file starts with ([`header`]).
    pub header: String,
    /// `.devctl/.env`: `COMPOSE_PROJECT_NAME=<project>` (the compose file
    /// has no `name:`, which docker-compose 1.29 rejects).
    pub env: String,
    pub warnings: Vec<String>,
}

pub use crate::session::Host;

/// Model → compose text (pure apart from nothing: `host` is passed in).
pub fn render(p: &Project, host: &Host) -> anyhow::Result<Rendered> {
    let dir = p.paths.dir.to_string_lossy().into_owned();
    let env_files: Vec<String> = p
        .env_files_read
        .iter()
        .map(|f| f.to_string_lossy().into_owned())
        .collect();
    let mut warnings = p.warnings.clone();
    if p.auto_start.on
        && p.config
            .app
            .as_ref()
            .is_some_and(|a| a.server.is_none() && a.command.is_none())
    {
        warnings.push(
            "AUTO_START_SERVER is on but [app] has no `server` command: the app container idles"
                .to_string(),
        );
    }
    let generated = generate::generate(&Input {
        config: &p.config,
        project: &p.name,
        project_dir: &dir,
        home: &host.home,
        env_files: &env_files,
        auto_start: p.auto_start.on,
        host_uid: host.uid,
        host_gid: host.gid,
    });
    warnings.extend(generated.warnings);
    register_secrets(&generated.doc);
    // What secrets and configs read from the environment goes to
    // `.devctl/.env`, where compose reads it too.
    let mut vars = Vec::new();
    let env_names = p
        .paths
        .env_files
        .iter()
        .map(|f| p.paths.shown(f))
        .collect::<Vec<_>>()
        .join(", ");
    for var in generate::environment_sources(&generated.doc) {
        match p.env.vars.get(&var) {
            Some(v) => {
                crate::out::add_secrets([v.clone()]);
                vars.push((var, v.clone()));
            }
            None => {
                return Err(usage(format!(
                    "{}: a secret or config reads the variable {var}, which is set neither in {} nor in the environment: add `{var}=…` to {}",
                    p.paths.shown(&p.paths.config),
                    env_names,
                    env_names
                )))
            }
        }
    }
    let header = header(p);
    let text = to_text(&generated.doc, &header)?;
    Ok(Rendered {
        doc: generated.doc,
        text,
        header,
        env: generate::project_env_with(&p.name, &vars),
        warnings,
    })
}

/// Tells the scrubber ([`crate::out`]) the values the generated document
/// must not print: its own (secret-looking environment and build args, URL
/// passwords) and those of every service `env_file` (read here; one that
/// cannot be read is the engine's to report).
fn register_secrets(doc: &ComposeFile) {
    crate::out::add_secrets(generate::secret_values(doc));
    for f in generate::env_files(doc) {
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
pub fn masked_text(doc: &ComposeFile, header: &str) -> anyhow::Result<String> {
    let scrubber = crate::out::scrubber();
    let yaml =
        crate::yaml::to_string_mapped(&generate::masked(doc), &|s| scrubber.scrub(s).into_owned())?;
    let note = if yaml == crate::yaml::to_string(doc)? {
        ""
    } else {
        MASKED_NOTE
    };
    Ok(format!("{header}{note}{yaml}"))
}

/// The file's text: header + YAML.
pub fn to_text(doc: &ComposeFile, header: &str) -> anyhow::Result<String> {
    Ok(format!("{header}{}", crate::yaml::to_string(doc)?))
}

/// The generated file's first lines: [`HEADER`], and when
/// devctl.local.toml is in use a line saying so.
pub fn header(p: &Project) -> String {
    if p.local_in_use {
        format!("{HEADER}{LOCAL_NOTE}")
    } else {
        HEADER.to_string()
    }
}

/// The header line of a document that devctl.local.toml changed.
pub const LOCAL_NOTE: &str =
    "# with devctl.local.toml merged over devctl.toml (a local file, not committed)\n";

/// `.devctl/.env`, next to the compose file: compose reads it from the
/// compose file's directory.
pub fn env_path(p: &Project) -> PathBuf {
    p.paths.compose().with_file_name(".env")
}

/// Writes `.devctl/.env` and `.devctl/compose.yaml` (each mode 0600) so
/// that they change together or not at all ([`write_all_atomic`]: both new
/// contents are on disk before either is replaced, the `.env` is replaced
/// first, and a failure undoes what was done). A file that already has
/// exactly this content and mode is left alone (no fsync: the no-change
/// path stays fast). Errors name the path; on a read-only directory they
/// say which commands still work.
pub fn write_compose(p: &Project, rendered: &Rendered) -> anyhow::Result<()> {
    write_generated(p, rendered).map_err(|e| {
        if is_read_only(&e) {
            anyhow::anyhow!(
                "{e:#}\n(the project directory is read-only or not writable by you: only `config --check`, `ps`, `logs`, `sh`, `stop` and `down` work there)"
            )
        } else {
            e
        }
    })
}

fn write_generated(p: &Project, rendered: &Rendered) -> anyhow::Result<()> {
    let env = env_path(p);
    let compose = p.paths.compose();
    let changed: Vec<(&Path, &[u8], u32)> = [
        (env.as_path(), rendered.env.as_bytes()),
        (compose.as_path(), rendered.text.as_bytes()),
    ]
    .into_iter()
    .filter(|(path, bytes)| !unchanged(path, bytes))
    .map(|(path, bytes)| (path, bytes, 0o600))
    .collect();
    if changed.is_empty() {
        return Ok(());
    }
    if let Some(dir) = compose.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    write_all_atomic(&changed)
}

fn unchanged(path: &Path, bytes: &[u8]) -> bool {
    use std::os::unix::fs::PermissionsExt;
    matches!(
        (std::fs::symlink_metadata(path), std::fs::read(path)),
        (Ok(meta), Ok(old)) if meta.is_file() && meta.permissions().mode() & 0o777 == 0o600 && old == bytes
    )
}

/// A write failed because the directory is read-only (or not ours).
pub fn is_read_only(e: &anyhow::Error) -> bool {
    let ro = |code: Option<i32>| matches!(code, Some(c) if c == libc::EROFS || c == libc::EACCES || c == libc::EPERM);
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| ro(io.raw_os_error()))
    })
}

/// For the commands that only read (`config --check`, `ps`, `logs`, `stop`,
/// `down`): the generated files are updated when possible; when they
/// cannot be (a read-only directory, a full disk), one note says so and
/// the command goes on with the document in memory.
pub fn write_compose_if_possible(p: &Project, rendered: &Rendered, quiet: bool) {
    if let Err(e) = write_generated(p, rendered) {
        if !quiet {
            crate::errln!(
                "note: {} not updated ({e:#}): going on with devctl.toml as read",
                p.paths.shown(&p.paths.compose()),
            );
        }
    }
}

/// `--check` extras: the app's Dockerfile parses and has the target stage.
pub fn check_dockerfile(p: &Project) -> anyhow::Result<()> {
    let Some(app) = &p.config.app else {
        return check_service_targets(p);
    };
    let (shown, owned);
    let text = match &app.dockerfile_inline {
        // errors point into the inline text: its lines are numbered from 1
        Some(t) => {
            shown = format!(
                "[app].dockerfile_inline in {}",
                p.paths.shown(&p.paths.config)
            );
            t.as_str()
        }
        None => {
            let path = p.paths.dir.join(&app.context).join(&app.dockerfile);
            shown = display_rel(&p.paths.dir, &path);
            let bytes = std::fs::read(&path)
                .map_err(|e| usage(format!("{shown}: cannot read the app's Dockerfile: {e}")))?;
            owned = crate::text::decode(&bytes)
                .map_err(|bad| usage(bad.message(&shown, "a Dockerfile")))?
                .to_string();
            owned.as_str()
        }
    };
    let df = crate::dockerfile::parse(text).map_err(|e| {
        let (line, col) = (e.span.start.line, e.span.start.col);
        let src = text.lines().nth(line.saturating_sub(1)).unwrap_or("");
        let src = src.strip_prefix('\u{feff}').unwrap_or(src);
        let snippet = if line > 0 {
            crate::text::snippet(line, src, col, 1)
        } else {
            String::new()
        };
        usage(format!(
            "{shown}:{line}:{col}: {}{snippet}",
            crate::text::escape_controls(&e.message)
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
    if let Some((line, msg)) = app_user_missing(&df, app.target.as_deref(), app.user.as_str()) {
        return Err(usage(format!("{shown}:{line}: {msg}")));
    }
    check_service_targets(p)
}

/// `--check`: every `[services.*].build.target` names a stage of its
/// Dockerfile (the build would fail on it after sending the context).
fn check_service_targets(p: &Project) -> anyhow::Result<()> {
    for (name, s) in &p.config.services {
        let Some(b) = &s.build else { continue };
        let Some(target) = &b.target else { continue };
        let text = match &b.dockerfile_inline {
            Some(t) => t.clone(),
            None => {
                let path = p
                    .paths
                    .dir
                    .join(&b.context)
                    .join(b.dockerfile.as_deref().unwrap_or("Dockerfile"));
                let shown = display_rel(&p.paths.dir, &path);
                let bytes = std::fs::read(&path).map_err(|e| {
                    usage(format!(
                        "{shown}: cannot read the Dockerfile of service {name}: {e}"
                    ))
                })?;
                crate::text::decode(&bytes)
                    .map_err(|bad| usage(bad.message(&shown, "a Dockerfile")))?
                    .to_string()
            }
        };
        // A Dockerfile that does not parse is the build's to report.
        let Ok(df) = crate::dockerfile::parse(&text) else {
            continue;
        };
        let found = df.instructions.iter().any(|i| {
            i.keyword == "from"
                && matches!(i.args.as_slice(), [_, kw, n, ..] if kw.eq_ignore_ascii_case("as") && n.eq_ignore_ascii_case(target))
        });
        if !found {
            return Err(usage(format!(
                "{}: no build stage named `{target}` in the Dockerfile of service {name} ([services.{name}].build.target): add `FROM … AS {target}` or change the target",
                p.paths.shown(&p.paths.config)
            )));
        }
    }
    Ok(())
}

/// The non-root rule seen from the Dockerfile (pure): devctl runs the app
/// as `[app].user` (a name by default, `app`), never as root, so the app
/// stage must have that user. When neither the stage nor a stage it builds
/// on creates a user (`useradd`/`adduser` in a RUN) or switches to a
/// non-root USER, the image cannot have it (unless its base image does,
/// which devctl cannot see; `USER <name>` then says so): the FROM line and
/// the message with the lines to add, for Alpine/BusyBox bases with
/// `adduser`. A uid as `[app].user` needs no user in the image.
pub fn app_user_missing(
    df: &crate::dockerfile::Dockerfile,
    target: Option<&str>,
    user: &str,
) -> Option<(usize, String)> {
    use crate::compose::user::{check_spelling, create_user_hint, Spelled};
    let Ok(Spelled::Name(name)) = check_spelling(user) else {
        return None;
    };
    let insts = &df.instructions;
    let froms: Vec<usize> = (0..insts.len())
        .filter(|&i| insts[i].keyword == "from")
        .collect();
    let stage_name = |f: usize| match insts[f].args.as_slice() {
        [_, kw, n, ..] if kw.eq_ignore_ascii_case("as") => Some(n.as_str()),
        _ => None,
    };
    let app = match target {
        Some(t) => froms
            .iter()
            .position(|&f| stage_name(f).is_some_and(|n| n.eq_ignore_ascii_case(t)))?,
        None => froms.len().checked_sub(1)?,
    };
    let is_root = |u: &str| {
        let u = u.split(':').next().unwrap_or(u);
        u.is_empty() || u == "root" || u.trim_start_matches(['+', '-']).bytes().all(|b| b == b'0')
    };
    // the stage and the stages it builds on (`FROM base`), nearest first
    let mut stage = Some(app);
    let mut seen = Vec::new();
    let mut base_image = "";
    while let Some(s) = stage.filter(|s| !seen.contains(s)) {
        seen.push(s);
        let end = froms.get(s + 1).copied().unwrap_or(insts.len());
        for i in &insts[froms[s] + 1..end] {
            let creates = i.keyword == "run" && {
                let line = i.args.join(" ");
                line.contains("useradd") || line.contains("adduser")
            };
            let switches = i.keyword == "user" && i.args.first().is_some_and(|u| !is_root(u));
            if creates || switches {
                return None;
            }
        }
        base_image = insts[froms[s]].args.first().map_or("", String::as_str);
        stage = froms[..s]
            .iter()
            .rposition(|&f| stage_name(f).is_some_and(|n| n.eq_ignore_ascii_case(base_image)));
    }
    let busybox = base_image.contains("alpine") || base_image.contains("busybox");
    let what = match stage_name(froms[app]) {
        Some(n) => format!("the app stage `{n}`"),
        None => "the app stage (the last one)".to_string(),
    };
    Some((
        insts[froms[app]].start_line(),
        format!(
            "{what} has no non-root user: devctl runs the app as `{name}` ([app].user in devctl.toml), never as root, and the stage neither creates a user nor switches to one; add these lines to it (after its FROM), then `devctl build`:{}",
            create_user_hint(&name, busybox)
        ),
    ))
}

fn display_rel(dir: &Path, p: &Path) -> String {
    p.strip_prefix(dir).unwrap_or(p).display().to_string()
}

pub fn run(
    session: &crate::session::Session,
    check: bool,
    show_secrets: bool,
) -> anyhow::Result<ExitCode> {
    let global = session.global;
    let project = session.project()?;
    // Rendered and planned: what `start` would reject stops `config` too,
    // before anything is written.
    let (rendered, _) = session.rendered()?;
    if check {
        check_dockerfile(project)?;
        write_compose_if_possible(project, rendered, global.quiet);
    } else {
        write_compose(project, rendered)?;
    }
    if !global.quiet {
        for w in &rendered.warnings {
            errln!("warning: {w}");
        }
        if global.verbose > 0 {
            errln!(
                "wrote {} and {} (COMPOSE_PROJECT_NAME={}: docker compose -f {} finds the project)",
                project.paths.compose().display(),
                env_path(project).display(),
                project.name,
                project.paths.compose().display(),
            );
        }
    }
    if check {
        if !global.quiet {
            let n = rendered.doc.services.0.len();
            let local = if project.local_in_use {
                format!(" + {}", crate::project::load::LOCAL_FILE)
            } else {
                String::new()
            };
            outln!(
                "{}{local}: ok ({n} service{})",
                project.paths.config.display(),
                if n == 1 { "" } else { "s" }
            )?;
        }
    } else if global.quiet {
        // `-q`, as `docker compose config -q`: validated and written, not printed
    } else if show_secrets {
        // asked for: the real values, unscrubbed
        crate::out::print_unscrubbed(&rendered.text)?;
    } else {
        crate::out::print(&masked_text(&rendered.doc, &rendered.header)?)?;
    }
    Ok(ExitCode::SUCCESS)
}
