//! The base images a Dockerfile's `FROM` lines name, as the builder would
//! resolve them: global `ARG`s (defaults, overridden by build args)
//! substituted, earlier stage names and `scratch` left out.

use std::collections::HashMap;

use crate::ast::Dockerfile;

/// The images of the `FROM` lines that are neither `scratch` nor an
/// earlier stage, in order, without repeats. Variables expand as the
/// builder expands them ([`expand`]: an unset one is empty); a name that
/// expands to nothing is left out (the builder reports it).
pub fn base_images(df: &Dockerfile, build_args: &HashMap<String, String>) -> Vec<String> {
    let mut globals: HashMap<String, String> = HashMap::new();
    let mut stages: Vec<String> = Vec::new();
    let mut out: Vec<String> = Vec::new();
    let mut seen_from = false;
    for i in &df.instructions {
        match i.keyword.as_str() {
            "arg" if !seen_from => {
                for a in &i.args {
                    let (k, v) = match a.split_once('=') {
                        Some((k, v)) => (k, Some(v)),
                        None => (a.as_str(), None),
                    };
                    let value = build_args
                        .get(k)
                        .cloned()
                        .or_else(|| v.map(|v| unquote(v).to_string()));
                    if let Some(value) = value {
                        globals.insert(k.to_string(), value);
                    }
                }
            }
            "from" => {
                seen_from = true;
                let Some(name) = i.args.first() else { continue };
                if let Some(alias) = i.args.get(2) {
                    stages.push(alias.to_ascii_lowercase());
                }
                let vals: HashMap<&str, &str> = globals
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                let image = expand(name, &vals);
                let lower = image.to_ascii_lowercase();
                if image.is_empty()
                    || lower == "scratch"
                    || stages[..stages.len().saturating_sub(usize::from(i.args.len() > 2))]
                        .contains(&lower)
                    || out.contains(&image)
                {
                    continue;
                }
                out.push(image);
            }
            _ => {}
        }
    }
    out
}

fn unquote(v: &str) -> &str {
    v.strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .or_else(|| v.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')))
        .unwrap_or(v)
}

/// Expand `$X`/`${X}`/`${X:-d}`/`${X-d}`/`${X:+d}`/`${X+d}` in a FROM word
/// with the given values (unknown names are empty); anything else (a lone
/// `$`, `${1}`, an unclosed `${`) is kept as written. By hand: the regex it
/// replaced (in the linter) took longer to build than linting a Dockerfile.
pub fn expand(s: &str, vals: &HashMap<&str, &str>) -> String {
    fn name_len(b: &[u8]) -> usize {
        match b.first() {
            Some(c) if c.is_ascii_alphabetic() || *c == b'_' => b
                .iter()
                .position(|c| !(c.is_ascii_alphanumeric() || *c == b'_'))
                .unwrap_or(b.len()),
            _ => 0,
        }
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        // `$NAME`
        let n = name_len(after.as_bytes());
        if n > 0 {
            out.push_str(vals.get(&after[..n]).copied().unwrap_or(""));
            rest = &after[n..];
            continue;
        }
        // `${NAME}`, `${NAME[:]-…}`, `${NAME[:]+…}`
        let braced = after.strip_prefix('{').and_then(|inner| {
            let n = name_len(inner.as_bytes());
            if n == 0 {
                return None;
            }
            let (name, tail) = inner.split_at(n);
            if let Some(r) = tail.strip_prefix('}') {
                return Some((name, None, "", r));
            }
            let t = tail.strip_prefix(':').unwrap_or(tail);
            let op = t.chars().next().filter(|c| matches!(c, '-' | '+'))?;
            let (word, r) = t[1..].split_once('}')?;
            Some((name, Some(op), word, r))
        });
        match braced {
            Some((name, op, word, r)) => {
                let val = vals.get(name).copied().unwrap_or("");
                out.push_str(match op {
                    Some('-') if val.is_empty() => word,
                    Some('+') if !val.is_empty() => word,
                    Some('+') => "",
                    _ => val,
                });
                rest = r;
            }
            None => {
                out.push('$');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bases(text: &str, args: &[(&str, &str)]) -> Vec<String> {
        let args = args
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        base_images(&crate::parse(text).unwrap(), &args)
    }

    #[test]
    fn stages_scratch_and_args_are_resolved() {
        let text =
            "ARG NODE=node:20\nARG PY\nFROM ${NODE} AS assets\nRUN x\nFROM scratch AS empty\n\
                    FROM $PY AS app\nCOPY --from=assets /a /a\nFROM assets\nFROM app AS final\n\
                    FROM ${BASE:-busybox:1}\nFROM ${NODE}\n";
        assert_eq!(bases(text, &[]), ["node:20", "busybox:1"]);
        assert_eq!(
            bases(text, &[("PY", "python:3"), ("NODE", "node:22")]),
            ["node:22", "python:3", "busybox:1"]
        );
        // a stage's own name is not an earlier stage
        assert_eq!(bases("FROM busybox AS busybox\n", &[]), ["busybox"]);
        assert_eq!(
            bases("FROM --platform=linux/amd64 Alpine:3\n", &[]),
            ["Alpine:3"]
        );
    }
}
