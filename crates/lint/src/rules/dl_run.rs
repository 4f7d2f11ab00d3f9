//! hadolint DL rules that read RUN scripts (shell parsing): package managers,
//! sudo, cd, pipefail, … plus devctl's DC1006 and DC1007.
//!
//! Every RUN script is parsed once ([`ParsedShell`]) and shared by all rules.
//! The script is what hadolint sees: the shell-form command; the JSON-form
//! arguments joined with spaces; for `RUN <<EOF` the heredoc body; for
//! `RUN cmd <<EOF` the text before the heredoc.
//!
//! Like hadolint, most rules also check the instruction wrapped by ONBUILD;
//! stateful rules see ONBUILD instructions as a stream of their own (hadolint's
//! `onbuild` combinator), so e.g. DL3009 always reports an `ONBUILD RUN
//! apt-get update` without cleanup.

use std::collections::{BTreeMap, BTreeSet};

use crate::shell::{Arg, Command, ParsedShell};
use crate::{Ctx, Finding, RuleInfo, Severity};
use devctl_dockerfile::Instruction;

macro_rules! rule {
    ($code:literal, $sev:ident, $summary:literal) => {
        RuleInfo {
            code: $code,
            severity: Severity::$sev,
            summary: $summary,
        }
    };
}

pub const RULES: &[RuleInfo] = &[
    rule!("DL3001", Info, "pointless command in a container (ssh, vim, shutdown, service, ps, free, top, kill, mount)"),
    rule!("DL3003", Warning, "`cd` in RUN instead of WORKDIR"),
    rule!("DL3004", Error, "sudo in RUN"),
    rule!("DL3008", Warning, "apt-get install without pinned versions"),
    rule!("DL3009", Info, "apt lists not removed after apt-get update"),
    rule!("DL3010", Info, "archive COPYed then extracted instead of ADD"),
    rule!("DL3013", Warning, "pip install without pinned versions"),
    rule!("DL3014", Warning, "apt-get install without -y"),
    rule!("DL3015", Info, "apt-get install without --no-install-recommends"),
    rule!("DL3016", Warning, "npm install without pinned versions"),
    rule!("DL3018", Warning, "apk add without pinned versions"),
    rule!("DL3019", Info, "apk add without --no-cache"),
    rule!("DL3027", Warning, "`apt` instead of apt-get or apt-cache"),
    rule!("DL3028", Warning, "gem install without pinned versions"),
    rule!("DL3030", Warning, "yum install without -y"),
    rule!("DL3032", Warning, "yum install without `yum clean all`"),
    rule!("DL3033", Warning, "yum install without pinned versions"),
    rule!("DL3034", Warning, "zypper without a non-interactive switch"),
    rule!("DL3035", Warning, "zypper dist-upgrade"),
    rule!("DL3036", Warning, "zypper install without `zypper clean`"),
    rule!("DL3037", Warning, "zypper install without pinned versions"),
    rule!("DL3038", Warning, "dnf install without -y"),
    rule!("DL3040", Warning, "dnf install without `dnf clean all`"),
    rule!("DL3041", Warning, "dnf install without pinned versions"),
    rule!("DL3042", Warning, "pip install without --no-cache-dir"),
    rule!("DL3046", Warning, "useradd with a high UID and no -l"),
    rule!("DL3047", Info, "wget without --progress"),
    rule!("DL3060", Info, "yarn install without `yarn cache clean`"),
    rule!("DL3062", Warning, "go install without @version"),
    rule!("DL4001", Warning, "both wget and curl used"),
    rule!("DL4005", Warning, "`ln` of /bin/sh instead of SHELL"),
    rule!("DL4006", Warning, "pipe in RUN without `SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]`"),
    rule!("DC1006", Info, "`chown -R` in a RUN after COPY instead of `COPY --chown`"),
    rule!("DC1007", Warning, "package-manager cache not cleaned or mounted in the same layer"),
];

const MSG_DL3001: &str = "For some bash commands it makes no sense running them in a Docker container like `ssh`, `vim`, `shutdown`, `service`, `ps`, `free`, `top`, `kill`, `mount`, `ifconfig`";
const MSG_DL3003: &str = "Use WORKDIR to switch to a directory";
const MSG_DL3004: &str =
    "Do not use sudo as it leads to unpredictable behavior. Use a tool like gosu to enforce root";
const MSG_DL3008: &str = "Pin versions in apt get install. Instead of `apt-get install <package>` use `apt-get install <package>=<version>`";
// hadolint 2.15.1's wording (DL3009 covers apt and aptitude since).
const MSG_DL3009: &str = "Delete the apt lists (/var/lib/apt/lists) after installing something";
const MSG_DL3010: &str = "Use `ADD` for extracting archives into an image";
const MSG_DL3013: &str = "Pin versions in pip. Instead of `pip install <package>` use `pip install <package>==<version>` or `pip install --requirement <requirements file>`";
const MSG_DL3014: &str = "Use the `-y` switch to avoid manual input `apt-get -y install <package>`";
const MSG_DL3015: &str = "Avoid additional packages by specifying `--no-install-recommends`";
const MSG_DL3016: &str =
    "Pin versions in npm. Instead of `npm install <package>` use `npm install <package>@<version>`";
const MSG_DL3018: &str =
    "Pin versions in apk add. Instead of `apk add <package>` use `apk add <package>=<version>`";
const MSG_DL3019: &str = "Use the `--no-cache` switch to avoid the need to use `--update` and remove `/var/cache/apk/*` when done installing packages";
const MSG_DL3027: &str =
    "Do not use apt as it is meant to be an end-user tool, use apt-get or apt-cache instead";
const MSG_DL3028: &str =
    "Pin versions in gem install. Instead of `gem install <gem>` use `gem install <gem>:<version>`";
const MSG_DL3030: &str = "Use the -y switch to avoid manual input `yum install -y <package>`";
const MSG_DL3032: &str = "`yum clean all` missing after yum command.";
const MSG_DL3033: &str = "Specify version with `yum install -y <package>-<version>`.";
const MSG_DL3034: &str =
    "Non-interactive switch missing from `zypper` command: `zypper install -y`";
