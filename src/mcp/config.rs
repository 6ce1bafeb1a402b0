//! Which MCP servers a workspace has: Tandem's `[mcp_servers.NAME]` merged
//! with Claude Code's `.mcp.json` at the repository root (a `config.toml`
//! entry wins on a name clash), each with where it came from and whether
//! the project defined it (such servers start only with `[project] trust`).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::config::{Config, McpServerConfig, McpStartup};

/// The file Claude Code reads project MCP servers from, at the repository root.
pub const MCP_JSON: &str = ".mcp.json";

/// How Tandem talks to a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    /// A child process speaking JSON-RPC on stdin/stdout.
    Stdio,
    /// Streamable HTTP at a URL.
    Http,
}

impl TransportKind {
    /// The name shown by `/mcp`.
    pub fn as_str(self) -> &'static str {
        match self {
            TransportKind::Stdio => "stdio",
            TransportKind::Http => "http",
        }
    }
}

/// One server as the hub will run it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerSpec {
    /// The configured name (`mcp__NAME__TOOL`).
    pub name: String,
    /// Its settings (`${VAR}` in `env` already expanded).
    pub config: McpServerConfig,
    /// The file that defined it.
    pub origin: String,
    /// Defined by the project (its `.tandem/config.toml` or `.mcp.json`),
    /// so it needs `[project] trust` to start.
    pub project: bool,
    /// `Err`: the definition cannot be run (why, and what to write instead).
    pub transport: Result<TransportKind, String>,
}

