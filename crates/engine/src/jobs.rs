//! Jobs in a running container for `devctl run-dev`: one-off commands run
//! as their own process group (so Ctrl-C can kill the whole group through a
//! second exec), with output streamed line by line behind a prefix, and the
//! app container's log stream. Like the rest of `engine/`, the only code that
//! talks to Docker; the scripts and the line buffer are pure.

use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use bollard::container::LogOutput;
use bollard::exec::{CreateExecOptions, StartExecOptions, StartExecResults};
use bollard::Docker;
use futures_util::StreamExt;

/// Splits output chunks into lines, each written with a prefix; a partial
/// last line waits for the next chunk (or [`LineBuffer::flush`]).
#[derive(Debug, Default)]
pub struct LineBuffer {
    pending: Vec<u8>,
}

impl LineBuffer {
    pub fn push(&mut self, prefix: &str, chunk: &[u8], out: &mut Vec<u8>) {
        self.pending.extend_from_slice(chunk);
        while let Some(i) = self.pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=i).collect();
            out.extend_from_slice(prefix.as_bytes());
            out.push(b' ');
            out.extend_from_slice(&line);
        }
    }

    pub fn flush(&mut self, prefix: &str, out: &mut Vec<u8>) {
        if !self.pending.is_empty() {
            out.extend_from_slice(prefix.as_bytes());
            out.push(b' ');
            out.append(&mut self.pending);
            out.push(b'\n');
        }
    }
}

/// A rule name made safe for a file name in the container.
pub fn safe_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The pid file of a job in the container.
pub fn pid_file(project: &str, job: &str) -> String {
    format!("/tmp/devctl-{}-{}.pid", safe_name(project), safe_name(job))
}

/// The script of a job: records its process group (the exec is a session
/// leader, so `$$` is the group id), then runs `cmd` after the prelude.
pub fn job_script(pid_file: &str, prelude: &str, cmd: &str) -> String {
    format!("echo $$ > {pid_file}; {prelude}{cmd}")
}

/// Kills a job's process group: TERM, up to a second of grace, then KILL.
pub fn kill_script(pid_file: &str) -> String {
    format!(
        "p=$(cat {pid_file} 2>/dev/null) || exit 0; [ -n \"$p\" ] || exit 0; \
         kill -TERM -$p 2>/dev/null; \
         for i in 1 2 3 4 5 6 7 8 9 10; do kill -0 -$p 2>/dev/null || break; sleep 0.1; done; \
         kill -KILL -$p 2>/dev/null; rm -f {pid_file}; exit 0"
    )
}

/// What every job in the app container shares.
pub struct JobTarget {
    pub docker: Docker,
    pub container: String,
    pub user: Option<String>,
    pub workdir: Option<String>,
    pub project: String,
    pub prelude: String,
    /// The watch rules' runners, by name (see [`precreate`]).
    pub pre: tokio::sync::Mutex<std::collections::HashMap<String, Runner>>,
}

/// A watch rule's long-lived shell in the container: each line on its
/// stdin runs the rule's command once (`sh -c`, stdin from /dev/null) and
/// then prints [`DONE`] and the exit code on stdout. A change then costs a
/// write on an open stream instead of an exec's create, start and inspect
/// (the exec's start is most of it: the engine sets up a process in the
/// container's namespaces). The runner records its process group in the
/// rule's pid file, so [`send_kill`] kills it and its job; it ends when
/// its stdin closes (devctl exits, however it exits).
pub struct Runner {
    cmd: String,
    input: std::pin::Pin<Box<dyn tokio::io::AsyncWrite + Send>>,
    output: KillOutput,
}

/// What a runner prints after each run (then ` CODE\n`).
pub const DONE: &str = "\u{1e}devctl-done";

/// The runner's script; `$1` is the job's command line.
pub fn runner_script(pid_file: &str) -> String {
    format!(
        "echo $$ > {pid_file}; while read -r _; do /bin/sh -c \"$1\" </dev/null; printf '\\036devctl-done %d\\n' \"$?\"; done"
    )
}

