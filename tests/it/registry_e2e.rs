//! Issue 15's `devctl push` / `devctl pull` against a real registry: Debian's
//! `docker-registry` (the distribution registry) run as a plain process on
//! 127.0.0.1 by each test (a port of its own, storage in a temp dir, killed
//! on drop). The engine trusts 127.0.0.0/8 as insecure registries, so plain
//! http works. Logins come from a config.json in a temp `DOCKER_CONFIG`.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::e2e_support::{
    docker, engine_ready, free_port, skip_or_fail, Images, TestProject, FIXTURE,
};

const USER: &str = "alice";
const PASSWORD: &str = "pw-Kx81-registry";

/// A registry process on 127.0.0.1:`port`; killed (and waited for) on drop.
struct Registry {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Registry {
    /// None (skipped locally, a failure under CI=true) without the
    /// `docker-registry` binary or the engine.
    fn start(with_login: bool) -> Option<Registry> {
        if !engine_ready() {
            return None;
        }
        let Ok(bin) = which("docker-registry") else {
            skip_or_fail("no docker-registry (scripts/install-test-deps.sh installs it)");
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut config = format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n",
            dir.path().join("data").display()
        );
        if with_login {
            let Ok(htpasswd) = which("htpasswd") else {
                skip_or_fail("no htpasswd (apache2-utils; scripts/install-test-deps.sh)");
                return None;
            };
            // the registry takes bcrypt entries only
            let o = Command::new(htpasswd)
                .args(["-Bbn", USER, PASSWORD])
                .output()
                .unwrap();
            assert!(o.status.success(), "htpasswd: {o:?}");
            let file = dir.path().join("htpasswd");
            std::fs::write(&file, &o.stdout).unwrap();
            config.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: devctl-test\n    path: {}\n",
                file.display()
            ));
        }
        let cfg = dir.path().join("config.yml");
        std::fs::write(&cfg, config).unwrap();
        let child = Command::new(bin)
            .arg("serve")
            .arg(&cfg)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut r = Registry {
            child,
            port,
            _dir: dir,
        };
        // Ready when it accepts connections (bounded; it dies at once when
        // the port was taken meanwhile).
        let t0 = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Some(st) = r.child.try_wait().unwrap() {
                panic!("docker-registry exited at start ({st}) on port {port}");
            }
            assert!(
                t0.elapsed() < Duration::from_secs(20),
                "docker-registry did not listen on {port} within 20 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(r)
    }

    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn which(name: &str) -> Result<PathBuf, ()> {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .ok_or(())
}

fn has_image(image: &str) -> bool {
    docker(&["image", "inspect", image]).status.success()
}

fn rmi(image: &str) {
    let o = docker(&["rmi", "--no-prune", image]);
    assert!(o.status.success(), "docker rmi {image}: {o:?}");
    assert!(!has_image(image));
}

/// A test project whose built images go to `registry` (`[project].registry`),
/// with `rest` appended to devctl.toml; its `DOCKER_CONFIG` is a directory
/// of its own (empty until the test writes config.json there).
fn project(tag: &str, registry: &str, rest: &str) -> (TestProject, PathBuf) {
    let mut t = TestProject::new(tag, "", rest);
    let toml = std::fs::read_to_string(t.path().join("devctl.toml")).unwrap();
    let toml = toml.replacen(
        "[project]\n",
        &format!("[project]\nregistry = \"{registry}\"\n"),
        1,
    );
    t.write("devctl.toml", &toml);
    let config = t.home.path().join("docker-config");
    std::fs::create_dir_all(&config).unwrap();
    t.env
        .push(("DOCKER_CONFIG".into(), config.display().to_string()));
    (t, config)
}

fn app_image(t: &TestProject, registry: &str) -> String {
    format!("{registry}/{}-app:dev", t.name)
}

/// Standard base64 (config.json's `auth`).
fn base64(data: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn login(config: &Path, host: &str, user: &str, password: &str) {
    let auth = base64(format!("{user}:{password}").as_bytes());
    std::fs::write(
        config.join("config.json"),
        format!("{{\"auths\": {{\"{host}\": {{\"auth\": \"{auth}\"}}}}}}\n"),
    )
    .unwrap();
}

#[test]
fn the_test_base64_is_standard() {
    assert_eq!(base64(b"alice:pw"), "YWxpY2U6cHc=");
    assert_eq!(base64(b"ab"), "YWI=");
    assert_eq!(base64(b"abc"), "YWJj");
}

#[test]
fn a_built_image_is_pushed_and_pulled_back() {
    let Some(reg) = Registry::start(false) else {
        return;
    };
    let registry = format!("{}/team", reg.host());
    let (t, _) = project("push", &registry, "");
    let image = app_image(&t, &registry);
    // a service that runs the image the app pushes (image only: pulled)
    t.write(
        "devctl.toml",
        &format!(
            "{}\n[services.mirror]\nimage = \"{image}\"\n",
            std::fs::read_to_string(t.path().join("devctl.toml")).unwrap()
        ),
    );
    let _cleanup = Images(vec![image.clone()]);

    // nothing built yet: said, nothing sent
    let (_, err) = t.code(&["push"], 2);
    assert_eq!(
        err,
        format!("error: service app: image {image} is not on this engine: build it first (`devctl build app`)\n")
    );
    t.ok(&["build"]);
    let (out, err) = t.ok(&["push"]);
    assert_eq!(out, "");
    assert_eq!(
        err,
        format!(" Image {image}  Pushed\n Service mirror  Skipped - no `build:` section\n")
    );
    rmi(&image);
    let (out, err) = t.ok(&["pull"]);
    assert_eq!(out, "");
    assert_eq!(
        err,
        format!(
            " Service app  Skipped - its image is built (`devctl build app`)\n Image {image}  Pulled\n"
        )
    );
    assert!(has_image(&image), "pulled back");
    // pulling again when present: pulled (no pull_policy), named services only
    let (_, err) = t.ok(&["pull", "mirror"]);
    assert_eq!(err, format!(" Image {image}  Pulled\n"));
    let (_, err) = t.ok(&["-q", "push", "app"]);
    assert_eq!(err, "");
    let (_, err) = t.code(&["push", "nope"], 2);
    assert!(err.starts_with("error: "), "{err}");
}

#[test]
fn an_image_only_service_is_pulled_from_the_registry() {
    let Some(reg) = Registry::start(false) else {
        return;
    };
    let image = format!("{}/fixtures/busybox:{}", reg.host(), std::process::id());
    let _cleanup = Images(vec![image.clone()]);
    assert!(docker(&["tag", FIXTURE, &image]).status.success());
    let o = docker(&["push", &image]);
    assert!(o.status.success(), "docker push: {o:?}");
    rmi(&image);
    let (t, _) = project(
        "pull",
        &reg.host(),
        &format!(
            "[services.web]\nimage = \"{image}\"\n[services.kept]\nimage = \"{image}\"\npull_policy = \"missing\"\n[services.off]\nimage = \"{image}\"\npull_policy = \"never\"\n"
        ),
    );
    let (_, err) = t.ok(&["pull"]);
    // services in name order after their dependencies: app, kept, off, web
    assert_eq!(
        err,
        format!(
            " Service app  Skipped - its image is built (`devctl build app`)\n Image {image}  Pulled\n Service off  Skipped - its pull_policy is `never`\n Service web  Skipped - image {image} is pulled for service kept\n"
        )
    );
    assert!(has_image(&image));
    // an explicit `missing` leaves a present image alone, as compose does
    let (_, err) = t.ok(&["pull", "kept"]);
    assert_eq!(
        err,
        format!(" Service kept  Skipped - image {image} is present (pull_policy `missing`)\n")
    );
    // a tag the registry lacks
    let missing = format!("{}/fixtures/busybox:nope", reg.host());
    let (t2, _) = project(
        "pull",
        &reg.host(),
        &format!("[services.gone]\nimage = \"{missing}\"\n"),
    );
    let (_, err) = t2.code(&["pull", "gone"], 2);
    assert!(
        err.starts_with(&format!(
            "error: pulling {missing}: the registry {} has no such image, or hides it without a login (",
            reg.host()
        )),
        "{err}"
    );
    let (_, err) = t2.ok(&["pull", "gone", "--ignore-pull-failures"]);
    assert!(
        err.starts_with(&format!("warning: pulling {missing}: ")),
        "{err}"
    );
}

#[test]
fn an_unreachable_registry_is_named_with_the_fix() {
    if !engine_ready() {
        return;
    }
    // a port nothing listens on
    let host = format!("127.0.0.1:{}", free_port());
    let (t, _) = project(
        "unreach",
        &host,
        &format!("[services.cache]\nimage = \"{host}/x/cache:1\"\n"),
    );
    let image = app_image(&t, &host);
    let _cleanup = Images(vec![image.clone()]);
    // the app's image as if built (no build needed to push it)
    assert!(docker(&["tag", FIXTURE, &image]).status.success());
    let fix = format!(
        "; check that the registry is running at {host} and that the Docker engine can reach it, or fix the image's registry ([project].registry or the service's `image` in devctl.toml)\n"
    );
    let (_, err) = t.code(&["push"], 2);
    assert!(
        err.starts_with(&format!(
            "error: pushing {image}: cannot reach registry {host}: connection refused ("
        )) && err.ends_with(&fix)
            && err.lines().count() == 1,
        "{err}"
    );
    let (_, err) = t.code(&["pull", "cache"], 2);
    assert!(
        err.starts_with(&format!(
            "error: pulling {host}/x/cache:1: cannot reach registry {host}: connection refused ("
        )) && err.ends_with(&fix),
        "{err}"
    );
    // as compose: the failures become warnings, the command succeeds
    let (_, err) = t.ok(&["push", "--ignore-push-failures"]);
    assert!(
        err.starts_with(&format!(
            "warning: pushing {image}: cannot reach registry {host}: "
        )) && err.ends_with(" Service cache  Skipped - no `build:` section\n"),
        "{err}"
    );
}

#[test]
fn a_registry_login_is_refused_or_taken_and_never_shown() {
    let Some(reg) = Registry::start(true) else {
        return;
    };
    let host = reg.host();
    let (t, config) = project("login", &host, "");
    let image = app_image(&t, &host);
    let _cleanup = Images(vec![image.clone()]);
    assert!(docker(&["tag", FIXTURE, &image]).status.success());
    let shown = format!("{}/config.json", config.display());
    let mut seen = String::new();
    let run = |seen: &mut String, args: &[&str], code: i32| {
        let (out, err) = t.code(args, code);
        seen.push_str(&out);
        seen.push_str(&err);
        err
    };

    // no login at all
    let err = run(&mut seen, &["push"], 2);
    assert_eq!(
        err,
        format!("error: pushing {image}: the registry {host} asks for a login and {shown} has none for it: run `docker login {host}`\n")
    );
    // a wrong password
    login(&config, &host, USER, "not-the-password");
    let err = run(&mut seen, &["push"], 2);
    assert_eq!(
        err,
        format!("error: pushing {image}: the registry {host} refused the credentials for user `{USER}` from {shown} (auths.\"{host}\"): run `docker login {host}`\n")
    );
    // the right one, from config.json
    login(&config, &host, USER, PASSWORD);
    let err = run(&mut seen, &["-v", "push"], 0);
    assert_eq!(err, format!(" Image {image}  Pushed\n"));
    rmi(&image);
    // the right one, from a credential store (`credsStore`: a helper on PATH)
    let bin = t.home.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let helper = bin.join("docker-credential-devtest");
    std::fs::write(
        &helper,
        format!(
            "#!/bin/sh\n[ \"$1\" = get ] || exit 1\nread server\necho \"$server\" > {asked}\nprintf '{{\"ServerURL\":\"%s\",\"Username\":\"{USER}\",\"Secret\":\"{PASSWORD}\"}}\\n' \"$server\"\n",
            asked = bin.join("asked").display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(
        config.join("config.json"),
        "{\"credsStore\": \"devtest\"}\n",
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mirror = format!(
        "{}\n[services.mirror]\nimage = \"{image}\"\n",
        std::fs::read_to_string(t.path().join("devctl.toml")).unwrap()
    );
    t.write("devctl.toml", &mirror);
    let o = t
        .cmd(&["pull", "mirror"])
        .env("PATH", &path)
        .output()
        .unwrap();
    let (out, err) = (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    );
    seen.push_str(&out);
    seen.push_str(&err);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert_eq!(err, format!(" Image {image}  Pulled\n"));
    assert!(has_image(&image));
    assert_eq!(
        std::fs::read_to_string(bin.join("asked")).unwrap().trim(),
        host,
        "the helper is asked for the registry's host"
    );
    // a helper that is not there
    std::fs::write(
        config.join("config.json"),
        "{\"credsStore\": \"absent-helper\"}\n",
    )
    .unwrap();
    let err = run(&mut seen, &["pull", "mirror"], 2);
    assert!(
        err.starts_with(
            "error: the docker config names the credential helper `absent-helper` but `docker-credential-absent-helper` cannot run ("
        ),
        "{err}"
    );
    assert!(!seen.contains(PASSWORD), "the password was shown:\n{seen}");
    assert!(!seen.contains("not-the-password"), "{seen}");
}

/// `pull_policy` refresh windows (`daily`, `weekly`, `every_…`), as compose
/// reads them: `start` pulls a missing image, leaves one pulled within the
/// window alone (the registry is gone by then: no pull is tried), and pulls
/// again once the window has passed.
#[test]
fn a_refresh_window_pulls_missing_and_stale_images_only() {
    let Some(reg) = Registry::start(false) else {
        return;
    };
    // An image id of its own: tagging an image (as the other tests do
    // with the fixture) sets the LastTagTime of its id, whatever the name.
    let image = format!("{}/fixtures/refresh:{}", reg.host(), std::process::id());
    let _cleanup = Images(vec![image.clone()]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        format!(
            "FROM {FIXTURE}\nLABEL test.refresh={}\n",
            std::process::id()
        ),
    )
    .unwrap();
    let o = docker(&[
        "build",
        "-q",
        "-t",
        &image,
        &dir.path().display().to_string(),
    ]);
    assert!(o.status.success(), "docker build: {o:?}");
    let o = docker(&["push", &image]);
    assert!(o.status.success(), "docker push: {o:?}");
    rmi(&image);
    let web = |policy: &str| {
        format!("[services.web]\nimage = \"{image}\"\ncommand = [\"sleep\", \"3600\"]\npull_policy = \"{policy}\"\n")
    };
    let (t, _) = project("refresh", &reg.host(), &web("daily"));
    t.ok(&["config", "--check"]);
    t.ok(&["start", "web"]);
    assert!(has_image(&image), "a missing image is pulled");
    drop(reg);
    // pulled just now: inside the window, nothing is pulled
    t.ok(&["start", "web"]);
    let toml = std::fs::read_to_string(t.path().join("devctl.toml")).unwrap();
    t.write("devctl.toml", &toml.replace("\"daily\"", "\"every_1s\""));
    std::thread::sleep(Duration::from_millis(1500));
    let (_, err) = t.code(&["start", "web"], 2);
    assert!(
        err.contains(&format!("pulling {image}")) && err.contains("pull_policy: every_1s"),
        "the window has passed: a pull is tried: {err}"
    );
    // a policy that is no duration is a config error naming it
    t.write(
        "devctl.toml",
        &toml.replace("\"daily\"", "\"every_fortnight\""),
    );
    let (_, err) = t.code(&["config", "--check"], 2);
    assert!(err.contains("pull_policy `every_fortnight`"), "{err}");
}
