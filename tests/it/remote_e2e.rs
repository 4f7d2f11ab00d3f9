//! Remote engines: `DOCKER_HOST=ssh://…` for real (Debian's openssh-server
//! on 127.0.0.1 with a key and an sshd config made for the test; bollard's
//! ssh transport runs `docker system dial-stdio` on the far side), and
//! Podman's Docker-compatible API when podman can run here.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::e2e_support::{engine_ready, free_port, skip_or_fail, TestProject};

/// An sshd of the test's own on 127.0.0.1 (killed on drop) and a wrapper
/// `ssh` on PATH that uses the test's client config and key.
struct Sshd {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Sshd {
    fn start() -> Option<Sshd> {
        let sshd = Path::new("/usr/sbin/sshd");
        let ssh = which("ssh");
        let keygen = which("ssh-keygen");
        let (Some(ssh), Some(keygen)) = (ssh, keygen) else {
            skip_or_fail("openssh-client is not installed (scripts/install-test-deps.sh)");
            return None;
        };
        if !sshd.exists() {
            skip_or_fail("openssh-server is not installed (scripts/install-test-deps.sh)");
            return None;
        }
        if which("docker").is_none() {
            skip_or_fail("the docker CLI is needed on the ssh side (docker system dial-stdio)");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for key in ["host_key", "client_key"] {
            let st = Command::new(&keygen)
                .args(["-q", "-t", "ed25519", "-N", "", "-f"])
                .arg(d.join(key))
                .status()
                .unwrap();
            assert!(st.success());
        }
        std::fs::copy(d.join("client_key.pub"), d.join("authorized_keys")).unwrap();
        let port = free_port();
        std::fs::write(
            d.join("sshd_config"),
            format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {hk}\nAuthorizedKeysFile {ak}\n\
                 PermitRootLogin prohibit-password\nPasswordAuthentication no\n\
                 KbdInteractiveAuthentication no\nPubkeyAuthentication yes\nUsePAM no\n\
                 StrictModes no\nPidFile {pid}\nMaxSessions 100\nMaxStartups 100\n",
                hk = d.join("host_key").display(),
                ak = d.join("authorized_keys").display(),
                pid = d.join("sshd.pid").display(),
            ),
        )
        .unwrap();
        std::fs::write(
            d.join("ssh_config"),
            format!(
                "Host devctl-ssh-test\n  HostName 127.0.0.1\n  Port {port}\n  User root\n\
                 Host *\n  IdentityFile {key}\n  IdentitiesOnly yes\n  StrictHostKeyChecking no\n  \
                 UserKnownHostsFile /dev/null\n  LogLevel ERROR\n  BatchMode yes\n",
                key = d.join("client_key").display()
            ),
        )
        .unwrap();
        let bin = d.join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let wrapper = bin.join("ssh");
        std::fs::write(
            &wrapper,
            format!(
                "#!/bin/sh\nexec {} -F {} \"$@\"\n",
                ssh.display(),
                d.join("ssh_config").display()
            ),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
        // sshd's privilege-separation directory (normally made at boot).
        let _ = std::fs::create_dir_all("/run/sshd");
        let child = Command::new(sshd)
            .args(["-D", "-e", "-f"])
            .arg(d.join("sshd_config"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(d.join("sshd.log")).unwrap())
            .spawn()
            .unwrap();
        let mut s = Sshd { child, port, dir };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(st)) = s.child.try_wait() {
                panic!("sshd exited ({st}): {}", s.log());
            }
            assert!(
                Instant::now() < deadline,
                "sshd did not listen: {}",
                s.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(s)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("sshd.log")).unwrap_or_default()
    }

    fn env(&self) -> Vec<(String, String)> {
        let path = format!(
            "{}:{}",
            self.dir.path().join("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        vec![
            // bollard's ssh transport cannot take a port in the URL: an
            // ssh config alias carries it (as a user would write it).
            ("DOCKER_HOST".into(), "ssh://devctl-ssh-test".into()),
            ("PATH".into(), path),
        ]
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var("PATH")
        .ok()?
        .split(':')
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file())
}

#[test]
fn ssh_engine_start_sh_down() {
    if !engine_ready() {
        return;
    }
    let Some(sshd) = Sshd::start() else { return };
    let mut t = TestProject::new("ssh", "", "");
    t.write(".env", "AUTO_START_SERVER=true\n");
    t.env = sshd.env();
    let o = t.run(&["start"]);
    assert!(
        o.status.success(),
        "start over ssh failed\n--- stderr\n{}\n--- sshd\n{}",
        String::from_utf8_lossy(&o.stderr),
        sshd.log()
    );
    assert_eq!(t.containers(), [format!("{}-app-1", t.name)]);
    let (out, _) = t.ok(&["sh", "--", "sh", "-c", "id -un; echo over-ssh"]);
    assert_eq!(out, "app\nover-ssh\n");
    let o = t.run(&["sh", "--", "sh", "-c", "exit 5"]);
    assert_eq!(o.status.code(), Some(5));
    let (out, _) = t.ok(&["ps"]);
    assert!(out.contains(&format!("{}-app-1", t.name)), "{out}");
    // doctor over ssh: the engine answers, socket access is ssh.
    let o = t.run(&["doctor", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let checks = v["checks"].as_array().unwrap();
    let get = |id: &str| checks.iter().find(|c| c["id"] == id).unwrap().clone();
    assert_eq!(get("engine")["status"], "ok", "{v:#}");
    assert!(get("socket")["detail"]
        .as_str()
        .unwrap()
        .contains("over ssh"));
    t.ok(&["down"]);
    assert!(t.containers().is_empty());
}

#[test]
fn ssh_engine_unreachable_is_one_clear_line() {
    let Some(sshd) = Sshd::start() else { return };
    let mut t = TestProject::new("sshx", "", "");
    let mut env = sshd.env();
    // A host that refuses ssh.
    env[0].1 = "ssh://root@devctl-ssh-nowhere.invalid".into();
    t.env = env.clone();
    let started = Instant::now();
    let o = t.run(&["start"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("cannot reach the Docker engine at ssh://root@devctl-ssh-nowhere.invalid"),
        "{err}"
    );
    assert!(err.contains("devctl doctor"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(started.elapsed() < Duration::from_secs(60));
    // A port in the URL: said plainly, with the way to write it.
    env[0].1 = format!("ssh://root@127.0.0.1:{}", sshd.port);
    t.env = env;
    let o = t.run(&["ps"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("cannot take a port in the URL"), "{err}");
    assert!(err.contains(&format!("Port {}", sshd.port)), "{err}");
}

// ------------------------------------------------------------------ podman

/// `podman system service` on a unix socket under the test's temp dir, with
/// its own storage (removed on drop).
struct Podman {
    child: Child,
    dir: tempfile::TempDir,
}

impl Podman {
    fn args(&self) -> Vec<String> {
        let d = self.dir.path();
        vec![
            "--root".into(),
            d.join("root").display().to_string(),
            "--runroot".into(),
            d.join("run").display().to_string(),
        ]
    }

    fn podman(&self, args: &[&str]) -> std::process::Output {
        Command::new("podman")
            .args(self.args())
            .args(args)
            .env("CONTAINERS_CONF", self.dir.path().join("containers.conf"))
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    fn sock(&self) -> PathBuf {
        self.dir.path().join("podman.sock")
    }

    /// Starts the service and loads the busybox fixture into its storage.
    /// Err: exactly why podman cannot run here.
    fn start() -> Result<Podman, String> {
        if which("podman").is_none() {
            return Err("podman is not installed (scripts/install-test-deps.sh)".into());
        }
        let dir = tempfile::tempdir().unwrap();
        // Limits this sandbox lets runc set (podman's defaults are the
        // host's hard limits, which runc may not re-apply in a sandbox).
        std::fs::write(
            dir.path().join("containers.conf"),
            "[containers]\ndefault_ulimits = [\"nofile=1024:1024\", \"nproc=4096:4096\"]\n",
        )
        .unwrap();
        let sock = dir.path().join("podman.sock");
        let child = Command::new("podman")
            .args([
                "--root",
                &dir.path().join("root").display().to_string(),
                "--runroot",
                &dir.path().join("run").display().to_string(),
                "system",
                "service",
                "--time=0",
                &format!("unix://{}", sock.display()),
            ])
            .env("CONTAINERS_CONF", dir.path().join("containers.conf"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("service.log")).unwrap())
            .spawn()
            .map_err(|e| format!("cannot run podman: {e}"))?;
        let mut p = Podman { child, dir };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::os::unix::net::UnixStream::connect(p.sock()).is_err() {
            if let Ok(Some(st)) = p.child.try_wait() {
                return Err(format!(
                    "`podman system service` exited ({st}): {}",
                    std::fs::read_to_string(p.dir.path().join("service.log")).unwrap_or_default()
                ));
            }
            if Instant::now() > deadline {
                return Err("`podman system service` did not create its socket in 20 s".into());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        // The fixture image, from the Docker engine into podman's storage.
        let mut save = Command::new("docker")
            .args(["save", crate::e2e_support::FIXTURE])
            .env_remove("DOCKER_HOST")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let load = Command::new("podman")
            .args(p.args())
            .args(["load", "-q"])
            .stdin(save.stdout.take().unwrap())
            .output()
            .unwrap();
        let _ = save.wait();
        if !load.status.success() {
            return Err(format!(
                "podman load of the fixture failed: {}",
                String::from_utf8_lossy(&load.stderr)
            ));
        }
        // Can podman run a container at all here?
        let run = p.podman(&["run", "--rm", crate::e2e_support::FIXTURE, "true"]);
        if !run.status.success() {
            return Err(format!(
                "podman cannot run a container in this sandbox: {}",
                String::from_utf8_lossy(&run.stderr).trim()
            ));
        }
        Ok(p)
    }
}

impl Drop for Podman {
    fn drop(&mut self) {
        let _ = self.podman(&["rm", "-af", "-t", "0"]);
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = self.podman(&["system", "reset", "-f"]);
    }
}

#[test]
fn podman_build_start_sh_down() {
    if !engine_ready() {
        return;
    }
    let pm = match Podman::start() {
        Ok(p) => p,
        Err(why) => {
            skip_or_fail(&format!("podman: {why}"));
            return;
        }
    };
    let mut t = TestProject::new("pdm", "", "");
    t.write(".env", "AUTO_START_SERVER=true\n");
    t.env = vec![(
        "DOCKER_HOST".into(),
        format!("unix://{}", pm.sock().display()),
    )];
    let names = |pm: &Podman| {
        let o = pm.podman(&[
            "ps",
            "-a",
            "--filter",
            &format!("label=com.docker.compose.project={}", t.name),
            "--format",
            "{{.ID}} {{.Names}}",
        ]);
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    };
    t.ok(&["build"]);
    t.ok(&["start"]);
    let first = names(&pm);
    assert!(first.ends_with(&format!("{}-app-1", t.name)), "{first}");
    // The server answers on 127.0.0.1.
    let deadline = Instant::now() + Duration::from_secs(20);
    let body = loop {
        use std::io::{Read, Write};
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", t.port)) {
            let _ = s.write_all(b"GET /index.html HTTP/1.0\r\n\r\n");
            let mut b = String::new();
            let _ = s.read_to_string(&mut b);
            if b.contains("hello") {
                break b;
            }
        }
        assert!(
            Instant::now() < deadline,
            "the app never answered on {}",
            t.port
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(body.contains("200"), "{body}");
    // Idempotent: a second start recreates nothing.
    t.ok(&["start"]);
    assert_eq!(names(&pm), first);
    let (out, _) = t.ok(&["sh", "--", "sh", "-c", "id -un; echo on-podman"]);
    assert_eq!(out, "app\non-podman\n");
    let o = t.run(&["sh", "--", "sh", "-c", "exit 3"]);
    assert_eq!(o.status.code(), Some(3));
    let (out, _) = t.ok(&["ps"]);
    assert!(out.contains(&format!("{}-app-1", t.name)), "{out}");
    // doctor names the product.
    let o = t.run(&["doctor", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let engine = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "engine")
        .unwrap()
        .clone();
    assert_eq!(engine["status"], "ok", "{engine}");
    assert!(
        engine["detail"].as_str().unwrap().contains("Podman Engine"),
        "{engine}"
    );
    t.ok(&["down"]);
    assert_eq!(names(&pm), "");
}
