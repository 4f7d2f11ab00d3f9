//! Faults: the engine going away in the middle of `devctl start` (through
//! a proxy socket of the test's own that drops every connection, so the
//! machine's daemon keeps running), and a full disk while
//! `.devctl/compose.yaml` is written (a small tmpfs mounted by the test).

use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::e2e_support::{ci, engine_ready, run_bounded, skip_or_fail, TestProject};

const UPSTREAM: &str = "/var/run/docker.sock";

/// A unix-socket proxy to the real engine that, once a request containing
/// `trigger` passes through it, shuts down every connection and from then
/// on closes each new one at once: the engine "goes away".
struct DroppingProxy {
    path: PathBuf,
    dropped: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    _dir: tempfile::TempDir,
}

impl DroppingProxy {
    fn start(trigger: &'static str) -> DroppingProxy {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("docker.sock");
        let listener = UnixListener::bind(&path).unwrap();
        let dropped = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let conns: Arc<Mutex<Vec<UnixStream>>> = Arc::new(Mutex::new(Vec::new()));
        let (d, s) = (dropped.clone(), stop.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = client else { continue };
                if d.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let Ok(upstream) = UnixStream::connect(UPSTREAM) else {
                    continue;
                };
                {
                    let mut c = conns.lock().unwrap();
                    c.push(client.try_clone().unwrap());
                    c.push(upstream.try_clone().unwrap());
                }
                // server → client
                let (mut up_r, mut cl_w) =
                    (upstream.try_clone().unwrap(), client.try_clone().unwrap());
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut up_r, &mut cl_w);
                    let _ = cl_w.shutdown(std::net::Shutdown::Both);
                });
                // client → server, watching for the trigger
                let (mut cl_r, mut up_w) = (client, upstream);
                let (d2, conns2) = (d.clone(), conns.clone());
                std::thread::spawn(move || {
                    let mut buf = [0u8; 16384];
                    let mut tail: Vec<u8> = Vec::new();
                    loop {
                        let n = match cl_r.read(&mut buf) {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        tail.extend_from_slice(&buf[..n]);
                        if tail.len() > 8192 {
                            tail.drain(..tail.len() - 8192);
                        }
                        if !d2.load(Ordering::SeqCst)
                            && String::from_utf8_lossy(&tail).contains(trigger)
                        {
                            d2.store(true, Ordering::SeqCst);
                            for c in conns2.lock().unwrap().iter() {
                                let _ = c.shutdown(std::net::Shutdown::Both);
                            }
                            break;
                        }
                        if up_w.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    let _ = up_w.shutdown(std::net::Shutdown::Both);
                });
            }
        });
        DroppingProxy {
            path,
            dropped,
            stop,
            _dir: dir,
        }
    }

    fn host(&self) -> String {
        format!("unix://{}", self.path.display())
    }
}

impl Drop for DroppingProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = UnixStream::connect(&self.path);
    }
}

#[test]
fn engine_lost_mid_start_is_a_clear_error_not_a_hang() {
    if !engine_ready() {
        return;
    }
    // Each trigger is a request of `start`: the build, the container create,
    // the container start.
    for trigger in ["/build?", "/containers/create", "/start HTTP"] {
        let mut t = TestProject::new("flt", "", "");
        t.write(".env", "AUTO_START_SERVER=true\n");
        if trigger != "/build?" {
            t.ok(&["build"]);
        }
        let proxy = DroppingProxy::start(trigger);
        t.env = vec![("DOCKER_HOST".into(), proxy.host())];
        let (code, _out, err, took) = run_bounded(t.cmd(&["start"]), Duration::from_secs(90));
        assert!(
            proxy.dropped.load(Ordering::SeqCst),
            "{trigger}: trigger never seen\n{err}"
        );
        assert_ne!(
            code,
            Some(0),
            "{trigger}: start succeeded without an engine\n{err}"
        );
        assert!(code.is_some(), "{trigger}: killed by a signal\n{err}");
        assert!(!err.contains("panicked"), "{trigger}: {err}");
        let last = err.lines().last().unwrap_or("");
        assert!(
            last.starts_with("error:") && last.contains(&proxy.host()),
            "{trigger}: the error should name the engine it lost:\n{err}"
        );
        eprintln!("{trigger}: failed cleanly in {took:?}: {last}");
        // The engine comes back: the next start (direct socket) converges.
        t.env.clear();
        t.ok(&["start"]);
        assert_eq!(t.containers().len(), 1);
    }
}

