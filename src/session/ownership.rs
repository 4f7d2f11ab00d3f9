//! Who the app runs as, and whether that user can write the source tree
//! mounted into it (issue 16). The decisions are pure functions of the
//! numbers; [`app_ids_for`] and [`tree_check`] read them.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// Pure: the app's uid/gid before root is mapped to 1000
/// ([`crate::project::generate::app_id`]): the owner of the project directory
/// when that is not root, else `SUDO_UID`/`SUDO_GID` (a root shell from
/// sudo), else the calling user.
pub fn pick_ids(
    dir_owner: Option<(u32, u32)>,
    sudo_uid: Option<&str>,
    sudo_gid: Option<&str>,
    caller: (u32, u32),
) -> (u32, u32) {
    if let Some((uid, gid)) = dir_owner.filter(|(uid, _)| *uid != 0) {
        return (uid, if gid != 0 { gid } else { uid });
    }
    let parse = |v: Option<&str>| {
        v.and_then(|s| s.trim().parse::<u32>().ok())
            .filter(|n| *n != 0)
    };
    if let Some(uid) = parse(sudo_uid) {
        return (uid, parse(sudo_gid).unwrap_or(uid));
    }
    caller
}

/// The uid/gid devctl passes as APP_UID/APP_GID for a project directory.
pub fn app_ids_for(dir: &Path) -> (u32, u32) {
    let owner = std::fs::metadata(dir).ok().map(|m| (m.uid(), m.gid()));
    let caller = (
        rustix::process::getuid().as_raw(),
        rustix::process::getgid().as_raw(),
    );
    pick_ids(
        owner,
        std::env::var("SUDO_UID").ok().as_deref(),
        std::env::var("SUDO_GID").ok().as_deref(),
        caller,
    )
}

/// Pure: whether `uid`/`gid` (no supplementary groups) may create files in
/// a directory with this owner and mode (write and search permission).
pub fn can_write(owner: u32, group: u32, mode: u32, uid: u32, gid: u32) -> bool {
    let bits = if uid == 0 {
        return true;
    } else if uid == owner {
        (mode >> 6) & 0o7
    } else if gid == group {
        (mode >> 3) & 0o7
    } else {
        mode & 0o7
    };
    bits & 0o3 == 0o3
}

/// A directory the app cannot write, as `start` and doctor report it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Unwritable {
    pub path: String,
    pub owner: u32,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
}

impl Unwritable {
    pub fn problem(&self) -> String {
        format!(
            "the app runs as uid {} and cannot write {} (owned by uid {}, mode {:o}), which is mounted into it as the source tree",
            self.uid, self.path, self.owner, self.mode & 0o7777
        )
    }

    pub fn fix(&self) -> String {
        format!(
            "`chown -R {}:{} .` in {}, or clone the project as your own user",
            self.uid, self.gid, self.path
        )
    }
}

/// Checks the project directory for the app's (mapped) uid/gid. None: it
/// can write it (or the directory cannot be read, which other checks name).
pub fn tree_check(dir: &Path, uid: u32, gid: u32) -> Option<Unwritable> {
    let m = std::fs::metadata(dir).ok()?;
    (!can_write(m.uid(), m.gid(), m.mode(), uid, gid)).then(|| Unwritable {
        path: dir.display().to_string(),
        owner: m.uid(),
        mode: m.mode(),
        uid,
        gid,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_of_the_tree_then_sudo_then_caller() {
        // a tree owned by a user: that user, whoever runs devctl
        assert_eq!(
            pick_ids(Some((1001, 1002)), Some("1000"), None, (0, 0)),
            (1001, 1002)
        );
        // root-owned tree under sudo: the sudo user
        assert_eq!(
            pick_ids(Some((0, 0)), Some("1005"), Some("1006"), (0, 0)),
            (1005, 1006)
        );
        assert_eq!(
            pick_ids(Some((0, 0)), Some("1005"), None, (0, 0)),
            (1005, 1005)
        );
        // SUDO_UID=0 or garbage is ignored: the caller
        assert_eq!(pick_ids(Some((0, 0)), Some("0"), None, (0, 0)), (0, 0));
        assert_eq!(pick_ids(None, Some("x"), None, (1000, 1000)), (1000, 1000));
        // a user-owned dir with group root: the uid as gid
        assert_eq!(pick_ids(Some((1001, 0)), None, None, (0, 0)), (1001, 1001));
    }

    #[test]
    fn write_permission_by_class() {
        assert!(can_write(1000, 1000, 0o755, 1000, 1000));
        assert!(!can_write(0, 0, 0o755, 1000, 1000));
        assert!(can_write(0, 1000, 0o775, 1000, 1000));
        assert!(!can_write(0, 1000, 0o755, 1000, 1000));
        assert!(can_write(0, 0, 0o777, 1000, 1000));
        // write without search is not enough
        assert!(!can_write(0, 0, 0o772, 1000, 1000));
        // the owner class wins even when "others" could write
        assert!(!can_write(1000, 0, 0o507, 1000, 1000));
    }
}
