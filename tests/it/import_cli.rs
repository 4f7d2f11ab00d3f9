//! `devctl init --from-compose` (issue 18): which files it reads, what it
//! writes and prints, and that it writes nothing when the import fails.
//! None of this needs Docker (the equivalence with compose v2 is
//! `import_equiv`).

use indoc::indoc;
use std::fs;

use crate::support::Project;

const BASE: &str = indoc! {"
    services:
      web:
        build: .
        volumes: ['./:/srv']
        command: [./serve]
        init: true
        ports: ['127.0.0.1:8000:8000']
      db:
        image: postgres:16
        environment:
          POSTGRES_PASSWORD: ${DB_PASSWORD:-dev}
"};

const OVERRIDE: &str = indoc! {"
    services:
      db:
        ports: ['5432:5432']
        security_opt: [no-new-privileges:true]
"};

const TOML: &str = indoc! {r#"
    [app]
    name = "web"
    command = ["./serve"]
    port = 8000
    publish = "127.0.0.1"
    workdir = "/srv"

    [services.db]
    image = "postgres:16"
    environment = { POSTGRES_PASSWORD = "${DB_PASSWORD:-dev}" }
    ports = ["5432:5432"]
"#};

const NOTES: &str = indoc! {"
    note: web: runs as `app` (devctl's default; compose ran the image's USER): the Dockerfile must create that user (`useradd --uid ${APP_UID} app`), or set [app].user
    note: web: the image is built with the build args APP_UID/APP_GID (your uid/gid) and named `<project>-web:dev` (compose: `<project>-web`)
    note: web: runs with `no-new-privileges` (setuid binaries cannot gain privileges; `no_new_privileges = false` turns it off)
    note: web: working_dir is now `/srv`, the source mount's target ([app].workdir; compose used the image's WORKDIR)
    note: db: port 5432:5432 listened on every interface; devctl binds it to 127.0.0.1 (write `0.0.0.0:5432:5432` to publish it there again)
"};

#[test]
fn the_default_files_and_their_override_become_devctl_toml() {
    let p = Project::new()
        .file("docker-compose.yml", BASE)
        .file("docker-compose.override.yml", OVERRIDE)
        .file(
            "Dockerfile",
            "FROM debian:bookworm\nARG APP_UID=1000\nRUN useradd --create-home --uid ${APP_UID} app\nUSER app\n",
        );
    p.devctl(&["init", "--from-compose"])
        .stdout(indoc! {"
            wrote devctl.toml from docker-compose.yml + docker-compose.override.yml (the app is service `web`)
            wrote .gitignore (ignores .devctl/, .env, devctl.local.toml)
            next: devctl config (the generated compose file), then devctl build && devctl start
        "})
        .stderr(NOTES)
        .run();
    assert_eq!(
        fs::read_to_string(p.path().join("devctl.toml")).unwrap(),
        TOML
    );
    // the written file loads
    p.devctl(&["config", "--check"])
        .stdout("[TMP]/devctl.toml: ok (2 services)\n")
        .run();
    // never clobbered without --force
    fs::write(p.path().join("devctl.toml"), "# mine\n").unwrap();
    p.devctl(&["init", "--from-compose"])
        .stderr("error: devctl.toml exists: --force replaces it (--dry-run prints the import)\n")
        .status(2)
        .run();
    assert_eq!(
        fs::read_to_string(p.path().join("devctl.toml")).unwrap(),
        "# mine\n"
    );
    p.devctl(&["init", "--from-compose", "--force", "-q"])
        .stdout(indoc! {"
            replaced devctl.toml from docker-compose.yml + docker-compose.override.yml (the app is service `web`)
            left .gitignore alone (already ignores .devctl/, .env and devctl.local.toml)
        "})
        .stderr(NOTES)
        .run();
    assert_eq!(
        fs::read_to_string(p.path().join("devctl.toml")).unwrap(),
        TOML
    );
}

#[test]
fn dry_run_prints_the_file_and_writes_nothing() {
    let p = Project::new().file("compose.yaml", BASE);
    p.devctl(&["init", "--from-compose", "compose.yaml", "--dry-run"])
        .stdout(TOML.replace("ports = [\"5432:5432\"]\n", ""))
        .stderr(indoc! {"
            note: web: runs as `app` (devctl's default; compose ran the image's USER): the Dockerfile must create that user (`useradd --uid ${APP_UID} app`), or set [app].user
            note: web: the image is built with the build args APP_UID/APP_GID (your uid/gid) and named `<project>-web:dev` (compose: `<project>-web`)
            note: web: runs with `no-new-privileges` (setuid binaries cannot gain privileges; `no_new_privileges = false` turns it off)
            note: web: working_dir is now `/srv`, the source mount's target ([app].workdir; compose used the image's WORKDIR)
            note: db: runs with `no-new-privileges` (setuid binaries cannot gain privileges; `no_new_privileges = false` turns it off)
        "})
        .run();
    assert!(!p.path().join("devctl.toml").exists());
    assert!(!p.path().join(".gitignore").exists());
}

#[test]
fn a_key_that_cannot_be_converted_fails_and_writes_nothing() {
    let p = Project::new().file("compose.yaml", BASE).file(
        "compose.override.yml",
        "services:\n  db:\n    deploy:\n      placement: {constraints: [node.role==manager]}\n",
    );
    p.devctl(&["init", "--from-compose"])
        .stderr("error: compose.override.yml: services.db.deploy: cannot be converted: unknown field `placement`, expected one of `replicas`, `resources`, `restart_policy` (nothing was written)\n")
        .status(2)
        .run();
    assert!(!p.path().join("devctl.toml").exists());
    assert!(!p.path().join(".gitignore").exists());
}

#[test]
fn without_a_compose_file_it_says_which_it_looked_for() {
    let p = Project::new();
    p.devctl(&["init", "--from-compose"])
        .stderr("error: no compose file in . (compose.yaml, compose.yml, docker-compose.yml, docker-compose.yaml): name one, e.g. `devctl init --from-compose docker-compose.yml`\n")
        .status(2)
        .run();
    p.devctl(&["init", "--from-compose", "nope.yml"])
        .stderr_matches(
            r"^error: cannot read nope\.yml: No such file or directory \(os error 2\)\n$",
        )
        .status(2)
        .run();
    let p = p.file("sub/compose.yaml", BASE);
    p.devctl(&["init", "--from-compose", "sub/compose.yaml"])
        .stderr("error: sub/compose.yaml is not in the project directory .: compose reads its paths relative to the first file's directory; run devctl init there (-C DIR)\n")
        .status(2)
        .run();
    p.devctl(&["-C", "sub", "init", "--from-compose", "--app", "db"])
        .stderr("error: compose.yaml: services.db: cannot be the app: it has no `build`: [app] is built from a Dockerfile (nothing was written)\n")
        .status(2)
        .run();
    p.devctl(&["init", "--app", "web"])
        .stderr_contains("--from-compose")
        .status(2)
        .run();
}

/// The files need not follow `--from-compose` directly: `--app`,
/// `--dry-run` and `--force` go before or after them; with no file
/// named, compose's default files are read.
#[test]
fn the_files_may_come_anywhere_among_the_flags() {
    let p = Project::new()
        .file("a.yml", BASE)
        .file("b.yml", OVERRIDE)
        .file("compose.yaml", BASE);
    let both = TOML;
    let base_only = TOML.replace("ports = [\"5432:5432\"]\n", "");
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "init",
                "--app",
                "web",
                "--from-compose",
                "a.yml",
                "b.yml",
                "--dry-run",
            ],
            both,
        ),
        (
            &[
                "init",
                "--from-compose",
                "a.yml",
                "b.yml",
                "--app",
                "web",
                "--dry-run",
            ],
            both,
        ),
        (
            &[
                "init",
                "--from-compose",
                "a.yml",
                "--app",
                "web",
                "--dry-run",
            ],
            &base_only,
        ),
        (
            &["init", "--dry-run", "--from-compose", "a.yml"],
            &base_only,
        ),
        (
            &["init", "--dry-run", "--from-compose", "a.yml", "b.yml"],
            both,
        ),
        // none named: compose's default files here
        (&["init", "--from-compose", "--dry-run"], &base_only),
        (
            &["init", "--dry-run", "--app", "web", "--from-compose"],
            &base_only,
        ),
    ];
    for (args, want) in cases {
        p.devctl(args)
            .stdout(*want)
            .stderr_contains("note: web: runs as `app`")
            .run();
    }
    assert!(!p.path().join("devctl.toml").exists());
    // and written: the summary names both files
    p.devctl(&[
        "init",
        "--app",
        "web",
        "--from-compose",
        "a.yml",
        "b.yml",
        "-q",
    ])
    .stdout(indoc! {"
            wrote devctl.toml from a.yml + b.yml (the app is service `web`)
            wrote .gitignore (ignores .devctl/, .env, devctl.local.toml)
        "})
    .stderr_contains("note: db: port 5432:5432 listened on every interface")
    .run();
    assert_eq!(
        fs::read_to_string(p.path().join("devctl.toml")).unwrap(),
        both
    );
}

/// `extends: {file: …}`: the other file is read relative to the compose
/// file's directory and its service merged in, so devctl.toml stands alone.
#[test]
fn extends_of_another_file_is_merged_in() {
    let p = Project::new()
        .file(
            "compose.yaml",
            "services:\n  db:\n    extends: {file: common/services.yml, service: pg}\n    environment: {POSTGRES_DB: shop}\n",
        )
        .file(
            "common/services.yml",
            "services:\n  pg:\n    image: postgres:16\n    environment: {POSTGRES_PASSWORD: dev}\n    volumes: ['./initdb:/docker-entrypoint-initdb.d:ro']\n",
        );
    p.devctl(&["init", "--from-compose", "--dry-run"])
        .stdout(indoc! {r#"
            [services.db]
            image = "postgres:16"
            environment = { POSTGRES_PASSWORD = "dev", POSTGRES_DB = "shop" }
            volumes = ["./common/initdb:/docker-entrypoint-initdb.d:ro"]
        "#})
        .stderr(indoc! {"
            note: db: extends service `pg` of common/services.yml: its keys are merged in as compose merges them (devctl.toml's `extends` names only a service of the same file); a later change to common/services.yml needs a new import
            note: db: runs with `no-new-privileges` (setuid binaries cannot gain privileges; `no_new_privileges = false` turns it off)
        "})
        .run();
}
