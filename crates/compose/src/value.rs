//! The value types of compose's service keys, each in one shape for every
//! reader and writer: devctl.toml (TOML) and compose files (YAML) are read
//! into them, the generated compose file is written from them.
//!
//! Values that have a shape (durations, restart policies, ports, volumes)
//! are checked while they are deserialised, so an error carries the
//! position of the offending value. A value still holding `$` is not
//! checked (devctl.toml is read twice: as written and after interpolation).

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};

/// A string that is checked only when it holds no `$` (i.e. after
/// interpolation, or when it never needed any).
pub fn checked(s: &str) -> bool {
    !s.contains('$')
}

// ------------------------------------------------------------------ Ordered

/// A map kept in document (insertion) order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ordered<V>(pub Vec<(String, V)>);

impl<V> Default for Ordered<V> {
    fn default() -> Self {
        Ordered(Vec::new())
    }
}

impl<V> Ordered<V> {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// Sets `k` (in place when present, else at the end).
    pub fn insert(&mut self, k: impl Into<String>, v: V) {
        let k = k.into();
        if let Some(slot) = self.0.iter_mut().find(|(x, _)| *x == k) {
            slot.1 = v;
        } else {
            self.0.push((k, v));
        }
    }
    pub fn get(&self, k: &str) -> Option<&V> {
        self.0.iter().find(|(x, _)| x == k).map(|(_, v)| v)
    }
    pub fn contains_key(&self, k: &str) -> bool {
        self.get(k).is_some()
    }
    pub fn iter(&self) -> impl Iterator<Item = (&String, &V)> {
        self.0.iter().map(|(k, v)| (k, v))
    }
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.0.iter().map(|(k, _)| k)
    }
}

impl<V: Serialize> Serialize for Ordered<V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Ordered<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Vis<V>(std::marker::PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for Vis<V> {
            type Value = Ordered<V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Ordered<V>, E> {
                Ok(Ordered::default())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered<V>, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, V>()? {
                    out.push((k, v));
                }
                Ok(Ordered(out))
            }
        }
        d.deserialize_any(Vis(std::marker::PhantomData))
    }
}

// ------------------------------------------------------------------ Scalar

/// A string, number or boolean where compose means a string (`user: 1000`,
/// an environment value `8000`), held as the string.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scalar(pub String);

