//! Building a session from the configuration: shared by every front end
//! (headless, TUI), so both resolve models, rules, the sandbox and secrets
//! the same way.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};

use super::compact::CompactPolicy;
use super::prompt::system_prompt;
use super::protocol::Pane;
use super::session::{SessionConfig, new_session_id};
use crate::config::instructions::{UserDirs, discover};
use crate::config::providers::key_vars;
use crate::config::{Config, PaneConfig};
use crate::exec::sandbox::{self, SandboxMode, SandboxPolicy};
use crate::exec::secrets::SecretPolicy;
use crate::exec::{ApprovalMode, Permissions};
use crate::hooks::Hooks;
use crate::mcp::McpHub;
use crate::provider::{ModelClient, ReasoningEffort};
use crate::quota::Meter;
use crate::store::Transcript;
use crate::tools::{Registry, SandboxLaunch, ShellSettings};
use crate::workspace::Tracker;

/// Command-line choices about the sandbox.
#[derive(Debug, Clone, Copy, Default)]
pub struct SandboxFlags {
    /// Overrides `sandbox.mode`.
    pub mode: Option<SandboxMode>,
    /// Lets commands use the network (on top of `sandbox.network`).
    pub network: bool,
    /// `--dangerously-bypass-sandbox`.
    pub bypass: bool,
}

/// The workspace: `dir` (or the current directory), absolute and with
/// symlinks resolved, which every path rule and the sandbox compare against.
pub fn workspace(dir: Option<&Path>) -> anyhow::Result<PathBuf> {
    let dir = match dir {
        Some(dir) => dir.to_path_buf(),
        None => std::env::current_dir().context("cannot read the current directory")?,
    };
    let workspace = dir
        .canonicalize()
        .with_context(|| format!("workspace {} does not exist", dir.display()))?;
    if !workspace.is_dir() {
        bail!("workspace {} is not a directory", workspace.display());
    }
    Ok(workspace)
}

/// Which variables are credentials: built-in name rules, the providers' key
/// variables, minus what the user passes through.
pub fn secret_policy(config: &Config) -> SecretPolicy {
    SecretPolicy {
        key_vars: key_vars(config),
        passthrough: config.sandbox.env_passthrough.clone(),
    }
}

/// How commands will be confined: the configured (or flagged) sandbox if the
/// kernel can enforce it; refused commands if it cannot; no sandbox only with
/// `--dangerously-bypass-sandbox`.
pub fn sandbox_launch(
    config: &Config,
    workspace: &Path,
    flags: SandboxFlags,
) -> anyhow::Result<SandboxLaunch> {
    let mode = flags.mode.unwrap_or(config.sandbox.mode);
    if flags.bypass {
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
            network: flags.network || config.sandbox.network,
            workspace: workspace.to_path_buf(),
            writable_roots,
            git_writable: config.sandbox.git_writable,
        },
        helper,
    })
}

/// The permission rules of the configuration, and a warning for each
/// project allow rule that is set aside.
pub fn permissions(
    config: &Config,
    workspace: &Path,
) -> anyhow::Result<(Permissions, Vec<String>)> {
    let (user, project) = config.permissions.rule_lists();
    let permissions = Permissions::from_lists(
        &user,
        &project,
        config.permissions.trust_project_allow,
        workspace,
    )?;
    let warnings = permissions
        .ignored()
        .iter()
        .map(|rule| {
            format!(
                "ignoring {rule}: a project cannot allow itself commands or edits; \
                 set permissions.trust_project_allow = true in your own config.toml to honour it"
            )
        })
        .collect();
    Ok((permissions, warnings))
}

/// The process's MCP servers for `workspace` (`[mcp_servers]` and the
/// repository's `.mcp.json`), with the eager ones starting in the
/// background on `runtime`; and the notes the user should see (servers
/// held back until the project is trusted, invalid definitions).
pub fn mcp_hub(
    config: &Config,
    workspace: &Path,
    runtime: tokio::runtime::Handle,
) -> (Arc<McpHub>, Vec<String>) {
    let root = crate::config::instructions::repo_root(workspace);
    let (hub, notes) = McpHub::new(config, workspace, &root, secret_policy(config), runtime);
    hub.start();
    (hub, notes)
}

