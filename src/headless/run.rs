//! One headless task from options to exit code.

use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};

use super::exit;
use super::output::Renderer;
use crate::agent::session::new_session_id;
use crate::agent::setup::{self, SandboxFlags, SessionParams};
use crate::agent::{Event, Op, Pane, Session, TaskStatus};
use crate::config::Config;
use crate::config::instructions::repo_root;
use crate::config::providers::{default_headless_provider, resolve};
use crate::exec::sandbox::SandboxMode;
use crate::exec::secrets;
use crate::exec::{ApprovalMode, Permissions};
use crate::hooks::Hooks;
use crate::paths::Dirs;
use crate::provider::{HttpClientConfig, HttpModelClient, ReasoningEffort, Wire};
use crate::quota::{Meter, PriceTable};
use crate::store::Transcript;
use crate::tools::SandboxLaunch;
use crate::workspace::worktree::Worktree;

/// The provider name that selects the scripted demo model.
pub const DEMO_PROVIDER: &str = "demo";

/// `tandem exec` options, as parsed from the command line.
#[derive(Debug, Clone, Default)]
pub struct ExecOptions {
    /// `-c` and `--profile`.
    pub config: crate::config::ConfigFlags,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub mode: Option<ApprovalMode>,
    /// Workspace; the current directory when absent.
    pub cwd: Option<PathBuf>,
    pub max_turns: Option<u32>,
    pub reasoning: Option<ReasoningEffort>,
    pub json: bool,
    pub output_last_message: Option<PathBuf>,
    /// The completion check (`--until`).
    pub until: Option<String>,
    /// Overrides `sandbox.mode`.
    pub sandbox: Option<SandboxMode>,
    /// Lets commands use the network (overrides `sandbox.network`).
    pub network: bool,
    /// `--dangerously-bypass-sandbox`: commands run with no sandbox.
    pub bypass_sandbox: bool,
    /// The task; `None` or `-` reads it from stdin.
    pub prompt: Option<String>,
    /// `--worktree`: run in a new git worktree on its own branch under the
    /// state dir, starting from `HEAD`, leaving the user's files alone.
    pub worktree: bool,
}

impl ExecOptions {
    /// The sandbox choices among the options.
    pub fn sandbox_flags(&self) -> SandboxFlags {
        SandboxFlags {
            mode: self.sandbox,
            network: self.network,
            bypass: self.bypass_sandbox,
        }
    }
}

/// Where the model lives.
pub(crate) enum Backend {
    /// A configured provider over HTTP.
    Http(HttpClientConfig),
    /// The scripted demo server, started in-process on loopback.
    Demo,
}

/// Everything resolved before the runtime starts.
pub(crate) struct RunSpec {
    pub backend: Backend,
    pub model: String,
    pub mode: ApprovalMode,
    pub workspace: PathBuf,
    pub prompt: String,
    pub json: bool,
    pub max_turns: u32,
    pub reasoning: Option<ReasoningEffort>,
    pub output_last_message: Option<PathBuf>,
    /// The completion check (`--until`).
    pub until: Option<String>,
    pub permissions: Permissions,
    pub sandbox: SandboxLaunch,
    /// The hooks ([`setup::hooks`]).
    pub hooks: Arc<Hooks>,
    pub config: Config,
    pub dirs: Dirs,
}

/// Runs `tandem exec`; returns the process exit code. A `--worktree` run
/// then commits its work on its branch and says where it is.
pub fn run_exec(opts: ExecOptions) -> i32 {
    let (spec, worktree) = match prepare(opts) {
        Ok(prepared) => prepared,
        Err(e) => {
            eprintln!("tandem: {e:#}");
            return exit::USAGE;
        }
    };
    let Some(worktree) = worktree else {
        return execute(spec);
    };
    let json = spec.json;
    let message = commit_message(&spec.prompt);
    let code = execute(spec);
    match report_worktree(&worktree, &message, json) {
        Ok(()) => code,
        Err(e) => {
            eprintln!("tandem: {e:#}");
            if code == exit::OK {
                exit::FAILURE
            } else {
                code
            }
        }
    }
}

