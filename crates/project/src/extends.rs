//! `extends`: a service of devctl.toml inheriting another's keys, as
//! compose's `extends` does within one file. A key the service sets wins;
//! tables (`environment`, `labels`, `depends_on`, `networks`, `ulimits`, …)
//! are merged key by key; lists (`ports`, `expose`, `cap_add`, …) are the
//! base's then the service's, without repeats; `volumes` and `devices` are
//! merged by container path; everything else is replaced whole.

use std::collections::BTreeMap;

use crate::load::{locate_key, ConfigError};
use crate::model::{Config, ServiceSpec};

/// Inheriting a base's value.
pub trait Inherit {
    fn inherit(&mut self, base: &Self);
}

impl<T: Inherit + Clone> Inherit for Option<T> {
    fn inherit(&mut self, base: &Self) {
        match (self.as_mut(), base) {
            (None, Some(b)) => *self = Some(b.clone()),
            (Some(a), Some(b)) => a.inherit(b),
            _ => {}
        }
    }
}

/// What identifies a list item when lists are merged (None: the item itself).
pub trait MergeKey {
    fn merge_key(&self) -> Option<String> {
        None
    }
}

impl<T: Clone + PartialEq + MergeKey> Inherit for Vec<T> {
    fn inherit(&mut self, base: &Self) {
        let mut out: Vec<T> = Vec::new();
        for b in base {
            let overridden = self.iter().any(|x| match (x.merge_key(), b.merge_key()) {
                (Some(k), Some(l)) => k == l,
                _ => x == b,
            });
            if !overridden {
                out.push(b.clone());
            }
        }
        out.append(self);
        *self = out;
    }
}

macro_rules! keep {
    ($($t:ty),* $(,)?) => {
        $( impl Inherit for $t { fn inherit(&mut self, _: &Self) {} } )*
    };
}

macro_rules! by_value {
    ($($t:ty),* $(,)?) => {
        $( impl MergeKey for $t {} )*
    };
}

use devctl_compose::keys::{
    ByteSize, ContainerName, Cpus, Device, Expose, FileRef, Hook, Logging, MacAddress, Platform,
    PullPolicy, ServiceNetworks, Ulimit,
};
use devctl_compose::{
    Build, Cgroup, DependsOn, Deploy, Duration, ExtraHosts, Healthcheck, KeyValues, Ordered,
    PortSpec, Restart, Scalar, StrOrList, VolumeMount,
};

keep!(
    String,
    bool,
    u32,
    i64,
    StrOrList,
    Healthcheck,
    Cgroup,
    Restart,
    Duration,
    ContainerName,
    MacAddress,
    Platform,
    ByteSize,
    Cpus,
    Logging,
    PullPolicy,
    Build,
    Deploy,
    crate::model::AbsPath,
    crate::model::UserName,
    crate::model::Port,
    crate::model::Publish,
    crate::model::ServiceName,
    Extends,
);
by_value!(
    String,
    Scalar,
    PortSpec,
    Expose,
    Hook,
    FileRef,
    crate::model::MountOption
);

impl MergeKey for VolumeMount {
    fn merge_key(&self) -> Option<String> {
        Some(self.target.clone())
    }
}

impl MergeKey for Device {
    fn merge_key(&self) -> Option<String> {
        Device::parse(&self.0).ok().map(|(_, c, _)| c)
    }
}

impl Inherit for KeyValues {
    fn inherit(&mut self, base: &Self) {
        let mut out = base.clone();
        for (k, v) in &self.0 {
            out.insert(k.clone(), v.clone());
        }
        *self = out;
    }
}

/// Merges ordered pairs by key, the service's value winning.
fn merge_pairs<V: Clone>(mine: &mut Vec<(String, V)>, base: &[(String, V)]) {
    let mut out: Vec<(String, V)> = base.to_vec();
    for (k, v) in mine.drain(..) {
        match out.iter_mut().find(|(x, _)| *x == k) {
            Some(slot) => slot.1 = v,
            None => out.push((k, v)),
        }
    }
    *mine = out;
}

impl Inherit for DependsOn {
    fn inherit(&mut self, base: &Self) {
        merge_pairs(&mut self.0, &base.0);
    }
}

impl Inherit for ExtraHosts {
    fn inherit(&mut self, base: &Self) {
        merge_pairs(&mut self.0, &base.0);
    }
}

impl<V: Clone> Inherit for Ordered<V> {
    fn inherit(&mut self, base: &Self) {
        merge_pairs(&mut self.0, &base.0);
    }
}

impl Inherit for ServiceNetworks {
    fn inherit(&mut self, base: &Self) {
        self.0.inherit(&base.0);
    }
}

impl Inherit for BTreeMap<String, Scalar> {
    fn inherit(&mut self, base: &Self) {
        for (k, v) in base {
            self.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
}

// `Ulimit` sits in an `Ordered`, merged by key above.
#[allow(dead_code)]
fn _ulimit(_: Ulimit) {}

/// `extends = "base"` or `extends = { service = "base" }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extends(pub String);

impl<'de> serde::Deserialize<'de> for Extends {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Name(String),
            Table(Table),
        }
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Table {
            service: String,
            file: Option<String>,
        }
        match Raw::deserialize(d)? {
            Raw::Name(s) => Ok(Extends(s)),
            Raw::Table(t) if t.file.is_some() => Err(serde::de::Error::custom(
                "`extends.file`: a service extends another service of devctl.toml (write `extends = \"NAME\"`)",
            )),
            Raw::Table(t) => Ok(Extends(t.service)),
        }
    }
}

