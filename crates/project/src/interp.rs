//! Compose's variable interpolation, as a pure function.
//!
//! Rules (compose-spec "Interpolation"):
//! - `$$` is a literal `$`;
//! - `$VAR` and `${VAR}` are the variable's value, empty (with a warning) when unset;
//! - `${VAR:-default}`: default when unset or empty; `${VAR-default}`: when unset;
//! - `${VAR:?message}`: error when unset or empty; `${VAR?message}`: when unset;
//! - `${VAR:+alt}`: alt when set and non-empty, else empty; `${VAR+alt}`: alt when set;
//! - defaults, messages and alternatives are interpolated themselves (nesting);
//! - any other `$` (followed by a digit, a space, the end…) is an error: write `$$`.

use std::fmt;

/// Why a string could not be interpolated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InterpError {
    /// `${VAR:?message}` / `${VAR?message}` with the variable unset (or empty
    /// for `:?`). `expr` is the whole `${…}` as written.
    Required {
        var: String,
        message: String,
        expr: String,
    },
    /// A `$` that starts no valid substitution.
    Invalid { text: String, reason: String },
}

impl fmt::Display for InterpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InterpError::Required { var, message, .. } => {
                if message.is_empty() {
                    write!(
                        f,
                        "required variable `{var}` is not set (set it in .env or the environment)"
                    )
                } else {
                    write!(f, "required variable `{var}` is not set: {message}")
                }
            }
            InterpError::Invalid { text, reason } => {
                write!(
                    f,
                    "invalid interpolation in {text:?}: {reason} (write `$$` for a literal `$`)"
                )
            }
        }
    }
}

impl std::error::Error for InterpError {}

/// The result: the value and the variables that were unset and had no default.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Interpolated {
    pub value: String,
    pub unset: Vec<String>,
}

fn is_name_start(c: char) -> bool {
    c == '_' || c.is_ascii_alphabetic()
}
fn is_name_char(c: char) -> bool {
    c == '_' || c.is_ascii_alphanumeric()
}

/// Interpolates `input`, looking variables up with `lookup`.
pub fn interpolate(
    input: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Interpolated, InterpError> {
    let mut out = Interpolated::default();
    let value = expand(input, input, lookup, &mut out.unset)?;
    out.value = value;
    Ok(out)
}

/// True when `s` contains a `$` (so interpolation may change it).
pub fn has_dollar(s: &str) -> bool {
    s.contains('$')
}

fn expand(
    s: &str,
    whole: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    unset: &mut Vec<String>,
) -> Result<String, InterpError> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        let mut chars = after.chars();
        match chars.next() {
            Some('$') => {
                out.push('$');
                rest = &after[1..];
            }
            Some('{') => {
                let close = matching_brace(&after[1..]).ok_or_else(|| InterpError::Invalid {
                    text: whole.to_string(),
                    reason: "`${` without a closing `}`".into(),
                })?;
                let inner = &after[1..1 + close];
                let expr = &rest[pos..pos + 2 + close + 1];
                out.push_str(&braced(inner, expr, whole, lookup, unset)?);
                rest = &after[1 + close + 1..];
            }
            Some(c) if is_name_start(c) => {
                let len = after
                    .char_indices()
                    .find(|&(_, c)| !is_name_char(c))
                    .map_or(after.len(), |(i, _)| i);
                let name = &after[..len];
                match lookup(name) {
                    Some(v) => out.push_str(&v),
                    None => note_unset(unset, name),
                }
                rest = &after[len..];
            }
            _ => {
                return Err(InterpError::Invalid {
                    text: whole.to_string(),
                    reason: "`$` is not followed by a variable name, `{` or `$`".into(),
                })
            }
        }
    }
    out.push_str(rest);
    Ok(out)
}

fn note_unset(unset: &mut Vec<String>, name: &str) {
    if !unset.iter().any(|u| u == name) {
        unset.push(name.to_string());
    }
}

