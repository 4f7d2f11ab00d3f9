//! `devctl run-dev`: the dev loop (DESIGN.md §5).
//!
//! 1. nvm toolchain: the host nvm dir is created (owned by the invoking
//!    user) before `start` mounts it; then the environment is started as
//!    `devctl start` does.
//! 2. nvm toolchain: `[nvm].install` runs in the container when
//!    `$NVM_DIR/nvm.sh` is missing, then `nvm install` (reads .nvmrc).
//! 3. `[assets].install` when package-lock.json changed since the last
//!    successful install (stamp `.devctl/stamps/assets-install`: its sha256),
//!    then `[assets].build` once.
//! 4. The watch loop ([`crate::watch`]): each rule's `run` executes in the app
//!    container with its output prefixed `[rule]` and a timing line.
//! 5. The server's output is streamed with an `[app]` prefix.
//! 6. Ctrl-C / SIGTERM: watching stops, builds in flight are killed as a
//!    process group inside the container (every exec is its own session
//!    there, so its pid is the group id, written to a pid file), containers
//!    stay up, exit 0; a second Ctrl-C exits at once (130).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context, Result};
use sha2::{Digest, Sha256};
use tokio::signal::unix::{signal, Signal, SignalKind};
use tokio::sync::mpsc;

#[cfg(test)]
use crate::engine::jobs::{job_script, kill_script, pid_file, LineBuffer};
use crate::engine::jobs::{
    ping, precreate, run_job, send_kill, stream_app_logs, JobTarget as Target, SentKill,
};
use crate::error::usage;
use crate::project::model::{AssetsSection, Toolchain};
use crate::session::{Input, Session};
use crate::watch::filter::{Filter, RuleSpec};
use crate::watch::notifier::{Notifier, RawEvent};
use crate::watch::sched::Scheduler;

/// The debounce window when a rule sets no `debounce_ms`.
pub const DEFAULT_WINDOW: Duration = Duration::from_millis(10);

/// How often the watch loop checks that the engine still answers.
pub const LIVENESS: Duration = Duration::from_secs(2);

/// Where the install stamp lives, relative to the project dir.
pub const STAMP: &str = ".devctl/stamps/assets-install";

// ---------------------------------------------------------------- pure parts

/// The stamp text for a package-lock.json (its sha256, or `absent`).
pub fn lock_stamp(lock: Option<&[u8]>) -> String {
    match lock {
        Some(bytes) => {
            let digest = Sha256::digest(bytes);
            digest.iter().map(|b| format!("{b:02x}")).collect()
        }
        None => "absent".into(),
    }
}

/// Whether `[assets].install` must run: the lock file differs from the
/// stamp of the last successful install (or there is none).
pub fn install_needed(stamp: Option<&str>, lock: Option<&[u8]>) -> bool {
    stamp.map(str::trim) != Some(lock_stamp(lock).as_str())
}

/// The container's nvm dir for the app user (as the compose file mounts it).
pub fn container_nvm_dir(user: Option<&str>) -> String {
    let user = user.unwrap_or("app").split(':').next().unwrap_or("app");
    let home = if user.is_empty() || user.bytes().all(|b| b.is_ascii_digit()) {
        "app"
    } else {
        user
    };
    format!("/home/{home}/.nvm")
}

/// The shell prelude that puts nvm's node on PATH (empty for `system`).
pub fn toolchain_prelude(toolchain: Toolchain, nvm_dir: &str) -> String {
    match toolchain {
        Toolchain::System => String::new(),
        Toolchain::Nvm => format!(
            "export NVM_DIR='{nvm_dir}'; . \"$NVM_DIR/nvm.sh\" || exit 1; \
             {{ nvm use --silent >/dev/null 2>&1 || nvm use --silent default >/dev/null 2>&1 || true; }}; "
        ),
    }
}

