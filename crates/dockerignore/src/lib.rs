//! `.dockerignore` matching with Docker's exact semantics.
//!
//! Reading follows BuildKit's `ignorefile.ReadAll`: a UTF-8 BOM is dropped,
//! lines starting with `#` (in column one) are comments, every line is
//! trimmed, blank lines are skipped, a leading `!` marks a re-inclusion, the
//! path is cleaned like Go's `filepath.Clean` and a leading `/` is removed.
//!
//! Matching follows `moby/patternmatcher`: `*` and `?` never cross `/`, `**`
//! matches any number of directories (also none), `[…]` classes and `\`
//! escapes work as in Go's `filepath.Match`, later patterns win over earlier
//! ones, and a pattern that matches a parent directory matches everything
//! below it (`MatchesOrParentMatches`). Patterns Go would reject (`!` alone,
//! `[` unclosed, …) make Docker fail the build; here they are collected in
//! [`DockerIgnore::invalid_patterns`] and otherwise ignored.
//!
//! Pure: no IO. A context walker asks [`DockerIgnore::is_excluded`] for each
//! path and [`DockerIgnore::can_skip_dir`] to prune whole directories.

use std::sync::{Arc, Mutex};

use regex::Regex;

/// One usable pattern.
#[derive(Debug, Clone)]
struct Pattern {
    /// The cleaned pattern, without the `!`.
    cleaned: String,
    exclusion: bool,
    kind: MatchKind,
    /// The per-component globs (for pruning), `None` for `**`.
    dirs: Vec<Option<Regex>>,
}

#[derive(Debug, Clone)]
enum MatchKind {
    Exact,
    /// The pattern ends in `**`: a prefix test.
    Prefix(String),
    /// The pattern starts with `**`: a suffix test.
    Suffix(String),
    Regexp(Regex),
}

/// A pattern Docker would refuse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidPattern {
    /// 1-based line in the .dockerignore file.
    pub line: usize,
    pub pattern: String,
    pub reason: String,
}

/// A parsed `.dockerignore`.
#[derive(Debug, Clone, Default)]
pub struct DockerIgnore {
    patterns: Vec<Pattern>,
    exclusions: bool,
    invalid: Vec<InvalidPattern>,
}

impl DockerIgnore {
    /// Parse a `.dockerignore` file's text.
    pub fn parse(text: &str) -> DockerIgnore {
        let mut di = DockerIgnore::default();
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        for (i, raw) in text.split('\n').enumerate() {
            let raw = raw.strip_suffix('\r').unwrap_or(raw);
            if raw.starts_with('#') {
                continue;
            }
            let mut pat = raw.trim();
            if pat.is_empty() {
                continue;
            }
            let invert = pat.starts_with('!');
            if invert {
                pat = pat[1..].trim();
            }
            let mut cleaned = String::new();
            if !pat.is_empty() {
                cleaned = go_clean(pat);
                if cleaned.len() > 1 && cleaned.starts_with('/') {
                    cleaned.remove(0);
                }
            }
            match Pattern::new(&cleaned, invert) {
                Ok(p) => {
                    di.exclusions |= p.exclusion;
                    di.patterns.push(p);
                }
                Err(reason) => di.invalid.push(InvalidPattern {
                    line: i + 1,
                    pattern: raw.trim().to_string(),
                    reason,
                }),
            }
        }
        di
    }

    /// [`DockerIgnore::parse`], memoized for the last text seen: linting
    /// many Dockerfiles of one build context compiles the patterns once.
    pub fn cached(text: &str) -> Arc<DockerIgnore> {
        static LAST: Mutex<Option<(String, Arc<DockerIgnore>)>> = Mutex::new(None);
        let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((t, di)) = last.as_ref() {
            if t == text {
                return Arc::clone(di);
            }
        }
        let di = Arc::new(DockerIgnore::parse(text));
        *last = Some((text.to_string(), Arc::clone(&di)));
        di
    }

