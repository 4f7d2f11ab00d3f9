//! The one integration-test binary. Modules by area; `support` holds the
//! fluent helper that runs the real `devctl` binary in a temp dir.

mod support;

mod app_e2e;
mod architecture;
mod build_secrets;
mod build_stamp_e2e;
mod buildkit_e2e;
mod compose_hash;
mod compose_surface;
mod config_cli;
mod context_e2e;
mod data_state;
mod doctor_e2e;
mod e2e_support;
mod engine_e2e;
mod faults;
mod guards_e2e;
mod import_cli;
mod import_equiv;
mod init_cli;
mod lint_cli;
mod lint_vs_hadolint;
mod load;
mod overrides_cli;
mod parser_conformance;
mod parser_differential;
mod registry_e2e;
mod remote_e2e;
mod run_e2e;
mod rundev_e2e;
mod safety;
mod secrets;
mod tasks_cli;
mod tasks_e2e;
