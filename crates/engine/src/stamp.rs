//! The no-change build (issue 15): after a successful build devctl keeps a
//! stamp of what went into it, in `.devctl/build/<service>.json`: the
//! settings (Dockerfile, inline text, target, args, labels, tags,
//! platform), the image id it produced, and for every file the context
//! sends (after .dockerignore) its path, size, mtime and sha256. The next
//! `build` compares: when the settings and the image id match and every
//! file has the same path and content (size and mtime first, the content
//! hash only where those differ), nothing is sent and "up to date" is said.
//!
//! The stamp is a cache, never the truth: a missing, unreadable or
//! unparsable stamp means "build".

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::plan::{BuildPlan, ServicePlan};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    /// sha256 of the build's settings ([`settings_key`]).
    pub settings: String,
    /// The image id the build produced.
    pub image_id: String,
    pub files: Vec<FileStamp>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileStamp {
    pub path: String,
    pub size: u64,
    pub mtime_ns: i128,
    /// sha256 of the content (of the link target for a symlink).
    pub sha256: String,
}

/// Where devctl notes when it last pulled `image` (the refresh windows of
/// `pull_policy`): an image a pull creates anew has no LastTagTime on the
/// engine, so without this note every start would pull it again.
fn pulled_path(dir: &Path, image: &str) -> PathBuf {
    let h = hex(&Sha256::digest(image.as_bytes()));
    dir.join("pulled").join(&h[..32])
}

/// Notes a successful pull of `image` at `now` (Unix nanoseconds).
pub fn record_pull(dir: &Path, image: &str, now: i128) -> std::io::Result<()> {
    let file = pulled_path(dir, image);
    if let Some(parent) = file.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(file, format!("{now}\n{image}\n"))
}

/// Now, in Unix nanoseconds (the times of pull notes).
pub fn now() -> i128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i128)
}

/// When devctl last pulled `image` (Unix nanoseconds), if it noted it.
pub fn last_pull(dir: &Path, image: &str) -> Option<i128> {
    let text = std::fs::read_to_string(pulled_path(dir, image)).ok()?;
    let mut lines = text.lines();
    let t = lines.next()?.parse().ok()?;
    (lines.next() == Some(image)).then_some(t)
}

/// The stamp file of a service.
pub fn path(dir: &Path, service: &str) -> PathBuf {
    dir.join("build").join(format!("{service}.json"))
}

/// What, besides the files, makes a build: a change rebuilds.
pub fn settings_key(svc: &ServicePlan, build: &BuildPlan) -> String {
    let mut args: Vec<(&String, &String)> = build.args.iter().collect();
    args.sort();
    let mut labels: Vec<(&String, &String)> = build.labels.iter().collect();
    labels.sort();
    let v = serde_json::json!({
        "image": svc.image,
        "context": build.context,
        "dockerfile": build.dockerfile,
        "inline": build.inline,
        "target": build.target,
        "args": args,
        "labels": labels,
        "tags": build.tags,
        "platform": svc.platform,
        // which secrets, not their values: BuildKit's cache does not key on
        // a secret's value either (`--no-cache` rebuilds with a new one)
        "ssh": build.ssh,
        "contexts": build.contexts.iter().map(|c| format!("{}={}", c.name, c.image)).collect::<Vec<_>>(),
        "secrets": build.secrets.iter().map(|s| match &s.source {
            crate::plan::BuildSecretSource::File(p) => format!("{}=file:{}", s.id, p.display()),
            crate::plan::BuildSecretSource::Value(_) => format!("{}=value", s.id),
        }).collect::<Vec<_>>(),
    });
    hex(&Sha256::digest(v.to_string().as_bytes()))
}

/// `settings` with the ids of the context images the build uses, in
/// `BuildPlan::contexts` order (none: missing).
pub fn with_base_ids(settings: &str, ids: &[Option<String>]) -> String {
    let v = serde_json::json!([settings, ids]);
    hex(&Sha256::digest(v.to_string().as_bytes()))
}

/// Lower-case hex of a digest.
pub(crate) fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn mtime_ns(m: &std::fs::Metadata) -> i128 {
    use std::os::unix::fs::MetadataExt;
    i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec())
}

