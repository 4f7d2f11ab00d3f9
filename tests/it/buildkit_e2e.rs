//! Issue 15: builds go through BuildKit where the engine has it (Docker's
//! API 1.39+), the legacy builder only when asked (`DOCKER_BUILDKIT=0`)
//! or when the engine has none, saying why.

use crate::e2e_support::{engine_ready, TestProject};

/// Cache mounts and `COPY --chmod` (which the legacy builder cannot
/// build), a stage the target does not need (not built), and a failing
/// step shown with its output and its error.
#[test]
fn buildkit_builds_cache_mounts_and_chmod_and_shows_the_failing_step() {
    if !engine_ready() {
        return;
    }
    let t = TestProject::new("kit", "", "");
    let dockerfile = "\
FROM devctl-fixture/busybox:1 AS unused
RUN echo unused-stage-ran
FROM devctl-fixture/busybox:1 AS app
ARG APP_UID=1000
ARG APP_GID=1000
RUN --mount=type=cache,target=/cache echo kept > /cache/x && echo cache-mount-ran
COPY --chmod=750 index.html /srv/index.html
RUN stat -c %a /srv/index.html
USER app
";
    t.write("Dockerfile", dockerfile);
    let (_, err) = t.ok(&["build", "--no-cache"]);
    assert!(err.contains("] RUN --mount=type=cache"), "{err}");
    assert!(err.contains("cache-mount-ran"), "{err}");
    // the mode COPY --chmod gave, as the next step saw it
    assert!(err.lines().any(|l| l.ends_with(" 750")), "{err}");
    assert!(!err.contains("unused-stage-ran"), "{err}");
    assert!(!err.contains("legacy builder"), "{err}");

    t.write(
        "Dockerfile",
        &dockerfile.replace(
            "USER app",
            "RUN echo before-the-failure && exit 3\nUSER app",
        ),
    );
    let (_, err) = t.code(&["build"], 1);
    assert!(err.contains("before-the-failure"), "{err}");
    assert!(err.contains("ERROR: "), "{err}");
    assert!(
        err.contains("error: building service app") && err.contains("exit code: 3"),
        "{err}"
    );
}

#[test]
fn docker_buildkit_0_asks_for_the_legacy_builder_and_says_so() {
    if !engine_ready() {
        return;
    }
    let mut t = TestProject::new("legacy", "", "");
    t.env.push(("DOCKER_BUILDKIT".into(), "0".into()));
    let (_, err) = t.ok(&["build"]);
    assert!(
        err.contains("app: the legacy builder: DOCKER_BUILDKIT=0 asks for it"),
        "{err}"
    );
    assert!(err.contains("app: Step 1/"), "{err}");
}

/// Images are never pulled implicitly: a missing base image is named
/// before any context is sent, with both builders.
#[test]
fn a_missing_base_image_is_named_not_pulled() {
    if !engine_ready() {
        return;
    }
    let mut t = TestProject::new("nobase", "", "");
    t.write(
        "Dockerfile",
        "ARG BASE=devctl-fixture/not-built-here:1\nFROM devctl-fixture/busybox:1 AS tools\nFROM ${BASE} AS app\nCOPY --from=tools /bin/true /true\n",
    );
    for legacy in ["1", "0"] {
        t.env = vec![("DOCKER_BUILDKIT".into(), legacy.into())];
        let (_, err) = t.code(&["build"], 1);
        assert!(
            err.contains("its base image devctl-fixture/not-built-here:1 is not on this engine, and devctl never pulls implicitly"),
            "{err}"
        );
        assert!(!err.contains("registry"), "{err}");
    }
}

