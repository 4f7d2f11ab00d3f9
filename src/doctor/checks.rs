//! The checks: each a pure function of [`Facts`] → one [`Check`] line
//! (✓ ok, ! warning, ✗ failure) with the fix for every ! and ✗.

use serde::Serialize;

use super::facts::{Bind, CgroupFs, ComposeTool, DiskFacts, Facts, ProjectFacts, ProjectState};
use crate::engine::info::EngineFacts;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warn,
    Fail,
}

impl Status {
    pub fn symbol(self) -> &'static str {
        match self {
            Status::Ok => "✓",
            Status::Warn => "!",
            Status::Fail => "✗",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub id: &'static str,
    pub status: Status,
    pub title: String,
    pub detail: String,
    /// Present for every warning and failure.
    pub fix: Option<String>,
}

fn ok(id: &'static str, title: &str, detail: impl Into<String>) -> Check {
    Check {
        id,
        status: Status::Ok,
        title: title.to_string(),
        detail: detail.into(),
        fix: None,
    }
}

fn warn(id: &'static str, title: &str, detail: impl Into<String>, fix: impl Into<String>) -> Check {
    Check {
        id,
        status: Status::Warn,
        title: title.to_string(),
        detail: detail.into(),
        fix: Some(fix.into()),
    }
}

fn fail(id: &'static str, title: &str, detail: impl Into<String>, fix: impl Into<String>) -> Check {
    Check {
        id,
        status: Status::Fail,
        title: title.to_string(),
        detail: detail.into(),
        fix: Some(fix.into()),
    }
}

const FIX_ENGINE_FIRST: &str = "fix the `engine` check first, then run `devctl doctor` again";

/// Every check, in display order. Project checks appear only when a
/// devctl.toml was found and loaded.
pub fn all(f: &Facts) -> Vec<Check> {
    let mut out = vec![
        engine(f),
        rootless(f),
        cgroup(f),
        userns(f),
        storage(f),
        socket(f),
        disk(f),
        tools(f),
        compose(f),
        project(f),
    ];
    if let ProjectState::Loaded(p) = &f.project {
        out.push(ports(p));
        out.push(app_uid(f, p));
        out.push(tree(p));
        out.push(inotify(p));
        out.push(nvm(f, p));
        out.push(env(p));
        out.push(special(f, p));
        if !p.external_networks.is_empty() {
            out.push(networks(p));
        }
    }
    out
}

/// The external networks the services join exist (start would stop there).
pub fn networks(p: &ProjectFacts) -> Check {
    const T: &str = "external networks";
    let missing: Vec<&str> = p
        .external_networks
        .iter()
        .filter(|(_, found)| *found == Ok(false))
        .map(|(n, _)| n.as_str())
        .collect();
    let names: Vec<&str> = p
        .external_networks
        .iter()
        .map(|(n, _)| n.as_str())
        .collect();
    if !missing.is_empty() {
        return fail(
            "networks",
            T,
            format!(
                "declared external but not on the engine: {}",
                missing.join(", ")
            ),
            missing
                .iter()
                .map(|n| format!("`docker network create {n}`"))
                .collect::<Vec<_>>()
                .join(", then "),
        );
    }
    if let Some((n, Err(e))) = p.external_networks.iter().find(|(_, f)| f.is_err()) {
        return warn(
            "networks",
            T,
            format!("cannot check {n}: {e}"),
            "run `devctl doctor` again when the engine answers",
        );
    }
    ok("networks", T, format!("found: {}", names.join(", ")))
}

fn api_at_least(v: &str, major: u32, minor: u32) -> Option<bool> {
    let (a, b) = v.split_once('.')?;
    let (a, b): (u32, u32) = (a.parse().ok()?, b.parse().ok()?);
    Some((a, b) >= (major, minor))
}

fn is_rootless(e: &EngineFacts) -> bool {
    e.security_options
        .iter()
        .any(|o| o.contains("name=rootless"))
}

fn userns_remap(e: &EngineFacts) -> bool {
    e.security_options.iter().any(|o| o.contains("name=userns"))
}

/// Engine reachable; its version and API version.
pub fn engine(f: &Facts) -> Check {
    const T: &str = "engine";
    match &f.engine {
        Err(e) => {
            let fix = if let Some(ctx) = &f.engine_context {
                format!("the Docker context `{ctx}` points at {}: start the engine there, or pick another context (`--context NAME`, DOCKER_CONTEXT, or `docker context use default`)", f.engine_addr)
            } else if e.contains("ermission denied") {
                "your user may not use the engine's socket: add it to the socket's group (`sudo usermod -aG docker $USER`, then log in again) or use rootless Docker".to_string()
            } else if f.local_engine() {
                "start the engine (`sudo systemctl start docker`, or `systemctl --user start docker` for rootless), or point DOCKER_HOST at a running one".to_string()
            } else {
                format!("check that {} is up and reachable from here, or unset DOCKER_HOST to use the local engine", f.engine_addr)
            };
            fail(
                T,
                T,
                format!("cannot reach the engine at {}: {e}", f.engine_addr),
                fix,
            )
        }
        Ok(e) => {
            let product = if e.product.is_empty() {
                "engine"
            } else {
                e.product.as_str()
            };
            let detail = format!(
                "{product} {} (API {}), {}/{} at {}",
                e.version, e.api_version, e.os, e.arch, f.engine_addr
            );
            match api_at_least(&e.api_version, 1, 40) {
                Some(true) => ok(T, T, detail),
                Some(false) => warn(
                    T,
                    T,
                    format!("{detail}: API older than 1.40 (Docker 19.03); some features may fail"),
                    "upgrade the engine to a supported release",
                ),
                None => warn(
                    T,
                    T,
                    format!("{detail}: the engine reported no usable API version"),
                    "upgrade the engine, or check that DOCKER_HOST points at a Docker-compatible API",
                ),
            }
        }
    }
}

/// Rootful or rootless.
pub fn rootless(f: &Facts) -> Check {
    const T: &str = "rootful/rootless";
    match &f.engine {
        Err(_) => warn("rootless", T, "unknown: the engine is unreachable", FIX_ENGINE_FIRST),
        Ok(e) if is_rootless(e) => ok(
            "rootless",
            T,
            "rootless: the daemon runs as an ordinary user; containers get at most that user's privileges",
        ),
        Ok(e) if userns_remap(e) => ok(
            "rootless",
            T,
            "rootful with userns-remap: container root is mapped to an unprivileged host uid",
        ),
        Ok(_) => ok(
            "rootless",
            T,
            "rootful: the daemon runs as root, so whoever can reach it is root on its host",
        ),
    }
}

fn kernel_at_least(kernel: &str, major: u32, minor: u32) -> Option<bool> {
    let mut it = kernel
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty());
    let a: u32 = it.next()?.parse().ok()?;
    let b: u32 = it.next()?.parse().ok()?;
    Some((a, b) >= (major, minor))
}

