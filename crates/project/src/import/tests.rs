use super::*;

const REFERENCE: &str =
    include_str!("../../../../tests/fixtures/from-compose/reference/docker-compose.yml");
const RUN_DEV: &str =
    include_str!("../../../../tests/fixtures/from-compose/reference/bash/run-dev.sh");

fn one(text: &str) -> Result<Imported, ImportError> {
    import(
        &[Source {
            name: "compose.yaml",
            text,
        }],
        &Options::default(),
        &|_| None,
    )
}

fn notes(i: &Imported) -> Vec<String> {
    i.notes.iter().map(|n| n.to_string()).collect()
}

fn reference() -> Imported {
    import(
        &[Source {
            name: "docker-compose.yml",
            text: REFERENCE,
        }],
        &Options::default(),
        &|p| (p == "bash/run-dev.sh").then(|| RUN_DEV.to_string()),
    )
    .unwrap()
}

#[test]
fn the_reference_project_becomes_one_devctl_toml() {
    let r = reference();
    assert_eq!(r.app.as_deref(), Some("web"));
    assert_eq!(
        r.toml,
        r#"[app]
name = "web"
container_name = "web"
platform = "linux/amd64"
env_file = [".env"]
environment = ["DJANGO_SETTINGS_MODULE=config.settings.dev", "DATABASE_HOST=db", "NVM_DIR=/home/app/.nvm"]
volumes = ["media:/media"]
depends_on = ["db"]
port = 8000
migrate = "poetry run python manage.py migrate --noinput"
server = "poetry run python manage.py runserver 0.0.0.0:8000"
restart = "on-failure"
stdin_open = true
tty = true

[nvm]
dir = "~/.nvm"

[services.db]
image = "postgres:12"
container_name = "db"
ports = ["5432:5432"]
environment = ["POSTGRES_USER=postgres", "POSTGRES_PASSWORD=${DB_PASSWORD:-postgres}"]
volumes = ["./database_dumps:/app/database_dumps"]

[services.cli]
build = "platformsh-cli"
env_file = ".env"
volumes = ["media:/media", "./database_dumps:/home/cli/database_dumps"]

[services.docs]
image = "squidfunk/mkdocs-material"
volumes = [".:/docs"]
ports = ["8001:8000"]

[services.poetry_update]
build = { context = ".", dockerfile = ".docker/poetry_update/Dockerfile" }
volumes = ["./:/app"]
profiles = ["update"]

[services.npm_update]
build = { context = ".", dockerfile = ".docker/npm_update/Dockerfile" }
volumes = ["./:/app"]
profiles = ["update"]

[volumes.media]
"#
    );
    let n = notes(&r);
    assert!(n.contains(&"web: port 8000:8000 listened on every interface; devctl binds it to 127.0.0.1 (`publish = \"0.0.0.0\"` restores it)".to_string()), "{n:#?}");
    assert!(n.contains(&"db: port 5432:5432 listened on every interface; devctl binds it to 127.0.0.1 (write `0.0.0.0:5432:5432` to publish it there again)".to_string()), "{n:#?}");
    assert!(
        n.iter().any(
            |x| x.starts_with("web: command `sh /app/bash/run-dev.sh` runs a dev script")
                && x.contains("`sh /app/bash/dev-watch.sh`")
        ),
        "{n:#?}"
    );
    // init: true was already there: no note about it.
    assert!(!n.iter().any(|x| x.contains("init: true")), "{n:#?}");
    // every service but the privileged (none here) gets no-new-privileges
    assert_eq!(
        n.iter().filter(|x| x.contains("no-new-privileges")).count(),
        6
    );
    assert!(r.notes.iter().all(|n| n.kind == NoteKind::Change));
}

