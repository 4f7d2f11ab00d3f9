//! Fuzzing (proptest) of the `.env` reader and the devctl.toml loader, and
//! of everything downstream of a config that loads (compose generation, its
//! YAML, the engine's plan of it). `DEVCTL_FUZZ_CASES` sets the number of
//! inputs per target (default 2000); each target prints how many it ran.

use std::sync::atomic::{AtomicU64, Ordering};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use super::env::{auto_start_server, parse_dotenv, Env};
use super::load::load;

fn cases() -> u32 {
    std::env::var("DEVCTL_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000)
}

fn runner() -> TestRunner {
    TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    })
}

const ENV_PIECES: &[&str] = &[
    "A=1\n",
    "export B=\"two words\"\n",
    "C='single $A'\n",
    "D=${A}x\n",
    "E=\"unterminated\n",
    "# comment\n",
    "SECRET_KEY=hunter2 x\n",
    "API_TOKEN=\"open\n",
    "AUTO_START_SERVER=yes\n",
    "AUTO_START_SERVER=maybe\n",
    "F=\n",
    "=\n",
    " \n",
    "\\",
    "\"",
    "'",
    "$",
    "${",
    "}",
    "\r\n",
    "é",
    "=",
    "x",
    " ",
    "\n",
    "#",
    "\t",
];

fn dotenv_text() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::collection::vec(proptest::sample::select(ENV_PIECES), 0..40)
            .prop_map(|v| v.concat()),
        any::<String>(),
    ]
}

#[test]
fn fuzz_dotenv_reader() {
    let ran = AtomicU64::new(0);
    runner()
        .run(&dotenv_text(), |text| {
            ran.fetch_add(1, Ordering::Relaxed);
            match parse_dotenv(&text) {
                Ok(pairs) => {
                    let env = Env::merge(pairs, Vec::new());
                    let _ = auto_start_server(env.get("AUTO_START_SERVER"));
                }
                Err(e) => {
                    let lines = text.split('\n').count();
                    prop_assert!(e.line <= lines, "line {} of {lines}", e.line);
                    prop_assert!(!e.message.is_empty());
                    // A secret-looking key's value never shows in the error.
                    if e.source_line.starts_with("SECRET_KEY=")
                        || e.source_line.starts_with("API_TOKEN=")
                    {
                        prop_assert!(e.source_line.ends_with("********"), "{:?}", e.source_line);
                    }
                }
            }
            Ok(())
        })
        .unwrap();
    eprintln!(
        "fuzz: .env reader ran {} inputs",
        ran.load(Ordering::Relaxed)
    );
}

const TOML_PIECES: &[&str] = &[
    "[project]\n",
    "[app]\n",
    "[nvm]\n",
    "[assets]\n",
    "[[assets.watch]]\n",
    "[services.db]\n",
    "[services.w]\n",
    "[volumes.v]\n",
    "[app.build_args]\n",
    "[lint]\n",
    "name = \"demo\"\n",
    "name = \"Bad Name\"\n",
    "registry = \"r.example:5000/x\"\n",
    "port = 8000\n",
    "port = 0\n",
    "port = \"${PORT}\"\n",
    "publish = \"0.0.0.0:8000\"\n",
    "user = \"app\"\n",
    "workdir = \"/app\"\n",
    "workdir = \"app\"\n",
    "target = \"app\"\n",
    "server = [\"python\", \"x\"]\n",
    "server = \"run it\"\n",
    "migrate = [\"m\"]\n",
    "image = \"busybox\"\n",
    "image = \"${IMG:?need an image}\"\n",
    "build = { context = \".\", target = \"w\" }\n",
    "command = [\"sleep\", \"1\"]\n",
    "privileged = true\n",
    "cgroup = \"private\"\n",
    "network_mode = \"host\"\n",
    "volumes = [\"/var/run/docker.sock:/var/run/docker.sock\"]\n",
    "volumes = [\"v:/data\", \"./src:/src:ro\"]\n",
    "allow_docker_socket = true\n",
    "ports = [\"8000:80\", \"127.0.0.1::90/udp\"]\n",
    "ports = [\"x\"]\n",
    "deploy = { replicas = 3 }\n",
    "depends_on = [\"db\"]\n",
    "depends_on = [\"nope\"]\n",
    "depends_on = { db = { condition = \"service_healthy\" } }\n",
    "healthcheck = { test = [\"CMD\", \"true\"], interval = \"1s\" }\n",
    "environment = { A = \"${SECRET:-x}\", B = 1 }\n",
    "env_file = \".env\"\n",
    "dir = \"volume\"\n",
    "dir = \"~/.nvm\"\n",
    "toolchain = \"system\"\n",
    "paths = [\"sass\"]\n",
    "patterns = [\"*.scss\"]\n",
    "run = \"npm run x\"\n",
    "driver = \"local\"\n",
    "driver_opts = { type = \"tmpfs\" }\n",
    "stop_grace_period = \"2s\"\n",
    "restart = \"on-failure:3\"\n",
    "$$",
    "${",
    "}",
    "\"",
    "=",
    "\n",
    "[",
    "]",
    "é",
    "x",
];

