//! Tasks without the engine: host tasks, arguments, deps, confirm through a
//! pseudo-terminal, the listing, `--help`, completions, `--dry-run`, errors.

use std::process::Command;

use crate::support::Project;

const TOML: &str = r#"[project]
name = "tasks-cli"

[app]
user = "app"
workdir = "/app"

[tasks.hello]
description = "Say hello"
host = true
# $GREETING is interpolated from .env by devctl; $$TASK_ONLY is the shell's
run = "printf '[%s]' \"$GREETING\" \"$$TASK_ONLY\""
env = { TASK_ONLY = "t-${GREETING}" }

[tasks.argv]
host = true
run = ["printf", "<%s>"]

[tasks.line]
host = true
run = "printf '<%s>'"

[tasks.named]
host = true
run = "printf '%s|' \"${file}\" \"$@\""
args = ["file", "rest..."]

[tasks.fail]
host = true
run = "echo fail-ran; exit 3"

[tasks.one]
host = true
run = "echo one"

[tasks.two]
host = true
run = "echo two"
deps = ["one"]

[tasks.chain]
description = "Runs the others"
deps = ["two", "one", "named 'a b' c"]

[tasks.broken]
deps = ["one", "fail", "two"]

[tasks.danger]
host = true
confirm = "Really delete?"
run = "echo danger-ran"

[tasks.migrate]
description = "Apply migrations"
run = "python manage.py migrate"
env = { DJANGO_SETTINGS_MODULE = "config.settings" }
"#;

fn project() -> Project {
    Project::new()
        .file("devctl.toml", TOML)
        .file("Dockerfile", "FROM scratch\n")
        .file(".env", "GREETING=\"hi there\"\nAPI_TOKEN=s3cr3t-value\n")
}

#[test]
fn host_task_runs_in_the_project_dir_with_env_and_passes_the_exit_code() {
    let p = project();
    p.devctl(&["hello"])
        .code(0)
        .stdout_has("[hi there][t-hi there]");
    p.devctl(&["task", "hello"])
        .code(0)
        .stdout_has("[hi there]");
    p.devctl(&["fail"]).code(3).stdout_has("fail-ran");
}

#[test]
fn arguments_with_spaces_and_quotes_reach_the_command_unchanged() {
    let p = project();
    let words = ["a b", "it's", "\"q\"", "$HOME", "-v", "*"];
    let mut args = vec!["argv"];
    args.extend(words);
    p.devctl(&args)
        .code(0)
        .stdout_has("<a b><it's><\"q\"><$HOME><-v><*>");
    let mut args = vec!["line"];
    args.extend(words);
    p.devctl(&args)
        .code(0)
        .stdout_has("<a b><it's><\"q\"><$HOME><-v><*>");
    p.devctl(&["named", "my file", "x", "y z"])
        .code(0)
        .stdout_has("my file|x|y z|");
    p.devctl(&["named"])
        .code(2)
        .stderr_has("missing argument FILE (usage: devctl named FILE [REST…])");
}

#[test]
fn deps_run_first_in_order_once_and_a_failure_stops() {
    let p = project();
    let d = p.devctl(&["chain"]).code(0);
    assert_eq!(d.stdout(), "one\ntwo\na b|c|", "{}", d.stderr());
    let d = p.devctl(&["broken"]).code(3);
    assert_eq!(d.stdout(), "one\nfail-ran\n");
    assert!(d
        .stderr()
        .contains("task `fail` failed (exit code 3): not running `broken`"));
}

