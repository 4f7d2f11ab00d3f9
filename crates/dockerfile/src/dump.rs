//! BuildKit's `Node.Dump()` format, used by the conformance tests against
//! BuildKit's own parser cases.

use super::ast::{Dockerfile, Instruction};
use super::parser::go_quote;

/// One line per instruction: `(keyword ["--flag" …] "arg" …)`.
pub fn dump(d: &Dockerfile) -> String {
    let mut out = String::new();
    for inst in &d.instructions {
        out.push('(');
        out.push_str(&dump_instruction(inst));
        out.push_str(")\n");
    }
    out.trim().to_string()
}

fn dump_instruction(inst: &Instruction) -> String {
    let mut s = inst.keyword.clone();
    if !inst.flags.is_empty() {
        let flags: Vec<String> = inst.flags.iter().map(|f| go_quote(f)).collect();
        s.push_str(&format!(" [{}]", flags.join(" ")));
    }
    if let Some(inner) = &inst.onbuild {
        s.push_str(&format!(" ({})", dump_instruction(inner)));
    }
    for a in &inst.args {
        s.push(' ');
        s.push_str(&go_quote(a));
    }
    s.trim().to_string()
}
