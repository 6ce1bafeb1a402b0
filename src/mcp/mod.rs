//! MCP servers: Tandem as a Model Context Protocol client (rmcp, the
//! official SDK), so the tools of the servers users already run for Codex
//! or Claude Code are offered to both panes.
//!
//! Servers come from `[mcp_servers.NAME]` and the repository's `.mcp.json`
//! ([`config`]); the project's own only with `[project] trust`. One
//! [`McpHub`] per process starts them ([`client`] spawns stdio children
//! or opens streamable HTTP; [`connection`] runs the handshake and calls
//! under timeouts), watches for crashes and restarts on request; each
//! server tool becomes an `mcp__SERVER__TOOL` [`crate::tools::Tool`]
//! ([`tool`]) that sessions find through their registry. [`status`] is
//! what front ends show (`/mcp`).

pub mod client;
pub mod config;
pub mod connection;
pub mod hub;
pub mod status;
pub mod tool;

pub use hub::McpHub;
pub use status::{ServerState, ServerStatus};
