//! The thin adapter over `notify`: every directory under each root is
//! watched (non-recursively, so ignored directories such as node_modules
//! cost no inotify watch and no memory), new directories are followed (and
//! files already in them reported, so nothing created before the watch is
//! missed), and every event kind that can change content is reported:
//! writes, creations, removals and renames — both ends of a rename, which
//! is how editors' atomic saves (write a temp file, rename it over the
//! original) arrive.

use std::collections::{HashMap, HashSet};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use notify::event::{EventKind, ModifyKind};
use notify::{Event, RecommendedWatcher, RecursiveMode, Watcher};

use super::filter::{is_editor_temp, is_ignored_dir};
use super::roots::{anchor, Change, Root, Seen};

/// The raw events, as the adapter's handler thread sends them.
pub type RawEvent = notify::Result<Event>;

pub struct Notifier {
    watcher: RecommendedWatcher,
    /// Directories watched as part of a root's tree.
    watched: HashSet<PathBuf>,
    /// The roots (absolute), their state, and the identity of the inode the
    /// tree watches were added for.
    roots: Vec<(PathBuf, Root)>,
    /// Watches on the nearest existing ancestor of a missing root, by the
    /// identity of the directory watched.
    anchors: HashMap<PathBuf, Seen>,
}

/// What [`Notifier::check_roots`] found: (root index, change), and the
/// files of the roots watched afresh.
pub type RootChanges = (Vec<(usize, Change)>, Vec<PathBuf>);

/// What a root is now (following a symlink, as `is_dir` does).
pub fn look(p: &Path) -> Seen {
    match std::fs::metadata(p) {
        Ok(m) if m.is_dir() => Seen::Dir {
            dev: m.dev(),
            ino: m.ino(),
        },
        Ok(_) => Seen::NotDir,
        Err(_) => Seen::Missing,
    }
}

/// Turns a watch error into advice (inotify limits) or a plain message.
pub fn advice(e: &notify::Error, path: &Path) -> String {
    let limit = match &e.kind {
        notify::ErrorKind::MaxFilesWatch => Some("fs.inotify.max_user_watches"),
        notify::ErrorKind::Io(io) if io.raw_os_error() == Some(libc::ENOSPC) => {
            Some("fs.inotify.max_user_watches")
        }
        notify::ErrorKind::Io(io) if io.raw_os_error() == Some(libc::EMFILE) => {
            Some("fs.inotify.max_user_instances")
        }
        _ => None,
    };
    match limit {
        Some(key) => format!(
            "cannot watch {}: the inotify limit {key} is reached. Raise it with `sudo sysctl {key}=524288` \
             (persist it in /etc/sysctl.d/), or narrow the [[assets.watch]] paths",
            path.display()
        ),
        None => format!("cannot watch {}: {e}", path.display()),
    }
}

fn not_found(e: &notify::Error) -> bool {
    match &e.kind {
        notify::ErrorKind::PathNotFound => true,
        notify::ErrorKind::Io(io) => io.kind() == std::io::ErrorKind::NotFound,
        _ => false,
    }
}

/// Whether an event kind can mean changed content.
fn relevant(kind: &EventKind) -> bool {
    !matches!(
        kind,
        EventKind::Access(_) | EventKind::Modify(ModifyKind::Metadata(_))
    )
}

impl Notifier {
    /// A watcher whose raw events go to `tx`.
    pub fn new(tx: tokio::sync::mpsc::UnboundedSender<RawEvent>) -> Result<Notifier, String> {
        let watcher = notify::recommended_watcher(move |ev: RawEvent| {
            let _ = tx.send(ev);
        })
        .map_err(|e| advice(&e, Path::new("the project")))?;
        Ok(Notifier {
            watcher,
            watched: HashSet::new(),
            roots: Vec::new(),
            anchors: HashMap::new(),
        })
    }

    /// Starts watching `roots` (absolute paths): the tree of each one that
    /// is a directory, an ancestor of each one that is not. Returns what
    /// each root was found to be, in order.
    pub fn set_roots(&mut self, roots: &[PathBuf]) -> Result<Vec<Seen>, String> {
        let mut out = Vec::new();
        for r in roots {
            let seen = look(r);
            if seen.is_dir() {
                self.add_tree(r, false)?;
            }
            self.roots.push((r.clone(), Root::new(seen)));
            out.push(seen);
        }
        self.sync_anchors()?;
        Ok(out)
    }

