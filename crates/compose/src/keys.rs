//! The compose service keys devctl passes through as they are: the same
//! value in devctl.toml (`[app]`, `[services.NAME]`) and in the compose
//! file, with compose's meaning. They are listed once, in
//! [`with_service_keys!`](crate::with_service_keys): the compose
//! [`Service`](crate::Service) gets a field for each, devctl.toml's service
//! sections too, and the generator copies them across with one loop.
//!
//! Keys whose value devctl rewrites (ports, volumes, env files, commands,
//! healthchecks…) are not here: they are fields of their own.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};

use crate::value::{checked, Command, KeyValues, Ordered, Scalar};

/// `with_service_keys!(then! { args })` calls `then! { args { key: Type, … } }`
/// with every pass-through service key and its value type (each field is
/// an `Option` of that type: absent means compose's default).
#[macro_export]
macro_rules! with_service_keys {
    ($then:ident ! $args:tt) => {
        $then! { $args {
            container_name: $crate::keys::ContainerName,
            hostname: ::std::string::String,
            domainname: ::std::string::String,
            mac_address: $crate::keys::MacAddress,
            platform: $crate::keys::Platform,
            tty: bool,
            stdin_open: bool,
            networks: $crate::keys::ServiceNetworks,
            dns: $crate::value::StrOrList,
            dns_search: $crate::value::StrOrList,
            dns_opt: ::std::vec::Vec<::std::string::String>,
            ulimits: $crate::value::Ordered<$crate::keys::Ulimit>,
            shm_size: $crate::keys::ByteSize,
            sysctls: $crate::value::KeyValues,
            devices: ::std::vec::Vec<$crate::keys::Device>,
            device_cgroup_rules: ::std::vec::Vec<::std::string::String>,
            group_add: ::std::vec::Vec<$crate::value::Scalar>,
            pid: ::std::string::String,
            ipc: ::std::string::String,
            uts: ::std::string::String,
            userns_mode: ::std::string::String,
            cgroup_parent: ::std::string::String,
            runtime: ::std::string::String,
            logging: $crate::keys::Logging,
            mem_limit: $crate::keys::ByteSize,
            mem_reservation: $crate::keys::ByteSize,
            memswap_limit: $crate::keys::ByteSize,
            mem_swappiness: i64,
            oom_kill_disable: bool,
            oom_score_adj: i64,
            pids_limit: i64,
            cpus: $crate::keys::Cpus,
            cpu_shares: i64,
            cpu_period: i64,
            cpu_quota: i64,
            cpuset: ::std::string::String,
            pull_policy: $crate::keys::PullPolicy,
            post_start: ::std::vec::Vec<$crate::keys::Hook>,
            pre_stop: ::std::vec::Vec<$crate::keys::Hook>,
            annotations: $crate::value::KeyValues,
            expose: ::std::vec::Vec<$crate::keys::Expose>,
            links: ::std::vec::Vec<::std::string::String>,
            external_links: ::std::vec::Vec<::std::string::String>,
            volumes_from: ::std::vec::Vec<::std::string::String>,
            secrets: ::std::vec::Vec<$crate::keys::FileRef>,
            configs: ::std::vec::Vec<$crate::keys::FileRef>,
            scale: u32,
        } }
    };
}

macro_rules! key_names {
    ({} { $($k:ident : $t:ty,)* }) => {
        /// The names of [`with_service_keys!`](crate::with_service_keys)'s keys.
        pub const SERVICE_KEYS: &[&str] = &[$(stringify!($k)),*];
    };
}
with_service_keys!(key_names! {});

crate::checked_string!(
    /// `container_name`: what compose accepts (`[a-zA-Z0-9][a-zA-Z0-9_.-]+`).
    ContainerName, "a container name", |s| {
        let ok = s.len() >= 2
            && s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
            && s.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
        if ok { Ok(()) } else {
            Err(format!("container name `{s}` is invalid: use letters, digits, `_`, `.` and `-`, starting with a letter or digit (at least two characters)"))
        }
    }
);

