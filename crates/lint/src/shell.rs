//! A small POSIX-shell reader for RUN scripts, in the spirit of hadolint's
//! `Hadolint.Shell` (which uses ShellCheck's parser): it finds every simple
//! command of a script (also inside subshells, `{ }` groups, `if`/`while`/
//! `case` bodies, `$(…)` and backticks) with its words unquoted, and whether
//! the script has a pipe.
//!
//! Words follow ShellCheck's `oversimplify`: quotes are removed, escapes
//! processed, and every expansion (`$x`, `${x}`, `$(…)`, backticks, `$((…))`)
//! becomes the text `${VAR}`. A command whose name is not a literal word
//! (`$CMD install`) is not reported, like ShellCheck's `getCommandName`.
//! A script that does not parse (an unterminated quote, an unbalanced
//! parenthesis) yields no commands and no pipes, as in hadolint.
//!
//! Pure and total: never panics, whatever the input.
//!
//! Words, names and flags are `CompactString`s: almost all are shorter than
//! 24 bytes and live inline, so a script's parse allocates per command, not
//! per word (the corpus lint spent a third of its time here).

use compact_str::CompactString;

/// One argument word of a command, with its position among the command's
/// words (ShellCheck's token id: increasing in source order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arg {
    pub id: usize,
    pub text: CompactString,
    /// The word as written (quotes and `$name` kept).
    pub raw: CompactString,
}

impl Arg {
    /// The names of the variables the word expands (`$a`, `${b}`, `${c:-x}`).
    pub fn variables(&self) -> Vec<&str> {
        let mut out = Vec::new();
        let raw = self.raw.as_str();
        let mut rest = raw;
        while let Some(pos) = rest.find('$') {
            let after = &rest[pos + 1..];
            let (body, skip) = match after.strip_prefix('{') {
                Some(b) => (b, 1),
                None => (after, 0),
            };
            let len = body
                .char_indices()
                .find(|(i, c)| {
                    !(c.is_ascii_alphanumeric() || *c == '_') || (*i == 0 && c.is_ascii_digit())
                })
                .map(|(i, _)| i)
                .unwrap_or(body.len());
            if len > 0 {
                out.push(&body[..len]);
            }
            rest = &after[skip + len..];
        }
        out
    }
}

/// A simple command: its name and its argument words (redirections and
/// leading `VAR=value` assignments removed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub name: CompactString,
    pub args: Vec<Arg>,
    /// Flags found in the arguments, hadolint's way: `--name=value` gives
    /// `name`, `-abc` gives `a`, `b`, `c`; `-` and `--` are not flags. Each
    /// with the id of the argument it came from.
    pub flags: Vec<(CompactString, usize)>,
}

impl Command {
    fn new(name: CompactString, args: Vec<Arg>) -> Command {
        let mut flags = Vec::new();
        for a in &args {
            let t = a.text.as_str();
            if t == "-" || t == "--" {
                continue;
            }
            if let Some(long) = t.strip_prefix("--") {
                let name = long.split('=').next().unwrap_or("");
                flags.push((CompactString::from(name), a.id));
            } else if let Some(short) = t.strip_prefix('-') {
                for c in short.chars() {
                    let mut buf = [0u8; 4];
                    flags.push((CompactString::from(&*c.encode_utf8(&mut buf)), a.id));
                }
            }
        }
        Command { name, args, flags }
    }

    /// The argument texts.
    pub fn arg_texts(&self) -> impl Iterator<Item = &str> {
        self.args.iter().map(|a| a.text.as_str())
    }

    /// hadolint's `cmdHasArgs`: the command is `name` and one of its
    /// arguments is one of `any_of`.
    pub fn has_args(&self, name: &str, any_of: &[&str]) -> bool {
        self.name == name && self.args.iter().any(|a| any_of.contains(&a.text.as_str()))
    }

    /// `cmdsHaveArgs`: [`Command::has_args`] for any of several names.
    pub fn names_have_args(&self, names: &[&str], any_of: &[&str]) -> bool {
        names.iter().any(|n| self.has_args(n, any_of))
    }

    /// `cmdHasPrefixArg`: the command is `name` and an argument starts with `prefix`.
    pub fn has_prefix_arg(&self, name: &str, prefix: &str) -> bool {
        self.name == name && self.args.iter().any(|a| a.text.starts_with(prefix))
    }

    /// `hasArg`: an argument is exactly `arg`.
    pub fn has_arg(&self, arg: &str) -> bool {
        self.args.iter().any(|a| a.text == arg)
    }

    /// `hasFlag`.
    pub fn has_flag(&self, flag: &str) -> bool {
        self.flags.iter().any(|(f, _)| f == flag)
    }

    /// `hasAnyFlag`.
    pub fn has_any_flag(&self, flags: &[&str]) -> bool {
        self.flags.iter().any(|(f, _)| flags.contains(&f.as_str()))
    }

    /// `getArgsNoFlags`: the arguments that are not flags.
    pub fn args_no_flags(&self) -> Vec<&str> {
        self.arg_words_no_flags()
            .into_iter()
            .map(|a| a.text.as_str())
            .collect()
    }

    /// [`Command::args_no_flags`], as words.
    pub fn arg_words_no_flags(&self) -> Vec<&Arg> {
        self.args
            .iter()
            .filter(|a| !self.flags.iter().any(|(_, id)| *id == a.id))
            .collect()
    }

