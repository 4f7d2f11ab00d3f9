//! Gathering the facts doctor decides on: the host (/proc, /sys/fs/cgroup,
//! sysctls, statvfs, the socket's stat, port binds), the engine (through
//! [`crate::engine::info`]) and the project (devctl.toml, .env, the plan).
//! Only this module does IO; [`super::checks`] is pure.

use std::net::{TcpListener, UdpSocket};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use crate::engine::info::{EngineFacts, PortOwner};
use crate::project::env::AutoStart;
use crate::project::model::Toolchain;
use crate::session::Session;

/// Everything the checks look at.
#[derive(Debug, Clone, Serialize)]
pub struct Facts {
    /// `DOCKER_HOST`, the Docker context's endpoint, or the default socket.
    pub engine_addr: String,
    /// The Docker context the address comes from (not `default`).
    pub engine_context: Option<String>,
    /// The engine's answers, or why it could not be reached.
    pub engine: Result<EngineFacts, String>,
    pub host: HostFacts,
    /// The unix socket's stat (unix:// addresses only).
    pub socket: Option<SocketFacts>,
    /// `DOCKER_TLS_VERIFY` is set (tcp://).
    pub tls_verify: bool,
    pub disk: DiskFacts,
    pub project: ProjectState,
    /// Helper programs on PATH (name, path when found).
    pub tools: Vec<(String, Option<String>)>,
    /// The compose CLIs that can run the generated file.
    pub compose: ComposeFacts,
}

/// A compose CLI found: where, and what its `version --short` printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComposeTool {
    pub path: String,
    /// The first line of `version --short` (`1.29.2`, `2.40.3`, `v2.40.3`),
    /// or why it could not be read.
    pub version: Result<String, String>,
}

/// `docker-compose` on PATH (Debian's 1.29, or a standalone v2 binary) and
/// the docker CLI plugin behind `docker compose`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ComposeFacts {
    pub standalone: Option<ComposeTool>,
    pub plugin: Option<ComposeTool>,
}

/// Where the docker CLI looks for plugins, in its order: the config
/// directory's `cli-plugins` (`$DOCKER_CONFIG`, else `~/.docker`), then the
/// system directories.
pub fn plugin_dirs(docker_config: Option<&str>, home: Option<&str>) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    match (docker_config.filter(|d| !d.is_empty()), home) {
        (Some(c), _) => dirs.push(Path::new(c).join("cli-plugins")),
        (None, Some(h)) => dirs.push(Path::new(h).join(".docker/cli-plugins")),
        (None, None) => {}
    }
    for d in [
        "/usr/local/lib/docker/cli-plugins",
        "/usr/local/libexec/docker/cli-plugins",
        "/usr/lib/docker/cli-plugins",
        "/usr/libexec/docker/cli-plugins",
    ] {
        dirs.push(PathBuf::from(d));
    }
    dirs
}

/// `<path> version --short`, bounded: a CLI that hangs does not hang doctor.
fn compose_version(path: &Path) -> Result<String, String> {
    use std::process::{Command, Stdio};
    let mut child = Command::new(path)
        .args(["version", "--short"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run it: {e}"))?;
    let t0 = std::time::Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if t0.elapsed() < Duration::from_secs(10) => {
                std::thread::sleep(Duration::from_millis(10))
            }
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err("`version --short` did not answer within 10 s".into());
            }
            Err(e) => return Err(format!("cannot wait for it: {e}")),
        }
    };
    let mut out = String::new();
    if let Some(mut o) = child.stdout.take() {
        use std::io::Read;
        let _ = o.read_to_string(&mut out);
    }
    let line = out.lines().next().unwrap_or("").trim().to_string();
    if !status.success() {
        return Err(format!("`version --short` failed ({status})"));
    }
    if line.is_empty() {
        return Err("`version --short` printed nothing".into());
    }
    Ok(crate::text::shown(&line, 60))
}

