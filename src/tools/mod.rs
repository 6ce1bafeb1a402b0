//! The tools agents call: definitions (JSON schema) and implementations.
//!
//! Every tool takes a JSON object, resolves paths against the workspace
//! ([`paths`]), and returns a [`ToolOutput`] whose text goes back to the
//! model. Failures the model can act on (missing file, ambiguous edit) are
//! `ok: false` outputs, not Rust errors: the turn goes on.

pub mod atomic;
pub mod edit;
pub mod glob;
pub mod grep;
pub mod list;
pub mod patch;
pub mod paths;
pub mod plan;
pub mod read;
pub mod shell;
pub mod write;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::exec::rules::Category;
use crate::provider::ToolSpec;

/// What a tool does to the world; decides approvals and concurrency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolKind {
    /// Only reads: may run concurrently with other reads, never needs approval.
    Read,
    /// Changes files in the workspace.
    Edit,
    /// Runs a command.
    Exec,
    /// Updates the agent's own plan; touches nothing.
    Plan,
}

impl ToolKind {
    /// The permission-rule category of calls of this kind; `None` for
    /// calls no rule governs.
    pub fn rule_category(self) -> Option<Category> {
        match self {
            ToolKind::Read => Some(Category::Read),
            ToolKind::Edit => Some(Category::Edit),
            ToolKind::Exec => Some(Category::Shell),
            ToolKind::Plan => None,
        }
    }
}

/// Settings of the `shell` tool.
#[derive(Debug, Clone)]
pub struct ShellSettings {
    /// Default time limit of one command (the model may ask for less or more,
    /// up to `max_timeout`).
    pub timeout: Duration,
    /// Upper bound of a timeout the model asks for.
    pub max_timeout: Duration,
    /// Bytes of output kept (head and tail; the middle is elided).
    pub output_cap_bytes: usize,
    /// Environment variables removed from every child (API keys).
    pub scrub_env: Vec<String>,
    /// Credential-named variables the user lets children keep
    /// (`sandbox.env_passthrough`).
    pub env_keep: Vec<String>,
    /// How commands are confined.
    pub sandbox: SandboxLaunch,
}

/// How the `shell` tool confines a command.
#[derive(Debug, Clone, PartialEq)]
pub enum SandboxLaunch {
    /// Through `helper sandbox-exec` (the tandem binary) under `policy`.
    Sandboxed {
        policy: crate::exec::sandbox::SandboxPolicy,
        helper: PathBuf,
    },
    /// No sandbox: the user asked for it (`--dangerously-bypass-sandbox`),
    /// or a test runs commands directly.
    Bypassed,
    /// The sandbox cannot be applied here; commands are refused with this
    /// message (what is missing, and the flag that would bypass it) rather
    /// than run unconfined.
    Unavailable(String),
}

/// What a front end shows of the sandbox: its mode, whether commands may
/// use the network, and whether the kernel enforces it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SandboxSummary {
    pub mode: crate::exec::sandbox::SandboxMode,
    pub network: bool,
    /// False when commands run unconfined (bypassed) or are refused
    /// (unavailable).
    pub enforced: bool,
}

impl SandboxLaunch {
    /// The summary shown in `session.started` and pane titles.
    pub fn summary(&self) -> SandboxSummary {
        use crate::exec::sandbox::SandboxMode;
        match self {
            SandboxLaunch::Sandboxed { policy, .. } => SandboxSummary {
                mode: policy.mode,
                network: policy.network,
                enforced: true,
            },
            SandboxLaunch::Bypassed => SandboxSummary {
                mode: SandboxMode::DangerFullAccess,
                network: true,
                enforced: false,
            },
            SandboxLaunch::Unavailable(_) => SandboxSummary {
                mode: SandboxMode::WorkspaceWrite,
                network: false,
                enforced: false,
            },
        }
    }
}

impl Default for ShellSettings {
    /// Defaults for tests and embedding: commands run **without** a sandbox.
    /// Front ends set `sandbox` from the configuration.
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(120),
            max_timeout: Duration::from_secs(1800),
            output_cap_bytes: 256 * 1024,
            scrub_env: Vec::new(),
            env_keep: Vec::new(),
            sandbox: SandboxLaunch::Bypassed,
        }
    }
}

/// Live progress of a running tool, for the front end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolProgress {
    /// Raw output bytes of a command, as the PTY produced them.
    Output(Vec<u8>),
}

