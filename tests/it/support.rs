//! Test helpers: the shared corpus and a fluent runner for the binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// `../shared/corpus` (or `$DEVCTL_CORPUS`). When it is missing the test is
/// skipped locally but fails under CI=true.
pub fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("DEVCTL_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "the test corpus is missing at {} (CI=true: failing, not skipping)",
            dir.display()
        );
    }
    eprintln!("skipping: no corpus at {}", dir.display());
    None
}

pub fn buildkit_testfiles(corpus: &Path) -> PathBuf {
    corpus.join("buildkit-parser/buildkit/frontend/dockerfile/parser")
}

/// Every file under `dir`, sorted.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// A temp project dir plus a builder for one `devctl` run.
pub struct Project {
    pub dir: tempfile::TempDir,
}

impl Project {
    pub fn new() -> Self {
        Project {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
    /// Write a file (creating parent dirs).
    pub fn file(self, rel: &str, contents: impl AsRef<[u8]>) -> Self {
        let p = self.dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, contents).unwrap();
        self
    }
    pub fn devctl(&self, args: &[&str]) -> Run {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_devctl"));
        cmd.args(args)
            .current_dir(self.dir.path())
            .env_remove("NO_COLOR");
        Run { cmd, stdin: None }
    }
}

pub struct Run {
    cmd: Command,
    stdin: Option<Vec<u8>>,
}

impl Run {
    pub fn env(mut self, k: &str, v: &str) -> Self {
        self.cmd.env(k, v);
        self
    }
    pub fn env_remove(mut self, k: &str) -> Self {
        self.cmd.env_remove(k);
        self
    }
    pub fn stdin(mut self, data: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(data.into());
        self
    }
    pub fn output(mut self) -> Done {
        use std::io::Write;
        self.cmd.stdin(if self.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        self.cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = self.cmd.spawn().expect("spawn devctl");
        if let Some(data) = self.stdin.take() {
            let mut si = child.stdin.take().unwrap();
            std::thread::spawn(move || {
                let _ = si.write_all(&data);
            });
        }
        Done(child.wait_with_output().unwrap())
    }
    /// Run and assert the exit code.
    pub fn code(self, code: i32) -> Done {
        let d = self.output();
        assert_eq!(
            d.0.status.code(),
            Some(code),
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            d.stdout(),
            d.stderr()
        );
        d
    }
}

pub struct Done(pub Output);

impl Done {
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).into_owned()
    }
    pub fn stdout_has(self, s: &str) -> Self {
        assert!(
            self.stdout().contains(s),
            "stdout lacks {s:?}:\n{}",
            self.stdout()
        );
        self
    }
    pub fn stderr_has(self, s: &str) -> Self {
        assert!(
            self.stderr().contains(s),
            "stderr lacks {s:?}:\n{}",
            self.stderr()
        );
        self
    }
}
