//! `devctl build`: the context tarball (honouring `.dockerignore` with
//! Docker's rules, see [`crate::dockerignore`]) streamed to the engine's
//! builder, with progress: a one-line spinner per step on a terminal, plain
//! lines otherwise. On failure the build's own error lines are shown.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{anyhow, bail, Context, Result};
use bollard::query_parameters::BuildImageOptionsBuilder;
use bytes::Bytes;
use futures_util::StreamExt;

use super::plan::{BuildPlan, ServicePlan};
use super::Engine;
use crate::dockerignore::DockerIgnore;

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

#[derive(Debug, Clone, Copy)]
pub struct BuildOptions {
    pub no_cache: bool,
    pub pull: bool,
    pub progress: Progress,
}

/// Reads the ignore file of a build: `<Dockerfile>.dockerignore` next to
/// the Dockerfile when present (BuildKit's rule), else
/// `<context>/.dockerignore`.
pub fn read_ignore(build: &BuildPlan) -> Result<DockerIgnore> {
    let df = build.context.join(&build.dockerfile);
    let specific = PathBuf::from(format!("{}.dockerignore", df.display()));
    let path = if specific.is_file() {
        specific
    } else {
        build.context.join(".dockerignore")
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(anyhow!("cannot read {}: {e}", path.display())),
    };
    let ig = DockerIgnore::parse(&text);
    if let Some(bad) = ig.invalid_patterns().first() {
        return Err(crate::error::usage(format!(
            "{}:{}: invalid pattern {:?}: {} (Docker would fail the build)",
            path.display(),
            bad.line,
            bad.pattern,
            bad.reason
        )));
    }
    Ok(ig)
}

/// The files of the context that go into the tarball, in tar order
/// (relative paths with `/`). Pure apart from reading the directory tree.
pub fn context_entries(context: &Path, ig: &DockerIgnore, dockerfile: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let always = [
        dockerfile.trim_start_matches("./").to_string(),
        ".dockerignore".to_string(),
    ];
    walk(context, "", ig, &always, &mut out)?;
    // `.env` files hold local secrets: never sent to the engine unless the
    // ignore file re-includes them by name (`!.env`, `!sub/.env`, `!**/.env`).
    let reincluded: Vec<String> = ig
        .patterns()
        .filter_map(|p| p.strip_prefix('!').map(str::to_string))
        .collect();
    out.retain(|p| {
        let base = p.rsplit('/').next().unwrap_or(p);
        base != ".env" || reincluded.iter().any(|r| r == p || r == "**/.env")
    });
    Ok(out)
}

fn walk(
    root: &Path,
    rel: &str,
    ig: &DockerIgnore,
    always: &[String],
    out: &mut Vec<String>,
) -> Result<()> {
    let dir = if rel.is_empty() {
        root.to_path_buf()
    } else {
        root.join(rel)
    };
    let mut entries: Vec<(String, std::fs::FileType)> = std::fs::read_dir(&dir)
        .with_context(|| format!("reading build context directory {}", dir.display()))?
        .map(|e| {
            let e = e?;
            Ok((e.file_name().to_string_lossy().into_owned(), e.file_type()?))
        })
        .collect::<std::io::Result<_>>()
        .with_context(|| format!("reading build context directory {}", dir.display()))?;
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, ft) in entries {
        let path = if rel.is_empty() {
            name
        } else {
            format!("{rel}/{name}")
        };
        let excluded = ig.is_excluded(&path) && !always.contains(&path);
        if ft.is_dir() {
            if excluded && ig.can_skip_dir(&path) {
                continue;
            }
            if !excluded {
                out.push(path.clone());
            }
            walk(root, &path, ig, always, out)?;
        } else if !excluded {
            out.push(path);
        }
    }
    Ok(())
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
            std::io::Error::new(
                std::io::ErrorKind::BrokenPipe,
                "the engine closed the build request",
            )
        })
    }
}

/// Writes the tarball of `entries` to `w` the way the docker CLI does:
/// permission bits and mtimes kept, owner 0:0 without names, symlinks
/// stored as links.
pub fn write_tar(context: &Path, entries: &[String], w: impl Write) -> Result<()> {
    let mut tb = tar::Builder::new(w);
    for rel in entries {
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
        add(&mut tb).with_context(|| format!("adding {} to the build context", abs.display()))?;
    }
    tb.into_inner()
        .context("finishing the build context")?
        .flush()
        .context("sending the build context")?;
    Ok(())
}

