//! Build contexts never carry secrets (issue 11), end to end on the busybox
//! fixture: with no `.dockerignore` and `COPY . /src`, the built images hold
//! neither `.devctl/` (the generated compose file has interpolated values)
//! nor any env file devctl reads, and the planted secret strings are nowhere
//! in the images' filesystems, labels or history. A context file that cannot
//! be read is named, not reported as a missing Dockerfile.

use indoc::indoc;
use std::io::Read;
use std::process::Command;

use crate::e2e_support::{docker, docker_out, engine_ready, TestProject};
use crate::support::Project;

const ENV_SECRET: &str = "planted-dotenv-tok-7Hq2";
const PROD_SECRET: &str = "planted-prodenv-tok-4Kx9";
const URL_PASSWORD: &str = "planted-urlpw-3Zr8";
const TOOL_SECRET: &str = "planted-toolenv-pw-8Mv1";

fn secrets() -> [&'static str; 4] {
    [ENV_SECRET, PROD_SECRET, URL_PASSWORD, TOOL_SECRET]
}

/// A project whose app and `tool` service both build `.` with `COPY . /src`,
/// no `.dockerignore`, the secrets planted in `.env`, `prod.env` (read with
/// `--env-file`) and `config/tool.env` (the tool's `env_file`), and the
/// generated compose file holding interpolated values.
fn planted(tag: &str) -> TestProject {
    let tp = TestProject::new(
        tag,
        "[app.environment]\nCOPY_OF_TOKEN = \"${API_TOKEN}\"\nDB = \"${DATABASE_URL}\"\n",
        "[services.tool]\nbuild = \".\"\nenv_file = \"config/tool.env\"\ncommand = [\"true\"]\n",
    );
    std::fs::remove_file(tp.path().join(".dockerignore")).unwrap();
    tp.write(".env", &format!("API_TOKEN={ENV_SECRET}\n"));
    tp.write(
        "prod.env",
        &format!(
            "API_TOKEN={PROD_SECRET}\nDATABASE_URL=postgres://app:{URL_PASSWORD}@db:5432/app\n"
        ),
    );
    tp.write("config/tool.env", &format!("TOOL_PASSWORD={TOOL_SECRET}\n"));
    tp
}

/// The images of the test project (by the label devctl's builds set).
fn images(tp: &TestProject) -> Vec<String> {
    let out = docker_out(&[
        "images",
        "-q",
        "--no-trunc",
        "--filter",
        &format!("label=com.docker.compose.project={}", tp.name),
    ]);
    let mut v: Vec<String> = out.lines().map(str::to_string).collect();
    v.sort();
    v.dedup();
    v
}

/// The image's filesystem as (paths, all file bytes).
fn export(image: &str) -> (Vec<String>, Vec<u8>) {
    let cid = docker_out(&["create", image, "true"]);
    let o = Command::new("docker")
        .args(["export", &cid])
        .env_remove("DOCKER_HOST")
        .output()
        .unwrap();
    let _ = docker(&["rm", "-f", &cid]);
    assert!(o.status.success(), "docker export failed");
    let mut paths = Vec::new();
    let mut bytes = Vec::new();
    let mut ar = tar::Archive::new(o.stdout.as_slice());
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        paths.push(e.path().unwrap().display().to_string());
        e.read_to_end(&mut bytes).unwrap();
    }
    (paths, bytes)
}

/// Removes the project's images when dropped (also when a test fails).
struct ImagesGuard<'a>(&'a TestProject);

impl Drop for ImagesGuard<'_> {
    fn drop(&mut self) {
        for i in images(self.0) {
            let _ = docker(&["image", "rm", "-f", &i]);
        }
    }
}

fn assert_no_secret(what: &str, text: &[u8]) {
    let text = String::from_utf8_lossy(text);
    for s in secrets() {
        assert!(!text.contains(s), "{what} holds the planted secret {s}");
    }
}

#[test]
fn built_images_hold_no_generated_file_env_file_or_secret() {
    if !engine_ready() {
        return;
    }
    let tp = planted("bsec");
    let _images = ImagesGuard(&tp);
    let (out, err) = tp.ok(&["--env-file", "prod.env", "build"]);
    assert_no_secret("build output", format!("{out}{err}").as_bytes());
    // The compose file the images must not carry does hold the values.
    let compose = std::fs::read_to_string(tp.path().join(".devctl/compose.yaml")).unwrap();
    assert!(compose.contains(PROD_SECRET));
    let imgs = images(&tp);
    assert_eq!(imgs.len(), 2, "the app and tool images: {imgs:?}");
    for img in &imgs {
        let (paths, bytes) = export(img);
        assert!(paths.iter().any(|p| p == "src/index.html"), "{paths:?}");
        assert!(paths.iter().any(|p| p == "src/config/"), "{paths:?}");
        for gone in [
            "src/.devctl",
            "src/.env",
            "src/prod.env",
            "src/config/tool.env",
        ] {
            assert!(
                !paths
                    .iter()
                    .any(|p| p.trim_end_matches('/') == gone || p.starts_with(&format!("{gone}/"))),
                "{img}: {gone} is in the image"
            );
        }
        assert_no_secret(&format!("{img}'s filesystem"), &bytes);
        assert_no_secret(
            &format!("docker inspect {img}"),
            docker_out(&["image", "inspect", img]).as_bytes(),
        );
        assert_no_secret(
            &format!("docker history {img}"),
            docker_out(&["history", "--no-trunc", img]).as_bytes(),
        );
    }
}