/// Finds both compose CLIs and asks each for its version (in parallel:
/// Python's 1.29 takes about a second to answer).
pub fn compose_facts() -> ComposeFacts {
    let standalone = which::which("docker-compose").ok();
    let config = std::env::var("DOCKER_CONFIG").ok();
    let home = std::env::var("HOME").ok();
    let plugin = plugin_dirs(config.as_deref(), home.as_deref())
        .into_iter()
        .map(|d| d.join("docker-compose"))
        .find(|p| p.is_file());
    let probe = |p: Option<PathBuf>| {
        std::thread::spawn(move || {
            p.map(|p| ComposeTool {
                version: compose_version(&p),
                path: p.display().to_string(),
            })
        })
    };
    let (a, b) = (probe(standalone), probe(plugin));
    ComposeFacts {
        standalone: a.join().unwrap_or(None),
        plugin: b.join().unwrap_or(None),
    }
}

/// The programs doctor reports: `docker` (fallback CLI), `shellcheck` (SC
/// rules), `ssh` (ssh:// engines). Compose has a check of its own.
pub const TOOLS: &[&str] = &["docker", "shellcheck", "ssh"];

pub fn tool_facts() -> Vec<(String, Option<String>)> {
    TOOLS
        .iter()
        .map(|t| {
            (
                t.to_string(),
                which::which(t).ok().map(|p| p.display().to_string()),
            )
        })
        .collect()
}

