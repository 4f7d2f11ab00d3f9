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
    propagate_version = true,
    allow_external_subcommands = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    /// Tasks: answer yes to their `confirm` questions (`devctl --yes TASK`)
    #[arg(long)]
    pub yes: bool,
    /// Tasks: print what would run (service, user, workdir, env names, argv); run nothing
    #[arg(long)]
    pub dry_run: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, clap::Args)]
pub struct Global {
    /// Project directory (default: the nearest ancestor holding devctl.toml)
    #[arg(short = 'C', long = "project-dir", global = true, value_name = "DIR")]
    pub project_dir: Option<PathBuf>,
    /// Read local settings from this file instead of <project>/.env (repeatable: later files win)
    #[arg(long, global = true, value_name = "PATH")]
    pub env_file: Vec<PathBuf>,
    /// The Docker context to use (as `docker --context`; default: DOCKER_HOST, DOCKER_CONTEXT, the docker CLI's current context)
    #[arg(long, global = true, value_name = "NAME")]
    pub context: Option<String>,
    /// More output
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,
    /// Less output
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// When to use colour (NO_COLOR is honoured for `auto`)
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Activate a compose profile (repeatable; default: COMPOSE_PROFILES; `*` all)
    #[arg(long = "profile", global = true, value_name = "PROFILE")]
    pub profile: Vec<String>,
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
                is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
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
        /// Convert compose files into devctl.toml (none named: the files compose reads here, override included)
        #[arg(long = "from-compose", value_name = "FILE", num_args = 0.., conflicts_with = "template")]
        from_compose: Option<Vec<PathBuf>>,
        /// With --from-compose: the service that becomes [app]
        #[arg(long, value_name = "NAME", requires = "from_compose", value_hint = clap::ValueHint::Other)]
        app: Option<String>,
        /// With --from-compose: print the devctl.toml, write nothing
        #[arg(long, requires = "from_compose")]
        dry_run: bool,
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
    /// Push the built images of the services that have `build:` to their registry ([project].registry)
    Push {
        /// Only these services (default: all)
        #[arg(value_name = "SERVICE")]
        services: Vec<String>,
        /// Push what can be pushed; report the failures as warnings (exit 0)
        #[arg(long)]
        ignore_push_failures: bool,
    },
    /// Pull the images of the services that do not build (image-only services)
    Pull {
        /// Only these services (default: all)
        #[arg(value_name = "SERVICE")]
        services: Vec<String>,
        /// Pull what can be pulled; report the failures as warnings (exit 0)
        #[arg(long)]
        ignore_pull_failures: bool,
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
    /// Restart the containers of the services (default: all)
    Restart {
        /// Only these services (default: all)
        #[arg(value_name = "SERVICE")]
        services: Vec<String>,
    },
    /// Run a command in a new one-off container of a service (exit code passed through)
    Run(Box<crate::commands::run::RunArgs>),
    /// A shell, or `-- CMD…`, in a running service container (exit code passed through)
    Sh {
        /// The service (default: app)
        #[arg(value_name = "SERVICE")]
        service: Option<String>,
        #[command(flatten)]
        opts: crate::commands::sh::ShOpts,
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
    /// Run a task of devctl.toml (after its dependencies); `devctl TASK` is the short form
    Task {
        /// Answer yes to the tasks' `confirm` questions
        #[arg(long)]
        yes: bool,
        /// Print what would run; run nothing
        #[arg(long)]
        dry_run: bool,
        /// The task
        #[arg(value_name = "TASK")]
        name: String,
        /// Its arguments
        #[arg(
            value_name = "ARGS",
            trailing_var_arg = true,
            allow_hyphen_values = true
        )]
        args: Vec<String>,
    },
    /// List the tasks of devctl.toml: name, where it runs, description
    Tasks {
        /// JSON output
        #[arg(long)]
        json: bool,
        /// Names only, one per line (for shell completion; errors are silent)
        #[arg(long, conflicts_with = "json")]
        names: bool,
    },
    /// Generate shell completions (bash, zsh, fish, elvish, powershell) or the man page (`man`)
    Completions {
        /// The shell, or `man` for a roff man page
        #[arg(value_name = "SHELL")]
        shell: CompletionTarget,
    },
    /// `devctl TASK [ARGS…]`
    #[command(external_subcommand)]
    External(Vec<String>),
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
    // A panic's message goes through the scrubber too.
    std::panic::set_hook(Box::new(|info| {
        let bt = std::backtrace::Backtrace::capture();
        let mut text = format!("devctl {info}\n");
        if bt.status() == std::backtrace::BacktraceStatus::Captured {
            text.push_str(&format!("{bt}\n"));
        } else {
            text.push_str("note: run with `RUST_BACKTRACE=1` to display a backtrace\n");
        }
        crate::out::eprint(&text);
    }));
    // The passwords of URLs in the environment (DOCKER_HOST, a proxy…) are
    // hidden from everything devctl prints, also where they appear alone.
    crate::out::add_secrets(crate::session::process_env().iter().flat_map(|(_, v)| {
        crate::out::url_passwords(v)
            .into_iter()
            .map(str::to_string)
            .collect::<Vec<_>>()
    }));
    if let Some(code) = help_with_tasks() {
        return code;
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // usage errors and --help/--version, through the scrubber too
            let (code, color) = if e.use_stderr() {
                (2, crate::out::stderr_is_terminal())
            } else {
                (0, crate::out::stdout_is_terminal())
            };
            let styled = e.render();
            let text = if color {
                styled.ansi().to_string()
            } else {
                styled.to_string()
            };
            if e.use_stderr() {
                crate::out::eprint(&text);
            } else {
                let _ = crate::out::print(&text);
            }
            return ExitCode::from(code);
        }
    };
    let engine_addr = crate::session::engine_config(&cli.global).shown_addr();
    match run(cli) {
        Ok(code) => code,
        Err(err) if crate::engine::lost_connection(&err, &engine_addr).is_some() => {
            let mut text = format!("error: {err:#}\n");
            if let Some(line) = crate::engine::lost_connection(&err, &engine_addr) {
                text.push_str(&format!("error: {line}\n"));
            }
            crate::out::eprint(&text);
            ExitCode::from(1)
        }
        Err(err) if error::is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            crate::errln!("error: {err:#}");
            ExitCode::from(error::exit_code_for(&err))
        }
    }
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let top = crate::commands::task::TaskOpts {
        yes: cli.yes,
        dry_run: cli.dry_run,
    };
    if (top.yes || top.dry_run) && !matches!(cli.command, Command::External(_)) {
        return Err(error::usage(
            "--yes and --dry-run before the command apply to tasks (`devctl --dry-run TASK`; `devctl task --dry-run TASK`)",
        ));
    }
    let session = crate::session::Session::new(&cli.global);
    let session = &session;
    match cli.command {
        Command::External(words) => {
            let (name, args) = words
                .split_first()
                .ok_or_else(|| error::usage("no command given"))?;
            crate::commands::task::run(session, name, args, top, true)
        }
        Command::Task {
            yes,
            dry_run,
            name,
            args,
        } => crate::commands::task::run(
            session,
            &name,
            &args,
            crate::commands::task::TaskOpts { yes, dry_run },
            false,
        ),
        Command::Tasks { json, names } => crate::commands::task::list(session, json, names),
        Command::Init {
            template,
            force,
            from_compose,
            app,
            dry_run,
        } => {
            let dir = cli
                .global
                .project_dir
                .clone()
                .unwrap_or_else(|| PathBuf::from("."));
            match from_compose {
                Some(files) => crate::commands::init::run_from_compose(
                    &dir,
                    &crate::commands::init::FromCompose {
                        files: &files,
                        app: app.as_deref(),
                        dry_run,
                        force,
                        quiet: cli.global.quiet,
                    },
                )?,
                None => crate::commands::init::run(&dir, template, force, cli.global.quiet)?,
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Config {
            check,
            show_secrets,
        } => crate::commands::config::run(session, check, show_secrets),
        Command::Build {
            services,
            no_cache,
            pull,
        } => crate::commands::build::run(session, &services, no_cache, pull),
        Command::Push {
            services,
            ignore_push_failures,
        } => crate::commands::push::run(session, &services, ignore_push_failures),
        Command::Pull {
            services,
            ignore_pull_failures,
        } => crate::commands::pull::run(session, &services, ignore_pull_failures),
        Command::Start {
            services,
            wait_timeout,
            no_wait,
            force,
        } => crate::commands::start::run(
            session,
            &services,
            &crate::commands::start::StartOptions {
                wait: (!no_wait).then(|| std::time::Duration::from_secs(wait_timeout)),
                force,
            },
        ),
        Command::Stop { services } => crate::commands::stop::run(session, &services),
        Command::Down { volumes } => crate::commands::down::run(session, volumes),
        Command::Ps { json } => crate::commands::ps::run(session, json),
        Command::Logs { follow, services } => {
            crate::commands::logs::run(session, follow, &services)
        }
        Command::RunDev => crate::commands::rundev::run(session),
        Command::Sh { service, opts, cmd } => {
            crate::commands::sh::run(session, service.as_deref(), &opts, &cmd)
        }
        Command::Restart { services } => crate::commands::restart::run(session, &services),
        Command::Run(args) => crate::commands::run::run(session, &args),
        Command::Doctor { json } => crate::commands::doctor::run(session, json),
        Command::Completions { shell } => completions(shell),
        Command::LintDockerfile(args) => crate::commands::lint::run(&args, &cli.global),
    }
}

/// `devctl [-C DIR] [--env-file PATH] --help` (or `-h`, `help`): the help
/// with the project's tasks under their own heading. None: not a
/// top-level help request (clap handles the rest).
fn help_with_tasks() -> Option<ExitCode> {
    let args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.into_string().ok())
        .collect::<Option<_>>()?;
    let mut global = Global {
        project_dir: None,
        env_file: Vec::new(),
        context: None,
        verbose: 0,
        quiet: false,
        color: ColorChoice::Auto,
        profile: Vec::new(),
    };
    let mut help = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-h" | "--help" | "help" if !help => help = true,
            "-C" | "--project-dir" => global.project_dir = Some(PathBuf::from(it.next()?)),
            "--env-file" => global.env_file.push(PathBuf::from(it.next()?)),
            "--context" => global.context = Some(it.next()?.clone()),
            _ => {
                if let Some(v) = a.strip_prefix("--project-dir=") {
                    global.project_dir = Some(PathBuf::from(v));
                } else if let Some(v) = a.strip_prefix("--env-file=") {
                    global.env_file.push(PathBuf::from(v));
                } else if let Some(v) = a.strip_prefix("--context=") {
                    global.context = Some(v.to_string());
                } else {
                    return None;
                }
            }
        }
    }
    if !help {
        return None;
    }
    let section = crate::commands::task::help_section(&global)?;
    let mut cmd = Cli::command().after_help(section);
    let text = if args.iter().any(|a| a == "-h") {
        cmd.render_help()
    } else {
        cmd.render_long_help()
    };
    let _ = if crate::out::stdout_is_terminal() {
        crate::out::print(&text.ansi().to_string())
    } else {
        crate::out::print(&text.to_string())
    };
    Some(ExitCode::SUCCESS)
}

