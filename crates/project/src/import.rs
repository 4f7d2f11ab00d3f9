//! `devctl init --from-compose`: compose files → devctl.toml (issue 18).
//! Pure: the files' texts in, devctl.toml's text and the notes out; what
//! else it may look at (the dev script an app's command names, the files
//! `extends.file` names, [`extends_file`]) comes through the `read`
//! callback the caller passes.
//!
//! The files are read as compose reads them (anchors and `<<` merge keys,
//! later files merged over earlier ones with compose's override rules,
//! [`merge`]); `${VAR}` is not interpolated: devctl.toml interpolates it
//! from `.env` with the same rules. One service becomes `[app]` (see
//! [`pick_app`]), every other one `[services.NAME]`; the top-level
//! networks, volumes, secrets and configs are copied. Every value is
//! checked by the very deserialiser devctl.toml's loader uses, so a key
//! devctl.toml cannot hold is an error naming the file, the service and
//! the key, and nothing is written. What devctl does differently on
//! purpose (ports on 127.0.0.1, `no-new-privileges`, `init`, never root,
//! …) is said in a [`Note`].

pub mod extends_file;
pub mod merge;

use std::collections::BTreeMap;

use devctl_compose::yaml::{self, Value};
use serde::de::DeserializeOwned;
use toml_edit::{Array, ArrayOfTables, DocumentMut, InlineTable, Item, Table};

use crate::generate::sh_quote;
use crate::load::is_docker_socket;
use crate::model::{AppSection, PortSpec, ServiceSpec, VolumeMount};

/// The files compose reads when given none, in its order of preference:
/// the first that exists of each list.
pub const DEFAULT_FILES: &[&str] = &[
    "compose.yaml",
    "compose.yml",
    "docker-compose.yml",
    "docker-compose.yaml",
];
pub const DEFAULT_OVERRIDE_FILES: &[&str] = &[
    "compose.override.yml",
    "compose.override.yaml",
    "docker-compose.override.yml",
    "docker-compose.override.yaml",
];

/// The compose files compose itself would read in a directory, given
/// which names exist there: the first of [`DEFAULT_FILES`], then the first
/// of [`DEFAULT_OVERRIDE_FILES`] (none when there is no main file).
pub fn default_files(exists: &dyn Fn(&str) -> bool) -> Vec<&'static str> {
    let Some(main) = DEFAULT_FILES.iter().find(|f| exists(f)) else {
        return Vec::new();
    };
    let mut out = vec![*main];
    out.extend(DEFAULT_OVERRIDE_FILES.iter().find(|f| exists(f)));
    out
}

/// One compose file: its name as shown in messages, and its text.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    pub name: &'a str,
    pub text: &'a str,
}

#[derive(Debug, Clone, Default)]
pub struct Options<'a> {
    /// `--app NAME`: the service that becomes `[app]`.
    pub app: Option<&'a str>,
}

/// What a note is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteKind {
    /// Something devctl does differently on purpose.
    Change,
    /// A setting kept that grants a lot (the Docker socket).
    Warning,
}

/// One deliberate change (or warning) of the import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub kind: NoteKind,
    /// The service (or `networks.x`…) it is about.
    pub subject: String,
    pub text: String,
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.subject, self.text)
    }
}

/// The import's result.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    /// devctl.toml's text.
    pub toml: String,
    pub notes: Vec<Note>,
    /// The service that became `[app]`, if any.
    pub app: Option<String>,
}

/// A compose file that cannot be imported: the file, the key
/// (`services.web.develop`) and why, with the fix where there is one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {key}: {message}")]
pub struct ImportError {
    pub file: String,
    pub key: String,
    pub message: String,
}

/// Compose keys of a service that devctl.toml has no place for, with why.
const REFUSED_SERVICE_KEYS: &[(&str, &str)] = &[
    (
        "provider",
        "a provider service is run by a compose plugin, not by the engine",
    ),
    (
        "models",
        "AI models are run by Docker Model Runner, not by the engine",
    ),
    ("pre_start", "not in the Compose Specification"),
    (
        "label_file",
        "devctl.toml has no label files: write the labels under `labels`",
    ),
];

/// The top-level keys read.
const TOP_LEVEL: &[&str] = &[
    "services", "networks", "volumes", "secrets", "configs", "name", "version",
];

/// The service keys whose values are compose's key-value lists (`K=V` or a
/// mapping; a bare `K` is written as a list entry, TOML having no null).
const KEY_VALUE_KEYS: &[&str] = &["environment", "labels", "annotations", "sysctls"];

