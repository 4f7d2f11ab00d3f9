//! Container tasks against the real engine (busybox fixture): started
//! first when not running, as the service's user and workdir, arguments,
//! env, exit codes, deps, and Ctrl-C leaving no process behind.

use std::time::{Duration, Instant};

use crate::e2e_support::{docker_out, engine_ready, TestProject};

const TASKS: &str = r#"
[tasks.argv]
run = ["printf", "<%s>"]

[tasks.line]
run = "printf '<%s>'"

[tasks.where]
run = "echo \"$(id -u) $(pwd) $$TASK_VAR\""
env = { TASK_VAR = "from-task" }

[tasks.code]
run = "exit 7"
args = "none"

[tasks.dump]
args = ["file"]
run = "cd /tmp && echo dumped > \"${file}\" && cat \"${file}\""

[tasks.first]
run = "echo first"

[tasks.combo]
deps = ["first", "dump 'a b.sql'", "first"]
run = ["echo", "combo"]

[tasks.stops]
deps = ["first", "code", "argv"]

[tasks.tty]
run = "if [ -t 0 ] && [ -t 1 ]; then echo tty-yes; else echo tty-no; fi; exit 5"

[tasks.sleeper]
run = "sleep 321; echo not-interrupted"
"#;

#[test]
fn container_tasks_start_the_service_and_run_as_its_user_in_its_workdir() {
    if !engine_ready() {
        return;
    }
    let t = TestProject::new("task", "", TASKS);
    // not running: started first
    let (out, err) = t.ok(&["argv", "a b", "it's", "\"q\"", "$HOME"]);
    assert_eq!(out, "<a b><it's><\"q\"><$HOME>", "{err}");
    assert!(err.contains("starting app"), "{err}");
    let (out, _) = t.ok(&["task", "line", "x y", "it's", "*"]);
    assert_eq!(out, "<x y><it's><*>");
    let (uid, _) = t.ok(&["sh", "--", "id", "-u"]);
    let (out, _) = t.ok(&["where"]);
    assert_eq!(out, format!("{} /app from-task\n", uid.trim()));
    t.code(&["code"], 7);
    let (_, err) = t.code(&["code", "extra"], 2);
    assert!(
        err.contains("takes no arguments (usage: devctl code)"),
        "{err}"
    );
    let (out, _) = t.ok(&["dump", "my dump.sql"]);
    assert_eq!(out, "dumped\n");
    let (out, _) = t.ok(&["combo"]);
    assert_eq!(out, "first\ndumped\ncombo\n");
    let (out, err) = t.code(&["stops"], 7);
    assert_eq!(out, "first\n");
    assert!(
        err.contains("task `code` failed (exit code 7): not running `stops`"),
        "{err}"
    );
}

#[test]
fn ctrl_c_reaches_the_task_in_the_container_and_leaves_no_process() {
    if !engine_ready() {
        return;
    }
    let t = TestProject::new("taskint", "", TASKS);
    t.ok(&["start"]);
    let container = format!("{}-app-1", t.name);
    let ps = || docker_out(&["exec", &container, "ps", "-o", "pid,args"]);
    let child = t
        .cmd(&["sleeper"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !ps().contains("sleep 321") {
        assert!(
            Instant::now() < deadline,
            "the task never started:\n{}",
            ps()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let st = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let o = child.wait_with_output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!String::from_utf8_lossy(&o.stdout).contains("not-interrupted"));
    let left = ps();
    assert!(!left.contains("sleep 321"), "{left}");
    assert!(!left.contains("devctl-task"), "{left}");
}

#[test]
fn a_terminal_is_passed_to_the_task_when_devctl_has_one() {
    if !engine_ready() {
        return;
    }
    let t = TestProject::new("tasktty", "", TASKS);
    t.ok(&["start"]);
    let (out, _) = t.code(&["tty"], 5);
    assert_eq!(out, "tty-no\n");
    let script = r#"
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
buf = b""
while True:
    try:
        d = os.read(fd, 1024)
    except OSError:
        break
    if not d:
        break
    buf += d
_, st = os.waitpid(pid, 0)
sys.stdout.write(buf.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(st))
"#;
    let o = std::process::Command::new("python3")
        .args(["-c", script, env!("CARGO_BIN_EXE_devctl"), "tty"])
        .current_dir(t.path())
        .env("HOME", t.home.path())
        .env_remove("DOCKER_HOST")
        .output()
        .expect("python3 runs");
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(5), "{out}");
    assert!(out.contains("tty-yes"), "{out}");
}