    /// Looks at every root again: a root that went away has its watches
    /// dropped, one that came back (or was replaced) is watched afresh and
    /// its files returned as changed. Returns (root index, change) and the
    /// files to report. Cheap (one stat per root): called after every batch
    /// of events and now and then, so a lost event cannot leave a root
    /// unwatched for good.
    pub fn check_roots(&mut self) -> Result<RootChanges, String> {
        let mut changes = Vec::new();
        let mut files = Vec::new();
        // A root can change again while it is being re-added: look until
        // nothing changes (bounded, in case something flaps).
        for _ in 0..4 {
            let mut any = false;
            for i in 0..self.roots.len() {
                let path = self.roots[i].0.clone();
                let now = look(&path);
                let Some(change) = self.roots[i].1.update(now) else {
                    continue;
                };
                any = true;
                match change {
                    Change::Removed => {
                        self.forget_tree(&path);
                    }
                    Change::Replaced => {
                        self.forget_tree(&path);
                        files.extend(self.add_tree(&path, true)?);
                    }
                    Change::Back | Change::Created => files.extend(self.add_tree(&path, true)?),
                }
                changes.push((i, change));
            }
            self.sync_anchors()?;
            if !any {
                break;
            }
        }
        Ok((changes, files))
    }

    /// Watches the nearest existing ancestor of every root that is not a
    /// directory (re-adding one whose directory was replaced), and drops
    /// the ancestor watches no longer needed.
    fn sync_anchors(&mut self) -> Result<(), String> {
        let wanted: HashSet<PathBuf> = self
            .roots
            .iter()
            .filter(|(_, r)| !r.seen.is_dir())
            .filter_map(|(p, _)| anchor(p, |a| a.is_dir()))
            .collect();
        let stale: Vec<PathBuf> = self
            .anchors
            .iter()
            .filter(|(p, seen)| !wanted.contains(*p) || look(p) != **seen)
            .map(|(p, _)| p.clone())
            .collect();
        for p in stale {
            self.anchors.remove(&p);
            if !self.watched.contains(&p) {
                let _ = self.watcher.unwatch(&p);
            }
        }
        for p in wanted {
            if self.anchors.contains_key(&p) {
                continue;
            }
            let seen = look(&p);
            if !self.watched.contains(&p) {
                match self.watcher.watch(&p, RecursiveMode::NonRecursive) {
                    Ok(()) => {}
                    Err(e) if not_found(&e) => continue,
                    Err(e) => return Err(advice(&e, &p)),
                }
            }
            self.anchors.insert(p, seen);
        }
        Ok(())
    }

    /// Drops the watches of `dir` and every directory below it; whether
    /// `dir` itself was watched.
    fn forget_tree(&mut self, dir: &Path) -> bool {
        let gone: Vec<PathBuf> = self
            .watched
            .iter()
            .filter(|p| p.starts_with(dir))
            .cloned()
            .collect();
        for p in &gone {
            self.watched.remove(p);
            if !self.anchors.contains_key(p) {
                let _ = self.watcher.unwatch(p);
            }
        }
        gone.iter().any(|p| p == dir)
    }

