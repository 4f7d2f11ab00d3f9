//! `devctl build`: the context tarball (honouring `.dockerignore` with
//! Docker's rules, see [`crate::dockerignore`]) streamed to the engine's
//! builder, with progress: a one-line spinner per step on a terminal, plain
//! lines otherwise. On failure the build's own error lines are shown.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use bollard::query_parameters::BuildImageOptionsBuilder;
use bytes::Bytes;
use futures_util::StreamExt;

use super::plan::{BuildPlan, BuildSecretSource, ServicePlan, INLINE_DOCKERFILE};
use super::Engine;
use devctl_dockerignore::DockerIgnore;

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// indicatif spinner (stderr is a terminal).
    Tty,
    /// One plain line per builder output line.
    Plain,
    /// Nothing but errors.
    Quiet,
}

#[derive(Debug, Clone)]
pub struct BuildOptions {
    pub no_cache: bool,
    pub pull: bool,
    pub progress: Progress,
    /// The current directory (canonical): paths in messages are shown
    /// from it.
    pub cwd: PathBuf,
    /// Where build stamps live (`.devctl/`): a build whose inputs match
    /// its stamp is skipped ([`super::stamp`]). None: always build.
    pub stamps: Option<PathBuf>,
    /// `DOCKER_BUILDKIT=0` (or `false`) in devctl's environment: the legacy
    /// builder was asked for (the binary reads the environment).
    pub legacy_asked: bool,
    /// `SSH_AUTH_SOCK` is set (an agent a `build.ssh` build can use).
    pub ssh_agent: bool,
}

/// Whether an environment's `DOCKER_BUILDKIT` value asks for the legacy
/// builder, as docker and compose read it.
pub fn legacy_asked(docker_buildkit: Option<&str>) -> bool {
    docker_buildkit.is_some_and(|v| v == "0" || v.eq_ignore_ascii_case("false"))
}

/// The ignore file of a build: `<Dockerfile>.dockerignore` next to the
/// Dockerfile when present (BuildKit's rule), else `<context>/.dockerignore`.
pub fn ignore_path(build: &BuildPlan) -> PathBuf {
    let df = build.context.join(&build.dockerfile);
    let specific = PathBuf::from(format!("{}.dockerignore", df.display()));
    if specific.is_file() {
        specific
    } else {
        build.context.join(".dockerignore")
    }
}

/// Reads the ignore file of a build (see [`ignore_path`]).
pub fn read_ignore(build: &BuildPlan) -> Result<DockerIgnore> {
    let path = ignore_path(build);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => {
            return Err(crate::usage(format!(
                "cannot read {}: {}",
                path.display(),
                io_reason(&e)
            )))
        }
    };
    let ig = DockerIgnore::parse(&text);
    if let Some(bad) = ig.invalid_patterns().first() {
        return Err(crate::usage(format!(
            "{}:{}: invalid pattern {:?}: {} (Docker would fail the build)",
            path.display(),
            bad.line,
            bad.pattern,
            bad.reason
        )));
    }
    Ok(ig)
}

/// An I/O error as a short lower-case reason ("permission denied"), without
/// Rust's " (os error 13)".
pub fn io_reason(e: &std::io::Error) -> String {
    if e.kind() == std::io::ErrorKind::PermissionDenied {
        return "permission denied".into();
    }
    let s = e.to_string();
    let s = match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    };
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => s,
    }
}

/// What of a build context is private: never sent to the engine unless the
/// ignore file re-includes it by name. Besides these paths, every file named
/// `.env` and every directory named `.devctl`, at any depth, is private.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Private {
    /// Context-relative, `/`-separated paths (files or directories); `""`
    /// when the context itself lies inside a private directory.
    pub paths: Vec<String>,
    /// (device, inode) of the private files, so that a hard link to one
    /// elsewhere in the context stays out too.
    pub inodes: Vec<(u64, u64)>,
}

impl Private {
    /// The private host paths (see [`BuildPlan::private`]) as seen from
    /// `context`: symlinks resolved on both sides, those outside the
    /// context dropped (they cannot be sent).
    pub fn for_context(context: &Path, files: &[PathBuf]) -> Private {
        use std::os::unix::fs::MetadataExt;
        let mut out = Private::default();
        let ctx_forms = forms(context);
        for f in files {
            for f_form in forms(f) {
                for c in &ctx_forms {
                    let rel = if let Ok(r) = f_form.strip_prefix(c) {
                        r.to_string_lossy().into_owned()
                    } else if c.starts_with(&f_form) {
                        String::new()
                    } else {
                        continue;
                    };
                    if !out.paths.contains(&rel) {
                        out.paths.push(rel);
                    }
                }
            }
            let Ok(meta) = std::fs::metadata(f) else {
                continue;
            };
            let mut add = |m: &std::fs::Metadata| {
                let ino = (m.dev(), m.ino());
                if m.is_file() && !out.inodes.contains(&ino) {
                    out.inodes.push(ino);
                }
            };
            if meta.is_dir() {
                for e in std::fs::read_dir(f).into_iter().flatten().flatten() {
                    if let Ok(m) = e.metadata() {
                        add(&m);
                    }
                }
            } else {
                add(&meta);
            }
        }
        out
    }
}

/// A path as given (cleaned) and with symlinks resolved (the longest
/// existing ancestor canonicalised), deduplicated.
fn forms(p: &Path) -> Vec<PathBuf> {
    let lexical: PathBuf = p.components().collect();
    let mut out = vec![lexical.clone()];
    let mut tail = Vec::new();
    let mut cur = lexical.as_path();
    loop {
        if let Ok(c) = cur.canonicalize() {
            let mut full = c;
            for t in tail.iter().rev() {
                full.push(t);
            }
            if !out.contains(&full) {
                out.push(full);
            }
            break;
        }
        match (cur.parent(), cur.file_name()) {
            (Some(parent), Some(name)) => {
                tail.push(name.to_os_string());
                cur = parent;
            }
            _ => break,
        }
    }
    out
}

/// The files of a build context that go into the tarball.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContextFiles {
    /// In tar order (relative paths with `/`).
    pub entries: Vec<String>,
    /// Private paths the ignore file re-includes by name (each sent: the
    /// build warns about them).
    pub reincluded: Vec<String>,
}

/// A file or directory of the context that cannot be read. Shown as
/// "cannot read ./secret.key: permission denied".
#[derive(Debug)]
pub struct Unreadable {
    /// Context-relative (`secret.key`, `sub/` for a directory, `` for the
    /// context itself).
    pub rel: String,
    pub error: std::io::Error,
}

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot read ./{}: {}", self.rel, io_reason(&self.error))
    }
}

impl std::error::Error for Unreadable {}

/// The files of the context that go into the tarball, in tar order
/// (relative paths with `/`): `.dockerignore` honoured, the private paths
/// (see [`Private`]) left out unless a `!` pattern names them. Every file
/// sent is opened once here, so that an unreadable one is an
/// [`Unreadable`] error before anything reaches the engine.
pub fn context_entries(
    context: &Path,
    ig: &DockerIgnore,
    dockerfile: &str,
    private: &Private,
) -> Result<ContextFiles, Unreadable> {
    let always = [
        dockerfile.trim_start_matches("./").to_string(),
        ".dockerignore".to_string(),
    ];
    let w = Walker {
        root: context,
        ig,
        always: &always,
        private,
        reincludes: ig
            .patterns()
            .filter_map(|p| p.strip_prefix('!').map(str::to_string))
            .collect(),
    };
    let mut out = ContextFiles::default();
    w.walk("", &mut out)?;
    Ok(out)
}

struct Walker<'a> {
    root: &'a Path,
    ig: &'a DockerIgnore,
    always: &'a [String],
    private: &'a Private,
    /// The `!` patterns, cleaned, without the `!`.
    reincludes: Vec<String>,
}

