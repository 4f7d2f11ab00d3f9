//! Issue 11's guards end to end: an engine that stops answering is an
//! error naming it, never a hang (a proxy of the test's own, frozen with
//! SIGSTOP or by itself mid-request); no spelling of root and no path to
//! the Docker socket gets through; a multi-command `server` line runs every
//! command.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::e2e_support::{docker_out, engine_ready, run_bounded, TestProject};
use crate::support::Project;

const UPSTREAM: &str = "/var/run/docker.sock";
const TIMEOUT_ENV: &str = "DEVCTL_ENGINE_TIMEOUT";

/// `tests/it/py/sock_proxy.py` on a socket in a temp dir, forwarding to
/// the engine. SIGCONT + kill on drop.
struct Proxy {
    child: Child,
    path: PathBuf,
    _dir: tempfile::TempDir,
}

impl Proxy {
    fn start(freeze_on: Option<&str>) -> Proxy {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("engine.sock");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/py/sock_proxy.py");
        let mut cmd = Command::new("python3");
        cmd.arg(&script).arg(&path).arg(UPSTREAM);
        if let Some(f) = freeze_on {
            cmd.arg(f);
        }
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 for the engine proxy");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "ready", "the proxy did not start");
        Proxy {
            child,
            path,
            _dir: dir,
        }
    }

    fn host(&self) -> String {
        format!("unix://{}", self.path.display())
    }

