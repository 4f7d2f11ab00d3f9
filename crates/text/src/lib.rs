//! User files as text, and user text as shown in messages. Pure.
//!
//! - [`decode`]: bytes → `&str`, or the position (line, column) of the first
//!   byte that is not UTF-8 text or is a NUL, for an error naming
//!   file:line:col.
//! - [`echo`] / [`snippet`]: a source line as errors show it: control
//!   characters (C0 but tab, DEL, C1, and the bidi overrides that reorder
//!   what a terminal shows) escaped as `\x1b` / `\u{202e}`, so that a file
//!   cannot drive the terminal; a long line cut to a window around the
//!   caret with `…` marks; the caret under the right characters (a tab in
//!   the line is repeated in the caret's padding, so both line up).

/// Where a file stops being text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadText {
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters (a leading BOM not counted).
    pub col: usize,
    /// What is wrong, e.g. "invalid UTF-8 (byte 0xff)" or "a NUL byte".
    pub what: String,
    /// The line up to the bad byte (for the snippet).
    pub line_text: String,
}

impl BadText {
    /// `{file}:{line}:{col}: {what} …` with the line and a caret.
    pub fn message(&self, file: &str, kind: &str) -> String {
        format!(
            "{file}:{}:{}: {}: {kind} must be UTF-8 text without NUL bytes; is this a binary file, or saved in another encoding?{}",
            self.line,
            self.col,
            self.what,
            snippet(self.line, &self.line_text, self.col, 1)
        )
    }
}

/// `bytes` as text, or where it is not: the first invalid UTF-8 sequence
/// or NUL byte.
pub fn decode(bytes: &[u8]) -> Result<&str, BadText> {
    let (valid, what) = match std::str::from_utf8(bytes) {
        Ok(t) => match t.find('\0') {
            None => return Ok(t),
            Some(i) => (&t[..i], "a NUL byte".to_string()),
        },
        Err(e) => {
            // The prefix is valid UTF-8 by construction.
            let good = std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default();
            let byte = bytes.get(e.valid_up_to()).copied().unwrap_or(0);
            let what = format!("invalid UTF-8 (byte 0x{byte:02x})");
            match good.find('\0') {
                Some(i) => (&good[..i], "a NUL byte".to_string()),
                None => (good, what),
            }
        }
    };
    let line = valid.matches('\n').count() + 1;
    let start = valid.rfind('\n').map_or(0, |i| i + 1);
    let line_text = valid[start..]
        .strip_prefix('\u{feff}')
        .unwrap_or(&valid[start..]);
    Err(BadText {
        line,
        col: line_text.chars().count() + 1,
        what,
        line_text: line_text.to_string(),
    })
}

/// Shown lines are cut to about this many characters.
pub const MAX_SHOWN: usize = 200;
/// How much of the line before the caret a cut line keeps.
const BEFORE: usize = 60;

/// Whether `c` is shown escaped.
pub fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\t')
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn escaped(c: char) -> String {
    let n = c as u32;
    if n < 0x100 {
        format!("\\x{n:02x}")
    } else {
        format!("\\u{{{n:x}}}")
    }
}

/// A line as shown, and where its caret goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Echo {
    /// The line, escaped and cut.
    pub text: String,
    /// What goes before the caret (spaces, and the line's tabs).
    pub pad: String,
    /// The caret's width in shown characters (at least 1).
    pub width: usize,
}

/// `line` with its caret at 1-based character column `col`, `width`
/// characters wide, as it is shown (see the module doc).
pub fn echo(line: &str, col: usize, width: usize) -> Echo {
    let line = line.trim_end_matches(['\n', '\r']);
    // each character as shown
    let pieces: Vec<String> = line
        .chars()
        .map(|c| {
            if is_unsafe(c) {
                escaped(c)
            } else {
                c.to_string()
            }
        })
        .collect();
    let n = pieces.len();
    let at = col.saturating_sub(1).min(n);
    let end = (at + width.max(1)).min(n.max(at + 1));
    let total: usize = pieces.iter().map(|p| p.chars().count()).sum();
    // the window of pieces shown
    let (mut from, mut to) = (0, n);
    if total > MAX_SHOWN {
        let w = |r: std::ops::Range<usize>| -> usize {
            pieces[r].iter().map(|p| p.chars().count()).sum()
        };
        from = at;
        while from > 0 && w(from - 1..at) <= BEFORE {
            from -= 1;
        }
        to = from;
        while to < n && w(from..to + 1) <= MAX_SHOWN {
            to += 1;
        }
        // the caret's start is always shown
        to = to.max((at + 1).min(n));
    }
    let mut text = String::new();
    let mut pad = String::new();
    if from > 0 {
        text.push('…');
        pad.push(' ');
    }
    let mut width_shown = 0;
    for (i, p) in pieces.iter().enumerate().take(to).skip(from) {
        text.push_str(p);
        if i < at {
            if p == "\t" {
                pad.push('\t');
            } else {
                pad.push_str(&" ".repeat(p.chars().count()));
            }
        } else if i < end {
            width_shown += p.chars().count();
        }
    }
    if to < n {
        text.push('…');
    }
    Echo {
        text,
        pad,
        width: width_shown.max(1),
    }
}

/// The two lines under an error message: `\n {n} | {line}\n   | {caret}`.
pub fn snippet(line_no: usize, line: &str, col: usize, width: usize) -> String {
    let e = echo(line, col, width);
    let num = line_no.to_string();
    format!(
        "\n {num} | {}\n {} | {}{}",
        e.text,
        " ".repeat(num.len()),
        e.pad,
        "^".repeat(e.width)
    )
}