fn is_wild(s: &str) -> bool {
    s.contains(['*', '?', '[', '\\'])
}

/// Does the re-include pattern `n` name the path `x` (literally, or as
/// `**/<literal>`)?
fn names(n: &str, x: &str) -> bool {
    match n.strip_prefix("**/") {
        Some(l) => !is_wild(l) && (x == l || x.ends_with(&format!("/{l}"))),
        None => !is_wild(n) && n == x,
    }
}

impl Walker<'_> {
    /// The private path `rel` is or lies under, if any.
    fn private_root(&self, rel: &str, is_dir: bool, inode: Option<(u64, u64)>) -> Option<String> {
        for p in &self.private.paths {
            if p.is_empty() || rel == p || rel.starts_with(&format!("{p}/")) {
                return Some(p.clone());
            }
        }
        let comps: Vec<&str> = rel.split('/').collect();
        for (i, c) in comps.iter().enumerate() {
            let last = i + 1 == comps.len();
            if (*c == ".devctl" && (!last || is_dir)) || (*c == ".env" && last && !is_dir) {
                return Some(comps[..=i].join("/"));
            }
        }
        if inode.is_some_and(|i| self.private.inodes.contains(&i)) {
            return Some(rel.to_string());
        }
        None
    }

    /// The path at or under `root`, `rel` or one of its parents, that a `!`
    /// pattern names.
    fn reincluded(&self, rel: &str, root: &str) -> Option<String> {
        let mut xs = Vec::new();
        let mut end = 0;
        for c in rel.split('/') {
            end += c.len();
            let x = &rel[..end];
            if root.is_empty() || x == root || x.starts_with(&format!("{root}/")) {
                xs.push(x);
            }
            end += 1;
        }
        xs.into_iter()
            .find(|x| self.reincludes.iter().any(|n| names(n, x)))
            .map(str::to_string)
    }

    /// May a `!` pattern name something below the directory `dir`?
    fn reinclude_below(&self, dir: &str) -> bool {
        self.reincludes
            .iter()
            .any(|n| n.starts_with("**/") || n.starts_with(&format!("{dir}/")))
    }

    /// Whether `rel` is sent: not private (`root` is `None`), or private and
    /// re-included by name (then recorded in `out.reincluded`).
    fn private_verdict(&self, root: Option<String>, rel: &str, out: &mut ContextFiles) -> bool {
        let Some(root) = root else {
            return true;
        };
        match self.reincluded(rel, &root) {
            Some(x) => {
                if !out.reincluded.contains(&x) {
                    out.reincluded.push(x);
                }
                true
            }
            None => false,
        }
    }

    fn walk(&self, rel: &str, out: &mut ContextFiles) -> Result<(), Unreadable> {
        use std::os::unix::fs::MetadataExt;
        let dir = if rel.is_empty() {
            self.root.to_path_buf()
        } else {
            self.root.join(rel)
        };
        let unreadable_dir = |error| Unreadable {
            rel: if rel.is_empty() {
                String::new()
            } else {
                format!("{rel}/")
            },
            error,
        };
        let mut entries: Vec<(String, std::fs::FileType)> = std::fs::read_dir(&dir)
            .map_err(unreadable_dir)?
            .map(|e| {
                let e = e?;
                Ok((e.file_name().to_string_lossy().into_owned(), e.file_type()?))
            })
            .collect::<std::io::Result<_>>()
            .map_err(unreadable_dir)?;
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        for (name, ft) in entries {
            let path = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            let excluded = self.ig.is_excluded(&path) && !self.always.contains(&path);
            if ft.is_dir() {
                let root = self.private_root(&path, true, None);
                let private = root.is_some();
                if excluded && self.ig.can_skip_dir(&path) {
                    continue;
                }
                let sent = !excluded && self.private_verdict(root, &path, out);
                if private && !sent && !self.reinclude_below(&path) {
                    continue;
                }
                if sent {
                    out.entries.push(path.clone());
                }
                self.walk(&path, out)?;
            } else if !excluded {
                // Private by name and not re-included: left out unopened.
                let by_name = self.private_root(&path, false, None);
                if let Some(r) = &by_name {
                    if self.reincluded(&path, r).is_none() {
                        continue;
                    }
                }
                let mut inode = None;
                if ft.is_file() {
                    let f =
                        std::fs::File::open(self.root.join(&path)).map_err(|error| Unreadable {
                            rel: path.clone(),
                            error,
                        })?;
                    let m = f.metadata().map_err(|error| Unreadable {
                        rel: path.clone(),
                        error,
                    })?;
                    inode = Some((m.dev(), m.ino()));
                }
                let root = by_name.or_else(|| self.private_root(&path, false, inode));
                if self.private_verdict(root, &path, out) {
                    out.entries.push(path);
                }
            }
        }
        Ok(())
    }
}

/// A `Write` that sends 64 KiB chunks into a channel (the request body).
struct ChanWriter {
    tx: tokio::sync::mpsc::Sender<Bytes>,
    buf: Vec<u8>,
}

const CHUNK: usize = 64 * 1024;

impl Write for ChanWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.flush()?;
        }
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::take(&mut self.buf));
        self.tx.blocking_send(chunk).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::BrokenPipe, crate::Error::BuildClosed)
        })
    }
}

/// Writes the tarball of `entries` to `w` the way the docker CLI does:
/// permission bits and mtimes kept, owner 0:0 without names, symlinks
/// stored as links.
pub fn write_tar(context: &Path, entries: &[String], w: impl Write) -> Result<()> {
    write_tar_with(context, entries, &[], w)
}

/// A file of the context given by its contents (an inline or lowered
/// Dockerfile, a heredoc's body, a checked download); it replaces a file of
/// the same name.
#[derive(Debug, Clone)]
pub struct ExtraFile {
    pub name: String,
    pub data: Vec<u8>,
    pub mode: u32,
    pub mtime: u64,
}

/// [`write_tar`] plus files given by their contents. Nothing of the context
/// under [`devctl_dockerfile::lower::LOWERED_DIR`] is sent when extras are.
pub fn write_tar_with(
    context: &Path,
    entries: &[String],
    extras: &[ExtraFile],
    w: impl Write,
) -> Result<()> {
    let mut tb = tar::Builder::new(w);
    for x in extras {
        let mut h = tar::Header::new_gnu();
        h.set_size(x.data.len() as u64);
        h.set_mode(x.mode);
        h.set_mtime(x.mtime);
        h.set_entry_type(tar::EntryType::Regular);
        tb.append_data(&mut h, &x.name, x.data.as_slice())
            .context("sending the build context")?;
    }
    let lowered = devctl_dockerfile::lower::LOWERED_DIR;
    let shadowed = |r: &str| {
        extras.iter().any(|x| x.name == r)
            || (extras.iter().any(|x| x.name.starts_with(lowered))
                && (r == lowered || r.starts_with(&format!("{lowered}/"))))
    };
    for rel in entries.iter().filter(|r| !shadowed(r)) {
        let abs = context.join(rel);
        let add = |tb: &mut tar::Builder<_>| -> std::io::Result<()> {
            let meta = std::fs::symlink_metadata(&abs)?;
            let mut h = tar::Header::new_gnu();
            h.set_metadata_in_mode(&meta, tar::HeaderMode::Complete);
            h.set_uid(0);
            h.set_gid(0);
            h.set_username("")?;
            h.set_groupname("")?;
            let ft = meta.file_type();
            if ft.is_symlink() {
                let target = std::fs::read_link(&abs)?;
                tb.append_link(&mut h, rel, target)
            } else if ft.is_file() {
                tb.append_data(&mut h, rel, std::fs::File::open(&abs)?)
            } else if ft.is_dir() {
                h.set_size(0);
                tb.append_data(&mut h, rel, std::io::empty())
            } else {
                Ok(()) // sockets, fifos, devices: not part of a context
            }
        };
        add(&mut tb).map_err(|error| {
            if error.kind() == std::io::ErrorKind::BrokenPipe {
                anyhow::Error::new(error).context("sending the build context")
            } else {
                anyhow::Error::new(Unreadable {
                    rel: rel.clone(),
                    error,
                })
            }
        })?;
    }
    tb.into_inner()
        .context("finishing the build context")?
        .flush()
        .context("sending the build context")?;
    Ok(())
}

