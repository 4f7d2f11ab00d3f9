//! Tasks without the engine: host tasks, arguments, deps, confirm through a
//! pseudo-terminal, the listing, `--help`, completions, `--dry-run`, errors.

use indoc::indoc;
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
    p.devctl(&["hello"]).stdout("[hi there][t-hi there]").run();
    p.devctl(&["task", "hello"])
        .stdout("[hi there][t-hi there]")
        .run();
    p.devctl(&["fail"]).status(3).stdout("fail-ran\n").run();
}

#[test]
fn arguments_with_spaces_and_quotes_reach_the_command_unchanged() {
    let p = project();
    let words = ["a b", "it's", "\"q\"", "$HOME", "-v", "*"];
    let mut args = vec!["argv"];
    args.extend(words);
    p.devctl(&args)
        .stdout("<a b><it's><\"q\"><$HOME><-v><*>")
        .run();
    let mut args = vec!["line"];
    args.extend(words);
    p.devctl(&args)
        .stdout("<a b><it's><\"q\"><$HOME><-v><*>")
        .run();
    p.devctl(&["named", "my file", "x", "y z"])
        .stdout("my file|x|y z|")
        .run();
    p.devctl(&["named"])
        .status(2)
        .stderr("error: task `named`: missing argument FILE (usage: devctl named FILE [REST…])\n")
        .run();
}

