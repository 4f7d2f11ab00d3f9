//! `devctl sh`: exec in a running container as the configured user in the
//! workdir.
//!
//! - TTY mode (stdin and stdout are terminals): the terminal goes raw for the
//!   session and is restored on every exit path (a drop guard; SIGTERM and
//!   SIGHUP end the session through the same path), the window size is set
//!   at start and on SIGWINCH, stdin is forwarded.
//! - Pipe mode: stdin forwarded until EOF (then the exec's stdin is closed),
//!   stdout and stderr kept apart.
//!
//! The result is the command's exit code.

use std::io::Write;

use anyhow::{anyhow, Context, Result};
use bollard::container::LogOutput;
use bollard::exec::{CreateExecOptions, ResizeExecOptions, StartExecOptions, StartExecResults};
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;

use super::Engine;

pub struct ExecRequest {
    pub container: String,
    pub user: Option<String>,
    pub workdir: Option<String>,
    pub cmd: Vec<String>,
    pub tty: bool,
    /// Forward stdin (false when stdin is /dev/null, like `docker exec`
    /// without `-i`).
    pub stdin: bool,
    /// Extra `NAME=value` environment of the exec.
    pub env: Vec<String>,
}

/// What SIGINT (Ctrl-C reaching devctl) does during [`attach_interruptible`]:
/// run `script` in `container` as `user` (a second exec), e.g. to signal the
/// first exec's process group; the session then ends when its output does.
pub struct OnInterrupt {
    pub container: String,
    pub user: Option<String>,
    pub script: String,
}

/// Restores the terminal's settings when dropped.
pub struct RawModeGuard {
    tty: std::io::Stdin,
    saved: rustix::termios::Termios,
}

impl RawModeGuard {
    /// Puts stdin's terminal in raw mode (cfmakeraw), remembering the old
    /// settings.
    pub fn enable_stdin() -> std::io::Result<RawModeGuard> {
        use rustix::termios::{tcgetattr, tcsetattr, OptionalActions};
        let tty = std::io::stdin();
        let saved = tcgetattr(&tty)?;
        let mut raw = saved.clone();
        raw.make_raw();
        tcsetattr(&tty, OptionalActions::Now, &raw)?;
        Ok(RawModeGuard { tty, saved })
    }
}

impl Drop for RawModeGuard {
    fn drop(&mut self) {
        use rustix::termios::{tcsetattr, OptionalActions};
        let _ = tcsetattr(&self.tty, OptionalActions::Now, &self.saved);
    }
}

/// The terminal's size (rows, cols) of `fd`, when it is a terminal.
pub fn window_size(fd: impl std::os::fd::AsFd) -> Option<(u16, u16)> {
    let ws = rustix::termios::tcgetwinsize(fd).ok()?;
    if ws.ws_row == 0 {
        return None;
    }
    Some((ws.ws_row, ws.ws_col))
}

/// The size of the terminal on stdout, else on stdin.
fn terminal_size() -> Option<(u16, u16)> {
    window_size(std::io::stdout()).or_else(|| window_size(std::io::stdin()))
}

/// True when fd 0 is /dev/null (nothing to forward).
pub fn stdin_is_dev_null() -> bool {
    use std::os::unix::fs::MetadataExt;
    let Ok(null) = std::fs::metadata("/dev/null") else {
        return false;
    };
    let Ok(st) = rustix::fs::fstat(std::io::stdin()) else {
        return false;
    };
    rustix::fs::FileType::from_raw_mode(st.st_mode) == rustix::fs::FileType::CharacterDevice
        && st.st_rdev == null.rdev()
}

/// Reads stdin on a plain thread (a blocking read must not hold up the
/// runtime's shutdown) and hands chunks to the async side.
fn stdin_channel() -> tokio::sync::mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = tokio::sync::mpsc::channel::<Vec<u8>>(16);
    std::thread::spawn(move || {
        use std::io::Read;
        let mut stdin = std::io::stdin().lock();
        let mut buf = vec![0u8; 8192];
        loop {
            match stdin.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if tx.blocking_send(buf[..n].to_vec()).is_err() {
                        break;
                    }
                }
            }
        }
    });
    rx
}

