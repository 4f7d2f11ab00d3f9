//! The project model end to end: the five example setups (snapshots, the
//! compose-spec JSON schema, docker-compose 1.29) and `devctl config` on
//! good and bad input.

use indoc::indoc;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use devctl::commands::config::to_text;
use devctl::project::env::{parse_dotenv, Env};
use devctl::project::generate::{generate, Input, HEADER};
use devctl::project::load::load;

use crate::support::Project;

pub(crate) const EXAMPLES: &[&str] = &[
    "django-poetry",
    "privileged-backend",
    "research-stack",
    "systemd-cluster",
    "test-workers",
];

pub(crate) fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn example_dir(name: &str) -> PathBuf {
    manifest_dir().join("compose/examples").join(name)
}

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// The example's env: its `.env.example` (when present), nothing else.
fn example_env(name: &str) -> Env {
    let pairs = std::fs::read_to_string(example_dir(name).join(".env.example"))
        .map(|t| parse_dotenv(&t).unwrap())
        .unwrap_or_default();
    Env::merge(pairs, Vec::new())
}

/// The generated compose text for an example, with fixed host facts so the
/// snapshot does not depend on the machine.
fn generate_example(name: &str) -> (String, Vec<String>) {
    let dir = example_dir(name);
    let text = std::fs::read_to_string(dir.join("devctl.toml")).unwrap();
    let env = example_env(name);
    let loaded = load("devctl.toml", &text, &env).unwrap_or_else(|e| panic!("{name}: {e}"));
    let project = loaded
        .config
        .project
        .name
        .as_ref()
        .map(|n| n.as_str().to_string())
        .unwrap_or_else(|| name.to_string());
    let auto = devctl::project::env::auto_start_server(env.get("AUTO_START_SERVER"));
    let g = generate(&Input {
        config: &loaded.config,
        project: &project,
        project_dir: &format!("/home/dev/src/{name}"),
        home: "/home/dev",
        env_files: &[format!("/home/dev/src/{name}/.env")],
        auto_start: auto.on,
        host_uid: 1000,
        host_gid: 1000,
    });
    let mut warnings = loaded.warnings;
    warnings.extend(g.warnings);
    (to_text(&g.doc, HEADER).unwrap(), warnings)
}

/// The generated compose file of each example is an insta snapshot
/// (`tests/it/snapshots/config_cli__example_NAME.snap`): a change fails with
/// a diff; `INSTA_UPDATE=always` rewrites the files for review in git.
#[test]
fn example_snapshots() {
    for name in EXAMPLES {
        let (text, _) = generate_example(name);
        // insta ignores trailing newlines; the file ends in exactly one.
        assert!(text.ends_with('\n') && !text.ends_with("\n\n"), "{name}");
        insta::with_settings!({ prepend_module_to_snapshot => false, omit_expression => true }, {
            insta::assert_snapshot!(format!("config_cli__example_{name}"), text);
        });
    }
}

#[test]
fn example_warnings_say_what_they_grant() {
    let (_, w) = generate_example("django-poetry");
    assert!(w.is_empty(), "{w:?}");
    let (_, w) = generate_example("privileged-backend");
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].contains("`app` runs privileged") && w[0].contains("root on the host"));
    let (_, w) = generate_example("systemd-cluster");
    assert_eq!(w.len(), 1, "only node1 asks for privileged: {w:?}");
    assert!(w[0].contains("`node1`"));
    let (_, w) = generate_example("test-workers");
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].contains("`runner` mounts the Docker socket"), "{w:?}");
    let (_, w) = generate_example("research-stack");
    assert!(w.is_empty(), "{w:?}");
}

#[test]
fn examples_match_their_design() {
    let doc = |name: &str| -> serde_json::Value {
        devctl::yaml::from_str(&generate_example(name).0).unwrap()
    };
    let pb = doc("privileged-backend");
    let api = &pb["services"]["app"];
    assert_eq!(api["ports"][0], "127.0.0.1:8500:8500");
    assert_eq!(api["privileged"], true);
    assert_eq!(api["cgroup"], "private");
    assert!(api["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v.as_str().unwrap().ends_with(":/mnt")));

    let sc = doc("systemd-cluster");
    for n in ["node2", "node3"] {
        let s = &sc["services"][n];
        assert!(s.get("privileged").is_none(), "{n}");
        assert_eq!(s["security_opt"][0], "no-new-privileges:true", "{n}");
        assert_eq!(s["tmpfs"][0], "/run", "{n}");
        assert_eq!(s["cgroup"], "private", "{n}");
    }
    assert_eq!(sc["services"]["node1"]["privileged"], true);

    let tw = doc("test-workers");
    assert_eq!(tw["services"]["worker"]["deploy"]["replicas"], 4);
    assert_eq!(
        tw["services"]["worker"]["image"],
        "registry.example.com:5000/ci/test-workers-worker:dev"
    );
    assert_eq!(tw["volumes"]["artifacts"]["driver_opts"]["type"], "tmpfs");
    let socket_users: Vec<&str> = tw["services"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, s)| {
            s["volumes"].as_array().is_some_and(|v| {
                v.iter()
                    .any(|m| m.as_str().unwrap().contains("docker.sock"))
            })
        })
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(socket_users, vec!["runner"]);

    let rs = doc("research-stack");
    for (svc, image) in [
        ("db", "postgres:16.4"),
        ("pacs", "orthancteam/orthanc:24.9.1"),
    ] {
        assert_eq!(rs["services"][svc]["image"], image);
    }
    assert_eq!(rs["services"]["etl"]["build"]["target"], "etl");
    // research-stack's .env.example turns AUTO_START_SERVER on.
    let cmd = rs["services"]["app"]["command"][2].as_str().unwrap();
    assert!(cmd.contains("exec python -m research.web"), "{cmd}");
}

/// The compose-spec schema, compiled as draft 7. Its `$schema` is written
/// `https://json-schema.org/draft-07/schema` (https, no `#`), a URI the
/// jsonschema crate does not recognise, so the draft is set explicitly.
pub(crate) fn compose_validator() -> Option<jsonschema::Validator> {
    let schema = compose_schema()?;
    Some(
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft7)
            .build(&schema)
            .expect("the compose-spec schema compiles"),
    )
}

fn compose_schema() -> Option<serde_json::Value> {
    let path = manifest_dir().join("../shared/schema/compose-spec.json");
    match std::fs::read_to_string(&path) {
        Ok(t) => {
            let mut v: serde_json::Value = serde_json::from_str(&t).unwrap();
            if let Some(o) = v.as_object_mut() {
                o.remove("$schema");
            }
            Some(v)
        }
        Err(_) if !ci() => {
            eprintln!("skipping: no {}", path.display());
            None
        }
        Err(e) => panic!("{}: {e} (CI=true: failing, not skipping)", path.display()),
    }
}

#[test]
fn examples_are_valid_against_the_compose_spec_schema() {
    let Some(validator) = compose_validator() else {
        return;
    };
    for name in EXAMPLES {
        let (text, _) = generate_example(name);
        let doc: serde_json::Value = devctl::yaml::from_str(&text).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&doc)
            .map(|e| format!("{} at {}", e, e.instance_path))
            .collect();
        assert!(errors.is_empty(), "{name}:\n{}", errors.join("\n"));
    }
}