/// Imports `sources` (in compose's `-f` order). `read` returns the text of
/// a file of the project by its path relative to the project directory
/// (the dev script an app's command runs, a file `extends.file` names),
/// or `None`.
pub fn import(
    sources: &[Source<'_>],
    opts: &Options<'_>,
    read: &dyn Fn(&str) -> Option<String>,
) -> Result<Imported, ImportError> {
    let Some(first) = sources.first() else {
        return Err(ImportError {
            file: "(none)".into(),
            key: "services".into(),
            message: "no compose file to import".into(),
        });
    };
    let mut doc = Value::Null;
    // Which file last set `services.NAME.KEY` / `KIND.NAME`, for errors.
    let mut origin: BTreeMap<String, String> = BTreeMap::new();
    for s in sources {
        let v = yaml::value_with_merges(s.text).map_err(|e| ImportError {
            file: format!("{}:{}:{}", s.name, e.line, e.column),
            key: "not valid YAML".into(),
            message: e.message,
        })?;
        let Value::Mapping(m) = &v else {
            if v.is_null() {
                continue;
            }
            return Err(ImportError {
                file: s.name.into(),
                key: "(top level)".into(),
                message: "a compose file is a mapping with `services:`".into(),
            });
        };
        for (k, val) in m {
            let k = key_str(k);
            if k.starts_with("x-") {
                continue;
            }
            if !TOP_LEVEL.contains(&k.as_str()) {
                let why = match k.as_str() {
                    "include" => "other compose files: import them together instead (`devctl init --from-compose a.yml b.yml`)",
                    "models" => "AI models are run by Docker Model Runner, not by the engine",
                    _ => "not a compose top-level key devctl.toml has",
                };
                return Err(ImportError {
                    file: s.name.into(),
                    key: k,
                    message: format!("cannot be converted: {why}"),
                });
            }
            origin.insert(k.clone(), s.name.into());
            if let Value::Mapping(inner) = val {
                for (n, sv) in inner {
                    let n = key_str(n);
                    origin.insert(format!("{k}.{n}"), s.name.into());
                    if k == "services" {
                        if let Value::Mapping(keys) = sv {
                            for (kk, _) in keys {
                                origin
                                    .insert(format!("services.{n}.{}", key_str(kk)), s.name.into());
                            }
                        }
                    }
                }
            }
        }
        if doc.is_null() {
            doc = v;
        } else {
            merge::merge_files(&mut doc, &v);
        }
    }
    let file_of = |key: &str| -> String {
        let mut k = key.to_string();
        loop {
            if let Some(f) = origin.get(&k) {
                return f.clone();
            }
            match k.rfind('.') {
                Some(i) => k.truncate(i),
                None => return first.name.to_string(),
            }
        }
    };
    let fail = |key: String, message: String| ImportError {
        file: file_of(&key),
        key,
        message,
    };
    // `extends.file`: the other file's service, merged in here.
    let extended = extends_file::resolve_all(
        &mut doc,
        &|name: &str| file_of(&format!("services.{name}.extends")),
        read,
    )
    .map_err(|(k, m)| fail(k, m))?;

    let services: Vec<(String, Value)> = match doc.get("services") {
        Some(Value::Mapping(m)) => m.iter().map(|(k, v)| (key_str(k), v.clone())).collect(),
        Some(Value::Null) | None => Vec::new(),
        Some(_) => {
            return Err(fail(
                "services".into(),
                "must be a mapping of service names".into(),
            ))
        }
    };
    for (name, v) in &services {
        if !matches!(v, Value::Mapping(_) | Value::Null) {
            return Err(fail(
                format!("services.{name}"),
                "must be a mapping of service keys".into(),
            ));
        }
    }

    let app = pick_app(&services, opts.app).map_err(|(k, m)| fail(k, m))?;
    let mut notes = Vec::new();
    for (name, path, base) in extended {
        notes.push(Note {
            kind: NoteKind::Change,
            subject: name,
            text: format!("extends service `{base}` of {path}: its keys are merged in as compose merges them (devctl.toml's `extends` names only a service of the same file); a later change to {path} needs a new import"),
        });
    }
    let mut out = DocumentMut::new();

    if let Some(Value::String(n)) = doc.get("name") {
        let mut t = Table::new();
        t.insert("name", toml_edit::value(n.as_str()));
        check::<crate::model::ProjectSection>(&t).map_err(|m| fail("name".into(), m))?;
        out.insert("project", Item::Table(t));
    }

    let mut svc_tables: Vec<(String, Table)> = Vec::new();
    let mut app_extra: Option<AppExtra> = None;
    for (name, v) in &services {
        let empty = yaml::Mapping::new();
        let m = match v {
            Value::Mapping(m) => m,
            _ => &empty,
        };
        let ctx = Ctx {
            name,
            notes: &mut notes,
            fail: &fail,
        };
        if app.as_deref() == Some(name.as_str()) {
            let (t, extra) = convert_app(ctx, m, read)?;
            app_extra = Some(extra);
            out.insert("app", Item::Table(t));
        } else {
            let t = convert_service(ctx, m)?;
            svc_tables.push((name.clone(), t));
        }
    }
    if let Some(extra) = app_extra {
        if let Some(nvm) = extra.nvm {
            out.insert("nvm", Item::Table(nvm));
        }
        if let Some(assets) = extra.assets {
            out.insert("assets", Item::Table(assets));
        }
    }
    if !svc_tables.is_empty() {
        let mut all = Table::new();
        all.set_implicit(true);
        for (n, t) in svc_tables {
            all.insert(&n, Item::Table(t));
        }
        out.insert("services", Item::Table(all));
    }

    for kind in ["networks", "volumes", "secrets", "configs"] {
        let Some(v) = doc.get(kind) else { continue };
        let Value::Mapping(m) = v else {
            if v.is_null() {
                continue;
            }
            return Err(fail(kind.into(), "must be a mapping of names".into()));
        };
        let mut all = Table::new();
        all.set_implicit(true);
        for (n, obj) in m {
            let n = key_str(n);
            let key = format!("{kind}.{n}");
            let t = match obj {
                Value::Null => Table::new(),
                Value::Mapping(om) => {
                    let mut t = Table::new();
                    for (k, v) in om {
                        let k = key_str(k);
                        if k.starts_with("x-") {
                            continue;
                        }
                        let tv = if k == "labels" { kv(v) } else { tv(v) }
                            .map_err(|m| fail(format!("{key}.{k}"), m))?;
                        t.insert(&k, toml_edit::value(tv));
                    }
                    t
                }
                _ => return Err(fail(key, "must be a mapping".into())),
            };
            let r = match kind {
                "networks" => check_named::<devctl_compose::Network>(&n, &t),
                "volumes" => check_named::<crate::model::VolumeSpec>(&n, &t),
                _ => check_named::<devctl_compose::FileObject>(&n, &t),
            };
            r.map_err(|m| fail(key.clone(), m))?;
            all.insert(&n, Item::Table(t));
        }
        out.insert(kind, Item::Table(all));
    }

    let text = out.to_string();
    // The whole file, as devctl.toml's loader reads it: the safety net of
    // the per-key checks above.
    if let Err(e) = toml::from_str::<crate::model::Config>(&text) {
        return Err(ImportError {
            file: first.name.into(),
            key: "(devctl.toml)".into(),
            message: format!("the converted devctl.toml does not load: {}", e.message()),
        });
    }
    Ok(Imported {
        toml: text,
        notes,
        app,
    })
}

fn key_str(k: &Value) -> String {
    scalar(k).unwrap_or_default()
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A YAML value as a TOML one: a null in a mapping is an empty table (a
/// compose key written without a value), a null elsewhere an error.
fn tv(v: &Value) -> Result<toml_edit::Value, String> {
    Ok(match v {
        Value::Null => return Err("has no value (TOML has no null)".into()),
        Value::Bool(b) => (*b).into(),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i.into(),
            (None, Some(f)) => f.into(),
            _ => n.to_string().into(),
        },
        Value::String(s) => lone_dollars(s).into(),
        Value::Sequence(s) => {
            let mut a = Array::new();
            for e in s {
                a.push(tv(e)?);
            }
            toml_edit::Value::Array(a)
        }
        Value::Mapping(m) => {
            let mut t = InlineTable::new();
            for (k, e) in m {
                let val = match e {
                    Value::Null => toml_edit::Value::InlineTable(InlineTable::new()),
                    e => tv(e)?,
                };
                t.insert(key_str(k).as_str(), val);
            }
            toml_edit::Value::InlineTable(t)
        }
        Value::Tagged(t) => return Err(format!("YAML tag `{}` is not compose's", t.tag)),
    })
}

/// compose leaves a `$` that starts no substitution (`$(date)`, `$1`) as
/// it is; devctl.toml refuses it, so it is written `$$`. `$$`, `${…}`
/// and `$NAME` stay as they are.
fn lone_dollars(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '$' {
            out.push(c);
            continue;
        }
        match chars.peek() {
            Some('$') => {
                chars.next();
                out.push_str("$$");
            }
            Some(n) if *n == '{' || *n == '_' || n.is_ascii_alphabetic() => out.push('$'),
            _ => out.push_str("$$"),
        }
    }
    out
}

/// A key-value value (`environment` …): a mapping with a key without a
/// value becomes the list form (`["A=1", "B"]`).
fn kv(v: &Value) -> Result<toml_edit::Value, String> {
    match v {
        Value::Mapping(m) if m.values().any(Value::is_null) => {
            let mut a = Array::new();
            for (k, e) in m {
                let k = key_str(k);
                match e {
                    Value::Null => a.push(k),
                    e => a.push(format!(
                        "{k}={}",
                        scalar(e)
                            .map(|x| lone_dollars(&x))
                            .ok_or_else(|| format!("`{k}` must be a string, number or boolean"))?
                    )),
                }
            }
            Ok(toml_edit::Value::Array(a))
        }
        other => tv(other),
    }
}

/// Checks one table of keys with devctl.toml's own deserialiser `T`.
fn check<T: DeserializeOwned>(t: &Table) -> Result<(), String> {
    let mut d = DocumentMut::new();
    for (k, v) in t.iter() {
        d.insert(k, v.clone());
    }
    toml::from_str::<T>(&d.to_string())
        .map(drop)
        .map_err(|e| e.message().to_string())
}

fn check_named<T: DeserializeOwned>(name: &str, t: &Table) -> Result<(), String> {
    let mut d = DocumentMut::new();
    let mut inner = t.clone();
    inner.set_implicit(false);
    d.insert(name, Item::Table(inner));
    toml::from_str::<BTreeMap<String, T>>(&d.to_string())
        .map(drop)
        .map_err(|e| e.message().to_string())
}

/// One key checked alone against `T` (so the error is about that key).
fn check_key<T: DeserializeOwned>(key: &str, v: &toml_edit::Value) -> Result<(), String> {
    let mut t = Table::new();
    t.insert(key, toml_edit::value(v.clone()));
    check::<T>(&t)
}

struct Ctx<'a, 'n> {
    name: &'a str,
    notes: &'n mut Vec<Note>,
    fail: &'a dyn Fn(String, String) -> ImportError,
}

impl Ctx<'_, '_> {
    fn note(&mut self, kind: NoteKind, text: String) {
        self.notes.push(Note {
            kind,
            subject: self.name.to_string(),
            text,
        });
    }
    fn err(&self, key: &str, message: String) -> ImportError {
        (self.fail)(format!("services.{}.{key}", self.name), message)
    }
}

/// Whether a bind source is the project tree itself.
fn is_tree(src: &str) -> bool {
    let src = if src.is_empty() { "." } else { src };
    matches!(src.trim_end_matches('/'), "." | "./." | "${PWD}" | "$PWD")
}

fn build_context(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Mapping(m) => Some(
            m.get("context")
                .and_then(scalar)
                .unwrap_or_else(|| ".".into()),
        ),
        _ => None,
    }
}

