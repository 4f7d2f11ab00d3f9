//! The base images a Dockerfile's `FROM` lines name, as the builder would
//! resolve them: global `ARG`s (defaults, overridden by build args)
//! substituted, earlier stage names and `scratch` left out.

use std::collections::HashMap;

use crate::ast::Dockerfile;

/// The images of the `FROM` lines that are neither `scratch` nor an
/// earlier stage, in order, without repeats. A name whose variables cannot
/// be resolved is left out (the builder reports it).
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
                let Some(image) = expand(name, &globals) else {
                    continue;
                };
                let lower = image.to_ascii_lowercase();
                if lower == "scratch"
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

/// `$VAR`, `${VAR}`, `${VAR:-default}` and `${VAR-default}`; None when a
/// variable has no value and no default.
fn expand(s: &str, vars: &HashMap<String, String>) -> Option<String> {
    let mut out = String::new();
    let mut rest = s;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(body) = after.strip_prefix('{') {
            let end = body.find('}')?;
            let inner = &body[..end];
            let (name, default, colon) = match inner.find(['-', ':']) {
                Some(p) if inner[p..].starts_with(":-") => {
                    (&inner[..p], Some(&inner[p + 2..]), true)
                }
                Some(p) if inner[p..].starts_with('-') => {
                    (&inner[..p], Some(&inner[p + 1..]), false)
                }
                Some(_) => return None,
                None => (inner, None, false),
            };
            match (vars.get(name), default) {
                (Some(v), Some(d)) if colon && v.is_empty() => out.push_str(d),
                (Some(v), _) => out.push_str(v),
                (None, Some(d)) => out.push_str(d),
                (None, None) => return None,
            }
            rest = &body[end + 1..];
        } else {
            let len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            if len == 0 {
                out.push('$');
                rest = after;
                continue;
            }
            out.push_str(vars.get(&after[..len])?);
            rest = &after[len..];
        }
    }
    out.push_str(rest);
    Some(out)
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