/// Splits a runner's stdout at [`DONE`]: the output before it (to print)
/// and the exit code, once the marker line is complete.
pub fn split_done(pending: &[u8]) -> Option<(usize, i64, usize)> {
    let m = DONE.as_bytes();
    let at = pending.windows(m.len()).position(|w| w == m)?;
    let rest = &pending[at + m.len()..];
    let nl = rest.iter().position(|&b| b == b'\n')?;
    let code = std::str::from_utf8(&rest[..nl]).ok()?.trim().parse().ok()?;
    Some((at, code, at + m.len() + nl + 1))
}

async fn start_runner(t: &JobTarget, job: &str, cmd: &str) -> Result<Runner> {
    let created = t
        .docker
        .create_exec(
            &t.container,
            CreateExecOptions {
                attach_stdin: Some(true),
                attach_stdout: Some(true),
                attach_stderr: Some(true),
                cmd: Some(vec![
                    "/bin/sh".to_string(),
                    "-c".to_string(),
                    runner_script(&pid_file(&t.project, job)),
                    "devctl-runner".to_string(),
                    format!("{}{cmd}", t.prelude),
                ]),
                user: t.user.clone(),
                working_dir: t.workdir.clone(),
                ..Default::default()
            },
        )
        .await
        .with_context(|| format!("[{job}] running in {}", t.container))?;
    match t
        .docker
        .start_exec(
            &created.id,
            Some(StartExecOptions {
                detach: false,
                tty: false,
                output_capacity: None,
            }),
        )
        .await
        .with_context(|| format!("[{job}] starting in {}", t.container))?
    {
        StartExecResults::Attached { output, input } => Ok(Runner {
            cmd: cmd.to_string(),
            input,
            output,
        }),
        StartExecResults::Detached => Err(anyhow!("the engine detached the runner of [{job}]")),
    }
}

/// Runs the rule once through its runner; `None` when the runner ended
/// before it could take the run (start a new one).
async fn run_on(r: &mut Runner, job: &str) -> Option<Result<i64>> {
    use tokio::io::AsyncWriteExt;
    if r.input.write_all(b"\n").await.is_err() || r.input.flush().await.is_err() {
        return None;
    }
    let prefix = format!("[{job}]");
    let (mut pending, mut err_buf) = (Vec::new(), LineBuffer::default());
    let mut out_buf = LineBuffer::default();
    loop {
        match r.output.next().await {
            Some(Ok(LogOutput::StdOut { message })) | Some(Ok(LogOutput::Console { message })) => {
                pending.extend_from_slice(&message);
                let mut buf = Vec::new();
                if let Some((at, code, end)) = split_done(&pending) {
                    out_buf.push(&prefix, &pending[..at], &mut buf);
                    out_buf.flush(&prefix, &mut buf);
                    let _ = devctl_out::write_stdout(&buf);
                    pending.drain(..end);
                    let mut eb = Vec::new();
                    err_buf.flush(&prefix, &mut eb);
                    let _ = devctl_out::write_stderr(&eb);
                    return Some(Ok(code));
                }
                // complete lines go out now (a complete marker line was
                // found above); a partial last line may be the marker's start
                let cut = pending
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(0, |i| i + 1);
                out_buf.push(&prefix, &pending[..cut], &mut buf);
                pending.drain(..cut);
                let _ = devctl_out::write_stdout(&buf);
            }
            Some(Ok(LogOutput::StdErr { message })) => {
                let mut buf = Vec::new();
                err_buf.push(&prefix, &message, &mut buf);
                let _ = devctl_out::write_stderr(&buf);
            }
            Some(Ok(LogOutput::StdIn { .. })) => {}
            Some(Err(e)) => {
                return Some(Err(
                    anyhow!(e).context(format!("reading the output of [{job}]"))
                ))
            }
            None => {
                // the runner is gone mid-run: killed (Ctrl-C) or the
                // container went away; what it printed is shown
                let mut buf = Vec::new();
                out_buf.push(&prefix, &pending, &mut buf);
                out_buf.flush(&prefix, &mut buf);
                err_buf.flush(&prefix, &mut buf);
                let _ = devctl_out::write_stdout(&buf);
                return Some(Ok(143));
            }
        }
    }
}

