//! Issue 11, "Secrets": devctl hides the values of secret-looking keys from
//! the files it reads and the passwords in URLs from everything it prints,
//! by value and only those; the process environment is not a secret by key
//! alone; masked `config` output is valid YAML and says how to see the
//! real values.

use serde_json::Value;

use crate::e2e_support::{engine_ready, TestProject, FIXTURE};
use crate::support::Project;

const MASK: &str = "********";

fn yaml(text: &str) -> Value {
    devctl::yaml::from_str(text).unwrap_or_else(|e| panic!("not YAML: {e}\n{text}"))
}

#[test]
fn the_process_environment_causes_no_masking() {
    let p = Project::new().file(
        "devctl.toml",
        "[project]\nname = \"plain\"\n[app]\nport = 8000\nserver = \"run\"\n\
         [services.w]\nimage = \"x\"\nvolumes = [\"./data:/data\"]\n\
         environment = { DESKTOP = \"gnome\", SOCK = \"/run/user/1000/keyring/ssh\" }\n",
    );
    let dir = p.path().canonicalize().unwrap().display().to_string();
    let d = p
        .devctl(&["config"])
        .env("PWD", &dir)
        .env("OLDPWD", &dir)
        .env("SSH_AUTH_SOCK", "/run/user/1000/keyring/ssh")
        .env("XDG_SESSION_ID", "8000")
        .env("XDG_SESSION_TYPE", "data")
        .env("DESKTOP_SESSION", "gnome")
        .env("SESSION_MANAGER", "local/host:@/tmp/.ICE-unix/1")
        .code(0);
    let out = d.stdout();
    assert!(!out.contains(MASK), "nothing is masked:\n{out}");
    assert!(out.contains(&format!("{dir}/data:/data")), "{out}");
    assert!(out.contains("8000"), "{out}");
    assert!(out.contains("gnome") && out.contains("/run/user/1000/keyring/ssh"));
    assert!(!d.stderr().contains(MASK), "{}", d.stderr());
}

const TOKEN: &str = "tok-Ab12Cd34";

/// A secret from .env used in every kind of key is masked in `config`; the
/// output is YAML, says how to see the values, and `--show-secrets` and
/// the file on disk have them.
#[test]
fn a_secret_from_dotenv_is_masked_in_every_key() {
    let p = Project::new()
        .file(
            "devctl.toml",
            r#"
[project]
name = "sec"
[app]
port = 8000
server = "serve --token ${API_TOKEN}"
labels = { "org.example.token" = "${API_TOKEN}" }
healthcheck = { test = "curl -H 'X-Token: ${API_TOKEN}' http://localhost:8000/" }
[services.w]
image = "example/w:${API_TOKEN}"
command = ["work", "--key=${API_TOKEN}"]
environment = { PLAIN = "${API_TOKEN}" }
"#,
        )
        .file(
            ".env",
            format!("API_TOKEN={TOKEN}\nAUTO_START_SERVER=true\n"),
        );
    let d = p.devctl(&["config"]).env_remove("API_TOKEN").code(0);
    let out = d.stdout();
    assert!(!out.contains(TOKEN), "{out}");
    assert!(!out.contains("tok-"), "{out}");
    assert!(
        out.contains("--show-secrets"),
        "says how to see them:\n{out}"
    );
    let doc = yaml(&out);
    let app = &doc["services"]["app"];
    let w = &doc["services"]["w"];
    assert_eq!(app["labels"]["org.example.token"], MASK, "{out}");
    // (A build arg holding a secret is refused outright: see
    // build_secrets::a_build_arg_holding_a_secret_is_a_config_error.)
    assert!(
        app["command"]
            .to_string()
            .contains(&format!("--token {MASK}")),
        "{out}"
    );
    assert!(app["healthcheck"]["test"]
        .to_string()
        .contains(&format!("X-Token: {MASK}")));
    assert_eq!(w["image"], format!("example/w:{MASK}"));
    assert_eq!(w["command"][1], format!("--key={MASK}"));
    assert_eq!(w["environment"]["PLAIN"], MASK);

    let shown = p
        .devctl(&["config", "--show-secrets"])
        .env_remove("API_TOKEN")
        .code(0)
        .stdout();
    assert!(shown.contains(&format!("example/w:{TOKEN}")), "{shown}");
    assert!(!shown.contains(MASK), "{shown}");
    let file = std::fs::read_to_string(p.path().join(".devctl/compose.yaml")).unwrap();
    assert!(
        file.contains(&format!("--key={TOKEN}")),
        "real values on disk"
    );
}

