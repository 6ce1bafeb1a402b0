//! The configuration sections for what users bring from other agents:
//! instruction files (`[instructions]`), hooks (`[[hooks.EVENT]]`), MCP
//! servers (`[mcp_servers.NAME]`) and whether a project's own files may
//! start commands (`[project] trust`).

use std::collections::BTreeMap;

use serde::Deserialize;

/// Size caps of project instructions (`[instructions]`): instruction files
/// go into every request, so a huge one must not eat the context window.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstructionsConfig {
    /// Bytes kept of one file (imports included); the rest is cut with a
    /// visible note.
    pub max_file_bytes: usize,
    /// Bytes kept of all instruction files together.
    pub max_total_bytes: usize,
}

/// `[project]`: what a project's own files may do. Only the user's own
/// config (or the command line) may set it: a cloned repository must not
/// be able to trust itself.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectConfig {
    /// Run the hooks and start the MCP servers that the project defines
    /// (`.tandem/config.toml`, `.claude/settings.json`, `.mcp.json`).
    /// Off: they are listed with a note saying how to enable them.
    #[serde(default)]
    pub trust: bool,
}

/// One hook (`[[hooks.pre_tool_use]]`): a command run on an event.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HookDef {
    /// For tool events: a regular expression over the tool name
    /// (`shell|edit_file`, `mcp__github__.*`); absent, empty or `*`: every
    /// tool. On `session_start` it matches the source (`startup`,
    /// `resume`, `clear`), on `pre_compact` the trigger (`manual`,
    /// `auto`); ignored for other events.
    #[serde(default)]
    pub matcher: Option<String>,
    /// Run with `sh -c` in the workspace, the event as JSON on stdin.
    pub command: String,
    /// Seconds before the hook is killed (default 60).
    #[serde(default)]
    pub timeout: Option<u64>,
}

/// The hooks of one layer, by event (`[hooks]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HooksSection {
    #[serde(default)]
    pub session_start: Vec<HookDef>,
    #[serde(default)]
    pub user_prompt_submit: Vec<HookDef>,
    #[serde(default)]
    pub pre_tool_use: Vec<HookDef>,
    #[serde(default)]
    pub post_tool_use: Vec<HookDef>,
    #[serde(default)]
    pub stop: Vec<HookDef>,
    #[serde(default)]
    pub notification: Vec<HookDef>,
    #[serde(default)]
    pub pre_compact: Vec<HookDef>,
    #[serde(default)]
    pub session_end: Vec<HookDef>,
}

/// The `[hooks]` of one configuration layer: hooks are not merged key by
/// key (the user's and the project's both run), and each keeps its origin
/// so a project's hooks can be held back until the project is trusted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HookLayer {
    /// The file (or "command line") the hooks came from.
    pub origin: String,
    /// True for the project's `.tandem/config.toml`.
    pub project: bool,
    pub hooks: HooksSection,
}

/// When an MCP server is started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum McpStartup {
    /// With the session, in the background; the first model call waits for
    /// it (up to the startup timeout) so its tools are offered.
    #[default]
    Eager,
    /// When a pane's first task begins.
    Lazy,
}

/// One MCP server (`[mcp_servers.NAME]`, Codex's keys): a command over
/// stdio, or a streamable HTTP `url`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct McpServerConfig {
    /// The program of a stdio server.
    #[serde(default)]
    pub command: Option<String>,
    #[serde(default)]
    pub args: Vec<String>,
    /// Extra environment of a stdio server (provider keys are not passed
    /// unless named here).
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Working directory of a stdio server (default: the workspace).
    #[serde(default)]
    pub cwd: Option<String>,
    /// The endpoint of a streamable HTTP server.
    #[serde(default)]
    pub url: Option<String>,
    /// Headers sent to an HTTP server.
    #[serde(default, alias = "http_headers")]
    pub headers: BTreeMap<String, String>,
    /// Environment variable holding a bearer token for an HTTP server.
    #[serde(default)]
    pub bearer_token_env_var: Option<String>,
    #[serde(default)]
    pub startup: McpStartup,
    /// Seconds a server may take to start and list its tools.
    #[serde(default = "default_startup_timeout")]
    pub startup_timeout_sec: u64,
    /// Seconds one tool call may take.
    #[serde(default = "default_tool_timeout")]
    pub tool_timeout_sec: u64,
    /// False: configured but not started.
    #[serde(default = "default_true")]
    pub enabled: bool,
}

fn default_startup_timeout() -> u64 {
    10
}

fn default_tool_timeout() -> u64 {
    60
}

fn default_true() -> bool {
    true
}

/// Hosted terminal agents (`[host]`; a pane hosts one with `[panes.X]
/// host = "claude"`): how Tandem's own keys are reached while the program
/// has the keyboard, and the loopback proxy that meters its model calls.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostConfig {
    /// The key that reaches Tandem instead of the hosted program (then the
    /// next key is Tandem's: Tab, Ctrl-G, Ctrl-Q, ...). Written like
    /// `ctrl-]`, `ctrl-a`, `f12`.
    pub prefix_key: String,
    /// Point hosted programs at a metering proxy on loopback, so their
    /// tokens and cost go to the same ledger and budget as Tandem's agents.
    pub proxy: bool,
    /// The provider (from `[providers]`) the proxy forwards Anthropic-style
    /// requests to (Claude Code); its key, if set, is injected by the proxy
    /// so the program never sees it.
    pub anthropic_upstream: String,
    /// The provider the proxy forwards OpenAI-style requests to (Codex and
    /// others).
    pub openai_upstream: String,
}
