//! Issue 18's measure: a compose file and the devctl.toml `init
//! --from-compose` makes of it mean the same thing to Docker Compose v2.
//! `docker compose -f ORIGINAL config --format json` and, after `devctl
//! config` on the import, `docker compose -f .devctl/compose.yaml config
//! --format json` must agree on every service, network, volume, secret and
//! config, except the deliberate changes the import printed: each printed
//! note licenses exactly its change (applied to the original before the
//! comparison), nothing else may differ. Run over every file of the corpus
//! compose v2 accepts, and over the reference project's fixture.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};

use crate::config_cli::{compose_v2_ready, manifest_dir};
use crate::support::{corpus, files_under};

/// What became of one compose file.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Verdict {
    /// `docker compose config` itself rejects it (not counted).
    ComposeRejects(String),
    /// `devctl init --from-compose` refused it, with its error.
    Refused(String),
    /// Imported, but `devctl config` fails on the result.
    ConfigFails(String),
    /// Imported; compose sees the same project but for the printed changes.
    Equivalent { notes: Vec<String> },
    /// Imported, and these keys differ without a note to say why.
    Differs(Vec<String>),
}

fn docker_compose_json(dir: &Path, file: &str, home: &Path) -> Result<Value, String> {
    // HOME is the test's (for `~` in mounts); the docker CLI still finds
    // its compose plugin where the real HOME keeps it.
    let docker_config = std::env::var_os("DOCKER_CONFIG").unwrap_or_else(|| {
        let real = std::env::var_os("HOME").unwrap_or_default();
        Path::new(&real).join(".docker").into_os_string()
    });
    // every profile: the profiled services are compared too; no file:
    // compose's default files (the override included)
    let mut args = vec!["compose", "--profile", "*"];
    if !file.is_empty() {
        args.extend(["-f", file]);
    }
    args.extend(["config", "--format", "json"]);
    let out = Command::new("docker")
        .env("DOCKER_CONFIG", docker_config)
        .args(&args)
        .current_dir(dir)
        .env("HOME", home)
        .env_remove("COMPOSE_PROJECT_NAME")
        .env_remove("COMPOSE_FILE")
        .env_remove("COMPOSE_PROFILES")
        .output()
        .map_err(|e| format!("docker compose: {e}"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(err.lines().last().unwrap_or("").to_string());
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("compose's JSON: {e}"))
}

fn devctl(dir: &Path, home: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_devctl"))
        .args(args)
        .current_dir(dir)
        .env("HOME", home)
        .env_remove("COMPOSE_PROFILES")
        .env_remove("DEVCTL_ENV_FILE")
        .output()
        .expect("devctl runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Imports `file` (in `dir`, the project directory; `""`: compose's
/// default files there) and compares.
pub(crate) fn check(dir: &Path, file: &str) -> Verdict {
    check_as(dir, file, None)
}

/// [`check`] with `--app NAME` (devctl.toml replaced with `--force`).
pub(crate) fn check_as(dir: &Path, file: &str, app: Option<&str>) -> Verdict {
    let home = dir.parent().unwrap_or(dir).join("home");
    let _ = std::fs::create_dir_all(&home);
    let original = match docker_compose_json(dir, file, &home) {
        Ok(v) => v,
        Err(e) => return Verdict::ComposeRejects(e),
    };
    // The project's own files (secrets, configs, env files) exist in a
    // real checkout: devctl checks that they do, compose's `config` does not.
    for path in project_files(&original) {
        let p = Path::new(&path);
        if p.starts_with(dir) && !p.exists() {
            if let Some(parent) = p.parent() {
                let _ = std::fs::create_dir_all(parent);
            }
            let _ = std::fs::write(p, "");
        }
    }
    let mut args = vec!["init", "--from-compose"];
    if !file.is_empty() {
        args.push(file);
    }
    args.push("--force");
    if let Some(a) = app {
        args.extend(["--app", a]);
    }
    let (ok, _, err) = devctl(dir, &home, &args);
    if !ok {
        return Verdict::Refused(err.trim().trim_start_matches("error: ").to_string());
    }
    // note: SERVICE: text
    let mut notes: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut all = Vec::new();
    for l in err.lines() {
        let Some(rest) = l
            .strip_prefix("note: ")
            .or_else(|| l.strip_prefix("warning: "))
        else {
            continue;
        };
        all.push(rest.to_string());
        if let Some((svc, text)) = rest.split_once(": ") {
            notes.entry(svc.into()).or_default().push(text.into());
        }
    }
    let (ok, _, err) = devctl(dir, &home, &["config", "-q"]);
    if !ok {
        return Verdict::ConfigFails(err.trim().to_string());
    }
    let generated = match docker_compose_json(dir, ".devctl/compose.yaml", &home) {
        Ok(v) => v,
        Err(e) => return Verdict::ConfigFails(format!("compose rejects devctl's file: {e}")),
    };
    let diffs = compare(&original, &generated, &notes);
    if diffs.is_empty() {
        Verdict::Equivalent { notes: all }
    } else {
        Verdict::Differs(diffs)
    }
}

/// The host files a compose project reads: secret and config files, env files.
fn project_files(doc: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for kind in ["secrets", "configs"] {
        for (_, o) in obj(doc, kind) {
            if let Some(f) = o.get("file").and_then(Value::as_str) {
                out.push(f.to_string());
            }
        }
    }
    for (_, svc) in obj(doc, "services") {
        for e in svc
            .get("env_file")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            match e {
                Value::String(p) => out.push(p.clone()),
                other => out.extend(
                    other
                        .get("path")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                ),
            }
        }
    }
    out
}

fn obj(v: &Value, k: &str) -> serde_json::Map<String, Value> {
    v.get(k)
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

/// Applies to the original service what the notes say devctl changed.
fn licensed(svc: &str, o: &mut Value, g: &Value, notes: &[String]) {
    let has = |s: &str| notes.iter().any(|n| n.contains(s));
    let Some(o) = o.as_object_mut() else { return };
    let take = |o: &mut serde_json::Map<String, Value>, k: &str| match g.get(k) {
        Some(v) => {
            o.insert(k.into(), v.clone());
        }
        None => {
            o.remove(k);
        }
    };
    if has("listened on every interface") {
        if let Some(Value::Array(ps)) = o.get_mut("ports") {
            for p in ps.iter_mut().filter_map(Value::as_object_mut) {
                if !p.contains_key("host_ip") {
                    p.insert("host_ip".into(), json!("127.0.0.1"));
                }
            }
        }
    }
    if has("runs with `no-new-privileges`") {
        let mut opts = vec![json!("no-new-privileges:true")];
        if let Some(Value::Array(a)) = o.get("security_opt") {
            opts.extend(a.iter().cloned());
        }
        o.insert("security_opt".into(), Value::Array(opts));
    }
    if has("build args APP_UID/APP_GID") {
        if let (Some(b), Some(gargs)) = (
            o.get_mut("build").and_then(Value::as_object_mut),
            g.pointer("/build/args").and_then(Value::as_object),
        ) {
            let args = b.entry("args").or_insert_with(|| json!({}));
            if let Some(args) = args.as_object_mut() {
                for k in ["APP_UID", "APP_GID"] {
                    if let Some(v) = gargs.get(k) {
                        args.insert(k.into(), v.clone());
                    }
                }
            }
        }
    }
    if has(&format!("named `<project>-{svc}:dev`")) {
        take(o, "image");
    }
    if has("runs as `app`") || has("refused: devctl never runs a container as root") {
        take(o, "user");
    }
    if has("runs with `init: true`") {
        o.insert("init".into(), json!(true));
    }
    if has("runs a dev script") || has("had no command") {
        take(o, "command");
    }
    if has("working_dir") || has("the project tree is now mounted at /app") {
        take(o, "working_dir");
    }
    if has("the project tree is now mounted at /app") {
        take(o, "volumes");
    }
    if has("develop.watch") {
        o.remove("develop");
    }
    if has("a missing source is created") {
        for m in o
            .get_mut("volumes")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
            .filter(|m| m.get("type") == Some(&json!("bind")))
            .filter_map(Value::as_object_mut)
        {
            let bind = m.entry("bind").or_insert_with(|| json!({}));
            if let Some(b) = bind.as_object_mut() {
                b.entry("create_host_path").or_insert(json!(true));
            }
        }
    }
}

/// Mount order is not meaning: volumes compared by target.
fn sorted_volumes(s: &mut Value) {
    if let Some(Value::Array(v)) = s.get_mut("volumes") {
        v.sort_by_key(|m| m.get("target").map(|t| t.to_string()).unwrap_or_default());
    }
}

pub(crate) fn compare(
    original: &Value,
    generated: &Value,
    notes: &BTreeMap<String, Vec<String>>,
) -> Vec<String> {
    let mut diffs = Vec::new();
    let none = Vec::new();
    for kind in ["services", "networks", "volumes", "secrets", "configs"] {
        let o = obj(original, kind);
        let g = obj(generated, kind);
        for name in o.keys().chain(g.keys().filter(|k| !o.contains_key(*k))) {
            let (Some(ov), Some(gv)) = (o.get(name), g.get(name)) else {
                let side = if o.contains_key(name) {
                    "only in compose"
                } else {
                    "only in devctl's"
                };
                diffs.push(format!("{kind}.{name}: {side}"));
                continue;
            };
            let mut ov = ov.clone();
            let mut gv = gv.clone();
            if kind == "services" {
                licensed(name, &mut ov, &gv, notes.get(name).unwrap_or(&none));
                sorted_volumes(&mut ov);
                sorted_volumes(&mut gv);
                let oo = ov.as_object().cloned().unwrap_or_default();
                let go = gv.as_object().cloned().unwrap_or_default();
                for k in oo.keys().chain(go.keys().filter(|k| !oo.contains_key(*k))) {
                    if oo.get(k) != go.get(k) {
                        diffs.push(format!(
                            "services.{name}.{k}: compose {} / devctl {}",
                            oo.get(k).map_or("-".into(), |v| v.to_string()),
                            go.get(k).map_or("-".into(), |v| v.to_string())
                        ));
                    }
                }
            } else if ov != gv {
                diffs.push(format!("{kind}.{name}: compose {ov} / devctl {gv}"));
            }
        }
    }
    diffs
}

/// A fresh project directory `proj` (the project name both sides derive)
/// holding `text` as `name`.
fn project_with(name: &str, text: &str) -> (tempfile::TempDir, PathBuf) {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("proj");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), text).unwrap();
    (t, dir)
}

/// The measure over the corpus: converted / equivalent / refused (with
/// the reason), of the files compose v2 accepts. Every converted file must
/// be equivalent; the figures are in README.md.
#[test]
fn corpus_imports_are_equivalent_for_compose_v2() {
    let Some(corpus) = corpus() else { return };
    if !compose_v2_ready() {
        return;
    }
    let files = files_under(&corpus.join("compose"));
    assert!(files.len() >= 250, "{} compose files", files.len());
    #[allow(clippy::type_complexity)]
    let verdicts: Vec<(String, Verdict, Vec<(String, Verdict)>)> = std::thread::scope(|s| {
        let chunks: Vec<&[PathBuf]> = files.chunks(files.len().div_ceil(3)).collect();
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                let corpus = &corpus;
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|f| {
                            let text = std::fs::read_to_string(f).unwrap_or_default();
                            let (_t, dir) = project_with("compose.yaml", &text);
                            let shown = f.strip_prefix(corpus).unwrap_or(f).display().to_string();
                            let v = check(&dir, "compose.yaml");
                            // Every service that builds, made the app with --app:
                            // the [app] conversion measured on the whole corpus.
                            let mut as_app = Vec::new();
                            if !matches!(v, Verdict::ComposeRejects(_)) {
                                let home = dir.parent().unwrap().join("home");
                                let doc = docker_compose_json(&dir, "compose.yaml", &home)
                                    .unwrap_or_default();
                                for (name, svc) in obj(&doc, "services") {
                                    if svc.get("build").is_some() {
                                        let av = check_as(&dir, "compose.yaml", Some(&name));
                                        as_app.push((name, av));
                                    }
                                }
                            }
                            (shown, v, as_app)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let mut accepted = 0;
    let mut converted = 0;
    let mut equivalent = 0;
    let mut refused: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut bad = Vec::new();
    let (mut app_tries, mut app_equivalent) = (0, 0);
    let mut app_refused: BTreeMap<String, usize> = BTreeMap::new();
    for (f, _, as_app) in &verdicts {
        for (svc, v) in as_app {
            app_tries += 1;
            match v {
                Verdict::Equivalent { .. } => app_equivalent += 1,
                Verdict::Differs(d) => {
                    bad.push(format!("{f} --app {svc}:\n    {}", d.join("\n    ")))
                }
                Verdict::Refused(why)
                | Verdict::ConfigFails(why)
                | Verdict::ComposeRejects(why) => {
                    // `FILE: services.NAME[.KEY]: why` → `services.*[.KEY]: why`
                    let why = why.lines().next().unwrap_or_default();
                    let why = why
                        .split(" (nothing was written)")
                        .next()
                        .unwrap_or_default();
                    let mut words: Vec<String> = why.split(": ").map(str::to_string).collect();
                    if words.len() > 2 {
                        words.remove(0);
                        let mut parts: Vec<&str> = words[0].split('.').collect();
                        if parts.len() >= 2 && parts[0] == "services" {
                            parts[1] = "*";
                        }
                        words[0] = parts.join(".");
                    }
                    let mut reason = words.join(": ");
                    if let Some(i) = reason.find(", expected") {
                        reason.truncate(i);
                    }
                    *app_refused.entry(reason).or_default() += 1;
                }
            }
        }
    }
    for (f, v, _) in &verdicts {
        match v {
            Verdict::ComposeRejects(_) => continue,
            Verdict::Refused(why) => {
                // services.NAME.KEY → services.*.KEY
                let key = why.split(": ").nth(1).unwrap_or(why);
                let mut parts: Vec<&str> = key.split('.').collect();
                if parts.len() > 2 && parts[0] == "services" {
                    parts[1] = "*";
                }
                refused
                    .entry(parts.join("."))
                    .or_default()
                    .push(format!("{f}: {why}"));
            }
            Verdict::ConfigFails(why) => {
                let first = why.lines().next().unwrap_or_default();
                refused
                    .entry("devctl config".into())
                    .or_default()
                    .push(format!("{f}: {first}"));
            }
            Verdict::Equivalent { .. } => {
                converted += 1;
                equivalent += 1;
            }
            Verdict::Differs(d) => {
                converted += 1;
                bad.push(format!("{f}:\n    {}", d.join("\n    ")));
            }
        }
        accepted += 1;
    }
    let n_refused: usize = refused.values().map(Vec::len).sum();
    eprintln!(
        "of {} corpus compose files, compose v2 accepts {accepted}: converted {converted}, equivalent {equivalent}, refused {n_refused}",
        files.len()
    );
    eprintln!(
        "as the app (--app, each service that builds): {app_tries} tried, {app_equivalent} equivalent, refused:"
    );
    for (why, n) in &app_refused {
        eprintln!("  {n} {why}");
    }
    for (key, fs) in &refused {
        eprintln!("  refused for {key} ({}):", fs.len());
        for f in fs {
            eprintln!("    {f}");
        }
    }
    assert!(
        bad.is_empty(),
        "converted but not equivalent ({}):\n{}",
        bad.len(),
        bad.join("\n")
    );
    assert_eq!(converted + n_refused, accepted);
    // The figures of README.md; a regression shows here.
    assert!(
        equivalent >= 192,
        "{equivalent} equivalent (192 when measured)"
    );
    assert!(
        app_equivalent >= 70,
        "{app_equivalent} equivalent as the app (70 when measured)"
    );
}

/// Issue 18's "done when": the reference project's compose file, one
/// command, the printed list of deliberate changes, and compose v2 sees the
/// same services (the profiled ones kept with their profiles), mounts and
/// environment in devctl's generated file.
#[test]
fn the_reference_project_imports_equivalently() {
    if !compose_v2_ready() {
        return;
    }
    let fixture = manifest_dir().join("tests/fixtures/from-compose/reference");
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("proj");
    std::fs::create_dir_all(dir.join("bash")).unwrap();
    for f in ["docker-compose.yml", "bash/run-dev.sh"] {
        std::fs::copy(fixture.join(f), dir.join(f)).unwrap();
    }
    std::fs::write(dir.join(".env"), "DB_PASSWORD=s3cret-pw\n").unwrap();
    let v = check(&dir, "docker-compose.yml");
    let Verdict::Equivalent { notes } = v else {
        panic!("{v:?}")
    };
    assert_eq!(
        notes,
        [
            "db: port 5432:5432 listened on every interface; devctl binds it to 127.0.0.1 (write `0.0.0.0:5432:5432` to publish it there again)",
            "db: runs with `no-new-privileges` (setuid binaries cannot gain privileges; `no_new_privileges = false` turns it off)",
            "web: runs as `app` (devctl's default; compose ran the image's USER): the Dockerfile must create that user (`useradd --uid ${APP_UID} app`), or set [app].user",
            "web: the image is built with the build args APP_UID/APP_GID (your uid/gid) and named `<project>-web:dev` (compose: `<project>-web`)",
            "web: port 8000:8000 listened on every interface; devctl binds it to 127.0.0.1 (`publish = \"0.0.0.0\"` restores it)",
            "web: command `sh /app/bash/run-dev.sh` runs a dev script: its migrate line became `migrate`, its server `server`; devctl runs them when AUTO_START_SERVER is on in .env (else the app idles; `devctl sh` opens a shell); it also ran `sh /app/bash/dev-watch.sh`: the asset watchers are run-dev's job, write them as [assets] and [[assets.watch]] rules",
            "web: runs with `no-new-privileges` (setuid binaries cannot gain privileges; `no_new_privileges = false` turns it off)",
            "web: working_dir is now `/app`, the source mount's target ([app].workdir; compose used the image's WORKDIR)",
            "cli: is built with the build args APP_UID/APP_GID (your uid/gid)",
            "cli: its image is named `<project>-cli:dev` (compose: `<project>-cli`)",
            "cli: runs with `no-new-privileges` (setuid binaries cannot gain privileges; `no_new_privileges = false` turns it off)",
            "docs: port 8001:8000 listened on every interface; devctl binds it to 127.0.0.1 (write `0.0.0.0:8001:8000` to publish it there again)",
            "docs: runs with `no-new-privileges` (setuid binaries cannot gain privileges; `no_new_privileges = false` turns it off)",
            "poetry_update: is built with the build args APP_UID/APP_GID (your uid/gid)",
            "poetry_update: its image is named `<project>-poetry_update:dev` (compose: `<project>-poetry_update`)",
            "poetry_update: runs with `no-new-privileges` (setuid binaries cannot gain privileges; `no_new_privileges = false` turns it off)",
            "npm_update: is built with the build args APP_UID/APP_GID (your uid/gid)",
            "npm_update: its image is named `<project>-npm_update:dev` (compose: `<project>-npm_update`)",
            "npm_update: runs with `no-new-privileges` (setuid binaries cannot gain privileges; `no_new_privileges = false` turns it off)",
        ]
    );
}

/// The "done when" end to end, on the busybox fixture (no image can be
/// pulled here): a reference-shaped compose file (an app built from `.`
/// mounting the tree, a named volume, the nvm mount, env_file and
/// environment, a dev script, a database, a docs service, a profiled
/// update service), one `init --from-compose`, then `devctl start` runs
/// the same services but the profiled one, with the same mounts and
/// environment, and the app's server answers (start's readiness wait).
#[test]
fn the_reference_shape_starts_with_the_same_services_mounts_and_environment() {
    use crate::e2e_support::{docker_out, engine_ready, free_port, DOCKERFILE, FIXTURE};
    if !engine_ready() {
        return;
    }
    let name = format!("imp{}", std::process::id());
    let port = free_port();
    let compose = format!(
        r#"name: {name}
services:
  db:
    image: {FIXTURE}
    command: [sleep, "3600"]
    environment:
      - POSTGRES_PASSWORD=${{DB_PASSWORD:-postgres}}
    volumes:
      - ./database_dumps:/app/database_dumps
  web:
    build: .
    env_file:
      - .env
    environment:
      - DJANGO_SETTINGS_MODULE=config.settings.dev
      - DATABASE_HOST=db
    volumes:
      - ./:/app
      - media:/media
      - ~/.nvm:/home/app/.nvm
    depends_on:
      - db
    ports:
      - {port}:{port}
    command: sh /app/bash/run-dev.sh
    init: true
  docs:
    image: {FIXTURE}
    command: [sleep, "3600"]
    volumes:
      - .:/docs
  npm_update:
    build:
      context: .
      dockerfile: Dockerfile
    command: [sleep, "3600"]
    volumes:
      - ./:/app
    profiles:
      - update
volumes:
  media:
"#
    );
    let run_dev = format!(
        "#!/bin/sh\nset -e\nif [ \"$AUTO_START_SERVER\" = \"true\" ]; then\n  echo migrate\n  exec sh /app/bin/runserver {port}\nelse\n  tail -f /dev/null\nfi\n"
    );
    let p = crate::support::Project::new()
        .file("docker-compose.yml", &compose)
        .file("bash/run-dev.sh", &run_dev)
        .file("bin/runserver", "exec httpd -f -p \"$1\" -h /app\n")
        .file("Dockerfile", DOCKERFILE)
        .file(".dockerignore", ".devctl\n")
        .file("index.html", "hello\n")
        .file("database_dumps/.keep", "")
        .file(".env", "AUTO_START_SERVER=true\nDB_PASSWORD=pw-from-env\n");
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join(".nvm")).unwrap();
    let devctl = |args: &[&str]| {
        let o = p
            .devctl(args)
            .env("HOME", home.path())
            .env_remove("AUTO_START_SERVER")
            .env_remove("DOCKER_HOST")
            .command()
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&o.stdout).into_owned();
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        assert!(o.status.success(), "devctl {args:?}\n{out}\n{err}");
        (out, err)
    };
    struct Down<'a>(&'a dyn Fn(&[&str]) -> (String, String), String);
    impl Drop for Down<'_> {
        fn drop(&mut self) {
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                (self.0)(&["down", "--volumes"])
            }));
            let _ = crate::e2e_support::docker(&["image", "rm", &format!("{}-web:dev", self.1)]);
        }
    }
    let (_, notes) = devctl(&["init", "--from-compose"]);
    assert!(
        notes.contains("note: web: command `sh /app/bash/run-dev.sh` runs a dev script"),
        "{notes}"
    );
    let _down = Down(&devctl, name.clone());
    let (out, err) = devctl(&["start"]);
    let url = format!("http://127.0.0.1:{port}/");
    assert!(
        out.contains(&url) || err.contains(&url),
        "start names the app's URL:\n{out}\n{err}"
    );
    let running = docker_out(&[
        "ps",
        "--filter",
        &format!("label=com.docker.compose.project={name}"),
        "--format",
        "{{.Label \"com.docker.compose.service\"}}",
    ]);
    let mut services: Vec<&str> = running.lines().collect();
    services.sort();
    assert_eq!(
        services,
        ["db", "docs", "web"],
        "the profiled npm_update stays off"
    );
    let dir = p.path().canonicalize().unwrap();
    let web = format!("{name}-web-1");
    let mounts = docker_out(&[
        "inspect",
        &web,
        "--format",
        "{{range .Mounts}}{{.Type}} {{if eq .Type \"volume\"}}{{.Name}}{{else}}{{.Source}}{{end}} {{.Destination}}\n{{end}}",
    ]);
    let mut mounts: Vec<&str> = mounts.lines().filter(|l| !l.is_empty()).collect();
    mounts.sort();
    let nvm = home.path().canonicalize().unwrap().join(".nvm");
    let mut want = [
        format!("bind {} /app", dir.display()),
        format!("bind {} /home/app/.nvm", nvm.display()),
        format!("volume {name}_media /media"),
    ];
    want.sort();
    assert_eq!(mounts, want.iter().map(String::as_str).collect::<Vec<_>>());
    let env = docker_out(&[
        "inspect",
        &web,
        "--format",
        "{{range .Config.Env}}{{.}}\n{{end}}",
    ]);
    for kv in [
        "DJANGO_SETTINGS_MODULE=config.settings.dev",
        "DATABASE_HOST=db",
        "AUTO_START_SERVER=true",
    ] {
        assert!(env.lines().any(|l| l == kv), "{kv} not in\n{env}");
    }
    let db_env = docker_out(&[
        "inspect",
        &format!("{name}-db-1"),
        "--format",
        "{{range .Config.Env}}{{.}}\n{{end}}",
    ]);
    assert!(
        db_env.lines().any(|l| l == "POSTGRES_PASSWORD=pw-from-env"),
        "{db_env}"
    );
    // `start` returned only once the app's server answered HTTP on its
    // published port (its readiness rule): the dev script's server ran.
}

