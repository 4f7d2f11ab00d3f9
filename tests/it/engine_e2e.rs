//! End-to-end tests of `build`, `start`, `stop`, `down`, `ps`, `logs`, `sh`
//! against the machine's Docker engine, on the local fixture image
//! `devctl-fixture/busybox:1` (`cargo xtask fixtures busybox`).
//!
//! Without an engine these tests skip locally and fail under CI=true. Each
//! test uses its own project name and removes what it created (`down
//! --volumes` in a drop guard).

use indoc::indoc;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::e2e_support::{ci, docker, docker_out, engine_ready, free_port, FIXTURE};
use crate::support::Project;

static SEQ: AtomicU32 = AtomicU32::new(0);

const DOCKERFILE: &str = "\
ARG BASE=devctl-fixture/busybox:1
FROM ${BASE} AS deps
RUN echo deps-stage > /deps.txt

FROM ${BASE} AS app
ARG APP_UID=1000
ARG APP_GID=1000
COPY --from=deps /deps.txt /deps.txt
COPY . /src
RUN echo uid=$APP_UID > /built.txt
USER app
";

/// A temp project with a unique compose project name; `down --volumes` on drop.
struct Env {
    p: Project,
    name: String,
    home: tempfile::TempDir,
    port: u16,
}

impl Env {
    /// `services` is appended to devctl.toml (extra `[services.*]`).
    fn new(tag: &str, services: &str) -> Env {
        let name = format!(
            "e2e{}{}{}",
            tag,
            std::process::id(),
            SEQ.fetch_add(1, Ordering::SeqCst)
        );
        let port = free_port();
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(home.path().join(".nvm")).unwrap();
        std::fs::write(home.path().join(".nvm/marker"), "nvm-here").unwrap();
        let toml = format!(
            r#"[project]
name = "{name}"

[app]
dockerfile = "Dockerfile"
target = "app"
port = {port}
user = "app"
workdir = "/app"
server = ["httpd", "-f", "-p", "{port}", "-h", "/app"]
[app.build_args]
BASE = "{FIXTURE}"

[nvm]
dir = "~/.nvm"
{services}"#
        );
        let p = Project::new()
            .file("devctl.toml", toml)
            .file("Dockerfile", DOCKERFILE)
            .file(".dockerignore", ".env\n.devctl\nignored/\n")
            .file("index.html", "hello from devctl\n")
            .file("ignored/secret.txt", "nope")
            .file(".env", "AUTO_START_SERVER=true\n");
        Env {
            p,
            name,
            home,
            port,
        }
    }

    /// The builder's setup; output depends on the engine, so the callers
    /// (spawn, pty, signals) take the Command and check it themselves.
    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = self
            .p
            .devctl(args)
            .env("HOME", self.home.path())
            .env_remove("AUTO_START_SERVER")
            .env_remove("DOCKER_HOST")
            .command();
        c.stdin(Stdio::null());
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    /// Runs and asserts the exit code; returns (stdout, stderr).
    fn ok(&self, args: &[&str]) -> (String, String) {
        self.code(args, 0)
    }

    fn code(&self, args: &[&str], code: i32) -> (String, String) {
        let o = self.run(args);
        let (out, err) = (
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        );
        assert_eq!(
            o.status.code(),
            Some(code),
            "devctl {args:?}\n--- stdout\n{out}\n--- stderr\n{err}"
        );
        (out, err)
    }

    fn write(&self, rel: &str, text: &str) {
        std::fs::write(self.p.path().join(rel), text).unwrap();
    }

    fn containers(&self) -> Vec<String> {
        let out = docker_out(&[
            "ps",
            "-a",
            "--filter",
            &format!("label=com.docker.compose.project={}", self.name),
            "--format",
            "{{.Names}}",
        ]);
        let mut v: Vec<String> = out
            .lines()
            .map(str::to_string)
            .filter(|l| !l.is_empty())
            .collect();
        v.sort();
        v
    }

    /// container name → "id created-at state"
    fn identity(&self, c: &str) -> String {
        docker_out(&["inspect", "-f", "{{.Id}} {{.Created}}", c])
    }

    fn c(&self, svc: &str, n: u32) -> String {
        format!("{}-{svc}-{n}", self.name)
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = self.run(&["down", "--volumes"]);
        // belt and braces: anything left with our label
        for c in self.containers() {
            let _ = docker(&["rm", "-f", &c]);
        }
        let _ = docker(&["network", "rm", &format!("{}_default", self.name)]);
        let _ = docker(&["rmi", "--no-prune", "-f", &format!("{}-app:dev", self.name)]);
        let label = format!("label=com.docker.compose.project={}", self.name);
        let vols = docker(&["volume", "ls", "-q", "--filter", &label]);
        for v in String::from_utf8_lossy(&vols.stdout).lines() {
            let _ = docker(&["volume", "rm", v]);
        }
    }
}

