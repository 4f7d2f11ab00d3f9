//! The one integration-test binary. Modules by area; `support` holds the
//! fluent helper that runs the real `devctl` binary in a temp dir.

mod support;

mod config_cli;
mod engine_e2e;
mod init_cli;
mod lint_cli;
mod lint_vs_hadolint;
mod parser_conformance;
mod parser_differential;
mod rundev_e2e;
