//! Docker Compose v2's config hash of a service, computed as compose does
//! it, so that `docker compose up` and `devctl start` agree on which
//! containers are up to date (neither recreates the other's).
//!
//! The algorithm is `ServiceHash` in docker/compose `pkg/compose/hash.go`
//! (v2.40, the version pinned in `scripts/install-test-deps.sh`): the
//! sha256 of Go's `json.Marshal` of compose-go v2's loaded
//! `types.ServiceConfig`, with `build`, `pull_policy`, `scale`,
//! `deploy.replicas`, `depends_on` and `profiles` cleared. The loaded model
//! is what `docker compose config --format json` prints: `env_file` merged
//! into `environment`, paths absolute, ports and volumes in their long
//! forms, sizes as byte strings, durations as Go prints them. Go's encoder
//! writes struct fields in declaration order (compose-go's `types.go`),
//! map keys sorted, and escapes `<`, `>`, `&` (HTML-safe). This module
//! builds that JSON from the service devctl generated; the test
//! `compose_hash::*` checks it against compose v2's own output for every
//! key devctl writes.

use devctl_compose::keys::{Device, FileRef, Hook};
use devctl_compose::{parse_duration, Service, StrOrList, VolumeMount};
use sha2::{Digest, Sha256};

/// A JSON value in Go's encoding: objects keep their field order (a Go
/// struct); use [`J::map`] for a Go map (keys sorted).
#[derive(Debug, Clone, PartialEq)]
pub enum J {
    Null,
    Bool(bool),
    Int(i64),
    /// A Go float32 (`cpus`).
    F32(f32),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

impl J {
    fn s(v: impl Into<String>) -> J {
        J::Str(v.into())
    }
    fn strs<S: AsRef<str>>(v: &[S]) -> J {
        J::Arr(v.iter().map(|s| J::s(s.as_ref())).collect())
    }
    /// A Go map: keys in byte order.
    fn map(mut kv: Vec<(String, J)>) -> J {
        kv.sort_by(|a, b| a.0.cmp(&b.0));
        kv.dedup_by(|later, earlier| {
            if later.0 == earlier.0 {
                earlier.1 = later.1.clone();
                true
            } else {
                false
            }
        });
        J::Obj(kv)
    }

    /// Go's `json.Marshal` text.
    pub fn write(&self, out: &mut String) {
        match self {
            J::Null => out.push_str("null"),
            J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            J::Int(n) => out.push_str(&n.to_string()),
            J::F32(f) => out.push_str(&go_f32(*f)),
            J::Str(s) => go_string(s, out),
            J::Arr(a) => {
                out.push('[');
                for (i, x) in a.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    x.write(out);
                }
                out.push(']');
            }
            J::Obj(m) => {
                out.push('{');
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    go_string(k, out);
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
        }
    }
}

/// A struct under construction: fields in order, `omitempty` helpers.
#[derive(Default)]
struct Obj(Vec<(String, J)>);

impl Obj {
    fn put(&mut self, k: &str, v: J) -> &mut Self {
        self.0.push((k.to_string(), v));
        self
    }
    /// `string` with `omitempty`.
    fn str(&mut self, k: &str, v: Option<&str>) -> &mut Self {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            self.put(k, J::s(v));
        }
        self
    }
    /// `bool` with `omitempty` (false is left out).
    fn flag(&mut self, k: &str, v: Option<bool>) -> &mut Self {
        if v == Some(true) {
            self.put(k, J::Bool(true));
        }
        self
    }
    /// an integer with `omitempty` (0 is left out).
    fn int(&mut self, k: &str, v: Option<i64>) -> &mut Self {
        if let Some(v) = v.filter(|v| *v != 0) {
            self.put(k, J::Int(v));
        }
        self
    }
    /// a slice with `omitempty`.
    fn list(&mut self, k: &str, v: Vec<J>) -> &mut Self {
        if !v.is_empty() {
            self.put(k, J::Arr(v));
        }
        self
    }
    /// a Go map with `omitempty`.
    fn map(&mut self, k: &str, v: Vec<(String, J)>) -> &mut Self {
        if !v.is_empty() {
            self.put(k, J::map(v));
        }
        self
    }
    fn done(self) -> J {
        J::Obj(self.0)
    }
}