/// The servers of a workspace, and notes about definitions that were set
/// aside (an unreadable `.mcp.json`).
pub fn servers(config: &Config, repo_root: &Path) -> (Vec<ServerSpec>, Vec<String>) {
    let mut notes = Vec::new();
    let mut specs: BTreeMap<String, ServerSpec> = BTreeMap::new();
    let path = repo_root.join(MCP_JSON);
    match std::fs::read_to_string(&path) {
        Ok(text) => match parse_mcp_json(&text) {
            Ok(servers) => {
                for (name, (config, transport)) in servers {
                    specs.insert(
                        name.clone(),
                        ServerSpec {
                            name,
                            config,
                            origin: path.display().to_string(),
                            project: true,
                            transport,
                        },
                    );
                }
            }
            Err(e) => notes.push(format!(
                "MCP servers in {} are ignored: {e}; fix the file (Claude Code's format: \
                 {{\"mcpServers\": {{\"NAME\": {{\"command\": \"...\"}}}}}})",
                path.display()
            )),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => notes.push(format!("cannot read {}: {e}", path.display())),
    }
    for (name, server) in &config.mcp_servers {
        let (origin, project) = config
            .mcp_origins
            .get(name)
            .cloned()
            .unwrap_or_else(|| ("config.toml".into(), false));
        specs.insert(
            name.clone(),
            ServerSpec {
                name: name.clone(),
                transport: transport_of(server),
                config: McpServerConfig {
                    env: expand_map(&server.env),
                    ..server.clone()
                },
                origin,
                project,
            },
        );
    }
    (specs.into_values().collect(), notes)
}

/// The transport a `[mcp_servers.NAME]` entry asks for.
fn transport_of(server: &McpServerConfig) -> Result<TransportKind, String> {
    match (&server.command, &server.url) {
        (Some(_), None) => Ok(TransportKind::Stdio),
        (None, Some(_)) => Ok(TransportKind::Http),
        (Some(_), Some(_)) => {
            Err("both `command` and `url` are set; keep one (stdio or HTTP)".into())
        }
        (None, None) => Err("neither `command` (stdio) nor `url` (HTTP) is set".into()),
    }
}

/// One entry of `.mcp.json`, as Claude Code writes it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct JsonServer {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    command: Option<String>,
    #[serde(default)]
    args: Vec<String>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    #[serde(default)]
    cwd: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct JsonFile {
    #[serde(default)]
    mcp_servers: BTreeMap<String, JsonServer>,
}

/// A parsed `.mcp.json` server and its transport.
pub type JsonEntry = (McpServerConfig, Result<TransportKind, String>);

/// Parses Claude Code's `.mcp.json`: `{"mcpServers": {NAME: {...}}}` with
/// `type` `stdio` (the default when `command` is set), `http` or `sse`
/// (not supported: reported on the server). `${VAR}` and
/// `${VAR:-default}` in commands, arguments, environment values, URLs and
/// headers are expanded from the environment, as Claude Code does.
pub fn parse_mcp_json(text: &str) -> Result<BTreeMap<String, JsonEntry>, String> {
    let file: JsonFile = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let mut servers = BTreeMap::new();
    for (name, server) in file.mcp_servers {
        let kind = server.kind.clone().unwrap_or_else(|| {
            if server.url.is_some() {
                "http"
            } else {
                "stdio"
            }
            .into()
        });
        let config = McpServerConfig {
            command: server.command.as_deref().map(expand),
            args: server.args.iter().map(|a| expand(a)).collect(),
            env: expand_map(&server.env),
            cwd: server.cwd,
            url: server.url.as_deref().map(expand),
            headers: expand_map(&server.headers),
            bearer_token_env_var: None,
            startup: McpStartup::Eager,
            startup_timeout_sec: 10,
            tool_timeout_sec: 60,
            enabled: true,
        };
        let transport = match kind.as_str() {
            "stdio" if config.command.is_some() => Ok(TransportKind::Stdio),
            "stdio" => Err("a stdio server needs `command`".into()),
            "http" | "streamable-http" if config.url.is_some() => Ok(TransportKind::Http),
            "http" | "streamable-http" => Err("an HTTP server needs `url`".into()),
            "sse" => Err(
                "the legacy SSE transport is not supported; use the server's \
                          streamable HTTP endpoint (`\"type\": \"http\"`) instead"
                    .into(),
            ),
            other => Err(format!(
                "unknown transport type `{other}`; use `stdio` or `http`"
            )),
        };
        servers.insert(name, (config, transport));
    }
    Ok(servers)
}

fn expand_map(map: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    map.iter().map(|(k, v)| (k.clone(), expand(v))).collect()
}

/// Expands `${VAR}` and `${VAR:-default}`; an unset variable without a
/// default becomes empty. Anything else is kept as written.
fn expand(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let body = &after[..end];
        let (name, default) = match body.split_once(":-") {
            Some((name, default)) => (name, Some(default)),
            None => (body, None),
        };
        let value = crate::exec::secrets::env_var(name)
            .or_else(|| default.map(str::to_string))
            .unwrap_or_default();
        out.push_str(&value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mcp_json_reads_claude_codes_format() {
        let text = r#"{"mcpServers": {
            "files": {"command": "npx", "args": ["-y", "fs-server", "${TANDEM_TEST_UNSET:-/tmp}"], "env": {"A": "b"}},
            "remote": {"type": "http", "url": "https://example.com/mcp", "headers": {"X-Key": "k"}},
            "plain": {"url": "https://example.com/plain"},
            "old": {"type": "sse", "url": "https://example.com/sse"},
            "broken": {"type": "stdio"}
        }}"#;
        let servers = parse_mcp_json(text).unwrap();
        let (files, transport) = &servers["files"];
        assert_eq!(*transport, Ok(TransportKind::Stdio));
        assert_eq!(files.command.as_deref(), Some("npx"));
        assert_eq!(files.args, ["-y", "fs-server", "/tmp"]);
        assert_eq!(files.env["A"], "b");
        let (remote, transport) = &servers["remote"];
        assert_eq!(*transport, Ok(TransportKind::Http));
        assert_eq!(remote.headers["X-Key"], "k");
        assert_eq!(servers["plain"].1, Ok(TransportKind::Http));
        assert!(servers["old"].1.as_ref().unwrap_err().contains("SSE"));
        assert!(
            servers["broken"]
                .1
                .as_ref()
                .unwrap_err()
                .contains("command")
        );
    }

    #[test]
    fn a_broken_mcp_json_is_an_error_not_a_panic() {
        assert!(parse_mcp_json("{\"mcpServers\": [").is_err());
        assert!(parse_mcp_json("{}").unwrap().is_empty());
    }

    #[test]
    fn config_toml_wins_over_mcp_json_and_project_servers_are_marked() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(MCP_JSON),
            r#"{"mcpServers": {"same": {"command": "from-json"}, "only": {"command": "json-only"}}}"#,
        )
        .unwrap();
        let mut config = crate::config::Config::defaults();
        config.mcp_servers.insert(
            "same".into(),
            toml::from_str("command = \"from-toml\"").unwrap(),
        );
        config
            .mcp_origins
            .insert("same".into(), ("/home/u/config.toml".into(), false));
        let (specs, notes) = servers(&config, dir.path());
        assert!(notes.is_empty(), "{notes:?}");
        let same = specs.iter().find(|s| s.name == "same").unwrap();
        assert_eq!(same.config.command.as_deref(), Some("from-toml"));
        assert!(!same.project);
        let only = specs.iter().find(|s| s.name == "only").unwrap();
        assert!(only.project, "a .mcp.json server is the project's");
        assert!(only.origin.ends_with(MCP_JSON));
    }

    #[test]
    fn expansion_keeps_unterminated_text() {
        assert_eq!(expand("a${TANDEM_TEST_UNSET}b"), "ab");
        assert_eq!(expand("a${oops"), "a${oops");
    }
}