/// Creates (does not start) the exec of job `job`.
pub async fn create_job_exec(
    t: &JobTarget,
    job: &str,
    cmd: &str,
    with_prelude: bool,
) -> Result<String> {
    let prelude = if with_prelude { t.prelude.as_str() } else { "" };
    let script = job_script(&pid_file(&t.project, job), prelude, cmd);
    let created = t
        .docker
        .create_exec(
            &t.container,
            CreateExecOptions {
                attach_stdout: Some(true),
                attach_stderr: Some(true),
                cmd: Some(vec!["/bin/sh".to_string(), "-c".to_string(), script]),
                user: t.user.clone(),
                working_dir: t.workdir.clone(),
                ..Default::default()
            },
        )
        .await
        .with_context(|| format!("[{job}] running in {}", t.container))?;
    Ok(created.id)
}

/// Starts the runner of a watch rule ahead of its first change (see
/// [`Runner`]); a failure leaves the rule to one exec per run.
pub async fn precreate(t: &JobTarget, job: &str, cmd: &str) {
    let mut pre = t.pre.lock().await;
    if pre.get(job).is_some_and(|r| r.cmd == cmd) {
        return;
    }
    if let Ok(r) = start_runner(t, job, cmd).await {
        pre.insert(job.to_string(), r);
    }
}

/// Runs `cmd` as job `job` in the container, output prefixed `[job]`;
/// returns its exit code. The rule's runner takes it when there is one
/// (with the prelude), else a new exec.
pub async fn run_job(t: &JobTarget, job: &str, cmd: &str, with_prelude: bool) -> Result<i64> {
    let runner = t.pre.lock().await.remove(job);
    if let Some(mut r) = runner.filter(|r| r.cmd == cmd && with_prelude) {
        if let Some(res) = run_on(&mut r, job).await {
            if matches!(res, Ok(c) if c != 143) {
                t.pre.lock().await.insert(job.to_string(), r);
            }
            return res;
        }
    }
    run_exec_job(t, job, cmd, with_prelude).await
}