/// Decides whether a path is hidden from reads (a `read` deny rule):
/// directory-walking tools skip such files, so `grep` of `.` cannot show
/// what `read(.env)` forbids.
pub type ReadFilter = Arc<dyn Fn(&std::path::Path) -> bool + Send + Sync>;

/// What a tool needs from the session that runs it.
#[derive(Clone)]
pub struct ToolContext {
    /// The workspace root (absolute, canonical).
    pub workspace: PathBuf,
    /// Cancelled when the user interrupts the turn.
    pub cancel: CancellationToken,
    /// Receives live output while a tool runs, when a front end wants it.
    pub progress: Option<mpsc::UnboundedSender<ToolProgress>>,
    pub shell: Arc<ShellSettings>,
    /// Paths walking tools must skip; `None`: nothing is hidden.
    pub hidden: Option<ReadFilter>,
}

impl ToolContext {
    /// A context for `workspace` with default settings and no progress sink.
    pub fn new(workspace: PathBuf) -> Self {
        Self {
            workspace,
            cancel: CancellationToken::new(),
            progress: None,
            shell: Arc::new(ShellSettings::default()),
            hidden: None,
        }
    }
}

/// One step of an agent's plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanStep {
    pub step: String,
    pub status: StepStatus,
}

/// Where a plan step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Pending,
    InProgress,
    Completed,
}

/// The result of one tool call.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ToolOutput {
    /// False when the call failed; the text then says why and what to do.
    pub ok: bool,
    /// What the model sees.
    pub text: String,
    /// Workspace files the call created, changed or deleted.
    pub changed: Vec<PathBuf>,
    /// The new plan, for `update_plan`.
    pub plan: Option<Vec<PlanStep>>,
    /// Exit code, for `shell`.
    pub exit_code: Option<i32>,
}

impl ToolOutput {
    /// A successful result with `text`.
    pub fn ok(text: impl Into<String>) -> Self {
        Self {
            ok: true,
            text: text.into(),
            ..Self::default()
        }
    }

    /// A failed result whose `text` says what went wrong and what to do.
    pub fn err(text: impl Into<String>) -> Self {
        Self {
            ok: false,
            text: text.into(),
            ..Self::default()
        }
    }
}

/// A tool the model can call.
pub trait Tool: Send + Sync {
    /// Name, description and JSON schema, as offered to the model.
    fn spec(&self) -> ToolSpec;

    /// What the tool does to the world.
    fn kind(&self) -> ToolKind;

    /// A short one-line description of a call for display,
    /// e.g. `src/lib.rs:10-40` or `cargo test`.
    fn summary(&self, input: &Value) -> String;

    /// What permission rules are matched against for this call: the file
    /// paths it reads or changes (see [`paths::rule_target`]), or the command
    /// line for `shell`. Empty when the call touches nothing rules govern.
    fn targets(&self, _input: &Value, _workspace: &std::path::Path) -> Vec<String> {
        Vec::new()
    }

    /// The permission-rule category its calls are judged under: the one
    /// of its kind, except for tools whose rules are written differently
    /// (MCP tools: `mcp(server:tool)`, whatever their kind).
    fn rule_category(&self) -> Option<Category> {
        self.kind().rule_category()
    }

    /// Runs the call. Must return promptly once `ctx.cancel` fires.
    fn run<'a>(&'a self, input: Value, ctx: &'a ToolContext) -> BoxFuture<'a, ToolOutput>;
}

/// Parses a tool's arguments, or explains to the model what was wrong and
/// what shape was expected (`shape` is a one-line JSON sketch).
pub(crate) fn parse_args<T: serde::de::DeserializeOwned>(
    input: Value,
    tool: &str,
    shape: &str,
) -> Result<T, ToolOutput> {
    serde_json::from_value(input).map_err(|e| {
        ToolOutput::err(format!(
            "invalid arguments for {tool}: {e}. Expected {shape}"
        ))
    })
}

/// The rule target of a tool's path argument `key` (the workspace root
/// when absent).
pub(crate) fn path_target(input: &Value, key: &str, workspace: &std::path::Path) -> Vec<String> {
    let raw = input.get(key).and_then(Value::as_str).unwrap_or(".");
    vec![paths::rule_target(workspace, raw)]
}