#[test]
fn dry_run_prints_where_as_whom_env_names_and_argv_and_runs_nothing() {
    let p = project();
    let d = p.devctl(&["--dry-run", "broken"]).code(0);
    let out = d.stdout();
    assert!(!out.lines().any(|l| l == "one" || l == "fail-ran"), "{out}");
    assert!(out.contains("[2/3] fail: on the host in"), "{out}");
    assert!(
        out.contains("argv: /bin/sh -c 'echo fail-ran; exit 3'"),
        "{out}"
    );
    let d = p
        .devctl(&["task", "--dry-run", "migrate", "--plan"])
        .code(0);
    let out = d.stdout();
    assert!(
        out.contains("migrate: in service app (container tasks-cli-app-1, user app, workdir /app)"),
        "{out}"
    );
    assert!(out.contains("env: DJANGO_SETTINGS_MODULE\n"), "{out}");
    assert!(
        out.contains("argv: /bin/sh -c 'python manage.py migrate --plan'"),
        "{out}"
    );
    // .env names, never values
    let d = p.devctl(&["--dry-run", "hello"]).code(0);
    assert!(
        d.stdout().contains("env: API_TOKEN GREETING TASK_ONLY"),
        "{}",
        d.stdout()
    );
    assert!(!d.stdout().contains("s3cr3t"));
}

#[test]
fn confirm_asks_on_a_terminal_and_is_refused_without_one() {
    let p = project();
    p.devctl(&["danger"])
        .code(2)
        .stderr_has("no terminal to ask on: run `devctl --yes danger`");
    p.devctl(&["--yes", "danger"])
        .code(0)
        .stdout_has("danger-ran");
    let pty = |answer: &str| {
        let script = r#"
import os, pty, select, sys
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
buf, answered = b"", False
while True:
    r, _, _ = select.select([fd], [], [], 20)
    if not r:
        break
    try:
        d = os.read(fd, 1024)
    except OSError:
        break
    if not d:
        break
    buf += d
    if not answered and b"[y/N]" in buf:
        os.write(fd, os.environ["ANSWER"].encode())
        answered = True
_, st = os.waitpid(pid, 0)
sys.stdout.write(buf.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(st))
"#;
        let o = Command::new("python3")
            .args(["-c", script, env!("CARGO_BIN_EXE_devctl"), "danger"])
            .current_dir(p.path())
            .env("ANSWER", answer)
            .output()
            .expect("python3 runs");
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
        )
    };
    let (code, out) = pty("y\n");
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("Really delete? [y/N]") && out.contains("danger-ran"),
        "{out}"
    );
    let (code, out) = pty("n\n");
    assert_eq!(code, Some(1), "{out}");
    assert!(!out.contains("danger-ran"), "{out}");
}

#[test]
fn listing_json_names_and_help_heading() {
    let p = project();
    let d = p.devctl(&["tasks"]).code(0);
    let out = d.stdout();
    assert!(out.contains("  hello    host  Say hello\n"), "{out}");
    assert!(out.contains("  migrate  app   Apply migrations\n"), "{out}");
    assert!(out.contains("  chain    deps  Runs the others\n"), "{out}");
    let d = p.devctl(&["tasks", "--json"]).code(0);
    let v: serde_json::Value = serde_json::from_str(&d.stdout()).unwrap();
    let named = v
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "named")
        .unwrap();
    assert_eq!(named["usage"], "devctl named FILE [REST…]");
    assert_eq!(named["runs_in"], "host");
    let d = p.devctl(&["tasks", "--names"]).code(0);
    assert!(d.stdout().lines().any(|l| l == "migrate"));
    // --names is silent outside a project (completion calls it anywhere)
    let empty = Project::new();
    let d = empty.devctl(&["tasks", "--names"]).code(0);
    assert_eq!(d.stdout(), "");
    let d = p.devctl(&["--help"]).code(0);
    let out = d.stdout();
    let at = out.find("Tasks (devctl.toml").expect("tasks heading");
    assert!(
        out[at..].contains("migrate  app   Apply migrations"),
        "{out}"
    );
    assert!(out.contains("Commands:"));
}