/// An override file merged as compose merges it: base + override, read by
/// compose from its default names and by the import the same way.
#[test]
fn an_override_file_imports_equivalently() {
    if !compose_v2_ready() {
        return;
    }
    let (_t, dir) = project_with(
        "compose.yaml",
        "services:\n  web:\n    build: .\n    volumes: ['./:/app', 'data:/data']\n    command: [./serve]\n    init: true\n    environment: [A=1, B=2]\n    ports: ['127.0.0.1:8000:8000']\n    extra_hosts: ['h:1.2.3.4']\n    depends_on: [db]\n  db:\n    image: postgres:16\n    dns: 1.1.1.1\n    cap_add: [NET_ADMIN]\n    healthcheck: {test: [CMD, pg_isready], interval: 5s}\nvolumes:\n  data: {}\n",
    );
    std::fs::write(
        dir.join("compose.override.yaml"),
        "services:\n  web:\n    build: {target: dev}\n    command: [./serve, --reload]\n    environment: {B: '3', C: '4'}\n    volumes: ['other:/data']\n    extra_hosts: {h: 5.6.7.8, g: 9.9.9.9}\n    depends_on: {cache: {condition: service_started}}\n  db:\n    dns: [8.8.8.8]\n    cap_add: [NET_ADMIN, SYS_TIME]\n    healthcheck: {test: [CMD, 'true']}\n    ports: ['5432:5432']\n  cache:\n    image: redis:7\n    profiles: [cache]\nvolumes:\n  other: {}\n",
    )
    .unwrap();
    let v = check(&dir, "");
    assert!(matches!(v, Verdict::Equivalent { .. }), "{v:?}");
}