    /// The id of the argument after the one with id `id` (hadolint's
    /// `getValueId`), if any.
    fn value_id(&self, id: usize) -> Option<usize> {
        self.args.iter().map(|a| a.id).filter(|i| *i > id).min()
    }

    /// `dropFlagArg`: removes the word following each of `flags` (the flag's
    /// value), keeping the flags themselves.
    pub fn drop_flag_arg(&self, flags: &[&str]) -> Command {
        let drop: Vec<usize> = self
            .flags
            .iter()
            .filter(|(f, _)| flags.contains(&f.as_str()))
            .filter_map(|(_, id)| self.value_id(*id))
            .collect();
        Command {
            name: self.name.clone(),
            args: self
                .args
                .iter()
                .filter(|a| !drop.contains(&a.id))
                .cloned()
                .collect(),
            flags: self.flags.clone(),
        }
    }

    /// `getFlagArg`: the values (next words) of every occurrence of `flag`.
    pub fn flag_args(&self, flag: &str) -> Vec<&str> {
        let ids: Vec<usize> = self
            .flags
            .iter()
            .filter(|(f, _)| f == flag)
            .filter_map(|(_, id)| self.value_id(*id))
            .collect();
        self.args
            .iter()
            .filter(|a| ids.contains(&a.id))
            .map(|a| a.text.as_str())
            .collect()
    }

    /// hadolint's `isPipInstall`: `pip*… install` or `python* -m pip install`.
    pub fn is_pip_install(&self) -> bool {
        if self.name.starts_with("pip") {
            let wrapper = self.name.contains("pipx") || self.name.contains("pipenv");
            !wrapper && self.has_arg("install")
        } else if self.name.starts_with("python") {
            self.args
                .windows(3)
                .any(|w| w[0].text == "-m" && w[1].text == "pip" && w[2].text == "install")
        } else {
            false
        }
    }
}

/// A parsed RUN script.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedShell {
    /// The script text as given.
    pub original: String,
    /// Every simple command, in source order (outer before inner).
    pub commands: Vec<Command>,
    /// The script has a pipeline (`a | b`, `a |& b`), anywhere.
    pub pipes: bool,
}

impl ParsedShell {
    /// Parses a script (never fails: a script that does not parse gives no
    /// commands).
    pub fn parse(script: &str) -> ParsedShell {
        let mut p = Parser::new(script, 0);
        p.list(Close::Eof);
        if p.err {
            return ParsedShell {
                original: script.to_string(),
                commands: Vec::new(),
                pipes: false,
            };
        }
        ParsedShell {
            original: script.to_string(),
            commands: p.cmds,
            pipes: p.pipes,
        }
    }

    /// `usingProgram`: some command is named `name`.
    pub fn using_program(&self, name: &str) -> bool {
        self.commands.iter().any(|c| c.name == name)
    }

    /// `anyCommands`.
    pub fn any(&self, f: impl Fn(&Command) -> bool) -> bool {
        self.commands.iter().any(f)
    }

    /// `noCommands`.
    pub fn none(&self, f: impl Fn(&Command) -> bool) -> bool {
        !self.commands.iter().any(f)
    }

    /// The commands named `name`.
    pub fn commands_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Command> {
        self.commands.iter().filter(move |c| c.name == name)
    }
}

const MAX_DEPTH: usize = 64;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Close {
    Eof,
    Paren,
    /// A `case` item body: ends at `;;`, `;&`, `;;&` or `esac`.
    CaseItem,
}

/// How a list ended.
#[derive(PartialEq, Eq)]
enum End {
    Normal,
    Esac,
}

/// A word as read: its oversimplified text, whether it was entirely literal
/// (no expansion), and the source text (to recognise reserved words).
struct Word {
    text: CompactString,
    literal: bool,
    /// The source range of the word.
    start: usize,
    end: usize,
}

/// The parser works on the script's bytes: every character with a meaning
/// to the shell is ASCII, so the cursor only ever stops on (and words and
/// lines are only ever sliced at) character boundaries; other characters are
/// copied through whole ([`Parser::take_char`], [`Parser::run`]).
struct Parser<'a> {
    src: &'a str,
    i: usize,
    cmds: Vec<Command>,
    pipes: bool,
    err: bool,
    /// Heredoc delimiters waiting for the next newline: (word, strip tabs).
    heredocs: Vec<(String, bool)>,
    depth: usize,
}

fn is_meta(c: u8) -> bool {
    matches!(
        c,
        b' ' | b'\t' | b'\n' | b'\r' | b';' | b'&' | b'|' | b'(' | b')' | b'<' | b'>'
    )
}

const RESERVED: &[&str] = &[
    "if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}", "in",
];

/// Every word with a meaning at a command position.
const KEYWORDS: &[&str] = &[
    "if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}", "in",
    "esac", "for", "select", "case", "[[", "]]", "function",
];

impl<'a> Parser<'a> {
    fn new(src: &'a str, depth: usize) -> Parser<'a> {
        Parser {
            src,
            i: 0,
            cmds: Vec::new(),
            pipes: false,
            err: false,
            heredocs: Vec::new(),
            depth,
        }
    }

    /// The source text of a word.
    fn raw(&self, w: &Word) -> &'a str {
        self.src.get(w.start..w.end).unwrap_or("")
    }

