//! devctl's own DC rules (DC1001–DC1005)

use crate::lint::{Ctx, Finding, RuleInfo};

pub const RULES: &[RuleInfo] = &[];

pub fn check(_ctx: &Ctx, _out: &mut Vec<Finding>) {}
