//! One headless task from options to exit code.

use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};

use super::exit;
use super::output::Renderer;
use crate::agent::prompt::system_prompt;
use crate::agent::session::new_session_id;
use crate::agent::{Event, Op, Pane, Session, SessionConfig, TaskStatus};
use crate::config::Config;
use crate::config::instructions::{discover, repo_root};
use crate::config::providers::{default_headless_provider, key_vars, resolve};
use crate::exec::sandbox::{self, SandboxMode, SandboxPolicy};
use crate::exec::secrets::{self, SecretPolicy};
use crate::exec::{ApprovalMode, Permissions};
use crate::paths::Dirs;
use crate::provider::{HttpClientConfig, HttpModelClient, ReasoningEffort, Wire};
use crate::tools::{Registry, SandboxLaunch, ShellSettings};

/// The provider name that selects the scripted demo model.
pub const DEMO_PROVIDER: &str = "demo";

/// `tandem exec` options, as parsed from the command line.
#[derive(Debug, Clone, Default)]
pub struct ExecOptions {
    pub provider: Option<String>,
    pub model: Option<String>,
    pub mode: Option<ApprovalMode>,
    /// Workspace; the current directory when absent.
    pub cwd: Option<PathBuf>,
    pub max_turns: Option<u32>,
    pub reasoning: Option<ReasoningEffort>,
    pub json: bool,
    pub output_last_message: Option<PathBuf>,
    /// Overrides `sandbox.mode`.
    pub sandbox: Option<SandboxMode>,
    /// Lets commands use the network (overrides `sandbox.network`).
    pub network: bool,
    /// `--dangerously-bypass-sandbox`: commands run with no sandbox.
    pub bypass_sandbox: bool,
    /// The task; `None` or `-` reads it from stdin.
    pub prompt: Option<String>,
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
    pub permissions: Permissions,
    pub sandbox: SandboxLaunch,
    pub config: Config,
    pub dirs: Dirs,
}

/// Runs `tandem exec`; returns the process exit code.
pub fn run_exec(opts: ExecOptions) -> i32 {
    let spec = match prepare(opts) {
        Ok(spec) => spec,
        Err(e) => {
            eprintln!("tandem: {e:#}");
            return exit::USAGE;
        }
    };
    execute(spec)
}