#[test]
fn without_the_script_the_command_is_kept() {
    let r = one("services:\n  web:\n    build: .\n    volumes: ['.:/src:z']\n    command: sh /src/run.sh\n    init: true\n    user: '1000'\n").unwrap();
    assert_eq!(
        r.toml,
        "[app]\nname = \"web\"\nuser = \"1000\"\ncommand = \"sh /src/run.sh\"\nworkdir = \"/src\"\nmount_options = [\"z\"]\n"
    );
}

#[test]
fn dev_scripts_are_recognised_inline_too() {
    let d =
        dev_script("python manage.py migrate && exec gunicorn app.wsgi -b 0.0.0.0:8000").unwrap();
    assert_eq!(d.migrate.as_deref(), Some("python manage.py migrate"));
    assert_eq!(d.server, "gunicorn app.wsgi -b 0.0.0.0:8000");
    assert!(!d.gated);
    assert!(dev_script("npm start").is_none());
    let r = one("services:\n  app:\n    build: .\n    volumes: ['./:/app']\n    command: [sh, -c, 'python manage.py runserver 0.0.0.0:8000']\n").unwrap();
    assert!(
        r.toml
            .contains("server = \"python manage.py runserver 0.0.0.0:8000\"\n"),
        "{}",
        r.toml
    );
    assert!(!r.toml.contains("migrate"), "{}", r.toml);
}

#[test]
fn a_key_devctl_toml_cannot_hold_is_an_error_naming_file_service_and_key() {
    let e = one("services:\n  a:\n    image: x\n    provider: {type: model}\n").unwrap_err();
    assert_eq!(e.to_string(), "compose.yaml: services.a.provider: cannot be converted: a provider service is run by a compose plugin, not by the engine");
    let e = one("services:\n  a:\n    image: x\n    blkio_weight: 10\n").unwrap_err();
    assert_eq!(e.file, "compose.yaml");
    assert_eq!(e.key, "services.a.blkio_weight");
    assert!(
        e.message
            .starts_with("cannot be converted: unknown field `blkio_weight`"),
        "{e}"
    );
    let e = one("include: [other.yml]\nservices: {}\n").unwrap_err();
    assert_eq!(e.key, "include");
    let e = one("services:\n  a:\n    image: x\n    deploy: {placement: {constraints: [x]}}\n")
        .unwrap_err();
    assert_eq!(e.key, "services.a.deploy");
    // the file that set the key is the one named
    let e = import(
        &[
            Source {
                name: "compose.yaml",
                text: "services:\n  a:\n    image: x\n",
            },
            Source {
                name: "compose.override.yaml",
                text: "services:\n  a:\n    runtime_bogus: 1\n",
            },
        ],
        &Options::default(),
        &|_| None,
    )
    .unwrap_err();
    assert_eq!(
        (e.file.as_str(), e.key.as_str()),
        ("compose.override.yaml", "services.a.runtime_bogus")
    );
    let e = one("services:\n  a: [1\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "compose.yaml:3:1: not valid YAML: did not find expected ',' or ']'"
    );
}

#[test]
fn overrides_are_merged_before_the_conversion() {
    let r = import(
        &[
            Source { name: "compose.yaml", text: "services:\n  db:\n    image: postgres:16\n    ports: ['127.0.0.1:5432:5432']\n    environment: {A: '1'}\n" },
            Source { name: "compose.override.yaml", text: "services:\n  db:\n    environment: [B]\n    security_opt: [no-new-privileges:true]\n" },
        ],
        &Options::default(),
        &|_| None,
    )
    .unwrap();
    assert_eq!(r.toml, "[services.db]\nimage = \"postgres:16\"\nports = [\"127.0.0.1:5432:5432\"]\nenvironment = [\"A=1\", \"B\"]\n");
    // loopback already, no-new-privileges already: nothing changed
    assert_eq!(notes(&r), Vec::<String>::new());
}

