//! Compose's override merge (compose-go's `override.Merge`, as `docker
//! compose -f a.yml -f b.yml` merges the files), on YAML values. Pure.
//!
//! Mappings merge key by key, recursively; a scalar is replaced; a
//! sequence is appended to, except where compose-go has a special rule:
//! `command`, `entrypoint` and `healthcheck.test` are replaced;
//! `environment`, `labels`, `annotations`, `sysctls`, `build.args` and
//! `build.labels` merge by name (`K=V` lists and mappings alike);
//! `extra_hosts` appended without repeats (as `HOST=IP`); `depends_on` and `networks` (a list is read as a
//! mapping) by name; `volumes` and `devices` by container path; `ports`,
//! `expose`, `dns`, `dns_search`, `dns_opt`, `tmpfs`, `env_file`,
//! `cap_add`, `cap_drop`, `security_opt`, `profiles`, `secrets` and
//! `configs` are appended without repeating an entry, as are `build.tags`,
//! `build.secrets` and `build.ssh`; `build` written as a string is its
//! `context`. An `extends` merges its service over the base with the
//! same rules ([`extend_service`]).

use devctl_compose::yaml::Value;

type Mapping = devctl_compose::yaml::Mapping;

/// The keys of a service whose values merge by name.
const BY_NAME: &[&str] = &["environment", "labels", "annotations", "sysctls"];
const REPLACED: &[&str] = &["command", "entrypoint"];
const BY_TARGET: &[&str] = &["volumes", "devices"];
const APPEND_UNIQUE: &[&str] = &[
    "ports",
    "expose",
    "dns",
    "dns_search",
    "dns_opt",
    "tmpfs",
    "env_file",
    "cap_add",
    "cap_drop",
    "security_opt",
    "profiles",
    "secrets",
    "configs",
    "group_add",
    "links",
    "external_links",
    "volumes_from",
];

/// The lists under `build` appended without repeating an entry.
const BUILD_APPEND_UNIQUE: &[&str] = &[
    "tags",
    "secrets",
    "ssh",
    "cache_from",
    "cache_to",
    "platforms",
];

/// Merges `over` into `base` (both whole compose files).
pub fn merge_files(base: &mut Value, over: &Value) {
    let (Value::Mapping(b), Value::Mapping(o)) = (&mut *base, over) else {
        if !over.is_null() {
            *base = over.clone();
        }
        return;
    };
    for (k, ov) in o {
        let key = k.as_str().unwrap_or_default();
        match b.get_mut(k) {
            None => {
                b.insert(k.clone(), ov.clone());
            }
            Some(bv) if key == "services" => merge_services(bv, ov),
            Some(bv) => merge_generic(bv, ov),
        }
    }
}

fn merge_services(base: &mut Value, over: &Value) {
    let (Value::Mapping(b), Value::Mapping(o)) = (&mut *base, over) else {
        merge_generic(base, over);
        return;
    };
    for (name, ov) in o {
        match b.get_mut(name) {
            None => {
                b.insert(name.clone(), ov.clone());
            }
            Some(bv) => merge_service(bv, ov),
        }
    }
}

/// A service extended (`extends`): compose-go merges the extending
/// service over its base with the override rules.
pub fn extend_service(base: &mut Value, over: &Value) {
    merge_service(base, over);
}

fn merge_service(base: &mut Value, over: &Value) {
    let (Value::Mapping(b), Value::Mapping(o)) = (&mut *base, over) else {
        *base = over.clone();
        return;
    };
    for (k, ov) in o {
        let key = k.as_str().unwrap_or_default().to_string();
        let Some(bv) = b.get_mut(k) else {
            b.insert(k.clone(), ov.clone());
            continue;
        };
        let key = key.as_str();
        if REPLACED.contains(&key) {
            *bv = ov.clone();
        } else if BY_NAME.contains(&key) {
            merge_by_name(bv, ov);
        } else if key == "extra_hosts" {
            merge_extra_hosts(bv, ov);
        } else if key == "depends_on" || key == "networks" {
            let mut m = as_name_map(bv);
            merge_generic(&mut m, &as_name_map(ov));
            *bv = m;
        } else if BY_TARGET.contains(&key) {
            merge_by_target(bv, ov);
        } else if APPEND_UNIQUE.contains(&key) {
            append_unique(bv, ov);
        } else if key == "build" {
            let mut m = build_map(bv);
            let o = build_map(ov);
            if let (Value::Mapping(mm), Value::Mapping(om)) = (&mut m, &o) {
                for (bk, bov) in om {
                    let sub = bk.as_str().unwrap_or_default();
                    match mm.get_mut(bk) {
                        Some(x) if sub == "args" || sub == "labels" => merge_by_name(x, bov),
                        Some(x) if BUILD_APPEND_UNIQUE.contains(&sub) => append_unique(x, bov),
                        Some(x) => merge_generic(x, bov),
                        None => {
                            mm.insert(bk.clone(), bov.clone());
                        }
                    }
                }
            }
            *bv = m;
        } else if key == "healthcheck" {
            if let (Value::Mapping(bm), Value::Mapping(om)) = (&mut *bv, ov) {
                for (hk, hv) in om {
                    bm.insert(hk.clone(), hv.clone());
                }
            } else {
                *bv = ov.clone();
            }
        } else {
            merge_generic(bv, ov);
        }
    }
}