/// Masked output parses as YAML even where the mask is the whole value
/// (`********` unquoted is an alias).
#[test]
fn masked_output_is_valid_yaml() {
    let p = Project::new()
        .file(
            "devctl.toml",
            "[services.db]\nimage = \"postgres\"\n\
             environment = { POSTGRES_PASSWORD = \"${DB_PASSWORD}\", COPY = \"${DB_PASSWORD}\", URL = \"postgres://app:${DB_PASSWORD}@db/app\" }\n\
             command = \"${DB_PASSWORD}\"\n",
        )
        .file(".env", "DB_PASSWORD=hunter22\n");
    let out = p
        .devctl(&["config"])
        .env_remove("DB_PASSWORD")
        .code(0)
        .stdout();
    let doc = yaml(&out);
    let db = &doc["services"]["db"];
    assert_eq!(db["environment"]["COPY"], MASK, "{out}");
    assert_eq!(db["environment"]["POSTGRES_PASSWORD"], MASK);
    assert_eq!(
        db["environment"]["URL"],
        format!("postgres://app:{MASK}@db/app")
    );
    assert_eq!(db["command"], MASK);
    assert!(!out.contains("hunter22"));
    assert!(out
        .lines()
        .next()
        .unwrap()
        .starts_with("# generated by devctl"));
    assert!(out
        .lines()
        .take(3)
        .any(|l| l.starts_with('#') && l.contains("devctl config --show-secrets")));
}

/// Whole values only: a secret `8000` hides the value 8000, not 18000.
#[test]
fn masking_is_by_whole_value() {
    let p = Project::new()
        .file(
            "devctl.toml",
            "[project]\nname = \"whole\"\n[app]\nport = 18000\n\
             [services.w]\nimage = \"x\"\nenvironment = { P = \"8000\", Q = \"80001\", R = \"${DB_PASSWORD}\" }\n",
        )
        .file(".env", "DB_PASSWORD=8000\n");
    let out = p
        .devctl(&["config"])
        .env_remove("DB_PASSWORD")
        .code(0)
        .stdout();
    let doc = yaml(&out);
    assert!(out.contains("127.0.0.1:18000:18000"), "{out}");
    let env = &doc["services"]["w"]["environment"];
    assert_eq!(env["P"], MASK, "{out}");
    assert_eq!(env["Q"], "80001", "{out}");
    assert_eq!(env["R"], MASK);
}

/// URL passwords are hidden wherever they are: config values from .env and
/// devctl.toml, warnings, errors, doctor.
#[test]
fn url_passwords_are_masked_in_config_warnings_errors_and_doctor() {
    let p = Project::new()
        .file(
            "devctl.toml",
            "[services.w]\nimage = \"x\"\n\
             environment = { DATABASE_URL = \"${DATABASE_URL}\", CACHE = \"redis://:tomlpw-77@cache:6379/0\" }\n",
        )
        .file(
            ".env",
            "DATABASE_URL=postgres://app:envpw-5521@db/app\nAUTO_START_SERVER=https://u:warnpw-9@x/\n",
        );
    let d = p
        .devctl(&["config"])
        .env_remove("AUTO_START_SERVER")
        .code(0);
    let (out, err) = (d.stdout(), d.stderr());
    for pw in ["envpw-5521", "tomlpw-77", "warnpw-9"] {
        assert!(
            !out.contains(pw) && !err.contains(pw),
            "{pw}:\n{out}\n{err}"
        );
    }
    assert!(
        out.contains(&format!("postgres://app:{MASK}@db/app")),
        "{out}"
    );
    assert!(
        out.contains(&format!("redis://:{MASK}@cache:6379/0")),
        "{out}"
    );
    assert!(
        err.contains(&format!(
            "warning: AUTO_START_SERVER=\"https://u:{MASK}@x/\""
        )),
        "{err}"
    );

    // an error naming a path that holds a URL
    let d = p
        .devctl(&["--env-file", "https://me:errpw-31@example.com", "config"])
        .code(2);
    assert!(!d.stderr().contains("errpw-31"), "{}", d.stderr());
    assert!(
        d.stderr().contains(&format!("me:{MASK}@example.com")),
        "{}",
        d.stderr()
    );

    // doctor prints the engine address
    for args in [&["doctor"][..], &["doctor", "--json"][..]] {
        let d = p
            .devctl(args)
            .env("DOCKER_HOST", "tcp://me:doctorpw-8@127.0.0.1:1")
            .env_remove("DOCKER_TLS_VERIFY")
            .output();
        let (out, err) = (d.stdout(), d.stderr());
        assert!(
            !out.contains("doctorpw-8") && !err.contains("doctorpw-8"),
            "{out}\n{err}"
        );
        assert!(
            out.contains(&format!("tcp://me:{MASK}@127.0.0.1:1")),
            "{out}"
        );
    }
}

