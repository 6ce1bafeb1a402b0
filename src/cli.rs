//! Command-line parsing and dispatch.
//!
//! Parsing happens before anything else is set up, so `tandem --version`
//! and `--help` cost only clap.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::exec::ApprovalMode;
use crate::exec::sandbox::{self, SandboxMode, SandboxPolicy};
use crate::headless::{self, ExecOptions, exit};
use crate::provider::ReasoningEffort;
use crate::tui::run::Resume;

/// Tandem: an interactive and an autonomous coding agent on one workspace.
#[derive(Debug, Parser)]
#[command(
    name = "tandem",
    version,
    about,
    long_about = None,
    after_help = "Examples:
  tandem                                  open the workbench on this directory
  tandem demo                             watch both agents at work, no key needed
  tandem --run-model gpt-5-mini -C ~/src/app
  tandem --profile local                  use the settings of [profiles.local]
  tandem exec \"make the tests pass\"       one task, no TUI (scripts, CI)
  tandem doctor                           check terminal, providers, sandbox

Keys in the workbench: F1. Configuration: `tandem config show`."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    tui: TuiArgs,
    /// Set a configuration value for this run, over every file
    /// (e.g. `-c ui.theme=light`, `-c 'panes.run.model="gpt-5-mini"'`).
    #[arg(short = 'c', long = "config", value_name = "KEY=VALUE", global = true)]
    config: Vec<String>,
    /// Apply the settings of `[profiles.NAME]` over your config files.
    #[arg(long, value_name = "NAME", global = true)]
    profile: Option<String>,
}

