//! Load: `devctl start` with 20 replicas, then 20 concurrent
//! `devctl sh -- true`; everything succeeds and nothing leaks (exec
//! sessions, processes in the container, devctl processes on the host).

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::e2e_support::{docker_out, engine_ready, TestProject, FIXTURE};

fn top_count(container: &str) -> usize {
    docker_out(&["top", container])
        .lines()
        .count()
        .saturating_sub(1)
}

/// Live (not zombie) processes running the devctl binary with their working
/// directory in `dir`.
fn devctl_processes_in(dir: &std::path::Path) -> Vec<u32> {
    let exe = std::fs::canonicalize(env!("CARGO_BIN_EXE_devctl")).unwrap();
    let dir = std::fs::canonicalize(dir).unwrap();
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        // Each read can fail because the process has just exited.
        let p = e.path();
        let is_devctl = std::fs::read_link(p.join("exe")).is_ok_and(|x| x == exe);
        let in_dir = std::fs::read_link(p.join("cwd")).is_ok_and(|c| c.starts_with(&dir));
        let zombie = std::fs::read_to_string(p.join("stat")).map_or(true, |s| s.contains(") Z "));
        if is_devctl && in_dir && !zombie {
            found.push(pid);
        }
    }
    found
}

fn exec_ids(container: &str) -> String {
    docker_out(&["inspect", "-f", "{{len .ExecIDs}}", container])
}

#[test]
fn twenty_replicas_and_twenty_concurrent_shells() {
    if !engine_ready() {
        return;
    }
    let t = TestProject::new(
        "load",
        "",
        &format!(
            "[services.worker]\nimage = \"{FIXTURE}\"\ncommand = [\"sleep\", \"3600\"]\ninit = true\ndeploy = {{ replicas = 20 }}\n"
        ),
    );
    t.write(".env", "AUTO_START_SERVER=true\n");
    t.ok(&["start"]);
    let running = docker_out(&[
        "ps",
        "--filter",
        &format!("label=com.docker.compose.project={}", t.name),
        "--filter",
        "label=com.docker.compose.service=worker",
        "--format",
        "{{.Names}}",
    ]);
    assert_eq!(running.lines().count(), 20, "{running}");
    // Idempotent under load: a second start changes nothing.
    let before = docker_out(&[
        "ps",
        "-q",
        "--no-trunc",
        "--filter",
        &format!("label=com.docker.compose.project={}", t.name),
    ]);
    t.ok(&["start"]);
    let after = docker_out(&[
        "ps",
        "-q",
        "--no-trunc",
        "--filter",
        &format!("label=com.docker.compose.project={}", t.name),
    ]);
    assert_eq!(before, after);

    let app = format!("{}-app-1", t.name);
    let procs_before = top_count(&app);
    let children: Vec<_> = (0..20)
        .map(|i| {
            let svc = if i % 2 == 0 { "app" } else { "worker" };
            t.cmd(&["sh", svc, "--", "true"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let o = c.wait_with_output().unwrap();
        assert!(
            o.status.success(),
            "sh -- true failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    // And exit codes still pass through under load.
    let o = t.run(&["sh", "--", "sh", "-c", "exit 7"]);
    assert_eq!(o.status.code(), Some(7));
    // The leak check at the end sees a devctl that is still running.
    let mut sleeper = t
        .cmd(&["sh", "--", "sleep", "2"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let seen = devctl_processes_in(t.path());
    assert!(sleeper.wait().unwrap().success());
    assert_eq!(seen, vec![sleeper.id()]);

    // No exec session or process left in the containers.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let app_execs = exec_ids(&app);
        let worker_execs = exec_ids(&format!("{}-worker-1", t.name));
        let procs = top_count(&app);
        if app_execs == "0" && worker_execs == "0" && procs == procs_before {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "leaked: app execs {app_execs}, worker-1 execs {worker_execs}, app processes {procs} (was {procs_before})"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // No devctl process is left in the project (a background child would
    // be one). Not by the shells' pids: they are reaped by now, and with
    // pid_max at 32768 and ShellCheck-heavy tests beside this one, a pid
    // can already belong to someone else.
    let left = devctl_processes_in(t.path());
    assert!(left.is_empty(), "devctl processes still running: {left:?}");
}
