//! The watched roots (a rule's `paths`) as a small state machine, pure: the
//! adapter stats each root and hands the result in; this module says what
//! changed (removed, back, replaced, created) and what to tell the user.
//!
//! A root is watched through the inode it had when its watch was added, so
//! a root renamed away (whose watches would follow it out of the tree) or
//! replaced by another directory is noticed by its identity, not only by
//! its existence. A root that is missing is waited for through a watch on
//! its nearest existing ancestor (see [`anchor`]).

use std::path::{Path, PathBuf};

/// What a root is on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    Missing,
    /// Exists but is not a directory (a file, a socket…).
    NotDir,
    /// A directory, by identity.
    Dir {
        dev: u64,
        ino: u64,
    },
}

impl Seen {
    pub fn is_dir(self) -> bool {
        matches!(self, Seen::Dir { .. })
    }
}

/// A change of a root between two looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Was a directory, is not any more (deleted, renamed away, replaced by
    /// a file): its watches are dropped.
    Removed,
    /// A directory again after being removed.
    Back,
    /// A directory for the first time (it did not exist at start).
    Created,
    /// Still a directory at that path, but another one (renamed over,
    /// or removed and recreated between two looks): watched afresh.
    Replaced,
}

/// One root's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Root {
    pub seen: Seen,
    /// It was a directory at some point while watched.
    pub was_dir: bool,
}

impl Root {
    pub fn new(seen: Seen) -> Root {
        Root {
            seen,
            was_dir: seen.is_dir(),
        }
    }

    /// Takes a new look; the change, if any.
    pub fn update(&mut self, now: Seen) -> Option<Change> {
        let before = self.seen;
        self.seen = now;
        let change = match (before, now) {
            (Seen::Dir { .. }, Seen::Dir { .. }) if before != now => Some(Change::Replaced),
            (Seen::Dir { .. }, Seen::Dir { .. }) => None,
            (Seen::Dir { .. }, _) => Some(Change::Removed),
            (_, Seen::Dir { .. }) if self.was_dir => Some(Change::Back),
            (_, Seen::Dir { .. }) => Some(Change::Created),
            _ => None,
        };
        if now.is_dir() {
            self.was_dir = true;
        }
        change
    }
}

/// The nearest ancestor of `root` that `is_dir` says is a directory (the
/// watch that sees the root come back); None when there is none.
pub fn anchor(root: &Path, is_dir: impl Fn(&Path) -> bool) -> Option<PathBuf> {
    root.ancestors()
        .skip(1)
        .filter(|a| !a.as_os_str().is_empty())
        .find(|a| is_dir(a))
        .map(Path::to_path_buf)
}

/// A root as configured, shown as a directory: `sass/`, `assets/scss/`, `./`.
pub fn shown(configured: &str) -> String {
    let mut s = configured.trim_end_matches('/');
    while let Some(rest) = s.strip_prefix("./") {
        s = rest.trim_start_matches('/');
    }
    if s.is_empty() || s == "." {
        "./".to_string()
    } else {
        format!("{s}/")
    }
}

fn prefix(rules: &[&str]) -> String {
    rules
        .iter()
        .map(|r| format!("[{r}]"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// What run-dev says at start about a root that is not a directory.
pub fn not_there_at_start(rules: &[&str], shown: &str, seen: Seen) -> String {
    let what = match seen {
        Seen::NotDir => "is not a directory",
        _ => "does not exist",
    };
    format!(
        "{} {shown} {what}; it will be watched once it is created as a directory",
        prefix(rules)
    )
}

/// What run-dev says about a change of a root.
pub fn message(rules: &[&str], shown: &str, change: Change) -> String {
    let p = prefix(rules);
    match change {
        Change::Removed => format!("{p} {shown} was removed; watching for it to come back"),
        Change::Back => format!("{p} {shown} is back; watching again"),
        Change::Created => format!("{p} {shown} was created; watching it"),
        Change::Replaced => format!("{p} {shown} was replaced; watching the new one"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: Seen = Seen::Dir { dev: 1, ino: 10 };
    const B: Seen = Seen::Dir { dev: 1, ino: 11 };

    #[test]
    fn removed_and_back() {
        let mut r = Root::new(A);
        assert_eq!(r.update(A), None);
        assert_eq!(r.update(Seen::Missing), Some(Change::Removed));
        assert_eq!(r.update(Seen::Missing), None);
        assert_eq!(r.update(B), Some(Change::Back));
        assert_eq!(r.update(B), None);
        // renamed back: the old inode again is a replacement of B
        assert_eq!(r.update(A), Some(Change::Replaced));
        // a file where the directory was
        assert_eq!(r.update(Seen::NotDir), Some(Change::Removed));
        assert_eq!(r.update(Seen::Missing), None);
        assert_eq!(r.update(A), Some(Change::Back));
    }

    #[test]
    fn missing_at_start_is_created_then_removed_then_back() {
        let mut r = Root::new(Seen::Missing);
        assert_eq!(r.update(Seen::NotDir), None);
        assert_eq!(r.update(A), Some(Change::Created));
        assert_eq!(r.update(Seen::Missing), Some(Change::Removed));
        assert_eq!(r.update(A), Some(Change::Back));
    }

    #[test]
    fn anchor_is_the_nearest_existing_ancestor() {
        let exists = |p: &Path| p == Path::new("/p") || p == Path::new("/");
        assert_eq!(
            anchor(Path::new("/p/a/b/c"), exists),
            Some(PathBuf::from("/p"))
        );
        let exists = |p: &Path| p.starts_with("/p/a");
        assert_eq!(
            anchor(Path::new("/p/a/b/c"), exists),
            Some(PathBuf::from("/p/a/b"))
        );
        assert_eq!(anchor(Path::new("rel"), |_| true), None);
    }

    #[test]
    fn roots_are_shown_as_directories() {
        assert_eq!(shown("sass"), "sass/");
        assert_eq!(shown("./sass/"), "sass/");
        assert_eq!(shown("assets/scss"), "assets/scss/");
        assert_eq!(shown("."), "./");
        assert_eq!(shown("./"), "./");
        assert_eq!(shown("/abs/x"), "/abs/x/");
    }

    #[test]
    fn messages_name_rules_and_path() {
        assert_eq!(
            message(&["css"], "sass/", Change::Removed),
            "[css] sass/ was removed; watching for it to come back"
        );
        assert_eq!(
            message(&["css", "all"], "sass/", Change::Back),
            "[css] [all] sass/ is back; watching again"
        );
        let m = not_there_at_start(&["css"], "sass/", Seen::Missing);
        assert_eq!(
            m,
            "[css] sass/ does not exist; it will be watched once it is created as a directory"
        );
        assert!(not_there_at_start(&["css"], "sass/", Seen::NotDir).contains("is not a directory"));
    }
}