/// The cgroup version the engine uses: its own report, else (local) the
/// host's /sys/fs/cgroup.
fn cgroup_version(f: &Facts) -> Option<u8> {
    if let Ok(e) = &f.engine {
        match e.cgroup_version.as_str() {
            "1" => return Some(1),
            "2" => return Some(2),
            _ => {}
        }
    }
    if f.local_engine() {
        match f.host.cgroup_fs {
            CgroupFs::V2 => return Some(2),
            CgroupFs::V1 | CgroupFs::Hybrid => return Some(1),
            CgroupFs::Unknown => {}
        }
    }
    None
}

fn cgroupns_supported(f: &Facts) -> Option<bool> {
    if f.local_engine() {
        return Some(f.host.cgroupns);
    }
    f.engine
        .as_ref()
        .ok()
        .and_then(|e| kernel_at_least(&e.kernel, 4, 6))
}

fn needs_cgroup_private(f: &Facts) -> bool {
    matches!(&f.project, ProjectState::Loaded(p) if p.special.iter().any(|s| s.cgroup_private || s.privileged))
}

const FIX_CGROUP_V2: &str = "boot the engine's host with cgroup v2 (kernel command line `systemd.unified_cgroup_hierarchy=1`, then reboot)";

/// cgroup version and cgroup-namespace support.
pub fn cgroup(f: &Facts) -> Check {
    const T: &str = "cgroups";
    let rootless = f.engine.as_ref().is_ok_and(is_rootless);
    let needed = needs_cgroup_private(f);
    let driver = f
        .engine
        .as_ref()
        .ok()
        .map(|e| e.cgroup_driver.as_str())
        .filter(|d| !d.is_empty())
        .map(|d| format!(", driver {d}"))
        .unwrap_or_default();
    let ns = cgroupns_supported(f);
    let ns_text = match ns {
        Some(true) => "cgroup namespaces supported",
        Some(false) => "no cgroup namespaces (kernel older than 4.6)",
        None => "cgroup namespace support unknown",
    };
    match (cgroup_version(f), ns) {
        (_, Some(false)) if needed => fail(
            "cgroup",
            T,
            format!("{ns_text}: a service asks for `cgroup: private`"),
            "run the engine on Linux ≥ 4.6, or drop `cgroup = \"private\"` from devctl.toml",
        ),
        (_, Some(false)) => warn(
            "cgroup",
            T,
            ns_text,
            "upgrade the engine's host kernel to ≥ 4.6 (needed for `cgroup: private` and systemd containers)",
        ),
        (Some(2), _) => ok("cgroup", T, format!("cgroup v2{driver}; {ns_text}")),
        (Some(1), _) if needed || rootless => warn(
            "cgroup",
            T,
            format!(
                "cgroup v1{driver}; {ns_text}: {}",
                if rootless {
                    "a rootless engine cannot apply resource limits on cgroup v1"
                } else {
                    "systemd in a privileged, cgroup-private container expects cgroup v2"
                }
            ),
            FIX_CGROUP_V2,
        ),
        (Some(1), _) => ok(
            "cgroup",
            T,
            format!("cgroup v1{driver}; {ns_text} (v2 is needed only for systemd containers and rootless limits)"),
        ),
        _ => warn(
            "cgroup",
            T,
            format!("cgroup version unknown; {ns_text}"),
            if f.engine.is_err() {
                FIX_ENGINE_FIRST
            } else {
                "check `docker info` (Cgroup Version) on the engine's host"
            },
        ),
    }
}

