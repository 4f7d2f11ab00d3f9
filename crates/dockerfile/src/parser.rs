//! A port of BuildKit's Dockerfile parser (frontend/dockerfile/parser, the
//! version the PyPI `dockerfile` package wraps), with spans added.
//!
//! The algorithm is BuildKit's, step by step, so that every quirk users rely
//! on (continuation lines that keep their leading blanks, comment lines inside
//! continuations, the legacy `ENV k v` form, JSON with a shell-form fallback,
//! heredocs found by lexing the joined line) comes out the same. Deliberate
//! differences, all on inputs no real Dockerfile has: flags are decoded as
//! UTF-8 (Go re-encodes their bytes as Latin-1), and bytes 0x85/0xA0 inside a
//! multi-byte character are not whitespace.

use super::ast::*;

/// bufio.Scanner's default limit: a line (with its newline) longer than this
/// makes BuildKit fail.
const MAX_LINE: usize = 64 * 1024;

/// Parse a Dockerfile. The BOM, if any, is dropped.
pub fn parse(src: &str) -> Result<Dockerfile, ParseError> {
    Parser::new(src).run()
}

struct Escape {
    ch: char,
}

impl Escape {
    /// BuildKit's line-continuation regex
    /// `([^E])E[ \t]*$|^E[ \t]*$`, replaced by `$1`.
    fn trim_continuation<'a>(&self, line: &'a str) -> (&'a str, bool) {
        let trimmed = line.trim_end_matches([' ', '\t']);
        if let Some(before) = trimmed.strip_suffix(self.ch) {
            match before.chars().next_back() {
                None => return ("", false),
                Some(c) if c != self.ch => return (before, false),
                _ => {}
            }
        }
        (line, true)
    }
}

struct RawLine<'a> {
    /// The line with its line ending (as bufio.Scanner + scanLines give it).
    text: &'a str,
    /// 1-based line number.
    number: usize,
}

struct Parser<'a> {
    lines: Vec<&'a str>,
    next: usize,
    too_long_at: Option<usize>,
    escape: Escape,
    directives_done: bool,
    directives: Vec<Directive>,
    comments: Vec<Comment>,
}

/// `src.split_inclusive('\n')`, collected: std's searcher re-enters a
/// short-slice `memchr` per line (5 % of the corpus lint); `memchr_iter`
/// scans the whole text with SIMD.
fn lines_inclusive(src: &str) -> Vec<&str> {
    let newlines = memchr::memchr_iter(b'\n', src.as_bytes());
    let mut lines = Vec::with_capacity(newlines.clone().count() + 1);
    let mut from = 0;
    for nl in newlines {
        // A newline byte is a character boundary.
        lines.push(&src[from..=nl]);
        from = nl + 1;
    }
    if from < src.len() {
        lines.push(&src[from..]);
    }
    lines
}

fn go_trim_newline(s: &str) -> &str {
    s.trim_end_matches(['\r', '\n'])
}

fn go_is_space(c: char) -> bool {
    c.is_whitespace()
}

fn trim_left_space(s: &str) -> &str {
    s.trim_start_matches(go_is_space)
}

fn is_comment(raw: &str) -> bool {
    trim_left_space(go_trim_newline(raw)).starts_with('#')
}

/// `[\t\v\f\r ]+`
fn is_re_ws(c: char) -> bool {
    matches!(c, '\t' | '\x0b' | '\x0c' | '\r' | ' ')
}

impl<'a> Parser<'a> {
    fn new(src: &'a str) -> Self {
        let src = src.strip_prefix('\u{feff}').unwrap_or(src);
        let mut lines = lines_inclusive(src);
        let mut too_long_at = None;
        if let Some(i) = lines.iter().position(|l| l.len() > MAX_LINE) {
            too_long_at = Some(i + 1);
            lines.truncate(i);
        }
        Parser {
            lines,
            next: 0,
            too_long_at,
            escape: Escape { ch: '\\' },
            directives_done: false,
            directives: Vec::new(),
            comments: Vec::new(),
        }
    }