/// Build secrets from `.env` (an `environment` secret) and from a file,
/// named in devctl.toml, reach `RUN --mount=type=secret` and nothing of
/// them is in the image, its history or devctl's output.
#[test]
fn build_secrets_from_env_and_file_reach_the_build_and_never_the_image() {
    if !engine_ready() {
        return;
    }
    let t = TestProject::new(
        "bsec",
        r#"build_secrets = ["npm_token", { source = "netrc", target = "netrc_id" }]"#,
        "[secrets.npm_token]\nenvironment = \"NPM_TOKEN\"\n[secrets.netrc]\nfile = \"./netrc.txt\"\n",
    );
    t.write(".env", "NPM_TOKEN=tok-9f3a-value\n");
    t.write(
        "netrc.txt",
        "machine example.test password file-secret-77\n",
    );
    t.write(
        "Dockerfile",
        "\
FROM devctl-fixture/busybox:1 AS app
ARG APP_UID=1000
ARG APP_GID=1000
RUN --mount=type=secret,id=npm_token test \"$(cut -c1-4 /run/secrets/npm_token)\" = tok- && echo env-secret-seen
RUN --mount=type=secret,id=netrc_id grep -q 'password file-' /run/secrets/netrc_id && echo file-secret-seen
COPY . /src
USER app
",
    );
    let (out, err) = t.ok(&["build"]);
    assert!(err.contains("build secret"), "{err}");
    // the steps show, as on the /build path
    assert!(
        err.contains("] RUN --mount=type=secret,id=npm_token")
            && err.lines().any(|l| l.ends_with(" env-secret-seen"))
            && err.lines().any(|l| l.ends_with(" file-secret-seen")),
        "{err}"
    );
    for leak in ["9f3a-value", "secret-77"] {
        assert!(!out.contains(leak) && !err.contains(leak), "{out}{err}");
    }
    let image = format!("{}-app:dev", t.name);
    let history = crate::e2e_support::docker_out(&["history", "--no-trunc", &image]);
    assert!(
        !history.contains("9f3a-value") && !history.contains("secret-77"),
        "{history}"
    );
    // the file secret was not sent in the context either
    let (ls, _) = t.ok(&["run", "--rm", "-T", "app", "ls", "/src"]);
    assert!(
        ls.contains("index.html") && !ls.contains("netrc.txt"),
        "{ls}"
    );
    let inspect = crate::e2e_support::docker_out(&["image", "inspect", &image]);
    assert!(!inspect.contains("9f3a-value"), "{inspect}");

    // a new value alone is no rebuild (BuildKit's cache does not key on
    // it either); `--no-cache` runs the steps with it: a wrong one fails
    t.write(".env", "NPM_TOKEN=another\n");
    let (_, err) = t.ok(&["build"]);
    assert!(err.contains("Up to date"), "{err}");
    let (_, err) = t.code(&["build", "--no-cache"], 1);
    assert!(err.contains("error: building service app"), "{err}");
    assert!(!err.contains("another"), "{err}");

    // the legacy builder cannot mount secrets: said so, nothing built
    let mut t = t;
    t.env.push(("DOCKER_BUILDKIT".into(), "0".into()));
    let (_, err) = t.code(&["build", "--no-cache"], 1);
    assert!(
        err.contains("build secrets, which only BuildKit can mount"),
        "{err}"
    );
}

/// `build_ssh = ["default"]` forwards the SSH agent to
/// `RUN --mount=type=ssh`; without an agent it is a usage error.
#[test]
fn build_ssh_forwards_the_agent_and_without_one_says_how() {
    if !engine_ready() {
        return;
    }
    let mut t = TestProject::new("bssh", r#"build_ssh = ["default"]"#, "");
    t.write(
        "Dockerfile",
        "\
FROM devctl-fixture/busybox:1 AS app
ARG APP_UID=1000
ARG APP_GID=1000
RUN --mount=type=ssh test -S \"$SSH_AUTH_SOCK\"
COPY . /src
USER app
",
    );
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("agent.sock");
    let mut agent = std::process::Command::new("ssh-agent")
        .args(["-D", "-a"])
        .arg(&sock)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("ssh-agent (openssh-client)");
    let end = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !sock.exists() && std::time::Instant::now() < end {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    t.env = vec![("SSH_AUTH_SOCK".into(), sock.display().to_string())];
    let res = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let (_, err) = t.ok(&["build"]);
        assert!(err.contains("SSH agent forwarding"), "{err}");
        // no agent: the fix, nothing sent
        t.env = vec![("SSH_AUTH_SOCK".into(), String::new())];
        let (_, err) = t.code(&["build", "--no-cache"], 2);
        assert!(
            err.contains("SSH_AUTH_SOCK is not set") && err.contains("ssh-agent"),
            "{err}"
        );
    }));
    let _ = agent.kill();
    let _ = agent.wait();
    if let Err(e) = res {
        std::panic::resume_unwind(e);
    }
}

