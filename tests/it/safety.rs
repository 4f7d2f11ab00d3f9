//! Defaults that protect the user (DESIGN §8), checked on every example and
//! on purpose-built projects: nothing dangerous unless devctl.toml asks (and
//! then a warning saying what it grants), `.env` never in a build context,
//! secret values never printed by config, ps or errors.

use indoc::indoc;
use std::path::{Path, PathBuf};

use yaml_serde::Value as Yaml;

use crate::e2e_support::{engine_ready, TestProject};
use crate::support::Project;

fn examples() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("compose/examples");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("devctl.toml").is_file())
        .collect();
    v.sort();
    assert!(v.len() >= 5, "examples: {v:?}");
    v
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let t = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &t);
        } else {
            std::fs::copy(e.path(), &t).unwrap();
        }
    }
}

/// What devctl.toml asks for, per service (`app` for `[app]`).
#[derive(Debug, Default)]
struct Asked {
    privileged: bool,
    socket: bool,
    host_network: bool,
    public_port: bool,
}

fn asked(toml_text: &str) -> Vec<(String, Asked)> {
    let doc: toml::Table = toml::from_str(toml_text).unwrap();
    let mut out = Vec::new();
    let mut one = |name: &str, t: &toml::Table| {
        let b = |k: &str| t.get(k).and_then(|v| v.as_bool()).unwrap_or(false);
        let s = |k: &str| t.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
        let public_in_ports = t.get("ports").and_then(|p| p.as_array()).is_some_and(|a| {
            a.iter().any(|p| {
                let p = p.to_string();
                p.contains("0.0.0.0") || p.contains("::")
            })
        });
        out.push((
            name.to_string(),
            Asked {
                privileged: b("privileged"),
                socket: b("allow_docker_socket"),
                host_network: s("network_mode") == "host",
                public_port: s("publish").starts_with("0.0.0.0") || public_in_ports,
            },
        ));
    };
    if let Some(app) = doc.get("app").and_then(|a| a.as_table()) {
        one("app", app);
    }
    if let Some(svcs) = doc.get("services").and_then(|s| s.as_table()) {
        for (n, t) in svcs {
            if let Some(t) = t.as_table() {
                one(n, t);
            }
        }
    }
    out
}