impl Scalar {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Serialize for Scalar {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

struct ScalarVisitor;

impl Visitor<'_> for ScalarVisitor {
    type Value = Scalar;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string, number or boolean")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
        Ok(Scalar(v.to_string()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
        Ok(Scalar(v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
        Ok(Scalar(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
        Ok(Scalar(v.to_string()))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
        Ok(Scalar(v.to_string()))
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

// ------------------------------------------------------------------ StrOrList

/// A string or a list of strings: a command (a string is a shell line, a
/// list is argv), `env_file`, `tmpfs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StrOrList {
    One(String),
    Many(Vec<String>),
}

/// A command: `One` is a shell line, `Many` is argv.
pub type Command = StrOrList;

impl StrOrList {
    pub fn to_vec(&self) -> Vec<String> {
        match self {
            StrOrList::One(s) => vec![s.clone()],
            StrOrList::Many(v) => v.clone(),
        }
    }
    /// The same shape with every string passed through `f`.
    pub fn map(&self, f: impl Fn(&str) -> String) -> StrOrList {
        match self {
            StrOrList::One(s) => StrOrList::One(f(s)),
            StrOrList::Many(v) => StrOrList::Many(v.iter().map(|s| f(s)).collect()),
        }
    }
}

impl Serialize for StrOrList {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            StrOrList::One(x) => s.serialize_str(x),
            StrOrList::Many(v) => v.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for StrOrList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = StrOrList;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or an array of strings")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<StrOrList, E> {
                Ok(StrOrList::One(v.to_string()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<StrOrList, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<Scalar>()? {
                    out.push(s.0);
                }
                Ok(StrOrList::Many(out))
            }
        }
        d.deserialize_any(V)
    }
}

// ------------------------------------------------------------------ KeyValues

/// `KEY: value` map or `["KEY=value"]` list (environment, labels, build
/// args); `None` for a key without a value (taken from the environment).
/// Written as a map, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyValues(pub Vec<(String, Option<String>)>);

impl KeyValues {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// Sets `k` (in place when present, else at the end).
    pub fn insert(&mut self, k: impl Into<String>, v: Option<String>) {
        let k = k.into();
        if let Some(slot) = self.0.iter_mut().find(|(x, _)| *x == k) {
            slot.1 = v;
        } else {
            self.0.push((k, v));
        }
    }
    pub fn get(&self, k: &str) -> Option<Option<&str>> {
        self.0
            .iter()
            .find(|(x, _)| x == k)
            .map(|(_, v)| v.as_deref())
    }
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Option<String>)> {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

impl Serialize for KeyValues {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for KeyValues {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = KeyValues;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a table of KEY = value or an array of \"KEY=value\" strings")
            }
            fn visit_unit<E: de::Error>(self) -> Result<KeyValues, E> {
                Ok(KeyValues::default())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<KeyValues, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Option<Scalar>>()? {
                    out.push((k, v.map(|s| s.0)));
                }
                Ok(KeyValues(out))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<KeyValues, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    match s.split_once('=') {
                        Some((k, v)) => out.push((k.to_string(), Some(v.to_string()))),
                        None => out.push((s, None)),
                    }
                }
                Ok(KeyValues(out))
            }
        }
        d.deserialize_any(V)
    }
}

// ------------------------------------------------------------------ depends_on

/// When a dependency counts as up.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    #[default]
    ServiceStarted,
    ServiceHealthy,
    ServiceCompletedSuccessfully,
}

impl Condition {
    pub fn as_str(self) -> &'static str {
        match self {
            Condition::ServiceStarted => "service_started",
            Condition::ServiceHealthy => "service_healthy",
            Condition::ServiceCompletedSuccessfully => "service_completed_successfully",
        }
    }
}

/// One dependency's settings (`{ condition = … }`).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct DependsOnEntry {
    #[serde(default)]
    pub condition: Condition,
    /// `false`: the dependency may be missing (not enabled by the active
    /// profiles) or fail to start; the dependent starts anyway, with a
    /// warning (compose's default is `true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required: Option<bool>,
    /// `true`: restarting the dependency restarts this service too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart: Option<bool>,
}

/// `depends_on`: a list of service names or a map of name → settings.
/// Written as a map.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DependsOn(pub Vec<(String, DependsOnEntry)>);

impl DependsOn {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for DependsOn {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for DependsOn {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = DependsOn;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of service names or a table of service = { condition = … }")
            }
            fn visit_unit<E: de::Error>(self) -> Result<DependsOn, E> {
                Ok(DependsOn::default())
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<DependsOn, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    out.push((s, DependsOnEntry::default()));
                }
                Ok(DependsOn(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<DependsOn, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Option<DependsOnEntry>>()? {
                    out.push((k, v.unwrap_or_default()));
                }
                Ok(DependsOn(out))
            }
        }
        d.deserialize_any(V)
    }
}

// ------------------------------------------------------------------ extra_hosts

/// `extra_hosts`: `["host:ip"]` (or `host=ip`) or a map host → ip. Written
/// as a list of `host:ip`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExtraHosts(pub Vec<(String, String)>);

impl ExtraHosts {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for ExtraHosts {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut q = s.serialize_seq(Some(self.0.len()))?;
        for (h, ip) in &self.0 {
            q.serialize_element(&format!("{h}:{ip}"))?;
        }
        q.end()
    }
}

impl<'de> Deserialize<'de> for ExtraHosts {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ExtraHosts;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of \"host:ip\" strings or a table of host = \"ip\"")
            }
            fn visit_unit<E: de::Error>(self) -> Result<ExtraHosts, E> {
                Ok(ExtraHosts::default())
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ExtraHosts, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    let (h, ip) = s.split_once([':', '=']).ok_or_else(|| {
                        de::Error::custom(format!("extra host `{s}` must be written `host:ip`"))
                    })?;
                    out.push((h.to_string(), ip.to_string()));
                }
                Ok(ExtraHosts(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ExtraHosts, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, String>()? {
                    out.push((k, v));
                }
                Ok(ExtraHosts(out))
            }
        }
        d.deserialize_any(V)
    }
}

