//! `[tasks.NAME]` (pure): the checks made when devctl.toml is loaded, the
//! order a task and its dependencies run in, and the exact argv of each.

use std::collections::BTreeMap;
use std::ops::Range;

use super::load::{find_cycle, suggest, ConfigError};
use super::model::{Config, StrOrList, TaskArgs, TaskSpec, DEFAULT_APP_NAME};

/// devctl's own commands: a task cannot take one of these names
/// (`cli::tests` checks the list against the clap definitions).
pub const BUILTIN_COMMANDS: &[&str] = &[
    "init",
    "lint-dockerfile",
    "config",
    "build",
    "push",
    "pull",
    "start",
    "stop",
    "down",
    "ps",
    "restart",
    "run",
    "logs",
    "sh",
    "doctor",
    "run-dev",
    "completions",
    "task",
    "tasks",
    "help",
];

/// Where a task runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    Host,
    Service(String),
}

impl Place {
    /// Where `spec` runs; `app` is the app service's name (default: the
    /// app service, `app` when there is no [app], which the load check
    /// refuses).
    pub fn of(spec: &TaskSpec, app: Option<&str>) -> Place {
        if spec.host {
            Place::Host
        } else {
            Place::Service(
                spec.service
                    .clone()
                    .unwrap_or_else(|| app.unwrap_or(DEFAULT_APP_NAME).into()),
            )
        }
    }
}

/// Where a task runs, as listed: the service, `host`, or `deps` for a
/// task that only runs its dependencies.
pub fn place_label(spec: &TaskSpec, app: Option<&str>) -> String {
    if spec.run.is_none() && spec.service.is_none() && !spec.host {
        "deps".into()
    } else {
        Place::of(spec, app).to_string()
    }
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Place::Host => f.write_str("host"),
            Place::Service(s) => f.write_str(s),
        }
    }
}

/// A word quoted for `sh` (unchanged when it needs no quoting).
pub fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@%".contains(&b));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

fn arg_name(decl: &str) -> (&str, bool) {
    match decl.strip_suffix("...") {
        Some(n) => (n, true),
        None => (decl, false),
    }
}

fn is_name(s: &str) -> bool {
    let mut b = s.bytes();
    matches!(b.next(), Some(c) if c.is_ascii_alphabetic() || c == b'_')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

fn is_task_name(s: &str) -> bool {
    let mut b = s.bytes();
    matches!(b.next(), Some(c) if c.is_ascii_alphanumeric())
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
}

/// `${name}` of a named argument → `$${name}` in a task's `run`, so that
/// interpolation from `.env` leaves it for the task's arguments. Works on
/// the raw `tasks` table before interpolation.
pub fn protect_arg_refs(tasks: &mut toml::Value) {
    let Some(t) = tasks.as_table_mut() else {
        return;
    };
    for (_, task) in t.iter_mut() {
        let Some(task) = task.as_table_mut() else {
            continue;
        };
        let names: Vec<String> = match task.get("args").and_then(|a| a.as_array()) {
            Some(a) => a
                .iter()
                .filter_map(|v| v.as_str())
                .map(|d| arg_name(d).0.to_string())
                .collect(),
            None => Vec::new(),
        };
        let protect = |s: &mut String| {
            *s = keep_shell_specials(s);
            for n in &names {
                let r = format!("${{{n}}}");
                let mut out = String::with_capacity(s.len());
                let mut rest = s.as_str();
                while let Some(i) = rest.find(&r) {
                    let escaped = rest[..i].ends_with('$');
                    out.push_str(&rest[..i]);
                    if !escaped {
                        out.push('$');
                    }
                    out.push_str(&r);
                    rest = &rest[i + r.len()..];
                }
                out.push_str(rest);
                *s = out;
            }
        };
        match task.get_mut("run") {
            Some(toml::Value::String(s)) => protect(s),
            Some(toml::Value::Array(a)) => {
                for v in a {
                    if let toml::Value::String(s) = v {
                        protect(s);
                    }
                }
            }
            _ => {}
        }
    }
}

/// `$@`, `$1`, `$?`, `$#`, `$*`, `$!`, `$-`, `$(…)` (the shell's, never a
/// variable of `.env`) → `$$…`, so that interpolation keeps them.
fn keep_shell_specials(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c != '$' {
            continue;
        }
        match chars.peek() {
            Some('$') => {
                out.push('$');
                chars.next();
            }
            Some(n) if "@*#?!-0123456789(".contains(*n) => out.push('$'),
            _ => {}
        }
    }
    out
}

