//! The Dockerfile syntax tree. It mirrors BuildKit's `parser.Node` closely
//! enough that [`crate::dump`] reproduces `Node.Dump()` byte for
//! byte, and adds what a linter needs: columns, the keyword as written, the
//! physical lines an instruction covers, and every comment.

/// A 1-based line and 1-based column (in characters, not bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

/// A range of source, both ends inclusive in lines; `end.col` is the column
/// just past the last character of the last line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub start: Pos,
    pub end: Pos,
}

/// A parser directive at the top of the file (`# syntax=…`, `# escape=…`,
/// `# check=…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// Lower-cased name.
    pub name: String,
    pub value: String,
    pub line: usize,
}

/// A comment line (`# …`), wherever it is, including comments interleaved
/// in continuation lines. Heredoc bodies are not scanned for comments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// The text after `#`, trimmed.
    pub text: String,
    pub line: usize,
    /// The 1-based column of the `#` (counting characters).
    pub col: usize,
}

/// A heredoc attached to RUN/COPY/ADD (`<<EOF`, `<<-EOF`, `<<"EOF"`, `3<<EOF`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heredoc {
    /// The delimiter word, without quotes.
    pub name: String,
    /// The file descriptor prefix (`3<<EOF`), 0 when absent.
    pub fd: u32,
    /// False when the delimiter was quoted: the body is not expanded.
    pub expand: bool,
    /// `<<-`: leading tabs are stripped from the body (and terminator).
    pub chomp: bool,
    /// The body exactly as written, every line with its line ending, without
    /// the terminator line.
    pub content: String,
    /// First line of the body (the line after the instruction's last line
    /// or the previous heredoc's terminator).
    pub body_start_line: usize,
    /// The line of the terminator.
    pub end_line: usize,
}

/// One instruction (a child of BuildKit's root node).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// Lower-cased instruction name (`run`, `from`, …); unknown names are kept
    /// (BuildKit's parser ignores their arguments).
    pub keyword: String,
    /// The instruction name exactly as written (`Run`, `FROM`).
    pub keyword_raw: String,
    /// `--name=value` flags in order, as BuildKit extracts them.
    pub flags: Vec<String>,
    /// The argument nodes (BuildKit's `Next` chain): for ENV and LABEL,
    /// (key, value, separator) triples, separator `""` for the legacy
    /// `ENV k v` form; for HEALTHCHECK, the type then the command. Empty for
    /// ONBUILD (see `onbuild`).
    pub args: Vec<String>,
    /// True when the arguments were written as a JSON array.
    pub json: bool,
    /// For ONBUILD: the instruction it wraps.
    pub onbuild: Option<Box<Instruction>>,
    /// The logical line after joining continuations and dropping comment
    /// lines (BuildKit's `Original`): what the instruction's arguments come from.
    pub original: String,
    /// The arguments part of `original` after the keyword and flags, trimmed
    /// (what BuildKit's per-instruction parser received).
    pub rest: String,
    /// Heredocs, in the order they appear.
    pub heredocs: Vec<Heredoc>,
    /// Comment lines directly above the instruction (BuildKit's PrevComment).
    pub prev_comment: Vec<String>,
    /// From the keyword's first character to the end of the last line,
    /// heredoc terminators included.
    pub span: Span,
}

impl Instruction {
    pub fn start_line(&self) -> usize {
        self.span.start.line
    }
    pub fn end_line(&self) -> usize {
        self.span.end.line
    }
    /// The value of flag `--name=…` (the last one wins); `Some("")` for a
    /// bare `--name`.
    pub fn flag(&self, name: &str) -> Option<&str> {
        self.flags.iter().rev().find_map(|f| {
            let f = f.strip_prefix("--")?;
            match f.split_once('=') {
                Some((k, v)) if k == name => Some(v),
                None if f == name => Some(""),
                _ => None,
            }
        })
    }
    /// The instruction this one really is: the wrapped one for ONBUILD.
    pub fn effective(&self) -> &Instruction {
        match &self.onbuild {
            Some(inner) => inner,
            None => self,
        }
    }
}

/// A parsed Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dockerfile {
    pub directives: Vec<Directive>,
    /// The escape character in force (`\\` or `` ` ``).
    pub escape: char,
    pub instructions: Vec<Instruction>,
    pub comments: Vec<Comment>,
    /// Lines that were empty inside a continuation (BuildKit warns:
    /// NoEmptyContinuation), with the instruction's start line.
    pub empty_continuation_lines: Vec<usize>,
}

impl Dockerfile {
    pub fn directive(&self, name: &str) -> Option<&Directive> {
        self.directives.iter().find(|d| d.name == name)
    }
}

/// A parse failure: BuildKit's error message and where it happened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ParseError {
    pub message: String,
    pub span: Span,
}
