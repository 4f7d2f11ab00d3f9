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

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use bollard::models::{
    ContainerCreateBody, DeviceMapping, EndpointIpamConfig, EndpointSettings, HealthConfig,
    HostConfig, HostConfigCgroupnsModeEnum, HostConfigLogConfig, Ipam, IpamConfig,
    NetworkCreateRequest, NetworkingConfig, PortBinding, ResourcesUlimits, RestartPolicy,
    RestartPolicyNameEnum,
};

use sha2::{Digest, Sha256};

pub const LABEL_PROJECT: &str = "com.docker.compose.project";
pub const LABEL_SERVICE: &str = "com.docker.compose.service";
pub const LABEL_NUMBER: &str = "com.docker.compose.container-number";
pub const LABEL_ONEOFF: &str = "com.docker.compose.oneoff";
pub const LABEL_HASH: &str = "com.docker.compose.config-hash";
/// The image id the container was created from (compose v2 recreates a
/// container whose label differs from the service image's id).
pub const LABEL_IMAGE: &str = "com.docker.compose.image";
/// devctl's own: the hash of the secrets and configs copied in.
pub const LABEL_CONTENT_HASH: &str = "dev.devctl.content-hash";
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

use devctl_compose::keys::{Device, Expose, FileObject, Hook};
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
    /// `dockerfile_inline`: the Dockerfile's text, sent in the context as
    /// [`INLINE_DOCKERFILE`] (and `dockerfile` names that).
    pub inline: Option<String>,
    /// `build.labels` (devctl adds compose's project and service labels).
    pub labels: HashMap<String, String>,
    /// `build.tags`: more names the built image gets.
    pub tags: Vec<String>,
    /// [`Plan::private_files`], for the build of this service.
    pub private: Vec<PathBuf>,
    /// `build.secrets`: what `RUN --mount=type=secret,id=ID` reads.
    pub secrets: Vec<BuildSecret>,
    /// `build.ssh: [default]`: the build may use the SSH agent
    /// (`RUN --mount=type=ssh`).
    pub ssh: bool,
    /// `build.additional_contexts`, each an image (see
    /// `devctl_dockerfile::contexts`).
    pub contexts: Vec<NamedContext>,
}

/// A named build context: `FROM NAME` / `--from=NAME` build on `image`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedContext {
    pub name: String,
    pub image: String,
    /// `service:OTHER`: OTHER's image, built before this one.
    pub service: Option<String>,
}

/// Why a service another needs is left out, and the fix.
fn not_enabled(dep: &ServicePlan) -> String {
    format!(
        "which is not enabled: its profiles are {}; activate one (`--profile {}` or COMPOSE_PROFILES), or name {} on the command line",
        dep.profiles.join(", "),
        dep.profiles.first().map(String::as_str).unwrap_or(""),
        dep.name
    )
}

/// One `build.additional_contexts` entry: `service:OTHER` (its image is
/// filled in once every service is planned) or `docker-image://IMAGE`.
fn named_context(name: &str, value: Option<&str>) -> Result<NamedContext, String> {
    let value = value.unwrap_or_default();
    if let Some(s) = value.strip_prefix("service:") {
        return Ok(NamedContext {
            name: name.to_string(),
            image: String::new(),
            service: Some(s.to_string()),
        });
    }
    if let Some(i) = value.strip_prefix("docker-image://") {
        if !i.is_empty() {
            return Ok(NamedContext {
                name: name.to_string(),
                image: i.to_string(),
                service: None,
            });
        }
    }
    Err(format!(
        "`{name}` = {value:?}: devctl builds through the engine's build API, where a named context can be an image: write `service:OTHER` (another service's image, built first) or `docker-image://IMAGE`; a directory, URL, `target:` or `oci-layout://` context is not supported"
    ))
}

/// One build secret: its id in the Dockerfile and where its value is.
#[derive(Clone)]
pub struct BuildSecret {
    pub id: String,
    pub source: BuildSecretSource,
}

#[derive(Clone)]
pub enum BuildSecretSource {
    /// A `file` secret: the builder reads the file.
    File(PathBuf),
    /// An `environment` secret's value (from the environment or `.env`).
    Value(Vec<u8>),
}

impl std::fmt::Debug for BuildSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // never the value
        let src = match &self.source {
            BuildSecretSource::File(p) => format!("file {}", p.display()),
            BuildSecretSource::Value(_) => "a value".to_string(),
        };
        write!(f, "BuildSecret({}: {src})", self.id)
    }
}

/// The name an inline Dockerfile has in the build context devctl sends.
pub const INLINE_DOCKERFILE: &str = ".devctl-inline.Dockerfile";

#[derive(Debug, Clone)]
pub struct PublishedPort {
    pub host_ip: String,
    pub host_port: String,
    pub container_port: String,
    pub protocol: String,
}

/// A network the project's services use.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkPlan {
    /// The key in the compose file (`default` for the project network).
    pub key: String,
    /// The engine's name (`<project>_<key>` unless `name:` says otherwise;
    /// an external network's key is its name).
    pub name: String,
    /// Made outside the project: must exist, is never created or removed.
    pub external: bool,
    /// The create request (labels included) of a network devctl makes.
    pub create: NetworkCreateRequest,
}

/// A file written into a container before it starts (a secret or config
/// whose content comes from the environment or the document).
#[derive(Clone, PartialEq, Eq)]
pub struct CopyIn {
    /// Absolute path in the container.
    pub path: String,
    pub content: Vec<u8>,
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
}

impl std::fmt::Debug for CopyIn {
    // The content may be a secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CopyIn")
            .field("path", &self.path)
            .field("content", &format_args!("<{} bytes>", self.content.len()))
            .field("mode", &format_args!("{:o}", self.mode))
            .finish()
    }
}

/// A `post_start` / `pre_stop` command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookPlan {
    pub cmd: Vec<String>,
    pub user: Option<String>,
    pub privileged: bool,
    pub working_dir: Option<String>,
    pub env: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct ServicePlan {
    pub name: String,
    /// `container_name:` (one replica only), else compose's `<project>-<service>-<n>`.
    pub container_name: Option<String>,
    pub image: String,
    /// `platform:` (passed to create, and to the build).
    pub platform: Option<String>,
    /// `pull_policy:` (`missing` when absent; `if_not_present` is `missing`).
    pub pull_policy: String,
    /// `pull_policy:` was written (`devctl pull` skips an image that is
    /// present for an explicit `missing`, as compose does, and pulls it
    /// when the key is absent).
    pub pull_policy_explicit: bool,
    /// The networks the service's containers join (engine names), the
    /// first one at create (in the body), the others connected before start.
    pub networks: Vec<(String, EndpointSettings)>,
    /// Files copied in after create (secrets and configs from the
    /// environment or inline content).
    pub copies: Vec<CopyIn>,
    pub post_start: Vec<HookPlan>,
    pub pre_stop: Vec<HookPlan>,
    pub build: Option<BuildPlan>,
    pub replicas: u32,
    pub depends_on: Vec<(String, Condition)>,
    /// The dependencies written `required: false`: one not enabled by the
    /// active profiles, or failing its condition, is a warning.
    pub optional_deps: Vec<String>,
    /// The dependencies written `restart: true`: restarting one restarts
    /// this service too.
    pub restart_with: Vec<String>,
    pub config_hash: String,
    /// What `config_hash` is the sha256 of: the service as compose v2's
    /// model marshals it ([`crate::compose_hash`]).
    pub hash_json: String,
    /// The hash of what is copied into the container (secrets and configs
    /// with `content` or `environment` sources, file ones too), which
    /// compose's hash leaves out: [`LABEL_CONTENT_HASH`].
    pub content_hash: Option<String>,
    pub user: Option<String>,
    pub working_dir: Option<String>,
    pub ports: Vec<PublishedPort>,
    /// Host paths bind-mounted into the container (created when missing).
    pub bind_sources: Vec<PathBuf>,
    pub stop_timeout: Option<i64>,
    /// Compose `profiles`: the service is selected only when one is active
    /// (see [`Plan::select`]).
    pub profiles: Vec<String>,
    /// `network_mode: service:NAME`: NAME, whose first container's id
    /// converge writes into the create body (`container:<id>`); a
    /// container whose network mode is not that id is recreated.
    pub network_service: Option<String>,
    /// `mac_address:`: Config.MacAddress below Engine API 1.44 (which
    /// bollard's create body no longer has), the first endpoint's
    /// MacAddress from 1.44 on, as compose v2 does.
    pub mac_address: Option<String>,
    /// The create body without the per-container labels.
    pub body: ContainerCreateBody,
}