/// Tools that come and go while a session runs (an MCP server's tools
/// appear when it has started): the [`Registry`] merges them with its own.
pub trait ToolSource: Send + Sync {
    /// The specs of the tools available now.
    fn specs(&self) -> Vec<ToolSpec>;

    /// The tool of this name, if available now.
    fn get(&self, name: &str) -> Option<Arc<dyn Tool>>;

    /// Called when a task begins: starts what starts on demand and waits,
    /// within bounded time, for tools still on their way, so the first
    /// model call of the task is offered them.
    fn prepare(&self) -> BoxFuture<'_, ()>;
}

/// The set of tools a session offers.
#[derive(Clone)]
pub struct Registry {
    tools: Vec<Arc<dyn Tool>>,
    /// The tools' specs, built once: a spec is a JSON schema, and the
    /// session looks tools up and offers the specs on every model call.
    specs: Arc<Vec<ToolSpec>>,
    /// Tools beyond the fixed ones (MCP servers), asked each time.
    source: Option<Arc<dyn ToolSource>>,
}

impl Registry {
    /// The core tools every session has.
    pub fn core() -> Self {
        Self::new(vec![
            Arc::new(read::ReadFile),
            Arc::new(list::ListDir),
            Arc::new(glob::Glob),
            Arc::new(grep::Grep),
            Arc::new(edit::EditFile),
            Arc::new(write::WriteFile),
            Arc::new(patch::ApplyPatch),
            Arc::new(shell::Shell),
            Arc::new(plan::UpdatePlan),
        ])
    }

    /// A registry of these tools.
    pub fn new(tools: Vec<Arc<dyn Tool>>) -> Self {
        let specs = Arc::new(tools.iter().map(|t| t.spec()).collect());
        Self {
            tools,
            specs,
            source: None,
        }
    }

    /// This registry with the tools of `source` added (fixed tools win a
    /// name clash).
    pub fn with_source(mut self, source: Arc<dyn ToolSource>) -> Self {
        self.source = Some(source);
        self
    }

    /// Looks a tool up by name.
    pub fn get(&self, name: &str) -> Option<Arc<dyn Tool>> {
        match self.specs.iter().position(|s| s.name == name) {
            Some(index) => self.tools.get(index).cloned(),
            None => self.source.as_ref()?.get(name),
        }
    }

    /// The specs offered to the model.
    pub fn specs(&self) -> Vec<ToolSpec> {
        let mut specs = self.specs.as_ref().clone();
        if let Some(source) = &self.source {
            specs.extend(source.specs());
        }
        specs
    }

    /// Readies the added tools for a task (see [`ToolSource::prepare`]).
    pub async fn prepare(&self) {
        if let Some(source) = &self.source {
            source.prepare().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rule_targets_are_workspace_relative_and_follow_links() {
        let dir = tempfile::tempdir().unwrap();
        let ws = dir.path().canonicalize().unwrap();
        std::fs::write(ws.join(".env"), "SECRET=1").unwrap();
        std::os::unix::fs::symlink(ws.join(".env"), ws.join("innocent.txt")).unwrap();
        let reg = Registry::core();
        let read = reg.get("read_file").unwrap();
        assert_eq!(read.targets(&json!({"path": "src/../.env"}), &ws), [".env"]);
        assert_eq!(
            read.targets(&json!({"path": "innocent.txt"}), &ws),
            [".env"],
            "a link is judged by what it points at"
        );
        assert_eq!(
            read.targets(&json!({"path": "/etc/hosts"}), &ws),
            ["/etc/hosts"]
        );
        let grep = reg.get("grep").unwrap();
        assert_eq!(grep.targets(&json!({"pattern": "x"}), &ws), ["."]);
        let patch = reg.get("apply_patch").unwrap();
        let input = json!({"patch": "*** Begin Patch\n*** Update File: a.rs\n*** Move to: b/c.rs\n@@\n-x\n+y\n*** Delete File: d.rs\n*** End Patch"});
        assert_eq!(patch.targets(&input, &ws), ["a.rs", "b/c.rs", "d.rs"]);
        let shell = reg.get("shell").unwrap();
        assert_eq!(
            shell.targets(&json!({"command": "git status"}), &ws),
            ["git status"]
        );
        assert!(
            reg.get("update_plan")
                .unwrap()
                .targets(&json!({}), &ws)
                .is_empty()
        );
    }
}
