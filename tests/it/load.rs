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
    let t0 = Instant::now();
    t.ok(&["start"]);
    eprintln!("start with 20 replicas: {:?}", t0.elapsed());
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
    let t0 = Instant::now();
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
    let mut pids = Vec::new();
    for c in children {
        pids.push(c.id());
        let o = c.wait_with_output().unwrap();
        assert!(
            o.status.success(),
            "sh -- true failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    eprintln!("20 concurrent sh -- true: {:?}", t0.elapsed());
    // And exit codes still pass through under load.
    let o = t.run(&["sh", "--", "sh", "-c", "exit 7"]);
    assert_eq!(o.status.code(), Some(7));

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
    // No devctl process of ours is still alive.
    for pid in pids {
        assert!(
            !std::path::Path::new(&format!("/proc/{pid}")).exists()
                || std::fs::read_to_string(format!("/proc/{pid}/stat"))
                    .is_ok_and(|s| s.contains(") Z ")),
            "devctl {pid} still running"
        );
    }
}
