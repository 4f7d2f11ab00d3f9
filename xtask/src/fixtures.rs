//! `cargo xtask fixtures [busybox|bookworm] [--force]`: the base images the
//! end-to-end tests build on, made locally because no registry can be reached
//! (DESIGN §10).
//!
//! - `devctl-fixture/busybox:1`: FROM scratch + Debian's static busybox, root
//!   and an `app` user (uid 1000), `/tmp` 1777. Seconds to build.
//! - `devctl-fixture/bookworm:1`: a debootstrap'ed Debian bookworm (minbase +
//!   python3, python3-django, nodejs, sassc, esbuild, …), `docker import`ed.
//!
//! Idempotent: every image carries the label [`RECIPE_LABEL`] = a hash of its
//! recipe (that recipe's source file, its package list and its inputs). When
//! an image with that tag and that label exists the build is skipped, which
//! costs one `docker image inspect`.

mod bookworm;
mod busybox;

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};

/// The label holding the recipe hash.
pub const RECIPE_LABEL: &str = "devctl.fixture.recipe";

const USAGE: &str = "usage: cargo xtask fixtures [busybox|bookworm]... [--force]";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Which {
    Busybox,
    Bookworm,
}

impl Which {
    fn name(self) -> &'static str {
        match self {
            Which::Busybox => "busybox",
            Which::Bookworm => "bookworm",
        }
    }
    fn tag(self) -> &'static str {
        match self {
            Which::Busybox => busybox::TAG,
            Which::Bookworm => bookworm::TAG,
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
struct Args {
    which: Vec<Which>,
    force: bool,
}

fn parse_args(args: &[String]) -> Result<Args> {
    let mut which = Vec::new();
    let mut force = false;
    for a in args {
        match a.as_str() {
            "busybox" => which.push(Which::Busybox),
            "bookworm" => which.push(Which::Bookworm),
            "--force" => force = true,
            other => bail!("unknown argument {other:?}\n{USAGE}"),
        }
    }
    if which.is_empty() {
        which = vec![Which::Busybox, Which::Bookworm];
    }
    which.dedup();
    Ok(Args { which, force })
}

pub fn run(args: &[String]) -> Result<()> {
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("{USAGE}");
        return Ok(());
    }
    let args = parse_args(args)?;
    let docker = Docker::find()?;
    let total = Instant::now();
    for &w in &args.which {
        let start = Instant::now();
        let hash = match w {
            Which::Busybox => busybox::recipe_hash()?,
            Which::Bookworm => bookworm::recipe_hash(),
        };
        let short = &hash[..12];
        if !args.force && docker.label(w.tag(), RECIPE_LABEL)?.as_deref() == Some(hash.as_str()) {
            println!(
                "{}: {} is up to date (recipe {short}), {:.2}s",
                w.name(),
                w.tag(),
                start.elapsed().as_secs_f64()
            );
            continue;
        }
        let previous = docker.image_id(w.tag())?;
        println!("{}: building {} (recipe {short})", w.name(), w.tag());
        match w {
            Which::Busybox => busybox::build(&docker, &hash)?,
            Which::Bookworm => bookworm::build(&docker, &hash)?,
        }
        // The label is what makes the next run a no-op: check it landed.
        if docker.label(w.tag(), RECIPE_LABEL)?.as_deref() != Some(hash.as_str()) {
            bail!(
                "{} was built but does not carry {RECIPE_LABEL}={hash}",
                w.tag()
            );
        }
        // The image the tag pointed at before is now dangling: remove it
        // (best effort: a container may still use it).
        if let Some(old) = previous {
            if docker.image_id(w.tag())?.as_deref() != Some(old.as_str()) {
                let _ = duct::cmd!(&docker.bin, "image", "rm", &old)
                    .stdout_null()
                    .stderr_null()
                    .unchecked()
                    .run();
            }
        }
        println!(
            "{}: built {} in {:.1}s",
            w.name(),
            w.tag(),
            start.elapsed().as_secs_f64()
        );
    }
    if args.which.len() > 1 {
        println!("fixtures: done in {:.1}s", total.elapsed().as_secs_f64());
    }
    Ok(())
}

/// The Docker CLI, found on PATH, with the engine checked reachable.
pub struct Docker {
    pub bin: PathBuf,
}