/// compose's merge rules of several files, for the main kinds of key,
/// checked against Docker Compose v2 itself (`-f a -f b`, here the default
/// file and its override): scalars replaced; `ports`, `expose`, `dns`,
/// `dns_search`, `cap_add`, `tmpfs`, `profiles`, `env_file` appended
/// without repeats; `environment`, `labels`, `sysctls`, `build.args`,
/// `build.labels` merged by name; `volumes` by target; `command` and
/// `entrypoint` replaced; `depends_on`, `networks`, `logging.options`,
/// `ulimits` by key; `healthcheck` key by key; `extra_hosts` appended.
#[test]
fn several_files_merge_as_compose_v2_merges_them() {
    if !compose_v2_ready() {
        return;
    }
    let (_t, dir) = project_with(
        "compose.yaml",
        indoc::indoc! {"
            services:
              svc:
                image: first
                build: {context: ./ctx, args: [A=1], labels: {x: y}, tags: [t1]}
                command: [x, y]
                entrypoint: [e1]
                ports: ['127.0.0.1:8000:8000', '127.0.0.1:9000:9000']
                expose: ['1', '2']
                dns: [1.1.1.1, 8.8.8.8]
                dns_search: [a.example]
                environment: {A: '1', B: '2'}
                labels: [l1=a, l2=b]
                volumes: ['./x:/x', 'vol:/v:ro']
                cap_add: [NET_ADMIN]
                restart: always
                user: '1000'
                working_dir: /w1
                env_file: [a.env]
                tmpfs: [/run]
                networks: [n1]
                ulimits: {nofile: {soft: 1, hard: 2}}
                logging: {driver: json-file, options: {max-size: 1m}}
                healthcheck: {test: [CMD, a], interval: 5s}
                sysctls: {net.core.somaxconn: 1}
                extra_hosts: ['h:1.2.3.4']
                depends_on: [dep]
                profiles: [p1]
                stop_grace_period: 5s
              dep:
                image: dep
            networks: {n1: {}, n2: {}}
            volumes: {vol: {}, wol: {}}
        "},
    );
    std::fs::create_dir_all(dir.join("ctx")).unwrap();
    std::fs::write(dir.join("a.env"), "").unwrap();
    std::fs::write(dir.join("b.env"), "").unwrap();
    std::fs::write(
        dir.join("compose.override.yaml"),
        indoc::indoc! {"
            services:
              svc:
                image: second
                build: {args: {B: 2}, labels: [z=w], tags: [t1, t2], target: dev}
                command: z
                entrypoint: e2
                ports: ['127.0.0.1:9000:9000', '127.0.0.1:7000:7000']
                expose: ['2', '3']
                dns: [8.8.8.8, 9.9.9.9]
                dns_search: b.example
                environment: [B=3, C=4]
                labels: {l2: c, l3: d}
                volumes: ['./y:/x', 'wol:/w']
                cap_add: [NET_ADMIN, SYS_TIME]
                restart: 'no'
                user: '2000'
                env_file: [a.env, b.env]
                tmpfs: /run2
                networks: {n2: {aliases: [q]}}
                ulimits: {nofile: {soft: 3, hard: 4}, nproc: 5}
                logging: {options: {max-file: '2'}}
                healthcheck: {test: [CMD, b]}
                sysctls: [net.ipv4.ip_forward=1]
                extra_hosts: {h: 5.6.7.8}
                depends_on: {dep: {condition: service_healthy, restart: true}}
                profiles: [p2]
        "},
    )
    .unwrap();
    let v = check(&dir, "");
    assert!(matches!(v, Verdict::Equivalent { .. }), "{v:?}");
}