#[test]
fn root_is_refused_with_the_dockerfile_lines() {
    let r = one("services:\n  web:\n    build: .\n    volumes: ['.:/app']\n    user: root\n    command: [./serve]\n    init: true\n").unwrap();
    assert!(!r.toml.contains("user"), "{}", r.toml);
    let n = notes(&r);
    assert!(n.contains(&"web: user `root` refused: devctl never runs a container as root; the app runs as `app` (uid/gid follow yours, build args APP_UID/APP_GID); add to the Dockerfile after its FROM:\n    ARG APP_UID=1000\n    RUN useradd --create-home --uid ${APP_UID} app\n    USER app".to_string()), "{n:#?}");
    let r = one("services:\n  s:\n    image: x\n    user: '0'\n").unwrap();
    assert_eq!(r.toml, "[services.s]\nimage = \"x\"\n");
    assert!(
        notes(&r)[0].starts_with("s: user `0` refused"),
        "{:?}",
        notes(&r)
    );
}

#[test]
fn the_docker_socket_is_kept_only_with_the_opt_in_and_a_warning() {
    let r = one("services:\n  ci:\n    image: docker:cli\n    volumes: ['/var/run/docker.sock:/var/run/docker.sock']\n    privileged: true\n").unwrap();
    assert_eq!(r.toml, "[services.ci]\nimage = \"docker:cli\"\nallow_docker_socket = true\nvolumes = [\"/var/run/docker.sock:/var/run/docker.sock\"]\nprivileged = true\n");
    assert_eq!(r.notes, vec![Note { kind: NoteKind::Warning, subject: "ci".into(), text: "mounts the Docker socket (`/var/run/docker.sock`): kept with `allow_docker_socket = true`; it can start privileged containers and mount any host path, which is root on the host".into() }]);
}

#[test]
fn develop_watch_becomes_assets_watch_rules() {
    let r = one("services:\n  web:\n    build: .\n    init: true\n    command: [npm, start]\n    volumes: ['./:/app']\n    develop:\n      watch:\n        - {action: sync+exec, path: ./sass, target: /app/sass, exec: {command: npm run css}}\n        - {action: sync, path: ./src, target: /app/src}\n").unwrap();
    assert_eq!(r.toml, "[app]\nname = \"web\"\ncommand = [\"npm\", \"start\"]\n\n[assets]\ntoolchain = \"system\"\n\n[[assets.watch]]\nname = \"watch1\"\npaths = [\"sass\"]\nrun = \"npm run css\"\n");
    assert!(notes(&r).contains(&"web: develop.watch `sync` of ./src dropped: a bind mount of the tree carries the files (no copy needed)".to_string()));
    let e = one("services:\n  w:\n    image: x\n    develop: {watch: [{action: sync+exec, path: ., exec: {command: x}}]}\n").unwrap_err();
    assert_eq!(e.key, "services.w.develop.watch[0]");
}

#[test]
fn the_app_is_chosen_or_named() {
    let text = "services:\n  helper:\n    build: .\n    volumes: ['.:/app']\n    profiles: [tools]\n  web:\n    build: {context: ., target: dev}\n    volumes: ['.:/app']\n  other:\n    build: ./sub\n";
    assert_eq!(one(text).unwrap().app.as_deref(), Some("web"));
    let named = |app: &str| {
        import(
            &[Source {
                name: "c.yml",
                text,
            }],
            &Options { app: Some(app) },
            &|_| None,
        )
    };
    assert_eq!(named("other").unwrap().app.as_deref(), Some("other"));
    assert!(named("other")
        .unwrap()
        .toml
        .contains("[app]\nname = \"other\"\ncontext = \"./sub\"\n"));
    assert_eq!(
        named("nope").unwrap_err().to_string(),
        "c.yml: services.nope: --app names no service (the services: helper, web, other)"
    );
    // nothing builds from the tree: no [app], every service a [services.*]
    let r = one("services:\n  a:\n    build: ./a\n  b:\n    image: b\n").unwrap();
    assert_eq!(r.app, None);
    assert!(
        r.toml.starts_with("[services.a]\nbuild = \"./a\"\n"),
        "{}",
        r.toml
    );
}

