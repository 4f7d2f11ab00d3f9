//! `devctl start [SERVICE…]`: build what is missing, converge, then wait
//! until each service is ready and say so (one line each, with the URL).

use std::collections::HashMap;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context, Result};

use crate::cli::Global;
use crate::commands::build::progress_mode;
use crate::commands::engine_input::{AppServer, Loaded, ProjectLock};
use crate::engine::apply::{converge, image_id, local_image};
use crate::engine::build::{build_service, BuildOptions};
use crate::engine::plan::{Plan, ServicePlan};
use crate::engine::ready::{self, Outcome, Target, Verdict};
use crate::error::usage;
use crate::session::{Input, Session};

pub struct StartOptions {
    /// How long to wait for readiness (None: `--no-wait`).
    pub wait: Option<Duration>,
    /// Start the server even when the app user cannot write the tree.
    pub force: bool,
}

pub fn run(session: &Session, services: &[String], opts: &StartOptions) -> Result<ExitCode> {
    let global = session.global;
    let (loaded, eng) = session.input_and_engine(Input::Write {
        show_warnings: true,
    })?;
    let rt = session.runtime()?;
    let _lock = ProjectLock::acquire(&loaded.dir)?;
    let plan = &loaded.plan;
    let selected = plan.select(services, &session.profiles()).map_err(usage)?;
    let app_selected = selected.iter().any(|s| plan.is_app(&s.name));
    if let (Some(u), true, false) = (&loaded.unwritable, app_selected, global.quiet) {
        crate::errln!("warning: {}\nfix: {}", u.problem(), u.fix());
    }
    rt.block_on(async {
        // A server that already crashed writing the tree it still cannot
        // write would crash again: refused unless --force.
        if let (Some(u), true, Some(AppServer::On), false) = (
            &loaded.unwritable,
            app_selected,
            loaded.app_server,
            opts.force,
        ) {
            let name = plan.app.as_deref().unwrap_or_default();
            let app = plan.container_name(name, 1);
            let hash = plan.service(name).map_or("", |s| s.config_hash.as_str());
            if let Some(lines) = ready::crashed_on_write(eng, &app, hash).await? {
                let last = lines
                    .last()
                    .map(|l| crate::text::escape_controls(&crate::out::scrub(l)).into_owned())
                    .unwrap_or_default();
                return Err(usage(format!(
                    "not starting the server: its last run failed writing the source tree ({last}), and {}\nfix: {} (`devctl start --force` starts it anyway)",
                    u.problem(),
                    u.fix()
                )));
            }
        }
        let report = converge_selected(global, &session.paths()?.cwd, eng, plan, &selected).await?;
        let Some(timeout) = opts.wait else {
            if let Some(url) = plan.app_url() {
                if !global.quiet {
                    let _ = crate::outln!("{url}");
                }
            }
            return Ok(ExitCode::SUCCESS);
        };
        let fresh = |name: &String| {
            report.created.contains(name)
                || report.recreated.contains(name)
                || report.started.contains(name)
        };
        let targets = targets(loaded, &selected, fresh);
        let width = targets.iter().map(|t| label(t).len()).max().unwrap_or(0);
        let failed = ready::wait(eng, targets, timeout, |o| {
            if !global.quiet {
                let _ = crate::outln!("{}", ready_line(o, width, plan, loaded.app_server));
            }
        })
        .await?;
        if let Some(o) = failed {
            let lines = ready::log_tail(eng, &o.target.container).await;
            bail!("{}", failure_message(loaded, &o, &lines));
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// Builds what is missing and converges `services` (all when empty) and
/// their dependencies; the caller holds the [`ProjectLock`]. Used by tasks,
/// which start the service they run in.
pub async fn start_services(
    global: &Global,
    cwd: &std::path::Path,
    eng: &crate::engine::Engine,
    plan: &crate::engine::plan::Plan,
    services: &[String],
    profiles: &[String],
) -> Result<()> {
    let selected = plan.select(services, profiles).map_err(usage)?;
    converge_selected(global, cwd, eng, plan, &selected).await?;
    Ok(())
}

/// Builds the missing images of `selected`, then converges them.
pub async fn converge_selected(
    global: &Global,
    cwd: &std::path::Path,
    eng: &crate::engine::Engine,
    plan: &crate::engine::plan::Plan,
    selected: &[&ServicePlan],
) -> Result<crate::engine::apply::Report> {
    let image_ids = image_ids(global, cwd, eng, plan, selected).await?;
    converge(eng, plan, selected, &image_ids).await
}

/// The image id of each of `selected` (by service name), building the
/// missing images of services that have a `build:`.
pub async fn image_ids(
    global: &Global,
    cwd: &std::path::Path,
    eng: &crate::engine::Engine,
    plan: &crate::engine::plan::Plan,
    selected: &[&ServicePlan],
) -> Result<HashMap<String, String>> {
    let found =
        futures_util::future::join_all(selected.iter().map(|s| local_image(eng, &s.image))).await;
    let mut image_ids = HashMap::new();
    let stamps = std::path::Path::new(&plan.working_dir);
    // built here already, as another's context
    let mut built: Vec<String> = Vec::new();
    for (svc, local) in selected.iter().zip(found) {
        // pull_policy: `build` builds every time, `always` pulls every
        // time (the image-only service's image), a refresh window when the
        // image is missing or stale, `missing`/`never` use what is there.
        let local = local?;
        let mut id = local.as_ref().map(|l| l.id.clone());
        if svc.pull_policy == "build" && svc.build.is_some() {
            id = None;
        }
        let pull = svc.build.is_none()
            && crate::engine::apply::must_pull(
                &svc.pull_policy,
                local.as_ref(),
                crate::engine::stamp::last_pull(stamps, &svc.image),
                crate::engine::stamp::now(),
            );
        if pull {
            // with the docker CLI's login for its registry, as `devctl pull`
            let config = crate::session::docker_config()?;
            let host = crate::engine::registry::registry_host(&svc.image);
            let creds = config.credentials(&host)?;
            crate::engine::registry::pull(
                eng,
                &svc.image,
                svc.platform.as_deref(),
                creds.as_ref(),
                config.shown(),
                crate::engine::build::Progress::Quiet,
            )
            .await
            .with_context(|| {
                format!(
                    "service {} has `pull_policy: {}`",
                    svc.name, svc.pull_policy
                )
            })?;
            let _ =
                crate::engine::stamp::record_pull(stamps, &svc.image, crate::engine::stamp::now());
            id = image_id(eng, &svc.image).await?;
        }
        let id = match id {
            Some(id) => id,
            None if svc.build.is_some() && built.contains(&svc.name) => {
                match image_id(eng, &svc.image).await? {
                    Some(id) => id,
                    None => bail!("the build of {} did not produce image {}", svc.name, svc.image),
                }
            }
            None if svc.build.is_some() => {
                let opts = BuildOptions {
                    no_cache: false,
                    pull: false,
                    progress: progress_mode(global),
                    cwd: cwd.to_path_buf(),
                    stamps: Some(std::path::PathBuf::from(&plan.working_dir)),
                    legacy_asked: crate::engine::build::legacy_asked(
                        std::env::var("DOCKER_BUILDKIT").ok().as_deref(),
                    ),
                    ssh_agent: std::env::var_os("SSH_AUTH_SOCK").is_some_and(|v| !v.is_empty()),
                };
                // the missing images its build names (`service:` contexts)
                for dep in crate::engine::build::context_services(plan, svc) {
                    if dep.build.is_some() && image_id(eng, &dep.image).await?.is_none() {
                        build_service(eng, dep, opts.clone()).await?;
                        built.push(dep.name.clone());
                    }
                }
                build_service(eng, svc, opts).await?;
                match image_id(eng, &svc.image).await? {
                    Some(id) => id,
                    None => bail!("the build of {} did not produce image {}", svc.name, svc.image),
                }
            }
            None if svc.pull_policy == "never" => bail!(
                "service {}: image {} is not available locally and its pull_policy is `never`: `docker pull {}` or build it",
                svc.name,
                svc.image,
                svc.image
            ),
            None => bail!(
                "service {}: image {} is not available locally (devctl pulls only with `pull_policy = \"always\"`: `docker pull {}`, or give the service a `build:`)",
                svc.name,
                svc.image,
                svc.image
            ),
        };
        image_ids.insert(svc.name.clone(), id);
    }
    Ok(image_ids)
}

/// The containers `start` waits for: every replica of the selected services
/// (and their dependencies), in dependency order.
fn targets(
    loaded: &Loaded,
    selected: &[&ServicePlan],
    fresh: impl Fn(&String) -> bool,
) -> Vec<Target> {
    let plan = &loaded.plan;
    let mut out = Vec::new();
    for svc in selected {
        let server = plan.is_app(&svc.name) && loaded.app_server == Some(AppServer::On);
        for n in 1..=svc.replicas {
            let container = plan.container_name(&svc.name, n);
            out.push(Target {
                service: svc.name.clone(),
                label: if svc.replicas > 1 {
                    format!("{}-{n}", svc.name)
                } else {
                    svc.name.clone()
                },
                fresh: fresh(&container),
                container,
                http: if server { svc.published_addr() } else { None },
                url: svc.url(),
                must_stay_up: server,
            });
        }
    }
    out
}

fn label(t: &Target) -> &str {
    &t.label
}

/// `app  ready in 1.4 s  http://127.0.0.1:8000/`, or what the app does
/// when its server is off.
pub fn ready_line(o: &Outcome, width: usize, plan: &Plan, app: Option<AppServer>) -> String {
    let t = &o.target;
    let name = format!("{:<width$}", label(t));
    let took = ready::secs(o.took);
    if o.verdict == Verdict::Completed {
        return format!("{name}  completed (exit 0) in {took}");
    }
    let is_app = plan.is_app(&t.service);
    match (is_app, app) {
        (true, Some(AppServer::Off)) => format!(
            "{name}  running, server off (AUTO_START_SERVER is not true): nothing serves {}; \
             set AUTO_START_SERVER=true in .env and `devctl start` again to run it, or \
             `devctl sh` for a shell in the container",
            t.url.as_deref().unwrap_or("the app's port")
        ),
        (true, Some(AppServer::Missing)) => format!(
            "{name}  running, no server: [app] has no `server` command, so the container idles; \
             `devctl sh` opens a shell in it"
        ),
        _ => match &t.url {
            Some(url) => format!("{name}  ready in {took}  {url}"),
            None => format!("{name}  ready in {took}"),
        },
    }
}

/// The error of a container that did not get ready: what happened, its
/// log's last lines (secrets scrubbed) and, where recognisable, the fix.
fn failure_message(loaded: &Loaded, o: &Outcome, lines: &[String]) -> String {
    let t = &o.target;
    let why = match &o.verdict {
        Verdict::Failed(why) => why.as_str(),
        _ => "is not ready",
    };
    let mut msg = format!("service {} (container {}) {why}", t.label, t.container);
    let lines: Vec<String> = lines
        .iter()
        .map(|l| crate::text::escape_controls(&crate::out::scrub(l)).into_owned())
        .collect();
    if lines.is_empty() {
        msg.push_str("; its log is empty");
    } else {
        msg.push_str(&format!("; the last {} lines of its log:", lines.len()));
        for l in &lines {
            msg.push_str("\n  | ");
            msg.push_str(l);
        }
    }
    let (uid, gid) = loaded.app_ids;
    if let (Some(u), true) = (&loaded.unwritable, loaded.plan.is_app(&t.service)) {
        if ready::is_write_failure(&lines) {
            msg.push_str(&format!("\n{}\nfix: {}", u.problem(), u.fix()));
            return msg;
        }
    }
    match ready::diagnose(&lines, uid, gid) {
        Some(fix) => msg.push_str(&format!("\nfix: {fix}")),
        None => msg.push_str(&format!(
            "\n(`devctl logs {}` shows the whole log)",
            t.service
        )),
    }
    msg
}