/// Options of the full-screen workbench (`tandem` with no subcommand).
#[derive(Debug, clap::Args)]
struct TuiArgs {
    /// Provider of the Chat pane (default: `panes.chat.provider`, anthropic).
    #[arg(long, value_name = "NAME")]
    chat_provider: Option<String>,
    /// Provider of the Run pane (default: `panes.run.provider`, openai).
    #[arg(long, value_name = "NAME")]
    run_provider: Option<String>,
    /// Model of the Chat pane.
    #[arg(long, value_name = "MODEL")]
    chat_model: Option<String>,
    /// Model of the Run pane.
    #[arg(long, value_name = "MODEL")]
    run_model: Option<String>,
    /// Workspace directory (default: the current directory).
    #[arg(short = 'C', long = "cd", value_name = "DIR")]
    cwd: Option<PathBuf>,
    /// Colour theme: dark, light, high-contrast, solarized-dark, colorblind,
    /// or one of yours in `<config dir>/themes/NAME.toml`.
    #[arg(long, value_name = "NAME")]
    theme: Option<String>,
    /// How commands are confined (default: `sandbox.mode`, workspace-write).
    #[arg(long, value_enum, value_name = "MODE")]
    sandbox: Option<SandboxMode>,
    /// Let sandboxed commands use the network.
    #[arg(long)]
    network: bool,
    /// Run commands with NO kernel sandbox. Only for a machine you can lose.
    #[arg(long)]
    dangerously_bypass_sandbox: bool,
    /// Continue the latest session of this workspace (both panes'
    /// conversations, as `tandem resume` does).
    #[arg(long = "continue")]
    continue_latest: bool,
    /// Host a terminal agent in the Chat pane instead of Tandem's own:
    /// `claude`, `codex` or any command line (default: `panes.chat.host`).
    #[arg(long, value_name = "CMD")]
    chat_host: Option<String>,
    /// Host a terminal agent in the Run pane: `claude`, `codex` or any
    /// command line (default: `panes.run.host`).
    #[arg(long, value_name = "CMD")]
    run_host: Option<String>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run one task without the TUI (for scripts and CI).
    #[command(after_help = "Examples:
  tandem exec \"fix the failing test in src/parse.rs\"
  tandem exec - < task.md                          the task from a file
  tandem exec --json --until \"cargo test\" \"make the tests pass\"
  tandem exec --worktree --provider anthropic \"add a --verbose flag\"
  tandem exec \"/review-pr 42\"                    a custom command

Exit codes: 0 done, 1 failure, 2 usage or config error, 3 provider failed,
4 max turns, 5 budget spent, 6 blocked by a hook, 130 interrupted.")]
    Exec(ExecArgs),
    /// Watch Chat plan and Run fix two bugs in a sample project, in the
    /// workbench (no key, no network).
    #[command(after_help = "Examples:
  tandem demo                  play it (Space pauses, + and - change the pace, Esc takes over)
  tandem demo --speed 3        faster
  tandem demo --headless       the same story as text (CI, screen readers)")]
    Demo {
        /// Print the story as text instead of playing it in the workbench
        /// (also when stdout is not a terminal).
        #[arg(long)]
        headless: bool,
        /// Print the story as JSON lines (implies --headless).
        #[arg(long)]
        json: bool,
        /// Keep the sample project afterwards and print where it is.
        #[arg(long)]
        keep: bool,
        /// Pace of the story: 2 plays it twice as fast (+ and - change it
        /// while it plays).
        #[arg(long, default_value_t = 1.0)]
        speed: f64,
    },
    /// Serve a mock model script on loopback (for tests and benchmarks).
    #[command(hide = true)]
    MockServer {
        /// The script (TOML).
        #[arg(long)]
        script: PathBuf,
        /// Port on 127.0.0.1 (0: any free port).
        #[arg(long, default_value_t = 0)]
        port: u16,
    },
    /// Show what the models cost: calls, tokens and USD from the usage
    /// ledger, per model, pane or day.
    #[command(after_help = "Examples:
  tandem usage                          this month, per model
  tandem usage --by day --since 2026-11-01
  tandem usage --by pane --json | jq .total")]
    Usage {
        /// First day counted, YYYY-MM-DD (default: the first of this month).
        #[arg(long, value_name = "DATE")]
        since: Option<String>,
        /// How to group the calls.
        #[arg(long, value_enum, default_value = "model")]
        by: crate::quota::ledger::GroupBy,
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show the effective configuration, each value with the file it comes
    /// from (secrets redacted).
    #[command(after_help = "Examples:
  tandem config show
  tandem config show --profile local -c ui.theme=light")]
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// List the recorded sessions, newest first: when, workspace, first
    /// prompt, cost and id.
    #[command(after_help = "Examples:
  tandem sessions
  tandem sessions --json | jq '.[0].id'")]
    Sessions {
        /// Print one JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Open the workbench on a saved session: both panes' conversations
    /// come back and go on with the provider (`tandem sessions` lists ids).
    #[command(after_help = "Examples:
  tandem resume                 the latest session of this directory
  tandem resume 6745a1f2-0c3e9b1d
  tandem --continue             the same as `tandem resume`")]
    Resume {
        /// The session id; absent: the latest session of this workspace.
        id: Option<String>,
        #[command(flatten)]
        tui: TuiArgs,
    },
    /// Check that this machine and configuration are ready: terminal,
    /// config files, each provider (reachable, key accepted), the sandbox
    /// (Landlock, seccomp, real escape attempts), state dir, ledger, git.
    /// Exit 1 when a check fails.
    #[command(after_help = "Examples:
  tandem doctor
  tandem doctor --profile relay      check the providers a profile uses")]
    Doctor,
    /// Show how much room tandem's state dir takes and reclaim it: checkpoint
    /// repositories of deleted workspaces, worktree runs whose repository is
    /// gone, and (with --older-than) old session transcripts.
    #[command(after_help = "Examples:
  tandem gc --dry-run                  what would go and its size; nothing is changed
  tandem gc                            remove it
  tandem gc --older-than 30            also transcripts not written for 30 days
  tandem gc --compact                  also pack live workspaces' checkpoints (slow)
  tandem gc --dry-run --json | jq .total_bytes

Live worktree runs, open sessions and anything behind a symbolic link are
never removed. Exit 1 when something could not be removed.")]
    Gc(GcArgs),
    /// Print a completion script for your shell.
    ///
    /// bash: `tandem completions bash > ~/.local/share/bash-completion/completions/tandem`;
    /// zsh: `tandem completions zsh > "${fpath[1]}/_tandem"`;
    /// fish: `tandem completions fish > ~/.config/fish/completions/tandem.fish`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Run a command under a sandbox policy (what every sandboxed command
    /// goes through; see `exec::sandbox`).
    #[command(hide = true)]
    SandboxExec {
        /// The policy as JSON (`SandboxPolicy`).
        #[arg(long)]
        policy: String,
        /// Print what was enforced to stderr before running the command.
        #[arg(long)]
        report: bool,
        /// The command and its arguments, after `--`.
        #[arg(last = true, required = true, value_name = "COMMAND")]
        command: Vec<String>,
    },
}

#[derive(Debug, clap::Args)]
struct ExecArgs {
    /// Provider from config.toml (anthropic, openai, openai-chat, your own) or `demo`.
    #[arg(long)]
    provider: Option<String>,
    /// Model name (default: the provider's default model).
    #[arg(long, short = 'm')]
    model: Option<String>,
    /// What the agent may do without approval; in exec nobody can approve,
    /// so anything else is refused.
    #[arg(long, value_enum)]
    mode: Option<ApprovalMode>,
    /// Workspace directory (default: the current directory).
    #[arg(short = 'C', long = "cd", value_name = "DIR")]
    cwd: Option<PathBuf>,
    /// How commands are confined (default: `sandbox.mode`, workspace-write).
    #[arg(long, value_enum, value_name = "MODE")]
    sandbox: Option<SandboxMode>,
    /// Let sandboxed commands use the network.
    #[arg(long)]
    network: bool,
    /// Run commands with NO kernel sandbox. Only for a machine you can lose.
    #[arg(long)]
    dangerously_bypass_sandbox: bool,
    /// Ask the model to think first (extended thinking / reasoning effort).
    #[arg(long, value_enum, value_name = "EFFORT")]
    reasoning: Option<ReasoningEffort>,
    /// Model calls before the agent is stopped.
    #[arg(long, value_name = "N")]
    max_turns: Option<u32>,
    /// Print one JSON object per line instead of text.
    #[arg(long)]
    json: bool,
    /// Also write the agent's last message to FILE.
    #[arg(long, value_name = "FILE")]
    output_last_message: Option<PathBuf>,
    /// Done only when COMMAND exits 0 (e.g. "cargo test"): while it fails,
    /// its output goes back to the agent, within --max-turns and the budget.
    #[arg(long, value_name = "COMMAND")]
    until: Option<String>,
    /// Run in a new git worktree on its own branch (tandem/run-ID, under the
    /// state dir), starting from HEAD; your files are left alone, and the
    /// end says how to merge or discard the run.
    #[arg(long)]
    worktree: bool,
    /// The task. `-` or absent: read it from stdin.
    prompt: Option<String>,
}

/// Options of `tandem gc`.
#[derive(Debug, clap::Args)]
struct GcArgs {
    /// Only show what would be removed; change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Also remove session transcripts (and their index rows) not written
    /// for DAYS days; open sessions are kept.
    #[arg(long, value_name = "DAYS")]
    older_than: Option<u32>,
    /// Also pack the checkpoint repositories of existing workspaces with
    /// `git gc` (keeps every checkpoint; slow on large ones).
    #[arg(long)]
    compact: bool,
    /// Also remove run worktrees their repository no longer lists (they may
    /// hold uncommitted work) and other leftovers in the worktrees dir.
    #[arg(long)]
    force: bool,
    /// With --force: when a removed run worktree's repository exists, also
    /// delete its branch tandem/run-ID (never any other branch).
    #[arg(long)]
    branches: bool,
    /// Also remove checkpoint repositories whose workspace is not recorded
    /// (made by an older tandem).
    #[arg(long)]
    all_unknown: bool,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

/// Runs the command line; returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
        }
    };
    let config = crate::config::ConfigFlags {
        overrides: cli.config,
        profile: cli.profile,
    };
    match cli.command {
        Some(Command::Exec(args)) => headless::run_exec(ExecOptions {
            config,
            provider: args.provider,
            model: args.model,
            mode: args.mode,
            cwd: args.cwd,
            max_turns: args.max_turns,
            reasoning: args.reasoning,
            sandbox: args.sandbox,
            network: args.network,
            bypass_sandbox: args.dangerously_bypass_sandbox,
            json: args.json,
            output_last_message: args.output_last_message,
            until: args.until,
            prompt: args.prompt,
            worktree: args.worktree,
        }),
        Some(Command::Demo {
            headless,
            json,
            keep,
            speed,
        }) => crate::tui::demo::run(crate::tui::demo::DemoOptions {
            headless,
            json,
            keep,
            speed,
        }),
        Some(Command::MockServer { script, port }) => mock_server(&script, port),
        Some(Command::Doctor) => headless::doctor::run(&config),
        Some(Command::Completions { shell }) => {
            use clap::CommandFactory;
            use std::io::Write;
            // Into memory first: clap_complete panics on a write error, and
            // `| head` closes the pipe early.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "tandem", &mut script);
            match std::io::stdout().write_all(&script) {
                Ok(()) => exit::OK,
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => exit::OK,
                Err(e) => {
                    eprintln!("tandem: cannot write the completion script: {e}");
                    exit::FAILURE
                }
            }
        }
        Some(Command::Sessions { json }) => crate::store::command::run(json),
        Some(Command::Gc(args)) => crate::store::gc::command::run(
            &crate::store::gc::GcOptions {
                older_than_days: args.older_than,
                compact: args.compact,
                force: args.force,
                branches: args.branches,
                all_unknown: args.all_unknown,
            },
            args.dry_run,
            args.json,
        ),
        Some(Command::Config {
            action: ConfigAction::Show,
        }) => config_show(&config),
        Some(Command::Usage { since, by, json }) => {
            crate::quota::report::run(since.as_deref(), by, json)
        }
        // Runs before every sandboxed command: nothing but parsing here (no
        // runtime, no logging, no config).
        Some(Command::SandboxExec {
            policy,
            report,
            command,
        }) => match SandboxPolicy::from_json(&policy) {
            Ok(policy) => sandbox::sandbox_exec_report(&policy, &command, report),
            Err(e) => {
                eprintln!("tandem sandbox: {e}");
                sandbox::EXIT_CANNOT_RUN
            }
        },
        Some(Command::Resume { id, tui }) => {
            let resume = Some(id.map_or(Resume::Latest, Resume::Id));
            workbench(tui, resume, config)
        }
        None => {
            let resume = cli.tui.continue_latest.then_some(Resume::Latest);
            workbench(cli.tui, resume, config)
        }
    }
}