#[test]
fn top_level_objects_are_copied_and_checked() {
    let r = one("name: shop\nservices:\n  a:\n    image: x\n    networks: [front]\nnetworks:\n  front:\n  back: {internal: true}\nvolumes:\n  data: {labels: {k: null}}\nsecrets:\n  tok: {environment: TOKEN}\nconfigs:\n  c: {content: hi}\nx-any: 1\nversion: '3'\n").unwrap();
    assert_eq!(r.toml, "[project]\nname = \"shop\"\n\n[services.a]\nimage = \"x\"\nnetworks = [\"front\"]\n\n[networks.front]\n\n[networks.back]\ninternal = true\n\n[volumes.data]\nlabels = [\"k\"]\n\n[secrets.tok]\nenvironment = \"TOKEN\"\n\n[configs.c]\ncontent = \"hi\"\n");
    let e = one("services: {}\nnetworks:\n  n: {driver_opt: {}}\n").unwrap_err();
    assert_eq!(e.key, "networks.n");
}

#[test]
fn compose_finds_its_default_files_in_this_order() {
    let has = |names: &'static [&'static str]| move |f: &str| names.contains(&f);
    assert_eq!(
        default_files(&has(&["docker-compose.yml", "compose.yaml"])),
        ["compose.yaml"]
    );
    assert_eq!(
        default_files(&has(&["docker-compose.yml", "docker-compose.override.yml"])),
        ["docker-compose.yml", "docker-compose.override.yml"]
    );
    assert_eq!(
        default_files(&has(&["compose.override.yml"])),
        Vec::<&str>::new()
    );
}

#[test]
fn what_compose_leaves_alone_devctl_toml_is_told_too() {
    // a `$` that starts no substitution is compose's literal `$`: `$$` here
    let r = one("services:\n  a:\n    image: x\n    command: echo $(date) $$HOME ${A:-1} $B $1\n")
        .unwrap();
    assert_eq!(
        r.toml,
        "[services.a]\nimage = \"x\"\ncommand = \"echo $$(date) $$HOME ${A:-1} $B $$1\"\n"
    );
    // a port whose host part is a variable still listened everywhere
    let r = one("services:\n  a:\n    image: x\n    ports: ['${PORT:-8080}:80', '${IP}:81:81']\n    security_opt: [no-new-privileges]\n").unwrap();
    assert_eq!(notes(&r), ["a: port ${PORT:-8080}:80 listened on every interface; devctl binds it to 127.0.0.1 (write `0.0.0.0:${PORT:-8080}:80` to publish it there again)"]);
    // another service's or container's network stack, a MAC address:
    // converted as they are
    let r = one("services:\n  a:\n    image: x\n    network_mode: service:b\n  b:\n    image: y\n    mac_address: 02:42:ac:11:00:99\n  c:\n    image: z\n    network_mode: container:other\n").unwrap();
    assert!(
        r.toml
            .contains("[services.a]\nimage = \"x\"\nnetwork_mode = \"service:b\"\n"),
        "{}",
        r.toml
    );
    assert!(
        r.toml.contains("mac_address = \"02:42:ac:11:00:99\"\n"),
        "{}",
        r.toml
    );
    assert!(
        r.toml.contains("network_mode = \"container:other\"\n"),
        "{}",
        r.toml
    );
    // a value devctl.toml refuses names the key
    let e = one("services:\n  a:\n    image: x\n    mac_address: 02:42:zz:11:00:99\n").unwrap_err();
    assert_eq!(e.key, "services.a.mac_address", "{e}");
    // a long-syntax bind: devctl creates a missing source
    let r = one("services:\n  a:\n    image: x\n    security_opt: [no-new-privileges:true]\n    volumes:\n      - {type: bind, source: ./c, target: /c}\n      - {type: bind, source: ./d, target: /d, bind: {create_host_path: false}}\n").unwrap();
    assert_eq!(notes(&r), ["a: bind mount at /c: a missing source is created, as for compose's short syntax (`bind = { create_host_path = false }` refuses it, as compose's long syntax did)"]);
}

