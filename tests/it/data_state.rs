//! Data and state (issue 11): discovery never walks past a broken
//! devctl.toml, the generated files change together or not at all, a
//! read-only project directory, and convergence after kill -9 (duplicate
//! project networks) — the last ones on the machine's engine.

use indoc::indoc;
use std::io::{Read, Write};
use std::os::unix::fs::symlink;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use crate::e2e_support::{ci, docker, docker_out, engine_ready, TestProject, FIXTURE};
use crate::support::Project;

const TOML: &str = "[project]\nname = \"parent\"\n[app]\nport = 8000\n";

/// A run whose status and output the caller checks (they differ by case).
fn devctl_in(dir: &Path, args: &[&str]) -> Output {
    crate::support::devctl_in(dir, args)
        .env_remove("DOCKER_HOST")
        .env_remove("AUTO_START_SERVER")
        .status_any()
        .stdout_any()
        .stderr_any()
        .run()
        .output
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn mkfifo(p: &Path) {
    let c = std::ffi::CString::new(p.to_str().unwrap()).unwrap();
    // SAFETY: a valid C string.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
}

type Setup = fn(&Path);

/// Each way a devctl.toml can exist without being a readable file, set up
/// in `child` (fresh): (what, setup, the words the error must use).
fn broken_configs() -> Vec<(&'static str, Setup, &'static str)> {
    vec![
        (
            "a directory",
            |c| std::fs::create_dir(c.join("devctl.toml")).unwrap(),
            "is a directory",
        ),
        (
            "a symlink to a directory",
            |c| symlink("..", c.join("devctl.toml")).unwrap(),
            "is a directory",
        ),
        (
            "a dangling symlink",
            |c| symlink("gone.toml", c.join("devctl.toml")).unwrap(),
            "dangling symlink",
        ),
        (
            "a symlink loop",
            |c| symlink("devctl.toml", c.join("devctl.toml")).unwrap(),
            "symlink loop",
        ),
        (
            "a named pipe",
            |c| mkfifo(&c.join("devctl.toml")),
            "not a regular file",
        ),
    ]
}

#[test]
fn a_broken_devctl_toml_is_an_error_never_the_parents() {
    let p = Project::new()
        .file("devctl.toml", TOML)
        .file("Dockerfile", "FROM scratch\n");
    let child = p.path().join("child");
    for (what, setup, words) in broken_configs() {
        let _ = std::fs::remove_dir_all(&child);
        std::fs::create_dir_all(child.join("deeper")).unwrap();
        setup(&child);
        // From the child, from below it, and with -C.
        for (cwd, args) in [
            (child.clone(), vec!["config", "--check"]),
            (child.join("deeper"), vec!["config"]),
            (
                p.path().to_path_buf(),
                vec!["-C", "child", "config", "--check"],
            ),
        ] {
            let o = devctl_in(&cwd, &args);
            let (out, err) = (text(&o.stdout), text(&o.stderr));
            assert_eq!(o.status.code(), Some(2), "{what} {args:?}: {out}{err}");
            assert!(
                err.contains("child/devctl.toml") && err.contains(words),
                "{what} {args:?}: the error names the file and what is wrong:\n{err}"
            );
            assert!(
                !out.contains("parent"),
                "{what}: the parent was used:\n{out}"
            );
        }
        assert!(
            !child.join(".devctl").exists() && !p.path().join(".devctl").exists(),
            "{what}: nothing is written"
        );
    }
}

#[test]
fn an_unreadable_devctl_toml_is_an_error_never_the_parents() {
    // Root reads anything: drop to `nobody` for the run. The binary is
    // linked (or copied) where `nobody` may run it.
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let base = tempfile::tempdir().unwrap();
    let base_path = base.path();
    let bin = base_path.join("devctl");
    if std::fs::hard_link(env!("CARGO_BIN_EXE_devctl"), &bin).is_err() {
        std::fs::copy(env!("CARGO_BIN_EXE_devctl"), &bin).unwrap();
    }
    let proj = base_path.join("proj");
    std::fs::create_dir_all(proj.join("child")).unwrap();
    std::fs::write(proj.join("devctl.toml"), TOML).unwrap();
    std::fs::write(proj.join("child/devctl.toml"), TOML).unwrap();
    use std::os::unix::fs::PermissionsExt;
    let mode =
        |p: &Path, m: u32| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
    for d in [base_path, &proj, &proj.join("child")] {
        mode(d, 0o755);
    }
    mode(&bin, 0o755);
    mode(&proj.join("child/devctl.toml"), 0o000);
    // A copy of the binary `nobody` may run, run as `nobody`: the builder
    // prepares it, `uid()` needs the Command.
    let mut c = crate::support::bin_in(&bin, &proj.join("child"), &["config", "--check"]).command();
    c.env("HOME", base_path).stdin(Stdio::null());
    if root {
        use std::os::unix::process::CommandExt;
        c.uid(65534).gid(65534);
    }
    let o = c.output().unwrap();
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{}{err}", text(&o.stdout));
    assert!(
        err.contains("child/devctl.toml") && err.contains("ermission denied"),
        "{err}"
    );
}

#[test]
fn down_volumes_under_a_broken_devctl_toml_keeps_the_parents_volume() {
    if !engine_ready() {
        return;
    }
    let t = TestProject::new("brk", "", "");
    let vol = format!("{}_data", t.name);
    docker_out(&[
        "volume",
        "create",
        "--label",
        &format!("com.docker.compose.project={}", t.name),
        &vol,
    ]);
    let child = t.path().join("sub");
    std::fs::create_dir(&child).unwrap();
    symlink("gone.toml", child.join("devctl.toml")).unwrap();
    let o = t
        .cmd(&["down", "--volumes"])
        .current_dir(&child)
        .output()
        .unwrap();
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("sub/devctl.toml") && err.contains("dangling"),
        "{err}"
    );
    assert!(
        docker(&["volume", "inspect", &vol]).status.success(),
        "the parent project's volume was removed"
    );
    // (the drop guard's `down --volumes` in the parent removes it)
}