    fn scan(&mut self) -> Option<RawLine<'a>> {
        let text = *self.lines.get(self.next)?;
        self.next += 1;
        Some(RawLine {
            text,
            number: self.next,
        })
    }

    fn record_comment(&mut self, raw: &RawLine) {
        let line = go_trim_newline(raw.text);
        let t = trim_left_space(line);
        if let Some(c) = t.strip_prefix('#') {
            self.comments.push(Comment {
                text: c.trim().to_string(),
                line: raw.number,
                col: line[..line.len() - t.len()].chars().count() + 1,
            });
        }
    }

    /// BuildKit's possibleParserDirective.
    fn possible_directive(&mut self, token: &str, line: usize) -> Result<(), ParseError> {
        if self.directives_done {
            return Ok(());
        }
        let Some((name, value)) = match_directive(token) else {
            self.directives_done = true;
            return Ok(());
        };
        let name = name.to_ascii_lowercase();
        if !matches!(name.as_str(), "escape" | "syntax" | "check") {
            self.directives_done = true;
            return Ok(());
        }
        if self.directives.iter().any(|d| d.name == name) {
            return Err(err_at(
                format!("only one {name} parser directive can be used"),
                line,
                line,
            ));
        }
        if name == "escape" {
            match value {
                "`" => self.escape.ch = '`',
                "\\" => self.escape.ch = '\\',
                _ => {
                    return Err(err_at(
                        format!("invalid escape token '{value}' does not match ` or \\"),
                        line,
                        line,
                    ))
                }
            }
        }
        self.directives.push(Directive {
            name,
            value: value.to_string(),
            line,
        });
        Ok(())
    }

    /// BuildKit's processLine: strip the newline, optionally the leading
    /// blanks, then a whole-line comment; look for a directive.
    fn process_line(&mut self, raw: &RawLine<'a>, strip_left: bool) -> Result<&'a str, ParseError> {
        let mut token = go_trim_newline(raw.text);
        if strip_left {
            token = trim_left_space(token);
        }
        self.possible_directive(token, raw.number)?;
        Ok(if token.starts_with('#') { "" } else { token })
    }

    fn run(mut self) -> Result<Dockerfile, ParseError> {
        let mut instructions: Vec<Instruction> = Vec::new();
        let mut prev_comments: Vec<String> = Vec::new();
        let mut empty_continuation_lines = Vec::new();

        while let Some(first) = self.scan() {
            if is_comment(first.text) {
                self.record_comment(&first);
                // BuildKit takes the text after the first byte of the
                // untrimmed line.
                let c = first.text.get(1..).unwrap_or("").trim();
                if c.is_empty() {
                    prev_comments.clear();
                } else {
                    prev_comments.push(c.to_string());
                }
            }
            let processed = self.process_line(&first, true)?;
            let start_line = first.number;
            let (head, mut end_of_line) = self.escape.trim_continuation(processed);
            if end_of_line && head.is_empty() {
                continue;
            }
            let mut line = head.to_string();
            let mut last_line = start_line;
            let mut has_empty = false;
            while !end_of_line {
                let Some(raw) = self.scan() else { break };
                let processed = self.process_line(&raw, false)?;
                last_line = raw.number;
                if is_comment(raw.text) {
                    self.record_comment(&raw);
                    continue;
                }
                if trim_left_space(processed).is_empty() {
                    has_empty = true;
                    continue;
                }
                let (cont, eol) = self.escape.trim_continuation(processed);
                end_of_line = eol;
                line.push_str(cont);
            }
            if has_empty {
                empty_continuation_lines.push(start_line);
            }

            let mut inst = new_instruction(&line, self.escape.ch)
                .map_err(|m| err_at(m, start_line, last_line))?;
            inst.prev_comment = std::mem::take(&mut prev_comments);

            if line.contains("<<")
                && inst.effective().keyword_can_contain_heredoc()
                && !inst.effective().json
            {
                let docs =
                    heredocs_from_line(&line).map_err(|m| err_at(m, start_line, last_line))?;
                for mut doc in docs {
                    doc.body_start_line = last_line + 1;
                    let mut terminated = false;
                    while let Some(raw) = self.scan() {
                        last_line = raw.number;
                        let mut possible = go_trim_newline(raw.text);
                        if doc.chomp {
                            possible = possible.trim_start_matches('\t');
                        }
                        if possible == doc.name {
                            terminated = true;
                            break;
                        }
                        doc.content.push_str(raw.text);
                    }
                    if !terminated {
                        let mut e = err_at("unterminated heredoc".into(), start_line, last_line);
                        e.message = format!("unterminated heredoc: no line `{}` ends it", doc.name);
                        return Err(e);
                    }
                    doc.end_line = last_line;
                    inst.heredocs.push(doc);
                }
            }

            inst.span = self.span_of(start_line, last_line);
            instructions.push(inst);
        }

        if let Some(n) = self.too_long_at {
            return Err(err_at(
                format!(
                    "dockerfile line greater than max allowed size of {}",
                    MAX_LINE - 1
                ),
                n,
                n,
            ));
        }
        if instructions.is_empty() {
            let n = self.lines.len().max(1);
            return Err(err_at("file with no instructions".into(), n, n));
        }
        Ok(Dockerfile {
            directives: self.directives,
            escape: self.escape.ch,
            instructions,
            comments: self.comments,
            empty_continuation_lines,
        })
    }

    fn span_of(&self, start: usize, end: usize) -> Span {
        let first = go_trim_newline(self.lines[start - 1]);
        let lead = first.chars().take_while(|c| go_is_space(*c)).count();
        let last = go_trim_newline(self.lines[end - 1]);
        Span {
            start: Pos {
                line: start,
                col: lead + 1,
            },
            end: Pos {
                line: end,
                col: last.chars().count() + 1,
            },
        }
    }
}

