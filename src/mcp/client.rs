//! Starting the transport of one server: a stdio child (credentials taken
//! out of its environment, stderr captured, killed with its process group
//! when dropped) or a streamable HTTP endpoint over reqwest/rustls.

use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};

use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{ChildStdin, ChildStdout};
use tokio::sync::watch;

use crate::config::McpServerConfig;
use crate::exec::secrets::{SecretPolicy, env_var};

/// Lines of a server's stderr kept for error messages.
const STDERR_LINES: usize = 40;
/// Bytes of one stderr line kept.
const STDERR_LINE_BYTES: usize = 400;

/// The last lines a stdio server wrote to stderr (never our terminal).
#[derive(Debug, Clone, Default)]
pub struct StderrTail(Arc<Mutex<VecDeque<String>>>);

impl StderrTail {
    /// The last `n` lines joined, or `None` when the server wrote nothing.
    pub fn last(&self, n: usize) -> Option<String> {
        let lines = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let skip = lines.len().saturating_sub(n);
        let text = lines
            .iter()
            .skip(skip)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n");
        (!text.trim().is_empty()).then_some(text)
    }

    fn push(&self, line: &str) {
        let mut lines = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if lines.len() == STDERR_LINES {
            lines.pop_front();
        }
        let mut end = line.len().min(STDERR_LINE_BYTES);
        while !line.is_char_boundary(end) {
            end -= 1;
        }
        lines.push_back(line[..end].to_string());
    }
}

/// Kills a child's whole process group when dropped, so a server started
/// through `npx` or a shell does not outlive Tandem.
struct GroupKill(i32);

impl Drop for GroupKill {
    fn drop(&mut self) {
        // SAFETY: kill(2) on our own child's process group; no memory is involved.
        unsafe {
            libc::kill(-self.0, libc::SIGKILL);
        }
    }
}

/// A running stdio child: its pipes for the MCP transport, what it wrote
/// to stderr, and how it ended once it has.
pub struct StdioChild {
    /// What the server sends (JSON-RPC, one message a line).
    pub stdout: ChildStdout,
    /// What we send it.
    pub stdin: ChildStdin,
    /// The end of what it wrote to stderr.
    pub stderr: StderrTail,
    /// `Some(description)` once the process has exited.
    pub exited: watch::Receiver<Option<String>>,
    /// Dropping it kills the process group.
    pub kill: tokio::sync::oneshot::Sender<()>,
}

/// Starts a stdio server in `workspace` (or its `cwd`), with every
/// credential variable of `secrets` removed from its environment unless
/// the server's own `env` names it.
pub fn spawn_stdio(
    server: &McpServerConfig,
    workspace: &Path,
    secrets: &SecretPolicy,
) -> Result<StdioChild, String> {
    let program = server.command.as_deref().unwrap_or_default();
    let cwd = match &server.cwd {
        Some(dir) => workspace.join(dir),
        None => workspace.to_path_buf(),
    };
    let mut command = tokio::process::Command::new(program);
    command
        .args(&server.args)
        .current_dir(&cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .process_group(0);
    for (name, _) in std::env::vars_os() {
        if let Some(name) = name.to_str()
            && secrets.is_secret(name)
            && !server.env.contains_key(name)
        {
            command.env_remove(name);
        }
    }
    command.envs(&server.env);
    let mut child = command.spawn().map_err(|e| {
        format!(
            "cannot start `{program}` in {}: {e}; check `command` (is it installed and on PATH?)",
            cwd.display()
        )
    })?;
    let (Some(stdin), Some(stdout), Some(stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        return Err(format!("`{program}` started without its pipes"));
    };
    let tail = StderrTail::default();
    let lines = tail.clone();
    tokio::spawn(async move {
        let mut reader = BufReader::new(stderr).lines();
        while let Ok(Some(line)) = reader.next_line().await {
            lines.push(&line);
        }
    });
    let (exit_tx, exited) = watch::channel(None);
    let (kill, killed) = tokio::sync::oneshot::channel::<()>();
    let guard = child.id().map(|pid| GroupKill(pid as i32));
    tokio::spawn(async move {
        tokio::select! {
            status = child.wait() => {
                let text = match status {
                    Ok(status) => match status.code() {
                        Some(code) => format!("exited with status {code}"),
                        None => format!("was killed ({status})"),
                    },
                    Err(e) => format!("cannot be waited for: {e}"),
                };
                let _ = exit_tx.send(Some(text));
                // Whatever it left running in its group goes with it.
                drop(guard);
            }
            _ = killed => {
                drop(guard);
                let _ = child.kill().await;
            }
        }
    });
    Ok(StdioChild {
        stdout,
        stdin,
        stderr: tail,
        exited,
        kill,
    })
}

/// The streamable HTTP transport of a server: its `headers`, and a bearer
/// token from `bearer_token_env_var` when set.
pub fn http_transport(
    server: &McpServerConfig,
) -> Result<StreamableHttpClientTransport<reqwest::Client>, String> {
    let url = server.url.clone().unwrap_or_default();
    let mut headers = HashMap::new();
    for (name, value) in &server.headers {
        let name = reqwest::header::HeaderName::from_bytes(name.as_bytes())
            .map_err(|e| format!("header name `{name}` is invalid: {e}"))?;
        let value = reqwest::header::HeaderValue::from_str(value)
            .map_err(|e| format!("the value of header `{name}` is invalid: {e}"))?;
        headers.insert(name, value);
    }
    let mut config = StreamableHttpClientTransportConfig::with_uri(url).custom_headers(headers);
    if let Some(var) = &server.bearer_token_env_var {
        let token = env_var(var).ok_or_else(|| {
            format!(
                "bearer_token_env_var names {var}, which is not set; export it or remove the key"
            )
        })?;
        config = config.auth_header(token);
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(10))
        .user_agent(concat!("tandem/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
    Ok(StreamableHttpClientTransport::with_client(client, config))
}