async fn run_exec_job(t: &JobTarget, job: &str, cmd: &str, with_prelude: bool) -> Result<i64> {
    let opts = || {
        Some(StartExecOptions {
            detach: false,
            tty: false,
            output_capacity: None,
        })
    };
    let id = create_job_exec(t, job, cmd, with_prelude).await?;
    let started = t
        .docker
        .start_exec(&id, opts())
        .await
        .with_context(|| format!("[{job}] starting in {}", t.container))?;
    let StartExecResults::Attached { mut output, .. } = started else {
        return Err(anyhow!("the engine detached the exec of [{job}]"));
    };
    let prefix = format!("[{job}]");
    let (mut out_buf, mut err_buf) = (LineBuffer::default(), LineBuffer::default());
    while let Some(item) = output.next().await {
        let mut buf = Vec::new();
        match item {
            Ok(LogOutput::StdErr { message }) => {
                err_buf.push(&prefix, &message, &mut buf);
                let _ = devctl_out::write_stderr(&buf);
            }
            Ok(LogOutput::StdOut { message }) | Ok(LogOutput::Console { message }) => {
                out_buf.push(&prefix, &message, &mut buf);
                let _ = devctl_out::write_stdout(&buf);
            }
            Ok(LogOutput::StdIn { .. }) => {}
            Err(e) => return Err(anyhow!(e).context(format!("reading the output of [{job}]"))),
        }
    }
    let mut buf = Vec::new();
    out_buf.flush(&prefix, &mut buf);
    let _ = devctl_out::write_stdout(&buf);
    buf.clear();
    err_buf.flush(&prefix, &mut buf);
    let _ = devctl_out::write_stderr(&buf);
    for _ in 0..500 {
        let inspect = t.docker.inspect_exec(&id).await?;
        if inspect.running != Some(true) {
            return Ok(inspect.exit_code.unwrap_or(0));
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    Err(anyhow!(
        "[{job}]: output ended but the process is still running"
    ))
}

/// The kill exec's attached output.
type KillOutput = std::pin::Pin<
    Box<dyn futures_util::Stream<Item = Result<LogOutput, bollard::errors::Error>> + Send>,
>;

/// A kill sent into the container: the exec runs there whatever devctl
/// does next; [`SentKill::finish`] waits for its end.
pub struct SentKill(Option<KillOutput>);

impl SentKill {
    /// Waits until the kill script has ended (the group is gone).
    pub async fn finish(self) {
        if let Some(mut output) = self.0 {
            while output.next().await.is_some() {}
        }
    }
}

/// Sends the kill of job `job`'s process group into the container (a
/// second exec, started before this returns): once it has returned, the
/// group dies even if devctl exits at once.
pub async fn send_kill(t: &JobTarget, job: &str) -> Result<SentKill> {
    let created = t
        .docker
        .create_exec(
            &t.container,
            CreateExecOptions {
                attach_stdout: Some(true),
                attach_stderr: Some(true),
                cmd: Some(vec![
                    "/bin/sh".to_string(),
                    "-c".to_string(),
                    kill_script(&pid_file(&t.project, job)),
                ]),
                user: t.user.clone(),
                ..Default::default()
            },
        )
        .await?;
    Ok(SentKill(
        match t.docker.start_exec(&created.id, None).await? {
            StartExecResults::Attached { output, .. } => Some(output),
            StartExecResults::Detached => None,
        },
    ))
}

/// Kills job `job`'s process group in the container and waits for its end.
pub async fn kill_job(t: &JobTarget, job: &str) -> Result<()> {
    send_kill(t, job).await?.finish().await;
    Ok(())
}

/// Streams the app container's output from `since` with an `[app]` prefix.
pub async fn stream_app_logs(docker: Docker, container: String, since: i64) {
    use bollard::query_parameters::LogsOptionsBuilder;
    let opts = LogsOptionsBuilder::default()
        .follow(true)
        .stdout(true)
        .stderr(true)
        .since(since as i32)
        .build();
    let mut stream = docker.logs(&container, Some(opts));
    let mut lines = LineBuffer::default();
    while let Some(Ok(item)) = stream.next().await {
        let mut buf = Vec::new();
        lines.push("[app]", &item.into_bytes(), &mut buf);
        let _ = devctl_out::write_stdout(&buf);
    }
    let mut buf = Vec::new();
    lines.flush("[app]", &mut buf);
    let _ = devctl_out::write_stdout(&buf);
}

/// Whether the engine still answers (`GET /_ping`): run-dev asks every few
/// seconds so that a lost engine ends the loop with a clear error even when
/// no file changes.
pub async fn ping(docker: &Docker) -> Result<()> {
    docker.ping().await.map(|_| ()).map_err(anyhow::Error::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_runner_s_marker_ends_a_run_with_its_code() {
        assert_eq!(split_done(b"out\n"), None);
        assert_eq!(
            split_done(b"out\n\x1edevctl-do"),
            None,
            "a partial marker waits"
        );
        assert_eq!(
            split_done(b"out\n\x1edevctl-done 3"),
            None,
            "so does one without its newline"
        );
        let t = b"out\n\x1edevctl-done 3\n";
        assert_eq!(split_done(t), Some((4, 3, t.len())));
        // output without a final newline, then the marker on the same line
        let t = b"partial\x1edevctl-done 0\n";
        assert_eq!(split_done(t), Some((7, 0, t.len())));
        let s = runner_script("/tmp/p.pid");
        assert!(
            s.starts_with("echo $$ > /tmp/p.pid; while read -r _; do"),
            "{s}"
        );
        assert!(
            s.contains("</dev/null"),
            "the job does not read the runner's stdin: {s}"
        );
    }
}