/// What `devctl run` changes in a service's container (compose's
/// `applyRunOptions`).
#[derive(Debug, Clone, Default)]
pub struct OneOff {
    /// compose's `com.docker.compose.slug`: 64 hex digits, random.
    pub slug: String,
    /// Replaces the service's command.
    pub cmd: Option<Vec<String>>,
    /// Replaces the service's entrypoint (and, without `cmd`, drops its
    /// command).
    pub entrypoint: Option<Vec<String>>,
    /// `KEY=VALUE` pairs over the service's environment.
    pub env: Vec<(String, String)>,
    pub user: Option<String>,
    pub workdir: Option<String>,
    pub tty: bool,
    /// Attach and keep stdin open.
    pub stdin: bool,
    /// Publish the service's ports (`--service-ports`).
    pub service_ports: bool,
}

pub const LABEL_SLUG: &str = "com.docker.compose.slug";

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
    /// The project network's engine name (`<project>_default`).
    pub network: String,
    /// True when some service uses the project network.
    pub needs_network: bool,
    /// Every network some service joins, in name order (`default` among them).
    pub networks: Vec<NetworkPlan>,
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

    /// Container `n` of `service`: its `container_name`, or compose's
    /// `<project>-<service>-<n>`.
    pub fn container_name(&self, service: &str, n: u32) -> String {
        match self
            .service(service)
            .and_then(|s| s.container_name.as_ref())
        {
            Some(name) => name.clone(),
            None => format!("{}-{}-{}", self.project, service, n),
        }
    }

    /// The project network's (`default`) labels.
    pub fn network_labels(&self) -> HashMap<String, String> {
        network_labels(&self.project, "default")
    }

    pub fn network_plan(&self, name: &str) -> Option<&NetworkPlan> {
        self.networks.iter().find(|n| n.name == name)
    }

    /// The endpoint settings of container `n` of `svc` on each of its
    /// networks: the aliases compose gives (the service name and the
    /// container name, then the service's own), in the service's order.
    pub fn endpoints(&self, svc: &ServicePlan, n: u32) -> Vec<(String, EndpointSettings)> {
        svc.networks
            .iter()
            .map(|(net, ep)| {
                let mut ep = ep.clone();
                let mut aliases = vec![svc.name.clone(), self.container_name(&svc.name, n)];
                for a in ep.aliases.take().unwrap_or_default() {
                    if !aliases.contains(&a) {
                        aliases.push(a);
                    }
                }
                ep.aliases = Some(aliases);
                (net.clone(), ep)
            })
            .collect()
    }

    /// The create body of container `n` of `svc`, labels included; it
    /// joins the service's first network (the others are connected before
    /// it starts, see [`Plan::endpoints`]).
    pub fn create_body(&self, svc: &ServicePlan, n: u32) -> ContainerCreateBody {
        let mut body = svc.body.clone();
        let labels = body.labels.get_or_insert_with(HashMap::new);
        labels.insert(LABEL_NUMBER.to_string(), n.to_string());
        labels.insert(LABEL_HASH.to_string(), svc.config_hash.clone());
        if let Some(h) = &svc.content_hash {
            labels.insert(LABEL_CONTENT_HASH.to_string(), h.clone());
        }
        if let Some((net, ep)) = self.endpoints(svc, n).into_iter().next() {
            body.networking_config = Some(NetworkingConfig {
                endpoints_config: Some(HashMap::from([(net, ep)])),
            });
        }
        body
    }

    /// The services `restart` restarts for `only`: those named, and (as
    /// compose) every service whose `depends_on` says `restart: true` of
    /// one restarted, transitively. Empty: all.
    pub fn restart_set(&self, only: &[String]) -> Vec<String> {
        let mut out = only.to_vec();
        if out.is_empty() {
            return out;
        }
        // dependency order: a dependent comes after what it depends on
        for s in &self.services {
            if !out.contains(&s.name) && s.restart_with.iter().any(|d| out.contains(d)) {
                out.push(s.name.clone());
            }
        }
        out
    }

    /// The services a command starts or builds, as compose v2 selects
    /// them: a service with `profiles` is enabled only when one of them is
    /// in `profiles` (`*` enables all) or when it is named in `only`
    /// (naming a service activates its profiles, compose's
    /// `WithServicesEnabled`); an enabled service that depends on one that
    /// is not is an error, as in compose. With `only` empty: every enabled
    /// service; else the named ones and everything they depend on. In
    /// dependency order.
    pub fn select(
        &self,
        only: &[String],
        profiles: &[String],
    ) -> Result<Vec<&ServicePlan>, String> {
        self.known(only)?;
        let mut active: Vec<&str> = profiles.iter().map(String::as_str).collect();
        let given = active.clone();
        for s in only.iter().filter_map(|s| self.service(s)) {
            if !s.enabled_by(&given) {
                active.extend(s.profiles.iter().map(String::as_str));
            }
        }
        let enabled = |s: &ServicePlan| s.enabled_by(&active);
        for s in self.services.iter().filter(|s| enabled(s)) {
            for (d, _) in &s.depends_on {
                match self.service(d) {
                    Some(dep) if !enabled(dep) && !s.optional_deps.contains(d) => {
                        return Err(format!(
                            "service {:?} depends on service {d:?}, {}",
                            s.name,
                            not_enabled(dep)
                        ))
                    }
                    _ => {}
                }
            }
            // compose refuses a `service:` context its profiles leave out
            for c in s.build.iter().flat_map(|b| &b.contexts) {
                match c.service.as_deref().and_then(|d| self.service(d)) {
                    Some(dep) if !enabled(dep) => {
                        return Err(format!(
                            "the build of service {:?} uses service {:?} (build.additional_contexts `{}`), {}",
                            s.name,
                            dep.name,
                            c.name,
                            not_enabled(dep)
                        ))
                    }
                    _ => {}
                }
            }
        }
        if only.is_empty() {
            return Ok(self.services.iter().filter(|s| enabled(s)).collect());
        }
        let mut wanted: Vec<String> = Vec::new();
        let mut stack: Vec<String> = only.to_vec();
        while let Some(s) = stack.pop() {
            let Some(svc) = self.service(&s) else {
                continue;
            };
            if !wanted.contains(&s) {
                wanted.push(s);
                // a `required: false` dependency comes along only when its
                // profiles are active
                stack.extend(
                    svc.depends_on
                        .iter()
                        .map(|(d, _)| d)
                        .filter(|d| {
                            !svc.optional_deps.contains(d) || self.service(d).is_some_and(&enabled)
                        })
                        .cloned(),
                );
            }
        }
        Ok(self
            .services
            .iter()
            .filter(|s| wanted.contains(&s.name))
            .collect())
    }

    /// The name of a one-off container, as compose v2 names it:
    /// `<project>-<service>-run-<the slug's first 12 characters>`.
    pub fn oneoff_name(&self, service: &str, slug: &str) -> String {
        let short = slug.get(..12).unwrap_or(slug);
        format!("{}-{service}-run-{short}", self.project)
    }

    /// The create body of a one-off container of `svc` (`devctl run`), as
    /// compose v2 makes it: labelled `oneoff=True` with the slug and no
    /// container number, its ports published only with `service_ports`, no
    /// restart policy, its own name as its only network alias, and the
    /// command, entrypoint, environment, user, workdir and stdin/TTY of
    /// `o`.
    pub fn oneoff_body(&self, svc: &ServicePlan, o: &OneOff) -> ContainerCreateBody {
        let name = self.oneoff_name(&svc.name, &o.slug);
        let mut body = svc.body.clone();
        let labels = body.labels.get_or_insert_with(HashMap::new);
        labels.insert(LABEL_ONEOFF.to_string(), "True".to_string());
        labels.insert(LABEL_SLUG.to_string(), o.slug.clone());
        labels.insert(LABEL_HASH.to_string(), svc.config_hash.clone());
        if let Some(h) = &svc.content_hash {
            labels.insert(LABEL_CONTENT_HASH.to_string(), h.clone());
        }
        if let Some(e) = &o.entrypoint {
            body.entrypoint = Some(e.clone());
            if o.cmd.is_none() {
                body.cmd = Some(Vec::new());
            }
        }
        if let Some(c) = &o.cmd {
            body.cmd = Some(c.clone());
        }
        if !o.env.is_empty() {
            let env = body.env.get_or_insert_with(Vec::new);
            for (k, v) in &o.env {
                let kv = format!("{k}={v}");
                match env
                    .iter_mut()
                    .find(|e| e.split_once('=').map_or(e.as_str(), |x| x.0) == k)
                {
                    Some(slot) => *slot = kv,
                    None => env.push(kv),
                }
            }
        }
        if o.user.is_some() {
            body.user = o.user.clone();
        }
        if o.workdir.is_some() {
            body.working_dir = o.workdir.clone();
        }
        body.tty = Some(o.tty);
        body.open_stdin = Some(o.stdin);
        body.stdin_once = Some(o.stdin);
        body.attach_stdin = Some(o.stdin);
        body.attach_stdout = Some(true);
        body.attach_stderr = Some(true);
        if let Some(hc) = body.host_config.as_mut() {
            hc.restart_policy = None;
            if !o.service_ports {
                hc.port_bindings = None;
            }
        }
        if !o.service_ports {
            // The ports' container ports were exposed for the bindings.
            let published: Vec<String> = svc
                .ports
                .iter()
                .map(|p| format!("{}/{}", p.container_port, p.protocol))
                .collect();
            if let Some(x) = body.exposed_ports.as_mut() {
                x.retain(|k| !published.contains(k));
            }
            if body.exposed_ports.as_ref().is_some_and(|x| x.is_empty()) {
                body.exposed_ports = None;
            }
        }
        // Its first network at create, named by its own name only (the
        // others are connected before it starts: [`Plan::oneoff_endpoints`]).
        body.networking_config =
            self.oneoff_endpoints(svc, &name)
                .into_iter()
                .next()
                .map(|(n, ep)| NetworkingConfig {
                    endpoints_config: Some(HashMap::from([(n, ep)])),
                });
        body
    }

    /// A one-off container's endpoints: the service's networks, the only
    /// alias its own name (compose's `run` without `--use-aliases`).
    pub fn oneoff_endpoints(
        &self,
        svc: &ServicePlan,
        name: &str,
    ) -> Vec<(String, EndpointSettings)> {
        svc.networks
            .iter()
            .map(|(n, ep)| {
                let mut ep = ep.clone();
                ep.aliases = Some(vec![name.to_string()]);
                (n.clone(), ep)
            })
            .collect()
    }

    /// Every name is a service of the plan (else the error lists them).
    pub fn known(&self, names: &[String]) -> Result<(), String> {
        match names.iter().find(|s| self.service(s).is_none()) {
            Some(s) => Err(format!("no service {s:?} (services: {})", self.names())),
            None => Ok(()),
        }
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
    /// The service with `network_mode: service:NAME` resolved to NAME's
    /// container (`mode`: `container:<id>`), as compose v2's `up` creates
    /// and hashes it (`resolveSharedNamespaces` runs before `ServiceHash`):
    /// the config hash label changes with NAME's container, so a
    /// recreated NAME recreates this service with either tool.
    pub fn with_shared_network(&self, mode: &str) -> ServicePlan {
        let mut s = self.clone();
        if let Some(other) = &self.network_service {
            let from = format!("\"network_mode\":\"service:{other}\"");
            let to = format!("\"network_mode\":{}", serde_json::Value::from(mode));
            s.hash_json = self.hash_json.replacen(&from, &to, 1);
            s.config_hash = crate::compose_hash::hash(&s.hash_json);
        }
        s.body
            .host_config
            .get_or_insert_with(Default::default)
            .network_mode = Some(mode.to_string());
        s
    }

    /// Whether the service is enabled when `profiles` are active: it has
    /// none, or one of them is active, or `*` is.
    pub fn enabled_by(&self, profiles: &[&str]) -> bool {
        self.profiles.is_empty()
            || profiles
                .iter()
                .any(|p| *p == "*" || self.profiles.iter().any(|s| s == p))
    }

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

/// The labels compose v2 gives a network of the project.
pub fn network_labels(project: &str, key: &str) -> HashMap<String, String> {
    HashMap::from([
        (LABEL_PROJECT.to_string(), project.to_string()),
        (LABEL_NETWORK.to_string(), key.to_string()),
        (LABEL_VERSION.to_string(), COMPOSE_VERSION.to_string()),
    ])
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

/// `[ip:][host:]container[/proto]` → bindings (compose's port syntax, read
/// by [`PortSpec::parse`]). A container range publishes each port: on the
/// same-length host range, or on ports the engine picks; a host range for
/// one container port lets the engine pick one port of the range.
fn parse_port(s: &str) -> Result<Vec<PublishedPort>, String> {
    let p = PortSpec::parse(s)?;
    let host_ip = p
        .host_ip
        .as_deref()
        .map(|ip| ip.trim_start_matches('[').trim_end_matches(']').to_string())
        .unwrap_or_default();
    let protocol = p.proto.clone().unwrap_or_else(|| "tcp".to_string());
    let range = |r: &str| -> (u16, u16) {
        let (a, b) = r.split_once('-').unwrap_or((r, r));
        (a.parse().unwrap_or(0), b.parse().unwrap_or(0))
    };
    let (c0, c1) = range(&p.container);
    let one = |host_port: String, container_port: String| PublishedPort {
        host_ip: host_ip.clone(),
        host_port,
        container_port,
        protocol: protocol.clone(),
    };
    match p.host.as_deref() {
        None => Ok((c0..=c1)
            .map(|c| one(String::new(), c.to_string()))
            .collect()),
        Some(h) => {
            let (h0, h1) = range(h);
            if c0 == c1 {
                Ok(vec![one(h.to_string(), c0.to_string())])
            } else if h1 - h0 == c1 - c0 {
                Ok((0..=(c1 - c0))
                    .map(|i| one((h0 + i).to_string(), (c0 + i).to_string()))
                    .collect())
            } else {
                Err(format!(
                    "port `{s}` is invalid: the host range {h} and the container range {} are not the same length",
                    p.container
                ))
            }
        }
    }
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

    // Networks: the declared ones, and `default` (the project network)
    // unless it is declared.
    let kv = |k: &devctl_compose::KeyValues| -> HashMap<String, String> {
        k.0.iter()
            .map(|(k, v)| (k.clone(), v.clone().unwrap_or_default()))
            .collect()
    };
    let mut net_defs: Vec<NetworkPlan> = Vec::new();
    let mut declared: Vec<(&String, devctl_compose::Network)> = doc
        .networks
        .iter()
        .map(|(k, v)| (k, v.clone().unwrap_or_default()))
        .collect();
    declared.sort_by(|a, b| a.0.cmp(b.0));
    let default_key = "default".to_string();
    if !declared.iter().any(|(k, _)| *k == "default") {
        declared.push((&default_key, devctl_compose::Network::default()));
    }
    for (key, def) in declared {
        let name = match (&def.name, def.external) {
            (Some(n), _) => n.clone(),
            (None, true) => key.clone(),
            (None, false) => format!("{project}_{key}"),
        };
        let mut labels = kv(&def.labels);
        labels.extend(network_labels(&project, key));
        let ipam = def.ipam.as_ref().map(|i| Ipam {
            driver: i.driver.clone(),
            config: (!i.config.is_empty()).then(|| {
                i.config
                    .iter()
                    .map(|c| IpamConfig {
                        subnet: c.subnet.clone(),
                        ip_range: c.ip_range.clone(),
                        gateway: c.gateway.clone(),
                        auxiliary_addresses: (!c.aux_addresses.is_empty())
                            .then(|| kv(&c.aux_addresses)),
                    })
                    .collect()
            }),
            options: (!i.options.is_empty()).then(|| kv(&i.options)),
        });
        net_defs.push(NetworkPlan {
            key: key.clone(),
            name: name.clone(),
            external: def.external,
            create: NetworkCreateRequest {
                name,
                driver: Some(def.driver.clone().unwrap_or_else(|| "bridge".into())),
                internal: def.internal.then_some(true),
                attachable: def.attachable.then_some(true),
                enable_ipv6: def.enable_ipv6,
                ipam,
                options: (!def.driver_opts.is_empty()).then(|| kv(&def.driver_opts)),
                labels: Some(labels),
                ..Default::default()
            },
        });
    }
    let network = net_defs
        .iter()
        .find(|n| n.key == "default")
        .map(|n| n.name.clone())
        .unwrap_or_else(|| format!("{project}_default"));
    let mut used_networks: Vec<String> = Vec::new();
    // compose's project environment: the process, then `.env` beside the
    // compose file (secrets and configs read from it).
    let reads_env = doc
        .secrets
        .iter()
        .chain(doc.configs.iter())
        .any(|(_, o)| o.environment.is_some());
    let dotenv: Vec<(String, String)> = if reads_env {
        (inputs.read_file)(&base.join(".env"))
            .ok()
            .and_then(|t| devctl_envfile::parse_dotenv(&t).ok())
            .unwrap_or_default()
    } else {
        Vec::new()
    };

    let mut services = Vec::new();
    let mut needs_network = false;
    // In name order: the dependency sort keeps it for ties.
    let mut service_defs: Vec<_> = doc.services.iter().collect();
    service_defs.sort_by(|a, b| a.0.cmp(b.0));
    for (name, s) in service_defs {
        let key = |k: &str| format!("services.{name}.{k}");
        let e = |k: &str, m: String| err(&file, &key(k), m);

        let build_secrets =
            |refs: &[devctl_compose::keys::FileRef]| -> Result<Vec<BuildSecret>, String> {
                let mut out = Vec::new();
                for r in refs {
                    let obj: &FileObject = doc.secrets.get(&r.source).ok_or_else(|| {
                        e(
                            "build.secrets",
                            format!(
                                "{:?} is not declared under the top-level `secrets:`",
                                r.source
                            ),
                        )
                    })?;
                    let source = if let Some(f) = &obj.file {
                        BuildSecretSource::File(resolve_path(&base, f, inputs.env))
                    } else if let Some(var) = &obj.environment {
                        let v = (inputs.env)(var)
                        .or_else(|| dotenv.iter().find(|(k, _)| k == var).map(|(_, v)| v.clone()))
                        .ok_or_else(|| {
                            e(
                                "build.secrets",
                                format!(
                                    "{:?} reads the variable {var}, which is set neither in the environment nor in {}",
                                    r.source,
                                    base.join(".env").display()
                                ),
                            )
                        })?;
                        BuildSecretSource::Value(v.into_bytes())
                    } else {
                        return Err(e(
                            "build.secrets",
                            format!("{:?} needs a `file` or `environment` source", r.source),
                        ));
                    };
                    // compose's id: the target when given, else the name
                    let id = r.target.clone().unwrap_or_else(|| r.source.clone());
                    out.push(BuildSecret { id, source });
                }
                Ok(out)
            };
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
                    dockerfile: match (&b.dockerfile_inline, &b.dockerfile) {
                        (Some(_), _) => INLINE_DOCKERFILE.to_string(),
                        (None, d) => d.clone().unwrap_or_else(|| "Dockerfile".into()),
                    },
                    target: b.target.clone(),
                    args: argmap,
                    inline: b.dockerfile_inline.clone(),
                    labels: b
                        .labels
                        .0
                        .iter()
                        .map(|(k, v)| (k.clone(), v.clone().unwrap_or_default()))
                        .collect(),
                    tags: b.tags.clone(),
                    private: Vec::new(),
                    secrets: build_secrets(&b.secrets)?,
                    contexts: b
                        .additional_contexts
                        .0
                        .iter()
                        .map(|(k, v)| named_context(k, v.as_deref()))
                        .collect::<Result<_, _>>()
                        .map_err(|m| e("build.additional_contexts", m))?,
                    ssh: match b.ssh.iter().find(|x| x.as_str() != "default") {
                        None => !b.ssh.is_empty(),
                        Some(x) => {
                            return Err(e(
                                "build.ssh",
                                format!("{x:?}: only `default` (the agent at SSH_AUTH_SOCK) is supported; load the key into your agent (`ssh-add KEY`)"),
                            ))
                        }
                    },
                })
            }
        };
        // a file build secret is never sent in a context either
        for b in build.iter() {
            for x in &b.secrets {
                if let BuildSecretSource::File(p) = &x.source {
                    if !private_files.contains(p) {
                        private_files.push(p.clone());
                    }
                }
            }
        }
        let image = match (&s.image, &build) {
            (Some(i), _) => i.clone(),
            (None, Some(_)) => format!("{project}-{name}"),
            (None, None) => return Err(e("image", "a service needs `image` or `build`".into())),
        };

        // environment: env_file first, then `environment` overrides.
        let mut env: Vec<(String, String)> = Vec::new();
        // The same as compose's model holds it (for its config hash): a
        // key whose value is nowhere is null, not left out.
        let mut hash_env: Vec<(String, Option<String>)> = Vec::new();
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
                    hash_env.push((k.clone(), Some(v.clone())));
                    set(&mut env, k, v);
                }
            }
        }
        for (k, v) in &s.environment.0 {
            let v = v.clone().or_else(|| (inputs.env)(k));
            hash_env.push((k.clone(), v.clone()));
            match v {
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
            ports.extend(parse_port(p).map_err(|m| e("ports", m))?);
        }
        let mut exposed = Vec::new();
        for x in s.expose.iter().flatten() {
            let (a, b, proto) = Expose::parse(&x.0).map_err(|m| e("expose", m))?;
            for port in a..=b {
                let k = format!("{port}/{proto}");
                if !exposed.contains(&k) {
                    exposed.push(k);
                }
            }
        }
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

        let mut depends_on: Vec<(String, Condition)> = s
            .depends_on
            .0
            .iter()
            .map(|(d, entry)| (d.clone(), entry.condition))
            .collect();
        // As compose: a linked service, or one whose volumes are used,
        // starts first.
        let implied = s
            .links
            .iter()
            .flatten()
            .map(|l| l.split_once(':').map_or(l.as_str(), |(t, _)| t))
            .chain(s.volumes_from.iter().flatten().filter_map(|v| {
                let v = v
                    .strip_suffix(":ro")
                    .or_else(|| v.strip_suffix(":rw"))
                    .unwrap_or(v);
                (!v.starts_with("container:")).then(|| v.strip_prefix("service:").unwrap_or(v))
            }))
            // compose-go: `network_mode: service:NAME` depends on NAME
            .chain(
                s.network_mode
                    .as_deref()
                    .and_then(|m| m.strip_prefix("service:")),
            );
        // (an unknown one is the `links` / `volumes_from` error below)
        for t in implied.filter(|t| doc.services.contains_key(t)) {
            if !depends_on.iter().any(|(d, _)| d == t) {
                depends_on.push((t.to_string(), Condition::ServiceStarted));
            }
        }
        let optional_deps: Vec<String> = s
            .depends_on
            .0
            .iter()
            .filter(|(_, e)| e.required == Some(false))
            .map(|(d, _)| d.clone())
            .collect();
        let mut restart_with: Vec<String> = s
            .depends_on
            .0
            .iter()
            .filter(|(_, e)| e.restart == Some(true))
            .map(|(d, _)| d.clone())
            .collect();
        // compose-go: the network's owner restarts its sharers
        // (`restart: true` on the dependency it adds).
        if let Some(t) = s
            .network_mode
            .as_deref()
            .and_then(|m| m.strip_prefix("service:"))
        {
            if doc.services.contains_key(t) && !restart_with.iter().any(|d| d == t) {
                restart_with.push(t.to_string());
            }
        }
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

        let from_deploy = s
            .deploy
            .as_ref()
            .and_then(|d| d.restart_policy.as_ref())
            .map(|r| r.as_restart());
        let restart_policy = match s
            .restart
            .as_ref()
            .map(|r| r.as_str())
            .or(from_deploy.as_deref())
        {
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

        // `service:NAME` (compose v2): the container joins the network
        // stack of NAME's first container; converge puts that container's
        // id in (`container:<id>`), the name here is its stand-in.
        let network_service = s
            .network_mode
            .as_deref()
            .and_then(|m| m.strip_prefix("service:"))
            .map(str::to_string);
        let network_mode = match (&network_service, s.network_mode.as_deref()) {
            (_, None) => None,
            (Some(other), _) => {
                if other == name || !doc.services.contains_key(other) {
                    return Err(e(
                        "network_mode",
                        format!("\"service:{other}\" names no other service: name the service whose network stack this one shares"),
                    ));
                }
                if !s.ports.is_empty() {
                    return Err(e(
                        "ports",
                        format!("a service with network_mode \"service:{other}\" has no ports of its own: publish them on {other}"),
                    ));
                }
                if s.mac_address.is_some() {
                    return Err(e(
                        "mac_address",
                        format!("a service with network_mode \"service:{other}\" has {other}'s MAC address: remove `mac_address`"),
                    ));
                }
                let target = match doc
                    .services
                    .get(other.as_str())
                    .and_then(|t| t.container_name.as_ref())
                {
                    Some(c) => c.as_str().to_string(),
                    None => format!("{project}-{other}-1"),
                };
                Some(format!("container:{target}"))
            }
            (None, Some(m)) => Some(m.to_string()),
        };
        if network_mode.is_some() && s.networks.is_some() {
            return Err(e(
                "networks",
                "`networks` and `network_mode` cannot be used together: keep one".into(),
            ));
        }
        let mut svc_networks: Vec<(String, EndpointSettings, i64)> = Vec::new();
        if network_mode.is_none() {
            let wanted: Vec<(String, devctl_compose::keys::ServiceNetwork)> = match &s.networks {
                None => vec![("default".to_string(), Default::default())],
                Some(n) => n.0 .0.clone(),
            };
            for (key, sn) in wanted {
                let np = net_defs.iter().find(|n| n.key == key).ok_or_else(|| {
                    e(
                        "networks",
                        format!("the service joins network {key:?}, which is not declared under the top-level `networks:`"),
                    )
                })?;
                if key == "default" {
                    needs_network = true;
                }
                if !used_networks.contains(&key) {
                    used_networks.push(key.clone());
                }
                let ipam_config =
                    (sn.ipv4_address.is_some() || sn.ipv6_address.is_some()).then(|| {
                        EndpointIpamConfig {
                            ipv4_address: sn.ipv4_address.clone(),
                            ipv6_address: sn.ipv6_address.clone(),
                            ..Default::default()
                        }
                    });
                svc_networks.push((
                    np.name.clone(),
                    EndpointSettings {
                        aliases: (!sn.aliases.is_empty()).then(|| sn.aliases.clone()),
                        ipam_config,
                        ..Default::default()
                    },
                    sn.priority.unwrap_or(0),
                ));
            }
            // compose: highest priority first, then by name.
            svc_networks.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
        }
        // Replica 1 of another service, as [`Plan::container_name`] names it.
        let first_container = |other: &str| match doc
            .services
            .get(other)
            .and_then(|t| t.container_name.as_ref())
        {
            Some(c) => c.as_str().to_string(),
            None => format!("{project}-{other}-1"),
        };
        // Links reach the linked containers by an alias on the first network.
        let mut links = Vec::new();
        for l in s.links.iter().flatten() {
            let (target, alias) = l.split_once(':').unwrap_or((l, l));
            if !doc.services.contains_key(target) {
                return Err(e(
                    "links",
                    format!("{l:?} links to no service named {target:?}"),
                ));
            }
            let target_name = first_container(target);
            links.push(format!("{target_name}:{alias}"));
        }
        if let Some(first) = svc_networks.first_mut() {
            if !links.is_empty() {
                first.1.links = Some(links.clone());
            }
        }
        let networking_config = (!svc_networks.is_empty()).then(|| NetworkingConfig {
            endpoints_config: Some(
                svc_networks
                    .iter()
                    .map(|(n, ep, _)| (n.clone(), ep.clone()))
                    .collect(),
            ),
        });
        let primary_network = svc_networks.first().map(|(n, _, _)| n.clone());

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
                .map(|(n, c)| format!("{n}:{}:{}", c.as_str(), restart_with.contains(n)))
                .collect();
            d.sort();
            labels.insert(LABEL_DEPENDS_ON.into(), d.join(","));
        }

        // Secrets and configs: a file is bind-mounted read-only (as compose
        // does); content from the environment or the document is copied in
        // before the container starts.
        let mut copies = Vec::new();
        for (kind, refs, top, dir) in [
            ("secrets", &s.secrets, &doc.secrets, "/run/secrets"),
            ("configs", &s.configs, &doc.configs, ""),
        ] {
            for r in refs.iter().flatten() {
                let obj: &FileObject = top.get(&r.source).ok_or_else(|| {
                    e(
                        kind,
                        format!(
                            "{:?} is not declared under the top-level `{kind}:`",
                            r.source
                        ),
                    )
                })?;
                let target = match &r.target {
                    Some(t) if t.starts_with('/') => t.clone(),
                    Some(t) => format!("{dir}/{t}"),
                    None => format!("{dir}/{}", r.source),
                };
                if let Some(f) = &obj.file {
                    let path = resolve_path(&base, f, inputs.env);
                    if kind == "secrets" && !private_files.contains(&path) {
                        private_files.push(path.clone());
                    }
                    binds.push(format!("{}:{target}:ro", path.display()));
                    continue;
                }
                let content = if let Some(var) = &obj.environment {
                    (inputs.env)(var)
                        .or_else(|| dotenv.iter().find(|(k, _)| k == var).map(|(_, v)| v.clone()))
                        .ok_or_else(|| {
                            e(
                                kind,
                                format!(
                                    "{:?} reads the variable {var}, which is set neither in the environment nor in {}",
                                    r.source,
                                    base.join(".env").display()
                                ),
                            )
                        })?
                } else if let Some(c) = &obj.content {
                    c.clone()
                } else {
                    return Err(e(
                        kind,
                        format!(
                            "{:?} is external: external {kind} exist in swarm only; give it a `file` or `environment`",
                            r.source
                        ),
                    ));
                };
                let id = |v: &Option<String>, what: &str| -> Result<u64, String> {
                    match v {
                        None => Ok(0),
                        Some(x) => x
                            .parse()
                            .map_err(|_| e(kind, format!("{what} {x:?} is not a number"))),
                    }
                };
                copies.push(CopyIn {
                    path: target,
                    content: content.into_bytes(),
                    mode: r.mode.unwrap_or(0o444),
                    uid: id(&r.uid, "uid")?,
                    gid: id(&r.gid, "gid")?,
                });
            }
        }

        // Two mounts at one container path: the engine refuses the create.
        {
            let mut seen: Vec<(&str, &str)> = Vec::new();
            let bind_targets = binds
                .iter()
                .filter_map(|b| b.split(':').nth(1))
                .map(|t| ("volumes", t));
            let others = anon_volumes
                .iter()
                .map(|t| ("volumes", t.as_str()))
                .chain(tmpfs.iter().flatten().map(|(t, _)| ("tmpfs", t.as_str())))
                .chain(copies.iter().map(|c| ("secrets", c.path.as_str())));
            for (key, t) in bind_targets.chain(others) {
                let t = t.trim_end_matches('/');
                if let Some((_, first)) = seen.iter().find(|(_, x)| *x == t) {
                    return Err(e(
                        key,
                        format!("two mounts at {first} in the container: give each volume, tmpfs, secret or config its own target"),
                    ));
                }
                seen.push((key, t));
            }
        }

        let hooks = |k: &str, list: &Option<Vec<Hook>>| -> Result<Vec<HookPlan>, String> {
            list.iter()
                .flatten()
                .map(|h| {
                    Ok(HookPlan {
                        cmd: to_list(&h.command, true).map_err(|m| e(k, m))?,
                        user: h.user.clone(),
                        privileged: h.privileged.unwrap_or(false),
                        working_dir: h.working_dir.clone(),
                        env: h
                            .environment
                            .0
                            .iter()
                            .filter_map(|(k, v)| {
                                v.clone()
                                    .or_else(|| (inputs.env)(k))
                                    .map(|v| format!("{k}={v}"))
                            })
                            .collect(),
                    })
                })
                .collect()
        };
        let post_start = hooks("post_start", &s.post_start)?;
        let pre_stop = hooks("pre_stop", &s.pre_stop)?;

        let bytes =
            |k: &str, v: &Option<devctl_compose::keys::ByteSize>| -> Result<Option<i64>, String> {
                v.as_ref()
                    .map(|b| b.bytes())
                    .transpose()
                    .map_err(|m| e(k, m))
            };
        let limits = s
            .deploy
            .as_ref()
            .and_then(|d| d.resources.as_ref())
            .and_then(|r| r.limits.clone())
            .unwrap_or_default();
        let reservations = s
            .deploy
            .as_ref()
            .and_then(|d| d.resources.as_ref())
            .and_then(|r| r.reservations.clone())
            .unwrap_or_default();
        if reservations.cpus.is_some() || reservations.pids.is_some() {
            return Err(e(
                "deploy.resources.reservations",
                "only `memory` can be reserved on a single engine (cpus and pids reservations are swarm scheduling hints): use limits".into(),
            ));
        }
        let nano_cpus = match (&s.cpus, &limits.cpus) {
            (Some(c), _) | (None, Some(c)) => Some(c.nano().map_err(|m| e("cpus", m))?),
            (None, None) => None,
        };
        let memory = match bytes("mem_limit", &s.mem_limit)? {
            Some(m) => Some(m),
            None => bytes("deploy.resources.limits.memory", &limits.memory)?,
        };
        let memory_reservation = match bytes("mem_reservation", &s.mem_reservation)? {
            Some(m) => Some(m),
            None => bytes("deploy.resources.reservations.memory", &reservations.memory)?,
        };
        let mut devices = Vec::new();
        for d in s.devices.iter().flatten() {
            let (h, c, perm) = Device::parse(&d.0).map_err(|m| e("devices", m))?;
            devices.push(DeviceMapping {
                path_on_host: Some(h),
                path_in_container: Some(c),
                cgroup_permissions: Some(perm),
            });
        }
        let mut volumes_from = Vec::new();
        for v in s.volumes_from.iter().flatten() {
            let (what, mode) = match v.rsplit_once(':') {
                Some((w, m)) if m == "ro" || m == "rw" => (w, Some(m)),
                _ => (v.as_str(), None),
            };
            let container = match what.strip_prefix("container:") {
                Some(c) => c.to_string(),
                None => {
                    let svc = what.strip_prefix("service:").unwrap_or(what);
                    if !doc.services.contains_key(svc) {
                        return Err(e("volumes_from", format!("{v:?} names no service {svc:?}")));
                    }
                    first_container(svc)
                }
            };
            volumes_from.push(match mode {
                Some(m) => format!("{container}:{m}"),
                None => container,
            });
        }
        let replicas = s
            .scale
            .or_else(|| s.deploy.as_ref().and_then(|d| d.replicas))
            .unwrap_or(1);
        if s.container_name.is_some() && replicas > 1 {
            return Err(e(
                "container_name",
                format!("a service with `container_name` cannot have {replicas} replicas (container names are unique): drop one of the two"),
            ));
        }
        let list = |v: &Option<StrOrList>| v.as_ref().map(|l| l.to_vec()).filter(|l| !l.is_empty());
        let map =
            |v: &Option<devctl_compose::KeyValues>| v.as_ref().map(kv).filter(|m| !m.is_empty());

        let user = s.user.clone();
        let body = ContainerCreateBody {
            image: Some(image.clone()),
            hostname: s.hostname.clone(),
            domainname: s.domainname.clone(),
            tty: s.tty,
            open_stdin: s.stdin_open,
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
                network_mode: network_mode.clone().or(primary_network.clone()),
                dns: list(&s.dns),
                dns_search: list(&s.dns_search),
                dns_options: s.dns_opt.clone().filter(|l| !l.is_empty()),
                ulimits: s.ulimits.as_ref().map(|u| {
                    u.iter()
                        .map(|(k, l)| ResourcesUlimits {
                            name: Some(k.clone()),
                            soft: Some(l.soft),
                            hard: Some(l.hard),
                        })
                        .collect()
                }),
                shm_size: bytes("shm_size", &s.shm_size)?,
                sysctls: map(&s.sysctls),
                devices: (!devices.is_empty()).then_some(devices),
                device_cgroup_rules: s.device_cgroup_rules.clone().filter(|l| !l.is_empty()),
                group_add: s
                    .group_add
                    .as_ref()
                    .map(|g| g.iter().map(|x| x.0.clone()).collect()),
                pid_mode: s.pid.clone(),
                ipc_mode: s.ipc.clone(),
                uts_mode: s.uts.clone(),
                userns_mode: s.userns_mode.clone(),
                cgroup_parent: s.cgroup_parent.clone(),
                runtime: s.runtime.clone(),
                log_config: s.logging.as_ref().map(|l| HostConfigLogConfig {
                    typ: l.driver.clone(),
                    config: (!l.options.is_empty()).then(|| kv(&l.options)),
                }),
                memory,
                memory_reservation,
                memory_swap: bytes("memswap_limit", &s.memswap_limit)?,
                memory_swappiness: s.mem_swappiness,
                oom_kill_disable: s.oom_kill_disable,
                oom_score_adj: s.oom_score_adj,
                pids_limit: s.pids_limit.or(limits.pids),
                nano_cpus,
                cpu_shares: s.cpu_shares,
                cpu_period: s.cpu_period,
                cpu_quota: s.cpu_quota,
                cpuset_cpus: s.cpuset.clone(),
                volumes_from: (!volumes_from.is_empty()).then_some(volumes_from),
                annotations: map(&s.annotations),
                ..Default::default()
            }),
            networking_config,
            ..Default::default()
        };
        // compose v2's hash, so that `docker compose up` and devctl agree
        // on which containers are current (see compose_hash).
        let hash_json = crate::compose_hash::service_json(
            s,
            &crate::compose_hash::HashInputs {
                resolve: &|p: &str| resolve_path(&base, p, inputs.env).display().to_string(),
                environment: &hash_env,
            },
        )
        .map_err(|m| err(&file, &format!("services.{name}"), m))?;
        let config_hash = crate::compose_hash::hash(&hash_json);
        // What is copied in is not in compose's model: its own label, so a
        // changed secret recreates the container.
        let content_hash = (!copies.is_empty()).then(|| {
            let mut h = Sha256::new();
            for c in &copies {
                h.update(c.path.as_bytes());
                h.update([0]);
                h.update(&c.content);
                h.update(format!("\0{:o}:{}:{}\0", c.mode, c.uid, c.gid).as_bytes());
            }
            h.finalize()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        });
        services.push(ServicePlan {
            name: name.clone(),
            container_name: s.container_name.as_ref().map(|c| c.as_str().to_string()),
            image,
            platform: s.platform.as_ref().map(|p| p.as_str().to_string()),
            pull_policy: match s.pull_policy.as_ref().map(|p| p.as_str()) {
                None | Some("if_not_present") => "missing".to_string(),
                Some(p) => p.to_string(),
            },
            pull_policy_explicit: s.pull_policy.is_some(),
            networks: svc_networks.into_iter().map(|(n, ep, _)| (n, ep)).collect(),
            copies,
            post_start,
            pre_stop,
            build,
            replicas,
            depends_on,
            optional_deps,
            restart_with,
            config_hash,
            hash_json,
            content_hash,
            user,
            working_dir: s.working_dir.clone(),
            ports,
            bind_sources,
            stop_timeout,
            profiles: s.profiles.clone(),
            network_service,
            mac_address: s.mac_address.as_ref().map(|m| m.as_str().to_string()),
            body,
        });
    }

    resolve_contexts(&mut services).map_err(|(svc, m)| {
        err(
            &file,
            &format!("services.{svc}.build.additional_contexts"),
            m,
        )
    })?;
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
        networks: net_defs
            .into_iter()
            .filter(|n| used_networks.contains(&n.key))
            .collect(),
        volumes,
        services,
        private_files,
        app: None,
    })
}

