//! The only module that touches the YAML crate (yaml_serde, the YAML
//! organisation's maintained fork of serde_yaml; keeping it behind these
//! functions lets us swap it).
//!
//! Output goes through yaml_serde's `Value` (which keeps key order) and a
//! small emitter of our own that quotes every string a YAML 1.1 reader
//! (PyYAML, so docker-compose 1.x) or a YAML 1.2 reader could take for
//! something else: `yes`/`on`/`no`, numbers, `8000:8000` (base 60 in YAML
//! 1.1), leading `-`, `*`, `&`, `!`… Such strings are written in double
//! quotes; everything else is plain.

use std::fmt::Write;

use serde::de::DeserializeOwned;
use serde::Serialize;

/// Serialises a value as a YAML document (block style, no leading `---`).
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> anyhow::Result<String> {
    let v = yaml_serde::to_value(value)?;
    let mut out = String::new();
    emit_block(&mut out, &v, 0)?;
    if !out.ends_with('\n') {
        out.push('\n');
    }
    Ok(out)
}

/// Like [`to_string`], with every string of the document (keys and
/// values) passed through `map` first: `devctl config` masks whole scalar
/// values this way, so the masked text is still the same YAML document.
pub fn to_string_mapped<T: Serialize + ?Sized>(
    value: &T,
    map: &dyn Fn(&str) -> String,
) -> anyhow::Result<String> {
    let mut v = yaml_serde::to_value(value)?;
    map_strings(&mut v, map);
    let mut out = String::new();
    emit_block(&mut out, &v, 0)?;
    if !out.ends_with('\n') {
        out.push('\n');
    }
    Ok(out)
}