fn wait_until(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !f() {
        assert!(t0.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn unreachable_engine_is_one_line_exit_2() {
    let p = Project::new().file(
        "devctl.toml",
        "[project]\nname = \"unreach\"\n[services.app]\nimage = \"x\"\n",
    );
    for cmd in [&["ps"][..], &["start"], &["sh", "--", "true"]] {
        let d = p
            .devctl(cmd)
            .env("DOCKER_HOST", "unix:///nonexistent")
            .status(2)
            .stderr("error: cannot reach the Docker engine at unix:///nonexistent (Socket not found: /nonexistent); run `devctl doctor` to diagnose\n")
            .run();
        let err = d.stderr();
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains("unix:///nonexistent"), "{err}");
        assert!(err.contains("devctl doctor"), "{err}");
    }
}

#[test]
fn build_start_idempotent_mounts_uid_port() {
    if !engine_ready() {
        return;
    }
    let e = Env::new("main", "");
    let (_, err) = e.ok(&["build"]);
    assert!(err.contains("Step") || err.contains("Built"), "{err}");
    let image = format!("{}-app:dev", e.name);
    // multi-stage, target, build args, .dockerignore honoured
    let out = docker_out(&[
        "run",
        "--rm",
        "--entrypoint",
        "sh",
        &image,
        "-c",
        "cat /deps.txt /built.txt; ls /src",
    ]);
    assert!(out.contains("deps-stage"), "{out}");
    assert!(out.contains("uid=1000"), "{out}");
    assert!(
        out.contains("index.html") && out.contains("Dockerfile"),
        "{out}"
    );
    assert!(!out.contains("ignored") && !out.contains(".env"), "{out}");

    // a no-change rebuild works (and is cached)
    e.ok(&["build"]);

    let (out, _) = e.ok(&["start"]);
    assert!(
        out.contains(&format!("http://127.0.0.1:{}/", e.port)),
        "{out}"
    );
    let app = e.c("app", 1);
    assert_eq!(e.containers(), std::slice::from_ref(&app));

    // runs as the app user's uid (the server process, not only exec)
    let (uid, _) = e.ok(&["sh", "--", "id", "-u"]);
    assert_eq!(uid.trim(), "1000");
    let status = docker_out(&["exec", &app, "cat", "/proc/1/status"]);
    let uid_line = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
    assert!(
        uid_line.split_whitespace().nth(1) == Some("1000"),
        "{uid_line}"
    );

    // port on 127.0.0.1 only
    let ports = docker_out(&["inspect", "-f", "{{json .NetworkSettings.Ports}}", &app]);
    assert!(ports.contains("\"HostIp\":\"127.0.0.1\""), "{ports}");
    assert!(!ports.contains("0.0.0.0"), "{ports}");
    wait_until("the app's HTTP server", Duration::from_secs(20), || {
        let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", e.port)) else {
            return false;
        };
        let _ = s.write_all(b"GET /index.html HTTP/1.0\r\n\r\n");
        let mut body = String::new();
        let _ = s.read_to_string(&mut body);
        body.contains("hello from devctl")
    });

    // source tree and nvm dir mounted
    let (ls, _) = e.ok(&["sh", "--", "ls", "/app"]);
    assert!(ls.contains("devctl.toml"), "{ls}");
    let (nvm, _) = e.ok(&["sh", "--", "cat", "/home/app/.nvm/marker"]);
    assert_eq!(nvm, "nvm-here");

    // labels compose v2 uses
    let labels = docker_out(&["inspect", "-f", "{{json .Config.Labels}}", &app]);
    for l in [
        "com.docker.compose.project",
        "com.docker.compose.service",
        "com.docker.compose.container-number",
        "com.docker.compose.oneoff",
        "com.docker.compose.config-hash",
        "com.docker.compose.project.working_dir",
        "com.docker.compose.project.config_files",
    ] {
        assert!(labels.contains(l), "{l} missing: {labels}");
    }

    // start again: nothing created, stopped or removed
    let before = e.identity(&app);
    let (_, err) = e.ok(&["start"]);
    assert!(
        !err.contains("Created") && !err.contains("Recreated") && !err.contains("Removed"),
        "{err}"
    );
    assert_eq!(e.identity(&app), before);

    // a changed image (new source baked in) recreates the app container
    e.write("index.html", "changed\n");
    e.ok(&["build"]);
    let (_, err) = e.ok(&["start"]);
    assert!(err.contains(&format!("{app}  Recreated")), "{err}");
    assert_ne!(e.identity(&app), before);

    // ps (table and json)
    let (table, _) = e.ok(&["ps"]);
    assert!(table.starts_with("NAME"), "{table}");
    assert!(table.contains(&app) && table.contains("Up"), "{table}");
    let (json, _) = e.ok(&["ps", "--json"]);
    let rows: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(rows[0]["service"], "app");
    assert_eq!(rows[0]["state"], "running");

    // interop: docker sees the project through compose's label
    let seen = docker_out(&[
        "ps",
        "--filter",
        &format!("label=com.docker.compose.project={}", e.name),
        "--format",
        "{{.Names}}",
    ]);
    assert_eq!(seen, app);
}

#[test]
fn changed_service_alone_is_recreated_and_replicas_scale() {
    if !engine_ready() {
        return;
    }
    let svc = |cmd: &str, replicas: u32| {
        format!(
            r#"
[services.worker]
image = "{FIXTURE}"
command = ["sleep", "1000"]
init = true
deploy = {{ replicas = {replicas} }}

[services.other]
image = "{FIXTURE}"
command = ["sleep", "{cmd}"]
init = true
"#
        )
    };
    let e = Env::new("recreate", &svc("1000", 2));
    e.ok(&["start"]);
    let (w1, w2, o1) = (e.c("worker", 1), e.c("worker", 2), e.c("other", 1));
    assert_eq!(
        e.containers(),
        [e.c("app", 1), o1.clone(), w1.clone(), w2.clone()]
    );
    let (app_id, w1_id, w2_id, o1_id) = (
        e.identity(&e.c("app", 1)),
        e.identity(&w1),
        e.identity(&w2),
        e.identity(&o1),
    );

    // change one service in devctl.toml: only its container is recreated
    let toml = std::fs::read_to_string(e.p.path().join("devctl.toml")).unwrap();
    e.write(
        "devctl.toml",
        &toml.replace(&svc("1000", 2), &svc("2000", 2)),
    );
    let (_, err) = e.ok(&["start"]);
    assert!(err.contains(&format!("{o1}  Recreated")), "{err}");
    assert_ne!(e.identity(&o1), o1_id);
    assert_eq!(e.identity(&w1), w1_id);
    assert_eq!(e.identity(&w2), w2_id);
    assert_eq!(e.identity(&e.c("app", 1)), app_id);

    // scale up: a third numbered container, the others untouched
    let toml = std::fs::read_to_string(e.p.path().join("devctl.toml")).unwrap();
    e.write(
        "devctl.toml",
        &toml.replace(&svc("2000", 2), &svc("2000", 3)),
    );
    e.ok(&["start"]);
    let w3 = e.c("worker", 3);
    assert!(e.containers().contains(&w3));
    assert_eq!(e.identity(&w1), w1_id);

    // scale down to 1
    let toml = std::fs::read_to_string(e.p.path().join("devctl.toml")).unwrap();
    e.write(
        "devctl.toml",
        &toml.replace(&svc("2000", 3), &svc("2000", 1)),
    );
    e.ok(&["start"]);
    let names = e.containers();
    assert!(
        names.contains(&w1) && !names.contains(&w2) && !names.contains(&w3),
        "{names:?}"
    );
}

#[test]
fn healthcheck_gated_dependency() {
    if !engine_ready() {
        return;
    }
    let e = Env::new(
        "health",
        &format!(
            r#"
[services.db]
image = "{FIXTURE}"
command = ["sh", "-c", "sleep 2; touch /tmp/ready; exec sleep 1000"]
init = true
healthcheck = {{ test = ["CMD", "test", "-f", "/tmp/ready"], interval = "300ms", retries = 50 }}

[services.web]
image = "{FIXTURE}"
command = ["sleep", "1000"]
init = true
depends_on = {{ db = {{ condition = "service_healthy" }} }}
"#
        ),
    );
    let t0 = Instant::now();
    let (_, err) = e.ok(&["start", "web"]);
    assert!(
        t0.elapsed() >= Duration::from_secs(2),
        "start did not wait for db"
    );
    assert!(err.contains("Waiting") || err.contains("Healthy"), "{err}");
    let db = e.c("db", 1);
    assert_eq!(
        docker_out(&["inspect", "-f", "{{.State.Health.Status}}", &db]),
        "healthy"
    );
    let web_started = docker_out(&["inspect", "-f", "{{.State.StartedAt}}", &e.c("web", 1)]);
    let db_started = docker_out(&["inspect", "-f", "{{.State.StartedAt}}", &db]);
    assert!(
        web_started > db_started,
        "web {web_started} db {db_started}"
    );
    // only the named service and its dependency were started
    assert!(!e.containers().contains(&e.c("app", 1)));
}

#[test]
fn stop_down_and_down_volumes() {
    if !engine_ready() {
        return;
    }
    let e = Env::new(
        "down",
        &format!(
            r#"
[services.store]
image = "{FIXTURE}"
command = ["sleep", "1000"]
init = true
volumes = ["data:/data"]

[volumes.data]
"#
        ),
    );
    e.ok(&["start", "store"]);
    let store = e.c("store", 1);
    let id = e.identity(&store);
    e.ok(&["stop"]);
    assert_eq!(
        docker_out(&["inspect", "-f", "{{.State.Running}}", &store]),
        "false"
    );
    e.ok(&["start", "store"]);
    assert_eq!(
        docker_out(&["inspect", "-f", "{{.State.Running}}", &store]),
        "true"
    );
    assert_eq!(e.identity(&store), id, "stop/start keeps the container");

    let vol = format!("{}_data", e.name);
    let net = format!("{}_default", e.name);
    e.ok(&["down"]);
    assert!(e.containers().is_empty());
    assert!(
        !docker(&["network", "inspect", &net]).status.success(),
        "network kept"
    );
    assert!(
        docker(&["volume", "inspect", &vol]).status.success(),
        "volume removed without --volumes"
    );
    e.ok(&["start", "store"]);
    e.ok(&["down", "--volumes"]);
    assert!(
        !docker(&["volume", "inspect", &vol]).status.success(),
        "volume kept with --volumes"
    );
}

#[test]
fn sh_pipes_exit_codes_and_not_running() {
    if !engine_ready() {
        return;
    }
    let e = Env::new("sh", "");
    let (_, err) = e.code(&["sh", "--", "true"], 1);
    assert!(err.contains("devctl start"), "{err}");
    e.ok(&["start"]);
    let (uid, _) = e.ok(&["sh", "--", "id", "-u"]);
    assert_eq!(uid, "1000\n");
    e.code(&["sh", "--", "sh", "-c", "exit 7"], 7);
    let (out, err) = e.code(
        &[
            "sh",
            "--",
            "sh",
            "-c",
            "echo to-out; echo to-err >&2; exit 3",
        ],
        3,
    );
    assert_eq!(out, "to-out\n");
    assert_eq!(err, "to-err\n");
    let (pwd, _) = e.ok(&["sh", "app", "--", "pwd"]);
    assert_eq!(pwd, "/app\n");
    // stdin forwarded, then closed
    let mut child = e
        .cmd(&["sh", "--", "sh", "-c", "tr a-z A-Z"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"piped input\n")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&o.stdout), "PIPED INPUT\n");
    assert!(o.status.success());
    e.code(&["sh", "nosuch", "--", "true"], 2);
}