    /// The keyword a word is, written unquoted (None for any other word).
    fn keyword(&self, w: &Word) -> Option<&'static str> {
        let raw = self.raw(w);
        if raw.len() > 8 {
            return None;
        }
        KEYWORDS.iter().find(|k| **k == raw).copied()
    }

    fn peek(&self) -> Option<u8> {
        self.src.as_bytes().get(self.i).copied()
    }
    fn peek_at(&self, n: usize) -> Option<u8> {
        self.src.as_bytes().get(self.i + n).copied()
    }
    /// Appends the character at the cursor (whole, whatever its length) to
    /// `text` and moves past it.
    fn take_char(&mut self, text: &mut impl Extend<char>) {
        if let Some(c) = self.src.get(self.i..).and_then(|r| r.chars().next()) {
            text.extend(Some(c));
            self.adv(c.len_utf8());
        } else {
            self.adv(1);
        }
    }
    /// The run of bytes from the cursor up to (not including) the next one
    /// `stop` accepts; the cursor moves past it. `stop` must accept only
    /// ASCII bytes, so the run ends on a character boundary.
    fn run(&mut self, stop: impl Fn(u8) -> bool) -> &'a str {
        let from = self.i;
        while self.src.as_bytes().get(self.i).is_some_and(|b| !stop(*b)) {
            self.i += 1;
        }
        self.src.get(from..self.i).unwrap_or("")
    }
    /// Moves the cursor, never past the end.
    fn adv(&mut self, n: usize) {
        self.i = (self.i + n).min(self.src.len());
    }
    fn eof(&self) -> bool {
        self.i >= self.src.len()
    }

    /// Skips spaces, tabs and line continuations (not newlines).
    fn blanks(&mut self) {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\r') => self.adv(1),
                Some(b'\\') if self.peek_at(1) == Some(b'\n') => self.adv(2),
                _ => return,
            }
        }
    }

    fn comment(&mut self) {
        while let Some(c) = self.peek() {
            if c == b'\n' {
                return;
            }
            self.adv(1);
        }
    }

    /// Consumes a newline and the bodies of pending heredocs.
    fn newline(&mut self) {
        self.adv(1);
        let pending = std::mem::take(&mut self.heredocs);
        for (delim, strip) in pending {
            loop {
                if self.eof() {
                    break;
                }
                let start = self.i;
                while self.peek().is_some_and(|c| c != b'\n') {
                    self.adv(1);
                }
                let line = self.src.get(start..self.i).unwrap_or("");
                if self.peek() == Some(b'\n') {
                    self.adv(1);
                }
                let line = if strip {
                    line.trim_start_matches('\t')
                } else {
                    line
                };
                if line.trim_end_matches('\r') == delim {
                    break;
                }
            }
        }
    }

    /// A list of commands up to `close` (consumed).
    fn list(&mut self, close: Close) -> End {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            self.err = true;
            self.i = self.src.len();
        }
        let end = self.list_inner(close);
        self.depth -= 1;
        end
    }

    fn list_inner(&mut self, close: Close) -> End {
        // After `&&`, `||` or `|` a command must follow (a syntax error
        // otherwise, and ShellCheck then gives hadolint nothing).
        let mut operand_due = false;
        loop {
            if self.err {
                return End::Normal;
            }
            self.blanks();
            let Some(c) = self.peek() else {
                if close != Close::Eof || operand_due {
                    self.err = true;
                }
                return End::Normal;
            };
            let is_operator = matches!(c, b';' | b')')
                || (c == b'&' && self.peek_at(1) != Some(b'>'))
                || c == b'|';
            if operand_due && is_operator {
                self.err = true;
                return End::Normal;
            }
            match c {
                b'\n' => self.newline(),
                b'#' => self.comment(),
                b';' => {
                    if close == Close::CaseItem && self.peek_at(1) == Some(b';') {
                        self.adv(2);
                        if self.peek() == Some(b'&') {
                            self.adv(1);
                        }
                        return End::Normal;
                    }
                    if close == Close::CaseItem && self.peek_at(1) == Some(b'&') {
                        self.adv(2);
                        return End::Normal;
                    }
                    self.adv(1);
                }
                b'&' => {
                    if self.peek_at(1) == Some(b'>') {
                        self.command(close);
                        operand_due = false;
                    } else if self.peek_at(1) == Some(b'&') {
                        self.adv(2);
                        operand_due = true;
                    } else {
                        self.adv(1);
                    }
                }
                b'|' => {
                    if self.peek_at(1) == Some(b'|') {
                        self.adv(2);
                    } else {
                        self.pipes = true;
                        self.adv(if self.peek_at(1) == Some(b'&') { 2 } else { 1 });
                    }
                    operand_due = true;
                }
                b')' => {
                    self.adv(1);
                    if close == Close::Paren {
                        return End::Normal;
                    }
                    self.err = true;
                    return End::Normal;
                }
                b'(' => {
                    if self.peek_at(1) == Some(b'(') {
                        self.adv(2);
                        self.skip_arith();
                    } else {
                        self.adv(1);
                        self.list(Close::Paren);
                    }
                    operand_due = false;
                }
                _ => {
                    operand_due = false;
                    if self.command(close) == End::Esac {
                        return End::Esac;
                    }
                }
            }
        }
    }

    /// Skips to the `))` closing an arithmetic `((`, already consumed.
    fn skip_arith(&mut self) {
        let mut depth = 0usize;
        while let Some(c) = self.peek() {
            match c {
                b'(' => depth += 1,
                b')' => {
                    if depth == 0 {
                        if self.peek_at(1) == Some(b')') {
                            self.adv(2);
                            return;
                        }
                    } else {
                        depth -= 1;
                    }
                }
                _ => {}
            }
            self.adv(1);
        }
        self.err = true;
    }

    /// Reads what stands at a command position: a reserved word, a compound
    /// command or a simple command.
    fn command(&mut self, close: Close) -> End {
        // Read the first word to recognise reserved words.
        let mark = self.cmds.len();
        let first = if self.at_redirect() {
            None
        } else {
            self.word()
        };
        if let Some(w) = &first {
            let raw = self.keyword(w).unwrap_or("");
            if close == Close::CaseItem && raw == "esac" {
                return End::Esac;
            }
            if RESERVED.contains(&raw) || raw == "esac" {
                return End::Normal;
            }
            match raw {
                "for" | "select" => {
                    self.skip_for();
                    return End::Normal;
                }
                "case" => {
                    self.case();
                    return End::Normal;
                }
                "[[" => {
                    self.skip_until_word("]]");
                    return End::Normal;
                }
                "function" => {
                    self.blanks();
                    let _ = self.word();
                    self.blanks();
                    if self.peek() == Some(b'(') && self.peek_at(1) == Some(b')') {
                        self.adv(2);
                    }
                    return End::Normal;
                }
                _ => {}
            }
            // `name() { … }`: a function definition.
            let after = self.i;
            self.blanks();
            if w.literal && self.peek() == Some(b'(') {
                self.adv(1);
                self.blanks();
                if self.peek() == Some(b')') {
                    self.adv(1);
                    return End::Normal;
                }
            }
            self.i = after;
        }
        self.simple_command(mark, first);
        End::Normal
    }

    /// `for name in words; do` / `for ((…)); do`: skips up to the `do`.
    fn skip_for(&mut self) {
        loop {
            self.blanks();
            match self.peek() {
                None => return,
                Some(b'(') if self.peek_at(1) == Some(b'(') => {
                    self.adv(2);
                    self.skip_arith();
                }
                Some(b';') | Some(b'\n') => return,
                Some(c) if is_meta(c) => {
                    self.adv(1);
                }
                Some(_) => {
                    let save = self.i;
                    match self.word() {
                        Some(w) if self.keyword(&w) == Some("do") => {
                            self.i = save;
                            return;
                        }
                        Some(_) => {}
                        None => {
                            self.adv(1);
                        }
                    }
                }
            }
            if self.err {
                return;
            }
        }
    }

    /// `case word in pattern) list ;; … esac`, after `case`.
    fn case(&mut self) {
        self.blanks();
        let _ = self.word();
        loop {
            self.blanks();
            match self.peek() {
                Some(b'\n') => self.newline(),
                Some(b'#') => self.comment(),
                _ => break,
            }
        }
        match self.word() {
            Some(w) if self.keyword(&w) == Some("in") => {}
            _ => {
                self.err = true;
                return;
            }
        }
        loop {
            if self.err {
                return;
            }
            // Skip blank lines before a pattern.
            loop {
                self.blanks();
                match self.peek() {
                    Some(b'\n') => self.newline(),
                    Some(b'#') => self.comment(),
                    Some(b';') => self.adv(1),
                    _ => break,
                }
            }
            if self.eof() {
                self.err = true;
                return;
            }
            let save = self.i;
            if let Some(w) = self.word() {
                if self.keyword(&w) == Some("esac") {
                    return;
                }
            }
            self.i = save;
            if self.peek() == Some(b'(') {
                self.adv(1);
            }
            // The pattern, up to `)`.
            loop {
                self.blanks();
                match self.peek() {
                    None => {
                        self.err = true;
                        return;
                    }
                    Some(b')') => {
                        self.adv(1);
                        break;
                    }
                    Some(b'|') => self.adv(1),
                    Some(_) => {
                        if self.word().is_none() {
                            self.adv(1);
                        }
                    }
                }
                if self.err {
                    return;
                }
            }
            if self.list(Close::CaseItem) == End::Esac {
                return;
            }
        }
    }

    /// Skips words up to and including the word `end` (for `[[ … ]]`).
    fn skip_until_word(&mut self, end: &str) {
        loop {
            self.blanks();
            match self.peek() {
                None => {
                    self.err = true;
                    return;
                }
                Some(b'\n') => self.newline(),
                Some(c) if is_meta(c) => self.adv(1),
                Some(_) => match self.word() {
                    Some(w) if self.keyword(&w) == Some(end) => return,
                    Some(_) => {}
                    None => self.adv(1),
                },
            }
            if self.err {
                return;
            }
        }
    }

    /// At a redirection operator (`>`, `2>`, `&>`, `<<`, …), not a process
    /// substitution.
    fn at_redirect(&self) -> bool {
        let s = self.src.as_bytes();
        let mut j = self.i;
        while s.get(j).is_some_and(|c| c.is_ascii_digit()) {
            j += 1;
        }
        if j == self.i && s.get(j) == Some(&b'{') {
            // {fd}> redirections
            let mut k = j + 1;
            while s
                .get(k)
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
            {
                k += 1;
            }
            if k > j + 1 && s.get(k) == Some(&b'}') && matches!(s.get(k + 1), Some(b'<' | b'>')) {
                return true;
            }
        }
        match s.get(j) {
            Some(b'<') | Some(b'>') => s.get(j + 1) != Some(&b'('),
            Some(b'&') if j == self.i => s.get(j + 1) == Some(&b'>'),
            _ => false,
        }
    }

    /// Consumes a redirection and its target word.
    fn redirect(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.adv(1);
        }
        if self.peek() == Some(b'{') {
            while self.peek().is_some_and(|c| c != b'}') {
                self.adv(1);
            }
            self.adv(1);
        }
        let mut heredoc = None;
        match (self.peek(), self.peek_at(1), self.peek_at(2)) {
            (Some(b'<'), Some(b'<'), Some(b'<')) => self.adv(3),
            (Some(b'<'), Some(b'<'), Some(b'-')) => {
                self.adv(3);
                heredoc = Some(true);
            }
            (Some(b'<'), Some(b'<'), _) => {
                self.adv(2);
                heredoc = Some(false);
            }
            (Some(b'&'), Some(b'>'), Some(b'>')) => self.adv(3),
            (Some(b'<' | b'>'), Some(b'&' | b'>' | b'|'), _) => self.adv(2),
            (Some(b'&'), Some(b'>'), _) => self.adv(2),
            _ => self.adv(1),
        }
        self.blanks();
        if let Some(w) = self.word() {
            if let Some(strip) = heredoc {
                let delim: String = self
                    .raw(&w)
                    .chars()
                    .filter(|c| !matches!(c, '\'' | '"' | '\\'))
                    .collect();
                self.heredocs.push((delim, strip));
            }
        } else if !self.eof() && !matches!(self.peek(), Some(b'\n')) {
            self.err = true;
        }
    }

    /// A simple command: assignments, words and redirections.
    /// `mark`: the number of commands before this one; `first`: its first
    /// word, already read.
    fn simple_command(&mut self, mark: usize, first: Option<Word>) {
        // Most commands have few words; one allocation instead of 4 → 8 → 16.
        let mut words: Vec<Word> = Vec::with_capacity(16);
        words.extend(first);
        loop {
            if self.err {
                return;
            }
            self.blanks();
            let Some(c) = self.peek() else { break };
            if c == b'#' && words.is_empty() {
                break;
            }
            if self.at_redirect() {
                self.redirect();
                continue;
            }
            if c == b'(' && words.is_empty() {
                break;
            }
            if matches!(c, b';' | b'&' | b'|' | b')' | b'\n' | b'(') {
                if c == b'(' {
                    // `foo(`: a syntax error in sh.
                    self.err = true;
                }
                break;
            }
            // `#` after a word starts a comment too.
            if c == b'#' {
                self.comment();
                break;
            }
            match self.word() {
                Some(w) => words.push(w),
                None => {
                    self.adv(1);
                }
            }
        }
        // Drop leading assignments.
        let start = words
            .iter()
            .position(|w| !is_assignment(self.raw(w).as_bytes()))
            .unwrap_or(words.len());
        let Some(first) = words.get(start) else {
            return;
        };
        if !first.literal {
            return;
        }
        let name = match effective_name(&first.text, &words[start + 1..]) {
            Some(n) => n,
            None => return,
        };
        let args = words
            .into_iter()
            .skip(start + 1)
            .enumerate()
            .map(|(id, w)| Arg {
                id,
                raw: CompactString::from(self.raw(&w)),
                text: w.text,
            })
            .collect();
        // The commands inside this command's substitutions were pushed
        // while its words were read: put it before them, as ShellCheck's
        // pre-order traversal does.
        let at = mark.min(self.cmds.len());
        self.cmds.insert(at, Command::new(name, args));
    }

    /// Reads one word (None when at a delimiter).
    fn word(&mut self) -> Option<Word> {
        let start = self.i;
        let mut text = CompactString::default();
        let mut literal = true;
        while let Some(c) = self.peek() {
            if self.err {
                break;
            }
            match c {
                b'\\' => match self.peek_at(1) {
                    Some(b'\n') => self.adv(2),
                    Some(_) => {
                        self.adv(1);
                        self.take_char(&mut text);
                    }
                    None => {
                        text.push('\\');
                        self.adv(1);
                    }
                },
                b'\'' => {
                    self.adv(1);
                    text.push_str(self.run(|c| c == b'\''));
                    if self.eof() {
                        self.err = true;
                        break;
                    }
                    self.adv(1);
                }
                b'"' => {
                    self.adv(1);
                    if !self.double_quoted(&mut text) {
                        literal = false;
                    }
                }
                b'$' => {
                    if !self.dollar(&mut text) {
                        literal = false;
                    }
                }
                b'`' => {
                    self.backtick();
                    text.push_str("${VAR}");
                    literal = false;
                }
                b'<' | b'>' if self.peek_at(1) == Some(b'(') => {
                    // Process substitution: commands inside, no text.
                    self.adv(2);
                    self.list(Close::Paren);
                    literal = false;
                }
                b'(' if is_array_assignment_start(&text, self.i > start) => {
                    // NAME=( … )
                    self.adv(1);
                    let mut depth = 0usize;
                    while let Some(c) = self.peek() {
                        self.adv(1);
                        match c {
                            b'(' => depth += 1,
                            b')' if depth == 0 => break,
                            b')' => depth -= 1,
                            _ => {}
                        }
                    }
                    literal = false;
                }
                c if is_meta(c) => break,
                _ => text.push_str(
                    self.run(|c| is_meta(c) || matches!(c, b'\\' | b'\'' | b'"' | b'$' | b'`')),
                ),
            }
        }
        if self.i == start {
            return None;
        }
        Some(Word {
            text,
            literal,
            start,
            end: self.i,
        })
    }

    /// Reads a double-quoted string (after the opening quote) into `text`;
    /// false when it had expansions.
    fn double_quoted(&mut self, text: &mut CompactString) -> bool {
        let mut literal = true;
        loop {
            let Some(c) = self.peek() else {
                self.err = true;
                return literal;
            };
            match c {
                b'"' => {
                    self.adv(1);
                    return literal;
                }
                b'\\' => match self.peek_at(1) {
                    Some(b'\n') => self.adv(2),
                    Some(n @ (b'$' | b'`' | b'"' | b'\\')) => {
                        text.push(char::from(n));
                        self.adv(2);
                    }
                    _ => {
                        text.push('\\');
                        self.adv(1);
                    }
                },
                b'$' => {
                    if !self.dollar(text) {
                        literal = false;
                    }
                }
                b'`' => {
                    self.backtick();
                    text.push_str("${VAR}");
                    literal = false;
                }
                _ => text.push_str(self.run(|c| matches!(c, b'"' | b'\\' | b'$' | b'`'))),
            }
            if self.err {
                return literal;
            }
        }
    }

    /// Reads a `$…` at the cursor into `text`; false when it was an expansion.
    fn dollar(&mut self, text: &mut CompactString) -> bool {
        match self.peek_at(1) {
            Some(b'\'') => {
                // $'…' (ANSI-C quoting): the raw contents.
                self.adv(2);
                loop {
                    match self.peek() {
                        None => {
                            self.err = true;
                            return true;
                        }
                        Some(b'\\') => {
                            text.push('\\');
                            self.adv(1);
                            if !self.eof() {
                                self.take_char(text);
                            }
                        }
                        Some(b'\'') => {
                            self.adv(1);
                            return true;
                        }
                        Some(_) => text.push_str(self.run(|c| matches!(c, b'\\' | b'\''))),
                    }
                }
            }
            Some(b'"') => {
                self.adv(2);
                self.double_quoted(text)
            }
            Some(b'(') => {
                if self.peek_at(2) == Some(b'(') {
                    self.adv(3);
                    self.skip_arith();
                } else {
                    self.adv(2);
                    self.list(Close::Paren);
                }
                text.push_str("${VAR}");
                false
            }
            Some(b'{') => {
                self.adv(2);
                let mut depth = 0usize;
                loop {
                    match self.peek() {
                        None => {
                            self.err = true;
                            break;
                        }
                        Some(b'\\') => self.adv(2),
                        Some(b'\'') => {
                            self.adv(1);
                            while self.peek().is_some_and(|c| c != b'\'') {
                                self.adv(1);
                            }
                            self.adv(1);
                        }
                        Some(b'"') => {
                            self.adv(1);
                            let mut scratch = CompactString::default();
                            self.double_quoted(&mut scratch);
                        }
                        Some(b'$') => {
                            let mut scratch = CompactString::default();
                            self.dollar(&mut scratch);
                        }
                        Some(b'`') => self.backtick(),
                        Some(b'{') => {
                            depth += 1;
                            self.adv(1);
                        }
                        Some(b'}') => {
                            self.adv(1);
                            if depth == 0 {
                                break;
                            }
                            depth -= 1;
                        }
                        Some(_) => self.adv(1),
                    }
                    if self.err {
                        break;
                    }
                }
                text.push_str("${VAR}");
                false
            }
            Some(c) if c.is_ascii_alphabetic() || c == b'_' => {
                self.adv(1);
                while self
                    .peek()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_')
                {
                    self.adv(1);
                }
                text.push_str("${VAR}");
                false
            }
            Some(c) if c.is_ascii_digit() || b"@*#?$!-".contains(&c) => {
                self.adv(2);
                text.push_str("${VAR}");
                false
            }
            _ => {
                text.push('$');
                self.adv(1);
                true
            }
        }
    }

    /// A backtick substitution at the cursor: its commands are parsed.
    fn backtick(&mut self) {
        self.adv(1);
        let mut inner = String::new();
        loop {
            match self.peek() {
                None => {
                    self.err = true;
                    return;
                }
                Some(b'`') => {
                    self.adv(1);
                    break;
                }
                Some(b'\\') => match self.peek_at(1) {
                    Some(n @ (b'`' | b'\\' | b'$')) => {
                        inner.push(char::from(n));
                        self.adv(2);
                    }
                    Some(_) => {
                        inner.push('\\');
                        self.adv(1);
                        self.take_char(&mut inner);
                    }
                    None => {
                        inner.push('\\');
                        self.adv(1);
                    }
                },
                Some(_) => inner.push_str(self.run(|c| matches!(c, b'`' | b'\\'))),
            }
        }
        if self.depth >= MAX_DEPTH {
            self.err = true;
            return;
        }
        let mut sub = Parser::new(&inner, self.depth + 1);
        sub.list(Close::Eof);
        if sub.err {
            self.err = true;
            return;
        }
        self.cmds.extend(sub.cmds);
        self.pipes |= sub.pipes;
    }
}