// ------------------------------------------------------------------ checked strings

/// `checked_string!(/// doc\n Name, "expecting", |s| { check })`: a string
/// newtype whose value is checked while it is deserialised (unless it
/// still holds `$`, see [`checked`]), written as the string. Used here and
/// by devctl.toml's own string types.
#[macro_export]
macro_rules! checked_string {
    ($(#[$m:meta])* $name:ident, $expecting:literal, |$s:ident| $check:block) => {
        $(#[$m])*
        #[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
        pub struct $name(pub String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl $crate::value::__serde::Serialize for $name {
            fn serialize<S: $crate::value::__serde::Serializer>(
                &self,
                s: S,
            ) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> $crate::value::__serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::value::__serde::Deserializer<'de>>(
                d: D,
            ) -> Result<Self, D::Error> {
                struct V;
                impl $crate::value::__serde::de::Visitor<'_> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str($expecting)
                    }
                    fn visit_str<E: $crate::value::__serde::de::Error>(
                        self,
                        v: &str,
                    ) -> Result<$name, E> {
                        let $s = v;
                        if $crate::value::checked($s) {
                            let r: Result<(), String> = $check;
                            r.map_err(E::custom)?;
                        }
                        Ok($name(v.to_string()))
                    }
                }
                d.deserialize_str(V)
            }
        }
    };
}

#[doc(hidden)]
pub use serde as __serde;

crate::checked_string!(
    /// A Go duration such as `10s` or `1m30s` (healthcheck times,
    /// `stop_grace_period`).
    Duration, "a duration such as `10s` or `1m30s`", |s| {
        if crate::names::is_duration(s) { Ok(()) } else {
            Err(format!("`{s}` is not a duration: write e.g. `10s`, `1m30s`, `500ms`"))
        }
    }
);

crate::checked_string!(
    /// `restart`: `no`, `always`, `unless-stopped`, `on-failure[:N]`.
    Restart, "a restart policy", |s| {
        let ok = matches!(s, "no" | "always" | "unless-stopped" | "on-failure")
            || s.strip_prefix("on-failure:").is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if ok { Ok(()) } else {
            Err(format!("restart policy `{s}` is invalid: use `no`, `always`, `unless-stopped`, `on-failure` or `on-failure:N`"))
        }
    }
);

/// `cgroup`: the container's cgroup namespace.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Cgroup {
    Host,
    Private,
}

impl Cgroup {
    pub fn as_str(self) -> &'static str {
        match self {
            Cgroup::Host => "host",
            Cgroup::Private => "private",
        }
    }
}

// ------------------------------------------------------------------ ports

pub fn is_ip(s: &str) -> bool {
    let s = s.trim_start_matches('[').trim_end_matches(']');
    s.parse::<std::net::IpAddr>().is_ok()
}

pub fn parse_port_number(p: &str) -> Result<u16, String> {
    match p.parse::<u64>() {
        Ok(n) if (1..=65535).contains(&n) => Ok(n as u16),
        Ok(n) => Err(format!("port {n} is out of range (1-65535)")),
        Err(_) => Err(format!("`{p}` is not a port number (1-65535)")),
    }
}

/// A published port, `[IP:][HOST:]CONTAINER[/PROTO]` (ports may be ranges).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortSpec {
    pub raw: String,
    /// As written (an IPv6 address in brackets).
    pub host_ip: Option<String>,
    pub host: Option<String>,
    pub container: String,
    pub proto: Option<String>,
}