fn err_at(message: String, start: usize, end: usize) -> ParseError {
    ParseError {
        message,
        span: Span {
            start: Pos {
                line: start,
                col: 1,
            },
            end: Pos { line: end, col: 1 },
        },
    }
}

/// `^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$`
fn match_directive(token: &str) -> Option<(&str, &str)> {
    let rest = token.strip_prefix('#')?.trim_start_matches(is_perl_space);
    let name_len = rest
        .char_indices()
        .take_while(|(i, c)| {
            if *i == 0 {
                c.is_ascii_alphabetic()
            } else {
                c.is_ascii_alphanumeric()
            }
        })
        .count();
    if name_len == 0 {
        return None;
    }
    let (name, rest) = rest.split_at(name_len);
    let rest = rest.trim_start_matches(is_perl_space).strip_prefix('=')?;
    let value = rest
        .trim_start_matches(is_perl_space)
        .trim_end_matches(is_perl_space);
    if value.is_empty() {
        return None;
    }
    Some((name, value))
}

/// RE2's `\s`: `[\t\n\f\r ]`.
fn is_perl_space(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\x0c' | '\r' | ' ')
}

impl Instruction {
    fn keyword_can_contain_heredoc(&self) -> bool {
        matches!(self.keyword.as_str(), "run" | "copy" | "add")
    }
}

/// BuildKit's newNodeFromLine: split off the keyword and flags, then parse
/// the rest by instruction.
fn new_instruction(line: &str, escape: char) -> Result<Instruction, String> {
    let trimmed = line.trim_matches(go_is_space);
    let (cmd, after) = match trimmed.find(is_re_ws) {
        Some(i) => {
            let after = trimmed[i..].trim_start_matches(is_re_ws);
            (&trimmed[..i], Some(after))
        }
        None => (trimmed, None),
    };
    let (flags, rest) = match after {
        Some(a) => extract_builder_flags(a),
        None => (Vec::new(), ""),
    };
    let rest = rest.trim_matches(go_is_space);
    let keyword = cmd.to_lowercase();
    let mut inst = Instruction {
        keyword: keyword.clone(),
        keyword_raw: cmd.to_string(),
        flags,
        args: Vec::new(),
        json: false,
        onbuild: None,
        original: line.to_string(),
        rest: rest.to_string(),
        heredocs: Vec::new(),
        prev_comment: Vec::new(),
        span: Span::default(),
    };
    match keyword.as_str() {
        "add" | "copy" | "volume" => {
            let (args, json) = parse_maybe_json_to_list(rest)?;
            inst.args = args;
            inst.json = json;
        }
        "arg" => inst.args = parse_words(rest, escape),
        "cmd" | "entrypoint" | "run" | "shell" => {
            let (args, json) = parse_maybe_json(rest)?;
            inst.args = args;
            inst.json = json;
        }
        "env" => inst.args = parse_name_val(rest, "ENV", escape)?,
        "label" => inst.args = parse_name_val(rest, "LABEL", escape)?,
        "expose" | "from" => inst.args = split_ws(rest),
        "healthcheck" => {
            let (args, json) = parse_health_config(rest)?;
            inst.args = args;
            inst.json = json;
        }
        "maintainer" | "stopsignal" | "user" | "workdir" => {
            if !rest.is_empty() {
                inst.args = vec![rest.to_string()];
            }
        }
        "onbuild" => {
            if !rest.is_empty() {
                inst.onbuild = Some(Box::new(new_instruction(rest, escape)?));
            }
        }
        // BuildKit's parser keeps unknown instructions with one empty
        // argument; the instruction layer rejects them later.
        _ => inst.args = vec![String::new()],
    }
    Ok(inst)
}

