//! Lint configuration: hadolint's config keys, read from `.hadolint.yaml` /
//! `.hadolint.yml` or devctl.toml's `[lint]` table, merged with the flags.
//! Pure: callers pass file text and a name for messages. The YAML file is
//! parsed by the caller into a [`LintConfigFile`] (this crate has no YAML
//! parser; [`yaml_error`] words its errors).
//!
//! Keys (hadolint's): `ignored`, `trustedRegistries` (also
//! `trusted-registries`), `override: {error, warning, info, style}`,
//! `failure-threshold`, `label-schema`, `strict-labels`,
//! `disable-ignore-pragma`, `no-fail`, `no-color`, `format`, `verbose`, and
//! devctl's `shellcheck-timeout`; hadolint's `HADOLINT_*` environment
//! variables ([`from_env`]). Unknown keys are errors naming file:line:col and
//! the key.
//!
//! Merging ([`merge`], lowest precedence first: `.hadolint.yaml`, devctl.toml
//! `[lint]`, flags): lists (`ignored`, `trustedRegistries`) accumulate;
//! `override` and `label-schema` entries are per code / per label, a later
//! layer wins; scalars are replaced by a later layer that sets them.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Deserializer};

use super::format::OutputFormat;
use super::{Options, Severity};

/// One configuration source, exactly as written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LintConfigFile {
    /// Rules never reported.
    #[serde(default)]
    pub ignored: Vec<String>,
    /// DL3026: registries FROM images may come from.
    #[serde(default, rename = "trustedRegistries", alias = "trusted-registries")]
    pub trusted_registries: Vec<String>,
    /// Severity overrides.
    #[serde(default, rename = "override")]
    pub overrides: OverrideConfig,
    /// Exit 1 only for findings at least this severe (`none`: never).
    #[serde(
        default,
        rename = "failure-threshold",
        deserialize_with = "de_threshold"
    )]
    pub failure_threshold: Option<Severity>,
    /// Required labels and their types (DL3049..DL3058).
    #[serde(default, rename = "label-schema")]
    pub label_schema: BTreeMap<String, LabelType>,
    #[serde(default, rename = "strict-labels")]
    pub strict_labels: Option<bool>,
    #[serde(default, rename = "disable-ignore-pragma")]
    pub disable_ignore_pragma: Option<bool>,
    #[serde(default, rename = "no-fail")]
    pub no_fail: Option<bool>,
    #[serde(default, rename = "no-color")]
    pub no_color: Option<bool>,
    #[serde(default)]
    pub format: Option<OutputFormat>,
    /// hadolint's `verbose`: say on stderr which config and ShellCheck are used.
    #[serde(default)]
    pub verbose: Option<bool>,
    /// devctl's own: seconds ShellCheck may take per file (default 10).
    #[serde(
        default,
        rename = "shellcheck-timeout",
        deserialize_with = "de_timeout"
    )]
    pub shellcheck_timeout: Option<Duration>,
}

/// `override:` — rule codes per severity.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverrideConfig {
    #[serde(default)]
    pub error: Vec<String>,
    #[serde(default)]
    pub warning: Vec<String>,
    #[serde(default)]
    pub info: Vec<String>,
    #[serde(default)]
    pub style: Vec<String>,
}

/// A label-schema type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LabelType {
    Text,
    Url,
    Rfc3339,
    Spdx,
    Hash,
    Semver,
    Email,
}

impl LabelType {
    pub fn as_str(self) -> &'static str {
        match self {
            LabelType::Text => "text",
            LabelType::Url => "url",
            LabelType::Rfc3339 => "rfc3339",
            LabelType::Spdx => "spdx",
            LabelType::Hash => "hash",
            LabelType::Semver => "semver",
            LabelType::Email => "email",
        }
    }
    pub fn parse(s: &str) -> Option<LabelType> {
        Some(match s {
            "text" => LabelType::Text,
            "url" => LabelType::Url,
            "rfc3339" => LabelType::Rfc3339,
            "spdx" => LabelType::Spdx,
            "hash" => LabelType::Hash,
            "semver" => LabelType::Semver,
            "email" => LabelType::Email,
            _ => return None,
        })
    }
}

