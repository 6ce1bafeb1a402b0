//! The MCP servers of one process, shared by both panes: starting them
//! (eager ones at once in the background, lazy ones when a task begins),
//! noticing crashes, restarting on request, and offering their tools to
//! sessions as a [`ToolSource`].

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use futures_util::future::BoxFuture;
use serde_json::Value;
use tokio::runtime::Handle;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::config::{ServerSpec, servers};
use super::connection::{CallError, Connection};
use super::status::{ServerState, ServerStatus};
use super::tool::{McpTool, output_of};
use crate::config::{Config, McpStartup};
use crate::exec::secrets::SecretPolicy;
use crate::provider::ToolSpec;
use crate::tools::{Tool, ToolOutput, ToolSource};

/// Slack on top of a server's startup timeout before a waiter gives up
/// on it (the start task enforces the timeout itself).
const WAIT_SLACK: Duration = Duration::from_secs(2);

/// A started server: the connection, and what stops its crash watcher.
struct Live {
    conn: Connection,
    stop: CancellationToken,
}

/// Where one server is in its life.
enum Phase {
    Disabled,
    Untrusted,
    Invalid(String),
    /// Lazy, waiting for the first task.
    Idle,
    Starting,
    Ready(Arc<Live>),
    Failed {
        reason: String,
        crashed: bool,
    },
}

/// One server's mutable part.
struct Slot {
    phase: Phase,
    /// Bumped at every (re)start, so a late result of an older start or
    /// crash report does not overwrite a newer state.
    generation: u64,
    /// The tools it listed at its last successful start (kept after a
    /// crash, so calls say what happened rather than "unknown tool").
    tools: Vec<Arc<McpTool>>,
}

struct Server {
    spec: ServerSpec,
    slot: Mutex<Slot>,
}

/// The MCP servers of this process. Create with [`McpHub::new`], then
/// [`McpHub::start`] within the runtime.
pub struct McpHub {
    me: Weak<McpHub>,
    runtime: Handle,
    workspace: PathBuf,
    secrets: SecretPolicy,
    servers: Vec<Server>,
    /// A counter bumped at every state change: waiters and front ends
    /// subscribe to it.
    changed: watch::Sender<u64>,
}

impl McpHub {
    /// The servers of `config` and the `.mcp.json` of `repo_root`, for
    /// `workspace`, run on `runtime`. Also returns the start-up notes the
    /// user should see (project servers held back, invalid definitions,
    /// an unreadable `.mcp.json`).
    pub fn new(
        config: &Config,
        workspace: &Path,
        repo_root: &Path,
        secrets: SecretPolicy,
        runtime: Handle,
    ) -> (Arc<Self>, Vec<String>) {
        let (specs, mut notes) = servers(config, repo_root);
        let mut list = Vec::new();
        for spec in specs {
            let phase = if !spec.config.enabled {
                Phase::Disabled
            } else if spec.project && !config.project.trust {
                notes.push(format!(
                    "MCP server {} (from {}) not started: defined by the project; \
                     set [project] trust = true in your own config.toml",
                    spec.name, spec.origin
                ));
                Phase::Untrusted
            } else if let Err(why) = &spec.transport {
                notes.push(format!(
                    "MCP server {} (from {}) not started: {why}",
                    spec.name, spec.origin
                ));
                Phase::Invalid(why.clone())
            } else {
                Phase::Idle
            };
            list.push(Server {
                spec,
                slot: Mutex::new(Slot {
                    phase,
                    generation: 0,
                    tools: Vec::new(),
                }),
            });
        }
        let hub = Arc::new_cyclic(|me| McpHub {
            me: me.clone(),
            runtime,
            workspace: workspace.to_path_buf(),
            secrets,
            servers: list,
            changed: watch::channel(0).0,
        });
        (hub, notes)
    }

    /// Starts the eager servers in the background.
    pub fn start(&self) {
        for (index, server) in self.servers.iter().enumerate() {
            if server.spec.config.startup == McpStartup::Eager && self.is_idle(index) {
                self.launch(index);
            }
        }
    }

    /// Starts the lazy servers not started yet, then waits until no
    /// server is starting (each within its startup timeout).
    pub async fn ready(&self) {
        for index in 0..self.servers.len() {
            if self.is_idle(index) {
                self.launch(index);
            }
        }
        let longest = self
            .servers
            .iter()
            .map(|s| s.spec.config.startup_timeout_sec)
            .max()
            .unwrap_or(0);
        self.wait_while(Duration::from_secs(longest) + WAIT_SLACK, |hub| {
            (0..hub.servers.len()).any(|i| hub.is_starting(i))
        })
        .await;
    }