/// Builds the image of one service; prints progress; on failure returns an
/// error holding the builder's last output lines.
pub async fn build_service(eng: &Engine, svc: &ServicePlan, opts: BuildOptions) -> Result<()> {
    let Some(build) = &svc.build else {
        bail!("service {} has no `build:` section", svc.name);
    };
    let t0 = Instant::now();
    if !build.context.is_dir() {
        return Err(crate::error::usage(format!(
            "service {}: build context {} is not a directory",
            svc.name,
            build.context.display()
        )));
    }
    let df = build.context.join(&build.dockerfile);
    if !df.is_file() {
        return Err(crate::error::usage(format!(
            "service {}: no Dockerfile at {}",
            svc.name,
            df.display()
        )));
    }
    let ig = read_ignore(build)?;
    let entries = context_entries(&build.context, &ig, &build.dockerfile)?;

    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(8);
    let context = build.context.clone();
    let tar_thread = std::thread::spawn(move || -> Result<()> {
        let w = ChanWriter {
            tx,
            buf: Vec::with_capacity(CHUNK),
        };
        write_tar(&context, &entries, w)
    });
    let body =
        futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|b| (b, rx)) });

    let mut args: HashMap<String, String> = build.args.clone().into_iter().collect();
    // The app user follows the host user (never uid 0) unless the compose
    // file says otherwise.
    // SAFETY: getuid/getgid cannot fail.
    let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
    args.entry("APP_UID".into())
        .or_insert_with(|| crate::gen::compose::app_id(uid).to_string());
    args.entry("APP_GID".into())
        .or_insert_with(|| crate::gen::compose::app_id(gid).to_string());
    let mut b = BuildImageOptionsBuilder::default()
        .dockerfile(&build.dockerfile)
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
    let mut labels = HashMap::new();
    labels.insert("com.docker.compose.project".to_string(), svc_project(svc));
    labels.insert("com.docker.compose.service".to_string(), svc.name.clone());
    let b = b.labels(&labels);

    let bar = match opts.progress {
        Progress::Tty => Some(crate::out::Spinner::new(&svc.name)),
        _ => None,
    };
    let mut tail: Vec<String> = Vec::new();
    let mut error: Option<String> = None;
    let mut lost: Option<bollard::errors::Error> = None;
    let mut stream = eng
        .docker
        .build_image(b.build(), None, Some(bollard::body_stream(body)));
    while let Some(item) = stream.next().await {
        match item {
            Ok(info) => {
                if let Some(e) = info.error_detail.and_then(|d| d.message) {
                    error = Some(e);
                    continue;
                }
                let Some(text) = info.stream.or(info.status) else {
                    continue;
                };
                for line in text.lines() {
                    let line = line.trim_end();
                    if line.is_empty() {
                        continue;
                    }
                    tail.push(line.to_string());
                    if tail.len() > 40 {
                        tail.remove(0);
                    }
                    match (&bar, opts.progress) {
                        (Some(pb), _) => {
                            if line.starts_with("Step ") {
                                pb.println(&format!("{}: {line}", svc.name));
                            }
                            pb.set_message(line);
                        }
                        (None, Progress::Plain) => crate::errln!("{}: {line}", svc.name),
                        _ => {}
                    }
                }
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
            crate::errln!("{}: {l}", svc.name);
        }
        bail!(
            "building service {} ({}) failed: {}",
            svc.name,
            svc.image,
            e.trim()
        );
    }
    tar_result?;
    if opts.progress != Progress::Quiet {
        crate::errln!(
            " Image {}  Built ({:.1}s)",
            svc.image,
            t0.elapsed().as_secs_f64()
        );
    }
    Ok(())
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
        let e = context_entries(p, &ig, "Dockerfile").unwrap();
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

    #[test]
    fn tar_keeps_modes_and_symlinks() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path();
        std::fs::write(p.join("secret"), "s").unwrap();
        std::fs::set_permissions(p.join("secret"), std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::write(p.join("run.sh"), "#!/bin/sh").unwrap();
        std::fs::set_permissions(p.join("run.sh"), std::fs::Permissions::from_mode(0o755)).unwrap();
        std::os::unix::fs::symlink("run.sh", p.join("link")).unwrap();
        let e = context_entries(p, &DockerIgnore::parse(""), "Dockerfile").unwrap();
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
        let e = context_entries(p, &DockerIgnore::parse(""), "Dockerfile").unwrap();
        assert_eq!(e, [".env.example", "app.py", "sub"]);
        let e =
            context_entries(p, &DockerIgnore::parse("*\n!app.py\n!.env\n"), "Dockerfile").unwrap();
        assert_eq!(e, [".env", "app.py"]);
        let e = context_entries(p, &DockerIgnore::parse("!**/.env\n"), "Dockerfile").unwrap();
        assert_eq!(e, [".env", ".env.example", "app.py", "sub", "sub/.env"]);
    }
}