fn de_threshold<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Severity>, D::Error> {
    let s = String::deserialize(d)?;
    Severity::parse(&s).map(Some).ok_or_else(|| {
        serde::de::Error::invalid_value(
            serde::de::Unexpected::Str(&s),
            &"one of error, warning, info, style, ignore, none",
        )
    })
}

/// A positive, finite number of seconds (`10`, `2.5`) as a duration.
pub fn seconds(v: f64) -> Option<Duration> {
    (v.is_finite() && v > 0.0 && v <= 86_400.0).then(|| Duration::from_secs_f64(v))
}

fn de_timeout<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    let v = f64::deserialize(d)?;
    seconds(v).map(Some).ok_or_else(|| {
        serde::de::Error::invalid_value(
            serde::de::Unexpected::Float(v),
            &"a number of seconds above 0 (at most 86400), e.g. 10 or 2.5",
        )
    })
}

/// A configuration file that cannot be used; the message names the file,
/// the position and what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

/// Everything the lint command needs, after merging all sources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub options: Options,
    pub failure_threshold: Severity,
    pub no_fail: bool,
    pub no_color: bool,
    pub format: OutputFormat,
    /// Per-file ShellCheck time limit.
    pub shellcheck_timeout: Duration,
    /// hadolint's `verbose`: what was read from where, on stderr.
    pub verbose: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            options: Options::default(),
            failure_threshold: Severity::Info,
            no_fail: false,
            no_color: false,
            format: OutputFormat::Tty,
            shellcheck_timeout: super::shellcheck::DEFAULT_TIMEOUT,
            verbose: false,
        }
    }
}

impl Settings {
    /// Whether findings make the run fail (exit 1).
    pub fn fails(&self, findings: &[super::Finding]) -> bool {
        !self.no_fail
            && self.failure_threshold != Severity::Ignore
            && findings
                .iter()
                .any(|f| f.severity <= self.failure_threshold)
    }
}

/// Merges configuration layers, lowest precedence first.
pub fn merge<'a>(layers: impl IntoIterator<Item = &'a LintConfigFile>) -> Settings {
    let mut s = Settings::default();
    for l in layers {
        let o = &mut s.options;
        for c in &l.ignored {
            if !o.ignored.contains(c) {
                o.ignored.push(c.clone());
            }
        }
        for r in &l.trusted_registries {
            if !o.trusted_registries.contains(r) {
                o.trusted_registries.push(r.clone());
            }
        }
        // Within one layer the most severe wins (hadolint applies `error`
        // last).
        let ov = &l.overrides;
        for (codes, sev) in [
            (&ov.style, Severity::Style),
            (&ov.info, Severity::Info),
            (&ov.warning, Severity::Warning),
            (&ov.error, Severity::Error),
        ] {
            for c in codes {
                o.overrides.insert(c.clone(), sev);
            }
        }
        for (k, v) in &l.label_schema {
            o.label_schema.insert(k.clone(), v.as_str().to_string());
        }
        if let Some(v) = l.strict_labels {
            o.strict_labels = v;
        }
        if let Some(v) = l.disable_ignore_pragma {
            o.disable_ignore_pragma = v;
        }
        if let Some(v) = l.failure_threshold {
            s.failure_threshold = v;
        }
        if let Some(v) = l.no_fail {
            s.no_fail = v;
        }
        if let Some(v) = l.no_color {
            s.no_color = v;
        }
        if let Some(v) = l.format {
            s.format = v;
        }
        if let Some(v) = l.shellcheck_timeout {
            s.shellcheck_timeout = v;
        }
        if let Some(v) = l.verbose {
            s.verbose = v;
        }
    }
    s
}

/// 1-based line and column of byte `offset` in `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let mut off = offset;
    while !text.is_char_boundary(off) {
        off -= 1;
    }
    let before = &text[..off];
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    (line, before[start..].chars().count() + 1)
}

/// The keys a hadolint config may hold, for messages.
pub const KEYS: &str = "ignored, trustedRegistries, override, failure-threshold, label-schema, \
                        strict-labels, disable-ignore-pragma, no-fail, no-color, format, \
                        and devctl's shellcheck-timeout";

