//! One live MCP session with a server (rmcp's client over the transport
//! from [`super::client`]): the initialize handshake and tool listing under
//! the startup timeout, tool calls under the tool timeout, and telling a
//! crash (the child exited, the connection broke) from a tool's own error.

use std::path::Path;
use std::time::Duration;

use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, CallToolResult, Tool as McpToolDef};
use rmcp::service::{RoleClient, RunningService, ServiceError};
use serde_json::Value;
use tokio::sync::{oneshot, watch};

use super::client::{StderrTail, http_transport, spawn_stdio};
use super::config::{ServerSpec, TransportKind};
use crate::exec::secrets::SecretPolicy;

/// Lines of stderr quoted in an error message.
const STDERR_QUOTED: usize = 8;
/// How long a failed call waits for the child's exit status, to say how
/// it ended.
const EXIT_GRACE: Duration = Duration::from_millis(500);

/// Why a tool call did not produce a result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    /// No answer within the tool timeout; the server may still be fine.
    Timeout(Duration),
    /// The server is gone (process exited, connection broken): why.
    Crashed(String),
    /// The server answered with a protocol error (unknown tool, bad
    /// arguments): its message. The server is still usable.
    Rejected(String),
}

/// What is left of a stdio child while the session runs.
struct ChildParts {
    stderr: StderrTail,
    exited: watch::Receiver<Option<String>>,
    /// Dropping it kills the child's process group.
    _kill: oneshot::Sender<()>,
}

/// A started server and the tools it listed.
pub struct Connection {
    service: RunningService<RoleClient, ()>,
    /// The tools as the server described them.
    pub tools: Vec<McpToolDef>,
    child: Option<ChildParts>,
}

impl Connection {
    /// Starts `spec`, runs the handshake and lists its tools, all within
    /// its startup timeout. The error says what happened (with the
    /// server's stderr) and what to check.
    pub async fn open(
        spec: &ServerSpec,
        workspace: &Path,
        secrets: &SecretPolicy,
    ) -> Result<Self, String> {
        let limit = Duration::from_secs(spec.config.startup_timeout_sec.max(1));
        let kind = spec.transport.clone()?;
        match kind {
            TransportKind::Stdio => {
                let child = spawn_stdio(&spec.config, workspace, secrets)?;
                let parts = ChildParts {
                    stderr: child.stderr,
                    exited: child.exited,
                    _kill: child.kill,
                };
                let started = tokio::time::timeout(limit, async {
                    let service =
                        ().serve((child.stdout, child.stdin))
                            .await
                            .map_err(|e| e.to_string())?;
                    let tools = service.list_all_tools().await.map_err(|e| e.to_string())?;
                    Ok::<_, String>((service, tools))
                })
                .await;
                match started {
                    Ok(Ok((service, tools))) => Ok(Self {
                        service,
                        tools,
                        child: Some(parts),
                    }),
                    Ok(Err(e)) => {
                        let ended = exit_of(&parts).await;
                        Err(with_stderr(
                            match ended {
                                Some(how) => format!("{how} during start-up ({e})"),
                                None => format!("start-up failed: {e}"),
                            },
                            &parts.stderr,
                        ))
                    }
                    Err(_) => Err(with_stderr(
                        format!(
                            "did not finish start-up within {} s (startup_timeout_sec); \
                             is `{}` an MCP server speaking stdio?",
                            limit.as_secs(),
                            spec.config.command.as_deref().unwrap_or_default()
                        ),
                        &parts.stderr,
                    )),
                }
            }
            TransportKind::Http => {
                let transport = http_transport(&spec.config)?;
                let url = spec.config.url.clone().unwrap_or_default();
                let started = tokio::time::timeout(limit, async {
                    let service = ().serve(transport).await.map_err(|e| e.to_string())?;
                    let tools = service.list_all_tools().await.map_err(|e| e.to_string())?;
                    Ok::<_, String>((service, tools))
                })
                .await;
                match started {
                    Ok(Ok((service, tools))) => Ok(Self {
                        service,
                        tools,
                        child: None,
                    }),
                    Ok(Err(e)) => Err(format!("cannot connect to {url}: {e}")),
                    Err(_) => Err(format!(
                        "{url} did not finish start-up within {} s (startup_timeout_sec)",
                        limit.as_secs()
                    )),
                }
            }
        }
    }

    /// Calls `tool` with `arguments` (a JSON object), waiting at most `limit`.
    pub async fn call(
        &self,
        tool: &str,
        arguments: Value,
        limit: Duration,
    ) -> Result<CallToolResult, CallError> {
        let mut params = CallToolRequestParams::new(tool.to_string());
        if let Value::Object(map) = arguments {
            params.arguments = Some(map);
        }
        match tokio::time::timeout(limit, self.service.call_tool(params)).await {
            Err(_) => Err(CallError::Timeout(limit)),
            Ok(Ok(result)) => Ok(result),
            Ok(Err(ServiceError::McpError(e))) => Err(CallError::Rejected(e.message.to_string())),
            Ok(Err(e)) => Err(CallError::Crashed(self.crash_reason(&e.to_string()).await)),
        }
    }

    /// Why the connection broke: how the child ended and its stderr, or
    /// the transport's error.
    async fn crash_reason(&self, error: &str) -> String {
        match &self.child {
            Some(parts) => {
                let how = exit_of(parts)
                    .await
                    .unwrap_or_else(|| format!("stopped answering ({error})"));
                with_stderr(how, &parts.stderr)
            }
            None => error.to_string(),
        }
    }

    /// Resolves when a stdio child exits, with how it ended and its
    /// stderr; never resolves for HTTP servers (their failures show on
    /// the next call).
    pub async fn ended(&self) -> String {
        match &self.child {
            Some(parts) => {
                let mut exited = parts.exited.clone();
                let how = match exited.wait_for(Option::is_some).await {
                    Ok(how) => how.clone().unwrap_or_default(),
                    Err(_) => "ended".to_string(),
                };
                with_stderr(how, &parts.stderr)
            }
            None => std::future::pending().await,
        }
    }
}

/// How the child ended, waiting briefly for it: `None` while it still runs.
async fn exit_of(parts: &ChildParts) -> Option<String> {
    let mut exited = parts.exited.clone();
    let waited = tokio::time::timeout(EXIT_GRACE, exited.wait_for(Option::is_some)).await;
    match waited {
        Ok(Ok(how)) => how.clone(),
        _ => None,
    }
}

/// `message`, followed by the last lines of the server's stderr if any.
fn with_stderr(message: String, stderr: &StderrTail) -> String {
    match stderr.last(STDERR_QUOTED) {
        Some(tail) => format!("{message}; its stderr ends with:\n{tail}"),
        None => message,
    }
}