    /// The usable patterns, cleaned, `!` restored.
    pub fn patterns(&self) -> impl Iterator<Item = String> + '_ {
        self.patterns.iter().map(|p| {
            if p.exclusion {
                format!("!{}", p.cleaned)
            } else {
                p.cleaned.clone()
            }
        })
    }

    /// Patterns Docker would reject with an error.
    pub fn invalid_patterns(&self) -> &[InvalidPattern] {
        &self.invalid
    }

    /// True when some `!` pattern re-includes paths.
    pub fn has_exclusions(&self) -> bool {
        self.exclusions
    }

    /// Is this context-relative path (file or directory, `/`-separated)
    /// left out of the build context?
    pub fn is_excluded(&self, rel_path: &str) -> bool {
        let cleaned = go_clean(rel_path);
        let file = match cleaned.trim_start_matches('/') {
            "" => "/",
            f => f,
        };
        if file == "." {
            return false;
        }
        let parent_dirs: Vec<&str> = match file.rfind('/') {
            Some(i) => file[..i].split('/').collect(),
            None => Vec::new(),
        };
        let mut matched = false;
        for p in &self.patterns {
            if p.exclusion != matched {
                continue;
            }
            let mut m = p.matches(file);
            if !m && !parent_dirs.is_empty() {
                let mut prefix = String::new();
                for d in &parent_dirs {
                    if !prefix.is_empty() {
                        prefix.push('/');
                    }
                    prefix.push_str(d);
                    if p.matches(&prefix) {
                        m = true;
                        break;
                    }
                }
            }
            if m {
                matched = !p.exclusion;
            }
        }
        matched
    }

    /// May a walker skip this directory entirely? True when the directory is
    /// excluded and no `!` pattern can re-include anything below it.
    pub fn can_skip_dir(&self, rel_dir: &str) -> bool {
        if !self.is_excluded(rel_dir) {
            return false;
        }
        if !self.exclusions {
            return true;
        }
        let dir = go_clean(rel_dir);
        let comps: Vec<&str> = dir.trim_start_matches('/').split('/').collect();
        !self
            .patterns
            .iter()
            .filter(|p| p.exclusion)
            .any(|p| p.may_match_below(&comps))
    }
}

impl Pattern {
    fn new(cleaned: &str, exclusion: bool) -> Result<Pattern, String> {
        if cleaned.is_empty() {
            return Err("illegal exclusion pattern: \"!\"".to_string());
        }
        validate_go_glob(cleaned)?;
        let kind = compile(cleaned)?;
        let dirs = cleaned
            .split('/')
            .map(|c| {
                if c.contains("**") {
                    Ok(None)
                } else {
                    match compile(c)? {
                        MatchKind::Regexp(r) => Ok(Some(r)),
                        _ => Regex::new(&format!("^{}$", regex::escape(&unescape(c))))
                            .map(Some)
                            .map_err(|e| e.to_string()),
                    }
                }
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Pattern {
            cleaned: cleaned.to_string(),
            exclusion,
            kind,
            dirs,
        })
    }

    fn matches(&self, path: &str) -> bool {
        match &self.kind {
            MatchKind::Exact => path == self.cleaned,
            MatchKind::Prefix(p) => path.starts_with(p.as_str()),
            MatchKind::Suffix(s) => {
                path.ends_with(s.as_str()) || (s.starts_with('/') && path == &s[1..])
            }
            MatchKind::Regexp(r) => r.is_match(path),
        }
    }

    /// Could this pattern match `dir/…` for some path below `dir`?
    fn may_match_below(&self, dir: &[&str]) -> bool {
        for (i, d) in dir.iter().enumerate() {
            match self.dirs.get(i) {
                // the pattern matches the dir or a parent: everything below
                None => return true,
                Some(None) => return true, // `**`
                Some(Some(re)) => {
                    if !re.is_match(d) {
                        return false;
                    }
                }
            }
        }
        true
    }
}

/// A pattern component's literal text with `\` escapes resolved.
fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
                continue;
            }
        }
        out.push(c);
    }
    out
}

/// patternmatcher's `shouldEscape`.
fn should_escape(c: char) -> bool {
    matches!(c, '.' | '+' | '(' | ')' | '|' | '{' | '}' | '$')
}

