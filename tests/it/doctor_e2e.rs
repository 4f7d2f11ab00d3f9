//! `devctl doctor` against the machine's engine: every check reports, the
//! engine's version matches the docker CLI's view, and project facts (ports,
//! image uid, nvm dir, .env) are detected for real.

use serde_json::Value;

use crate::e2e_support::{ci, docker, docker_out, engine_ready, TestProject};
use crate::support::Project;

fn json(out: &str) -> Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("doctor --json: {e}\n{out}"))
}

fn check<'a>(v: &'a Value, id: &str) -> &'a Value {
    v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id} in {v:#}"))
}

fn code_matches_ok(v: &Value, code: Option<i32>) {
    let any_fail = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["status"] == "fail");
    assert_eq!(v["ok"], !any_fail);
    assert_eq!(code, Some(if any_fail { 1 } else { 0 }), "{v:#}");
    for c in v["checks"].as_array().unwrap() {
        assert_eq!(c["fix"].is_string(), c["status"] != "ok", "{c}");
    }
}

#[test]
fn doctor_reports_the_machines_engine() {
    if !engine_ready() {
        return;
    }
    let api = docker_out(&["version", "--format", "{{.Server.APIVersion}}"]);
    let driver = docker_out(&["info", "--format", "{{.Driver}}"]);
    let cgroup = docker_out(&["info", "--format", "{{.CgroupVersion}}"]);
    // Outside any project: host and engine checks only.
    let p = Project::new();
    let o = p
        .devctl(&["doctor", "--json"])
        .env_remove("DOCKER_HOST")
        .status_any()
        .stdout_any()
        .stderr_any()
        .run();
    let v = json(&o.stdout());
    code_matches_ok(&v, o.output.status.code());
    let engine = check(&v, "engine");
    assert_eq!(engine["status"], "ok", "{engine}");
    assert!(
        engine["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("API {api}")),
        "{engine}"
    );
    assert!(check(&v, "storage")["detail"]
        .as_str()
        .unwrap()
        .contains(&driver));
    assert!(check(&v, "cgroup")["detail"]
        .as_str()
        .unwrap()
        .contains(&format!("cgroup v{cgroup}")));
    for id in ["rootless", "userns", "socket", "disk", "tools", "project"] {
        check(&v, id);
    }
    // The compose v2 plugin and Debian's 1.29 (scripts/install-test-deps.sh).
    let compose = check(&v, "compose");
    let detail = compose["detail"].as_str().unwrap();
    if ci() {
        assert_eq!(compose["status"], "ok", "{compose}");
        assert!(detail.contains("docker compose 2.40.3 (v2, "), "{detail}");
        assert!(detail.contains("docker-compose 1.29.2 (v1, "), "{detail}");
    }
    assert_eq!(v["checks"].as_array().unwrap().len(), 10);

    // The tty form: one line per check, a symbol first, and the summary.
    let o = p
        .devctl(&["doctor"])
        .env_remove("DOCKER_HOST")
        .status_any()
        .stdout_any()
        .stderr_any()
        .run();
    let text = o.stdout();
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with("    fix:"))
        .collect();
    assert_eq!(lines.len(), 11, "{text}");
    for l in &lines[..10] {
        assert!(
            l.starts_with("✓ ") || l.starts_with("! ") || l.starts_with("✗ "),
            "{l}"
        );
    }
    assert!(lines[10].contains(" ok, "), "{text}");
}