fn completions(target: CompletionTarget) -> anyhow::Result<ExitCode> {
    use clap_complete::Shell;
    let mut cmd = Cli::command();
    let mut out = crate::out::stdout();
    let shell = match target {
        CompletionTarget::Bash => Shell::Bash,
        CompletionTarget::Zsh => Shell::Zsh,
        CompletionTarget::Fish => Shell::Fish,
        CompletionTarget::Elvish => Shell::Elvish,
        CompletionTarget::Powershell => Shell::PowerShell,
        CompletionTarget::Man => {
            clap_mangen::Man::new(cmd).render(&mut out)?;
            out.flush()?;
            return Ok(ExitCode::SUCCESS);
        }
    };
    clap_complete::generate(shell, &mut cmd, "devctl", &mut out);
    // Task names come from devctl.toml when completing (`devctl tasks --names`).
    match shell {
        Shell::Bash => out.write_all(BASH_TASKS.as_bytes())?,
        Shell::Fish => out.write_all(FISH_TASKS.as_bytes())?,
        Shell::Zsh => out.write_all(ZSH_TASKS.as_bytes())?,
        _ => {}
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

const BASH_TASKS: &str = r#"
# devctl: task names from devctl.toml, as `devctl TASK` and `devctl task TASK`
_devctl_with_tasks() {
    _devctl "$@"
    local cur="${COMP_WORDS[COMP_CWORD]}"
    if [[ ${COMP_CWORD} -eq 1 || ( ${COMP_CWORD} -eq 2 && "${COMP_WORDS[1]}" == "task" ) ]]; then
        local IFS=$'\n'
        COMPREPLY+=( $(compgen -W "$(devctl tasks --names 2>/dev/null)" -- "${cur}") )
    fi
}
if [[ "${BASH_VERSINFO[0]}" -eq 4 && "${BASH_VERSINFO[1]}" -ge 4 || "${BASH_VERSINFO[0]}" -gt 4 ]]; then
    complete -F _devctl_with_tasks -o nosort -o bashdefault -o default devctl
else
    complete -F _devctl_with_tasks -o bashdefault -o default devctl
fi
"#;

const FISH_TASKS: &str = r#"
# devctl: task names from devctl.toml
complete -c devctl -n "__fish_use_subcommand" -f -a "(devctl tasks --names 2>/dev/null)" -d "task"
complete -c devctl -n "__fish_seen_subcommand_from task" -f -a "(devctl tasks --names 2>/dev/null)" -d "task"
"#;

const ZSH_TASKS: &str = r#"
# devctl: task names from devctl.toml
_devctl_with_tasks() {
    if (( CURRENT == 2 )) || { [[ ${words[2]} == task ]] && (( CURRENT == 3 )) }; then
        local -a tasks
        tasks=(${(f)"$(devctl tasks --names 2>/dev/null)"})
        compadd -a tasks
    fi
    _devctl "$@"
}
(( $+functions[compdef] )) && compdef _devctl_with_tasks devctl
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_command_names_match_the_cli() {
        let mut names: Vec<String> = Cli::command()
            .get_subcommands()
            .map(|c| c.get_name().to_string())
            .collect();
        names.push("help".into());
        names.sort();
        let mut listed: Vec<String> = crate::project::tasks::BUILTIN_COMMANDS
            .iter()
            .map(|s| s.to_string())
            .collect();
        listed.sort();
        assert_eq!(names, listed);
    }

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