/// `devctl config` in a copy of the example with a `.env` holding a secret.
/// Returns (dir, stdout, stderr).
fn config_of(example: &Path, secret: &str) -> (Project, String, String) {
    let tmp = Project::new();
    copy_dir(example, tmp.path());
    let mut env = std::fs::read_to_string(example.join(".env.example")).unwrap_or_default();
    env = env
        .lines()
        .map(|l| match l.split_once('=') {
            Some((k, _)) if k.contains("PASSWORD") || k.contains("SECRET") => {
                format!("{k}={secret}")
            }
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    env.push_str(&format!(
        "\nDJANGO_SECRET_KEY={secret}\nAPI_TOKEN={secret}\n"
    ));
    std::fs::write(tmp.path().join(".env"), env).unwrap();
    std::fs::create_dir_all(tmp.path().join("sub")).unwrap();
    std::fs::write(
        tmp.path().join("sub/.env"),
        format!("X_PASSWORD={secret}\n"),
    )
    .unwrap();
    // Both streams differ by example: the callers check what each must hold
    // (the compose text itself is example_snapshots' business).
    let d = tmp
        .devctl(&["config"])
        .env("HOME", tmp.path())
        .env_remove("AUTO_START_SERVER")
        .stdout_any()
        .stderr_any()
        .run();
    let (out, err) = (d.stdout(), d.stderr());
    (tmp, out, err)
}

#[test]
fn examples_grant_nothing_unless_asked_and_then_warn() {
    let secret = "Sup3r-s3cret-Value";
    for ex in examples() {
        let name = ex.file_name().unwrap().to_string_lossy().into_owned();
        let toml_text = std::fs::read_to_string(ex.join("devctl.toml")).unwrap();
        let (_tmp, out, err) = config_of(&ex, secret);
        assert!(
            !out.contains(secret),
            "{name}: config printed a secret\n{out}"
        );
        assert!(
            !err.contains(secret),
            "{name}: a warning printed a secret\n{err}"
        );
        let doc: Yaml = yaml_serde::from_str(&out).unwrap();
        let services = doc["services"].as_mapping().unwrap();
        for (svc, want) in asked(&toml_text) {
            let s = &services[&Yaml::from(svc.clone())];
            assert!(!s.is_null(), "{name}: no service {svc}");
            let privileged = s["privileged"].as_bool().unwrap_or(false);
            assert_eq!(privileged, want.privileged, "{name}/{svc}: privileged");
            if want.privileged {
                assert!(
                    err.contains(&format!("`{svc}` runs privileged"))
                        && err.contains("root on the host"),
                    "{name}/{svc}: no warning saying what privileged grants:\n{err}"
                );
            } else {
                let nnp = s["security_opt"].as_sequence().is_some_and(|v| {
                    v.iter()
                        .any(|o| o.as_str() == Some("no-new-privileges:true"))
                });
                assert!(nnp, "{name}/{svc}: no-new-privileges missing");
            }
            let volumes: Vec<String> = s["volumes"]
                .as_sequence()
                .map(|v| v.iter().map(|x| format!("{x:?}")).collect())
                .unwrap_or_default();
            let socket = volumes.iter().any(|v| v.contains("docker.sock"));
            assert_eq!(
                socket, want.socket,
                "{name}/{svc}: docker socket {volumes:?}"
            );
            if want.socket {
                assert!(
                    err.contains(&format!("`{svc}` mounts the Docker socket"))
                        && err.contains("root on the host"),
                    "{name}/{svc}: no socket warning:\n{err}"
                );
            }
            let host_net = s["network_mode"].as_str() == Some("host");
            assert_eq!(host_net, want.host_network, "{name}/{svc}: host network");
            for p in s["ports"].as_sequence().into_iter().flatten() {
                let p = match p {
                    Yaml::String(s) => s.clone(),
                    other => format!("{other:?}"),
                };
                let loopback = p.starts_with("127.0.0.1:") || p.starts_with("[::1]:");
                assert!(
                    loopback || want.public_port,
                    "{name}/{svc}: port {p} is not on 127.0.0.1 and devctl.toml did not ask"
                );
                if !loopback {
                    assert!(
                        err.contains("every network interface"),
                        "{name}/{svc}: {err}"
                    );
                }
            }
        }
        // No privileged / socket / host network warning that was not asked for.
        let any = |f: fn(&Asked) -> bool| asked(&toml_text).iter().any(|(_, a)| f(a));
        assert_eq!(
            err.contains("runs privileged"),
            any(|a| a.privileged),
            "{name}: {err}"
        );
        assert_eq!(
            err.contains("Docker socket"),
            any(|a| a.socket),
            "{name}: {err}"
        );
        assert_eq!(
            err.contains("host network"),
            any(|a| a.host_network),
            "{name}: {err}"
        );
    }
}

#[test]
fn asking_for_each_grant_gives_a_warning_naming_it() {
    let toml = r#"[project]
name = "grants"
[app]
port = 8000
publish = "0.0.0.0:8000"
[services.priv]
image = "busybox"
privileged = true
[services.hostnet]
image = "busybox"
network_mode = "host"
[services.sock]
image = "busybox"
volumes = ["/var/run/docker.sock:/var/run/docker.sock"]
allow_docker_socket = true
"#;
    let p = Project::new()
        .file("devctl.toml", toml)
        .file("Dockerfile", "FROM scratch\n");
    let d = p.devctl(&["config"])
        .stdout(indoc! {r#"
            # generated by devctl from devctl.toml — edit devctl.toml, not this file
            services:
              app:
                image: grants-app:dev
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
                ports:
                - "0.0.0.0:8000:8000"
                volumes:
                - [TMP]:/app
                security_opt:
                - no-new-privileges:true
              hostnet:
                image: busybox
                network_mode: host
                security_opt:
                - no-new-privileges:true
              priv:
                image: busybox
                privileged: true
              sock:
                image: busybox
                volumes:
                - /var/run/docker.sock:/var/run/docker.sock
                security_opt:
                - no-new-privileges:true
        "#})
        .stderr(indoc! {"
            warning: service `app` publishes port 8000 on every network interface: other machines on your network can reach it
            warning: service `hostnet` uses the host network: it shares the host's network stack, can reach every service listening on the host (localhost included) and its ports are not isolated
            warning: service `priv` runs privileged: it gets all capabilities and every host device, which is root on the host
            warning: service `sock` mounts the Docker socket (/var/run/docker.sock): it can start privileged containers and mount any host path, which is root on the host
        "})
        .run();
    let err = d.stderr();
    for w in [
        "`app` publishes port 8000 on every network interface",
        "`priv` runs privileged: it gets all capabilities",
        "`hostnet` uses the host network",
        "`sock` mounts the Docker socket",
    ] {
        assert!(err.contains(w), "missing warning {w:?}:\n{err}");
    }
    // Without the opt-in the socket mount is an error naming the key.
    let p = Project::new()
        .file(
            "devctl.toml",
            toml.replace("allow_docker_socket = true\n", ""),
        )
        .file("Dockerfile", "FROM scratch\n");
    p.devctl(&["config"])
        .status(2)
        .stderr(indoc! {r#"
            error: devctl.toml:14:13: service `sock` mounts the Docker socket (`/var/run/docker.sock`), which gives root on the host; set `allow_docker_socket = true` on it if that is really wanted
             14 | volumes = ["/var/run/docker.sock:/var/run/docker.sock"]
                |             ^^^^^^^^^^^^^^^^^^^^
        "#})
        .run();
}

#[test]
fn env_files_never_reach_a_build_context() {
    use devctl::engine::build::{context_entries, read_ignore, Private};
    let mut checked = 0;
    for ex in examples() {
        let (tmp, _out, _err) = config_of(&ex, "x-secret-x");
        let compose = tmp.path().join(".devctl/compose.yaml");
        let text = std::fs::read_to_string(&compose).unwrap();
        let toml_text = std::fs::read_to_string(ex.join("devctl.toml")).unwrap();
        let doc: toml::Table = toml::from_str(&toml_text).unwrap();
        let project = doc
            .get("project")
            .and_then(|p| p.get("name"))
            .and_then(|n| n.as_str())
            .unwrap_or("example")
            .to_string();
        let doc = devctl::engine::plan::parse(&text, &compose.display().to_string()).unwrap();
        let read = |p: &Path| std::fs::read_to_string(p);
        let env = |k: &str| std::env::var(k).ok();
        let plan = devctl::engine::plan::plan(
            &doc,
            &compose,
            &devctl::engine::plan::Inputs {
                project: &project,
                read_file: &read,
                env: &env,
            },
        )
        .unwrap();
        for svc in &plan.services {
            let Some(build) = &svc.build else { continue };
            let ig = read_ignore(build).unwrap();
            let private = Private::for_context(&build.context, &build.private);
            let entries = context_entries(&build.context, &ig, &build.dockerfile, &private)
                .unwrap()
                .entries;
            assert!(!entries.is_empty());
            for e in &entries {
                assert!(
                    !(e == ".env" || e.ends_with("/.env") || e.split('/').any(|c| c == ".devctl")),
                    "{}: service {} sends {e} to the engine",
                    ex.display(),
                    svc.name
                );
            }
            // And the tarball written from them holds no .env either.
            let mut tarball = Vec::new();
            devctl::engine::build::write_tar(&build.context, &entries, &mut tarball).unwrap();
            let mut ar = tar::Archive::new(tarball.as_slice());
            for x in ar.entries().unwrap() {
                let path = x.unwrap().path().unwrap().display().to_string();
                assert!(!path.ends_with(".env"), "{path} in the tarball");
            }
            checked += 1;
        }
    }
    assert!(checked >= 5, "build contexts checked: {checked}");
    // Even with no .dockerignore at all.
    let p = Project::new()
        .file("Dockerfile", "FROM scratch\n")
        .file(".env", "SECRET_KEY=1\n")
        .file("app.py", "");
    let ig = devctl::dockerignore::DockerIgnore::parse("");
    let entries = context_entries(p.path(), &ig, "Dockerfile", &Private::default()).unwrap();
    assert_eq!(entries.entries, ["Dockerfile", "app.py"]);
}

#[test]
fn secrets_are_not_printed_by_errors() {
    let secret = "hunter2-Very-Secret";
    // A .env line that does not parse.
    let p = Project::new()
        .file(
            "devctl.toml",
            "[project]\nname = \"s\"\n[app]\nport = 8000\n",
        )
        .file(".env", format!("A=1\nSECRET_KEY={secret} with spaces\n"));
    let d = p.devctl(&["config"]).status(2)
        .stderr(indoc! {"
            error: .env:2:31: cannot parse this line: expected KEY=value (quote a value holding spaces or special characters)
             2 | SECRET_KEY=********
               |                    ^
        "})
        .run();
    assert!(d.stderr().contains(".env:2"), "{}", d.stderr());
    assert!(!d.stderr().contains("hunter2"), "{}", d.stderr());
    // A devctl.toml value that fails its check after interpolation.
    let p = Project::new()
        .file(
            "devctl.toml",
            "[project]\nname = \"s\"\n[app]\nport = 8000\nworkdir = \"${DB_PASSWORD}\"\n",
        )
        .file(".env", format!("DB_PASSWORD={secret}\n"));
    let d = p.devctl(&["config"]).status(2)
        .stderr(indoc! {r#"
            error: devctl.toml:5:1: `workdir` in [app]: `********` is a relative path; a container path must be absolute, e.g. `/********` (after interpolating variables)
             5 | workdir = "${DB_PASSWORD}"
               | ^^^^^^^
        "#})
        .run();
    assert!(d.stderr().contains("devctl.toml:5"), "{}", d.stderr());
    assert!(!d.stderr().contains(secret), "{}", d.stderr());
    // config masks secret-looking keys and URL passwords unless --show-secrets.
    let p = Project::new()
        .file(
            "devctl.toml",
            "[project]\nname = \"s\"\n[app]\nport = 8000\nenvironment = { DJANGO_SECRET_KEY = \"${SECRET_KEY}\", DATABASE_URL = \"postgres://u:${DB_PASSWORD}@db/x\" }\n",
        )
        .file(".env", format!("SECRET_KEY={secret}\nDB_PASSWORD={secret}\n"));
    let d = p
        .devctl(&["config"])
        .stdout(indoc! {r#"
            # generated by devctl from devctl.toml — edit devctl.toml, not this file
            # secret values are shown as "********": `devctl config --show-secrets` prints them
            services:
              app:
                image: s-app:dev
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
                environment:
                  DATABASE_URL: "postgres://u:********@db/x"
                  DJANGO_SECRET_KEY: "********"
                ports:
                - "127.0.0.1:8000:8000"
                volumes:
                - [TMP]:/app
                security_opt:
                - no-new-privileges:true
        "#})
        .run();
    assert!(!d.stdout().contains(secret), "{}", d.stdout());
    assert!(d.stdout().contains("********"));
    p.devctl(&["config", "--show-secrets"])
        .stdout(indoc! {r#"
            # generated by devctl from devctl.toml — edit devctl.toml, not this file
            services:
              app:
                image: s-app:dev
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
                environment:
                  DATABASE_URL: postgres://u:hunter2-Very-Secret@db/x
                  DJANGO_SECRET_KEY: hunter2-Very-Secret
                ports:
                - "127.0.0.1:8000:8000"
                volumes:
                - [TMP]:/app
                security_opt:
                - no-new-privileges:true
        "#})
        .run()
        .stdout_has(secret);
}

#[test]
fn ps_never_prints_secrets() {
    if !engine_ready() {
        return;
    }
    let secret = "ps-Secret-Value-42";
    let t = TestProject::new("sec", "environment = { API_TOKEN = \"${API_TOKEN}\" }", "");
    t.write(
        ".env",
        &format!("API_TOKEN={secret}\nAUTO_START_SERVER=true\n"),
    );
    let (out, err) = t.ok(&["start"]);
    assert!(!out.contains(secret) && !err.contains(secret), "{out}{err}");
    // The secret did reach the container (so the check below means something).
    let (out, _) = t.ok(&["sh", "--", "sh", "-c", "echo $API_TOKEN"]);
    assert_eq!(out.trim(), secret);
    for args in [&["ps"][..], &["ps", "--json"][..], &["config"][..]] {
        let (out, err) = t.ok(args);
        assert!(
            !out.contains(secret),
            "devctl {args:?} printed the secret:\n{out}"
        );
        assert!(
            !err.contains(secret),
            "devctl {args:?} printed the secret:\n{err}"
        );
    }
}