#[test]
fn bash_completion_offers_the_task_names_from_devctl_toml() {
    let p = project();
    let d = p.devctl(&["completions", "bash"]).code(0);
    let script = p.path().join("c.bash");
    std::fs::write(&script, d.stdout()).unwrap();
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_devctl"))
        .parent()
        .unwrap()
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let o = Command::new("bash")
        .args([
            "-c",
            r#"source ./c.bash
COMP_WORDS=(devctl mi); COMP_CWORD=1; COMPREPLY=()
_devctl_with_tasks devctl mi devctl; echo "top:${COMPREPLY[*]}"
COMP_WORDS=(devctl task ""); COMP_CWORD=2; COMPREPLY=()
_devctl_with_tasks devctl "" task; echo "task:${COMPREPLY[*]}""#,
        ])
        .current_dir(p.path())
        .env("PATH", path)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("top:migrate"), "{out}");
    let task_line = out.lines().find(|l| l.starts_with("task:")).unwrap();
    for t in ["chain", "danger", "hello", "migrate", "named"] {
        assert!(task_line.split([' ', ':']).any(|w| w == t), "{task_line}");
    }
    for shell in ["fish", "zsh"] {
        p.devctl(&["completions", shell])
            .code(0)
            .stdout_has("devctl tasks --names");
    }
}

#[test]
fn unknown_task_cycles_unknown_deps_and_builtin_names_are_usage_errors() {
    let p = project();
    p.devctl(&["hell"])
        .code(2)
        .stderr_has("no command or task `hell`; did you mean `hello`?");
    p.devctl(&["task", "migrat"])
        .code(2)
        .stderr_has("no task `migrat` in devctl.toml; did you mean `migrate`?");
    let bad = |tasks: &str, want: &str| {
        let p = Project::new().file("devctl.toml", format!("[app]\n{tasks}"));
        p.devctl(&["tasks"]).code(2).stderr_has(want);
    };
    bad(
        "[tasks.a]\nrun = \"x\"\ndeps = [\"b\"]\n\n[tasks.b]\nrun = \"y\"\ndeps = [\"a\"]\n",
        "devctl.toml:8:9: task dependency cycle: a → b → a",
    );
    bad(
        "[tasks.a]\nrun = \"x\"\ndeps = [\"lnit\"]\n[tasks.lint]\nrun = \"y\"\n",
        "devctl.toml:4:9: [tasks.a] depends on `lnit`, which is not a task; did you mean `lint`?",
    );
    bad(
        "[tasks.logs]\nrun = \"x\"\n",
        "devctl.toml:2:1: task `logs` has the name of the built-in command `devctl logs`",
    );
}

#[test]
fn django_template_scaffolds_the_tasks_a_django_team_uses() {
    let p = Project::new();
    p.devctl(&["init", "--template", "django"]).code(0);
    std::fs::copy(p.path().join(".env.example"), p.path().join(".env")).unwrap();
    let d = p.devctl(&["tasks", "--names"]).code(0);
    let names: Vec<String> = d.stdout().lines().map(str::to_string).collect();
    for t in [
        "manage",
        "test",
        "migrate",
        "makemigrations",
        "createsuperuser",
        "shell",
        "psql",
        "dump-db",
        "restore-db",
        "format",
        "lint",
    ] {
        assert!(names.iter().any(|n| n == t), "{t} missing from {names:?}");
    }
    // manage passes every word on; dump-db takes FILE into the dumps folder
    let d = p
        .devctl(&["--dry-run", "manage", "check", "--deploy", "a b"])
        .code(0);
    assert!(
        d.stdout()
            .contains("argv: python manage.py check --deploy 'a b'\n"),
        "{}",
        d.stdout()
    );
    let d = p.devctl(&["--dry-run", "dump-db", "latest.sql"]).code(0);
    assert!(d.stdout().contains("in service db"), "{}", d.stdout());
    assert!(
        d.stdout().contains("file=latest.sql\npg_dump"),
        "{}",
        d.stdout()
    );
    p.devctl(&["dump-db"])
        .code(2)
        .stderr_has("usage: devctl dump-db FILE");
    p.devctl(&["restore-db", "x.sql"])
        .code(2)
        .stderr_has("no terminal to ask on");
}
