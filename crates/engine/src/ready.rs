//! After `start` converged: wait (bounded) until each started container is
//! ready, and explain the ones that are not.
//!
//! Ready means: healthy when the container has a healthcheck; for the app
//! with its server on, its published port answers HTTP (any status);
//! otherwise running for [`MOMENT`] without exiting (a container that was
//! already running counts at once). A container that exits with a non-zero
//! code, exits at all when it is the app server, restarts or turns
//! unhealthy fails `start` with the last lines of its log and, where the
//! cause is recognisable, the fix. The judging ([`judge`]) and the log
//! reading ([`diagnose`]) are pure; [`wait`] is the IO loop around them.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use bollard::query_parameters::{InspectContainerOptions, LogsOptionsBuilder};
use futures_util::StreamExt;

use super::Engine;

/// How long a fresh container without a healthcheck or HTTP probe must keep
/// running to count as ready.
pub const MOMENT: Duration = Duration::from_millis(1000);
/// How many log lines a failure shows.
pub const LOG_LINES: usize = 20;
const TICK: Duration = Duration::from_millis(200);

/// One container to wait for.
#[derive(Debug, Clone)]
pub struct Target {
    pub service: String,
    /// What the ready line calls it: the service, or `service-n` for a
    /// replica.
    pub label: String,
    pub container: String,
    /// Created, recreated or started by this `start` (else it was running).
    pub fresh: bool,
    /// `host:port` of the app server's published port: it must answer HTTP.
    pub http: Option<String>,
    /// The URL printed with the ready line.
    pub url: Option<String>,
    /// Exiting at all is a failure (the app server); else exit 0 is
    /// "completed" (a one-shot job).
    pub must_stay_up: bool,
}

/// What one inspect (and one HTTP probe) showed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Observed {
    pub running: bool,
    pub restarting: bool,
    pub exit_code: Option<i64>,
    pub restart_count: i64,
    /// The health status (`starting`, `healthy`, `unhealthy`), None without
    /// a healthcheck.
    pub health: Option<String>,
    /// The HTTP probe got an HTTP response (None: not probed).
    pub http_ok: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Ready,
    /// Exited 0 and may (a one-shot job).
    Completed,
    Wait,
    /// Not ready and will not be: why.
    Failed(String),
}

/// Pure: the state of one target after `elapsed` of waiting.
/// `baseline_restarts`: the restart count when the wait began (0 for a
/// fresh container).
pub fn judge(t: &Target, o: &Observed, baseline_restarts: i64, elapsed: Duration) -> Verdict {
    if o.restarting || o.restart_count > baseline_restarts {
        return Verdict::Failed(format!(
            "restarted {} time{} (it keeps exiting)",
            o.restart_count - baseline_restarts.min(o.restart_count),
            if o.restart_count - baseline_restarts == 1 {
                ""
            } else {
                "s"
            }
        ));
    }
    if !o.running {
        return match o.exit_code {
            Some(0) if !t.must_stay_up => Verdict::Completed,
            Some(code) => Verdict::Failed(format!("exited with code {code}")),
            None => Verdict::Failed("is not running".to_string()),
        };
    }
    match o.health.as_deref() {
        Some("healthy") => return Verdict::Ready,
        Some("unhealthy") => return Verdict::Failed("is unhealthy".to_string()),
        Some(_) => return Verdict::Wait,
        None => {}
    }
    if t.http.is_some() {
        return if o.http_ok == Some(true) {
            Verdict::Ready
        } else {
            Verdict::Wait
        };
    }
    if !t.fresh || elapsed >= MOMENT {
        Verdict::Ready
    } else {
        Verdict::Wait
    }
}

