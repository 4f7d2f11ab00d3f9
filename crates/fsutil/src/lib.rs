//! Small filesystem helpers shared by commands.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use anyhow::Context;

/// Writes `bytes` to `path` atomically: a temp file in the same directory,
/// written, fsynced and given `mode`, then renamed over `path` (and the
/// directory fsynced). On any failure the old file is left as it was and
/// the temp file is removed.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let file_name = path
        .file_name()
        .with_context(|| format!("{} is not a file path", path.display()))?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let tmp = dir.join(format!(
        ".{}.tmp.{}.{nanos}",
        file_name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| -> anyhow::Result<()> {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&tmp)
            .with_context(|| format!("cannot create {}", tmp.display()))?;
        f.set_permissions(fs::Permissions::from_mode(mode))
            .with_context(|| format!("cannot set the mode of {}", tmp.display()))?;
        f.write_all(bytes)
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        f.sync_all()
            .with_context(|| format!("cannot sync {}", tmp.display()))?;
        drop(f);
        fs::rename(&tmp, path).with_context(|| format!("cannot replace {}", path.display()))?;
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// A name beside `path` for a temp (`tmp`) or backup (`bak`) file:
/// hidden, unique to this process and moment.
fn side_name(path: &Path, what: &str) -> anyhow::Result<std::path::PathBuf> {
    let file_name = path
        .file_name()
        .with_context(|| format!("{} is not a file path", path.display()))?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    Ok(parent_of(path).join(format!(
        ".{}.{what}.{}.{nanos}",
        file_name.to_string_lossy(),
        std::process::id()
    )))
}

fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

#[cfg(test)]
thread_local! {
    /// Test hook: the rename with this index (0-based) in
    /// [`write_all_atomic`] fails as if the filesystem refused it.
    static FAIL_RENAME: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
}

fn rename_step(i: usize, from: &Path, to: &Path) -> std::io::Result<()> {
    #[cfg(test)]
    if FAIL_RENAME.with(|f| f.get()) == Some(i) {
        return Err(std::io::Error::other("injected rename failure"));
    }
    let _ = i;
    fs::rename(from, to)
}

/// Writes several files so that they change together or not at all: every
/// new content goes to a temp file beside its target (written, given its
/// mode, fsynced) before anything is replaced, so running out of space or
/// a read-only directory changes nothing; each existing target is kept
/// under a backup name (a hard link, else a copy), then the temp files are
/// renamed over the targets in order, and if one rename fails the ones
/// already done are undone from the backups. On success the backups go and
/// the directories are fsynced. (A kill -9 between two renames can still
/// leave one file new and the other old; devctl regenerates both on every
/// command.)
pub fn write_all_atomic(files: &[(&Path, &[u8], u32)]) -> anyhow::Result<()> {
    struct Staged {
        tmp: std::path::PathBuf,
        bak: Option<std::path::PathBuf>,
    }
    let mut staged: Vec<Staged> = Vec::new();
    let cleanup = |staged: &[Staged]| {
        for s in staged {
            let _ = fs::remove_file(&s.tmp);
            if let Some(b) = &s.bak {
                let _ = fs::remove_file(b);
            }
        }
    };
    // 1. Stage: temp files with the new content, backups of the old.
    for &(path, bytes, mode) in files {
        let r = (|| -> anyhow::Result<Staged> {
            let tmp = side_name(path, "tmp")?;
            let mut f = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(mode)
                .open(&tmp)
                .with_context(|| {
                    format!(
                        "cannot write {}: cannot create a temp file beside it",
                        path.display()
                    )
                })?;
            let mut st = Staged { tmp, bak: None };
            let r = (|| -> anyhow::Result<()> {
                f.set_permissions(fs::Permissions::from_mode(mode))
                    .with_context(|| format!("cannot set the mode of {}", st.tmp.display()))?;
                f.write_all(bytes)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                f.sync_all()
                    .with_context(|| format!("cannot sync {}", path.display()))?;
                // A file or a symlink (linked as it is) is kept for the undo.
                if fs::symlink_metadata(path).is_ok_and(|m| !m.is_dir()) {
                    let bak = side_name(path, "bak")?;
                    if fs::hard_link(path, &bak).is_err() {
                        let old = fs::read(path)
                            .with_context(|| format!("cannot read {}", path.display()))?;
                        let mode = fs::metadata(path)
                            .map(|m| m.permissions().mode() & 0o7777)
                            .unwrap_or(mode);
                        write_atomic(&bak, &old, mode)
                            .with_context(|| format!("cannot keep a copy of {}", path.display()))?;
                    }
                    st.bak = Some(bak);
                }
                Ok(())
            })();
            match r {
                Ok(()) => Ok(st),
                Err(e) => {
                    cleanup(std::slice::from_ref(&st));
                    Err(e)
                }
            }
        })();
        match r {
            Ok(st) => staged.push(st),
            Err(e) => {
                cleanup(&staged);
                return Err(e);
            }
        }
    }
    // 2. Replace, in order; undo on the first failure.
    for (i, (&(path, _, _), st)) in files.iter().zip(&staged).enumerate() {
        if let Err(e) = rename_step(i, &st.tmp, path) {
            let mut undo_failed = Vec::new();
            for (&(done, _, _), sd) in files.iter().zip(&staged).take(i) {
                let undone = match &sd.bak {
                    Some(b) => fs::rename(b, done),
                    None => fs::remove_file(done),
                };
                if let Err(u) = undone {
                    undo_failed.push(format!("{} ({u})", done.display()));
                }
            }
            cleanup(&staged);
            let mut err =
                anyhow::Error::new(e).context(format!("cannot replace {}", path.display()));
            if !undo_failed.is_empty() {
                err = err.context(format!("and could not restore {}", undo_failed.join(", ")));
            }
            return Err(err);
        }
    }
    // 3. Done: drop the backups, make the renames durable.
    for st in &staged {
        if let Some(b) = &st.bak {
            let _ = fs::remove_file(b);
        }
    }
    let mut dirs: Vec<&Path> = files.iter().map(|f| parent_of(f.0)).collect();
    dirs.dedup();
    for d in dirs {
        if let Ok(d) = fs::File::open(d) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

/// What a path names, for a file devctl is about to read (devctl.toml,
/// `.env`, an env file): nothing at all, a readable regular file, or
/// something that exists in some form but cannot be used as one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// Nothing of that name (not even a symlink).
    Missing,
    /// A regular file (possibly through symlinks) that opens for reading.
    File,
    /// It exists but is unusable: why, as "is a directory", "is a dangling
    /// symlink to x", "is a symlink loop", "cannot be read: …".
    Broken(String),
    /// A named pipe, socket or device (not opened): why, as "is not a
    /// regular file (a named pipe)". Readable on purpose only when named
    /// explicitly (`--env-file <(…)`).
    Special(String),
}

/// Classifies `path` without reading it (a FIFO is never opened, so this
/// cannot block): `lstat`, then `stat` through symlinks, then an `open`
/// for reading.
pub fn entry(path: &Path) -> Entry {
    use std::os::unix::fs::FileTypeExt;
    let lmeta = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Entry::Missing,
        Err(e) => return Entry::Broken(format!("cannot be examined: {e}")),
    };
    let meta = if lmeta.file_type().is_symlink() {
        let target = fs::read_link(path)
            .map(|t| t.display().to_string())
            .unwrap_or_else(|_| "?".to_string());
        match fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
                return Entry::Broken(format!("is a symlink loop (it points to {target})"))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Entry::Broken(format!(
                    "is a dangling symlink (it points to {target}, which does not exist)"
                ))
            }
            Err(e) => {
                return Entry::Broken(format!(
                    "is a symlink to {target} that cannot be followed: {e}"
                ))
            }
        }
    } else {
        lmeta
    };
    let ft = meta.file_type();
    if ft.is_dir() {
        return Entry::Broken("is a directory, not a file".to_string());
    }
    if !ft.is_file() {
        let kind = if ft.is_fifo() {
            "a named pipe"
        } else if ft.is_socket() {
            "a socket"
        } else if ft.is_char_device() {
            "a character device"
        } else if ft.is_block_device() {
            "a block device"
        } else {
            "not a file"
        };
        return Entry::Special(format!("is not a regular file ({kind})"));
    }
    match fs::File::open(path) {
        Ok(_) => Entry::File,
        Err(e) => Entry::Broken(format!("cannot be read: {e}")),
    }
}