/// Go's `encoding/json` string: HTML-safe, `\b` `\f` `\n` `\r` `\t`, other
/// control characters and U+2028/U+2029 as `\uXXXX`.
fn go_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Go's float32 in JSON: the shortest decimal that reads back, exponent
/// form outside [1e-6, 1e21).
fn go_f32(f: f32) -> String {
    let a = f.abs();
    if a != 0.0 && !(1e-6..1e21).contains(&a) {
        // Go: `1e+21` style, two-digit exponent at least.
        let s = format!("{f:e}");
        let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
        let (sign, digits) = match e.strip_prefix('-') {
            Some(d) => ('-', d),
            None => ('+', e),
        };
        return format!("{m}e{sign}{digits:0>2}");
    }
    format!("{f}")
}

/// Go's `time.Duration.String()` of `nanos`.
pub fn go_duration(nanos: i64) -> String {
    if nanos == 0 {
        return "0s".into();
    }
    let neg = nanos < 0;
    let u = nanos.unsigned_abs();
    let frac = |v: u64, digits: u32| -> String {
        // v / 10^digits with the trailing zeros of the fraction dropped
        let p = 10u64.pow(digits);
        let (i, f) = (v / p, v % p);
        if f == 0 {
            i.to_string()
        } else {
            let fs = format!("{f:0>width$}", width = digits as usize);
            format!("{i}.{}", fs.trim_end_matches('0'))
        }
    };
    let body = if u < 1_000 {
        format!("{u}ns")
    } else if u < 1_000_000 {
        format!("{}µs", frac(u, 3))
    } else if u < 1_000_000_000 {
        format!("{}ms", frac(u, 6))
    } else {
        let h = u / 3_600_000_000_000;
        let rem = u % 3_600_000_000_000;
        let m = rem / 60_000_000_000;
        let s_ns = rem % 60_000_000_000;
        let mut t = String::new();
        if h > 0 {
            t.push_str(&format!("{h}h"));
        }
        if h > 0 || m > 0 {
            t.push_str(&format!("{m}m"));
        }
        t.push_str(&format!("{}s", frac(s_ns, 9)));
        t
    };
    if neg {
        format!("-{body}")
    } else {
        body
    }
}

fn duration(s: &str) -> Result<J, String> {
    parse_duration(s).map(|n| J::s(go_duration(n)))
}

/// compose-go's `ShellCommand`: argv, a string split as a shell splits it.
fn shell_command(c: &StrOrList) -> Result<J, String> {
    Ok(match c {
        StrOrList::Many(v) => J::strs(v),
        StrOrList::One(s) => J::strs(
            &shell_words::split(s).map_err(|e| format!("command {s:?} cannot be split: {e}"))?,
        ),
    })
}

fn string_list(v: &StrOrList) -> Vec<J> {
    match v {
        StrOrList::One(s) => vec![J::s(s)],
        StrOrList::Many(v) => v.iter().map(J::s).collect(),
    }
}

/// `UnitBytes`: the byte count, as a string.
fn bytes(v: &devctl_compose::keys::ByteSize) -> Result<J, String> {
    v.bytes().map(|n| J::s(n.to_string()))
}

fn cpus(v: &devctl_compose::keys::Cpus) -> Result<f32, String> {
    v.0.trim()
        .parse::<f32>()
        .map_err(|_| format!("`{}` is not a number of CPUs", v.0))
}

fn kv_map(kv: &devctl_compose::KeyValues) -> Vec<(String, J)> {
    kv.0.iter()
        .map(|(k, v)| (k.clone(), J::s(v.clone().unwrap_or_default())))
        .collect()
}

/// `MappingWithEquals`: a key without a value is null.
fn env_map(kv: &devctl_compose::KeyValues) -> Vec<(String, J)> {
    kv.0.iter()
        .map(|(k, v)| (k.clone(), v.clone().map_or(J::Null, J::Str)))
        .collect()
}