const MSG_DL3035: &str = "Do not use `zypper dist-upgrade`.";
const MSG_DL3036: &str = "`zypper clean` missing after zypper use.";
const MSG_DL3037: &str = "Specify version with `zypper install -y <package>=<version>`.";
const MSG_DL3038: &str = "Use the -y switch to avoid manual input `dnf install -y <package>`";
const MSG_DL3040: &str = "`dnf clean all` missing after dnf command.";
const MSG_DL3041: &str = "Specify version with `dnf install -y <package>-<version>`.";
const MSG_DL3042: &str =
    "Avoid use of cache directory with pip. Use `pip install --no-cache-dir <package>`";
const MSG_DL3046: &str =
    "`useradd` without flag `-l` and high UID will result in excessively large Image.";
const MSG_DL3047: &str = "Avoid use of wget without progress bar. Use `wget --progress=dot:giga <url>`. Or consider using `-q` or `-nv` (shorthands for `--quiet` or `--no-verbose`).";
const MSG_DL3060: &str = "`yarn cache clean` missing after `yarn install` was run.";
const MSG_DL3062: &str =
    "Pin versions in go. Instead of `go install <package>` use `go install <package>@<version>`";
const MSG_DL4001: &str = "Either use Wget or Curl but not both";
const MSG_DL4005: &str = "Use SHELL to change the default shell";
const MSG_DL4006: &str = "Set the SHELL option -o pipefail before RUN with a pipe in it. If you are using /bin/sh in an alpine image or if your shell is symlinked to busybox then consider explicitly setting your SHELL to /bin/ash, or disable this check";

/// One instruction as a rule sees it.
struct Item<'a> {
    /// The instruction in the file (its span is where findings go).
    outer: &'a Instruction,
    /// The instruction itself, or the one ONBUILD wraps.
    inst: &'a Instruction,
    /// The parsed script, for RUN and SHELL.
    shell: Option<&'a ParsedShell>,
}

impl<'a> Item<'a> {
    fn is(&self, keyword: &str) -> bool {
        self.inst.keyword == keyword
    }
    /// The RUN script, when this is a RUN.
    fn run(&self) -> Option<&'a ParsedShell> {
        if self.is("run") {
            self.shell
        } else {
            None
        }
    }
}

/// The script hadolint lints for a RUN (see the module docs).
pub fn run_script(inst: &Instruction) -> String {
    if inst.json {
        return inst.args.join(" ");
    }
    let cmd = inst.args.first().map(String::as_str).unwrap_or("");
    if let Some(h) = inst.heredocs.first() {
        if cmd.trim_start().starts_with("<<") {
            return h.content.trim().to_string();
        }
        if let Some(pos) = cmd.find("<<") {
            return cmd[..pos].trim().to_string();
        }
    }
    cmd.to_string()
}

/// The text of a SHELL instruction as hadolint sees it (`pwsh -c`).
fn shell_text(inst: &Instruction) -> String {
    inst.args.join(" ")
}

pub fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    let df = ctx.df;
    let shells: Vec<Option<ParsedShell>> = df
        .instructions
        .iter()
        .map(|i| {
            let e = i.effective();
            match e.keyword.as_str() {
                "run" => Some(ParsedShell::parse(&run_script(e))),
                "shell" => Some(ParsedShell::parse(&shell_text(e))),
                _ => None,
            }
        })
        .collect();
    let main: Vec<Item> = df
        .instructions
        .iter()
        .zip(&shells)
        .map(|(i, sh)| Item {
            outer: i,
            inst: i,
            shell: if i.onbuild.is_none() {
                sh.as_ref()
            } else {
                None
            },
        })
        .collect();
    let onbuild: Vec<Item> = df
        .instructions
        .iter()
        .zip(&shells)
        .filter_map(|(i, sh)| {
            i.onbuild.as_deref().map(|inner| Item {
                outer: i,
                inst: inner,
                shell: sh.as_ref(),
            })
        })
        .collect();

    for stream in [&main, &onbuild] {
        simple_rules(ctx, stream, out);
        dl3009(ctx, stream, out);
        dl3042(ctx, stream, out);
        dl3060(ctx, stream, out);
        rpm_pinning(ctx, stream, out);
        dc1007(ctx, stream, out);
    }
    dl3010(ctx, &main, out);
    dl4001(ctx, &main, out);
    dl4006(ctx, &main, out);
    dc1006(ctx, &main, out);
}

// ---- RUN --mount flags ---------------------------------------------------------

/// A `--mount=…` of a RUN: its type and target.
struct Mount {
    kind: String,
    target: String,
}

fn mounts(inst: &Instruction) -> Vec<Mount> {
    inst.flags
        .iter()
        .filter_map(|f| f.strip_prefix("--mount="))
        .map(|spec| {
            let mut kind = "bind".to_string();
            let mut target = String::new();
            for part in spec.split(',') {
                let (k, v) = part.split_once('=').unwrap_or((part, ""));
                let v = v.trim_matches('"').to_string();
                match k.trim() {
                    "type" => kind = v,
                    "target" | "dst" | "destination" => target = v,
                    _ => {}
                }
            }
            Mount { kind, target }
        })
        .collect()
}

/// A cache mount whose target starts with `dir` (hadolint's DL3009 check).
fn cache_mount_prefix(ms: &[Mount], dir: &str) -> bool {
    ms.iter()
        .any(|m| (m.kind == "cache" || m.kind == "tmpfs") && m.target.starts_with(dir))
}

/// hadolint's `hasCacheOrTmpfsMountWith`: a cache or tmpfs mount whose target
/// contains `frag`.
fn cache_mount_with(ms: &[Mount], frag: &str) -> bool {
    ms.iter()
        .any(|m| (m.kind == "cache" || m.kind == "tmpfs") && m.target.contains(frag))
}

// ---- stateless rules -----------------------------------------------------------