fn app_of(text: &str) -> Result<Imported, ImportError> {
    import(
        &[Source {
            name: "compose.yaml",
            text,
        }],
        &Options { app: Some("web") },
        &|_| None,
    )
}

#[test]
fn build_secrets_and_the_ssh_agent_are_converted_for_the_app_and_services() {
    let text = "services:\n  web:\n    build:\n      context: .\n      secrets: [npm_token, {source: gh, target: github}]\n      ssh: [default]\n      labels: {org.example.team: web}\n      tags: ['shop-web:latest']\n    volumes: ['.:/app']\n    entrypoint: [/entry.sh]\n    command: [./serve]\n    init: true\n  worker:\n    build:\n      context: ./w\n      secrets: [npm_token]\n      ssh: [default]\nsecrets:\n  npm_token: {environment: NPM_TOKEN}\n  gh: {file: ./gh.txt}\n";
    // the app is chosen although it has an entrypoint and build labels/tags
    let r = one(text).unwrap();
    assert_eq!(r.app.as_deref(), Some("web"));
    assert!(
        r.toml.contains("build_secrets = [\"npm_token\", { source = \"gh\", target = \"github\" }]\nbuild_ssh = [\"default\"]\nbuild_labels = { \"org.example.team\" = \"web\" }\nbuild_tags = [\"shop-web:latest\"]\n"),
        "{}",
        r.toml
    );
    assert!(
        r.toml.contains("entrypoint = [\"/entry.sh\"]\n"),
        "{}",
        r.toml
    );
    assert!(
        r.toml.contains("[services.worker]\nbuild = { context = \"./w\", secrets = [\"npm_token\"], ssh = [\"default\"] }\n"),
        "{}",
        r.toml
    );
    // the whole file loads: [app] holds them
    let c: crate::model::Config = toml::from_str(&r.toml).unwrap();
    let app = c.app.unwrap();
    assert_eq!(app.build_ssh, ["default"]);
    assert_eq!(app.build_tags, ["shop-web:latest"]);
    assert!(app.entrypoint.is_some());
}

#[test]
fn an_ssh_key_path_is_refused_with_the_fix() {
    for text in [
        "services:\n  web:\n    build: {context: ., ssh: ['mykey=~/.ssh/id_ed25519']}\n    volumes: ['.:/app']\n",
        "services:\n  web:\n    build: {context: ./x, ssh: ['mykey=~/.ssh/id_ed25519']}\n",
    ] {
        let e = app_of(text).or_else(|_| one(text)).unwrap_err();
        assert_eq!(e.file, "compose.yaml");
        assert_eq!(e.key, "services.web.build.ssh", "{e}");
        assert!(
            e.message.contains("`mykey=~/.ssh/id_ed25519`: devctl forwards only your SSH agent")
                && e.message.contains("ssh-add KEY"),
            "{e}"
        );
    }
}

#[test]
fn depends_on_keeps_required_and_restart() {
    let r = one("services:\n  a:\n    image: x\n    depends_on:\n      b: {condition: service_healthy, restart: true}\n      c: {condition: service_started, required: false}\n  b:\n    image: x\n  c:\n    image: x\n    profiles: [extra]\n").unwrap();
    assert!(
        r.toml.contains("depends_on = { b = { condition = \"service_healthy\", restart = true }, c = { condition = \"service_started\", required = false } }"),
        "{}",
        r.toml
    );
    let c: crate::model::Config = toml::from_str(&r.toml).unwrap();
    let d = &c.services["a"].depends_on.as_ref().unwrap().0;
    assert_eq!(d[0].1.restart, Some(true));
    assert_eq!(d[1].1.required, Some(false));
}