/// Every supported key at once.
const KITCHEN_SINK: &str = r#"
[project]
name = "sink"
registry = "localhost:5000/team"

[app]
dockerfile = "Dockerfile"
context = "."
target = "app"
port = 8000
publish = "0.0.0.0:9000"
user = "web"
workdir = "/srv/web"
server = "gunicorn app:wsgi"
migrate = ["./manage.py", "migrate"]
image = "sink-web:dev"
environment = ["MODE=dev", "EMPTY="]
env_file = ["extra.env"]
ports = ["9229:9229"]
volumes = ["cache:/cache", "./conf:/etc/web:ro"]
tmpfs = "/tmp"
depends_on = { db = { condition = "service_healthy" }, init = { condition = "service_completed_successfully" } }
healthcheck = { test = "curl -f http://localhost:8000/", interval = "10s", timeout = "2s", start_period = "1m", start_interval = "1s", retries = 3 }
cap_drop = ["NET_RAW"]
read_only = false
restart = "unless-stopped"
labels = { "org.example.tier" = "web" }
stop_signal = "SIGINT"
stop_grace_period = "5s"
extra_hosts = { "host.docker.internal" = "host-gateway" }
[app.build_args]
PIP_INDEX_TOKEN = "t0k3n"

[nvm]
dir = "volume"

[assets]
toolchain = "nvm"
install = "npm ci"
build = "npm run build"
[[assets.watch]]
name = "css"
paths = ["sass"]
patterns = ["*.scss"]
run = "npm run css"
debounce_ms = 200

[services.db]
image = "postgres:16.4"
environment = { POSTGRES_PASSWORD = "pw$$1" }
healthcheck = { test = ["CMD-SHELL", "pg_isready"], interval = "2s", retries = 10 }

[services.init]
build = { context = "tools", dockerfile = "Init.Dockerfile", args = { V = 1 } }
entrypoint = ["/bin/sh", "-c"]
command = "echo ready"
user = "1000"
working_dir = "/w"
init = true

[services.sys]
image = "debian:bookworm"
privileged = true
cgroup = "host"
security_opt = ["label=disable"]
cap_add = ["SYS_ADMIN"]
no_new_privileges = true

[services.net]
image = "busybox:1.36"
network_mode = "host"
deploy = { replicas = 2 }

[volumes.cache]
driver = "local"
driver_opts = { type = "none", o = "bind", device = "/var/cache/sink" }
labels = ["a=b"]
name = "sink-cache"

[volumes.shared]
external = true

[lint]
ignored = ["DL3008"]
"#;