crate::checked_string!(
    /// `mac_address`: six hexadecimal octets separated by `:`
    /// (`02:42:ac:11:00:99`), what the engine parses.
    MacAddress, "a MAC address such as `02:42:ac:11:00:99`", |s| {
        let parts: Vec<&str> = s.split(':').collect();
        let ok = parts.len() == 6
            && parts.iter().all(|p| p.len() == 2 && p.chars().all(|c| c.is_ascii_hexdigit()));
        if ok { Ok(()) } else {
            Err(format!("MAC address `{s}` is invalid: write six hexadecimal octets separated by `:`, e.g. `02:42:ac:11:00:99`"))
        }
    }
);

crate::checked_string!(
    /// `platform`: `os/arch[/variant]`, e.g. `linux/amd64`.
    Platform, "a platform such as `linux/amd64`", |s| {
        let parts: Vec<&str> = s.split('/').collect();
        let ok = (2..=3).contains(&parts.len())
            && parts.iter().all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'));
        if ok { Ok(()) } else {
            Err(format!("platform `{s}` is invalid: write `os/arch[/variant]`, e.g. `linux/amd64`"))
        }
    }
);

crate::checked_string!(
    /// `pull_policy`: `always`, `never`, `missing` (`if_not_present`),
    /// `build`, or a refresh window (`daily`, `weekly`, `every_DURATION`).
    PullPolicy, "a pull policy", |s| {
        let fixed = matches!(s, "always" | "never" | "missing" | "if_not_present" | "build");
        match refresh_window(s) {
            _ if fixed => Ok(()),
            Some(window) => window.map(drop).map_err(|e| format!("pull_policy `{s}`: {e}")),
            None => Err(format!("pull_policy `{s}` is invalid: use `always`, `never`, `missing`, `build`, `daily`, `weekly` or `every_DURATION` (e.g. `every_12h`)")),
        }
    }
);

/// A refresh window's length (compose-go's `GetPullPolicy`): `daily` 24 h,
/// `weekly` 7 days, `every_DURATION` (units `w`, `d`, `h`, `m`, `s`, `ms`,
/// `us`, `ns`, as compose-go's str2duration reads them). `None`: not a
/// refresh policy.
pub fn refresh_window(policy: &str) -> Option<Result<std::time::Duration, String>> {
    const DAY: u64 = 24 * 3600;
    match policy {
        "daily" => return Some(Ok(std::time::Duration::from_secs(DAY))),
        "weekly" => return Some(Ok(std::time::Duration::from_secs(7 * DAY))),
        _ => {}
    }
    let d = policy.strip_prefix("every_")?;
    Some(
        crate::names::parse_long_duration(d)
            .map(|n| std::time::Duration::from_nanos(n.max(0) as u64))
            .map_err(|_| format!("`{d}` is not a duration like 12h, 2d or 1w30m")),
    )
}

/// A size in bytes: a number, or `64m`, `1.5g`, `512k`, `100b` (binary
/// multiples, as compose reads them). `-1` is "unlimited" (memswap_limit).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ByteSize(pub String);

impl ByteSize {
    /// The value in bytes.
    pub fn bytes(&self) -> Result<i64, String> {
        parse_bytes(&self.0)
    }
}

/// compose's (go-units') `RAMInBytes`: `^[0-9]+(\.[0-9]+)? ?[kmgtp]?i?b?$`,
/// case-insensitive, multiples of 1024.
pub fn parse_bytes(s: &str) -> Result<i64, String> {
    let bad =
        || format!("`{s}` is not a size: write a number of bytes or e.g. `64m`, `1g`, `512k`");
    let t = s.trim();
    if t == "-1" {
        return Ok(-1);
    }
    let num_end = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(num_end);
    let n: f64 = num.parse().map_err(|_| bad())?;
    let unit = unit.trim_start().to_ascii_lowercase();
    let unit = unit.strip_suffix('b').unwrap_or(&unit);
    let unit = unit.strip_suffix('i').unwrap_or(unit);
    let mult: f64 = match unit {
        "" => 1.0,
        "k" => 1024.0,
        "m" => 1024.0 * 1024.0,
        "g" => 1024.0 * 1024.0 * 1024.0,
        "t" => 1024f64.powi(4),
        "p" => 1024f64.powi(5),
        _ => return Err(bad()),
    };
    let v = n * mult;
    if !v.is_finite() || v > i64::MAX as f64 {
        return Err(bad());
    }
    Ok(v as i64)
}