/// Mappings key by key, sequences appended, anything else replaced.
fn merge_generic(base: &mut Value, over: &Value) {
    match (&mut *base, over) {
        (Value::Mapping(b), Value::Mapping(o)) => {
            for (k, ov) in o {
                match b.get_mut(k) {
                    Some(bv) => merge_generic(bv, ov),
                    None => {
                        b.insert(k.clone(), ov.clone());
                    }
                }
            }
        }
        (Value::Sequence(b), Value::Sequence(o)) => b.extend(o.iter().cloned()),
        (_, Value::Null) => {}
        (b, o) => *b = o.clone(),
    }
}

fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// `K=V` lists and mappings as a mapping (`K` alone: null).
fn kv_map(v: &Value) -> Mapping {
    match v {
        Value::Mapping(m) => m.clone(),
        Value::Sequence(s) => {
            let mut m = Mapping::new();
            for e in s {
                let Some(e) = scalar_string(e) else { continue };
                match e.split_once('=') {
                    Some((k, v)) => m.insert(Value::String(k.into()), Value::String(v.into())),
                    None => m.insert(Value::String(e), Value::Null),
                };
            }
            m
        }
        _ => Mapping::new(),
    }
}

fn merge_by_name(base: &mut Value, over: &Value) {
    let mut m = kv_map(base);
    for (k, v) in kv_map(over) {
        m.insert(k, v);
    }
    *base = Value::Mapping(m);
}

/// `extra_hosts` as compose-go merges it: both sides as `HOST=IP` entries,
/// appended without repeating one (a host given two addresses keeps both).
fn merge_extra_hosts(base: &mut Value, over: &Value) {
    let entries = |v: &Value| -> Vec<Value> {
        match v {
            Value::Mapping(m) => m
                .iter()
                .map(|(h, ip)| {
                    Value::String(format!(
                        "{}={}",
                        scalar_string(h).unwrap_or_default(),
                        scalar_string(ip).unwrap_or_default()
                    ))
                })
                .collect(),
            Value::Sequence(s) => s
                .iter()
                .filter_map(scalar_string)
                .map(|e| match e.split_once([':', '=']) {
                    Some((h, ip)) => Value::String(format!("{h}={ip}")),
                    None => Value::String(e),
                })
                .collect(),
            _ => Vec::new(),
        }
    };
    let mut b = entries(base);
    for e in entries(over) {
        if !b.contains(&e) {
            b.push(e);
        }
    }
    *base = Value::Sequence(b);
}

/// A list of names as a mapping of empty entries.
fn as_name_map(v: &Value) -> Value {
    match v {
        Value::Sequence(s) => {
            let mut m = Mapping::new();
            for e in s {
                if let Some(n) = scalar_string(e) {
                    m.insert(Value::String(n), Value::Null);
                }
            }
            Value::Mapping(m)
        }
        other => other.clone(),
    }
}

fn build_map(v: &Value) -> Value {
    match v {
        Value::String(s) => {
            let mut m = Mapping::new();
            m.insert(Value::String("context".into()), Value::String(s.clone()));
            Value::Mapping(m)
        }
        other => other.clone(),
    }
}

/// The container path of a `volumes`/`devices` entry, short or long.
pub fn entry_target(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => {
            let parts: Vec<&str> = s.split(':').collect();
            match parts.as_slice() {
                [t] => Some(t.to_string()),
                [_, t] | [_, t, _] => Some(t.to_string()),
                _ => None,
            }
        }
        Value::Mapping(m) => m
            .get("target")
            .and_then(scalar_string)
            .or_else(|| m.get("source").and_then(scalar_string)),
        _ => None,
    }
}

fn merge_by_target(base: &mut Value, over: &Value) {
    let (Value::Sequence(b), Value::Sequence(o)) = (&mut *base, over) else {
        merge_generic(base, over);
        return;
    };
    for ov in o {
        let t = entry_target(ov);
        match b.iter_mut().find(|bv| t.is_some() && entry_target(bv) == t) {
            Some(slot) => *slot = ov.clone(),
            None => b.push(ov.clone()),
        }
    }
}

fn append_unique(base: &mut Value, over: &Value) {
    let seq = |v: &Value| match v {
        Value::Sequence(s) => s.clone(),
        Value::Null => Vec::new(),
        other => vec![other.clone()],
    };
    let mut b = seq(base);
    for ov in seq(over) {
        if !b.contains(&ov) {
            b.push(ov);
        }
    }
    *base = Value::Sequence(b);
}

#[cfg(test)]
mod tests {
    use super::*;
    use devctl_compose::yaml::value_with_merges;