/// Resolves every `extends` of `[services.*]` (bases first; a cycle or an
/// unknown base is an error at the `extends` line).
pub fn resolve(file: &str, text: &str, mut config: Config) -> Result<Config, ConfigError> {
    let names: Vec<String> = config.services.keys().cloned().collect();
    let mut done: BTreeMap<String, ServiceSpec> = BTreeMap::new();
    for name in &names {
        let mut chain: Vec<String> = Vec::new();
        resolve_one(file, text, &config, name, &mut chain, &mut done)?;
    }
    config.services = done;
    Ok(config)
}

fn resolve_one(
    file: &str,
    text: &str,
    config: &Config,
    name: &str,
    chain: &mut Vec<String>,
    done: &mut BTreeMap<String, ServiceSpec>,
) -> Result<ServiceSpec, ConfigError> {
    if let Some(s) = done.get(name) {
        return Ok(s.clone());
    }
    let at = |msg: String| {
        let header = format!("[services.{name}]");
        let span = locate_key(text, &header, "extends")
            .or_else(|| text.find(&header).map(|i| i..i + header.len()));
        ConfigError::at(file, text, span, msg)
    };
    let mut spec = config.services[name].clone();
    if let Some(Extends(base)) = spec.extends.clone() {
        if chain.iter().any(|c| c == name) || base == name {
            chain.push(name.to_string());
            return Err(at(format!(
                "[services.{name}] extends: the services extend each other ({})",
                chain.join(" -> ")
            )));
        }
        if !config.services.contains_key(&base) {
            let known: Vec<&str> = config.services.keys().map(String::as_str).collect();
            return Err(at(format!(
                "[services.{name}] extends: there is no service `{base}` to extend (services: {})",
                known.join(", ")
            )));
        }
        chain.push(name.to_string());
        let b = resolve_one(file, text, config, &base, chain, done)?;
        chain.pop();
        spec.inherit(&b);
        spec.extends = None;
    }
    done.insert(name.to_string(), spec.clone());
    Ok(spec)
}

#[cfg(test)]
mod tests {
    use crate::env::Env;
    use crate::load::load;

    fn cfg(text: &str) -> Result<crate::model::Config, String> {
        load(
            "devctl.toml",
            text,
            &Env::merge(Vec::new(), Vec::<(String, String)>::new()),
        )
        .map(|l| l.config)
        .map_err(|e| e.to_string())
    }

    #[test]
    fn a_service_inherits_what_it_does_not_set() {
        let c = cfg(r#"
[services.base]
image = "x"
command = ["a"]
environment = { A = "1", B = "2" }
ports = ["1000:1000"]
volumes = ["./a:/data", "./b:/b"]
cap_add = ["NET_ADMIN"]

[services.web]
extends = "base"
command = ["b"]
environment = { B = "3" }
ports = ["2000:2000"]
volumes = ["./c:/data"]

[services.deep]
extends = { service = "web" }
"#)
        .unwrap();
        let w = &c.services["web"];
        assert_eq!(w.image.as_deref(), Some("x"));
        assert_eq!(
            w.command,
            Some(devctl_compose::StrOrList::Many(vec!["b".into()]))
        );
        assert_eq!(
            w.environment.as_ref().unwrap().0,
            [
                ("A".into(), Some("1".into())),
                ("B".into(), Some("3".into()))
            ]
        );
        let ports: Vec<&str> = w.ports.iter().map(|p| p.raw.as_str()).collect();
        assert_eq!(ports, ["1000:1000", "2000:2000"]);
        let vols: Vec<(Option<&str>, &str)> = w
            .volumes
            .iter()
            .map(|v| (v.source.as_deref(), v.target.as_str()))
            .collect();
        assert_eq!(vols, [(Some("./b"), "/b"), (Some("./c"), "/data")]);
        assert_eq!(w.cap_add, ["NET_ADMIN"]);
        assert!(w.extends.is_none());
        assert_eq!(
            c.services["deep"].ports.len(),
            2,
            "bases first, transitively"
        );
    }

    #[test]
    fn unknown_bases_and_cycles_are_errors_at_the_extends_line() {
        let e = cfg("[services.a]\nimage = \"x\"\nextends = \"nope\"\n").unwrap_err();
        assert!(
            e.starts_with("devctl.toml:3:1: [services.a] extends: there is no service `nope` to extend (services: a)"),
            "{e}"
        );
        let e = cfg("[services.a]\nextends = \"b\"\n[services.b]\nextends = \"a\"\n").unwrap_err();
        assert!(
            e.contains("the services extend each other (a -> b -> a)"),
            "{e}"
        );
        let e = cfg("[services.a]\nimage = \"x\"\n[services.b]\nextends = { service = \"a\", file = \"o.yml\" }\n")
            .unwrap_err();
        assert!(e.contains("`extends.file`"), "{e}");
    }
}