/// nvm bootstrap: install nvm when nvm.sh is missing, then `nvm install`
/// (reads .nvmrc) when the project has one.
pub fn nvm_setup_script(nvm_dir: &str, install: &str) -> String {
    format!(
        "export NVM_DIR='{nvm_dir}'; \
         if [ ! -s \"$NVM_DIR/nvm.sh\" ]; then echo \"nvm is not in $NVM_DIR: installing it\"; {install} || exit 1; fi; \
         [ -s \"$NVM_DIR/nvm.sh\" ] || {{ echo \"[nvm].install did not create $NVM_DIR/nvm.sh\" >&2; exit 1; }}; \
         . \"$NVM_DIR/nvm.sh\" || exit 1; \
         if [ -f .nvmrc ]; then nvm install; else echo 'no .nvmrc: using the default node of nvm'; fi"
    )
}

/// The host path of `[nvm].dir` (`~` expanded, relative to the project).
pub fn host_nvm_dir(dir: &str, home: &str, project_dir: &Path) -> PathBuf {
    if dir == "~" {
        PathBuf::from(home)
    } else if let Some(rest) = dir.strip_prefix("~/") {
        Path::new(home).join(rest)
    } else {
        project_dir.join(dir)
    }
}

fn fmt_ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms >= 10_000.0 {
        format!("{:.1} s", ms / 1000.0)
    } else {
        format!("{ms:.0} ms")
    }
}

// ---------------------------------------------------------------- the shell

struct Signals {
    int: Signal,
    term: Signal,
}

impl Signals {
    fn new() -> Result<Signals> {
        Ok(Signals {
            int: signal(SignalKind::interrupt()).context("installing the SIGINT handler")?,
            term: signal(SignalKind::terminate()).context("installing the SIGTERM handler")?,
        })
    }

    async fn recv(&mut self) {
        tokio::select! {
            _ = self.int.recv() => {}
            _ = self.term.recv() => {}
        }
    }
}

/// Result of a job: (job index, exit code or error, duration).
type Done = (usize, Result<i64>, Duration);

fn spawn_job(
    t: &Arc<Target>,
    idx: usize,
    name: String,
    cmd: String,
    tx: &mpsc::UnboundedSender<Done>,
) {
    let (t, tx) = (Arc::clone(t), tx.clone());
    tokio::spawn(async move {
        let start = Instant::now();
        let res = run_job(&t, &name, &cmd, true).await;
        let _ = tx.send((idx, res, start.elapsed()));
        precreate(&t, &name, &cmd).await;
    });
}

fn report(name: &str, res: &Result<i64>, took: Duration, stopping: bool) -> bool {
    match res {
        Ok(0) => {
            let _ = crate::outln!("[{name}] done in {}", fmt_ms(took));
            true
        }
        Ok(_) if stopping => {
            let _ = crate::outln!("[{name}] stopped after {}", fmt_ms(took));
            false
        }
        Ok(code) => {
            crate::errln!(
                "[{name}] failed (exit {code}) after {}; still watching",
                fmt_ms(took)
            );
            false
        }
        Err(e) => {
            crate::errln!("[{name}] error: {e:#}");
            false
        }
    }
}

