use std::process::ExitCode;

fn main() -> ExitCode {
    devctl::cli::main()
}
