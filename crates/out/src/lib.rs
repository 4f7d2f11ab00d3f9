//! The one place devctl prints. Every line devctl writes to stdout or
//! stderr (text and JSON, results, warnings, errors, progress, container
//! output) goes through the process-wide [`Scrubber`] here, which replaces
//! the project's secret values and the passwords of URLs
//! (`scheme://user:PASSWORD@host`) with [`MASK`].
//!
//! The scrubber learns the secrets as soon as they are known
//! ([`add_secrets`]: the project's env files when they are read, the
//! generated compose document when it is rendered, the process
//! environment's URL passwords at start-up). The only output that does not
//! pass here is the raw byte stream of `devctl sh` (the container's own
//! terminal), see `tests/it/architecture.rs`.
//!
//! [`Scrubber`] itself is pure (unit-tested); the rest is the thin shell.

use std::borrow::Cow;
use std::io::{self, IsTerminal, Write};
use std::sync::RwLock;

/// What a hidden value is shown as.
pub const MASK: &str = "********";

/// Shorter values are never hidden: a secret `1` or `` would mask
/// everything.
pub const MIN_SECRET_LEN: usize = 4;

/// The values to hide, and the URL-password rule.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scrubber {
    /// Longest first, so that a value holding another is replaced whole.
    secrets: Vec<String>,
}

impl Scrubber {
    pub const fn new() -> Scrubber {
        Scrubber {
            secrets: Vec::new(),
        }
    }

    /// A scrubber hiding `values` (see [`Scrubber::add`]).
    pub fn with<S: AsRef<str>>(values: impl IntoIterator<Item = S>) -> Scrubber {
        let mut s = Scrubber::new();
        s.extend(values);
        s
    }

    pub fn extend<S: AsRef<str>>(&mut self, values: impl IntoIterator<Item = S>) {
        for v in values {
            self.add(v.as_ref());
        }
    }

    /// Hides `value` (when at least [`MIN_SECRET_LEN`] characters long) and
    /// the spellings it takes in devctl's output: `$` doubled (the compose
    /// file), JSON-escaped, each line of a multi-line value, and the
    /// password inside it when it is a URL.
    pub fn add(&mut self, value: &str) {
        let mut forms = vec![value.to_string(), value.replace('$', "$$")];
        if let Ok(json) = serde_json::to_string(value) {
            forms.push(json[1..json.len() - 1].to_string());
        }
        forms.extend(value.lines().map(|l| l.trim().to_string()));
        forms.extend(url_passwords(value).into_iter().map(str::to_string));
        for f in forms {
            if f.trim().chars().count() >= MIN_SECRET_LEN
                && f != MASK
                && !MASK.contains(f.as_str())
                && !self.secrets.contains(&f)
            {
                self.secrets.push(f);
            }
        }
        self.secrets
            .sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    }

    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// `text` with URL passwords and every secret value (as a whole token:
    /// a secret `8000` hides `:8000` but not `18000`) replaced by [`MASK`].
    pub fn scrub<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = mask_url_passwords(text);
        for s in &self.secrets {
            if let Some(replaced) = replace_token(&out, s) {
                out = Cow::Owned(replaced);
            }
        }
        out
    }
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// `text` with each occurrence of `needle` that stands on token boundaries
/// replaced by the mask; `None` when there is none.
fn replace_token(text: &str, needle: &str) -> Option<String> {
    let starts_word = needle.chars().next().is_some_and(is_word);
    let ends_word = needle.chars().next_back().is_some_and(is_word);
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut from = 0;
    while let Some(i) = text[from..].find(needle).map(|i| i + from) {
        let end = i + needle.len();
        let before_ok = !starts_word || !text[..i].chars().next_back().is_some_and(is_word);
        let after_ok = !ends_word || !text[end..].chars().next().is_some_and(is_word);
        if before_ok && after_ok {
            let o = out.get_or_insert_with(|| String::with_capacity(text.len()));
            o.push_str(&text[copied..i]);
            o.push_str(MASK);
            copied = end;
            from = end;
        } else {
            // the next char boundary after i
            from = i + text[i..].chars().next().map_or(1, char::len_utf8);
        }
    }
    out.map(|mut o| {
        o.push_str(&text[copied..]);
        o
    })
}

/// Characters that end a URL's authority (`user:pass@host:port`) in text.
fn ends_authority(c: char) -> bool {
    c.is_whitespace() || "/?#\"'`<>()[]{},;|\\".contains(c)
}

