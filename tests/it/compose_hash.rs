//! devctl's config hash is compose v2's (issue 15): for every service of
//! the examples, the every-key project and hand-written files in the
//! generated dialect, the hash devctl plans equals the one compose v2
//! computes from its own model of the same file (`docker compose config
//! --format json`, hashed as `ServiceHash` does by tests/it/py/compose_hash.py).
//! The engine tests show the consequence: neither tool recreates the
//! other's containers.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::compose_surface::surface_toml;
use crate::config_cli::{compose_v2_ready, example_project, manifest_dir, EXAMPLES};
use crate::support::Project;

/// compose v2's hash and hashed JSON per service of `dir/.devctl/compose.yaml`.
fn compose_hashes(dir: &Path) -> Vec<(String, String, String)> {
    let out = Command::new("docker")
        .args([
            "compose",
            "-f",
            ".devctl/compose.yaml",
            "config",
            "--format",
            "json",
        ])
        .current_dir(dir)
        .env_remove("COMPOSE_PROJECT_NAME")
        .env_remove("COMPOSE_FILE")
        .env("COMPOSE_PROFILES", "*")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "docker compose config: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut py = Command::new("python3")
        .arg(manifest_dir().join("tests/it/py/compose_hash.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    py.stdin.take().unwrap().write_all(&out.stdout).unwrap();
    let res = py.wait_with_output().unwrap();
    assert!(res.status.success());
    String::from_utf8(res.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let mut it = l.splitn(3, '\t');
            (
                it.next().unwrap().to_string(),
                it.next().unwrap().to_string(),
                it.next().unwrap().to_string(),
            )
        })
        .collect()
}

/// devctl's plan of `dir/.devctl/compose.yaml`: (service, hash, json).
fn devctl_hashes(dir: &Path) -> Vec<(String, String, String)> {
    let file = dir.join(".devctl/compose.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    let doc = devctl::engine::plan::parse(&text, &file.display().to_string()).unwrap();
    let env = std::fs::read_to_string(dir.join(".devctl/.env")).unwrap_or_default();
    let project = env
        .lines()
        .find_map(|l| l.strip_prefix("COMPOSE_PROJECT_NAME="))
        .unwrap_or("hashcheck")
        .to_string();
    let read = |p: &Path| std::fs::read_to_string(p);
    let lookup = |k: &str| std::env::var(k).ok();
    let plan = devctl::engine::plan::plan(
        &doc,
        &file,
        &devctl::engine::plan::Inputs {
            project: &project,
            read_file: &read,
            env: &lookup,
        },
    )
    .unwrap();
    plan.services
        .iter()
        .map(|s| (s.name.clone(), s.config_hash.clone(), s.hash_json.clone()))
        .collect()
}

fn assert_same(what: &str, dir: &Path) {
    let mut theirs = compose_hashes(dir);
    let mut ours = devctl_hashes(dir);
    theirs.sort();
    ours.sort();
    assert_eq!(
        ours.iter().map(|s| &s.0).collect::<Vec<_>>(),
        theirs.iter().map(|s| &s.0).collect::<Vec<_>>(),
        "{what}: services"
    );
    for (o, t) in ours.iter().zip(&theirs) {
        assert!(
            o.1 == t.1,
            "{what}: service {}: devctl's hash {} is not compose v2's {}\n devctl: {}\ncompose: {}",
            o.0,
            o.1,
            t.1,
            o.2,
            t.2
        );
    }
}

#[test]
fn every_example_service_hashes_as_compose_v2_hashes_it() {
    if !compose_v2_ready() {
        return;
    }
    for name in EXAMPLES {
        let p = example_project(name);
        p.devctl(&["-q", "config"])
            .env_remove("DB_PASSWORD")
            .stdout_any()
            .stderr_any()
            .run();
        assert_same(name, p.path());
    }
}

#[test]
fn every_supported_key_hashes_as_compose_v2_hashes_it() {
    if !compose_v2_ready() {
        return;
    }
    let p = Project::new()
        .file("devctl.toml", surface_toml("hashsurface"))
        .file("Dockerfile", crate::e2e_support::DOCKERFILE)
        .file(".env", "SURFACE_TOKEN=s3cr3t-surface-value\n")
        .file("key.txt", "keydata\n")
        .file("data/f", "in data\n");
    p.devctl(&["-q", "config"]).stdout_any().stderr_any().run();
    assert_same("the every-key project", p.path());
}

/// Files in the generated dialect with the values compose-go normalises:
/// env files merged (a key without a value is null), shell-line commands
/// split, sizes and durations, port ranges, volume options, hooks.
#[test]
fn normalised_values_hash_as_compose_v2_hashes_them() {
    if !compose_v2_ready() {
        return;
    }
    let files = [
        r#"services:
  s:
    image: x
    command: echo "a b" 'c' $$HOME
    entrypoint: ["/bin/sh", "-c"]
    env_file: [../a.env]
    environment:
      B: over
      C: null
      D: "x&y<z>"
    ports:
    - "8000:8000"
    - "127.0.0.1:9000-9001:9000-9001/udp"
    - "[::1]:7000:7000"
    - "6000"
    - "127.0.0.1:8-10:8-10"
    volumes:
    - ..:/src:ro,z
    - data:/data:nocopy
    - ../rel:/rel:rw,rshared
    - /anon
    - /tmp/y:/y:Z
    tmpfs: [/t]
    extra_hosts: ["zeta:1.1.1.1", "alpha:2.2.2.2"]
    healthcheck:
      test: ["CMD", "true"]
      interval: 90s
      timeout: 1500ms
      start_period: 1m
      retries: 3
    restart: unless-stopped
    labels:
      b: "2"
      a: "1"
    cap_add: [NET_ADMIN]
    cap_drop: [ALL]
    read_only: true
    privileged: true
    stop_signal: SIGINT
    stop_grace_period: 1h2m3.5s
    cgroup: host
    user: "1000"
    working_dir: /w
    init: false
    ulimits: {nofile: 100, core: {soft: 1, hard: 2}}
    memswap_limit: -1
    deploy:
      replicas: 2
      resources:
        limits: {memory: 64m, pids: 10}
        reservations: {memory: 32m}
      restart_policy: {condition: any, max_attempts: 2}
    network_mode: bridge
  u:
    image: y
    healthcheck:
      test: curl -f http://x/
    mem_limit: 1.5g
    cpus: 0.3
    logging: {driver: local}
    profiles: [p]
    post_start:
    - command: echo hi "there"
      user: root
      privileged: true
      working_dir: /w
      environment: {A: "1"}
  v:
    image: y
    command: []
    healthcheck:
      disable: true
    deploy:
      resources:
        limits: {cpus: "0.5"}
volumes:
  data: {}
"#,
        r#"services:
  a:
    image: x
    mac_address: "02:42:ac:11:00:99"
    mem_swappiness: 10
  b:
    image: y
    network_mode: service:a
  c:
    image: y
    network_mode: container:other
"#,
    ];
    for (i, text) in files.iter().enumerate() {
        let p = Project::new()
            .file(".devctl/compose.yaml", text)
            .file(".devctl/.env", "COMPOSE_PROJECT_NAME=hashcheck\n")
            .file("a.env", "A=1\nB=\"two words\"\n");
        assert_same(&format!("file {i}"), p.path());
    }
}