/// compose-go's short port syntax (`nat.ParsePortSpecs`): one entry per
/// port, in the string order of `PORT/proto`.
fn ports(spec: &str) -> Result<Vec<J>, String> {
    let p = devctl_compose::PortSpec::parse(spec)?;
    let host_ip = p
        .host_ip
        .as_deref()
        .map(|ip| ip.trim_start_matches('[').trim_end_matches(']').to_string())
        .unwrap_or_default();
    let proto = p
        .proto
        .clone()
        .unwrap_or_else(|| "tcp".into())
        .to_lowercase();
    let range = |r: &str| -> Result<(u32, u32), String> {
        let (a, b) = r.split_once('-').unwrap_or((r, r));
        let n = |x: &str| {
            x.parse::<u32>()
                .map_err(|_| format!("port `{spec}` is invalid"))
        };
        Ok((n(a)?, n(b)?))
    };
    let (c0, c1) = range(&p.container)?;
    let mut out: Vec<(String, J)> = Vec::new();
    for (i, c) in (c0..=c1).enumerate() {
        let published = match p.host.as_deref() {
            None | Some("") => String::new(),
            Some(h) => {
                let (h0, h1) = range(h)?;
                if c0 == c1 {
                    if h0 == h1 {
                        h0.to_string()
                    } else {
                        format!("{h0}-{h1}")
                    }
                } else {
                    (h0 + i as u32).to_string()
                }
            }
        };
        let mut o = Obj::default();
        o.put("mode", J::s("ingress"))
            .str("host_ip", Some(&host_ip))
            .put("target", J::Int(c as i64))
            .str("published", Some(&published))
            .put("protocol", J::s(&proto));
        out.push((format!("{c}/{proto}"), o.done()));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out.into_iter().map(|(_, j)| j).collect())
}

/// compose-go's short volume syntax, paths resolved by `resolve`.
fn volume(spec: &str, resolve: &dyn Fn(&str) -> String) -> Result<J, String> {
    let m = VolumeMount::parse(spec)?;
    let opts: Vec<&str> = m
        .mode
        .as_deref()
        .map(|m| m.split(',').collect())
        .unwrap_or_default();
    let has = |o: &str| opts.contains(&o);
    let mut o = Obj::default();
    let named_or_anon = m.source.is_none() || m.is_named();
    o.put("type", J::s(if named_or_anon { "volume" } else { "bind" }));
    match &m.source {
        Some(src) if !m.is_named() => {
            o.put("source", J::s(resolve(src)));
        }
        Some(src) => {
            o.put("source", J::s(src));
        }
        None => {}
    }
    o.put("target", J::s(&m.target));
    o.flag("read_only", Some(has("ro")));
    let consistency = opts
        .iter()
        .find(|x| matches!(**x, "cached" | "delegated" | "consistent"))
        .copied();
    o.str("consistency", consistency);
    if named_or_anon {
        let mut v = Obj::default();
        v.flag("nocopy", Some(has("nocopy")));
        o.put("volume", v.done());
    } else {
        let mut b = Obj::default();
        let selinux = opts.iter().find(|x| matches!(**x, "z" | "Z")).copied();
        let propagation = opts
            .iter()
            .find(|x| {
                matches!(
                    **x,
                    "shared" | "rshared" | "slave" | "rslave" | "private" | "rprivate"
                )
            })
            .copied();
        b.str("selinux", selinux)
            .str("propagation", propagation)
            .put("create_host_path", J::Bool(!m.no_create_host_path));
        o.put("bind", b.done());
    }
    Ok(o.done())
}

fn hook(h: &Hook) -> Result<J, String> {
    let mut o = Obj::default();
    o.put("command", shell_command(&h.command)?)
        .str("user", h.user.as_deref())
        .flag("privileged", h.privileged)
        .str("working_dir", h.working_dir.as_deref())
        .map("environment", env_map(&h.environment));
    Ok(o.done())
}

fn file_ref(r: &FileRef, default_target: Option<String>) -> J {
    let mut o = Obj::default();
    o.str("source", Some(&r.source))
        .str("target", r.target.clone().or(default_target).as_deref())
        .str("uid", r.uid.as_deref())
        .str("gid", r.gid.as_deref());
    if let Some(m) = r.mode {
        o.put("mode", J::s(format!("0{m:o}")));
    }
    o.done()
}

fn device(d: &Device) -> Result<J, String> {
    let (src, dst, perms) = Device::parse(&d.0)?;
    let mut o = Obj::default();
    o.str("source", Some(&src))
        .str("target", Some(&dst))
        .str("permissions", Some(&perms));
    Ok(o.done())
}