#[test]
fn deps_run_first_in_order_once_and_a_failure_stops() {
    let p = project();
    let d = p
        .devctl(&["chain"])
        .stdout(indoc! {"
            one
            two
            a b|c|"})
        .run();
    assert_eq!(d.stdout(), "one\ntwo\na b|c|", "{}", d.stderr());
    let d = p
        .devctl(&["broken"])
        .status(3)
        .stdout(indoc! {"
            one
            fail-ran
        "})
        .stderr("error: task `fail` failed (exit code 3): not running `broken`\n")
        .run();
    assert_eq!(d.stdout(), "one\nfail-ran\n");
    assert!(d
        .stderr()
        .contains("task `fail` failed (exit code 3): not running `broken`"));
}

#[test]
fn dry_run_prints_where_as_whom_env_names_and_argv_and_runs_nothing() {
    let p = project();
    let d = p
        .devctl(&["--dry-run", "broken"])
        .stdout(indoc! {"
            [1/3] one: on the host in [TMP]
                env: API_TOKEN GREETING
                argv: /bin/sh -c 'echo one'
            [2/3] fail: on the host in [TMP]
                env: API_TOKEN GREETING
                argv: /bin/sh -c 'echo fail-ran; exit 3'
            [3/3] two: on the host in [TMP]
                env: API_TOKEN GREETING
                argv: /bin/sh -c 'echo two'
        "})
        .run();
    let out = d.stdout();
    assert!(!out.lines().any(|l| l == "one" || l == "fail-ran"), "{out}");
    assert!(out.contains("[2/3] fail: on the host in"), "{out}");
    assert!(
        out.contains("argv: /bin/sh -c 'echo fail-ran; exit 3'"),
        "{out}"
    );
    let d = p
        .devctl(&["task", "--dry-run", "migrate", "--plan"])
        .stdout(indoc! {"
            [1/1] migrate: in service app (container tasks-cli-app-1, user app, workdir /app)
                env: DJANGO_SETTINGS_MODULE
                argv: /bin/sh -c 'python manage.py migrate --plan'
        "})
        .run();
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
    let d = p
        .devctl(&["--dry-run", "hello"])
        .stdout(indoc! {r#"
            [1/1] hello: on the host in [TMP]
                env: API_TOKEN GREETING TASK_ONLY
                argv: /bin/sh -c 'printf '\''[%s]'\'' "hi there" "$TASK_ONLY"'
        "#})
        .run();
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
        .status(2)
        .stderr("error: task `danger` asks \"Really delete?\" and there is no terminal to ask on: run `devctl --yes danger` to answer yes\n")
        .run();
    p.devctl(&["--yes", "danger"]).stdout("danger-ran\n").run();
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
    let d = p.devctl(&["tasks"])
        .stdout("  argv     host\n  broken   deps\n  chain    deps  Runs the others\n  danger   host\n  fail     host\n  hello    host  Say hello\n  line     host\n  migrate  app   Apply migrations\n  named    host\n  one      host\n  two      host\n")
        .run();
    let out = d.stdout();
    assert!(out.contains("  hello    host  Say hello\n"), "{out}");
    assert!(out.contains("  migrate  app   Apply migrations\n"), "{out}");
    assert!(out.contains("  chain    deps  Runs the others\n"), "{out}");
    let d = p
        .devctl(&["tasks", "--json"])
        .stdout_snapshot("tasks_cli__tasks_json")
        .run();
    let v: serde_json::Value = serde_json::from_str(&d.stdout()).unwrap();
    let named = v
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "named")
        .unwrap();
    assert_eq!(named["usage"], "devctl named FILE [REST…]");
    assert_eq!(named["runs_in"], "host");
    let d = p
        .devctl(&["tasks", "--names"])
        .stdout(indoc! {"
            argv
            broken
            chain
            danger
            fail
            hello
            line
            migrate
            named
            one
            two
        "})
        .run();
    assert!(d.stdout().lines().any(|l| l == "migrate"));
    // --names is silent outside a project (completion calls it anywhere)
    let empty = Project::new();
    let d = empty.devctl(&["tasks", "--names"]).run();
    assert_eq!(d.stdout(), "");
    let d = p
        .devctl(&["--help"])
        .stdout_snapshot("tasks_cli__help")
        .run();
    let out = d.stdout();
    let at = out.find("Tasks (devctl.toml").expect("tasks heading");
    assert!(
        out[at..].contains("migrate  app   Apply migrations"),
        "{out}"
    );
    assert!(out.contains("Commands:"));
}

#[test]
fn completions_offer_the_task_names_from_devctl_toml_in_bash_fish_and_zsh() {
    let p = project();
    let d = p
        .devctl(&["completions", "bash"])
        .stdout_snapshot("tasks_cli__completions_bash")
        .run();
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
        .env("PATH", &path)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("top:migrate"), "{out}");
    let task_line = out.lines().find(|l| l.starts_with("task:")).unwrap();
    for t in ["chain", "danger", "hello", "migrate", "named"] {
        assert!(task_line.split([' ', ':']).any(|w| w == t), "{task_line}");
    }
    for shell in ["fish", "zsh"] {
        let d = p
            .devctl(&["completions", shell])
            .stdout_snapshot(&format!("tasks_cli__completions_{shell}"))
            .run();
        std::fs::write(p.path().join(format!("c.{shell}")), d.stdout()).unwrap();
    }
    let run_in = |shell: &str, script: &str| -> Option<String> {
        let o = match Command::new(shell)
            .args(["-c", script])
            .current_dir(p.path())
            .env("PATH", &path)
            .output()
        {
            Ok(o) => o,
            Err(_) => {
                crate::e2e_support::skip_or_fail(&format!("{shell} is not installed"));
                return None;
            }
        };
        assert!(
            o.status.success(),
            "{shell}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        Some(String::from_utf8_lossy(&o.stdout).into_owned())
    };
    let words = |out: &str, prefix: &str| -> Vec<String> {
        out.lines()
            .filter_map(|l| l.strip_prefix(prefix))
            .map(|l| l.split('\t').next().unwrap_or("").to_string())
            .collect()
    };
    // fish completes as it would on a command line
    if let Some(out) = run_in(
        "fish",
        "source ./c.fish; for c in (complete -C 'devctl mi'); echo top:$c; end; for c in (complete -C 'devctl task '); echo task:$c; end",
    ) {
        assert!(words(&out, "top:").contains(&"migrate".to_string()), "{out}");
        let task = words(&out, "task:");
        for t in ["chain", "danger", "hello", "migrate", "named"] {
            assert!(task.contains(&t.to_string()), "fish: {out}");
        }
    }
    // zsh: the script's own function, with the completion system's
    // `compadd` and clap's `_devctl` standing in (they need a live line)
    if let Some(out) = run_in(
        "zsh",
        r#"compdef() { :; }
source ./c.zsh
_devctl() { :; }
compadd() { [[ $1 == -a ]] && print -l -- "${(@P)2}"; }
words=(devctl mi); CURRENT=2; for c in $(_devctl_with_tasks); do print "top:$c"; done
words=(devctl task ''); CURRENT=3; for c in $(_devctl_with_tasks); do print "task:$c"; done
words=(devctl start ''); CURRENT=3; for c in $(_devctl_with_tasks); do print "start:$c"; done"#,
    ) {
        let top = words(&out, "top:");
        let task = words(&out, "task:");
        for t in ["chain", "danger", "hello", "migrate", "named"] {
            assert!(
                top.contains(&t.to_string()) && task.contains(&t.to_string()),
                "zsh: {out}"
            );
        }
        assert!(
            words(&out, "start:").is_empty(),
            "zsh: no task names after `start`: {out}"
        );
    }
}

#[test]
fn unknown_task_cycles_unknown_deps_and_builtin_names_are_usage_errors() {
    let p = project();
    p.devctl(&["hell"])
        .status(2)
        .stderr("error: no command or task `hell`; did you mean `hello`? (`devctl --help` lists the commands, `devctl tasks` the tasks)\n")
        .run();
    p.devctl(&["task", "migrat"])
        .status(2)
        .stderr("error: no task `migrat` in devctl.toml; did you mean `migrate`? (`devctl tasks` lists them)\n")
        .run();
    let bad = |tasks: &str, want: &str| {
        let p = Project::new().file("devctl.toml", format!("[app]\n{tasks}"));
        p.devctl(&["tasks"]).status(2).stderr(want).run();
    };
    bad(
        "[tasks.a]\nrun = \"x\"\ndeps = [\"b\"]\n\n[tasks.b]\nrun = \"y\"\ndeps = [\"a\"]\n",
        indoc! {r#"
            error: devctl.toml:8:9: task dependency cycle: a → b → a
             8 | deps = ["a"]
               |         ^^^
        "#},
    );
    bad(
        "[tasks.a]\nrun = \"x\"\ndeps = [\"lnit\"]\n[tasks.lint]\nrun = \"y\"\n",
        indoc! {r#"
            error: devctl.toml:4:9: [tasks.a] depends on `lnit`, which is not a task; did you mean `lint`?
             4 | deps = ["lnit"]
               |         ^^^^^^
        "#},
    );
    bad(
        "[tasks.logs]\nrun = \"x\"\n",
        indoc! {"
            error: devctl.toml:2:1: task `logs` has the name of the built-in command `devctl logs`: rename the task
             2 | [tasks.logs]
               | ^^^^^^^^^^^^
        "},
    );
}

#[test]
fn django_template_scaffolds_the_tasks_a_django_team_uses() {
    let p = Project::new();
    p.devctl(&["init", "--template", "django"])
        .stdout(indoc! {"
            wrote devctl.toml
            wrote Dockerfile
            wrote .dockerignore
            wrote .env.example
            wrote bash/run.sh
            wrote .gitignore (ignores .devctl/, .env, devctl.local.toml)
            next: cp .env.example .env, then devctl build && devctl start
        "})
        .run();
    std::fs::copy(p.path().join(".env.example"), p.path().join(".env")).unwrap();
    let d = p
        .devctl(&["tasks", "--names"])
        .stdout(indoc! {"
            createsuperuser
            dump-db
            format
            lint
            makemigrations
            manage
            migrate
            psql
            restore-db
            shell
            test
        "})
        .run();
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
        .stdout(indoc! {"
            [1/1] manage: in service app (container [NAME]-app-1, user app, workdir /app)
                argv: python manage.py check --deploy 'a b'
        "})
        .run();
    assert!(
        d.stdout()
            .contains("argv: python manage.py check --deploy 'a b'\n"),
        "{}",
        d.stdout()
    );
    let d = p.devctl(&["--dry-run", "dump-db", "latest.sql"])
        .stdout(indoc! {r#"
            [1/1] dump-db: in service db (container [NAME]-db-1, user the image's, workdir the image's)
                argv: /bin/sh -c 'file=latest.sql
            pg_dump -U postgres --clean --if-exists -f "/database_dumps/${file}" postgres'
        "#})
        .run();
    assert!(d.stdout().contains("in service db"), "{}", d.stdout());
    assert!(
        d.stdout().contains("file=latest.sql\npg_dump"),
        "{}",
        d.stdout()
    );
    p.devctl(&["dump-db"])
        .status(2)
        .stderr("error: task `dump-db`: missing argument FILE (usage: devctl dump-db FILE)\n")
        .run();
    p.devctl(&["restore-db", "x.sql"])
        .status(2)
        .stderr("error: task `restore-db` asks \"This replaces the local database. Continue?\" and there is no terminal to ask on: run `devctl --yes restore-db` to answer yes\n")
        .run();
}