#[test]
fn a_private_file_reincluded_by_name_is_sent_with_a_warning() {
    if !engine_ready() {
        return;
    }
    let tp = planted("brei");
    let _images = ImagesGuard(&tp);
    tp.write(".dockerignore", "!prod.env\n");
    let (_, err) = tp.ok(&["--env-file", "prod.env", "build", "app"]);
    assert!(
        err.contains("warning: service app: ") && err.contains("re-includes prod.env"),
        "{err}"
    );
    assert!(!err.contains("re-includes .devctl"), "{err}");
    let imgs = images(&tp);
    assert_eq!(imgs.len(), 1, "{imgs:?}");
    let (paths, _) = export(&imgs[0]);
    assert!(paths.iter().any(|p| p == "src/prod.env"), "{paths:?}");
    assert!(
        !paths.iter().any(|p| p.starts_with("src/.devctl")),
        "{paths:?}"
    );
    assert!(!paths.iter().any(|p| p == "src/.env"), "{paths:?}");
}

/// `devctl` under a root that has lost CAP_DAC_OVERRIDE and
/// CAP_DAC_READ_SEARCH (so mode 000 really is unreadable), or as it is
/// when the tests do not run as root.
fn without_dac(tp: &TestProject, args: &[&str]) -> (i32, String) {
    // SAFETY: getuid cannot fail.
    let root = unsafe { libc::getuid() } == 0;
    let mut c = tp.cmd(args);
    if root {
        let inner = c;
        let mut wrapped = Command::new("setpriv");
        wrapped.args(["--bounding-set", "-dac_override,-dac_read_search", "--"]);
        wrapped.arg(inner.get_program()).args(inner.get_args());
        for (k, v) in inner.get_envs() {
            match v {
                Some(v) => wrapped.env(k, v),
                None => wrapped.env_remove(k),
            };
        }
        wrapped.current_dir(tp.path());
        c = wrapped;
    }
    let o = c.output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn an_unreadable_context_file_is_named_not_a_missing_dockerfile() {
    use std::os::unix::fs::PermissionsExt;
    if !engine_ready() {
        return;
    }
    let mode = |p: &std::path::Path, m: u32| {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap()
    };
    let tp = TestProject::new("bunr", "", "");
    let _images = ImagesGuard(&tp);
    std::fs::remove_file(tp.path().join(".dockerignore")).unwrap();
    // A file.
    tp.write("secret.key", "k");
    mode(&tp.path().join("secret.key"), 0o000);
    let (code, err) = without_dac(&tp, &["build"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("cannot read ./secret.key: permission denied"),
        "{err}"
    );
    assert!(
        !err.contains("no Dockerfile") && !err.contains("Cannot locate"),
        "{err}"
    );
    // Left out by .dockerignore, it is not read at all.
    tp.write(".dockerignore", "secret.key\n.devctl\n");
    let (code, err) = without_dac(&tp, &["build"]);
    assert_eq!(code, 0, "{err}");
    mode(&tp.path().join("secret.key"), 0o600);
    std::fs::remove_file(tp.path().join(".dockerignore")).unwrap();
    // A directory.
    tp.write("private/data.txt", "d");
    mode(&tp.path().join("private"), 0o000);
    let (code, err) = without_dac(&tp, &["build"]);
    mode(&tp.path().join("private"), 0o755);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("cannot read ./private/: permission denied"),
        "{err}"
    );
    // The Dockerfile in a directory that cannot be searched: unreadable,
    // not missing.
    std::fs::remove_dir_all(tp.path().join("private")).unwrap();
    let toml = std::fs::read_to_string(tp.path().join("devctl.toml")).unwrap();
    tp.write(
        "devctl.toml",
        &toml.replace("[app]\n", "[app]\ndockerfile = \"docker/Dockerfile\"\n"),
    );
    tp.write(
        "docker/Dockerfile",
        &std::fs::read_to_string(tp.path().join("Dockerfile")).unwrap(),
    );
    mode(&tp.path().join("docker"), 0o600);
    let (code, err) = without_dac(&tp, &["build"]);
    mode(&tp.path().join("docker"), 0o755);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("cannot read ./docker/Dockerfile: permission denied"),
        "{err}"
    );
    assert!(!err.contains("no Dockerfile"), "{err}");
}

#[test]
fn a_build_arg_holding_a_secret_is_a_config_error() {
    let p = Project::new()
        .file(
            "devctl.toml",
            "[project]\nname = \"bargs\"\n\n[app]\n\n[app.build_args]\nNPM_TOKEN = \"${API_TOKEN}\"\n",
        )
        .file("Dockerfile", "FROM scratch\n")
        .file(".env", format!("API_TOKEN={ENV_SECRET}\n"));
    let o = p.devctl(&["config"]).status(2)
        .stderr(indoc! {r#"
            error: devctl.toml:7:1: build arg NPM_TOKEN holds the value of the secret API_TOKEN (from the env file): build args are stored in the image, where `docker history` shows them
              fix: pass it to the container as a runtime env var instead (or, once devctl supports them, as a build secret), and remove it from [app.build_args] of devctl.toml
             7 | NPM_TOKEN = "${API_TOKEN}"
               | ^^^^^^^^^
        "#})
        .run();
    let o = o
        .stderr_has("devctl.toml:7")
        .stderr_has("build arg NPM_TOKEN")
        .stderr_has("docker history")
        .stderr_has("runtime env var");
    assert_no_secret("the error", o.stdout().as_bytes());
    assert_no_secret("the error", o.stderr().as_bytes());
}