    fn merged(a: &str, b: &str) -> Value {
        let mut base = value_with_merges(a).unwrap();
        merge_files(&mut base, &value_with_merges(b).unwrap());
        base
    }

    fn yaml(s: &str) -> Value {
        value_with_merges(s).unwrap()
    }

    #[test]
    fn overrides_merge_as_compose_merges_them() {
        let got = merged(
            "services:\n  web:\n    build: .\n    command: a\n    environment: [A=1, B=2]\n    ports: ['8000:8000']\n    volumes: ['./:/app', 'data:/data']\n    depends_on: [db]\n  db:\n    image: p\n",
            "services:\n  web:\n    build: {target: dev}\n    command: [b]\n    environment: {B: 3, C: null}\n    ports: ['8000:8000', '9000:9000']\n    volumes: ['other:/data']\n    depends_on: {cache: {condition: service_started}}\n  cache:\n    image: r\nvolumes:\n  other: {}\n",
        );
        let want = yaml(
            "services:\n  web:\n    build: {context: ., target: dev}\n    command: [b]\n    environment: {A: '1', B: 3, C: null}\n    ports: ['8000:8000', '9000:9000']\n    volumes: ['./:/app', 'other:/data']\n    depends_on: {db: null, cache: {condition: service_started}}\n  db:\n    image: p\n  cache:\n    image: r\nvolumes:\n  other: {}\n",
        );
        assert_eq!(got, want);
    }

    #[test]
    fn long_and_short_volumes_merge_by_target_and_lists_do_not_repeat() {
        let got = merged(
            "services:\n  a:\n    volumes: [{type: bind, source: ./x, target: /x}, 'v:/v']\n    dns: 1.1.1.1\n    cap_add: [NET_ADMIN]\n    extra_hosts: ['h:1.2.3.4']\n    healthcheck: {test: [CMD, a], interval: 5s}\n",
            "services:\n  a:\n    volumes: ['./y:/x:ro']\n    dns: [8.8.8.8]\n    cap_add: [NET_ADMIN, SYS_TIME]\n    extra_hosts: {h: 5.6.7.8, g: 9.9.9.9}\n    healthcheck: {test: [CMD, b]}\n",
        );
        let want = yaml(
            "services:\n  a:\n    volumes: ['./y:/x:ro', 'v:/v']\n    dns: [1.1.1.1, 8.8.8.8]\n    cap_add: [NET_ADMIN, SYS_TIME]\n    extra_hosts: [h=1.2.3.4, h=5.6.7.8, g=9.9.9.9]\n    healthcheck: {test: [CMD, b], interval: 5s}\n",
        );
        assert_eq!(got, want);
    }

    #[test]
    fn the_main_kinds_merge_as_compose_v2_merges_them() {
        // what `docker compose -f a -f b config` gives (the Docker-backed
        // twin is tests/it/import_equiv.rs's several_files_merge_…)
        let got = merged(
            "services:\n  s:\n    image: a\n    user: '1000'\n    entrypoint: [e1]\n    command: [x, y]\n    expose: ['1', '2']\n    dns_search: [a.example]\n    labels: [l1=a, l2=b]\n    tmpfs: [/run]\n    profiles: [p1]\n    env_file: [a.env]\n    ulimits: {nofile: {soft: 1, hard: 2}}\n    logging: {driver: json-file, options: {max-size: 1m}}\n    build: {context: ., labels: {x: y}, tags: [t1]}\n",
            "services:\n  s:\n    image: b\n    user: '2000'\n    entrypoint: e2\n    command: z\n    expose: ['2', '3']\n    dns_search: b.example\n    labels: {l2: c, l3: d}\n    tmpfs: /run2\n    profiles: [p2]\n    env_file: [a.env, b.env]\n    ulimits: {nofile: {soft: 3, hard: 4}, nproc: 5}\n    logging: {options: {max-file: '2'}}\n    build: {labels: [z=w], tags: [t1, t2]}\n",
        );
        let want = yaml(
            "services:\n  s:\n    image: b\n    user: '2000'\n    entrypoint: e2\n    command: z\n    expose: ['1', '2', '3']\n    dns_search: [a.example, b.example]\n    labels: {l1: a, l2: c, l3: d}\n    tmpfs: [/run, /run2]\n    profiles: [p1, p2]\n    env_file: [a.env, b.env]\n    ulimits: {nofile: {soft: 3, hard: 4}, nproc: 5}\n    logging: {driver: json-file, options: {max-size: 1m, max-file: '2'}}\n    build: {context: ., labels: {x: y, z: w}, tags: [t1, t2]}\n",
        );
        assert_eq!(got, want);
    }

    #[test]
    fn merge_keys_and_anchors_are_applied() {
        let v =
            yaml("x-common: &c\n  restart: always\nservices:\n  a:\n    <<: *c\n    image: i\n");
        let a = &v["services"]["a"];
        assert_eq!(a["restart"].as_str(), Some("always"));
        assert_eq!(a["image"].as_str(), Some("i"));
    }
}