/// Unprivileged user namespaces (needed by rootless engines).
pub fn userns(f: &Facts) -> Check {
    const T: &str = "user namespaces";
    if !f.local_engine() {
        return ok(
            "userns",
            T,
            "not checked here: the engine runs on another host (rootless engines need them there)",
        );
    }
    let h = &f.host;
    let rootless = f.engine.as_ref().is_ok_and(is_rootless);
    let disabled = if h.userns_clone == Some(0) {
        Some("kernel.unprivileged_userns_clone = 0".to_string())
    } else if h.max_user_namespaces == Some(0) {
        Some("user.max_user_namespaces = 0".to_string())
    } else {
        None
    };
    let restricted = h.apparmor_restrict_userns == Some(1);
    match (disabled, restricted) {
        (Some(why), _) if rootless => fail(
            "userns",
            T,
            format!("unprivileged user namespaces are disabled ({why}) and the engine is rootless"),
            "`sudo sysctl -w kernel.unprivileged_userns_clone=1 user.max_user_namespaces=28633` (persist in /etc/sysctl.d/)",
        ),
        (Some(why), _) => ok(
            "userns",
            T,
            format!("disabled for unprivileged users ({why}); only rootless engines need them and this one is rootful"),
        ),
        (None, true) if rootless => warn(
            "userns",
            T,
            "AppArmor restricts unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns = 1); rootless Docker needs its AppArmor profile",
            "install the rootlesskit AppArmor profile (see https://docs.docker.com/engine/security/rootless/), or `sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`",
        ),
        _ => ok(
            "userns",
            T,
            match h.max_user_namespaces {
                Some(n) => format!("enabled for unprivileged users (max {n})"),
                None => "enabled for unprivileged users".to_string(),
            },
        ),
    }
}

/// Storage driver; warns on devicemapper loop-lvm and vfs.
pub fn storage(f: &Facts) -> Check {
    const T: &str = "storage driver";
    let e = match &f.engine {
        Err(_) => {
            return warn(
                "storage",
                T,
                "unknown: the engine is unreachable",
                FIX_ENGINE_FIRST,
            )
        }
        Ok(e) => e,
    };
    const FIX: &str = "switch to overlay2: `\"storage-driver\": \"overlay2\"` in /etc/docker/daemon.json, then restart the engine (images are rebuilt)";
    match e.storage_driver.as_str() {
        "devicemapper" => {
            let loop_lvm = e
                .driver_status
                .iter()
                .any(|(k, v)| k.contains("loop file") || v.starts_with("/dev/loop"));
            if loop_lvm {
                warn(
                    "storage",
                    T,
                    "devicemapper in loop-lvm mode (loop devices over sparse files): slow, and it corrupts when the disk fills",
                    FIX,
                )
            } else {
                warn(
                    "storage",
                    T,
                    "devicemapper (direct-lvm): deprecated and removed in Docker 25",
                    FIX,
                )
            }
        }
        "vfs" => warn(
            "storage",
            T,
            "vfs: no copy-on-write, every layer and container is a full copy (slow, uses much disk)",
            FIX,
        ),
        "" => warn(
            "storage",
            T,
            "the engine reported no storage driver",
            "check `docker info` on the engine's host",
        ),
        d => ok("storage", T, d.to_string()),
    }
}