    /// Every server's state, for `/mcp`.
    pub fn snapshot(&self) -> Vec<ServerStatus> {
        self.servers
            .iter()
            .map(|server| {
                let slot = lock(&server.slot);
                let state = match &slot.phase {
                    Phase::Disabled => ServerState::Disabled,
                    Phase::Untrusted => ServerState::Untrusted,
                    Phase::Invalid(why) => ServerState::Invalid(why.clone()),
                    Phase::Idle => ServerState::NotStarted,
                    Phase::Starting => ServerState::Starting,
                    Phase::Ready(_) => ServerState::Ready(
                        slot.tools.iter().map(|t| t.name().to_string()).collect(),
                    ),
                    Phase::Failed { reason, .. } => ServerState::Failed(reason.clone()),
                };
                ServerStatus {
                    name: server.spec.name.clone(),
                    origin: server.spec.origin.clone(),
                    transport: match &server.spec.transport {
                        Ok(kind) => kind.as_str().to_string(),
                        Err(_) => "?".into(),
                    },
                    state,
                }
            })
            .collect()
    }

    /// A receiver that changes whenever a server's state does.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    /// Starts server `name` again (in the background). The error says why
    /// it cannot be (unknown, disabled, untrusted, invalid).
    pub fn restart(&self, name: &str) -> Result<(), String> {
        let Some(index) = self.servers.iter().position(|s| s.spec.name == name) else {
            let names: Vec<&str> = self.servers.iter().map(|s| s.spec.name.as_str()).collect();
            return Err(format!(
                "no MCP server named {name}; the servers are: {}",
                if names.is_empty() {
                    "(none)".to_string()
                } else {
                    names.join(", ")
                }
            ));
        };
        {
            let slot = lock(&self.servers[index].slot);
            let refusal = match &slot.phase {
                Phase::Disabled => Some("it is disabled (enabled = false)".to_string()),
                Phase::Untrusted => Some(
                    "it is defined by the project; set [project] trust = true in your own \
                     config.toml"
                        .to_string(),
                ),
                Phase::Invalid(why) => Some(why.clone()),
                _ => None,
            };
            if let Some(why) = refusal {
                return Err(format!("MCP server {name} cannot be started: {why}"));
            }
        }
        self.launch(index);
        Ok(())
    }

    /// Runs `tool` of server `index`: its result, or a failed output that
    /// says what happened (crashed, timed out, refused) and what to do.
    pub(crate) async fn call(&self, index: usize, tool: &str, input: Value) -> ToolOutput {
        let server = &self.servers[index];
        let name = &server.spec.name;
        let startup = Duration::from_secs(server.spec.config.startup_timeout_sec) + WAIT_SLACK;
        self.wait_while(startup, |hub| hub.is_starting(index)).await;
        let (live, generation) = {
            let slot = lock(&server.slot);
            match &slot.phase {
                Phase::Ready(live) => (live.clone(), slot.generation),
                Phase::Failed { reason, crashed } => {
                    let what = if *crashed {
                        "crashed"
                    } else {
                        "failed to start"
                    };
                    return ToolOutput::err(format!(
                        "MCP server {name} {what}: {reason}; /mcp restart {name} starts it again"
                    ));
                }
                _ => {
                    return ToolOutput::err(format!(
                        "MCP server {name} is not running; /mcp shows why"
                    ));
                }
            }
        };
        let limit = Duration::from_secs(server.spec.config.tool_timeout_sec.max(1));
        match live.conn.call(tool, input, limit).await {
            Ok(result) => output_of(&result),
            Err(CallError::Timeout(limit)) => ToolOutput::err(format!(
                "MCP server {name} did not answer the call of {tool} within {} s \
                 (tool_timeout_sec); raise tool_timeout_sec under [mcp_servers.{name}] \
                 if it needs longer",
                limit.as_secs()
            )),
            Err(CallError::Rejected(why)) => ToolOutput::err(format!(
                "MCP server {name} refused the call of {tool}: {why}"
            )),
            Err(CallError::Crashed(why)) => {
                self.fail(index, generation, why.clone());
                ToolOutput::err(format!(
                    "MCP server {name} crashed: {why}; /mcp restart {name} starts it again"
                ))
            }
        }
    }

    fn is_idle(&self, index: usize) -> bool {
        matches!(lock(&self.servers[index].slot).phase, Phase::Idle)
    }

    fn is_starting(&self, index: usize) -> bool {
        matches!(lock(&self.servers[index].slot).phase, Phase::Starting)
    }

