//! Docker contexts (issue 13): `--context`, `DOCKER_CONTEXT` and the docker
//! CLI's current context pick the engine as the docker CLI does, against
//! the real engine.

use std::path::Path;

use crate::e2e_support::{engine_ready, FIXTURE};
use crate::support::Project;

/// A `$DOCKER_CONFIG` holding contexts (name, host) as `docker context
/// create` stores them, and `currentContext` when given.
fn docker_config(contexts: &[(&str, &str)], current: Option<&str>) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for (name, host) in contexts {
        let dir = d
            .path()
            .join("contexts/meta")
            .join(devctl_engine::context::meta_dir(name));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("meta.json"),
            format!(
                r#"{{"Name":"{name}","Metadata":{{}},"Endpoints":{{"docker":{{"Host":"{host}","SkipTLSVerify":false}}}}}}"#
            ),
        )
        .unwrap();
    }
    let config = match current {
        Some(c) => format!(r#"{{"auths":{{}},"currentContext":"{c}"}}"#),
        None => "{}".to_string(),
    };
    std::fs::write(d.path().join("config.json"), config).unwrap();
    d
}

fn project() -> Project {
    Project::new().file(
        "devctl.toml",
        format!(
            "[project]\nname = \"ctx{}\"\n[services.web]\nimage = \"{FIXTURE}\"\n",
            std::process::id()
        ),
    )
}

fn ps(p: &Project, config: &Path, env: &[(&str, &str)], args: &[&str]) -> (Option<i32>, String) {
    let mut b = p
        .devctl(&[args, &["ps"]].concat())
        .env("DOCKER_CONFIG", config)
        .env_remove("DOCKER_HOST")
        .env_remove("DOCKER_CONTEXT");
    for (k, v) in env {
        b = b.env(k, v);
    }
    let o = b.command().output().unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

const LOCAL: &str = "unix:///var/run/docker.sock";

#[test]
fn a_context_on_the_local_socket_reaches_the_engine() {
    if !engine_ready() {
        return;
    }
    let p = project();
    let dead = p.path().join("dead.sock");
    let dead = format!("unix://{}", dead.display());
    let cfg = docker_config(&[("here", LOCAL), ("gone", &dead)], Some("here"));
    // the current context of config.json, DOCKER_CONTEXT, --context
    assert_eq!(ps(&p, cfg.path(), &[], &[]), (Some(0), String::new()));
    assert_eq!(
        ps(&p, cfg.path(), &[("DOCKER_CONTEXT", "here")], &[]),
        (Some(0), String::new())
    );
    assert_eq!(
        ps(
            &p,
            cfg.path(),
            &[("DOCKER_CONTEXT", "gone")],
            &["--context", "here"]
        ),
        (Some(0), String::new())
    );
    // DOCKER_HOST wins over DOCKER_CONTEXT and the current context
    assert_eq!(
        ps(
            &p,
            cfg.path(),
            &[("DOCKER_HOST", LOCAL), ("DOCKER_CONTEXT", "gone")],
            &[]
        ),
        (Some(0), String::new())
    );
    // `default` is the default socket
    assert_eq!(
        ps(&p, cfg.path(), &[("DOCKER_CONTEXT", "default")], &[]),
        (Some(0), String::new())
    );
}

#[test]
fn a_context_on_a_dead_socket_is_unreachable_naming_it() {
    let p = project();
    let dead = p.path().join("dead.sock");
    let cfg = docker_config(&[("gone", &format!("unix://{}", dead.display()))], None);
    let (code, err) = ps(&p, cfg.path(), &[], &["--context", "gone"]);
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(
        err,
        format!(
            "error: cannot reach the Docker engine at unix://{0} (docker context `gone`) (Socket not found: {0}); run `devctl doctor` to diagnose\n",
            dead.display()
        )
    );
}

#[test]
fn an_unknown_context_is_named_with_the_known_ones() {
    let p = project();
    let cfg = docker_config(&[("here", LOCAL), ("box", "tcp://box:2375")], Some("nope"));
    let (code, err) = ps(&p, cfg.path(), &[], &[]);
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(
        err,
        "error: docker context `nope` (from the docker CLI's current context (config.json)) does not exist; the known contexts are: box, default, here. Create it with `docker context create nope --docker host=…`, or pick a known one\n"
    );
    let (code, err) = ps(&p, cfg.path(), &[("DOCKER_CONTEXT", "nah")], &[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.starts_with("error: docker context `nah` (from DOCKER_CONTEXT) does not exist"),
        "{err}"
    );
}