/// Who can reach the daemon's socket (that is root-equivalent).
pub fn socket(f: &Facts) -> Check {
    const T: &str = "socket access";
    let addr = &f.engine_addr;
    if addr.starts_with("tcp://") || addr.starts_with("http://") {
        return if f.tls_verify {
            ok("socket", T, format!("{addr} with TLS client verification: only holders of a client certificate can reach it"))
        } else {
            fail(
                "socket",
                T,
                format!("{addr} without TLS: anyone who can reach that port controls the engine, i.e. is root on its host"),
                "use ssh://user@host, or protect the port with TLS (`DOCKER_TLS_VERIFY=1` and client certificates)",
            )
        };
    }
    if addr.starts_with("ssh://") {
        return ok(
            "socket",
            T,
            format!("{addr}: reached over ssh; whoever can log in as that user there controls the engine"),
        );
    }
    let Some(s) = &f.socket else {
        return warn(
            "socket",
            T,
            format!("{addr}: cannot tell who can reach it"),
            "use a unix://, ssh:// or TLS-protected tcp:// DOCKER_HOST",
        );
    };
    let st = match &s.stat {
        Ok(st) => st,
        Err(e) => {
            return warn(
                "socket",
                T,
                format!("cannot stat {}: {e}", s.path),
                "start the engine, or point DOCKER_HOST at its socket",
            )
        }
    };
    let rootless = f.engine.as_ref().is_ok_and(is_rootless);
    let power = if rootless {
        format!("each of them can act as {}", st.owner)
    } else {
        "each of them is root-equivalent on this host".to_string()
    };
    if st.mode & 0o006 != 0 {
        return fail(
            "socket",
            T,
            format!(
                "{} is accessible to every local user (mode {:o}): {power}",
                s.path, st.mode
            ),
            format!(
                "`sudo chmod 660 {}` (and fix the service that sets its mode)",
                s.path
            ),
        );
    }
    let mut who = vec![st.owner.clone()];
    if st.mode & 0o060 != 0 {
        if st.group_members.is_empty() {
            who.push(format!("group {} (no listed members)", st.group));
        } else {
            who.push(format!(
                "group {} ({})",
                st.group,
                st.group_members.join(", ")
            ));
        }
    }
    ok(
        "socket",
        T,
        format!(
            "{} (mode {:o}) is reachable by {}: {power}",
            s.path,
            st.mode,
            who.join(" and ")
        ),
    )
}

fn gib(b: u64) -> String {
    format!("{:.1} GiB", b as f64 / (1u64 << 30) as f64)
}

/// Free disk where images live.
pub fn disk(f: &Facts) -> Check {
    const T: &str = "free disk";
    const FIX: &str = "free space: `docker system prune` (stopped containers, dangling images), `docker builder prune` (build cache)";
    match &f.disk {
        DiskFacts::Remote => ok(
            "disk",
            T,
            "not checked here: the engine runs on another host",
        ),
        DiskFacts::Unknown { reason } => warn(
            "disk",
            T,
            format!("cannot measure: {reason}"),
            if f.engine.is_err() {
                FIX_ENGINE_FIRST.to_string()
            } else {
                "check free space with `docker system df` and `df -h` on the engine's data dir"
                    .to_string()
            },
        ),
        DiskFacts::Measured { path, free, total } => {
            let detail = format!("{} free of {} at {path}", gib(*free), gib(*total));
            if *free < 2 << 30 {
                fail("disk", T, format!("{detail}: builds will fail"), FIX)
            } else if *free < 10 << 30 || (*total > 0 && free * 100 / total < 5) {
                warn("disk", T, format!("{detail}: low"), FIX)
            } else {
                ok("disk", T, detail)
            }
        }
    }
}

