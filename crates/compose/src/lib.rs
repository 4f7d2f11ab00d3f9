//! The compose document, one set of types read and written.
//!
//! devctl writes `.devctl/compose.yaml` from these types (`devctl config`),
//! its engine reads the same file back into them ([`parse`]), and the
//! service keys of devctl.toml deserialise into the same value types
//! ([`value`]). Field order is the key order of the written file; readers
//! accept compose's other spellings of a key (a string for a list, a list
//! for a map) and normalise them.
//!
//! This crate depends on no other devctl crate and does no IO: text in,
//! types out, and back.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

pub mod keys;
mod names;
pub mod user;
pub mod value;
pub mod yaml;

pub use keys::{FileObject, Network, SERVICE_KEYS};
pub use names::{is_duration, normalize_project_name, parse_duration};
pub use value::{
    Cgroup, Command, Condition, DependsOn, DependsOnEntry, Duration, ExtraHosts, KeyValues,
    Ordered, PortSpec, Restart, Scalar, StrOrList, VolumeMount,
};

use value::de_with;

/// A whole compose file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ComposeFile {
    /// Read but not used: the project name is the engine's input
    /// (`COMPOSE_PROJECT_NAME`, which devctl writes to `.devctl/.env`, wins
    /// over `name:` in compose). devctl writes no `name:` (docker-compose
    /// 1.29 rejects the key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default)]
    pub services: Ordered<Service>,
    #[serde(default, skip_serializing_if = "Ordered::is_empty")]
    pub networks: Ordered<Option<Network>>,
    #[serde(default, skip_serializing_if = "Ordered::is_empty")]
    pub volumes: Ordered<Option<Volume>>,
    #[serde(default, skip_serializing_if = "Ordered::is_empty")]
    pub secrets: Ordered<FileObject>,
    #[serde(default, skip_serializing_if = "Ordered::is_empty")]
    pub configs: Ordered<FileObject>,
    /// Keys devctl does not model (see [`parse`]); never written.
    #[serde(flatten, skip_serializing)]
    pub unsupported: BTreeMap<String, yaml::Value>,
}

/// [`Service`] with the keys of [`with_service_keys!`] after its own.
macro_rules! service_struct {
    ({} { $($k:ident : $t:ty,)* }) => {
/// One service.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Service {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<Build>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<Command>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<Command>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de_with::opt_scalar"
    )]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init: Option<bool>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "de_with::one_or_many"
    )]
    pub env_file: Vec<String>,
    #[serde(default, skip_serializing_if = "KeyValues::is_empty")]
    pub environment: KeyValues,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "de_with::scalars"
    )]
    pub ports: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<String>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "de_with::one_or_many"
    )]
    pub tmpfs: Vec<String>,
    #[serde(default, skip_serializing_if = "DependsOn::is_empty")]
    pub depends_on: DependsOn,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<Healthcheck>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privileged: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cgroup: Option<Cgroup>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_mode: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub security_opt: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cap_add: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cap_drop: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_only: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart: Option<Restart>,
    #[serde(default, skip_serializing_if = "KeyValues::is_empty")]
    pub labels: KeyValues,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deploy: Option<Deploy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_signal: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_grace_period: Option<Duration>,
    #[serde(default, skip_serializing_if = "ExtraHosts::is_empty")]
    pub extra_hosts: ExtraHosts,
    /// Compose profiles: the service starts only when one is active (or it
    /// is named on the command line).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub profiles: Vec<String>,
    $(
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub $k: Option<$t>,
    )*
    /// Keys devctl does not model (see [`parse`]); never written.
    #[serde(flatten, skip_serializing)]
    pub unsupported: BTreeMap<String, yaml::Value>,
}
    };
}
crate::with_service_keys!(service_struct! {});