/// The tree's mount of a service: (index in `volumes`, target, options).
fn tree_mount(m: &yaml::Mapping) -> Option<(usize, String, Option<String>)> {
    let Some(Value::Sequence(vols)) = m.get("volumes") else {
        return None;
    };
    vols.iter().enumerate().find_map(|(i, v)| {
        let vm = volume_mount(v).ok()?;
        let src = vm.source.as_deref()?;
        (vm.tmpfs.is_none() && !vm.is_named() && is_tree(src))
            .then(|| (i, vm.target.clone(), vm.mode.clone()))
    })
}

fn volume_mount(v: &Value) -> Result<VolumeMount, String> {
    let t = tv(v)?;
    let mut d = Table::new();
    d.insert("v", toml_edit::value(t));
    #[derive(serde::Deserialize)]
    struct One {
        v: VolumeMount,
    }
    let mut doc = DocumentMut::new();
    doc.insert("v", d["v"].clone());
    toml::from_str::<One>(&doc.to_string())
        .map(|o| o.v)
        .map_err(|e| e.message().to_string())
}

/// The keys `[app]` cannot hold (so a service using them is not chosen).
const NOT_APP_KEYS: &[&str] = &["deploy", "extends", "image_only"];
const APP_BUILD_KEYS: &[&str] = &[
    "context",
    "dockerfile",
    "dockerfile_inline",
    "target",
    "args",
    "secrets",
    "ssh",
    "labels",
    "tags",
    "additional_contexts",
];

/// Why a service cannot be `[app]`, if it cannot.
fn not_app(m: &yaml::Mapping) -> Option<String> {
    for k in NOT_APP_KEYS {
        if m.contains_key(*k) {
            return Some(format!("`{k}` has no place in [app]"));
        }
    }
    match m.get("build") {
        None => return Some("it has no `build`: [app] is built from a Dockerfile".into()),
        Some(Value::Mapping(b)) => {
            if let Some(k) = b
                .keys()
                .map(key_str)
                .find(|k| !APP_BUILD_KEYS.contains(&k.as_str()))
            {
                return Some(format!(
                    "`build.{k}` has no place in [app] (only {})",
                    APP_BUILD_KEYS.join(", ")
                ));
            }
        }
        Some(_) => {}
    }
    None
}

/// The service that becomes `[app]`: `--app NAME`, else the first that
/// builds from `.` and bind-mounts the tree (and that `[app]` can hold).
fn pick_app(
    services: &[(String, Value)],
    wanted: Option<&str>,
) -> Result<Option<String>, (String, String)> {
    let empty = yaml::Mapping::new();
    let map = |v: &Value| match v {
        Value::Mapping(m) => m.clone(),
        _ => empty.clone(),
    };
    if let Some(w) = wanted {
        let Some((_, v)) = services.iter().find(|(n, _)| n == w) else {
            let names: Vec<&str> = services.iter().map(|(n, _)| n.as_str()).collect();
            return Err((
                format!("services.{w}"),
                format!(
                    "--app names no service (the services: {})",
                    names.join(", ")
                ),
            ));
        };
        if let Some(why) = not_app(&map(v)) {
            return Err((format!("services.{w}"), format!("cannot be the app: {why}")));
        }
        return Ok(Some(w.to_string()));
    }
    let candidates: Vec<&(String, Value)> = services
        .iter()
        .filter(|(_, v)| {
            let m = map(v);
            not_app(&m).is_none()
                && m.get("build")
                    .and_then(build_context)
                    .is_some_and(|c| is_tree(&c))
                && tree_mount(&m).is_some()
        })
        .collect();
    // A profiled service (an `update` helper) is the app only when no
    // service without profiles qualifies.
    let profiled = |v: &Value| map(v).get("profiles").is_some_and(|p| !p.is_null());
    Ok(candidates
        .iter()
        .find(|(_, v)| !profiled(v))
        .or(candidates.first())
        .map(|(n, _)| n.clone()))
}