#[test]
fn kitchen_sink_is_valid_compose() {
    let p = Project::new()
        .file("devctl.toml", KITCHEN_SINK)
        .file("extra.env", "A=1\n")
        .file(".env", "X=1\n")
        .file("tools/Init.Dockerfile", "FROM busybox\n");
    let d = p.devctl(&["config"])
        .stdout_snapshot("config_cli__kitchen_sink_config")
        .stderr(indoc! {"
            warning: service `app` publishes port 9000 on every network interface: other machines on your network can reach it
            warning: service `net` uses the host network: it shares the host's network stack, can reach every service listening on the host (localhost included) and its ports are not isolated
            warning: service `sys` runs privileged: it gets all capabilities and every host device, which is root on the host
        "})
        .run();
    let err = d.stderr();
    for w in [
        "`app` publishes port 9000",
        "`sys` runs privileged",
        "`net` uses the host network",
    ] {
        assert!(err.contains(w), "{w}: {err}");
    }
    assert!(
        d.stdout().contains("PIP_INDEX_TOKEN: \"********\""),
        "{}",
        d.stdout()
    );
    let text = std::fs::read_to_string(p.path().join(".devctl/compose.yaml")).unwrap();
    assert!(
        text.contains("POSTGRES_PASSWORD: \"pw$$1\""),
        "a literal $ stays literal: {text}"
    );
    let doc: serde_json::Value = devctl::yaml::from_str(&text).unwrap();
    let sys = &doc["services"]["sys"];
    assert_eq!(sys["security_opt"][0], "no-new-privileges:true");
    assert_eq!(sys["security_opt"][1], "label=disable");
    assert_eq!(doc["services"]["app"]["volumes"][1], "nvm:/home/web/.nvm");
    assert_eq!(
        doc["services"]["init"]["image"],
        "localhost:5000/team/sink-init:dev"
    );
    if let Some(validator) = compose_validator() {
        let errors: Vec<String> = validator
            .iter_errors(&doc)
            .map(|e| format!("{} at {}", e, e.instance_path))
            .collect();
        assert!(errors.is_empty(), "{}", errors.join("\n"));
    }
    assert_dollars_escaped(&text);
    assert_project_env(p.path(), "sink");
    if let Some(dc) = docker_compose() {
        let f = file_for_compose_1_29(&p.path().join(".devctl/compose.yaml"));
        let out = Command::new(dc)
            .arg("-f")
            .arg(&f)
            .args(["config", "-q"])
            .current_dir(p.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn schema_check_is_not_vacuous() {
    let Some(validator) = compose_validator() else {
        return;
    };
    let bad: serde_json::Value =
        devctl::yaml::from_str("services:\n  a:\n    image: x\n    cgroup: shared\n    bogus: 1\n")
            .unwrap();
    assert!(validator.iter_errors(&bad).count() >= 2);
}

/// Keys of the compose spec that docker-compose 1.29.2 (Debian's package)
/// rejects: it predates them. Found by running `docker-compose config -q`
/// on the generated files: "Unsupported config option for services.X:
/// 'cgroup'" and "services.X.healthcheck value 'start_interval' does not
/// match any of the regexes: '^x-'". devctl writes them only when
/// devctl.toml asks for them. (The top-level `name`, which 1.29 rejects
/// too, is not written: the project name is in `.devctl/.env`.)
const UNSUPPORTED_BY_COMPOSE_1_29: &[&str] = &["cgroup", "start_interval"];

/// Removes [`UNSUPPORTED_BY_COMPOSE_1_29`] from a generated document;
/// whether there was any.
fn strip_for_compose_1_29(doc: &mut serde_json::Value) -> bool {
    let mut stripped = false;
    for (_, s) in doc["services"].as_object_mut().unwrap().iter_mut() {
        let s = s.as_object_mut().unwrap();
        stripped |= s.remove("cgroup").is_some();
        if let Some(h) = s.get_mut("healthcheck").and_then(|h| h.as_object_mut()) {
            stripped |= h.remove("start_interval").is_some();
        }
    }
    stripped
}

/// The file to give docker-compose 1.29: the generated `.devctl/compose.yaml`
/// itself, or, only when it has keys 1.29 predates, a copy without them in
/// the same directory (so that compose reads the same `.devctl/.env`).
fn file_for_compose_1_29(generated: &Path) -> PathBuf {
    let mut doc: serde_json::Value =
        devctl::yaml::from_str(&std::fs::read_to_string(generated).unwrap()).unwrap();
    assert!(
        doc.get("name").is_none(),
        "{}: no top-level name (1.29 rejects it)",
        generated.display()
    );
    if !strip_for_compose_1_29(&mut doc) {
        return generated.to_path_buf();
    }
    let stripped = generated.with_file_name("compose-1.29.yaml");
    std::fs::write(&stripped, devctl::yaml::to_string(&doc).unwrap()).unwrap();
    stripped
}

/// Compose interpolates the file with `.devctl/.env` (and the shell): every
/// `$` devctl writes must be escaped as `$$`.
fn assert_dollars_escaped(text: &str) {
    for (i, line) in text.lines().enumerate() {
        assert!(
            !line.replace("$$", "").contains('$'),
            "line {}: an unescaped $ that compose would interpolate: {line}",
            i + 1
        );
    }
}

/// `.devctl/.env` names the project for compose.
fn assert_project_env(dir: &Path, project: &str) {
    let path = dir.join(".devctl/.env");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("# generated by devctl"), "{text}");
    assert!(
        text.lines()
            .any(|l| l == format!("COMPOSE_PROJECT_NAME={project}")),
        "{text}"
    );
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

fn docker_compose() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("docker-compose"))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            !ci(),
            "docker-compose is not installed (CI=true: failing, not skipping)"
        );
        eprintln!("skipping: docker-compose not on PATH");
    }
    found
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        if p.is_dir() {
            if e.file_name() != ".devctl" {
                copy_dir(&p, &to.join(e.file_name()));
            }
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

/// A copy of the example in a temp dir with `.env` from `.env.example`.
pub(crate) fn example_project(name: &str) -> Project {
    let p = Project::new();
    copy_dir(&example_dir(name), p.path());
    let env_example = p.path().join(".env.example");
    if env_example.exists() {
        std::fs::copy(&env_example, p.path().join(".env")).unwrap();
    }
    p
}

#[test]
fn examples_are_accepted_by_docker_compose() {
    let Some(dc) = docker_compose() else {
        return;
    };
    for name in EXAMPLES {
        let p = example_project(name);
        p.devctl(&["-q", "config", "--check"])
            .env_remove("DB_PASSWORD")
            .run();
        let file = p.path().join(".devctl/compose.yaml");
        assert_dollars_escaped(&std::fs::read_to_string(&file).unwrap());
        let run = |f: &Path| {
            Command::new(&dc)
                .arg("-f")
                .arg(f)
                .args(["config", "-q"])
                .current_dir(p.path())
                .output()
                .unwrap()
        };
        // As generated: 1.29 rejects at most the keys it predates.
        let out = run(&file);
        let stderr = String::from_utf8_lossy(&out.stderr);
        for line in stderr.lines().filter(|l| {
            l.contains("Unsupported config option")
                || l.contains("does not match any of the regexes")
        }) {
            assert!(
                UNSUPPORTED_BY_COMPOSE_1_29
                    .iter()
                    .any(|k| line.contains(&format!("'{k}'"))),
                "{name}: docker-compose 1.29 rejects more than {UNSUPPORTED_BY_COMPOSE_1_29:?}: {line}"
            );
        }
        // The file itself when it has none of them, else without them.
        let f = file_for_compose_1_29(&file);
        if f == file {
            assert!(
                out.status.success(),
                "{name}: docker-compose config -q failed on the generated file:\n{stderr}"
            );
        }
        let out = run(&f);
        assert!(
            out.status.success(),
            "{name}: docker-compose config -q failed:\n{}\n--- file\n{}",
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(&f).unwrap()
        );
    }
}

/// Docker Compose v2 (the CLI plugin `scripts/install-test-deps.sh` installs,
/// pinned): whether `docker compose version` works; under CI=true a missing
/// plugin fails.
pub(crate) fn compose_v2_ready() -> bool {
    let ok = Command::new("docker")
        .args(["compose", "version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            !ci(),
            "docker compose v2 is not installed (CI=true: run scripts/install-test-deps.sh)"
        );
        eprintln!("skipping: no docker compose v2 (scripts/install-test-deps.sh)");
    }
    ok
}

/// Compose v2 accepts every example's generated file as it is (nothing
/// stripped: v2 knows `cgroup` and `start_interval`), and reads the project
/// name from `.devctl/.env`.
#[test]
fn examples_are_accepted_by_docker_compose_v2() {
    if !compose_v2_ready() {
        return;
    }
    for name in EXAMPLES {
        let p = example_project(name);
        p.devctl(&["-q", "config", "--check"])
            .env_remove("DB_PASSWORD")
            .run();
        let run = |args: &[&str]| {
            Command::new("docker")
                .args(["compose", "-f", ".devctl/compose.yaml"])
                .args(args)
                .current_dir(p.path())
                .env_remove("COMPOSE_PROJECT_NAME")
                .env_remove("COMPOSE_FILE")
                .output()
                .unwrap()
        };
        let out = run(&["config", "-q"]);
        assert!(
            out.status.success(),
            "{name}: docker compose config -q failed on the generated file:\n{}\n--- file\n{}",
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(p.path().join(".devctl/compose.yaml")).unwrap()
        );
        let out = run(&["config", "--format", "json"]);
        assert!(out.status.success(), "{name}");
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let env = std::fs::read_to_string(p.path().join(".devctl/.env")).unwrap();
        let project = env
            .lines()
            .find_map(|l| l.strip_prefix("COMPOSE_PROJECT_NAME="))
            .unwrap();
        assert_eq!(
            doc["name"].as_str(),
            Some(project),
            "{name}: compose v2 reads the project name from .devctl/.env"
        );
    }
}

// ---------------------------------------------------------------------------
// `devctl config` on good input

const GOOD: &str = r#"
[project]
name = "demo"

[app]
port = 8000
server = ["python", "manage.py", "runserver", "0.0.0.0:8000"]
migrate = "python manage.py migrate"

[services.db]
image = "postgres:16.4"
environment = { POSTGRES_PASSWORD = "${DB_PASSWORD:?set DB_PASSWORD in .env}", POSTGRES_DB = "app" }
"#;

#[test]
fn config_prints_writes_0600_and_masks_secrets() {
    let p = Project::new()
        .file("devctl.toml", GOOD)
        .file(".env", "DB_PASSWORD=hunter2\n");
    let out = p
        .devctl(&["config"])
        .env_remove("DB_PASSWORD")
        .stdout(indoc! {r#"
            # generated by devctl from devctl.toml — edit devctl.toml, not this file
            # secret values are shown as "********": `devctl config --show-secrets` prints them
            services:
              app:
                image: demo-app:dev
                build:
                  context: [TMP]
                  dockerfile: Dockerfile
                  args:
                    APP_UID: "1000"
                    APP_GID: "1000"
                command:
                - sh
                - "-c"
                - "trap 'exit 0' TERM INT; while :; do sleep 86400 & wait $$!; done"
                user: app
                working_dir: /app
                init: true
                env_file:
                - [TMP]/.env
                ports:
                - "127.0.0.1:8000:8000"
                volumes:
                - [TMP]:/app
                security_opt:
                - no-new-privileges:true
              db:
                image: postgres:16.4
                environment:
                  POSTGRES_DB: app
                  POSTGRES_PASSWORD: "********"
                security_opt:
                - no-new-privileges:true
        "#})
        .run();
    assert!(!out.stdout().contains("hunter2"));
    let file = p.path().join(".devctl/compose.yaml");
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(written.contains("POSTGRES_PASSWORD: hunter2"), "{written}");
    assert!(written.starts_with("# generated by devctl"));
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let env_file = format!("{}/.env", p.path().canonicalize().unwrap().display());
    assert!(
        written.contains(&env_file),
        "env_file passed to the app: {written}"
    );

    assert!(
        !written.lines().any(|l| l.starts_with("name:")),
        "no top-level name: {written}"
    );
    assert_project_env(p.path(), "demo");

    p.devctl(&["config", "--show-secrets"])
        .env_remove("DB_PASSWORD")
        .stdout(indoc! {r#"
            # generated by devctl from devctl.toml — edit devctl.toml, not this file
            services:
              app:
                image: demo-app:dev
                build:
                  context: [TMP]
                  dockerfile: Dockerfile
                  args:
                    APP_UID: "1000"
                    APP_GID: "1000"
                command:
                - sh
                - "-c"
                - "trap 'exit 0' TERM INT; while :; do sleep 86400 & wait $$!; done"
                user: app
                working_dir: /app
                init: true
                env_file:
                - [TMP]/.env
                ports:
                - "127.0.0.1:8000:8000"
                volumes:
                - [TMP]:/app
                security_opt:
                - no-new-privileges:true
              db:
                image: postgres:16.4
                environment:
                  POSTGRES_DB: app
                  POSTGRES_PASSWORD: hunter2
                security_opt:
                - no-new-privileges:true
        "#})
        .run();
    p.devctl(&["-v", "config"])
        .env_remove("DB_PASSWORD")
        .stdout(indoc! {r#"
            # generated by devctl from devctl.toml — edit devctl.toml, not this file
            # secret values are shown as "********": `devctl config --show-secrets` prints them
            services:
              app:
                image: demo-app:dev
                build:
                  context: [TMP]
                  dockerfile: Dockerfile
                  args:
                    APP_UID: "1000"
                    APP_GID: "1000"
                command:
                - sh
                - "-c"
                - "trap 'exit 0' TERM INT; while :; do sleep 86400 & wait $$!; done"
                user: app
                working_dir: /app
                init: true
                env_file:
                - [TMP]/.env
                ports:
                - "127.0.0.1:8000:8000"
                volumes:
                - [TMP]:/app
                security_opt:
                - no-new-privileges:true
              db:
                image: postgres:16.4
                environment:
                  POSTGRES_DB: app
                  POSTGRES_PASSWORD: "********"
                security_opt:
                - no-new-privileges:true
        "#})
        .stderr("wrote [TMP]/.devctl/compose.yaml and [TMP]/.devctl/.env (COMPOSE_PROJECT_NAME=demo: docker compose -f [TMP]/.devctl/compose.yaml finds the project)\n")
        .run();
}

#[test]
fn compose_file_is_rewritten_only_when_needed() {
    let p = Project::new().file("devctl.toml", "[services.r]\nimage = \"redis:7.4\"\n");
    let file = p.path().join(".devctl/compose.yaml");
    p.devctl(&["config"])
        .stdout(indoc! {"
            # generated by devctl from devctl.toml — edit devctl.toml, not this file
            services:
              r:
                image: redis:7.4
                security_opt:
                - no-new-privileges:true
        "})
        .run();
    let first = std::fs::read_to_string(&file).unwrap();
    // A loosened mode is restored.
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    p.devctl(&["config"])
        .stdout(indoc! {"
            # generated by devctl from devctl.toml — edit devctl.toml, not this file
            services:
              r:
                image: redis:7.4
                security_opt:
                - no-new-privileges:true
        "})
        .run();
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    // A hand edit is replaced.
    std::fs::write(&file, "edited").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    p.devctl(&["config"])
        .stdout(indoc! {"
            # generated by devctl from devctl.toml — edit devctl.toml, not this file
            services:
              r:
                image: redis:7.4
                security_opt:
                - no-new-privileges:true
        "})
        .run();
    assert_eq!(std::fs::read_to_string(&file).unwrap(), first);

    // The same rule for `.devctl/.env` (the project name for compose).
    use std::os::unix::fs::MetadataExt;
    let env = p.path().join(".devctl/.env");
    let env_first = std::fs::read_to_string(&env).unwrap();
    let ino = |f: &Path| std::fs::metadata(f).unwrap().ino();
    let (env_ino, file_ino) = (ino(&env), ino(&file));
    p.devctl(&["config"])
        .stdout(indoc! {"
            # generated by devctl from devctl.toml — edit devctl.toml, not this file
            services:
              r:
                image: redis:7.4
                security_opt:
                - no-new-privileges:true
        "})
        .run();
    assert_eq!(
        (ino(&env), ino(&file)),
        (env_ino, file_ino),
        "unchanged files are not rewritten"
    );
    std::fs::write(&env, "COMPOSE_PROJECT_NAME=edited\n").unwrap();
    std::fs::set_permissions(&env, std::fs::Permissions::from_mode(0o644)).unwrap();
    p.devctl(&["config"])
        .stdout(indoc! {"
            # generated by devctl from devctl.toml — edit devctl.toml, not this file
            services:
              r:
                image: redis:7.4
                security_opt:
                - no-new-privileges:true
        "})
        .run();
    assert_eq!(std::fs::read_to_string(&env).unwrap(), env_first);
    assert_eq!(
        std::fs::metadata(&env).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(ino(&file), file_ino, "compose.yaml was unchanged");
}

#[test]
fn process_env_overrides_dotenv() {
    let p = Project::new()
        .file("devctl.toml", GOOD)
        .file(".env", "DB_PASSWORD=fromfile\n");
    p.devctl(&["config", "--show-secrets"])
        .env("DB_PASSWORD", "fromprocess")
        .stdout(indoc! {r#"
            # generated by devctl from devctl.toml — edit devctl.toml, not this file
            services:
              app:
                image: demo-app:dev
                build:
                  context: [TMP]
                  dockerfile: Dockerfile
                  args:
                    APP_UID: "1000"
                    APP_GID: "1000"
                command:
                - sh
                - "-c"
                - "trap 'exit 0' TERM INT; while :; do sleep 86400 & wait $$!; done"
                user: app
                working_dir: /app
                init: true
                env_file:
                - [TMP]/.env
                ports:
                - "127.0.0.1:8000:8000"
                volumes:
                - [TMP]:/app
                security_opt:
                - no-new-privileges:true
              db:
                image: postgres:16.4
                environment:
                  POSTGRES_DB: app
                  POSTGRES_PASSWORD: fromprocess
                security_opt:
                - no-new-privileges:true
        "#})
        .run();
}

#[test]
fn auto_start_server_gates_the_command() {
    let p = Project::new()
        .file("devctl.toml", GOOD)
        .file(".env", "DB_PASSWORD=x\nAUTO_START_SERVER=Yes\n");
    p.devctl(&["config"])
        .env_remove("AUTO_START_SERVER")
        .stdout(indoc! {r#"
            # generated by devctl from devctl.toml — edit devctl.toml, not this file
            # secret values are shown as "********": `devctl config --show-secrets` prints them
            services:
              app:
                image: demo-app:dev
                build:
                  context: [TMP]
                  dockerfile: Dockerfile
                  args:
                    APP_UID: "1000"
                    APP_GID: "1000"
                command:
                - sh
                - "-c"
                - "set -e; python manage.py migrate; exec python manage.py runserver 0.0.0.0:8000"
                user: app
                working_dir: /app
                init: true
                env_file:
                - [TMP]/.env
                ports:
                - "127.0.0.1:8000:8000"
                volumes:
                - [TMP]:/app
                security_opt:
                - no-new-privileges:true
              db:
                image: postgres:16.4
                environment:
                  POSTGRES_DB: app
                  POSTGRES_PASSWORD: "********"
                security_opt:
                - no-new-privileges:true
        "#})
        .run();
    let d = p
        .devctl(&["config"])
        .env("AUTO_START_SERVER", "off")
        .stdout(indoc! {r#"
            # generated by devctl from devctl.toml — edit devctl.toml, not this file
            # secret values are shown as "********": `devctl config --show-secrets` prints them
            services:
              app:
                image: demo-app:dev
                build:
                  context: [TMP]
                  dockerfile: Dockerfile
                  args:
                    APP_UID: "1000"
                    APP_GID: "1000"
                command:
                - sh
                - "-c"
                - "trap 'exit 0' TERM INT; while :; do sleep 86400 & wait $$!; done"
                user: app
                working_dir: /app
                init: true
                env_file:
                - [TMP]/.env
                ports:
                - "127.0.0.1:8000:8000"
                volumes:
                - [TMP]:/app
                security_opt:
                - no-new-privileges:true
              db:
                image: postgres:16.4
                environment:
                  POSTGRES_DB: app
                  POSTGRES_PASSWORD: "********"
                security_opt:
                - no-new-privileges:true
        "#})
        .run();
    assert!(d.stderr().is_empty(), "{}", d.stderr());
    p.devctl(&["config"])
        .env("AUTO_START_SERVER", "maybe")
        .stdout(indoc! {r#"
            # generated by devctl from devctl.toml — edit devctl.toml, not this file
            # secret values are shown as "********": `devctl config --show-secrets` prints them
            services:
              app:
                image: demo-app:dev
                build:
                  context: [TMP]
                  dockerfile: Dockerfile
                  args:
                    APP_UID: "1000"
                    APP_GID: "1000"
                command:
                - sh
                - "-c"
                - "trap 'exit 0' TERM INT; while :; do sleep 86400 & wait $$!; done"
                user: app
                working_dir: /app
                init: true
                env_file:
                - [TMP]/.env
                ports:
                - "127.0.0.1:8000:8000"
                volumes:
                - [TMP]:/app
                security_opt:
                - no-new-privileges:true
              db:
                image: postgres:16.4
                environment:
                  POSTGRES_DB: app
                  POSTGRES_PASSWORD: "********"
                security_opt:
                - no-new-privileges:true
        "#})
        .stderr("warning: AUTO_START_SERVER=\"maybe\" is not one of true/1/yes/on or false/0/no/off: treating it as off\n")
        .run();
    // -q, as `docker compose config -q`: no warnings, no file printed; the
    // file is still written.
    let compose = p.path().join(".devctl/compose.yaml");
    std::fs::remove_file(&compose).unwrap();
    p.devctl(&["-q", "config"])
        .env("AUTO_START_SERVER", "maybe")
        .stdout("")
        .stderr("")
        .run();
    assert!(std::fs::read_to_string(&compose)
        .unwrap()
        .contains("POSTGRES_DB: app"));
}

#[test]
fn quiet_config_still_fails_on_what_check_finds_and_writes_nothing() {
    let p = Project::new().file(
        "devctl.toml",
        "[project]\nname = \"q\"\n[services.r]\nimage = \"redis:7.4\"\nports = [\"8010-8012:8000-8001\"]\n",
    );
    p.devctl(&["-q", "config"])
        .status(2)
        .stdout("")
        .stderr("error: devctl.toml:5:10: `ports` in [services.r]: port `8010-8012:8000-8001` is invalid: the host range `8010-8012` and the container range `8000-8001` are not the same length (write `[IP:][HOST:]CONTAINER[/tcp|udp]`, e.g. `5432:5432`)\n 5 | ports = [\"8010-8012:8000-8001\"]\n   |          ^^^^^^^^^^^^^^^^^^^^^\n")
        .run();
    assert!(!p.path().join(".devctl/compose.yaml").exists());
}

#[test]
fn discovery_from_a_subdirectory_and_dash_c() {
    let p = Project::new()
        .file(
            "devctl.toml",
            "[project]\nname = \"found\"\n[services.r]\nimage = \"redis:7.4\"\n",
        )
        .file("sub/dir/x", "");
    let found = indoc! {"
        # generated by devctl from devctl.toml — edit devctl.toml, not this file
        services:
          r:
            image: redis:7.4
            security_opt:
            - no-new-privileges:true
    "};
    p.devctl(&["config"]).cwd("sub/dir").stdout(found).run();
    assert!(p.path().join(".devctl/compose.yaml").exists());
    assert_project_env(p.path(), "found");
    std::fs::remove_dir_all(p.path().join(".devctl")).unwrap();

    let other = Project::new();
    other
        .devctl(&["-C", p.path().to_str().unwrap(), "config"])
        .stdout(found)
        .run();
    assert_project_env(p.path(), "found");
    assert!(!other.path().join(".devctl").exists());
    other
        .devctl(&["config"])
        .status(2)
        .stderr("error: no devctl.toml in [TMP] or any parent directory: run `devctl init`, or use -C DIR\n")
        .run();
}

#[test]
fn project_name_defaults_to_the_directory() {
    let p = Project::new().file(
        "My Project/devctl.toml",
        "[services.r]\nimage = \"redis\"\n",
    );
    p.devctl(&["-C", "My Project", "config"])
        .stdout(indoc! {"
            # generated by devctl from devctl.toml — edit devctl.toml, not this file
            services:
              r:
                image: redis
                security_opt:
                - no-new-privileges:true
        "})
        .run();
    assert_project_env(&p.path().join("My Project"), "myproject");
}

#[test]
fn env_file_flag() {
    let p = Project::new()
        .file("devctl.toml", GOOD)
        .file("other.env", "DB_PASSWORD=other\n");
    p.devctl(&["--env-file", "other.env", "config", "--show-secrets"])
        .env_remove("DB_PASSWORD")
        .stdout(indoc! {r#"
            # generated by devctl from devctl.toml — edit devctl.toml, not this file
            services:
              app:
                image: demo-app:dev
                build:
                  context: [TMP]
                  dockerfile: Dockerfile
                  args:
                    APP_UID: "1000"
                    APP_GID: "1000"
                command:
                - sh
                - "-c"
                - "trap 'exit 0' TERM INT; while :; do sleep 86400 & wait $$!; done"
                user: app
                working_dir: /app
                init: true
                env_file:
                - [TMP]/other.env
                ports:
                - "127.0.0.1:8000:8000"
                volumes:
                - [TMP]:/app
                security_opt:
                - no-new-privileges:true
              db:
                image: postgres:16.4
                environment:
                  POSTGRES_DB: app
                  POSTGRES_PASSWORD: other
                security_opt:
                - no-new-privileges:true
        "#})
        .run();
    p.devctl(&["--env-file", "missing.env", "config"])
        .status(2)
        .stderr("error: missing.env: cannot read the env file: No such file or directory (os error 2)\n")
        .run();
}

#[test]
fn check_validates_dockerfile() {
    let toml = "[app]\ntarget = \"app\"\nport = 8000\n";
    let p = Project::new()
        .file("devctl.toml", toml)
        .file("Dockerfile", "FROM python:3.12-slim AS app\nUSER app\n");
    let d = p
        .devctl(&["config", "--check"])
        .stdout("[TMP]/devctl.toml: ok (1 service)\n")
        .run();
    assert!(!d.stdout().contains("services:"));
    let p = Project::new()
        .file("devctl.toml", toml)
        .file("Dockerfile", "FROM python:3.12-slim AS base\n");
    p.devctl(&["config", "--check"])
        .status(2)
        .stderr("error: Dockerfile: no build stage named `app` ([app].target in devctl.toml): add `FROM … AS app` or change the target\n")
        .run();
    let p = Project::new().file("devctl.toml", toml);
    p.devctl(&["config", "--check"])
        .status(2)
        .stderr("error: Dockerfile: cannot read the app's Dockerfile: No such file or directory (os error 2)\n")
        .run();
}

#[test]
fn opt_in_grants_warn() {
    let p = Project::new().file(
        "devctl.toml",
        r#"
[services.a]
image = "x"
privileged = true
[services.b]
image = "x"
network_mode = "host"
[services.c]
image = "x"
ports = ["0.0.0.0:8080:80"]
"#,
    );
    p.devctl(&["config"])
        .stdout(indoc! {r#"
            # generated by devctl from devctl.toml — edit devctl.toml, not this file
            services:
              a:
                image: x
                privileged: true
              b:
                image: x
                network_mode: host
                security_opt:
                - no-new-privileges:true
              c:
                image: x
                ports:
                - "0.0.0.0:8080:80"
                security_opt:
                - no-new-privileges:true
        "#})
        .stderr(indoc! {"
            warning: service `a` runs privileged: it gets all capabilities and every host device, which is root on the host
            warning: service `b` uses the host network: it shares the host's network stack, can reach every service listening on the host (localhost included) and its ports are not isolated
            warning: service `c` publishes port 8080 on every network interface: other machines on your network can reach it
        "})
        .run();
}

// ---------------------------------------------------------------------------
// Bad input: one clear error with its position, exit 2, nothing written.

/// `config` fails with exit 2 and exactly `stderr`, prints nothing on
/// stdout and leaves the previous compose file alone.
fn assert_bad(files: &[(&str, &str)], env: &[(&str, &str)], stderr: &str) {
    let mut p = Project::new();
    for (f, c) in files {
        p = p.file(f, c);
    }
    let previous = "# previous\n";
    p = p.file(".devctl/compose.yaml", previous);
    let mut run = p.devctl(&["config"]).env_remove("DB_PASSWORD");
    for (k, v) in env {
        run = run.env(k, v);
    }
    let d = run.status(2).stderr(stderr).run();
    let err = d.stderr();
    assert_eq!(
        err.lines().filter(|l| l.starts_with("error:")).count(),
        1,
        "one error:\n{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(
        std::fs::read_to_string(p.path().join(".devctl/compose.yaml")).unwrap(),
        previous,
        "the compose file is left unchanged"
    );
    let entries: Vec<_> = std::fs::read_dir(p.path().join(".devctl"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(entries.len(), 1, "no temp file left: {entries:?}");
}

#[test]
fn bad_malformed_toml() {
    assert_bad(
        &[("devctl.toml", "[app]\nport = 8000\nserver = [\"a\",\n")],
        &[],
        indoc! {"
            error: devctl.toml:4:1: invalid TOML: invalid array (expected `]`)
             4 | 
               | ^
        "},
    );
    assert_bad(
        &[("devctl.toml", "[app\nport = 1\n")],
        &[],
        indoc! {"
            error: devctl.toml:1:5: invalid TOML: invalid table header (expected `.`, `]`)
             1 | [app
               |     ^
        "},
    );
}

#[test]
fn bad_unknown_key() {
    assert_bad(
        &[("devctl.toml", "[project]\nname = \"x\"\nwhatever = 1\n")],
        &[],
        indoc! {"
            error: devctl.toml:3:1: unknown key `whatever` in [project]; valid keys: `name`, `registry`
             3 | whatever = 1
               | ^^^^^^^^
        "},
    );
}

#[test]
fn bad_misspelt_key() {
    assert_bad(
        &[("devctl.toml", "[app]\nprot = 8000\n")],
        &[],
        indoc! {"
            error: devctl.toml:2:1: unknown key `prot` in [app]; did you mean `port`?
             2 | prot = 8000
               | ^^^^
        "},
    );
    assert_bad(
        &[(
            "devctl.toml",
            "[services.db]\nimage = \"p\"\nhelthcheck = { test = \"x\" }\n",
        )],
        &[],
        indoc! {r#"
            error: devctl.toml:3:1: unknown key `helthcheck` in [services.db]; did you mean `healthcheck`?
             3 | helthcheck = { test = "x" }
               | ^^^^^^^^^^
        "#},
    );
    assert_bad(
        &[(
            "devctl.toml",
            "[services.db]\nimage = \"p\"\nnetwork_mod = \"host\"\n",
        )],
        &[],
        indoc! {r#"
            error: devctl.toml:3:1: unknown key `network_mod` in [services.db]; did you mean `network_mode`?
             3 | network_mod = "host"
               | ^^^^^^^^^^^
        "#},
    );
}

#[test]
fn bad_wrong_type() {
    assert_bad(
        &[("devctl.toml", "[app]\nport = \"8000\"\n")],
        &[],
        indoc! {r#"
            error: devctl.toml:2:8: wrong type for `port` in [app]: invalid type: string "8000", expected a port number (1-65535)
             2 | port = "8000"
               |        ^^^^^^
        "#},
    );
    assert_bad(
        &[(
            "devctl.toml",
            "[services.db]\nimage = \"p\"\nprivileged = \"yes\"\n",
        )],
        &[],
        indoc! {r#"
            error: devctl.toml:3:14: wrong type for `privileged` in [services.db]: invalid type: string "yes", expected a boolean
             3 | privileged = "yes"
               |              ^^^^^
        "#},
    );
}

#[test]
fn bad_port_out_of_range() {
    assert_bad(
        &[("devctl.toml", "[app]\nport = 70000\n")],
        &[],
        indoc! {"
            error: devctl.toml:2:8: `port` in [app]: port 70000 is out of range (1-65535)
             2 | port = 70000
               |        ^^^^^
        "},
    );
    assert_bad(
        &[(
            "devctl.toml",
            "[services.db]\nimage = \"p\"\nports = [\"5432:99999\"]\n",
        )],
        &[],
        indoc! {r#"
            error: devctl.toml:3:10: `ports` in [services.db]: port `5432:99999` is invalid: port 99999 is out of range (1-65535) (write `[IP:][HOST:]CONTAINER[/tcp|udp]`, e.g. `5432:5432`)
             3 | ports = ["5432:99999"]
               |          ^^^^^^^^^^^^
        "#},
    );
}

#[test]
fn bad_relative_workdir() {
    assert_bad(
        &[("devctl.toml", "[app]\nworkdir = \"app\"\n")],
        &[],
        indoc! {r#"
            error: devctl.toml:2:11: `workdir` in [app]: `app` is a relative path; a container path must be absolute, e.g. `/app`
             2 | workdir = "app"
               |           ^^^^^
        "#},
    );
}

#[test]
fn bad_dotenv_line() {
    assert_bad(
        &[
            ("devctl.toml", "[services.r]\nimage = \"redis\"\n"),
            (".env", "A=1\nB=two words\n"),
        ],
        &[],
        indoc! {"
            error: .env:2:6: cannot parse this line: expected KEY=value (quote a value holding spaces or special characters)
             2 | B=two words
               |      ^
        "},
    );
}

#[test]
fn bad_unset_required_variable() {
    assert_bad(
        &[("devctl.toml", GOOD)],
        &[],
        indoc! {r#"
            error: devctl.toml:12:38: required variable `DB_PASSWORD` is not set: set DB_PASSWORD in .env
             12 | environment = { POSTGRES_PASSWORD = "${DB_PASSWORD:?set DB_PASSWORD in .env}", POSTGRES_DB = "app" }
                |                                      ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
        "#},
    );
}

#[test]
fn bad_docker_socket_without_opt_in() {
    assert_bad(
        &[(
            "devctl.toml",
            "[services.ci]\nimage = \"docker:27\"\nvolumes = [\"/var/run/docker.sock:/var/run/docker.sock\"]\n",
        )],
        &[],
        indoc! {r#"
            error: devctl.toml:3:13: service `ci` mounts the Docker socket (`/var/run/docker.sock`), which gives root on the host; set `allow_docker_socket = true` on it if that is really wanted
             3 | volumes = ["/var/run/docker.sock:/var/run/docker.sock"]
               |             ^^^^^^^^^^^^^^^^^^^^
        "#},
    );
}

#[test]
fn bad_root_app_user() {
    assert_bad(
        &[("devctl.toml", "[app]\nuser = \"root\"\n")],
        &[],
        indoc! {r#"
            error: devctl.toml:2:8: `user` in [app]: user `root` names the root user (uid 0): the user must not be root, devctl never runs a container as root; use a non-root user, e.g. `app` (created in the Dockerfile with `useradd -u "$APP_UID" app`) or a uid such as `1000`
             2 | user = "root"
               |        ^^^^^^
        "#},
    );
}

#[test]
fn idle_command_stops_within_a_second_on_sigterm() {
    use std::os::unix::process::CommandExt;
    // Its own process group, so the background `sleep` (reaped by the
    // container's init in real use) can be killed here afterwards.
    let mut child = Command::new("sh")
        .args(["-c", devctl::project::generate::IDLE_SCRIPT])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap();
    let pid = i32::try_from(child.id()).unwrap();
    struct KillGroup(i32);
    impl Drop for KillGroup {
        fn drop(&mut self) {
            // SAFETY: signalling the process group this test created.
            unsafe { libc::kill(-self.0, libc::SIGKILL) };
        }
    }
    let _cleanup = KillGroup(pid);
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(child.try_wait().unwrap().is_none(), "idles until signalled");
    let start = std::time::Instant::now();
    // SAFETY: sending a signal to our own child process.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(1),
            "still running 1s after SIGTERM"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    assert!(status.success(), "{status:?}");
}

// ---------------------------------------------------------------------------
// Messages: files that are not text, control characters, long lines, .env
// quirks, depends_on cycles (issue 11).

#[test]
fn invalid_utf8_and_nul_in_devctl_toml_and_env_name_line_and_column() {
    let p = Project::new().file("devctl.toml", b"[app]\nport = 80\nuser = \"ap\xff\"\n");
    p.devctl(&["config"])
        .status(2)
        .stderr(indoc! {r#"
            error: devctl.toml:3:11: invalid UTF-8 (byte 0xff): devctl.toml must be UTF-8 text without NUL bytes; is this a binary file, or saved in another encoding?
             3 | user = "ap
               |           ^
        "#})
        .run();
    let p = Project::new().file("devctl.toml", b"[app]\n\nport = 8\x0000\n");
    p.devctl(&["config", "--check"])
        .status(2)
        .stderr(indoc! {"
            error: devctl.toml:3:9: a NUL byte: devctl.toml must be UTF-8 text without NUL bytes; is this a binary file, or saved in another encoding?
             3 | port = 8
               |         ^
        "})
        .run();
    let p = Project::new()
        .file("devctl.toml", "[app]\n")
        .file(".env", b"A=1\nB=caf\xe9\n");
    p.devctl(&["config"])
        .status(2)
        .stderr(indoc! {"
            error: .env:2:6: invalid UTF-8 (byte 0xe9): an env file must be UTF-8 text without NUL bytes; is this a binary file, or saved in another encoding?
             2 | B=caf
               |      ^
        "})
        .run();
    // a secret's value before the bad byte is not shown
    let p = Project::new()
        .file("devctl.toml", "[app]\n")
        .file(".env", b"A=1\n\nAPI_TOKEN=hunter2\0x\n");
    let d = p
        .devctl(&["config"])
        .status(2)
        .stderr(indoc! {"
            error: .env:3:18: a NUL byte: an env file must be UTF-8 text without NUL bytes; is this a binary file, or saved in another encoding?
             3 | API_TOKEN=********
               |                  ^
        "})
        .run();
    assert!(!d.stderr().contains("hunter2"), "{}", d.stderr());
}

#[test]
fn a_dockerfile_that_is_not_text_is_named_by_config_check() {
    let toml = "[app]\ntarget = \"app\"\n";
    let p = Project::new()
        .file("devctl.toml", toml)
        .file("Dockerfile", b"FROM scratch AS app\nRUN echo \xc3\x28\n");
    p.devctl(&["config", "--check"])
        .status(2)
        .stderr(indoc! {"
            error: Dockerfile:2:10: invalid UTF-8 (byte 0xc3): a Dockerfile must be UTF-8 text without NUL bytes; is this a binary file, or saved in another encoding?
             2 | RUN echo 
               |          ^
        "})
        .run();
    // lint keeps its DL1000
    p.devctl(&["lint-dockerfile", "--no-shellcheck", "Dockerfile"])
        .status(1)
        .stdout(indoc! {"
            Dockerfile:2:10 error DL1000 invalid UTF-8 (byte 0xc3 at offset 29): a Dockerfile must be UTF-8 text; is this a binary file?
             2 | RUN echo �(
               |          ^
        "})
        .run();
    let p = Project::new()
        .file("devctl.toml", toml)
        .file("Dockerfile", b"FROM scratch AS app\n\nCOPY a\0 b\n");
    p.devctl(&["config", "--check"])
        .status(2)
        .stderr(indoc! {"
            error: Dockerfile:3:7: a NUL byte: a Dockerfile must be UTF-8 text without NUL bytes; is this a binary file, or saved in another encoding?
             3 | COPY a
               |       ^
        "})
        .run();
}

#[test]
fn control_characters_in_echoed_lines_are_escaped_and_long_lines_cut() {
    // devctl.toml: ESC/BEL/CR in a bad line never reach the terminal raw
    let p = Project::new().file("devctl.toml", "[app]\nport = \x1b]0;owned\x07\r\x1b[2J\n");
    let d = p
        .devctl(&["config"])
        .status(2)
        .stderr(indoc! {r#"
            error: devctl.toml:2:8: invalid TOML: invalid string (expected `"`, `'`)
             2 | port = \x1b]0;owned\x07\x0d\x1b[2J
               |        ^^^^
        "#})
        .run();
    let err = d.stderr();
    assert!(
        !err.contains(['\x1b', '\x07', '\r']),
        "raw control characters: {err:?}"
    );
    assert!(err.contains("\\x1b]0;owned\\x07"), "{err}");
    // .env
    let p = Project::new()
        .file("devctl.toml", "[app]\n")
        .file(".env", "A=1\nNAME=x \x1b[31mred\u{9b}\n");
    let d = p.devctl(&["config"]).status(2)
        .stderr(indoc! {"
            error: .env:2:7: cannot parse this line: expected KEY=value (quote a value holding spaces or special characters)
             2 | NAME=x \\x1b[31mred\\x9b
               |       ^
        "})
        .run();
    let err = d.stderr();
    assert!(!err.contains(['\x1b', '\u{9b}']), "{err:?}");
    assert!(err.contains(".env:2:"), "{err}");
    assert!(err.contains("\\x1b[31mred"), "{err}");
    // Dockerfile parse errors in config --check
    let p = Project::new()
        .file("devctl.toml", "[app]\ntarget = \"app\"\n")
        .file("Dockerfile", "# escape=\x1b[2J\nFROM scratch AS app\n");
    let d = p
        .devctl(&["config", "--check"])
        .status(2)
        .stderr(indoc! {"
            error: Dockerfile:1:1: invalid escape token '\\x1b[2J' does not match ` or \\
             1 | # escape=\\x1b[2J
               | ^
        "})
        .run();
    let err = d.stderr();
    assert!(!err.contains('\x1b'), "{err:?}");
    assert!(
        err.contains("Dockerfile:1:") && err.contains("\\x1b[2J"),
        "{err}"
    );
    assert!(err.contains(" 1 | # escape=\\x1b[2J"), "{err}");
    // a 20,000-character line is cut around the caret
    let long = format!("[app]\nport = 8000\nuser = \"{}\" x\n", "a".repeat(20_000));
    let p = Project::new().file("devctl.toml", long);
    let d = p
        .devctl(&["config"])
        .status(2)
        .stderr(indoc! {r#"
            error: devctl.toml:3:20011: invalid TOML: expected newline, `#`
             3 | …aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" x
               |                                                              ^
        "#})
        .run();
    let err = d.stderr();
    assert!(err.len() < 2_000, "{} bytes:\n{err}", err.len());
    let line = err.lines().find(|l| l.starts_with(" 3 | ")).unwrap();
    let caret = err
        .lines()
        .find(|l| l.trim_start().starts_with("| ") && l.contains('^'))
        .unwrap();
    assert!(line.contains('…'), "{line}");
    // in characters: the `…` mark is one character, three bytes
    let col = caret.chars().position(|c| c == '^').unwrap();
    assert_eq!(line.chars().nth(col), Some('x'), "{line}\n{caret}");
}

#[test]
fn env_with_bom_and_crlf_is_accepted_and_an_open_quote_is_blamed_where_it_opened() {
    let p = Project::new()
        .file(
            "devctl.toml",
            "[services.db]\nimage = \"postgres:${PG}\"\ncommand = \"${CMD}\"\n",
        )
        .file(".env", "\u{feff}PG=16.4\r\nCMD=\"run it\"\r\n");
    let d = p
        .devctl(&["config"])
        .env_remove("PG")
        .env_remove("CMD")
        .stdout(indoc! {"
            # generated by devctl from devctl.toml — edit devctl.toml, not this file
            services:
              db:
                image: postgres:16.4
                command: run it
                security_opt:
                - no-new-privileges:true
        "})
        .run();
    assert!(d.stdout().contains("postgres:16.4"), "{}", d.stdout());
    assert!(!d.stdout().contains('\r'), "{:?}", d.stdout());
    assert!(d.stdout().contains("run it"), "{}", d.stdout());
    let p = Project::new()
        .file("devctl.toml", "[app]\n")
        .file(".env", "A=1\nB=\"open\nC=3\nD=4\nE=5\n");
    p.devctl(&["config"])
        .status(2)
        .stderr(indoc! {r#"
            error: .env:2:3: the " quote opened here is never closed (close it, or escape a literal " with a backslash)
             2 | B="open
               |   ^
        "#})
        .run();
}

#[test]
fn depends_on_cycles_are_found_by_config_check_config_and_start() {
    let toml = "[project]\nname = \"cyc\"\n[app]\ndepends_on = [\"db\"]\n[services.db]\nimage = \"i\"\ndepends_on = { cache = {} }\n[services.cache]\nimage = \"i\"\ndepends_on = [\"app\"]\n";
    let p = Project::new().file("devctl.toml", toml);
    for args in [&["config", "--check"][..], &["config"], &["start"]] {
        p.devctl(args)
            .status(2)
            .stderr(indoc! {r#"
                error: devctl.toml:10:15: depends_on cycle: app -> db -> cache -> app; no service of it can start first: remove one of these dependencies
                 10 | depends_on = ["app"]
                    |               ^^^^^
            "#})
            .run();
    }
    assert!(!p.path().join(".devctl/compose.yaml").exists());
    let p = Project::new().file(
        "devctl.toml",
        "[services.w]\nimage = \"i\"\ndepends_on = [\"w\"]\n",
    );
    p.devctl(&["config", "--check"])
        .status(2)
        .stderr(indoc! {r#"
            error: devctl.toml:3:15: service `w` depends on itself (depends_on cycle: w -> w): remove `w` from its depends_on
             3 | depends_on = ["w"]
               |               ^^^
        "#})
        .run();
}

#[test]
fn a_service_env_file_that_is_not_text_or_does_not_parse_is_named_masked() {
    let toml = "[project]\nname = \"envf\"\n[services.w]\nimage = \"i\"\nenv_file = \"w.env\"\n";
    let p = Project::new()
        .file("devctl.toml", toml)
        .file("w.env", b"A=1\nB=\xff\n");
    p.devctl(&["ps"])
        .env("DOCKER_HOST", "unix:///nonexistent/devctl-test.sock")
        .status(2)
        .stderr(indoc! {"
            error: devctl.toml:5:1: [services.w] env_file: cannot read [TMP]/w.env: line 2, column 3: invalid UTF-8 (byte 0xff): an env file must be UTF-8 text without NUL bytes
             5 | env_file = \"w.env\"
               | ^^^^^^^^
        "})
        .run();
    let p = Project::new()
        .file("devctl.toml", toml)
        .file("w.env", "A=1\nAPI_TOKEN=hunter2 x\n");
    let d = p
        .devctl(&["ps"])
        .env("DOCKER_HOST", "unix:///nonexistent/devctl-test.sock")
        .status(2)
        .stderr(indoc! {"
            error: devctl.toml: [services.w] env_file: [TMP]/w.env:2:18: cannot parse this line: expected KEY=value (quote a value holding spaces or special characters)
             2 | API_TOKEN=********
               |                  ^
        "})
        .run();
    assert!(!d.stderr().contains("hunter2"), "{}", d.stderr());
}