/// The same value with every string value (not map keys) passed through
/// `map`, by way of the YAML data model.
pub fn map_value_strings<T: Serialize + DeserializeOwned>(
    value: &T,
    map: &dyn Fn(&str) -> String,
) -> anyhow::Result<T> {
    fn walk(v: &mut Value, map: &dyn Fn(&str) -> String) {
        match v {
            Value::String(s) => *s = map(s),
            Value::Sequence(items) => items.iter_mut().for_each(|x| walk(x, map)),
            Value::Mapping(m) => m.iter_mut().for_each(|(_, x)| walk(x, map)),
            Value::Tagged(t) => walk(&mut t.value, map),
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }
    let mut v = yaml_serde::to_value(value)?;
    walk(&mut v, map);
    Ok(yaml_serde::from_value(v)?)
}

fn map_strings(v: &mut Value, map: &dyn Fn(&str) -> String) {
    match v {
        Value::String(s) => *s = map(s),
        Value::Sequence(items) => items.iter_mut().for_each(|x| map_strings(x, map)),
        Value::Mapping(m) => {
            for (mut k, mut x) in std::mem::take(m) {
                map_strings(&mut k, map);
                map_strings(&mut x, map);
                m.insert(k, x);
            }
        }
        Value::Tagged(t) => map_strings(&mut t.value, map),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// Parses a YAML document.
pub fn from_str<T: DeserializeOwned>(text: &str) -> anyhow::Result<T> {
    Ok(yaml_serde::from_str(text)?)
}

/// A YAML value (the keys devctl does not model are kept as these).
pub use yaml_serde::{Mapping, Value};

/// Compose interpolation of a generated file: `$$` → `$` in every string.
fn unescape(v: &mut Value) {
    match v {
        Value::String(s) if s.contains("$$") => *s = s.replace("$$", "$"),
        Value::Sequence(seq) => seq.iter_mut().for_each(unescape),
        Value::Mapping(m) => m.iter_mut().for_each(|(_, v)| unescape(v)),
        Value::Tagged(t) => unescape(&mut t.value),
        _ => {}
    }
}

/// Parses a compose file devctl generated: `$$` in any string is a
/// literal `$` (compose's escape; nothing else is interpolated). The error
/// is the parser's message with its position.
pub fn from_str_unescaped<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    let mut value: Value =
        yaml_serde::from_str(text).map_err(|e| format!("not valid YAML: {e}"))?;
    unescape(&mut value);
    yaml_serde::from_value(value).map_err(|e| e.to_string())
}

/// A YAML parse error and where it is (1-based; 1:1 when unknown).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// The message without the parser's own " at line L column C" suffix.
    pub message: String,
    pub line: usize,
    pub column: usize,
}

/// Parses a YAML document; `Ok(None)` for an empty one (nothing, or only
/// comments). Errors carry their position.
pub fn from_str_located<T: DeserializeOwned>(text: &str) -> Result<Option<T>, Located> {
    if matches!(yaml_serde::from_str::<Value>(text), Ok(Value::Null)) {
        return Ok(None);
    }
    yaml_serde::from_str(text).map(Some).map_err(|e| {
        let msg = e.to_string();
        let message = match msg.find(" at line ") {
            Some(i) => msg[..i].to_string(),
            None => msg,
        };
        let (line, column) = e
            .location()
            .map(|loc| (loc.line(), loc.column()))
            .unwrap_or((1, 1));
        Located {
            message,
            line,
            column,
        }
    })
}

fn indent(out: &mut String, n: usize) {
    for _ in 0..n {
        out.push_str("  ");
    }
}

/// A value at block level (a document or the value of a key on its own lines).
fn emit_block(out: &mut String, v: &Value, depth: usize) -> anyhow::Result<()> {
    match v {
        Value::Mapping(m) if !m.is_empty() => {
            for (k, val) in m {
                indent(out, depth);
                out.push_str(&scalar(k)?);
                out.push(':');
                emit_after_key(out, val, depth)?;
            }
        }
        Value::Sequence(s) if !s.is_empty() => {
            for item in s {
                indent(out, depth);
                out.push('-');
                match item {
                    Value::Mapping(m) if !m.is_empty() => {
                        // First key on the dash line, the rest aligned under it.
                        let mut first = true;
                        for (k, val) in m {
                            if first {
                                out.push(' ');
                                first = false;
                            } else {
                                indent(out, depth + 1);
                            }
                            out.push_str(&scalar(k)?);
                            out.push(':');
                            emit_after_key(out, val, depth + 1)?;
                        }
                    }
                    Value::Sequence(s) if !s.is_empty() => {
                        out.push('\n');
                        emit_block(out, item, depth + 1)?;
                    }
                    _ => {
                        out.push(' ');
                        out.push_str(&scalar(item)?);
                        out.push('\n');
                    }
                }
            }
        }
        other => {
            indent(out, depth);
            out.push_str(&scalar(other)?);
            out.push('\n');
        }
    }
    Ok(())
}

fn emit_after_key(out: &mut String, val: &Value, depth: usize) -> anyhow::Result<()> {
    match val {
        Value::Mapping(m) if !m.is_empty() => {
            out.push('\n');
            emit_block(out, val, depth + 1)
        }
        Value::Sequence(s) if !s.is_empty() => {
            out.push('\n');
            emit_block(out, val, depth)
        }
        _ => {
            out.push(' ');
            out.push_str(&scalar(val)?);
            out.push('\n');
            Ok(())
        }
    }
}

fn scalar(v: &Value) -> anyhow::Result<String> {
    Ok(match v {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => string(s),
        Value::Mapping(m) if m.is_empty() => "{}".to_string(),
        Value::Sequence(s) if s.is_empty() => "[]".to_string(),
        Value::Tagged(_) | Value::Mapping(_) | Value::Sequence(_) => {
            anyhow::bail!("cannot write a nested collection or tag as a YAML key or inline value")
        }
    })
}

/// Words YAML 1.1 or 1.2 resolve to booleans or null.
const SPECIAL_WORDS: &[&str] = &[
    "y", "n", "yes", "no", "true", "false", "on", "off", "null", "~",
];

/// True when `s` can be written without quotes and read back as the same
/// string by YAML 1.1 and 1.2 readers.
pub fn plain_ok(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if !(first.is_ascii_alphabetic() || first == '_' || first == '/') {
        return false;
    }
    if SPECIAL_WORDS.contains(&s.to_ascii_lowercase().as_str()) {
        return false;
    }
    if s.ends_with(':') || s.contains(": ") || s.contains(" #") || s.ends_with(' ') {
        return false;
    }
    s.chars()
        .all(|c| c.is_ascii_alphanumeric() || " _./:@+=,-()'%^".contains(c))
}

fn string(s: &str) -> String {
    if plain_ok(s) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Parses a compose file as a user wrote it, into a YAML value: anchors
/// resolved and `<<` merge keys applied (as compose reads them), nothing
/// interpolated (`${VAR}` and `$$` stay as written). Errors carry their
/// position.
pub fn value_with_merges(text: &str) -> Result<Value, Located> {
    let locate = |e: yaml_serde::Error| {
        let msg = e.to_string();
        let message = match msg.find(" at line ") {
            Some(i) => msg[..i].to_string(),
            None => msg,
        };
        let (line, column) = e
            .location()
            .map(|loc| (loc.line(), loc.column()))
            .unwrap_or((1, 1));
        Located {
            message,
            line,
            column,
        }
    };
    let mut v: Value = yaml_serde::from_str(text).map_err(locate)?;
    v.apply_merge().map_err(locate)?;
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn round_trips_and_quotes_ambiguous_strings() {
        let mut m = BTreeMap::new();
        for (k, v) in [
            ("port", "127.0.0.1:8000:8000"),
            ("sexagesimal", "8000:8000"),
            ("flag", "true"),
            ("yes", "yes"),
            ("On", "On"),
            ("num", "8000"),
            ("float", "1.5"),
            ("dash", "-c"),
            ("star", "*x"),
            ("quote", "say \"hi\"\n"),
            ("empty", ""),
            ("plain", "python:3.12-slim"),
            ("shell", "trap 'exit 0' TERM INT; wait $$!"),
        ] {
            m.insert(k.to_string(), v.to_string());
        }
        let text = to_string(&m).unwrap();
        let back: BTreeMap<String, String> = from_str(&text).unwrap();
        assert_eq!(back, m);
        for quoted in [
            "flag: \"true\"",
            "\"yes\": \"yes\"",
            "\"On\": \"On\"",
            "num: \"8000\"",
            "sexagesimal: \"8000:8000\"",
            "dash: \"-c\"",
            "empty: \"\"",
        ] {
            assert!(text.contains(quoted), "{quoted} in\n{text}");
        }
        assert!(text.contains("plain: python:3.12-slim\n"), "{text}");
    }

    #[derive(Serialize)]
    struct Doc {
        name: String,
        list: Vec<String>,
        nested: BTreeMap<String, Vec<u32>>,
        empty: BTreeMap<String, String>,
        maps: Vec<BTreeMap<String, String>>,
        none: Option<u32>,
        yes: bool,
    }

    #[test]
    fn block_layout() {
        let doc = Doc {
            name: "x".into(),
            list: vec!["a".into(), "b c".into()],
            nested: [("k".to_string(), vec![1, 2])].into_iter().collect(),
            empty: BTreeMap::new(),
            maps: vec![[
                ("a".to_string(), "1".to_string()),
                ("b".to_string(), "2".to_string()),
            ]
            .into_iter()
            .collect()],
            none: None,
            yes: true,
        };
        let text = to_string(&doc).unwrap();
        assert_eq!(
            text,
            "name: x\nlist:\n- a\n- b c\nnested:\n  k:\n  - 1\n  - 2\nempty: {}\nmaps:\n- a: \"1\"\n  b: \"2\"\nnone: null\n\"yes\": true\n"
        );
        let v: yaml_serde::Value = from_str(&text).unwrap();
        assert_eq!(v["nested"]["k"][1].as_u64(), Some(2));
        assert_eq!(v["maps"][0]["b"].as_str(), Some("2"));
    }

    #[test]
    fn bad_yaml_is_an_error() {
        assert!(from_str::<BTreeMap<String, String>>("a: [").is_err());
    }
}