/// The services whose images `svc`'s build names (`service:` contexts),
/// each after those its own build names; not `svc` itself. The plan has
/// no cycles (see `plan::resolve_contexts`).
pub fn context_services<'a>(
    plan: &'a crate::plan::Plan,
    svc: &ServicePlan,
) -> Vec<&'a ServicePlan> {
    fn walk<'a>(plan: &'a crate::plan::Plan, svc: &ServicePlan, out: &mut Vec<&'a ServicePlan>) {
        for c in svc.build.iter().flat_map(|b| &b.contexts) {
            let Some(dep) = c.service.as_deref().and_then(|n| plan.service(n)) else {
                continue;
            };
            if !out.iter().any(|o| o.name == dep.name) {
                walk(plan, dep, out);
                out.push(dep);
            }
        }
    }
    let mut out = Vec::new();
    walk(plan, svc, &mut out);
    out.retain(|s| s.name != svc.name);
    out
}

/// Builds the image of one service; prints progress; on failure returns an
/// error holding the builder's last output lines.
pub async fn build_service(eng: &Engine, svc: &ServicePlan, opts: BuildOptions) -> Result<()> {
    let Some(build) = &svc.build else {
        bail!("service {} has no `build:` section", svc.name);
    };
    let t0 = Instant::now();
    let ctx_shown = build.context.display();
    match std::fs::metadata(&build.context) {
        Ok(m) if m.is_dir() => {}
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(crate::usage(format!(
                "service {}: cannot read the build context {ctx_shown}: {}",
                svc.name,
                io_reason(&e)
            )))
        }
        _ => {
            return Err(crate::usage(format!(
                "service {}: build context {ctx_shown} is not a directory",
                svc.name,
            )))
        }
    }
    let df = build.context.join(&build.dockerfile);
    match std::fs::metadata(&df) {
        _ if build.inline.is_some() => {}
        Ok(m) if m.is_file() => {}
        // A Dockerfile in a directory devctl cannot search is unreadable,
        // not missing.
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(crate::usage(format!(
                "service {}: build context {ctx_shown}: cannot read ./{}: {}",
                svc.name,
                build.dockerfile.trim_start_matches("./"),
                io_reason(&e)
            )))
        }
        _ => {
            return Err(crate::usage(format!(
                "service {}: no Dockerfile at {}",
                svc.name,
                df.display()
            )))
        }
    }
    // A Dockerfile that is not text is named here with its position, not
    // left to the builder's parser. Read once: the base-image check and the
    // lowering use this text.
    let mut text: Option<String> = match &build.inline {
        Some(t) => Some(t.clone()),
        None => match std::fs::read(&df) {
            Ok(bytes) => match devctl_text::decode(&bytes) {
                Ok(t) => Some(t.to_string()),
                Err(bad) => {
                    let shown = devctl_text::display_path(&df, &opts.cwd);
                    return Err(crate::usage(bad.message(&shown, "a Dockerfile")));
                }
            },
            Err(_) => None,
        },
    };
    let ig = read_ignore(build)?;
    let private = Private::for_context(&build.context, &build.private);
    let files = context_entries(&build.context, &ig, &build.dockerfile, &private)
        .map_err(|e| unreadable_error(svc, build, &e))?;
    if opts.progress != Progress::Quiet {
        for x in &files.reincluded {
            devctl_out::errln!(
                "warning: service {}: {} re-includes {x} in the build context: devctl keeps it out of images because it holds secrets (values from .env or an env file); it is sent to the engine and may end up in the image",
                svc.name,
                ignore_path(build).display()
            );
        }
    }
    let entries = files.entries;

    // Nothing changed since the last build of an image that still exists:
    // no build at all.
    let mut settings = super::stamp::settings_key(svc, build);
    if !build.contexts.is_empty() {
        // a context image rebuilt is a new base
        let mut ids = Vec::new();
        for c in &build.contexts {
            ids.push(super::apply::image_id(eng, &c.image).await?);
        }
        settings = super::stamp::with_base_ids(&settings, &ids);
    }
    let stamp_file = opts
        .stamps
        .as_ref()
        .map(|d| super::stamp::path(d, &svc.name));
    // --no-cache and --pull always build (and stamp what they built).
    if let Some(f) = stamp_file.as_ref().filter(|_| !opts.no_cache && !opts.pull) {
        if let Some(st) = super::stamp::read(f) {
            if st.settings == settings
                && super::apply::image_id(eng, &svc.image).await?.as_deref()
                    == Some(st.image_id.as_str())
                && super::stamp::unchanged(&st, &build.context, &entries)
            {
                if opts.progress != Progress::Quiet {
                    devctl_out::errln!(" Image {}  Up to date", svc.image);
                }
                return Ok(());
            }
        }
    }
    // Images are never pulled implicitly: a base image missing here is an
    // error before any context is sent (both builders would try the
    // registry). `--pull` asks for the pull.
    // A file that does not parse is the builder's to report.
    let mut parsed = text
        .as_deref()
        .and_then(|t| devctl_dockerfile::parse(t).ok());
    // Named contexts that are images: the Dockerfile names the images
    // (what BuildKit does with them; the engine's API takes none). Only
    // a rewritten text is parsed again.
    let mut renamed = false;
    if let (Some(t), Some(df), false) =
        (text.as_deref(), parsed.as_ref(), build.contexts.is_empty())
    {
        let images = build
            .contexts
            .iter()
            .map(|c| (c.name.clone(), c.image.clone()))
            .collect();
        if let Some((new, _)) = devctl_dockerfile::contexts::name_contexts(t, df, &images) {
            parsed = devctl_dockerfile::parse(&new).ok();
            text = Some(new);
            renamed = true;
        }
    }
    if !opts.pull {
        if let Some(df) = &parsed {
            let args: HashMap<String, String> = build.args.clone().into_iter().collect();
            for base in devctl_dockerfile::base_images(df, &args) {
                if super::apply::image_id(eng, &base).await?.is_none() {
                    bail!(
                        "building service {}: its base image {base} is not on this engine, and devctl never pulls implicitly: `docker pull {base}` (or `devctl build --pull {}`), or build it locally",
                        svc.name,
                        svc.name
                    );
                }
            }
        }
    }
    // The stamp is of the files as they are sent: hashed before, written
    // after the build only if nothing changed meanwhile.
    let before = match &stamp_file {
        Some(_) => super::stamp::files(&build.context, &entries).ok(),
        None => None,
    };
    let pending = PendingStamp {
        file: stamp_file,
        before,
        settings,
        entries: entries.clone(),
    };
    let kit = builder(eng, opts.legacy_asked).await;
    let source = text.as_deref().zip(parsed.as_ref());
    let (dockerfile, extras) =
        sent_dockerfile(svc, build, source, renamed, kit.as_ref().ok(), &opts).await?;

    if !build.secrets.is_empty() || build.ssh {
        let what = if build.secrets.is_empty() {
            "SSH agent forwarding (`build.ssh`)".to_string()
        } else {
            "build secrets".to_string()
        };
        if let Err(why) = &kit {
            bail!(
                "service {} has {what}, which only BuildKit can mount, and {why}: use a Docker Engine with BuildKit (API 1.39+, not Podman) and leave DOCKER_BUILDKIT unset",
                svc.name
            );
        }
        if build.ssh && !opts.ssh_agent {
            return Err(crate::usage(format!(
                "service {}: `build.ssh` forwards your SSH agent, and SSH_AUTH_SOCK is not set: start one (`eval $(ssh-agent)` and `ssh-add`)",
                svc.name
            )));
        }
        if opts.progress != Progress::Quiet {
            devctl_out::errln!(
                "{}: building with {what} through BuildKit's session API",
                svc.name,
            );
        }
        let bar = match opts.progress {
            Progress::Tty => Some(devctl_out::Spinner::new(&svc.name)),
            _ => None,
        };
        let sent = Sent {
            entries: &entries,
            dockerfile: &dockerfile,
            extras: &extras,
        };
        let res = solve_with_secrets(eng, svc, build, sent, &opts, bar.as_ref()).await;
        if let Some(pb) = &bar {
            pb.finish_and_clear();
        }
        if let Some(u) = res
            .as_ref()
            .err()
            .and_then(|e| e.downcast_ref::<Unreadable>())
        {
            return Err(unreadable_error(svc, build, u));
        }
        res?;
        return finish_build(eng, svc, build, &opts, t0, pending).await;
    }

    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(8);
    let context = build.context.clone();
    let tar_extras = extras;
    let tar_thread = std::thread::spawn(move || -> Result<()> {
        let w = ChanWriter {
            tx,
            buf: Vec::with_capacity(CHUNK),
        };
        write_tar_with(&context, &entries, &tar_extras, w)
    });
    let body =
        futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|b| (b, rx)) });

    // The build args are the compose document's, nothing added: devctl
    // writes APP_UID/APP_GID there (see devctl_project::generate).
    let args: HashMap<String, String> = build.args.clone().into_iter().collect();
    let mut b = BuildImageOptionsBuilder::default()
        .dockerfile(&dockerfile)
        .t(&svc.image)
        .rm(true)
        .forcerm(true)
        .nocache(opts.no_cache)
        .buildargs(&args);
    if opts.pull {
        b = b.pull("true");
    }
    if let Some(t) = &build.target {
        b = b.target(t);
    }
    if let Some(p) = &svc.platform {
        b = b.platform(p);
    }
    let labels = image_labels(svc, build);
    let mut b = b.labels(&labels);
    let kit = match kit {
        Ok(_) => {
            b = b
                .version(bollard::query_parameters::BuilderVersion::BuilderBuildKit)
                .session(&session_id());
            Some(KitProgress::default())
        }
        Err(why) => {
            if opts.progress != Progress::Quiet {
                devctl_out::errln!("{}: the legacy builder: {why}", svc.name);
            }
            None
        }
    };
    let mut kit = kit;

    let bar = match opts.progress {
        Progress::Tty => Some(devctl_out::Spinner::new(&svc.name)),
        _ => None,
    };
    let mut tail: Vec<String> = Vec::new();
    let mut error: Option<String> = None;
    let mut lost: Option<bollard::errors::Error> = None;
    let long = eng.long();
    let mut stream = long.build_image(b.build(), None, Some(bollard::body_stream(body)));
    while let Some(item) = stream.next().await {
        match item {
            Ok(info) => {
                if let Some(e) = info.error_detail.and_then(|d| d.message) {
                    error = Some(e);
                    continue;
                }
                let text = match (info.aux, kit.as_mut()) {
                    (Some(bollard::models::BuildInfoAux::BuildKit(st)), Some(k)) => k.lines(&st),
                    _ => match info.stream.or(info.status) {
                        Some(t) => t,
                        None => continue,
                    },
                };
                show_lines(&text, &svc.name, bar.as_ref(), opts.progress, &mut tail);
            }
            Err(e) => {
                error = Some(match e {
                    bollard::errors::Error::DockerStreamError { error } => error,
                    bollard::errors::Error::DockerResponseServerError { message, .. } => message,
                    other => {
                        // A transport failure (the engine went away): keep the
                        // typed error so the caller can say so.
                        lost = Some(other);
                        break;
                    }
                });
                break;
            }
        }
    }
    drop(stream);
    if let Some(pb) = &bar {
        pb.finish_and_clear();
    }
    let tar_result = tar_thread
        .join()
        .map_err(|_| anyhow!("the build-context writer panicked"))?;
    if let Some(e) = lost {
        return Err(anyhow::Error::new(e).context(format!(
            "building service {} ({}) failed",
            svc.name, svc.image
        )));
    }
    // A file that could not be read cut the context short: that, not what
    // the engine made of the truncated tar ("Cannot locate specified
    // Dockerfile"), is the error.
    if let Some(u) = tar_result
        .as_ref()
        .err()
        .and_then(|e| e.downcast_ref::<Unreadable>())
    {
        return Err(unreadable_error(svc, build, u));
    }
    if let Some(e) = error {
        let shown: Vec<&String> = if opts.progress == Progress::Plain {
            Vec::new() // already printed line by line
        } else {
            tail.iter()
                .rev()
                .take(15)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect()
        };
        for l in shown {
            devctl_out::errln!("{}: {l}", svc.name);
        }
        bail!(
            "building service {} ({}) failed: {}",
            svc.name,
            svc.image,
            e.trim()
        );
    }
    tar_result?;
    finish_build(eng, svc, build, &opts, t0, pending).await
}

