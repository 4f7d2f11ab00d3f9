//! `cargo xtask bench --only=tricks` (issue 12): each trick measured with
//! and without in one run. Every build variant is a feature set of the root
//! package, built into the same target directory (only devctl itself is
//! rebuilt) and copied to `target/tricks/devctl-<variant>`; the runs of the
//! variants of one figure alternate (the first variant rotates every round),
//! so all of them see the same machine. Printed, not written: the numbers
//! go into BENCHMARKS.md's "Issue 12" section by hand, with the date.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Result};

use super::{corpus_files, run_one};

struct Variant {
    name: &'static str,
    /// `--features` with `--no-default-features`; `None`: the default build.
    features: Option<&'static str>,
    about: &'static str,
}

const VARIANTS: &[Variant] = &[
    Variant {
        name: "default",
        features: None,
        about: "as shipped (mimalloc, THP off from .init_array)",
    },
    Variant {
        name: "mimalloc-plain",
        features: Some("mimalloc"),
        about: "mimalloc, THP as the kernel says",
    },
    Variant {
        name: "glibc",
        features: Some(""),
        about: "glibc malloc, THP as the kernel says",
    },
];

/// Which variants each figure compares (the first is the baseline). sh's
/// `_exit` was measured this way too (BENCHMARKS.md, 2026-12-02, at
/// cb41f65) and removed.
const ALLOC: &[&str] = &["default", "mimalloc-plain", "glibc"];
const SH: &[&str] = &["default", "mimalloc-plain", "glibc"];

struct Runs {
    times: Vec<Duration>,
    rss_kib: Vec<i64>,
}

fn median<T: Copy + Ord>(v: &[T]) -> T {
    let mut s = v.to_vec();
    s.sort();
    s[s.len() / 2]
}

fn build(root: &Path, v: &Variant, dir: &Path) -> Result<PathBuf> {
    let mut cmd = Command::new("cargo");
    cmd.args(["build", "--release", "--quiet", "-p", "devctl"])
        .current_dir(root);
    if let Some(f) = v.features {
        cmd.arg("--no-default-features");
        if !f.is_empty() {
            cmd.args(["--features", f]);
        }
    }
    if !cmd.status()?.success() {
        bail!("building the {} variant failed", v.name);
    }
    let to = dir.join(format!("devctl-{}", v.name));
    std::fs::copy(root.join("target/release/devctl"), &to)?;
    Ok(to)
}

/// `runs` rounds (plus one warm-up) of every argv, the first one rotating.
fn interleaved(argvs: &[Vec<String>], runs: usize, cwd: &Path) -> Result<Vec<Runs>> {
    let n = argvs.len();
    let mut out: Vec<Runs> = (0..n)
        .map(|_| Runs {
            times: Vec::with_capacity(runs),
            rss_kib: Vec::with_capacity(runs),
        })
        .collect();
    for round in 0..=runs {
        for k in 0..n {
            let i = (round + k) % n;
            let (t, code, rss) = run_one(&argvs[i], cwd)?;
            if code != 0 && code != 1 {
                bail!("`{}` exited with {code}", argvs[i].join(" "));
            }
            if round > 0 {
                out[i].times.push(t);
                out[i].rss_kib.push(rss);
            }
        }
    }
    Ok(out)
}

fn rows(table: &mut String, figure: &str, names: &[&str], runs: &[Runs]) {
    let t0 = median(&runs[0].times).as_secs_f64();
    let r0 = median(&runs[0].rss_kib) as f64;
    for (name, r) in names.iter().zip(runs) {
        let t = median(&r.times).as_secs_f64();
        let rss = median(&r.rss_kib) as f64;
        table.push_str(&format!(
            "| {figure} | {name} | {:.2} ms | {:.2}× | {:.1} MiB | {:.2}× |\n",
            t * 1e3,
            t / t0,
            rss / 1024.0,
            rss / r0
        ));
    }
}

