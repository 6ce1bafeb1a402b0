//! What a front end shows of the MCP servers (`/mcp`): each server's
//! state, origin, transport and tools, as plain data and text lines, so
//! any front end can render it without knowing the hub.

/// Where one server stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerState {
    /// `enabled = false`.
    Disabled,
    /// Defined by the project, which the user has not trusted.
    Untrusted,
    /// The definition cannot be run: why.
    Invalid(String),
    /// `startup = "lazy"`, and no task has begun yet.
    NotStarted,
    /// Being started (or restarted) in the background.
    Starting,
    /// Started; the model-facing names of its tools.
    Ready(Vec<String>),
    /// Failed to start or crashed: why.
    Failed(String),
}

/// One server as `/mcp` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerStatus {
    /// The configured name.
    pub name: String,
    /// The file that defined it.
    pub origin: String,
    /// `stdio` or `http` (or `?` when the definition is invalid).
    pub transport: String,
    /// Where it stands.
    pub state: ServerState,
}

impl ServerStatus {
    /// The state in a few words: `ready, 3 tools`, `failed: …`.
    pub fn state_text(&self) -> String {
        match &self.state {
            ServerState::Disabled => "disabled".into(),
            ServerState::Untrusted => "not started: defined by the project; set [project] \
                 trust = true in your own config.toml"
                .into(),
            ServerState::Invalid(why) => format!("not started: {why}"),
            ServerState::NotStarted => "not started yet (lazy: starts with the first task)".into(),
            ServerState::Starting => "starting".into(),
            ServerState::Ready(tools) => format!(
                "ready, {} tool{}",
                tools.len(),
                if tools.len() == 1 { "" } else { "s" }
            ),
            ServerState::Failed(why) => format!("failed: {why}"),
        }
    }

    /// The lines `/mcp` shows for this server.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = vec![format!(
            "{} ({}, from {}): {}",
            self.name,
            self.transport,
            self.origin,
            self.state_text()
        )];
        if let ServerState::Ready(tools) = &self.state
            && !tools.is_empty()
        {
            lines.push(format!("  tools: {}", tools.join(", ")));
        }
        lines
    }
}

/// The whole `/mcp` listing.
pub fn report(servers: &[ServerStatus]) -> String {
    if servers.is_empty() {
        return "No MCP servers configured. Add [mcp_servers.NAME] to config.toml \
                or a .mcp.json at the repository root."
            .into();
    }
    let mut lines = vec!["MCP servers:".to_string()];
    for server in servers {
        lines.extend(server.lines());
    }
    lines.push("/mcp restart NAME starts a server again.".into());
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(name: &str, state: ServerState) -> ServerStatus {
        ServerStatus {
            name: name.into(),
            origin: "/repo/.mcp.json".into(),
            transport: "stdio".into(),
            state,
        }
    }

    #[test]
    fn the_listing_says_state_origin_transport_and_tools() {
        let text = report(&[
            status(
                "test",
                ServerState::Ready(vec!["mcp__test__echo".into(), "mcp__test__add".into()]),
            ),
            status("gh", ServerState::Untrusted),
            status("db", ServerState::Failed("exited with status 3".into())),
            status("off", ServerState::Disabled),
        ]);
        assert_eq!(
            text,
            "MCP servers:\n\
             test (stdio, from /repo/.mcp.json): ready, 2 tools\n  \
             tools: mcp__test__echo, mcp__test__add\n\
             gh (stdio, from /repo/.mcp.json): not started: defined by the project; set [project] trust = true in your own config.toml\n\
             db (stdio, from /repo/.mcp.json): failed: exited with status 3\n\
             off (stdio, from /repo/.mcp.json): disabled\n\
             /mcp restart NAME starts a server again."
        );
        assert!(report(&[]).contains("No MCP servers configured"));
    }
}