/// `${X:?message}` errors interpolate their message: a secret in it is not
/// printed; nor is a bad `.env` line's URL password.
#[test]
fn errors_do_not_print_secrets() {
    let p = Project::new()
        .file(
            "devctl.toml",
            "[services.w]\nimage = \"x\"\nenvironment = { A = \"${MISSING:?not set; the token is ${API_TOKEN}}\" }\n",
        )
        .file(".env", format!("API_TOKEN={TOKEN}\n"));
    let d = p
        .devctl(&["config"])
        .env_remove("API_TOKEN")
        .env_remove("MISSING")
        .code(2);
    let err = d.stderr();
    assert!(err.contains("required variable `MISSING`"), "{err}");
    assert!(!err.contains(TOKEN), "{err}");
    assert!(err.contains(MASK), "{err}");

    let p = Project::new()
        .file("devctl.toml", "[services.w]\nimage = \"x\"\n")
        .file(".env", "DATABASE_URL=postgres://u:linepw-4@db/x y\n");
    let err = p.devctl(&["config"]).code(2).stderr();
    assert!(err.contains(".env:1:"), "{err}");
    assert!(!err.contains("linepw-4"), "{err}");
}

/// The values of a service's `env_file` are secrets too (by key and URL).
#[test]
fn a_service_env_file_is_a_secret_source() {
    let p = Project::new()
        .file(
            "devctl.toml",
            "[services.w]\nimage = \"x\"\nenv_file = [\"svc.env\"]\ncommand = \"use svcpw-Kq81 --url mysql://root:svcurl-55@db visible-value\"\n",
        )
        .file(
            "svc.env",
            "SVC_PASSWORD=svcpw-Kq81\nPLAIN=visible-value\nDSN_URL=mysql://root:svcurl-55@db\n",
        );
    let out = p.devctl(&["config"]).code(0).stdout();
    assert!(!out.contains("svcpw-Kq81"), "{out}");
    assert!(!out.contains("svcurl-55"), "{out}");
    assert!(out.contains("visible-value"), "{out}");
    yaml(&out);
}