/// Text shown inside a message (a name, a value): control characters
/// escaped, cut at `max` characters with `…`.
pub fn shown(s: &str, max: usize) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i == max {
            out.push('…');
            break;
        }
        if is_unsafe(c) {
            out.push_str(&escaped(c));
        } else {
            out.push(c);
        }
    }
    out
}

/// `s` with its unsafe characters escaped; newlines (a message's own
/// line breaks) and tabs kept.
pub fn escape_controls(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(|c| c != '\n' && is_unsafe(c)) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c != '\n' && is_unsafe(c) {
            out.push_str(&escaped(c));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// `s` cut in the middle to about `max` characters (`…` marks the cut), so
/// that a message quoting a huge value keeps its start and its advice.
pub fn cut_middle(s: &str, max: usize) -> std::borrow::Cow<'_, str> {
    let n = s.chars().count();
    if n <= max {
        return std::borrow::Cow::Borrowed(s);
    }
    let head = max * 2 / 3;
    let tail = max - head;
    let mut out: String = s.chars().take(head).collect();
    out.push('…');
    out.extend(s.chars().skip(n - tail));
    std::borrow::Cow::Owned(out)
}

/// (1-based line, 1-based column in characters, the line's text).
pub fn line_col(text: &str, offset: usize) -> (usize, usize, &str) {
    let mut offset = offset.min(text.len());
    // An offset inside a multi-byte character points at that character.
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let line = text[..start].matches('\n').count() + 1;
    let col = text[start..offset].chars().count() + 1;
    (line, col, text[start..end].trim_end_matches('\r'))
}

/// A path as shown in messages: relative to `cwd` (the canonical current
/// directory) when it is below it, else as it is.
pub fn display_path(p: &std::path::Path, cwd: &std::path::Path) -> String {
    p.strip_prefix(cwd)
        .ok()
        .map(|r| r.display().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| p.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_finds_invalid_utf8_and_nul_with_line_and_column() {
        assert_eq!(decode(b"a\nb\n"), Ok("a\nb\n"));
        let e = decode(b"[app]\nport = \xff80\n").unwrap_err();
        assert_eq!((e.line, e.col), (2, 8));
        assert_eq!(e.what, "invalid UTF-8 (byte 0xff)");
        assert_eq!(e.line_text, "port = ");
        let e = decode("a\né = \0\n".as_bytes()).unwrap_err();
        assert_eq!((e.line, e.col, e.what.as_str()), (2, 5, "a NUL byte"));
        // the first of the two wins
        let e = decode(b"a\0\n\xff").unwrap_err();
        assert_eq!((e.line, e.col, e.what.as_str()), (1, 2, "a NUL byte"));
        let e = decode(b"\xef\xbb\xbfab\xc3").unwrap_err();
        assert_eq!((e.line, e.col), (1, 3), "the BOM is not a column");
        let m = e.message("devctl.toml", "devctl.toml");
        assert!(
            m.starts_with("devctl.toml:1:3: invalid UTF-8 (byte 0xc3)"),
            "{m}"
        );
        assert!(m.ends_with("\n 1 | ab\n   |   ^"), "{m}");
    }

    #[test]
    fn control_characters_are_escaped_and_the_caret_follows() {
        let e = echo("a\x1b[2Jb = \x07\r\u{9b}\u{7f}\u{202e}x", 6, 1);
        assert_eq!(e.text, "a\\x1b[2Jb = \\x07\\x0d\\x9b\\x7f\\u{202e}x");
        assert_eq!(e.pad, " ".repeat("a\\x1b[2J".len()));
        assert!(!e.text.chars().any(|c| c.is_control()));
        // tabs stay, and the caret's padding repeats them
        let e = echo("\tkey =\tx", 7, 1);
        assert_eq!(e.text, "\tkey =\tx");
        assert_eq!(e.pad, "\t     ");
        assert_eq!(e.width, 1);
        let s = snippet(12, "a\x1bb", 3, 1);
        assert_eq!(s, "\n 12 | a\\x1bb\n    |      ^");
    }

    #[test]
    fn long_lines_are_cut_around_the_caret() {
        let line = format!("{}X{}", "a".repeat(1000), "b".repeat(1000));
        let e = echo(&line, 1001, 1);
        assert!(e.text.chars().count() <= MAX_SHOWN + 2, "{}", e.text.len());
        assert!(e.text.starts_with('…') && e.text.ends_with('…'));
        let caret_at = e.pad.chars().count();
        assert_eq!(e.text.chars().nth(caret_at), Some('X'), "{e:?}");
        // near the start: no leading mark
        let e = echo(&line, 3, 2);
        assert!(e.text.starts_with("aaa") && e.text.ends_with('…'));
        assert_eq!((e.pad.as_str(), e.width), ("  ", 2));
        // at the end (one past the last character)
        let e = echo(&line, 2002, 1);
        assert!(e.text.starts_with('…') && e.text.ends_with('b'));
        assert_eq!(e.pad.chars().count(), e.text.chars().count());
        // a wide caret is cut with the window
        let e = echo(&line, 1, 5000);
        assert!(e.width <= MAX_SHOWN);
        // short lines are whole
        assert_eq!(echo("abc", 2, 1).text, "abc");
        assert_eq!(shown("a\x1bbc", 2), "a\\x1b…");
        assert_eq!(escape_controls("a\nb\x1b\tc"), "a\nb\\x1b\tc");
        assert_eq!(cut_middle("abcdefghij", 20), "abcdefghij");
        assert_eq!(cut_middle("abcdefghij", 6), "abcd…ij");
    }
}