/// `build`: a context path, or the table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Build {
    pub context: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dockerfile: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(skip_serializing_if = "KeyValues::is_empty")]
    pub args: KeyValues,
    /// The Dockerfile itself, instead of a `dockerfile` path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dockerfile_inline: Option<String>,
    /// Labels of the built image.
    #[serde(skip_serializing_if = "KeyValues::is_empty")]
    pub labels: KeyValues,
    /// More names for the built image.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Build secrets: top-level `secrets` a `RUN --mount=type=secret,id=…`
    /// reads (BuildKit), never stored in the image.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<keys::FileRef>,
    /// SSH agent forwarding for `RUN --mount=type=ssh` (`default`: the
    /// agent at SSH_AUTH_SOCK).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ssh: Vec<String>,
    /// Named contexts (`NAME: service:OTHER` or `docker-image://IMAGE`):
    /// what `FROM NAME` and `--from=NAME` name.
    #[serde(skip_serializing_if = "KeyValues::is_empty")]
    pub additional_contexts: KeyValues,
}

impl Default for Build {
    fn default() -> Self {
        Build {
            context: ".".into(),
            dockerfile: None,
            target: None,
            args: KeyValues::default(),
            dockerfile_inline: None,
            labels: KeyValues::default(),
            tags: Vec::new(),
            secrets: Vec::new(),
            ssh: Vec::new(),
            additional_contexts: KeyValues::default(),
        }
    }
}

fn default_context() -> String {
    ".".into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BuildTable {
    #[serde(default = "default_context")]
    context: String,
    dockerfile: Option<String>,
    target: Option<String>,
    #[serde(default)]
    args: KeyValues,
    dockerfile_inline: Option<String>,
    #[serde(default)]
    labels: KeyValues,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    secrets: Vec<keys::FileRef>,
    #[serde(default)]
    ssh: Vec<String>,
    #[serde(default)]
    additional_contexts: KeyValues,
}

impl<'de> Deserialize<'de> for Build {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{self, MapAccess, Visitor};
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Build;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a build context path or a table { context, dockerfile, dockerfile_inline, target, args, labels, tags, secrets, ssh, additional_contexts }")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Build, E> {
                Ok(Build {
                    context: v.to_string(),
                    ..Build::default()
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Build, A::Error> {
                let t = BuildTable::deserialize(de::value::MapAccessDeserializer::new(map))?;
                if t.dockerfile.is_some() && t.dockerfile_inline.is_some() {
                    return Err(de::Error::custom(
                        "`dockerfile` and `dockerfile_inline` cannot be used together: keep one",
                    ));
                }
                Ok(Build {
                    context: t.context,
                    dockerfile: t.dockerfile,
                    target: t.target,
                    args: t.args,
                    dockerfile_inline: t.dockerfile_inline,
                    labels: t.labels,
                    tags: t.tags,
                    secrets: t.secrets,
                    ssh: t.ssh,
                    additional_contexts: t.additional_contexts,
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// `healthcheck`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Healthcheck {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test: Option<Command>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_period: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_interval: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable: Option<bool>,
}

/// `deploy`: `replicas` and `resources` (the rest is for swarm).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deploy {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<keys::Resources>,
    /// Used when the service has no `restart` (as compose does).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_policy: Option<keys::RestartPolicy>,
}

/// A top-level named volume.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Volume {
    /// The engine-side name (default `<project>_<key>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "de_with::scalar_map"
    )]
    pub driver_opts: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "KeyValues::is_empty")]
    pub labels: KeyValues,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub external: bool,
}

/// A compose file that cannot be used, naming the file and the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {message}")]
pub struct Error {
    pub file: String,
    /// `services.app.ports` style path, when known.
    pub key: Option<String>,
    pub message: String,
}

/// Top-level keys devctl reads past without modelling them.
const IGNORED_TOP_LEVEL: &[&str] = &["version"];