/// Reads a file for the engine's plan (a service's `env_file`): as
/// `read_to_string`, but a dangling symlink or a directory says so (a pipe
/// is read as it is), and text that is not UTF-8 or holds a NUL byte is
/// named with its line and column.
pub fn read_to_string_explained(path: &Path) -> std::io::Result<String> {
    if let Entry::Broken(why) = entry(path) {
        return Err(std::io::Error::other(why));
    }
    let bytes = fs::read(path)?;
    match devctl_text::decode(&bytes) {
        Ok(t) => Ok(t.to_string()),
        Err(bad) => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "line {}, column {}: {}: an env file must be UTF-8 text without NUL bytes",
                bad.line, bad.col, bad.what
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_with_mode_and_replaces() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("f.yaml");
        write_atomic(&p, b"one", 0o600).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"one");
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).unwrap();
        write_atomic(&p, b"two", 0o600).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let names: Vec<_> = fs::read_dir(d.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "no temp file left: {names:?}");
    }

    #[test]
    fn failure_leaves_old_file_intact() {
        let d = tempfile::tempdir().unwrap();
        // The target is a non-empty directory: rename fails.
        let p = d.path().join("target");
        fs::create_dir(&p).unwrap();
        fs::write(p.join("keep"), b"x").unwrap();
        assert!(write_atomic(&p, b"new", 0o600).is_err());
        assert!(p.join("keep").exists());
        let names: Vec<_> = fs::read_dir(d.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "temp file removed: {names:?}");
        // Missing directory: error, nothing created.
        assert!(write_atomic(&d.path().join("nope/f"), b"x", 0o600).is_err());
    }
    #[test]
    fn entry_names_what_is_wrong() {
        use std::os::unix::fs::symlink;
        let d = tempfile::tempdir().unwrap();
        let p = |n: &str| d.path().join(n);
        assert_eq!(entry(&p("none")), Entry::Missing);
        fs::write(p("file"), "x").unwrap();
        assert_eq!(entry(&p("file")), Entry::File);
        symlink("file", p("link")).unwrap();
        assert_eq!(entry(&p("link")), Entry::File);
        fs::create_dir(p("dir")).unwrap();
        let why = |n: &str| match entry(&p(n)) {
            Entry::Broken(w) | Entry::Special(w) => w,
            other => panic!("{n}: {other:?}"),
        };
        assert!(why("dir").contains("is a directory"));
        symlink("dir", p("dirlink")).unwrap();
        assert!(why("dirlink").contains("is a directory"));
        symlink("gone", p("dangling")).unwrap();
        assert!(
            why("dangling").contains("dangling symlink"),
            "{}",
            why("dangling")
        );
        assert!(why("dangling").contains("gone"));
        symlink("loop2", p("loop1")).unwrap();
        symlink("loop1", p("loop2")).unwrap();
        assert!(why("loop1").contains("symlink loop"), "{}", why("loop1"));
        use rustix::fs::{mknodat, FileType, Mode, CWD};
        mknodat(
            CWD,
            p("fifo"),
            FileType::Fifo,
            Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
        assert!(matches!(entry(&p("fifo")), Entry::Special(w) if w.contains("named pipe")));
        let e = read_to_string_explained(&p("dangling")).unwrap_err();
        assert!(e.to_string().contains("dangling symlink"), "{e}");
        assert_eq!(read_to_string_explained(&p("file")).unwrap(), "x");
        assert_eq!(
            read_to_string_explained(&p("none")).unwrap_err().kind(),
            std::io::ErrorKind::NotFound
        );
    }
    fn names_in(d: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn write_all_atomic_writes_every_file() {
        let d = tempfile::tempdir().unwrap();
        let (a, b) = (d.path().join("a"), d.path().join("b"));
        fs::write(&a, "old a").unwrap();
        write_all_atomic(&[(&a, b"new a", 0o600), (&b, b"new b", 0o600)]).unwrap();
        assert_eq!(fs::read(&a).unwrap(), b"new a");
        assert_eq!(fs::read(&b).unwrap(), b"new b");
        assert_eq!(
            fs::metadata(&b).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(names_in(d.path()), ["a", "b"], "no temp or backup left");
    }

    #[test]
    fn a_failed_second_rename_undoes_the_first() {
        let d = tempfile::tempdir().unwrap();
        let (a, b, c) = (d.path().join("a"), d.path().join("b"), d.path().join("c"));
        fs::write(&a, "old a").unwrap();
        fs::write(&c, "old c").unwrap();
        // `b` did not exist: undoing it removes it; `a` gets its old content.
        FAIL_RENAME.with(|f| f.set(Some(2)));
        let e = write_all_atomic(&[
            (&a, b"new a", 0o600),
            (&b, b"new b", 0o600),
            (&c, b"new c", 0o600),
        ])
        .unwrap_err();
        FAIL_RENAME.with(|f| f.set(None));
        assert!(format!("{e:#}").contains("cannot replace"), "{e:#}");
        assert!(format!("{e:#}").contains(&*c.to_string_lossy()), "{e:#}");
        assert_eq!(fs::read(&a).unwrap(), b"old a");
        assert!(!b.exists());
        assert_eq!(fs::read(&c).unwrap(), b"old c");
        assert_eq!(names_in(d.path()), ["a", "c"], "no temp or backup left");
    }

    #[test]
    fn a_second_file_that_cannot_be_replaced_changes_nothing() {
        let d = tempfile::tempdir().unwrap();
        let (a, b) = (d.path().join("a"), d.path().join("b"));
        fs::write(&a, "old a").unwrap();
        // A non-empty directory in the way of `b`: renaming over it fails.
        fs::create_dir(&b).unwrap();
        fs::write(b.join("keep"), "x").unwrap();
        assert!(write_all_atomic(&[(&a, b"new a", 0o600), (&b, b"new b", 0o600)]).is_err());
        assert_eq!(fs::read(&a).unwrap(), b"old a");
        assert!(b.join("keep").exists());
        assert_eq!(names_in(d.path()), ["a", "b"]);
    }
}
