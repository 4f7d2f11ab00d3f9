//! Compose document → engine plan (pure: no IO, no Docker).
//!
//! The input is the compose file devctl generates (`.devctl/compose.yaml`),
//! parsed into serde structs that cover the subset devctl writes. The output
//! is everything the converge step needs: the network, the named volumes,
//! and per service the container create body, the compose v2 labels, the
//! config hash and the dependency order.
//!
//! Compose resolves relative paths against the directory of the compose
//! file, interpolates `$$` to `$`, merges `env_file` into `environment` and
//! names things `<project>_default`, `<project>_<volume>`,
//! `<project>-<service>-<n>`; this module does the same so that
//! `docker compose -f .devctl/compose.yaml ps` sees the same project.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use bollard::models::{
    ContainerCreateBody, EndpointSettings, HealthConfig, HostConfig, HostConfigCgroupnsModeEnum,
    NetworkingConfig, PortBinding, RestartPolicy, RestartPolicyNameEnum,
};

use sha2::{Digest, Sha256};

pub const LABEL_PROJECT: &str = "com.docker.compose.project";
pub const LABEL_SERVICE: &str = "com.docker.compose.service";
pub const LABEL_NUMBER: &str = "com.docker.compose.container-number";
pub const LABEL_ONEOFF: &str = "com.docker.compose.oneoff";
pub const LABEL_HASH: &str = "com.docker.compose.config-hash";
pub const LABEL_WORKING_DIR: &str = "com.docker.compose.project.working_dir";
pub const LABEL_CONFIG_FILES: &str = "com.docker.compose.project.config_files";
pub const LABEL_NETWORK: &str = "com.docker.compose.network";
pub const LABEL_VOLUME: &str = "com.docker.compose.volume";
pub const LABEL_VERSION: &str = "com.docker.compose.version";
pub const LABEL_DEPENDS_ON: &str = "com.docker.compose.depends_on";
/// The compose version devctl labels its resources with (what compose v2
/// expects to find; docker-compose v1 reads it too).
pub const COMPOSE_VERSION: &str = "2.20.2";

// ---------------------------------------------------------------- the document

pub use devctl_compose::Condition;
pub use devctl_compose::{normalize_project_name, parse_duration, ComposeFile as ComposeDoc};
use devctl_compose::{Cgroup, PortSpec, StrOrList, VolumeMount};

// ---------------------------------------------------------------- the plan

/// What the plan needs from outside: the project name, env files and the
/// process environment.
pub struct Inputs<'a> {
    /// The compose project name (devctl's, from devctl.toml; normalised
    /// here as compose does).
    pub project: &'a str,
    pub read_file: &'a dyn Fn(&Path) -> std::io::Result<String>,
    pub env: &'a dyn Fn(&str) -> Option<String>,
}

#[derive(Debug, Clone)]
pub struct BuildPlan {
    pub context: PathBuf,
    pub dockerfile: String,
    pub target: Option<String>,
    pub args: BTreeMap<String, String>,
    /// [`Plan::private_files`], for the build of this service.
    pub private: Vec<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct PublishedPort {
    pub host_ip: String,
    pub host_port: String,
    pub container_port: String,
    pub protocol: String,
}

#[derive(Debug, Clone)]
pub struct ServicePlan {
    pub name: String,
    pub image: String,
    pub build: Option<BuildPlan>,
    pub replicas: u32,
    pub depends_on: Vec<(String, Condition)>,
    pub config_hash: String,
    pub user: Option<String>,
    pub working_dir: Option<String>,
    pub ports: Vec<PublishedPort>,
    /// Host paths bind-mounted into the container (created when missing).
    pub bind_sources: Vec<PathBuf>,
    pub stop_timeout: Option<i64>,
    /// The create body without the per-container labels.
    pub body: ContainerCreateBody,
}

#[derive(Debug, Clone)]
pub struct VolumePlan {
    /// The key in the compose file.
    pub key: String,
    /// The engine's name (`<project>_<key>` unless `name:` says otherwise).
    pub name: String,
    pub driver: Option<String>,
    pub driver_opts: HashMap<String, String>,
    pub labels: HashMap<String, String>,
    pub external: bool,
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub project: String,
    /// The compose project's working dir (the compose file's directory).
    pub working_dir: String,
    pub config_files: String,
    pub network: String,
    /// True when some service uses the project network.
    pub needs_network: bool,
    pub volumes: Vec<VolumePlan>,
    /// Services in dependency order (dependencies first).
    pub services: Vec<ServicePlan>,
    /// Host paths (absolute, cleaned) that never enter a build context:
    /// the generated files (`.devctl/`, or the compose file and its `.env`)
    /// and every service's `env_file`. The env file devctl itself read
    /// (`--env-file`) is added by `commands::engine_input` when the
    /// document does not name it (no `[app]`).
    pub private_files: Vec<PathBuf>,
    /// The service devctl builds from the project's Dockerfile (`[app]`,
    /// named by `[app].name`), set by the caller ([`Plan::set_app`]): the
    /// document does not say which service it is.
    pub app: Option<String>,
}

impl Plan {
    /// Adds a host path to [`Plan::private_files`] (cleaned, once).
    pub fn add_private(&mut self, path: &Path) {
        let path = clean(path);
        if !self.private_files.contains(&path) {
            for b in self.services.iter_mut().filter_map(|s| s.build.as_mut()) {
                b.private.push(path.clone());
            }
            self.private_files.push(path);
        }
    }