fn content_hash(abs: &Path, meta: &std::fs::Metadata) -> std::io::Result<String> {
    if meta.file_type().is_symlink() {
        let t = std::fs::read_link(abs)?;
        return Ok(hex(&Sha256::digest(t.as_os_str().as_encoded_bytes())));
    }
    let mut f = std::fs::File::open(abs)?;
    let mut h = Sha256::new();
    std::io::copy(&mut f, &mut h)?;
    Ok(hex(&h.finalize()))
}

/// The files of a context (directories left out: the file list covers them).
pub fn files(context: &Path, entries: &[String]) -> std::io::Result<Vec<FileStamp>> {
    let mut out = Vec::new();
    for rel in entries {
        let abs = context.join(rel);
        let meta = std::fs::symlink_metadata(&abs)?;
        if meta.is_dir() {
            continue;
        }
        out.push(FileStamp {
            path: rel.clone(),
            size: meta.len(),
            mtime_ns: mtime_ns(&meta),
            sha256: content_hash(&abs, &meta)?,
        });
    }
    Ok(out)
}

/// Whether the context's files are those of the stamp: same paths in the
/// same order, each with the stamp's size and mtime, or else its content.
pub fn unchanged(stamp: &Stamp, context: &Path, entries: &[String]) -> bool {
    let mut it = stamp.files.iter();
    for rel in entries {
        let abs = context.join(rel);
        let Ok(meta) = std::fs::symlink_metadata(&abs) else {
            return false;
        };
        if meta.is_dir() {
            continue;
        }
        let Some(s) = it.next() else { return false };
        if s.path != *rel || s.size != meta.len() {
            return false;
        }
        if s.mtime_ns != mtime_ns(&meta)
            && content_hash(&abs, &meta).ok().as_deref() != Some(s.sha256.as_str())
        {
            return false;
        }
    }
    it.next().is_none()
}

/// Reads a stamp (None when there is none or it does not parse).
pub fn read(file: &Path) -> Option<Stamp> {
    let text = std::fs::read_to_string(file).ok()?;
    serde_json::from_str(&text).ok()
}

/// Writes a stamp (mode 0600, replaced atomically); a failure only costs
/// the next build its shortcut, so it is returned for the caller to note.
pub fn write(file: &Path, stamp: &Stamp) -> std::io::Result<()> {
    if let Some(d) = file.parent() {
        std::fs::create_dir_all(d)?;
    }
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let text = serde_json::to_string(stamp).map_err(std::io::Error::other)?;
    let tmp = file.with_extension(format!("json.{}.tmp", std::process::id()));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)?;
    f.write_all(text.as_bytes())?;
    drop(f);
    std::fs::rename(&tmp, file).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stamp_matches_until_a_file_changes_content() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path();
        std::fs::write(p.join("a"), "one").unwrap();
        std::fs::create_dir(p.join("sub")).unwrap();
        std::fs::write(p.join("sub/b"), "two").unwrap();
        let entries: Vec<String> = ["a", "sub", "sub/b"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let stamp = Stamp {
            settings: "k".into(),
            image_id: "sha256:x".into(),
            files: files(p, &entries).unwrap(),
        };
        assert_eq!(stamp.files.len(), 2);
        assert!(unchanged(&stamp, p, &entries));
        // a new mtime, the same content: unchanged
        let f = std::fs::File::options()
            .write(true)
            .open(p.join("a"))
            .unwrap();
        f.set_modified(std::time::SystemTime::UNIX_EPOCH).unwrap();
        assert!(unchanged(&stamp, p, &entries));
        // the same size, another content: changed
        std::fs::write(p.join("a"), "uno").unwrap();
        assert!(!unchanged(&stamp, p, &entries));
        std::fs::write(p.join("a"), "one").unwrap();
        // a file more or less: changed
        let mut more = entries.clone();
        std::fs::write(p.join("c"), "").unwrap();
        more.push("c".into());
        assert!(!unchanged(&stamp, p, &more));
        assert!(!unchanged(&stamp, p, &entries[..1]));
        // round trip
        let file = path(p, "web");
        write(&file, &stamp).unwrap();
        assert_eq!(read(&file), Some(stamp));
        std::fs::write(&file, "not json").unwrap();
        assert_eq!(read(&file), None);
    }
}