/// Index (in `s`) of the `}` closing a `${` whose body starts at `s[0]`.
fn matching_brace(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'$' if bytes.get(i + 1) == Some(&b'$') => i += 1,
            b'$' if bytes.get(i + 1) == Some(&b'{') => {
                depth += 1;
                i += 1;
            }
            b'}' => {
                if depth == 0 {
                    return Some(i);
                }
                depth -= 1;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

fn braced(
    inner: &str,
    expr: &str,
    whole: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    unset: &mut Vec<String>,
) -> Result<String, InterpError> {
    let name_len = inner
        .char_indices()
        .find(|&(_, c)| !is_name_char(c))
        .map_or(inner.len(), |(i, _)| i);
    let name = &inner[..name_len];
    if name.is_empty() || !name.starts_with(is_name_start) {
        return Err(InterpError::Invalid {
            text: whole.to_string(),
            reason: format!("`{expr}` does not start with a variable name"),
        });
    }
    let op = &inner[name_len..];
    let value = lookup(name);
    let set = value.is_some();
    let nonempty = value.as_deref().is_some_and(|v| !v.is_empty());
    let (colon, op) = match op.strip_prefix(':') {
        Some(o) => (true, o),
        None => (false, op),
    };
    if op.is_empty() {
        if colon {
            return Err(InterpError::Invalid {
                text: whole.to_string(),
                reason: format!("`{expr}`: `:` must be followed by `-`, `?` or `+`"),
            });
        }
        return Ok(match value {
            Some(v) => v,
            None => {
                note_unset(unset, name);
                String::new()
            }
        });
    }
    let present = if colon { nonempty } else { set };
    let (kind, arg) = op.split_at(1);
    match kind {
        "-" => {
            if present {
                Ok(value.unwrap_or_default())
            } else {
                expand(arg, whole, lookup, unset)
            }
        }
        "?" => {
            if present {
                Ok(value.unwrap_or_default())
            } else {
                Err(InterpError::Required {
                    var: name.to_string(),
                    message: expand(arg, whole, lookup, unset)?,
                    expr: expr.to_string(),
                })
            }
        }
        "+" => {
            if present {
                expand(arg, whole, lookup, unset)
            } else {
                Ok(String::new())
            }
        }
        _ => Err(InterpError::Invalid {
            text: whole.to_string(),
            reason: format!("`{expr}`: unsupported operator after `{name}`"),
        }),
    }
}

/// Escapes a final value for a compose file (which compose interpolates
/// again): every `$` becomes `$$`.
pub fn escape(s: &str) -> String {
    s.replace('$', "$$")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn run(s: &str) -> Result<Interpolated, InterpError> {
        let env: HashMap<&str, &str> = [("SET", "value"), ("EMPTY", ""), ("N", "42")]
            .into_iter()
            .collect();
        interpolate(s, &|k| env.get(k).map(|v| v.to_string()))
    }
    fn ok(s: &str) -> String {
        run(s).unwrap().value
    }

    #[test]
    fn plain_text_is_unchanged() {
        assert_eq!(ok("no dollars here"), "no dollars here");
        assert_eq!(ok(""), "");
    }

    #[test]
    fn simple_and_braced_forms() {
        assert_eq!(ok("$SET"), "value");
        assert_eq!(ok("${SET}"), "value");
        assert_eq!(ok("a-$SET-b"), "a-value-b");
        assert_eq!(ok("$SET.x"), "value.x");
        assert_eq!(ok("${N}${N}"), "4242");
        assert_eq!(ok("$N$N"), "4242");
    }

    #[test]
    fn dollar_dollar_is_a_literal() {
        assert_eq!(ok("$$"), "$");
        assert_eq!(ok("$$SET"), "$SET");
        assert_eq!(ok("a$$$SET"), "a$value");
        assert_eq!(ok("sh -c 'echo $$HOME'"), "sh -c 'echo $HOME'");
    }

    #[test]
    fn unset_is_empty_and_reported() {
        let r = run("x${NOPE}y$NOPE2").unwrap();
        assert_eq!(r.value, "xy");
        assert_eq!(r.unset, vec!["NOPE".to_string(), "NOPE2".to_string()]);
        assert!(run("$SET").unwrap().unset.is_empty());
    }

    #[test]
    fn colon_dash_default_applies_to_unset_and_empty() {
        assert_eq!(ok("${NOPE:-d}"), "d");
        assert_eq!(ok("${EMPTY:-d}"), "d");
        assert_eq!(ok("${SET:-d}"), "value");
        assert!(run("${NOPE:-d}").unwrap().unset.is_empty());
    }

    #[test]
    fn dash_default_applies_to_unset_only() {
        assert_eq!(ok("${NOPE-d}"), "d");
        assert_eq!(ok("${EMPTY-d}"), "");
        assert_eq!(ok("${SET-d}"), "value");
    }

    #[test]
    fn defaults_nest_and_may_be_empty_or_contain_colons() {
        assert_eq!(ok("${NOPE:-${SET}}"), "value");
        assert_eq!(ok("${NOPE:-${ALSO:-deep}}"), "deep");
        assert_eq!(ok("${NOPE:-}"), "");
        assert_eq!(ok("${NOPE:-0.0.0.0:8000}"), "0.0.0.0:8000");
        assert_eq!(ok("${NOPE:-$$x}"), "$x");
    }

    #[test]
    fn colon_question_errors_on_unset_and_empty() {
        let e = run("${NOPE:?please set NOPE}").unwrap_err();
        assert_eq!(
            e,
            InterpError::Required {
                var: "NOPE".into(),
                message: "please set NOPE".into(),
                expr: "${NOPE:?please set NOPE}".into()
            }
        );
        assert!(e.to_string().contains("`NOPE`"));
        assert!(e.to_string().contains("please set NOPE"));
        assert!(matches!(
            run("${EMPTY:?m}"),
            Err(InterpError::Required { .. })
        ));
        assert_eq!(ok("${SET:?m}"), "value");
    }

    #[test]
    fn question_errors_on_unset_only() {
        assert!(matches!(
            run("${NOPE?m}"),
            Err(InterpError::Required { .. })
        ));
        assert_eq!(ok("${EMPTY?m}"), "");
        let e = run("${NOPE?}").unwrap_err();
        assert!(e
            .to_string()
            .contains("required variable `NOPE` is not set"));
    }

    #[test]
    fn plus_alternative() {
        assert_eq!(ok("${SET:+alt}"), "alt");
        assert_eq!(ok("${EMPTY:+alt}"), "");
        assert_eq!(ok("${NOPE:+alt}"), "");
        assert_eq!(ok("${EMPTY+alt}"), "alt");
        assert_eq!(ok("${NOPE+alt}"), "");
        assert_eq!(ok("${SET:+$N}"), "42");
    }

    #[test]
    fn invalid_forms_are_errors() {
        for bad in [
            "$", "a $ b", "$1", "${", "${SET", "${}", "${1A}", "${SET:}", "${SET:x}", "${SET!}",
        ] {
            assert!(
                matches!(run(bad), Err(InterpError::Invalid { .. })),
                "{bad:?} should be invalid"
            );
        }
    }

    #[test]
    fn escape_doubles_dollars() {
        assert_eq!(escape("a$b$$c"), "a$$b$$$$c");
        assert_eq!(escape("plain"), "plain");
    }

    #[test]
    fn escape_then_interpolate_round_trips() {
        for s in ["$HOME", "a$$b", "${X:-y}", "trap 'exit 0' TERM; wait $!"] {
            assert_eq!(ok(&escape(s)), s);
        }
    }

    proptest::proptest! {
        #[test]
        fn escaped_text_interpolates_back_to_itself(s in "\\PC*") {
            proptest::prop_assert_eq!(ok(&escape(&s)), s);
        }

        #[test]
        fn never_panics(s in "[$a-zA-Z_{}:?+\\-0-9 ]*") {
            let _ = run(&s);
        }
    }
}