fn resource(r: &devctl_compose::keys::ResourceLimits) -> Result<J, String> {
    let mut o = Obj::default();
    if let Some(c) = &r.cpus {
        let c = cpus(c)?;
        if c != 0.0 {
            o.put("cpus", J::F32(c));
        }
    }
    if let Some(m) = &r.memory {
        o.put("memory", bytes(m)?);
    }
    o.int("pids", r.pids);
    Ok(o.done())
}

/// What the hash needs besides the service: how a path in the file
/// resolves (against the compose file's directory, `~` expanded), and the
/// environment compose would give it (`env_file` entries, then
/// `environment`, a key without a value looked up in the process
/// environment, else null).
pub struct HashInputs<'a> {
    pub resolve: &'a dyn Fn(&str) -> String,
    pub environment: &'a [(String, Option<String>)],
}

/// The service as compose v2 marshals it for its hash (Go's JSON text).
pub fn service_json(s: &Service, i: &HashInputs<'_>) -> Result<String, String> {
    let j = service_value(s, i)?;
    let mut out = String::new();
    j.write(&mut out);
    Ok(out)
}

/// The hash of [`service_json`]'s text: `com.docker.compose.config-hash`.
pub fn hash(json: &str) -> String {
    Sha256::digest(json.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// compose-go's `types.ServiceConfig`, field by field in its order (the
/// hash's cleared fields left out).
fn service_value(s: &Service, i: &HashInputs<'_>) -> Result<J, String> {
    let mut o = Obj::default();
    // profiles: cleared by ServiceHash
    o.map(
        "annotations",
        s.annotations.as_ref().map(kv_map).unwrap_or_default(),
    );
    // build: cleared
    o.list("cap_add", s.cap_add.iter().map(J::s).collect());
    o.list("cap_drop", s.cap_drop.iter().map(J::s).collect());
    o.str("cgroup_parent", s.cgroup_parent.as_deref());
    o.str("cgroup", s.cgroup.map(|c| c.as_str()));
    o.int("cpu_period", s.cpu_period);
    o.int("cpu_quota", s.cpu_quota);
    if let Some(c) = &s.cpus {
        let c = cpus(c)?;
        if c != 0.0 {
            o.put("cpus", J::F32(c));
        }
    }
    o.str("cpuset", s.cpuset.as_deref());
    o.int("cpu_shares", s.cpu_shares);
    o.put(
        "command",
        match &s.command {
            None => J::Null,
            Some(c) => shell_command(c)?,
        },
    );
    o.list(
        "configs",
        s.configs
            .iter()
            .flatten()
            .map(|r| file_ref(r, None))
            .collect(),
    );
    o.str(
        "container_name",
        s.container_name.as_ref().map(|c| c.as_str()),
    );
    // depends_on: cleared
    if let Some(d) = &s.deploy {
        let mut dep = Obj::default();
        // replicas: cleared
        let mut res = Obj::default();
        if let Some(r) = &d.resources {
            if let Some(l) = &r.limits {
                res.put("limits", resource(l)?);
            }
            if let Some(l) = &r.reservations {
                res.put("reservations", resource(l)?);
            }
        }
        dep.put("resources", res.done());
        if let Some(p) = &d.restart_policy {
            let mut rp = Obj::default();
            rp.str("condition", p.condition.as_ref().map(|c| c.as_str()));
            if let Some(x) = &p.delay {
                rp.put("delay", duration(x.as_str())?);
            }
            if let Some(n) = p.max_attempts {
                rp.put("max_attempts", J::Int(n.into()));
            }
            if let Some(x) = &p.window {
                rp.put("window", duration(x.as_str())?);
            }
            dep.put("restart_policy", rp.done());
        }
        dep.put("placement", J::Obj(Vec::new()));
        o.put("deploy", dep.done());
    }
    o.list(
        "device_cgroup_rules",
        s.device_cgroup_rules.iter().flatten().map(J::s).collect(),
    );
    o.list(
        "devices",
        s.devices
            .iter()
            .flatten()
            .map(device)
            .collect::<Result<_, _>>()?,
    );
    o.list("dns", s.dns.as_ref().map(string_list).unwrap_or_default());
    o.list("dns_opt", s.dns_opt.iter().flatten().map(J::s).collect());
    o.list(
        "dns_search",
        s.dns_search.as_ref().map(string_list).unwrap_or_default(),
    );
    o.str("domainname", s.domainname.as_deref());
    o.put(
        "entrypoint",
        match &s.entrypoint {
            None => J::Null,
            Some(c) => shell_command(c)?,
        },
    );
    o.map(
        "environment",
        i.environment
            .iter()
            .map(|(k, v)| (k.clone(), v.clone().map_or(J::Null, J::Str)))
            .collect(),
    );
    // env_file: merged into environment by the loader
    o.list(
        "expose",
        s.expose.iter().flatten().map(|x| J::s(&x.0)).collect(),
    );
    o.list(
        "external_links",
        s.external_links.iter().flatten().map(J::s).collect(),
    );
    let mut hosts: Vec<String> = s
        .extra_hosts
        .0
        .iter()
        .map(|(h, ip)| format!("{h}={ip}"))
        .collect();
    hosts.sort();
    o.list("extra_hosts", hosts.into_iter().map(J::Str).collect());
    o.list(
        "group_add",
        s.group_add.iter().flatten().map(|g| J::s(&g.0)).collect(),
    );
    o.str("hostname", s.hostname.as_deref());
    if let Some(h) = &s.healthcheck {
        let mut hc = Obj::default();
        match &h.test {
            None => {}
            Some(StrOrList::One(t)) => {
                hc.put("test", J::strs(&["CMD-SHELL", t.as_str()]));
            }
            Some(StrOrList::Many(v)) => {
                hc.put("test", J::strs(v));
            }
        }
        if let Some(x) = &h.timeout {
            hc.put("timeout", duration(x.as_str())?);
        }
        if let Some(x) = &h.interval {
            hc.put("interval", duration(x.as_str())?);
        }
        if let Some(n) = h.retries {
            hc.put("retries", J::Int(n.into()));
        }
        if let Some(x) = &h.start_period {
            hc.put("start_period", duration(x.as_str())?);
        }
        if let Some(x) = &h.start_interval {
            hc.put("start_interval", duration(x.as_str())?);
        }
        hc.flag("disable", h.disable);
        o.put("healthcheck", hc.done());
    }
    o.str("image", s.image.as_deref());
    if let Some(b) = s.init {
        o.put("init", J::Bool(b));
    }
    o.str("ipc", s.ipc.as_deref());
    o.map("labels", kv_map(&s.labels));
    o.list("links", s.links.iter().flatten().map(J::s).collect());
    if let Some(l) = &s.logging {
        let mut lg = Obj::default();
        lg.str("driver", l.driver.as_deref())
            .map("options", kv_map(&l.options));
        o.put("logging", lg.done());
    }
    if let Some(m) = &s.mem_limit {
        o.put("mem_limit", bytes(m)?);
    }
    if let Some(m) = &s.mem_reservation {
        o.put("mem_reservation", bytes(m)?);
    }
    if let Some(m) = &s.memswap_limit {
        o.put("memswap_limit", bytes(m)?);
    }
    if let Some(n) = s.mem_swappiness.filter(|n| *n != 0) {
        o.put("mem_swappiness", J::s(n.to_string()));
    }
    o.str("mac_address", s.mac_address.as_ref().map(|m| m.as_str()));
    o.str("network_mode", s.network_mode.as_deref());
    match &s.networks {
        Some(n) if !n.0.is_empty() => {
            let nets =
                n.0.iter()
                    .map(|(k, v)| {
                        let mut e = Obj::default();
                        e.list("aliases", v.aliases.iter().map(J::s).collect())
                            .str("ipv4_address", v.ipv4_address.as_deref())
                            .str("ipv6_address", v.ipv6_address.as_deref())
                            .int("priority", v.priority);
                        let e = e.done();
                        let e = if e == J::Obj(Vec::new()) { J::Null } else { e };
                        (k.clone(), e)
                    })
                    .collect();
            o.map("networks", nets);
        }
        _ if s.network_mode.is_none() => {
            o.put("networks", J::map(vec![("default".into(), J::Null)]));
        }
        _ => {}
    }
    o.flag("oom_kill_disable", s.oom_kill_disable);
    o.int("oom_score_adj", s.oom_score_adj);
    o.str("pid", s.pid.as_deref());
    o.int("pids_limit", s.pids_limit);
    o.str("platform", s.platform.as_ref().map(|p| p.as_str()));
    let mut port_list = Vec::new();
    for p in &s.ports {
        port_list.extend(ports(p)?);
    }
    o.list("ports", port_list);
    o.flag("privileged", s.privileged);
    // pull_policy: cleared
    o.flag("read_only", s.read_only);
    o.str("restart", s.restart.as_ref().map(|r| r.as_str()));
    o.str("runtime", s.runtime.as_deref());
    // scale: cleared
    o.list(
        "secrets",
        s.secrets
            .iter()
            .flatten()
            .map(|r| file_ref(r, Some(format!("/run/secrets/{}", r.source))))
            .collect(),
    );
    o.list("security_opt", s.security_opt.iter().map(J::s).collect());
    if let Some(m) = &s.shm_size {
        o.put("shm_size", bytes(m)?);
    }
    o.flag("stdin_open", s.stdin_open);
    if let Some(d) = &s.stop_grace_period {
        o.put("stop_grace_period", duration(d.as_str())?);
    }
    o.str("stop_signal", s.stop_signal.as_deref());
    o.map(
        "sysctls",
        s.sysctls.as_ref().map(kv_map).unwrap_or_default(),
    );
    o.list("tmpfs", s.tmpfs.iter().map(J::s).collect());
    o.flag("tty", s.tty);
    o.map(
        "ulimits",
        s.ulimits
            .iter()
            .flat_map(|u| u.0.iter())
            .map(|(k, u)| {
                let v = if u.soft == u.hard {
                    J::Int(u.soft)
                } else {
                    J::Obj(vec![
                        ("soft".into(), J::Int(u.soft)),
                        ("hard".into(), J::Int(u.hard)),
                    ])
                };
                (k.clone(), v)
            })
            .collect(),
    );
    o.str("user", s.user.as_deref());
    o.str("userns_mode", s.userns_mode.as_deref());
    o.str("uts", s.uts.as_deref());
    o.list(
        "volumes",
        s.volumes
            .iter()
            .map(|v| volume(v, i.resolve))
            .collect::<Result<_, _>>()?,
    );
    o.list(
        "volumes_from",
        s.volumes_from.iter().flatten().map(J::s).collect(),
    );
    o.str("working_dir", s.working_dir.as_deref());
    o.list(
        "post_start",
        s.post_start
            .iter()
            .flatten()
            .map(hook)
            .collect::<Result<_, _>>()?,
    );
    o.list(
        "pre_stop",
        s.pre_stop
            .iter()
            .flatten()
            .map(hook)
            .collect::<Result<_, _>>()?,
    );
    Ok(o.done())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_print_as_go_prints_them() {
        for (n, s) in [
            (0, "0s"),
            (1_500_000_000, "1.5s"),
            (60_000_000_000, "1m0s"),
            (90_000_000_000, "1m30s"),
            (3_723_500_000_000, "1h2m3.5s"),
            (1_500_000, "1.5ms"),
            (2_000, "2µs"),
            (7, "7ns"),
        ] {
            assert_eq!(go_duration(n), s, "{n}");
        }
    }

    #[test]
    fn strings_are_escaped_as_go_escapes_them() {
        let mut out = String::new();
        J::s("a&b<c>\"\\\n\t\u{1}é\u{2028}").write(&mut out);
        assert_eq!(out, r#""a\u0026b\u003cc\u003e\"\\\n\t\u0001é\u2028""#);
    }

    #[test]
    fn floats_are_shortest() {
        assert_eq!(go_f32(0.5), "0.5");
        assert_eq!(go_f32(0.3), "0.3");
        assert_eq!(go_f32(2.0), "2");
        assert_eq!(go_f32(1.5), "1.5");
    }

    #[test]
    fn port_ranges_are_in_string_order() {
        let out: Vec<String> = ports("127.0.0.1:8-10:8-10")
            .unwrap()
            .iter()
            .map(|j| {
                let mut s = String::new();
                j.write(&mut s);
                s
            })
            .collect();
        assert_eq!(
            out,
            [
                r#"{"mode":"ingress","host_ip":"127.0.0.1","target":10,"published":"10","protocol":"tcp"}"#,
                r#"{"mode":"ingress","host_ip":"127.0.0.1","target":8,"published":"8","protocol":"tcp"}"#,
                r#"{"mode":"ingress","host_ip":"127.0.0.1","target":9,"published":"9","protocol":"tcp"}"#,
            ]
        );
    }
}
