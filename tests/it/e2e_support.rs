//! Shared helpers of the doctor / safety / fault / load / remote end-to-end
//! tests: the engine (skip locally when it is missing, fail under CI=true),
//! the busybox fixture, and a temp project on it that cleans up after itself.
#![allow(dead_code)]

use std::io::Read;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::support::Project;

pub const FIXTURE: &str = "devctl-fixture/busybox:1";

pub fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Skip (false) locally, panic under CI=true.
pub fn skip_or_fail(why: &str) -> bool {
    if ci() {
        panic!("{why} (CI=true: failing, not skipping)");
    }
    eprintln!("skipping: {why}");
    false
}

pub fn docker(args: &[&str]) -> Output {
    Command::new("docker")
        .args(args)
        .env_remove("DOCKER_HOST")
        .stdin(Stdio::null())
        .output()
        .expect("run the docker CLI")
}

pub fn docker_out(args: &[&str]) -> String {
    let o = docker(args);
    assert!(
        o.status.success(),
        "docker {args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

/// True when the local engine and the busybox fixture image are there.
pub fn engine_ready() -> bool {
    static READY: OnceLock<Result<(), String>> = OnceLock::new();
    let r = READY.get_or_init(|| {
        match Command::new("docker")
            .args(["version", "--format", "{{.Server.APIVersion}}"])
            .env_remove("DOCKER_HOST")
            .stdin(Stdio::null())
            .output()
        {
            Ok(o) if o.status.success() => {}
            Ok(o) => {
                return Err(format!(
                    "docker engine unreachable: {}",
                    String::from_utf8_lossy(&o.stderr).trim()
                ))
            }
            Err(e) => return Err(format!("no docker CLI: {e}")),
        }
        if docker(&["image", "inspect", FIXTURE]).status.success() {
            return Ok(());
        }
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let st = Command::new(cargo)
            .args([
                "run",
                "--quiet",
                "--package",
                "xtask",
                "--",
                "fixtures",
                "busybox",
            ])
            .env("CARGO_TARGET_DIR", root.join("target/xtask-nested"))
            .current_dir(root)
            .status();
        match st {
            Ok(s) if s.success() => Ok(()),
            other => Err(format!("`cargo xtask fixtures busybox` failed: {other:?}")),
        }
    });
    match r {
        Ok(()) => true,
        Err(e) => skip_or_fail(e),
    }
}

static SEQ: AtomicU32 = AtomicU32::new(0);

pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

pub const DOCKERFILE: &str = "\
FROM devctl-fixture/busybox:1 AS app
ARG APP_UID=1000
ARG APP_GID=1000
COPY . /src
USER app
";

/// Images the test made, removed on drop (`--no-prune`: the parent layers
/// are the build cache other tests share).
pub struct Images(pub Vec<String>);

impl Drop for Images {
    fn drop(&mut self) {
        for i in &self.0 {
            let _ = docker(&["rmi", "--no-prune", "-f", i]);
        }
    }
}

/// A temp project on the busybox fixture with a unique project name;
/// `down --volumes` (and a sweep by label) on drop.
pub struct TestProject {
    pub p: Project,
    pub name: String,
    pub home: tempfile::TempDir,
    pub port: u16,
    /// Extra environment for every run (DOCKER_HOST, …).
    pub env: Vec<(String, String)>,
}

impl TestProject {
    /// `app_extra` goes into `[app]`; `rest` is appended to devctl.toml.
    pub fn new(tag: &str, app_extra: &str, rest: &str) -> TestProject {
        let name = format!(
            "{}{}x{}",
            tag,
            std::process::id(),
            SEQ.fetch_add(1, Ordering::SeqCst)
        );
        let port = free_port();
        let home = tempfile::tempdir().unwrap();
        let toml = format!(
            r#"[project]
name = "{name}"

[app]
target = "app"
port = {port}
user = "app"
workdir = "/app"
server = ["httpd", "-f", "-p", "{port}", "-h", "/app"]
{app_extra}
{rest}"#
        );
        let p = Project::new()
            .file("devctl.toml", toml)
            .file("Dockerfile", DOCKERFILE)
            .file(".dockerignore", ".devctl\n")
            .file("index.html", "hello\n");
        TestProject {
            p,
            name,
            home,
            port,
            env: Vec::new(),
        }
    }

    pub fn path(&self) -> &Path {
        self.p.path()
    }

    pub fn write(&self, rel: &str, text: &str) {
        let p = self.p.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        // The builder's setup; the engine tests check output themselves
        // (it depends on the engine's timing), so they take the Command.
        let mut r = self
            .p
            .devctl(args)
            .env("HOME", self.home.path())
            .env_remove("AUTO_START_SERVER")
            .env_remove("DOCKER_HOST");
        for (k, v) in &self.env {
            r = r.env(k, v);
        }
        let mut c = r.command();
        c.stdin(Stdio::null());
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    /// Runs, asserts the exit code, returns (stdout, stderr).
    pub fn code(&self, args: &[&str], code: i32) -> (String, String) {
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

    pub fn ok(&self, args: &[&str]) -> (String, String) {
        self.code(args, 0)
    }

    pub fn containers(&self) -> Vec<String> {
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
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect();
        v.sort();
        v
    }
}

impl Drop for TestProject {
    fn drop(&mut self) {
        let mut c = self.cmd(&["down", "--volumes"]);
        c.env_remove("DOCKER_HOST");
        let _ = c.output();
        for c in self.containers() {
            let _ = docker(&["rm", "-f", &c]);
        }
        let _ = docker(&["network", "rm", &format!("{}_default", self.name)]);
        let _ = docker(&["image", "rm", &format!("{}-app:dev", self.name)]);
    }
}

/// Runs the command (output collected, how long it took); panics if it is
/// still running after `limit` (a hang, e.g. on a lost or silent engine).
pub fn run_bounded(mut cmd: Command, limit: Duration) -> (Option<i32>, String, String, Duration) {
    let t0 = Instant::now();
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let o = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let e = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            return (
                st.code(),
                o.join().unwrap(),
                e.join().unwrap(),
                t0.elapsed(),
            );
        }
        if t0.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "devctl {:?} hung for {limit:?}\n--- stderr\n{}",
                cmd.get_args().collect::<Vec<_>>(),
                e.join().unwrap()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