impl Facts {
    /// The engine runs on this machine (unix socket): host facts apply to it.
    pub fn local_engine(&self) -> bool {
        self.engine_addr.starts_with("unix://")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CgroupFs {
    V1,
    Hybrid,
    V2,
    Unknown,
}

#[derive(Debug, Clone, Serialize)]
pub struct HostFacts {
    pub uid: u32,
    pub gid: u32,
    pub cgroup_fs: CgroupFs,
    /// `/proc/self/ns/cgroup` exists (kernel ≥ 4.6).
    pub cgroupns: bool,
    /// `/proc/sys/kernel/unprivileged_userns_clone` (Debian/Ubuntu kernels).
    pub userns_clone: Option<u64>,
    /// `/proc/sys/user/max_user_namespaces`.
    pub max_user_namespaces: Option<u64>,
    /// `/proc/sys/kernel/apparmor_restrict_unprivileged_userns` (Ubuntu ≥ 23.10).
    pub apparmor_restrict_userns: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SocketFacts {
    pub path: String,
    /// None when the socket file cannot be stat'ed (the error).
    pub stat: Result<SocketStat, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SocketStat {
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub owner: String,
    pub group: String,
    /// Members of the socket's group (from /etc/group).
    pub group_members: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum DiskFacts {
    Measured {
        path: String,
        free: u64,
        total: u64,
    },
    /// The engine is on another host.
    Remote,
    /// Could not be measured (why).
    Unknown {
        reason: String,
    },
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ProjectState {
    /// No devctl.toml found (why): project checks are skipped.
    None {
        reason: String,
    },
    /// devctl.toml or .env does not load.
    Error {
        message: String,
    },
    Loaded(Box<ProjectFacts>),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Bind {
    Free,
    InUse,
    /// The bind test itself was refused (the reason).
    Untestable(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PortFact {
    pub service: String,
    pub host_ip: String,
    pub host_port: u16,
    pub protocol: String,
    pub bind: Bind,
    /// The running container publishing it, if one does.
    pub owner: Option<PortOwner>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppImage {
    pub image: String,
    /// The configured user (name or uid).
    pub user: String,
    /// None: the engine could not tell (the error).
    pub built: Result<bool, String>,
    /// The image's /etc/passwd (None: not read or absent).
    pub passwd: Result<Option<String>, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NvmFacts {
    pub path: String,
    pub exists: bool,
    pub is_dir: bool,
    pub owner_uid: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Special {
    pub service: String,
    pub privileged: bool,
    pub cgroup_private: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProjectFacts {
    pub name: String,
    pub services: usize,
    pub warnings: Vec<String>,
    pub env_file: String,
    pub env_exists: bool,
    /// devctl.local.toml is merged over devctl.toml.
    pub local_config: bool,
    /// `[app].command` replaces the generated migrate/server script.
    pub app_command: bool,
    pub auto_start_raw: Option<String>,
    #[serde(skip)]
    pub auto_start: AutoStart,
    /// Ports were bind-tested here (false: remote engine).
    pub ports_checked: bool,
    pub ports: Vec<PortFact>,
    pub app_image: Option<AppImage>,
    /// None: no nvm dir on the host is mounted.
    pub nvm: Option<NvmFacts>,
    pub special: Vec<Special>,
    /// The uid/gid the app runs as (APP_UID/APP_GID); None without `[app]`.
    pub app_ids: Option<(u32, u32)>,
    /// The project directory, when the app cannot write it.
    pub unwritable: Option<crate::session::ownership::Unwritable>,
    /// run-dev's inotify needs, when there are watch rules.
    pub inotify: Option<InotifyFacts>,
    /// The external networks the services join: found on the engine
    /// (Err: the engine could not say).
    pub external_networks: Vec<(String, Result<bool, String>)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InotifyFacts {
    /// `/proc/sys/fs/inotify/max_user_watches` (None: unreadable).
    pub max_user_watches: Option<u64>,
    /// Directories under the watch rules' roots (ignored ones left out):
    /// one watch each.
    pub dirs: u64,
}

/// Directories run-dev would watch under `root` (itself included; the
/// directories the watcher ignores, and symlinks, left out), stopping at
/// `cap`.
pub fn count_watch_dirs(root: &Path, cap: u64) -> u64 {
    let mut n = 0;
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        if n >= cap {
            break;
        }
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        n += 1;
        for e in rd.flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir())
                && !crate::watch::filter::is_ignored_dir(&e.file_name().to_string_lossy())
            {
                stack.push(e.path());
            }
        }
    }
    n
}

// ------------------------------------------------------------ pure helpers

/// `(group name, members)` of `gid` in /etc/group text.
pub fn group_of(etc_group: &str, gid: u32) -> Option<(String, Vec<String>)> {
    etc_group.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        match f.as_slice() {
            [name, _, id, members, ..] if id.parse::<u32>().ok() == Some(gid) => Some((
                name.to_string(),
                members
                    .split(',')
                    .filter(|m| !m.is_empty())
                    .map(str::to_string)
                    .collect(),
            )),
            _ => None,
        }
    })
}

/// Name of `uid` in /etc/passwd text.
pub fn user_of(etc_passwd: &str, uid: u32) -> Option<String> {
    etc_passwd.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        match f.as_slice() {
            [name, _, id, ..] if id.parse::<u32>().ok() == Some(uid) => Some(name.to_string()),
            _ => None,
        }
    })
}

/// The uid of `user` (a name, a uid, or `name:group`) given an image's
/// /etc/passwd, as the runtime resolves it (`crate::project::user`: `+0`
/// and `00` are uid 0, the first matching line wins).
pub fn uid_in_passwd(etc_passwd: Option<&str>, user: &str) -> Option<u32> {
    use crate::compose::user::{go_atoi, passwd_uid, user_part};
    let user = user_part(user);
    let n = match go_atoi(user) {
        Some(n) => n,
        None => passwd_uid(etc_passwd?, user)?,
    };
    u32::try_from(n).ok()
}

/// `8000` or `8000-8002` → the ports.
pub fn host_ports(spec: &str) -> Vec<u16> {
    match spec.split_once('-') {
        Some((a, b)) => match (a.parse::<u16>(), b.parse::<u16>()) {
            (Ok(a), Ok(b)) if a <= b && b - a < 1000 => (a..=b).collect(),
            _ => Vec::new(),
        },
        None => spec.parse().ok().filter(|p| *p != 0).into_iter().collect(),
    }
}

/// A devctl.toml host path (`~/x`, `/abs`, `rel`) → absolute.
pub fn host_path(p: &str, home: &str, project_dir: &Path) -> PathBuf {
    if p == "~" {
        PathBuf::from(home)
    } else if let Some(rest) = p.strip_prefix("~/") {
        Path::new(home).join(rest)
    } else {
        project_dir.join(p)
    }
}

// ----------------------------------------------------------------- gathering

fn read_u64(path: &str) -> Option<u64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

pub fn host_facts() -> HostFacts {
    let (uid, gid) = (
        rustix::process::getuid().as_raw(),
        rustix::process::getgid().as_raw(),
    );
    let cg = Path::new("/sys/fs/cgroup");
    let cgroup_fs = if cg.join("cgroup.controllers").exists() {
        CgroupFs::V2
    } else if cg.join("unified").is_dir() {
        CgroupFs::Hybrid
    } else if cg.join("memory").is_dir() || cg.join("cpu").is_dir() {
        CgroupFs::V1
    } else {
        CgroupFs::Unknown
    };
    HostFacts {
        uid,
        gid,
        cgroup_fs,
        cgroupns: Path::new("/proc/self/ns/cgroup").exists(),
        userns_clone: read_u64("/proc/sys/kernel/unprivileged_userns_clone"),
        max_user_namespaces: read_u64("/proc/sys/user/max_user_namespaces"),
        apparmor_restrict_userns: read_u64(
            "/proc/sys/kernel/apparmor_restrict_unprivileged_userns",
        ),
    }
}

pub fn socket_facts(addr: &str) -> Option<SocketFacts> {
    let path = addr.strip_prefix("unix://")?;
    let stat = std::fs::metadata(path).map_err(|e| e.to_string()).map(|m| {
        let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
        let groups = std::fs::read_to_string("/etc/group").unwrap_or_default();
        let (group, group_members) =
            group_of(&groups, m.gid()).unwrap_or_else(|| (m.gid().to_string(), Vec::new()));
        SocketStat {
            mode: m.mode() & 0o7777,
            uid: m.uid(),
            gid: m.gid(),
            owner: user_of(&passwd, m.uid()).unwrap_or_else(|| m.uid().to_string()),
            group,
            group_members,
        }
    });
    Some(SocketFacts {
        path: path.to_string(),
        stat,
    })
}

pub fn disk_facts(local: bool, engine: &Result<EngineFacts, String>) -> DiskFacts {
    if !local {
        return DiskFacts::Remote;
    }
    let root = match engine {
        Ok(e) if !e.root_dir.is_empty() => e.root_dir.clone(),
        Ok(_) => "/var/lib/docker".to_string(),
        Err(_) => {
            return DiskFacts::Unknown {
                reason: "the engine did not say where it keeps images".into(),
            }
        }
    };
    // The root dir may be invisible here (a daemon in a VM): measure the
    // nearest existing ancestor only when it is the dir itself.
    if root.contains('\0') {
        return DiskFacts::Unknown {
            reason: format!("bad path {root:?}"),
        };
    }
    let st = match rustix::fs::statvfs(root.as_str()) {
        Ok(st) => st,
        Err(e) => {
            return DiskFacts::Unknown {
                reason: format!("statvfs {root}: {}", std::io::Error::from(e)),
            }
        }
    };
    let frsize = st.f_frsize;
    DiskFacts::Measured {
        path: root,
        free: st.f_bavail * frsize,
        total: st.f_blocks * frsize,
    }
}

fn bind_test(ip: &str, port: u16, protocol: &str) -> Bind {
    let ip = match ip {
        "" => "0.0.0.0",
        ip => ip.trim_start_matches('[').trim_end_matches(']'),
    };
    let r = if protocol == "udp" {
        UdpSocket::bind((ip, port)).map(drop)
    } else {
        TcpListener::bind((ip, port)).map(drop)
    };
    match r {
        Ok(()) => Bind::Free,
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => Bind::InUse,
        Err(e) => Bind::Untestable(e.to_string()),
    }
}

/// The engine's facts plus who publishes which port (None: unreachable).
type ImageFacts = Option<(Result<bool, String>, Result<Option<String>, String>)>;

async fn engine_side(
    config: &crate::engine::Config,
    project_image: Option<(String, bool)>,
    externals: &[String],
) -> (
    Result<EngineFacts, String>,
    Vec<PortOwner>,
    ImageFacts,
    Vec<(String, Result<bool, String>)>,
) {
    let eng = match crate::engine::connect(config).await {
        Ok(e) => e,
        Err(e) => return (Err(e.to_string()), Vec::new(), None, Vec::new()),
    };
    let mut networks = Vec::new();
    for n in externals {
        let found = crate::engine::info::network_exists(&eng, n)
            .await
            .map_err(|e| format!("{e:#}"));
        networks.push((n.clone(), found));
    }
    let facts = crate::engine::info::engine_facts(&eng)
        .await
        .map_err(|e| format!("{e:#}"));
    let owners = crate::engine::info::published_ports(&eng)
        .await
        .unwrap_or_default();
    let image = match project_image {
        Some((image, _)) => {
            let built = crate::engine::info::image_exists(&eng, &image)
                .await
                .map_err(|e| format!("{e:#}"));
            let passwd = match built {
                Ok(true) => crate::engine::info::image_passwd(&eng, &image)
                    .await
                    .map_err(|e| format!("{e:#}")),
                _ => Ok(None),
            };
            Some((built, passwd))
        }
        None => None,
    };
    (facts, owners, image, networks)
}

/// Gathers every fact (bounded in time: an engine that does not answer
/// within 20 s counts as unreachable).
pub fn gather(session: &Session) -> Facts {
    let compose = std::thread::spawn(compose_facts);
    let engine_addr = session.engine_config.addr();
    let host = host_facts();
    let socket = socket_facts(&engine_addr);
    let tls_verify = std::env::var("DOCKER_TLS_VERIFY").is_ok_and(|v| !v.is_empty() && v != "0");

    // The project, before the engine (it names the image to inspect).
    let mut project_state;
    let mut plan = None;
    let mut app_user = None;
    let mut project_opt = None;
    match session.paths() {
        Err(e) => {
            project_state = ProjectState::None {
                reason: e.to_string(),
            }
        }
        Ok(_) => match session.project() {
            Err(e) => {
                project_state = ProjectState::Error {
                    message: e.to_string(),
                }
            }
            Ok(p) => match session.rendered() {
                Err(e) => {
                    project_state = ProjectState::Error {
                        message: format!("{e:#}"),
                    }
                }
                Ok((rendered, pl)) => {
                    app_user = p.config.app.as_ref().map(|a| a.user.as_str().to_string());
                    project_state = ProjectState::None {
                        reason: String::new(),
                    };
                    plan = Some((rendered.warnings.clone(), pl.clone()));
                    project_opt = session.host().ok().map(|h| (p, h));
                }
            },
        },
    }

    let local = engine_addr.starts_with("unix://");
    let app_image = plan.as_ref().and_then(|(_, pl)| {
        pl.app
            .as_deref()
            .and_then(|a| pl.service(a))
            .filter(|_| app_user.is_some())
            .map(|s| (s.image.clone(), true))
    });
    let externals: Vec<String> = plan
        .as_ref()
        .map(|(_, pl)| {
            pl.networks
                .iter()
                .filter(|n| n.external)
                .map(|n| n.name.clone())
                .collect()
        })
        .unwrap_or_default();
    let rt = crate::engine::runtime();
    let (engine, owners, image, external_networks) = match rt {
        Ok(rt) => rt.block_on(async {
            match tokio::time::timeout(
                Duration::from_secs(20),
                engine_side(&session.engine_config, app_image.clone(), &externals),
            )
            .await
            {
                Ok(r) => r,
                Err(_) => (
                    Err(format!("no answer from {engine_addr} within 20 s")),
                    Vec::new(),
                    None,
                    Vec::new(),
                ),
            }
        }),
        Err(e) => (Err(e.to_string()), Vec::new(), None, Vec::new()),
    };
    let disk = disk_facts(local, &engine);

    if let (Some((mut warnings, pl)), Some((p, host_info))) = (plan, project_opt) {
        // The .env check reports AUTO_START_SERVER itself.
        warnings.retain(|w| Some(w) != p.auto_start.warning.as_ref());
        let mut ports = Vec::new();
        for svc in &pl.services {
            for pp in &svc.ports {
                for port in host_ports(&pp.host_port) {
                    let bind = if local {
                        bind_test(&pp.host_ip, port, &pp.protocol)
                    } else {
                        Bind::Untestable("remote engine".into())
                    };
                    let owner = owners
                        .iter()
                        .find(|o| {
                            o.host_port == port
                                && (o.host_ip == pp.host_ip
                                    || o.host_ip.is_empty()
                                    || pp.host_ip.is_empty()
                                    || o.host_ip == "0.0.0.0"
                                    || pp.host_ip == "0.0.0.0")
                        })
                        .cloned();
                    ports.push(PortFact {
                        service: svc.name.clone(),
                        host_ip: pp.host_ip.clone(),
                        host_port: port,
                        protocol: pp.protocol.clone(),
                        bind,
                        owner,
                    });
                }
            }
        }
        let app_image = match (app_image, image, app_user) {
            (Some((img, _)), Some((built, passwd)), Some(user)) => Some(AppImage {
                image: img,
                user,
                built,
                passwd,
            }),
            (Some((img, _)), None, Some(user)) => Some(AppImage {
                image: img,
                user,
                built: Err("engine unreachable".into()),
                passwd: Ok(None),
            }),
            _ => None,
        };
        let nvm_wanted = p.config.app.is_some()
            && (p.config.nvm.is_some()
                || p.config
                    .assets
                    .as_ref()
                    .is_some_and(|a| a.toolchain == Toolchain::Nvm));
        let nvm = nvm_wanted
            .then(|| p.config.nvm.clone().unwrap_or_default())
            .filter(|n| n.dir != "volume")
            .map(|n| {
                let path = host_path(&n.dir, &host_info.home, &p.paths.dir);
                let meta = std::fs::metadata(&path).ok();
                NvmFacts {
                    path: path.display().to_string(),
                    exists: meta.is_some(),
                    is_dir: meta.as_ref().is_some_and(|m| m.is_dir()),
                    owner_uid: meta.as_ref().map(|m| m.uid()),
                }
            });
        let special = pl
            .services
            .iter()
            .filter_map(|s| {
                let hc = s.body.host_config.as_ref()?;
                let privileged = hc.privileged == Some(true);
                let cgroup_private = hc.cgroupns_mode.is_some_and(|m| m.to_string() == "private");
                (privileged || cgroup_private).then(|| Special {
                    service: s.name.clone(),
                    privileged,
                    cgroup_private,
                })
            })
            .collect();
        project_state = ProjectState::Loaded(Box::new(ProjectFacts {
            name: p.name.clone(),
            services: pl.services.len(),
            warnings,
            env_file: p
                .paths
                .env_files
                .iter()
                .map(|f| p.paths.shown(f))
                .collect::<Vec<_>>()
                .join(", "),
            env_exists: !p.env_files_read.is_empty(),
            local_config: p.local_in_use,
            app_command: p.config.app.as_ref().is_some_and(|a| a.command.is_some()),
            auto_start_raw: p.env.get("AUTO_START_SERVER").map(str::to_string),
            auto_start: p.auto_start.clone(),
            ports_checked: local,
            ports,
            app_image,
            nvm,
            special,
            app_ids: p.config.app.as_ref().map(|_| {
                (
                    crate::project::generate::app_id(host_info.uid),
                    crate::project::generate::app_id(host_info.gid),
                )
            }),
            unwritable: p.config.app.as_ref().and_then(|_| {
                crate::session::ownership::tree_check(
                    &p.paths.dir,
                    crate::project::generate::app_id(host_info.uid),
                    crate::project::generate::app_id(host_info.gid),
                )
            }),
            external_networks,
            inotify: p
                .config
                .assets
                .as_ref()
                .filter(|a| !a.watch.is_empty())
                .map(|a| {
                    let mut roots: Vec<PathBuf> = a
                        .watch
                        .iter()
                        .flat_map(|r| r.paths.iter().map(|x| p.paths.dir.join(x.as_str())))
                        .collect();
                    roots.sort();
                    roots.dedup();
                    InotifyFacts {
                        max_user_watches: std::fs::read_to_string(
                            "/proc/sys/fs/inotify/max_user_watches",
                        )
                        .ok()
                        .and_then(|t| t.trim().parse().ok()),
                        dirs: roots.iter().map(|r| count_watch_dirs(r, 10_000_000)).sum(),
                    }
                }),
        }));
    }

    Facts {
        engine_addr,
        engine_context: session.engine_config.context.clone(),
        engine,
        host,
        socket,
        tls_verify,
        disk,
        project: project_state,
        tools: tool_facts(),
        compose: compose.join().unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_cli_plugin_dirs() {
        let d = plugin_dirs(Some("/cfg"), Some("/home/a"));
        assert_eq!(d[0], PathBuf::from("/cfg/cli-plugins"));
        assert_eq!(d[2], PathBuf::from("/usr/local/libexec/docker/cli-plugins"));
        let d = plugin_dirs(None, Some("/home/a"));
        assert_eq!(d[0], PathBuf::from("/home/a/.docker/cli-plugins"));
        let d = plugin_dirs(Some(""), Some("/home/a"));
        assert_eq!(d[0], PathBuf::from("/home/a/.docker/cli-plugins"));
        assert_eq!(
            plugin_dirs(None, None)[0],
            PathBuf::from("/usr/local/lib/docker/cli-plugins")
        );
    }

    #[test]
    fn group_and_user_lookup() {
        let g = "root:x:0:\ndocker:x:998:alice,bob\nempty:x:5:\n";
        assert_eq!(
            group_of(g, 998),
            Some(("docker".into(), vec!["alice".into(), "bob".into()]))
        );
        assert_eq!(group_of(g, 5), Some(("empty".into(), vec![])));
        assert_eq!(group_of(g, 7), None);
        let p = "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n";
        assert_eq!(user_of(p, 1000).as_deref(), Some("app"));
        assert_eq!(user_of(p, 3), None);
    }

    #[test]
    fn uid_of_a_user_in_an_image() {
        let p = "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n";
        assert_eq!(uid_in_passwd(Some(p), "app"), Some(1000));
        assert_eq!(uid_in_passwd(Some(p), "app:app"), Some(1000));
        assert_eq!(uid_in_passwd(Some(p), "web"), None);
        assert_eq!(uid_in_passwd(None, "1234"), Some(1234));
        assert_eq!(uid_in_passwd(None, "app"), None);
        // As the runtime reads them: signs and leading zeros, the first line.
        assert_eq!(uid_in_passwd(None, "+0"), Some(0));
        assert_eq!(uid_in_passwd(None, "-0"), Some(0));
        assert_eq!(uid_in_passwd(None, "000:0"), Some(0));
        assert_eq!(uid_in_passwd(None, "01000"), Some(1000));
        let twice = "app:x:1001:1001::/:\napp:x:0:0::/:\n";
        assert_eq!(uid_in_passwd(Some(twice), "app"), Some(1001));
        assert_eq!(uid_in_passwd(Some("toor:x:000:0::/:\n"), "toor"), Some(0));
    }

    #[test]
    fn port_specs_and_paths() {
        assert_eq!(host_ports("8000"), vec![8000]);
        assert_eq!(host_ports("8000-8002"), vec![8000, 8001, 8002]);
        assert_eq!(host_ports(""), Vec::<u16>::new());
        assert_eq!(host_ports("0"), Vec::<u16>::new());
        assert_eq!(host_ports("9-1"), Vec::<u16>::new());
        let d = Path::new("/p");
        assert_eq!(
            host_path("~/.nvm", "/home/u", d),
            PathBuf::from("/home/u/.nvm")
        );
        assert_eq!(
            host_path("/opt/nvm", "/home/u", d),
            PathBuf::from("/opt/nvm")
        );
        assert_eq!(host_path("nvm", "/home/u", d), PathBuf::from("/p/nvm"));
    }

    #[test]
    fn a_port_held_here_is_in_use() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        assert_eq!(bind_test("127.0.0.1", port, "tcp"), Bind::InUse);
        drop(l);
        assert_eq!(bind_test("127.0.0.1", port, "tcp"), Bind::Free);
    }
}
