//! devctl.toml as serde types. Every table denies unknown keys; values that
//! have a shape (ports, paths, durations, names) are checked while they are
//! deserialised, so an error carries the TOML span of the offending value.
//! Checks are skipped for a value still holding `$` (before interpolation):
//! [`crate::load`] deserialises twice, before and after
//! interpolation.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;

pub use devctl_compose::is_duration;
use devctl_compose::value::{is_ip, parse_port_number};
pub use devctl_compose::{
    normalize_project_name, Build as BuildSpec, Cgroup, Command as CommandSpec, Condition,
    DependsOn, DependsOnEntry, Deploy, Duration, ExtraHosts, Healthcheck, KeyValues, PortSpec,
    Restart, Scalar, StrOrList, Volume as VolumeSpec, VolumeMount,
};

/// The whole file.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub project: ProjectSection,
    /// The service built from the project's Dockerfile (absent: no app service).
    pub app: Option<AppSection>,
    pub nvm: Option<NvmSection>,
    pub assets: Option<AssetsSection>,
    /// Extra services, written with (a subset of) compose's service keys.
    #[serde(default)]
    pub services: BTreeMap<String, ServiceSpec>,
    /// Named volumes (volumes used by services are declared automatically;
    /// list one here to give it a driver or driver options).
    #[serde(default)]
    pub volumes: BTreeMap<String, VolumeSpec>,
    /// Networks (services join `default` unless they name networks).
    #[serde(default)]
    pub networks: BTreeMap<String, devctl_compose::Network>,
    /// Secrets, mounted at `/run/secrets/NAME` of the services that list them.
    #[serde(default)]
    pub secrets: BTreeMap<String, devctl_compose::FileObject>,
    /// Configs, mounted at `/NAME` of the services that list them.
    #[serde(default)]
    pub configs: BTreeMap<String, devctl_compose::FileObject>,
    /// Lint settings, validated by the linter's own config loader.
    pub lint: Option<toml::Table>,
    /// Named tasks (`devctl TASK`), checked by [`crate::tasks`].
    #[serde(default)]
    pub tasks: BTreeMap<String, TaskSpec>,
}

/// `[tasks.NAME]`: a named command, run in a service's container or on the host.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TaskSpec {
    pub description: Option<String>,
    /// A string is a shell line (`sh -c`), a list is argv.
    pub run: Option<StrOrList>,
    /// Default: the app service.
    pub service: Option<String>,
    #[serde(default)]
    pub args: TaskArgs,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    #[serde(default)]
    pub deps: Vec<String>,
    #[serde(default)]
    pub host: bool,
    pub confirm: Option<String>,
    #[serde(default)]
    pub oneoff: bool,
}

/// What a task does with the words after its name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum TaskArgs {
    /// Appended, shell-quoted (the default).
    #[default]
    Append,
    /// Refused.
    None,
    /// Named (`["file", "rest..."]`), used as `${file}` in `run`.
    Named(Vec<String>),
}

