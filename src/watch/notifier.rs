//! The thin adapter over `notify`: every directory under each root is
//! watched (non-recursively, so ignored directories such as node_modules
//! cost no inotify watch and no memory), new directories are followed (and
//! files already in them reported, so nothing created before the watch is
//! missed), and every event kind that can change content is reported:
//! writes, creations, removals and renames — both ends of a rename, which
//! is how editors' atomic saves (write a temp file, rename it over the
//! original) arrive.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use notify::event::{EventKind, ModifyKind};
use notify::{Event, RecommendedWatcher, RecursiveMode, Watcher};

use super::filter::{is_editor_temp, is_ignored_dir};

/// The raw events, as the adapter's handler thread sends them.
pub type RawEvent = notify::Result<Event>;

pub struct Notifier {
    watcher: RecommendedWatcher,
    watched: HashSet<PathBuf>,
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
        })
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
                    Err(e) if matches!(&e.kind, notify::ErrorKind::PathNotFound) => continue,
                    Err(e) => match &e.kind {
                        notify::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::NotFound => {
                            continue
                        }
                        _ => return Err(advice(&e, &d)),
                    },
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
                    if !self.watched.contains(&p) {
                        out.extend(self.add_tree(&p, true)?);
                    }
                }
                Ok(_) => out.push(p),
                Err(_) => {
                    // removed (or renamed away): a watched dir is forgotten
                    if self.watched.remove(&p) {
                        let _ = self.watcher.unwatch(&p);
                    } else {
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
