//! One-off containers (`devctl run`), `restart`, `sh`'s exec flags,
//! compose profiles and `oneoff = true` tasks against the real engine
//! (busybox fixture).

use std::time::{Duration, Instant};

use crate::e2e_support::{docker, docker_out, engine_ready, TestProject, FIXTURE};

fn services() -> String {
    format!(
        r#"
[services.db]
image = "{FIXTURE}"
command = ["sleep", "1000"]
init = true

[services.tool]
image = "{FIXTURE}"
command = ["echo", "the service's command"]
init = true
working_dir = "/srv"
ports = ["127.0.0.1:{{TOOL_PORT}}:80"]
depends_on = ["db"]

[services.lone]
image = "{FIXTURE}"
command = ["sleep", "1000"]
init = true
deploy = {{ replicas = 2 }}

[services.upd]
image = "{FIXTURE}"
command = ["sleep", "1000"]
init = true
profiles = ["update"]

[tasks.once]
oneoff = true
service = "lone"
run = "echo \"once $$ONE_VAR $(id -u)\"; exit 4"
env = {{ ONE_VAR = "from-task" }}

[tasks.hang]
oneoff = true
service = "lone"
run = ["sleep", "322"]
"#
    )
}

fn project(tag: &str) -> TestProject {
    let port = crate::e2e_support::free_port();
    TestProject::new(
        tag,
        "",
        &services().replace("{TOOL_PORT}", &port.to_string()),
    )
}

/// The project's one-off containers: (name, slug label).
fn oneoffs(t: &TestProject) -> Vec<(String, String)> {
    let out = docker_out(&[
        "ps",
        "-a",
        "--filter",
        &format!("label=com.docker.compose.project={}", t.name),
        "--filter",
        "label=com.docker.compose.oneoff=True",
        "--format",
        "{{.Names}} {{.Label \"com.docker.compose.slug\"}}",
    ]);
    out.lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(n, s)| (n.to_string(), s.to_string()))
        .collect()
}

#[test]
fn run_rm_passes_options_and_the_exit_code_and_leaves_no_container() {
    if !engine_ready() {
        return;
    }
    let t = project("runrm");
    let (out, err) = t.ok(&[
        "run",
        "--rm",
        "-e",
        "A=from-e",
        "-u",
        "1234",
        "-w",
        "/tmp",
        "tool",
        "sh",
        "-c",
        "echo \"$A $(id -u) $(pwd)\"",
    ]);
    assert_eq!(out, "from-e 1234 /tmp\n", "{err}");
    // the dependency was started first, the one-off is gone
    assert!(
        t.containers().contains(&format!("{}-db-1", t.name)),
        "{err}"
    );
    assert!(oneoffs(&t).is_empty(), "{:?}", oneoffs(&t));
    // the service's command, user and workdir when not overridden
    let (out, _) = t.ok(&["run", "--rm", "--no-deps", "tool"]);
    assert_eq!(out, "the service's command\n");
    let (out, _) = t.ok(&["run", "--rm", "tool", "pwd"]);
    assert_eq!(out, "/srv\n");
    // a failure: its exit code, and still removed
    t.code(&["run", "--rm", "tool", "sh", "-c", "echo out; exit 3"], 3);
    assert!(oneoffs(&t).is_empty(), "{:?}", oneoffs(&t));
    // --entrypoint replaces the image's entrypoint (and the service's command)
    let (out, _) = t.ok(&["run", "--rm", "--entrypoint", "echo via-entrypoint", "tool"]);
    assert_eq!(out, "via-entrypoint\n");
    // stdin reaches the command
    let mut c = t.cmd(&["run", "--rm", "-T", "tool", "cat"]);
    c.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    {
        use std::io::Write;
        let mut i = child.stdin.take().unwrap();
        i.write_all(b"piped in\n").unwrap();
    }
    let o = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&o.stdout), "piped in\n");
    assert!(oneoffs(&t).is_empty(), "{:?}", oneoffs(&t));
}