#[test]
fn a_broken_env_file_is_an_error_naming_it() {
    let p = Project::new()
        .file("devctl.toml", TOML)
        .file("Dockerfile", "FROM scratch\n");
    let env = p.path().join(".env");
    std::fs::create_dir(&env).unwrap();
    p.devctl(&["config", "--check"])
        .status(2)
        .stderr("error: .env is a directory, not a file: the env file must be a readable file (or remove it)\n")
        .run();
    std::fs::remove_dir(&env).unwrap();
    // A dangling .env was silently taken as "no .env".
    symlink("secrets/real.env", &env).unwrap();
    p.devctl(&["config"])
        .status(2)
        .stderr("error: .env is a dangling symlink (it points to secrets/real.env, which does not exist): the env file must be a readable file (or remove it)\n")
        .run();
    std::fs::remove_file(&env).unwrap();
    mkfifo(&env);
    p.devctl(&["config", "--check"])
        .status(2)
        .stderr("error: .env is not a regular file (a named pipe): the env file must be a readable file (or remove it)\n")
        .run();
    std::fs::remove_file(&env).unwrap();
    symlink("gone.env", p.path().join("prod.env")).unwrap();
    p.devctl(&["config", "--env-file", "prod.env"])
        .status(2)
        .stderr("error: prod.env is a dangling symlink (it points to gone.env, which does not exist): the env file must be a readable file\n")
        .run();
    assert!(!p.path().join(".devctl").exists(), "nothing is written");
}