fn simple_rules(ctx: &Ctx, items: &[Item], out: &mut Vec<Finding>) {
    for item in items {
        let Some(sh) = item.run() else { continue };
        let ms = mounts(item.inst);
        let mut hit = |code: &str, msg: &str| out.push(ctx.finding(code, item.outer, msg));
        if dl3001(sh) {
            hit("DL3001", MSG_DL3001);
        }
        if sh.using_program("cd") {
            hit("DL3003", MSG_DL3003);
        }
        if sh.using_program("sudo") {
            hit("DL3004", MSG_DL3004);
        }
        if !apt_get_packages(sh).iter().all(|p| apt_pinned(p)) {
            hit("DL3008", MSG_DL3008);
        }
        if sh.any(dl3013_forgot_pin) {
            hit("DL3013", MSG_DL3013);
        }
        if sh.any(|c| c.has_args("apt-get", &["install"]) && !apt_assumes_yes(c)) {
            hit("DL3014", MSG_DL3014);
        }
        if sh.any(|c| {
            c.has_args("apt-get", &["install"])
                && !(c.has_flag("no-install-recommends")
                    || c.has_arg("APT::Install-Recommends=false"))
        }) {
            hit("DL3015", MSG_DL3015);
        }
        if sh.any(dl3016_forgot_pin) {
            hit("DL3016", MSG_DL3016);
        }
        if !apk_add_packages(sh)
            .iter()
            .all(|p| p.contains(['=', '~', '<', '>']) || p.ends_with(".apk"))
        {
            hit("DL3018", MSG_DL3018);
        }
        let apk_cache = cache_mount_with(&ms, "/var/cache/apk");
        if !apk_cache && sh.any(|c| c.has_args("apk", &["add"]) && !c.has_flag("no-cache")) {
            hit("DL3019", MSG_DL3019);
        }
        if sh.using_program("apt") {
            hit("DL3027", MSG_DL3027);
        }
        if !gems(sh).iter().all(|g| g.contains(':')) {
            hit("DL3028", MSG_DL3028);
        }
        if sh.any(|c| {
            c.has_args("yum", &["install", "groupinstall", "localinstall"])
                && !c.has_any_flag(&["y", "assumeyes"])
        }) {
            hit("DL3030", MSG_DL3030);
        }
        let yum_install = |c: &Command| c.has_args("yum", &["install"]);
        let yum_clean = |c: &Command| {
            has_all_args(c, "yum", &["clean", "all"])
                || has_all_args(c, "rm", &["-rf", "/var/cache/yum/*"])
        };
        if !cleaned_after(sh, yum_install, yum_clean) {
            hit("DL3032", MSG_DL3032);
        }
        if sh.any(|c| {
            c.has_args(
                "zypper",
                &[
                    "install",
                    "in",
                    "remove",
                    "rm",
                    "source-install",
                    "si",
                    "patch",
                ],
            ) && !c.has_any_flag(&["non-interactive", "n", "no-confirm", "y"])
        }) {
            hit("DL3034", MSG_DL3034);
        }
        if sh.any(|c| c.has_args("zypper", &["dist-upgrade", "dup"])) {
            hit("DL3035", MSG_DL3035);
        }
        if sh.any(|c| c.has_args("zypper", &["install", "in"]))
            && !cache_mount_with(&ms, "/var/cache/zypp")
            && !sh.any(|c| c.has_args("zypper", &["clean", "cc"]))
        {
            hit("DL3036", MSG_DL3036);
        }
        if !zypper_packages(sh)
            .iter()
            .all(|p| p.contains('=') || p.contains('>') || p.contains('<') || p.ends_with(".rpm"))
        {
            hit("DL3037", MSG_DL3037);
        }
        if sh.any(|c| {
            c.names_have_args(DNF, &["install", "groupinstall", "localinstall"])
                && !c.has_any_flag(&["y", "assumeyes"])
        }) {
            hit("DL3038", MSG_DL3038);
        }
        if dl3040(sh, &ms) {
            hit("DL3040", MSG_DL3040);
        }
        if sh.any(dl3046_forgot) {
            hit("DL3046", MSG_DL3046);
        }
        if sh.any(dl3047_forgot) {
            hit("DL3047", MSG_DL3047);
        }
        if !go_packages(sh).iter().all(|p| go_pinned(p)) {
            hit("DL3062", MSG_DL3062);
        }
        if sh.any(|c| c.has_args("ln", &["/bin/sh"])) {
            hit("DL4005", MSG_DL4005);
        }
    }
}

fn dl3001(sh: &ParsedShell) -> bool {
    const INVALID: &[&str] = &[
        "free", "kill", "mount", "ps", "service", "shutdown", "ssh", "top", "vim",
    ];
    sh.commands
        .iter()
        .any(|c| INVALID.contains(&c.name.as_str()))
}

/// Every one of `args` is an argument of a `name` command.
fn has_all_args(c: &Command, name: &str, args: &[&str]) -> bool {
    c.name == name && args.iter().all(|a| c.has_arg(a))
}

/// No command matching `install`, or a `clean` command after the last one.
fn cleaned_after(
    sh: &ParsedShell,
    install: impl Fn(&Command) -> bool,
    clean: impl Fn(&Command) -> bool,
) -> bool {
    let Some(last_install) = sh.commands.iter().rposition(install) else {
        return true;
    };
    sh.commands
        .iter()
        .rposition(clean)
        .is_some_and(|c| c > last_install)
}

/// apt-get's assume-yes: `-y`, `--yes`, `--assume-yes`, or quiet level 2
/// (`-qq`, `-q -q`, `-q=2`, `--quiet --quiet`), which implies it.
fn apt_assumes_yes(c: &Command) -> bool {
    if c.has_any_flag(&["y", "yes", "assume-yes"]) {
        return true;
    }
    let mut level = 0usize;
    for a in c.arg_texts() {
        if let Some(n) = a.strip_prefix("-q=").or_else(|| a.strip_prefix("--quiet=")) {
            level = n.parse().unwrap_or(level);
        } else if a == "--quiet" {
            level += 1;
        } else if let Some(short) = a.strip_prefix('-').filter(|s| !s.starts_with('-')) {
            level += short.chars().filter(|ch| *ch == 'q').count();
        }
    }
    level >= 2
}

/// `dropWhile (== "install") . dropWhile (/= "install")`.
fn strip_install_prefix<'a>(args: &[&'a str]) -> Vec<&'a str> {
    args.iter()
        .skip_while(|a| **a != "install")
        .skip_while(|a| **a == "install")
        .copied()
        .collect()
}

