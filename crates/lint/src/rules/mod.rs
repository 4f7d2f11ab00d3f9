//! Rule families. Add a family: a module with `RULES` and `check`, listed in
//! [`FAMILIES`].

pub mod buildkit;
pub mod dc;
pub mod dl;
pub mod dl_run;

use std::collections::HashMap;
use std::sync::LazyLock;

use super::{Ctx, Finding, RuleInfo, Severity};

type Check = fn(&Ctx, &mut Vec<Finding>);

/// Every family's rules and checker.
const FAMILIES: &[(&[RuleInfo], Check)] = &[
    (dl::RULES, dl::check),
    (dl_run::RULES, dl_run::check),
    (buildkit::RULES, buildkit::check),
    (dc::RULES, dc::check),
    (super::DRIVER_RULES, super::driver_check),
];

/// Run every rule family.
pub fn check_all(ctx: &Ctx, out: &mut Vec<Finding>) {
    for (_, check) in FAMILIES {
        check(ctx, out);
    }
}

/// All known rules, in family order.
pub fn all() -> impl Iterator<Item = &'static RuleInfo> {
    FAMILIES.iter().flat_map(|(rules, _)| rules.iter())
}

/// The rule's default severity (Warning for an unknown code).
pub fn default_severity(code: &str) -> Severity {
    // Asked once per finding: a map, not a walk of every family's table.
    static BY_CODE: LazyLock<HashMap<&'static str, Severity>> = LazyLock::new(|| {
        let mut m = HashMap::new();
        for r in all() {
            // The first family listing a code wins, as before.
            m.entry(r.code).or_insert(r.severity);
        }
        m
    });
    BY_CODE.get(code).copied().unwrap_or(Severity::Warning)
}
