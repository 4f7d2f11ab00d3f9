//! hadolint DL rules that read RUN scripts (shell parsing): package managers, sudo, cd, pipefail, … plus DC1006/DC1007

use crate::lint::{Ctx, Finding, RuleInfo};

pub const RULES: &[RuleInfo] = &[];

pub fn check(_ctx: &Ctx, _out: &mut Vec<Finding>) {}
