//! The engine commands' shared input: regenerate `.devctl/compose.yaml` from
//! devctl.toml (as every command does), then plan from the compose text.
//! The engine reads only the compose document and the project name, never
//! the rest of the devctl.toml model.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::cli::Global;
use crate::commands::config::{render, write_compose, write_compose_if_possible, Host, Rendered};
use crate::engine::plan::{self, Inputs, Plan};
use crate::error::usage;

pub struct Loaded {
    pub plan: Plan,
    /// The project directory (holding devctl.toml).
    pub dir: PathBuf,
    pub compose_path: PathBuf,
    /// The `[app]` section's server, as `start` reports it (None: no `[app]`).
    pub app_server: Option<AppServer>,
    /// The app's uid and gid (the `APP_UID`/`APP_GID` devctl passes).
    pub app_ids: (u32, u32),
    /// The project directory, when the app (which mounts it) cannot write it.
    pub unwritable: Option<crate::session::ownership::Unwritable>,
    /// `.devctl/compose.yaml` was written (or already held this document).
    pub written: bool,
}

/// Whether the app container runs its server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppServer {
    On,
    /// AUTO_START_SERVER is off: the app idles.
    Off,
    /// AUTO_START_SERVER is on but `[app]` has no `server`.
    Missing,
    /// `[app].command` replaces devctl's script: the app runs that.
    Own,
}

/// devctl.toml → compose file (written when it changed; with `must_write`
/// false a read-only project directory gets a note instead) → plan.
pub fn load_from(
    global: &Global,
    project: &crate::project::Project,
    host: &Host,
    show_warnings: bool,
    must_write: bool,
) -> Result<Loaded> {
    let rendered = render(project, host)?;
    let path = project.paths.compose();
    // Planned before anything is written: what the plan rejects leaves the
    // generated files as they were.
    let mut plan = plan_rendered(project, &rendered)?;
    if must_write {
        write_compose(project, &rendered)?;
    } else {
        write_compose_if_possible(project, &rendered, global.quiet);
    }
    if show_warnings && !global.quiet {
        for w in &rendered.warnings {
            crate::errln!("warning: {w}");
        }
    }
    // The env file devctl read: in the document as the app's `env_file`
    // when there is an app, but a project of services alone reads it too.
    for f in &project.paths.env_files {
        plan.add_private(f);
    }
    let app_server =
        project
            .config
            .app
            .as_ref()
            .map(|a| match (project.auto_start.on, a.server.is_some()) {
                _ if a.command.is_some() => AppServer::Own,
                (true, true) => AppServer::On,
                (true, false) => AppServer::Missing,
                (false, _) => AppServer::Off,
            });
    let app_ids = (
        crate::project::generate::app_id(host.uid),
        crate::project::generate::app_id(host.gid),
    );
    let unwritable = app_server
        .is_some()
        .then(|| crate::session::ownership::tree_check(&project.paths.dir, app_ids.0, app_ids.1))
        .flatten();
    Ok(Loaded {
        plan,
        dir: project.paths.dir.clone(),
        compose_path: path,
        app_server,
        app_ids,
        unwritable,
        written: must_write,
    })
}

