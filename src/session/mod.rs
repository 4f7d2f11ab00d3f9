//! One command's session: what it knows about where it runs and what it
//! has loaded, each made once and on first use.
//!
//! - the global flags and the host facts read from this process (the
//!   current directory, the engine address and timeout);
//! - the project (devctl.toml + the env file, [`Session::project`]);
//! - the engine input (the compose document rendered, written and planned,
//!   [`Session::engine_input`]);
//! - the tokio runtime and the engine client ([`Session::runtime`],
//!   [`Session::engine`]).
//!
//! Commands, doctor and run-dev take a `&Session` instead of loading again:
//! run-dev used to read devctl.toml three times and connect twice. The
//! library crates never read the process environment; what they need from
//! it comes from here.

pub mod ownership;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::Result;

use crate::cli::Global;
use crate::commands::config::Rendered;
use crate::commands::engine_input::{self, Loaded};
use crate::engine::plan::Plan;
use crate::engine::Engine;
use crate::error::usage;
use crate::project::{Paths, Project};

/// How the engine input is made: by the commands that change the
/// project's containers (`start`, `build`, run-dev), which print the
/// warnings and need `.devctl/compose.yaml` written, or by those that only
/// read or remove engine state (`ps`, `logs`, `sh`, `stop`, `down`, tasks),
/// which work in a read-only project directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    Write { show_warnings: bool },
    ReadOnly,
}

pub struct Session<'g> {
    pub global: &'g Global,
    /// How to reach the engine (`DOCKER_HOST`, `DEVCTL_ENGINE_TIMEOUT`).
    pub engine_config: devctl_engine::Config,
    paths: OnceLock<Paths>,
    project: OnceLock<Project>,
    host: OnceLock<Host>,
    rendered: OnceLock<(Rendered, Plan)>,
    input: OnceLock<Loaded>,
    runtime: OnceLock<tokio::runtime::Runtime>,
    engine: OnceLock<Engine>,
}