/// BuildKit's extractBuilderFlags: leading `--name[=value]` words, quotes and
/// backslashes processed; a bare `--` ends the flags.
fn extract_builder_flags(line: &str) -> (Vec<String>, &str) {
    #[derive(PartialEq)]
    enum Phase {
        Spaces,
        Word,
        Quote,
    }
    let bytes = line.as_bytes();
    let mut words = Vec::new();
    let mut phase = Phase::Spaces;
    let mut word = String::new();
    let mut quote = '\0';
    let mut blank_ok = false;
    let mut chars = line.char_indices().peekable();
    loop {
        let Some(&(pos, ch)) = chars.peek() else {
            if phase != Phase::Spaces && word != "--" && (blank_ok || !word.is_empty()) {
                words.push(word);
            }
            return (words, "");
        };
        chars.next();
        match phase {
            Phase::Spaces => {
                if go_is_space(ch) {
                    continue;
                }
                if ch != '-' || bytes.get(pos + 1) != Some(&b'-') {
                    return (words, &line[pos..]);
                }
                phase = Phase::Word;
                word.push(ch);
            }
            Phase::Word => {
                if go_is_space(ch) {
                    phase = Phase::Spaces;
                    if word == "--" {
                        return (words, &line[pos..]);
                    }
                    if blank_ok || !word.is_empty() {
                        words.push(std::mem::take(&mut word));
                    }
                    word.clear();
                    blank_ok = false;
                    continue;
                }
                if ch == '\'' || ch == '"' {
                    quote = ch;
                    blank_ok = true;
                    phase = Phase::Quote;
                    continue;
                }
                if ch == '\\' {
                    match chars.next() {
                        None => continue,
                        Some((_, c)) => word.push(c),
                    }
                    continue;
                }
                word.push(ch);
            }
            Phase::Quote => {
                if ch == quote {
                    phase = Phase::Word;
                    continue;
                }
                if ch == '\\' {
                    match chars.next() {
                        None => {
                            phase = Phase::Word;
                            continue;
                        }
                        Some((_, c)) => word.push(c),
                    }
                    continue;
                }
                word.push(ch);
            }
        }
    }
}

/// BuildKit's parseWords: words split on blanks, quotes and escapes kept.
///
/// Go builds each word rune by rune, but every rune it keeps is the one
/// after the last: a word is a slice of `rest`, less an escape character
/// that ends the input. So this walks BuildKit's state machine and copies
/// each word once (unit-tested against the rune-by-rune version).
pub(crate) fn parse_words(rest: &str, escape: char) -> Vec<String> {
    #[derive(PartialEq, Clone, Copy)]
    enum Phase {
        Spaces,
        Word,
        Quote,
    }
    let mut words = Vec::new();
    let mut phase = Phase::Spaces;
    let mut quote = '\0';
    let mut blank_ok = false;
    // The current word is rest[start..end].
    let (mut start, mut end) = (0, 0);
    let mut it = rest.char_indices().peekable();
    loop {
        let Some(&(pos, ch)) = it.peek() else {
            if phase != Phase::Spaces && (blank_ok || end > start) {
                words.push(rest[start..end].to_string());
            }
            break;
        };
        if phase == Phase::Spaces {
            if go_is_space(ch) {
                it.next();
                continue;
            }
            phase = Phase::Word;
            (start, end) = (pos, pos);
        }
        it.next();
        if phase == Phase::Word {
            if go_is_space(ch) {
                phase = Phase::Spaces;
                if blank_ok || end > start {
                    words.push(rest[start..end].to_string());
                }
                blank_ok = false;
                continue;
            }
            if ch == '\'' || ch == '"' {
                quote = ch;
                blank_ok = true;
                phase = Phase::Quote;
            }
            if ch == escape {
                // The escape and the character after it, if any.
                match it.next() {
                    Some((p, c)) => end = p + c.len_utf8(),
                    None => continue,
                }
                continue;
            }
            end = pos + ch.len_utf8();
            continue;
        }
        // in quote
        if ch == quote {
            phase = Phase::Word;
        }
        if ch == escape && quote != '\'' {
            match it.next() {
                Some((p, c)) => end = p + c.len_utf8(),
                None => phase = Phase::Word,
            }
            continue;
        }
        end = pos + ch.len_utf8();
    }
    words
}