/// Pure: the fix for a failure, from the log's last lines, where the cause
/// is recognisable. `app_uid`/`app_gid`: who the app runs as.
pub fn diagnose(lines: &[String], app_uid: u32, app_gid: u32) -> Option<String> {
    let text = lines.join("\n");
    let has = |needle: &str| text.contains(needle);
    if is_write_failure(lines) {
        return Some(format!(
            "the app runs as uid {app_uid} and cannot write the source tree mounted from the project \
             directory: `chown -R {app_uid}:{app_gid} .` in the project directory, or clone it as \
             your own user"
        ));
    }
    if has("Address already in use") || has("EADDRINUSE") || has("address already in use") {
        return Some(
            "the server's port is already in use inside the container (a second server, or \
             `[app].port` not matching the server's port): stop the other process or change the port"
                .to_string(),
        );
    }
    if let Some(i) = text.find("No module named ") {
        let rest = &text[i + "No module named ".len()..];
        let name: String = rest
            .trim_start_matches(['\'', '"'])
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '.')
            .collect();
        return Some(format!(
            "Python module {name:?} is not installed in the image: add it to the project's \
             requirements, then `devctl build` and `devctl start`"
        ));
    }
    if has("Cannot find module") || has("command not found") || has("not found in $PATH") {
        return Some(
            "a module or program the server needs is missing from the image: add it to the \
             Dockerfile or the project's dependencies, then `devctl build` and `devctl start`"
                .to_string(),
        );
    }
    None
}

/// Pure: the log shows a failure to write a file (permission denied, an
/// sqlite database that cannot be opened or written).
pub fn is_write_failure(lines: &[String]) -> bool {
    const SIGNS: &[&str] = &[
        "unable to open database file",
        "Permission denied",
        "PermissionError",
        "EACCES",
        "attempt to write a readonly database",
        "Read-only file system",
    ];
    lines.iter().any(|l| SIGNS.iter().any(|s| l.contains(s)))
}

/// The app container's last run, with the configuration `config_hash`
/// (a changed configuration may have fixed it), ended with a write failure
/// in its log (exited non-zero or restarting): its log's last lines, else
/// None.
pub async fn crashed_on_write(
    eng: &Engine,
    container: &str,
    config_hash: &str,
) -> Result<Option<Vec<String>>> {
    let c = match eng
        .docker
        .inspect_container(container, None::<InspectContainerOptions>)
        .await
    {
        Ok(c) => c,
        Err(e) if super::status_of(&e) == Some(404) => return Ok(None),
        Err(e) => return Err(anyhow::anyhow!(e).context(format!("inspecting {container}"))),
    };
    let same_config = c
        .config
        .as_ref()
        .and_then(|cfg| cfg.labels.as_ref())
        .and_then(|l| l.get(super::plan::LABEL_HASH))
        .is_some_and(|h| h == config_hash);
    if !same_config {
        return Ok(None);
    }
    let state = c.state.unwrap_or_default();
    let crashed = state.restarting == Some(true)
        || (state.running != Some(true) && state.exit_code.is_some_and(|c| c != 0));
    if !crashed {
        return Ok(None);
    }
    let lines = log_tail(eng, container).await;
    Ok(is_write_failure(&lines).then_some(lines))
}

/// Pure: whether bytes read from a socket start an HTTP response.
pub fn is_http_response(head: &[u8]) -> bool {
    head.starts_with(b"HTTP/")
}

