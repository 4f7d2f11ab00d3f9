//! `devctl TASK [ARGS…]`, `devctl task TASK [ARGS…]` and `devctl tasks`:
//! the IO shell around [`crate::project::tasks`]. devctl.toml is read once;
//! a container task costs what `devctl sh -- CMD` costs.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use anyhow::{anyhow, Context, Result};

use crate::cli::Global;
use crate::commands::engine_input::ProjectLock;
use crate::engine::apply::running_container;
use crate::engine::exec::{self, ExecRequest, OnInterrupt};
use crate::error::usage;
use crate::project::tasks::{self, shell_quote, Place, Step};
use crate::project::Project;
use crate::session::{Input, Session};

#[derive(Debug, Clone, Copy, Default)]
pub struct TaskOpts {
    /// Answer the tasks' `confirm` questions with yes.
    pub yes: bool,
    /// Print what would run; run nothing.
    pub dry_run: bool,
}

/// Runs task `name` (after its dependencies). `external`: called as
/// `devctl NAME`, so an unknown name may be a mistyped command.
pub fn run(
    session: &Session,
    name: &str,
    args: &[String],
    opts: TaskOpts,
    external: bool,
) -> Result<ExitCode> {
    let global = session.global;
    let project = session.project()?;
    let steps = tasks::resolve(&project.config.tasks, name, args).map_err(|m| {
        if external && !project.config.tasks.contains_key(name) {
            let mut m = format!("no command or task `{name}`");
            let mut all: Vec<&str> = tasks::BUILTIN_COMMANDS.to_vec();
            all.extend(project.config.tasks.keys().map(String::as_str));
            if let Some(s) = crate::project::load::suggest(name, &all) {
                m.push_str(&format!("; did you mean `{s}`?"));
            }
            m.push_str(" (`devctl --help` lists the commands, `devctl tasks` the tasks)");
            usage(m)
        } else {
            usage(m)
        }
    })?;
    let needs_engine = steps
        .iter()
        .any(|s| s.argv.is_some() && Place::of(s.spec, project.config.app_name()) != Place::Host);
    let loaded = if needs_engine {
        Some(session.engine_input(Input::ReadOnly)?)
    } else {
        None
    };
    let plan = loaded.map(|l| &l.plan);
    if opts.dry_run {
        let mut out = crate::out::stdout();
        write!(out, "{}", describe(project, plan, &steps)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    for s in &steps {
        if let Some(q) = &s.spec.confirm {
            if !opts.yes && !ask(&s.name, q)? {
                crate::errln!("not running `{}`", s.name);
                return Ok(ExitCode::from(1));
            }
        }
    }
    let engine = if needs_engine {
        Some((session.runtime()?, session.client()?))
    } else {
        None
    };
    let profiles = session.profiles();
    let last = steps.len().saturating_sub(1);
    for (i, step) in steps.iter().enumerate() {
        let Some(argv) = &step.argv else { continue };
        let code: i64 = match (
            Place::of(step.spec, project.config.app_name()),
            &engine,
            plan,
        ) {
            (Place::Host, _, _) => run_host(project, step, argv)?,
            (Place::Service(svc), Some((rt, eng)), Some(plan)) if step.spec.oneoff => {
                rt.block_on(run_oneoff(
                    global,
                    eng,
                    plan,
                    project,
                    &profiles,
                    &svc,
                    step,
                    argv,
                    i == last,
                ))?
            }
            (Place::Service(svc), Some((rt, eng)), Some(plan)) => rt.block_on(run_in_container(
                global,
                eng,
                plan,
                project,
                &profiles,
                &svc,
                step,
                argv,
                i == last,
            ))?,
            _ => return Err(anyhow!("internal: task `{}` has no engine", step.name)),
        };
        if code != 0 {
            if i != last {
                crate::errln!(
                    "error: task `{}` failed (exit code {code}): not running `{}`",
                    step.name,
                    steps[last].name
                );
            }
            return Ok(finish(code));
        }
    }
    Ok(finish(0))
}

/// The command's exit code, returned through main as `sh` does.
fn finish(code: i64) -> ExitCode {
    ExitCode::from((code & 0xff) as u8)
}

/// What `--dry-run` prints: per step, where, as whom, the env names, argv.
fn describe(
    project: &Project,
    plan: Option<&crate::engine::plan::Plan>,
    steps: &[Step],
) -> Result<String> {
    let mut s = String::new();
    let n = steps.iter().filter(|s| s.argv.is_some()).count();
    let mut i = 0;
    for step in steps {
        let Some(argv) = &step.argv else { continue };
        i += 1;
        let mut env: Vec<&str> = Vec::new();
        match Place::of(step.spec, project.config.app_name()) {
            Place::Host => {
                s.push_str(&format!(
                    "[{i}/{n}] {}: on the host in {}\n",
                    step.name,
                    project.paths.dir.display()
                ));
                env.extend(project.env.from_file.keys().map(String::as_str));
            }
            Place::Service(name) if step.spec.oneoff => {
                let svc = plan
                    .and_then(|p| p.service(&name))
                    .ok_or_else(|| usage(format!("task `{}`: no service {name:?}", step.name)))?;
                s.push_str(&format!(
                    "[{i}/{n}] {}: in a one-off container of service {name} (removed after; user {}, workdir {})\n",
                    step.name,
                    svc.user.as_deref().unwrap_or("the image's"),
                    svc.working_dir.as_deref().unwrap_or("the image's"),
                ));
            }
            Place::Service(name) => {
                let svc = plan
                    .and_then(|p| p.service(&name))
                    .ok_or_else(|| usage(format!("task `{}`: no service {name:?}", step.name)))?;
                s.push_str(&format!(
                    "[{i}/{n}] {}: in service {name} (container {}, user {}, workdir {})\n",
                    step.name,
                    plan.map(|p| p.container_name(&name, 1)).unwrap_or_default(),
                    svc.user.as_deref().unwrap_or("the image's"),
                    svc.working_dir.as_deref().unwrap_or("the image's"),
                ));
            }
        }
        env.extend(step.spec.env.keys().map(String::as_str));
        if !env.is_empty() {
            s.push_str(&format!("    env: {}\n", env.join(" ")));
        }
        let words: Vec<String> = argv.iter().map(|a| shell_quote(a)).collect();
        s.push_str(&format!(
            "    argv: {}\n",
            crate::text::escape_controls(&crate::out::scrub(&words.join(" ")))
        ));
    }
    Ok(s)
}

/// Asks `question` on the terminal; refused without one.
fn ask(task: &str, question: &str) -> Result<bool> {
    if !std::io::stdin().is_terminal() {
        return Err(usage(format!(
            "task `{task}` asks {question:?} and there is no terminal to ask on: run `devctl --yes {task}` to answer yes"
        )));
    }
    let mut err = crate::out::stderr();
    write!(err, "{question} [y/N] ")?;
    err.flush()?;
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    let a = line.trim().to_ascii_lowercase();
    Ok(a == "y" || a == "yes")
}

extern "C" fn ignore_signal(_: libc::c_int) {}

/// Runs on the host in the project directory with `.env` loaded (the
/// process environment wins, as for interpolation) and the task's env.
fn run_host(project: &Project, step: &Step, argv: &[String]) -> Result<i64> {
    let mut cmd = std::process::Command::new(&argv[0]);
    cmd.args(&argv[1..]).current_dir(&project.paths.dir);
    for k in project.env.from_file.keys() {
        if let Some(v) = project.env.get(k) {
            cmd.env(k, v);
        }
    }
    cmd.envs(&step.spec.env);
    // Ctrl-C reaches the task (same process group); devctl waits for it.
    // A handler (not SIG_IGN) so that the child gets the default back.
    // Still libc: neither std nor rustix can set a signal disposition and
    // put the old one back (tokio's and signal-hook's handlers stay for the
    // rest of the process, so a later Ctrl-C would no longer end devctl).
    // SAFETY: installing a handler that does nothing (async-signal-safe).
    let old = unsafe {
        libc::signal(
            libc::SIGINT,
            ignore_signal as *const () as libc::sighandler_t,
        )
    };
    let status = cmd.status();
    // SAFETY: restoring the previous disposition.
    unsafe { libc::signal(libc::SIGINT, old) };
    let status =
        status.with_context(|| format!("task `{}`: cannot run {:?}", step.name, argv[0]))?;
    use std::os::unix::process::ExitStatusExt;
    Ok(match (status.code(), status.signal()) {
        (Some(c), _) => i64::from(c),
        (None, Some(sig)) => 128 + i64::from(sig),
        _ => 1,
    })
}

/// Execs the task in the service's running container (started first when
/// it is not running) as its user in its workdir. The command runs under a
/// small `sh` that records its process group, so that Ctrl-C can signal the
/// whole group in the container (INT, then KILL after 2 s).
#[allow(clippy::too_many_arguments)]
async fn run_in_container(
    global: &Global,
    eng: &crate::engine::Engine,
    plan: &crate::engine::plan::Plan,
    project: &Project,
    profiles: &[String],
    service: &str,
    step: &Step<'_>,
    argv: &[String],
    is_last: bool,
) -> Result<i64> {
    let svc = plan
        .service(service)
        .ok_or_else(|| usage(format!("task `{}`: no service {service:?}", step.name)))?;
    let pid_file = format!(
        "/tmp/devctl-task-{}-{}-{}.pid",
        crate::engine::jobs::safe_name(&project.name),
        crate::engine::jobs::safe_name(&step.name),
        std::process::id()
    );
    let mut cmd = vec![
        "/bin/sh".to_string(),
        "-c".to_string(),
        format!("echo $$ > {pid_file}; \"$@\"; c=$?; rm -f {pid_file}; exit $c"),
        "devctl-task".to_string(),
    ];
    cmd.extend(argv.iter().cloned());
    // The dependencies run without the terminal: only the last task reads it.
    let tty = is_last && std::io::stdin().is_terminal() && crate::out::stdout_is_terminal();
    let mut req = ExecRequest {
        container: plan.container_name(service, 1),
        user: svc.user.clone(),
        workdir: svc.working_dir.clone(),
        cmd,
        tty,
        stdin: is_last && !exec::stdin_is_dev_null(),
        env: crate::session::tty_env(tty)
            .into_iter()
            .chain(step.spec.env.iter().map(|(k, v)| format!("{k}={v}")))
            .collect(),
    };
    let mut id = exec::create(eng, &req)
        .await
        .map_err(|e| crate::engine::unreachable_if_lost(eng, e))?;
    if id.is_none() {
        if let Some(other) = running_container(eng, plan, service).await? {
            req.container = other;
            id = exec::create(eng, &req).await?;
        }
    }
    if id.is_none() {
        if !global.quiet {
            crate::errln!("starting {service}…");
        }
        let _lock = ProjectLock::acquire(&project.paths.dir)?;
        crate::commands::start::start_services(
            global,
            &project.paths.cwd,
            eng,
            plan,
            &[service.to_string()],
            profiles,
        )
        .await?;
        req.container = running_container(eng, plan, service)
            .await?
            .unwrap_or_else(|| plan.container_name(service, 1));
        id = exec::create(eng, &req).await?;
    }
    let id = id.ok_or_else(|| anyhow!("service {service} did not start"))?;
    let kill = format!(
        "p=$(cat {pid_file} 2>/dev/null) || exit 0; [ -n \"$p\" ] || exit 0; \
         kill -INT -$p 2>/dev/null; \
         for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do kill -0 -$p 2>/dev/null || break; sleep 0.1; done; \
         kill -KILL -$p 2>/dev/null; rm -f {pid_file}; exit 0"
    );
    exec::attach_interruptible(
        eng,
        &id,
        req.tty,
        req.stdin,
        Some(OnInterrupt {
            container: req.container.clone(),
            user: svc.user.clone(),
            script: kill,
        }),
    )
    .await
}

/// Runs the task in a fresh one-off container of the service (`oneoff =
/// true`), as `devctl run --rm SERVICE ARGV…` does: its dependencies
/// started first, the task's env added, removed after (also on Ctrl-C).
#[allow(clippy::too_many_arguments)]
async fn run_oneoff(
    global: &Global,
    eng: &crate::engine::Engine,
    plan: &crate::engine::plan::Plan,
    project: &Project,
    profiles: &[String],
    service: &str,
    step: &Step<'_>,
    argv: &[String],
    is_last: bool,
) -> Result<i64> {
    // The dependencies run without the terminal: only the last task reads it.
    let tty = is_last && std::io::stdin().is_terminal() && crate::out::stdout_is_terminal();
    let req = crate::commands::run::Request {
        service: service.to_string(),
        oneoff: crate::engine::plan::OneOff {
            cmd: Some(argv.to_vec()),
            env: step
                .spec
                .env
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            tty,
            stdin: tty || (is_last && !exec::stdin_is_dev_null()),
            ..Default::default()
        },
        rm: true,
        no_deps: false,
    };
    crate::commands::run::run_oneoff(
        global,
        &project.paths.cwd,
        &project.paths.dir,
        eng,
        plan,
        profiles,
        req,
    )
    .await
}

/// `devctl tasks`: name, where it runs, description (or JSON, or names
/// only for shell completion: then every error is silent).
pub fn list(session: &Session, json: bool, names: bool) -> Result<ExitCode> {
    let project = match session.project() {
        Ok(p) => p,
        Err(_) if names => return Ok(ExitCode::SUCCESS),
        Err(e) => return Err(e),
    };
    let t = &project.config.tasks;
    let mut out = crate::out::stdout();
    if names {
        for n in t.keys() {
            writeln!(out, "{n}")?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    if json {
        let v: Vec<serde_json::Value> = t
            .iter()
            .map(|(n, s)| {
                serde_json::json!({
                    "name": n,
                    "runs_in": tasks::place_label(s, project.config.app_name()),
                    "host": s.host,
                    "description": s.description,
                    "usage": tasks::usage_line(n, s),
                    "deps": s.deps,
                })
            })
            .collect();
        writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    if t.is_empty() {
        crate::errln!("no tasks in devctl.toml (add a [tasks.NAME] table)");
        return Ok(ExitCode::SUCCESS);
    }
    write!(out, "{}", table(project))?;
    Ok(ExitCode::SUCCESS)
}

/// The aligned listing: name, where it runs, description.
fn table(project: &Project) -> String {
    let t = &project.config.tasks;
    let w = t.keys().map(|k| k.chars().count()).max().unwrap_or(0);
    let places: Vec<String> = t
        .values()
        .map(|s| tasks::place_label(s, project.config.app_name()))
        .collect();
    let pw = places.iter().map(|p| p.chars().count()).max().unwrap_or(0);
    let mut s = String::new();
    for ((n, spec), place) in t.iter().zip(&places) {
        let line = format!(
            "  {n:<w$}  {place:<pw$}  {}",
            spec.description.as_deref().unwrap_or("")
        );
        s.push_str(crate::text::escape_controls(line.trim_end()).as_ref());
        s.push('\n');
    }
    s
}

/// The "Tasks" heading of `devctl --help` (None without a project or tasks).
pub fn help_section(global: &Global) -> Option<String> {
    let session = Session::new(global);
    let project = session.project().ok()?;
    if project.config.tasks.is_empty() {
        return None;
    }
    Some(format!(
        "Tasks (devctl.toml; `devctl TASK [ARGS…]`):\n{}",
        table(project)
    ))
}