const APP_LINES: &[&str] = &[
    "port = 8000\n",
    "publish = \"0.0.0.0:8000\"\n",
    "user = \"app\"\n",
    "workdir = \"/srv\"\n",
    "target = \"app\"\n",
    "server = [\"python\", \"-m\", \"http.server\"]\n",
    "migrate = \"python manage.py migrate\"\n",
    "privileged = true\n",
    "cgroup = \"private\"\n",
    "environment = { A = \"${SECRET:-x}\", B = 1, C = \"$$HOME\" }\n",
    "volumes = [\"data:/data\", \"./logs:/logs:ro\"]\n",
    "ports = [\"9000:9000\", \"127.0.0.1::90/udp\"]\n",
    "healthcheck = { test = [\"CMD\", \"true\"], interval = \"1s\", retries = 3 }\n",
    "depends_on = { db = { condition = \"service_healthy\" } }\n",
    "security_opt = [\"seccomp=unconfined\"]\n",
    "cap_add = [\"NET_ADMIN\"]\n",
    "read_only = true\n",
    "stop_grace_period = \"2s\"\n",
    "tmpfs = \"/run\"\n",
    "extra_hosts = [\"h:1.2.3.4\"]\n",
];

const SERVICE_LINES: &[&str] = &[
    "command = [\"sleep\", \"1\"]\n",
    "entrypoint = \"/bin/sh\"\n",
    "user = \"1000:1000\"\n",
    "working_dir = \"/w\"\n",
    "init = true\n",
    "deploy = { replicas = 3 }\n",
    "restart = \"on-failure:3\"\n",
    "network_mode = \"host\"\n",
    "volumes = [\"/var/run/docker.sock:/var/run/docker.sock\"]\n",
    "allow_docker_socket = true\n",
    "ports = [\"5432\"]\n",
    "environment = [\"K=v\", \"SECRET=${SECRET}\"]\n",
    "labels = { \"com.example.x\" = \"y\" }\n",
    "healthcheck = { test = \"pg_isready\", interval = \"2s\" }\n",
    "privileged = true\n",
    "no_new_privileges = false\n",
];

/// A config assembled from lines that are valid on their own (each at most
/// once): the combinations reach generation and planning far more often.
fn structured_toml() -> impl Strategy<Value = String> {
    (
        proptest::sample::subsequence(APP_LINES, 0..APP_LINES.len()),
        proptest::sample::subsequence(SERVICE_LINES, 0..SERVICE_LINES.len()),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(app, svc, nvm, vol)| {
            let mut s = String::from("[project]\nname = \"demo\"\n[app]\n");
            s.push_str(&app.concat());
            s.push_str("[services.db]\nimage = \"${IMG}\"\n");
            s.push_str(&svc.concat());
            if nvm {
                s.push_str("[nvm]\ndir = \"~/.nvm\"\n[assets]\nbuild = \"npm run b\"\n[[assets.watch]]\nname = \"css\"\npaths = [\"sass\"]\nrun = \"x\"\n");
            }
            if vol {
                s.push_str("[volumes.data]\ndriver = \"local\"\ndriver_opts = { type = \"tmpfs\", o = \"size=1m\" }\n");
            }
            s
        })
}

fn toml_text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::collection::vec(proptest::sample::select(TOML_PIECES), 0..30)
            .prop_map(|v| v.concat()),
        3 => structured_toml(),
        1 => any::<String>(),
    ]
}

fn fuzz_env() -> Env {
    Env::merge(
        vec![
            ("PORT".into(), "8080".into()),
            ("SECRET".into(), "s3cr3t-value".into()),
            ("IMG".into(), "busybox:1".into()),
        ],
        Vec::new(),
    )
}

#[test]
fn fuzz_devctl_toml_loader() {
    let ran = AtomicU64::new(0);
    let loaded = AtomicU64::new(0);
    let env = fuzz_env();
    runner()
        .run(&toml_text(), |text| {
            ran.fetch_add(1, Ordering::Relaxed);
            match load("devctl.toml", &text, &env) {
                Err(e) => {
                    let lines = text.split('\n').count().max(1);
                    prop_assert!(
                        e.line <= lines + 1,
                        "line {} of {lines}: {}",
                        e.line,
                        e.message
                    );
                    let shown = e.to_string();
                    prop_assert!(shown.contains("devctl.toml"), "{shown}");
                    prop_assert!(!shown.contains("s3cr3t-value") || text.contains("s3cr3t-value"));
                }
                Ok(l) => {
                    loaded.fetch_add(1, Ordering::Relaxed);
                    // Downstream of a config that loads: generation and
                    // YAML never panic, and the written file reads back.
                    let g = crate::generate::generate(&crate::generate::Input {
                        config: &l.config,
                        project: "fuzz",
                        project_dir: "/src/fuzz",
                        home: "/home/u",
                        env_files: &["/src/fuzz/.env".to_string()],
                        auto_start: true,
                        host_uid: 1000,
                        host_gid: 1000,
                    });
                    // What devctl writes, its engine reads back.
                    let text = devctl_compose::yaml::to_string(&g.doc);
                    prop_assert!(text.is_ok(), "{:?}", text.err());
                    let text = text.unwrap_or_default();
                    let back = devctl_compose::parse(&text, "compose.yaml");
                    prop_assert!(back.is_ok(), "{:?}\n{text}", back.err());
                }
            }
            Ok(())
        })
        .unwrap();
    eprintln!(
        "fuzz: devctl.toml loader ran {} inputs ({} loaded and went through generation and back)",
        ran.load(Ordering::Relaxed),
        loaded.load(Ordering::Relaxed)
    );
}