/// The span of `needle` inside `[tasks.NAME]` (or its header).
fn task_span(text: &str, name: &str, needle: Option<&str>) -> Option<Range<usize>> {
    let headers = [format!("[tasks.{name}]"), format!("[tasks.\"{name}\"]")];
    let mut offset = 0;
    let mut start = None;
    for line in text.split_inclusive('\n') {
        let t = line.trim();
        if start.is_some() && t.starts_with('[') {
            break;
        }
        if start.is_none() && headers.iter().any(|h| t.starts_with(h.as_str())) {
            let lead = line.len() - line.trim_start().len();
            start = Some(offset + lead);
            if needle.is_none() {
                return Some(offset + lead..offset + lead + t.len());
            }
        } else if let (Some(_), Some(n)) = (start, needle) {
            if let Some(i) = line.find(n) {
                return Some(offset + i..offset + i + n.len());
            }
        }
        offset += line.len();
    }
    start.map(|s| s..s + 1)
}

/// A dependency string: the task's name and its arguments.
pub fn split_dep(dep: &str) -> Result<(String, Vec<String>), String> {
    let words = shell_words::split(dep).map_err(|e| format!("cannot split {dep:?}: {e}"))?;
    let mut it = words.into_iter();
    let name = it.next().ok_or_else(|| "an empty dependency".to_string())?;
    Ok((name, it.collect()))
}

/// The checks made when devctl.toml is loaded.
pub fn check(file: &str, text: &str, c: &Config) -> Result<(), ConfigError> {
    let err = |name: &str, needle: Option<&str>, msg: String| {
        Err(ConfigError::at(
            file,
            text,
            task_span(text, name, needle),
            msg,
        ))
    };
    let mut services: Vec<&str> = c.services.keys().map(String::as_str).collect();
    if let Some(app) = c.app_name() {
        services.push(app);
    }
    for (name, t) in &c.tasks {
        if BUILTIN_COMMANDS.contains(&name.as_str()) {
            return err(
                name,
                None,
                format!("task `{name}` has the name of the built-in command `devctl {name}`: rename the task"),
            );
        }
        if !is_task_name(name) {
            return err(name, None, format!("task name {name:?}: use letters, digits, `-` and `_`, starting with a letter or digit"));
        }
        if t.oneoff && t.host {
            return err(name, Some("oneoff"), format!("[tasks.{name}]: `oneoff = true` runs in a fresh container of the service, `host = true` on the host: drop one of them"));
        }
        if t.host && t.service.is_some() {
            return err(name, Some("service"), format!("[tasks.{name}]: `host = true` runs on the host: drop `service`, or drop `host`"));
        }
        if !t.host && (t.run.is_some() || t.service.is_some()) {
            let svc = t
                .service
                .as_deref()
                .unwrap_or(c.app_name().unwrap_or(DEFAULT_APP_NAME));
            if !services.contains(&svc) {
                let mut m = match &t.service {
                    Some(_) => format!("[tasks.{name}]: no service `{svc}`"),
                    None => format!("[tasks.{name}] runs in the app service, but there is no [app]: set `service` or `host = true`"),
                };
                if t.service.is_some() {
                    if let Some(s) = suggest(svc, &services) {
                        m.push_str(&format!("; did you mean `{s}`?"));
                    } else if !services.is_empty() {
                        m.push_str(&format!(" (services: {})", services.join(", ")));
                    }
                }
                return err(name, Some("service"), m);
            }
        }
        if t.run.is_none() && t.deps.is_empty() {
            return err(
                name,
                None,
                format!("[tasks.{name}] has neither `run` nor `deps`: give it a `run`"),
            );
        }
        if let Some(StrOrList::Many(v)) = &t.run {
            if v.is_empty() {
                return err(
                    name,
                    Some("run"),
                    format!("[tasks.{name}]: `run` is an empty list"),
                );
            }
        }
        if let TaskArgs::Named(decls) = &t.args {
            let mut seen = Vec::new();
            for (i, d) in decls.iter().enumerate() {
                let (n, variadic) = arg_name(d);
                if !is_name(n) {
                    return err(name, Some("args"), format!("[tasks.{name}]: argument name {d:?}: use letters, digits and `_` (a last one may end with `...`)"));
                }
                if variadic && i + 1 != decls.len() {
                    return err(
                        name,
                        Some("args"),
                        format!("[tasks.{name}]: only the last argument may take the rest (`{d}`)"),
                    );
                }
                if seen.contains(&n) {
                    return err(
                        name,
                        Some("args"),
                        format!("[tasks.{name}]: argument `{n}` is named twice"),
                    );
                }
                seen.push(n);
            }
        }
        for k in t.env.keys() {
            if !is_name(k) {
                return err(
                    name,
                    Some("env"),
                    format!("[tasks.{name}]: env name {k:?} is not a variable name"),
                );
            }
        }
        for dep in &t.deps {
            let quoted = format!("\"{dep}\"");
            let (d, args) = match split_dep(dep) {
                Ok(x) => x,
                Err(e) => return err(name, Some(&quoted), format!("[tasks.{name}] deps: {e}")),
            };
            let Some(target) = c.tasks.get(&d) else {
                let names: Vec<&str> = c.tasks.keys().map(String::as_str).collect();
                let mut m = format!("[tasks.{name}] depends on `{d}`, which is not a task");
                if let Some(s) = suggest(&d, &names) {
                    m.push_str(&format!("; did you mean `{s}`?"));
                }
                return err(name, Some(&quoted), m);
            };
            if let Err(e) = command_of(&d, target, &args) {
                return err(
                    name,
                    Some(&quoted),
                    format!("[tasks.{name}] depends on {dep:?}: {e}"),
                );
            }
        }
    }
    let mut graph: Vec<(&str, Vec<&str>)> = Vec::new();
    let mut owned: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (name, t) in &c.tasks {
        let deps = t
            .deps
            .iter()
            .filter_map(|d| split_dep(d).ok().map(|x| x.0))
            .collect();
        owned.insert(name.as_str(), deps);
    }
    for (name, deps) in &owned {
        graph.push((name, deps.iter().map(String::as_str).collect()));
    }
    if let Some(chain) = find_cycle(&graph) {
        let last = chain[chain.len() - 2];
        let closing = chain[chain.len() - 1];
        let needle = c.tasks[last]
            .deps
            .iter()
            .find(|d| split_dep(d).map(|x| x.0 == closing).unwrap_or(false))
            .map(|d| format!("\"{d}\""));
        return err(
            last,
            needle.as_deref(),
            format!("task dependency cycle: {}", chain.join(" → ")),
        );
    }
    Ok(())
}

