//! Which rules a changed path triggers. Pure: paths are compared as given
//! (the adapter passes paths relative to the project directory).
//!
//! Ignored everywhere: the directories in [`IGNORED_DIRS`] (VCS data,
//! node_modules, devctl's own state, caches, `dist`) and editor temp/swap
//! files ([`is_editor_temp`]). A rule matches a path under one of its roots
//! whose file name matches one of its patterns (a pattern with a `/` is
//! matched against the path relative to the root); no patterns: any file.

use std::path::{Component, Path, PathBuf};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

/// Directory names never watched nor reported.
pub const IGNORED_DIRS: &[&str] = &[
    ".git",
    ".hg",
    ".svn",
    "node_modules",
    ".devctl",
    "__pycache__",
    ".sass-cache",
    ".cache",
    ".parcel-cache",
    "dist",
];

/// Editor temp, swap and backup files (vim, emacs, JetBrains, kate, gedit…).
pub fn is_editor_temp(name: &str) -> bool {
    name == "4913"
        || name.ends_with('~')
        || name.starts_with(".#")
        || (name.starts_with('#') && name.ends_with('#') && name.len() > 1)
        || name.ends_with(".swp")
        || name.ends_with(".swo")
        || name.ends_with(".swx")
        || name.ends_with(".tmp")
        || name.ends_with(".kate-swp")
        || name.ends_with(".crswap")
        || name.ends_with("___jb_tmp___")
        || name.ends_with("___jb_old___")
        || name.starts_with(".goutputstream-")
}

/// A directory name that is never descended into.
pub fn is_ignored_dir(name: &str) -> bool {
    IGNORED_DIRS.contains(&name)
}

/// Whether any component of `path` is an ignored directory.
pub fn in_ignored_dir(path: &Path) -> bool {
    path.components().any(|c| match c {
        Component::Normal(s) => s.to_str().is_some_and(is_ignored_dir),
        _ => false,
    })
}

#[derive(Debug)]
struct Rule {
    roots: Vec<PathBuf>,
    names: GlobSet,
    paths: GlobSet,
    any: bool,
}

/// The compiled rules.
#[derive(Debug)]
pub struct Filter {
    rules: Vec<Rule>,
}

/// A rule as configured: roots relative to the project dir, patterns.
pub struct RuleSpec<'a> {
    pub name: &'a str,
    pub roots: Vec<PathBuf>,
    pub patterns: &'a [String],
}

fn normalise(p: &Path) -> PathBuf {
    p.components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect()
}

impl Filter {
    /// Compiles the rules; a bad pattern is an error naming rule and pattern.
    pub fn new(specs: &[RuleSpec<'_>]) -> Result<Filter, String> {
        let mut rules = Vec::new();
        for spec in specs {
            let mut names = GlobSetBuilder::new();
            let mut paths = GlobSetBuilder::new();
            for pat in spec.patterns {
                let glob = GlobBuilder::new(pat)
                    .literal_separator(true)
                    .build()
                    .map_err(|e| {
                        format!("[[assets.watch]] {:?}: bad pattern {pat:?}: {e}", spec.name)
                    })?;
                if pat.contains('/') {
                    paths.add(glob);
                } else {
                    names.add(glob);
                }
            }
            let built = |b: GlobSetBuilder| {
                b.build()
                    .map_err(|e| format!("[[assets.watch]] {:?}: {e}", spec.name))
            };
            rules.push(Rule {
                roots: spec.roots.iter().map(|r| normalise(r)).collect(),
                names: built(names)?,
                paths: built(paths)?,
                any: spec.patterns.is_empty(),
            });
        }
        Ok(Filter { rules })
    }

    /// The indices of the rules that `path` (relative to the project dir)
    /// triggers; empty for ignored paths.
    pub fn rules_for(&self, path: &Path) -> Vec<usize> {
        let path = normalise(path);
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            return Vec::new();
        };
        if is_editor_temp(name) || in_ignored_dir(&path) {
            return Vec::new();
        }
        let mut out = Vec::new();
        for (i, r) in self.rules.iter().enumerate() {
            let hit = r.roots.iter().any(|root| {
                let Ok(rel) = path.strip_prefix(root) else {
                    return false;
                };
                if rel.as_os_str().is_empty() {
                    return false;
                }
                r.any || r.names.is_match(name) || r.paths.is_match(rel)
            });
            if hit {
                out.push(i);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter() -> Filter {
        let css = vec!["*.scss".to_string()];
        let js = vec!["*.js".to_string(), "*.mjs".to_string()];
        let tpl = vec!["pages/**/*.html".to_string()];
        Filter::new(&[
            RuleSpec {
                name: "css",
                roots: vec![PathBuf::from("sass")],
                patterns: &css,
            },
            RuleSpec {
                name: "js",
                roots: vec![PathBuf::from("./scripts"), PathBuf::from("lib")],
                patterns: &js,
            },
            RuleSpec {
                name: "tpl",
                roots: vec![PathBuf::from("templates")],
                patterns: &tpl,
            },
            RuleSpec {
                name: "all",
                roots: vec![PathBuf::from(".")],
                patterns: &[],
            },
        ])
        .unwrap()
    }

    fn hits(p: &str) -> Vec<usize> {
        filter().rules_for(Path::new(p))
    }

    #[test]
    fn patterns_match_file_names_under_roots() {
        assert_eq!(hits("sass/main.scss"), vec![0, 3]);
        assert_eq!(hits("sass/deep/er/_vars.scss"), vec![0, 3]);
        assert_eq!(hits("scripts/app.js"), vec![1, 3]);
        assert_eq!(hits("lib/x.mjs"), vec![1, 3]);
        assert_eq!(hits("./sass/main.scss"), vec![0, 3]);
        // wrong root or wrong pattern
        assert_eq!(hits("scripts/main.scss"), vec![3]);
        assert_eq!(hits("sassy/main.scss"), vec![3]);
        assert_eq!(hits("sass/main.css"), vec![3]);
    }

    #[test]
    fn patterns_with_a_slash_match_the_path_below_the_root() {
        assert_eq!(hits("templates/pages/a/b.html"), vec![2, 3]);
        assert_eq!(hits("templates/other/b.html"), vec![3]);
    }

    #[test]
    fn ignored_dirs_and_editor_temp_files() {
        for p in [
            ".git/index",
            "sass/node_modules/x.scss",
            "node_modules/pkg/a.js",
            ".devctl/compose.yaml",
            "app/__pycache__/x.pyc",
            "scripts/dist/app.js",
            "sass/.main.scss.swp",
            "sass/main.scss~",
            "sass/.#main.scss",
            "sass/4913",
            "sass/main.scss.tmp",
            "sass/#main.scss#",
            "scripts/app.js___jb_tmp___",
        ] {
            assert!(hits(p).is_empty(), "{p} should be ignored");
        }
        assert!(is_ignored_dir("node_modules"));
        assert!(!is_ignored_dir("sass"));
    }

    #[test]
    fn bad_pattern_names_the_rule() {
        let bad = vec!["a[".to_string()];
        let e = Filter::new(&[RuleSpec {
            name: "css",
            roots: vec![PathBuf::from("sass")],
            patterns: &bad,
        }])
        .unwrap_err();
        assert!(e.contains("\"css\"") && e.contains("a["), "{e}");
    }
}