/// Helper programs: ssh for ssh:// engines (required), shellcheck for the
/// SC lint rules, the docker / docker-compose CLIs as fallbacks.
pub fn tools(f: &Facts) -> Check {
    const T: &str = "tools";
    let found = |n: &str| f.tools.iter().any(|(t, p)| t == n && p.is_some());
    let have: Vec<&str> = f
        .tools
        .iter()
        .filter(|(_, p)| p.is_some())
        .map(|(t, _)| t.as_str())
        .collect();
    let missing: Vec<&str> = f
        .tools
        .iter()
        .filter(|(_, p)| p.is_none())
        .map(|(t, _)| t.as_str())
        .collect();
    let detail = format!(
        "found: {}; not found: {}",
        if have.is_empty() {
            "none".to_string()
        } else {
            have.join(", ")
        },
        if missing.is_empty() {
            "none".to_string()
        } else {
            missing.join(", ")
        }
    );
    if f.engine_addr.starts_with("ssh://") && !found("ssh") {
        return fail(
            "tools",
            T,
            format!(
                "DOCKER_HOST is {} but there is no ssh client on PATH ({detail})",
                f.engine_addr
            ),
            "install the OpenSSH client (`sudo apt-get install openssh-client`)",
        );
    }
    if !found("shellcheck") {
        return warn(
            "tools",
            T,
            format!("{detail}: lint-dockerfile skips the ShellCheck (SC) rules of RUN commands"),
            "install ShellCheck (`sudo apt-get install shellcheck`)",
        );
    }
    ok("tools", T, detail)
}

/// The major version of a compose `version --short` (`1.29.2`, `v2.40.3`).
fn compose_major(v: &str) -> Option<u32> {
    v.trim_start_matches('v').split('.').next()?.parse().ok()
}

/// Which compose can run `.devctl/compose.yaml` (the fallback devctl
/// promises): the v2 plugin (`docker compose`), a `docker-compose` on PATH
/// (v1 1.29, or a standalone v2), both, or none; each with its version.
pub fn compose(f: &Facts) -> Check {
    const T: &str = "compose";
    const FIX: &str = "install Docker Compose v2 as the docker CLI plugin \
        `~/.docker/cli-plugins/docker-compose` (https://docs.docker.com/compose/install/linux/)";
    let c = &f.compose;
    let describe = |t: &ComposeTool, cmd: &str| match &t.version {
        Ok(v) => match compose_major(v) {
            Some(1) => format!("{cmd} {v} (v1, {})", t.path),
            Some(_) => format!("{cmd} {v} (v2, {})", t.path),
            None => format!("{cmd} {v} (unknown version, {})", t.path),
        },
        Err(e) => format!("{cmd} at {}: {e}", t.path),
    };
    let found: Vec<String> = [
        c.plugin.as_ref().map(|t| describe(t, "docker compose")),
        c.standalone.as_ref().map(|t| describe(t, "docker-compose")),
    ]
    .into_iter()
    .flatten()
    .collect();
    let major = |t: &Option<ComposeTool>| {
        t.as_ref()
            .and_then(|t| t.version.as_ref().ok())
            .and_then(|v| compose_major(v))
    };
    let broken: Vec<&ComposeTool> = [&c.plugin, &c.standalone]
        .into_iter()
        .flatten()
        .filter(|t| {
            t.version
                .as_ref()
                .ok()
                .and_then(|v| compose_major(v))
                .is_none()
        })
        .collect();
    let detail = found.join("; ");
    if found.is_empty() {
        return warn(
            "compose",
            T,
            "no compose found: neither `docker compose` (v2 plugin) nor `docker-compose`; \
             devctl does not need one, but `docker compose -f .devctl/compose.yaml` (the fallback) does",
            FIX,
        );
    }
    if let Some(t) = broken.first() {
        return warn(
            "compose",
            T,
            format!("{detail}: cannot tell its version"),
            format!("reinstall {} or remove it", t.path),
        );
    }
    let v2 =
        major(&c.plugin).is_some_and(|m| m >= 2) || major(&c.standalone).is_some_and(|m| m >= 2);
    if !v2 {
        return warn(
            "compose",
            T,
            format!(
                "{detail}: only v1, which predates `cgroup` and `healthcheck.start_interval` \
                 and recreates devctl's containers on `up`"
            ),
            FIX,
        );
    }
    ok("compose", T, detail)
}