/// Shows a builder's output lines as the progress mode asks (the step
/// headers above a terminal's spinner, every line in plain mode) and keeps
/// the last 40 for an error.
fn show_lines(
    text: &str,
    svc: &str,
    bar: Option<&devctl_out::Spinner>,
    progress: Progress,
    tail: &mut Vec<String>,
) {
    for line in text.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            continue;
        }
        tail.push(line.to_string());
        if tail.len() > 40 {
            tail.remove(0);
        }
        match (bar, progress) {
            (Some(pb), _) => {
                if line.starts_with("Step ") || KitProgress::is_header(line) {
                    pb.println(&format!("{svc}: {line}"));
                }
                pb.set_message(line);
            }
            (None, Progress::Plain) => devctl_out::errln!("{svc}: {line}"),
            _ => {}
        }
    }
}

/// The stamp a build writes once it has succeeded (see [`super::stamp`]).
struct PendingStamp {
    /// Where (`None`: no stamps for this build).
    file: Option<PathBuf>,
    /// The context files as hashed before they were sent.
    before: Option<Vec<super::stamp::FileStamp>>,
    settings: String,
    /// The context entries that were sent.
    entries: Vec<String>,
}

/// After a build that succeeded: the extra tags, the stamp, the line.
async fn finish_build(
    eng: &Engine,
    svc: &ServicePlan,
    build: &BuildPlan,
    opts: &BuildOptions,
    t0: std::time::Instant,
    pending: PendingStamp,
) -> Result<()> {
    let PendingStamp {
        file: stamp_file,
        before,
        settings,
        entries: stamp_entries,
    } = pending;
    for t in &build.tags {
        // `repo[:tag]`: the tag is after the last `:` that follows the last `/`.
        let (repo, tag) = match t.rsplit_once(':') {
            Some((r, tag)) if !tag.contains('/') => (r, tag),
            _ => (t.as_str(), "latest"),
        };
        let o = bollard::query_parameters::TagImageOptionsBuilder::default()
            .repo(repo)
            .tag(tag)
            .build();
        eng.docker
            .tag_image(&svc.image, Some(o))
            .await
            .with_context(|| format!("tagging {} as {t}", svc.image))?;
    }
    if let (Some(file), Some(files), Some(id)) = (
        stamp_file.as_ref(),
        before,
        super::apply::image_id(eng, &svc.image).await?,
    ) {
        let stamp = super::stamp::Stamp {
            settings,
            image_id: id,
            files,
        };
        let made = if super::stamp::unchanged(&stamp, &build.context, &stamp_entries) {
            super::stamp::write(file, &stamp)
        } else {
            // edited while it was sent: the next build builds
            Err(std::io::Error::other(
                "the context changed during the build",
            ))
        };
        if let Err(e) = made {
            // Only the next build's shortcut is lost.
            let _ = std::fs::remove_file(file);
            if opts.progress != Progress::Quiet {
                devctl_out::errln!("note: build stamp {} not written: {e}", file.display());
            }
        }
    }
    if opts.progress != Progress::Quiet {
        devctl_out::errln!(
            " Image {}  Built ({:.1}s)",
            svc.image,
            t0.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// A build with secrets: bollard's BuildKit solve through the engine's
/// `/grpc` and `/session` endpoints, whose session serves the secrets (the
/// `/build` endpoint's session in bollard offers registry auth only). A
/// value secret is handed over as a memfd (`/proc/self/fd/N`), so it never
/// touches the disk. The context goes as one tar upload.
async fn solve_with_secrets(
    eng: &Engine,
    svc: &ServicePlan,
    build: &BuildPlan,
    sent: Sent<'_>,
    opts: &BuildOptions,
    bar: Option<&devctl_out::Spinner>,
) -> Result<()> {
    use bollard::grpc::build::{ImageBuildFrontendOptions, ImageBuildLoadInput, SecretSource};
    let mut tar = Vec::new();
    write_tar_with(&build.context, sent.entries, sent.extras, &mut tar)?;
    let mut fo = ImageBuildFrontendOptions::builder()
        .dockerfile(Path::new(sent.dockerfile))
        .pull(opts.pull)
        .nocache(opts.no_cache);
    if let Some(t) = &build.target {
        fo = fo.target(t);
    }
    for (k, v) in &build.args {
        fo = fo.buildarg(k, v);
    }
    for (k, v) in &image_labels(svc, build) {
        fo = fo.label(k, v);
    }
    if let Some(p) = &svc.platform {
        let mut it = p.split('/');
        fo = fo.platforms(&bollard::grpc::build::ImageBuildPlatform {
            os: it.next().unwrap_or("linux").to_string(),
            architecture: it.next().unwrap_or_default().to_string(),
            variant: it.next().map(str::to_string),
        });
    }
    let mut held = Vec::new();
    for s in &build.secrets {
        let src = match &s.source {
            BuildSecretSource::File(p) => SecretSource::File(p.clone()),
            BuildSecretSource::Value(v) => {
                let fd = memfd_with(v)
                    .with_context(|| format!("holding build secret {} in memory", s.id))?;
                let path = PathBuf::from(format!("/proc/self/fd/{}", fd_number(&fd)));
                held.push(fd);
                SecretSource::File(path)
            }
        };
        fo = fo.set_secret(&s.id, &src);
    }
    if build.ssh {
        // bollard's provider forwards the agent at SSH_AUTH_SOCK
        fo = fo.enable_ssh(true);
    }
    let driver = bollard::grpc::driver::moby::Moby::new(&eng.long());
    let build_ref = bollard::grpc::BuildRef::random();
    let status_ref = build_ref.as_ref().to_string();
    let solve = bollard::grpc::driver::Build::docker_build(
        driver,
        &svc.image,
        fo.build(),
        ImageBuildLoadInput::Upload(Bytes::from(tar)),
        None,
        Some(build_ref),
    );
    // The steps as the /build path shows them: BuildKit's status stream of
    // this build, over a second `/grpc` connection (local socket only).
    let mut tail: Vec<String> = Vec::new();
    let res = {
        let status = async {
            if opts.progress == Progress::Quiet {
                return;
            }
            let Some(path) = eng.addr.strip_prefix("unix://").map(str::to_string) else {
                return;
            };
            let mut kit = KitProgress::default();
            let _ = status::follow(&path, &status_ref, |st| {
                show_lines(&kit.lines(st), &svc.name, bar, opts.progress, &mut tail)
            })
            .await;
        };
        let mut status = std::pin::pin!(status);
        let mut solve = std::pin::pin!(solve);
        let mut followed = false;
        let res = tokio::select! {
            r = &mut solve => r,
            _ = &mut status => {
                followed = true;
                solve.await
            }
        };
        if !followed {
            // the last lines may still be on their way; a stream that never
            // found the build (it failed before starting) is not waited for
            let _ = tokio::time::timeout(Duration::from_secs(2), status).await;
        }
        res
    };
    drop(held);
    if res.is_err() && opts.progress == Progress::Tty {
        let from = tail.len().saturating_sub(15);
        for l in &tail[from..] {
            devctl_out::errln!("{}: {l}", svc.name);
        }
    }
    res.map_err(|e| {
        // "Grpc response failure: status = Unknown error, message = …": the
        // builder's message is what says what failed
        let text = e.to_string();
        let why = text
            .split_once("message = ")
            .map_or(text.as_str(), |(_, m)| m)
            .split(", details = ")
            .next()
            .unwrap_or_default()
            .trim()
            .to_string();
        anyhow!(
            "building service {} ({}) failed: {why}",
            svc.name,
            svc.image
        )
    })
}

#[cfg(target_os = "linux")]
fn memfd_with(v: &[u8]) -> std::io::Result<std::os::fd::OwnedFd> {
    let fd = rustix::fs::memfd_create("devctl-build-secret", rustix::fs::MemfdFlags::CLOEXEC)?;
    let mut f = std::fs::File::from(fd);
    f.write_all(v)?;
    Ok(f.into())
}

#[cfg(not(target_os = "linux"))]
fn memfd_with(_: &[u8]) -> std::io::Result<std::os::fd::OwnedFd> {
    Err(std::io::Error::other(
        "build secrets from values need Linux (a memfd)",
    ))
}

fn fd_number(fd: &std::os::fd::OwnedFd) -> i32 {
    use std::os::fd::AsRawFd;
    fd.as_raw_fd()
}

/// The usage error (exit 2) for a context file that cannot be read.
fn unreadable_error(svc: &ServicePlan, build: &BuildPlan, u: &Unreadable) -> anyhow::Error {
    crate::usage(format!(
        "service {}: build context {}: {u}\n  fix: make it readable, or leave it out of the build context in {}",
        svc.name,
        build.context.display(),
        ignore_path(build).display()
    ))
}

/// The built image's labels: `build.labels` and compose's project and
/// service labels (both builders).
fn image_labels(svc: &ServicePlan, build: &BuildPlan) -> HashMap<String, String> {
    let mut labels = build.labels.clone();
    labels.insert("com.docker.compose.project".to_string(), svc_project(svc));
    labels.insert("com.docker.compose.service".to_string(), svc.name.clone());
    labels
}

fn svc_project(svc: &ServicePlan) -> String {
    svc.body
        .labels
        .as_ref()
        .and_then(|l| l.get(super::plan::LABEL_PROJECT))
        .cloned()
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_honours_dockerignore_and_keeps_dockerfile() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path();
        for f in [
            "Dockerfile",
            ".dockerignore",
            ".env",
            "src/a.py",
            "src/b.pyc",
            "node_modules/x/y.js",
            "docs/keep.md",
            "docs/drop.md",
            ".git/HEAD",
        ] {
            std::fs::create_dir_all(p.join(f).parent().unwrap()).unwrap();
            std::fs::write(p.join(f), "x").unwrap();
        }
        let ig = DockerIgnore::parse(
            "# comment\n.env\n.git\nnode_modules\n**/*.pyc\ndocs\n!docs/keep.md\nDockerfile\n/.dockerignore\n",
        );
        let e = context_entries(p, &ig, "Dockerfile", &Private::default())
            .unwrap()
            .entries;
        assert_eq!(
            e,
            [
                ".dockerignore",
                "Dockerfile",
                "docs/keep.md",
                "src",
                "src/a.py"
            ]
        );
        let mut tarball = Vec::new();
        write_tar(p, &e, &mut tarball).unwrap();
        let mut ar = tar::Archive::new(tarball.as_slice());
        let names: Vec<String> = ar
            .entries()
            .unwrap()
            .map(|x| x.unwrap().path().unwrap().display().to_string())
            .collect();
        assert_eq!(names.len(), 5);
        let mut ar = tar::Archive::new(tarball.as_slice());
        for entry in ar.entries().unwrap() {
            let h = entry.unwrap().header().clone();
            assert_eq!((h.uid().unwrap(), h.gid().unwrap()), (0, 0));
        }
        assert!(names.contains(&"src/a.py".to_string()));
        assert!(!names
            .iter()
            .any(|n| n.contains(".env") || n.contains("node_modules")));
    }
}

#[cfg(test)]
mod tar_tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn entries(p: &Path, ignore: &str) -> Vec<String> {
        context_entries(
            p,
            &DockerIgnore::parse(ignore),
            "Dockerfile",
            &Private::default(),
        )
        .unwrap()
        .entries
    }

    #[test]
    fn tar_keeps_modes_and_symlinks() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path();
        std::fs::write(p.join("secret"), "s").unwrap();
        std::fs::set_permissions(p.join("secret"), std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::write(p.join("run.sh"), "#!/bin/sh").unwrap();
        std::fs::set_permissions(p.join("run.sh"), std::fs::Permissions::from_mode(0o755)).unwrap();
        std::os::unix::fs::symlink("run.sh", p.join("link")).unwrap();
        let e = entries(p, "");
        assert_eq!(e, ["link", "run.sh", "secret"]);
        let mut tarball = Vec::new();
        write_tar(p, &e, &mut tarball).unwrap();
        let mut ar = tar::Archive::new(tarball.as_slice());
        let got: Vec<(String, u32, bool)> = ar
            .entries()
            .unwrap()
            .map(|x| {
                let x = x.unwrap();
                let h = x.header();
                (
                    x.path().unwrap().display().to_string(),
                    h.mode().unwrap() & 0o777,
                    h.entry_type().is_symlink(),
                )
            })
            .collect();
        assert_eq!(got[0].0, "link");
        assert!(got[0].2);
        assert_eq!(got[1], ("run.sh".to_string(), 0o755, false));
        assert_eq!(got[2], ("secret".to_string(), 0o600, false));
    }

    #[test]
    fn dotenv_files_stay_out_unless_reincluded_by_name() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path();
        for f in [".env", "sub/.env", ".env.example", "app.py"] {
            std::fs::create_dir_all(p.join(f).parent().unwrap()).unwrap();
            std::fs::write(p.join(f), "SECRET=1").unwrap();
        }
        let e = entries(p, "");
        assert_eq!(e, [".env.example", "app.py", "sub"]);
        let e = entries(p, "*\n!app.py\n!.env\n");
        assert_eq!(e, [".env", "app.py"]);
        let e = entries(p, "!**/.env\n");
        assert_eq!(e, [".env", ".env.example", "app.py", "sub", "sub/.env"]);
    }
}