/// Parses compose text (as devctl generates it: `$$` is a literal `$`,
/// there is nothing else to interpolate). A key devctl does not model is an
/// error naming it (`x-` extensions and `version` at the top level are
/// read past).
pub fn parse(text: &str, file: &str) -> Result<ComposeFile, Error> {
    let fail = |key: Option<String>, message: String| Error {
        file: file.to_string(),
        key,
        message,
    };
    let doc: ComposeFile = yaml::from_str_unescaped(text).map_err(|e| fail(None, e))?;
    let unsupported = |prefix: &str, extra: &BTreeMap<String, yaml::Value>, allowed: &[&str]| {
        match extra
            .keys()
            .find(|k| !k.starts_with("x-") && !allowed.contains(&k.as_str()))
        {
            Some(k) => Err(fail(
                Some(format!("{prefix}{k}")),
                format!("{prefix}{k}: not supported by devctl's engine (supported: the keys devctl generates; see DESIGN.md §4)"),
            )),
            None => Ok(()),
        }
    };
    unsupported("", &doc.unsupported, IGNORED_TOP_LEVEL)?;
    for (name, s) in doc.services.iter() {
        unsupported(&format!("services.{name}."), &s.unsupported, &[])?;
    }
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_document_reads_back_the_same() {
        let mut svc = Service {
            image: Some("postgres:16".into()),
            user: Some("1000".into()),
            ports: vec!["127.0.0.1:5432:5432".into()],
            ..Service::default()
        };
        svc.environment.insert("A", Some("1".into()));
        svc.environment.insert("B", None);
        svc.depends_on.0.push((
            "db".into(),
            DependsOnEntry {
                condition: Condition::ServiceHealthy,
                ..DependsOnEntry::default()
            },
        ));
        svc.healthcheck = Some(Healthcheck {
            test: Some(StrOrList::Many(vec!["CMD".into(), "true".into()])),
            interval: Some(Duration("2s".into())),
            ..Healthcheck::default()
        });
        let mut doc = ComposeFile::default();
        doc.services.insert("db", Service::default());
        doc.services.insert("app", svc);
        doc.volumes.insert("data", Some(Volume::default()));
        let text = yaml::to_string(&doc).unwrap();
        let back = parse(&text, "compose.yaml").unwrap();
        assert_eq!(back, doc, "{text}");
        // document order is kept
        assert_eq!(back.services.keys().collect::<Vec<_>>(), ["db", "app"]);
    }

    #[test]
    fn compose_spellings_are_normalised() {
        let text = "services:\n  a:\n    image: x\n    user: 1000\n    ports: [8000, \"1:2\"]\n    env_file: one.env\n    environment: [\"A=1\", B]\n    depends_on: [b]\n    tmpfs: /run\n    extra_hosts: {h: 1.2.3.4}\n    build: ./ctx\n  b:\n    image: y\nvolumes:\n  data:\n";
        let doc = parse(text, "f").unwrap();
        let a = doc.services.get("a").unwrap();
        assert_eq!(a.user.as_deref(), Some("1000"));
        assert_eq!(a.ports, ["8000", "1:2"]);
        assert_eq!(a.env_file, ["one.env"]);
        assert_eq!(
            a.environment.0,
            [
                ("A".to_string(), Some("1".to_string())),
                ("B".to_string(), None)
            ]
        );
        assert_eq!(a.depends_on.0[0].0, "b");
        assert_eq!(a.tmpfs, ["/run"]);
        assert_eq!(a.extra_hosts.0, [("h".to_string(), "1.2.3.4".to_string())]);
        assert_eq!(a.build.as_ref().unwrap().context, "./ctx");
        assert_eq!(doc.volumes.get("data"), Some(&None));
    }

    #[test]
    fn dollars_are_unescaped_and_unknown_keys_named() {
        let doc = parse(
            "services:\n  a:\n    image: x\n    command: echo $$HOME\n",
            "f",
        )
        .unwrap();
        assert_eq!(
            doc.services.get("a").unwrap().command,
            Some(StrOrList::One("echo $HOME".into()))
        );
        let e = parse("services:\n  a:\n    image: x\n    bogus: 1\n", "f.yaml").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("services.a.bogus"));
        assert!(
            e.to_string()
                .starts_with("f.yaml: services.a.bogus: not supported"),
            "{e}"
        );
        assert!(parse("x-any: 1\nversion: \"3\"\nservices: {}\n", "f").is_ok());
        let e = parse(
            "services:\n  a:\n    healthcheck:\n      interval: soon\n",
            "f",
        )
        .unwrap_err();
        assert!(e.message.contains("`soon` is not a duration"), "{e}");
    }
}