/// devctl.toml and .env load (warnings shown).
pub fn project(f: &Facts) -> Check {
    const T: &str = "project";
    match &f.project {
        ProjectState::None { reason } => ok(
            "project",
            T,
            format!("no project here ({reason}); project checks skipped"),
        ),
        ProjectState::Error { message } => fail(
            "project",
            T,
            message.clone(),
            "fix the file and line named above; `devctl config --check` re-checks it",
        ),
        ProjectState::Loaded(p) if !p.warnings.is_empty() => warn(
            "project",
            T,
            format!("{}: {}", p.name, p.warnings.join("; ")),
            "each warning names the devctl.toml key that asks for it: remove the key if you do not need what it grants",
        ),
        ProjectState::Loaded(p) => ok(
            "project",
            T,
            format!(
                "{}: devctl.toml loads{}, {} service{}",
                p.name,
                if p.local_config {
                    " (devctl.local.toml merged over it)"
                } else {
                    ""
                },
                p.services,
                if p.services == 1 { "" } else { "s" }
            ),
        ),
    }
}

/// The project's published host ports are free (or held by its own containers).
pub fn ports(p: &ProjectFacts) -> Check {
    const T: &str = "ports";
    if p.ports.is_empty() {
        return ok("ports", T, "no published host ports");
    }
    let shown = |ip: &str, port: u16| {
        if ip.is_empty() {
            format!("0.0.0.0:{port}")
        } else {
            format!("{ip}:{port}")
        }
    };
    let mut free = Vec::new();
    let mut mine = Vec::new();
    let mut taken = Vec::new();
    let mut untested = Vec::new();
    for pf in &p.ports {
        let addr = shown(&pf.host_ip, pf.host_port);
        let own = pf
            .owner
            .as_ref()
            .is_some_and(|o| o.project.as_deref() == Some(p.name.as_str()));
        match (&pf.bind, &pf.owner) {
            _ if own => mine.push(format!(
                "{addr} ({})",
                pf.owner
                    .as_ref()
                    .map(|o| o.container.as_str())
                    .unwrap_or("")
            )),
            (Bind::Free, _) => free.push(addr),
            (Bind::InUse, Some(o)) => taken.push((
                format!(
                    "{addr} ({}) is published by container {}",
                    pf.service, o.container
                ),
                format!("`docker stop {}`", o.container),
            )),
            (Bind::InUse, None) => taken.push((
                format!("{addr} ({}) is taken by another process", pf.service),
                format!(
                    "find it with `ss -ltnp 'sport = :{}'` and stop it",
                    pf.host_port
                ),
            )),
            (Bind::Untestable(why), _) => untested.push(format!("{addr} ({why})")),
        }
    }
    if !taken.is_empty() {
        let detail = taken
            .iter()
            .map(|t| t.0.clone())
            .collect::<Vec<_>>()
            .join("; ");
        let fix = taken
            .iter()
            .map(|t| t.1.clone())
            .collect::<Vec<_>>()
            .join(", ");
        return fail(
            "ports",
            T,
            detail,
            format!("{fix}; or change the port in devctl.toml (`port`/`publish`, or the service's `ports`)"),
        );
    }
    let mut parts = Vec::new();
    if !free.is_empty() {
        parts.push(format!("free: {}", free.join(", ")));
    }
    if !mine.is_empty() {
        parts.push(format!(
            "held by this project's containers: {}",
            mine.join(", ")
        ));
    }
    if !untested.is_empty() {
        parts.push(format!("not tested: {}", untested.join(", ")));
    }
    ok("ports", T, parts.join("; "))
}