#[test]
fn doctor_unreachable_engine_fails_with_a_fix() {
    let p = Project::new();
    let o = p
        .devctl(&["doctor", "--json"])
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .status_any()
        .stdout_any()
        .stderr_any()
        .run();
    let v = json(&o.stdout());
    code_matches_ok(&v, o.output.status.code());
    assert_eq!(o.output.status.code(), Some(1));
    let e = check(&v, "engine");
    assert_eq!(e["status"], "fail");
    assert!(e["detail"]
        .as_str()
        .unwrap()
        .contains("/nonexistent/docker.sock"));
    assert!(e["fix"].as_str().unwrap().contains("start the engine"));
    // Plain tcp:// is root for anyone who reaches the port.
    let o = p
        .devctl(&["doctor", "--json"])
        .env("DOCKER_HOST", "tcp://127.0.0.1:1")
        .env_remove("DOCKER_TLS_VERIFY")
        .status_any()
        .stdout_any()
        .stderr_any()
        .run();
    let v = json(&o.stdout());
    assert_eq!(check(&v, "socket")["status"], "fail");
    assert!(check(&v, "engine")["fix"]
        .as_str()
        .unwrap()
        .contains("tcp://127.0.0.1:1"));
}

#[test]
fn doctor_project_checks_ports_uid_nvm_env() {
    if !engine_ready() {
        return;
    }
    let t = TestProject::new("dr", "", "[nvm]\ndir = \"~/.nvm\"\n");
    t.write(".env", "AUTO_START_SERVER=maybe\n");
    // Before the build: port free, image not built, nvm dir missing, .env warns.
    let o = t.run(&["doctor", "--json"]);
    let v = json(&String::from_utf8_lossy(&o.stdout));
    code_matches_ok(&v, o.status.code());
    assert_eq!(check(&v, "project")["status"], "ok", "{v:#}");
    let ports = check(&v, "ports");
    assert_eq!(ports["status"], "ok");
    assert!(ports["detail"]
        .as_str()
        .unwrap()
        .contains(&format!("free: 127.0.0.1:{}", t.port)));
    assert!(check(&v, "uid")["detail"]
        .as_str()
        .unwrap()
        .contains("not built yet"));
    assert_eq!(check(&v, "nvm")["status"], "warn");
    let env = check(&v, "env");
    assert_eq!(env["status"], "warn");
    assert!(env["detail"].as_str().unwrap().contains("maybe"));
    assert_eq!(check(&v, "special")["status"], "ok");

    // A port taken by another process, an nvm dir owned by someone else.
    let nvm = t.home.path().join(".nvm");
    std::fs::create_dir_all(&nvm).unwrap();
    std::os::unix::fs::chown(&nvm, Some(4242), Some(4242)).unwrap();
    let held = std::net::TcpListener::bind(("127.0.0.1", t.port)).unwrap();
    let o = t.run(&["doctor", "--json"]);
    let v = json(&String::from_utf8_lossy(&o.stdout));
    code_matches_ok(&v, o.status.code());
    assert_eq!(o.status.code(), Some(1));
    let ports = check(&v, "ports");
    assert_eq!(ports["status"], "fail", "{ports}");
    assert!(ports["fix"].as_str().unwrap().contains("ss -ltnp"));
    let n = check(&v, "nvm");
    assert_eq!(n["status"], "fail");
    assert!(n["fix"].as_str().unwrap().contains("chown -R"));
    drop(held);
    std::os::unix::fs::chown(&nvm, Some(0), Some(0)).unwrap();

    // After start: the port is held by the project's own container (ok), and
    // the image's user uid is read from its /etc/passwd.
    t.write(".env", "AUTO_START_SERVER=true\n");
    t.ok(&["start"]);
    let o = t.run(&["doctor", "--json"]);
    let v = json(&String::from_utf8_lossy(&o.stdout));
    code_matches_ok(&v, o.status.code());
    let ports = check(&v, "ports");
    assert_eq!(ports["status"], "ok", "{ports}");
    assert!(ports["detail"]
        .as_str()
        .unwrap()
        .contains(&format!("{}-app-1", t.name)));
    let uid = check(&v, "uid");
    assert_eq!(uid["status"], "ok", "{uid}");
    assert!(
        uid["detail"].as_str().unwrap().contains("uid 1000"),
        "{uid}"
    );
    assert_eq!(check(&v, "nvm")["status"], "ok");
    assert!(check(&v, "env")["detail"]
        .as_str()
        .unwrap()
        .contains("AUTO_START_SERVER=\"true\""));
    // The passwd probe leaves no container behind.
    let left = docker_out(&["ps", "-aq", "--filter", "label=dev.devctl.doctor"]);
    assert_eq!(left, "", "probe containers left behind");
    let _ = docker(&["ps"]);
}