/// Creates the exec; `None` when the container does not exist or is not
/// running (the caller then looks for another replica or says so).
pub async fn create(eng: &Engine, req: &ExecRequest) -> Result<Option<String>> {
    // A TTY exec's TERM is the caller's to add (it reads the environment).
    let env = req.env.clone();
    let created = eng
        .docker
        .create_exec(
            &req.container,
            CreateExecOptions {
                attach_stdin: Some(req.stdin || req.tty),
                attach_stdout: Some(true),
                attach_stderr: Some(true),
                tty: Some(req.tty),
                env: (!env.is_empty()).then_some(env),
                cmd: Some(req.cmd.clone()),
                user: req.user.clone(),
                working_dir: req.workdir.clone(),
                ..Default::default()
            },
        )
        .await;
    match created {
        Ok(c) => Ok(Some(c.id)),
        Err(e) if matches!(super::status_of(&e), Some(404) | Some(409)) => Ok(None),
        Err(e) => Err(anyhow!(e).context(format!("creating the exec in {}", req.container))),
    }
}

/// One chunk of an exec's or a container's output to our stdout or
/// stderr, flushed (the terminal sees it as it comes).
fn emit(
    out: LogOutput,
    stdout: &mut std::io::Stdout,
    stderr: &mut std::io::Stderr,
) -> std::io::Result<()> {
    match out {
        LogOutput::StdErr { message } => {
            stderr.write_all(&message)?;
            stderr.flush()
        }
        LogOutput::StdOut { message }
        | LogOutput::Console { message }
        | LogOutput::StdIn { message } => {
            stdout.write_all(&message)?;
            stdout.flush()
        }
    }
}

/// Runs a created exec attached to this process; returns its exit code.
pub async fn attach(eng: &Engine, id: &str, tty: bool, stdin: bool) -> Result<i64> {
    attach_interruptible(eng, id, tty, stdin, None).await
}

/// As [`attach`]; with `on_int`, SIGINT runs its script instead of ending
/// devctl, and the exit code is 130 once the output has ended.
pub async fn attach_interruptible(
    eng: &Engine,
    id: &str,
    tty: bool,
    stdin: bool,
    on_int: Option<OnInterrupt>,
) -> Result<i64> {
    let guard = if tty {
        Some(RawModeGuard::enable_stdin().context("switching the terminal to raw mode")?)
    } else {
        None
    };
    let started = eng
        .docker
        .start_exec(
            id,
            Some(StartExecOptions {
                detach: false,
                tty,
                output_capacity: None,
            }),
        )
        .await
        .context("starting the exec")?;
    let StartExecResults::Attached {
        mut output,
        mut input,
    } = started
    else {
        return Err(anyhow!("the engine detached the exec"));
    };

    if tty {
        if let Some((h, w)) = terminal_size() {
            let _ = eng
                .docker
                .resize_exec(
                    id,
                    ResizeExecOptions {
                        height: h,
                        width: w,
                    },
                )
                .await;
        }
    }

    let mut stdin_open = stdin || tty;
    let mut stdin_rx = if stdin_open {
        stdin_channel()
    } else {
        tokio::sync::mpsc::channel(1).1
    };
    let mut winch = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::window_change())
        .context("installing the SIGWINCH handler")?;
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("installing the SIGTERM handler")?;
    let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        .context("installing the SIGHUP handler")?;
    let mut int = match &on_int {
        Some(_) => Some(
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
                .context("installing the SIGINT handler")?,
        ),
        None => None,
    };
    let mut got_int = false;
    let mut stdout = std::io::stdout();
    let mut stderr = std::io::stderr();
    let mut interrupted: Option<i64> = None;
    loop {
        tokio::select! {
            item = output.next() => match item {
                None => break,
                Some(Ok(out)) => emit(out, &mut stdout, &mut stderr)?,
                Some(Err(e)) => return Err(anyhow!(e).context("reading the exec's output")),
            },
            chunk = stdin_rx.recv(), if stdin_open => match chunk {
                Some(data) => {
                    if input.write_all(&data).await.is_err() {
                        stdin_open = false;
                    } else {
                        let _ = input.flush().await;
                    }
                }
                None => {
                    stdin_open = false;
                    let _ = input.shutdown().await;
                }
            },
            _ = winch.recv(), if tty => {
                if let Some((h, w)) = terminal_size() {
                    let _ = eng.docker.resize_exec(id, ResizeExecOptions { height: h, width: w }).await;
                }
            }
            _ = async { int.as_mut()?.recv().await }, if int.is_some() => {
                got_int = true;
                if let Some(k) = &on_int {
                    run_detached_script(eng, k).await;
                }
            }
            _ = term.recv() => { interrupted = Some(128 + 15); break; }
            _ = hup.recv() => { interrupted = Some(128 + 1); break; }
        }
    }
    drop(guard);
    if let Some(code) = interrupted {
        return Ok(code);
    }
    if got_int {
        return Ok(128 + 2);
    }
    // The stream ends when the process exits; the exit code can lag a tick.
    for _ in 0..100 {
        let inspect = eng
            .docker
            .inspect_exec(id)
            .await
            .context("reading the exec's exit code")?;
        if inspect.running != Some(true) {
            return Ok(inspect.exit_code.unwrap_or(0));
        }
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    Err(anyhow!("the exec's output ended but it is still running"))
}