/// Starts logging and the runtime, then drives the session to the end.
pub(crate) fn execute(spec: RunSpec) -> i32 {
    // Still single-threaded here: move keys out of our own environment
    // block before any thread (log writer, runtime) exists.
    secrets::take_from_environment(&setup::secret_policy(&spec.config));
    let _log = crate::logging::init(&spec.dirs.log_dir());
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tandem: cannot start the async runtime: {e}");
            return exit::FAILURE;
        }
    };
    let code = runtime.block_on(drive(spec));
    // Blocking tool threads (a PTY reader) must not hold the exit.
    runtime.shutdown_timeout(Duration::from_millis(200));
    code
}

/// The run's commit message: `tandem run: `, the task's first line, then
/// the whole task.
fn commit_message(prompt: &str) -> String {
    let first = prompt
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let short: String = first.chars().take(72).collect();
    format!("tandem run: {short}\n\n{prompt}")
}

/// Commits a worktree run's work onto its branch, then says where it is:
/// in text mode on stderr, with the commands that merge or discard it; in
/// JSON mode as one last `{"type":"worktree",...}` line on stdout, right
/// after `session.completed`.
fn report_worktree(worktree: &Worktree, message: &str, json: bool) -> anyhow::Result<()> {
    let commit = worktree.commit(message).with_context(|| {
        format!(
            "the run's work stays uncommitted in {}",
            worktree.path().display()
        )
    })?;
    let changed = commit.is_some() || !worktree.changed_files()?.is_empty();
    if json {
        let line = serde_json::json!({
            "type": "worktree",
            "path": worktree.path(),
            "workspace": worktree.workspace(),
            "branch": worktree.branch(),
            "base": worktree.base(),
            "commit": commit,
            "changed": changed,
        });
        println!("{line}");
        return Ok(());
    }
    let repo = shell_quote(&worktree.repo_root().to_string_lossy());
    let path = shell_quote(&worktree.path().to_string_lossy());
    let branch = worktree.branch();
    let base = worktree.base();
    let short = base.get(..12).unwrap_or(base);
    let discard =
        format!("git -C {repo} worktree remove --force {path} && git -C {repo} branch -D {branch}");
    if changed {
        eprintln!(
            "tandem: the run's changes are committed on branch {branch} (from {short}), in \
             the worktree {path}; your own files are untouched.\n  \
             see:     git -C {repo} diff {base} {branch}\n  \
             merge:   git -C {repo} merge {branch}\n  \
             discard: {discard}"
        );
    } else {
        eprintln!(
            "tandem: the run changed nothing; its worktree is {path} on branch {branch}.\n  \
             discard: {discard}"
        );
    }
    Ok(())
}