#[cfg(test)]
mod private_tests {
    use super::*;

    fn files(root: &Path, list: &[&str]) {
        for f in list {
            let p = root.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, format!("SECRET_TOKEN=in-{f}")).unwrap();
        }
    }

    fn ctx(context: &Path, ignore: &str, private: &[PathBuf]) -> ContextFiles {
        let pv = Private::for_context(context, private);
        context_entries(context, &DockerIgnore::parse(ignore), "Dockerfile", &pv).unwrap()
    }

    /// A project dir with the generated files and three env files.
    fn project() -> (tempfile::TempDir, PathBuf, Vec<PathBuf>) {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("proj");
        files(
            &p,
            &[
                "Dockerfile",
                "app.py",
                ".devctl/compose.yaml",
                ".devctl/.env",
                ".devctl/stamps/assets-install",
                ".env",
                "prod.env",
                "config/svc.env",
                "config/keep.txt",
                "sub/.env",
                "sub/.devctl/compose.yaml",
            ],
        );
        let private = vec![
            p.join(".devctl"),
            p.join("prod.env"),
            p.join("config/svc.env"),
        ];
        (d, p, private)
    }

    #[test]
    fn generated_files_and_env_files_stay_out_without_a_dockerignore() {
        let (_d, p, private) = project();
        let c = ctx(&p, "", &private);
        assert_eq!(
            c.entries,
            ["Dockerfile", "app.py", "config", "config/keep.txt", "sub"]
        );
        assert!(c.reincluded.is_empty());
        // Whatever .dockerignore says: re-including everything by wildcard
        // is not naming them.
        let c = ctx(&p, "*\n!*\n!**\n!*.env\n!.devctl/*\n!**/*.env\n", &private);
        assert_eq!(
            c.entries,
            ["Dockerfile", "app.py", "config", "config/keep.txt", "sub"]
        );
    }

    #[test]
    fn reincluded_by_name_is_sent_and_reported() {
        let (_d, p, private) = project();
        let c = ctx(
            &p,
            "!prod.env\n!/.devctl/compose.yaml\n!./sub/.env\n",
            &private,
        );
        assert_eq!(
            c.entries,
            [
                ".devctl/compose.yaml",
                "Dockerfile",
                "app.py",
                "config",
                "config/keep.txt",
                "prod.env",
                "sub",
                "sub/.env"
            ]
        );
        assert_eq!(
            c.reincluded,
            [".devctl/compose.yaml", "prod.env", "sub/.env"]
        );
        // A directory named re-includes what is in it.
        let c = ctx(&p, "!.devctl\n", &private);
        assert_eq!(
            &c.entries[..5],
            [
                ".devctl",
                ".devctl/.env",
                ".devctl/compose.yaml",
                ".devctl/stamps",
                ".devctl/stamps/assets-install"
            ]
        );
        assert_eq!(c.reincluded, [".devctl"]);
        // Re-included by name but excluded by a later pattern: not sent.
        let c = ctx(&p, "!prod.env\nprod.env\n", &private);
        assert!(!c.entries.contains(&"prod.env".to_string()));
        assert!(c.reincluded.is_empty());
    }

    #[test]
    fn paths_are_worked_out_relative_to_each_context() {
        let (d, p, private) = project();
        // A context that is the project's parent: the same files, one level down.
        let c = ctx(d.path(), "", &private);
        for gone in [
            "proj/.devctl",
            "proj/.devctl/compose.yaml",
            "proj/.env",
            "proj/prod.env",
            "proj/config/svc.env",
        ] {
            assert!(!c.entries.contains(&gone.to_string()), "{gone} sent");
        }
        assert!(c.entries.contains(&"proj/app.py".to_string()));
        let c = ctx(d.path(), "!proj/prod.env\n", &private);
        assert_eq!(c.reincluded, ["proj/prod.env"]);
        // A context below the project: the env file outside it is irrelevant.
        let pv = Private::for_context(&p.join("config"), &private);
        assert_eq!(pv.paths, ["svc.env"]);
        // A context inside a private directory: all of it is private.
        let pv = Private::for_context(&p.join(".devctl/stamps"), &private);
        assert_eq!(pv.paths, [""]);
        let c = ctx(&p.join(".devctl/stamps"), "", &private);
        assert!(c.entries.is_empty(), "{:?}", c.entries);
    }

    #[test]
    fn symlinked_paths_and_hard_links_do_not_get_around_it() {
        let (d, p, private) = project();
        // The context reached through a symlink, the private list not.
        let link = d.path().join("link");
        std::os::unix::fs::symlink(&p, &link).unwrap();
        let c = ctx(&link, "", &private);
        assert!(
            !c.entries.contains(&"prod.env".to_string()),
            "{:?}",
            c.entries
        );
        assert!(!c.entries.iter().any(|e| e.starts_with(".devctl")));
        // The private list through a symlink, the context not.
        let via_link = vec![link.join("prod.env"), link.join(".devctl")];
        let c = ctx(&p, "", &via_link);
        assert!(!c.entries.contains(&"prod.env".to_string()));
        // A hard link to an env file under another name stays out.
        std::fs::hard_link(p.join("prod.env"), p.join("innocent.txt")).unwrap();
        let c = ctx(&p, "", &private);
        assert!(!c.entries.contains(&"innocent.txt".to_string()));
        let c = ctx(&p, "!innocent.txt\n", &private);
        assert!(c.entries.contains(&"innocent.txt".to_string()));
        assert_eq!(c.reincluded, ["innocent.txt"]);
        // A symlink to .env is sent as a link: the tar holds no content.
        std::os::unix::fs::symlink(".env", p.join("envlink")).unwrap();
        let c = ctx(&p, "", &private);
        assert!(c.entries.contains(&"envlink".to_string()));
        let mut tarball = Vec::new();
        write_tar(&p, &c.entries, &mut tarball).unwrap();
        let mut ar = tar::Archive::new(tarball.as_slice());
        for e in ar.entries().unwrap() {
            let mut e = e.unwrap();
            let mut body = String::new();
            std::io::Read::read_to_string(&mut e, &mut body).unwrap();
            assert!(
                !body.contains("in-.env") && !body.contains("in-prod.env"),
                "{:?}",
                e.path()
            );
        }
    }

    #[test]
    fn the_dockerfile_specific_ignore_file_decides_re_inclusion() {
        let (_d, p, private) = project();
        std::fs::write(p.join(".dockerignore"), "!prod.env\n").unwrap();
        std::fs::write(p.join("Dockerfile.dockerignore"), "!.devctl/compose.yaml\n").unwrap();
        let build = BuildPlan {
            context: p.clone(),
            dockerfile: "Dockerfile".into(),
            target: None,
            args: Default::default(),
            inline: None,
            labels: Default::default(),
            tags: Vec::new(),
            private: private.clone(),
            secrets: Vec::new(),
            ssh: false,
            contexts: Vec::new(),
        };
        assert_eq!(ignore_path(&build), p.join("Dockerfile.dockerignore"));
        let ig = read_ignore(&build).unwrap();
        let pv = Private::for_context(&p, &private);
        let c = context_entries(&p, &ig, "Dockerfile", &pv).unwrap();
        assert_eq!(c.reincluded, [".devctl/compose.yaml"]);
        assert!(!c.entries.contains(&"prod.env".to_string()));
    }

    #[test]
    fn unreadable_files_are_named() {
        let e = Unreadable {
            rel: "secret.key".into(),
            error: std::io::Error::from_raw_os_error(libc::EACCES),
        };
        assert_eq!(e.to_string(), "cannot read ./secret.key: permission denied");
        let e = Unreadable {
            rel: "sub/".into(),
            error: std::io::Error::from_raw_os_error(libc::EIO),
        };
        assert_eq!(e.to_string(), "cannot read ./sub/: input/output error");
        // A file gone between the walk and the tar is named as well.
        let d = tempfile::tempdir().unwrap();
        let err = write_tar(d.path(), &["gone.txt".to_string()], Vec::new()).unwrap_err();
        let u = err.downcast_ref::<Unreadable>().expect("an Unreadable");
        assert_eq!(
            u.to_string(),
            "cannot read ./gone.txt: no such file or directory"
        );
    }
}

