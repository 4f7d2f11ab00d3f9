//! The command line: clap definitions and dispatch. Each command lives in
//! `commands/`; this module only parses arguments and maps results to exit
//! codes.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

use crate::commands::init::Template;
use crate::error;

#[derive(Debug, Parser)]
#[command(
    name = "devctl",
    version,
    about = "The local development environment of a containerised web project",
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, clap::Args)]
pub struct Global {
    /// Project directory (default: the nearest ancestor holding devctl.toml)
    #[arg(short = 'C', long = "project-dir", global = true, value_name = "DIR")]
    pub project_dir: Option<PathBuf>,
    /// Read local settings from this file instead of <project>/.env
    #[arg(long, global = true, value_name = "PATH")]
    pub env_file: Option<PathBuf>,
    /// More output
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,
    /// Less output
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// When to use colour (NO_COLOR is honoured for `auto`)
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl Global {
    /// Whether to colour output going to a stream that is (or is not) a terminal.
    pub fn color_for(&self, is_terminal: bool) -> bool {
        match self.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                is_terminal && std::env::var_os("NO_COLOR").map_or(true, |v| v.is_empty())
            }
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scaffold devctl.toml, Dockerfile, .dockerignore, .env.example (and bash/run.sh); never overwrites without --force
    Init {
        /// Which project layout to scaffold
        #[arg(long, value_enum, default_value_t = Template::Django)]
        template: Template,
        /// Overwrite files that already exist
        #[arg(long)]
        force: bool,
    },
    /// Lint Dockerfiles: hadolint's DL rules, BuildKit's checks, devctl's DC rules
    #[command(name = "lint-dockerfile")]
    LintDockerfile(Box<crate::commands::lint::LintArgs>),
    /// Print the generated compose file (also written to .devctl/compose.yaml)
    Config {
        /// Validate devctl.toml, .env and the Dockerfile; print no file; exit 0 or 2
        #[arg(long)]
        check: bool,
        /// Print the values of secret-looking variables instead of masking them
        #[arg(long)]
        show_secrets: bool,
    },
    /// Build the images of the services that have `build:` (multi-stage, target, build args)
    Build {
        /// Only these services (default: all)
        #[arg(value_name = "SERVICE")]
        services: Vec<String>,
        /// Do not use the build cache
        #[arg(long)]
        no_cache: bool,
        /// Always try to pull newer base images
        #[arg(long)]
        pull: bool,
    },
    /// Create and start the containers (building missing images); idempotent
    Start {
        /// Only these services and their dependencies (default: all)
        #[arg(value_name = "SERVICE")]
        services: Vec<String>,
        /// Wait at most this long for the services to be ready
        #[arg(long, value_name = "SECONDS", default_value_t = 60)]
        wait_timeout: u64,
        /// Do not wait for the services to be ready
        #[arg(long)]
        no_wait: bool,
        /// Start the server even when the app user cannot write the source tree
        #[arg(long)]
        force: bool,
    },
    /// Stop the project's containers (keep them)
    Stop {
        /// Only these services (default: all)
        #[arg(value_name = "SERVICE")]
        services: Vec<String>,
    },
    /// Remove the project's containers and network (and named volumes with --volumes)
    Down {
        /// Also remove the named volumes
        #[arg(long)]
        volumes: bool,
    },
    /// List the project's containers
    Ps {
        /// JSON output
        #[arg(long)]
        json: bool,
    },
    /// Show the containers' output, prefixed per container
    Logs {
        /// Follow (also containers started later)
        #[arg(short, long)]
        follow: bool,
        /// Only these services (default: all)
        #[arg(value_name = "SERVICE")]
        services: Vec<String>,
    },
    /// A shell, or `-- CMD…`, in a running service container (exit code passed through)
    Sh {
        /// The service (default: app)
        #[arg(value_name = "SERVICE")]
        service: Option<String>,
        /// The command and its arguments (after `--`)
        #[arg(last = true, value_name = "CMD")]
        cmd: Vec<String>,
    },
    /// Check the engine, the host and the project: one line per check with its fix
    Doctor {
        /// JSON output for CI (exit 1 when any check fails)
        #[arg(long)]
        json: bool,
    },
    /// The dev loop: start, build the assets, watch and rebuild, stream the server's output
    #[command(name = "run-dev")]
    RunDev,
    /// Generate shell completions (bash, zsh, fish, elvish, powershell) or the man page (`man`)
    Completions {
        /// The shell, or `man` for a roff man page
        #[arg(value_name = "SHELL")]
        shell: CompletionTarget,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum CompletionTarget {
    Bash,
    Zsh,
    Fish,
    Elvish,
    Powershell,
    Man,
}

/// Entry point: parse, run, print the error chain once, map to an exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(err) if crate::engine::lost_connection(&err).is_some() => {
            let mut e = std::io::stderr().lock();
            let _ = writeln!(e, "error: {err:#}");
            if let Some(line) = crate::engine::lost_connection(&err) {
                let _ = writeln!(e, "error: {line}");
            }
            ExitCode::from(1)
        }
        Err(err) if error::is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            let _ = writeln!(std::io::stderr(), "error: {err:#}");
            ExitCode::from(error::exit_code_for(&err))
        }
    }
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Init { template, force } => {
            let dir = cli.global.project_dir.unwrap_or_else(|| PathBuf::from("."));
            crate::commands::init::run(&dir, template, force, cli.global.quiet)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Config {
            check,
            show_secrets,
        } => crate::commands::config::run(&cli.global, check, show_secrets),
        Command::Build {
            services,
            no_cache,
            pull,
        } => crate::commands::build::run(&cli.global, &services, no_cache, pull),
        Command::Start {
            services,
            wait_timeout,
            no_wait,
            force,
        } => crate::commands::start::run(
            &cli.global,
            &services,
            &crate::commands::start::StartOptions {
                wait: (!no_wait).then(|| std::time::Duration::from_secs(wait_timeout)),
                force,
            },
        ),
        Command::Stop { services } => crate::commands::stop::run(&cli.global, &services),
        Command::Down { volumes } => crate::commands::down::run(&cli.global, volumes),
        Command::Ps { json } => crate::commands::ps::run(&cli.global, json),
        Command::Logs { follow, services } => {
            crate::commands::logs::run(&cli.global, follow, &services)
        }
        Command::RunDev => crate::commands::rundev::run(&cli.global),
        Command::Sh { service, cmd } => {
            crate::commands::sh::run(&cli.global, service.as_deref(), &cmd)
        }
        Command::Doctor { json } => crate::commands::doctor::run(&cli.global, json),
        Command::Completions { shell } => completions(shell),
        Command::LintDockerfile(args) => crate::commands::lint::run(&args, &cli.global),
    }
}

fn completions(target: CompletionTarget) -> anyhow::Result<ExitCode> {
    use clap_complete::Shell;
    let mut cmd = Cli::command();
    let mut out = std::io::stdout().lock();
    let shell = match target {
        CompletionTarget::Bash => Shell::Bash,
        CompletionTarget::Zsh => Shell::Zsh,
        CompletionTarget::Fish => Shell::Fish,
        CompletionTarget::Elvish => Shell::Elvish,
        CompletionTarget::Powershell => Shell::PowerShell,
        CompletionTarget::Man => {
            clap_mangen::Man::new(cmd).render(&mut out)?;
            return Ok(ExitCode::SUCCESS);
        }
    };
    clap_complete::generate(shell, &mut cmd, "devctl", &mut out);
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