    /// Waits until `busy` is false, at most `limit`.
    async fn wait_while(&self, limit: Duration, busy: impl Fn(&Self) -> bool) {
        let mut changes = self.changed.subscribe();
        let deadline = tokio::time::Instant::now() + limit;
        while busy(self) {
            tokio::select! {
                changed = changes.changed() => if changed.is_err() { return },
                _ = tokio::time::sleep_until(deadline) => return,
            }
        }
    }

    fn bump(&self) {
        self.changed.send_modify(|n| *n += 1);
    }

    /// (Re)starts server `index` in the background.
    fn launch(&self, index: usize) {
        let generation = {
            let mut slot = lock(&self.servers[index].slot);
            if let Phase::Ready(live) = &slot.phase {
                live.stop.cancel();
            }
            slot.generation += 1;
            slot.phase = Phase::Starting;
            slot.generation
        };
        self.bump();
        let me = self.me.clone();
        self.runtime.spawn(async move {
            let Some(hub) = me.upgrade() else { return };
            let spec = &hub.servers[index].spec;
            tracing::info!(server = %spec.name, "starting MCP server");
            let result = Connection::open(spec, &hub.workspace, &hub.secrets).await;
            hub.finish_start(index, generation, result);
        });
    }

    fn finish_start(&self, index: usize, generation: u64, result: Result<Connection, String>) {
        let server = &self.servers[index];
        let mut slot = lock(&server.slot);
        if slot.generation != generation {
            return;
        }
        match result {
            Ok(conn) => {
                let mut seen = HashSet::new();
                let tools: Vec<Arc<McpTool>> = conn
                    .tools
                    .iter()
                    .map(|def| {
                        Arc::new(McpTool::new(&server.spec.name, index, def, self.me.clone()))
                    })
                    .filter(|tool| seen.insert(tool.name().to_string()))
                    .collect();
                tracing::info!(server = %server.spec.name, tools = tools.len(), "MCP server ready");
                let live = Arc::new(Live {
                    conn,
                    stop: CancellationToken::new(),
                });
                slot.tools = tools;
                slot.phase = Phase::Ready(live.clone());
                let me = self.me.clone();
                self.runtime.spawn(async move {
                    tokio::select! {
                        why = live.conn.ended() => {
                            if let Some(hub) = me.upgrade() {
                                hub.fail(index, generation, why);
                            }
                        }
                        _ = live.stop.cancelled() => {}
                    }
                });
            }
            Err(reason) => {
                tracing::warn!(server = %server.spec.name, %reason, "MCP server failed to start");
                slot.phase = Phase::Failed {
                    reason,
                    crashed: false,
                };
            }
        }
        drop(slot);
        self.bump();
    }

    /// Marks a running server crashed, unless it was restarted since.
    fn fail(&self, index: usize, generation: u64, reason: String) {
        let mut slot = lock(&self.servers[index].slot);
        if slot.generation != generation {
            return;
        }
        if let Phase::Ready(live) = &slot.phase {
            live.stop.cancel();
            tracing::warn!(server = %self.servers[index].spec.name, %reason, "MCP server crashed");
            slot.phase = Phase::Failed {
                reason,
                crashed: true,
            };
            drop(slot);
            self.bump();
        }
    }
}

impl Drop for McpHub {
    /// Stops the crash watchers, so every connection (and child) goes.
    fn drop(&mut self) {
        for server in &self.servers {
            if let Phase::Ready(live) = &lock(&server.slot).phase {
                live.stop.cancel();
            }
        }
    }
}

impl ToolSource for McpHub {
    fn specs(&self) -> Vec<ToolSpec> {
        self.servers
            .iter()
            .flat_map(|server| {
                let slot = lock(&server.slot);
                slot.tools.iter().map(|t| t.spec()).collect::<Vec<_>>()
            })
            .collect()
    }

    fn get(&self, name: &str) -> Option<Arc<dyn Tool>> {
        self.servers.iter().find_map(|server| {
            let slot = lock(&server.slot);
            let tool = slot.tools.iter().find(|t| t.name() == name)?;
            Some(tool.clone() as Arc<dyn Tool>)
        })
    }

    fn prepare(&self) -> BoxFuture<'_, ()> {
        Box::pin(self.ready())
    }
}

/// Locks a slot; a panic elsewhere while holding it leaves data that is
/// still consistent (every update is one assignment), so poisoning is ignored.
fn lock(slot: &Mutex<Slot>) -> MutexGuard<'_, Slot> {
    slot.lock().unwrap_or_else(|e| e.into_inner())
}