/// The error for a hadolint YAML config that cannot be read as a
/// [`LintConfigFile`]: `name` (the file, as shown), the 1-based position and
/// the parser's message. The YAML itself is parsed by the caller (the
/// linter does not depend on a YAML library); an empty file (or only
/// comments) is an empty config, as in hadolint.
pub fn yaml_error(name: &str, line: usize, column: usize, message: &str) -> ConfigError {
    ConfigError(format!(
        "{name}:{line}:{column}: {message} (see the hadolint configuration keys: {KEYS})"
    ))
}

/// hadolint's environment variables as a configuration layer (between the
/// config files and the flags). `get` looks a variable up (the caller
/// passes the process environment). Lists are comma-separated; booleans
/// are true for `1`, `y`, `yes`, `on`, `true` (any case) and false for
/// anything else, as in hadolint. An unusable value is an error naming
/// the variable.
pub fn from_env(get: &dyn Fn(&str) -> Option<String>) -> Result<LintConfigFile, ConfigError> {
    let truthy = |name: &str| {
        get(name).map(|v| {
            ["1", "y", "yes", "on", "true"].contains(&v.trim().to_ascii_lowercase().as_str())
        })
    };
    let list = |name: &str| -> Vec<String> {
        get(name)
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut c = LintConfigFile {
        no_fail: truthy("HADOLINT_NOFAIL"),
        verbose: truthy("HADOLINT_VERBOSE"),
        ignored: list("HADOLINT_IGNORE"),
        trusted_registries: list("HADOLINT_TRUSTED_REGISTRIES"),
        strict_labels: truthy("HADOLINT_STRICT_LABELS"),
        disable_ignore_pragma: truthy("HADOLINT_DISABLE_IGNORE_PRAGMA"),
        overrides: OverrideConfig {
            error: list("HADOLINT_OVERRIDE_ERROR"),
            warning: list("HADOLINT_OVERRIDE_WARNING"),
            info: list("HADOLINT_OVERRIDE_INFO"),
            style: list("HADOLINT_OVERRIDE_STYLE"),
        },
        ..LintConfigFile::default()
    };
    // NO_COLOR: set (to anything but empty) means no colour (no-color.org).
    if get("NO_COLOR").is_some_and(|v| !v.is_empty()) {
        c.no_color = Some(true);
    }
    if let Some(v) = get("HADOLINT_FORMAT").filter(|v| !v.trim().is_empty()) {
        c.format = Some(OutputFormat::parse(v.trim()).ok_or_else(|| {
            ConfigError(format!(
                "HADOLINT_FORMAT={v}: unknown format; use {}",
                OutputFormat::names()
            ))
        })?);
    }
    if let Some(v) = get("HADOLINT_FAILURE_THRESHOLD").filter(|v| !v.trim().is_empty()) {
        c.failure_threshold = Some(Severity::parse(v.trim()).ok_or_else(|| {
            ConfigError(format!(
                "HADOLINT_FAILURE_THRESHOLD={v}: use error, warning, info, style, ignore or none"
            ))
        })?);
    }
    for item in list("HADOLINT_REQUIRE_LABELS") {
        let parsed = item
            .split_once(':')
            .and_then(|(n, t)| Some((n, LabelType::parse(t)?)))
            .filter(|(n, _)| !n.is_empty());
        let (name, ty) = parsed.ok_or_else(|| {
            ConfigError(format!(
                "HADOLINT_REQUIRE_LABELS: `{item}` is not NAME:TYPE with TYPE one of text, url, rfc3339, spdx, hash, semver, email"
            ))
        })?;
        c.label_schema.insert(name.to_string(), ty);
    }
    Ok(c)
}

/// Reads the `[lint]` table of devctl.toml (the rest of the file is not
/// looked at beyond being valid TOML). `Ok(None)` when there is no `[lint]`.
pub fn from_devctl_toml(text: &str, name: &str) -> Result<Option<LintConfigFile>, ConfigError> {
    #[derive(Deserialize)]
    struct Doc {
        lint: Option<LintConfigFile>,
    }
    toml::from_str::<Doc>(text).map(|d| d.lint).map_err(|e| {
        let (l, c) = e
            .span()
            .map(|sp| line_col(text, sp.start))
            .unwrap_or((1, 1));
        let msg = e.message().trim_end().to_string();
        ConfigError(format!("{name}:{l}:{c}: {msg}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `[lint]` table's layer.
    fn toml_lint(body: &str) -> LintConfigFile {
        from_devctl_toml(&format!("[lint]\n{body}"), "devctl.toml")
            .unwrap()
            .unwrap()
    }

    #[test]
    fn environment_layer() {
        let env = |k: &str| -> Option<String> {
            let v = match k {
                "HADOLINT_NOFAIL" => "Yes",
                "HADOLINT_STRICT_LABELS" => "0",
                "HADOLINT_IGNORE" => "DL3008, SC2086",
                "HADOLINT_OVERRIDE_ERROR" => "DL3006",
                "HADOLINT_TRUSTED_REGISTRIES" => "docker.io,my.io:5000",
                "HADOLINT_REQUIRE_LABELS" => "maintainer:text,version:semver",
                "HADOLINT_FAILURE_THRESHOLD" => "warning",
                "HADOLINT_FORMAT" => "json",
                "NO_COLOR" => "1",
                _ => return None,
            };
            Some(v.to_string())
        };
        let c = from_env(&env).unwrap();
        assert_eq!(c.no_fail, Some(true));
        assert_eq!(c.strict_labels, Some(false));
        assert_eq!(c.disable_ignore_pragma, None);
        assert_eq!(c.ignored, vec!["DL3008", "SC2086"]);
        assert_eq!(c.overrides.error, vec!["DL3006"]);
        assert_eq!(c.trusted_registries, vec!["docker.io", "my.io:5000"]);
        assert_eq!(c.label_schema.get("version"), Some(&LabelType::Semver));
        assert_eq!(c.failure_threshold, Some(Severity::Warning));
        assert_eq!(c.format, Some(OutputFormat::Json));
        assert_eq!(c.no_color, Some(true));
        assert_eq!(from_env(&|_| None).unwrap(), LintConfigFile::default());
        let bad = |name: &'static str, v: &'static str| {
            from_env(&move |k: &str| (k == name).then(|| v.to_string()))
                .unwrap_err()
                .0
        };
        assert!(bad("HADOLINT_FORMAT", "xml").starts_with("HADOLINT_FORMAT=xml"));
        assert!(bad("HADOLINT_FAILURE_THRESHOLD", "loud").contains("HADOLINT_FAILURE_THRESHOLD"));
        assert!(bad("HADOLINT_REQUIRE_LABELS", "a:colour").contains("a:colour"));
    }

    #[test]
    fn shellcheck_timeout_key() {
        assert_eq!(merge([]).shellcheck_timeout, Duration::from_secs(10));
        let c = from_devctl_toml("[lint]\nshellcheck-timeout = 3\n", "devctl.toml")
            .unwrap()
            .unwrap();
        assert_eq!(merge([&c]).shellcheck_timeout, Duration::from_secs(3));
        let c = from_devctl_toml("[lint]\nshellcheck-timeout = 2.5\n", "devctl.toml")
            .unwrap()
            .unwrap();
        assert_eq!(c.shellcheck_timeout, Some(Duration::from_millis(2500)));
        for bad in ["0", "-1", "\"soon\""] {
            let e = from_devctl_toml(
                &format!("[lint]\nshellcheck-timeout = {bad}\n"),
                "devctl.toml",
            )
            .unwrap_err();
            assert!(e.0.starts_with("devctl.toml:2:"), "{e}");
        }
    }

    #[test]
    fn toml_lint_table() {
        let c = from_devctl_toml(
            "[project]\nname = \"x\"\n\n[lint]\nignored = [\"DL3008\"]\nfailure-threshold = \"error\"\n[lint.override]\nwarning = [\"DL3059\"]\n",
            "devctl.toml",
        )
        .unwrap()
        .unwrap();
        assert_eq!(c.ignored, vec!["DL3008"]);
        assert_eq!(c.failure_threshold, Some(Severity::Error));
        assert_eq!(c.overrides.warning, vec!["DL3059"]);
        assert_eq!(
            from_devctl_toml("[project]\nname = \"x\"\n", "devctl.toml").unwrap(),
            None
        );
    }

    #[test]
    fn toml_unknown_key_names_file_line_and_key() {
        let e = from_devctl_toml(
            "[project]\nname = 1\n[lint]\nignord = []\n",
            "p/devctl.toml",
        )
        .unwrap_err();
        assert!(e.0.starts_with("p/devctl.toml:4:1: "), "{e}");
        assert!(e.0.contains("ignord"), "{e}");
    }

    #[test]
    fn toml_syntax_error_elsewhere_has_a_position() {
        let e = from_devctl_toml("[project]\nname = \n", "devctl.toml").unwrap_err();
        assert!(e.0.starts_with("devctl.toml:2:"), "{e}");
    }

    #[test]
    fn merge_defaults() {
        let s = merge([]);
        assert_eq!(s.failure_threshold, Severity::Info);
        assert!(!s.no_fail && !s.no_color);
        assert_eq!(s.format, OutputFormat::Tty);
        assert_eq!(s.options, Options::default());
    }

    #[test]
    fn merge_later_layers_win_for_scalars_and_lists_accumulate() {
        // The lowest layer (a .hadolint.yaml in real use; TOML here: the
        // YAML reader is the binary's).
        let hadolint = toml_lint("ignored = [\"DL3008\"]\nfailure-threshold = \"style\"\nlabel-schema = { a = \"text\" }\nno-fail = true\ntrustedRegistries = [\"a.io\"]\n[lint.override]\nerror = [\"DL3006\"]\n");
        let devctl = from_devctl_toml(
            "[lint]\nignored = [\"DL3009\"]\nfailure-threshold = \"warning\"\nlabel-schema = { a = \"url\" }\ntrustedRegistries = [\"a.io\", \"b.io\"]\n[lint.override]\nwarning = [\"DL3006\"]\n",
            "devctl.toml",
        )
        .unwrap()
        .unwrap();
        let flags = LintConfigFile {
            failure_threshold: Some(Severity::Error),
            ignored: vec!["DL3010".into()],
            ..Default::default()
        };
        let s = merge([&hadolint, &devctl]);
        assert_eq!(s.failure_threshold, Severity::Warning);
        assert_eq!(s.options.ignored, vec!["DL3008", "DL3009"]);
        assert_eq!(s.options.trusted_registries, vec!["a.io", "b.io"]);
        assert_eq!(s.options.overrides.get("DL3006"), Some(&Severity::Warning));
        assert_eq!(
            s.options.label_schema.get("a").map(String::as_str),
            Some("url")
        );
        // not set by the later layer: kept
        assert!(s.no_fail);
        let s = merge([&hadolint, &devctl, &flags]);
        assert_eq!(s.failure_threshold, Severity::Error);
        assert_eq!(s.options.ignored, vec!["DL3008", "DL3009", "DL3010"]);
    }

    #[test]
    fn merge_most_severe_override_wins_within_a_layer() {
        let c = toml_lint("[lint.override]\nstyle = [\"DL3000\"]\nerror = [\"DL3000\"]\n");
        assert_eq!(
            merge([&c]).options.overrides.get("DL3000"),
            Some(&Severity::Error)
        );
    }

    #[test]
    fn threshold_decides_failure() {
        use devctl_dockerfile::{Pos, Span};
        let f = |sev| super::super::Finding {
            code: "DL3000".into(),
            severity: sev,
            message: String::new(),
            span: Span {
                start: Pos { line: 1, col: 1 },
                end: Pos { line: 1, col: 1 },
            },
        };
        let mut s = Settings::default();
        assert!(s.fails(&[f(Severity::Info)]));
        assert!(!s.fails(&[f(Severity::Style)]));
        assert!(!s.fails(&[]));
        s.failure_threshold = Severity::Error;
        assert!(!s.fails(&[f(Severity::Warning)]));
        assert!(s.fails(&[f(Severity::Error)]));
        s.failure_threshold = Severity::Ignore;
        assert!(!s.fails(&[f(Severity::Error)]));
        s.failure_threshold = Severity::Style;
        s.no_fail = true;
        assert!(!s.fails(&[f(Severity::Error)]));
    }
}
