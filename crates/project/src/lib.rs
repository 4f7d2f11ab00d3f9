//! The project: where it is (discovery), what devctl.toml and .env say
//! (the model), resolved into what commands need.
//!
//! `model`, `load`, `interp`, `user` and `env` are pure; this module does the
//! little IO there is (finding and reading the files).

pub mod build_args;
pub mod env;
pub mod extends;
#[cfg(test)]
mod fuzz_tests;
pub mod hostpath;
pub mod import;
pub mod interp;
pub mod load;
pub mod model;
pub mod tasks;
pub mod validate;

use std::path::{Path, PathBuf};

pub mod error;
pub mod generate;
use env::{AutoStart, Env};
pub use error::{usage, Error};
use model::{normalize_project_name, Config};

pub const CONFIG_FILE: &str = "devctl.toml";
/// The generated compose file, relative to the project dir.
pub const COMPOSE_FILE: &str = ".devctl/compose.yaml";

/// Where the project's files are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    pub dir: PathBuf,
    pub config: PathBuf,
    /// `devctl.local.toml` next to devctl.toml (read when it exists).
    pub local_config: PathBuf,
    /// The env files, in order (later ones win): `--env-file`s, or
    /// `<project>/.env`.
    pub env_files: Vec<PathBuf>,
    /// True when `--env-file` named them (then each must exist).
    pub env_explicit: bool,
    /// The current directory (canonical), which messages show paths from.
    pub cwd: PathBuf,
}

impl Paths {
    pub fn compose(&self) -> PathBuf {
        self.dir.join(COMPOSE_FILE)
    }
}

/// Finds the project: `-C DIR` (which must hold devctl.toml), else the
/// nearest ancestor of `cwd` holding devctl.toml. Each `--env-file` is
/// taken relative to `cwd`; the default is `<project>/.env`.
pub fn discover(
    cwd: &Path,
    project_dir: Option<&Path>,
    env_files: &[PathBuf],
) -> anyhow::Result<Paths> {
    let dir = match project_dir {
        Some(d) => {
            let d = cwd.join(d);
            if !d.is_dir() {
                return Err(usage(format!("-C {}: no such directory", d.display())));
            }
            if !has_config(&d)? {
                return Err(usage(format!(
                    "{} has no {CONFIG_FILE}: run `devctl init` there, or point -C at the project",
                    d.display()
                )));
            }
            d
        }
        None => {
            let mut found = None;
            for d in cwd.ancestors() {
                if has_config(d)? {
                    found = Some(d.to_path_buf());
                    break;
                }
            }
            found.ok_or_else(|| {
                usage(format!(
                    "no {CONFIG_FILE} in {} or any parent directory: run `devctl init`, or use -C DIR",
                    cwd.display()
                ))
            })?
        }
    };
    let dir = dir.canonicalize().unwrap_or(dir);
    let (env_files, env_explicit) = if env_files.is_empty() {
        (vec![dir.join(".env")], false)
    } else {
        (env_files.iter().map(|p| cwd.join(p)).collect(), true)
    };
    Ok(Paths {
        config: dir.join(CONFIG_FILE),
        local_config: dir.join(load::LOCAL_FILE),
        dir,
        env_files,
        env_explicit,
        cwd: cwd.canonicalize().unwrap_or_else(|_| cwd.to_path_buf()),
    })
}

/// Whether `dir` holds a usable devctl.toml: false when there is nothing of
/// that name; an error (exit 2) when something is there but is not a
/// readable file (a directory, a dangling symlink, a symlink loop, a FIFO,
/// unreadable), so that discovery never walks past a broken config to a
/// parent project's.
fn has_config(dir: &Path) -> anyhow::Result<bool> {
    let path = dir.join(CONFIG_FILE);
    match devctl_fsutil::entry(&path) {
        devctl_fsutil::Entry::Missing => Ok(false),
        devctl_fsutil::Entry::File => Ok(true),
        devctl_fsutil::Entry::Broken(why) | devctl_fsutil::Entry::Special(why) => Err(usage(format!(
            "{} {why}: make it a readable file or remove it (devctl does not use a {CONFIG_FILE} of a parent directory past a broken one)",
            path.display()
        ))),
    }
}