/// `[nvm]` and `[assets]` made from the app.
#[derive(Default)]
struct AppExtra {
    nvm: Option<Table>,
    assets: Option<Table>,
}

fn is_nvm_source(src: &str) -> bool {
    matches!(src, "~/.nvm" | "${HOME}/.nvm" | "$HOME/.nvm")
}

fn convert_app(
    mut ctx: Ctx<'_, '_>,
    m: &yaml::Mapping,
    read: &dyn Fn(&str) -> Option<String>,
) -> Result<(Table, AppExtra), ImportError> {
    let name = ctx.name.to_string();
    let mut t = Table::new();
    let mut extra = AppExtra::default();
    if name != crate::model::DEFAULT_APP_NAME {
        t.insert("name", toml_edit::value(name.as_str()));
    }
    let tree = tree_mount(m);
    let workdir = tree
        .as_ref()
        .map(|(_, t, _)| t.clone())
        .unwrap_or_else(|| "/app".into());
    // The user first: the nvm mount's target depends on it.
    let mut user = "app".to_string();
    match m.get("user").map(scalar) {
        Some(Some(u)) => match devctl_compose::user::check_spelling(&u) {
            Ok(_) => {
                user = u.clone();
                t.insert("user", toml_edit::value(u));
            }
            Err(_) if u.contains('$') => {
                t.insert("user", toml_edit::value(u));
            }
            Err(_) => ctx.note(
                NoteKind::Change,
                format!(
                    "user `{u}` refused: devctl never runs a container as root; the app runs as `app` (uid/gid follow yours, build args APP_UID/APP_GID); add to the Dockerfile after its FROM:{}",
                    devctl_compose::user::create_user_hint("app", false)
                ),
            ),
        },
        Some(None) => return Err(ctx.err("user", "must be a string or a uid".into())),
        None => ctx.note(
            NoteKind::Change,
            "runs as `app` (devctl's default; compose ran the image's USER): the Dockerfile must create that user (`useradd --uid ${APP_UID} app`), or set [app].user".into(),
        ),
    }
    for (k, v) in m {
        let k = key_str(k);
        if k.starts_with("x-") {
            continue;
        }
        match k.as_str() {
            "build" => {
                let b = match v {
                    Value::String(s) => {
                        let mut bm = yaml::Mapping::new();
                        bm.insert(Value::String("context".into()), Value::String(s.clone()));
                        bm
                    }
                    Value::Mapping(bm) => bm.clone(),
                    _ => return Err(ctx.err("build", "must be a path or a mapping".into())),
                };
                for (bk, bv) in &b {
                    let bk = key_str(bk);
                    match bk.as_str() {
                        "context" => {
                            let c = scalar(bv).unwrap_or_default();
                            let c = if is_tree(&c) { ".".to_string() } else { c };
                            if c != "." {
                                t.insert("context", toml_edit::value(c));
                            }
                        }
                        "dockerfile" | "target" | "dockerfile_inline" => {
                            let s = scalar(bv).ok_or_else(|| {
                                ctx.err(&format!("build.{bk}"), "must be a string".into())
                            })?;
                            t.insert(&bk, toml_edit::value(lone_dollars(&s)));
                        }
                        "args" => {
                            let mut args = InlineTable::new();
                            for (ak, av) in merge_kv(bv) {
                                if ak == "APP_UID" || ak == "APP_GID" {
                                    ctx.note(NoteKind::Change, format!("build arg {ak} is devctl's (the host user's id): the compose value is not kept"));
                                    continue;
                                }
                                let val = match av {
                                    Some(v) => v,
                                    None => {
                                        ctx.note(NoteKind::Change, format!("build arg {ak} had no value (compose takes it from the environment): it is now `${{{ak}}}`, interpolated from .env"));
                                        format!("${{{ak}}}")
                                    }
                                };
                                args.insert(&ak, val.into());
                            }
                            if !args.is_empty() {
                                t.insert("build_args", toml_edit::value(args));
                            }
                        }
                        "secrets" | "labels" | "tags" | "ssh" | "additional_contexts" => {
                            let key = format!("build_{bk}");
                            let val = match bk.as_str() {
                                "labels" | "additional_contexts" => kv(bv),
                                "ssh" => build_ssh(bv),
                                _ => tv(bv),
                            }
                            .map_err(|m| ctx.err(&format!("build.{bk}"), m))?;
                            check_key::<AppSection>(&key, &val).map_err(|m| {
                                ctx.err(&format!("build.{bk}"), format!("cannot be converted: {m}"))
                            })?;
                            t.insert(&key, toml_edit::value(val));
                        }
                        _ => {
                            return Err(
                                ctx.err(&format!("build.{bk}"), "has no place in [app]".into())
                            )
                        }
                    }
                }
                let mut text =
                    "the image is built with the build args APP_UID/APP_GID (your uid/gid)"
                        .to_string();
                if !m.contains_key("image") {
                    text.push_str(&format!(
                        " and named `<project>-{name}:dev` (compose: `<project>-{name}`)"
                    ));
                }
                ctx.note(NoteKind::Change, text);
            }
            "image" => {
                let s = scalar(v).ok_or_else(|| ctx.err("image", "must be a string".into()))?;
                t.insert("image", toml_edit::value(s));
            }
            "user" => {}
            "command" => {
                let cmd = match v {
                    Value::String(s) => shell_words::split(s).map_err(|e| {
                        ctx.err("command", format!("cannot be split into words: {e}"))
                    })?,
                    Value::Sequence(s) => s.iter().map(|x| scalar(x).unwrap_or_default()).collect(),
                    Value::Null => continue,
                    _ => return Err(ctx.err("command", "must be a string or a list".into())),
                };
                let shown = v
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| cmd.join(" "));
                match dev_command(&cmd, &workdir, read) {
                    Some(dev) => {
                        if let Some(mig) = &dev.migrate {
                            t.insert("migrate", toml_edit::value(mig.as_str()));
                        }
                        t.insert("server", toml_edit::value(dev.server.as_str()));
                        let mut text = format!("command `{shown}` runs a dev script: its migrate line became `migrate`, its server `server`; devctl runs them when AUTO_START_SERVER is on in .env (else the app idles; `devctl sh` opens a shell)");
                        if !dev.gated {
                            text.push_str(
                                " — the script started the server whatever AUTO_START_SERVER said",
                            );
                        }
                        if !dev.others.is_empty() {
                            text.push_str(&format!(
                                "; it also ran {}: the asset watchers are run-dev's job, write them as [assets] and [[assets.watch]] rules",
                                dev.others.iter().map(|o| format!("`{o}`")).collect::<Vec<_>>().join(", ")
                            ));
                        }
                        ctx.note(NoteKind::Change, text);
                    }
                    None => {
                        let val = tv(v).map_err(|e| ctx.err("command", e))?;
                        t.insert("command", toml_edit::value(val));
                    }
                }
            }
            "working_dir" => {
                let w = scalar(v).unwrap_or_default();
                if w != workdir {
                    ctx.note(NoteKind::Change, format!("working_dir `{w}` is now the source mount's target `{workdir}` ([app].workdir is both)"));
                }
            }
            "init" => {}
            "volumes" => {
                let Value::Sequence(vols) = v else {
                    return Err(ctx.err("volumes", "must be a list".into()));
                };
                let mut kept = Array::new();
                for (i, e) in vols.iter().enumerate() {
                    if tree.as_ref().is_some_and(|(ti, _, _)| *ti == i) {
                        continue;
                    }
                    let vm = volume_mount(e).map_err(|m| ctx.err("volumes", m))?;
                    let home = if user.bytes().all(|b| b.is_ascii_digit() || b == b':') {
                        "app"
                    } else {
                        user.split(':').next().unwrap_or("app")
                    };
                    if vm.source.as_deref().is_some_and(is_nvm_source)
                        && vm.target == format!("/home/{home}/.nvm")
                        && vm.mode.is_none()
                    {
                        let mut nvm = Table::new();
                        nvm.insert("dir", toml_edit::value("~/.nvm"));
                        extra.nvm = Some(nvm);
                        continue;
                    }
                    bind_note(&mut ctx, e);
                    socket(&mut ctx, &mut t, &vm);
                    kept.push(tv(e).map_err(|m| ctx.err("volumes", m))?);
                }
                if !kept.is_empty() {
                    let val = toml_edit::Value::Array(kept);
                    check_key::<AppSection>("volumes", &val).map_err(|m| ctx.err("volumes", m))?;
                    t.insert("volumes", toml_edit::value(val));
                }
            }
            "ports" => {
                app_ports(&mut ctx, &mut t, v)?;
            }
            "security_opt" => security_opt(&mut ctx, &mut t, v)?,
            "develop" => develop(&mut ctx, &mut extra, v, true)?,
            _ => common_key::<AppSection>(&mut ctx, &mut t, &k, v)?,
        }
    }
    nnp_note(&mut ctx, m);
    match &tree {
        Some((_, target, mode)) => {
            if target != "/app" {
                t.insert("workdir", toml_edit::value(target.as_str()));
            }
            if let Some(mode) = mode {
                let mut a = Array::new();
                for o in mode.split(',').filter(|o| *o != "rw") {
                    a.push(o);
                }
                if !a.is_empty() {
                    t.insert("mount_options", toml_edit::value(a));
                }
            }
        }
        None => ctx.note(NoteKind::Change, "the project tree is now mounted at /app ([app].workdir), which is also the working directory".into()),
    }
    if tree.is_some() && !m.contains_key("working_dir") {
        ctx.note(
            NoteKind::Change,
            format!("working_dir is now `{workdir}`, the source mount's target ([app].workdir; compose used the image's WORKDIR)"),
        );
    }
    if m.get("init").and_then(Value::as_bool) != Some(true) {
        ctx.note(NoteKind::Change, "runs with `init: true` (devctl's app always does: signals reach the server, zombies are reaped)".into());
    }
    if !m.contains_key("command") {
        ctx.note(NoteKind::Change, "had no command (the image's CMD ran): devctl's app runs `server` when AUTO_START_SERVER is on in .env and idles otherwise; set [app].server (or [app].command) to the image's CMD".into());
    }
    if extra.assets.is_some() && extra.nvm.is_none() {
        if let Some(a) = extra.assets.as_mut() {
            a.insert("toolchain", toml_edit::value("system"));
            a.sort_values_by(|k1, _, k2, _| {
                (k1.get() != "toolchain").cmp(&(k2.get() != "toolchain"))
            });
        }
    }
    check::<AppSection>(&t).map_err(|m| ctx.err("(app)", m))?;
    Ok((t, extra))
}

