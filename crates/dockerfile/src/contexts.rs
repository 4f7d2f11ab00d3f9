//! Named build contexts that are images (compose's `build.additional_contexts`
//! with `service:NAME`, which compose turns into the built image of NAME, or
//! `docker-image://IMAGE`). The engine's build API takes no named contexts,
//! so devctl writes the image where BuildKit's `dockerfile2llb` would use the
//! context: `FROM NAME`, `COPY`/`ADD --from=NAME` and `RUN
//! --mount=…,from=NAME`. As there, a context overrides a stage or an image of
//! the same name (stage names compare without case). Pure.
//!
//! Line numbers stay: a rewritten `FROM` takes its first line and its other
//! lines become empty; a flag is replaced where it is written.

use std::collections::BTreeMap;

use crate::ast::{Dockerfile, Instruction};

/// `src` (parsed as `df`) with each use of a context of `images` (name →
/// image) naming the image, and what changed by line; `None` when nothing
/// uses them.
pub fn name_contexts(
    src: &str,
    df: &Dockerfile,
    images: &BTreeMap<String, String>,
) -> Option<(String, Vec<(usize, String)>)> {
    let image_of = |name: &str| {
        images
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(k, v)| (k.as_str(), v.as_str()))
    };
    let mut lines: Vec<String> = src.lines().map(str::to_string).collect();
    let mut changes = Vec::new();
    for inst in &df.instructions {
        let line = inst.start_line();
        match inst.keyword.as_str() {
            "from" => {
                let Some((name, image)) = inst.args.first().and_then(|b| image_of(b)) else {
                    continue;
                };
                let mut new = inst.keyword_raw.clone();
                for f in &inst.flags {
                    new.push(' ');
                    new.push_str(f);
                }
                new.push(' ');
                new.push_str(image);
                for a in &inst.args[1..] {
                    new.push(' ');
                    new.push_str(a);
                }
                lines[line - 1] = new;
                for n in line + 1..=inst.end_line().min(lines.len()) {
                    lines[n - 1] = String::new();
                }
                changes.push((
                    line,
                    format!("FROM {name}: the context `{name}` is {image}"),
                ));
            }
            "copy" | "add" | "run" => {
                for flag in &inst.flags {
                    let Some(new) = renamed_flag(inst, flag, &image_of) else {
                        continue;
                    };
                    if replace_in(&mut lines, inst, flag, &new.0) {
                        changes.push((line, new.1));
                    }
                }
            }
            _ => {}
        }
    }
    if changes.is_empty() {
        return None;
    }
    let mut text = lines.join("\n");
    if src.ends_with('\n') {
        text.push('\n');
    }
    Some((text, changes))
}

/// `--from=NAME` (COPY, ADD) or `--mount=…,from=NAME,…` (RUN) naming a
/// context: the flag naming its image instead, and the note.
fn renamed_flag<'a>(
    inst: &Instruction,
    flag: &str,
    image_of: &dyn Fn(&str) -> Option<(&'a str, &'a str)>,
) -> Option<(String, String)> {
    let kw = inst.keyword.to_uppercase();
    if inst.keyword != "run" {
        let from = flag.strip_prefix("--from=")?;
        let (name, image) = image_of(from)?;
        return Some((
            format!("--from={image}"),
            format!("{kw} --from={name}: the context `{name}` is {image}"),
        ));
    }
    let mount = flag.strip_prefix("--mount=")?;
    let mut hit = None;
    let fields: Vec<String> = mount
        .split(',')
        .map(|f| match f.split_once('=') {
            Some((k, v)) if k.eq_ignore_ascii_case("from") => match image_of(v) {
                Some((name, image)) => {
                    hit = Some((name, image));
                    format!("{k}={image}")
                }
                None => f.to_string(),
            },
            _ => f.to_string(),
        })
        .collect();
    let (name, image) = hit?;
    Some((
        format!("--mount={}", fields.join(",")),
        format!("RUN --mount=…,from={name}: the context `{name}` is {image}"),
    ))
}

/// Replaces the first `old` in the instruction's lines with `new`.
fn replace_in(lines: &mut [String], inst: &Instruction, old: &str, new: &str) -> bool {
    for n in inst.start_line()..=inst.end_line().min(lines.len()) {
        if let Some(at) = lines[n - 1].find(old) {
            lines[n - 1].replace_range(at..at + old.len(), new);
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(src: &str, ctx: &[(&str, &str)]) -> Option<(String, Vec<(usize, String)>)> {
        let df = crate::parse(src).unwrap();
        let images = ctx
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        name_contexts(src, &df, &images)
    }

    #[test]
    fn from_copy_and_mount_name_the_context_image_and_lines_stay() {
        let src = "FROM base AS app\nCOPY --from=base /a /b\nRUN --mount=type=bind,from=base,target=/m \\\n    ls /m\nCOPY --from=other /c /d\nFROM \\\n  alpine\n";
        let (text, changes) =
            run(src, &[("base", "p-base:dev"), ("alpine", "alpine:3.19")]).unwrap();
        assert_eq!(
            text,
            "FROM p-base:dev AS app\nCOPY --from=p-base:dev /a /b\nRUN --mount=type=bind,from=p-base:dev,target=/m \\\n    ls /m\nCOPY --from=other /c /d\nFROM alpine:3.19\n\n"
        );
        assert_eq!(
            changes.iter().map(|c| c.0).collect::<Vec<_>>(),
            [1, 2, 3, 6]
        );
        // the result parses, with the same line numbers
        let df = crate::parse(&text).unwrap();
        let lines: Vec<usize> = df.instructions.iter().map(|i| i.start_line()).collect();
        assert_eq!(lines, [1, 2, 3, 5, 6]);
    }

    #[test]
    fn a_context_overrides_a_stage_of_its_name_without_case() {
        let src = "FROM alpine AS Base\nRUN true\nFROM base\nCOPY --from=BASE /x /y\n";
        let (text, _) = run(src, &[("base", "img")]).unwrap();
        assert_eq!(
            text,
            "FROM alpine AS Base\nRUN true\nFROM img\nCOPY --from=img /x /y\n"
        );
    }

    #[test]
    fn nothing_changes_when_no_instruction_uses_a_context() {
        assert_eq!(
            run("FROM alpine\nCOPY --from=x /a /b\n", &[("base", "img")]),
            None
        );
    }
}