/// One HTTP probe: connect, `GET /`, read the status line (bounded).
pub fn http_probe(hostport: &str) -> bool {
    let addrs: Vec<SocketAddr> = match hostport.to_socket_addrs() {
        Ok(a) => a.collect(),
        Err(_) => return false,
    };
    let Some(addr) = addrs.first() else {
        return false;
    };
    let Ok(mut s) = TcpStream::connect_timeout(addr, Duration::from_millis(500)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let _ = s.set_write_timeout(Some(Duration::from_secs(1)));
    let req = format!("GET / HTTP/1.0\r\nHost: {hostport}\r\nUser-Agent: devctl\r\n\r\n");
    if s.write_all(req.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 5];
    let mut got = 0;
    while got < head.len() {
        match s.read(&mut head[got..]) {
            Ok(0) | Err(_) => return false,
            Ok(n) => got += n,
        }
    }
    is_http_response(&head)
}

async fn observe(eng: &Engine, t: &Target) -> Result<Observed> {
    let c = eng
        .docker
        .inspect_container(&t.container, None::<InspectContainerOptions>)
        .await
        .with_context(|| format!("inspecting {} (waiting for it to be ready)", t.container))?;
    let state = c.state.unwrap_or_default();
    let health = state
        .health
        .as_ref()
        .and_then(|h| h.status.as_ref())
        .map(|s| s.to_string())
        .filter(|s| !s.is_empty() && s != "none");
    let running = state.running == Some(true);
    let mut o = Observed {
        running,
        restarting: state.restarting == Some(true),
        exit_code: state.exit_code,
        restart_count: c.restart_count.unwrap_or(0),
        health,
        http_ok: None,
    };
    if running && o.health.is_none() {
        if let Some(hp) = &t.http {
            let hp = hp.clone();
            o.http_ok = Some(
                tokio::task::spawn_blocking(move || http_probe(&hp))
                    .await
                    .unwrap_or(false),
            );
        }
    }
    Ok(o)
}

/// The last [`LOG_LINES`] lines of a container's output. The engine copies
/// a container's output to its log asynchronously, so the last lines of a
/// container that has just exited may land a moment later: read after a
/// short pause (this is the failure path only).
pub async fn log_tail(eng: &Engine, container: &str) -> Vec<String> {
    tokio::time::sleep(Duration::from_millis(300)).await;
    let opts = LogsOptionsBuilder::default()
        .stdout(true)
        .stderr(true)
        .tail(&LOG_LINES.to_string())
        .build();
    let mut stream = eng.docker.logs(container, Some(opts));
    let mut bytes = Vec::new();
    while let Some(item) = stream.next().await {
        match item {
            Ok(out) => bytes.extend_from_slice(&out.into_bytes()),
            Err(_) => break,
        }
    }
    let text = String::from_utf8_lossy(&bytes);
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    let skip = lines.len().saturating_sub(LOG_LINES);
    lines.into_iter().skip(skip).collect()
}

/// How the wait went for one target.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub target: Target,
    pub verdict: Verdict,
    pub took: Duration,
}

/// Waits for every target (all at once, each tick inspecting those still
/// pending), calling `on_done` as each is ready, completed or failed.
/// Stops at the first failure; past `timeout`, the pending ones fail.
/// A target that was already running and is ready costs one inspect.
pub async fn wait(
    eng: &Engine,
    targets: Vec<Target>,
    timeout: Duration,
    mut on_done: impl FnMut(&Outcome),
) -> Result<Option<Outcome>> {
    let t0 = Instant::now();
    let mut pending: Vec<(Target, Option<i64>, String)> = targets
        .into_iter()
        .map(|t| {
            let base = if t.fresh { Some(0) } else { None };
            (t, base, String::new())
        })
        .collect();
    loop {
        let mut still = Vec::new();
        // every target at once (one round trip for all, not one each);
        // the verdicts in the targets' order
        let seen =
            futures_util::future::join_all(pending.iter().map(|(t, _, _)| observe(eng, t))).await;
        for ((t, base, _), o) in pending.into_iter().zip(seen) {
            let o = o?;
            let base = base.unwrap_or(o.restart_count);
            let verdict = judge(&t, &o, base, t0.elapsed());
            let why_waiting = match (&o.health, &t.http) {
                (Some(h), _) => format!("health: {h}"),
                (None, Some(hp)) => format!("nothing answers HTTP at {hp}"),
                _ => "running".to_string(),
            };
            match verdict {
                Verdict::Wait => still.push((t, Some(base), why_waiting)),
                v => {
                    let out = Outcome {
                        target: t,
                        verdict: v,
                        took: t0.elapsed(),
                    };
                    if matches!(out.verdict, Verdict::Failed(_)) {
                        return Ok(Some(out));
                    }
                    on_done(&out);
                }
            }
        }
        pending = still;
        if pending.is_empty() {
            return Ok(None);
        }
        if t0.elapsed() >= timeout {
            let (t, _, why) = pending.swap_remove(0);
            return Ok(Some(Outcome {
                target: t,
                verdict: Verdict::Failed(format!(
                    "is not ready after {} s ({why}; `--wait-timeout SECONDS` waits longer)",
                    timeout.as_secs()
                )),
                took: t0.elapsed(),
            }));
        }
        tokio::time::sleep(TICK).await;
    }
}