/// The hooks of the configuration and of Claude's settings files (home
/// from `$HOME`), and the start-up notes about them (what was imported,
/// project hooks held back until the project is trusted, broken files)
/// for the front end to show.
pub fn hooks(config: &Config, workspace: &Path) -> (Arc<Hooks>, Vec<String>) {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let (hooks, notes) =
        crate::hooks::load(config, workspace, home.as_deref(), secret_policy(config));
    (Arc::new(hooks), notes)
}

/// The model a pane uses: the flag, else the pane's configured model when the
/// pane uses this provider, else the provider's default model.
pub fn resolve_model(
    config: &Config,
    provider: &str,
    pane: &PaneConfig,
    flag: Option<String>,
) -> anyhow::Result<String> {
    flag.or_else(|| (pane.provider == provider).then(|| pane.model.clone()).flatten())
        .or_else(|| config.providers.get(provider)?.default_model.clone())
        .ok_or_else(|| {
            anyhow!(
                "no model for provider `{provider}`: pass --model or set `default_model` under [providers.{provider}]"
            )
        })
}

/// What differs between sessions; the rest comes from the configuration.
pub struct SessionParams {
    pub pane: Pane,
    pub client: Arc<dyn ModelClient>,
    pub model: String,
    pub mode: ApprovalMode,
    /// Absolute workspace root.
    pub workspace: PathBuf,
    pub max_turns: u32,
    pub reasoning: Option<ReasoningEffort>,
    /// False in headless runs.
    pub can_approve: bool,
    /// Forward live command output (the TUI shows it).
    pub live_output: bool,
    pub permissions: Permissions,
    pub sandbox: SandboxLaunch,
    /// The workspace's change tracker (the TUI's review); `None` headless.
    pub tracker: Option<Arc<Tracker>>,
    /// The shared usage ledger and budgets.
    pub meter: Option<Arc<Meter>>,
    /// The process's session transcript.
    pub transcript: Option<Arc<Transcript>>,
    /// The process's MCP servers, whose tools the session offers.
    pub mcp: Option<Arc<McpHub>>,
    /// The hooks ([`hooks`]), shared by the sessions of a process.
    pub hooks: Arc<Hooks>,
}

/// A complete session configuration: persona prompt with the instruction
/// files found, shell limits, secrets redaction.
pub fn session_config(config: &Config, config_dir: &Path, params: SessionParams) -> SessionConfig {
    let instructions = discover(
        &UserDirs::from_env(config_dir),
        &params.workspace,
        &config.instructions,
    );
    let secrets = secret_policy(config);
    let shell = ShellSettings {
        timeout: Duration::from_secs(config.shell.timeout_secs),
        max_timeout: Duration::from_secs(config.shell.max_timeout_secs),
        output_cap_bytes: config.shell.output_cap_bytes,
        scrub_env: key_vars(config),
        env_keep: config.sandbox.env_passthrough.clone(),
        sandbox: params.sandbox,
    };
    let context_window = config.context_window(params.client.provider_name(), &params.model);
    SessionConfig {
        session_id: new_session_id(),
        pane: params.pane,
        client: params.client,
        model: params.model,
        mode: params.mode,
        system_prompt: system_prompt(
            params.pane,
            params.mode,
            &params.workspace,
            instructions.files(),
        ),
        workspace: params.workspace,
        max_turns: params.max_turns,
        max_output_tokens: config.agent.max_output_tokens,
        reasoning: params.reasoning,
        tool_output_cap: config.agent.tool_output_cap_bytes,
        can_approve: params.can_approve,
        live_output: params.live_output,
        tools: match params.mcp {
            Some(hub) => Registry::core().with_source(hub),
            None => Registry::core(),
        },
        shell: Arc::new(shell),
        redactor: Arc::new(secrets.redactor_from_env()),
        permissions: params.permissions,
        context_window,
        compact: CompactPolicy {
            threshold: config.agent.compact_at,
            ..CompactPolicy::default()
        },
        tracker: params.tracker,
        meter: params.meter,
        transcript: params.transcript,
        instructions,
        hooks: params.hooks,
    }
}
