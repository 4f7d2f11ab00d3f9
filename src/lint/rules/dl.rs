//! hadolint DL rules on instructions (FROM, COPY, LABEL, USER, …)

use crate::lint::{Ctx, Finding, RuleInfo};

pub const RULES: &[RuleInfo] = &[];

pub fn check(_ctx: &Ctx, _out: &mut Vec<Finding>) {}