#[test]
fn a_kept_one_off_is_named_and_labelled_as_compose_does_and_down_removes_it() {
    if !engine_ready() {
        return;
    }
    let t = project("runkeep");
    t.ok(&["run", "--no-deps", "tool", "true"]);
    let left = oneoffs(&t);
    assert_eq!(left.len(), 1, "{left:?}");
    let (name, slug) = &left[0];
    assert_eq!(slug.len(), 64, "{slug}");
    assert!(slug.chars().all(|c| c.is_ascii_hexdigit()), "{slug}");
    assert_eq!(*name, format!("{}-tool-run-{}", t.name, &slug[..12]));
    // not published without --service-ports
    let ports = docker_out(&["inspect", "-f", "{{json .HostConfig.PortBindings}}", name]);
    assert!(!ports.contains("HostPort"), "{ports}");
    // docker compose sees it as its own one-off
    let o = docker(&[
        "compose",
        "--project-directory",
        &t.path().join(".devctl").display().to_string(),
        "-f",
        &t.path().join(".devctl/compose.yaml").display().to_string(),
        "ps",
        "-a",
        "--format",
        "{{.Name}} {{.Service}}",
    ]);
    let listed = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        listed.contains(&format!("{name} tool")),
        "{listed}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // ps lists it (as `docker compose ps -a` does); start leaves it alone
    let (ps, _) = t.ok(&["ps"]);
    assert!(ps.contains(name.as_str()), "{ps}");
    // (converge of the same service: the one-off is not one of its replicas)
    t.ok(&["start", "--no-wait", "tool"]);
    assert_eq!(oneoffs(&t).len(), 1);
    assert!(t.containers().contains(&format!("{}-tool-1", t.name)));
    // --service-ports publishes the service's ports
    t.ok(&["run", "--no-deps", "--service-ports", "tool", "true"]);
    let published: Vec<String> = oneoffs(&t)
        .into_iter()
        .map(|(n, _)| docker_out(&["inspect", "-f", "{{json .HostConfig.PortBindings}}", &n]))
        .collect();
    assert!(
        published.iter().any(|p| p.contains("HostPort")),
        "{published:?}"
    );
    t.ok(&["down"]);
    assert!(oneoffs(&t).is_empty(), "{:?}", oneoffs(&t));
}

/// Sends SIGINT to a `devctl` child once `ready` holds; returns its exit code.
fn interrupt_when(child: std::process::Child, ready: impl Fn() -> bool) -> (Option<i32>, String) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ready() {
        assert!(Instant::now() < deadline, "never got ready");
        std::thread::sleep(Duration::from_millis(100));
    }
    let st = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let o = child.wait_with_output().unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn running_oneoff(t: &TestProject, what: &str) -> bool {
    docker_out(&[
        "ps",
        "--filter",
        &format!("label=com.docker.compose.project={}", t.name),
        "--filter",
        "label=com.docker.compose.oneoff=True",
        "--format",
        "{{.Command}}",
    ])
    .contains(what)
}