/// A pseudo-terminal pair; the child gets the slave as stdin/out/err.
struct Pty {
    master: std::fs::File,
    slave: std::fs::File,
}

fn openpty(rows: u16, cols: u16) -> Pty {
    use std::os::fd::FromRawFd;
    let (mut m, mut s) = (0, 0);
    let ws = libc::winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: valid out-pointers; openpty allocates the pair.
    let r = unsafe { libc::openpty(&mut m, &mut s, std::ptr::null_mut(), std::ptr::null(), &ws) };
    assert_eq!(r, 0, "openpty");
    // SAFETY: fresh fds owned by us.
    unsafe {
        Pty {
            master: std::fs::File::from_raw_fd(m),
            slave: std::fs::File::from_raw_fd(s),
        }
    }
}

fn set_winsize(f: &std::fs::File, rows: u16, cols: u16) {
    use std::os::fd::AsRawFd;
    let ws = libc::winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: valid fd and winsize.
    unsafe { libc::ioctl(f.as_raw_fd(), libc::TIOCSWINSZ, &ws) };
}

/// Reads from the master until `needle` shows up (or times out).
fn read_until(rx: &std::sync::mpsc::Receiver<Vec<u8>>, seen: &mut String, needle: &str) {
    let t0 = Instant::now();
    while !seen.contains(needle) {
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "no {needle:?} in {seen:?}"
        );
        if let Ok(b) = rx.recv_timeout(Duration::from_millis(100)) {
            seen.push_str(&String::from_utf8_lossy(&b));
        }
    }
}