/// patternmatcher's `compile` (with `/` as separator).
fn compile(pattern: &str) -> Result<MatchKind, String> {
    #[derive(PartialEq, Clone, Copy)]
    enum T {
        Exact,
        Prefix,
        Suffix,
        Regexp,
    }
    let mut re = String::from("^");
    let mut detected = T::Exact;
    let chars: Vec<char> = pattern.chars().collect();
    let mut pos = 0;
    let mut i = 0;
    let mut in_class = false;
    while pos < chars.len() {
        let ch = chars[pos];
        pos += 1;
        if ch == '*' && !in_class {
            if chars.get(pos) == Some(&'*') {
                pos += 1;
                if chars.get(pos) == Some(&'/') {
                    pos += 1;
                }
                if pos >= chars.len() {
                    if detected == T::Exact {
                        detected = T::Prefix;
                    } else {
                        re.push_str(".*");
                        detected = T::Regexp;
                    }
                } else {
                    re.push_str("(.*/)?");
                    detected = T::Regexp;
                }
                if i == 0 {
                    detected = T::Suffix;
                }
            } else {
                re.push_str("[^/]*");
                detected = T::Regexp;
            }
        } else if ch == '?' && !in_class {
            re.push_str("[^/]");
            detected = T::Regexp;
        } else if should_escape(ch) {
            re.push('\\');
            re.push(ch);
        } else if ch == '\\' {
            if pos < chars.len() {
                push_escaped(&mut re, chars[pos]);
                pos += 1;
                detected = T::Regexp;
            } else {
                re.push_str("\\\\");
            }
        } else if ch == '[' || ch == ']' {
            if ch == '[' && in_class {
                re.push_str("\\[");
            } else {
                re.push(ch);
                in_class = ch == '[';
            }
            detected = T::Regexp;
        } else if in_class && matches!(ch, '&' | '~') {
            push_escaped(&mut re, ch);
        } else if !in_class && ch == '^' {
            // Go's regexp: an anchor that can never match mid-path.
            re.push(ch);
        } else {
            re.push(ch);
        }
        i += 1;
    }
    Ok(match detected {
        T::Exact => MatchKind::Exact,
        T::Prefix => MatchKind::Prefix(pattern[..pattern.len() - 2].to_string()),
        T::Suffix => MatchKind::Suffix(pattern[2..].to_string()),
        T::Regexp => {
            re.push('$');
            MatchKind::Regexp(Regex::new(&re).map_err(|e| format!("bad pattern: {e}"))?)
        }
    })
}

/// A character as a regex literal.
fn push_escaped(re: &mut String, c: char) {
    if c.is_alphanumeric() {
        re.push(c);
    } else {
        re.push_str(&format!("\\x{{{:X}}}", c as u32));
    }
}

/// Go's `filepath.Match` syntax check (Unix): `[` classes must be closed and
/// well formed, `\` must escape something.
fn validate_go_glob(p: &str) -> Result<(), String> {
    let bad = || Err("syntax error in pattern".to_string());
    let chars: Vec<char> = p.chars().collect();
    let mut i = 0;
    // one escaped-or-plain class char; errors on `-`, `]`, end of input
    let get_esc = |i: &mut usize| -> Result<(), ()> {
        match chars.get(*i) {
            None | Some('-') | Some(']') => return Err(()),
            Some('\\') => {
                *i += 1;
                if chars.get(*i).is_none() {
                    return Err(());
                }
            }
            _ => {}
        }
        *i += 1;
        if *i >= chars.len() {
            return Err(());
        }
        Ok(())
    };
    while i < chars.len() {
        match chars[i] {
            '\\' => {
                i += 1;
                if i >= chars.len() {
                    return bad();
                }
                i += 1;
            }
            '[' => {
                i += 1;
                if chars.get(i) == Some(&'^') {
                    i += 1;
                }
                let mut nrange = 0;
                loop {
                    if chars.get(i) == Some(&']') && nrange > 0 {
                        i += 1;
                        break;
                    }
                    if get_esc(&mut i).is_err() {
                        return bad();
                    }
                    if chars.get(i) == Some(&'-') {
                        i += 1;
                        if get_esc(&mut i).is_err() {
                            return bad();
                        }
                    }
                    nrange += 1;
                }
            }
            _ => i += 1,
        }
    }
    Ok(())
}