/// `devctl config` in `dir`, with RLIMIT_FSIZE `limit` (bytes) when given.
fn config_limited(dir: &Path, limit: Option<u64>) -> Output {
    // The builder prepares it; the rlimit needs the Command.
    let mut c = crate::support::devctl_in(dir, &["config"]).command();
    c.stdin(Stdio::null());
    if let Some(limit) = limit {
        use std::os::unix::process::CommandExt;
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            c.pre_exec(move || {
                libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
                let r = libc::rlimit {
                    rlim_cur: limit,
                    rlim_max: limit,
                };
                if libc::setrlimit(libc::RLIMIT_FSIZE, &r) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    c.output().unwrap()
}

fn toml_named(name: &str, services: usize) -> String {
    let mut t = format!("[project]\nname = \"{name}\"\n[app]\nport = 8000\n");
    for i in 0..services {
        t.push_str(&format!(
            "[services.s{i}]\nimage = \"busybox:1.36\"\ncommand = [\"sh\", \"-c\", \"echo {}\"]\n",
            "x".repeat(40)
        ));
    }
    t
}

fn side_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp.") || n.contains(".bak."))
        .collect()
}

#[test]
fn generated_files_stay_together_when_the_compose_file_cannot_be_written() {
    let p = Project::new()
        .file("devctl.toml", toml_named("one", 0))
        .file("Dockerfile", "FROM scratch\n");
    let o = config_limited(p.path(), None);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let (env, compose) = (
        p.path().join(".devctl/.env"),
        p.path().join(".devctl/compose.yaml"),
    );
    let (env_old, compose_old) = (
        std::fs::read(&env).unwrap(),
        std::fs::read(&compose).unwrap(),
    );
    assert!(text(&env_old).contains("one"));
    // Renamed project (a new .env) and a compose file too big to write.
    std::fs::write(p.path().join("devctl.toml"), toml_named("two", 10)).unwrap();
    let o = config_limited(p.path(), Some(256));
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("compose.yaml"), "{err}");
    assert_eq!(
        text(&std::fs::read(&env).unwrap()),
        text(&env_old),
        "the .env changed without its compose file"
    );
    assert_eq!(std::fs::read(&compose).unwrap(), compose_old);
    assert_eq!(side_files(&p.path().join(".devctl")), Vec::<String>::new());
}

#[test]
fn generated_files_stay_together_when_the_compose_file_cannot_be_replaced() {
    let p = Project::new()
        .file("devctl.toml", toml_named("one", 0))
        .file("Dockerfile", "FROM scratch\n");
    p.devctl(&["config"])
        .stdout(indoc! {r#"
            # generated by devctl from devctl.toml — edit devctl.toml, not this file
            services:
              app:
                image: one-app:dev
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
                - "127.0.0.1:8000:8000"
                volumes:
                - [TMP]:/app
                security_opt:
                - no-new-privileges:true
        "#})
        .run();
    let (env, compose) = (
        p.path().join(".devctl/.env"),
        p.path().join(".devctl/compose.yaml"),
    );
    let env_old = std::fs::read(&env).unwrap();
    // A (non-empty) directory in the way of compose.yaml: its rename fails
    // after the .env's could have been done.
    std::fs::remove_file(&compose).unwrap();
    std::fs::create_dir(&compose).unwrap();
    std::fs::write(compose.join("keep"), "x").unwrap();
    std::fs::write(p.path().join("devctl.toml"), toml_named("two", 0)).unwrap();
    p.devctl(&["config"])
        .status(1)
        .stderr("error: cannot replace [TMP]/.devctl/compose.yaml: Is a directory (os error 21)\n")
        .run();
    assert_eq!(
        text(&std::fs::read(&env).unwrap()),
        text(&env_old),
        "the .env changed without its compose file"
    );
    assert!(compose.join("keep").exists());
    assert_eq!(side_files(&p.path().join(".devctl")), Vec::<String>::new());
    // Out of the way, both are written.
    std::fs::remove_dir_all(&compose).unwrap();
    p.devctl(&["config"])
        .stdout(indoc! {r#"
            # generated by devctl from devctl.toml — edit devctl.toml, not this file
            services:
              app:
                image: two-app:dev
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
                - "127.0.0.1:8000:8000"
                volumes:
                - [TMP]:/app
                security_opt:
                - no-new-privileges:true
        "#})
        .run();
    assert!(text(&std::fs::read(&env).unwrap()).contains("two"));
}

/// A read-only bind mount of `src` at `dst` (root only), unmounted on drop.
struct RoMount(PathBuf);

impl RoMount {
    /// None when mounting is impossible here and that is allowed (not
    /// root, not CI); panics otherwise.
    fn new(src: &Path, dst: &Path) -> Option<RoMount> {
        let run = |args: &[&str], p: &[&Path]| {
            Command::new("mount")
                .args(args)
                .args(p)
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        std::fs::create_dir_all(dst).unwrap();
        let mounted = run(&["--bind"], &[src, dst]);
        let m = mounted.then(|| RoMount(dst.to_path_buf()));
        let ro = mounted && run(&["-o", "remount,bind,ro"], &[dst]);
        if ro {
            return m;
        }
        drop(m);
        // SAFETY: geteuid has no preconditions.
        if ci() || unsafe { libc::geteuid() } == 0 {
            panic!("cannot make a read-only bind mount at {}", dst.display());
        }
        eprintln!("skipping: not root, so no read-only bind mount");
        None
    }
}

impl Drop for RoMount {
    fn drop(&mut self) {
        let ok = Command::new("umount")
            .arg(&self.0)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        }
    }
}

#[test]
fn read_only_project_checks_and_refuses_writes_naming_the_path() {
    let p = Project::new()
        .file("devctl.toml", TOML)
        .file("Dockerfile", "FROM scratch\nUSER app\n");
    let view = tempfile::tempdir().unwrap();
    let ro = view.path().join("ro");
    let Some(_m) = RoMount::new(p.path(), &ro) else {
        return;
    };
    assert!(
        std::fs::write(ro.join("probe"), "x").is_err(),
        "the mount is not read-only"
    );
    let o = devctl_in(&ro, &["config", "--check"]);
    let (out, err) = (text(&o.stdout), text(&o.stderr));
    assert_eq!(o.status.code(), Some(0), "{out}{err}");
    assert!(out.contains("ok"), "{out}");
    assert!(
        err.contains("note:") && err.contains("compose.yaml"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "one note: {err}");
    for cmd in [&["config"][..], &["build"], &["start"]] {
        let o = devctl_in(&ro, cmd);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{cmd:?}: {err}");
        assert!(
            err.contains(&format!("{}/.devctl", ro.display())) && err.contains("read-only"),
            "{cmd:?}: the error names the path and says why: {err}"
        );
    }
}

#[test]
fn read_only_project_ps_logs_stop_down_work() {
    if !engine_ready() {
        return;
    }
    let t = TestProject::new("rdo", "", "");
    t.write(".env", "AUTO_START_SERVER=true\n");
    t.ok(&["start"]);
    let view = tempfile::tempdir().unwrap();
    let ro = view.path().join("ro");
    let Some(_m) = RoMount::new(t.path(), &ro) else {
        return;
    };
    let run = |args: &[&str]| -> (Option<i32>, String, String) {
        let o = t.cmd(args).current_dir(&ro).output().unwrap();
        (o.status.code(), text(&o.stdout), text(&o.stderr))
    };
    let app = format!("{}-app-1", t.name);
    let (code, out, err) = run(&["ps"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains(&app), "{out}");
    let (code, _, err) = run(&["logs"]);
    assert_eq!(code, Some(0), "{err}");
    let (code, _, err) = run(&["start"]);
    assert_eq!(code, Some(1), "start must write .devctl/: {err}");
    assert!(
        err.contains(".devctl") && err.contains("read-only"),
        "{err}"
    );
    let (code, _, err) = run(&["sh", "--", "true"]);
    assert_eq!(code, Some(0), "{err}");
    let (code, _, err) = run(&["stop"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        docker_out(&["inspect", "-f", "{{.State.Running}}", &app]),
        "false"
    );
    let (code, _, err) = run(&["down"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains("note:") && err.contains("locking") && err.contains("engine.lock"),
        "the lock's fallback is noted: {err}"
    );
    assert_eq!(t.containers(), Vec::<String>::new(), "{err}");
}

/// One raw request to the local engine (the docker CLI refuses to create
/// a second network of the same name; the API, with CheckDuplicate off,
/// does not).
fn engine_api(method: &str, path: &str, body: &str) -> (u16, String) {
    let mut s = UnixStream::connect("/var/run/docker.sock").unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.0\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let code = out
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = out.split_once("\r\n\r\n").map(|x| x.1).unwrap_or("");
    (code, body.to_string())
}

fn create_network_raw(name: &str, labels: &[(&str, &str)]) -> String {
    let labels = labels
        .iter()
        .map(|(k, v)| format!("\"{k}\":\"{v}\""))
        .collect::<Vec<_>>()
        .join(",");
    let (code, body) = engine_api(
        "POST",
        "/networks/create",
        &format!(
            r#"{{"Name":"{name}","CheckDuplicate":false,"Driver":"bridge","Labels":{{{labels}}}}}"#
        ),
    );
    assert_eq!(code, 201, "{body}");
    body.split("\"Id\":\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_string()
}

/// Full ids of the networks named exactly `name`.
fn networks_named(name: &str) -> Vec<String> {
    docker_out(&[
        "network",
        "ls",
        "--no-trunc",
        "--format",
        "{{.ID}} {{.Name}}",
    ])
    .lines()
    .filter_map(|l| l.split_once(' '))
    .filter(|(_, n)| *n == name)
    .map(|(id, _)| id.to_string())
    .collect()
}

/// Network ids a container is attached to.
fn attached(container: &str) -> Vec<String> {
    docker_out(&[
        "inspect",
        "-f",
        "{{range .NetworkSettings.Networks}}{{.NetworkID}} {{end}}",
        container,
    ])
    .split_whitespace()
    .map(str::to_string)
    .collect()
}

/// Removes the project's containers and every network of its name (the
/// duplicates `down` does not know of).
struct NetGuard(String);

impl Drop for NetGuard {
    fn drop(&mut self) {
        let label = format!("label=com.docker.compose.project={}", self.0);
        let ids = docker(&["ps", "-aq", "--filter", &label]);
        for id in text(&ids.stdout).split_whitespace() {
            let _ = docker(&["rm", "-f", id]);
        }
        for id in networks_named(&format!("{}_default", self.0)) {
            let _ = docker(&["network", "rm", &id]);
        }
    }
}

#[test]
fn duplicate_project_networks_are_repaired_by_start() {
    if !engine_ready() {
        return;
    }
    let t = TestProject::new("dupnet", "", "");
    let _g = NetGuard(t.name.clone());
    let net = format!("{}_default", t.name);
    let labels = [
        ("com.docker.compose.project", t.name.as_str()),
        ("com.docker.compose.network", "default"),
    ];
    let stray = create_network_raw(&net, &[]);
    let ours = create_network_raw(&net, &labels);
    assert_eq!(networks_named(&net).len(), 2);
    let (_, err) = t.ok(&["start"]);
    assert_eq!(
        networks_named(&net),
        [ours.as_str()],
        "stray {stray}: {err}"
    );
    let app = format!("{}-app-1", t.name);
    assert_eq!(attached(&app), [ours.as_str()]);

    // A labelled duplicate appearing later (a killed start's create landing
    // late) goes; the network with the containers stays and nothing is
    // recreated.
    let late = create_network_raw(&net, &labels);
    let (_, err) = t.ok(&["start"]);
    assert_eq!(networks_named(&net), [ours.as_str()], "late {late}: {err}");
    assert!(
        !err.contains("Recreated") && !err.contains("Created"),
        "{err}"
    );
    assert_eq!(attached(&app), [ours.as_str()]);

    // A container cut off its network (created but never connected) is
    // recreated on it.
    docker_out(&["network", "disconnect", &ours, &app]);
    let (_, err) = t.ok(&["start"]);
    assert!(err.contains("Recreated"), "{err}");
    assert_eq!(attached(&app), [ours.as_str()]);
    assert_eq!(
        docker_out(&["inspect", "-f", "{{.State.Running}}", &app]),
        "true"
    );
}

#[test]
fn start_killed_at_any_moment_is_repaired_by_the_next_start() {
    if !engine_ready() {
        return;
    }
    let t = TestProject::new(
        "k9",
        "",
        &format!(
            "\n[services.worker]\nimage = \"{FIXTURE}\"\ncommand = [\"sleep\", \"1000\"]\ninit = true\ndeploy = {{ replicas = 2 }}\n"
        ),
    );
    let _g = NetGuard(t.name.clone());
    t.ok(&["build"]);
    let net = format!("{}_default", t.name);
    let expected = vec![
        format!("{}-app-1", t.name),
        format!("{}-worker-1", t.name),
        format!("{}-worker-2", t.name),
    ];
    for delay in [0u64, 5, 10, 15, 20, 30, 45, 60, 90, 130, 200] {
        // From nothing, so that the kill can land while the network is made.
        let o = t.run(&["down"]);
        assert!(o.status.success(), "{}", text(&o.stderr));
        let mut child = t
            .cmd(&["start"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let o = t.run(&["start"]);
        let err = text(&o.stderr);
        assert!(o.status.success(), "killed after {delay} ms, then: {err}");
        let nets = networks_named(&net);
        assert_eq!(nets.len(), 1, "killed after {delay} ms: {nets:?}\n{err}");
        assert_eq!(t.containers(), expected, "killed after {delay} ms\n{err}");
        for c in &expected {
            assert_eq!(
                docker_out(&["inspect", "-f", "{{.State.Running}}", c]),
                "true",
                "killed after {delay} ms: {c}\n{err}"
            );
            assert_eq!(attached(c), nets, "killed after {delay} ms: {c}\n{err}");
        }
    }
}