/// Stops the jobs in flight (kill, then wait for their ends); a second
/// signal exits at once.
async fn stop_inflight(
    t: &Arc<Target>,
    names: &[String],
    inflight: &mut Vec<usize>,
    done_rx: &mut mpsc::UnboundedReceiver<Done>,
    sigs: &mut Signals,
) {
    if inflight.is_empty() {
        return;
    }
    crate::errln!(
        "stopping {} (Ctrl-C again to exit at once)",
        inflight
            .iter()
            .map(|i| format!("[{}]", names[*i]))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let sent = futures_util::future::join_all(inflight.iter().map(|i| send_kill(t, &names[*i])));
    tokio::pin!(sent);
    let sent = tokio::select! {
        sent = &mut sent => sent,
        _ = sigs.recv() => exit_at_once(sent).await,
    };
    let wait_all = async {
        futures_util::future::join_all(sent.into_iter().flatten().map(SentKill::finish)).await;
        while !inflight.is_empty() {
            match tokio::time::timeout(Duration::from_secs(5), done_rx.recv()).await {
                Ok(Some((i, res, took))) => {
                    inflight.retain(|x| *x != i);
                    report(&names[i], &res, took, true);
                }
                _ => break,
            }
        }
    };
    tokio::select! {
        _ = wait_all => {}
        _ = sigs.recv() => exit_at_once(std::future::ready(())).await,
    }
}

/// The second signal: exits with 130 without waiting for the jobs to end,
/// but only once `sending` (the kills) has reached the engine, for at most
/// two seconds: the kill goes on in the container, so no job outlives
/// devctl's exit by more than the kill script's second.
async fn exit_at_once<T>(sending: impl std::future::Future<Output = T>) -> ! {
    let _ = tokio::time::timeout(Duration::from_secs(2), sending).await;
    crate::errln!("exiting at once");
    std::process::exit(130);
}

/// Runs one startup job to its end, or stops it on a signal (then
/// `Ok(None)`: the caller exits cleanly).
async fn startup_job(
    t: &Arc<Target>,
    name: &str,
    cmd: String,
    with_prelude: bool,
    sigs: &mut Signals,
) -> Result<Option<(i64, Duration)>> {
    let start = Instant::now();
    let fut = run_job(t, name, &cmd, with_prelude);
    tokio::pin!(fut);
    tokio::select! {
        res = &mut fut => Ok(Some((res?, start.elapsed()))),
        _ = sigs.recv() => {
            crate::errln!("stopping [{name}] (Ctrl-C again to exit at once)");
            let sending = send_kill(t, name);
            tokio::pin!(sending);
            let sent = tokio::select! {
                sent = &mut sending => sent,
                _ = sigs.recv() => exit_at_once(sending).await,
            };
            tokio::select! {
                _ = async { if let Ok(k) = sent { k.finish().await; } let _ = (&mut fut).await; } => {}
                _ = sigs.recv() => exit_at_once(std::future::ready(())).await,
            }
            Ok(None)
        }
    }
}

pub fn run(session: &Session) -> Result<ExitCode> {
    let global = session.global;
    let began = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let project = session.project()?;
    let dir = project.paths.dir.clone();
    let assets: AssetsSection = project.config.assets.clone().unwrap_or_default();
    if project.config.app.is_none() {
        return Err(usage("run-dev needs an [app] section in devctl.toml"));
    }
    let nvm_cfg = project.config.nvm.clone().unwrap_or_default();
    // As the generator decides the nvm mount: an [nvm] table, or [assets]
    // with the nvm toolchain (no [assets] at all: nothing to build, no nvm).
    let nvm_wanted = project.config.nvm.is_some()
        || project
            .config
            .assets
            .as_ref()
            .is_some_and(|a| a.toolchain == Toolchain::Nvm);

    // The host nvm dir exists, owned by this user, before the engine
    // mounts it (the engine would create it as root).
    if nvm_wanted && nvm_cfg.dir != "volume" {
        let home = crate::session::home();
        let host = host_nvm_dir(&nvm_cfg.dir, &home, &dir);
        if !host.exists() {
            std::fs::create_dir_all(&host)
                .with_context(|| format!("creating the nvm dir {} ([nvm].dir)", host.display()))?;
            if !global.quiet {
                crate::errln!("created the nvm dir {}", host.display());
            }
        }
    }

    let filter = Filter::new(
        &assets
            .watch
            .iter()
            .map(|r| RuleSpec {
                name: &r.name,
                roots: r.paths.iter().map(|p| PathBuf::from(p.as_str())).collect(),
                patterns: &r.patterns,
            })
            .collect::<Vec<_>>(),
    )
    .map_err(usage)?;

    // run-dev streams the server's own output, so it does not wait here.
    crate::commands::start::run(
        session,
        &[],
        &crate::commands::start::StartOptions {
            wait: None,
            force: false,
        },
    )?;
    let loaded = session.engine_input(Input::Write {
        show_warnings: false,
    })?;
    let plan = &loaded.plan;
    let svc = plan
        .app
        .as_deref()
        .and_then(|a| plan.service(a))
        .ok_or_else(|| usage("the compose file has no app service"))?;
    let auto = project.auto_start.on;
    if !global.quiet && !auto {
        let _ = crate::outln!(
            "AUTO_START_SERVER is off: the app container idles; `devctl sh` opens a shell in it"
        );
    }

    runtime_loop(
        session,
        &dir,
        &assets,
        &nvm_cfg.install,
        nvm_wanted && assets.toolchain == Toolchain::Nvm,
        filter,
        plan.container_name(&svc.name, 1),
        svc.user.clone(),
        svc.working_dir.clone(),
        plan.project.clone(),
        auto.then_some(began),
    )
}

#[allow(clippy::too_many_arguments)]
fn runtime_loop(
    session: &Session,
    dir: &Path,
    assets: &AssetsSection,
    nvm_install: &str,
    use_nvm: bool,
    filter: Filter,
    container: String,
    user: Option<String>,
    workdir: Option<String>,
    project: String,
    server_since: Option<i64>,
) -> Result<ExitCode> {
    let global = session.global;
    // The connection `start` made (run-dev connects once).
    let eng = session.engine()?;
    let addr = eng.addr.clone();
    session.runtime()?.block_on(async {
        let mut sigs = Signals::new()?;
        let nvm_dir = container_nvm_dir(user.as_deref());
        let toolchain = if use_nvm {
            Toolchain::Nvm
        } else {
            Toolchain::System
        };
        let t = Arc::new(Target {
            docker: eng.docker.clone(),
            container: container.clone(),
            user,
            workdir,
            project,
            prelude: toolchain_prelude(toolchain, &nvm_dir),
            pre: Default::default(),
        });

        let logs = server_since.map(|since| {
            tokio::spawn(stream_app_logs(eng.long(), container.clone(), since))
        });

        // 2. nvm
        if use_nvm {
            match startup_job(&t, "nvm", nvm_setup_script(&nvm_dir, nvm_install), false, &mut sigs).await? {
                None => return Ok(ExitCode::SUCCESS),
                Some((0, _)) => {}
                Some((code, _)) => {
                    return Err(anyhow!(
                        "[nvm] setting up nvm in {container} failed (exit {code}); check [nvm].install in devctl.toml"
                    ))
                }
            }
        }

        // 3. install (stamp) and build
        if let Some(install) = &assets.install {
            let lock = std::fs::read(dir.join("package-lock.json")).ok();
            let stamp_path = dir.join(STAMP);
            let stamp = std::fs::read_to_string(&stamp_path).ok();
            if install_needed(stamp.as_deref(), lock.as_deref()) {
                match startup_job(&t, "install", install.clone(), true, &mut sigs).await? {
                    None => return Ok(ExitCode::SUCCESS),
                    Some((0, took)) => {
                        let _ = crate::outln!("[install] done in {}", fmt_ms(took));
                        if let Some(parent) = stamp_path.parent() {
                            std::fs::create_dir_all(parent)
                                .with_context(|| format!("creating {}", parent.display()))?;
                        }
                        crate::fsutil::write_atomic(&stamp_path, lock_stamp(lock.as_deref()).as_bytes(), 0o644)
                            .with_context(|| format!("writing {}", stamp_path.display()))?;
                    }
                    Some((code, _)) => crate::errln!("[install] failed (exit {code}); it runs again next time"),
                }
            } else if global.verbose > 0 {
                let _ = crate::outln!("[install] package-lock.json unchanged: skipped");
            }
        }
        if let Some(build) = &assets.build {
            match startup_job(&t, "build", build.clone(), true, &mut sigs).await? {
                None => return Ok(ExitCode::SUCCESS),
                Some((code, took)) => {
                    report("build", &Ok(code), took, false);
                }
            }
        }

        // 4. watch
        let names: Vec<String> = assets.watch.iter().map(|r| r.name.clone()).collect();
        let windows = assets
            .watch
            .iter()
            .map(|r| r.debounce_ms.map(Duration::from_millis).unwrap_or(DEFAULT_WINDOW))
            .collect();
        let mut sched = Scheduler::new(windows);
        let (ev_tx, mut ev_rx) = mpsc::unbounded_channel::<RawEvent>();
        let (done_tx, mut done_rx) = mpsc::unbounded_channel::<Done>();
        let mut notifier = Notifier::new(ev_tx).map_err(|e| anyhow!(e))?;
        // The roots, each with the rules that watch it and how it is shown.
        let mut roots: Vec<PathBuf> = Vec::new();
        let mut root_rules: Vec<Vec<&str>> = Vec::new();
        let mut root_shown: Vec<String> = Vec::new();
        for r in &assets.watch {
            for p in &r.paths {
                let root = dir.join(p.as_str());
                match roots.iter().position(|x| *x == root) {
                    Some(i) => {
                        if !root_rules[i].contains(&r.name.as_str()) {
                            root_rules[i].push(&r.name);
                        }
                    }
                    None => {
                        roots.push(root);
                        root_rules.push(vec![&r.name]);
                        root_shown.push(crate::watch::roots::shown(p.as_str()));
                    }
                }
            }
        }
        let seen = notifier.set_roots(&roots).map_err(|e| anyhow!(e))?;
        for (i, s) in seen.iter().enumerate() {
            if !s.is_dir() {
                crate::errln!(
                    "{}",
                    crate::watch::roots::not_there_at_start(&root_rules[i], &root_shown[i], *s)
                );
            }
        }
        // Tells what happened to the roots; their files count as changed.
        let say_roots = |changes: &[(usize, crate::watch::roots::Change)]| {
            for (i, c) in changes {
                let m = crate::watch::roots::message(&root_rules[*i], &root_shown[*i], *c);
                if *c == crate::watch::roots::Change::Removed {
                    crate::errln!("{m}");
                } else if !global.quiet {
                    let _ = crate::outln!("{m}");
                }
            }
        };
        if !global.quiet && !names.is_empty() {
            let _ = crate::outln!(
                "watching {} ({} directories); Ctrl-C stops",
                names.iter().map(|n| format!("[{n}]")).collect::<Vec<_>>().join(" "),
                notifier.watched()
            );
        }
        for r in &assets.watch {
            precreate(&t, &r.name, &r.run).await;
        }
        let mut inflight: Vec<usize> = Vec::new();
        // Every few seconds: is the engine still there? (One tiny request;
        // the first tick is skipped, startup just talked to it.)
        let mut liveness = tokio::time::interval(LIVENESS);
        liveness.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        liveness.tick().await;
        let base = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
        let on_path = |p: &Path, sched: &mut Scheduler, now: Instant| {
            let rel = p
                .strip_prefix(&base)
                .or_else(|_| p.strip_prefix(dir))
                .unwrap_or(p);
            for r in filter.rules_for(rel) {
                sched.event(r, now);
            }
        };
        loop {
            let deadline = sched.next_deadline();
            tokio::select! {
                ev = ev_rx.recv() => {
                    let now = Instant::now();
                    let mut batch = Vec::new();
                    if let Some(ev) = ev { batch.push(ev); }
                    while let Ok(ev) = ev_rx.try_recv() { batch.push(ev); }
                    for ev in batch {
                        match ev {
                            Ok(ev) => match notifier.paths_of(ev) {
                                Ok(paths) => for p in paths { on_path(&p, &mut sched, now) },
                                Err(advice) => crate::errln!("warning: {advice}"),
                            },
                            Err(e) => crate::errln!("warning: {}", crate::watch::notifier::advice(&e, dir)),
                        }
                    }
                    match notifier.check_roots() {
                        Ok((changes, files)) => {
                            say_roots(&changes);
                            for p in files { on_path(&p, &mut sched, now) }
                        }
                        Err(advice) => crate::errln!("warning: {advice}"),
                    }
                }
                _ = tokio::time::sleep_until(tokio::time::Instant::from_std(deadline.unwrap_or_else(Instant::now))), if deadline.is_some() => {}
                Some((i, res, took)) = done_rx.recv() => {
                    inflight.retain(|x| *x != i);
                    sched.finished(i);
                    match res {
                        // The engine went away: stop with the one clear line
                        // (cli.rs prints it), do not keep watching blind.
                        Err(e) if crate::engine::lost_connection(&e, &addr).is_some() => return Err(e),
                        res => {
                            report(&names[i], &res, took, false);
                        }
                    }
                }
                _ = liveness.tick() => {
                    // A safety net for lost events (queue overflow): a
                    // root that went or came back is noticed within a tick.
                    match notifier.check_roots() {
                        Ok((changes, files)) => {
                            say_roots(&changes);
                            let now = Instant::now();
                            for p in files { on_path(&p, &mut sched, now) }
                        }
                        Err(advice) => crate::errln!("warning: {advice}"),
                    }
                    if let Err(e) = ping(&t.docker).await {
                        if crate::engine::lost_connection(&e, &addr).is_some() {
                            return Err(e);
                        }
                    }
                }
                _ = sigs.recv() => break,
            }
            for i in sched.due(Instant::now()) {
                inflight.push(i);
                spawn_job(&t, i, names[i].clone(), assets.watch[i].run.clone(), &done_tx);
            }
        }
        // Ctrl-C / SIGTERM: stop watching, stop the builds in flight.
        drop(notifier);
        sched.clear_pending();
        stop_inflight(&t, &names, &mut inflight, &mut done_rx, &mut sigs).await;
        if let Some(h) = logs {
            h.abort();
        }
        if !global.quiet {
            let _ = crate::outln!("stopped; the containers are still running (`devctl stop` stops them)");
        }
        Ok(ExitCode::SUCCESS)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_buffer_prefixes_whole_lines_across_chunks() {
        let mut lb = LineBuffer::default();
        let mut out = Vec::new();
        lb.push("[css]", b"one\ntw", &mut out);
        assert_eq!(out, b"[css] one\n");
        lb.push("[css]", b"o\nthree", &mut out);
        assert_eq!(out, b"[css] one\n[css] two\n");
        lb.flush("[css]", &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "[css] one\n[css] two\n[css] three\n"
        );
        let mut out = Vec::new();
        lb.flush("[css]", &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn install_runs_when_the_lock_changed() {
        assert!(install_needed(None, Some(b"{}")));
        assert!(install_needed(None, None));
        let s = lock_stamp(Some(b"{}"));
        assert_eq!(s.len(), 64);
        assert!(!install_needed(Some(&s), Some(b"{}")));
        assert!(!install_needed(Some(&format!("{s}\n")), Some(b"{}")));
        assert!(install_needed(Some(&s), Some(b"{ }")));
        assert!(install_needed(Some(&s), None));
        assert!(!install_needed(Some("absent"), None));
    }

    #[test]
    fn scripts() {
        let pf = pid_file("my proj", "css/x");
        assert_eq!(pf, "/tmp/devctl-my_proj-css_x.pid");
        assert_eq!(
            job_script(&pf, "", "sassc a b"),
            format!("echo $$ > {pf}; sassc a b")
        );
        let k = kill_script(&pf);
        assert!(
            k.contains("kill -TERM -$p") && k.contains("kill -KILL -$p"),
            "{k}"
        );
        assert_eq!(toolchain_prelude(Toolchain::System, "/x"), "");
        let p = toolchain_prelude(Toolchain::Nvm, "/home/app/.nvm");
        assert!(
            p.starts_with("export NVM_DIR='/home/app/.nvm'; . \"$NVM_DIR/nvm.sh\""),
            "{p}"
        );
        let s = nvm_setup_script("/home/app/.nvm", "sh ./install-nvm.sh");
        assert!(
            s.contains("if [ ! -s \"$NVM_DIR/nvm.sh\" ]; then")
                && s.contains("sh ./install-nvm.sh")
        );
        assert!(s.contains("nvm install"));
    }

    #[test]
    fn nvm_paths() {
        assert_eq!(container_nvm_dir(Some("app")), "/home/app/.nvm");
        assert_eq!(container_nvm_dir(Some("dev:dev")), "/home/dev/.nvm");
        assert_eq!(container_nvm_dir(Some("1000")), "/home/app/.nvm");
        assert_eq!(container_nvm_dir(None), "/home/app/.nvm");
        let p = Path::new("/proj");
        assert_eq!(
            host_nvm_dir("~/.nvm", "/home/u", p),
            PathBuf::from("/home/u/.nvm")
        );
        assert_eq!(host_nvm_dir("~", "/home/u", p), PathBuf::from("/home/u"));
        assert_eq!(
            host_nvm_dir("/opt/nvm", "/home/u", p),
            PathBuf::from("/opt/nvm")
        );
        assert_eq!(
            host_nvm_dir(".nvm", "/home/u", p),
            PathBuf::from("/proj/.nvm")
        );
    }

    #[test]
    fn durations() {
        assert_eq!(fmt_ms(Duration::from_millis(42)), "42 ms");
        assert_eq!(fmt_ms(Duration::from_millis(12_345)), "12.3 s");
    }
}