/// Go's `path/filepath.Clean` for `/`-separated paths.
pub fn go_clean(path: &str) -> String {
    if path.is_empty() {
        return ".".to_string();
    }
    let rooted = path.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    for comp in path.split('/') {
        match comp {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|l| *l != "..") {
                    out.pop();
                } else if !rooted {
                    out.push("..");
                }
            }
            c => out.push(c),
        }
    }
    let joined = out.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn excluded(patterns: &[&str], path: &str) -> bool {
        DockerIgnore::parse(&patterns.join("\n")).is_excluded(path)
    }

    #[test]
    fn clean() {
        assert_eq!(go_clean("a//b/./c/.."), "a/b");
        assert_eq!(go_clean("/../a"), "/a");
        assert_eq!(go_clean("../a"), "../a");
        assert_eq!(go_clean("a/"), "a");
        assert_eq!(go_clean("./"), ".");
        assert_eq!(go_clean(""), ".");
    }

    #[test]
    fn simple_cases() {
        assert!(excluded(&["*"], "fileutils.go"));
        assert!(excluded(&["*.go"], "fileutils.go"));
        assert!(excluded(&["!fileutils.go", "*.go"], "fileutils.go"));
        assert!(!excluded(&["docs", "!docs/README.md"], "docs/README.md"));
        assert!(!excluded(&["docs/", "!docs/README.md"], "docs/README.md"));
        assert!(!excluded(&["docs/*", "!docs/README.md"], "docs/README.md"));
        assert!(!excluded(&["*.go", "!fileutils.go"], "fileutils.go"));
        assert!(!excluded(&["*.go"], "."));
        assert!(!excluded(&[], "any/path/there"));
    }

    #[test]
    fn invalid_patterns_are_reported() {
        let di = DockerIgnore::parse("!\n[\nok\n");
        assert_eq!(di.invalid_patterns().len(), 2);
        assert_eq!(di.invalid_patterns()[0].line, 1);
        assert_eq!(di.invalid_patterns()[1].line, 2);
        assert!(di.is_excluded("ok"));
        for bad in [
            "[]a]", "[-]", "[x-]", "[-x]", "\\", "[a-b-c]", "[", "[^", "[^bc", "a[",
        ] {
            assert_eq!(
                DockerIgnore::parse(bad).invalid_patterns().len(),
                1,
                "{bad}"
            );
        }
    }

    /// moby/patternmatcher's TestMatches table (MatchesOrParentMatches:
    /// exact and inexact both match).
    #[test]
    fn patternmatcher_table() {
        let t: &[(&str, &str, bool)] = &[
            ("**", "file", true),
            ("**", "file/", true),
            ("**/", "file", true),
            ("**/", "file/", true),
            ("**", "/", true),
            ("**/", "/", true),
            ("**", "dir/file", true),
            ("**/", "dir/file", true),
            ("**", "dir/file/", true),
            ("**/", "dir/file/", true),
            ("**/**", "dir/file", true),
            ("**/**", "dir/file/", true),
            ("dir/**", "dir/file", true),
            ("dir/**", "dir/file/", true),
            ("dir/**", "dir/dir2/file", true),
            ("dir/**", "dir/dir2/file/", true),
            ("**/dir", "dir", true),
            ("**/dir", "dir/file", true),
            ("**/dir2/*", "dir/dir2/file", true),
            ("**/dir2/*", "dir/dir2/file/", true),
            ("**/dir2/**", "dir/dir2/dir3/file", true),
            ("**/dir2/**", "dir/dir2/dir3/file/", true),
            ("**file", "file", true),
            ("**file", "dir/file", true),
            ("**/file", "dir/file", true),
            ("**file", "dir/dir/file", true),
            ("**/file", "dir/dir/file", true),
            ("**/file*", "dir/dir/file", true),
            ("**/file*", "dir/dir/file.txt", true),
            ("**/file*txt", "dir/dir/file.txt", true),
            ("**/file*.txt", "dir/dir/file.txt", true),
            ("**/file*.txt*", "dir/dir/file.txt", true),
            ("**/**/*.txt", "dir/dir/file.txt", true),
            ("**/**/*.txt2", "dir/dir/file.txt", false),
            ("**/*.txt", "file.txt", true),
            ("**/**/*.txt", "file.txt", true),
            ("a**/*.txt", "a/file.txt", true),
            ("a**/*.txt", "a/dir/file.txt", true),
            ("a**/*.txt", "a/dir/dir/file.txt", true),
            ("a/*.txt", "a/dir/file.txt", false),
            ("a/*.txt", "a/file.txt", true),
            ("a/*.txt**", "a/file.txt", true),
            ("a[b-d]e", "ae", false),
            ("a[b-d]e", "ace", true),
            ("a[b-d]e", "aae", false),
            ("a[^b-d]e", "aze", true),
            (".*", ".foo", true),
            (".*", "foo", false),
            ("abc.def", "abcdef", false),
            ("abc.def", "abc.def", true),
            ("abc.def", "abcZdef", false),
            ("abc?def", "abcZdef", true),
            ("abc?def", "abcdef", false),
            ("**/foo/bar", "foo/bar", true),
            ("**/foo/bar", "dir/foo/bar", true),
            ("**/foo/bar", "dir/dir2/foo/bar", true),
            ("abc/**", "abc", false),
            ("abc/**", "abc/def", true),
            ("abc/**", "abc/def/ghi", true),
            ("**/.foo", ".foo", true),
            ("**/.foo", "bar.foo", false),
            ("a(b)c/def", "a(b)c/def", true),
            ("a(b)c/def", "a(b)c/xyz", false),
            ("a.|)$(}+{bc", "a.|)$(}+{bc", true),
            (
                "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
                "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
                true,
            ),
            (
                "dist/*.whl",
                "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
                true,
            ),
            ("a\\\\", "a\\", true),
            ("a\\*b", "a*b", true),
        ];
        for (pat, path, want) in t {
            // The matcher as patternmatcher.New builds it (cleaned, no
            // BuildKit reading rules).
            let p = Pattern::new(&go_clean(pat), false).expect(pat);
            let di = DockerIgnore {
                patterns: vec![p],
                exclusions: false,
                invalid: vec![],
            };
            assert_eq!(di.is_excluded(path), *want, "pattern {pat:?} path {path:?}");
        }
        let multi: &[(&[&str], &str, bool)] = &[
            (&["**", "!util/docker/web"], "util/docker/web/foo", false),
            (
                &["**", "!util/docker/web", "util/docker/web/foo"],
                "util/docker/web/foo",
                true,
            ),
            (
                &[
                    "**",
                    "!dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
                ],
                "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
                false,
            ),
            (
                &["**", "!dist/*.whl"],
                "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
                false,
            ),
        ];
        for (pats, path, want) in multi {
            assert_eq!(
                excluded(pats, path),
                *want,
                "patterns {pats:?} path {path:?}"
            );
        }
    }

    /// Go's filepath.Match cases (via the matcher, single pattern).
    #[test]
    fn go_match_table() {
        let t: &[(&str, &str, bool)] = &[
            ("abc", "abc", true),
            ("*", "abc", true),
            ("*c", "abc", true),
            ("a*", "a", true),
            ("a*", "abc", true),
            ("a*", "ab/c", true), // parent "ab" matches
            ("a*/b", "abc/b", true),
            ("a*/b", "a/c/b", false),
            ("a*b*c*d*e*/f", "axbxcxdxe/f", true),
            ("a*b*c*d*e*/f", "axbxcxdxexxx/f", true),
            ("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", false),
            ("a*b*c*d*e*/f", "axbxcxdxexxx/fff", false),
            ("a*b?c*x", "abxbbxdbxebxczzx", true),
            ("a*b?c*x", "abxbbxdbxebxczzy", false),
            ("ab[c]", "abc", true),
            ("ab[b-d]", "abc", true),
            ("ab[e-g]", "abc", false),
            ("ab[^c]", "abc", false),
            ("ab[^b-d]", "abc", false),
            ("ab[^e-g]", "abc", true),
            ("a\\*b", "a*b", true),
            ("a\\*b", "ab", false),
            ("a?b", "a☺b", true),
            ("a[^a]b", "a☺b", true),
            ("a???b", "a☺b", false),
            ("a[^a][^a][^a]b", "a☺b", false),
            ("[a-ζ]*", "α", true),
            ("*[a-ζ]", "A", false),
            ("a?b", "a/b", false),
            ("a*b", "a/b", false),
            ("[\\]a]", "]", true),
            ("[\\-]", "-", true),
            ("[x\\-]", "x", true),
            ("[x\\-]", "-", true),
            ("[x\\-]", "z", false),
            ("[\\-x]", "x", true),
            ("[\\-x]", "-", true),
            ("[\\-x]", "a", false),
            ("*x", "xxx", true),
        ];
        for (pat, path, want) in t {
            assert_eq!(
                excluded(&[pat], path),
                *want,
                "pattern {pat:?} path {path:?}"
            );
        }
    }

    #[test]
    fn reading_rules() {
        let di = DockerIgnore::parse(
            "\u{feff}# comment\n  \n  node_modules  \n /build/ \n!build/keep\n #not-a-comment\r\n",
        );
        let pats: Vec<String> = di.patterns().collect();
        assert_eq!(
            pats,
            vec!["node_modules", "build", "!build/keep", "#not-a-comment"]
        );
        assert!(di.is_excluded("node_modules/x/y.js"));
        assert!(di.is_excluded("build/out.o"));
        assert!(!di.is_excluded("build/keep"));
        assert!(di.is_excluded("#not-a-comment"));
        assert!(!di.is_excluded("src/node_modules")); // anchored at the root
        assert!(!di.is_excluded("src/main.rs"));
        let di = DockerIgnore::parse("foo/../bar\n./baz\n");
        assert!(di.is_excluded("bar"));
        assert!(di.is_excluded("baz"));
        assert!(di.is_excluded("/bar"));
        assert!(di.is_excluded("./baz/x"));
    }

    #[test]
    fn pruning() {
        let di =
            DockerIgnore::parse("node_modules\nbuild\n!build/keep\n**/tmp\n!**/tmp/important\n");
        // `!**/tmp/important` can re-include node_modules/tmp/important
        assert!(!di.can_skip_dir("node_modules"));
        assert!(!di.is_excluded("node_modules/tmp/important"));
        assert!(!di.can_skip_dir("build"));
        let di = DockerIgnore::parse("node_modules\nbuild\n!build/keep\n");
        assert!(di.can_skip_dir("node_modules"));
        assert!(!di.can_skip_dir("build"));
        assert!(di.can_skip_dir("build/other"));
        assert!(!di.can_skip_dir("src"));
        assert!(!di.can_skip_dir("a/tmp"));
        let di = DockerIgnore::parse("*\n!src\n");
        assert!(di.can_skip_dir("docs"));
        assert!(!di.is_excluded("src/main.rs"));
        assert!(di.is_excluded("README.md"));
        let di = DockerIgnore::parse("vendor\n!vendor/a/*.go\n");
        assert!(!di.can_skip_dir("vendor"));
        assert!(!di.can_skip_dir("vendor/a"));
        assert!(di.can_skip_dir("vendor/b"));
        assert!(!di.is_excluded("vendor/a/x.go"));
        assert!(di.is_excluded("vendor/a/x.txt"));
    }

    #[test]
    fn cached_parse() {
        let a = DockerIgnore::cached("x\n");
        let b = DockerIgnore::cached("x\n");
        assert!(Arc::ptr_eq(&a, &b) || a.patterns().eq(b.patterns()));
        assert!(DockerIgnore::cached("y\n").is_excluded("y"));
    }

    #[test]
    fn env_files() {
        let di = DockerIgnore::parse(".env\n");
        assert!(di.is_excluded(".env"));
        assert!(!di.is_excluded("app/.env"));
        let di = DockerIgnore::parse("**/.env*\n!.env.example\n");
        assert!(di.is_excluded(".env"));
        assert!(di.is_excluded("app/.env.local"));
        assert!(!di.is_excluded(".env.example"));
    }
}