/// Host uid vs the image's app uid (ownership of files in the bind mount).
pub fn app_uid(f: &Facts, p: &ProjectFacts) -> Check {
    const T: &str = "app uid";
    let Some(img) = &p.app_image else {
        return ok("uid", T, "no [app] service");
    };
    let host_uid = f.host.uid;
    // devctl builds with APP_UID = the tree's owner, SUDO_UID or the host
    // uid (root → 1000).
    let expected = p
        .app_ids
        .map(|(u, _)| u)
        .unwrap_or(if host_uid == 0 { 1000 } else { host_uid });
    match &img.built {
        Err(e) => warn(
            "uid",
            T,
            format!("cannot inspect {}: {e}", img.image),
            FIX_ENGINE_FIRST,
        ),
        Ok(false) => ok(
            "uid",
            T,
            format!(
                "{} is not built yet; `devctl build` will give user {} uid {expected} (APP_UID)",
                img.image, img.user
            ),
        ),
        Ok(true) => {
            let passwd = match &img.passwd {
                Ok(p) => p.as_deref(),
                Err(e) => {
                    return warn(
                        "uid",
                        T,
                        format!("cannot read /etc/passwd of {}: {e}", img.image),
                        format!(
                            "check the image by hand: `docker run --rm {} id`",
                            img.image
                        ),
                    )
                }
            };
            match super::facts::uid_in_passwd(passwd, &img.user) {
                None => warn(
                    "uid",
                    T,
                    format!("user {} is not in /etc/passwd of {}", img.user, img.image),
                    {
                        let name = img.user.split(':').next().unwrap_or(&img.user);
                        let [arg, add, user] = crate::compose::user::create_user_lines(name, false);
                        format!("add these lines to the app stage of the Dockerfile, then `devctl build`: `{arg}`, `{add}` (Alpine/BusyBox: `RUN adduser -D -u ${{APP_UID}} {name}`), `{user}`")
                    },
                ),
                Some(uid) if uid == host_uid => ok(
                    "uid",
                    T,
                    format!("user {} in {} has uid {uid}, as you do: files in the bind-mounted source tree stay yours", img.user, img.image),
                ),
                Some(uid) if host_uid == 0 => ok(
                    "uid",
                    T,
                    format!("you are root; user {} in {} has uid {uid}", img.user, img.image),
                ),
                Some(0) => warn(
                    "uid",
                    T,
                    format!("user {} in {} is root (uid 0): files it writes in the bind-mounted source tree will be root-owned on the host", img.user, img.image),
                    "run the app as a non-root user created from ARG APP_UID/APP_GID, then `devctl build`",
                ),
                Some(uid) => warn(
                    "uid",
                    T,
                    format!("user {} in {} has uid {uid} but you are uid {host_uid}: files it writes in the bind-mounted source tree will belong to uid {uid} on the host", img.user, img.image),
                    "`devctl build` (APP_UID/APP_GID follow your user); if that does not change it, make the Dockerfile create the user with `-u \"$APP_UID\"`",
                ),
            }
        }
    }
}

/// The app's uid can write the project directory mounted into it.
pub fn tree(p: &ProjectFacts) -> Check {
    const T: &str = "source tree";
    match (&p.app_ids, &p.unwritable) {
        (None, _) => ok("tree", T, "no [app] service"),
        (Some(_), Some(u)) => warn("tree", T, u.problem(), u.fix()),
        (Some((uid, _)), None) => ok(
            "tree",
            T,
            format!("the app (uid {uid}) can write the project directory"),
        ),
    }
}

/// run-dev needs one inotify watch per directory under the watch rules'
/// roots; the per-user limit is shared with every other watcher.
pub fn inotify(p: &ProjectFacts) -> Check {
    const T: &str = "inotify watches";
    let Some(i) = &p.inotify else {
        return ok("inotify", T, "no [[assets.watch]] rules");
    };
    let Some(max) = i.max_user_watches else {
        return ok(
            "inotify",
            T,
            format!(
                "{} directories to watch; the limit is not readable here",
                i.dirs
            ),
        );
    };
    let want = (i.dirs * 4).max(524_288);
    let fix = format!(
        "`sysctl fs.inotify.max_user_watches={want}` (and `echo fs.inotify.max_user_watches={want} > /etc/sysctl.d/90-inotify.conf` to keep it)"
    );
    let detail = format!(
        "run-dev watches {} directories; fs.inotify.max_user_watches is {max}",
        i.dirs
    );
    if i.dirs >= max {
        fail("inotify", T, detail, fix)
    } else if i.dirs * 2 > max {
        warn(
            "inotify",
            T,
            format!("{detail}: little is left for editors and other watchers"),
            fix,
        )
    } else {
        ok("inotify", T, detail)
    }
}

/// The host nvm dir exists and is owned by the host user.
pub fn nvm(f: &Facts, p: &ProjectFacts) -> Check {
    const T: &str = "nvm dir";
    let Some(n) = &p.nvm else {
        return ok(
            "nvm",
            T,
            "no host nvm dir is mounted (no [nvm], a volume, or the system toolchain)",
        );
    };
    let uid = f.host.uid;
    if !n.exists {
        return warn(
            "nvm",
            T,
            format!(
                "{} does not exist: the engine would create it owned by root when mounting it",
                n.path
            ),
            format!(
                "`mkdir -p {}` (`devctl run-dev` also creates it, owned by you)",
                n.path
            ),
        );
    }
    if !n.is_dir {
        return fail(
            "nvm",
            T,
            format!("{} is not a directory", n.path),
            format!(
                "move {} away, or set [nvm].dir in devctl.toml to a directory",
                n.path
            ),
        );
    }
    match n.owner_uid {
        Some(o) if o != uid => fail(
            "nvm",
            T,
            format!(
                "{} is owned by uid {o}, not by you (uid {uid}): node installs into it will fail",
                n.path
            ),
            format!("`sudo chown -R {uid}:{} {}`", f.host.gid, n.path),
        ),
        _ => ok("nvm", T, format!("{} exists and is yours", n.path)),
    }
}