impl Serialize for ByteSize {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Scalar::deserialize(d)?.0;
        if checked(&v) {
            parse_bytes(&v).map_err(de::Error::custom)?;
        }
        Ok(ByteSize(v))
    }
}

/// `cpus`: a positive number of CPUs (`0.5`, `"1.5"`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cpus(pub String);

impl Cpus {
    /// In nano-CPUs (the engine's unit).
    pub fn nano(&self) -> Result<i64, String> {
        parse_cpus(&self.0)
    }
}

fn parse_cpus(s: &str) -> Result<i64, String> {
    match s.trim().parse::<f64>() {
        Ok(n) if n.is_finite() && (0.0..1e9).contains(&n) => Ok((n * 1e9).round() as i64),
        _ => Err(format!(
            "`{s}` is not a number of CPUs: write e.g. `0.5` or `2`"
        )),
    }
}

impl Serialize for Cpus {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // A number for the compose-spec schema (it also takes a string).
        match self.0.parse::<f64>() {
            Ok(n) if checked(&self.0) => s.serialize_f64(n),
            _ => s.serialize_str(&self.0),
        }
    }
}

impl<'de> Deserialize<'de> for Cpus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Scalar::deserialize(d)?.0;
        if checked(&v) {
            parse_cpus(&v).map_err(de::Error::custom)?;
        }
        Ok(Cpus(v))
    }
}

/// One `ulimits` entry: a number (soft = hard) or `{ soft, hard }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ulimit {
    pub soft: i64,
    pub hard: i64,
}

impl Serialize for Ulimit {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.soft == self.hard {
            return s.serialize_i64(self.soft);
        }
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("soft", &self.soft)?;
        m.serialize_entry("hard", &self.hard)?;
        m.end()
    }
}

