//! The app's side of MCP servers: `/mcp` lists them (state, origin,
//! transport, tools) from the hub's snapshot, `/mcp restart NAME` starts
//! one again in the background, and state changes the hub announces
//! (ready, failed, crashed) become notices in the Chat pane. Nothing here
//! waits on a server.

use super::app::App;
use super::history::NoticeKind;
use crate::mcp::{ServerState, status};

impl App {
    /// `/mcp` and `/mcp restart NAME`.
    pub(super) fn mcp_command(&mut self, args: &str) {
        let Some(hub) = self.mcp.clone() else {
            self.flash("no MCP servers in this session");
            return;
        };
        let mut words = args.split_whitespace();
        let (text, kind) = match (words.next(), words.next(), words.next()) {
            (None, _, _) => (status::report(&hub.snapshot()), NoticeKind::Info),
            (Some("restart"), Some(name), None) => match hub.restart(name) {
                Ok(()) => (format!("restarting MCP server {name}…"), NoticeKind::Info),
                Err(e) => (e, NoticeKind::Warning),
            },
            _ => (
                "usage: /mcp lists the servers; /mcp restart NAME starts one again".into(),
                NoticeKind::Warning,
            ),
        };
        self.focused().history.push_notice(text, kind);
    }

    /// The hub's states changed: says in the Chat pane which servers came
    /// up or went down since the last look.
    pub fn on_mcp_change(&mut self) {
        let Some(hub) = self.mcp.clone() else {
            return;
        };
        let now = hub.snapshot();
        for server in &now {
            let before = self.mcp_seen.iter().find(|s| s.name == server.name);
            if before.map(|b| &b.state) == Some(&server.state) {
                continue;
            }
            let kind = match &server.state {
                ServerState::Ready(_) => NoticeKind::Info,
                ServerState::Failed(_) => NoticeKind::Warning,
                _ => continue,
            };
            let text = format!("MCP server {}: {}", server.name, server.state_text());
            self.panes[0].history.push_notice(text, kind);
        }
        self.mcp_seen = now;
    }
}