/// Seconds with one decimal: `1.4 s`.
pub fn secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(fresh: bool, http: bool, must: bool) -> Target {
        Target {
            service: "app".into(),
            label: "app".into(),
            container: "p-app-1".into(),
            fresh,
            http: http.then(|| "127.0.0.1:8000".to_string()),
            url: None,
            must_stay_up: must,
        }
    }

    fn running() -> Observed {
        Observed {
            running: true,
            ..Observed::default()
        }
    }

    #[test]
    fn fresh_container_must_run_a_moment() {
        let t = target(true, false, false);
        assert_eq!(judge(&t, &running(), 0, Duration::ZERO), Verdict::Wait);
        assert_eq!(judge(&t, &running(), 0, MOMENT), Verdict::Ready);
        // already running: ready at once
        let kept = target(false, false, false);
        assert_eq!(judge(&kept, &running(), 0, Duration::ZERO), Verdict::Ready);
    }

    #[test]
    fn exits_and_restarts_fail() {
        let t = target(true, false, false);
        let exited = |code| Observed {
            exit_code: Some(code),
            ..Observed::default()
        };
        assert_eq!(
            judge(&t, &exited(1), 0, Duration::ZERO),
            Verdict::Failed("exited with code 1".into())
        );
        assert_eq!(judge(&t, &exited(0), 0, Duration::ZERO), Verdict::Completed);
        let server = target(true, true, true);
        assert_eq!(
            judge(&server, &exited(0), 0, Duration::ZERO),
            Verdict::Failed("exited with code 0".into())
        );
        let restarted = Observed {
            restart_count: 2,
            ..running()
        };
        assert!(matches!(
            judge(&t, &restarted, 0, MOMENT),
            Verdict::Failed(m) if m.contains("restarted 2 times")
        ));
        // a kept container's earlier restarts are not held against it
        assert_eq!(judge(&t, &restarted, 2, MOMENT), Verdict::Ready);
        let restarting = Observed {
            restarting: true,
            ..Observed::default()
        };
        assert!(matches!(
            judge(&t, &restarting, 0, MOMENT),
            Verdict::Failed(_)
        ));
    }

    #[test]
    fn healthcheck_wins_and_is_waited_for() {
        let t = target(true, true, true);
        let h = |s: &str| Observed {
            health: Some(s.to_string()),
            http_ok: Some(true),
            ..running()
        };
        assert_eq!(judge(&t, &h("starting"), 0, MOMENT * 10), Verdict::Wait);
        assert_eq!(judge(&t, &h("healthy"), 0, Duration::ZERO), Verdict::Ready);
        assert_eq!(
            judge(&t, &h("unhealthy"), 0, Duration::ZERO),
            Verdict::Failed("is unhealthy".into())
        );
    }

    #[test]
    fn server_must_answer_http() {
        let t = target(false, true, true);
        let probe = |ok| Observed {
            http_ok: Some(ok),
            ..running()
        };
        assert_eq!(judge(&t, &probe(false), 0, MOMENT * 10), Verdict::Wait);
        assert_eq!(judge(&t, &probe(true), 0, Duration::ZERO), Verdict::Ready);
        assert!(is_http_response(b"HTTP/1.1 404 Not Found"));
        assert!(!is_http_response(b"SSH-2.0"));
    }

    #[test]
    fn diagnoses_known_causes() {
        let l = |s: &str| vec![s.to_string()];
        let perm = diagnose(
            &l("django.db.utils.OperationalError: unable to open database file"),
            1000,
            1000,
        )
        .unwrap();
        assert!(perm.contains("chown -R 1000:1000 ."), "{perm}");
        let port = diagnose(
            &l("Error: That port is already in use. [Errno 98] Address already in use"),
            1000,
            1000,
        )
        .unwrap();
        assert!(port.contains("port"), "{port}");
        let module = diagnose(
            &l("ModuleNotFoundError: No module named 'django'"),
            1000,
            1000,
        )
        .unwrap();
        assert!(module.contains("\"django\""), "{module}");
        assert_eq!(diagnose(&l("segfault"), 1000, 1000), None);
    }
}
