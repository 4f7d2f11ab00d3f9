//! `extends: { file: OTHER.yml, service: NAME }` resolved at import time,
//! as compose resolves it: the other file is read relative to the
//! directory of the compose file that names it, its service (itself
//! resolved, recursively: an `extends` there names a service of that file
//! or, with `file`, of yet another) is the base, its relative paths are
//! rebased onto the project directory (compose resolves them against the
//! other file's directory), and the extending service is merged over it
//! with compose's rules ([`super::merge::extend_service`]). The result is
//! a service without `extends`, so devctl.toml is self-contained. An
//! `extends` without `file` (or whose `file` is the very file naming it)
//! stays: devctl.toml's own `extends` names another `[services.NAME]`.

use devctl_compose::yaml::{self, Mapping, Value};

/// How deep `extends` may chain across files before it is called a cycle.
const MAX_DEPTH: usize = 16;

/// A file's text by its path relative to the project directory.
pub type Read<'a> = &'a dyn Fn(&str) -> Option<String>;

/// An error: the key (`services.NAME.extends…`) and why.
pub type Fail = (String, String);

/// `dir/rel`, normalised (`./`, `..`), relative to the project directory
/// (`""` is the project directory itself). An absolute `rel` stays.
pub fn join(dir: &str, rel: &str) -> String {
    if rel.starts_with('/') {
        return rel.to_string();
    }
    let mut parts: Vec<&str> = Vec::new();
    for p in dir.split('/').chain(rel.split('/')) {
        match p {
            "" | "." => {}
            ".." if parts.last().is_some_and(|l| *l != "..") => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

/// The directory of a project-relative file path (`""`: the project's).
pub fn dir_of(file: &str) -> String {
    match file.rfind('/') {
        Some(i) => join("", &file[..i]),
        None => String::new(),
    }
}

/// Resolves every `extends` with `file` of the services of `doc` (the
/// merged compose files); `file_of(NAME)` is the file that set
/// `services.NAME.extends` (project-relative). Returns, for each service
/// resolved, (its name, the other file, the service extended).
pub fn resolve_all(
    doc: &mut Value,
    file_of: &dyn Fn(&str) -> String,
    read: Read<'_>,
) -> Result<Vec<(String, String, String)>, Fail> {
    let mut done = Vec::new();
    let Some(Value::Mapping(services)) = doc.get_mut("services") else {
        return Ok(done);
    };
    let names: Vec<String> = services
        .keys()
        .filter_map(|k| k.as_str().map(str::to_string))
        .collect();
    for name in names {
        let Some(Value::Mapping(svc)) = services.get(name.as_str()) else {
            continue;
        };
        let Some(Value::Mapping(ext)) = svc.get("extends") else {
            continue;
        };
        if !ext.contains_key("file") {
            continue;
        }
        let naming = file_of(&name);
        let key = format!("services.{name}.extends");
        let target = file_field(ext, &key)?;
        let path = join(&dir_of(&naming), &target);
        if path == join("", &naming) {
            // the file naming it: devctl.toml's own `extends`
            let mut svc = svc.clone();
            if let Some(Value::Mapping(e)) = svc.get_mut("extends") {
                e.shift_remove("file");
            }
            services.insert(Value::String(name), Value::Mapping(svc));
            continue;
        }
        let mut chain = vec![format!("{naming}:{name}")];
        let resolved = resolve(svc, "", &path, ext, read, &key, &mut chain)?;
        let base = service_field(ext, &key)?;
        services.insert(Value::String(name.clone()), Value::Mapping(resolved));
        done.push((name, path, base));
    }
    Ok(done)
}

fn file_field(ext: &Mapping, key: &str) -> Result<String, Fail> {
    match ext.get("file") {
        Some(Value::String(f)) if !f.is_empty() => Ok(f.clone()),
        _ => Err((
            format!("{key}.file"),
            "must be the path of a compose file".into(),
        )),
    }
}

fn service_field(ext: &Mapping, key: &str) -> Result<String, Fail> {
    match ext.get("service") {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        _ => Err((
            format!("{key}.service"),
            "must name the service to extend".into(),
        )),
    }
}

/// `svc` (of a file in project-relative directory `own_dir`) extended from
/// `ext`'s service of the file at project-relative `path`.
#[allow(clippy::too_many_arguments)]
fn resolve(
    svc: &Mapping,
    own_dir: &str,
    path: &str,
    ext: &Mapping,
    read: Read<'_>,
    key: &str,
    chain: &mut Vec<String>,
) -> Result<Mapping, Fail> {
    let base_name = service_field(ext, key)?;
    let text = read(path).ok_or_else(|| {
        (
            format!("{key}.file"),
            format!("cannot read `{path}` (the path is relative to the directory of the compose file naming it): check the path, or import without `extends.file`"),
        )
    })?;
    let other = yaml::value_with_merges(&text).map_err(|e| {
        (
            format!("{key}.file"),
            format!(
                "`{path}`:{}:{}: not valid YAML: {}",
                e.line, e.column, e.message
            ),
        )
    })?;
    let base = base_service(&other, path, &base_name, read, key, chain)?;
    let mut own = svc.clone();
    own.shift_remove("extends");
    rebase(&mut own, own_dir);
    let mut merged = Value::Mapping(base);
    super::merge::extend_service(&mut merged, &Value::Mapping(own));
    match merged {
        Value::Mapping(m) => Ok(m),
        _ => Ok(Mapping::new()),
    }
}

/// Service `name` of the file at `path` (parsed: `doc`), resolved and
/// rebased onto the project directory.
fn base_service(
    doc: &Value,
    path: &str,
    name: &str,
    read: Read<'_>,
    key: &str,
    chain: &mut Vec<String>,
) -> Result<Mapping, Fail> {
    let here = format!("{path}:{name}");
    if chain.contains(&here) || chain.len() > MAX_DEPTH {
        chain.push(here);
        return Err((
            key.into(),
            format!(
                "cannot be converted: `extends` loops ({}): break the cycle",
                chain.join(" → ")
            ),
        ));
    }
    chain.push(here);
    let svc = match doc.get("services").and_then(|s| s.get(name)) {
        Some(Value::Mapping(m)) => m.clone(),
        Some(Value::Null) => Mapping::new(),
        _ => {
            return Err((
                format!("{key}.service"),
                format!("`{path}` has no service `{name}`"),
            ))
        }
    };
    let dir = dir_of(path);
    let out = match svc.get("extends") {
        None => {
            let mut m = svc;
            rebase(&mut m, &dir);
            m
        }
        Some(e) => {
            let ext = match e {
                Value::String(s) => {
                    let mut m = Mapping::new();
                    m.insert(Value::String("service".into()), Value::String(s.clone()));
                    m
                }
                Value::Mapping(m) => m.clone(),
                _ => {
                    return Err((
                        key.into(),
                        format!(
                            "`{path}`: services.{name}.extends must be a service name or a mapping"
                        ),
                    ))
                }
            };
            let next = match ext.get("file") {
                Some(_) => join(&dir, &file_field(&ext, key)?),
                None => path.to_string(),
            };
            resolve(&svc, &dir, &next, &ext, read, key, chain)?
        }
    };
    chain.pop();
    Ok(out)
}

/// Whether `p` is a path relative to its file's directory.
fn relative(p: &str) -> bool {
    !(p.is_empty()
        || p.starts_with('/')
        || p.starts_with('~')
        || p.starts_with('$')
        || p.contains("://")
        || p.starts_with("git@"))
}

fn rebased(dir: &str, p: &str) -> String {
    let j = join(dir, p);
    if j.is_empty() {
        ".".into()
    } else if j.starts_with("..") {
        j
    } else {
        format!("./{j}")
    }
}

/// The relative paths of a service (build context, env files, bind
/// sources) made relative to the project directory, from `dir`'s.
fn rebase(svc: &mut Mapping, dir: &str) {
    if dir.is_empty() {
        return;
    }
    match svc.get_mut("build") {
        Some(Value::String(c)) if relative(c) => *c = rebased(dir, c),
        Some(Value::Mapping(b)) => match b.get_mut("context") {
            Some(Value::String(c)) if relative(c) => *c = rebased(dir, c),
            None => {
                b.insert(
                    Value::String("context".into()),
                    Value::String(rebased(dir, ".")),
                );
            }
            _ => {}
        },
        _ => {}
    }
    match svc.get_mut("env_file") {
        Some(Value::String(f)) if relative(f) => *f = rebased(dir, f),
        Some(Value::Sequence(fs)) => {
            for f in fs {
                match f {
                    Value::String(s) if relative(s) => *s = rebased(dir, s),
                    Value::Mapping(m) => {
                        if let Some(Value::String(s)) = m.get_mut("path") {
                            if relative(s) {
                                *s = rebased(dir, s);
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
    if let Some(Value::Sequence(vols)) = svc.get_mut("volumes") {
        for v in vols {
            match v {
                Value::String(s) if s.starts_with('.') => {
                    if let Some((src, rest)) = s.split_once(':') {
                        *s = format!("{}:{rest}", rebased(dir, src));
                    }
                }
                Value::Mapping(m) if m.get("type").and_then(Value::as_str) == Some("bind") => {
                    if let Some(Value::String(src)) = m.get_mut("source") {
                        if relative(src) {
                            *src = rebased(dir, src);
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_join_and_normalise() {
        assert_eq!(join("", "base.yml"), "base.yml");
        assert_eq!(join("sub", "./b.yml"), "sub/b.yml");
        assert_eq!(join("sub", "../b.yml"), "b.yml");
        assert_eq!(join("", "../up/b.yml"), "../up/b.yml");
        assert_eq!(join("a/b", "../../c"), "c");
        assert_eq!(join("x", "/abs/c.yml"), "/abs/c.yml");
        assert_eq!(dir_of("sub/base.yml"), "sub");
        assert_eq!(dir_of("compose.yaml"), "");
        assert_eq!(rebased("sub", "."), "./sub");
        assert_eq!(rebased("sub", "../x"), "./x");
        assert_eq!(rebased("sub", ".."), ".");
        assert_eq!(rebased("", "../x"), "../x");
    }
}