#[test]
fn pull_policies_are_kept_refresh_windows_too() {
    for p in ["always", "daily", "weekly", "every_12h"] {
        let out = one(&format!(
            "services:\n  a:\n    image: x\n    pull_policy: {p}\n"
        ))
        .unwrap();
        assert!(
            out.toml.contains(&format!("pull_policy = \"{p}\"")),
            "{}",
            out.toml
        );
    }
    // one devctl.toml cannot hold is named
    let e = one("services:\n  a:\n    image: x\n    pull_policy: every_fortnight\n").unwrap_err();
    assert_eq!(e.key, "services.a.pull_policy");
}

fn with_files<'a>(files: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
    move |p| {
        files
            .iter()
            .find(|(n, _)| *n == p)
            .map(|(_, t)| t.to_string())
    }
}

#[test]
fn extends_of_another_file_is_resolved_with_its_paths_rebased() {
    let files = [
        (
            "common/base.yml",
            "services:\n  base:\n    extends: {file: ../shared.yml, service: root}\n    build: ./ctx\n    ports: ['8000:8000']\n    environment: {A: '1', B: '2'}\n    volumes: ['./data:/data', 'named:/n']\n    env_file: [b.env]\n    command: [a]\n",
        ),
        (
            "shared.yml",
            "services:\n  root:\n    labels: {tier: back}\n    dns: [1.1.1.1]\n",
        ),
    ];
    let read = with_files(&files);
    let r = import(
        &[Source {
            name: "compose.yaml",
            text: "services:\n  s:\n    extends: {file: common/base.yml, service: base}\n    ports: ['9000:9000', '8000:8000']\n    environment: [B=3]\n    volumes: ['./d2:/data']\n    dns: 8.8.8.8\n    command: c\n  t:\n    extends: {file: compose.yaml, service: s}\nvolumes: {named: {}}\n",
        }],
        &Options::default(),
        &read,
    )
    .unwrap();
    assert_eq!(
        r.toml,
        "[services.s]\nlabels = { tier = \"back\" }\ndns = [\"1.1.1.1\", \"8.8.8.8\"]\nbuild = \"./common/ctx\"\nports = [\"8000:8000\", \"9000:9000\"]\nenvironment = { A = \"1\", B = \"3\" }\nvolumes = [\"./d2:/data\", \"named:/n\"]\nenv_file = [\"./common/b.env\"]\ncommand = \"c\"\n\n[services.t]\nextends = { service = \"s\" }\n\n[volumes.named]\n"
    );
    assert!(notes(&r).contains(&"s: extends service `base` of common/base.yml: its keys are merged in as compose merges them (devctl.toml's `extends` names only a service of the same file); a later change to common/base.yml needs a new import".to_string()), "{:?}", notes(&r));
    // a missing file, a missing service, a cycle: errors naming the key
    let e = one("services:\n  s:\n    extends: {file: nope.yml, service: b}\n").unwrap_err();
    assert_eq!(e.key, "services.s.extends.file");
    assert!(e.message.starts_with("cannot read `nope.yml`"), "{e}");
    let e = import(
        &[Source {
            name: "compose.yaml",
            text: "services:\n  s:\n    extends: {file: shared.yml, service: nope}\n",
        }],
        &Options::default(),
        &read,
    )
    .unwrap_err();
    assert_eq!(
        (e.key.as_str(), e.message.as_str()),
        (
            "services.s.extends.service",
            "`shared.yml` has no service `nope`"
        )
    );
    let loop_files = [(
        "l.yml",
        "services:\n  x:\n    extends: {file: l.yml, service: y}\n  y:\n    extends: x\n",
    )];
    let e = import(
        &[Source {
            name: "compose.yaml",
            text: "services:\n  s:\n    extends: {file: l.yml, service: x}\n",
        }],
        &Options::default(),
        &with_files(&loop_files),
    )
    .unwrap_err();
    assert!(e.message.contains("`extends` loops"), "{e}");
}