/// A one-file HTTP server on 127.0.0.1 for `ADD --checksum`: serves `body`
/// to every request (with a Last-Modified) until the test ends.
fn serve_once_per_request(body: &'static [u8]) -> u16 {
    use std::io::{Read, Write};
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut c in l.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = c.read(&mut buf);
            let _ = write!(
                c,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nLast-Modified: Tue, 15 Nov 1994 08:12:31 GMT\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = c.write_all(body);
        }
    });
    port
}

/// Heredocs, `COPY --link` and `ADD --checksum` build on Engine 20.10,
/// whose built-in frontend (Dockerfile 1.2) parses none of them and no
/// `# syntax=` frontend image may be pulled: devctl lowers them to what it
/// parses, with the same result, and says so.
#[test]
fn heredocs_link_and_checksum_build_on_the_engines_built_in_frontend() {
    if !engine_ready() {
        return;
    }
    let t = TestProject::new("lower", "", "");
    let port = serve_once_per_request(b"payload-bytes\n");
    // sha256 of "payload-bytes\n"
    let sum = {
        use sha2::Digest;
        let d = sha2::Sha256::digest(b"payload-bytes\n");
        d.iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    let dockerfile = format!(
        "\
# syntax=docker/dockerfile:1.7
FROM devctl-fixture/busybox:1 AS app
ARG APP_UID=1000
ARG APP_GID=1000
RUN <<EOF
echo plain-heredoc-ran
echo second-line-ran
EOF
RUN <<EOF
#!/bin/sh
echo shebang-ran-as $0
EOF
RUN cat <<A >/a.txt && cat <<'B' >/b.txt
a-body
A
b-body $HOME
B
COPY --link <<'EOF' /etc/greeting
hello $HOME
EOF
COPY --link index.html /srv/linked.html
ADD --checksum=sha256:{sum} http://127.0.0.1:{port}/dl/tool.txt /opt/
RUN cat /a.txt /b.txt /etc/greeting /srv/linked.html /opt/tool.txt && stat -c 'mode=%a' /opt/tool.txt
USER app
"
    );
    t.write("Dockerfile", &dockerfile);
    let (_, err) = t.ok(&["build", "--no-cache"]);
    for seen in [
        "plain-heredoc-ran",
        "second-line-ran",
        "shebang-ran-as /dev/pipes/EOF",
        "a-body",
        "b-body $HOME",
        "hello $HOME",
        "hello\n",
        "payload-bytes",
        "mode=600",
    ] {
        let line_end = seen.trim_end_matches('\n');
        assert!(
            err.lines().any(|l| l.ends_with(line_end)),
            "{seen:?} not in:\n{err}"
        );
    }
    assert!(
        err.contains("devctl lowers what it cannot parse")
            && err.contains("Dockerfile:1: `# syntax=docker/dockerfile` removed")
            && err.contains("Dockerfile:22: ADD --checksum"),
        "{err}"
    );
    // nothing changed: no build, no download
    let (_, err) = t.ok(&["build"]);
    assert!(err.contains("Up to date"), "{err}");

    // a download that is not what the Dockerfile names is not built
    let bad = dockerfile.replace(&sum, &"0".repeat(64));
    t.write("Dockerfile", &bad);
    let (_, err) = t.code(&["build"], 1);
    assert!(
        err.contains("Dockerfile:22: ADD --checksum: http://127.0.0.1:")
            && err.contains(&format!(
                "has sha256:{sum}, not the sha256:{}",
                "0".repeat(64)
            )),
        "{err}"
    );
    // an expanding COPY heredoc needs the stage's variables: a usage error
    // naming the line, with the fix
    t.write(
        "Dockerfile",
        "FROM devctl-fixture/busybox:1 AS app\nARG V=1\nCOPY <<EOF /v\nv=$V\nEOF\nUSER app\n",
    );
    let (_, err) = t.code(&["build"], 2);
    assert!(
        err.contains("Dockerfile:3: COPY <<EOF: its body has `$`") && err.contains("<<\"EOF\""),
        "{err}"
    );
}

/// compose's `build.additional_contexts`: `service:base` builds `base`
/// first and the app's `FROM base` / `COPY --from=base` use its image
/// (the engine's API takes no named contexts: devctl names the image); a
/// rebuilt base rebuilds the app; contexts that are not images, unknown
/// services and cycles are config errors.
#[test]
fn service_contexts_build_the_other_service_first_and_use_its_image() {
    if !engine_ready() {
        return;
    }
    let base = |marker: &str| {
        format!(
            "[services.base]\nbuild = {{ context = \".\", dockerfile_inline = \"FROM devctl-fixture/busybox:1\\nRUN echo {marker} > /base-marker\\n\" }}\ncommand = [\"sleep\", \"3600\"]\n"
        )
    };
    let t = TestProject::new(
        "ctx",
        "build_additional_contexts = { base = \"service:base\" }",
        &base("from-base"),
    );
    t.write(
        "Dockerfile",
        "FROM base AS app\nARG APP_UID=1000\nCOPY --from=base /base-marker /copied\nUSER app\n",
    );
    let (out, _) = t.ok(&["config"]);
    assert!(
        out.contains("additional_contexts:\n        base: service:base"),
        "{out}"
    );
    if crate::config_cli::compose_v2_ready() {
        crate::engine_e2e::compose_v2(t.path(), &["config", "-q"]);
    }
    let base_image = format!("{}-base:dev", t.name);
    let app_image = format!("{}-app:dev", t.name);
    let _images = crate::e2e_support::Images(vec![app_image.clone(), base_image.clone()]);
    // start builds base before the app (which comes first by name)
    let (_, err) = t.ok(&["start"]);
    let at = |what: &str| err.find(what).unwrap_or_else(|| panic!("{what}: {err}"));
    assert!(at("base: #") < at("app: #"), "{err}");
    assert_eq!(
        t.containers(),
        [format!("{}-app-1", t.name), format!("{}-base-1", t.name)]
    );
    let (out, _) = t.ok(&["sh", "--", "cat", "/base-marker", "/copied"]);
    assert_eq!(out, "from-base\nfrom-base\n");
    // nothing changed: neither is built
    let (_, err) = t.ok(&["build"]);
    assert_eq!(
        err.matches("Up to date").count(),
        2,
        "both images up to date: {err}"
    );
    // a new base rebuilds the app on it
    let toml = std::fs::read_to_string(t.path().join("devctl.toml")).unwrap();
    t.write("devctl.toml", &toml.replace("from-base", "from-base-2"));
    let (_, err) = t.ok(&["build", "app"]);
    assert!(!err.contains("Up to date"), "{err}");
    let o = crate::e2e_support::docker_out(&[
        "run",
        "--rm",
        &app_image,
        "cat",
        "/base-marker",
        "/copied",
    ]);
    assert_eq!(o, "from-base-2\nfrom-base-2");

    // what is not an image, an unknown service, a cycle
    for (ctx, want) in [
        (
            "{ base = \"./dir\" }",
            "`base` = \"./dir\": devctl builds through the engine's build API, where a named context can be an image",
        ),
        ("{ base = \"service:nope\" }", "`base` names service `nope`, which does not exist"),
    ] {
        t.write(
            "devctl.toml",
            &toml.replace("{ base = \"service:base\" }", ctx),
        );
        let (_, err) = t.code(&["config", "--check"], 2);
        assert!(err.contains(want) && err.contains("devctl.toml"), "{err}");
    }
    t.write(
        "devctl.toml",
        &toml.replace(
            " }\ncommand = [\"sleep\"",
            ", additional_contexts = { other = \"service:app\" } }\ncommand = [\"sleep\"",
        ),
    );
    let (_, err) = t.code(&["config", "--check"], 2);
    assert!(err.contains("the builds need each other's images"), "{err}");
    // as compose: a context service its profiles leave out is refused
    t.write(
        "devctl.toml",
        &toml.replace(
            "command = [\"sleep\", \"3600\"]\n",
            "command = [\"sleep\", \"3600\"]\nprofiles = [\"tools\"]\n",
        ),
    );
    let (_, err) = t.code(&["build"], 2);
    assert!(
        err.contains("the build of service \"app\" uses service \"base\" (build.additional_contexts `base`), which is not enabled"),
        "{err}"
    );
}