/// Starts logging and the runtime, then drives the session to the end.
pub(crate) fn execute(spec: RunSpec) -> i32 {
    // Still single-threaded here: move keys out of our own environment
    // block before any thread (log writer, runtime) exists.
    secrets::take_from_environment(&secret_policy(&spec.config));
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

fn prepare(opts: ExecOptions) -> anyhow::Result<RunSpec> {
    let dirs = Dirs::from_env()?;
    let workspace = match &opts.cwd {
        Some(dir) => dir.clone(),
        None => std::env::current_dir().context("cannot read the current directory")?,
    };
    let workspace = workspace
        .canonicalize()
        .with_context(|| format!("workspace {} does not exist", workspace.display()))?;
    if !workspace.is_dir() {
        bail!("workspace {} is not a directory", workspace.display());
    }
    let config = Config::load(&dirs.config, Some(&repo_root(&workspace)), &[])?;
    let env = |k: &str| secrets::env_var(k);
    let provider = opts
        .provider
        .clone()
        .unwrap_or_else(|| default_headless_provider(&config, &env));
    let (backend, default_model) = if provider == DEMO_PROVIDER {
        (Backend::Demo, Some(DEMO_PROVIDER.to_string()))
    } else {
        let client = resolve(&config, &provider, &env)?;
        let default_model = config.providers[&provider].default_model.clone();
        (Backend::Http(client), default_model)
    };
    let model = opts
        .model
        .clone()
        .or_else(|| {
            (config.panes.run.provider == provider)
                .then(|| config.panes.run.model.clone())
                .flatten()
        })
        .or(default_model)
        .ok_or_else(|| {
            anyhow!("no model for provider `{provider}`: pass --model or set `default_model` under [providers.{provider}]")
        })?;
    let prompt = read_prompt(opts.prompt.clone())?;
    let permissions = permissions(&config, &workspace)?;
    let sandbox = sandbox_launch(&config, &workspace, &opts)?;
    Ok(RunSpec {
        backend,
        model,
        mode: opts.mode.unwrap_or(config.panes.run.mode),
        workspace,
        prompt,
        json: opts.json,
        max_turns: opts.max_turns.unwrap_or(config.agent.max_turns).max(1),
        reasoning: opts.reasoning.or(config.agent.reasoning),
        output_last_message: opts.output_last_message,
        permissions,
        sandbox,
        config,
        dirs,
    })
}

/// Which variables are credentials: built-in name rules, the providers'
/// key variables, minus what the user passes through.
fn secret_policy(config: &Config) -> SecretPolicy {
    SecretPolicy {
        key_vars: key_vars(config),
        passthrough: config.sandbox.env_passthrough.clone(),
    }
}

/// How commands will be confined: the configured (or flagged) sandbox if
/// the kernel can enforce it; refused commands if it cannot; no sandbox only
/// with `--dangerously-bypass-sandbox`.
pub(crate) fn sandbox_launch(
    config: &Config,
    workspace: &std::path::Path,
    opts: &ExecOptions,
) -> anyhow::Result<SandboxLaunch> {
    let mode = opts.sandbox.unwrap_or(config.sandbox.mode);
    if opts.bypass_sandbox {
        return Ok(SandboxLaunch::Bypassed);
    }
    if mode == SandboxMode::DangerFullAccess {
        bail!(
            "sandbox mode danger-full-access runs commands with no sandbox at all; \
             it takes the explicit flag --dangerously-bypass-sandbox"
        );
    }
    if let Some(missing) = sandbox::support().missing() {
        return Ok(SandboxLaunch::Unavailable(format!(
            "commands must run in the kernel sandbox, and this system cannot provide it ({missing}). \
             Tandem refuses to run them unconfined; the user can rerun with --dangerously-bypass-sandbox \
             to run commands without a sandbox"
        )));
    }
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let writable_roots = config
        .sandbox
        .writable_roots
        .iter()
        .map(|root| match (root.strip_prefix("~/"), &home) {
            (Some(rest), Some(home)) => home.join(rest),
            _ => workspace.join(root),
        })
        .collect();
    let helper = std::env::current_exe()
        .context("cannot find the tandem binary to run the sandbox helper")?;
    Ok(SandboxLaunch::Sandboxed {
        policy: SandboxPolicy {
            mode,
            network: opts.network || config.sandbox.network,
            workspace: workspace.to_path_buf(),
            writable_roots,
            git_writable: config.sandbox.git_writable,
        },
        helper,
    })
}

/// The permission rules of the configuration, with a warning for project
/// allows that are set aside.
pub(crate) fn permissions(
    config: &Config,
    workspace: &std::path::Path,
) -> anyhow::Result<Permissions> {
    let (user, project) = config.permissions.rule_lists();
    let permissions = Permissions::from_lists(
        &user,
        &project,
        config.permissions.trust_project_allow,
        workspace,
    )?;
    for rule in permissions.ignored() {
        eprintln!(
            "tandem: warning: ignoring {rule}: a project cannot allow itself commands or edits; \
             set permissions.trust_project_allow = true in your own config.toml to honour it"
        );
    }
    Ok(permissions)
}

async fn drive(spec: RunSpec) -> i32 {
    let mut _demo_server = None;
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
    let instructions = discover(&spec.dirs.config, &spec.workspace);
    let secrets = secret_policy(&spec.config);
    let shell = ShellSettings {
        timeout: Duration::from_secs(spec.config.shell.timeout_secs),
        max_timeout: Duration::from_secs(spec.config.shell.max_timeout_secs),
        output_cap_bytes: spec.config.shell.output_cap_bytes,
        scrub_env: key_vars(&spec.config),
        env_keep: spec.config.sandbox.env_passthrough.clone(),
        sandbox: spec.sandbox,
    };
    let mut handle = Session::spawn(SessionConfig {
        session_id: new_session_id(),
        pane: Pane::Run,
        client,
        model: spec.model,
        mode: spec.mode,
        system_prompt: system_prompt(Pane::Run, spec.mode, &spec.workspace, &instructions),
        workspace: spec.workspace,
        max_turns: spec.max_turns,
        max_output_tokens: spec.config.agent.max_output_tokens,
        reasoning: spec.reasoning,
        tool_output_cap: spec.config.agent.tool_output_cap_bytes,
        can_approve: false,
        live_output: false,
        tools: Registry::core(),
        shell: Arc::new(shell),
        redactor: Arc::new(secrets.redactor_from_env()),
        permissions: spec.permissions,
    });
    let _ = handle.ops.send(Op::UserMessage(spec.prompt));
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
    }
}