impl<'de> Deserialize<'de> for TaskArgs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = TaskArgs;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("\"append\", \"none\" or a list of argument names")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<TaskArgs, E> {
                match v {
                    "append" => Ok(TaskArgs::Append),
                    "none" => Ok(TaskArgs::None),
                    other => Err(E::invalid_value(de::Unexpected::Str(other), &self)),
                }
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<TaskArgs, A::Error> {
                let mut v = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    v.push(s);
                }
                Ok(TaskArgs::Named(v))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ProjectSection {
    /// Default: the project directory's name, normalised as compose does.
    pub name: Option<ProjectName>,
    /// When set, built images are tagged `<registry>/<project>-<service>:dev`.
    pub registry: Option<Registry>,
}

pub const DEFAULT_NVM_INSTALL: &str =
    "curl -fsSL https://raw.githubusercontent.com/nvm-sh/nvm/v0.40.1/install.sh | bash";

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NvmSection {
    /// Host dir mounted at the container user's `~/.nvm`, or `"volume"` for
    /// a named volume.
    #[serde(default = "default_nvm_dir")]
    pub dir: String,
    #[serde(default = "default_nvm_install")]
    pub install: String,
}

impl Default for NvmSection {
    fn default() -> Self {
        NvmSection {
            dir: default_nvm_dir(),
            install: default_nvm_install(),
        }
    }
}

fn default_nvm_dir() -> String {
    "~/.nvm".into()
}
fn default_nvm_install() -> String {
    DEFAULT_NVM_INSTALL.into()
}

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Toolchain {
    #[default]
    Nvm,
    System,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AssetsSection {
    #[serde(default)]
    pub toolchain: Toolchain,
    /// Re-run when package-lock.json changes.
    pub install: Option<String>,
    /// Full build when run-dev starts.
    pub build: Option<String>,
    #[serde(default)]
    pub watch: Vec<WatchRule>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WatchRule {
    pub name: String,
    /// Roots, relative to the project dir.
    pub paths: Vec<RelPath>,
    /// Glob patterns on file names; empty: every file.
    #[serde(default)]
    pub patterns: Vec<String>,
    /// Shell command run in the app container.
    pub run: String,
    /// Quiet period before a rebuild, in milliseconds.
    pub debounce_ms: Option<u64>,
}

/// The compose service keys shared by `[app]` and `[services.*]`, listed
/// once: `$then!` receives its own arguments and then this list (devctl's
/// keys and compose's pass-through ones), and generates [`Common`] or a
/// section holding these keys.
macro_rules! with_common_keys {
    ($then:ident ! $args:tt) => {
        devctl_compose::with_service_keys! { join_keys! { $then ! $args } }
    };
}

/// devctl's own shared keys, then compose's pass-through keys
/// ([`devctl_compose::with_service_keys`]), each an `Option`.
macro_rules! join_keys {
    ({ $then:ident ! $args:tt } { $($k:ident : $t:ty,)* }) => {
        $then! { $args {
            environment: Option<KeyValues>,
            env_file: Option<StrOrList>,
            #[serde(default)]
            ports: Vec<PortSpec>,
            #[serde(default)]
            volumes: Vec<VolumeMount>,
            tmpfs: Option<StrOrList>,
            depends_on: Option<DependsOn>,
            healthcheck: Option<Healthcheck>,
            privileged: Option<bool>,
            cgroup: Option<Cgroup>,
            network_mode: Option<String>,
            #[serde(default)]
            security_opt: Vec<String>,
            #[serde(default)]
            cap_add: Vec<String>,
            #[serde(default)]
            cap_drop: Vec<String>,
            read_only: Option<bool>,
            restart: Option<Restart>,
            labels: Option<KeyValues>,
            stop_signal: Option<String>,
            stop_grace_period: Option<Duration>,
            extra_hosts: Option<ExtraHosts>,
            /// Compose profiles (`--profile`, `COMPOSE_PROFILES`).
            #[serde(default)]
            profiles: Vec<String>,
            /// Opt-in for mounting the Docker socket (root-equivalent).
            #[serde(default)]
            allow_docker_socket: bool,
            /// `security_opt: no-new-privileges:true` (default: on unless privileged).
            no_new_privileges: Option<bool>,
            $( $k: Option<$t>, )*
        } }
    };
}

/// [`Common`] from the list of [`with_common_keys`].
macro_rules! common_struct {
    ({} { $($(#[$cm:meta])* $c:ident : $ct:ty,)* }) => {
        /// The shared service keys, taken out of an [`AppSection`] or [`ServiceSpec`].
        #[derive(Debug, Clone, Default, Deserialize, PartialEq)]
        #[serde(deny_unknown_fields)]
        pub struct Common {
            $($(#[$cm])* pub $c: $ct,)*
        }
    };
}

/// A section: its own keys, then the common ones, and `common()`.
macro_rules! section_struct {
    (
        { $(#[$meta:meta])* $name:ident { $($(#[$fm:meta])* $f:ident : $t:ty,)* } }
        { $($(#[$cm:meta])* $c:ident : $ct:ty,)* }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, Deserialize, PartialEq)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            $($(#[$fm])* pub $f: $t,)*
            $($(#[$cm])* pub $c: $ct,)*
        }

        impl $name {
            pub fn common(&self) -> Common {
                Common {
                    $($c: self.$c.clone(),)*
                }
            }

            /// Takes what `base` sets and this section does not
            /// ([`crate::extends`]'s rules).
            pub fn inherit(&mut self, base: &Self) {
                use crate::extends::Inherit;
                $(self.$f.inherit(&base.$f);)*
                $(self.$c.inherit(&base.$c);)*
            }
        }
    };
}

/// `service_struct! { pub struct X { pub own: T, … } }`: a section with
/// its own keys plus the common ones.
macro_rules! service_struct {
    (
        $(#[$meta:meta])*
        pub struct $name:ident { $($(#[$fm:meta])* pub $f:ident : $t:ty,)* }
    ) => {
        with_common_keys!(section_struct! { $(#[$meta])* $name { $($(#[$fm])* $f : $t,)* } });
    };
}

with_common_keys!(common_struct! {});

service_struct! {
    /// `[app]`: the service built from the project's Dockerfile.
    pub struct AppSection {
        /// The app's compose service name (default `app`).
        pub name: Option<ServiceName>,
        #[serde(default = "default_dockerfile")]
        pub dockerfile: String,
        /// The Dockerfile's text instead of a file (compose's
        /// `build.dockerfile_inline`); not with `dockerfile`.
        pub dockerfile_inline: Option<String>,
        /// Build context relative to the project dir.
        #[serde(default = "default_context")]
        pub context: String,
        pub target: Option<String>,
        /// Container port, published on 127.0.0.1 unless `publish` says otherwise.
        pub port: Option<Port>,
        /// `"IP"` or `"IP:HOST_PORT"`, e.g. `"0.0.0.0:8000"`.
        pub publish: Option<Publish>,
        #[serde(default = "default_user")]
        pub user: UserName,
        #[serde(default = "default_workdir")]
        pub workdir: AbsPath,
        pub server: Option<CommandSpec>,
        pub migrate: Option<CommandSpec>,
        /// The container's command, outright: no migrate/server script is
        /// generated (AUTO_START_SERVER is then the user's).
        pub command: Option<CommandSpec>,
        /// Options of the source mount (`./:/app:z`), as compose's short
        /// volume syntax takes them.
        #[serde(default)]
        pub mount_options: Vec<MountOption>,
        /// Image name (default `<project>-app:dev`, prefixed by the registry).
        pub image: Option<String>,
        #[serde(default)]
        pub build_args: BTreeMap<String, Scalar>,
        /// Build secrets (`[secrets.NAME]` entries) the Dockerfile reads
        /// with `RUN --mount=type=secret,id=NAME` (compose's `build.secrets`).
        #[serde(default)]
        pub build_secrets: Vec<devctl_compose::keys::FileRef>,
        /// SSH agent forwarding for the build (`["default"]`: the agent at
        /// SSH_AUTH_SOCK), compose's `build.ssh`.
        #[serde(default)]
        pub build_ssh: Vec<String>,
        /// Labels of the built image (compose's `build.labels`).
        #[serde(default)]
        pub build_labels: KeyValues,
        /// More names for the built image (compose's `build.tags`).
        #[serde(default)]
        pub build_tags: Vec<String>,
        /// Named build contexts (compose's `build.additional_contexts`):
        /// `NAME = "service:OTHER"` or `"docker-image://IMAGE"`.
        #[serde(default)]
        pub build_additional_contexts: KeyValues,
        /// The container's entrypoint (compose's `entrypoint`): the
        /// generated migrate/server script (or `command`) is its argument.
        pub entrypoint: Option<CommandSpec>,
    }
}

service_struct! {
    /// `[services.NAME]`: an extra service.
    pub struct ServiceSpec {
        pub image: Option<String>,
        pub build: Option<BuildSpec>,
        pub command: Option<CommandSpec>,
        pub entrypoint: Option<CommandSpec>,
        pub user: Option<String>,
        pub working_dir: Option<AbsPath>,
        pub init: Option<bool>,
        pub deploy: Option<Deploy>,
        /// Another `[services.*]` whose keys this one inherits.
        pub extends: Option<crate::extends::Extends>,
    }
}

/// The app service's name when none is given.
pub const DEFAULT_APP_NAME: &str = "app";

impl AppSection {
    /// The app's compose service name: `name`, default `app`.
    pub fn service_name(&self) -> &str {
        self.name.as_ref().map_or(DEFAULT_APP_NAME, |n| n.as_str())
    }
}

impl Config {
    /// The app service's name, when there is an `[app]`.
    pub fn app_name(&self) -> Option<&str> {
        self.app.as_ref().map(AppSection::service_name)
    }
}

/// A compose service name: letters, digits, `.`, `_`, `-`, starting with a
/// letter or digit.
pub fn is_service_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        && s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
}

devctl_compose::checked_string!(
    /// `[app].name`: a compose service name.
    ServiceName, "a service name", |s| {
        if is_service_name(s) { Ok(()) } else {
            Err(format!("service name `{s}` is invalid: use letters, digits, `.`, `_`, `-`, starting with a letter or digit (e.g. `web`)"))
        }
    }
);

/// The options compose's short volume syntax takes after the target.
pub const MOUNT_OPTIONS: &[&str] = &[
    "ro",
    "rw",
    "z",
    "Z",
    "cached",
    "delegated",
    "consistent",
    "shared",
    "rshared",
    "slave",
    "rslave",
    "private",
    "rprivate",
];

devctl_compose::checked_string!(
    /// One of `[app].mount_options` (see [`MOUNT_OPTIONS`]).
    MountOption, "a mount option such as `z`, `Z`, `ro` or `cached`", |s| {
        if MOUNT_OPTIONS.contains(&s) { Ok(()) } else {
            Err(format!("mount option `{s}` is not one compose takes for a bind mount: use one of {}", MOUNT_OPTIONS.join(", ")))
        }
    }
);

fn default_dockerfile() -> String {
    "Dockerfile".into()
}
fn default_context() -> String {
    ".".into()
}
fn default_user() -> UserName {
    UserName("app".into())
}
fn default_workdir() -> AbsPath {
    AbsPath("/app".into())
}

devctl_compose::checked_string!(
    /// An absolute path inside a container.
    AbsPath, "an absolute path (starting with `/`)", |s| {
        if s.starts_with('/') { Ok(()) } else {
            Err(format!("`{s}` is a relative path; a container path must be absolute, e.g. `/{}`", s.trim_start_matches("./")))
        }
    }
);

devctl_compose::checked_string!(
    /// A path relative to the project dir, inside it.
    RelPath, "a path relative to the project directory", |s| {
        if s.starts_with('/') || s.split('/').any(|c| c == "..") {
            Err(format!("`{s}` must be a path inside the project directory, relative to it (e.g. `sass`)"))
        } else { Ok(()) }
    }
);

devctl_compose::checked_string!(
    /// A compose project name: lowercase letters, digits, `-`, `_`, starting
    /// with a letter or digit.
    ProjectName, "a project name", |s| {
        let ok = s.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if ok { Ok(()) } else {
            Err(format!("project name `{s}` is invalid: use lowercase letters, digits, `-` and `_`, starting with a letter or digit (e.g. `{}`)", normalize_project_name(s)))
        }
    }
);

devctl_compose::checked_string!(
    /// An image registry prefix such as `registry.example.com:5000/team`.
    Registry, "a registry host (and optional path)", |s| {
        let ok = !s.is_empty() && !s.ends_with('/') && !s.contains("://")
            && s.chars().all(|c| c.is_ascii_alphanumeric() || "-._:/".contains(c));
        if ok { Ok(()) } else {
            Err(format!("registry `{s}` is invalid: write a host[:port][/path] without scheme or trailing `/`, e.g. `registry.example.com:5000/team`"))
        }
    }
);

devctl_compose::checked_string!(
    /// The app's container user: a name or uid, never root.
    UserName, "a user name or uid", |s| {
        devctl_compose::user::check_spelling(s).map(drop)
    }
);
devctl_compose::checked_string!(
    /// `[app].publish`: `"IP"` or `"IP:HOST_PORT"`.
    Publish, "an address such as `0.0.0.0` or `0.0.0.0:8000`", |s| {
        parse_publish(s).map(|_| ())
    }
);

/// Parses `[app].publish` into (host ip, optional host port).
pub fn parse_publish(s: &str) -> Result<(String, Option<u16>), String> {
    let (ip, port) = split_host_port(s);
    if !is_ip(ip) {
        return Err(format!(
            "publish `{s}` is invalid: write an IP address and optional host port, e.g. `0.0.0.0:8000`"
        ));
    }
    let port = match port {
        None => None,
        Some(p) => Some(parse_port_number(p)?),
    };
    Ok((ip.to_string(), port))
}

fn split_host_port(s: &str) -> (&str, Option<&str>) {
    if let Some(rest) = s.strip_prefix('[') {
        // [v6]:port
        if let Some(end) = rest.find(']') {
            let ip = &s[..end + 2];
            let after = &rest[end + 1..];
            return (ip, after.strip_prefix(':'));
        }
        return (s, None);
    }
    match s.rsplit_once(':') {
        Some((ip, port)) if !ip.contains(':') => (ip, Some(port)),
        _ => (s, None),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Port(pub u16);

impl<'de> Deserialize<'de> for Port {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Port;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a port number (1-65535)")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Port, E> {
                if (1..=65535).contains(&v) {
                    Ok(Port(v as u16))
                } else {
                    Err(E::custom(format!("port {v} is out of range (1-65535)")))
                }
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Port, E> {
                self.visit_i64(i64::try_from(v).unwrap_or(i64::MAX))
            }
        }
        d.deserialize_any(V)
    }
}

/// The valid keys of each table, for "did you mean" suggestions and docs.
pub const APP_KEYS: &[&str] = &[
    "dockerfile",
    "dockerfile_inline",
    "context",
    "target",
    "port",
    "publish",
    "user",
    "workdir",
    "server",
    "migrate",
    "image",
    "build_args",
    "build_secrets",
    "build_ssh",
    "build_labels",
    "build_tags",
    "build_additional_contexts",
    "entrypoint",
];
pub const SERVICE_KEYS: &[&str] = &[
    "image",
    "build",
    "command",
    "entrypoint",
    "user",
    "working_dir",
    "init",
    "deploy",
    "extends",
];
pub const COMMON_SERVICE_KEYS: &[&str] = &[
    "environment",
    "env_file",
    "ports",
    "volumes",
    "tmpfs",
    "depends_on",
    "healthcheck",
    "privileged",
    "cgroup",
    "network_mode",
    "security_opt",
    "cap_add",
    "cap_drop",
    "read_only",
    "restart",
    "labels",
    "stop_signal",
    "stop_grace_period",
    "extra_hosts",
    "profiles",
    "allow_docker_socket",
    "no_new_privileges",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Config, toml::de::Error> {
        toml::from_str(s)
    }

    #[test]
    fn empty_file_is_a_valid_config() {
        let c = parse("").unwrap();
        assert_eq!(c, Config::default());
    }

    #[test]
    fn app_defaults_follow_design() {
        let c = parse("[app]\nport = 8000\n").unwrap();
        let app = c.app.unwrap();
        assert_eq!(app.dockerfile, "Dockerfile");
        assert_eq!(app.context, ".");
        assert_eq!(app.user.as_str(), "app");
        assert_eq!(app.workdir.as_str(), "/app");
        assert_eq!(app.port, Some(Port(8000)));
        assert!(app.server.is_none());
    }

    #[test]
    fn nvm_defaults() {
        let c = parse("[nvm]\n").unwrap();
        let n = c.nvm.unwrap();
        assert_eq!(n.dir, "~/.nvm");
        assert_eq!(n.install, DEFAULT_NVM_INSTALL);
    }

    #[test]
    fn unknown_keys_are_rejected_everywhere() {
        for (src, key) in [
            ("[app]\nprot = 1\n", "prot"),
            ("[project]\nnmae = \"x\"\n", "nmae"),
            ("[services.db]\nimage = \"x\"\nimgae = \"y\"\n", "imgae"),
            (
                "[services.db]\nimage = \"x\"\nhealthcheck = { tset = \"x\" }\n",
                "tset",
            ),
            (
                "[services.db]\nimage = \"x\"\nbuild = { contxt = \".\" }\n",
                "contxt",
            ),
            ("[volumes.v]\ndriver_opt = {}\n", "driver_opt"),
            (
                "[services.db]\nimage = \"x\"\nblkio_config = {}\n",
                "blkio_config",
            ),
            ("bogus = 1\n", "bogus"),
        ] {
            let e = parse(src).unwrap_err();
            assert!(e.message().contains(&format!("`{key}`")), "{src}: {e}");
            assert!(e.span().is_some(), "{src}");
        }
    }

    #[test]
    fn port_range_is_checked() {
        assert!(parse("[app]\nport = 65535\n").is_ok());
        for bad in ["0", "65536", "-1", "70000"] {
            let e = parse(&format!("[app]\nport = {bad}\n")).unwrap_err();
            assert!(e.message().contains("out of range"), "{e}");
        }
        let e = parse("[app]\nport = \"8000\"\n").unwrap_err();
        assert!(e.message().contains("port number"), "{e}");
    }

    #[test]
    fn workdir_must_be_absolute() {
        let e = parse("[app]\nworkdir = \"app\"\n").unwrap_err();
        assert!(e.message().contains("relative path"), "{e}");
        let e = parse("[services.x]\nimage = \"i\"\nworking_dir = \"./w\"\n").unwrap_err();
        assert!(e.message().contains("must be absolute"), "{e}");
        // Not checked before interpolation:
        assert!(parse("[app]\nworkdir = \"${WD}\"\n").is_ok());
    }

    #[test]
    fn app_user_is_never_root() {
        for bad in [
            "root",
            "0",
            "0:0",
            "root:app",
            "",
            "00",
            "000:0",
            "+0",
            "-0",
            " 0",
            "root:root",
            ":1000",
        ] {
            assert!(
                parse(&format!("[app]\nuser = \"{bad}\"\n")).is_err(),
                "{bad}"
            );
        }
        assert!(parse("[app]\nuser = \"1000:1000\"\n").is_ok());
    }

    #[test]
    fn port_specs() {
        let p = PortSpec::parse("127.0.0.1:5432:5432/tcp").unwrap();
        assert_eq!(p.host_ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(p.host.as_deref(), Some("5432"));
        assert_eq!(p.container, "5432");
        assert_eq!(p.proto.as_deref(), Some("tcp"));
        let p = PortSpec::parse("8080").unwrap();
        assert_eq!(
            (p.host_ip, p.host, p.container.as_str()),
            (None, None, "8080")
        );
        let p = PortSpec::parse("9000-9001:9000-9001").unwrap();
        assert_eq!(p.host.as_deref(), Some("9000-9001"));
        let p = PortSpec::parse("[::1]:80:8080").unwrap();
        assert_eq!(p.host_ip.as_deref(), Some("[::1]"));
        let p = PortSpec::parse("127.0.0.1::80").unwrap();
        assert_eq!(p.host, None);
        for bad in [
            "70000",
            "0",
            "a:b",
            "1:2:3:4",
            "300.1.1.1:80:80",
            "80/icmp",
            "10-5",
            "",
        ] {
            assert!(PortSpec::parse(bad).is_err(), "{bad}");
        }
        let e = parse("[services.x]\nimage = \"i\"\nports = [\"99999:80\"]\n").unwrap_err();
        assert!(e.message().contains("out of range"), "{e}");
        let c = parse("[services.x]\nimage = \"i\"\nports = [5432, \"8080:80\"]\n").unwrap();
        assert_eq!(c.services["x"].ports.len(), 2);
    }

    #[test]
    fn volume_mounts() {
        let v = VolumeMount::parse("db:/var/lib/db").unwrap();
        assert!(v.is_named());
        let v = VolumeMount::parse("./data:/data:ro").unwrap();
        assert!(!v.is_named());
        assert_eq!(v.mode.as_deref(), Some("ro"));
        assert!(VolumeMount::parse("/anon").unwrap().source.is_none());
        for bad in ["db:data", "a:/b:c:d", ":/x", "db:/x:bogus", "rel"] {
            assert!(VolumeMount::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn durations() {
        for ok in ["10s", "1m30s", "500ms", "1.5s", "2h", "100us"] {
            assert!(is_duration(ok), "{ok}");
        }
        for bad in ["", "10", "s", "10 s", "10x", "-1s"] {
            assert!(!is_duration(bad), "{bad}");
        }
    }

    #[test]
    fn project_names() {
        assert_eq!(normalize_project_name("My App.2"), "myapp2");
        assert_eq!(normalize_project_name("__x-Y"), "x-y");
        assert_eq!(normalize_project_name("Ünïcode_dir"), "ncode_dir");
        assert!(parse("[project]\nname = \"my-app_2\"\n").is_ok());
        for bad in ["My", "-x", "a b", "_x", ""] {
            assert!(
                parse(&format!("[project]\nname = \"{bad}\"\n")).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn registry_names() {
        assert!(parse("[project]\nregistry = \"localhost:5000/team\"\n").is_ok());
        for bad in ["https://r.io", "r.io/", "", "a b"] {
            assert!(
                parse(&format!("[project]\nregistry = \"{bad}\"\n")).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn flexible_shapes() {
        let c = parse(
            r#"
[services.w]
image = "i"
command = ["a", "b"]
entrypoint = "sh -c x"
environment = ["A=1", "B"]
labels = { "x.y" = "z", n = 1 }
depends_on = { db = { condition = "service_healthy" }, q = {} }
extra_hosts = ["h:1.2.3.4"]
tmpfs = "/run"
build = "."
restart = "on-failure:3"
deploy = { replicas = 3 }
healthcheck = { test = ["CMD", "true"], interval = "5s", retries = 3 }
[services.db]
image = "p"
depends_on = ["w"]
"#,
        )
        .unwrap();
        let w = &c.services["w"];
        assert_eq!(
            w.command,
            Some(StrOrList::Many(vec!["a".into(), "b".into()]))
        );
        assert_eq!(
            w.environment.as_ref().unwrap().0,
            vec![("A".into(), Some("1".into())), ("B".into(), None)]
        );
        assert_eq!(
            w.labels.as_ref().unwrap().0,
            vec![
                ("x.y".into(), Some("z".into())),
                ("n".into(), Some("1".into()))
            ]
        );
        assert_eq!(
            w.depends_on
                .as_ref()
                .unwrap()
                .0
                .iter()
                .map(|(n, e)| (n.as_str(), e.condition))
                .collect::<Vec<_>>(),
            vec![
                ("db", Condition::ServiceHealthy),
                ("q", Condition::ServiceStarted)
            ]
        );
        assert_eq!(w.deploy.as_ref().unwrap().replicas, Some(3));
        assert_eq!(w.build.as_ref().unwrap().context, ".");
        assert_eq!(c.services["db"].depends_on.as_ref().unwrap().0[0].0, "w");
    }

    #[test]
    fn enums_reject_unknown_values() {
        assert!(parse("[services.x]\nimage = \"i\"\ncgroup = \"shared\"\n").is_err());
        assert!(parse("[services.x]\nimage = \"i\"\nrestart = \"sometimes\"\n").is_err());
        assert!(parse("[assets]\ntoolchain = \"yarn\"\n").is_err());
        assert!(parse(
            "[services.x]\nimage = \"i\"\ndepends_on = { d = { condition = \"ready\" } }\n"
        )
        .is_err());
    }

    #[test]
    fn watch_rules_require_name_paths_run() {
        let e = parse("[[assets.watch]]\nname = \"css\"\npaths = [\"sass\"]\n").unwrap_err();
        assert!(e.message().contains("`run`"), "{e}");
        let e = parse("[[assets.watch]]\nname = \"css\"\npaths = [\"/abs\"]\nrun = \"x\"\n")
            .unwrap_err();
        assert!(e.message().contains("inside the project"), "{e}");
    }

    #[test]
    fn lint_table_is_kept_raw() {
        let c = parse("[lint]\nignored = [\"DL3008\"]\nanything = { goes = 1 }\n").unwrap();
        let l = c.lint.unwrap();
        assert!(l.contains_key("ignored") && l.contains_key("anything"));
    }

    #[test]
    fn publish_forms() {
        assert_eq!(parse_publish("0.0.0.0").unwrap(), ("0.0.0.0".into(), None));
        assert_eq!(
            parse_publish("0.0.0.0:8080").unwrap(),
            ("0.0.0.0".into(), Some(8080))
        );
        assert_eq!(parse_publish("[::]:80").unwrap(), ("[::]".into(), Some(80)));
        assert!(parse_publish("localhost:80").is_err());
        assert!(parse_publish("0.0.0.0:99999").is_err());
    }
}