/// Whether builds use BuildKit (`Ok`) or the legacy builder (`Err`: why).
/// BuildKit is the default where the engine has it: Docker's API 1.39 and
/// later, not Podman's (no `/session`); `DOCKER_BUILDKIT=0` asks for the
/// legacy builder, as it does for docker and compose.
pub async fn builder(eng: &Engine, legacy_asked: bool) -> std::result::Result<Kit, String> {
    if legacy_asked {
        return Err("DOCKER_BUILDKIT=0 asks for it".to_string());
    }
    let v = eng
        .docker
        .version()
        .await
        .map_err(|e| format!("the engine's version is unknown ({e})"))?;
    let podman = v
        .components
        .iter()
        .flatten()
        .any(|c| c.name.to_ascii_lowercase().contains("podman"));
    if podman {
        return Err("Podman's Docker API has no BuildKit".to_string());
    }
    let api = v.api_version.unwrap_or_default();
    let minor = api
        .strip_prefix("1.")
        .and_then(|m| m.parse::<u32>().ok())
        .unwrap_or(0);
    if minor < 39 {
        return Err(format!("the engine's API {api} is older than 1.39"));
    }
    // Docker Engine 23.0 is the first whose built-in frontend is Dockerfile
    // 1.4+ (heredocs, --link, --checksum); 20.10 has 1.2.
    let major = v
        .version
        .as_deref()
        .and_then(|v| v.split('.').next())
        .and_then(|m| m.parse::<u32>().ok())
        .unwrap_or(0);
    Ok(Kit {
        lower_syntax: major < 23,
    })
}

