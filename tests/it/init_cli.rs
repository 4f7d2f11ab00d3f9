//! `devctl init`: what it writes, what it leaves alone, and that its
//! Dockerfiles pass the linter. None of this needs Docker.

use indoc::indoc;
use std::fs;
use std::os::unix::fs::PermissionsExt;

use crate::support::Project;

const DJANGO_FILES: &[&str] = &[
    "devctl.toml",
    "Dockerfile",
    ".dockerignore",
    ".env.example",
    "bash/run.sh",
];

fn read(p: &Project, rel: &str) -> String {
    fs::read_to_string(p.path().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn init_writes_the_django_project_and_says_so() {
    let p = Project::new();
    let out = p
        .devctl(&["init"])
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
    for f in DJANGO_FILES {
        assert!(p.path().join(f).is_file(), "{f} not written");
        assert!(
            out.stdout().lines().any(|l| l == format!("wrote {f}")),
            "no `wrote {f}` line:\n{}",
            out.stdout()
        );
    }
    let out = out.stdout_has("wrote .gitignore");
    assert!(out.stdout().contains("next: cp .env.example .env"));
    let gi = read(&p, ".gitignore");
    assert!(gi.lines().any(|l| l == ".devctl/"), "{gi}");
    assert!(gi.lines().any(|l| l == ".env"), "{gi}");
    // The Dockerfile is the django one: asset stage + app stage.
    let df = read(&p, "Dockerfile");
    assert!(df.contains("AS staticassets") && df.contains("COPY --from=staticassets"));
    // The project is named after its directory, normalised as compose does.
    let dir_name = p
        .path()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .to_lowercase();
    let expected: String = dir_name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    let expected = expected.trim_start_matches(['_', '-']);
    let toml = read(&p, "devctl.toml");
    assert!(
        toml.contains(&format!("name = \"{expected}\"")),
        "project name {expected:?} not in\n{toml}"
    );
}

#[test]
fn init_never_overwrites_without_force() {
    let p = Project::new()
        .file("Dockerfile", "FROM scratch\n# mine\n")
        .file(".env.example", "MINE=1\n");
    let out = p
        .devctl(&["init"])
        .stdout(indoc! {"
            wrote devctl.toml
            skipped Dockerfile (exists; --force overwrites)
            wrote .dockerignore
            skipped .env.example (exists; --force overwrites)
            wrote bash/run.sh
            wrote .gitignore (ignores .devctl/, .env, devctl.local.toml)
            next: cp .env.example .env, then devctl build && devctl start
        "})
        .run();
    out.stdout_has("skipped Dockerfile (exists; --force overwrites)")
        .stdout_has("skipped .env.example (exists; --force overwrites)")
        .stdout_has("wrote devctl.toml");
    assert_eq!(read(&p, "Dockerfile"), "FROM scratch\n# mine\n");
    assert_eq!(read(&p, ".env.example"), "MINE=1\n");

    // A second run skips everything, including what the first run wrote.
    let toml_before = read(&p, "devctl.toml");
    fs::write(p.path().join("devctl.toml"), "# edited\n").unwrap();
    let out = p
        .devctl(&["init"])
        .stdout(indoc! {"
            skipped devctl.toml (exists; --force overwrites)
            skipped Dockerfile (exists; --force overwrites)
            skipped .dockerignore (exists; --force overwrites)
            skipped .env.example (exists; --force overwrites)
            skipped bash/run.sh (exists; --force overwrites)
            left .gitignore alone (already ignores .devctl/, .env and devctl.local.toml)
            next: cp .env.example .env, then devctl build && devctl start
        "})
        .run();
    for f in DJANGO_FILES {
        assert!(
            out.stdout()
                .contains(&format!("skipped {f} (exists; --force overwrites)")),
            "{f}:\n{}",
            out.stdout()
        );
    }
    assert!(!out.stdout().contains("wrote"), "{}", out.stdout());
    assert_eq!(read(&p, "devctl.toml"), "# edited\n");
    assert_ne!(toml_before, "# edited\n");
}

#[test]
fn init_force_overwrites() {
    let p = Project::new().file("Dockerfile", "FROM scratch\n");
    p.devctl(&["init", "--force"])
        .stdout(indoc! {"
            wrote devctl.toml
            wrote Dockerfile (replaced the existing file: --force)
            wrote .dockerignore
            wrote .env.example
            wrote bash/run.sh
            wrote .gitignore (ignores .devctl/, .env, devctl.local.toml)
            next: cp .env.example .env, then devctl build && devctl start
        "})
        .run();
    assert!(read(&p, "Dockerfile").contains("AS staticassets"));
}

#[test]
fn init_appends_to_gitignore_once() {
    let p = Project::new().file(".gitignore", "target\n*.log");
    p.devctl(&["init"])
        .stdout(indoc! {"
            wrote devctl.toml
            wrote Dockerfile
            wrote .dockerignore
            wrote .env.example
            wrote bash/run.sh
            updated .gitignore (added .devctl/, .env, devctl.local.toml)
            next: cp .env.example .env, then devctl build && devctl start
        "})
        .run();
    let once = read(&p, ".gitignore");
    assert_eq!(once, "target\n*.log\n.devctl/\n.env\ndevctl.local.toml\n");
    p.devctl(&["init", "--force"])
        .stdout(indoc! {"
            wrote devctl.toml (replaced the existing file: --force)
            wrote Dockerfile (replaced the existing file: --force)
            wrote .dockerignore (replaced the existing file: --force)
            wrote .env.example (replaced the existing file: --force)
            wrote bash/run.sh (replaced the existing file: --force)
            left .gitignore alone (already ignores .devctl/, .env and devctl.local.toml)
            next: cp .env.example .env, then devctl build && devctl start
        "})
        .run();
    assert_eq!(read(&p, ".gitignore"), once);
}

#[test]
fn init_keeps_an_equivalent_gitignore_entry() {
    let p = Project::new().file(".gitignore", "/.devctl\n");
    p.devctl(&["init"])
        .stdout(indoc! {"
            wrote devctl.toml
            wrote Dockerfile
            wrote .dockerignore
            wrote .env.example
            wrote bash/run.sh
            updated .gitignore (added .env, devctl.local.toml)
            next: cp .env.example .env, then devctl build && devctl start
        "})
        .run();
    assert_eq!(
        read(&p, ".gitignore"),
        "/.devctl\n.env\ndevctl.local.toml\n"
    );
}

#[test]
fn run_script_is_executable_and_production_ready() {
    let p = Project::new();
    p.devctl(&["init"])
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
    let path = p.path().join("bash/run.sh");
    let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o755, "mode {mode:o}");
    let other = fs::metadata(p.path().join("devctl.toml"))
        .unwrap()
        .permissions()
        .mode()
        & 0o7777;
    assert_eq!(other, 0o644);
    let script = read(&p, "bash/run.sh");
    assert!(script.starts_with("#!/usr/bin/env bash\n"));
    assert!(script.contains("set -euo pipefail"));
    let migrate = script.find("manage.py migrate").expect("migrates");
    let serve = script.find("exec gunicorn").expect("serves with gunicorn");
    assert!(migrate < serve);
}

#[test]
fn run_script_passes_shellcheck() {
    let Some(shellcheck) = find_on_path("shellcheck") else {
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "shellcheck is missing (CI=true: failing, not skipping); scripts/install-test-deps.sh installs it"
        );
        eprintln!("skipping: shellcheck not on PATH");
        return;
    };
    let p = Project::new();
    p.devctl(&["init"])
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
    let out = std::process::Command::new(shellcheck)
        .arg(p.path().join("bash/run.sh"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn minimal_template() {
    let p = Project::new();
    let out = p
        .devctl(&["init", "--template", "minimal"])
        .stdout(indoc! {"
            wrote devctl.toml
            wrote Dockerfile
            wrote .dockerignore
            wrote .env.example
            wrote .gitignore (ignores .devctl/, .env, devctl.local.toml)
            next: cp .env.example .env, then devctl build && devctl start
        "})
        .run();
    for f in ["devctl.toml", "Dockerfile", ".dockerignore", ".env.example"] {
        assert!(p.path().join(f).is_file(), "{f}");
        assert!(out.stdout().contains(&format!("wrote {f}\n")));
    }
    assert!(!p.path().join("bash").exists());
    let df = read(&p, "Dockerfile");
    assert!(!df.contains("staticassets"));
    assert!(df.contains("USER ${APP_UID}:${APP_GID}"));
    let toml = read(&p, "devctl.toml");
    assert!(!toml.contains("[assets]") && !toml.contains("[nvm]"));
}

#[test]
fn unknown_template_is_a_usage_error() {
    let p = Project::new();
    p.devctl(&["init", "--template", "rails"])
        .status(2)
        .stderr(indoc! {"
            error: invalid value 'rails' for '--template <TEMPLATE>'
              [possible values: django, minimal]

            For more information, try '--help'.
        "})
        .run();
    assert!(!p.path().join("devctl.toml").exists());
}

#[test]
fn init_writes_into_the_dash_c_dir() {
    let p = Project::new().file("sub/keep", "");
    p.devctl(&["-C", "sub", "init", "--template", "minimal"])
        .stdout(indoc! {"
            wrote devctl.toml
            wrote Dockerfile
            wrote .dockerignore
            wrote .env.example
            wrote .gitignore (ignores .devctl/, .env, devctl.local.toml)
            next: cp .env.example .env, then devctl build && devctl start
        "})
        .run();
    assert!(p.path().join("sub/devctl.toml").is_file());
    assert!(p.path().join("sub/.gitignore").is_file());
    assert!(!p.path().join("devctl.toml").exists());
    assert!(read(&p, "sub/devctl.toml").contains("name = \"sub\""));
}

#[test]
fn init_into_a_missing_dir_exits_2_naming_it() {
    let p = Project::new();
    p.devctl(&["-C", "no/such/dir", "init"])
        .status(2)
        .stderr("error: project directory no/such/dir does not exist or cannot be read (No such file or directory (os error 2)): create it first, or pass an existing one to -C\n")
        .run();
    assert!(!p.path().join("no").exists());
}

#[test]
fn quiet_keeps_the_file_lines_and_drops_the_hint() {
    let p = Project::new();
    let out = p
        .devctl(&["-q", "init"])
        .stdout(indoc! {"
            wrote devctl.toml
            wrote Dockerfile
            wrote .dockerignore
            wrote .env.example
            wrote bash/run.sh
            wrote .gitignore (ignores .devctl/, .env, devctl.local.toml)
        "})
        .run();
    assert!(!out.stdout().contains("next:"), "{}", out.stdout());
}

/// init is pure file work: no Docker CLI, no engine.
#[test]
fn init_needs_no_docker() {
    let p = Project::new();
    p.devctl(&["init"])
        .env("PATH", "/nonexistent")
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
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
}

/// The scaffolded Dockerfiles pass the project's own linter with zero findings
/// (in the project dir, so the scaffolded .dockerignore is read too).
#[test]
fn scaffolded_dockerfiles_lint_clean() {
    for template in ["django", "minimal"] {
        let p = Project::new();
        // What init prints is matched exactly by the tests above.
        p.devctl(&["init", "--template", template])
            .stdout_any()
            .run();
        let out = p.devctl(&["lint-dockerfile", "Dockerfile"]).run();
        assert_eq!(out.stdout(), "", "{template}: findings on stdout");
    }
}

fn find_on_path(name: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    })
}

/// The scaffolded devctl.toml (and .env made from .env.example) is a valid
/// configuration for the rest of devctl.
#[test]
fn scaffolded_projects_pass_config_check() {
    for (template, services) in [("django", "2 services"), ("minimal", "1 service")] {
        let p = Project::new();
        // What init prints is matched exactly by the tests above.
        p.devctl(&["init", "--template", template])
            .stdout_any()
            .run();
        fs::copy(p.path().join(".env.example"), p.path().join(".env")).unwrap();
        p.devctl(&["config", "--check"])
            .stdout(format!("[TMP]/devctl.toml: ok ({services})\n"))
            .run();
    }
}

/// The django-poetry example is what `devctl init --template django`
/// scaffolds: its Dockerfile is a copy of the template's and must stay one.
#[test]
fn django_example_dockerfile_is_the_template() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |rel: &str| std::fs::read_to_string(root.join(rel)).unwrap();
    assert_eq!(
        read("compose/examples/django-poetry/Dockerfile"),
        read("compose/templates/django/Dockerfile"),
        "copy compose/templates/django/Dockerfile over the example's"
    );
}