#[test]
fn sh_interactive_through_a_pty() {
    if !engine_ready() {
        return;
    }
    let e = Env::new("pty", "");
    e.ok(&["start"]);
    let pty = openpty(40, 100);
    let mut child: Child = e
        .cmd(&["sh"])
        .stdin(pty.slave.try_clone().unwrap())
        .stdout(pty.slave.try_clone().unwrap())
        .stderr(pty.slave.try_clone().unwrap())
        .spawn()
        .unwrap();
    let mut reader = pty.master.try_clone().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut w = pty.master.try_clone().unwrap();
    let mut seen = String::new();
    // typed input is echoed by the container's tty; the size was set at start
    w.write_all(b"echo typed-$((6*7)); stty size\r").unwrap();
    read_until(&rx, &mut seen, "typed-42");
    read_until(&rx, &mut seen, "40 100");
    assert!(
        seen.contains("echo typed-"),
        "no echo of the typed input: {seen:?}"
    );
    // resize: new size on the pty + SIGWINCH to devctl
    set_winsize(&pty.slave, 50, 120);
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGWINCH) };
    std::thread::sleep(Duration::from_millis(300));
    w.write_all(b"stty size\r").unwrap();
    read_until(&rx, &mut seen, "50 120");
    w.write_all(b"exit 5\r").unwrap();
    let t0 = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "sh did not exit: {seen:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(5));
    // the terminal was restored: canonical mode and echo are back on
    use std::os::fd::AsRawFd;
    // SAFETY: termios out-pointer on a valid fd.
    let mut t: libc::termios = unsafe { std::mem::zeroed() };
    unsafe { libc::tcgetattr(pty.slave.as_raw_fd(), &mut t) };
    assert!(
        t.c_lflag & libc::ICANON != 0 && t.c_lflag & libc::ECHO != 0,
        "terminal left raw"
    );
}