/// What the engine's BuildKit is.
#[derive(Debug, Clone, Copy)]
pub struct Kit {
    /// Its built-in Dockerfile frontend is older than 1.4: devctl lowers
    /// newer syntax (`devctl_dockerfile::lower`) rather than have a frontend
    /// image pulled.
    pub lower_syntax: bool,
}

/// What a build sends: the context's files, the Dockerfile's name in it,
/// and files given by their contents.
#[derive(Clone, Copy)]
struct Sent<'a> {
    entries: &'a [String],
    dockerfile: &'a str,
    extras: &'a [ExtraFile],
}

/// The Dockerfile a build sends (its name in the context) and the files
/// that go with it: the inline Dockerfile, or the lowered one with its
/// heredoc files and checked downloads.
async fn sent_dockerfile(
    svc: &ServicePlan,
    build: &BuildPlan,
    source: Option<(&str, &devctl_dockerfile::Dockerfile)>,
    renamed: bool,
    kit: Option<&Kit>,
    opts: &BuildOptions,
) -> Result<(String, Vec<ExtraFile>)> {
    use devctl_dockerfile::lower;
    let mut extras = Vec::new();
    if let Some(t) = &build.inline {
        extras.push(ExtraFile {
            name: INLINE_DOCKERFILE.to_string(),
            data: t.as_bytes().to_vec(),
            mode: 0o644,
            mtime: 0,
        });
    }
    let name = format!("{}/Dockerfile", lower::LOWERED_DIR);
    let Some((text, df)) =
        source.filter(|(_, df)| kit.is_some_and(|k| k.lower_syntax) && lower::needs_lowering(df))
    else {
        // with its contexts named: that text is what is built
        if let Some((text, _)) = source.filter(|_| renamed) {
            extras.push(ExtraFile {
                name: name.clone(),
                data: text.as_bytes().to_vec(),
                mode: 0o644,
                mtime: 0,
            });
            return Ok((name, extras));
        }
        return Ok((build.dockerfile.clone(), extras));
    };
    let shown = match &build.inline {
        Some(_) => format!("service {}'s inline Dockerfile", svc.name),
        None => devctl_text::display_path(&build.context.join(&build.dockerfile), &opts.cwd),
    };
    let low = lower::lower(text, df).map_err(|e| {
        crate::usage(format!(
            "service {}: {shown}:{}: {}",
            svc.name, e.line, e.message
        ))
    })?;
    for f in &low.fetches {
        let (data, mtime) = fetch_checked(f).await.map_err(|why| {
            anyhow!(
                "service {}: {shown}:{}: ADD --checksum: {why}",
                svc.name,
                f.line
            )
        })?;
        extras.push(ExtraFile {
            name: f.path.clone(),
            data,
            mode: 0o644,
            mtime,
        });
    }
    for f in low.files {
        extras.push(ExtraFile {
            name: f.path,
            data: f.data,
            mode: f.mode,
            mtime: 0,
        });
    }
    if opts.progress != Progress::Quiet {
        devctl_out::errln!(
            "{}: the engine's built-in Dockerfile frontend is older than 1.4; devctl lowers what it cannot parse:",
            svc.name
        );
        for (line, what) in &low.changes {
            devctl_out::errln!("{}:   {shown}:{line}: {what}", svc.name);
        }
    }
    extras.push(ExtraFile {
        name: name.clone(),
        data: low.text.into_bytes(),
        mode: 0o644,
        mtime: 0,
    });
    Ok((name, extras))
}