    /// Watches `dir` and every directory below it that is not ignored;
    /// returns the files found when `report` (for directories that appeared
    /// after the watch started).
    pub fn add_tree(&mut self, dir: &Path, report: bool) -> Result<Vec<PathBuf>, String> {
        let mut files = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            if !self.watched.contains(&d) {
                match self.watcher.watch(&d, RecursiveMode::NonRecursive) {
                    Ok(()) => {
                        self.watched.insert(d.clone());
                    }
                    // gone again before we got to it
                    Err(e) if not_found(&e) => continue,
                    Err(e) => return Err(advice(&e, &d)),
                }
            }
            let Ok(entries) = std::fs::read_dir(&d) else {
                continue;
            };
            for entry in entries.flatten() {
                let Ok(ft) = entry.file_type() else { continue };
                let name = entry.file_name();
                let name = name.to_string_lossy();
                if ft.is_dir() {
                    if !is_ignored_dir(&name) {
                        stack.push(entry.path());
                    }
                } else if report && !is_editor_temp(&name) {
                    files.push(entry.path());
                }
            }
        }
        Ok(files)
    }

    fn is_root(&self, p: &Path) -> bool {
        self.roots.iter().any(|(r, _)| r == p)
    }

    /// Number of directories watched.
    pub fn watched(&self) -> usize {
        self.watched.len()
    }

    /// The changed paths of one raw event; new directories are watched and
    /// their files reported, removed directories forgotten.
    pub fn paths_of(&mut self, ev: Event) -> Result<Vec<PathBuf>, String> {
        if !relevant(&ev.kind) {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for p in ev.paths {
            let ignored_dir = p
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(is_ignored_dir);
            if ignored_dir {
                continue;
            }
            // symlink_metadata: never follow a link out of the tree
            match std::fs::symlink_metadata(&p) {
                Ok(m) if m.is_dir() => {
                    // Only a directory inside a watched tree is followed: a
                    // new directory beside a missing root (seen through its
                    // ancestor's watch) is none of ours; the root itself
                    // coming back is `check_roots`' business.
                    let in_tree = p.parent().is_some_and(|d| self.watched.contains(d));
                    if in_tree && !self.watched.contains(&p) && !self.is_root(&p) {
                        out.extend(self.add_tree(&p, true)?);
                    }
                }
                Ok(_) => out.push(p),
                Err(_) => {
                    // removed (or renamed away): a watched dir and the
                    // watches below it are forgotten
                    if !self.forget_tree(&p) {
                        out.push(p);
                    }
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    async fn collect(
        n: &mut Notifier,
        rx: &mut tokio::sync::mpsc::UnboundedReceiver<RawEvent>,
        want: &Path,
    ) -> bool {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            let ev = tokio::time::timeout_at(deadline, rx.recv()).await;
            let Ok(Some(Ok(ev))) = ev else { return false };
            if n.paths_of(ev).unwrap().iter().any(|p| p == want) {
                return true;
            }
        }
    }

    #[test]
    fn atomic_saves_new_dirs_and_ignored_dirs() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let tmp = tempfile::tempdir().unwrap();
            let root = tmp.path().canonicalize().unwrap();
            std::fs::create_dir_all(root.join("sass")).unwrap();
            std::fs::create_dir_all(root.join("node_modules/pkg")).unwrap();
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
            let mut n = Notifier::new(tx).unwrap();
            n.add_tree(&root, false).unwrap();
            assert_eq!(n.watched(), 2, "root and sass, not node_modules");

            // atomic save: temp file renamed over the target
            let target = root.join("sass/main.scss");
            std::fs::write(root.join("sass/.main.scss.tmp"), "a{}").unwrap();
            std::fs::rename(root.join("sass/.main.scss.tmp"), &target).unwrap();
            assert!(collect(&mut n, &mut rx, &target).await);

            // a new directory with a file written at once
            std::fs::create_dir_all(root.join("sass/new/deeper")).unwrap();
            let f = root.join("sass/new/deeper/x.scss");
            std::fs::write(&f, "b{}").unwrap();
            assert!(collect(&mut n, &mut rx, &f).await);
            // and later writes in it are seen through its own watch
            std::fs::write(&f, "c{}").unwrap();
            assert!(collect(&mut n, &mut rx, &f).await);
        });
    }

    /// Feeds events to `n` (paths_of, then check_roots) until `done` holds
    /// for what was gathered; false on a 5 s timeout.
    async fn pump(
        n: &mut Notifier,
        rx: &mut tokio::sync::mpsc::UnboundedReceiver<RawEvent>,
        done: impl Fn(&[(usize, Change)], &[PathBuf]) -> bool,
    ) -> bool {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        let (mut changes, mut paths) = (Vec::new(), Vec::new());
        loop {
            let (c, f) = n.check_roots().unwrap();
            changes.extend(c);
            paths.extend(f);
            if done(&changes, &paths) {
                return true;
            }
            let ev = tokio::time::timeout_at(deadline, rx.recv()).await;
            let Ok(Some(Ok(ev))) = ev else { return false };
            paths.extend(n.paths_of(ev).unwrap());
        }
    }

    #[test]
    fn roots_removed_recreated_renamed_and_created_later() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let tmp = tempfile::tempdir().unwrap();
            let base = tmp.path().canonicalize().unwrap();
            let sass = base.join("sass");
            let later = base.join("later/deep");
            std::fs::create_dir_all(sass.join("sub")).unwrap();
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
            let mut n = Notifier::new(tx).unwrap();
            let seen = n.set_roots(&[sass.clone(), later.clone()]).unwrap();
            assert!(seen[0].is_dir());
            assert_eq!(seen[1], Seen::Missing);
            assert_eq!(n.watched(), 2, "sass and sass/sub");

            // deleted: its watches go, and it is said once
            std::fs::remove_dir_all(&sass).unwrap();
            assert!(pump(&mut n, &mut rx, |c, _| c.contains(&(0, Change::Removed))).await);
            assert_eq!(n.watched(), 0);

            // recreated with a file: watched again, the file reported, and
            // later writes seen through the new watch
            std::fs::create_dir_all(sass.join("sub")).unwrap();
            let f = sass.join("sub/a.scss");
            std::fs::write(&f, "a{}").unwrap();
            assert!(
                pump(&mut n, &mut rx, |c, p| c.contains(&(0, Change::Back))
                    && p.contains(&f))
                .await
            );
            std::fs::write(&f, "b{}").unwrap();
            assert!(collect(&mut n, &mut rx, &f).await);

            // renamed away: no longer watched (the inotify watches would
            // follow it and report its files under the old name)
            let old = base.join("sass.old");
            std::fs::rename(&sass, &old).unwrap();
            assert!(pump(&mut n, &mut rx, |c, _| c.contains(&(0, Change::Removed))).await);
            assert_eq!(n.watched(), 0);
            std::fs::write(old.join("sub/a.scss"), "c{}").unwrap();
            // renamed back: watched again, its files reported
            std::fs::rename(&old, &sass).unwrap();
            assert!(
                pump(&mut n, &mut rx, |c, p| c.contains(&(0, Change::Back))
                    && p.contains(&f))
                .await
            );
            std::fs::write(&f, "d{}").unwrap();
            assert!(collect(&mut n, &mut rx, &f).await);

            // replaced between two looks: watched afresh
            std::fs::rename(&sass, &old).unwrap();
            std::fs::create_dir(&sass).unwrap();
            let g = sass.join("g.scss");
            std::fs::write(&g, "g{}").unwrap();
            assert!(
                pump(&mut n, &mut rx, |c, p| c.iter().any(
                    |(i, c)| *i == 0 && matches!(c, Change::Replaced | Change::Back)
                ) && p.contains(&g))
                .await
            );

            // a root missing at start, created two levels deep later
            std::fs::create_dir_all(&later).unwrap();
            let h = later.join("h.js");
            std::fs::write(&h, "h").unwrap();
            assert!(
                pump(&mut n, &mut rx, |c, p| c.contains(&(1, Change::Created))
                    && p.contains(&h))
                .await
            );
            std::fs::write(&h, "i").unwrap();
            assert!(collect(&mut n, &mut rx, &h).await);
        });
    }

    #[test]
    fn advice_names_the_sysctl() {
        let e = notify::Error::new(notify::ErrorKind::MaxFilesWatch);
        let a = advice(&e, Path::new("/p/sass"));
        assert!(
            a.contains("fs.inotify.max_user_watches") && a.contains("/p/sass"),
            "{a}"
        );
        let e = notify::Error::io(std::io::Error::from_raw_os_error(libc::ENOSPC));
        assert!(advice(&e, Path::new("x")).contains("max_user_watches"));
        let e = notify::Error::io(std::io::Error::from_raw_os_error(libc::EMFILE));
        assert!(advice(&e, Path::new("x")).contains("max_user_instances"));
    }
}
