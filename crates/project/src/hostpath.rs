//! The IO half of the Docker-socket rule (`load::check_socket_reach` is
//! the pure half): which engine sockets this host has, and what a
//! bind-mount source reaches once cleaned and with its symlinks resolved.
//!
//! A source reaches a socket when, resolved, it is the socket or one of the
//! directories above it — compared by path and by device and inode, so a
//! hard link to the socket and another mount of one of its directories
//! count too. Both readings of `..` are tried: the kernel's (symlinks
//! first) and the lexical one (`filepath.Clean`, as the engine cleans a
//! bind source before mounting it).

use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use super::load::clean_path;

#[derive(Debug, Clone)]
struct Socket {
    /// The socket's resolved path.
    path: PathBuf,
    /// (device, inode, resolved path) of the socket and each directory above it.
    ids: Vec<(u64, u64, PathBuf)>,
}

/// The engine sockets of this host.
#[derive(Debug, Clone, Default)]
pub struct Sockets {
    sockets: Vec<Socket>,
}

impl Sockets {
    /// The default sockets (`/var/run/docker.sock`, `/run/docker.sock`),
    /// the rootless one (`$XDG_RUNTIME_DIR/docker.sock`) and the one
    /// `DOCKER_HOST` names (`unix://…`), those that exist. `var` looks up
    /// the process environment (the caller's).
    pub fn of_this_host(var: &dyn Fn(&str) -> Option<String>) -> Sockets {
        let mut candidates = vec![
            PathBuf::from("/var/run/docker.sock"),
            PathBuf::from("/run/docker.sock"),
        ];
        if let Some(dir) = var("XDG_RUNTIME_DIR") {
            if !dir.is_empty() {
                candidates.push(Path::new(&dir).join("docker.sock"));
            }
        }
        if let Some(host) = var("DOCKER_HOST") {
            if let Some(p) = host.strip_prefix("unix://") {
                candidates.push(PathBuf::from(p));
            }
        }
        Sockets::of(&candidates)
    }

    /// The sockets among `candidates` (each resolved; missing ones and
    /// non-sockets are skipped).
    pub fn of(candidates: &[PathBuf]) -> Sockets {
        let mut sockets: Vec<Socket> = Vec::new();
        for c in candidates {
            let Ok(path) = std::fs::canonicalize(c) else {
                continue;
            };
            let Ok(meta) = std::fs::metadata(&path) else {
                continue;
            };
            if !meta.file_type().is_socket() || sockets.iter().any(|s| s.path == path) {
                continue;
            }
            let ids = path
                .ancestors()
                .filter_map(|a| {
                    std::fs::metadata(a)
                        .ok()
                        .map(|m| (m.dev(), m.ino(), a.to_path_buf()))
                })
                .collect();
            sockets.push(Socket { path, ids });
        }
        Sockets { sockets }
    }

    /// What the absolute host path `source` reaches: `None`, or a phrase
    /// for the error ("/run once cleaned and symlinks resolved, the
    /// directory holding the Docker socket /run/docker.sock").
    pub fn reach(&self, source: &str) -> Option<String> {
        let readings = [
            std::fs::canonicalize(source).ok(),
            std::fs::canonicalize(clean_path(source)).ok(),
        ];
        for resolved in readings.into_iter().flatten() {
            let meta = std::fs::metadata(&resolved).ok();
            for s in &self.sockets {
                for (dev, ino, path) in &s.ids {
                    let same = *path == resolved
                        || meta
                            .as_ref()
                            .is_some_and(|m| m.dev() == *dev && m.ino() == *ino);
                    if !same {
                        continue;
                    }
                    let shown = resolved.display();
                    return Some(if *path == s.path {
                        format!("{shown} once cleaned and symlinks resolved: the Docker socket")
                    } else {
                        format!(
                            "{shown} once cleaned and symlinks resolved: a directory holding the Docker socket {}",
                            s.path.display()
                        )
                    });
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::net::UnixListener;

    /// A socket in a temp dir standing for the engine's, with a symlink,
    /// a hard link and a symlinked directory pointing at it.
    #[test]
    fn every_way_to_the_socket_is_found() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path().canonicalize().unwrap();
        std::fs::create_dir_all(root.join("var")).unwrap();
        std::fs::create_dir_all(root.join("run")).unwrap();
        std::fs::create_dir_all(root.join("other/deep")).unwrap();
        let sock = root.join("run/docker.sock");
        let _l = UnixListener::bind(&sock).unwrap();
        std::os::unix::fs::symlink(root.join("run"), root.join("var/run")).unwrap();
        std::os::unix::fs::symlink(&sock, root.join("other/link.sock")).unwrap();
        std::fs::hard_link(&sock, root.join("other/hard.sock")).unwrap();
        let s = Sockets::of(&[root.join("var/run/docker.sock")]);
        let r = root.display().to_string();
        for hit in [
            format!("{r}/run/docker.sock"),
            format!("{r}/var/run/docker.sock"),
            format!("{r}/var/./run/docker.sock"),
            format!("{r}/var/run/../run/docker.sock"),
            format!("{r}/var/run"),
            format!("{r}/var/run/"),
            format!("{r}/run"),
            format!("{r}/run/"),
            format!("{r}//run"),
            r.clone(),
            "/".to_string(),
            format!("{r}/other/link.sock"),
            format!("{r}/other/hard.sock"),
            format!("{r}/other/deep/../../run"),
            format!("{r}/other/../var/run"),
        ] {
            assert!(
                s.reach(&hit).is_some(),
                "{hit} was not found to reach the socket"
            );
        }
        let what = s.reach(&format!("{r}/var/run")).unwrap();
        assert!(
            what.contains(&format!("{r}/run once cleaned"))
                && what.contains("holding the Docker socket"),
            "{what}"
        );
        for miss in [
            format!("{r}/other"),
            format!("{r}/other/deep"),
            format!("{r}/var/run/missing"),
            format!("{r}/nothing"),
        ] {
            assert_eq!(s.reach(&miss), None, "{miss}");
        }
        // No socket at all: nothing is reached.
        assert_eq!(Sockets::of(&[root.join("other")]).reach("/"), None);
    }
}
