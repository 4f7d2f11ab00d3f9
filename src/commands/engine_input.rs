//! The engine commands' shared input: regenerate `.devctl/compose.yaml` from
//! devctl.toml (as every command does), then plan from the compose text.
//! The engine reads only the compose document and the project name, never
//! the rest of the devctl.toml model.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::cli::Global;
use crate::commands::config::{load_project, render, write_compose, Host};
use crate::engine::plan::{self, Inputs, Plan};
use crate::error::usage;

pub struct Loaded {
    pub plan: Plan,
    /// The project directory (holding devctl.toml).
    pub dir: PathBuf,
    pub compose_path: PathBuf,
}

/// devctl.toml → compose file (written when it changed) → plan.
pub fn load(global: &Global, show_warnings: bool) -> Result<Loaded> {
    let project = load_project(global)?;
    let rendered = render(&project, &Host::current())?;
    let path = project.paths.compose();
    write_compose(&project, &rendered)?;
    if show_warnings && !global.quiet {
        for w in &rendered.warnings {
            crate::errln!("warning: {w}");
        }
    }
    let plan = plan_from_text(&rendered.text, &path, &project.name)?;
    Ok(Loaded {
        plan,
        dir: project.paths.dir.clone(),
        compose_path: path,
    })
}

/// Plans from a compose document's text (env files read from disk, `${}`
/// defaults from the process environment). `project` is the compose project
/// name (the model's; the file has no `name:`, it is in `.devctl/.env`).
pub fn plan_from_text(text: &str, compose_path: &Path, project: &str) -> Result<Plan> {
    let file = compose_path.display().to_string();
    let doc = plan::parse(text, &file).map_err(usage)?;
    let read = |p: &Path| std::fs::read_to_string(p);
    let env = |k: &str| std::env::var(k).ok();
    plan::plan(
        &doc,
        compose_path,
        &Inputs {
            project,
            read_file: &read,
            env: &env,
        },
    )
    .map_err(usage)
}

/// Holds an exclusive lock on `<project>/.devctl/engine.lock` so that two
/// `start`s of one project run one after the other (released on exit, also
/// on kill -9).
pub struct ProjectLock {
    _file: std::fs::File,
}

impl ProjectLock {
    pub fn acquire(dir: &Path) -> Result<ProjectLock> {
        use std::os::fd::AsRawFd;
        let d = dir.join(".devctl");
        std::fs::create_dir_all(&d).with_context(|| format!("creating {}", d.display()))?;
        let path = d.join("engine.lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("opening {}", path.display()))?;
        // SAFETY: flock on a valid open fd.
        let fd = file.as_raw_fd();
        if unsafe { libc::flock(fd, libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            crate::errln!("waiting for another devctl working on this project…");
            if unsafe { libc::flock(fd, libc::LOCK_EX) } != 0 {
                return Err(std::io::Error::last_os_error())
                    .with_context(|| format!("locking {}", path.display()));
            }
        }
        Ok(ProjectLock { _file: file })
    }
}

/// Whether stderr is a terminal (progress bars) .
pub fn stderr_is_tty() -> bool {
    crate::out::stderr_is_terminal()
}

/// Loads the project (devctl.toml → compose → plan) on this thread while
/// the engine connection (and API negotiation) proceeds on the runtime: the
/// two are independent and both sit on `sh`'s and `start`'s critical path.
/// A configuration error wins over an unreachable engine.
/// Like [`load_and_connect`] without the version round trip (see
/// [`crate::engine::client`]): the caller maps its first request's error
/// with [`crate::engine::unreachable_if_lost`].
pub fn load_and_client(
    global: &Global,
) -> Result<(Loaded, crate::engine::Engine, tokio::runtime::Runtime)> {
    let rt = crate::engine::runtime()?;
    let eng = crate::engine::client()?;
    let loaded = load(global, false)?;
    Ok((loaded, eng, rt))
}

pub fn load_and_connect(
    global: &Global,
    show_warnings: bool,
) -> Result<(Loaded, crate::engine::Engine, tokio::runtime::Runtime)> {
    let rt = crate::engine::runtime()?;
    let (loaded, eng) = std::thread::scope(|s| {
        let conn = s.spawn(|| rt.block_on(crate::engine::connect()));
        let loaded = load(global, show_warnings);
        let eng = conn
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("the engine connection thread panicked")));
        (loaded, eng)
    });
    let loaded = loaded?;
    Ok((loaded, eng?, rt))
}