/// `text` as one shell word (single-quoted unless it is plainly safe), so
/// the printed commands can be pasted whatever the paths hold.
fn shell_quote(text: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "/._-+=:,@".contains(c);
    if !text.is_empty() && text.chars().all(safe) {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

fn read_prompt(prompt: Option<String>) -> anyhow::Result<String> {
    let text = match prompt.as_deref() {
        Some("-") | None => {
            let stdin = std::io::stdin();
            if prompt.is_none() && stdin.is_terminal() {
                bail!("no prompt: give the task as an argument, or pipe it on stdin (`-`)");
            }
            let mut text = String::new();
            stdin
                .lock()
                .read_to_string(&mut text)
                .context("cannot read the prompt from stdin")?;
            text
        }
        Some(text) => text.to_string(),
    };
    if text.trim().is_empty() {
        bail!("the prompt is empty: say what the agent should do");
    }
    Ok(text)
}

/// Resolves the options; the second part is the run's own worktree
/// (`--worktree`), which the spec's workspace is inside.
fn prepare(opts: ExecOptions) -> anyhow::Result<(RunSpec, Option<Worktree>)> {
    let dirs = Dirs::from_env()?;
    let workspace = setup::workspace(opts.cwd.as_deref())?;
    let config = Config::load(&dirs.config, Some(&repo_root(&workspace)), &opts.config)?;
    let env = |k: &str| secrets::env_var(k);
    let provider = opts
        .provider
        .clone()
        .unwrap_or_else(|| default_headless_provider(&config, &env));
    let (backend, default_model) = if provider == DEMO_PROVIDER {
        (Backend::Demo, Some(DEMO_PROVIDER.to_string()))
    } else {
        (Backend::Http(resolve(&config, &provider, &env)?), None)
    };
    let model = match default_model {
        Some(demo) if provider == DEMO_PROVIDER => demo,
        _ => setup::resolve_model(&config, &provider, &config.panes.run, opts.model.clone())?,
    };
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let task = super::command::expand(
        read_prompt(opts.prompt.clone())?,
        &workspace,
        &dirs.config,
        home.as_deref(),
    )?;
    for warning in &task.warnings {
        eprintln!("tandem: warning: {warning}");
    }
    let prompt = task.prompt;
    // A command's `model:` counts unless `--model` says otherwise.
    let model = match task.model {
        Some(command_model) if opts.model.is_none() => command_model,
        _ => model,
    };
    let worktree = if opts.worktree {
        Some(Worktree::create(&dirs.state, &workspace, &prompt)?)
    } else {
        None
    };
    // The run works (and may write, in the sandbox) only in its worktree.
    let workspace = worktree.as_ref().map_or(workspace, Worktree::workspace);
    let limits = setup::permissions(&config, &workspace).and_then(|(permissions, warnings)| {
        let sandbox = setup::sandbox_launch(&config, &workspace, opts.sandbox_flags())?;
        Ok((permissions, warnings, sandbox))
    });
    let (permissions, warnings, sandbox) = match limits {
        Ok(limits) => limits,
        Err(e) => {
            // Nothing ran in it yet: leave no stray worktree or branch.
            if let Some(worktree) = worktree {
                let _ = worktree.discard();
            }
            return Err(e);
        }
    };
    for warning in warnings {
        eprintln!("tandem: warning: {warning}");
    }
    let (hooks, notes) = setup::hooks(&config, &workspace);
    for note in notes {
        eprintln!("tandem: hooks: {note}");
    }
    Ok((
        RunSpec {
            backend,
            model,
            mode: opts.mode.unwrap_or(config.panes.run.mode),
            workspace,
            prompt,
            json: opts.json,
            max_turns: opts.max_turns.unwrap_or(config.agent.max_turns).max(1),
            reasoning: opts.reasoning.or(config.reasoning_for(&config.panes.run)),
            until: opts.until,
            output_last_message: opts.output_last_message,
            permissions,
            sandbox,
            hooks,
            config,
            dirs,
        },
        worktree,
    ))
}

async fn drive(spec: RunSpec) -> i32 {
    let mut _demo_server = None;
    // The demo's scripted usage is not the user's spending, nor its run a
    // session worth keeping: no ledger, no transcript.
    let real = matches!(spec.backend, Backend::Http(_));
    let session_id = new_session_id();
    let meter = real.then(|| {
        Meter::open(
            &spec.dirs.state,
            &session_id,
            PriceTable::new(&spec.config.pricing),
            spec.config.budget.clone(),
        )
    });
    let transcript = if real {
        match Transcript::create(&spec.dirs.state, &session_id, &spec.workspace) {
            Ok(t) => Some(t),
            Err(e) => {
                eprintln!("tandem: warning: this run is not recorded: {e}");
                None
            }
        }
    } else {
        None
    };
    // The demo is self-contained: no MCP servers.
    let mcp = real.then(|| {
        let runtime = tokio::runtime::Handle::current();
        let (hub, notes) = setup::mcp_hub(&spec.config, &spec.workspace, runtime);
        for note in notes {
            eprintln!("tandem: warning: {note}");
        }
        hub
    });
    let client_config = match spec.backend {
        Backend::Http(config) => config,
        Backend::Demo => match super::demo::start_server().await {
            Ok(server) => {
                let config = HttpClientConfig {
                    provider: DEMO_PROVIDER.into(),
                    wire: Wire::Anthropic,
                    base_url: server.base_url(),
                    api_key: Some("demo-key-not-secret".into()),
                    env_key: None,
                    headers: Vec::new(),
                    max_retries: spec.config.retry.max_retries,
                    idle_timeout: Duration::from_secs(spec.config.retry.idle_timeout_secs),
                };
                _demo_server = Some(server);
                config
            }
            Err(e) => {
                eprintln!("tandem: cannot start the demo model server on loopback: {e}");
                return exit::FAILURE;
            }
        },
    };
    let client = match HttpModelClient::new(client_config) {
        Ok(client) => Arc::new(client),
        Err(e) => {
            eprintln!("tandem: {e:#}");
            return exit::USAGE;
        }
    };
    let mut handle = Session::spawn(setup::session_config(
        &spec.config,
        &spec.dirs.config,
        SessionParams {
            pane: Pane::Run,
            client,
            model: spec.model,
            mode: spec.mode,
            workspace: spec.workspace,
            max_turns: spec.max_turns,
            reasoning: spec.reasoning,
            can_approve: false,
            live_output: false,
            permissions: spec.permissions,
            sandbox: spec.sandbox,
            tracker: None,
            meter: meter.clone(),
            transcript: transcript.clone(),
            mcp,
            hooks: spec.hooks,
        },
    ));
    let task = match spec.until {
        Some(until) => Op::TaskUntil {
            text: spec.prompt,
            until,
        },
        None => Op::UserMessage(spec.prompt),
    };
    let _ = handle.ops.send(task);
    let mut renderer = Renderer::new(spec.json, std::io::stdout(), std::io::stderr());
    let mut outcome: Option<(TaskStatus, Option<String>)> = None;
    let mut interrupts = 0;
    loop {
        let event = tokio::select! {
            event = handle.events.recv() => event,
            _ = tokio::signal::ctrl_c() => {
                interrupts += 1;
                if interrupts > 1 {
                    return exit::INTERRUPTED;
                }
                let _ = handle.ops.send(Op::Interrupt);
                continue;
            }
        };
        let Some(event) = event else { break };
        if let Event::TaskComplete {
            status,
            last_message,
            ..
        } = &event
        {
            outcome = Some((*status, last_message.clone()));
            let _ = handle.ops.send(Op::Shutdown);
        }
        let done = matches!(event, Event::ShutdownComplete);
        if renderer.event(&event).is_err() {
            // stdout is gone (closed pipe): nobody is listening any more.
            let _ = handle.ops.send(Op::Shutdown);
            return exit::FAILURE;
        }
        if done {
            break;
        }
    }
    if let Some(transcript) = transcript {
        let problem = tokio::task::spawn_blocking(move || {
            transcript.close();
            transcript.problem()
        })
        .await;
        if let Ok(Some(problem)) = problem {
            eprintln!("tandem: warning: the transcript of this run is incomplete: {problem}");
        }
    }
    if let Some(meter) = meter {
        // The ledger is written in the background; wait for it before the
        // process ends so no call goes unrecorded, and say so when it could
        // not be (a full disk, a locked or broken database).
        let problem = tokio::task::spawn_blocking(move || {
            meter.flush();
            meter.problem().map(|p| (p, meter.queued()))
        })
        .await;
        if let Ok(Some((problem, unwritten))) = problem {
            eprintln!(
                "tandem: warning: {unwritten} usage records of this run are not in the ledger, so `tandem usage` and the budgets will not count them: {problem}"
            );
        }
    }
    let Some((status, last_message)) = outcome else {
        eprintln!("tandem: the session ended without finishing its task");
        return exit::FAILURE;
    };
    if let (Some(path), Some(text)) = (&spec.output_last_message, &last_message)
        && let Err(e) = crate::tools::atomic::write_atomic(path, text.as_bytes())
    {
        eprintln!(
            "tandem: cannot write the last message to {}: {e}",
            path.display()
        );
        return exit::FAILURE;
    }
    match status {
        TaskStatus::Ok => exit::OK,
        TaskStatus::Error => exit::PROVIDER,
        TaskStatus::Interrupted => exit::INTERRUPTED,
        TaskStatus::MaxTurns => exit::MAX_TURNS,
        TaskStatus::Budget => exit::BUDGET,
        TaskStatus::Blocked => exit::BLOCKED,
    }
}