#[test]
fn doctor_explains_the_privileged_backend_example() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let p = Project::new();
    let o = p
        .devctl(&[
            "-C",
            root.join("compose/examples/privileged-backend")
                .to_str()
                .unwrap(),
            "doctor",
            "--json",
        ])
        .status_any()
        .stdout_any()
        .stderr_any()
        .run();
    let v = json(&o.stdout());
    code_matches_ok(&v, o.output.status.code());
    let s = check(&v, "special");
    let d = s["detail"].as_str().unwrap();
    assert!(d.contains("privileged, cgroup private"), "{d}");
    assert!(d.contains("rootful engine"), "{d}");
    assert!(d.contains("cgroup v2"), "{d}");
    assert!(d.contains("userns-remap"), "{d}");
    // The project check relays devctl.toml's warning about what privileged grants.
    assert_eq!(check(&v, "project")["status"], "warn");
}

/// Fake compose CLIs answering `version --short` with `version`.
fn fake_compose(path: &std::path::Path, version: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(
        path,
        format!("#!/bin/sh\n[ \"$1 $2\" = \"version --short\" ] || exit 3\necho {version}\n"),
    )
    .unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn doctor_says_which_compose_is_found() {
    // Issue 15: the v2 plugin (in $DOCKER_CONFIG/cli-plugins) and a
    // docker-compose on PATH, each with its version; neither is a warning,
    // never a failure (devctl does not need compose).
    let p = Project::new();
    let bin = p.path().join("bin");
    let config = p.path().join("docker-config");
    let plugin = config.join("cli-plugins/docker-compose");
    fake_compose(&bin.join("docker-compose"), "1.29.2");
    fake_compose(&plugin, "2.40.3");
    let doctor = |path: &std::path::Path, config: &std::path::Path| {
        let o = p
            .devctl(&["doctor", "--json"])
            .env("PATH", path)
            .env("DOCKER_CONFIG", config)
            .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
            .status_any()
            .stdout_any()
            .stderr_any()
            .run();
        let v = json(&o.stdout());
        check(&v, "compose").clone()
    };
    let c = doctor(&bin, &config);
    assert_eq!(c["status"], "ok", "{c}");
    assert_eq!(
        c["detail"],
        format!(
            "docker compose 2.40.3 (v2, {}); docker-compose 1.29.2 (v1, {})",
            plugin.display(),
            bin.join("docker-compose").display()
        )
    );
    // v1 alone: a warning with the v2 install as the fix
    let c = doctor(&bin, &p.path().join("empty-config"));
    assert_eq!(c["status"], "warn", "{c}");
    assert!(c["detail"]
        .as_str()
        .unwrap()
        .starts_with("docker-compose 1.29.2 (v1, "));
    assert!(c["fix"].as_str().unwrap().contains("cli-plugins"), "{c}");
    // neither (unless the machine has a system-wide plugin): a warning
    let system = [
        "/usr/local/lib/docker/cli-plugins",
        "/usr/local/libexec/docker/cli-plugins",
        "/usr/lib/docker/cli-plugins",
        "/usr/libexec/docker/cli-plugins",
    ]
    .iter()
    .any(|d| std::path::Path::new(d).join("docker-compose").is_file());
    if !system {
        let c = doctor(&p.path().join("empty-bin"), &p.path().join("empty-config"));
        assert_eq!(c["status"], "warn", "{c}");
        assert!(c["detail"].as_str().unwrap().starts_with(
            "no compose found: neither `docker compose` (v2 plugin) nor `docker-compose`"
        ));
    }
}