impl Docker {
    fn find() -> Result<Docker> {
        let bin = find_program(
            "docker",
            "install the Docker CLI and engine (Debian: apt-get install docker.io)",
        )?;
        let out = duct::cmd!(&bin, "version", "--format", "{{.Server.Version}}")
            .stdout_capture()
            .stderr_capture()
            .unchecked()
            .run()
            .with_context(|| format!("running {}", bin.display()))?;
        if !out.status.success() {
            bail!(
                "the Docker engine is not reachable ({}): start it (systemctl start docker) \
                 or point DOCKER_HOST at it",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(Docker { bin })
    }

    /// The id of image `tag`, None when there is none.
    pub fn image_id(&self, tag: &str) -> Result<Option<String>> {
        let out = duct::cmd!(&self.bin, "image", "inspect", "--format", "{{.Id}}", tag)
            .stdout_capture()
            .stderr_capture()
            .unchecked()
            .run()?;
        let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
        Ok((out.status.success() && !id.is_empty()).then_some(id))
    }

    /// The value of `label` on image `tag`; None when there is no such image
    /// or it lacks the label.
    pub fn label(&self, tag: &str, label: &str) -> Result<Option<String>> {
        let format = format!("{{{{ index .Config.Labels \"{label}\" }}}}");
        let out = duct::cmd!(&self.bin, "image", "inspect", "--format", format, tag)
            .stdout_capture()
            .stderr_capture()
            .unchecked()
            .run()?;
        if !out.status.success() {
            return Ok(None);
        }
        let v = String::from_utf8_lossy(&out.stdout).trim().to_string();
        Ok((!v.is_empty() && v != "<no value>").then_some(v))
    }
}

/// A program on PATH (or in /usr/sbin, /sbin, which a non-login root shell
/// may lack), or an error that says how to get it.
pub fn find_program(name: &str, how_to_get_it: &str) -> Result<PathBuf> {
    if let Ok(p) = which::which(name) {
        return Ok(p);
    }
    for dir in ["/usr/sbin", "/sbin", "/usr/bin", "/bin"] {
        let p = Path::new(dir).join(name);
        if p.is_file() {
            return Ok(p);
        }
    }
    bail!("`{name}` was not found on PATH: {how_to_get_it}")
}

/// A source file without its unit tests (everything from the first
/// `#[cfg(test)]` line on), so editing a test does not rebuild an image.
pub fn without_tests(source: &str) -> &str {
    match source.find("\n#[cfg(test)]") {
        Some(i) => &source[..i],
        None => source,
    }
}

/// sha256 over length-prefixed parts, as lowercase hex.
pub fn hash_parts(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    hex(&h.finalize())
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// `<workspace>/target/xtask`: scratch space kept between runs (caches) and
/// never committed.
pub fn work_dir() -> Result<PathBuf> {
    let ws = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .context("xtask has no parent directory")?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| ws.join("target"));
    let dir = target.join("xtask");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn no_argument_means_both() {
        let a = parse_args(&[]).unwrap();
        assert_eq!(a.which, vec![Which::Busybox, Which::Bookworm]);
        assert!(!a.force);
    }

    #[test]
    fn one_fixture_and_force() {
        let a = parse_args(&s(&["bookworm", "--force"])).unwrap();
        assert_eq!(a.which, vec![Which::Bookworm]);
        assert!(a.force);
    }

    #[test]
    fn unknown_argument_is_named() {
        let e = parse_args(&s(&["alpine"])).unwrap_err().to_string();
        assert!(e.contains("\"alpine\""), "{e}");
    }

    #[test]
    fn hash_is_stable_and_separates_parts() {
        let a = hash_parts(&[b"ab", b"c"]);
        assert_eq!(a, hash_parts(&[b"ab", b"c"]));
        assert_ne!(a, hash_parts(&[b"a", b"bc"]));
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
    }

    #[test]
    fn tests_are_not_part_of_a_recipe() {
        let src = "const A: u8 = 1;\n#[cfg(test)]\nmod tests {}\n";
        assert_eq!(without_tests(src), "const A: u8 = 1;");
        assert_eq!(without_tests("fn f() {}"), "fn f() {}");
        assert!(busybox::recipe_source().contains("pub const TAG"));
        assert!(!busybox::recipe_source().contains("mod tests"));
        assert!(!bookworm::recipe_source().contains("mod tests"));
    }

    #[test]
    fn recipe_hashes_differ_between_fixtures() {
        // Each recipe hashes its own source, so editing one does not rebuild the other.
        assert_ne!(busybox::recipe_source(), bookworm::recipe_source());
    }
}