impl<'de> Deserialize<'de> for Ulimit {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Ulimit;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number or a table { soft, hard }")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Ulimit, E> {
                Ok(Ulimit { soft: v, hard: v })
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Ulimit, E> {
                let v = i64::try_from(v).map_err(|_| E::custom("ulimit out of range"))?;
                Ok(Ulimit { soft: v, hard: v })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Ulimit, A::Error> {
                #[derive(Deserialize)]
                #[serde(deny_unknown_fields)]
                struct T {
                    soft: i64,
                    hard: i64,
                }
                let t = T::deserialize(de::value::MapAccessDeserializer::new(map))?;
                if t.soft > t.hard && t.hard >= 0 {
                    return Err(de::Error::custom(format!(
                        "ulimit soft limit {} is above its hard limit {}",
                        t.soft, t.hard
                    )));
                }
                Ok(Ulimit {
                    soft: t.soft,
                    hard: t.hard,
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// `logging`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Logging {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    #[serde(default, skip_serializing_if = "KeyValues::is_empty")]
    pub options: KeyValues,
}

/// A `post_start` / `pre_stop` hook: a command run in the container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hook {
    pub command: Command,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privileged: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    #[serde(default, skip_serializing_if = "KeyValues::is_empty")]
    pub environment: KeyValues,
}

/// An `expose` entry: `3000`, `"3000/udp"`, `"3000-3005"`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Expose(pub String);

impl Expose {
    /// (first port, last port, protocol).
    pub fn parse(s: &str) -> Result<(u16, u16, String), String> {
        let bad = || {
            format!(
                "expose `{s}` is invalid: write a port or range, e.g. `3000` or `3000-3005/udp`"
            )
        };
        let (ports, proto) = s.split_once('/').unwrap_or((s, "tcp"));
        if !matches!(proto, "tcp" | "udp" | "sctp") {
            return Err(bad());
        }
        let (a, b) = ports.split_once('-').unwrap_or((ports, ports));
        let a = crate::value::parse_port_number(a).map_err(|_| bad())?;
        let b = crate::value::parse_port_number(b).map_err(|_| bad())?;
        if a > b {
            return Err(bad());
        }
        Ok((a, b, proto.to_string()))
    }
}

impl Serialize for Expose {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Expose {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Scalar::deserialize(d)?.0;
        if checked(&v) {
            Expose::parse(&v).map_err(de::Error::custom)?;
        }
        Ok(Expose(v))
    }
}

/// A `devices` entry: `HOST[:CONTAINER[:PERMISSIONS]]`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Device(pub String);

impl Device {
    /// (host path, container path, cgroup permissions).
    pub fn parse(s: &str) -> Result<(String, String, String), String> {
        let bad = || format!("device `{s}` is invalid: write `/dev/HOST[:/dev/CONTAINER[:rwm]]`");
        let parts: Vec<&str> = s.split(':').collect();
        let (h, c, p) = match parts.as_slice() {
            [h] => (*h, *h, "rwm"),
            [h, c] if c.starts_with('/') => (*h, *c, "rwm"),
            [h, p] => (*h, *h, *p),
            [h, c, p] => (*h, *c, *p),
            _ => return Err(bad()),
        };
        if !h.starts_with('/')
            || !c.starts_with('/')
            || p.is_empty()
            || !p.chars().all(|x| "rwm".contains(x))
        {
            return Err(bad());
        }
        Ok((h.to_string(), c.to_string(), p.to_string()))
    }
}

impl Serialize for Device {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Device {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Device;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a device such as \"/dev/fuse\" or a table { source, target, permissions }",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Device, E> {
                if checked(v) {
                    Device::parse(v).map_err(E::custom)?;
                }
                Ok(Device(v.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Device, A::Error> {
                #[derive(Deserialize)]
                #[serde(deny_unknown_fields)]
                struct T {
                    source: String,
                    target: Option<String>,
                    permissions: Option<String>,
                }
                let t = T::deserialize(de::value::MapAccessDeserializer::new(map))?;
                let target = t.target.unwrap_or_else(|| t.source.clone());
                let s = format!(
                    "{}:{target}:{}",
                    t.source,
                    t.permissions.as_deref().unwrap_or("rwm")
                );
                self.visit_str(&s)
            }
        }
        d.deserialize_any(V)
    }
}

/// A service's `secrets` / `configs` entry: a name, or
/// `{ source, target, uid, gid, mode }`. Written short when it is a name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileRef {
    pub source: String,
    pub target: Option<String>,
    pub uid: Option<String>,
    pub gid: Option<String>,
    /// Octal or decimal as written (`0440`, `288`).
    pub mode: Option<u32>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRefTable {
    source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    target: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    uid: Option<Scalar>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gid: Option<Scalar>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    mode: Option<ModeValue>,
}

/// A mode as written: a number (decimal, as YAML reads it), or a string
/// (octal, as compose reads `"0440"`).
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum ModeValue {
    Number(u32),
    Text(String),
}

/// A file mode written as a string: octal, as compose reads it (`"0440"`,
/// `"440"`, `"0o440"`).
pub fn parse_mode(s: &str) -> Result<u32, String> {
    let o = s.strip_prefix("0o").unwrap_or(s);
    let r = u32::from_str_radix(o, 8);
    match r {
        Ok(m) if m <= 0o7777 => Ok(m),
        _ => Err(format!(
            "mode `{s}` is invalid: write an octal file mode such as `0440`"
        )),
    }
}

impl Serialize for FileRef {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.target.is_none() && self.uid.is_none() && self.gid.is_none() && self.mode.is_none()
        {
            return s.serialize_str(&self.source);
        }
        FileRefTable {
            source: self.source.clone(),
            target: self.target.clone(),
            uid: self.uid.clone().map(Scalar),
            gid: self.gid.clone().map(Scalar),
            // A decimal number: compose reads a string as octal, and YAML
            // 1.1's and 1.2's octal literals differ.
            mode: self.mode.map(ModeValue::Number),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for FileRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = FileRef;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a name or a table { source, target, uid, gid, mode }")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<FileRef, E> {
                Ok(FileRef {
                    source: v.to_string(),
                    ..FileRef::default()
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<FileRef, A::Error> {
                let t = FileRefTable::deserialize(de::value::MapAccessDeserializer::new(map))?;
                let mode = match t.mode {
                    None => None,
                    Some(ModeValue::Number(m)) if m <= 0o7777 => Some(m),
                    Some(ModeValue::Number(m)) => {
                        return Err(de::Error::custom(format!("mode {m} is not a file mode")))
                    }
                    Some(ModeValue::Text(m)) => Some(parse_mode(&m).map_err(de::Error::custom)?),
                };
                Ok(FileRef {
                    source: t.source,
                    target: t.target,
                    uid: t.uid.map(|x| x.0),
                    gid: t.gid.map(|x| x.0),
                    mode,
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// One of a service's networks: `aliases`, `ipv4_address`, `ipv6_address`,
/// `priority`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceNetwork {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv4_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv6_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<i64>,
}

impl ServiceNetwork {
    fn is_default(&self) -> bool {
        *self == ServiceNetwork::default()
    }
}

/// A service's `networks`: a list of names, or a table name → settings.
/// Written as a list when no network has settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceNetworks(pub Ordered<ServiceNetwork>);

impl Serialize for ServiceNetworks {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0.iter().all(|(_, n)| n.is_default()) {
            let mut q = s.serialize_seq(Some(self.0.len()))?;
            for (k, _) in self.0.iter() {
                q.serialize_element(k)?;
            }
            return q.end();
        }
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, n) in self.0.iter() {
            if n.is_default() {
                m.serialize_entry(k, &None::<ServiceNetwork>)?;
            } else {
                m.serialize_entry(k, n)?;
            }
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for ServiceNetworks {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ServiceNetworks;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of network names or a table name = { aliases, ipv4_address }")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ServiceNetworks, A::Error> {
                let mut out = Ordered::default();
                while let Some(s) = seq.next_element::<String>()? {
                    out.insert(s, ServiceNetwork::default());
                }
                Ok(ServiceNetworks(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ServiceNetworks, A::Error> {
                let mut out = Ordered::default();
                while let Some((k, v)) = map.next_entry::<String, Option<ServiceNetwork>>()? {
                    out.insert(k, v.unwrap_or_default());
                }
                Ok(ServiceNetworks(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// A top-level network.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Network {
    /// The engine-side name (default `<project>_<key>`; an external
    /// network's name is the key unless this says otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    #[serde(default, skip_serializing_if = "KeyValues::is_empty")]
    pub driver_opts: KeyValues,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub external: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub internal: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub attachable: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_ipv6: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipam: Option<Ipam>,
    #[serde(default, skip_serializing_if = "KeyValues::is_empty")]
    pub labels: KeyValues,
}

/// A network's `ipam`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ipam {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub config: Vec<IpamPool>,
    #[serde(default, skip_serializing_if = "KeyValues::is_empty")]
    pub options: KeyValues,
}

/// One `ipam.config` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IpamPool {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_range: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<String>,
    #[serde(default, skip_serializing_if = "KeyValues::is_empty")]
    pub aux_addresses: KeyValues,
}

/// A top-level secret or config: its content comes from a `file`, an
/// `environment` variable, or (configs only) inline `content`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileObject {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub external: bool,
    #[serde(default, skip_serializing_if = "KeyValues::is_empty")]
    pub labels: KeyValues,
}

impl FileObject {
    /// How many of file / environment / content / external are set (one is right).
    pub fn sources(&self) -> usize {
        usize::from(self.file.is_some())
            + usize::from(self.environment.is_some())
            + usize::from(self.content.is_some())
            + usize::from(self.external)
    }
}

/// `deploy.restart_policy`: `condition` (`none`, `on-failure`, `any`) and
/// `max_attempts` (`delay` and `window` are swarm's: read, not used).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RestartPolicy {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<RestartCondition>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_attempts: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay: Option<crate::value::Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<crate::value::Duration>,
}

crate::checked_string!(
    /// `deploy.restart_policy.condition`.
    RestartCondition, "`none`, `on-failure` or `any`", |s| {
        if matches!(s, "none" | "on-failure" | "any") { Ok(()) } else {
            Err(format!("restart condition `{s}` is invalid: use `none`, `on-failure` or `any`"))
        }
    }
);

impl RestartPolicy {
    /// The `restart` it stands for, as compose maps it.
    pub fn as_restart(&self) -> String {
        match self.condition.as_ref().map(|c| c.as_str()) {
            Some("none") => "no".to_string(),
            Some("on-failure") => match self.max_attempts {
                Some(n) if n > 0 => format!("on-failure:{n}"),
                _ => "on-failure".to_string(),
            },
            _ => "always".to_string(),
        }
    }
}

/// `deploy.resources`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<ResourceLimits>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reservations: Option<ResourceLimits>,
}

/// `deploy.resources.limits` / `.reservations`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceLimits {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpus: Option<Cpus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<ByteSize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pids: Option<i64>,
}

/// The same value with every string (not map key) passed through `f`
/// (the generator escapes `$` this way).
pub fn map_strings<T>(v: &T, f: &dyn Fn(&str) -> String) -> T
where
    T: Serialize + serde::de::DeserializeOwned + Clone,
{
    crate::yaml::map_value_strings(v, f).unwrap_or_else(|_| v.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_windows_are_compose_gos() {
        let w = |p: &str| refresh_window(p).map(|r| r.map(|d| d.as_secs()));
        assert_eq!(w("daily"), Some(Ok(86400)));
        assert_eq!(w("weekly"), Some(Ok(7 * 86400)));
        assert_eq!(w("every_12h"), Some(Ok(12 * 3600)));
        assert_eq!(w("every_1w2d30m"), Some(Ok(9 * 86400 + 1800)));
        assert_eq!(w("every_2s"), Some(Ok(2)));
        assert!(matches!(w("every_"), Some(Err(_))));
        assert!(matches!(w("every_5x"), Some(Err(_))));
        assert_eq!(w("always"), None);
        let policy = |p: &str| crate::yaml::from_str::<PullPolicy>(p).map(|_| ());
        assert!(policy("every_3d").is_ok());
        assert!(policy("monthly").is_err());
    }

    #[test]
    fn sizes_are_compose_sizes() {
        assert_eq!(parse_bytes("64m"), Ok(64 << 20));
        assert_eq!(parse_bytes("1g"), Ok(1 << 30));
        assert_eq!(parse_bytes("1.5G"), Ok(3 << 29));
        assert_eq!(parse_bytes("512kb"), Ok(512 << 10));
        assert_eq!(parse_bytes("100"), Ok(100));
        assert_eq!(parse_bytes("2MiB"), Ok(2 << 20));
        assert_eq!(parse_bytes("-1"), Ok(-1));
        for bad in ["", "m", "1x", "1 gigabyte", "-5"] {
            assert!(parse_bytes(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn devices_expose_modes() {
        assert_eq!(
            Device::parse("/dev/fuse").unwrap(),
            ("/dev/fuse".into(), "/dev/fuse".into(), "rwm".into())
        );
        assert_eq!(
            Device::parse("/dev/a:/dev/b:r").unwrap(),
            ("/dev/a".into(), "/dev/b".into(), "r".into())
        );
        assert!(Device::parse("fuse").is_err());
        assert!(Device::parse("/dev/a:/dev/b:x").is_err());
        assert_eq!(
            Expose::parse("3000-3002/udp").unwrap(),
            (3000, 3002, "udp".into())
        );
        assert!(Expose::parse("3002-3000").is_err());
        assert_eq!(parse_mode("0440"), Ok(0o440));
        assert_eq!(parse_mode("440"), Ok(0o440));
        assert!(parse_mode("0999").is_err());
        assert_eq!(parse_cpus("0.5"), Ok(500_000_000));
    }
}