/// `regexp.Split(rest, -1)` on `[\t\v\f\r ]+`, for a non-empty trimmed rest.
fn split_ws(rest: &str) -> Vec<String> {
    if rest.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_ws = false;
    for c in rest.chars() {
        if is_re_ws(c) {
            in_ws = true;
        } else {
            if in_ws {
                out.push(std::mem::take(&mut cur));
                in_ws = false;
            }
            cur.push(c);
        }
    }
    if in_ws {
        out.push(std::mem::take(&mut cur));
        out.push(String::new());
    } else {
        out.push(cur);
    }
    out
}

fn parse_name_val(rest: &str, key: &str, escape: char) -> Result<Vec<String>, String> {
    let words = parse_words(rest, escape);
    let Some(first) = words.first() else {
        return Ok(Vec::new());
    };
    if !first.contains('=') {
        let Some(i) = rest.find(is_re_ws) else {
            return Err(format!("{key} must have two arguments"));
        };
        let k = &rest[..i];
        let v = rest[i..].trim_start_matches(is_re_ws);
        return Ok(vec![k.to_string(), v.to_string(), String::new()]);
    }
    let mut out = Vec::with_capacity(words.len() * 3);
    for w in words {
        let Some((k, v)) = w.split_once('=') else {
            return Err(format!(
                "Syntax error - can't find = in {}. Must be of the form: name=value",
                go_quote(&w)
            ));
        };
        out.push(k.to_string());
        out.push(v.to_string());
        out.push("=".to_string());
    }
    Ok(out)
}

const NOT_STRING_ARRAY: &str =
    "when using JSON array syntax, arrays must be comprised of strings only";

enum JsonOutcome {
    Array(Vec<String>),
    NotJson,
}