impl PortSpec {
    pub fn parse(s: &str) -> Result<PortSpec, String> {
        let bad = |why: &str| {
            format!("port `{s}` is invalid: {why} (write `[IP:][HOST:]CONTAINER[/tcp|udp]`, e.g. `5432:5432`)")
        };
        let (body, proto) = match s.split_once('/') {
            Some((b, p)) => {
                if !matches!(p, "tcp" | "udp" | "sctp") {
                    return Err(bad("the protocol must be tcp, udp or sctp"));
                }
                (b, Some(p.to_string()))
            }
            None => (s, None),
        };
        // Split off a bracketed or dotted IP first.
        let (host_ip, rest) = if let Some(r) = body.strip_prefix('[') {
            let end = r.find(']').ok_or_else(|| bad("unclosed `[`"))?;
            let rest = r[end + 1..]
                .strip_prefix(':')
                .ok_or_else(|| bad("an IP must be followed by `:`"))?;
            (Some(body[..end + 2].to_string()), rest)
        } else {
            let parts: Vec<&str> = body.split(':').collect();
            match parts.len() {
                1 | 2 => (None, body),
                3 => (Some(parts[0].to_string()), &body[parts[0].len() + 1..]),
                _ => return Err(bad("too many `:`")),
            }
        };
        if let Some(ip) = &host_ip {
            if !is_ip(ip) {
                return Err(bad(&format!("`{ip}` is not an IP address")));
            }
        }
        let (host, container) = match rest.split_once(':') {
            Some((h, c)) => (if h.is_empty() { None } else { Some(h) }, c),
            None => (None, rest),
        };
        let check = |p: &str| -> Result<(), String> {
            let (a, b) = p.split_once('-').unwrap_or((p, p));
            let a = parse_port_number(a).map_err(|e| bad(&e))?;
            let b = parse_port_number(b).map_err(|e| bad(&e))?;
            if a > b {
                return Err(bad("a range must go up"));
            }
            Ok(())
        };
        if let Some(h) = host {
            check(h)?;
        }
        check(container)?;
        let len = |r: &str| {
            r.split_once('-').map_or(0, |(a, b)| {
                b.parse::<u32>().unwrap_or(0) - a.parse::<u32>().unwrap_or(0)
            })
        };
        if let Some(h) = host {
            if len(container) > 0 && len(h) != len(container) {
                return Err(bad(&format!(
                    "the host range `{h}` and the container range `{container}` are not the same length"
                )));
            }
        }
        Ok(PortSpec {
            raw: s.to_string(),
            host_ip,
            host: host.map(str::to_string),
            container: container.to_string(),
            proto,
        })
    }
}