/// The compose project name: `[project].name`, or the directory's name
/// normalised as compose does.
pub fn project_name(config: &Config, dir: &Path) -> Result<String, String> {
    if let Some(n) = &config.project.name {
        return Ok(n.as_str().to_string());
    }
    let base = dir
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let n = normalize_project_name(&base);
    if n.is_empty() {
        Err(format!(
            "cannot derive a project name from the directory name {base:?}: set `name` in [project] of {CONFIG_FILE}"
        ))
    } else {
        Ok(n)
    }
}

impl Paths {
    /// A path as shown in messages: relative to the current directory when
    /// it is below it, else as it is.
    pub fn shown(&self, p: &Path) -> String {
        devctl_text::display_path(p, &self.cwd)
    }
}

/// A loaded project.
#[derive(Debug, Clone)]
pub struct Project {
    pub paths: Paths,
    pub config: Config,
    pub name: String,
    pub env: Env,
    /// The env files that exist and were read, in order (passed to the
    /// app as `env_file`).
    pub env_files_read: Vec<PathBuf>,
    /// devctl.local.toml was merged over devctl.toml.
    pub local_in_use: bool,
    pub auto_start: AutoStart,
    /// Warnings from loading (unset variables, AUTO_START_SERVER).
    pub warnings: Vec<String>,
}

/// What a project takes from the process it runs in (the caller reads it:
/// this crate reads no environment).
#[derive(Debug, Clone, Default)]
pub struct HostEnv {
    /// The process environment: wins over the env file, and fills
    /// `${VAR}` in devctl.toml.
    pub vars: Vec<(String, String)>,
    /// The user's home, for `~` in host paths.
    pub home: String,
    /// The host uid/gid devctl gives the app (before root is mapped to
    /// 1000): `${APP_UID}`/`${APP_GID}` in devctl.toml, unless the env file
    /// or the environment sets them.
    pub app_ids: (u32, u32),
}

/// Reads and checks devctl.toml and the env file. Every error is a usage
/// error (exit 2) naming the file and position.
pub fn open(paths: Paths, host: &HostEnv) -> anyhow::Result<Project> {
    let display = paths.shown(&paths.config);
    let bytes =
        std::fs::read(&paths.config).map_err(|e| usage(format!("{display}: cannot read: {e}")))?;
    let text =
        devctl_text::decode(&bytes).map_err(|bad| usage(bad.message(&display, CONFIG_FILE)))?;
    let local_display = paths.shown(&paths.local_config);
    let local_text = match devctl_fsutil::entry(&paths.local_config) {
        devctl_fsutil::Entry::Missing => None,
        devctl_fsutil::Entry::File => {
            let bytes = std::fs::read(&paths.local_config)
                .map_err(|e| usage(format!("{local_display}: cannot read: {e}")))?;
            Some(
                devctl_text::decode(&bytes)
                    .map_err(|bad| usage(bad.message(&local_display, load::LOCAL_FILE)))?
                    .to_string(),
            )
        }
        devctl_fsutil::Entry::Broken(why) | devctl_fsutil::Entry::Special(why) => {
            return Err(usage(format!(
                "{local_display} {why}: make it a readable file or remove it"
            )))
        }
    };
    let local = local_text.as_deref().map(|t| (local_display.as_str(), t));
    let mut dotenv = Vec::new();
    let mut env_files_read = Vec::new();
    for env_file in &paths.env_files {
        // later files win, as with compose's repeated --env-file
        if let Some(pairs) = read_env_file(&paths, env_file)? {
            dotenv.extend(pairs);
            env_files_read.push(env_file.clone());
        }
    }
    let mut env = Env::merge(dotenv, host.vars.clone());
    env.set_default("APP_UID", generate::app_id(host.app_ids.0).to_string());
    env.set_default("APP_GID", generate::app_id(host.app_ids.1).to_string());
    // From here on nothing devctl prints shows these values.
    devctl_out::add_secrets(env::secret_values(&env));
    devctl_out::add_secrets(env::referenced_secret_values(&env, text));
    if let Some((_, t)) = local {
        devctl_out::add_secrets(env::referenced_secret_values(&env, t));
    }
    // Errors quote devctl.toml after interpolation: never a secret's value.
    let loaded = load::load_layered(&display, text, local, &env)
        .map_err(|e| usage(devctl_out::scrub(&e.to_string())))?;
    let sources = load::Sources::new(&display, text, local);
    // The Docker-socket rule on resolved paths (symlinks, `..`, parents).
    let sockets = hostpath::Sockets::of_this_host(&|k| {
        host.vars
            .iter()
            .find(|(name, _)| name == k)
            .map(|(_, v)| v.clone())
    });
    let home = &host.home;
    let dir = paths.dir.to_string_lossy();
    let socket_warnings =
        load::check_socket_reach(&display, &sources.text, &loaded.config, &|src| {
            let abs = load::absolute_host_path(&dir, home, src);
            sockets.reach(&abs).map(|what| (abs, what))
        })
        .map_err(|e| usage(devctl_out::scrub(&sources.blame(e).to_string())))?;
    validate::check_files(
        &display,
        &sources.text,
        &loaded.config,
        &|p| load::absolute_host_path(&dir, home, p),
        &|p| std::path::Path::new(p).exists(),
    )
    .map_err(|e| usage(devctl_out::scrub(&sources.blame(e).to_string())))?;
    let name =
        project_name(&loaded.config, &paths.dir).map_err(|e| usage(format!("{display}: {e}")))?;
    let auto_start = env::auto_start_server(env.get("AUTO_START_SERVER"));
    let mut warnings = loaded.warnings;
    warnings.extend(socket_warnings);
    if let Some(w) = &auto_start.warning {
        warnings.push(w.clone());
    }
    Ok(Project {
        paths,
        config: loaded.config,
        name,
        env,
        env_files_read,
        local_in_use: local.is_some(),
        auto_start,
        warnings,
    })
}