fn wait_for(mut f: impl FnMut() -> bool) -> bool {
    for _ in 0..100 {
        if f() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    false
}

/// An engine error quoting a secret (a user that does not exist), `ps
/// --json` (a secret port) and `logs` (a container echoing its secret
/// environment) are scrubbed.
#[test]
fn engine_errors_ps_and_logs_are_scrubbed() {
    if !engine_ready() {
        return;
    }
    let port = crate::e2e_support::free_port().to_string();
    let t = TestProject::new(
        "sec",
        "",
        &format!(
            r#"
[services.echo]
image = "{FIXTURE}"
environment = {{ API_TOKEN = "${{API_TOKEN}}" }}
command = ["sh", "-c", "echo token=$$API_TOKEN; exec sleep 3600"]
ports = ["127.0.0.1:${{PORT_SECRET}}:80"]
"#
        ),
    );
    t.write(".env", &format!("API_TOKEN={TOKEN}\nPORT_SECRET={port}\n"));
    let (out, err) = t.ok(&["start"]);
    assert!(!out.contains(TOKEN) && !err.contains(TOKEN), "{out}\n{err}");
    let (out, _) = t.ok(&["ps", "--json"]);
    assert!(!out.contains(&port), "{out}");
    assert!(out.contains(&format!("127.0.0.1:{MASK}->80/tcp")), "{out}");
    let mut logs = String::new();
    assert!(
        wait_for(|| {
            logs = t.ok(&["logs", "echo"]).0;
            logs.contains("token=")
        }),
        "the container echoed: {logs}"
    );
    assert!(logs.contains(&format!("token={MASK}")), "{logs}");
    assert!(!logs.contains(TOKEN), "{logs}");

    // an engine error that quotes the secret
    let t = TestProject::new(
        "secu",
        "",
        &format!(
            "[services.bad]\nimage = \"{FIXTURE}\"\nuser = \"${{API_TOKEN}}\"\ncommand = [\"sleep\", \"3600\"]\n"
        ),
    );
    t.write(".env", &format!("API_TOKEN={TOKEN}\n"));
    let o = t.run(&["start"]);
    let (out, err) = (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    );
    assert!(!o.status.success(), "{out}\n{err}");
    assert!(!out.contains(TOKEN) && !err.contains(TOKEN), "{out}\n{err}");
    assert!(
        err.contains(MASK),
        "the error names the (masked) user: {err}"
    );
}

/// The "Done when" search: secrets planted in .env, in a service env_file
/// and in URLs (one in DOCKER_HOST) appear in no output of any command.
#[test]
fn planted_secrets_appear_in_no_output() {
    if !engine_ready() {
        return;
    }
    const PLANTED: [&str; 4] = [
        "plant-env-Qx7",
        "plant-svc-Zr9",
        "plant-url-Wd4",
        "plant-dh-Pm2",
    ];
    let t = TestProject::new(
        "plant",
        r#"environment = { TOKEN_COPY = "${API_TOKEN}", DATABASE_URL = "${DATABASE_URL}" }
labels = { "org.example.t" = "${API_TOKEN}" }
"#,
        &format!(
            r#"
[services.echo]
image = "{FIXTURE}"
env_file = ["svc.env"]
environment = {{ API_TOKEN = "${{API_TOKEN}}", DATABASE_URL = "${{DATABASE_URL}}" }}
command = ["sh", "-c", "echo $$API_TOKEN $$SVC_PASSWORD $$DATABASE_URL; exec sleep 3600"]
"#
        ),
    );
    t.write(
        "Dockerfile",
        &format!(
            "FROM {FIXTURE} AS app\nARG APP_UID=1000\nRUN echo \"build sees plant-env-Qx7\"\nCOPY index.html /app/index.html\nUSER app\n"
        ),
    );
    t.write(
        ".env",
        "API_TOKEN=plant-env-Qx7\nDATABASE_URL=postgres://app:plant-url-Wd4@db/app\nAUTO_START_SERVER=true\n",
    );
    t.write("svc.env", "SVC_PASSWORD=plant-svc-Zr9\n");
    let mut seen = String::new();
    let mut run = |args: &[&str], expect: Option<i32>, env: &[(&str, &str)]| {
        let mut c = t.cmd(args);
        for (k, v) in env {
            c.env(k, v);
        }
        let o = c.output().unwrap();
        let (out, err) = (
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        );
        if let Some(code) = expect {
            assert_eq!(o.status.code(), Some(code), "devctl {args:?}\n{out}\n{err}");
        }
        for s in PLANTED {
            assert!(
                !out.contains(s) && !err.contains(s),
                "devctl {args:?} printed {s}:\n--- stdout\n{out}\n--- stderr\n{err}"
            );
        }
        seen.push_str(&out);
        seen.push_str(&err);
        (out, err)
    };
    run(&["config"], Some(0), &[]);
    run(&["-v", "config"], Some(0), &[]);
    run(&["config", "--check"], Some(0), &[]);
    let (_, built) = run(&["build", "--no-cache"], Some(0), &[]);
    assert!(
        built.contains(&format!("build sees {MASK}")),
        "the build's progress lines are scrubbed, not dropped:\n{built}"
    );
    run(&["start"], Some(0), &[]);
    run(&["ps"], Some(0), &[]);
    run(&["ps", "--json"], Some(0), &[]);
    let mut logs = String::new();
    assert!(
        wait_for(|| {
            logs = run(&["logs", "echo"], Some(0), &[]).0;
            logs.matches(MASK).count() >= 3
        }),
        "the container echoed its three secrets: {logs}"
    );
    run(&["logs"], Some(0), &[]);
    run(&["sh", "--", "true"], Some(0), &[]);
    run(&["doctor"], None, &[]);
    run(&["doctor", "--json"], None, &[]);
    // error cases: an unknown service, an env file named by a URL
    run(&["logs", "nosuch"], Some(2), &[]);
    run(
        &["--env-file", "postgres://u:plant-url-Wd4@x", "config"],
        Some(2),
        &[],
    );
    run(&["stop"], Some(0), &[]);
    run(&["down"], Some(0), &[]);
    // DOCKER_HOST with a password (an engine that is not there)
    let dh = [("DOCKER_HOST", "tcp://me:plant-dh-Pm2@127.0.0.1:1")];
    run(&["ps"], None, &dh);
    run(&["doctor", "--json"], None, &dh);
    assert!(seen.contains(MASK), "something was masked at all");
    assert!(
        seen.contains(&format!("tcp://me:{MASK}@127.0.0.1:1")),
        "{seen}"
    );
}