/// Downloads an `ADD --checksum` source on the host and checks its digest;
/// the bytes and the Last-Modified time (as ADD keeps it).
async fn fetch_checked(
    f: &devctl_dockerfile::lower::Fetch,
) -> std::result::Result<(Vec<u8>, u64), String> {
    use sha2::Digest;
    let url = f.url.clone();
    let (data, mtime) = tokio::task::spawn_blocking(move || -> std::result::Result<_, String> {
        let resp = ureq::get(&url)
            .call()
            .map_err(|e| format!("downloading {url}: {e}"))?;
        let mtime = resp
            .headers()
            .get("last-modified")
            .and_then(|v| v.to_str().ok())
            .and_then(|s| httpdate::parse_http_date(s).ok())
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_secs());
        let data = resp
            .into_body()
            .with_config()
            .limit(u64::MAX)
            .read_to_vec()
            .map_err(|e| format!("downloading {url}: {e}"))?;
        Ok((data, mtime))
    })
    .await
    .map_err(|e| format!("downloading {}: {e}", f.url))??;
    let got = match f.algorithm.as_str() {
        "sha384" => super::stamp::hex(&sha2::Sha384::digest(&data)),
        "sha512" => super::stamp::hex(&sha2::Sha512::digest(&data)),
        _ => super::stamp::hex(&sha2::Sha256::digest(&data)),
    };
    if got != f.hex {
        return Err(format!(
            "{} has {}:{got}, not the {}:{} the Dockerfile names; nothing was built",
            f.url, f.algorithm, f.algorithm, f.hex
        ));
    }
    Ok((data, mtime))
}

/// A build session's id: unique per build.
fn session_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "devctl-{}-{t:x}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// BuildKit's progress (its `StatusResponse` messages) as plain lines, in
/// the shape of `docker buildx build --progress=plain`: `#N name` when a
/// step starts, `#N <output line>`, `#N DONE 0.4s` / `#N CACHED` /
/// `#N ERROR: ...` when it ends.
#[derive(Default)]
struct KitProgress {
    /// Step digest → (its number, started, ended).
    steps: HashMap<String, (usize, bool, bool)>,
}

impl KitProgress {
    fn is_header(line: &str) -> bool {
        line.strip_prefix('#')
            .and_then(|r| r.split_once(' '))
            .is_some_and(|(n, rest)| {
                n.bytes().all(|b| b.is_ascii_digit())
                    && (rest.starts_with('[')
                        || rest.starts_with("load ")
                        || rest.starts_with("exporting"))
            })
    }

    fn lines(&mut self, st: &bollard::moby::buildkit::v1::StatusResponse) -> String {
        let mut out = String::new();
        for v in &st.vertexes {
            let next = self.steps.len() + 1;
            let e = self
                .steps
                .entry(v.digest.clone())
                .or_insert((next, false, false));
            let n = e.0;
            if v.started.is_some() && !e.1 {
                e.1 = true;
                out.push_str(&format!("#{n} {}\n", v.name));
            }
            if v.completed.is_some() && !e.2 {
                e.2 = true;
                if !e.1 {
                    e.1 = true;
                    out.push_str(&format!("#{n} {}\n", v.name));
                }
                if !v.error.is_empty() {
                    out.push_str(&format!("#{n} ERROR: {}\n", v.error));
                } else if v.cached {
                    out.push_str(&format!("#{n} CACHED\n"));
                } else {
                    let took = match (&v.started, &v.completed) {
                        (Some(a), Some(b)) => {
                            (b.seconds - a.seconds) as f64 + f64::from(b.nanos - a.nanos) / 1e9
                        }
                        _ => 0.0,
                    };
                    out.push_str(&format!("#{n} DONE {took:.1}s\n"));
                }
            }
        }
        for l in &st.logs {
            let n = match self.steps.get(&l.vertex) {
                Some(e) => e.0,
                None => continue,
            };
            for line in String::from_utf8_lossy(&l.msg).lines() {
                out.push_str(&format!("#{n} {line}\n"));
            }
        }
        out
    }
}

/// BuildKit's status stream of one build (`Control.Status`), over the
/// engine's `/grpc` endpoint: an HTTP upgrade to h2c on the engine's socket,
/// as bollard's Moby driver connects (its connector is crate-private).
mod status {
    use bollard::moby::buildkit::v1::{
        control_client::ControlClient, StatusRequest, StatusResponse,
    };
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Connects once per call: a new upgraded stream on the socket.
    #[derive(Clone)]
    struct Upgrade(String);

    impl tower_service::Service<tonic::transport::Uri> for Upgrade {
        type Response = hyper_util::rt::TokioIo<tokio::net::UnixStream>;
        type Error = std::io::Error;
        type Future = Pin<Box<dyn Future<Output = std::io::Result<Self::Response>> + Send>>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, _: tonic::transport::Uri) -> Self::Future {
            let path = self.0.clone();
            Box::pin(async move {
                let mut s = tokio::net::UnixStream::connect(&path).await?;
                s.write_all(
                    b"POST /grpc HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: h2c\r\nContent-Length: 0\r\n\r\n",
                )
                .await?;
                // The response's head, a byte at a time: what follows it is
                // HTTP/2 and belongs to the channel.
                let mut head = Vec::new();
                while !head.ends_with(b"\r\n\r\n") {
                    let b = s.read_u8().await?;
                    head.push(b);
                    if head.len() > 16 * 1024 {
                        return Err(std::io::Error::other(
                            "the engine's /grpc answer has no end",
                        ));
                    }
                }
                if !head.starts_with(b"HTTP/1.1 101") {
                    let first = String::from_utf8_lossy(&head);
                    return Err(std::io::Error::other(format!(
                        "the engine's /grpc did not upgrade: {}",
                        first.lines().next().unwrap_or_default()
                    )));
                }
                Ok(hyper_util::rt::TokioIo::new(s))
            })
        }
    }

    /// Calls `each` with every status update of build `build_ref` until the
    /// build ends (the stream closes) or the engine refuses.
    pub async fn follow(
        socket: &str,
        build_ref: &str,
        mut each: impl FnMut(&StatusResponse),
    ) -> anyhow::Result<()> {
        let channel = tonic::transport::Endpoint::from_static("http://[::]:50051")
            .connect_with_connector(Upgrade(socket.to_string()))
            .await?;
        let mut client = ControlClient::new(channel);
        let mut stream = client
            .status(StatusRequest {
                r#ref: build_ref.to_string(),
            })
            .await?
            .into_inner();
        while let Some(st) = stream.message().await? {
            each(&st);
        }
        Ok(())
    }
}