impl<'de> Deserialize<'de> for PortSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = PortSpec;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a port number, a string such as \"5432:5432\" or a table { target, published, host_ip, protocol }")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<PortSpec, E> {
                PortSpec::parse(&v.to_string()).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<PortSpec, E> {
                PortSpec::parse(&v.to_string()).map_err(E::custom)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<PortSpec, A::Error> {
                #[derive(Deserialize)]
                #[serde(deny_unknown_fields)]
                struct T {
                    target: Scalar,
                    published: Option<Scalar>,
                    host_ip: Option<String>,
                    protocol: Option<String>,
                    mode: Option<String>,
                    /// Metadata only (compose keeps it for display).
                    #[allow(dead_code)]
                    name: Option<String>,
                    #[allow(dead_code)]
                    app_protocol: Option<String>,
                }
                let t = T::deserialize(de::value::MapAccessDeserializer::new(map))?;
                if let Some(m) = &t.mode {
                    if m != "host" && m != "ingress" {
                        return Err(de::Error::custom(format!(
                            "port mode `{m}` is invalid: use `host` or `ingress`"
                        )));
                    }
                }
                let mut s = String::new();
                if let Some(ip) = &t.host_ip {
                    if ip.contains(':') && !ip.starts_with('[') {
                        s.push_str(&format!("[{ip}]:"));
                    } else {
                        s.push_str(ip);
                        s.push(':');
                    }
                }
                match &t.published {
                    Some(p) => {
                        s.push_str(&p.0);
                        s.push(':');
                    }
                    None if t.host_ip.is_some() => s.push(':'),
                    None => {}
                }
                s.push_str(&t.target.0);
                if let Some(p) = &t.protocol {
                    s.push('/');
                    s.push_str(p);
                }
                self.visit_str(&s)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<PortSpec, E> {
                if !checked(v) {
                    return Ok(PortSpec {
                        raw: v.to_string(),
                        host_ip: None,
                        host: None,
                        container: v.to_string(),
                        proto: None,
                    });
                }
                PortSpec::parse(v).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

// ------------------------------------------------------------------ volumes

/// A service volume, `SOURCE:TARGET[:MODE]` or `TARGET` (anonymous), or
/// compose's long syntax (a table with `type`, `source`, `target`,
/// `read_only`, `bind`, `volume`, `tmpfs`), read into the same shape.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VolumeMount {
    pub source: Option<String>,
    pub target: String,
    pub mode: Option<String>,
    /// `type = "tmpfs"`: the tmpfs options (`size=…,mode=…`, maybe empty).
    pub tmpfs: Option<String>,
    /// Long syntax `bind.create_host_path = false`: a missing source is an
    /// error instead of being created.
    pub no_create_host_path: bool,
}

/// Compose's long volume syntax.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VolumeTable {
    #[serde(rename = "type")]
    kind: String,
    source: Option<String>,
    target: String,
    #[serde(default)]
    read_only: bool,
    bind: Option<BindOptions>,
    volume: Option<VolumeOptions>,
    tmpfs: Option<TmpfsOptions>,
    /// Accepted and ignored, as by compose on Linux.
    #[allow(dead_code)]
    consistency: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BindOptions {
    propagation: Option<String>,
    create_host_path: Option<bool>,
    selinux: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VolumeOptions {
    #[serde(default)]
    nocopy: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TmpfsOptions {
    size: Option<Scalar>,
    mode: Option<Scalar>,
}

impl VolumeTable {
    fn into_mount(self) -> Result<VolumeMount, String> {
        let mut opts: Vec<String> = Vec::new();
        if self.read_only {
            opts.push("ro".into());
        }
        let t = &self.target;
        match self.kind.as_str() {
            "bind" | "volume" => {
                let src = self.source.clone().ok_or_else(|| {
                    format!("volume for `{t}`: a {} mount needs a `source`", self.kind)
                })?;
                if self.kind == "volume" && (src.starts_with('/') || src.starts_with('.') || src.starts_with('~')) {
                    return Err(format!("volume for `{t}`: type `volume` takes a volume name, not the path `{src}` (use type `bind`)"));
                }
                if self.kind == "bind" && !(src.starts_with('/') || src.starts_with('.') || src.starts_with('~') || src.contains('$')) {
                    return Err(format!("volume for `{t}`: type `bind` takes a host path; write `./{src}` for a path in the project"));
                }
                let mut no_create = false;
                if let Some(b) = &self.bind {
                    if self.kind != "bind" {
                        return Err(format!("volume for `{t}`: `bind` options need type `bind`"));
                    }
                    if let Some(p) = &b.propagation {
                        opts.push(p.clone());
                    }
                    if let Some(z) = &b.selinux {
                        if z != "z" && z != "Z" {
                            return Err(format!("volume for `{t}`: selinux is `z` (shared) or `Z` (private), not `{z}`"));
                        }
                        opts.push(z.clone());
                    }
                    no_create = b.create_host_path == Some(false);
                }
                if let Some(v) = &self.volume {
                    if v.nocopy {
                        opts.push("nocopy".into());
                    }
                }
                let mode = (!opts.is_empty()).then(|| opts.join(","));
                let short = match &mode {
                    Some(m) => format!("{src}:{t}:{m}"),
                    None => format!("{src}:{t}"),
                };
                let mut m = if checked(&short) {
                    VolumeMount::parse(&short)?
                } else {
                    VolumeMount { source: Some(src), target: t.clone(), mode, ..VolumeMount::default() }
                };
                m.no_create_host_path = no_create;
                Ok(m)
            }
            "tmpfs" => {
                if !t.starts_with('/') {
                    return Err(format!("tmpfs `{t}`: the container path must be absolute"));
                }
                let mut o = Vec::new();
                if let Some(tm) = &self.tmpfs {
                    if let Some(sz) = &tm.size {
                        o.push(format!("size={}", sz.0));
                    }
                    if let Some(md) = &tm.mode {
                        o.push(format!("mode={}", md.0));
                    }
                }
                if self.read_only {
                    o.push("ro".into());
                }
                Ok(VolumeMount {
                    target: t.clone(),
                    tmpfs: Some(o.join(",")),
                    ..VolumeMount::default()
                })
            }
            other => Err(format!(
                "volume for `{t}`: type `{other}` is not supported (use `bind`, `volume` or `tmpfs`)"
            )),
        }
    }
}

impl VolumeMount {
    pub fn parse(s: &str) -> Result<VolumeMount, String> {
        let parts: Vec<&str> = s.split(':').collect();
        let (source, target, mode) = match parts.as_slice() {
            [t] => (None, *t, None),
            [src, t] => (Some(*src), *t, None),
            [src, t, m] => (Some(*src), *t, Some(*m)),
            _ => {
                return Err(format!(
                    "volume `{s}` is invalid: write `SOURCE:TARGET[:ro]` or `TARGET`"
                ))
            }
        };
        if source.is_some_and(str::is_empty) {
            return Err(format!("volume `{s}` has an empty source"));
        }
        if !target.starts_with('/') {
            return Err(format!(
                "volume `{s}`: the container path `{target}` must be absolute (start with `/`)"
            ));
        }
        if let Some(m) = mode {
            let ok = m.split(',').all(|o| {
                matches!(
                    o,
                    "ro" | "rw"
                        | "z"
                        | "Z"
                        | "cached"
                        | "delegated"
                        | "consistent"
                        | "nocopy"
                        | "shared"
                        | "rshared"
                        | "slave"
                        | "rslave"
                        | "private"
                        | "rprivate"
                )
            });
            if !ok {
                return Err(format!(
                    "volume `{s}`: unknown mode `{m}` (use ro, rw, z, Z, or a propagation mode)"
                ));
            }
        }
        Ok(VolumeMount {
            source: source.map(str::to_string),
            target: target.to_string(),
            mode: mode.map(str::to_string),
            ..VolumeMount::default()
        })
    }

    /// A named volume (not a host path: `/`, `.`, `~`).
    pub fn is_named(&self) -> bool {
        self.source.as_deref().is_some_and(|s| {
            !(s.starts_with('/') || s.starts_with('.') || s.starts_with('~') || s.contains('$'))
        })
    }
}

impl<'de> Deserialize<'de> for VolumeMount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = VolumeMount;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a volume such as \"db-data:/var/lib/postgresql/data\" or a table { type, source, target }")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<VolumeMount, E> {
                if !checked(v) {
                    return Ok(VolumeMount {
                        target: v.to_string(),
                        ..VolumeMount::default()
                    });
                }
                VolumeMount::parse(v).map_err(E::custom)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<VolumeMount, A::Error> {
                VolumeTable::deserialize(de::value::MapAccessDeserializer::new(map))?
                    .into_mount()
                    .map_err(de::Error::custom)
            }
        }
        d.deserialize_any(V)
    }
}

// ------------------------------------------------------------------ helpers for fields

/// `deserialize_with` helpers: the shapes compose accepts for a field whose
/// written form is simpler.
pub mod de_with {
    use super::*;

    /// A string or a list of strings → the list.
    pub fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        Ok(match Option::<StrOrList>::deserialize(d)? {
            None => Vec::new(),
            Some(s) => s.to_vec(),
        })
    }

    /// A list of scalars → strings (`ports: [8000, "5432:5432"]`).
    pub fn scalars<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        Ok(Option::<Vec<Scalar>>::deserialize(d)?
            .unwrap_or_default()
            .into_iter()
            .map(|s| s.0)
            .collect())
    }

    /// A scalar → its string (`user: 1000`).
    pub fn opt_scalar<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        Ok(Option::<Scalar>::deserialize(d)?.map(|s| s.0))
    }

    /// A map of scalars → strings (`driver_opts`).
    pub fn scalar_map<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<String, String>, D::Error> {
        Ok(Option::<BTreeMap<String, Scalar>>::deserialize(d)?
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k, v.0))
            .collect())
    }
}
