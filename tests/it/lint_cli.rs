//! `devctl lint-dockerfile`: formats, exit codes, config, pragmas, bad input.
//!
//! Findings used: DL1000 (an unknown instruction or a parse error) and
//! DL1001 (an inline pragma; hidden by default, made visible with
//! `--warning DL1001` etc.), so these tests depend on the driver only.

use indoc::indoc;
use serde_json::Value;

use crate::support::{corpus, files_under, Done, Project, Run};

/// Runs devctl with HOME and XDG_CONFIG_HOME inside the temp project, so
/// that the user's own hadolint config cannot leak into the tests.
trait Hermetic {
    fn lint(&self, args: &[&str]) -> Run;
}

impl Hermetic for Project {
    fn lint(&self, args: &[&str]) -> Run {
        let home = self.path().join("home");
        self.devctl(args)
            .env("HOME", home.to_str().unwrap())
            .env("XDG_CONFIG_HOME", home.join(".config").to_str().unwrap())
    }
}

/// An unknown instruction on line 2, column 1.
const BAD: &str = "FROM alpine:3.19\nFROMM x\n";
const CLEAN: &str = "FROM alpine:3.19\nUSER 1000\n";
/// An inline pragma on line 2 (DL1001 there when made visible).
const PRAGMA: &str = "FROM alpine:3.19\n# hadolint ignore=DL3002\nUSER 1000\n";

fn no_panic(d: &Done) {
    assert!(!d.stderr().contains("panicked"), "{}", d.stderr());
}

fn json(d: &Done) -> Value {
    serde_json::from_str(&d.stdout()).unwrap_or_else(|e| panic!("{e}: {}", d.stdout()))
}