/// Plans the rendered document (env files read from disk, `${}` defaults
/// from the process environment; the `.env` beside the compose file is the
/// one about to be written). An error the plan finds in a service is told
/// at its devctl.toml line ([`crate::project::validate`]): every command
/// that renders the project, `config --check` first, fails the same way.
pub fn plan_rendered(project: &crate::project::Project, rendered: &Rendered) -> Result<Plan> {
    let compose_path = project.paths.compose();
    let file = compose_path.display().to_string();
    let doc = plan::parse(&rendered.text, &file).map_err(usage)?;
    let beside = compose_path.with_file_name(".env");
    // A broken or non-text env file is named (with its line and column).
    let read = |p: &Path| {
        if p == beside {
            Ok(rendered.env.clone())
        } else {
            crate::fsutil::read_to_string_explained(p)
        }
    };
    let env = |k: &str| std::env::var(k).ok();
    let app = project.config.app_name();
    let mut plan = plan::plan(
        &doc,
        &compose_path,
        &Inputs {
            project: &project.name,
            read_file: &read,
            env: &env,
        },
    )
    .map_err(
        |e| match crate::project::validate::split_plan_error(&file, &e) {
            Some((key, msg)) => {
                // Found in devctl.toml or devctl.local.toml, whichever
                // gives the key (the local file wins, as in the merge).
                let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
                let shown = project.paths.shown(&project.paths.config);
                let local_shown = project.paths.shown(&project.paths.local_config);
                let main = read(&project.paths.config);
                let local = project
                    .local_in_use
                    .then(|| read(&project.paths.local_config));
                let sources = crate::project::load::Sources::new(
                    &shown,
                    &main,
                    local.as_deref().map(|t| (local_shown.as_str(), t)),
                );
                let e = crate::project::validate::locate(
                    &shown,
                    &sources.text,
                    app.unwrap_or(""),
                    key,
                    msg,
                );
                anyhow::Error::new(sources.blame(e))
            }
            None => usage(e),
        },
    )?;
    plan.set_app(app);
    Ok(plan)
}

/// Holds an exclusive lock on `<project>/.devctl/engine.lock` and on the
/// project directory itself so that two `start`s (or a `start` and a
/// `down`) of one project run one after the other (released on exit, also
/// on kill -9). Where `.devctl/engine.lock` cannot be created or opened for
/// writing (a read-only project directory), the lock needs no write: the
/// existing lock file opened read-only (the same lock the writers take),
/// else the project directory (which every writer locks too), with a note.
pub struct ProjectLock {
    _files: Vec<std::fs::File>,
}

impl ProjectLock {
    pub fn acquire(dir: &Path) -> Result<ProjectLock> {
        let d = dir.join(".devctl");
        let path = d.join("engine.lock");
        let primary = std::fs::create_dir_all(&d).and_then(|()| {
            std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
        });
        let mut files = Vec::new();
        match primary {
            Ok(file) => {
                lock(&file, &path)?;
                files.push(file);
            }
            Err(e) => {
                let (file, what) = match std::fs::File::open(&path) {
                    Ok(f) => (f, path.clone()),
                    Err(_) => (
                        std::fs::File::open(dir)
                            .with_context(|| format!("opening {} to lock it", dir.display()))?,
                        dir.to_path_buf(),
                    ),
                };
                crate::errln!(
                    "note: cannot create {} ({e}): locking {} read-only instead",
                    crate::session::shown(&path),
                    crate::session::shown(&what),
                );
                lock(&file, &what)?;
                files.push(file);
                return Ok(ProjectLock { _files: files });
            }
        }
        // Writers also hold the directory, which is what a reader on a
        // read-only view locks when there is no lock file yet.
        let dirf =
            std::fs::File::open(dir).with_context(|| format!("opening {}", dir.display()))?;
        lock(&dirf, dir)?;
        files.push(dirf);
        Ok(ProjectLock { _files: files })
    }
}

/// flock(LOCK_EX) on `file` (any open mode), saying when it waits.
/// (std's `File::lock` needs Rust 1.89; the workspace builds with 1.80.)
fn lock(file: &std::fs::File, what: &Path) -> Result<()> {
    use rustix::fs::{flock, FlockOperation};
    if flock(file, FlockOperation::NonBlockingLockExclusive).is_err() {
        crate::errln!("waiting for another devctl working on this project…");
        flock(file, FlockOperation::LockExclusive)
            .map_err(std::io::Error::from)
            .with_context(|| format!("locking {}", what.display()))?;
    }
    Ok(())
}

/// Whether stderr is a terminal (progress bars) .
pub fn stderr_is_tty() -> bool {
    crate::out::stderr_is_terminal()
}