#[test]
fn run_rm_removes_the_container_after_ctrl_c() {
    if !engine_ready() {
        return;
    }
    let t = project("runint");
    let child = t
        .cmd(&["run", "--rm", "--no-deps", "tool", "sleep", "321"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let (code, err) = interrupt_when(child, || running_oneoff(&t, "sleep 321"));
    assert_eq!(code, Some(130), "{err}");
    assert!(oneoffs(&t).is_empty(), "{:?}", oneoffs(&t));
}

#[test]
fn oneoff_tasks_run_in_a_fresh_container_that_is_removed() {
    if !engine_ready() {
        return;
    }
    let t = project("runtask");
    // nothing runs: the task gets its own container, its env, its code
    let (out, err) = t.code(&["once"], 4);
    assert_eq!(out, "once from-task 0\n", "{err}");
    assert!(oneoffs(&t).is_empty(), "{:?}", oneoffs(&t));
    assert!(!t.containers().iter().any(|c| c.ends_with("-lone-1")));
    let (out, _) = t.ok(&["--dry-run", "once"]);
    assert!(
        out.contains("in a one-off container of service lone"),
        "{out}"
    );
    // Ctrl-C: removed too
    let child = t
        .cmd(&["hang"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let (code, err) = interrupt_when(child, || running_oneoff(&t, "sleep 322"));
    assert_eq!(code, Some(130), "{err}");
    assert!(oneoffs(&t).is_empty(), "{:?}", oneoffs(&t));
}

#[test]
fn profiled_services_start_only_when_active_or_named() {
    if !engine_ready() {
        return;
    }
    let t = project("prof");
    let upd = format!("{}-upd-1", t.name);
    let db = format!("{}-db-1", t.name);
    t.ok(&["start", "--no-wait", "db", "lone"]);
    t.ok(&["start", "--no-wait"]);
    let have = t.containers();
    assert!(have.contains(&db) && !have.contains(&upd), "{have:?}");
    t.ok(&["--profile", "update", "start", "--no-wait", "lone"]);
    assert!(!t.containers().contains(&upd), "only lone was named");
    t.ok(&["--profile", "update", "start", "--no-wait"]);
    assert!(t.containers().contains(&upd));
    // ps and stop see it without the profile; a plain start keeps it
    let (ps, _) = t.ok(&["ps"]);
    assert!(ps.contains(&upd), "{ps}");
    t.ok(&["stop", "upd"]);
    t.ok(&["down"]);
    let mut c = t.cmd(&["start", "--no-wait"]);
    c.env("COMPOSE_PROFILES", "other,update");
    let o = c.output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(t.containers().contains(&upd));
    t.ok(&["down"]);
    t.ok(&["start", "--no-wait", "upd"]);
    assert_eq!(t.containers(), std::slice::from_ref(&upd));
    // run names it too
    let (out, _) = t.ok(&["run", "--rm", "upd", "echo", "ran"]);
    assert_eq!(out, "ran\n");
}

#[test]
fn restart_restarts_and_sh_takes_exec_flags() {
    if !engine_ready() {
        return;
    }
    let t = project("restart");
    t.ok(&["start", "--no-wait", "lone", "db"]);
    let started = |c: &str| docker_out(&["inspect", "-f", "{{.State.StartedAt}}", c]);
    let (l1, l2, db) = (
        format!("{}-lone-1", t.name),
        format!("{}-lone-2", t.name),
        format!("{}-db-1", t.name),
    );
    let (b1, b2, bdb) = (started(&l1), started(&l2), started(&db));
    let (_, err) = t.ok(&["restart", "lone"]);
    assert!(err.contains(&format!("Container {l1}  Restarted")), "{err}");
    assert_ne!(started(&l1), b1);
    assert_ne!(started(&l2), b2);
    assert_eq!(started(&db), bdb, "db was not named");
    t.code(&["restart", "nope"], 2);
    // sh: -e, -u, -w, -T, --index
    let (out, _) = t.ok(&[
        "sh",
        "-T",
        "-e",
        "A=1",
        "-e",
        "B=two",
        "-u",
        "1234",
        "-w",
        "/tmp",
        "lone",
        "--",
        "sh",
        "-c",
        "echo \"$A $B $(id -u) $(pwd)\"",
    ]);
    assert_eq!(out, "1 two 1234 /tmp\n");
    let host = |c: &str| docker_out(&["inspect", "-f", "{{.Config.Hostname}}", c]);
    let (out, _) = t.ok(&["sh", "--index", "2", "lone", "--", "hostname"]);
    assert_eq!(out.trim(), host(&l2).trim());
    let (out, _) = t.ok(&["sh", "lone", "--", "hostname"]);
    assert_eq!(out.trim(), host(&l1).trim());
    let (_, err) = t.code(&["sh", "--index", "3", "lone", "--", "true"], 1);
    assert!(err.contains("replica 3"), "{err}");
}

#[test]
fn run_passes_a_terminal_unless_dash_t() {
    if !engine_ready() {
        return;
    }
    let t = project("runtty");
    let check = "if [ -t 0 ] && [ -t 1 ]; then echo tty-yes; else echo tty-no; fi; exit 5";
    let (out, _) = t.code(&["run", "--rm", "--no-deps", "tool", "sh", "-c", check], 5);
    assert_eq!(out, "tty-no\n");
    // under a pseudo-terminal: a TTY, unless -T
    let script = r#"
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
buf = b""
while True:
    try:
        d = os.read(fd, 1024)
    except OSError:
        break
    if not d:
        break
    buf += d
_, st = os.waitpid(pid, 0)
sys.stdout.write(buf.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(st))
"#;
    for (flag, want) in [(None, "tty-yes"), (Some("-T"), "tty-no")] {
        let mut args = vec![env!("CARGO_BIN_EXE_devctl"), "run", "--rm", "--no-deps"];
        args.extend(flag);
        args.extend(["tool", "sh", "-c", check]);
        let o = std::process::Command::new("python3")
            .arg("-c")
            .arg(script)
            .args(&args)
            .current_dir(t.path())
            .env("HOME", t.home.path())
            .env_remove("DOCKER_HOST")
            .output()
            .expect("python3 runs");
        let out = String::from_utf8_lossy(&o.stdout);
        assert_eq!(o.status.code(), Some(5), "{flag:?}: {out}");
        assert!(out.contains(want), "{flag:?}: {out}");
    }
    assert!(oneoffs(&t).is_empty(), "{:?}", oneoffs(&t));
}

#[test]
fn a_dependency_on_a_disabled_profiled_service_is_refused_as_compose_does() {
    if !engine_ready() {
        return;
    }
    let t = TestProject::new(
        "profdep",
        "",
        &format!(
            r#"
[services.upd]
image = "{FIXTURE}"
command = ["sleep", "1000"]
init = true
profiles = ["update"]

[services.web]
image = "{FIXTURE}"
command = ["sleep", "1000"]
init = true
depends_on = ["upd"]
"#
        ),
    );
    let (_, err) = t.code(&["start", "--no-wait", "app"], 2);
    assert!(
        err.contains("error: service \"web\" depends on service \"upd\", which is not enabled: its profiles are update; activate one (`--profile update` or COMPOSE_PROFILES), or name upd on the command line\n"),
        "{err}"
    );
    assert!(t.containers().is_empty(), "{:?}", t.containers());
    // docker compose rejects the same file
    let compose = |extra: &[&str]| {
        let dir = t.path().join(".devctl");
        let file = dir.join("compose.yaml");
        let mut args = vec![
            "compose".to_string(),
            "--project-directory".to_string(),
            dir.display().to_string(),
            "-f".to_string(),
            file.display().to_string(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        docker(&args)
    };
    let o = compose(&["config", "--quiet"]);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("depends on undefined service"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(compose(&["--profile", "update", "config", "--quiet"])
        .status
        .success());
    // ps does not care; with the profile, web starts after upd
    t.ok(&["ps"]);
    t.ok(&["--profile", "update", "start", "--no-wait", "web"]);
    let have = t.containers();
    assert_eq!(
        have,
        [format!("{}-upd-1", t.name), format!("{}-web-1", t.name)]
    );
}

#[test]
fn stop_and_restart_leave_a_running_one_off_alone_and_down_removes_it() {
    if !engine_ready() {
        return;
    }
    let t = project("runstop");
    let child = t
        .cmd(&["run", "--rm", "--no-deps", "tool", "sleep", "324"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !running_oneoff(&t, "sleep 324") {
        assert!(Instant::now() < deadline, "never got ready");
        std::thread::sleep(Duration::from_millis(100));
    }
    let (name, _) = oneoffs(&t).remove(0);
    let started = || docker_out(&["inspect", "-f", "{{.State.StartedAt}}", &name]);
    let before = started();
    t.ok(&["stop"]);
    t.ok(&["restart", "tool"]);
    assert!(running_oneoff(&t, "sleep 324"));
    assert_eq!(started(), before);
    t.ok(&["down"]);
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    // down stops it (SIGTERM: the command's 143) and removes it; when the
    // removal wins the race to the exit code, devctl says so
    match o.status.code() {
        Some(143) => {}
        Some(1) => assert!(err.contains("was removed while it ran"), "{err}"),
        other => panic!("exit {other:?}: {err}"),
    }
    assert!(oneoffs(&t).is_empty());
}

#[test]
fn run_in_the_app_builds_its_image_and_runs_as_its_user_in_its_workdir() {
    if !engine_ready() {
        return;
    }
    let t = project("runapp");
    // nothing built, nothing running: the image is built first
    let (out, err) = t.ok(&["run", "--rm", "--no-deps", "app", "sh", "-c", "id -un; pwd"]);
    assert_eq!(out, "app\n/app\n", "{err}");
    assert!(oneoffs(&t).is_empty());
    assert!(t.containers().is_empty(), "{:?}", t.containers());
    // the never-root rule does not stop an explicit -u
    let (out, _) = t.ok(&["run", "--rm", "--no-deps", "-u", "0", "app", "id", "-u"]);
    assert_eq!(out, "0\n");
}