fn parse_json(rest: &str) -> Result<JsonOutcome, String> {
    let rest = trim_left_space(rest);
    if !rest.starts_with('[') {
        return Ok(JsonOutcome::NotJson);
    }
    let Ok(values) = serde_json::from_str::<Vec<serde_json::Value>>(rest) else {
        return Ok(JsonOutcome::NotJson);
    };
    values
        .into_iter()
        .map(|v| match v {
            serde_json::Value::String(s) => Ok(s),
            _ => Err(NOT_STRING_ARRAY.to_string()),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(JsonOutcome::Array)
}

fn parse_maybe_json(rest: &str) -> Result<(Vec<String>, bool), String> {
    if rest.is_empty() {
        return Ok((Vec::new(), false));
    }
    Ok(match parse_json(rest)? {
        JsonOutcome::Array(a) => (a, true),
        JsonOutcome::NotJson => (vec![rest.to_string()], false),
    })
}

fn parse_maybe_json_to_list(rest: &str) -> Result<(Vec<String>, bool), String> {
    Ok(match parse_json(rest)? {
        JsonOutcome::Array(a) => (a, true),
        JsonOutcome::NotJson => (split_ws(rest), false),
    })
}

fn parse_health_config(rest: &str) -> Result<(Vec<String>, bool), String> {
    let sep = rest.find(go_is_space).unwrap_or(rest.len());
    if sep == 0 {
        return Ok((Vec::new(), false));
    }
    let typ = &rest[..sep];
    let next = trim_left_space(&rest[sep..]);
    let (cmd, json) = parse_maybe_json(next)?;
    let mut args = vec![typ.to_string()];
    args.extend(cmd);
    Ok((args, json))
}

/// BuildKit's heredocsFromLine: lex the whole logical line into raw words and
/// keep those that are heredoc openers.
fn heredocs_from_line(line: &str) -> Result<Vec<Heredoc>, String> {
    let mut docs = Vec::new();
    for word in lex_words_raw(line) {
        if let Some(doc) = heredoc_from_word(&word)? {
            docs.push(doc);
        }
    }
    Ok(docs)
}

/// `^(\d*)<<(-?)\s*([^<]*)$`, then the name lexed with and without quotes.
fn heredoc_from_word(word: &str) -> Result<Option<Heredoc>, String> {
    let digits = word.chars().take_while(|c| c.is_ascii_digit()).count();
    let Some(after) = word[digits..].strip_prefix("<<") else {
        return Ok(None);
    };
    let (chomp, after) = match after.strip_prefix('-') {
        Some(a) => (true, a),
        None => (false, after),
    };
    let rest = after.trim_start_matches(is_perl_space);
    if rest.is_empty() || rest.contains('<') {
        return Ok(None);
    }
    let fd = word[..digits].parse::<u32>().unwrap_or(0);
    let (cooked, raw) = match (lex_words(rest, false)?, lex_words(rest, true)?) {
        (c, r) if c.len() == 1 && r.len() == 1 => (c, r),
        (c, _) if c.len() != 1 => return Ok(None),
        _ => {
            return Err(format!(
                "internal lexing of heredoc produced inconsistent results: {rest}"
            ))
        }
    };
    let quotes = |s: &str| s.chars().filter(|c| *c == '\'' || *c == '"').count();
    Ok(Some(Heredoc {
        name: cooked[0].clone(),
        fd,
        expand: quotes(&cooked[0]) == quotes(&raw[0]),
        chomp,
        content: String::new(),
        body_start_line: 0,
        end_line: 0,
    }))
}

/// The shell lexer as heredocsFromLine configures it (raw quotes, raw
/// escapes, unset variables kept): words split on unquoted blanks.
fn lex_words_raw(line: &str) -> Vec<String> {
    lex(line, true, true).unwrap_or_else(|partial| partial)
}

fn lex_words(s: &str, raw_quotes: bool) -> Result<Vec<String>, String> {
    lex(s, raw_quotes, false)
        .map_err(|_| format!("unexpected end of statement while looking for matching quote: {s}"))
}

/// A small shell-word lexer: whitespace splits words outside quotes; `\`
/// escapes the next character (kept when `raw_escapes`); quotes are kept when
/// `raw_quotes`. An unterminated quote returns the words so far as `Err`.
fn lex(s: &str, raw_quotes: bool, raw_escapes: bool) -> Result<Vec<String>, Vec<String>> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\\' => {
                in_word = true;
                if raw_escapes {
                    word.push('\\');
                }
                if let Some(n) = chars.next() {
                    word.push(n);
                }
            }
            '\'' | '"' => {
                in_word = true;
                if raw_quotes {
                    word.push(c);
                }
                let mut closed = false;
                while let Some(n) = chars.next() {
                    if n == c {
                        closed = true;
                        break;
                    }
                    if c == '"' && n == '\\' {
                        if let Some(e) = chars.next() {
                            if raw_escapes || !matches!(e, '"' | '\\' | '$' | '`') {
                                word.push('\\');
                            }
                            word.push(e);
                        }
                        continue;
                    }
                    word.push(n);
                }
                if !closed {
                    if in_word {
                        words.push(word);
                    }
                    return Err(words);
                }
                if raw_quotes {
                    word.push(c);
                }
            }
            _ => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

/// Go's `strconv.Quote` (`%q`): printable characters as they are, the usual
/// C escapes, `\xNN` below 0x80 and `\uNNNN`/`\UNNNNNNNN` above.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x0b' => out.push_str("\\v"),
            c if go_is_print(c) => out.push(c),
            c if (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// An approximation of Go's `strconv.IsPrint`: letters, marks, numbers,
/// punctuation, symbols and the ASCII space.
fn go_is_print(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    let u = c as u32;
    // Format characters, private use, surrogates, noncharacters.
    !matches!(u, 0x00AD | 0x200B..=0x200F | 0x2028..=0x202E | 0x2060..=0x206F | 0xFEFF | 0xFFF9..=0xFFFB | 0xE000..=0xF8FF | 0xFFFE | 0xFFFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(src: &str) -> Dockerfile {
        parse(src).unwrap()
    }

    /// The rune-by-rune port [`parse_words`] replaced.
    fn parse_words_by_rune(rest: &str, escape: char) -> Vec<String> {
        #[derive(PartialEq, Clone, Copy)]
        enum Phase {
            Spaces,
            Word,
            Quote,
        }
        let mut words = Vec::new();
        let mut phase = Phase::Spaces;
        let mut quote = '\0';
        let mut blank_ok = false;
        let mut word = String::new();
        let mut it = rest.chars().peekable();
        loop {
            let at_end = it.peek().is_none();
            let mut ch = it.peek().copied().unwrap_or('\0');
            if phase == Phase::Spaces {
                if at_end {
                    break;
                }
                if go_is_space(ch) {
                    it.next();
                    continue;
                }
                phase = Phase::Word;
            }
            if at_end {
                if blank_ok || !word.is_empty() {
                    words.push(word);
                }
                break;
            }
            if phase == Phase::Word {
                if go_is_space(ch) {
                    phase = Phase::Spaces;
                    if blank_ok || !word.is_empty() {
                        words.push(std::mem::take(&mut word));
                    }
                    blank_ok = false;
                    it.next();
                    continue;
                }
                if ch == '\'' || ch == '"' {
                    quote = ch;
                    blank_ok = true;
                    phase = Phase::Quote;
                }
                if ch == escape {
                    it.next();
                    let Some(&next) = it.peek() else {
                        continue;
                    };
                    word.push(ch);
                    ch = next;
                }
                word.push(ch);
                it.next();
                continue;
            }
            // in quote
            if ch == quote {
                phase = Phase::Word;
            }
            if ch == escape && quote != '\'' {
                it.next();
                let Some(&next) = it.peek() else {
                    phase = Phase::Word;
                    continue;
                };
                word.push(ch);
                ch = next;
            }
            word.push(ch);
            it.next();
        }
        words
    }

    #[test]
    fn words_are_those_of_the_rune_by_rune_port() {
        let cases = [
            "",
            " ",
            "a",
            "a b",
            " a  b ",
            "a\\",
            "a\\ b",
            "'a b' c",
            "\"a\\\" b\" c",
            "'a\\' b",
            "k=\"v w\" x='y z'",
            "\"unterminated",
            "'",
            "\\",
            "é \\é ü\"ö\"",
            "a\\\n b",
            "\"\" ''",
            "a`",
            "a` b",
            "`",
            "\"a`\"",
            "x\u{85}y\u{a0}z",
        ];
        for src in cases {
            for esc in ['\\', '`'] {
                assert_eq!(
                    parse_words(src, esc),
                    parse_words_by_rune(src, esc),
                    "{src:?} {esc:?}"
                );
            }
        }
        // Random text over the characters the state machine cares about.
        let alphabet: Vec<char> = "ab =\t\\`'\"é\u{85}".chars().collect();
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20_000 {
            let mut src = String::new();
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 12) as usize;
            let mut r = seed;
            for _ in 0..len {
                src.push(alphabet[(r % alphabet.len() as u64) as usize]);
                r /= alphabet.len() as u64;
                if r == 0 {
                    r = seed.rotate_left(17) | 1;
                }
            }
            for esc in ['\\', '`'] {
                assert_eq!(
                    parse_words(&src, esc),
                    parse_words_by_rune(&src, esc),
                    "{src:?} {esc:?}"
                );
            }
        }
    }

    #[test]
    fn lines_are_split_as_split_inclusive_does() {
        for src in [
            "",
            "\n",
            "a",
            "a\n",
            "a\nb",
            "a\r\n\nb\n\n",
            "é\nü\r\n€x",
            &"x".repeat(100),
            &"ab\n".repeat(40),
        ] {
            let want: Vec<&str> = src.split_inclusive('\n').collect();
            assert_eq!(lines_inclusive(src), want, "{src:?}");
        }
    }

    #[test]
    fn continuation_keeps_leading_blanks_and_skips_comments() {
        let d = p("FROM a\nRUN a \\\n# c\n  b\n");
        let run = &d.instructions[1];
        assert_eq!(run.args, vec!["a   b"]);
        assert_eq!((run.start_line(), run.end_line()), (2, 4));
        assert_eq!(d.comments.len(), 1);
        assert_eq!(d.comments[0].line, 3);
    }

    #[test]
    fn escaped_escape_is_not_a_continuation() {
        let d = p("FROM a\nENV C x\\\\\nENV D y\n");
        assert_eq!(d.instructions.len(), 3);
    }

    #[test]
    fn heredocs_several_with_quotes_and_fd() {
        let d = p("FROM a\nCOPY <<A 3<<-\"B\" /d/\na1\nA\n\tb1\n\tB\nRUN x\n");
        let c = &d.instructions[1];
        assert_eq!(c.heredocs.len(), 2);
        assert_eq!(c.heredocs[0].name, "A");
        assert!(c.heredocs[0].expand);
        assert_eq!(c.heredocs[0].content, "a1\n");
        assert_eq!(c.heredocs[1].fd, 3);
        assert!(c.heredocs[1].chomp);
        assert!(!c.heredocs[1].expand);
        assert_eq!(c.heredocs[1].content, "\tb1\n");
        assert_eq!(c.end_line(), 6);
        assert_eq!(d.instructions[2].start_line(), 7);
    }

    #[test]
    fn unterminated_heredoc_is_an_error_with_lines() {
        let e = parse("FROM a\nRUN <<EOF\nx\n").unwrap_err();
        assert!(e.message.contains("unterminated heredoc"), "{}", e.message);
        assert_eq!(e.span.start.line, 2);
    }

    #[test]
    fn json_fallback_and_non_string_error() {
        let d = p("FROM a\nCMD [\"a\", 'b']\n");
        assert!(!d.instructions[1].json);
        assert_eq!(d.instructions[1].args, vec!["[\"a\", 'b']"]);
        let e = parse("FROM a\nCMD [\"a\", 1]\n").unwrap_err();
        assert!(e.message.contains("strings only"));
    }

    #[test]
    fn flags_and_double_dash() {
        let d = p("FROM a\nCOPY --from=x --chown=\"a b\" -- --weird /d\n");
        assert_eq!(d.instructions[1].flags, vec!["--from=x", "--chown=a b"]);
        assert_eq!(d.instructions[1].args, vec!["--weird", "/d"]);
        assert_eq!(d.instructions[1].flag("chown"), Some("a b"));
    }

    #[test]
    fn directives_only_at_top_and_backtick_escape() {
        let d = p("# syntax=docker/dockerfile:1\n# escape=`\nFROM a\nRUN a `\n  b\n# escape=\\\n");
        assert_eq!(d.escape, '`');
        assert_eq!(d.directives.len(), 2);
        assert_eq!(d.instructions[1].args, vec!["a   b"]);
        let e = parse("# escape=`\n# escape=`\nFROM a\n").unwrap_err();
        assert!(e.message.contains("only one escape"));
    }

    #[test]
    fn bom_and_crlf() {
        let d = p("\u{feff}FROM a\r\nRUN x \\\r\n  y\r\n");
        assert_eq!(d.instructions[0].args, vec!["a"]);
        assert_eq!(d.instructions[1].args, vec!["x   y"]);
        // Neither the BOM nor the CR is part of the line: `FROM a` spans
        // columns 1 to 7.
        assert_eq!(d.instructions[0].span.start.col, 1);
        assert_eq!(d.instructions[0].span.end.col, 7);
    }

    #[test]
    fn empty_and_comment_only_files_are_rejected() {
        assert!(parse("").is_err());
        assert!(parse("# only\n\n").is_err());
    }

    #[test]
    fn env_forms() {
        let d = p("FROM a\nENV a=b c=\"d e\"\nENV k v w\n");
        assert_eq!(
            d.instructions[1].args,
            vec!["a", "b", "=", "c", "\"d e\"", "="]
        );
        assert_eq!(d.instructions[2].args, vec!["k", "v w", ""]);
        assert!(parse("FROM a\nENV PATH\n").is_err());
    }

    #[test]
    fn onbuild_wraps_and_columns() {
        let d = p("FROM a\n  onbuild RUN x\n");
        let o = &d.instructions[1];
        assert_eq!(o.keyword, "onbuild");
        assert_eq!(o.onbuild.as_ref().unwrap().keyword_raw, "RUN");
        assert_eq!(o.span.start, Pos { line: 2, col: 3 });
    }

    #[test]
    fn too_long_line_is_an_error_not_a_crash() {
        let src = format!("FROM a\nRUN {}\n", "x".repeat(70_000));
        let e = parse(&src).unwrap_err();
        assert_eq!(e.span.start.line, 2);
    }

    #[test]
    fn go_quote_matches_go() {
        assert_eq!(go_quote("a\"b\\c\n\x01é"), "\"a\\\"b\\\\c\\n\\x01é\"");
    }
}