#[test]
fn engine_lost_mid_run_dev_is_a_clear_error_not_a_hang() {
    if !engine_ready() {
        return;
    }
    // run-dev starts the project through the proxy, then checks every 2 s
    // that the engine still answers (`/_ping`, sent by nothing else): that
    // request makes the proxy drop every connection, as a dying engine does.
    let t0 = TestProject::new("fltrd", "", "");
    t0.ok(&["build"]);
    let mut t = t0;
    let proxy = DroppingProxy::start("/_ping");
    t.env = vec![("DOCKER_HOST".into(), proxy.host())];
    let (code, out, err, took) = run_bounded(t.cmd(&["run-dev"]), Duration::from_secs(60));
    assert!(
        proxy.dropped.load(Ordering::SeqCst),
        "the liveness check never ran
{out}
{err}"
    );
    assert_eq!(
        code,
        Some(1),
        "run-dev should fail, not exit {code:?}
{out}
{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    let last = err.lines().last().unwrap_or("");
    assert!(
        last.starts_with("error:")
            && last.contains("lost the connection")
            && last.contains(&proxy.host()),
        "the error should say it lost the engine and name it:\n{err}"
    );
    eprintln!("run-dev failed cleanly {took:?} after start: {last}");
    // The engine comes back: the containers are still there and start converges.
    t.env.clear();
    t.ok(&["start"]);
    assert_eq!(t.containers().len(), 1);
}

/// Mounts a tmpfs of `size` at `dir` (root only); false when impossible.
fn mount_tmpfs(dir: &Path, size: &str) -> bool {
    Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
        .arg(dir)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

struct Unmount(PathBuf);
impl Drop for Unmount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn disk_full_keeps_the_old_compose_file() {
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("fs");
    std::fs::create_dir_all(&dir).unwrap();
    let mounted = mount_tmpfs(&dir, "256k");
    let _guard = mounted.then(|| Unmount(dir.clone()));
    if !mounted && ci() {
        eprintln!("cannot mount a tmpfs here: using RLIMIT_FSIZE instead");
    }
    let toml_small = "[project]\nname = \"full\"\n[app]\nport = 8000\n";
    std::fs::write(dir.join("devctl.toml"), toml_small).unwrap();
    std::fs::write(dir.join("Dockerfile"), "FROM scratch\n").unwrap();
    let devctl = |limit: Option<u64>| {
        // The builder prepares it; the rlimit needs the Command.
        let mut c = crate::support::devctl_in(&dir, &["config"]).command();
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
    };
    let o = devctl(None);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let compose = dir.join(".devctl/compose.yaml");
    let old = std::fs::read(&compose).unwrap();

    // A bigger compose file next time, then no room for it.
    let mut big = toml_small.to_string();
    for i in 0..40 {
        big.push_str(&format!(
            "[services.s{i}]\nimage = \"busybox:1.36\"\ncommand = [\"sh\", \"-c\", \"echo {}\"]\n",
            "x".repeat(100)
        ));
    }
    std::fs::write(dir.join("devctl.toml"), &big).unwrap();
    let limit = if mounted {
        // Fill the tmpfs to the last block.
        let mut f = std::fs::File::create(dir.join("filler")).unwrap();
        let chunk = vec![0u8; 4096];
        while f.write_all(&chunk).is_ok() {}
        let _ = f.sync_all();
        None
    } else {
        Some((old.len() + 100) as u64)
    };
    let o = devctl(limit);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("compose.yaml"),
        "the error names the file: {err}"
    );
    assert!(
        err.contains("No space left on device") || err.contains("too large"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(&compose).unwrap(),
        old,
        "the old file was changed"
    );
    let left: Vec<String> = std::fs::read_dir(dir.join(".devctl"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp."))
        .collect();
    assert!(left.is_empty(), "temp files left behind: {left:?}");
    if !mounted {
        skip_or_fail("no tmpfs: checked with RLIMIT_FSIZE only");
    }
}