#[test]
fn tty_default_format_shows_position_snippet_and_caret() {
    let p = Project::new().file("Dockerfile", BAD);
    let d = p
        .lint(&["lint-dockerfile"])
        .status(1)
        .stdout(indoc! {"
            Dockerfile:2:1 error DL1000 unexpected 'FROMM' expecting ADD, ARG, CMD, COPY, ENTRYPOINT, ENV, EXPOSE, FROM, HEALTHCHECK, LABEL, MAINTAINER, ONBUILD, RUN, SHELL, STOPSIGNAL, USER, VOLUME or WORKDIR
             2 | FROMM x
               | ^
        "})
        .run();
    assert!(!d.stdout().contains('\x1b'), "no colour when piped");
}

#[test]
fn tty_colour_with_color_always_and_not_with_no_color_config() {
    let p = Project::new().file("Dockerfile", BAD);
    p.lint(&["--color", "always", "lint-dockerfile"])
        .status(1)
        .stdout("Dockerfile:2:1 \u{1b}[1;31merror\u{1b}[0m \u{1b}[1mDL1000\u{1b}[0m unexpected 'FROMM' expecting ADD, ARG, CMD, COPY, ENTRYPOINT, ENV, EXPOSE, FROM, HEALTHCHECK, LABEL, MAINTAINER, ONBUILD, RUN, SHELL, STOPSIGNAL, USER, VOLUME or WORKDIR\n 2 | FROMM x\n   | \u{1b}[1;31m^\u{1b}[0m\n")
        .run();
    let p = p.file(".hadolint.yaml", "no-color: true\n");
    let d = p.lint(&["lint-dockerfile"]).status(1)
        .stdout(indoc! {"
            Dockerfile:2:1 error DL1000 unexpected 'FROMM' expecting ADD, ARG, CMD, COPY, ENTRYPOINT, ENV, EXPOSE, FROM, HEALTHCHECK, LABEL, MAINTAINER, ONBUILD, RUN, SHELL, STOPSIGNAL, USER, VOLUME or WORKDIR
             2 | FROMM x
               | ^
        "})
        .run();
    assert!(!d.stdout().contains('\x1b'));
}

#[test]
fn json_format_is_hadolints() {
    let p = Project::new().file("Dockerfile", BAD);
    let d = p.lint(&["lint-dockerfile", "--format", "json"]).status(1)
        .stdout("[{\"code\":\"DL1000\",\"column\":1,\"file\":\"Dockerfile\",\"level\":\"error\",\"line\":2,\"message\":\"unexpected 'FROMM' expecting ADD, ARG, CMD, COPY, ENTRYPOINT, ENV, EXPOSE, FROM, HEALTHCHECK, LABEL, MAINTAINER, ONBUILD, RUN, SHELL, STOPSIGNAL, USER, VOLUME or WORKDIR\"}]\n")
        .run();
    let v = json(&d);
    assert_eq!(v.as_array().unwrap().len(), 1);
    assert_eq!(v[0]["code"], "DL1000");
    assert_eq!(v[0]["file"], "Dockerfile");
    assert_eq!(v[0]["line"], 2);
    assert_eq!(v[0]["column"], 1);
    assert_eq!(v[0]["level"], "error");
    assert!(d.stdout().starts_with(
        r#"[{"code":"DL1000","column":1,"file":"Dockerfile","level":"error","line":2,"message":"#
    ));
    let d = p
        .file("Dockerfile", CLEAN)
        .lint(&["lint-dockerfile", "--format", "json"])
        .stdout("[]\n")
        .run();
    assert_eq!(d.stdout(), "[]\n");
}

#[test]
fn sarif_format_structure() {
    let p = Project::new().file("Dockerfile", BAD);
    let d = p
        .lint(&["lint-dockerfile", "--format", "sarif"])
        .status(1)
        .stdout_snapshot("lint_cli__sarif_format_structure_sarif")
        .run();
    let v = json(&d);
    assert_eq!(v["version"], "2.1.0");
    assert!(v["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
    let run = &v["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "devctl");
    let rules = driver["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert!(
        ids.contains(&"DL1000") && ids.contains(&"DL1001"),
        "{ids:?}"
    );
    assert!(rules
        .iter()
        .all(|r| r["shortDescription"]["text"].is_string()));
    let r = &run["results"][0];
    assert_eq!(r["ruleId"], "DL1000");
    assert_eq!(r["level"], "error");
    assert!(r["message"]["text"].as_str().unwrap().contains("FROMM"));
    let loc = &r["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "Dockerfile");
    assert_eq!(loc["region"]["startLine"], 2);
    assert_eq!(loc["region"]["startColumn"], 1);
}

#[test]
fn checkstyle_format() {
    let p = Project::new().file("Dockerfile", "FROM a\n<b> \"&\"\n");
    p.lint(&["lint-dockerfile", "--format", "checkstyle"])
        .status(1)
        .stdout(indoc! {r#"
            <?xml version="1.0" encoding="UTF-8"?>
            <checkstyle version="4.3">
            <file name="Dockerfile">
            <error line="2" column="1" severity="error" message="unexpected &apos;&lt;b&gt;&apos; expecting ADD, ARG, CMD, COPY, ENTRYPOINT, ENV, EXPOSE, FROM, HEALTHCHECK, LABEL, MAINTAINER, ONBUILD, RUN, SHELL, STOPSIGNAL, USER, VOLUME or WORKDIR" source="DL1000"/>
            </file>
            </checkstyle>
        "#})
        .run();
}

#[test]
fn gnu_format() {
    let p = Project::new().file("Dockerfile", BAD);
    p.lint(&["lint-dockerfile", "--format", "gnu"])
        .status(1)
        .stdout("Dockerfile:2:1: error: DL1000 unexpected 'FROMM' expecting ADD, ARG, CMD, COPY, ENTRYPOINT, ENV, EXPOSE, FROM, HEALTHCHECK, LABEL, MAINTAINER, ONBUILD, RUN, SHELL, STOPSIGNAL, USER, VOLUME or WORKDIR\n")
        .run();
}

#[test]
fn format_from_config_and_flag_wins() {
    let p = Project::new()
        .file("Dockerfile", BAD)
        .file(".hadolint.yaml", "format: gnu\n");
    p.lint(&["lint-dockerfile"])
        .status(1)
        .stdout("Dockerfile:2:1: error: DL1000 unexpected 'FROMM' expecting ADD, ARG, CMD, COPY, ENTRYPOINT, ENV, EXPOSE, FROM, HEALTHCHECK, LABEL, MAINTAINER, ONBUILD, RUN, SHELL, STOPSIGNAL, USER, VOLUME or WORKDIR\n")
        .run();
    let d = p.lint(&["lint-dockerfile", "--format", "json"]).status(1)
        .stdout("[{\"code\":\"DL1000\",\"column\":1,\"file\":\"Dockerfile\",\"level\":\"error\",\"line\":2,\"message\":\"unexpected 'FROMM' expecting ADD, ARG, CMD, COPY, ENTRYPOINT, ENV, EXPOSE, FROM, HEALTHCHECK, LABEL, MAINTAINER, ONBUILD, RUN, SHELL, STOPSIGNAL, USER, VOLUME or WORKDIR\"}]\n")
        .run();
    assert_eq!(json(&d)[0]["code"], "DL1000");
}

#[test]
fn exit_codes_and_thresholds() {
    let p = Project::new().file("Dockerfile", PRAGMA);
    // clean (DL1001 hidden by default)
    let d = p.lint(&["lint-dockerfile"]).run();
    assert_eq!(d.stdout(), "");
    // a warning fails at the default threshold (info) …
    p.lint(&["lint-dockerfile", "--warning", "DL1001"])
        .status(1)
        .stdout(indoc! {"
            Dockerfile:2:1 warning DL1001 Please refrain from using inline ignore pragmas `# hadolint ignore=DLxxxx`.
             2 | # hadolint ignore=DL3002
               | ^
        "})
        .run();
    // … and at warning, not at error
    p.lint(&["lint-dockerfile", "--warning", "DL1001", "-t", "warning"])
        .status(1)
        .stdout(indoc! {"
            Dockerfile:2:1 warning DL1001 Please refrain from using inline ignore pragmas `# hadolint ignore=DLxxxx`.
             2 | # hadolint ignore=DL3002
               | ^
        "})
        .run();
    p.lint(&[
        "lint-dockerfile",
        "--warning",
        "DL1001",
        "--failure-threshold",
        "error",
    ])
        .stdout(indoc! {"
            Dockerfile:2:1 warning DL1001 Please refrain from using inline ignore pragmas `# hadolint ignore=DLxxxx`.
             2 | # hadolint ignore=DL3002
               | ^
        "})
        .run();
    // style is below the default threshold
    p.lint(&["lint-dockerfile", "--style", "DL1001"])
        .stdout(indoc! {"
            Dockerfile:2:1 style DL1001 Please refrain from using inline ignore pragmas `# hadolint ignore=DLxxxx`.
             2 | # hadolint ignore=DL3002
               | ^
        "})
        .run();
    p.lint(&["lint-dockerfile", "--style", "DL1001", "-t", "style"])
        .status(1)
        .stdout(indoc! {"
            Dockerfile:2:1 style DL1001 Please refrain from using inline ignore pragmas `# hadolint ignore=DLxxxx`.
             2 | # hadolint ignore=DL3002
               | ^
        "})
        .run();
    // none: never fails
    p.lint(&["lint-dockerfile", "--error", "DL1001", "-t", "none"])
        .stdout(indoc! {"
            Dockerfile:2:1 error DL1001 Please refrain from using inline ignore pragmas `# hadolint ignore=DLxxxx`.
             2 | # hadolint ignore=DL3002
               | ^
        "})
        .run();
    // a bad threshold is a usage error
    let d = p
        .lint(&["lint-dockerfile", "-t", "loud"])
        .status(2)
        .stderr(indoc! {"
            error: invalid value 'loud' for '--failure-threshold <LEVEL>'
              [possible values: error, warning, info, style, ignore, none]

            For more information, try '--help'.
        "})
        .run();
    assert!(d.stderr().contains("loud"));
}

#[test]
fn no_fail_exits_zero_but_reports() {
    let p = Project::new().file("Dockerfile", BAD);
    p.lint(&["lint-dockerfile", "--no-fail"])
        .stdout(indoc! {"
            Dockerfile:2:1 error DL1000 unexpected 'FROMM' expecting ADD, ARG, CMD, COPY, ENTRYPOINT, ENV, EXPOSE, FROM, HEALTHCHECK, LABEL, MAINTAINER, ONBUILD, RUN, SHELL, STOPSIGNAL, USER, VOLUME or WORKDIR
             2 | FROMM x
               | ^
        "})
        .run();
    let p = p.file(".hadolint.yaml", "no-fail: true\n");
    p.lint(&["lint-dockerfile"])
        .stdout(indoc! {"
            Dockerfile:2:1 error DL1000 unexpected 'FROMM' expecting ADD, ARG, CMD, COPY, ENTRYPOINT, ENV, EXPOSE, FROM, HEALTHCHECK, LABEL, MAINTAINER, ONBUILD, RUN, SHELL, STOPSIGNAL, USER, VOLUME or WORKDIR
             2 | FROMM x
               | ^
        "})
        .run();
}

#[test]
fn ignore_flag_drops_a_rule() {
    let p = Project::new().file("Dockerfile", PRAGMA);
    p.lint(&[
        "lint-dockerfile",
        "--warning",
        "DL1001",
        "--ignore",
        "DL1001",
    ])
    .run();
}

#[test]
fn stdin_dash() {
    let p = Project::new();
    let d = p
        .lint(&["lint-dockerfile", "--format", "json", "-"])
        .stdin(BAD)
        .status(1)
        .stdout("[{\"code\":\"DL1000\",\"column\":1,\"file\":\"-\",\"level\":\"error\",\"line\":2,\"message\":\"unexpected 'FROMM' expecting ADD, ARG, CMD, COPY, ENTRYPOINT, ENV, EXPOSE, FROM, HEALTHCHECK, LABEL, MAINTAINER, ONBUILD, RUN, SHELL, STOPSIGNAL, USER, VOLUME or WORKDIR\"}]\n")
        .run();
    assert_eq!(json(&d)[0]["file"], "-");
    p.lint(&["lint-dockerfile", "-"])
        .stdin(BAD)
        .status(1)
        .stdout(indoc! {"
            -:2:1 error DL1000 unexpected 'FROMM' expecting ADD, ARG, CMD, COPY, ENTRYPOINT, ENV, EXPOSE, FROM, HEALTHCHECK, LABEL, MAINTAINER, ONBUILD, RUN, SHELL, STOPSIGNAL, USER, VOLUME or WORKDIR
             2 | FROMM x
               | ^
        "})
        .run();
    p.lint(&["lint-dockerfile", "-"]).stdin(CLEAN).run();
}

#[test]
fn directory_is_searched_recursively() {
    let p = Project::new()
        .file("svc/a/Dockerfile", BAD)
        .file("svc/b/web.Dockerfile", BAD)
        .file("svc/b/Dockerfile.dev", CLEAN)
        .file("svc/b/Dockerfile.dockerignore", "FROMM\n")
        .file("svc/node_modules/x/Dockerfile", BAD)
        .file("svc/.hidden/Dockerfile", BAD)
        .file("svc/target/Dockerfile", BAD)
        .file("svc/README.md", "FROMM\n");
    let d = p
        .lint(&["lint-dockerfile", "--format", "json", "svc"])
        .status(1)
        .stdout("[{\"code\":\"DL1000\",\"column\":1,\"file\":\"svc/a/Dockerfile\",\"level\":\"error\",\"line\":2,\"message\":\"unexpected 'FROMM' expecting ADD, ARG, CMD, COPY, ENTRYPOINT, ENV, EXPOSE, FROM, HEALTHCHECK, LABEL, MAINTAINER, ONBUILD, RUN, SHELL, STOPSIGNAL, USER, VOLUME or WORKDIR\"},{\"code\":\"DL1000\",\"column\":1,\"file\":\"svc/b/web.Dockerfile\",\"level\":\"error\",\"line\":2,\"message\":\"unexpected 'FROMM' expecting ADD, ARG, CMD, COPY, ENTRYPOINT, ENV, EXPOSE, FROM, HEALTHCHECK, LABEL, MAINTAINER, ONBUILD, RUN, SHELL, STOPSIGNAL, USER, VOLUME or WORKDIR\"}]\n")
        .run();
    let mut files: Vec<String> = json(&d)
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file"].as_str().unwrap().to_string())
        .collect();
    files.sort();
    assert_eq!(files, vec!["svc/a/Dockerfile", "svc/b/web.Dockerfile"]);
    // several files: one document per format
    let d = p
        .lint(&["lint-dockerfile", "--format", "sarif", "svc"])
        .status(1)
        .stdout_snapshot("lint_cli__directory_is_searched_recursively_sarif")
        .run();
    let v = json(&d);
    assert_eq!(v["runs"].as_array().unwrap().len(), 1);
    assert_eq!(v["runs"][0]["results"].as_array().unwrap().len(), 2);
    let d = p
        .lint(&["lint-dockerfile", "--format", "checkstyle", "svc"])
        .status(1)
        .stdout(indoc! {r#"
            <?xml version="1.0" encoding="UTF-8"?>
            <checkstyle version="4.3">
            <file name="svc/a/Dockerfile">
            <error line="2" column="1" severity="error" message="unexpected &apos;FROMM&apos; expecting ADD, ARG, CMD, COPY, ENTRYPOINT, ENV, EXPOSE, FROM, HEALTHCHECK, LABEL, MAINTAINER, ONBUILD, RUN, SHELL, STOPSIGNAL, USER, VOLUME or WORKDIR" source="DL1000"/>
            </file>
            <file name="svc/b/Dockerfile.dev">
            </file>
            <file name="svc/b/web.Dockerfile">
            <error line="2" column="1" severity="error" message="unexpected &apos;FROMM&apos; expecting ADD, ARG, CMD, COPY, ENTRYPOINT, ENV, EXPOSE, FROM, HEALTHCHECK, LABEL, MAINTAINER, ONBUILD, RUN, SHELL, STOPSIGNAL, USER, VOLUME or WORKDIR" source="DL1000"/>
            </file>
            </checkstyle>
        "#})
        .run();
    assert_eq!(d.stdout().matches("<checkstyle").count(), 1);
    assert_eq!(d.stdout().matches("<file ").count(), 3);
    // an empty directory is a usage error
    let p = p.file("empty/README", "x");
    p.lint(&["lint-dockerfile", "empty"])
        .status(2)
        .stderr("error: empty: no Dockerfile found in this directory (looked for Dockerfile, *Dockerfile, *.dockerfile, Dockerfile.*)\n")
        .run();
}

#[test]
fn several_paths_and_the_failure_of_any() {
    let p = Project::new()
        .file("a/Dockerfile", CLEAN)
        .file("b/Dockerfile", BAD);
    p.lint(&["lint-dockerfile", "a/Dockerfile"]).run();
    p.lint(&["lint-dockerfile", "a/Dockerfile", "b/Dockerfile"])
        .status(1)
        .stdout(indoc! {"
            b/Dockerfile:2:1 error DL1000 unexpected 'FROMM' expecting ADD, ARG, CMD, COPY, ENTRYPOINT, ENV, EXPOSE, FROM, HEALTHCHECK, LABEL, MAINTAINER, ONBUILD, RUN, SHELL, STOPSIGNAL, USER, VOLUME or WORKDIR
             2 | FROMM x
               | ^
        "})
        .run();
}

#[test]
fn missing_paths_are_usage_errors_naming_the_path() {
    let p = Project::new();
    let d = p
        .lint(&["lint-dockerfile"])
        .status(2)
        .stderr("error: Dockerfile: no such file or directory (give the Dockerfile's path, a directory, or `-` for stdin)\n")
        .run();
    assert_eq!(d.stderr().matches("error:").count(), 1);
    p.lint(&["lint-dockerfile", "nope/Dockerfile.x"])
        .status(2)
        .stderr("error: nope/Dockerfile.x: no such file or directory (give the Dockerfile's path, a directory, or `-` for stdin)\n")
        .run();
    p.lint(&["lint-dockerfile", "--config", "missing.yaml", "-"])
        .stdin(CLEAN)
        .status(2)
        .stderr("error: --config [TMP]/missing.yaml: no such file\n")
        .run();
}

#[test]
fn project_dir_flag_is_the_base() {
    let p = Project::new().file("proj/Dockerfile", BAD);
    p.lint(&["-C", "proj", "lint-dockerfile"])
        .status(1)
        .stdout(indoc! {"
            Dockerfile:2:1 error DL1000 unexpected 'FROMM' expecting ADD, ARG, CMD, COPY, ENTRYPOINT, ENV, EXPOSE, FROM, HEALTHCHECK, LABEL, MAINTAINER, ONBUILD, RUN, SHELL, STOPSIGNAL, USER, VOLUME or WORKDIR
             2 | FROMM x
               | ^
        "})
        .run();
}

#[test]
fn pragma_inline_and_global_ignore() {
    // two stacked pragmas: the first covers the line below it (the second
    // pragma's DL1001)
    let src = "FROM a:1\n# hadolint ignore=DL1001\n# hadolint ignore=DL3002\nUSER 1000\n";
    let p = Project::new().file("Dockerfile", src);
    let d = p
        .lint(&["lint-dockerfile", "--format", "json", "--warning", "DL1001"])
        .status(1)
        .stdout("[{\"code\":\"DL1001\",\"column\":1,\"file\":\"Dockerfile\",\"level\":\"warning\",\"line\":2,\"message\":\"Please refrain from using inline ignore pragmas `# hadolint ignore=DLxxxx`.\"}]\n")
        .run();
    let v = json(&d);
    let lines: Vec<u64> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, vec![2]);
    // global ignore
    let p = p.file(
        "Dockerfile",
        "FROM a:1\n# hadolint ignore=DL3002\nUSER 1000\n# hadolint global ignore=DL1001\n",
    );
    p.lint(&["lint-dockerfile", "--warning", "DL1001"]).run();
    // --disable-ignore-pragma: the global pragma no longer applies
    p.lint(&[
        "lint-dockerfile",
        "--warning",
        "DL1001",
        "--disable-ignore-pragma",
    ])
    .status(1)
        .stdout(indoc! {"
            Dockerfile:2:1 warning DL1001 Please refrain from using inline ignore pragmas `# hadolint ignore=DLxxxx`.
             2 | # hadolint ignore=DL3002
               | ^
        "})
        .run();
    let p = p.file(".hadolint.yaml", "disable-ignore-pragma: true\n");
    p.lint(&["lint-dockerfile", "--warning", "DL1001"]).status(1)
        .stdout(indoc! {"
            Dockerfile:2:1 warning DL1001 Please refrain from using inline ignore pragmas `# hadolint ignore=DLxxxx`.
             2 | # hadolint ignore=DL3002
               | ^
        "})
        .run();
}

#[test]
fn hadolint_yaml_and_devctl_toml_precedence() {
    let p = Project::new().file("Dockerfile", PRAGMA).file(
        ".hadolint.yaml",
        "override:\n  error: [DL1001]\nfailure-threshold: style\n",
    );
    // .hadolint.yaml alone
    p.lint(&["lint-dockerfile"])
        .status(1)
        .stdout(indoc! {"
            Dockerfile:2:1 error DL1001 Please refrain from using inline ignore pragmas `# hadolint ignore=DLxxxx`.
             2 | # hadolint ignore=DL3002
               | ^
        "})
        .run();
    // devctl.toml [lint] wins over .hadolint.yaml
    let p = p.file(
        "devctl.toml",
        "[project]\nname = \"demo\"\n\n[lint]\nfailure-threshold = \"error\"\n\n[lint.override]\nwarning = [\"DL1001\"]\n",
    );
    p.lint(&["lint-dockerfile"])
        .stdout(indoc! {"
            Dockerfile:2:1 warning DL1001 Please refrain from using inline ignore pragmas `# hadolint ignore=DLxxxx`.
             2 | # hadolint ignore=DL3002
               | ^
        "})
        .run();
    // flags win over both
    p.lint(&["lint-dockerfile", "-t", "warning"]).status(1)
        .stdout(indoc! {"
            Dockerfile:2:1 warning DL1001 Please refrain from using inline ignore pragmas `# hadolint ignore=DLxxxx`.
             2 | # hadolint ignore=DL3002
               | ^
        "})
        .run();
    p.lint(&["lint-dockerfile", "--info", "DL1001", "-t", "info"])
        .status(1)
        .stdout(indoc! {"
            Dockerfile:2:1 info DL1001 Please refrain from using inline ignore pragmas `# hadolint ignore=DLxxxx`.
             2 | # hadolint ignore=DL3002
               | ^
        "})
        .run();
    // devctl.toml found from a subdirectory (the project root), .yml variant
    let p = Project::new()
        .file("sub/Dockerfile", PRAGMA)
        .file("devctl.toml", "[lint]\nignored = [\"DL1001\"]\n")
        .file("sub/.hadolint.yml", "override:\n  error: [DL1001]\n");
    p.lint(&["-C", "sub", "lint-dockerfile"]).run();
}

#[test]
fn explicit_config_flag() {
    let p = Project::new()
        .file("Dockerfile", PRAGMA)
        .file("conf/lint.yaml", "override:\n  warning: [DL1001]\n")
        .file(".hadolint.yaml", "ignored: [DL1001]\n");
    p.lint(&["lint-dockerfile", "--config", "conf/lint.yaml"])
        .status(1)
        .stdout(indoc! {"
            Dockerfile:2:1 warning DL1001 Please refrain from using inline ignore pragmas `# hadolint ignore=DLxxxx`.
             2 | # hadolint ignore=DL3002
               | ^
        "})
        .run();
}

#[test]
fn unknown_config_keys_exit_2_with_file_line_and_key() {
    let p = Project::new().file("Dockerfile", CLEAN).file(
        ".hadolint.yaml",
        "ignored: [DL3008]\ntrustedRegistry: [a.io]\n",
    );
    let d = p
        .lint(&["lint-dockerfile"])
        .status(2)
        .stderr("error: .hadolint.yaml:2:1: unknown field `trustedRegistry`, expected one of `ignored`, `trusted-registries`, `trustedRegistries`, `override`, `failure-threshold`, `label-schema`, `strict-labels`, `disable-ignore-pragma`, `no-fail`, `no-color`, `format`, `verbose`, `shellcheck-timeout` (see the hadolint configuration keys: ignored, trustedRegistries, override, failure-threshold, label-schema, strict-labels, disable-ignore-pragma, no-fail, no-color, format, and devctl's shellcheck-timeout)\n")
        .run();
    assert_eq!(d.stdout(), "");
    let p = Project::new().file("Dockerfile", CLEAN).file(
        "devctl.toml",
        "[project]\nname = \"x\"\n\n[lint]\nno_fail = true\n",
    );
    p.lint(&["lint-dockerfile"])
        .status(2)
        .stderr("error: devctl.toml:5:1: unknown field `no_fail`, expected one of `ignored`, `trusted-registries`, `trustedRegistries`, `override`, `failure-threshold`, `label-schema`, `strict-labels`, `disable-ignore-pragma`, `no-fail`, `no-color`, `format`, `verbose`, `shellcheck-timeout`\n")
        .run();
    let p = Project::new()
        .file("Dockerfile", CLEAN)
        .file(".hadolint.yaml", "failure-threshold: loud\n");
    p.lint(&["lint-dockerfile"])
        .status(2)
        .stderr("error: .hadolint.yaml:1:1: invalid value: string \"loud\", expected one of error, warning, info, style, ignore, none (see the hadolint configuration keys: ignored, trustedRegistries, override, failure-threshold, label-schema, strict-labels, disable-ignore-pragma, no-fail, no-color, format, and devctl's shellcheck-timeout)\n")
        .run();
}

#[test]
fn require_label_flag_is_validated() {
    let p = Project::new().file("Dockerfile", CLEAN);
    p.lint(&["lint-dockerfile", "--require-label", "maintainer:text"])
        .status(1)
        .stdout(indoc! {"
            Dockerfile:1:1 info DL3049 Label `maintainer` is missing.
             1 | FROM alpine:3.19
               | ^
        "})
        .run();
    let p = p.file(
        "Dockerfile",
        "FROM alpine:3.19\nLABEL maintainer=me other=x\nUSER 1000\n",
    );
    p.lint(&["lint-dockerfile", "--require-label", "maintainer:text"])
        .run();
    p.lint(&[
        "lint-dockerfile",
        "--require-label",
        "maintainer:text",
        "--strict-labels",
    ])
    .status(1)
    .stdout(indoc! {"
            Dockerfile:2:1 info DL3050 Superfluous label(s) present.
             2 | LABEL maintainer=me other=x
               | ^
        "})
    .run();
    p.lint(&["lint-dockerfile", "--require-label", "maintainer:colour"])
        .status(2)
        .stderr(indoc! {"
            error: invalid value 'maintainer:colour' for '--require-label <NAME:TYPE>': `maintainer:colour`: unknown type `colour`; use text, url, rfc3339, spdx, hash, semver or email

            For more information, try '--help'.
        "})
        .run();
}

#[test]
fn bad_input_is_a_finding_never_a_crash() {
    let cases: Vec<(&str, Vec<u8>, usize, &str, &str)> = vec![
        (
            "binary",
            b"\x7fELF\x02\x01\x01\x00\x00\xff\xfe\x00".to_vec(),
            1,
            "UTF-8",
            "[{\"code\":\"DL1000\",\"column\":10,\"file\":\"Dockerfile\",\"level\":\"error\",\"line\":1,\"message\":\"invalid UTF-8 (byte 0xff at offset 9): a Dockerfile must be UTF-8 text; is this a binary file?\"}]\n",
        ),
        (
            "invalid utf-8",
            b"FROM a\nRUN echo \xe9t\xe9\n".to_vec(),
            2,
            "UTF-8",
            "[{\"code\":\"DL1000\",\"column\":10,\"file\":\"Dockerfile\",\"level\":\"error\",\"line\":2,\"message\":\"invalid UTF-8 (byte 0xe9 at offset 16): a Dockerfile must be UTF-8 text; is this a binary file?\"}]\n",
        ),
        (
            "10 MB line",
            format!("FROM a\nRUN {}\n", "x".repeat(10 * 1024 * 1024)).into_bytes(),
            2,
            "max allowed size",
            "[{\"code\":\"DL1000\",\"column\":1,\"file\":\"Dockerfile\",\"level\":\"error\",\"line\":2,\"message\":\"dockerfile line greater than max allowed size of 65535\"}]\n",
        ),
        (
            "unterminated heredoc",
            b"FROM a\nRUN <<EOF\necho hi\n".to_vec(),
            2,
            "heredoc",
            "[{\"code\":\"DL1000\",\"column\":1,\"file\":\"Dockerfile\",\"level\":\"error\",\"line\":2,\"message\":\"unterminated heredoc: no line `EOF` ends it\"}]\n",
        ),
        ("empty", Vec::new(), 1, "no instructions", "[{\"code\":\"DL1000\",\"column\":1,\"file\":\"Dockerfile\",\"level\":\"error\",\"line\":1,\"message\":\"file with no instructions\"}]\n"),
        ("nul bytes", b"\0\0\0\n".to_vec(), 1, "unexpected", "[{\"code\":\"DL1000\",\"column\":1,\"file\":\"Dockerfile\",\"level\":\"error\",\"line\":1,\"message\":\"unexpected '\\\\0\\\\0\\\\0' expecting ADD, ARG, CMD, COPY, ENTRYPOINT, ENV, EXPOSE, FROM, HEALTHCHECK, LABEL, MAINTAINER, ONBUILD, RUN, SHELL, STOPSIGNAL, USER, VOLUME or WORKDIR\"}]\n"),
    ];
    for (what, bytes, line, msg, exact) in cases {
        let p = Project::new().file("Dockerfile", &bytes);
        let d = p
            .lint(&["lint-dockerfile", "--format", "json"])
            .status(1)
            .stdout(exact)
            .run();
        no_panic(&d);
        let v = json(&d);
        assert_eq!(v[0]["code"], "DL1000", "{what}");
        assert_eq!(v[0]["line"], line as u64, "{what}");
        assert!(
            v[0]["message"].as_str().unwrap().contains(msg),
            "{what}: {v}"
        );
        // every format survives it
        for fmt in ["tty", "sarif", "checkstyle", "gnu"] {
            // What each format prints is matched by the format tests; here:
            // no crash, exit 1, nothing on stderr, bounded output.
            let d = p
                .lint(&["lint-dockerfile", "--format", fmt])
                .status(1)
                .stdout_any()
                .run();
            no_panic(&d);
            // the 10 MB line is not echoed back
            assert!(d.stdout().len() < 64 * 1024, "{what} {fmt}: output bounded");
        }
    }
}

#[test]
fn unterminated_json_array_is_handled() {
    // BuildKit falls back to the shell form: no crash, a normal lint run.
    let p = Project::new().file("Dockerfile", "FROM a:1\nCMD [\"echo\", \"hi\"\n");
    let d = p.lint(&["lint-dockerfile", "--format", "json"]).status(1)
        .stdout("[{\"code\":\"DC1001\",\"column\":1,\"file\":\"Dockerfile\",\"level\":\"warning\",\"line\":1,\"message\":\"The final stage sets no USER, so the container runs as root: add `USER <non-root user>` (create one with useradd/adduser if the image has none)\"},{\"code\":\"DL3025\",\"column\":1,\"file\":\"Dockerfile\",\"level\":\"warning\",\"line\":2,\"message\":\"Use arguments JSON notation for CMD and ENTRYPOINT arguments (BuildKit check: JSONArgsRecommended)\"}]\n")
        .run();
    no_panic(&d);
    assert!(matches!(d.output.status.code(), Some(0 | 1)));
    json(&d);
}

#[test]
fn broken_pipe_is_not_an_error() {
    use std::process::Stdio;
    let p = Project::new().file("Dockerfile", "FROMM\n".repeat(20000));
    // The reader goes away before the end: the builder prepares the run,
    // the test spawns it and closes stdout.
    let mut child = p
        .devctl(&["lint-dockerfile"])
        .command()
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked") && !err.contains("error"), "{err}");
}

#[test]
fn whole_corpus_in_every_format() {
    let Some(c) = corpus() else { return };
    // the real-world Dockerfiles and BuildKit's parser cases (negative ones
    // included)
    let dirs = [c.join("dockerfiles"), c.join("buildkit-parser")];
    let dirs: Vec<&str> = dirs.iter().map(|d| d.to_str().unwrap()).collect();
    let p = Project::new();
    for fmt in [
        "tty",
        "json",
        "sarif",
        "checkstyle",
        "gnu",
        "codeclimate",
        "gitlab_codeclimate",
        "codacy",
        "sonarqube",
        "junit",
    ] {
        // ShellCheck on hundreds of files takes minutes: tested on its own
        let mut args = vec!["lint-dockerfile", "--no-shellcheck", "--format", fmt];
        args.extend(&dirs);
        // codeclimate and codacy never fail (hadolint's rule)
        let status = if fmt == "codeclimate" || fmt == "codacy" {
            0
        } else {
            1
        };
        // The report on a corpus kept outside the repo: its checks are the
        // exit code, no panic, nothing on stderr and JSON that parses.
        let d = p.lint(&args).status(status).stdout_any().run();
        no_panic(&d);
        assert!(
            matches!(d.output.status.code(), Some(0 | 1)),
            "{fmt}: {:?}\n{}",
            d.output.status,
            d.stderr()
        );
        if ["json", "sarif", "gitlab_codeclimate", "sonarqube"].contains(&fmt) {
            json(&d);
        }
    }
}

#[test]
fn parallel_report_is_the_sequential_one() {
    let Some(c) = corpus() else { return };
    let dir = c.join("dockerfiles");
    let p = Project::new();
    for fmt in ["tty", "json", "sarif"] {
        let run = |jobs: &str| {
            let d = p
                .lint(&[
                    "lint-dockerfile",
                    "--no-shellcheck",
                    "-j",
                    jobs,
                    "--format",
                    fmt,
                    dir.to_str().unwrap(),
                ])
                .status(1)
                // compared between job counts below
                .stdout_any()
                .run();
            d.stdout()
        };
        let one = run("1");
        assert!(one.len() > 10_000, "{fmt}: the corpus has findings");
        assert_eq!(run("4"), one, "{fmt}: -j4 differs from -j1");
        assert_eq!(run("3"), one, "{fmt}: -j3 differs from -j1");
    }
    p.lint(&["lint-dockerfile", "-j", "0", dir.to_str().unwrap()])
        .status(2)
        .stderr(indoc! {"
            error: invalid value '0' for '--jobs <N>': 0 is not in 1..=65535

            For more information, try '--help'.
        "})
        .run();
}

// ---- with the real rules (DL3006 untagged image [warning], DL4000
// MAINTAINER [error], the BuildKit check SecretsUsedInArgOrEnv [warning]) ----

#[test]
fn real_rules_levels_and_thresholds() {
    let p = Project::new().file("Dockerfile", "FROM ubuntu\nMAINTAINER me\nUSER 1000\n");
    let d = p.lint(&["lint-dockerfile", "--format", "json"]).status(1)
        .stdout("[{\"code\":\"DL3006\",\"column\":1,\"file\":\"Dockerfile\",\"level\":\"warning\",\"line\":1,\"message\":\"Always tag the version of an image explicitly\"},{\"code\":\"DL4000\",\"column\":1,\"file\":\"Dockerfile\",\"level\":\"error\",\"line\":2,\"message\":\"MAINTAINER is deprecated (BuildKit check: MaintainerDeprecated)\"}]\n")
        .run();
    let v = json(&d);
    let got: Vec<(String, String, u64)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["level"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("DL3006".into(), "warning".into(), 1),
            ("DL4000".into(), "error".into(), 2)
        ]
    );
    let p = p.file("Dockerfile", "FROM ubuntu\nUSER 1000\n");
    p.lint(&["lint-dockerfile", "-t", "warning"])
        .status(1)
        .stdout(indoc! {"
            Dockerfile:1:1 warning DL3006 Always tag the version of an image explicitly
             1 | FROM ubuntu
               | ^
        "})
        .run();
    p.lint(&["lint-dockerfile", "-t", "error"])
        .stdout(indoc! {"
            Dockerfile:1:1 warning DL3006 Always tag the version of an image explicitly
             1 | FROM ubuntu
               | ^
        "})
        .run();
}

#[test]
fn real_rules_pragmas() {
    let p = Project::new().file(
        "Dockerfile",
        "# hadolint ignore=DL3006\nFROM ubuntu\n# hadolint global ignore=DL4000\nMAINTAINER me\nUSER 1000\n",
    );
    let d = p.lint(&["lint-dockerfile"]).run();
    assert_eq!(d.stdout(), "");
    // a blank line between pragma and instruction breaks it (hadolint)
    let p = p.file(
        "Dockerfile",
        "# hadolint ignore=DL3006\n\nFROM ubuntu\nUSER 1000\n",
    );
    p.lint(&["lint-dockerfile"])
        .status(1)
        .stdout(indoc! {"
            Dockerfile:3:1 warning DL3006 Always tag the version of an image explicitly
             3 | FROM ubuntu
               | ^
        "})
        .run();
}

#[test]
fn real_rules_check_directive() {
    let src = "FROM ubuntu:24.04\nENV GPG_KEY=abc\nUSER 1000\n";
    let p = Project::new().file("Dockerfile", src);
    p.lint(&["lint-dockerfile"])
        .status(1)
        .stdout(indoc! {r#"
            Dockerfile:2:1 warning SecretsUsedInArgOrEnv Do not use ARG or ENV instructions for sensitive data (ENV "GPG_KEY")
             2 | ENV GPG_KEY=abc
               | ^
        "#})
        .run();
    let mut p = p;
    for directive in ["# check=skip=SecretsUsedInArgOrEnv\n", "# check=skip=all\n"] {
        p = p.file("Dockerfile", format!("{directive}{src}"));
        let d = p.lint(&["lint-dockerfile"]).run();
        assert_eq!(d.stdout(), "", "{directive}");
    }
    let p = p.file("Dockerfile", format!("# check=error=true\n{src}"));
    p.lint(&["lint-dockerfile", "-t", "error"])
        .status(1)
        .stdout(indoc! {r#"
            Dockerfile:3:1 error SecretsUsedInArgOrEnv Do not use ARG or ENV instructions for sensitive data (ENV "GPG_KEY")
             3 | ENV GPG_KEY=abc
               | ^
        "#})
        .run();
    // a DL finding that stands for a named check is skipped with it
    let p = p.file("Dockerfile", "FROM ubuntu:24.04\nUSER 1000\nCMD echo hi\n");
    p.lint(&["lint-dockerfile"]).status(1)
        .stdout(indoc! {"
            Dockerfile:3:1 warning DL3025 Use arguments JSON notation for CMD and ENTRYPOINT arguments (BuildKit check: JSONArgsRecommended)
             3 | CMD echo hi
               | ^
        "})
        .run();
    let p = p.file(
        "Dockerfile",
        "# check=skip=JSONArgsRecommended\nFROM ubuntu:24.04\nUSER 1000\nCMD echo hi\n",
    );
    p.lint(&["lint-dockerfile"]).run();
    // not a directive below the first instruction: no effect
    let p = p.file("Dockerfile", format!("{src}# check=skip=all\n"));
    p.lint(&["lint-dockerfile"])
        .status(1)
        .stdout(indoc! {r#"
            Dockerfile:2:1 warning SecretsUsedInArgOrEnv Do not use ARG or ENV instructions for sensitive data (ENV "GPG_KEY")
             2 | ENV GPG_KEY=abc
               | ^
        "#})
        .run();
}

#[test]
fn real_rules_config_precedence() {
    let p = Project::new()
        .file("Dockerfile", "FROM ubuntu\nUSER 1000\n")
        .file(".hadolint.yaml", "ignored: [DL3006]\n");
    p.lint(&["lint-dockerfile"]).run();
    let p = p
        .file(".hadolint.yaml", "override:\n  info: [DL3006]\n")
        .file("devctl.toml", "[lint]\nfailure-threshold = \"warning\"\n");
    // info < warning threshold (devctl.toml) → 0
    p.lint(&["lint-dockerfile"])
        .stdout(indoc! {"
            Dockerfile:1:1 info DL3006 Always tag the version of an image explicitly
             1 | FROM ubuntu
               | ^
        "})
        .run();
    // flag threshold wins
    p.lint(&["lint-dockerfile", "-t", "info"])
        .status(1)
        .stdout(indoc! {"
            Dockerfile:1:1 info DL3006 Always tag the version of an image explicitly
             1 | FROM ubuntu
               | ^
        "})
        .run();
    // flag override wins over the YAML override
    p.lint(&["lint-dockerfile", "--error", "DL3006"])
        .status(1)
        .stdout(indoc! {"
            Dockerfile:1:1 error DL3006 Always tag the version of an image explicitly
             1 | FROM ubuntu
               | ^
        "})
        .run();
}

#[test]
fn dockerignore_is_read_beside_the_dockerfile() {
    let lint = |p: &Project, status: i32, report: &str| {
        let d = p
            .lint(&["lint-dockerfile", "--format", "json", "app"])
            .status(status)
            .stdout(report)
            .run();
        no_panic(&d);
    };
    let p = Project::new()
        .file(
            "app/Dockerfile",
            "FROM python:3.12\nCOPY . /app\nUSER 1000\n",
        )
        .file("app/.env", "SECRET=1\n");
    // no .dockerignore: DC1003
    lint(&p, 1, "[{\"code\":\"DC1003\",\"column\":1,\"file\":\"app/Dockerfile\",\"level\":\"error\",\"line\":2,\"message\":\"The whole build context is copied and there is no .dockerignore: a `.env` file (and .git, node_modules…) ends up in the image; add a .dockerignore that lists `.env`\"}]\n");
    // .dockerignore excludes .env
    let p = p.file("app/.dockerignore", ".env\n");
    lint(&p, 0, "[]\n");
    // BuildKit: <Dockerfile>.dockerignore wins over .dockerignore, and this
    // one does not exclude .env
    let p = p.file("app/Dockerfile.dockerignore", "node_modules\n");
    lint(&p, 1, "[{\"code\":\"DC1003\",\"column\":1,\"file\":\"app/Dockerfile\",\"level\":\"error\",\"line\":2,\"message\":\"The whole build context is copied and .dockerignore does not exclude `.env`: its secrets end up in the image; add `.env` to .dockerignore\"}]\n");
}

#[test]
fn inline_pragma_with_several_codes_on_a_multiline_run() {
    let src = "FROM ubuntu:22.04\n# hadolint ignore=DL3008,DL3014, DL3015 # reviewed\nRUN apt-get update && \\\n    apt-get install curl && \\\n    rm -rf /var/lib/apt/lists/*\nUSER 1000\n";
    let p = Project::new().file("Dockerfile", src);
    let d = p.lint(&["lint-dockerfile", "--format", "gnu"]).run();
    no_panic(&d);
    for code in ["DL3008", "DL3014", "DL3015"] {
        assert!(!d.stdout().contains(code), "{code}:\n{}", d.stdout());
    }
    // without the pragma they are reported
    let p = p.file("Dockerfile", src.replace("# hadolint", "# not a pragma"));
    p.lint(&["lint-dockerfile", "--format", "gnu"])
        .status(1)
        .stdout(indoc! {"
            Dockerfile:3:1: warning: DL3008 Pin versions in apt get install. Instead of `apt-get install <package>` use `apt-get install <package>=<version>`
            Dockerfile:3:1: warning: DL3014 Use the `-y` switch to avoid manual input `apt-get -y install <package>`
            Dockerfile:3:1: info: DL3015 Avoid additional packages by specifying `--no-install-recommends`
        "})
        .run();
}

#[test]
fn shellcheck_findings_when_shellcheck_is_on_path() {
    let have = std::process::Command::new("shellcheck")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let src = "FROM ubuntu:22.04\nRUN echo $x\nWORKDIR /app\n# hadolint ignore=SC2086\nRUN echo $y\nUSER 1000\n";
    let p = Project::new().file("Dockerfile", src);
    let d = p.lint(&["lint-dockerfile", "--format", "json"]).status(1)
        .stdout("[{\"code\":\"SC2086\",\"column\":1,\"file\":\"Dockerfile\",\"level\":\"info\",\"line\":2,\"message\":\"Double quote to prevent globbing and word splitting.\"}]\n")
        .run();
    no_panic(&d);
    let sc: Vec<(String, u64)> = json(&d)
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"].as_str().unwrap().starts_with("SC"))
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    if have {
        // reported at the RUN line; the pragma hides it on the second RUN
        assert!(sc.contains(&("SC2086".to_string(), 2)), "{sc:?}");
        assert!(!sc.iter().any(|(c, l)| c == "SC2086" && *l == 5), "{sc:?}");
        p.lint(&[
            "lint-dockerfile",
            "--ignore",
            "SC2086",
            "--ignore",
            "SC2154",
        ])
        .run();
    } else {
        assert!(sc.is_empty(), "{sc:?}");
    }
    // --no-shellcheck: never SC findings
    let d = p
        .lint(&["lint-dockerfile", "--no-shellcheck", "--format", "json"])
        .stdout("[]\n")
        .run();
    assert_eq!(d.stdout(), "[]\n");
}

#[test]
fn user_config_locations() {
    let p = Project::new().file("Dockerfile", PRAGMA).file(
        "home/.config/hadolint.yaml",
        "override:\n  warning: [DL1001]\n",
    );
    p.lint(&["lint-dockerfile"])
        .status(1)
        .stdout(indoc! {"
            Dockerfile:2:1 warning DL1001 Please refrain from using inline ignore pragmas `# hadolint ignore=DLxxxx`.
             2 | # hadolint ignore=DL3002
               | ^
        "})
        .run();
    // ./.hadolint.yaml comes first
    let p = p.file(".hadolint.yaml", "override:\n  style: [DL1001]\n");
    p.lint(&["lint-dockerfile"])
        .stdout(indoc! {"
            Dockerfile:2:1 style DL1001 Please refrain from using inline ignore pragmas `# hadolint ignore=DLxxxx`.
             2 | # hadolint ignore=DL3002
               | ^
        "})
        .run();
    let p = Project::new()
        .file("Dockerfile", PRAGMA)
        .file("home/.hadolint.yaml", "override:\n  error: [DL1001]\n");
    p.lint(&["lint-dockerfile"])
        .status(1)
        .stdout(indoc! {"
            Dockerfile:2:1 error DL1001 Please refrain from using inline ignore pragmas `# hadolint ignore=DLxxxx`.
             2 | # hadolint ignore=DL3002
               | ^
        "})
        .run();
}

/// devctl's own Dockerfiles (the examples and the `init` templates) are
/// what we ask users to write: they must lint clean, every rule on.
#[test]
fn bundled_dockerfiles_lint_clean() {
    let compose = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("compose");
    let dockerfiles: Vec<String> = files_under(&compose)
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n == "Dockerfile"))
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    assert!(dockerfiles.len() >= 3, "{dockerfiles:?}");
    let mut args = vec!["lint-dockerfile"];
    args.extend(dockerfiles.iter().map(String::as_str));
    let done = Project::new().devctl(&args).run();
    assert_eq!(done.stdout(), "", "findings in bundled Dockerfiles");
}

/// A fake `shellcheck` (the only one on PATH) that answers `--version` and
/// otherwise starts a child and hangs.
fn hanging_shellcheck(p: &Project) -> (String, std::path::PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let bin = p.path().join("fakebin");
    std::fs::create_dir_all(&bin).unwrap();
    let pidfile = p.path().join("child.pid");
    let script = bin.join("shellcheck");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nif [ \"$1\" = --version ]; then echo 'version: 0.11.0'; exit 0; fi\n/bin/sleep 60 &\necho $! > {}\nwait\n",
            pidfile.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    (bin.to_string_lossy().into_owned(), pidfile)
}

#[test]
fn shellcheck_time_limit_reports_dc1008_and_the_other_rules() {
    let src = "FROM ubuntu:latest\nWORKDIR /app\nRUN echo $x\nRUN cd /tmp && ls\n";
    let p = Project::new().file("Dockerfile", src);
    let (bin, pidfile) = hanging_shellcheck(&p);
    let start = std::time::Instant::now();
    let d = p
        .lint(&[
            "lint-dockerfile",
            "--shellcheck-timeout",
            "0.5",
            "--format",
            "json",
        ])
        .env("PATH", &bin)
        .env_remove("DEVCTL_SHELLCHECK")
        .status(1)
        .stdout("[{\"code\":\"DC1001\",\"column\":1,\"file\":\"Dockerfile\",\"level\":\"warning\",\"line\":1,\"message\":\"The final stage sets no USER, so the container runs as root: add `USER <non-root user>` (create one with useradd/adduser if the image has none)\"},{\"code\":\"DL3007\",\"column\":1,\"file\":\"Dockerfile\",\"level\":\"warning\",\"line\":1,\"message\":\"Using latest is prone to errors if the image will ever update. Pin the version explicitly to a release tag\"},{\"code\":\"DC1008\",\"column\":1,\"file\":\"Dockerfile\",\"level\":\"warning\",\"line\":3,\"message\":\"ShellCheck did not finish this file's RUN scripts within 0.5 s and was stopped: no SC findings for this file (raise --shellcheck-timeout or `shellcheck-timeout` in the [lint] config)\"},{\"code\":\"DL3003\",\"column\":1,\"file\":\"Dockerfile\",\"level\":\"warning\",\"line\":4,\"message\":\"Use WORKDIR to switch to a directory\"}]\n")
        .run();
    // A bound on the wait, not a speed test: the fake sleeps 60 s.
    assert!(start.elapsed() < std::time::Duration::from_secs(30));
    let v = json(&d);
    let codes: Vec<(String, u64)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    // at the first RUN, and the DL rules still report
    assert!(codes.contains(&("DC1008".into(), 3)), "{codes:?}");
    assert!(codes.contains(&("DL3007".into(), 1)), "{codes:?}");
    assert!(codes.contains(&("DL3003".into(), 4)), "{codes:?}");
    let msg = v
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "DC1008")
        .unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        msg.contains("0.5 s") && msg.contains("--shellcheck-timeout"),
        "{msg}"
    );
    // the fake's child was killed with it
    let pid: i32 = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // Gone or a zombie (nobody may reap an orphan here), within a bounded
    // wait: SIGKILL is delivered, but exiting takes a moment.
    let alive = || {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        stat.rsplit_once(')')
            .is_some_and(|(_, rest)| !rest.trim_start().starts_with(['Z', 'X']))
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while alive() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let alive = alive();
    assert!(!alive, "shellcheck's child {pid} is still running");

    // The limit from devctl.toml's [lint]; DC1008 can be ignored like any rule.
    let p = p.file(
        "devctl.toml",
        "[lint]\nshellcheck-timeout = 0.5\nignored = [\"DC1008\"]\n",
    );
    let d = p
        .lint(&["lint-dockerfile", "--format", "json"])
        .env("PATH", &bin)
        .env_remove("DEVCTL_SHELLCHECK")
        .status(1)
        .stdout("[{\"code\":\"DC1001\",\"column\":1,\"file\":\"Dockerfile\",\"level\":\"warning\",\"line\":1,\"message\":\"The final stage sets no USER, so the container runs as root: add `USER <non-root user>` (create one with useradd/adduser if the image has none)\"},{\"code\":\"DL3007\",\"column\":1,\"file\":\"Dockerfile\",\"level\":\"warning\",\"line\":1,\"message\":\"Using latest is prone to errors if the image will ever update. Pin the version explicitly to a release tag\"},{\"code\":\"DL3003\",\"column\":1,\"file\":\"Dockerfile\",\"level\":\"warning\",\"line\":4,\"message\":\"Use WORKDIR to switch to a directory\"}]\n")
        .run();
    assert!(!d.stdout().contains("DC1008"), "{}", d.stdout());
    assert!(d.stdout().contains("DL3007"), "{}", d.stdout());
    // bad values are usage errors
    p.lint(&["lint-dockerfile", "--shellcheck-timeout", "0"])
        .status(2)
        .stderr(indoc! {"
            error: invalid value '0' for '--shellcheck-timeout <SECS>': `0`: expected seconds above 0 (at most 86400), e.g. 10 or 2.5

            For more information, try '--help'.
        "})
        .run();
}

/// hadolint's command line, as CI scripts write it.
#[test]
fn hadolint_flags_and_short_forms() {
    let src = "FROM ubuntu:latest\nUSER 1000\n";
    let p = Project::new()
        .file("Dockerfile", src)
        .file("cfg.yaml", "ignored: [DL3007]\n");
    // -f, -c
    let d = p
        .lint(&[
            "lint-dockerfile",
            "--no-shellcheck",
            "-f",
            "json",
            "-c",
            "cfg.yaml",
            "Dockerfile",
        ])
        .stdout("[]\n")
        .run();
    assert_eq!(d.stdout(), "[]\n");
    // -t, --no-fail
    p.lint(&[
        "lint-dockerfile",
        "--no-shellcheck",
        "-t",
        "error",
        "Dockerfile",
    ])
        .stdout(indoc! {"
            Dockerfile:1:1 warning DL3007 Using latest is prone to errors if the image will ever update. Pin the version explicitly to a release tag
             1 | FROM ubuntu:latest
               | ^
        "})
        .run();
    p.lint(&[
        "lint-dockerfile",
        "--no-shellcheck",
        "--no-fail",
        "Dockerfile",
    ])
        .stdout(indoc! {"
            Dockerfile:1:1 warning DL3007 Using latest is prone to errors if the image will ever update. Pin the version explicitly to a release tag
             1 | FROM ubuntu:latest
               | ^
        "})
        .run();
    // --no-color even with --color=auto on a pipe: no escapes
    let d = p
        .lint(&[
            "lint-dockerfile",
            "--no-shellcheck",
            "--no-color",
            "Dockerfile",
        ])
        .status(1)
        .stdout(indoc! {"
            Dockerfile:1:1 warning DL3007 Using latest is prone to errors if the image will ever update. Pin the version explicitly to a release tag
             1 | FROM ubuntu:latest
               | ^
        "})
        .run();
    assert!(!d.stdout().contains('\u{1b}'), "{}", d.stdout());
    // -o writes the report to a file, --file-path-in-report renames the input
    let d = p
        .lint(&[
            "lint-dockerfile",
            "--no-shellcheck",
            "-f",
            "checkstyle",
            "--file-path-in-report",
            "/src/Dockerfile",
            "-o",
            "report.xml",
            "Dockerfile",
        ])
        .status(1)
        .run();
    assert_eq!(d.stdout(), "");
    let xml = std::fs::read_to_string(p.path().join("report.xml")).unwrap();
    assert!(
        xml.contains("<file name=\"/src/Dockerfile\">") && xml.contains("DL3007"),
        "{xml}"
    );
    // -V is hadolint's verbose (not devctl's version); --version prints it
    p.lint(&["lint-dockerfile", "--no-shellcheck", "-V", "Dockerfile"])
        .status(1)
        .stdout(indoc! {"
            Dockerfile:1:1 warning DL3007 Using latest is prone to errors if the image will ever update. Pin the version explicitly to a release tag
             1 | FROM ubuntu:latest
               | ^
        "})
        .stderr("linted 1 file(s): 1 finding(s)\n")
        .run();
    p.lint(&["lint-dockerfile", "--version"])
        .stdout("devctl 0.1.0 lint-dockerfile (hadolint 2.15-compatible)\n")
        .run();
}

#[test]
fn hadolint_environment_variables() {
    let p = Project::new().file("Dockerfile", "FROM ubuntu:latest\nUSER 1000\n");
    let run = |k: &str, v: &str| {
        p.lint(&["lint-dockerfile", "--no-shellcheck", "Dockerfile"])
            .env(k, v)
    };
    run("HADOLINT_IGNORE", "DL3007").run();
    run("HADOLINT_NOFAIL", "true")
        .stdout(indoc! {"
            Dockerfile:1:1 warning DL3007 Using latest is prone to errors if the image will ever update. Pin the version explicitly to a release tag
             1 | FROM ubuntu:latest
               | ^
        "})
        .run();
    run("HADOLINT_FAILURE_THRESHOLD", "error")
        .stdout(indoc! {"
            Dockerfile:1:1 warning DL3007 Using latest is prone to errors if the image will ever update. Pin the version explicitly to a release tag
             1 | FROM ubuntu:latest
               | ^
        "})
        .run();
    run("HADOLINT_OVERRIDE_STYLE", "DL3007")
        .stdout(indoc! {"
            Dockerfile:1:1 style DL3007 Using latest is prone to errors if the image will ever update. Pin the version explicitly to a release tag
             1 | FROM ubuntu:latest
               | ^
        "})
        .run();
    run("HADOLINT_FORMAT", "json")
        .status(1)
        .stdout("[{\"code\":\"DL3007\",\"column\":1,\"file\":\"Dockerfile\",\"level\":\"warning\",\"line\":1,\"message\":\"Using latest is prone to errors if the image will ever update. Pin the version explicitly to a release tag\"}]\n")
        .run();
    run("HADOLINT_TRUSTED_REGISTRIES", "my.io")
        .status(1)
        .stdout(indoc! {"
            Dockerfile:1:1 warning DL3007 Using latest is prone to errors if the image will ever update. Pin the version explicitly to a release tag
            Dockerfile:1:1 error DL3026 Use only an allowed registry in the FROM image
             1 | FROM ubuntu:latest
               | ^
        "})
        .run();
    run("HADOLINT_REQUIRE_LABELS", "maintainer:text")
        .status(1)
        .stdout(indoc! {"
            Dockerfile:1:1 warning DL3007 Using latest is prone to errors if the image will ever update. Pin the version explicitly to a release tag
            Dockerfile:1:1 info DL3049 Label `maintainer` is missing.
             1 | FROM ubuntu:latest
               | ^
        "})
        .run();
    run("HADOLINT_FORMAT", "xml")
        .status(2)
        .stderr(
            "error: HADOLINT_FORMAT=xml: unknown format; use tty, json, sarif, checkstyle, gnu, codeclimate, gitlab_codeclimate, codacy, sonarqube or junit\n",
        )
        .run();
    // flags win over the environment
    p.lint(&[
        "lint-dockerfile",
        "--no-shellcheck",
        "-f",
        "gnu",
        "Dockerfile",
    ])
    .env("HADOLINT_FORMAT", "json")
    .status(1)
        .stdout("Dockerfile:1:1: warning: DL3007 Using latest is prone to errors if the image will ever update. Pin the version explicitly to a release tag\n")
        .run();
}

/// No PATH in a project: every Dockerfile devctl.toml builds, each with its
/// build context's .dockerignore and the targets built from it.
#[test]
fn no_path_lints_what_devctl_toml_builds() {
    let multi = "FROM python:3.12-slim AS base\nUSER 1000\nFROM base AS dev\nUSER 1000\nFROM base AS prod\nCOPY . /app\nUSER 1000\n";
    let p = Project::new()
        .file(
            "devctl.toml",
            "[project]\nname = \"x\"\n\n[app]\ndockerfile = \"docker/DevDjangoDockerfile\"\ncontext = \".\"\ntarget = \"dev\"\n\n[services.worker]\nbuild = { context = \"worker\" }\n\n[services.db]\nimage = \"postgres:16\"\n",
        )
        .file("docker/DevDjangoDockerfile", multi)
        // the context's .dockerignore excludes .env; the one beside the
        // Dockerfile does not (and is not the build's)
        .file(".dockerignore", ".env\n")
        .file("docker/.dockerignore", "*.pyc\n")
        .file("worker/Dockerfile", "FROM alpine:latest\nUSER 1000\n");
    let d = p
        .lint(&["lint-dockerfile", "--no-shellcheck", "-f", "json"])
        .status(1)
        .stdout("[{\"code\":\"DL3007\",\"column\":1,\"file\":\"worker/Dockerfile\",\"level\":\"warning\",\"line\":1,\"message\":\"Using latest is prone to errors if the image will ever update. Pin the version explicitly to a release tag\"}]\n")
        .run();
    let found: Vec<(String, String)> = json(&d)
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap().to_string(),
                f["code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        found.contains(&("worker/Dockerfile".into(), "DL3007".into())),
        "{found:?}"
    );
    assert!(
        !found.iter().any(|(_, c)| c == "DC1004" || c == "DC1003"),
        "{found:?}"
    );
    // the same file found by a directory scan: no target known, and the
    // .dockerignore beside it is taken
    let d = p
        .lint(&["lint-dockerfile", "--no-shellcheck", "-f", "json", "docker"])
        .status(1)
        .stdout("[{\"code\":\"DC1004\",\"column\":1,\"file\":\"docker/DevDjangoDockerfile\",\"level\":\"warning\",\"line\":3,\"message\":\"Stage `dev` is never used: no later COPY --from, FROM or RUN --mount=from refers to it, so its output is not in the final image (remove it, or build it with --target)\"},{\"code\":\"DC1003\",\"column\":1,\"file\":\"docker/DevDjangoDockerfile\",\"level\":\"error\",\"line\":6,\"message\":\"The whole build context is copied and .dockerignore does not exclude `.env`: its secrets end up in the image; add `.env` to .dockerignore\"}]\n")
        .run();
    assert!(d.stdout().contains("DC1004"), "{}", d.stdout());
    assert!(
        d.stdout().contains("docker/DevDjangoDockerfile"),
        "{}",
        d.stdout()
    );
    // a Dockerfile devctl.toml names that does not exist is a usage error
    let p = p.file("devctl.toml", "[app]\ndockerfile = \"nope/Dockerfile\"\n");
    p.lint(&["lint-dockerfile", "--no-shellcheck"])
        .status(2)
        .stderr("error: devctl.toml: the Dockerfile [TMP]/./nope/Dockerfile (context `.`, dockerfile `nope/Dockerfile`) does not exist; fix the path there or give the Dockerfile to lint\n")
        .run();
}

/// A fake `shellcheck` that logs each run and reports SC9999 on line 3 of
/// every script it is given.
fn counting_shellcheck(p: &Project) -> (String, std::path::PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let bin = p.path().join("fakebin");
    std::fs::create_dir_all(&bin).unwrap();
    let log = p.path().join("runs.log");
    let script = bin.join("shellcheck");
    std::fs::write(
        &script,
        format!(
            r#"#!/bin/sh
if [ "$1" = --version ]; then echo version >> {0}; echo 'version: 0.11.0'; exit 0; fi
echo run >> {0}
sep=''
printf '['
for a in "$@"; do
  case "$a" in
    *.sh) printf '%s{{"file":"%s","line":3,"column":1,"level":"warning","code":9999,"message":"fake"}}' "$sep" "$a"; sep=',' ;;
  esac
done
printf ']'
exit 1
"#,
            log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    (bin.to_string_lossy().into_owned(), log)
}

#[test]
fn shellcheck_results_are_cached_and_a_script_is_checked_once_per_run() {
    let src = "FROM alpine:3.19\nRUN echo one\nRUN echo one\nUSER 1000\n";
    let p = Project::new()
        .file("a/Dockerfile", src)
        .file("b/Dockerfile", src);
    let (bin, log) = counting_shellcheck(&p);
    let cache = p.path().join("cache");
    let run = || {
        p.lint(&[
            "lint-dockerfile",
            "-j",
            "1",
            "-f",
            "json",
            "a/Dockerfile",
            "b/Dockerfile",
        ])
        .env("PATH", &bin)
        .env("XDG_CACHE_HOME", cache.to_str().unwrap())
        .env_remove("DEVCTL_SHELLCHECK")
        .status(1)
            .stdout("[{\"code\":\"SC9999\",\"column\":1,\"file\":\"a/Dockerfile\",\"level\":\"warning\",\"line\":2,\"message\":\"fake\"},{\"code\":\"DL3059\",\"column\":1,\"file\":\"a/Dockerfile\",\"level\":\"info\",\"line\":3,\"message\":\"Multiple consecutive `RUN` instructions. Consider consolidation.\"},{\"code\":\"SC9999\",\"column\":1,\"file\":\"a/Dockerfile\",\"level\":\"warning\",\"line\":3,\"message\":\"fake\"},{\"code\":\"SC9999\",\"column\":1,\"file\":\"b/Dockerfile\",\"level\":\"warning\",\"line\":2,\"message\":\"fake\"},{\"code\":\"DL3059\",\"column\":1,\"file\":\"b/Dockerfile\",\"level\":\"info\",\"line\":3,\"message\":\"Multiple consecutive `RUN` instructions. Consider consolidation.\"},{\"code\":\"SC9999\",\"column\":1,\"file\":\"b/Dockerfile\",\"level\":\"warning\",\"line\":3,\"message\":\"fake\"}]\n")
            .run()
    };
    let sc = |d: &Done| -> Vec<(String, u64)> {
        json(d)
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["code"] == "SC9999")
            .map(|f| {
                (
                    f["file"].as_str().unwrap().to_string(),
                    f["line"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    let count = |what: &str| {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .filter(|l| *l == what)
            .count()
    };
    let runs = || count("run");
    let first = sc(&run());
    let expected: Vec<(String, u64)> = vec![
        ("a/Dockerfile".into(), 2),
        ("a/Dockerfile".into(), 3),
        ("b/Dockerfile".into(), 2),
        ("b/Dockerfile".into(), 3),
    ];
    assert_eq!(first, expected);
    // one script, four RUNs: one shellcheck process
    assert_eq!((runs(), count("version")), (1, 1));
    let names: Vec<String> = std::fs::read_dir(cache.join("devctl/shellcheck"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    // one result, and the binary's version
    assert_eq!(
        names.iter().filter(|n| n.ends_with(".json")).count(),
        1,
        "{names:?}"
    );
    assert_eq!(
        names.iter().filter(|n| n.ends_with(".version")).count(),
        1,
        "{names:?}"
    );
    assert_eq!(names.len(), 2, "{names:?}");
    // the second run reads the cache: same findings, no process at all (not
    // even the version probe)
    assert_eq!(sc(&run()), expected);
    assert_eq!((runs(), count("version")), (1, 1));
    // --no-shellcheck-cache checks again
    p.lint(&["lint-dockerfile", "--no-shellcheck-cache", "a/Dockerfile"])
        .env("PATH", &bin)
        .env("XDG_CACHE_HOME", cache.to_str().unwrap())
        .env_remove("DEVCTL_SHELLCHECK")
        .status(1)
        .stdout(indoc! {"
            a/Dockerfile:2:1 warning SC9999 fake
             2 | RUN echo one
               | ^
            a/Dockerfile:3:1 info DL3059 Multiple consecutive `RUN` instructions. Consider consolidation.
            a/Dockerfile:3:1 warning SC9999 fake
             3 | RUN echo one
               | ^
        "})
        .run();
    assert_eq!((runs(), count("version")), (2, 2));
}

#[test]
fn ci_formats_exit_codes_and_file_path_in_report() {
    // DL3006 (warning) and DL4000 (error); hadolint's own bytes for the same
    // file are compared in lint_vs_hadolint.rs.
    let p = Project::new().file("Dockerfile", "FROM x\nMAINTAINER a\nUSER 1000\n");
    let run = |fmt: &str, extra: &[&str]| {
        let mut args = vec!["lint-dockerfile", "--no-shellcheck", "-f", fmt];
        args.extend(extra);
        args.push("Dockerfile");
        p.lint(&args)
    };
    // codeclimate and codacy exit 0 whatever they report, as hadolint does
    run("codeclimate", &[])
        .stdout("{\"categories\":[\"Bug Risk\"],\"check_name\":\"DL3006\",\"description\":\"Always tag the version of an image explicitly\",\"location\":{\"lines\":{\"begin\":1,\"end\":1},\"path\":\"Dockerfile\"},\"severity\":\"major\",\"type\":\"issue\"}\0{\"categories\":[\"Bug Risk\"],\"check_name\":\"DL4000\",\"description\":\"MAINTAINER is deprecated (BuildKit check: MaintainerDeprecated)\",\"location\":{\"lines\":{\"begin\":2,\"end\":2},\"path\":\"Dockerfile\"},\"severity\":\"blocker\",\"type\":\"issue\"}\0")
        .run();
    run("codacy", &["--file-path-in-report", "ignored/by/codacy"])
        .stdout("{\"filename\":\"Dockerfile\",\"line\":1,\"message\":\"Always tag the version of an image explicitly\",\"patternId\":\"DL3006\"}{\"filename\":\"Dockerfile\",\"line\":2,\"message\":\"MAINTAINER is deprecated (BuildKit check: MaintainerDeprecated)\",\"patternId\":\"DL4000\"}")
        .run();
    // the others fail as the tty format does
    run("sonarqube", &["--file-path-in-report", "src/Dockerfile", "--ignore", "DL4000"])
        .status(1)
        .stdout("{\"issues\":[{\"engineId\":\"Hadolint\",\"primaryLocation\":{\"filePath\":\"src/Dockerfile\",\"message\":\"Always tag the version of an image explicitly\",\"textRange\":{\"endColumn\":1,\"endLine\":1,\"startColumn\":0,\"startLine\":1}},\"ruleId\":\"DL3006\",\"severity\":\"MAJOR\",\"type\":\"CODE_SMELL\"}]}")
        .run();
    run("gitlab_codeclimate", &["--ignore", "DL4000", "--file-path-in-report", "-"])
        .status(1)
        // hadolint 2.15.1 prints this fingerprint for `FROM x` on stdin
        .stdout("[{\"categories\":[\"Bug Risk\"],\"check_name\":\"DL3006\",\"description\":\"Always tag the version of an image explicitly\",\"fingerprint\":\"bd497ea0b8d4587c72cfa3a28216993b426a1bf3\",\"location\":{\"lines\":{\"begin\":1,\"end\":1},\"path\":\"-\"},\"severity\":\"major\",\"type\":\"issue\"}]")
        .run();
    run("gitlab_codeclimate", &["-t", "error", "--ignore", "DL4000"])
        .stdout_any()
        .run();
    let d = run("junit", &["--file-path-in-report", "a&b"])
        .status(1)
        // the run's time stamp is checked below
        .stdout_any()
        .run();
    let out = d.stdout();
    let head = regex::Regex::new(
        r#"^<\?xml version="1.0" encoding="UTF-8"\?><testsuites id="\d{8}_\d{6}" name="devctl run at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d" time="0.001"><testsuite errors="0" failures="2" id="hadolint" name="devctl 0.1.0" time="0.001"><testcase id="hadolint.rule.DL3006" time="0.001"><failure id="DL3006" message="Always tag the version of an image explicitly" type="warning">File: a&amp;b
Line: 1
"#,
    )
    .unwrap();
    assert!(head.is_match(&out), "{out}");
    assert!(
        out.ends_with("</failure></testcase></testsuite></testsuites>"),
        "{out}"
    );
    // the format by name in the config and the environment
    p.lint(&["lint-dockerfile", "--no-shellcheck", "Dockerfile"])
        .env("HADOLINT_FORMAT", "codacy")
        .stdout_any()
        .run();
    let q = Project::new()
        .file("Dockerfile", "FROM x:1\nUSER 1000\n")
        .file(".hadolint.yaml", "format: gitlab_codeclimate\n");
    q.lint(&["lint-dockerfile", "--no-shellcheck"])
        .stdout("[]")
        .run();
    q.lint(&[
        "lint-dockerfile",
        "--no-shellcheck",
        "-f",
        "junit",
        "-o",
        "r.xml",
    ])
    .run();
    let xml = std::fs::read_to_string(q.path().join("r.xml")).unwrap();
    assert!(
        xml.ends_with("<testsuite errors=\"0\" failures=\"0\" id=\"hadolint\" name=\"devctl 0.1.0\" time=\"0.001\"/></testsuites>"),
        "{xml}"
    );
}

/// No PATH in a project: a `dockerfile_inline` is linted too, its findings
/// told at devctl.toml's lines (a `"""` string: line for line; a one-line
/// string: its line), `$$` read as the engine reads it (`$`).
#[test]
fn no_path_lints_inline_dockerfiles_at_devctl_toml_lines() {
    let p = Project::new().file(
        "devctl.toml",
        "[project]\nname = \"x\"\n\n[app]\ndockerfile_inline = \"FROM alpine:latest\\nUSER app\\n\"\n\n[services.tool]\nbuild = { context = \".\", dockerfile_inline = \"\"\"\nFROM debian:12\nRUN echo $$HOME && cd /tmp\nUSER 1000\n\"\"\" }\n",
    );
    p.lint(&["lint-dockerfile", "--no-shellcheck", "-f", "gnu"])
        .status(1)
        .stdout("devctl.toml:5:1: warning: DL3007 Using latest is prone to errors if the image will ever update. Pin the version explicitly to a release tag\ndevctl.toml:5:1: info: DL3066 Non-numeric user-id may not be resolvable by host system\ndevctl.toml:10:1: warning: DL3003 Use WORKDIR to switch to a directory\n")
        .run();
}