/// .env present and what AUTO_START_SERVER resolves to.
pub fn env(p: &ProjectFacts) -> Check {
    const T: &str = ".env";
    let value = match &p.auto_start_raw {
        Some(v) => format!("AUTO_START_SERVER={v:?}"),
        None => "AUTO_START_SERVER unset".to_string(),
    };
    let effect = if p.app_command {
        "[app].command runs (it replaces devctl's migrate/server script: AUTO_START_SERVER is the command's to read)"
    } else if p.auto_start.on {
        "on: the app container migrates and runs the server"
    } else {
        "off: the app container idles (`devctl sh` opens a shell)"
    };
    if let Some(w) = &p.auto_start.warning {
        return warn(
            "env",
            T,
            w.clone(),
            format!("set AUTO_START_SERVER to true or false in {}", p.env_file),
        );
    }
    if !p.env_exists {
        return warn(
            "env",
            T,
            format!("{} is missing; {value} → {effect}", p.env_file),
            format!(
                "`cp .env.example {}` and edit it (AUTO_START_SERVER=true runs the server)",
                p.env_file
            ),
        );
    }
    ok(
        "env",
        T,
        format!("{} present; {value} → {effect}", p.env_file),
    )
}

/// The project's special needs (privileged, `cgroup: private`): what the
/// host must allow.
pub fn special(f: &Facts, p: &ProjectFacts) -> Check {
    const T: &str = "privileged services";
    if p.special.is_empty() {
        return ok(
            "special",
            T,
            "no service asks for privileged mode or a private cgroup namespace",
        );
    }
    let list = p
        .special
        .iter()
        .map(|s| {
            let mut what = Vec::new();
            if s.privileged {
                what.push("privileged");
            }
            if s.cgroup_private {
                what.push("cgroup private");
            }
            format!("{} ({})", s.service, what.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ");
    let any_priv = p.special.iter().any(|s| s.privileged);
    let grants = if any_priv {
        " — privileged grants every capability and the host's devices: root on the engine's host"
    } else {
        ""
    };
    let needs = "the host must allow: a rootful engine without userns-remap, cgroup v2 with cgroup namespaces";
    let base = format!("{list}{grants}; {needs}");
    let e = match &f.engine {
        Err(_) => {
            return warn(
                "special",
                T,
                format!("{base}; not verified: the engine is unreachable"),
                FIX_ENGINE_FIRST,
            )
        }
        Ok(e) => e,
    };
    if any_priv && userns_remap(e) {
        return fail(
            "special",
            T,
            format!("{base}; this engine runs with userns-remap, which refuses privileged containers"),
            "remove `userns-remap` from /etc/docker/daemon.json (or use another engine for this project)",
        );
    }
    if cgroupns_supported(f) == Some(false) {
        return fail(
            "special",
            T,
            format!("{base}; this kernel has no cgroup namespaces"),
            "run the engine on Linux ≥ 4.6",
        );
    }
    if any_priv && is_rootless(e) {
        return warn(
            "special",
            T,
            format!("{base}; this engine is rootless: `privileged` gets only its user's privileges, so device access and some mounts fail"),
            "run this project on a rootful engine (e.g. DOCKER_HOST=unix:///var/run/docker.sock)",
        );
    }
    match cgroup_version(f) {
        Some(2) => ok("special", T, format!("{base}; this engine is rootful on cgroup v2: ok")),
        Some(v) => warn(
            "special",
            T,
            format!("{base}; this engine uses cgroup v{v}: systemd and nested cgroup use in these containers expect v2"),
            FIX_CGROUP_V2,
        ),
        None => warn(
            "special",
            T,
            format!("{base}; the cgroup version is unknown"),
            "check `docker info` (Cgroup Version: 2) on the engine's host",
        ),
    }
}

#[cfg(test)]
mod tests;