/// The usage line of a task.
pub fn usage_line(name: &str, t: &TaskSpec) -> String {
    let mut s = format!("devctl {name}");
    match &t.args {
        TaskArgs::Append => s.push_str(" [ARGS…]"),
        TaskArgs::None => {}
        TaskArgs::Named(decls) => {
            for d in decls {
                let (n, variadic) = arg_name(d);
                if variadic {
                    s.push_str(&format!(" [{}…]", n.to_uppercase()));
                } else {
                    s.push_str(&format!(" {}", n.to_uppercase()));
                }
            }
        }
    }
    s
}

/// The argv a task runs with `args` (None: a task of deps only), or the
/// reason the arguments do not fit (with the usage line).
pub fn command_of(
    name: &str,
    t: &TaskSpec,
    args: &[String],
) -> Result<Option<Vec<String>>, String> {
    let usage = || format!("usage: {}", usage_line(name, t));
    let Some(run) = &t.run else {
        if !args.is_empty() {
            return Err(format!("task `{name}` takes no arguments ({})", usage()));
        }
        return Ok(None);
    };
    let sh = |line: String| vec!["/bin/sh".to_string(), "-c".to_string(), line];
    Ok(Some(match (&t.args, run) {
        (TaskArgs::None, _) if !args.is_empty() => {
            return Err(format!("task `{name}` takes no arguments ({})", usage()))
        }
        (TaskArgs::None, StrOrList::One(line)) => sh(line.clone()),
        (TaskArgs::None, StrOrList::Many(v)) => v.clone(),
        (TaskArgs::Append, StrOrList::One(line)) => {
            let mut l = line.clone();
            for a in args {
                l.push(' ');
                l.push_str(&shell_quote(a));
            }
            sh(l)
        }
        (TaskArgs::Append, StrOrList::Many(v)) => {
            let mut v = v.clone();
            v.extend(args.iter().cloned());
            v
        }
        (TaskArgs::Named(decls), run) => {
            let mut values: Vec<(&str, Vec<String>)> = Vec::new();
            let mut rest = args;
            for d in decls {
                let (n, variadic) = arg_name(d);
                if variadic {
                    values.push((n, rest.to_vec()));
                    rest = &[];
                } else if let Some((first, more)) = rest.split_first() {
                    values.push((n, vec![first.clone()]));
                    rest = more;
                } else {
                    return Err(format!(
                        "task `{name}`: missing argument {} ({})",
                        n.to_uppercase(),
                        usage()
                    ));
                }
            }
            if !rest.is_empty() {
                return Err(format!(
                    "task `{name}`: unexpected argument {} ({})",
                    shell_quote(&rest[0]),
                    usage()
                ));
            }
            match run {
                // Shell variables set before the line: "${file}" expands
                // to the word as given; a rest argument also sets "$@".
                StrOrList::One(line) => {
                    let mut pre = String::new();
                    for (n, v) in &values {
                        let (_, variadic) = arg_name(
                            decls
                                .iter()
                                .find(|d| arg_name(d).0 == *n)
                                .map_or("", |d| d.as_str()),
                        );
                        if variadic {
                            pre.push_str("set --");
                            for w in v {
                                pre.push(' ');
                                pre.push_str(&shell_quote(w));
                            }
                            pre.push('\n');
                        }
                        pre.push_str(&format!("{n}={}\n", shell_quote(&v.join(" "))));
                    }
                    sh(format!("{pre}{line}"))
                }
                StrOrList::Many(argv) => {
                    let mut out = Vec::new();
                    for a in argv {
                        if let Some((_, v)) = values.iter().find(|(n, _)| *a == format!("${{{n}}}"))
                        {
                            out.extend(v.iter().cloned());
                            continue;
                        }
                        let mut s = a.clone();
                        for (n, v) in &values {
                            s = s.replace(&format!("${{{n}}}"), &v.join(" "));
                        }
                        out.push(s);
                    }
                    if out.is_empty() {
                        return Err(format!(
                            "task `{name}`: nothing to run without arguments ({})",
                            usage()
                        ));
                    }
                    out
                }
            }
        }
    }))
}