/// `only`: the variants to build and measure (`--variants=a,b`; the default
/// build is always one), else all.
pub fn run(root: &Path, runs: usize, only: Option<&str>) -> Result<()> {
    let dir = root.join("target/tricks");
    std::fs::create_dir_all(&dir)?;
    let picked: Vec<&Variant> = VARIANTS
        .iter()
        .filter(|v| v.name == "default" || only.is_none_or(|o| o.split(',').any(|n| n == v.name)))
        .collect();
    if let Some(o) = only {
        for n in o.split(',') {
            if !VARIANTS.iter().any(|v| v.name == n) {
                bail!("--variants: no variant {n:?}");
            }
        }
    }
    let alloc: Vec<&str> = ALLOC
        .iter()
        .copied()
        .filter(|n| picked.iter().any(|v| v.name == *n))
        .collect();
    let sh: Vec<&str> = SH
        .iter()
        .copied()
        .filter(|n| picked.iter().any(|v| v.name == *n))
        .collect();
    let mut bins = std::collections::HashMap::new();
    for v in &picked {
        eprintln!("building {} ({})", v.name, v.about);
        bins.insert(v.name, build(root, v, &dir)?.to_string_lossy().into_owned());
    }
    // Leave target/release/devctl as the default build.
    build(root, &VARIANTS[0], &dir)?;
    let bin = |name: &str| bins[name].clone();

    let files = corpus_files(root);
    if files.is_empty() {
        bail!("no corpus under ../shared/corpus/dockerfiles");
    }
    let example = root.join("compose/examples/django-poetry");
    let ex = example.to_string_lossy().into_owned();
    type Args = Box<dyn Fn(String) -> Vec<String>>;
    let lint_files = files.clone();
    let figures: Vec<(String, Args)> = vec![
        (
            format!(
                "lint {} corpus files (--no-shellcheck --format json)",
                files.len()
            ),
            Box::new(move |b| {
                let mut v = vec![
                    b,
                    "lint-dockerfile".into(),
                    "--no-shellcheck".into(),
                    "--format".into(),
                    "json".into(),
                ];
                v.extend(lint_files.iter().cloned());
                v
            }),
        ),
        (
            "`devctl --version`".into(),
            Box::new(|b| vec![b, "--version".into()]),
        ),
        (
            "`devctl config` (django-poetry)".into(),
            Box::new(move |b| vec![b, "-C".into(), ex.clone(), "config".into()]),
        ),
    ];

    let mut table = format!(
        "`cargo xtask bench --only=tricks --runs={runs}`: median of {runs} interleaved runs after a warm-up, {} cores, {}.\n\n",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        Command::new("date").args(["-u", "+%Y-%m-%d"]).output().map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string()).unwrap_or_default()
    );
    table.push_str("| figure | build | median wall | wall ÷ first | median peak RSS | RSS ÷ first |\n|---|---|---|---|---|---|\n");
    for (figure, args) in &figures {
        eprintln!("measuring {figure}");
        let argvs: Vec<Vec<String>> = alloc.iter().map(|n| args(bin(n))).collect();
        let r = interleaved(&argvs, runs, root)?;
        rows(&mut table, figure, &alloc, &r);
    }
    if sh.len() > 1 {
        match sh_figure(&bin, &sh, runs)? {
            Some(r) => rows(
                &mut table,
                "`devctl sh -- true` (busybox container)",
                &sh,
                &r,
            ),
            None => table.push_str("\n`sh`: skipped (no Docker or no devctl-fixture/busybox:1)\n"),
        }
    }
    table.push_str("\nbuilds:\n");
    for v in &picked {
        table.push_str(&format!(
            "- {}: {} (`{}`)\n",
            v.name,
            v.about,
            match v.features {
                None => "default features".to_string(),
                Some("") => "--no-default-features".to_string(),
                Some(f) => format!("--no-default-features --features {f}"),
            }
        ));
    }
    print!("{table}");
    Ok(())
}

/// `sh -- true` of each variant of `sh` in a one-service busybox project.
fn sh_figure(bin: &dyn Fn(&str) -> String, sh: &[&str], runs: usize) -> Result<Option<Vec<Runs>>> {
    let have_image = Command::new("docker")
        .args(["image", "inspect", "devctl-fixture/busybox:1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !have_image {
        return Ok(None);
    }
    let tmp = tempfile::Builder::new()
        .prefix("devctl-tricks-")
        .tempdir()?;
    let p = tmp.path().to_string_lossy().into_owned();
    std::fs::write(
        tmp.path().join("devctl.toml"),
        "[project]\nname = \"devctltricks\"\n\n[services.app]\nimage = \"devctl-fixture/busybox:1\"\ncommand = [\"sleep\", \"86400\"]\ninit = true\n",
    )?;
    let default = bin("default");
    let st = Command::new(&default)
        .args(["-C", &p, "start"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()?;
    let result = if st.success() {
        eprintln!("measuring sh -- true");
        let argvs: Vec<Vec<String>> = sh
            .iter()
            .map(|n| {
                vec![
                    bin(n),
                    "-C".into(),
                    p.clone(),
                    "sh".into(),
                    "--".into(),
                    "true".into(),
                ]
            })
            .collect();
        interleaved(&argvs, runs, tmp.path()).map(Some)
    } else {
        Err(anyhow::anyhow!("`devctl start` of the sh project failed"))
    };
    let _ = Command::new(&default)
        .args(["-C", &p, "down", "--volumes"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    result
}