/// The byte ranges of the passwords of the URLs in `text`
/// (`scheme://user:PASSWORD@host`; the password may itself hold `@`: the
/// last `@` of the authority ends it).
fn url_password_ranges(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = text[from..].find("://").map(|i| i + from) {
        let auth_start = i + 3;
        from = auth_start;
        // a scheme: at least one letter, digit, `+`, `-` or `.` before `://`
        if !text[..i]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        {
            continue;
        }
        let rest = &text[auth_start..];
        let auth_len = rest.find(ends_authority).unwrap_or(rest.len());
        let auth = &rest[..auth_len];
        let Some(at) = auth.rfind('@') else {
            continue;
        };
        let Some(colon) = auth[..at].find(':') else {
            continue;
        };
        if colon + 1 < at {
            out.push((auth_start + colon + 1, auth_start + at));
        }
        from = auth_start + auth_len;
    }
    out
}

/// The passwords of the URLs in `text`.
pub fn url_passwords(text: &str) -> Vec<&str> {
    url_password_ranges(text)
        .into_iter()
        .map(|(a, b)| &text[a..b])
        .collect()
}

/// `text` with the password of every URL replaced by the mask.
pub fn mask_url_passwords(text: &str) -> Cow<'_, str> {
    let ranges = url_password_ranges(text);
    if ranges.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for (a, b) in ranges {
        out.push_str(&text[copied..a]);
        out.push_str(MASK);
        copied = b;
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

// ---- the process-wide scrubber and the printing shell ----

static SCRUBBER: RwLock<Scrubber> = RwLock::new(Scrubber::new());

/// Adds values to hide from every later line devctl prints.
pub fn add_secrets<S: AsRef<str>>(values: impl IntoIterator<Item = S>) {
    let mut g = SCRUBBER.write().unwrap_or_else(|e| e.into_inner());
    g.extend(values);
}

/// A copy of the process-wide scrubber (for scrubbing a document's values).
pub fn scrubber() -> Scrubber {
    SCRUBBER.read().unwrap_or_else(|e| e.into_inner()).clone()
}

/// `text` scrubbed by the process-wide scrubber.
pub fn scrub(text: &str) -> String {
    SCRUBBER
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .scrub(text)
        .into_owned()
}

/// Scrubs bytes (container output may not be UTF-8: invalid sequences
/// are shown as U+FFFD, as the log prefixer does).
fn scrub_bytes(bytes: &[u8]) -> Vec<u8> {
    let g = SCRUBBER.read().unwrap_or_else(|e| e.into_inner());
    match std::str::from_utf8(bytes) {
        Ok(s) => match g.scrub(s) {
            Cow::Borrowed(_) => bytes.to_vec(),
            Cow::Owned(o) => o.into_bytes(),
        },
        Err(_) => g
            .scrub(&String::from_utf8_lossy(bytes))
            .into_owned()
            .into_bytes(),
    }
}

/// Writes `text` to stdout, scrubbed.
pub fn print(text: &str) -> io::Result<()> {
    write_stdout(text.as_bytes())
}

/// Writes `text` to stdout as it is: only for `devctl config
/// --show-secrets`, which asks for the real values.
pub fn print_unscrubbed(text: &str) -> io::Result<()> {
    let mut o = io::stdout().lock();
    o.write_all(text.as_bytes())?;
    o.flush()
}

/// Writes `text` to stderr, scrubbed (a failure to write is ignored, as
/// `eprintln!` would panic on it).
pub fn eprint(text: &str) {
    let _ = write_stderr(text.as_bytes());
}

/// Writes bytes (whole lines) to stdout, scrubbed, and flushes.
pub fn write_stdout(bytes: &[u8]) -> io::Result<()> {
    let clean = scrub_bytes(bytes);
    let mut o = io::stdout().lock();
    o.write_all(&clean)?;
    o.flush()
}

/// Writes bytes (whole lines) to stderr, scrubbed.
pub fn write_stderr(bytes: &[u8]) -> io::Result<()> {
    let clean = scrub_bytes(bytes);
    let mut e = io::stderr().lock();
    e.write_all(&clean)?;
    e.flush()
}

pub fn flush() {
    let _ = io::stdout().flush();
    let _ = io::stderr().flush();
}

pub fn stdout_is_terminal() -> bool {
    io::stdout().is_terminal()
}

pub fn stderr_is_terminal() -> bool {
    io::stderr().is_terminal()
}

/// Which stream a [`Writer`] writes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stream {
    Stdout,
    Stderr,
}

