//! Issue 15's no-change build: a `build` whose Dockerfile, settings and
//! context files are those of the last successful build of an image that
//! still exists sends nothing and says "up to date".

use crate::e2e_support::{docker, engine_ready, TestProject};

fn build(t: &TestProject, args: &[&str]) -> String {
    let mut a = vec!["build"];
    a.extend_from_slice(args);
    let (_, err) = t.ok(&a);
    err
}

#[test]
fn an_unchanged_build_is_skipped_until_an_input_changes() {
    if !engine_ready() {
        return;
    }
    let t = TestProject::new("stamp", "", "");
    t.write(".dockerignore", ".devctl\nignored.txt\n");
    t.write("ignored.txt", "one\n");
    let image = format!("{}-app:dev", t.name);
    let built = format!(" Image {image}  Built");
    let fresh = format!(" Image {image}  Up to date\n");
    assert!(build(&t, &[]).contains(&built));
    assert_eq!(build(&t, &[]), fresh, "nothing changed: no build");
    // a new mtime with the same content, or a change to an ignored file: still up to date
    let f = std::fs::File::options()
        .write(true)
        .open(t.path().join("index.html"))
        .unwrap();
    f.set_modified(std::time::SystemTime::UNIX_EPOCH).unwrap();
    t.write("ignored.txt", "two\n");
    assert_eq!(build(&t, &[]), fresh);
    // a changed file of the context, a changed setting, a removed image, --no-cache: built
    t.write("index.html", "changed\n");
    assert!(build(&t, &[]).contains(&built));
    assert_eq!(build(&t, &[]), fresh);
    let toml = std::fs::read_to_string(t.path().join("devctl.toml")).unwrap();
    t.write(
        "devctl.toml",
        &format!("{toml}\n[app.build_args]\nEXTRA = \"1\"\n"),
    );
    assert!(build(&t, &[]).contains(&built));
    // --no-prune: the untagged parent layers are the build cache other tests
    // build on at the same time (removing them fails their builds)
    assert!(docker(&["rmi", "--no-prune", "-f", &image])
        .status
        .success());
    assert!(build(&t, &[]).contains(&built));
    assert!(build(&t, &["--no-cache"]).contains(&built));
    assert_eq!(build(&t, &[]), fresh);
    // start builds nothing either
    let (_, err) = t.ok(&["start"]);
    assert!(!err.contains("Built"), "{err}");
}