    fn signal(&self, sig: libc::c_int) {
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(self.child.id() as libc::pid_t, sig) };
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.signal(libc::SIGCONT);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn assert_names_silent_engine(what: &str, r: &(Option<i32>, String, String), host: &str) {
    let (code, _out, err) = r;
    assert!(code.is_some(), "{what}: killed by a signal\n{err}");
    assert_ne!(*code, Some(0), "{what}: succeeded without an engine\n{err}");
    assert!(!err.contains("panicked"), "{what}: {err}");
    let last = err.lines().last().unwrap_or("");
    assert!(
        last.starts_with("error:") && last.contains(host),
        "{what}: the last line should be an error naming {host}:\n{err}"
    );
    assert!(
        last.contains("answer"),
        "{what}: the error should say the engine did not answer:\n{err}"
    );
}

#[test]
fn a_silent_engine_is_an_error_naming_it_not_a_hang() {
    if !engine_ready() {
        return;
    }
    let mut t = TestProject::new("sil", "", "");
    let proxy = Proxy::start(None);
    t.env = vec![
        ("DOCKER_HOST".into(), proxy.host()),
        (TIMEOUT_ENV.into(), "2".into()),
    ];
    // The proxy passes requests while it runs…
    t.ok(&["ps"]);
    // …and, stopped, holds every connection open without an answer.
    proxy.signal(libc::SIGSTOP);
    let host = proxy.host();
    for args in [
        &["ps"][..],
        &["start"],
        &["stop"],
        &["down"],
        &["sh", "--", "true"],
        &["logs"],
    ] {
        let (code, out, err, _) = run_bounded(t.cmd(args), Duration::from_secs(40));
        let r = (code, out, err);
        assert_names_silent_engine(&format!("{args:?}"), &r, &host);
    }
    // doctor reports the engine check as failed, naming the address.
    let (code, out, err, _) = run_bounded(t.cmd(&["doctor"]), Duration::from_secs(60));
    assert_eq!(code, Some(1), "doctor\n{out}\n{err}");
    let line = out
        .lines()
        .find(|l| l.contains("engine") && l.contains(&host))
        .unwrap_or_else(|| panic!("doctor names no failed engine check:\n{out}"));
    assert!(line.contains('✗'), "{line}");
    // Without the override the default bound applies: still an error.
    t.env.retain(|(k, _)| k != TIMEOUT_ENV);
    let (code, out, err, _) = run_bounded(t.cmd(&["ps"]), Duration::from_secs(60));
    let r = (code, out, err);
    assert_names_silent_engine("ps (default bound)", &r, &host);
}

#[test]
fn an_engine_that_goes_silent_mid_start_is_an_error_not_a_hang() {
    if !engine_ready() {
        return;
    }
    let mut t = TestProject::new("silm", "", "");
    t.write(".env", "AUTO_START_SERVER=true\n");
    t.ok(&["build"]);
    // The proxy freezes itself when `start` creates the container.
    let proxy = Proxy::start(Some("/containers/create"));
    t.env = vec![
        ("DOCKER_HOST".into(), proxy.host()),
        (TIMEOUT_ENV.into(), "2".into()),
    ];
    let (code, out, err, _) = run_bounded(t.cmd(&["start"]), Duration::from_secs(60));
    let r = (code, out, err);
    assert_names_silent_engine("start", &r, &proxy.host());
    // The engine was fine all along: the next start converges.
    drop(proxy);
    t.env.clear();
    t.ok(&["start"]);
    assert_eq!(t.containers().len(), 1);
}

/// A passwd where `toor` is uid 0 (and `zero` is too, spelled `000`).
const PASSWD: &str = "root:x:0:0:root:/root:/bin/sh\n\
toor:x:0:0::/root:/bin/sh\n\
zero:x:000:0::/:/bin/sh\n\
app:x:1000:1000::/home/app:/bin/sh\n";

const ROOT_DOCKERFILE: &str = "\
FROM devctl-fixture/busybox:1 AS app
ARG APP_UID=1000
ARG APP_GID=1000
COPY passwd /etc/passwd
USER app
";

fn with_user(t: &TestProject, user: &str) {
    let p = t.path().join("devctl.toml");
    let text = std::fs::read_to_string(&p).unwrap();
    let mut out = String::new();
    for l in text.lines() {
        if l.starts_with("user = ") {
            out.push_str(&format!("user = \"{user}\"\n"));
        } else {
            out.push_str(l);
            out.push('\n');
        }
    }
    std::fs::write(p, out).unwrap();
}

#[test]
fn a_name_the_image_maps_to_uid_0_is_refused_before_any_container_exists() {
    if !engine_ready() {
        return;
    }
    let t = TestProject::new("root", "", "");
    t.write("Dockerfile", ROOT_DOCKERFILE);
    t.write("passwd", PASSWD);
    for user in ["toor", "zero:app"] {
        with_user(&t, user);
        let (_, err) = t.code(&["start"], 2);
        assert!(
            err.contains("uid 0 (root) in the image's /etc/passwd") && err.contains(user),
            "{user}: {err}"
        );
        assert!(
            t.containers().is_empty(),
            "{user}: a container was created: {:?}",
            t.containers()
        );
    }
    // Spelled root and interpolated root never reach the engine.
    for user in ["+0", "-0", "000:0", "root:root"] {
        with_user(&t, user);
        let (_, err) = t.code(&["start"], 2);
        assert!(err.contains("root"), "{user}: {err}");
    }
    with_user(&t, "${RUN_AS}");
    t.write(".env", "RUN_AS=00\n");
    let (_, err) = t.code(&["start"], 2);
    assert!(err.contains("uid 0"), "{err}");
    assert!(t.containers().is_empty());
    // A name the image maps to a non-root uid starts, as that uid.
    t.write(".env", "RUN_AS=app\n");
    t.ok(&["start"]);
    let (out, _) = t.ok(&["sh", "--", "id", "-u"]);
    assert_eq!(out.trim(), "1000");
    // The probes that read the image's /etc/passwd are gone.
    let left = docker_out(&[
        "ps",
        "-aq",
        "--filter",
        "label=dev.devctl.user-probe",
        "--filter",
        &format!("ancestor={}-app:dev", t.name),
    ]);
    assert_eq!(left, "", "probe containers left behind");
}

#[test]
fn a_server_line_with_several_commands_runs_every_command() {
    if !engine_ready() {
        return;
    }
    let t = TestProject::new("multi", "", "");
    let p = t.path().join("devctl.toml");
    let text = std::fs::read_to_string(&p).unwrap();
    let text: String = text
        .lines()
        .map(|l| {
            if l.starts_with("server = ") {
                "server = \"echo first > /tmp/a; echo second > /tmp/b; sleep 1000\"".to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&p, text).unwrap();
    t.write(".env", "AUTO_START_SERVER=true\n");
    t.ok(&["start", "--no-wait"]); // the server never answers HTTP
                                   // The server's first commands have run by the time sh gets there.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let o = t.run(&["sh", "--", "cat", "/tmp/a", "/tmp/b"]);
        let out = String::from_utf8_lossy(&o.stdout).into_owned();
        if o.status.success() {
            assert_eq!(out, "first\nsecond\n");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the server line did not run both commands: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // …and the container is still up (the last command, sleep, runs).
    let state = docker_out(&[
        "inspect",
        "-f",
        "{{.State.Running}}",
        &format!("{}-app-1", t.name),
    ]);
    assert_eq!(state, "true");
}

/// The Docker-socket rule on resolved paths, with `config --check` (no
/// engine needed): each spelling is refused unless allowed.
#[test]
fn no_path_to_the_docker_socket_gets_through() {
    use std::os::unix::net::UnixListener;
    let outside = tempfile::tempdir().unwrap();
    // An engine socket of the test's own, named by DOCKER_HOST.
    let sock_dir = outside.path().canonicalize().unwrap().join("engine");
    std::fs::create_dir_all(&sock_dir).unwrap();
    let sock = sock_dir.join("e.sock");
    let _l = UnixListener::bind(&sock).unwrap();
    let links = outside.path().canonicalize().unwrap().join("links");
    std::fs::create_dir_all(&links).unwrap();
    std::os::unix::fs::symlink(&sock, links.join("to-sock")).unwrap();
    std::os::unix::fs::symlink(&sock_dir, links.join("to-dir")).unwrap();
    let host = format!("unix://{}", sock.display());

    let proj = Project::new();
    let dir = proj.path().canonicalize().unwrap();
    let ups = "../".repeat(dir.components().count() - 1);
    let mut sources = vec![
        format!("{}", links.join("to-sock").display()),
        format!("{}", links.join("to-dir").display()),
        format!("{}/", sock_dir.display()),
        format!("{}/./e.sock", sock_dir.display()),
        format!("{}/../engine", sock_dir.display()),
        format!(
            "{ups}{}",
            sock_dir.display().to_string().trim_start_matches('/')
        ),
        "/".to_string(),
    ];
    let real = Path::new(UPSTREAM).exists();
    if real {
        sources.extend(
            [
                "/var/./run/docker.sock",
                "/var/run/../run/docker.sock",
                "/var/run",
                "/run/",
            ]
            .map(String::from),
        );
        let link = links.join("docker-link");
        std::os::unix::fs::symlink(UPSTREAM, &link).unwrap();
        sources.push(link.display().to_string());
        // `/run` when /var/run links to it.
        if std::fs::read_link("/var/run").is_ok() {
            sources.push("/run/docker.sock".into());
        }
    }
    for src in &sources {
        let toml = format!("[services.ci]\nimage = \"i\"\nvolumes = [\"{src}:/s\"]\n");
        let p = Project::new().file("devctl.toml", &toml);
        let d = p
            .devctl(&["config", "--check"])
            .env("DOCKER_HOST", &host)
            .status(2)
            // the message names this machine's socket paths
            .stderr_any()
            .run();
        let err = d.stderr();
        assert!(
            err.contains("Docker socket") && err.contains("allow_docker_socket = true"),
            "{src}: {err}"
        );
        assert!(err.contains("devctl.toml:"), "{src}: no position: {err}");
        // Interpolated from .env: the same.
        let p = Project::new()
            .file(
                "devctl.toml",
                "[services.ci]\nimage = \"i\"\nvolumes = [\"${SRC}:/s\"]\n",
            )
            .file(".env", format!("SRC={src}\n"));
        p.devctl(&["config", "--check"])
            .env("DOCKER_HOST", &host)
            .status(2)
            .stderr_contains("allow_docker_socket = true")
            .run();
        // Allowed: accepted, with a warning.
        let p = Project::new().file("devctl.toml", format!("{toml}allow_docker_socket = true\n"));
        p.devctl(&["config", "--check"])
            .env("DOCKER_HOST", &host)
            .stdout("[TMP]/devctl.toml: ok (1 service)\n")
            .stderr_contains("mounts the Docker socket")
            .run();
    }
    // A directory next to the socket is fine.
    let other = outside.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    let p = Project::new().file(
        "devctl.toml",
        format!(
            "[services.ci]\nimage = \"i\"\nvolumes = [\"{}:/s\"]\n",
            other.display()
        ),
    );
    p.devctl(&["config", "--check"])
        .env("DOCKER_HOST", &host)
        .stdout("[TMP]/devctl.toml: ok (1 service)\n")
        .run();
}