/// A `Write` to stdout or stderr that scrubs whole lines (a partial last
/// line is held until a newline, `flush` or drop).
pub struct Writer {
    stream: Stream,
    buf: Vec<u8>,
}

/// A scrubbing writer to stdout (for code that renders into a `Write`).
pub fn stdout() -> Writer {
    Writer {
        stream: Stream::Stdout,
        buf: Vec::new(),
    }
}

/// A scrubbing writer to stderr.
pub fn stderr() -> Writer {
    Writer {
        stream: Stream::Stderr,
        buf: Vec::new(),
    }
}

impl Writer {
    fn emit(&mut self, upto: usize) -> io::Result<()> {
        let chunk: Vec<u8> = self.buf.drain(..upto).collect();
        let clean = scrub_bytes(&chunk);
        match self.stream {
            Stream::Stdout => io::stdout().lock().write_all(&clean),
            Stream::Stderr => io::stderr().lock().write_all(&clean),
        }
    }
}

impl Write for Writer {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        // Only the new bytes can hold a newline not yet emitted: scanning
        // the whole buffer made a long line (one JSON report) quadratic.
        let before = self.buf.len();
        self.buf.extend_from_slice(data);
        if let Some(nl) = data.iter().rposition(|&b| b == b'\n') {
            self.emit(before + nl + 1)?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            self.emit(self.buf.len())?;
        }
        match self.stream {
            Stream::Stdout => io::stdout().flush(),
            Stream::Stderr => io::stderr().flush(),
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

/// A build's progress spinner on stderr (indicatif) whose lines and
/// messages are scrubbed.
pub struct Spinner(indicatif::ProgressBar);

impl Spinner {
    pub fn new(prefix: &str) -> Spinner {
        let pb = indicatif::ProgressBar::new_spinner();
        pb.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {prefix}: {wide_msg} {elapsed}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        pb.set_prefix(scrub(prefix));
        pb.enable_steady_tick(std::time::Duration::from_millis(100));
        Spinner(pb)
    }

    /// A line above the spinner.
    pub fn println(&self, line: &str) {
        self.0.println(scrub(line));
    }

    pub fn set_message(&self, msg: &str) {
        self.0.set_message(scrub(msg));
    }

    pub fn finish_and_clear(&self) {
        self.0.finish_and_clear();
    }
}

/// `println!` through the scrubber: `outln!("…", args)` →
/// `io::Result<()>` (a closed stdout is the caller's to handle).
/// Whole words of a key that make its value a secret (see
/// [`looks_secret`]).
const SECRET_WORDS: &[&str] = &[
    "PASSWORD",
    "PASSWORDS",
    "PASSWD",
    "PASS",
    "PASSPHRASE",
    "SECRET",
    "SECRETS",
    "TOKEN",
    "TOKENS",
    "CREDENTIAL",
    "CREDENTIALS",
    "CREDS",
    "APIKEY",
    "SALT",
    "DSN",
];

/// Word endings that make a word secret on their own (`PGPASSWORD`,
/// `GITHUBTOKEN`, `CLIENTSECRET`).
const SECRET_SUFFIXES: &[&str] = &["PASSWORD", "PASSWD", "SECRET", "TOKEN", "APIKEY"];

/// The words of a key: split on `_`, `-`, `.` and lower→upper case changes
/// (`dbPassword` → `db`, `Password`), uppercased.
fn key_words(key: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in key.chars() {
        if matches!(c, '_' | '-' | '.') {
            words.push(std::mem::take(&mut cur));
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower {
            words.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        cur.extend(c.to_uppercase());
    }
    words.push(cur);
    words.retain(|w| !w.is_empty());
    words
}

/// Whether a variable with this key holds a secret, by whole words of the
/// key: PASSWORD, PASSWD, PASS, PASSPHRASE, SECRET, TOKEN, CREDENTIAL(S),
/// CREDS, APIKEY, SALT, DSN (or a word ending in PASSWORD, PASSWD, SECRET,
/// TOKEN, APIKEY), and KEY as the last word after a prefix (`API_KEY`,
/// `SECRET_KEY`, `PRIVATE_KEY`; not `KEY`, `PUBLIC_KEY`, `KEYBOARD`,
/// `MONKEY`). Never by substring: `PWD`, `SSH_AUTH_SOCK`, `XDG_SESSION_ID`,
/// `DESKTOP_SESSION` are not secrets.
pub fn looks_secret(key: &str) -> bool {
    let words = key_words(key);
    let by_word = words.iter().any(|w| {
        SECRET_WORDS.contains(&w.as_str()) || SECRET_SUFFIXES.iter().any(|s| w.ends_with(s))
    });
    let key_last = words.len() >= 2
        && words.last().is_some_and(|w| w == "KEY")
        && words[words.len() - 2] != "PUBLIC";
    by_word || key_last
}

/// A `.env` line as shown in an error: the value of a secret-looking key
/// masked (`export` and quotes tolerated), and any URL password in it.
pub fn mask_env_line(line: &str) -> String {
    let masked = mask_url_passwords(line).into_owned();
    let Some((k, _)) = masked.split_once('=') else {
        return masked;
    };
    let key = k.trim().trim_start_matches("export ").trim();
    if looks_secret(key) {
        format!("{k}={MASK}")
    } else {
        masked
    }
}

#[macro_export]
macro_rules! outln {
    () => { $crate::print("\n") };
    ($($arg:tt)*) => { $crate::print(&format!("{}\n", format_args!($($arg)*))) };
}

/// `eprintln!` through the scrubber (errors writing to stderr are ignored).
#[macro_export]
macro_rules! errln {
    () => { $crate::eprint("\n") };
    ($($arg:tt)*) => { $crate::eprint(&format!("{}\n", format_args!($($arg)*))) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_whole_values_only() {
        let s = Scrubber::with(["8000", "hunter22"]);
        assert_eq!(
            s.scrub("port 8000 and 18000 and 80001 and :8000/tcp"),
            "port ******** and 18000 and 80001 and :********/tcp"
        );
        assert_eq!(
            s.scrub("xhunter22 hunter22x hunter22"),
            "xhunter22 hunter22x ********"
        );
        assert_eq!(s.scrub("a_hunter22"), "a_hunter22", "`_` joins words");
        assert_eq!(s.scrub("pw=\"hunter22\""), "pw=\"********\"");
        assert!(matches!(s.scrub("nothing here"), Cow::Borrowed(_)));
    }

    #[test]
    fn short_values_never_mask() {
        let s = Scrubber::with(["", "1", "abc", "   "]);
        assert!(s.is_empty());
        assert_eq!(s.scrub("1 abc"), "1 abc");
    }

    #[test]
    fn a_value_holding_another_is_replaced_whole() {
        let s = Scrubber::with(["abcd", "abcd efgh"]);
        assert_eq!(s.scrub("[abcd efgh]"), "[********]");
    }

    #[test]
    fn a_secret_with_punctuation_at_its_edge_needs_no_boundary_there() {
        let s = Scrubber::with(["$ecret!"]);
        assert_eq!(s.scrub("x$ecret!y"), "x********y");
    }

    #[test]
    fn spellings_of_a_value_are_masked_too() {
        let s = Scrubber::with(["pa$$wd\"1", "line one\nline two"]);
        assert_eq!(s.scrub("a pa$$$$wd\"1 b"), "a ******** b", "compose's $$");
        assert_eq!(
            s.scrub(r#"{"v":"pa$$wd\"1"}"#),
            r#"{"v":"********"}"#,
            "JSON"
        );
        assert_eq!(s.scrub("> line two"), "> ********", "each line");
    }

    #[test]
    fn url_passwords_are_masked_anywhere() {
        let s = Scrubber::new();
        assert_eq!(
            s.scrub("cannot reach tcp://me:s3cret@10.0.0.1:2376: refused"),
            "cannot reach tcp://me:********@10.0.0.1:2376: refused"
        );
        assert_eq!(
            s.scrub("DATABASE_URL=postgres://app:p@ss@db:5432/app?x=1"),
            "DATABASE_URL=postgres://app:********@db:5432/app?x=1"
        );
        assert_eq!(
            s.scrub("\"redis://:pw12@r\" and https://example.com/a:b@c"),
            "\"redis://:********@r\" and https://example.com/a:b@c"
        );
        assert_eq!(s.scrub("ssh://me@host"), "ssh://me@host", "no password");
        assert_eq!(url_passwords("a://u:p1@h b://v:p2@h"), vec!["p1", "p2"]);
        // the password alone elsewhere is hidden once the URL is a secret
        let s = Scrubber::with(["postgres://app:longpass@db/app"]);
        assert_eq!(s.scrub("PGPASSWORD=longpass"), "PGPASSWORD=********");
    }

    #[test]
    fn multibyte_text_is_scanned_safely() {
        let s = Scrubber::with(["ünïcode"]);
        assert_eq!(s.scrub("éünïcode ünïcode ü"), "éünïcode ******** ü");
    }
}
