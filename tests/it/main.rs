//! The one integration-test binary. Modules by area; `support` holds the
//! fluent helper that runs the real `devctl` binary in a temp dir.

mod support;

mod config_cli;
mod parser_conformance;