impl<'g> Session<'g> {
    pub fn new(global: &'g Global) -> Session<'g> {
        Session {
            global,
            engine_config: engine_config(global),
            paths: OnceLock::new(),
            project: OnceLock::new(),
            host: OnceLock::new(),
            rendered: OnceLock::new(),
            input: OnceLock::new(),
            runtime: OnceLock::new(),
            engine: OnceLock::new(),
        }
    }

    /// Where the project is (`-C`, or the nearest ancestor holding
    /// devctl.toml), found once.
    pub fn paths(&self) -> Result<&Paths> {
        if let Some(p) = self.paths.get() {
            return Ok(p);
        }
        let cwd = std::env::current_dir()
            .map_err(|e| usage(format!("cannot read the current directory: {e}")))?;
        let p = crate::project::discover(
            &cwd,
            self.global.project_dir.as_deref(),
            &self.global.env_file,
        )?;
        Ok(self.paths.get_or_init(|| p))
    }

    /// The project named by the global flags, read once.
    pub fn project(&self) -> Result<&Project> {
        if let Some(p) = self.project.get() {
            return Ok(p);
        }
        let host = self.host()?;
        let mut env = host_env();
        env.app_ids = (host.uid, host.gid);
        let p = crate::project::open(self.paths()?.clone(), &env)?;
        Ok(self.project.get_or_init(|| p))
    }

    /// The host side of the project: the app's uid/gid and HOME.
    pub fn host(&self) -> Result<&Host> {
        if let Some(h) = self.host.get() {
            return Ok(h);
        }
        let h = Host::for_project(&self.paths()?.dir);
        Ok(self.host.get_or_init(|| h))
    }

    /// The compose document rendered from the project, and its plan,
    /// without writing anything (doctor).
    pub fn rendered(&self) -> Result<(&Rendered, &Plan)> {
        if let Some((r, p)) = self.rendered.get() {
            return Ok((r, p));
        }
        let project = self.project()?;
        let r = crate::commands::config::render(project, self.host()?)?;
        let plan = engine_input::plan_rendered(project, &r)?;
        let (r, p) = self.rendered.get_or_init(|| (r, plan));
        Ok((r, p))
    }

    /// devctl.toml → compose file → plan, made once: the first caller's
    /// [`Input`] decides whether the compose file must be written (a later
    /// `Write` after a `ReadOnly` makes it again).
    pub fn engine_input(&self, how: Input) -> Result<&Loaded> {
        let cached = self.input.get();
        if let Some(l) = cached {
            if how == Input::ReadOnly || l.written {
                return Ok(l);
            }
        }
        let project = self.project()?;
        let loaded = match how {
            Input::Write { show_warnings } => {
                engine_input::load_from(self.global, project, self.host()?, show_warnings, true)?
            }
            Input::ReadOnly => {
                engine_input::load_from(self.global, project, self.host()?, false, false)?
            }
        };
        // A reader made it first and a writer asks now: the file is
        // written above; the plan is the same.
        Ok(match cached {
            Some(l) => l,
            None => self.input.get_or_init(|| loaded),
        })
    }

    /// The command's tokio runtime (current-thread), made once.
    pub fn runtime(&self) -> Result<&tokio::runtime::Runtime> {
        if let Some(rt) = self.runtime.get() {
            return Ok(rt);
        }
        let rt = crate::engine::runtime()?;
        Ok(self.runtime.get_or_init(|| rt))
    }

    /// The engine, connected (API version negotiated) on first use. Not to
    /// be called from inside the runtime: call it before `block_on`.
    pub fn engine(&self) -> Result<&Engine> {
        if let Some(e) = self.engine.get() {
            return Ok(e);
        }
        let rt = self.runtime()?;
        let eng = rt.block_on(crate::engine::connect(&self.engine_config))?;
        Ok(self.engine.get_or_init(|| eng))
    }

    /// The engine client without the version round trip (for `sh` and
    /// tasks, whose latency matters): its first request's error goes
    /// through [`crate::engine::unreachable_if_lost`].
    pub fn client(&self) -> Result<&Engine> {
        if let Some(e) = self.engine.get() {
            return Ok(e);
        }
        let eng = crate::engine::client(&self.engine_config)?;
        Ok(self.engine.get_or_init(|| eng))
    }

    /// The engine input and the engine connection, made side by side (the
    /// two are independent and both sit on `start`'s critical path). A
    /// configuration error wins over an unreachable engine.
    pub fn input_and_engine(&self, how: Input) -> Result<(&Loaded, &Engine)> {
        self.runtime()?;
        let (loaded, eng) = std::thread::scope(|s| {
            let conn = s.spawn(|| self.engine().map(|_| ()));
            let loaded = self.engine_input(how).map(|_| ());
            let eng = conn
                .join()
                .unwrap_or_else(|_| Err(anyhow::anyhow!("the engine connection thread panicked")));
            (loaded, eng)
        });
        loaded?;
        eng?;
        Ok((self.engine_input(how)?, self.engine()?))
    }
}

impl Session<'_> {
    /// The active compose profiles: `--profile` (repeatable) when given,
    /// else `COMPOSE_PROFILES` (comma-separated), as compose v2 reads them.
    pub fn profiles(&self) -> Vec<String> {
        active_profiles(
            &self.global.profile,
            std::env::var("COMPOSE_PROFILES").ok().as_deref(),
        )
    }
}