    pub fn service(&self, name: &str) -> Option<&ServicePlan> {
        self.services.iter().find(|s| s.name == name)
    }

    pub fn container_name(&self, service: &str, n: u32) -> String {
        format!("{}-{}-{}", self.project, service, n)
    }

    pub fn network_labels(&self) -> HashMap<String, String> {
        HashMap::from([
            (LABEL_PROJECT.to_string(), self.project.clone()),
            (LABEL_NETWORK.to_string(), "default".to_string()),
            (LABEL_VERSION.to_string(), COMPOSE_VERSION.to_string()),
        ])
    }

    /// The create body of container `n` of `svc`, labels included.
    pub fn create_body(&self, svc: &ServicePlan, n: u32) -> ContainerCreateBody {
        let mut body = svc.body.clone();
        let labels = body.labels.get_or_insert_with(HashMap::new);
        labels.insert(LABEL_NUMBER.to_string(), n.to_string());
        labels.insert(LABEL_HASH.to_string(), svc.config_hash.clone());
        if let Some(eps) = body
            .networking_config
            .as_mut()
            .and_then(|nc| nc.endpoints_config.as_mut())
        {
            if let Some(ep) = eps.get_mut(&self.network) {
                ep.aliases = Some(vec![svc.name.clone(), self.container_name(&svc.name, n)]);
            }
        }
        body
    }

    /// Services named on the command line plus everything they depend on,
    /// in dependency order; all services when `only` is empty.
    pub fn select(&self, only: &[String]) -> Result<Vec<&ServicePlan>, String> {
        if only.is_empty() {
            return Ok(self.services.iter().collect());
        }
        let mut wanted: Vec<String> = Vec::new();
        let mut stack: Vec<String> = only.to_vec();
        while let Some(s) = stack.pop() {
            let svc = self
                .service(&s)
                .ok_or_else(|| format!("no service {s:?} (services: {})", self.names()))?;
            if !wanted.contains(&s) {
                wanted.push(s);
                stack.extend(svc.depends_on.iter().map(|(d, _)| d.clone()));
            }
        }
        Ok(self
            .services
            .iter()
            .filter(|s| wanted.contains(&s.name))
            .collect())
    }

    pub fn names(&self) -> String {
        self.services
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Names the app service (see [`Plan::app`]).
    pub fn set_app(&mut self, name: Option<&str>) {
        self.app = name.map(str::to_string);
    }

    /// True when `service` is the app service.
    pub fn is_app(&self, service: &str) -> bool {
        self.app.as_deref() == Some(service)
    }

    /// The URL of the first published TCP port (of the app service when
    /// it has one).
    pub fn app_url(&self) -> Option<String> {
        let mut order: Vec<&ServicePlan> = self
            .services
            .iter()
            .filter(|s| self.is_app(&s.name))
            .collect();
        order.extend(self.services.iter().filter(|s| !self.is_app(&s.name)));
        order.iter().find_map(|s| s.url())
    }
}

impl ServicePlan {
    /// `host:port` of the first published TCP port (a wildcard host IP as
    /// 127.0.0.1, IPv6 in brackets).
    pub fn published_addr(&self) -> Option<String> {
        self.ports
            .iter()
            .find(|p| p.protocol == "tcp" && !p.host_port.is_empty())
            .map(|p| {
                let host = match p.host_ip.as_str() {
                    "" | "0.0.0.0" => "127.0.0.1".to_string(),
                    ip if ip.contains(':') => format!("[{ip}]"),
                    ip => ip.to_string(),
                };
                format!("{host}:{}", p.host_port)
            })
    }

