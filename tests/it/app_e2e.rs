//! The app service made less rigid (issue 13), against the real engine:
//! `[app].name`, `[app].command`, `[app].mount_options` and `${APP_UID}`.

use crate::e2e_support::{engine_ready, Images, TestProject};

#[test]
fn a_renamed_app_with_its_own_command_and_mount_options_runs() {
    if !engine_ready() {
        return;
    }
    let e = TestProject::new("appname", "", "");
    let port = e.port;
    e.write(
        "devctl.toml",
        &format!(
            r#"[project]
name = "{name}"

[app]
name = "web"
target = "app"
port = {port}
command = ["httpd", "-f", "-p", "{port}", "-h", "/app"]
mount_options = ["ro"]
[app.build_args]
USERID = "${{APP_UID}}"

[tasks.who]
run = "hostname"
"#,
            name = e.name
        ),
    );
    e.write(
        "Dockerfile",
        "FROM devctl-fixture/busybox:1 AS app\nARG APP_UID=1000\nARG USERID\nRUN echo \"$USERID $APP_UID\" > /ids\nUSER app\n",
    );
    let _image = Images(vec![format!("{}-web:dev", e.name)]);

    let (out, _) = e.ok(&["start"]);
    let url = format!("http://127.0.0.1:{port}/");
    let line = out
        .lines()
        .find(|l| l.starts_with("web  ready in "))
        .unwrap_or_else(|| panic!("no ready line for web: {out}"));
    assert!(line.ends_with(&url), "{line}");
    assert_eq!(e.containers(), [format!("{}-web-1", e.name)]);
    // `sh` and tasks default to the app service, whatever its name
    let (out, _) = e.ok(&["sh", "--", "cat", "/app/index.html"]);
    assert_eq!(out, "hello\n");
    let (out, _) = e.ok(&["who"]);
    assert!(!out.trim().is_empty(), "{out}");
    // the source mount is read-only
    let o = e.run(&["sh", "--", "sh", "-c", "touch /app/new 2>&1"]);
    assert_ne!(o.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("Read-only file system"),
        "{o:?}"
    );
    // `${APP_UID}` fed the Dockerfile's own arg with devctl's APP_UID
    let (out, _) = e.ok(&["sh", "--", "cat", "/ids"]);
    let ids: Vec<&str> = out.split_whitespace().collect();
    assert_eq!(ids.len(), 2, "{out}");
    assert_eq!(ids[0], ids[1], "{out}");
    // the server is the command's: started by `start`, answering
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    use std::io::{Read, Write};
    s.write_all(b"GET /index.html HTTP/1.0\r\n\r\n").unwrap();
    let mut body = String::new();
    let _ = s.read_to_string(&mut body);
    assert!(
        body.starts_with("HTTP/1.") && body.ends_with("hello\n"),
        "{body}"
    );
}

#[test]
fn start_shows_the_dockerfile_lines_when_the_image_lacks_the_app_user() {
    if !engine_ready() {
        return;
    }
    let e = TestProject::new("nouser", "", "");
    e.write(
        "devctl.toml",
        &format!(
            "[project]\nname = \"{}\"\n\n[app]\nuser = \"ghost\"\ncommand = [\"sleep\", \"60\"]\n",
            e.name
        ),
    );
    e.write("Dockerfile", "FROM devctl-fixture/busybox:1\nUSER ghost\n");
    let (out, err) = e.code(&["start"], 2);
    assert_eq!(out, "");
    let tail = format!(
        "error: service `app` ([app] in devctl.toml): image {}-app:dev: user `ghost`: there is no user `ghost` in the image's /etc/passwd; create it in the Dockerfile the image is built from with these lines (`adduser -D -u ${{APP_UID}} ghost` on Alpine/BusyBox), then `devctl build`:\n    ARG APP_UID=1000\n    RUN useradd --create-home --uid ${{APP_UID}} ghost\n    USER ghost\n",
        e.name
    );
    assert!(err.ends_with(&tail), "{err}");
    assert!(e.containers().is_empty(), "{:?}", e.containers());
}

/// `[app].dockerfile_inline` (compose's `build.dockerfile_inline`): the
/// app is built from the text, with no Dockerfile in the project; `config
/// --check` reads the text (target, app user) and names it in errors; it
/// cannot be set with `dockerfile`.
#[test]
fn an_inline_app_dockerfile_builds_and_is_checked() {
    if !engine_ready() {
        return;
    }
    let e = TestProject::new(
        "inl",
        r#"dockerfile_inline = """
FROM devctl-fixture/busybox:1 AS app
ARG APP_UID=1000
RUN echo "inline $$APP_UID" > /inline-marker
USER app
""""#,
        "",
    );
    std::fs::remove_file(e.path().join("Dockerfile")).unwrap();
    e.ok(&["config", "--check"]);
    let (out, _) = e.ok(&["config"]);
    assert!(
        out.contains("dockerfile_inline: \"FROM devctl-fixture/busybox:1 AS app\\n"),
        "{out}"
    );
    assert!(!out.contains("dockerfile: Dockerfile"), "{out}");
    let _image = Images(vec![format!("{}-app:dev", e.name)]);
    e.ok(&["start"]);
    let (out, _) = e.ok(&["sh", "--", "cat", "/inline-marker"]);
    let uid = out
        .trim()
        .strip_prefix("inline ")
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        uid.parse::<u32>().is_ok(),
        "APP_UID reached the inline text: {out}"
    );
    // a second build sends nothing: the text is part of the stamp
    let (_, err) = e.ok(&["build"]);
    assert!(err.contains("Up to date"), "{err}");

    // the checks read the text and point into devctl.toml
    let toml = std::fs::read_to_string(e.path().join("devctl.toml")).unwrap();
    e.write("devctl.toml", &toml.replace("AS app", "AS other"));
    let (_, err) = e.code(&["config", "--check"], 2);
    assert_eq!(
        err,
        "error: [app].dockerfile_inline in devctl.toml: no build stage named `app` ([app].target in devctl.toml): add `FROM … AS app` or change the target\n"
    );
    e.write(
        "devctl.toml",
        &toml.replace(
            "target = \"app\"",
            "target = \"app\"\ndockerfile = \"Dockerfile\"",
        ),
    );
    let (_, err) = e.code(&["config", "--check"], 2);
    assert!(
        err.starts_with("error: devctl.toml:")
            && err.contains("[app] sets both `dockerfile` and `dockerfile_inline`: keep one"),
        "{err}"
    );
}