#[test]
fn logs_are_prefixed_and_follow_new_containers() {
    if !engine_ready() {
        return;
    }
    let svc = |replicas: u32| {
        format!(
            r#"
[services.talker]
image = "{FIXTURE}"
command = ["sh", "-c", "echo hello-from-$$(hostname); exec sleep 1000"]
init = true
deploy = {{ replicas = {replicas} }}
"#
        )
    };
    let e = Env::new("logs", &svc(1));
    e.ok(&["start", "talker"]);
    let t1 = e.c("talker", 1);
    wait_until("the first log line", Duration::from_secs(10), || {
        e.ok(&["logs", "talker"]).0.contains("hello-from-")
    });
    let (out, _) = e.ok(&["logs", "talker"]);
    let line = out.lines().find(|l| l.contains("hello-from-")).unwrap();
    assert!(line.starts_with(&format!("{t1} | hello-from-")), "{line}");

    // -f follows containers that appear later
    let mut follow = e
        .cmd(&["logs", "-f", "talker"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = follow.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut seen = String::new();
    read_until(&rx, &mut seen, &format!("{t1} | hello-from-"));
    let toml = std::fs::read_to_string(e.p.path().join("devctl.toml")).unwrap();
    e.write("devctl.toml", &toml.replace(&svc(1), &svc(2)));
    e.ok(&["start", "talker"]);
    read_until(
        &rx,
        &mut seen,
        &format!("{} | hello-from-", e.c("talker", 2)),
    );
    // a restarted container is followed again
    e.ok(&["stop", "talker"]);
    e.ok(&["start", "talker"]);
    let t0 = Instant::now();
    let prefix = format!("{t1} | hello-from-");
    while seen.matches(&prefix).count() < 2 {
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "restart not followed: {seen:?}"
        );
        if let Ok(b) = rx.recv_timeout(Duration::from_millis(100)) {
            seen.push_str(&String::from_utf8_lossy(&b));
        }
    }
    let _ = follow.kill();
    let _ = follow.wait();
}

#[test]
fn concurrent_starts_converge_to_one_set() {
    if !engine_ready() {
        return;
    }
    let e = Env::new(
        "conc",
        &format!(
            r#"
[services.worker]
image = "{FIXTURE}"
command = ["sleep", "1000"]
init = true
deploy = {{ replicas = 3 }}
"#
        ),
    );
    e.ok(&["build"]);
    let a = e
        .cmd(&["start"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let b = e
        .cmd(&["start"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (oa, ob) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert!(
        oa.status.success(),
        "{}",
        String::from_utf8_lossy(&oa.stderr)
    );
    assert!(
        ob.status.success(),
        "{}",
        String::from_utf8_lossy(&ob.stderr)
    );
    let expected = vec![
        e.c("app", 1),
        e.c("worker", 1),
        e.c("worker", 2),
        e.c("worker", 3),
    ];
    assert_eq!(e.containers(), expected);
    let nets = docker_out(&[
        "network",
        "ls",
        "--filter",
        &format!("name={}_default", e.name),
        "-q",
    ]);
    assert_eq!(nets.lines().count(), 1, "{nets}");
}

#[test]
fn kill_9_mid_start_then_start_converges() {
    if !engine_ready() {
        return;
    }
    let e = Env::new(
        "kill",
        &format!(
            r#"
[services.worker]
image = "{FIXTURE}"
command = ["sleep", "1000"]
init = true
deploy = {{ replicas = 4 }}
"#
        ),
    );
    e.ok(&["build"]);
    let mut child = e
        .cmd(&["start"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // kill once the first container exists (mid-start)
    let t0 = Instant::now();
    while e.containers().is_empty() && t0.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = child.kill(); // SIGKILL
    let _ = child.wait();
    e.ok(&["start"]);
    let mut expected = vec![e.c("app", 1)];
    expected.extend((1..=4).map(|n| e.c("worker", n)));
    assert_eq!(e.containers(), expected);
    for c in &expected {
        assert_eq!(
            docker_out(&["inspect", "-f", "{{.State.Running}}", c]),
            "true",
            "{c}"
        );
    }
    // and a further start is a no-op
    let (_, err) = e.ok(&["start"]);
    assert!(
        !err.contains("Created") && !err.contains("Recreated"),
        "{err}"
    );
}

#[test]
fn docker_compose_v1_sees_devctl_containers() {
    if !engine_ready() {
        return;
    }
    if which_docker_compose().is_none() {
        assert!(!ci(), "docker-compose is not installed (CI=true)");
        eprintln!("skipping: no docker-compose");
        return;
    }
    let e = Env::new("interop", "");
    e.ok(&["start"]);
    // The generated file as it is, as a user types it in the project: no
    // `-p` (the project name comes from `.devctl/.env`, which compose reads
    // next to the file), no stripping of keys.
    let compose = |args: &[&str]| {
        let o = Command::new("docker-compose")
            .args(["-f", ".devctl/compose.yaml"])
            .args(args)
            .current_dir(e.p.path())
            .env_remove("COMPOSE_PROJECT_NAME")
            .env_remove("COMPOSE_FILE")
            .output()
            .unwrap();
        let (out, err) = (
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        );
        assert!(o.status.success(), "docker-compose {args:?}: {err}");
        out
    };
    compose(&["config", "-q"]);
    let out = compose(&["ps"]);
    assert!(out.contains(&e.c("app", 1)) && out.contains("Up"), "{out}");
    let out = compose(&["ps", "-q"]);
    assert_eq!(out.lines().count(), 1, "{out}");
}

/// Docker Compose v2 (the CLI plugin `scripts/install-test-deps.sh` installs,
/// pinned): whether `docker compose version` works. Under CI=true a missing
/// plugin fails the test.
fn compose_v2_ready() -> bool {
    let ok = Command::new("docker")
        .args(["compose", "version"])
        .env_remove("DOCKER_HOST")
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

/// `docker compose` v2 on the generated file as a user types it in the
/// project: no `-p` (the name is in `.devctl/.env`); asserts success.
pub(crate) fn compose_v2(dir: &Path, args: &[&str]) -> String {
    let o = Command::new("docker")
        .args(["compose", "-f", ".devctl/compose.yaml"])
        .args(args)
        .current_dir(dir)
        .env_remove("DOCKER_HOST")
        .env_remove("COMPOSE_PROJECT_NAME")
        .env_remove("COMPOSE_FILE")
        .output()
        .unwrap();
    let (out, err) = (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    );
    assert!(o.status.success(), "docker compose {args:?}: {err}");
    out
}

#[test]
fn docker_compose_v2_sees_logs_and_downs_devctl_containers() {
    if !engine_ready() || !compose_v2_ready() {
        return;
    }
    let e = Env::new(
        "interop2",
        &format!(
            r#"
[services.talker]
image = "{FIXTURE}"
command = ["sh", "-c", "echo hello-from-talker; exec sleep 1000"]
init = true
"#
        ),
    );
    e.ok(&["start"]);
    let dir = e.p.path();
    compose_v2(dir, &["config", "-q"]);
    let ours = vec![e.c("app", 1), e.c("talker", 1)];
    let out = compose_v2(dir, &["ps"]);
    for c in &ours {
        assert!(out.contains(c.as_str()), "{c} not in:\n{out}");
    }
    assert!(out.contains("Up"), "{out}");
    let out = compose_v2(dir, &["ps", "-q"]);
    assert_eq!(out.lines().count(), 2, "{out}");
    // the ids compose lists are devctl's containers
    for c in &ours {
        let id = docker_out(&["inspect", "-f", "{{.Id}}", c]);
        assert!(
            out.lines().any(|l| id.starts_with(l.trim())),
            "{c} {id}: {out}"
        );
    }
    let t0 = Instant::now();
    let logs = loop {
        let logs = compose_v2(dir, &["logs", "--no-color", "talker"]);
        if logs.contains("hello-from-talker") || t0.elapsed() > Duration::from_secs(20) {
            break logs;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(logs.contains("hello-from-talker"), "{logs}");
    compose_v2(dir, &["down"]);
    assert_eq!(e.containers(), Vec::<String>::new());
    // and devctl converges again after compose's down
    e.ok(&["start"]);
    assert_eq!(e.containers(), ours);
}

/// Issue 15: devctl writes compose v2's config hash and image label, so
/// `docker compose up -d` after `devctl start` recreates nothing, and
/// `devctl start` after compose created the containers recreates nothing.
#[test]
fn neither_devctl_nor_compose_v2_recreates_the_others_containers() {
    if !engine_ready() || !compose_v2_ready() {
        return;
    }
    let e = Env::new(
        "pingpong",
        &format!(
            r#"
[services.db]
image = "{FIXTURE}"
command = ["sh", "-c", "touch /tmp/up; exec sleep 1000"]
init = true
environment = {{ DB_NAME = "app & <co>", EMPTY = "" }}
volumes = ["dbdata:/var/lib/db", "./seed:/seed:ro"]
healthcheck = {{ test = ["CMD", "test", "-f", "/tmp/up"], interval = "1s", retries = 20 }}
stop_grace_period = "2s"
labels = {{ "org.example.tier" = "data" }}
ulimits = {{ nofile = {{ soft = 1024, hard = 2048 }} }}

[services.worker]
image = "{FIXTURE}"
command = "sh -c 'exec sleep 1000'"
depends_on = {{ db = {{ condition = "service_healthy" }} }}
deploy = {{ replicas = 2 }}
"#
        ),
    );
    std::fs::create_dir_all(e.p.path().join("seed")).unwrap();
    e.write("seed/x.sql", "select 1;\n");
    e.write(
        ".env",
        "AUTO_START_SERVER=true\nAPP_SECRET=\"s3cr3t & more\"\n",
    );
    e.ok(&["start"]);
    let dir = e.p.path();
    let ours = [
        e.c("app", 1),
        e.c("db", 1),
        e.c("worker", 1),
        e.c("worker", 2),
    ];
    let ids = |names: &[String]| -> Vec<String> { names.iter().map(|c| e.identity(c)).collect() };
    let before = ids(&ours);

    // compose v2 after devctl: everything is up to date
    let o = Command::new("docker")
        .args(["compose", "-f", ".devctl/compose.yaml", "up", "-d"])
        .current_dir(dir)
        .env_remove("DOCKER_HOST")
        .env_remove("COMPOSE_PROJECT_NAME")
        .env_remove("COMPOSE_FILE")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        !err.contains("Recreate") && !err.contains("Created"),
        "compose v2 recreated devctl's containers:\n{err}"
    );
    assert_eq!(ids(&ours), before, "{err}");

    // devctl after compose v2 made them: nothing to do either
    compose_v2(dir, &["down"]);
    assert_eq!(e.containers(), Vec::<String>::new());
    compose_v2(dir, &["up", "-d"]);
    let made_by_compose = ids(&ours);
    let (_, err) = e.ok(&["start"]);
    assert!(
        !err.contains("Recreated") && !err.contains("Created"),
        "devctl recreated compose v2's containers:\n{err}"
    );
    assert_eq!(ids(&ours), made_by_compose, "{err}");

    // and a real change is still a change for both
    let toml = std::fs::read_to_string(dir.join("devctl.toml")).unwrap();
    e.write("devctl.toml", &toml.replace("\"app & <co>\"", "\"other\""));
    let (_, err) = e.ok(&["start"]);
    assert!(
        err.contains(&format!("{}  Recreated", e.c("db", 1))),
        "{err}"
    );
    assert!(
        !err.contains(&format!("{}  Recreated", e.c("worker", 1))),
        "{err}"
    );
}

fn which_docker_compose() -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join("docker-compose"))
            .find(|p| p.is_file())
    })
}

#[test]
fn failed_build_shows_the_builders_error_lines() {
    if !engine_ready() {
        return;
    }
    let e = Env::new("buildfail", "");
    e.write(
        "Dockerfile",
        "FROM devctl-fixture/busybox:1 AS app\nRUN echo boom-output >&2; exit 3\n",
    );
    let (_, err) = e.code(&["build"], 1);
    assert!(err.contains("boom-output"), "{err}");
    assert!(err.contains("exit code: 3"), "{err}");
    // start builds what is missing, and fails the same way
    let (_, err) = e.code(&["start"], 1);
    assert!(err.contains("boom-output"), "{err}");
    assert!(e.containers().is_empty());
}

#[test]
fn completed_successfully_dependency() {
    if !engine_ready() {
        return;
    }
    let svc = |code: u32| {
        format!(
            r#"
[services.migrate]
image = "{FIXTURE}"
command = ["sh", "-c", "sleep 1; exit {code}"]
restart = "no"

[services.web]
image = "{FIXTURE}"
command = ["sleep", "1000"]
init = true
depends_on = {{ migrate = {{ condition = "service_completed_successfully" }} }}
"#
        )
    };
    let e = Env::new("oneshot", &svc(0));
    e.ok(&["start", "web"]);
    let m = e.c("migrate", 1);
    assert_eq!(
        docker_out(&[
            "inspect",
            "-f",
            "{{.State.Running}} {{.State.ExitCode}}",
            &m
        ]),
        "false 0"
    );
    assert_eq!(
        docker_out(&["inspect", "-f", "{{.State.Running}}", &e.c("web", 1)]),
        "true"
    );

    let toml = std::fs::read_to_string(e.p.path().join("devctl.toml")).unwrap();
    e.write("devctl.toml", &toml.replace(&svc(0), &svc(3)));
    let (_, err) = e.code(&["start", "web"], 1);
    assert!(err.contains("exited with 3"), "{err}");
}

/// Every example's generated compose file is accepted by the engine's
/// planner (the step before connecting): the generator and the engine agree
/// on the compose subset. No engine needed.
#[test]
fn every_example_compose_plans() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("compose/examples");
    let mut n = 0;
    for entry in std::fs::read_dir(&examples).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.join("devctl.toml").is_file() {
            continue;
        }
        let tmp = tempfile::tempdir().unwrap();
        for f in std::fs::read_dir(&dir).unwrap() {
            let f = f.unwrap().path();
            if f.is_file() {
                std::fs::copy(&f, tmp.path().join(f.file_name().unwrap())).unwrap();
            }
        }
        // Every example plans, then fails on the engine, not before it.
        crate::support::devctl_in(tmp.path(), &["ps"])
            .env("DOCKER_HOST", "unix:///nonexistent")
            .env("DB_PASSWORD", "x")
            .env("HOME", tmp.path())
            .status(2)
            .stderr("error: cannot reach the Docker engine at unix:///nonexistent (Socket not found: /nonexistent); run `devctl doctor` to diagnose\n")
            .run();
        n += 1;
    }
    assert!(n >= 5, "only {n} examples found");
}

#[test]
fn build_progress_on_a_terminal() {
    if !engine_ready() {
        return;
    }
    let e = Env::new("tty", "");
    let pty = openpty(30, 120);
    let mut child = e
        .cmd(&["build", "--no-cache"])
        .stdout(pty.slave.try_clone().unwrap())
        .stderr(pty.slave.try_clone().unwrap())
        .spawn()
        .unwrap();
    let mut reader = pty.master.try_clone().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut seen = String::new();
    read_until(&rx, &mut seen, "Built (");
    let status = child.wait().unwrap();
    assert!(status.success(), "{seen}");
    // one line per step (BuildKit's `#N [stage i/n] ...`), printed above
    // the spinner
    assert!(seen.contains("app: #") && seen.contains(" FROM "), "{seen}");
}

#[test]
fn build_names_a_dockerfile_that_is_not_text() {
    if !engine_ready() {
        return;
    }
    let t = crate::e2e_support::TestProject::new("bdtxt", "", "");
    std::fs::write(
        t.path().join("Dockerfile"),
        b"FROM devctl-fixture/busybox:1 AS app\nRUN echo \xff\n",
    )
    .unwrap();
    let (_, err) = t.code(&["build"], 2);
    assert!(
        err.contains("Dockerfile:2:10: invalid UTF-8 (byte 0xff)"),
        "{err}"
    );
    std::fs::write(
        t.path().join("Dockerfile"),
        b"FROM devctl-fixture/busybox:1 AS app\n\n\nRUN \0\n",
    )
    .unwrap();
    let (_, err) = t.code(&["build"], 2);
    assert!(err.contains("Dockerfile:4:5: a NUL byte"), "{err}");
}

/// `start` waits until the app's server answers HTTP and says so with the
/// time and the URL; a `start` with nothing to do says it again.
#[test]
fn start_reports_ready_when_server_answers_http() {
    if !engine_ready() {
        return;
    }
    let e = Env::new("ready", "");
    let (out, _) = e.ok(&["start"]);
    let url = format!("http://127.0.0.1:{}/", e.port);
    let line = out
        .lines()
        .find(|l| l.starts_with("app  ready in "))
        .unwrap_or_else(|| panic!("no ready line: {out}"));
    assert!(line.ends_with(&url), "{line}");
    // it answered by the time start returned
    let mut s = std::net::TcpStream::connect(("127.0.0.1", e.port)).unwrap();
    s.write_all(b"GET /index.html HTTP/1.0\r\n\r\n").unwrap();
    let mut body = String::new();
    let _ = s.read_to_string(&mut body);
    assert!(body.starts_with("HTTP/"), "{body}");
    let (out, err) = e.ok(&["start"]);
    assert!(out.contains("app  ready in "), "{out}");
    assert!(
        !err.contains("Started") && !err.contains("Created"),
        "{err}"
    );

    // server off: said so, with how to turn it on or open a shell
    e.write(".env", "AUTO_START_SERVER=false\n");
    let (out, _) = e.ok(&["start"]);
    assert!(out.contains("server off"), "{out}");
    assert!(out.contains("AUTO_START_SERVER=true"), "{out}");
    assert!(out.contains("devctl sh"), "{out}");
    assert!(
        !out.lines().any(|l| l.trim() == url),
        "a bare URL was printed: {out}"
    );
}

/// A server that crashes at start fails `start` (exit 1) with its log's
/// last lines and the fix for what it recognises.
#[test]
fn start_fails_when_server_crashes_with_log_and_fix() {
    if !engine_ready() {
        return;
    }
    let e = Env::new("crash", "");
    let toml = std::fs::read_to_string(e.p.path().join("devctl.toml")).unwrap();
    let server = format!(
        r#"server = ["httpd", "-f", "-p", "{}", "-h", "/app"]"#,
        e.port
    );
    assert!(toml.contains(&server));
    let crash = r#"server = ["sh", "-c", "for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22; do echo log-line-$$i >&2; done; echo 'django.db.utils.OperationalError: unable to open database file' >&2; exit 3"]"#;
    e.write("devctl.toml", &toml.replace(&server, crash));
    let (out, err) = e.code(&["start"], 1);
    assert!(!out.contains("ready in"), "{out}");
    assert!(err.contains("exited with code 3"), "{err}");
    assert!(err.contains("log-line-22"), "{err}");
    assert!(err.contains("unable to open database file"), "{err}");
    // the last 20 lines, not the first
    assert!(!err.contains("log-line-2\n"), "{err}");
    assert!(err.contains("chown -R 1000:1000 ."), "{err}");

    // --no-wait does not look (--force: as root the tree is not the app's,
    // and a server that crashed writing it is otherwise refused)
    e.ok(&["start", "--no-wait", "--force"]);
}

/// A service with a healthcheck is waited for until healthy, with its line.
#[test]
fn start_waits_for_healthcheck() {
    if !engine_ready() {
        return;
    }
    let e = Env::new(
        "hwait",
        &format!(
            r#"
[services.db]
image = "{FIXTURE}"
command = ["sh", "-c", "sleep 2; touch /tmp/ready; exec sleep 1000"]
init = true
healthcheck = {{ test = ["CMD", "test", "-f", "/tmp/ready"], interval = "300ms", retries = 50 }}
"#
        ),
    );
    let (out, _) = e.ok(&["start", "db"]);
    assert!(out.contains("db  ready in "), "{out}");
    assert_eq!(
        docker_out(&["inspect", "-f", "{{.State.Health.Status}}", &e.c("db", 1)]),
        "healthy"
    );
    // an unhealthy one fails within the timeout
    let toml = std::fs::read_to_string(e.p.path().join("devctl.toml")).unwrap();
    e.write(
        "devctl.toml",
        &toml.replace("\"test\", \"-f\", \"/tmp/ready\"", "\"false\""),
    );
    let (_, err) = e.code(&["start", "db", "--wait-timeout", "2"], 1);
    assert!(
        err.contains("is not ready after 2 s") || err.contains("unhealthy"),
        "{err}"
    );
}

/// APP_UID/APP_GID: the owner of the project directory when it is not
/// root, else SUDO_UID/SUDO_GID, else the caller (root → 1000).
#[test]
fn app_uid_follows_tree_owner_then_sudo_uid() {
    use std::os::unix::fs::MetadataExt;
    let p = Project::new().file(
        "devctl.toml",
        "[project]\nname = \"sudouid\"\n[app]\nport = 8000\n",
    );
    let owner = std::fs::metadata(p.path()).unwrap().uid();
    let out = p
        .devctl(&["config"])
        .env("SUDO_UID", "1234")
        .env("SUDO_GID", "1235")
        // which uid depends on who owns the tree: checked below
        .stdout_any()
        .run()
        .stdout();
    if owner == 0 {
        assert!(out.contains("APP_UID: \"1234\""), "{out}");
        assert!(out.contains("APP_GID: \"1235\""), "{out}");
        // without sudo: root maps to 1000
        let out = p
            .devctl(&["config"])
            .env_remove("SUDO_UID")
            .env_remove("SUDO_GID")
            .stdout(indoc! {r#"
                # generated by devctl from devctl.toml — edit devctl.toml, not this file
                services:
                  app:
                    image: sudouid-app:dev
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
            .run()
            .stdout();
        assert!(out.contains("APP_UID: \"1000\""), "{out}");
        // a tree owned by a user: that user, even under sudo
        std::os::unix::fs::chown(p.path(), Some(1300), Some(1301)).unwrap();
        let out = p
            .devctl(&["config"])
            .env("SUDO_UID", "1234")
            .stdout(indoc! {r#"
                # generated by devctl from devctl.toml — edit devctl.toml, not this file
                services:
                  app:
                    image: sudouid-app:dev
                    build:
                      context: [TMP]
                      dockerfile: Dockerfile
                      args:
                        APP_UID: "1300"
                        APP_GID: "1301"
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
            .run()
            .stdout();
        assert!(out.contains("APP_UID: \"1300\""), "{out}");
        assert!(out.contains("APP_GID: \"1301\""), "{out}");
        std::os::unix::fs::chown(p.path(), Some(0), Some(0)).unwrap();
    } else {
        assert!(out.contains(&format!("APP_UID: \"{owner}\"")), "{out}");
    }
}

/// A root-owned tree the app cannot write: `start` warns before starting,
/// a server that fails writing it fails `start` with the ownership fix,
/// the next `start` refuses it unless `--force`, and a writable tree serves.
#[test]
fn root_owned_tree_is_detected_and_explained() {
    use std::os::unix::fs::MetadataExt;
    use std::os::unix::fs::PermissionsExt;
    if !engine_ready() {
        return;
    }
    let e = Env::new("rootown", "");
    if std::fs::metadata(e.p.path()).unwrap().uid() != 0 {
        eprintln!("skipping: needs root to own the project directory");
        return;
    }
    std::fs::set_permissions(e.p.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let toml = std::fs::read_to_string(e.p.path().join("devctl.toml")).unwrap();
    let httpd = format!(r#"["httpd", "-f", "-p", "{}", "-h", "/app"]"#, e.port);
    let writer = format!(
        r#"["sh", "-c", "touch /app/db.sqlite3 && exec httpd -f -p {} -h /app"]"#,
        e.port
    );
    e.write("devctl.toml", &toml.replace(&httpd, &writer));
    let (_, err) = e.code(&["start"], 1);
    assert!(
        err.contains("warning: the app runs as uid 1000 and cannot write"),
        "{err}"
    );
    assert!(err.contains("Permission denied"), "{err}");
    assert!(err.contains("chown -R 1000:1000 ."), "{err}");
    let (_, err) = e.code(&["start"], 2);
    assert!(err.contains("not starting the server"), "{err}");
    assert!(err.contains("--force"), "{err}");
    // --force tries (and fails the same way)
    let (_, err) = e.code(&["start", "--force"], 1);
    assert!(err.contains("Permission denied"), "{err}");
    // writable: it serves
    std::fs::set_permissions(e.p.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let (out, err) = e.ok(&["start"]);
    assert!(out.contains("app  ready in"), "{out}");
    assert!(!err.contains("cannot write"), "{err}");
    std::fs::set_permissions(e.p.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// `network_mode = "service:a"` (compose v2's meaning): b is created in a's
/// network stack (`container:<a's id>`), after a; when a is recreated, the
/// next `start` recreates b too. `container:NAME` passes through. a's
/// `mac_address` is its container's MAC (Config.MacAddress on API 1.41).
#[test]
fn service_network_mode_shares_and_follows_a_recreated_owner() {
    if !engine_ready() {
        return;
    }
    let svc = |text: &str| {
        format!(
            r#"
[services.a]
image = "{FIXTURE}"
command = ["sh", "-c", "echo {text} > /tmp/index.html && exec httpd -f -p 8080 -h /tmp"]
init = true
mac_address = "02:42:ac:11:00:99"

[services.b]
image = "{FIXTURE}"
command = ["sleep", "3600"]
init = true
network_mode = "service:a"
"#
        )
    };
    let e = Env::new("netmode", &svc("from-a"));
    let a = e.c("a", 1);
    let b = e.c("b", 1);
    e.write(
        "devctl.toml",
        &format!(
            "{}\n[services.c]\nimage = \"{FIXTURE}\"\ncommand = [\"sleep\", \"3600\"]\ninit = true\nnetwork_mode = \"container:{a}\"\n",
            std::fs::read_to_string(e.p.path().join("devctl.toml")).unwrap()
        ),
    );
    // b alone brings a along, and a starts first
    let (_, err) = e.ok(&["start", "b"]);
    let (ia, ib) = (
        err.find(&format!("{a}  Created")),
        err.find(&format!("{b}  Created")),
    );
    assert!(ia.is_some() && ib.is_some() && ia < ib, "{err}");
    e.ok(&["start", "c"]);
    let inspect = |c: &str, f: &str| docker_out(&["inspect", "-f", f, c]);
    let a_id = inspect(&a, "{{.Id}}");
    assert_eq!(inspect(&a, "{{.Config.MacAddress}}"), "02:42:ac:11:00:99");
    assert_eq!(
        inspect(
            &a,
            "{{range .NetworkSettings.Networks}}{{.MacAddress}}{{end}}"
        ),
        "02:42:ac:11:00:99"
    );
    assert_eq!(
        inspect(&b, "{{.HostConfig.NetworkMode}}"),
        format!("container:{a_id}")
    );
    let reaches = |c: &str, want: &str| {
        wait_until(&format!("{c} reaches a"), Duration::from_secs(20), || {
            docker(&["exec", c, "wget", "-qO-", "http://127.0.0.1:8080/"]).stdout
                == format!("{want}\n").as_bytes()
        })
    };
    reaches(&b, "from-a");
    reaches(&e.c("c", 1), "from-a");
    // b has no network of its own
    assert_eq!(inspect(&b, "{{len .NetworkSettings.Networks}}"), "0");

    // nothing changed: nothing recreated
    let (_, err) = e.ok(&["start", "b"]);
    assert!(
        !err.contains("Recreated") && !err.contains("Created"),
        "{err}"
    );

    // a change that recreates a: the next start recreates b, in a's new stack
    let toml = std::fs::read_to_string(e.p.path().join("devctl.toml")).unwrap();
    e.write(
        "devctl.toml",
        &toml.replace(&svc("from-a"), &svc("from-a2")),
    );
    let (_, err) = e.ok(&["start", "a"]);
    assert!(err.contains(&format!("{a}  Recreated")), "{err}");
    let a2_id = inspect(&a, "{{.Id}}");
    assert_ne!(a2_id, a_id);
    let (_, err) = e.ok(&["start", "b"]);
    assert!(err.contains(&format!("{b}  Recreated")), "{err}");
    assert!(!err.contains(&format!("{a}  Recreated")), "{err}");
    assert_eq!(
        inspect(&b, "{{.HostConfig.NetworkMode}}"),
        format!("container:{a2_id}")
    );
    reaches(&b, "from-a2");
    assert_eq!(inspect(&a, "{{.Config.MacAddress}}"), "02:42:ac:11:00:99");
}