/// Runs `k.script` with `sh -c` in its container and waits for it to end
/// (errors ignored: the session ends with its output either way).
async fn run_detached_script(eng: &Engine, k: &OnInterrupt) {
    let Ok(created) = eng
        .docker
        .create_exec(
            &k.container,
            CreateExecOptions {
                attach_stdout: Some(true),
                attach_stderr: Some(true),
                cmd: Some(vec![
                    "/bin/sh".to_string(),
                    "-c".to_string(),
                    k.script.clone(),
                ]),
                user: k.user.clone(),
                ..Default::default()
            },
        )
        .await
    else {
        return;
    };
    if let Ok(StartExecResults::Attached { mut output, .. }) =
        eng.docker.start_exec(&created.id, None).await
    {
        while output.next().await.is_some() {}
    }
}

/// How long a one-off container gets after a forwarded signal before it is
/// killed (the same grace as a task's Ctrl-C).
const SIGNAL_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// Runs a created one-off container attached to this process, as `docker
/// run` does: attach (stdin when `stdin`), start, resize the TTY, pump,
/// and return its exit code. SIGINT, SIGTERM and SIGHUP are forwarded to
/// the container; when it has not ended `SIGNAL_GRACE` later it is
/// killed. An interrupted run returns 128 + the signal's number. The
/// caller removes the container (`--rm`).
pub async fn attach_container(eng: &Engine, id: &str, tty: bool, stdin: bool) -> Result<i64> {
    use bollard::query_parameters::{
        AttachContainerOptionsBuilder, InspectContainerOptions, KillContainerOptionsBuilder,
        ResizeContainerTTYOptionsBuilder, StartContainerOptions,
    };
    use tokio::signal::unix::{signal, SignalKind};
    // Signal handlers first: a Ctrl-C from here on is forwarded.
    let mut int = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
    let mut term = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    let mut hup = signal(SignalKind::hangup()).context("installing the SIGHUP handler")?;
    let mut winch =
        signal(SignalKind::window_change()).context("installing the SIGWINCH handler")?;
    let attached = eng
        .long()
        .attach_container(
            id,
            Some(
                AttachContainerOptionsBuilder::default()
                    .stdin(stdin)
                    .stdout(true)
                    .stderr(true)
                    .stream(true)
                    .logs(false)
                    .build(),
            ),
        )
        .await
        .with_context(|| format!("attaching to container {id}"))?;
    let bollard::container::AttachContainerResults {
        mut output,
        mut input,
    } = attached;
    let guard = if tty {
        Some(RawModeGuard::enable_stdin().context("switching the terminal to raw mode")?)
    } else {
        None
    };
    eng.medium()
        .start_container(id, None::<StartContainerOptions>)
        .await
        .with_context(|| format!("starting container {id}"))?;
    let resize = |eng: &Engine| {
        let docker = eng.docker.clone();
        let id = id.to_string();
        async move {
            if let Some((h, w)) = terminal_size() {
                let opts = ResizeContainerTTYOptionsBuilder::default()
                    .h(i32::from(h))
                    .w(i32::from(w))
                    .build();
                let _ = docker.resize_container_tty(&id, opts).await;
            }
        }
    };
    if tty {
        resize(eng).await;
    }
    let mut stdin_open = stdin;
    let mut stdin_rx = if stdin_open {
        stdin_channel()
    } else {
        tokio::sync::mpsc::channel(1).1
    };
    let kill = |sig: &'static str| {
        let docker = eng.docker.clone();
        let id = id.to_string();
        async move {
            let opts = KillContainerOptionsBuilder::default().signal(sig).build();
            let _ = docker.kill_container(&id, Some(opts)).await;
        }
    };
    let mut interrupted: Option<i64> = None;
    // Armed by the first forwarded signal.
    let deadline = tokio::time::sleep(std::time::Duration::from_secs(86_400));
    tokio::pin!(deadline);
    let mut stdout = std::io::stdout();
    let mut stderr = std::io::stderr();
    loop {
        tokio::select! {
            item = output.next() => match item {
                None => break,
                Some(Ok(out)) => emit(out, &mut stdout, &mut stderr)?,
                Some(Err(e)) => return Err(anyhow!(e).context("reading the container's output")),
            },
            chunk = stdin_rx.recv(), if stdin_open => match chunk {
                Some(data) => {
                    if input.write_all(&data).await.is_err() {
                        stdin_open = false;
                    } else {
                        let _ = input.flush().await;
                    }
                }
                None => {
                    stdin_open = false;
                    let _ = input.shutdown().await;
                }
            },
            _ = winch.recv(), if tty => resize(eng).await,
            _ = int.recv() => {
                interrupted.get_or_insert(128 + 2);
                kill("SIGINT").await;
                deadline.as_mut().reset(tokio::time::Instant::now() + SIGNAL_GRACE);
            }
            _ = term.recv() => {
                interrupted.get_or_insert(128 + 15);
                kill("SIGTERM").await;
                deadline.as_mut().reset(tokio::time::Instant::now() + SIGNAL_GRACE);
            }
            _ = hup.recv() => {
                interrupted.get_or_insert(128 + 1);
                kill("SIGHUP").await;
                deadline.as_mut().reset(tokio::time::Instant::now() + SIGNAL_GRACE);
            }
            _ = &mut deadline, if interrupted.is_some() => {
                kill("SIGKILL").await;
                deadline.as_mut().reset(tokio::time::Instant::now() + SIGNAL_GRACE);
            }
        }
    }
    drop(guard);
    if let Some(code) = interrupted {
        return Ok(code);
    }
    // The stream ends when the process exits; the state can lag a tick.
    for _ in 0..500 {
        let c = match eng
            .docker
            .inspect_container(id, None::<InspectContainerOptions>)
            .await
        {
            Ok(c) => c,
            Err(e) if super::status_of(&e) == Some(404) => {
                return Err(anyhow!(
                    "container {id} was removed while it ran (`devctl down`?)"
                ))
            }
            Err(e) => {
                return Err(anyhow!(e).context(format!("reading the exit code of container {id}")))
            }
        };
        let state = c.state.unwrap_or_default();
        if state.running != Some(true) {
            return Ok(state.exit_code.unwrap_or(0));
        }
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    Err(anyhow!(
        "the output of container {id} ended but it is still running"
    ))
}