/// `service:OTHER` contexts: OTHER's image, and no service's build that
/// needs its own image (through other services).
fn resolve_contexts(services: &mut [ServicePlan]) -> Result<(), (String, String)> {
    let images: HashMap<String, String> = services
        .iter()
        .map(|s| (s.name.clone(), s.image.clone()))
        .collect();
    let uses: HashMap<String, Vec<String>> = services
        .iter()
        .map(|s| {
            let deps = s
                .build
                .iter()
                .flat_map(|b| b.contexts.iter().filter_map(|c| c.service.clone()))
                .collect();
            (s.name.clone(), deps)
        })
        .collect();
    for s in services.iter_mut() {
        let name = s.name.clone();
        for c in s.build.iter_mut().flat_map(|b| b.contexts.iter_mut()) {
            let Some(other) = &c.service else { continue };
            c.image = images.get(other).cloned().ok_or_else(|| {
                (
                    name.clone(),
                    format!("`{}` names service `{other}`, which does not exist", c.name),
                )
            })?;
        }
        // a cycle: the build would need its own image
        if let Some(path) = context_cycle(&uses, &name) {
            return Err((
                name,
                format!("the builds need each other's images: {}", path.join(" → ")),
            ));
        }
    }
    Ok(())
}

/// The services from `start` back to itself through `service:` contexts.
fn context_cycle(uses: &HashMap<String, Vec<String>>, start: &str) -> Option<Vec<String>> {
    fn walk(
        uses: &HashMap<String, Vec<String>>,
        cur: &str,
        start: &str,
        path: &mut Vec<String>,
        seen: &mut HashSet<String>,
    ) -> bool {
        for next in uses.get(cur).into_iter().flatten() {
            path.push(next.clone());
            if next == start || (seen.insert(next.clone()) && walk(uses, next, start, path, seen)) {
                return true;
            }
            path.pop();
        }
        false
    }
    let mut path = vec![start.to_string()];
    walk(uses, start, start, &mut path, &mut HashSet::new()).then_some(path)
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
            .select(&["app".to_string()], &[])
            .unwrap()
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        assert_eq!(names, ["db", "app"]);
        assert!(p.select(&["zzz".to_string()], &[]).is_err());
    }

    const PROFILED: &str = r#"