/// One task to run, with its arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct Step<'a> {
    pub name: String,
    pub spec: &'a TaskSpec,
    pub args: Vec<String>,
    /// None: a task of dependencies only.
    pub argv: Option<Vec<String>>,
}

/// The task `name` with `args` and its dependencies, in the order they
/// run (dependencies first, in order, each (task, arguments) once).
/// Errors are usage errors: an unknown task (with a suggestion), arguments
/// that do not fit.
pub fn resolve<'a>(
    tasks: &'a BTreeMap<String, TaskSpec>,
    name: &str,
    args: &[String],
) -> Result<Vec<Step<'a>>, String> {
    let Some(spec) = tasks.get(name) else {
        let names: Vec<&str> = tasks.keys().map(String::as_str).collect();
        let mut m = format!("no task `{name}` in devctl.toml");
        if let Some(s) = suggest(name, &names) {
            m.push_str(&format!("; did you mean `{s}`?"));
        }
        m.push_str(" (`devctl tasks` lists them)");
        return Err(m);
    };
    let mut out = Vec::new();
    visit(tasks, name, spec, args.to_vec(), &mut out, 0)?;
    Ok(out)
}

fn visit<'a>(
    tasks: &'a BTreeMap<String, TaskSpec>,
    name: &str,
    spec: &'a TaskSpec,
    args: Vec<String>,
    out: &mut Vec<Step<'a>>,
    depth: usize,
) -> Result<(), String> {
    if depth > tasks.len() {
        return Err(format!("task dependency cycle through `{name}`"));
    }
    for dep in &spec.deps {
        let (d, dargs) = split_dep(dep)?;
        let dspec = tasks
            .get(&d)
            .ok_or_else(|| format!("task `{name}` depends on `{d}`, which is not a task"))?;
        visit(tasks, &d, dspec, dargs, out, depth + 1)?;
    }
    if out.iter().any(|s| s.name == name && s.args == args) {
        return Ok(());
    }
    let argv = command_of(name, spec, &args)?;
    out.push(Step {
        name: name.to_string(),
        spec,
        args,
        argv,
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::Env;

    fn load(text: &str) -> Result<Config, ConfigError> {
        crate::load::load("devctl.toml", text, &Env::default()).map(|l| l.config)
    }

    const BASE: &str = "[app]\n";

    fn cfg(tasks: &str) -> Config {
        load(&format!("{BASE}{tasks}")).unwrap()
    }

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn append_quotes_words_with_spaces_and_quotes() {
        let c = cfg("[tasks.t]\nrun = \"echo hi\"\n");
        let steps = resolve(&c.tasks, "t", &v(&["a b", "it's", "$HOME"])).unwrap();
        assert_eq!(
            steps[0].argv.as_ref().unwrap(),
            &v(&["/bin/sh", "-c", "echo hi 'a b' 'it'\\''s' '$HOME'"])
        );
        let c = cfg("[tasks.t]\nrun = [\"echo\", \"x\"]\n");
        let steps = resolve(&c.tasks, "t", &v(&["a b"])).unwrap();
        assert_eq!(steps[0].argv.as_ref().unwrap(), &v(&["echo", "x", "a b"]));
    }

    #[test]
    fn none_refuses_arguments_with_the_usage_line() {
        let c = cfg("[tasks.t]\nrun = \"true\"\nargs = \"none\"\n");
        let e = resolve(&c.tasks, "t", &v(&["x"])).unwrap_err();
        assert!(
            e.contains("takes no arguments") && e.contains("usage: devctl t"),
            "{e}"
        );
    }

    #[test]
    fn named_arguments_become_shell_variables_or_argv_words() {
        let c = cfg("[tasks.d]\nrun = \"cat \\\"${file}\\\"\"\nargs = [\"file\", \"rest...\"]\n");
        let s = resolve(&c.tasks, "d", &v(&["my file", "a", "b c"])).unwrap();
        assert_eq!(
            s[0].argv.as_ref().unwrap()[2],
            "file='my file'\nset -- a 'b c'\nrest='a b c'\ncat \"${file}\""
        );
        let e = resolve(&c.tasks, "d", &[]).unwrap_err();
        assert!(
            e.contains("missing argument FILE") && e.contains("usage: devctl d FILE [REST…]"),
            "{e}"
        );
        let c = cfg("[tasks.d]\nrun = [\"cp\", \"${src}\", \"to/${src}\", \"${rest}\"]\nargs = [\"src\", \"rest...\"]\n");
        let s = resolve(&c.tasks, "d", &v(&["x y", "1", "2"])).unwrap();
        assert_eq!(
            s[0].argv.as_ref().unwrap(),
            &v(&["cp", "x y", "to/x y", "1", "2"])
        );
        let c = cfg("[tasks.d]\nrun = [\"cat\", \"${f}\"]\nargs = [\"f\"]\n");
        let e = resolve(&c.tasks, "d", &v(&["a", "b"])).unwrap_err();
        assert!(e.contains("unexpected argument b"), "{e}");
        let c = cfg("[tasks.d]\nrun = [\"${rest}\"]\nargs = [\"rest...\"]\n");
        let e = resolve(&c.tasks, "d", &[]).unwrap_err();
        assert!(e.contains("nothing to run"), "{e}");
        let s = resolve(&c.tasks, "d", &v(&["ls", "-l"])).unwrap();
        assert_eq!(s[0].argv.as_ref().unwrap(), &v(&["ls", "-l"]));
    }

    #[test]
    fn named_argument_references_survive_interpolation() {
        let text = "[app]\n[tasks.d]\nrun = \"echo ${X} ${file} \\\"$@\\\" $1 $? $(pwd) $$HOME\"\nargs = [\"file\"]\n";
        let env = Env::merge(
            vec![("X".into(), "1".into()), ("file".into(), "no".into())],
            vec![],
        );
        let c = crate::load::load("devctl.toml", text, &env).unwrap().config;
        assert_eq!(
            c.tasks["d"].run,
            Some(StrOrList::One(
                "echo 1 ${file} \"$@\" $1 $? $(pwd) $HOME".into()
            ))
        );
    }

    #[test]
    fn deps_run_first_in_order_once_each_with_their_arguments() {
        let c = cfg(concat!(
            "[tasks.a]\nrun = \"echo a\"\n",
            "[tasks.b]\nrun = \"echo b\"\ndeps = [\"a\"]\n",
            "[tasks.r]\nrun = \"echo r\"\nargs = [\"f\"]\n",
            "[tasks.top]\ndeps = [\"b\", \"a\", \"r 'x y'\", \"r z\"]\n",
        ));
        let s = resolve(&c.tasks, "top", &[]).unwrap();
        let names: Vec<(String, Vec<String>)> =
            s.iter().map(|s| (s.name.clone(), s.args.clone())).collect();
        assert_eq!(
            names,
            vec![
                ("a".into(), vec![]),
                ("b".into(), vec![]),
                ("r".into(), v(&["x y"])),
                ("r".into(), v(&["z"])),
                ("top".into(), vec![]),
            ]
        );
        assert!(s[4].argv.is_none());
    }

    #[test]
    fn unknown_task_suggests() {
        let c = cfg("[tasks.migrate]\nrun = \"true\"\n");
        let e = resolve(&c.tasks, "migrat", &[]).unwrap_err();
        assert!(e.contains("did you mean `migrate`"), "{e}");
    }

    #[test]
    fn load_errors_name_the_line() {
        let e = load("[app]\n[tasks.a]\nrun = \"x\"\ndeps = [\"b\"]\n[tasks.b]\nrun = \"y\"\ndeps = [\"a\"]\n")
            .unwrap_err();
        assert_eq!(e.line, 7, "{e}");
        assert!(e.to_string().contains("cycle: a → b → a"), "{e}");
        let e =
            load("[app]\n[tasks.a]\nrun = \"x\"\ndeps = [\"lnt\"]\n[tasks.lint]\nrun = \"y\"\n")
                .unwrap_err();
        assert_eq!(e.line, 4, "{e}");
        assert!(e.to_string().contains("did you mean `lint`"), "{e}");
        let e = load("[app]\n[tasks.start]\nrun = \"x\"\n").unwrap_err();
        assert!(
            e.to_string().contains("built-in command `devctl start`"),
            "{e}"
        );
        assert_eq!(e.line, 2);
        let e = load("[app]\n[tasks.a]\nrun = \"x\"\nsevice = \"db\"\n").unwrap_err();
        assert!(e.to_string().contains("did you mean `service`"), "{e}");
        let e = load(
            "[app]\n[tasks.a]\nrun = \"x\"\nservice = \"dbb\"\n[services.db]\nimage = \"x\"\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("did you mean `db`"), "{e}");
        load("[app]\n[tasks.a]\nrun = \"x\"\noneoff = true\n").unwrap();
        let e = load("[app]\n[tasks.a]\nrun = \"x\"\noneoff = true\nhost = true\n").unwrap_err();
        assert!(e.to_string().contains("drop one of them"), "{e}");
        let e = load("[app]\n[tasks.a]\nrun = \"x\"\nargs = \"some\"\n").unwrap_err();
        assert!(e.to_string().contains("append"), "{e}");
        // "append" (the default) takes a dependency's arguments
        load("[app]\n[tasks.a]\nrun = \"x\"\n[tasks.b]\nrun = \"x\"\ndeps = [\"a extra\"]\nargs = \"none\"\n").unwrap();
        let e = load("[app]\n[tasks.a]\nrun = \"x\"\nargs = \"none\"\n[tasks.b]\nrun = \"x\"\ndeps = [\"a extra\"]\n").unwrap_err();
        assert!(e.to_string().contains("takes no arguments"), "{e}");
    }

    #[test]
    fn shell_quote_round_trips_through_shell_words() {
        for w in ["plain", "a b", "it's", "", "$x", "\"q\"", "a\nb"] {
            assert_eq!(
                shell_words::split(&shell_quote(w)).unwrap(),
                vec![w.to_string()]
            );
        }
    }

    #[test]
    fn a_task_runs_in_the_app_service_by_its_name() {
        let c = load("[app]\nname = \"web\"\n[tasks.t]\nrun = \"true\"\n").unwrap();
        let t = &c.tasks["t"];
        assert_eq!(Place::of(t, c.app_name()), Place::Service("web".into()));
        assert_eq!(place_label(t, c.app_name()), "web");
        let e = load("[app]\nname = \"web\"\n[tasks.t]\nservice = \"app\"\nrun = \"true\"\n")
            .unwrap_err();
        assert!(e.message.contains("no service `app`"), "{e}");
    }
}