    /// `http://host:port/` of [`ServicePlan::published_addr`].
    pub fn url(&self) -> Option<String> {
        self.published_addr().map(|a| format!("http://{a}/"))
    }
}

/// A plan error: names the compose file and the key.
fn err(file: &str, key: &str, msg: impl std::fmt::Display) -> String {
    format!("{file}: {key}: {msg}")
}

/// Parses the compose text into the document (unknown keys are errors).
pub fn parse(text: &str, file: &str) -> Result<ComposeDoc, String> {
    devctl_compose::parse(text, file).map_err(|e| e.to_string())
}

fn to_list(v: &StrOrList, shell_split: bool) -> Result<Vec<String>, String> {
    match v {
        StrOrList::One(s) if shell_split => {
            shell_words::split(s).map_err(|e| format!("{s:?}: {e}"))
        }
        StrOrList::One(s) => Ok(vec![s.clone()]),
        StrOrList::Many(l) => Ok(l.clone()),
    }
}

fn resolve_path(base: &Path, p: &str, env: &dyn Fn(&str) -> Option<String>) -> PathBuf {
    let expanded = if p == "~" || p.starts_with("~/") {
        let home = env("HOME").unwrap_or_else(|| "/".to_string());
        PathBuf::from(home).join(p.trim_start_matches('~').trim_start_matches('/'))
    } else {
        PathBuf::from(p)
    };
    let joined = if expanded.is_absolute() {
        expanded
    } else {
        base.join(expanded)
    };
    clean(&joined)
}

/// Lexical `.`/`..` cleaning (like Go's filepath.Clean for absolute paths).
fn clean(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// `[ip:][host:]container[/proto]` → binding (compose's port syntax,
/// read by [`PortSpec::parse`]; ranges are not supported here).
fn parse_port(s: &str) -> Result<PublishedPort, String> {
    let p = PortSpec::parse(s)?;
    if p.container.contains('-') || p.host.as_deref().is_some_and(|h| h.contains('-')) {
        return Err(format!("{s:?}: port ranges are not supported"));
    }
    Ok(PublishedPort {
        host_ip: p
            .host_ip
            .as_deref()
            .map(|ip| ip.trim_start_matches('[').trim_end_matches(']').to_string())
            .unwrap_or_default(),
        host_port: p.host.unwrap_or_default(),
        container_port: p.container,
        protocol: p.proto.unwrap_or_else(|| "tcp".to_string()),
    })
}

/// Stable JSON: object keys sorted at every level.
fn canonical_json(v: &serde_json::Value, out: &mut String) {
    match v {
        serde_json::Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::Value::String((*k).clone()).to_string());
                out.push(':');
                canonical_json(&m[*k], out);
            }
            out.push('}');
        }
        serde_json::Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical_json(x, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// sha256 of the canonical JSON of the create body (what compose calls the
/// config hash: any change to the service's container config changes it).
pub fn config_hash(body: &ContainerCreateBody) -> String {
    let v = serde_json::to_value(body).unwrap_or(serde_json::Value::Null);
    let mut s = String::new();
    canonical_json(&v, &mut s);
    let digest = Sha256::digest(s.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Builds the plan. `compose_file` is the compose file's path (absolute);
/// relative paths in it resolve against its directory, as in compose.
pub fn plan(doc: &ComposeDoc, compose_file: &Path, inputs: &Inputs<'_>) -> Result<Plan, String> {
    let file = compose_file.display().to_string();
    let base = compose_file
        .parent()
        .unwrap_or(Path::new("/"))
        .to_path_buf();
    let project = normalize_project_name(inputs.project);
    if project.is_empty() {
        return Err(format!(
            "{file}: the project name {:?} is empty after compose's normalisation: set `name` in [project] of devctl.toml",
            inputs.project
        ));
    }
    let network = format!("{project}_default");
    let working_dir = base.display().to_string();
    // The generated files hold interpolated values (secrets included).
    let mut private_files = if base.file_name().is_some_and(|n| n == ".devctl") {
        vec![clean(&base)]
    } else {
        vec![clean(compose_file), clean(&base.join(".env"))]
    };

    let mut volumes = Vec::new();
    // In key order (compose's order), whatever order the file has.
    let mut volume_defs: Vec<_> = doc.volumes.iter().collect();
    volume_defs.sort_by(|a, b| a.0.cmp(b.0));
    for (key, def) in volume_defs {
        let def = def.clone().unwrap_or_default();
        let name = def
            .name
            .clone()
            .unwrap_or_else(|| format!("{project}_{key}"));
        let mut labels: HashMap<String, String> = def
            .labels
            .0
            .iter()
            .map(|(k, v)| (k.clone(), v.clone().unwrap_or_default()))
            .collect();
        labels.insert(LABEL_PROJECT.into(), project.clone());
        labels.insert(LABEL_VOLUME.into(), key.clone());
        labels.insert(LABEL_VERSION.into(), COMPOSE_VERSION.into());
        volumes.push(VolumePlan {
            key: key.clone(),
            name,
            driver: def.driver.clone(),
            driver_opts: def
                .driver_opts
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            labels,
            external: def.external,
        });
    }

    let mut services = Vec::new();
    let mut needs_network = false;
    // In name order: the dependency sort keeps it for ties.
    let mut service_defs: Vec<_> = doc.services.iter().collect();
    service_defs.sort_by(|a, b| a.0.cmp(b.0));
    for (name, s) in service_defs {
        let key = |k: &str| format!("services.{name}.{k}");
        let e = |k: &str, m: String| err(&file, &key(k), m);

        let build = match &s.build {
            None => None,
            Some(b) => {
                let mut argmap = BTreeMap::new();
                for (k, v) in &b.args.0 {
                    if let Some(v) = v.clone().or_else(|| (inputs.env)(k)) {
                        argmap.insert(k.clone(), v);
                    }
                }
                Some(BuildPlan {
                    context: resolve_path(&base, &b.context, inputs.env),
                    dockerfile: b.dockerfile.clone().unwrap_or_else(|| "Dockerfile".into()),
                    target: b.target.clone(),
                    args: argmap,
                    private: Vec::new(),
                })
            }
        };
        let image = match (&s.image, &build) {
            (Some(i), _) => i.clone(),
            (None, Some(_)) => format!("{project}-{name}"),
            (None, None) => return Err(e("image", "a service needs `image` or `build`".into())),
        };

        // environment: env_file first, then `environment` overrides.
        let mut env: Vec<(String, String)> = Vec::new();
        let set = |env: &mut Vec<(String, String)>, k: String, v: String| {
            if let Some(slot) = env.iter_mut().find(|(x, _)| *x == k) {
                slot.1 = v;
            } else {
                env.push((k, v));
            }
        };
        {
            for p in &s.env_file {
                let path = resolve_path(&base, p, inputs.env);
                if !private_files.contains(&path) {
                    private_files.push(path.clone());
                }
                let text = (inputs.read_file)(&path)
                    .map_err(|io| e("env_file", format!("cannot read {}: {io}", path.display())))?;
                // As devctl reads .env: a BOM and CRLF accepted, an error
                // at line:col with the line shown masked and escaped.
                let pairs = devctl_envfile::parse_dotenv(&text).map_err(|pe| {
                    let mut m = format!("{}:{pe}", path.display());
                    if pe.line > 0 && !pe.source_line.is_empty() {
                        m.push_str(&devctl_text::snippet(pe.line, &pe.source_line, pe.col, 1));
                    }
                    e("env_file", m)
                })?;
                for (k, v) in pairs {
                    set(&mut env, k, v);
                }
            }
        }
        for (k, v) in &s.environment.0 {
            match v.clone().or_else(|| (inputs.env)(k)) {
                Some(v) => set(&mut env, k.clone(), v),
                None => env.retain(|(x, _)| x != k),
            }
        }

        let mut binds = Vec::new();
        let mut anon_volumes = Vec::new();
        let mut bind_sources = Vec::new();
        for v in &s.volumes {
            let m = VolumeMount::parse(v).map_err(|m| e("volumes", m))?;
            let target = &m.target;
            let mode = m.mode.as_ref().map(|m| format!(":{m}")).unwrap_or_default();
            match &m.source {
                None => anon_volumes.push(target.to_string()),
                Some(src) => {
                    if !m.is_named() {
                        let p = resolve_path(&base, src, inputs.env);
                        binds.push(format!("{}:{target}{mode}", p.display()));
                        bind_sources.push(p);
                    } else {
                        let vol = volumes.iter().find(|x| x.key == *src).ok_or_else(|| {
                            e(
                                "volumes",
                                format!(
                                    "{v:?} uses volume {src:?}, which is not declared under the top-level `volumes:`"
                                ),
                            )
                        })?;
                        binds.push(format!("{}:{target}{mode}", vol.name));
                    }
                }
            }
        }

        let mut ports = Vec::new();
        for p in &s.ports {
            ports.push(parse_port(p).map_err(|m| e("ports", m))?);
        }
        let mut exposed = Vec::new();
        let mut bindings: HashMap<String, Option<Vec<PortBinding>>> = HashMap::new();
        for p in &ports {
            let k = format!("{}/{}", p.container_port, p.protocol);
            if !exposed.contains(&k) {
                exposed.push(k.clone());
            }
            bindings
                .entry(k)
                .or_insert_with(|| Some(Vec::new()))
                .get_or_insert_with(Vec::new)
                .push(PortBinding {
                    host_ip: Some(p.host_ip.clone()),
                    host_port: Some(p.host_port.clone()),
                });
        }
        // sort binding lists so the hash is stable
        for list in bindings.values_mut().flatten() {
            list.sort_by(|a, b| (&a.host_ip, &a.host_port).cmp(&(&b.host_ip, &b.host_port)));
        }

        let depends_on: Vec<(String, Condition)> = s
            .depends_on
            .0
            .iter()
            .map(|(d, entry)| (d.clone(), entry.condition))
            .collect();
        for (d, _) in &depends_on {
            if !doc.services.contains_key(d) {
                return Err(e("depends_on", format!("no service named {d:?}")));
            }
        }

        let healthcheck = match &s.healthcheck {
            None => None,
            Some(h) if h.disable == Some(true) => Some(HealthConfig {
                test: Some(vec!["NONE".into()]),
                ..Default::default()
            }),
            Some(h) => {
                let dur = |k: &str,
                           v: &Option<devctl_compose::Duration>|
                 -> Result<Option<i64>, String> {
                    v.as_ref()
                        .map(|d| parse_duration(d.as_str()))
                        .transpose()
                        .map_err(|m| e(&format!("healthcheck.{k}"), m))
                };
                Some(HealthConfig {
                    test: match &h.test {
                        None => None,
                        Some(StrOrList::One(s)) => Some(vec!["CMD-SHELL".into(), s.clone()]),
                        Some(l) => Some(to_list(l, false).map_err(|m| e("healthcheck.test", m))?),
                    },
                    interval: dur("interval", &h.interval)?,
                    timeout: dur("timeout", &h.timeout)?,
                    start_period: dur("start_period", &h.start_period)?,
                    start_interval: dur("start_interval", &h.start_interval)?,
                    retries: h.retries.map(i64::from),
                })
            }
        };

        let restart_policy = match s.restart.as_ref().map(|r| r.as_str()) {
            None => None,
            Some(r) => {
                let (n, max) = match r.split_once(':') {
                    Some((n, m)) => (
                        n,
                        Some(m.parse::<i64>().map_err(|_| {
                            e("restart", format!("{r:?}: the retry count is not a number"))
                        })?),
                    ),
                    None => (r, None),
                };
                let name = match n {
                    "no" => RestartPolicyNameEnum::NO,
                    "always" => RestartPolicyNameEnum::ALWAYS,
                    "unless-stopped" => RestartPolicyNameEnum::UNLESS_STOPPED,
                    "on-failure" => RestartPolicyNameEnum::ON_FAILURE,
                    _ => {
                        return Err(e(
                            "restart",
                            format!("{r:?} is not no, always, unless-stopped or on-failure[:N]"),
                        ))
                    }
                };
                Some(RestartPolicy {
                    name: Some(name),
                    maximum_retry_count: max,
                })
            }
        };

        let cgroupns_mode = match s.cgroup {
            None => None,
            Some(Cgroup::Host) => Some(HostConfigCgroupnsModeEnum::HOST),
            Some(Cgroup::Private) => Some(HostConfigCgroupnsModeEnum::PRIVATE),
        };

        let tmpfs = (!s.tmpfs.is_empty()).then(|| {
            s.tmpfs
                .iter()
                .map(|x| match x.split_once(':') {
                    Some((p, o)) => (p.to_string(), o.to_string()),
                    None => (x.clone(), String::new()),
                })
                .collect::<HashMap<_, _>>()
        });

        let extra_hosts = (!s.extra_hosts.is_empty()).then(|| {
            s.extra_hosts
                .0
                .iter()
                .map(|(n, ip)| format!("{n}:{ip}"))
                .collect()
        });

        let stop_timeout = s
            .stop_grace_period
            .as_ref()
            .map(|d| parse_duration(d.as_str()))
            .transpose()
            .map_err(|m| e("stop_grace_period", m))?
            .map(|ns| (ns + 999_999_999) / 1_000_000_000);

        let network_mode = match s.network_mode.as_deref() {
            None => None,
            Some(m) if m.starts_with("service:") => {
                return Err(e(
                    "network_mode",
                    format!("{m:?}: service: network modes are not supported"),
                ))
            }
            Some(m) => Some(m.to_string()),
        };
        let networking_config = if network_mode.is_none() {
            needs_network = true;
            Some(NetworkingConfig {
                endpoints_config: Some(HashMap::from([(
                    network.clone(),
                    EndpointSettings::default(),
                )])),
            })
        } else {
            None
        };

        let mut labels: HashMap<String, String> = s
            .labels
            .0
            .iter()
            .map(|(k, v)| (k.clone(), v.clone().unwrap_or_default()))
            .collect();
        labels.insert(LABEL_PROJECT.into(), project.clone());
        labels.insert(LABEL_SERVICE.into(), name.clone());
        labels.insert(LABEL_ONEOFF.into(), "False".into());
        labels.insert(LABEL_WORKING_DIR.into(), working_dir.clone());
        labels.insert(LABEL_CONFIG_FILES.into(), file.clone());
        labels.insert(LABEL_VERSION.into(), COMPOSE_VERSION.into());
        if !depends_on.is_empty() {
            let mut d: Vec<String> = depends_on
                .iter()
                .map(|(n, c)| format!("{n}:{}:false", c.as_str()))
                .collect();
            d.sort();
            labels.insert(LABEL_DEPENDS_ON.into(), d.join(","));
        }

        let user = s.user.clone();
        let body = ContainerCreateBody {
            image: Some(image.clone()),
            cmd: s
                .command
                .as_ref()
                .map(|c| to_list(c, true))
                .transpose()
                .map_err(|m| e("command", m))?,
            entrypoint: s
                .entrypoint
                .as_ref()
                .map(|c| to_list(c, true))
                .transpose()
                .map_err(|m| e("entrypoint", m))?,
            env: (!env.is_empty()).then(|| env.iter().map(|(k, v)| format!("{k}={v}")).collect()),
            user: user.clone(),
            working_dir: s.working_dir.clone(),
            labels: Some(labels),
            exposed_ports: (!exposed.is_empty()).then_some(exposed),
            healthcheck,
            stop_signal: s.stop_signal.clone(),
            stop_timeout,
            volumes: (!anon_volumes.is_empty()).then_some(anon_volumes),
            host_config: Some(HostConfig {
                binds: (!binds.is_empty()).then_some(binds),
                port_bindings: (!bindings.is_empty()).then_some(bindings),
                init: s.init,
                privileged: s.privileged,
                cgroupns_mode,
                security_opt: (!s.security_opt.is_empty()).then(|| s.security_opt.clone()),
                cap_add: (!s.cap_add.is_empty()).then(|| s.cap_add.clone()),
                cap_drop: (!s.cap_drop.is_empty()).then(|| s.cap_drop.clone()),
                readonly_rootfs: s.read_only,
                tmpfs,
                restart_policy,
                extra_hosts,
                network_mode: Some(network_mode.clone().unwrap_or_else(|| network.clone())),
                ..Default::default()
            }),
            networking_config,
            ..Default::default()
        };
        let config_hash = config_hash(&body);
        services.push(ServicePlan {
            name: name.clone(),
            image,
            build,
            replicas: s.deploy.as_ref().and_then(|d| d.replicas).unwrap_or(1),
            depends_on,
            config_hash,
            user,
            working_dir: s.working_dir.clone(),
            ports,
            bind_sources,
            stop_timeout,
            body,
        });
    }

    let mut services = topo_sort(services).map_err(|m| err(&file, "depends_on", m))?;
    for b in services.iter_mut().filter_map(|s| s.build.as_mut()) {
        b.private = private_files.clone();
    }
    Ok(Plan {
        project,
        working_dir,
        config_files: file,
        network,
        needs_network,
        volumes,
        services,
        private_files,
        app: None,
    })
}

/// Dependencies first; ties keep name order. A cycle is an error.
fn topo_sort(mut pending: Vec<ServicePlan>) -> Result<Vec<ServicePlan>, String> {
    let mut out: Vec<ServicePlan> = Vec::new();
    while !pending.is_empty() {
        let ready = pending.iter().position(|s| {
            s.depends_on
                .iter()
                .all(|(d, _)| out.iter().any(|o| &o.name == d))
        });
        match ready {
            Some(i) => out.push(pending.remove(i)),
            None => {
                let names: Vec<&str> = pending.iter().map(|s| s.name.as_str()).collect();
                return Err(format!(
                    "dependency cycle between services {}",
                    names.join(", ")
                ));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_files(_: &Path) -> std::io::Result<String> {
        Err(std::io::Error::new(std::io::ErrorKind::NotFound, "nope"))
    }
    fn no_env(k: &str) -> Option<String> {
        (k == "HOME").then(|| "/home/me".to_string())
    }

    fn mk(text: &str) -> Result<Plan, String> {
        mk_named(text, "My_App")
    }

    fn mk_named(text: &str, project: &str) -> Result<Plan, String> {
        let doc = parse(text, "/p/.devctl/compose.yaml")?;
        plan(
            &doc,
            Path::new("/p/.devctl/compose.yaml"),
            &Inputs {
                project,
                read_file: &no_files,
                env: &no_env,
            },
        )
    }

    const BASIC: &str = r#"
services:
  app:
    image: myapp-app:dev
    build:
      context: /p
      dockerfile: Dockerfile
      target: app
      args: {APP_UID: '1000'}
    command: [sh, -c, "trap 'exit 0' TERM; while :; do sleep 1 & wait $$!; done"]
    user: app
    working_dir: /app
    init: true
    ports: ["127.0.0.1:8000:8000"]
    volumes: ["/p:/app", "~/.nvm:/home/app/.nvm", "data:/data:ro"]
    depends_on:
      db: {condition: service_healthy}
    security_opt: ["no-new-privileges:true"]
  db:
    image: busybox
    healthcheck: {test: "true", interval: 1s, retries: 3}
    deploy: {replicas: 2}
volumes:
  data: {}
"#;

    #[test]
    fn names_labels_and_order() {
        let p = mk(BASIC).unwrap();
        assert_eq!(p.project, "my_app");
        assert_eq!(p.network, "my_app_default");
        assert_eq!(p.working_dir, "/p/.devctl");
        let order: Vec<&str> = p.services.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(order, ["db", "app"]);
        let db = p.service("db").unwrap();
        assert_eq!(db.replicas, 2);
        assert_eq!(p.container_name("db", 2), "my_app-db-2");
        let body = p.create_body(p.service("app").unwrap(), 1);
        let l = body.labels.as_ref().unwrap();
        assert_eq!(l[LABEL_PROJECT], "my_app");
        assert_eq!(l[LABEL_SERVICE], "app");
        assert_eq!(l[LABEL_NUMBER], "1");
        assert_eq!(l[LABEL_ONEOFF], "False");
        assert_eq!(l[LABEL_CONFIG_FILES], "/p/.devctl/compose.yaml");
        assert_eq!(l[LABEL_HASH].len(), 64);
        let ep = &body.networking_config.unwrap().endpoints_config.unwrap()["my_app_default"];
        assert_eq!(ep.aliases.as_deref().unwrap(), ["app", "my_app-app-1"]);
    }

    #[test]
    fn project_name_comes_from_the_inputs() {
        // `name:` in the document does not override it (as
        // COMPOSE_PROJECT_NAME wins over `name:` in compose).
        let p = mk_named(&format!("name: other\n{BASIC}"), "demo").unwrap();
        assert_eq!(p.project, "demo");
        assert_eq!(p.network, "demo_default");
        assert_eq!(p.container_name("app", 1), "demo-app-1");
        assert_eq!(p.volumes[0].name, "demo_data");
        let e = mk_named(BASIC, "__").unwrap_err();
        assert!(
            e.contains("project name") && e.contains("devctl.toml"),
            "{e}"
        );
    }

    #[test]
    fn body_translates_the_service() {
        let p = mk(BASIC).unwrap();
        let app = p.service("app").unwrap();
        let b = &app.body;
        assert_eq!(
            b.cmd.as_deref().unwrap()[2],
            "trap 'exit 0' TERM; while :; do sleep 1 & wait $!; done"
        );
        let hc = b.host_config.as_ref().unwrap();
        assert_eq!(
            hc.binds.as_deref().unwrap(),
            [
                "/p:/app",
                "/home/me/.nvm:/home/app/.nvm",
                "my_app_data:/data:ro"
            ]
        );
        assert_eq!(
            app.bind_sources,
            [PathBuf::from("/p"), PathBuf::from("/home/me/.nvm")]
        );
        let pb = &hc.port_bindings.as_ref().unwrap()["8000/tcp"];
        assert_eq!(
            pb.as_ref().unwrap()[0].host_ip.as_deref(),
            Some("127.0.0.1")
        );
        assert_eq!(hc.init, Some(true));
        assert_eq!(b.user.as_deref(), Some("app"));
        assert_eq!(p.app_url().as_deref(), Some("http://127.0.0.1:8000/"));
        assert_eq!(
            app.depends_on,
            [("db".to_string(), Condition::ServiceHealthy)]
        );
        let db = p.service("db").unwrap();
        let h = db.body.healthcheck.as_ref().unwrap();
        assert_eq!(h.test.as_deref().unwrap(), ["CMD-SHELL", "true"]);
        assert_eq!(h.interval, Some(1_000_000_000));
        let build = app.build.as_ref().unwrap();
        assert_eq!(build.target.as_deref(), Some("app"));
        assert_eq!(build.args["APP_UID"], "1000");
    }

    #[test]
    fn hash_is_stable_and_changes_with_config() {
        let a = mk(BASIC).unwrap();
        let b = mk(BASIC).unwrap();
        assert_eq!(
            a.service("app").unwrap().config_hash,
            b.service("app").unwrap().config_hash
        );
        let changed = mk(&BASIC.replace("user: app", "user: root")).unwrap();
        assert_ne!(
            a.service("app").unwrap().config_hash,
            changed.service("app").unwrap().config_hash
        );
        // only the changed service's hash moves
        assert_eq!(
            a.service("db").unwrap().config_hash,
            changed.service("db").unwrap().config_hash
        );
        // replicas are not part of the container config
        let more = mk(&BASIC.replace("replicas: 2", "replicas: 3")).unwrap();
        assert_eq!(
            a.service("db").unwrap().config_hash,
            more.service("db").unwrap().config_hash
        );
    }

    #[test]
    fn private_files_are_the_generated_dir_and_every_env_file() {
        let doc = parse(
            "services:\n  a:\n    build: {context: ..}\n    env_file: [../.env]\n  db:\n    image: x\n    env_file: ../config/db.env\n",
            "f",
        )
        .unwrap();
        let read = |_: &Path| -> std::io::Result<String> { Ok(String::new()) };
        let env = |_: &str| None;
        let inputs = Inputs {
            project: "p",
            read_file: &read,
            env: &env,
        };
        let mut p = plan(&doc, Path::new("/p/.devctl/compose.yaml"), &inputs).unwrap();
        let want: Vec<PathBuf> = ["/p/.devctl", "/p/.env", "/p/config/db.env"]
            .iter()
            .map(PathBuf::from)
            .collect();
        assert_eq!(p.private_files, want);
        assert_eq!(
            p.service("a").unwrap().build.as_ref().unwrap().private,
            want
        );
        // The env file devctl read (`--env-file`), added once, cleaned.
        p.add_private(Path::new("/work/../p/prod.env"));
        p.add_private(Path::new("/p/prod.env"));
        let b = &p.service("a").unwrap().build.as_ref().unwrap().private;
        assert_eq!(b.len(), 4);
        assert_eq!(b[3], Path::new("/p/prod.env"));
        // A compose file elsewhere: only it and its .env, not its directory.
        let p = plan(&doc, Path::new("/q/compose.yaml"), &inputs).unwrap();
        assert_eq!(
            p.private_files[..2],
            [PathBuf::from("/q/compose.yaml"), PathBuf::from("/q/.env")]
        );
    }

    #[test]
    fn env_file_then_environment() {
        let doc = parse(
            "services:\n  s:\n    image: x\n    env_file: [../.env]\n    environment: {B: override, C: null}\n",
            "f",
        )
        .unwrap();
        let read = |p: &Path| -> std::io::Result<String> {
            assert_eq!(p, Path::new("/p/.env"));
            Ok("A=1\nB=2\n".to_string())
        };
        let env = |k: &str| (k == "C").then(|| "from-shell".to_string());
        let p = plan(
            &doc,
            Path::new("/p/.devctl/compose.yaml"),
            &Inputs {
                project: "p",
                read_file: &read,
                env: &env,
            },
        )
        .unwrap();
        assert_eq!(
            p.services[0].body.env.as_deref().unwrap(),
            ["A=1", "B=override", "C=from-shell"]
        );
    }

    #[test]
    fn env_files_take_a_bom_and_crlf_and_errors_mask_and_escape() {
        let doc = parse(
            "services:\n  s:\n    image: x\n    env_file: [../.env]\n",
            "f",
        )
        .unwrap();
        let run = |text: &'static str| {
            let read = move |_: &Path| -> std::io::Result<String> { Ok(text.to_string()) };
            let env = |_: &str| None;
            plan(
                &doc,
                Path::new("/p/.devctl/compose.yaml"),
                &Inputs {
                    project: "p",
                    read_file: &read,
                    env: &env,
                },
            )
        };
        let p = run("\u{feff}A=1\r\nB=2\r\n").unwrap();
        assert_eq!(p.services[0].body.env.as_deref().unwrap(), ["A=1", "B=2"]);
        let e = run("A=1\nAPI_TOKEN=hunter2 \x1b[2J\n").unwrap_err();
        assert!(e.contains("/p/.env:2:"), "{e}");
        assert!(!e.contains("hunter2") && !e.contains('\x1b'), "{e}");
    }

    #[test]
    fn errors_name_the_key() {
        let e = mk("services:\n  s:\n    image: x\n    bogus: 1\n").unwrap_err();
        assert!(e.contains("services.s.bogus"), "{e}");
        let e = mk("services:\n  s:\n    image: x\n    depends_on: [nope]\n").unwrap_err();
        assert!(e.contains("nope"), "{e}");
        let e = mk("services:\n  s:\n    image: x\n    volumes: [v:/x]\n").unwrap_err();
        assert!(e.contains("top-level"), "{e}");
        let e = mk("services:\n  s:\n    image: x\n    ports: ['a:b']\n").unwrap_err();
        assert!(e.contains("services.s.ports"), "{e}");
        let e = mk("services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n    depends_on: [a]\n").unwrap_err();
        assert!(e.contains("cycle"), "{e}");
        let e = mk("services:\n  s: {}\n").unwrap_err();
        assert!(e.contains("image"), "{e}");
        assert!(mk("x-anything: 1\nservices:\n  s: {image: x, x-foo: 2}\n").is_ok());
    }

    #[test]
    fn select_pulls_in_dependencies() {
        let p = mk(BASIC).unwrap();
        let names: Vec<&str> = p
            .select(&["app".to_string()])
            .unwrap()
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        assert_eq!(names, ["db", "app"]);
        assert!(p.select(&["zzz".to_string()]).is_err());
    }

    #[test]
    fn durations_ports_and_misc() {
        assert_eq!(parse_duration("1m30s").unwrap(), 90_000_000_000);
        assert_eq!(parse_duration("500ms").unwrap(), 500_000_000);
        assert_eq!(parse_duration("1.5s").unwrap(), 1_500_000_000);
        assert!(parse_duration("10").is_err());
        assert!(parse_duration("10x").is_err());
        let p = parse_port("8000").unwrap();
        assert_eq!(
            (
                p.host_ip.as_str(),
                p.host_port.as_str(),
                p.container_port.as_str()
            ),
            ("", "", "8000")
        );
        let p = parse_port("127.0.0.1:80:8000/udp").unwrap();
        assert_eq!(
            (
                p.host_ip.as_str(),
                p.host_port.as_str(),
                p.protocol.as_str()
            ),
            ("127.0.0.1", "80", "udp")
        );
        let p = parse_port("[::1]:80:8000").unwrap();
        assert_eq!(p.host_ip, "::1");
        assert!(parse_port("1-3:1-3").is_err());
        assert_eq!(normalize_project_name("My App.1"), "myapp1");
        let p = mk("services:\n  s:\n    image: x\n    command: echo 'a b' c\n    restart: on-failure:3\n    stop_grace_period: 1500ms\n    tmpfs: /run:size=1m\n    extra_hosts: ['h=1.2.3.4']\n    cgroup: private\n").unwrap();
        let b = &p.services[0].body;
        assert_eq!(b.cmd.as_deref().unwrap(), ["echo", "a b", "c"]);
        assert_eq!(b.stop_timeout, Some(2));
        let hc = b.host_config.as_ref().unwrap();
        assert_eq!(
            hc.restart_policy.as_ref().unwrap().maximum_retry_count,
            Some(3)
        );
        assert_eq!(hc.tmpfs.as_ref().unwrap()["/run"], "size=1m");
        assert_eq!(hc.extra_hosts.as_deref().unwrap(), ["h:1.2.3.4"]);
        assert_eq!(hc.cgroupns_mode, Some(HostConfigCgroupnsModeEnum::PRIVATE));
    }

    #[test]
    fn app_url_is_the_app_service_s_by_the_name_it_is_given() {
        let mut p = mk("services:\n  db:\n    image: x\n    ports: [\"127.0.0.1:5432:5432\"]\n  web:\n    image: y\n    ports: [\"127.0.0.1:8000:8000\"]\n").unwrap();
        assert_eq!(p.app_url().as_deref(), Some("http://127.0.0.1:5432/"));
        p.set_app(Some("web"));
        assert!(p.is_app("web") && !p.is_app("db"));
        assert_eq!(p.app_url().as_deref(), Some("http://127.0.0.1:8000/"));
    }
}