/// What `tandem config` does.
#[derive(Debug, Subcommand)]
enum ConfigAction {
    /// Print every setting as `key = value   # origin`: built-in defaults,
    /// your config.toml, the project's .tandem/config.toml.
    Show,
}

/// `tandem config show`: the layers of this directory's configuration, and
/// an error (exit 2) naming the file when one does not parse or check.
fn config_show(flags: &crate::config::ConfigFlags) -> i32 {
    let result = (|| -> anyhow::Result<String> {
        let dirs = crate::paths::Dirs::from_env()?;
        let workspace = crate::agent::setup::workspace(None)?;
        let root = crate::config::instructions::repo_root(&workspace);
        let layers = crate::config::Config::layers(&dirs.config, Some(&root), flags)?;
        // Refuse what the workbench would refuse, with the same message.
        crate::config::Config::from_layers(&layers)?;
        Ok(crate::config::show::render(
            &crate::config::show::effective(&layers),
        ))
    })();
    match result {
        Ok(text) => {
            print!("{text}");
            exit::OK
        }
        Err(e) => {
            eprintln!("tandem: {e:#}");
            exit::USAGE
        }
    }
}

/// Opens the full-screen workbench (resuming a saved session if asked).
fn workbench(t: TuiArgs, resume: Option<Resume>, config: crate::config::ConfigFlags) -> i32 {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        eprintln!(
            "tandem: the workbench needs a terminal; for scripts and CI use `tandem exec \"TASK\"`"
        );
        return exit::USAGE;
    }
    crate::tui::run::run(crate::tui::run::TuiOptions {
        resume,
        config,
        chat_provider: t.chat_provider,
        run_provider: t.run_provider,
        chat_model: t.chat_model,
        run_model: t.run_model,
        cwd: t.cwd,
        theme: t.theme,
        demo: None,
        chat_host: t.chat_host,
        run_host: t.run_host,
        sandbox: crate::agent::setup::SandboxFlags {
            mode: t.sandbox,
            network: t.network,
            bypass: t.dangerously_bypass_sandbox,
        },
    })
}

fn mock_server(script: &std::path::Path, port: u16) -> i32 {
    let text = match std::fs::read_to_string(script) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("tandem: cannot read {}: {e}", script.display());
            return exit::USAGE;
        }
    };
    let script = match crate::mockserver::Script::from_toml_str(&text) {
        Ok(script) => script,
        Err(e) => {
            eprintln!("tandem: {}: {e}", script.display());
            return exit::USAGE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tandem: cannot start the async runtime: {e}");
            return exit::FAILURE;
        }
    };
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    runtime.block_on(async {
        match crate::mockserver::MockServer::start_on(script, addr).await {
            Ok(server) => {
                // The one line a caller reads to find the server.
                println!("{}", server.base_url());
                let _ = tokio::signal::ctrl_c().await;
                exit::OK
            }
            Err(e) => {
                eprintln!("tandem: mock server cannot listen on {addr}: {e}");
                exit::FAILURE
            }
        }
    })
}