services:
  app:
    image: x
  db:
    image: x
  update_x:
    image: x
    profiles: [update]
    depends_on: [db]
  update_y:
    image: x
    profiles: [update]
  docs:
    image: x
    profiles: [docs, all]
"#;

    fn names(sel: Result<Vec<&ServicePlan>, String>) -> Vec<String> {
        let mut v: Vec<String> = sel.unwrap().iter().map(|s| s.name.clone()).collect();
        v.sort();
        v
    }

    fn strs(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn select_follows_compose_profiles() {
        let p = mk(PROFILED).unwrap();
        // no profile: only the services without profiles
        assert_eq!(names(p.select(&[], &[])), ["app", "db"]);
        // an active profile adds its services; `*` all of them
        assert_eq!(
            names(p.select(&[], &strs(&["update"]))),
            ["app", "db", "update_x", "update_y"]
        );
        assert_eq!(names(p.select(&[], &strs(&["all"]))), ["app", "db", "docs"]);
        assert_eq!(p.select(&[], &strs(&["*"])).unwrap().len(), 5);
        assert_eq!(names(p.select(&[], &strs(&["nope"]))), ["app", "db"]);
        // naming a profiled service enables it (and its dependencies)
        assert_eq!(
            names(p.select(&strs(&["update_x"]), &[])),
            ["db", "update_x"]
        );
        assert_eq!(names(p.select(&strs(&["app"]), &[])), ["app"]);
    }

    #[test]
    fn a_dependency_on_a_disabled_service_is_an_error_as_in_compose() {
        let text = format!("{PROFILED}  web:\n    image: x\n    depends_on: [docs]\n");
        let p = mk(&text).unwrap();
        let e = p.select(&[], &[]).unwrap_err();
        assert!(
            e.contains("\"web\" depends on service \"docs\"") && e.contains("--profile docs"),
            "{e}"
        );
        // even when another service is named (compose checks the project)
        assert!(p.select(&strs(&["app"]), &[]).is_err());
        // the profile active, or the dependency named: fine
        assert!(p.select(&[], &strs(&["docs"])).is_ok());
        assert_eq!(
            names(p.select(&strs(&["docs", "web"]), &[])),
            ["docs", "web"]
        );
    }

    #[test]
    fn a_dependency_not_required_may_be_disabled_and_restart_follows_it() {
        let text = format!(
            "{PROFILED}  web:\n    image: x\n    depends_on:\n      docs: {{condition: service_started, required: false}}\n      db: {{condition: service_started, restart: true}}\n  worker:\n    image: x\n    depends_on:\n      web: {{condition: service_started, restart: true}}\n"
        );
        let p = mk(&text).unwrap();
        // `required: false`: docs disabled is no error, and it is not
        // brought along when web is named
        assert!(names(p.select(&[], &[])).contains(&"web".to_string()));
        assert_eq!(names(p.select(&strs(&["web"]), &[])), ["db", "web"]);
        // active, it is started with web
        assert_eq!(
            names(p.select(&strs(&["web"]), &strs(&["docs"]))),
            ["db", "docs", "web"]
        );
        let web = p.service("web").unwrap();
        assert_eq!(web.optional_deps, ["docs"]);
        assert_eq!(web.restart_with, ["db"]);
        // compose's label: name:condition:restart
        assert_eq!(
            web.body.labels.as_ref().unwrap()[LABEL_DEPENDS_ON],
            "db:service_started:true,docs:service_started:false"
        );
        // restarting db restarts web (restart: true), and so worker
        let mut r = p.restart_set(&strs(&["db"]));
        r.sort();
        assert_eq!(r, ["db", "web", "worker"]);
        assert_eq!(p.restart_set(&strs(&["docs"])), ["docs"]);
        assert!(p.restart_set(&[]).is_empty());
    }

    #[test]
    fn service_network_mode_shares_the_other_containers_stack() {
        let p = mk("services:\n  b:\n    image: x\n    network_mode: service:a\n  a:\n    image: x\n    mac_address: 02:42:ac:11:00:99\n").unwrap();
        // a starts first: the implicit dependency, restarted with it
        let names: Vec<&str> = p.services.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        let b = p.service("b").unwrap();
        assert_eq!(b.network_service.as_deref(), Some("a"));
        assert_eq!(b.depends_on, [("a".to_string(), Condition::ServiceStarted)]);
        assert_eq!(b.restart_with, ["a"]);
        assert!(b.networks.is_empty(), "{:?}", b.networks);
        let body = p.create_body(b, 1);
        let hc = body.host_config.unwrap();
        // the stand-in converge replaces by a's container id
        assert_eq!(hc.network_mode.as_deref(), Some("container:my_app-a-1"));
        assert!(body.networking_config.is_none());
        assert!(hc.port_bindings.is_none());
        // the MAC address is the container's, next to the body
        let a = p.service("a").unwrap();
        assert_eq!(a.mac_address.as_deref(), Some("02:42:ac:11:00:99"));
        assert_eq!(b.mac_address, None);
        assert!(
            a.hash_json
                .contains(r#""mac_address":"02:42:ac:11:00:99","networks""#),
            "{}",
            a.hash_json
        );
        assert!(
            b.hash_json.contains(r#""network_mode":"service:a""#),
            "{}",
            b.hash_json
        );
        assert!(!b.hash_json.contains(r#""networks""#), "{}", b.hash_json);
        // converge's resolution: the id in the body and in the hash, which
        // is compose v2's at `up` (the loaded model with the id put in)
        let id = "0123abcd".repeat(8);
        let r = b.with_shared_network(&format!("container:{id}"));
        assert_eq!(
            r.body.host_config.as_ref().unwrap().network_mode,
            Some(format!("container:{id}"))
        );
        assert_eq!(
            r.hash_json,
            b.hash_json
                .replace("\"service:a\"", &format!("\"container:{id}\""))
        );
        assert_ne!(r.config_hash, b.config_hash);
        assert_eq!(r.config_hash, crate::compose_hash::hash(&r.hash_json));
        assert_eq!(
            p.create_body(&r, 1).labels.unwrap()[LABEL_HASH],
            r.config_hash
        );
        // container:NAME passes through
        let p = mk("services:\n  c:\n    image: x\n    network_mode: container:other\n").unwrap();
        let c = p.service("c").unwrap();
        assert_eq!(c.network_service, None);
        assert_eq!(
            p.create_body(c, 1)
                .host_config
                .unwrap()
                .network_mode
                .as_deref(),
            Some("container:other")
        );
    }

    #[test]
    fn service_network_mode_errors_name_the_key() {
        let e = mk("services:\n  b:\n    image: x\n    network_mode: service:nope\n").unwrap_err();
        assert!(e.contains("services.b.network_mode"), "{e}");
        assert!(e.contains("names no other service"), "{e}");
        let e = mk("services:\n  b:\n    image: x\n    network_mode: service:b\n").unwrap_err();
        assert!(e.contains("services.b.network_mode"), "{e}");
        let e = mk("services:\n  b:\n    image: x\n    network_mode: service:a\n    ports: ['80']\n  a:\n    image: x\n").unwrap_err();
        assert!(e.contains("services.b.ports"), "{e}");
        let e = mk("services:\n  b:\n    image: x\n    network_mode: service:a\n    networks: [default]\n  a:\n    image: x\n").unwrap_err();
        assert!(e.contains("services.b.networks"), "{e}");
        let e = mk("services:\n  b:\n    image: x\n    network_mode: service:a\n    mac_address: 02:42:ac:11:00:98\n  a:\n    image: x\n").unwrap_err();
        assert!(e.contains("services.b.mac_address"), "{e}");
        let e = mk("services:\n  b:\n    image: x\n    network_mode: service:a\n  a:\n    image: x\n    network_mode: service:b\n").unwrap_err();
        assert!(e.contains("cycle"), "{e}");
    }

    #[test]
    fn oneoff_body_is_compose_runs() {
        let p = mk(BASIC).unwrap();
        let app = p.service("app").unwrap();
        let slug = "0123456789abcdef".repeat(4);
        assert_eq!(p.oneoff_name("app", &slug), "my_app-app-run-0123456789ab");
        let plain = p.oneoff_body(
            app,
            &OneOff {
                slug: slug.clone(),
                ..Default::default()
            },
        );
        let l = plain.labels.as_ref().unwrap();
        assert_eq!(l[LABEL_ONEOFF], "True");
        assert_eq!(l[LABEL_SLUG], slug);
        assert_eq!(l[LABEL_SERVICE], "app");
        assert!(!l.contains_key(LABEL_NUMBER));
        // the service's command and user; no ports, no restart policy
        assert_eq!(plain.cmd, app.body.cmd);
        assert_eq!(plain.user.as_deref(), Some("app"));
        let hc = plain.host_config.as_ref().unwrap();
        assert!(hc.port_bindings.is_none() && plain.exposed_ports.is_none());
        let ep = &plain.networking_config.unwrap().endpoints_config.unwrap()["my_app_default"];
        assert_eq!(
            ep.aliases.as_deref().unwrap(),
            ["my_app-app-run-0123456789ab"]
        );
        let o = OneOff {
            slug,
            cmd: Some(strs(&["echo", "hi"])),
            entrypoint: None,
            env: vec![("A".into(), "1".into())],
            user: Some("1000".into()),
            workdir: Some("/tmp".into()),
            tty: true,
            stdin: true,
            service_ports: true,
        };
        let b = p.oneoff_body(app, &o);
        assert_eq!(b.cmd.as_deref().unwrap(), ["echo", "hi"]);
        assert_eq!(b.env.as_deref().unwrap(), ["A=1"]);
        assert_eq!(
            (
                b.user.as_deref(),
                b.working_dir.as_deref(),
                b.tty,
                b.open_stdin
            ),
            (Some("1000"), Some("/tmp"), Some(true), Some(true))
        );
        assert!(b.host_config.unwrap().port_bindings.is_some());
        // an entrypoint without a command drops the service's command
        let b = p.oneoff_body(
            app,
            &OneOff {
                entrypoint: Some(strs(&["env"])),
                cmd: None,
                ..o
            },
        );
        assert_eq!(b.entrypoint.as_deref().unwrap(), ["env"]);
        assert_eq!(b.cmd.as_deref().unwrap(), [] as [&str; 0]);
    }

    #[test]
    fn durations_ports_and_misc() {
        assert_eq!(parse_duration("1m30s").unwrap(), 90_000_000_000);
        assert_eq!(parse_duration("500ms").unwrap(), 500_000_000);
        assert_eq!(parse_duration("1.5s").unwrap(), 1_500_000_000);
        assert!(parse_duration("10").is_err());
        assert!(parse_duration("10x").is_err());
        let p = parse_port("8000").unwrap().remove(0);
        assert_eq!(
            (
                p.host_ip.as_str(),
                p.host_port.as_str(),
                p.container_port.as_str()
            ),
            ("", "", "8000")
        );
        let p = parse_port("127.0.0.1:80:8000/udp").unwrap().remove(0);
        assert_eq!(
            (
                p.host_ip.as_str(),
                p.host_port.as_str(),
                p.protocol.as_str()
            ),
            ("127.0.0.1", "80", "udp")
        );
        let p = parse_port("[::1]:80:8000").unwrap().remove(0);
        assert_eq!(p.host_ip, "::1");
        // ranges: pairwise, engine-picked, or one of a host range
        let r = parse_port("8000-8002:9000-9002").unwrap();
        assert_eq!(
            r.iter()
                .map(|p| format!("{}>{}", p.host_port, p.container_port))
                .collect::<Vec<_>>(),
            ["8000>9000", "8001>9001", "8002>9002"]
        );
        assert_eq!(parse_port("9000-9001").unwrap().len(), 2);
        let r = parse_port("8000-8010:80").unwrap();
        assert_eq!((r.len(), r[0].host_port.as_str()), (1, "8000-8010"));
        let e = parse_port("8000-8001:9000-9002").unwrap_err();
        assert!(e.contains("not the same length"), "{e}");
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