/// A key-value value as (key, value) pairs in order.
fn merge_kv(v: &Value) -> Vec<(String, Option<String>)> {
    match v {
        Value::Mapping(m) => m.iter().map(|(k, e)| (key_str(k), scalar(e))).collect(),
        Value::Sequence(s) => s
            .iter()
            .filter_map(scalar)
            .map(|e| match e.split_once('=') {
                Some((k, v)) => (k.to_string(), Some(v.to_string())),
                None => (e, None),
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The mounted Docker socket: kept with `allow_docker_socket`, warned about.
fn socket(ctx: &mut Ctx<'_, '_>, t: &mut Table, vm: &VolumeMount) {
    let Some(src) = vm.source.as_deref() else {
        return;
    };
    if vm.is_named() || !is_docker_socket(src) || t.contains_key("allow_docker_socket") {
        return;
    }
    t.insert("allow_docker_socket", toml_edit::value(true));
    ctx.note(
        NoteKind::Warning,
        format!("mounts the Docker socket (`{src}`): kept with `allow_docker_socket = true`; it can start privileged containers and mount any host path, which is root on the host"),
    );
}

/// `build.ssh`: devctl forwards the SSH agent (`default`) and nothing
/// else; an explicit key or socket path (`id=PATH`) is refused.
fn build_ssh(v: &Value) -> Result<toml_edit::Value, String> {
    let entries: Vec<String> = match v {
        Value::Sequence(s) => s
            .iter()
            .map(|e| scalar(e).ok_or_else(|| "must be a list of strings".to_string()))
            .collect::<Result<_, _>>()?,
        Value::Mapping(m) => m
            .iter()
            .map(|(k, e)| match scalar(e) {
                Some(p) if !p.is_empty() => format!("{}={p}", key_str(k)),
                _ => key_str(k),
            })
            .collect(),
        other => vec![scalar(other).ok_or_else(|| "must be a list of strings".to_string())?],
    };
    let mut a = Array::new();
    for e in entries {
        if e != "default" {
            return Err(format!("cannot be converted: `{e}`: devctl forwards only your SSH agent to the build (`default`, the agent at SSH_AUTH_SOCK), not a key or socket path; load the key into the agent (`ssh-add KEY`) and write `ssh = [\"default\"]`"));
        }
        if !a.iter().any(|x| x.as_str() == Some("default")) {
            a.push("default");
        }
    }
    Ok(toml_edit::Value::Array(a))
}

/// A service key devctl.toml takes as compose writes it, checked by `T`.
fn common_key<T: DeserializeOwned>(
    ctx: &mut Ctx<'_, '_>,
    t: &mut Table,
    k: &str,
    v: &Value,
) -> Result<(), ImportError> {
    if let Some((_, why)) = REFUSED_SERVICE_KEYS.iter().find(|(r, _)| *r == k) {
        return Err(ctx.err(k, format!("cannot be converted: {why}")));
    }
    if v.is_null() {
        return Ok(());
    }
    if let ("volumes", Value::Sequence(vols)) = (k, v) {
        for e in vols {
            bind_note(ctx, e);
        }
    }
    let val = if KEY_VALUE_KEYS.contains(&k) {
        kv(v)
    } else {
        tv(v)
    }
    .map_err(|m| ctx.err(k, m))?;
    check_key::<T>(k, &val).map_err(|m| ctx.err(k, format!("cannot be converted: {m}")))?;
    if let ("ports", Value::Sequence(ps)) = (k, v) {
        for p in ps {
            port_note(ctx, p, None);
        }
    }
    if k == "user" {
        if let Some(u) = scalar(v).filter(|u| !u.contains('$')) {
            if devctl_compose::user::check_spelling(&u).is_err() {
                ctx.note(
                    NoteKind::Change,
                    format!(
                        "user `{u}` refused: devctl never runs a container as root; the service now runs as its image's user; to run it as a non-root user, build it with these Dockerfile lines and set `user`:{}",
                        devctl_compose::user::create_user_hint("app", false)
                    ),
                );
                return Ok(());
            }
        }
    }
    t.insert(k, toml_edit::value(val));
    Ok(())
}

/// A long-syntax bind mount that did not say `bind.create_host_path`:
/// compose refuses a missing source there, devctl creates it.
fn bind_note(ctx: &mut Ctx<'_, '_>, v: &Value) {
    let Value::Mapping(m) = v else { return };
    if m.get("type").and_then(Value::as_str) != Some("bind")
        || m.get("bind")
            .and_then(|b| b.get("create_host_path"))
            .is_some()
    {
        return;
    }
    let target = m.get("target").and_then(scalar).unwrap_or_default();
    ctx.note(
        NoteKind::Change,
        format!("bind mount at {target}: a missing source is created, as for compose's short syntax (`bind = {{ create_host_path = false }}` refuses it, as compose's long syntax did)"),
    );
}

/// The note for a port that listened on every interface.
fn port_note(ctx: &mut Ctx<'_, '_>, p: &Value, restore: Option<&str>) {
    let (shown, every) = match p {
        Value::Mapping(m) => {
            let every = !m.contains_key("host_ip");
            let target = m.get("target").and_then(scalar).unwrap_or_default();
            let published = m.get("published").and_then(scalar);
            (
                published.map_or(target.clone(), |p| format!("{p}:{target}")),
                every,
            )
        }
        other => {
            let s = scalar(other).unwrap_or_default();
            // `${PORT:-8080}:80`: read with each variable as a number.
            let every = PortSpec::parse(&placeholders(&s)).is_ok_and(|ps| ps.host_ip.is_none());
            (s, every)
        }
    };
    if !every {
        return;
    }
    let restore = restore
        .map(str::to_string)
        .unwrap_or_else(|| format!("write `0.0.0.0:{shown}` to publish it there again"));
    ctx.note(
        NoteKind::Change,
        format!(
            "port {shown} listened on every interface; devctl binds it to 127.0.0.1 ({restore})"
        ),
    );
}

/// `s` with each `${…}` replaced by `1` (to read its shape).
fn placeholders(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        match rest[i..].find('}') {
            Some(j) => {
                out.push('1');
                rest = &rest[i + j + 1..];
            }
            None => {
                rest = &rest[i..];
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The app's ports: the first `[IP:]HOST:CONTAINER` becomes `port` (and
/// `publish`), the others stay `ports`.
fn app_ports(ctx: &mut Ctx<'_, '_>, t: &mut Table, v: &Value) -> Result<(), ImportError> {
    let Value::Sequence(ps) = v else {
        return Err(ctx.err("ports", "must be a list".into()));
    };
    let mut rest = Vec::new();
    let mut done = false;
    for p in ps {
        let spec = scalar(p).and_then(|s| PortSpec::parse(&s).ok());
        let single = |s: &str| s.parse::<u16>().ok();
        match spec {
            Some(ps)
                if !done
                    && ps.proto.as_deref().is_none_or(|x| x == "tcp")
                    && single(&ps.container).is_some()
                    && ps.host.as_deref().and_then(single).is_some() =>
            {
                done = true;
                let c = single(&ps.container).unwrap_or_default();
                let h = ps.host.as_deref().and_then(single).unwrap_or(c);
                t.insert("port", toml_edit::value(i64::from(c)));
                match &ps.host_ip {
                    Some(ip) => {
                        let publish = if h == c {
                            ip.clone()
                        } else {
                            format!("{ip}:{h}")
                        };
                        t.insert("publish", toml_edit::value(publish));
                    }
                    None => {
                        if h != c {
                            t.insert("publish", toml_edit::value(format!("127.0.0.1:{h}")));
                        }
                        let restore = if h == c {
                            "`publish = \"0.0.0.0\"` restores it".to_string()
                        } else {
                            format!("`publish = \"0.0.0.0:{h}\"` restores it")
                        };
                        port_note(ctx, p, Some(&restore));
                    }
                }
            }
            _ => rest.push(p.clone()),
        }
    }
    if !rest.is_empty() {
        common_key::<AppSection>(ctx, t, "ports", &Value::Sequence(rest))?;
    }
    Ok(())
}

/// `security_opt`: `no-new-privileges` is devctl's default (said when the
/// compose file did not have it); `no-new-privileges:false` is
/// `no_new_privileges = false`.
fn security_opt(ctx: &mut Ctx<'_, '_>, t: &mut Table, v: &Value) -> Result<(), ImportError> {
    let opts: Vec<String> = match v {
        Value::Sequence(s) => s.iter().filter_map(scalar).collect(),
        Value::Null => Vec::new(),
        _ => return Err(ctx.err("security_opt", "must be a list".into())),
    };
    let mut kept = Array::new();
    for o in opts {
        match o.as_str() {
            "no-new-privileges" | "no-new-privileges:true" | "no-new-privileges=true" => {}
            "no-new-privileges:false" | "no-new-privileges=false" => {
                t.insert("no_new_privileges", toml_edit::value(false));
            }
            _ => kept.push(o),
        }
    }
    if !kept.is_empty() {
        t.insert("security_opt", toml_edit::value(kept));
    }
    Ok(())
}

/// The `no-new-privileges` note, for a service that did not set it.
fn nnp_note(ctx: &mut Ctx<'_, '_>, m: &yaml::Mapping) {
    let privileged = m.get("privileged").and_then(Value::as_bool) == Some(true);
    let has = match m.get("security_opt") {
        Some(Value::Sequence(s)) => s
            .iter()
            .filter_map(scalar)
            .any(|o| o.starts_with("no-new-privileges")),
        _ => false,
    };
    if !privileged && !has {
        ctx.note(
            NoteKind::Change,
            "runs with `no-new-privileges` (setuid binaries cannot gain privileges; `no_new_privileges = false` turns it off)".into(),
        );
    }
}

/// `develop.watch`: `sync+exec` rules of the app become `[[assets.watch]]`;
/// `sync` is a note (the bind mount carries the files), as are `rebuild` and
/// `sync+restart`.
fn develop(
    ctx: &mut Ctx<'_, '_>,
    extra: &mut AppExtra,
    v: &Value,
    is_app: bool,
) -> Result<(), ImportError> {
    let Value::Mapping(d) = v else {
        return Err(ctx.err("develop", "must be a mapping".into()));
    };
    for (k, w) in d {
        let k = key_str(k);
        if k != "watch" {
            return Err(ctx.err(
                &format!("develop.{k}"),
                "cannot be converted: devctl's dev loop (run-dev) has only watch rules".into(),
            ));
        }
        let Value::Sequence(rules) = w else {
            return Err(ctx.err("develop.watch", "must be a list".into()));
        };
        for (i, r) in rules.iter().enumerate() {
            let key = format!("develop.watch[{i}]");
            let Value::Mapping(r) = r else {
                return Err(ctx.err(&key, "must be a mapping".into()));
            };
            let action = r.get("action").and_then(scalar).unwrap_or_default();
            let path = r
                .get("path")
                .and_then(scalar)
                .ok_or_else(|| ctx.err(&key, "has no `path`".into()))?;
            match action.as_str() {
                "sync" => ctx.note(NoteKind::Change, format!("develop.watch `sync` of {path} dropped: a bind mount of the tree carries the files (no copy needed)")),
                "rebuild" => ctx.note(NoteKind::Change, format!("develop.watch `rebuild` on {path} dropped: run `devctl build && devctl start` after such changes")),
                "sync+restart" => ctx.note(NoteKind::Change, format!("develop.watch `sync+restart` of {path} dropped: run `devctl restart {}` after such changes", ctx.name)),
                "sync+exec" if is_app => {
                    let exec = r.get("exec").and_then(|e| e.get("command")).ok_or_else(|| ctx.err(&format!("{key}.exec.command"), "is missing".into()))?;
                    let run = match exec {
                        Value::Sequence(s) => s.iter().filter_map(scalar).map(|w| sh_quote(&w)).collect::<Vec<_>>().join(" "),
                        other => scalar(other).unwrap_or_default(),
                    };
                    let rel = path.trim_start_matches("./").trim_end_matches('/');
                    let rel = if rel.is_empty() { "." } else { rel };
                    let mut rule = Table::new();
                    rule.insert("name", toml_edit::value(format!("watch{}", i + 1)));
                    let mut paths = Array::new();
                    paths.push(rel);
                    rule.insert("paths", toml_edit::value(paths));
                    rule.insert("run", toml_edit::value(&run));
                    check_watch(&rule).map_err(|m| ctx.err(&key, format!("cannot be converted: {m}")))?;
                    ctx.note(NoteKind::Change, format!("develop.watch `sync+exec` of {path} became the [[assets.watch]] rule `watch{}`: `devctl run-dev` runs `{run}` in the app container after a change (the project tree is bind-mounted, so nothing is copied)", i + 1));
                    if r.contains_key("ignore") || r.contains_key("include") {
                        ctx.note(NoteKind::Change, format!("develop.watch on {path}: its ignore/include patterns are not kept (run-dev ignores .git, node_modules, build outputs and editor files; [[assets.watch]].patterns narrows a rule)"));
                    }
                    let assets = extra.assets.get_or_insert_with(Table::new);
                    let item = assets.entry("watch").or_insert(Item::ArrayOfTables(ArrayOfTables::new()));
                    if let Item::ArrayOfTables(a) = item {
                        a.push(rule);
                    }
                }
                "sync+exec" => return Err(ctx.err(&key, "cannot be converted: [[assets.watch]] rules run in the app container; make this service the app with --app".into())),
                other => return Err(ctx.err(&format!("{key}.action"), format!("cannot be converted: unknown action `{other}`"))),
            }
        }
    }
    Ok(())
}

fn check_watch(rule: &Table) -> Result<(), String> {
    let mut inner = rule.clone();
    inner.set_implicit(false);
    let mut d = DocumentMut::new();
    let mut a = ArrayOfTables::new();
    a.push(inner);
    let mut assets = Table::new();
    assets.insert("watch", Item::ArrayOfTables(a));
    d.insert("assets", Item::Table(assets));
    toml::from_str::<crate::model::Config>(&d.to_string())
        .map(drop)
        .map_err(|e| e.message().to_string())
}

fn convert_service(mut ctx: Ctx<'_, '_>, m: &yaml::Mapping) -> Result<Table, ImportError> {
    let mut t = Table::new();
    let mut extra = AppExtra::default();
    for (k, v) in m {
        let k = key_str(k);
        if k.starts_with("x-") {
            continue;
        }
        match k.as_str() {
            "build" => {
                let val = match v {
                    Value::Mapping(bm) => {
                        let mut it = InlineTable::new();
                        for (bk, bv) in bm {
                            let bk = key_str(bk);
                            let x = match bk.as_str() {
                                "args" | "labels" | "additional_contexts" => kv(bv),
                                "ssh" => build_ssh(bv),
                                _ => tv(bv),
                            }
                            .map_err(|e| ctx.err(&format!("build.{bk}"), e))?;
                            it.insert(&bk, x);
                        }
                        toml_edit::Value::InlineTable(it)
                    }
                    other => tv(other).map_err(|e| ctx.err("build", e))?,
                };
                check_key::<ServiceSpec>("build", &val)
                    .map_err(|e| ctx.err("build", format!("cannot be converted: {e}")))?;
                t.insert("build", toml_edit::value(val));
                ctx.note(
                    NoteKind::Change,
                    "is built with the build args APP_UID/APP_GID (your uid/gid)".into(),
                );
                if !m.contains_key("image") {
                    ctx.note(
                        NoteKind::Change,
                        format!(
                            "its image is named `<project>-{}:dev` (compose: `<project>-{}`)",
                            ctx.name, ctx.name
                        ),
                    );
                }
            }
            "volumes" => {
                let Value::Sequence(vols) = v else {
                    return Err(ctx.err("volumes", "must be a list".into()));
                };
                for e in vols {
                    let vm = volume_mount(e)
                        .map_err(|m| ctx.err("volumes", format!("cannot be converted: {m}")))?;
                    socket(&mut ctx, &mut t, &vm);
                }
                common_key::<ServiceSpec>(&mut ctx, &mut t, "volumes", v)?;
            }
            "security_opt" => security_opt(&mut ctx, &mut t, v)?,
            "develop" => develop(&mut ctx, &mut extra, v, false)?,
            "extends" => {
                if v.get("file").is_some() {
                    return Err(ctx.err("extends.file", "cannot be converted: devctl.toml's `extends` names another [services.NAME] of the same file; import the files together".into()));
                }
                common_key::<ServiceSpec>(&mut ctx, &mut t, &k, v)?;
            }
            _ => common_key::<ServiceSpec>(&mut ctx, &mut t, &k, v)?,
        }
    }
    nnp_note(&mut ctx, m);
    check::<ServiceSpec>(&t).map_err(|e| ctx.err("(service)", e))?;
    Ok(t)
}

/// A recognised dev script: the migrate and server lines, whether the
/// server was gated on AUTO_START_SERVER, and what else it ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevScript {
    pub migrate: Option<String>,
    pub server: String,
    pub gated: bool,
    pub others: Vec<String>,
}

/// The app's command as a dev script of the reference project's shape:
/// `sh SCRIPT` (`bash`, or the script alone) whose text `read` gives, or
/// `sh -c LINE`.
fn dev_command(
    argv: &[String],
    workdir: &str,
    read: &dyn Fn(&str) -> Option<String>,
) -> Option<DevScript> {
    let shells = ["sh", "bash", "/bin/sh", "/bin/bash", "/usr/bin/env bash"];
    let (script, inline) = match argv {
        [sh, c, line] if shells.contains(&sh.as_str()) && c == "-c" => (None, Some(line.clone())),
        [sh, path] if shells.contains(&sh.as_str()) => (Some(path.clone()), None),
        [path] if path.ends_with(".sh") => (Some(path.clone()), None),
        _ => (None, None),
    };
    let text = match (script, inline) {
        (_, Some(line)) => line,
        (Some(path), None) => {
            let rel = match path.strip_prefix(&format!("{}/", workdir.trim_end_matches('/'))) {
                Some(r) => r.to_string(),
                None if !path.starts_with('/') => path.trim_start_matches("./").to_string(),
                None => return None,
            };
            read(&rel)?
        }
        _ => return None,
    };
    dev_script(&text)
}

/// Reads a shell script of the reference project's dev-script shape: a
/// `migrate` command and a server (`runserver`, `gunicorn`, `uvicorn`),
/// usually under `if AUTO_START_SERVER …`, maybe with watchers started in
/// the background.
pub fn dev_script(text: &str) -> Option<DevScript> {
    let joined = text.replace("\\\n", " ");
    let mut pieces: Vec<String> = Vec::new();
    for line in joined.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        for part in line.split("&&").flat_map(|p| p.split(';')) {
            let p = part.trim();
            if !p.is_empty() {
                pieces.push(p.to_string());
            }
        }
    }
    let gated = text.contains("AUTO_START_SERVER");
    let mut migrate = None;
    let mut server = None;
    let mut others = Vec::new();
    for p in pieces {
        let words: Vec<&str> = p.split_whitespace().collect();
        let first = words.first().copied().unwrap_or_default();
        if matches!(
            first,
            "if" | "then"
                | "else"
                | "elif"
                | "fi"
                | "do"
                | "done"
                | "set"
                | "echo"
                | "cd"
                | "export"
                | "["
                | "test"
                | "wait"
        ) || p.starts_with("tail -f /dev/null")
            || p.starts_with("sleep infinity")
            || p.starts_with("#!")
        {
            // Shell structure and the idle branch: devctl's own.
            let rest = p.split_once(' ').map(|(_, r)| r.trim()).unwrap_or_default();
            if matches!(first, "then" | "else" | "do") && !rest.is_empty() {
                // `then python manage.py migrate` — the command after the keyword.
                classify(rest, &mut migrate, &mut server, &mut others);
            }
            continue;
        }
        classify(&p, &mut migrate, &mut server, &mut others);
    }
    Some(DevScript {
        migrate,
        server: server?,
        gated,
        others,
    })
}

fn classify(
    p: &str,
    migrate: &mut Option<String>,
    server: &mut Option<String>,
    others: &mut Vec<String>,
) {
    let p = p.strip_prefix("exec ").unwrap_or(p).trim();
    if p.starts_with("tail -f /dev/null") || p.starts_with("sleep infinity") || p.is_empty() {
        return;
    }
    let words: Vec<&str> = p.split_whitespace().collect();
    if server.is_none()
        && !p.ends_with('&')
        && words.iter().any(|w| {
            let base = w.rsplit('/').next().unwrap_or(w);
            matches!(
                base,
                "runserver" | "gunicorn" | "uvicorn" | "runserver_plus"
            )
        })
    {
        *server = Some(p.to_string());
    } else if migrate.is_none() && !p.ends_with('&') && words.contains(&"migrate") {
        *migrate = Some(p.to_string());
    } else {
        others.push(p.trim_end_matches('&').trim().to_string());
    }
}

#[cfg(test)]
mod tests;