/// One env file's pairs; `None` when the default `.env` is absent.
fn read_env_file(paths: &Paths, env_file: &Path) -> anyhow::Result<Option<Vec<(String, String)>>> {
    let env_display = paths.shown(env_file);
    let why = match devctl_fsutil::entry(env_file) {
        devctl_fsutil::Entry::Broken(why) => Some(why),
        // `--env-file <(sops -d …)`: a pipe named on purpose is read.
        devctl_fsutil::Entry::Special(why) if !paths.env_explicit => Some(why),
        _ => None,
    };
    if let Some(why) = why {
        return Err(usage(format!(
            "{env_display} {why}: the env file must be a readable file{}",
            if paths.env_explicit {
                ""
            } else {
                " (or remove it)"
            }
        )));
    }
    match std::fs::read(env_file) {
        Ok(bytes) => {
            let t = devctl_text::decode(&bytes).map_err(|mut bad| {
                // the line up to the bad byte may hold a secret's value
                bad.line_text = env::mask_env_line(&bad.line_text);
                usage(bad.message(&env_display, "an env file"))
            })?;
            let pairs = env::parse_dotenv(t).map_err(|e| {
                let mut msg = format!("{env_display}:{e}");
                if e.line > 0 && !e.source_line.is_empty() {
                    msg.push_str(&devctl_text::snippet(e.line, &e.source_line, e.col, 1));
                }
                usage(msg)
            })?;
            Ok(Some(pairs))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !paths.env_explicit => Ok(None),
        Err(e) => Err(usage(format!(
            "{env_display}: cannot read the env file: {e}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovers_nearest_ancestor() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path().canonicalize().unwrap();
        std::fs::write(root.join(CONFIG_FILE), "").unwrap();
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        let p = discover(&root.join("a/b"), None, &[]).unwrap();
        assert_eq!(p.dir, root);
        assert_eq!(p.env_files, [root.join(".env")]);
        assert!(!p.env_explicit);
        let p = discover(&root.join("a"), None, &["x.env".into(), "/y.env".into()]).unwrap();
        assert_eq!(p.env_files, [root.join("a/x.env"), PathBuf::from("/y.env")]);
        assert!(p.env_explicit);
    }

    #[test]
    fn dash_c_must_hold_devctl_toml() {
        let d = tempfile::tempdir().unwrap();
        let e = discover(d.path(), Some(Path::new(".")), &[]).unwrap_err();
        assert!(e.to_string().contains("has no devctl.toml"), "{e}");
        assert!(crate::error::is_config_error(&e));
        let e = discover(d.path(), Some(Path::new("missing")), &[]).unwrap_err();
        assert!(e.to_string().contains("no such directory"));
    }

    #[test]
    fn project_name_defaults_to_normalised_dir_name() {
        let c = Config::default();
        assert_eq!(
            project_name(&c, Path::new("/x/My.Project")).unwrap(),
            "myproject"
        );
        assert!(project_name(&c, Path::new("/x/___")).is_err());
        let c: Config = toml::from_str("[project]\nname = \"given\"\n").unwrap();
        assert_eq!(project_name(&c, Path::new("/x/Other")).unwrap(), "given");
    }
}