// DL3008
fn apt_get_packages(sh: &ParsedShell) -> Vec<String> {
    sh.commands
        .iter()
        .filter(|c| c.has_args("apt-get", &["install"]))
        .flat_map(|c| {
            c.drop_flag_arg(&["t", "target-release"])
                .args_no_flags()
                .into_iter()
                .filter(|a| *a != "install")
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

fn apt_pinned(p: &str) -> bool {
    p.contains('=') || p.contains('/') || p.ends_with(".deb")
}

// DL3013
const PIP_VALUE_FLAGS: &[&str] = &[
    "abi",
    "b",
    "build",
    "e",
    "editable",
    "extra-index-url",
    "f",
    "find-links",
    "i",
    "index-url",
    "implementation",
    "no-binary",
    "only-binary",
    "platform",
    "prefix",
    "progress-bar",
    "proxy",
    "python-version",
    "root",
    "src",
    "t",
    "target",
    "trusted-host",
    "upgrade-strategy",
];

const VCS_SCHEMES: &[&str] = &[
    "git+file",
    "git+https",
    "git+ssh",
    "git+http",
    "git+git",
    "git",
    "hg+file",
    "hg+http",
    "hg+https",
    "hg+ssh",
    "hg+static-http",
    "svn",
    "svn+svn",
    "svn+http",
    "svn+https",
    "svn+ssh",
    "bzr+http",
    "bzr+https",
    "bzr+ssh",
    "bzr+sftp",
    "bzr+ftp",
    "bzr+lp",
];

fn pip_packages(c: &Command) -> Vec<String> {
    let dropped = c.drop_flag_arg(PIP_VALUE_FLAGS);
    let args = dropped.args_no_flags();
    strip_install_prefix(&args)
        .into_iter()
        .map(str::to_string)
        .collect()
}

fn pip_pinned(p: &str) -> bool {
    const SYMBOLS: &[&str] = &["==", ">=", "<=", ">", "<", "!=", "~=", "==="];
    let vcs = VCS_SCHEMES.iter().any(|s| p.starts_with(s));
    SYMBOLS.iter().any(|s| p.contains(s))
        || (vcs && p.contains('@'))
        || p.ends_with(".whl")
        || p.ends_with(".tar.gz")
        || (!vcs && p.contains('/'))
}

fn dl3013_forgot_pin(c: &Command) -> bool {
    // `pipx install` pins as pip does (hadolint 2.15.1; not `pipx inject`,
    // `pipx run` or pipenv, and not DL3042: pipx keeps no pip cache).
    if !c.is_pip_install() && !c.has_args("pipx", &["install"]) {
        return false;
    }
    let constraint = c.has_flag("constraint") || c.has_flag("c");
    let requirement = c.has_arg("--requirement") || c.has_arg("-r") || c.has_arg(".");
    !constraint && !requirement && !pip_packages(c).iter().all(|p| pip_pinned(p))
}

// DL3016
fn dl3016_forgot_pin(c: &Command) -> bool {
    if !c.has_args("npm", &["install"]) {
        return false;
    }
    let dropped = c.drop_flag_arg(&["loglevel"]);
    let args = dropped.args_no_flags();
    if args.first() != Some(&"install") {
        return false;
    }
    !strip_install_prefix(&args).iter().all(|p| npm_pinned(p))
}

fn npm_pinned(p: &str) -> bool {
    const GIT: &[&str] = &["git://", "git+ssh://", "git+http://", "git+https://"];
    const TARBALL: &[&str] = &[".tar", ".tar.gz", ".tgz"];
    const PATH: &[&str] = &["/", "./", "../", "~/"];
    if GIT.iter().any(|g| p.starts_with(g)) {
        return p.contains('#');
    }
    if TARBALL.iter().any(|t| p.ends_with(t)) || PATH.iter().any(|d| p.starts_with(d)) {
        return true;
    }
    let unscoped = if p.starts_with('@') {
        p.trim_start_matches(|c: char| c > '/')
    } else {
        p
    };
    unscoped.contains('@')
}

// DL3018
fn apk_add_packages(sh: &ParsedShell) -> Vec<String> {
    sh.commands
        .iter()
        .filter(|c| c.has_args("apk", &["add"]))
        .flat_map(|c| {
            c.drop_flag_arg(&["t", "virtual", "repository", "X"])
                .args_no_flags()
                .into_iter()
                .filter(|a| *a != "add")
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

// DL3028
fn gems(sh: &ParsedShell) -> Vec<String> {
    let mut out = Vec::new();
    for c in &sh.commands {
        if !c.has_args("gem", &["install", "i"])
            || c.has_args("gem", &["-v"])
            || c.has_args("gem", &["--version"])
            || c.has_prefix_arg("gem", "--version=")
        {
            continue;
        }
        let args: Vec<&str> = c.arg_texts().take_while(|a| *a != "--").collect();
        let mut k = 0;
        while k < args.len() {
            let a = args[k];
            if a.starts_with('-') {
                k += 2;
                continue;
            }
            if a != "install" && a != "i" {
                out.push(a.to_string());
            }
            k += 1;
        }
    }
    out
}

// DL3033 / DL3041: rpm package versions
fn rpm_version_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '~' | '^' | '_' | ':' | '+')
}

/// A yum/dnf package is pinned: `name-version` (the parts after the first
/// dash look like a version), an `.rpm` file, or a version from a variable
/// that an ENV of the stage or an ARG defines.
fn rpm_pinned(p: &Arg, defined: &dyn Fn(&str) -> bool) -> bool {
    let text = p.text.as_str();
    let parts: Vec<&str> = text.split('-').collect();
    if parts.len() <= 1 {
        return false;
    }
    if text.ends_with(".rpm") {
        return true;
    }
    if text.contains('$') {
        return p.variables().into_iter().any(defined);
    }
    let rest = &parts[1..];
    rest.iter().all(|part| part.chars().all(rpm_version_char))
        && rest
            .iter()
            .any(|part| part.chars().next().is_some_and(|c| c.is_ascii_digit()))
}

/// The packages (or modules) of an `install` by one of `names`.
fn install_filter<'a>(c: &'a Command, names: &[&str]) -> Vec<&'a Arg> {
    if !c.names_have_args(names, &["install"]) {
        return Vec::new();
    }
    c.arg_words_no_flags()
        .into_iter()
        .filter(|a| a.text != "install" && a.text != "module")
        .collect()
}

fn dl3033_ok(sh: &ParsedShell, defined: &dyn Fn(&str) -> bool) -> bool {
    sh.commands.iter().all(|c| {
        if c.has_args("yum", &["module"]) {
            install_filter(c, &["yum"])
                .iter()
                .all(|m| m.text.contains(':'))
        } else {
            install_filter(c, &["yum"])
                .iter()
                .all(|p| rpm_pinned(p, defined))
        }
    })
}

const DNF: &[&str] = &["dnf", "microdnf"];

fn dl3041_ok(sh: &ParsedShell, defined: &dyn Fn(&str) -> bool) -> bool {
    sh.commands.iter().all(|c| {
        let modules = if c.names_have_args(DNF, &["module"]) {
            install_filter(c, DNF).iter().all(|m| m.text.contains(':'))
        } else {
            true
        };
        let packages = if c.names_have_args(DNF, &["module", "group"]) {
            true
        } else {
            install_filter(c, DNF)
                .iter()
                .all(|p| rpm_pinned(p, defined))
        };
        modules && packages
    })
}

/// DL3033 and DL3041, which know the variables ENV (per stage, inherited by
/// `FROM <stage>`) and ARG (anywhere) define.
fn rpm_pinning(ctx: &Ctx, items: &[Item], out: &mut Vec<Finding>) {
    // (stage alias, ENV names) per stage; index 0 is before any FROM.
    let mut stages: Vec<(Option<String>, BTreeSet<String>)> = vec![(None, BTreeSet::new())];
    let mut args: BTreeSet<String> = BTreeSet::new();
    for item in items {
        if item.is("from") {
            let key = FromKey::of(item.inst);
            let image = image_name(&key.image);
            let inherited = stages
                .iter()
                .find(|(alias, _)| alias.as_deref() == Some(image.as_str()))
                .map(|(_, envs)| envs.clone())
                .unwrap_or_default();
            stages.push((key.alias, inherited));
        } else if item.is("env") {
            if let Some((_, envs)) = stages.last_mut() {
                envs.extend(env_pairs(item.inst).into_iter().map(|(k, _)| k.to_string()));
            }
        } else if item.is("arg") {
            for a in &item.inst.args {
                args.insert(a.split('=').next().unwrap_or(a).to_string());
            }
        } else if let Some(sh) = item.run() {
            let envs = stages.last().map(|(_, e)| e);
            let defined = |v: &str| args.contains(v) || envs.is_some_and(|e| e.contains(v));
            if !dl3033_ok(sh, &defined) {
                out.push(ctx.finding("DL3033", item.outer, MSG_DL3033));
            }
            if !dl3041_ok(sh, &defined) {
                out.push(ctx.finding("DL3041", item.outer, MSG_DL3041));
            }
        }
    }
}

// DL3037
fn zypper_packages(sh: &ParsedShell) -> Vec<String> {
    sh.commands
        .iter()
        .filter(|c| c.has_args("zypper", &["install", "in"]))
        .flat_map(|c| {
            c.args_no_flags()
                .into_iter()
                .filter(|a| *a != "install" && *a != "in")
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

// DL3040
fn dl3040(sh: &ParsedShell, ms: &[Mount]) -> bool {
    const INSTALLS: &[&str] = &[
        "install",
        "in",
        "upgrade",
        "up",
        "upgrade-minimal",
        "up-min",
        "reinstall",
        "rei",
    ];
    let missing = DNF.iter().any(|name| {
        !cleaned_after(
            sh,
            |c| c.has_args(name, INSTALLS),
            |c| {
                has_all_args(c, name, &["clean", "all"])
                    || (c.name == "rm"
                        && c.has_arg("-rf")
                        && c.arg_texts().any(|a| {
                            a == "/var/cache/yum/*"
                                || a.starts_with("/var/cache/libdnf5")
                                || a.starts_with("/var/cache/dnf")
                        }))
            },
        )
    });
    missing
        && !cache_mount_with(ms, "/var/cache/libdnf5")
        && !cache_mount_with(ms, ".cache/libdnf5")
}

// DL3046
fn dl3046_forgot(c: &Command) -> bool {
    c.name == "useradd"
        && !c.has_any_flag(&["l", "no-log-init"])
        && c.has_any_flag(&["u", "uid"])
        && c.flag_args("u").iter().any(|u| u.chars().count() > 5)
}

// DL3047
fn dl3047_forgot(c: &Command) -> bool {
    c.name == "wget"
        && !c.has_flag("progress")
        && !(c.has_any_flag(&["q", "quiet"])
            || c.has_any_flag(&["o", "output-file"])
            || c.has_any_flag(&["a", "append-output"])
            || c.has_any_flag(&["no-verbose"])
            || c.has_args("wget", &["-nv"]))
}

// DL3062
fn go_packages(sh: &ParsedShell) -> Vec<String> {
    let run: Vec<String> = sh
        .commands
        .iter()
        .filter(|c| c.has_args("go", &["run"]))
        .flat_map(|c| {
            c.args_no_flags()
                .into_iter()
                .enumerate()
                .filter(|(i, a)| *a != "run" && *i <= 1)
                .map(|(_, a)| a.to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    if !run.is_empty() {
        return run;
    }
    sh.commands
        .iter()
        .filter(|c| c.has_args("go", &["install", "get"]))
        .flat_map(|c| {
            c.args_no_flags()
                .into_iter()
                .filter(|a| !["install", "get", "tool"].contains(a))
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

fn go_pinned(p: &str) -> bool {
    let local = p == "." || p.starts_with('/') || p.starts_with('.');
    local || (p.contains('@') && !p.ends_with("@latest") && !p.ends_with("@none"))
}

// ---- stage helpers -----------------------------------------------------------------

/// What hadolint compares FROMs by (its `BaseImage`): the reference, alias
/// and platform as written.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct FromKey {
    image: String,
    alias: Option<String>,
    platform: Option<String>,
}

impl FromKey {
    /// The placeholder hadolint uses before any FROM.
    fn scratch() -> FromKey {
        FromKey {
            image: "scratch".into(),
            alias: None,
            platform: None,
        }
    }
    fn of(inst: &Instruction) -> FromKey {
        let alias = match inst.args.as_slice() {
            [_, kw, name, ..] if kw.eq_ignore_ascii_case("as") => Some(name.clone()),
            _ => None,
        };
        FromKey {
            image: inst.args.first().cloned().unwrap_or_default(),
            alias,
            platform: inst.flag("platform").map(str::to_string),
        }
    }
}

/// The image name of a reference, without registry, tag or digest
/// (language-docker's `imageName`).
fn image_name(reference: &str) -> String {
    let no_digest = reference.split('@').next().unwrap_or(reference);
    let (path, last) = match no_digest.rsplit_once('/') {
        Some((p, l)) => (Some(p), l),
        None => (None, no_digest),
    };
    let last = last.split(':').next().unwrap_or(last);
    let full = match path {
        Some(p) => format!("{p}/{last}"),
        None => last.to_string(),
    };
    match full.split_once('/') {
        Some((first, rest))
            if first.contains('.') || first.contains(':') || first == "localhost" =>
        {
            rest.to_string()
        }
        _ => full,
    }
}

// ---- DL3009 / DL3060: cleanup in the stages that matter ------------------------------

/// hadolint's shape for DL3009 and DL3060: remember RUNs that forgot to clean
/// up with their stage; at the end report those in the last stage and those
/// in stages whose alias a later FROM builds on.
fn stage_cleanup(
    ctx: &Ctx,
    items: &[Item],
    code: &str,
    msg: &str,
    forgot: impl Fn(&ParsedShell, &[Mount]) -> bool,
    out: &mut Vec<Finding>,
) {
    let mut last_from: Option<FromKey> = None;
    let mut images: BTreeSet<String> = BTreeSet::new();
    let mut forgets: BTreeMap<usize, (&Instruction, FromKey)> = BTreeMap::new();
    for item in items {
        if item.is("from") {
            let key = FromKey::of(item.inst);
            images.insert(image_name(&key.image));
            last_from = Some(key);
        } else if let Some(sh) = item.run() {
            if forgot(sh, &mounts(item.inst)) {
                let from = last_from.clone().unwrap_or_else(FromKey::scratch);
                if last_from.is_none() {
                    last_from = Some(FromKey::scratch());
                }
                forgets.insert(item.outer.start_line(), (item.outer, from));
            }
        }
    }
    let Some(last) = last_from else { return };
    for (inst, from) in forgets.values() {
        let used_later = from.alias.as_ref().is_some_and(|a| images.contains(a));
        if *from == last || used_later {
            out.push(ctx.finding(code, inst, msg));
        }
    }
}

fn dl3009(ctx: &Ctx, items: &[Item], out: &mut Vec<Finding>) {
    stage_cleanup(
        ctx,
        items,
        "DL3009",
        MSG_DL3009,
        |sh, ms| {
            // apt-get, apt and aptitude share /var/lib/apt/lists.
            let forgot = sh.any(|c| {
                ["apt-get", "apt", "aptitude"]
                    .iter()
                    .any(|p| c.has_args(p, &["update"]))
            }) && !sh.any(|c| c.has_args("rm", &["-rf", "/var/lib/apt/lists/*"]));
            forgot
                && !cache_mount_prefix(ms, "/var/lib/apt/lists")
                && !(cache_mount_prefix(ms, "/var/lib/apt")
                    && cache_mount_prefix(ms, "/var/cache/apt"))
        },
        out,
    );
}

fn dl3060(ctx: &Ctx, items: &[Item], out: &mut Vec<Finding>) {
    stage_cleanup(
        ctx,
        items,
        "DL3060",
        MSG_DL3060,
        |sh, ms| {
            // A `yarn install` with no `yarn cache clean` after it.
            let last_install = sh
                .commands
                .iter()
                .rposition(|c| c.has_args("yarn", &["install"]));
            let last_clean = sh
                .commands
                .iter()
                .rposition(|c| c.has_args("yarn", &["cache", "clean"]));
            let forgot = match (last_install, last_clean) {
                (Some(i), Some(c)) => c < i,
                (Some(_), None) => true,
                _ => false,
            };
            forgot && !cache_mount_with(ms, ".cache/yarn")
        },
        out,
    );
}

// ---- DL3042: pip cache, with PIP_NO_CACHE_DIR per stage -------------------------------

const TRUTHY: &[&str] = &[
    "1", "true", "True", "TRUE", "on", "On", "ON", "yes", "Yes", "YES",
];

fn unquote(v: &str) -> &str {
    let v = v.trim();
    for q in ['"', '\''] {
        if v.len() >= 2 && v.starts_with(q) && v.ends_with(q) {
            return &v[1..v.len() - 1];
        }
    }
    v
}

/// ENV key/value pairs (args are key, value, separator triples).
fn env_pairs(inst: &Instruction) -> Vec<(&str, &str)> {
    inst.args
        .chunks(3)
        .filter_map(|t| match t {
            [k, v, ..] => Some((k.as_str(), unquote(v))),
            _ => None,
        })
        .collect()
}

fn dl3042(ctx: &Ctx, items: &[Item], out: &mut Vec<Finding>) {
    // Stage name (alias or image name; "" before any FROM) -> PIP_NO_CACHE_DIR set.
    let mut current: Option<String> = None;
    let mut no_cache: BTreeMap<Option<String>, bool> = BTreeMap::new();
    for item in items {
        if item.is("from") {
            let key = FromKey::of(item.inst);
            let image = image_name(&key.image);
            let parent = no_cache.get(&Some(image.clone())).copied().unwrap_or(false);
            let name = key.alias.unwrap_or(image);
            no_cache.insert(Some(name.clone()), parent);
            current = Some(name);
        } else if item.is("env") {
            let pairs = env_pairs(item.inst);
            if let Some((_, v)) = pairs.iter().find(|(k, _)| *k == "PIP_NO_CACHE_DIR") {
                if TRUTHY.contains(v) {
                    no_cache.insert(current.clone(), true);
                }
            }
        } else if let Some(sh) = item.run() {
            if no_cache.get(&current).copied().unwrap_or(false) {
                continue;
            }
            if pip_no_cache_in_script(&sh.original)
                || cache_mount_with(&mounts(item.inst), ".cache/pip")
            {
                continue;
            }
            let forgot = |c: &Command| {
                c.is_pip_install() && !c.has_arg("--no-cache-dir") && !is_pip_wrapper(c)
            };
            if sh.any(forgot) {
                out.push(ctx.finding("DL3042", item.outer, MSG_DL3042));
            }
        }
    }
}

fn pip_no_cache_in_script(script: &str) -> bool {
    let Some(pos) = script.find("PIP_NO_CACHE_DIR=") else {
        return false;
    };
    let after = &script[pos..];
    let value = after.split_once('=').map(|(_, v)| v).unwrap_or("");
    TRUTHY.iter().any(|t| value.starts_with(t))
}

fn is_pip_wrapper(c: &Command) -> bool {
    ["pipx", "pipenv"].iter().any(|w| {
        c.name.contains(w)
            || (c.name.starts_with("python")
                && c.args
                    .windows(2)
                    .any(|p| p[0].text == "-m" && p[1].text == *w))
    })
}

// ---- DL3010: archives COPYed then extracted ------------------------------------------

const ARCHIVE_EXTENSIONS: &[&str] = &[
    ".tar", ".Z", ".bz2", ".gz", ".lz", ".lzma", ".tZ", ".tb2", ".tbz", ".tbz2", ".tgz", ".tlz",
    ".tpz", ".txz", ".xz",
];

fn drop_quotes(s: &str) -> &str {
    s.trim_matches(|c| c == '"' || c == '\'')
}

fn basename(s: &str) -> &str {
    let s = drop_quotes(s);
    s.rsplit(['/', '\\']).next().unwrap_or(s)
}

fn is_archive(s: &str) -> bool {
    let s = drop_quotes(s);
    ARCHIVE_EXTENSIONS.iter().any(|e| s.ends_with(e))
}

fn extracts(c: &Command, archive: &str) -> bool {
    const UNZIP: &[&str] = &[
        "unzip",
        "gunzip",
        "bunzip2",
        "unlzma",
        "unxz",
        "zgz",
        "uncompress",
        "zcat",
        "gzcat",
    ];
    let tar = c.name == "tar"
        && c.arg_texts()
            .any(|a| a == "--extract" || a == "--get" || (a.starts_with('-') && a.contains('x')));
    (tar || UNZIP.contains(&c.name.as_str()))
        && c.args_no_flags().iter().any(|a| basename(a) == archive)
}

fn dl3010(ctx: &Ctx, items: &[Item], out: &mut Vec<Finding>) {
    // (line, archive name) -> the COPY
    let mut archives: BTreeMap<(usize, String), &Instruction> = BTreeMap::new();
    let mut extracted: BTreeSet<(usize, String)> = BTreeSet::new();
    for item in items {
        if item.is("from") {
            // hadolint resets everything, findings of earlier stages included.
            archives.clear();
            extracted.clear();
        } else if item.is("copy") && item.inst.flag("from").is_none() {
            let args = &item.inst.args;
            let Some((target, sources)) = args.split_last() else {
                continue;
            };
            if sources.is_empty() {
                continue;
            }
            let line = item.outer.start_line();
            if is_archive(target) {
                archives.insert((line, basename(target).to_string()), item.outer);
            } else {
                for s in sources.iter().filter(|s| is_archive(s)) {
                    archives.insert((line, basename(s).to_string()), item.outer);
                }
            }
        } else if let Some(sh) = item.run() {
            for key in archives.keys() {
                if sh.commands.iter().any(|c| extracts(c, &key.1)) {
                    extracted.insert(key.clone());
                }
            }
        }
    }
    for key in &extracted {
        if let Some(inst) = archives.get(key) {
            out.push(ctx.finding("DL3010", inst, MSG_DL3010));
        }
    }
}

// ---- DL4001: wget and curl ---------------------------------------------------------------

fn dl4001(ctx: &Ctx, items: &[Item], out: &mut Vec<Finding>) {
    let (mut curl, mut wget) = (false, false);
    for item in items {
        if item.is("from") {
            curl = false;
            wget = false;
        } else if let Some(sh) = item.run() {
            let c = sh.using_program("curl");
            let w = sh.using_program("wget");
            curl |= c;
            wget |= w;
            if (c || w) && curl && wget {
                out.push(ctx.finding("DL4001", item.outer, MSG_DL4001));
            }
        }
    }
}

// ---- DL4006: pipefail --------------------------------------------------------------------

/// Shells that are not POSIX: hadolint skips its shell checks under them.
const NON_POSIX_SHELLS: &[&str] = &["pwsh", "powershell", "cmd"];

fn is_non_posix(shell: &str) -> bool {
    let s = shell.trim_start();
    NON_POSIX_SHELLS.iter().any(|p| s.starts_with(p))
}

fn has_pipefail(sh: &ParsedShell) -> bool {
    sh.commands.iter().any(|c| {
        let base = c.name.rsplit('/').next().unwrap_or(&c.name);
        ["bash", "zsh", "ash"].contains(&base)
            && c.has_flag("o")
            && c.arg_texts().any(|a| a == "pipefail")
    })
}

/// hadolint 2.15 keeps reporting DL4006 under a `# hadolint shell=` pragma;
/// only a SHELL instruction (non-POSIX, or with `-o pipefail`) satisfies it.
fn dl4006(ctx: &Ctx, items: &[Item], out: &mut Vec<Finding>) {
    let mut ok = false;
    for item in items {
        if item.is("from") {
            ok = false;
        } else if item.is("shell") {
            let text = shell_text(item.inst);
            ok = is_non_posix(&text) || item.shell.is_some_and(has_pipefail);
        } else if let Some(sh) = item.run() {
            if !ok && sh.pipes {
                out.push(ctx.finding("DL4006", item.outer, MSG_DL4006));
            }
        }
    }
}

// ---- DC1006: chown -R after COPY ---------------------------------------------------------

/// Normalises a path against a working directory: absolute, no trailing `/`,
/// `.` segments dropped.
fn resolve(workdir: &str, path: &str) -> String {
    let joined = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("{}/{}", workdir.trim_end_matches('/'), path)
    };
    let mut parts: Vec<&str> = Vec::new();
    for seg in joined.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    format!("/{}", parts.join("/"))
}

fn path_overlaps(a: &str, b: &str) -> bool {
    let within = |inner: &str, outer: &str| {
        inner == outer || outer == "/" || inner.starts_with(&format!("{outer}/"))
    };
    within(a, b) || within(b, a)
}

fn dc1006(ctx: &Ctx, items: &[Item], out: &mut Vec<Finding>) {
    let mut workdir = String::from("/");
    // (destination, line) of COPY/ADD without --chown in the current stage
    let mut copied: Vec<(String, usize)> = Vec::new();
    for item in items {
        let inst = item.inst;
        match inst.keyword.as_str() {
            "from" => {
                workdir = "/".into();
                copied.clear();
            }
            "workdir" => {
                if let Some(dir) = inst.args.first() {
                    workdir = resolve(&workdir, drop_quotes(dir));
                }
            }
            "copy" | "add" if inst.flag("chown").is_none() => {
                if let Some(dest) = inst.args.last().filter(|_| inst.args.len() >= 2) {
                    let dest = drop_quotes(dest);
                    if !dest.contains('$') {
                        copied.push((resolve(&workdir, dest), item.outer.start_line()));
                    }
                }
            }
            "run" => {
                let Some(sh) = item.shell else { continue };
                let hit = sh.commands.iter().find_map(|c| {
                    if c.name != "chown" || !c.has_any_flag(&["R", "recursive"]) {
                        return None;
                    }
                    let args = c.args_no_flags();
                    args.iter().skip(1).find_map(|p| {
                        if p.contains("${VAR}") {
                            return None;
                        }
                        let p = resolve(&workdir, p);
                        copied
                            .iter()
                            .rev()
                            .find(|(d, _)| path_overlaps(d, &p))
                            .map(|(_, line)| *line)
                    })
                });
                if let Some(line) = hit {
                    out.push(ctx.finding(
                        "DC1006",
                        item.outer,
                        format!(
                            "`chown -R` on files added by the COPY/ADD on line {line} duplicates them in a new layer; use `COPY --chown=<user>:<group>` instead"
                        ),
                    ));
                }
            }
            _ => {}
        }
    }
}

// ---- DC1007: package-manager caches ----------------------------------------------------

/// A package manager whose download cache ends up in the layer unless cleaned
/// or mounted (the ones hadolint has no rule for; apt, apk, pip, yum, dnf,
/// zypper and yarn are DL3009/DL3019/DL3042/DL3032/DL3040/DL3036/DL3060).
struct Manager {
    name: &'static str,
    /// Subcommands that fill the cache (the first argument that is not a flag).
    installs: &'static [&'static str],
    /// A flag that disables the cache.
    no_cache_flag: Option<&'static str>,
    /// Cleanup: the manager run with these two words (`npm cache clean`).
    clean: (&'static str, &'static str),
    /// Environment variables that disable the cache.
    env: &'static [&'static str],
    /// A fragment of the cache directory (for `--mount=type=cache` and `rm -rf`).
    cache_dir: &'static str,
    /// Suggested mount target.
    mount: &'static str,
}

const MANAGERS: &[Manager] = &[
    Manager {
        name: "npm",
        installs: &["install", "i", "ci", "add"],
        no_cache_flag: None,
        clean: ("cache", "clean"),
        env: &[],
        cache_dir: ".npm",
        mount: "/root/.npm",
    },
    Manager {
        name: "pnpm",
        installs: &["install", "i", "add"],
        no_cache_flag: None,
        clean: ("store", "prune"),
        env: &[],
        cache_dir: "pnpm",
        mount: "/root/.local/share/pnpm/store",
    },
    Manager {
        name: "composer",
        installs: &["install", "require", "update"],
        no_cache_flag: Some("no-cache"),
        clean: ("clear-cache", "clear-cache"),
        env: &["COMPOSER_CACHE_DIR=/dev/null"],
        cache_dir: "composer",
        mount: "/root/.composer/cache",
    },
    Manager {
        name: "poetry",
        installs: &["install", "add"],
        no_cache_flag: Some("no-cache"),
        clean: ("cache", "clear"),
        env: &["POETRY_NO_CACHE="],
        cache_dir: "pypoetry",
        mount: "/root/.cache/pypoetry",
    },
    Manager {
        name: "uv",
        installs: &["pip", "sync", "add"],
        no_cache_flag: Some("no-cache"),
        clean: ("cache", "clean"),
        env: &["UV_NO_CACHE="],
        cache_dir: "uv",
        mount: "/root/.cache/uv",
    },
];

fn dc1007(ctx: &Ctx, items: &[Item], out: &mut Vec<Finding>) {
    // ENV keys=values set in the current stage, and its USER so far.
    let mut stage_env: Vec<String> = Vec::new();
    let mut user: Option<String> = None;
    for item in items {
        if item.is("from") {
            stage_env.clear();
            user = None;
            continue;
        }
        if item.is("user") {
            user = item.inst.args.first().cloned();
            continue;
        }
        if item.is("env") {
            for (k, v) in env_pairs(item.inst) {
                stage_env.push(format!("{k}={v}"));
            }
            continue;
        }
        let Some(sh) = item.run() else { continue };
        let ms = mounts(item.inst);
        for m in MANAGERS {
            let Some(cmd) = sh.commands.iter().find(|c| {
                c.name == m.name
                    && c.args_no_flags()
                        .first()
                        .is_some_and(|s| m.installs.contains(s))
                    && !m.no_cache_flag.is_some_and(|f| c.has_flag(f))
            }) else {
                continue;
            };
            let cleaned = sh.any(|c| {
                (c.name == m.name && c.has_arg(m.clean.0) && c.has_arg(m.clean.1))
                    || (c.name == "rm" && c.arg_texts().any(|a| a.contains(m.cache_dir)))
            });
            let env_off = m
                .env
                .iter()
                .any(|e| sh.original.contains(e) || stage_env.iter().any(|s| s.starts_with(e)));
            if cleaned || env_off || cache_mount_with(&ms, m.cache_dir) {
                continue;
            }
            let sub = cmd.args_no_flags().first().copied().unwrap_or("");
            let clean = if m.clean.0 == m.clean.1 {
                format!("{} {}", m.name, m.clean.0)
            } else {
                format!("{} {} {}", m.name, m.clean.0, m.clean.1)
            };
            out.push(ctx.finding(
                "DC1007",
                item.outer,
                format!(
                    "`{} {}` leaves its download cache in the image layer: run `{}` in the same RUN or mount the cache with `RUN --mount=type=cache,{}`",
                    m.name, sub, clean, cache_mount_for(m.mount, user.as_deref())
                ),
            ));
        }
    }
}

/// The `target=…` (and `uid=…`) of a suggested cache mount: the manager's
/// cache under root's home, or under the home of the stage's USER (a cache
/// mount is root's unless `uid=` says otherwise).
fn cache_mount_for(root_path: &str, user: Option<&str>) -> String {
    let name = user
        .map(|u| u.split(':').next().unwrap_or(u).trim())
        .filter(|n| !n.is_empty() && *n != "root" && !n.trim_start_matches('0').is_empty());
    let Some(name) = name else {
        return format!("target={root_path}");
    };
    let rest = root_path.strip_prefix("/root").unwrap_or(root_path);
    if name.chars().all(|c| c.is_ascii_digit()) || name.starts_with('$') {
        format!("target=<home of user {name}>{rest},uid={name}")
    } else {
        format!("target=/home/{name}{rest},uid=<uid of {name}>")
    }
}

#[cfg(test)]
mod tests;