/// `NAME=…`, `NAME+=…`, `NAME[i]=…` (a shell assignment word).
fn is_assignment(raw: &[u8]) -> bool {
    match raw.first() {
        Some(c) if c.is_ascii_alphabetic() || *c == b'_' => {}
        _ => return false,
    }
    for (i, c) in raw.iter().enumerate().skip(1) {
        match c {
            c if c.is_ascii_alphanumeric() || *c == b'_' => {}
            b'=' => return true,
            b'+' => return raw.get(i + 1) == Some(&b'='),
            b'[' => {
                let rest = &raw[i..];
                return rest.windows(2).any(|w| w == [b']', b'='])
                    || rest.windows(3).any(|w| w == [b']', b'+', b'=']);
            }
            _ => return false,
        }
    }
    false
}

/// The word so far is `NAME=` or `NAME+=`: a `(` starts an array value.
fn is_array_assignment_start(text: &str, nonempty: bool) -> bool {
    nonempty && text.ends_with('=') && is_assignment(text.as_bytes())
}

/// ShellCheck's `getCommandName`: the name, or for `busybox`/`builtin`/
/// `command`/`run`/`exec` the command they run. None when that command is
/// not a literal word.
fn effective_name(first: &str, rest: &[Word]) -> Option<CompactString> {
    match first {
        "busybox" | "builtin" | "command" | "run" => match rest.first() {
            Some(w) if !w.text.starts_with('-') => {
                if w.literal {
                    Some(w.text.clone())
                } else {
                    None
                }
            }
            _ => Some(first.into()),
        },
        "exec" => {
            // getBsdOpts "cla:": -c, -l, -a NAME; the first operand is the command.
            let mut k = 0;
            while let Some(w) = rest.get(k) {
                let t = w.text.as_str();
                if t == "--" {
                    k += 1;
                    break;
                }
                if let Some(opts) = t.strip_prefix('-') {
                    if opts.is_empty() {
                        break;
                    }
                    let mut takes_value = false;
                    for (j, c) in opts.chars().enumerate() {
                        match c {
                            'c' | 'l' => {}
                            'a' => {
                                // the value is the rest of the word, or the next word
                                if j + 1 == opts.len() {
                                    takes_value = true;
                                }
                                break;
                            }
                            _ => return Some(first.into()),
                        }
                    }
                    k += if takes_value { 2 } else { 1 };
                    continue;
                }
                break;
            }
            match rest.get(k) {
                Some(w) if w.literal => Some(w.text.clone()),
                Some(_) => None,
                None => Some(first.into()),
            }
        }
        _ => Some(first.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(s: &str) -> Vec<String> {
        ParsedShell::parse(s)
            .commands
            .into_iter()
            .map(|c| c.name.to_string())
            .collect()
    }

    fn args(s: &str) -> Vec<Vec<String>> {
        ParsedShell::parse(s)
            .commands
            .into_iter()
            .map(|c| c.args.into_iter().map(|a| a.text.to_string()).collect())
            .collect()
    }

    #[test]
    fn splits_on_operators() {
        assert_eq!(
            names("apt-get update && apt-get install -y foo || echo x; ls & wc -l"),
            ["apt-get", "apt-get", "echo", "ls", "wc"]
        );
        assert_eq!(names("a\nb\n\nc"), ["a", "b", "c"]);
    }

    #[test]
    fn pipes() {
        assert!(ParsedShell::parse("wget -O - x | wc -l").pipes);
        assert!(ParsedShell::parse("a |& b").pipes);
        assert!(!ParsedShell::parse("a || b").pipes);
        assert!(!ParsedShell::parse("echo 'a | b' \"c|d\" e\\|f").pipes);
        assert!(ParsedShell::parse("x=$(a | b)").pipes);
    }

    #[test]
    fn non_ascii_text_is_copied_whole() {
        // The parser walks bytes: multi-byte characters in every position a
        // word can hold them.
        assert_eq!(
            args("echo héllo \"wörld $x ü\" 'ça' \\é $'ñ\\ö' `touch é`"),
            vec![
                vec!["héllo", "wörld ${VAR} ü", "ça", "é", "ñ\\ö", "${VAR}"],
                vec!["é"],
            ]
        );
        assert_eq!(names("x=é ünï -x; `\\ë`"), vec!["ünï", "ë"]);
        let p = ParsedShell::parse("apt-get install -y cürl=1.0 \\\n  wget");
        assert_eq!(p.commands[0].args[2].raw, "cürl=1.0");
    }

    #[test]
    fn quotes_and_escapes() {
        assert_eq!(
            args(r#"echo "a b" 'c d' e\ f "x\"y" 'it''s'"#),
            [vec!["a b", "c d", "e f", "x\"y", "its"]]
        );
        assert_eq!(names(r#""apt-get" install"#), ["apt-get"]);
        assert_eq!(
            args("pip install 'alabaster>=0.7'"),
            [vec!["install", "alabaster>=0.7"]]
        );
    }

    #[test]
    fn expansions_become_var() {
        assert_eq!(
            args(r#"apt-get install foo=$V bar="${W}" baz=$(cat x) q=`echo 1`"#)[0],
            [
                "install",
                "foo=${VAR}",
                "bar=${VAR}",
                "baz=${VAR}",
                "q=${VAR}"
            ]
        );
        // commands inside substitutions are found
        assert_eq!(names("echo $(sudo id) `ps aux`"), ["echo", "sudo", "ps"]);
    }

    #[test]
    fn non_literal_command_names_are_skipped() {
        assert_eq!(names("$PIP install foo && ls"), ["ls"]);
    }

    #[test]
    fn assignments_and_redirects() {
        assert_eq!(names("FOO=1 BAR=\"x y\" pip install x"), ["pip"]);
        assert_eq!(
            args("FOO=1 pip install x > /dev/null 2>&1")[0],
            ["install", "x"]
        );
        assert_eq!(names("FOO=bar"), Vec::<String>::new());
        assert_eq!(args("echo x >>/tmp/f </dev/null &>/dev/null")[0], ["x"]);
        assert_eq!(names("export A=1 && env B=2 make"), ["export", "env"]);
    }

    #[test]
    fn compound_commands() {
        assert_eq!(
            names("if [ -f x ]; then cd /tmp; else sudo ls; fi"),
            ["[", "cd", "sudo"]
        );
        assert_eq!(
            names("for i in a b c; do echo $i; done; while true; do ps; done"),
            ["echo", "true", "ps"]
        );
        assert_eq!(names("(cd /x && make) && { ls; }"), ["cd", "make", "ls"]);
        assert_eq!(
            names("case $x in a|b) vim ;; *) top ;; esac; ls"),
            ["vim", "top", "ls"]
        );
        assert_eq!(names("[[ -f x && -d y ]] && ls"), ["ls"]);
        assert_eq!(names("f() { ls; }; f"), ["ls", "f"]);
        assert_eq!(names("for ((i=0; i<3; i++)); do echo; done"), ["echo"]);
    }

    #[test]
    fn wrappers() {
        assert_eq!(names("busybox wget x"), ["wget"]);
        assert_eq!(names("exec gosu app top"), ["gosu"]);
        assert_eq!(names("command -v curl"), ["command"]);
        assert_eq!(names("sudo apt-get install x"), ["sudo"]);
    }

    #[test]
    fn comments_and_continuations() {
        assert_eq!(names("ls # sudo x\necho"), ["ls", "echo"]);
        assert_eq!(args("apt-get install \\\n  foo")[0], ["install", "foo"]);
        assert_eq!(args("echo a#b")[0], ["a#b"]);
    }

    #[test]
    fn heredoc_bodies_are_skipped() {
        assert_eq!(names("cat <<EOF > /x\nsudo rm\nEOF\nls"), ["cat", "ls"]);
        assert_eq!(names("cat <<-'E'\n\tvim\n\tE\ntop"), ["cat", "top"]);
    }

    #[test]
    fn parse_errors_give_nothing() {
        let p = ParsedShell::parse("echo 'unterminated | x");
        assert!(p.commands.is_empty() && !p.pipes);
        assert!(ParsedShell::parse("ls )").commands.is_empty());
        assert!(ParsedShell::parse("echo $(ls").commands.is_empty());
        assert!(ParsedShell::parse("apt-get update &&").commands.is_empty());
        assert!(ParsedShell::parse("a | | b").commands.is_empty());
        assert!(ParsedShell::parse("a &&\n\n  # c\n b").commands.len() == 2);
    }

    #[test]
    fn flags_hadolint_style() {
        let p = ParsedShell::parse(
            "apt-get -yqq --no-install-recommends install -t stable foo --opt=1 - --",
        );
        let c = &p.commands[0];
        assert!(c.has_flag("y") && c.has_flag("q") && c.has_flag("no-install-recommends"));
        assert!(c.has_flag("opt") && c.has_flag("t"));
        assert_eq!(c.args_no_flags(), ["install", "stable", "foo", "-", "--"]);
        assert_eq!(
            c.drop_flag_arg(&["t"]).args_no_flags(),
            ["install", "foo", "-", "--"]
        );
        let u = ParsedShell::parse("useradd -u 123456 bob");
        assert_eq!(u.commands[0].flag_args("u"), ["123456"]);
    }

    #[test]
    fn variables_of_a_word() {
        let p = ParsedShell::parse(r#"yum install a-$v "b-${w}" c-${x:-1}-$1 d\$e"#);
        let vars: Vec<Vec<&str>> = p.commands[0].args.iter().map(|a| a.variables()).collect();
        assert_eq!(vars[1], ["v"]);
        assert_eq!(vars[2], ["w"]);
        assert_eq!(vars[3], ["x"]);
        assert_eq!(p.commands[0].args[1].text, "a-${VAR}");
    }

    #[test]
    fn pip_install_detection() {
        let p = ParsedShell::parse("python3 -m pip install x && pip3 install y && pipenv install");
        assert!(p.commands[0].is_pip_install());
        assert!(p.commands[1].is_pip_install());
        assert!(!p.commands[2].is_pip_install());
    }

    #[test]
    fn corner_cases_do_not_panic() {
        for s in [
            "",
            "\\",
            "$",
            "${",
            "$(",
            "`",
            "'",
            "\"",
            "((",
            "<<",
            "<<EOF",
            "a <",
            "case",
            "case x",
            "case x in",
            "for",
            "if",
            "}",
            "{",
            "${a:-$(b)}",
            "$((1+(2)))",
            "<(ls)",
            "a=(1 2)",
            "2>&1",
            "&>x",
            "{fd}>x",
            "$'\\'",
            "é ü | ñ",
            "\\\n",
            "exec -a",
            "exec -a x",
        ] {
            let _ = ParsedShell::parse(s);
        }
    }

    use proptest::prelude::*;

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,200}") {
            let _ = ParsedShell::parse(&s);
        }

        #[test]
        fn never_panics_shellish(s in "[a-z \\-=|&;()<>$`'\"\\\\{}\\n#*!0-9]{0,120}") {
            let p = ParsedShell::parse(&s);
            for c in &p.commands {
                let _ = c.args_no_flags();
                let _ = c.drop_flag_arg(&["t", "a"]).flag_args("u");
                for a in &c.args {
                    let _ = a.variables();
                }
            }
        }
    }
}