/// `--profile` values win over `COMPOSE_PROFILES` (compose's
/// `WithDefaultProfiles`); empty entries are dropped.
pub fn active_profiles(flags: &[String], env: Option<&str>) -> Vec<String> {
    let list: Vec<String> = if flags.is_empty() {
        env.unwrap_or("").split(',').map(str::to_string).collect()
    } else {
        flags.to_vec()
    };
    list.into_iter()
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

/// A process environment variable (`devctl run -e KEY` takes its value
/// from here, as compose does).
pub fn env_var(key: &str) -> Option<String> {
    std::env::var(key).ok()
}

/// Host facts for the generator: uid/gid and home.
#[derive(Debug, Clone)]
pub struct Host {
    pub uid: u32,
    pub gid: u32,
    pub home: String,
}

impl Host {
    /// The host side of a project: the app's uid/gid (see
    /// [`crate::session::ownership::pick_ids`]) and HOME.
    pub fn for_project(dir: &std::path::Path) -> Host {
        let (uid, gid) = crate::session::ownership::app_ids_for(dir);
        Host {
            uid,
            gid,
            home: home(),
        }
    }
}

/// How to reach the engine: `DOCKER_HOST`, the Docker context (`--context`,
/// `DOCKER_CONTEXT`, the docker CLI's current context; see
/// [`devctl_engine::context`]) and `DEVCTL_ENGINE_TIMEOUT` as set for this
/// process.
pub fn engine_config(global: &Global) -> devctl_engine::Config {
    use devctl_engine::context;
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let docker_host = var("DOCKER_HOST");
    let config_dir = docker_config_dir();
    let read = |p: &Path| std::fs::read_to_string(p).ok();
    let inputs = context::Inputs {
        flag: global.context.clone(),
        docker_host: docker_host.clone(),
        docker_context: var("DOCKER_CONTEXT"),
        current: read(&config_dir.join("config.json"))
            .as_deref()
            .and_then(context::current_context),
    };
    let chosen = context::name(&inputs);
    let (mut host, mut context_error) = (docker_host, None);
    if let Some(c) = &chosen {
        let meta_root = config_dir.join("contexts").join("meta");
        let meta_path = meta_root.join(context::meta_dir(&c.0)).join("meta.json");
        let known: Vec<String> = std::fs::read_dir(&meta_root)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|d| read(&d.path().join("meta.json")))
            .filter_map(|t| context::parse_meta(&t).ok().map(|(n, _)| n))
            .collect();
        match context::resolve(
            Some(c),
            read(&meta_path).as_deref(),
            &shown(&meta_path),
            &known,
        ) {
            Ok(h) => host = h,
            Err(e) => context_error = Some(e),
        }
    }
    devctl_engine::Config {
        docker_host: host,
        timeout: std::env::var(devctl_engine::TIMEOUT_ENV).ok(),
        context: chosen.map(|(n, _)| n),
        context_error,
        api_cache: var("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| var("HOME").map(|h| PathBuf::from(h).join(".cache")))
            .map(|d| d.join("devctl").join("engine-api")),
    }
}

/// The docker CLI's config directory: `$DOCKER_CONFIG` (when set and not
/// empty), else `~/.docker`.
pub fn docker_config_dir() -> PathBuf {
    devctl_engine::registry::config_dir(std::env::var("DOCKER_CONFIG").ok().as_deref(), &home())
}

/// The registry logins of the docker CLI's config (`config.json` in
/// [`docker_config_dir`]), for `push` and `pull`.
pub fn docker_config() -> Result<devctl_engine::registry::DockerConfig> {
    let dir = docker_config_dir();
    devctl_engine::registry::DockerConfig::load(&dir, &shown(&dir))
}

/// What the project layer takes from the process: its environment (for
/// `${VAR}` in devctl.toml and values the env file leaves out) and HOME.
pub fn host_env() -> crate::project::HostEnv {
    crate::project::HostEnv {
        vars: process_env(),
        home: home(),
        app_ids: (0, 0),
    }
}

/// The current directory, canonical (`/` when it cannot be read).
pub fn current_dir() -> PathBuf {
    let c = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
    c.canonicalize().unwrap_or(c)
}

/// The user's home (`/` when unset).
pub fn home() -> String {
    std::env::var("HOME").unwrap_or_else(|_| "/".to_string())
}

/// The process environment (variables that are not valid UTF-8 are left
/// out).
pub fn process_env() -> Vec<(String, String)> {
    std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect()
}

/// A path as shown in messages: relative to the current directory when it
/// is below it, else as it is.
pub fn shown(p: &Path) -> String {
    devctl_text::display_path(p, &current_dir())
}

/// The environment a TTY exec gets from here: the terminal's `TERM`
/// (`xterm` when unset); nothing without a TTY.
pub fn tty_env(tty: bool) -> Vec<String> {
    if tty {
        vec![format!(
            "TERM={}",
            std::env::var("TERM").unwrap_or_else(|_| "xterm".into())
        )]
    } else {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_flags_win_over_compose_profiles() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(active_profiles(&[], Some("a, b,,")), s(&["a", "b"]));
        assert_eq!(active_profiles(&s(&["x"]), Some("a,b")), s(&["x"]));
        assert!(active_profiles(&[], None).is_empty());
        assert!(active_profiles(&[], Some("")).is_empty());
    }
}
