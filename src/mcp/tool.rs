//! An MCP server's tool as a [`crate::tools::Tool`]: named
//! `mcp__SERVER__TOOL` for the model, judged by `mcp(server:tool)` rules,
//! asking in `suggest` unless the server marks it read-only, and its
//! result (text, images, resources, `isError`) turned into a tool output.

use std::sync::Weak;

use futures_util::future::BoxFuture;
use rmcp::model::{CallToolResult, Tool as McpToolDef};
use serde_json::Value;

use super::hub::McpHub;
use crate::exec::rules::Category;
use crate::provider::ToolSpec;
use crate::tools::{Tool, ToolContext, ToolKind, ToolOutput};

/// Longest tool name the model APIs accept.
const MAX_NAME: usize = 64;

/// The name the model sees for `tool` of `server`: `mcp__SERVER__TOOL`,
/// with every character outside `[a-zA-Z0-9_-]` replaced by `_` and cut
/// to 64 characters.
pub fn tool_name(server: &str, tool: &str) -> String {
    let mut name: String = format!("mcp__{server}__{tool}")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    name.truncate(MAX_NAME);
    name
}

/// One tool of one server.
pub struct McpTool {
    /// The server's configured name.
    pub server: String,
    /// The tool's name on the server.
    pub tool: String,
    spec: ToolSpec,
    read_only: bool,
    /// The server's index in the hub.
    index: usize,
    hub: Weak<McpHub>,
}

impl McpTool {
    /// The tool `def` of server `server` (index `index` in `hub`).
    pub fn new(server: &str, index: usize, def: &McpToolDef, hub: Weak<McpHub>) -> Self {
        let description = def
            .description
            .as_deref()
            .or(def.title.as_deref())
            .unwrap_or("")
            .to_string();
        Self {
            server: server.to_string(),
            tool: def.name.to_string(),
            spec: ToolSpec {
                name: tool_name(server, &def.name),
                description: format!("[MCP server {server}] {description}"),
                parameters: Value::Object(def.input_schema.as_ref().clone()),
            },
            read_only: def
                .annotations
                .as_ref()
                .and_then(|a| a.read_only_hint)
                .unwrap_or(false),
            index,
            hub,
        }
    }

    /// The model-facing name.
    pub fn name(&self) -> &str {
        &self.spec.name
    }
}

impl Tool for McpTool {
    fn spec(&self) -> ToolSpec {
        self.spec.clone()
    }

    /// Anything an MCP server does is unknown to us, so it asks like a
    /// command unless the server says the tool only reads.
    fn kind(&self) -> ToolKind {
        if self.read_only {
            ToolKind::Read
        } else {
            ToolKind::Exec
        }
    }

    fn summary(&self, input: &Value) -> String {
        let args = input.to_string();
        let mut end = args.len().min(120);
        while !args.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}:{} {}", self.server, self.tool, &args[..end])
    }

    fn targets(&self, _input: &Value, _workspace: &std::path::Path) -> Vec<String> {
        vec![format!("{}:{}", self.server, self.tool)]
    }

    fn rule_category(&self) -> Option<Category> {
        Some(Category::Mcp)
    }

    fn run<'a>(&'a self, input: Value, ctx: &'a ToolContext) -> BoxFuture<'a, ToolOutput> {
        Box::pin(async move {
            let Some(hub) = self.hub.upgrade() else {
                return ToolOutput::err(format!(
                    "MCP server {} is no longer running (Tandem is shutting down)",
                    self.server
                ));
            };
            tokio::select! {
                output = hub.call(self.index, &self.tool, input) => output,
                _ = ctx.cancel.cancelled() => ToolOutput::err(format!(
                    "the call of {} was interrupted by the user", self.spec.name
                )),
            }
        })
    }
}

/// The tool output of a call's result: text content joined, images and
/// audio as placeholders, embedded resources as their text (or a
/// placeholder), `isError` as a failed output.
pub fn output_of(result: &CallToolResult) -> ToolOutput {
    let content = serde_json::to_value(&result.content).unwrap_or(Value::Null);
    let mut parts: Vec<String> = content
        .as_array()
        .map(|blocks| blocks.iter().map(block_text).collect())
        .unwrap_or_default();
    if parts.is_empty()
        && let Some(structured) = &result.structured_content
    {
        parts.push(structured.to_string());
    }
    let text = if parts.is_empty() {
        "(no output)".to_string()
    } else {
        parts.join("\n")
    };
    if result.is_error == Some(true) {
        ToolOutput::err(text)
    } else {
        ToolOutput::ok(text)
    }
}

/// One content block as text (MCP's wire form).
fn block_text(block: &Value) -> String {
    fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
        v.get(key).and_then(Value::as_str).unwrap_or("")
    }
    match str_of(block, "type") {
        "text" => str_of(block, "text").to_string(),
        kind @ ("image" | "audio") => format!(
            "[{kind}: {}, {} bytes]",
            str_of(block, "mimeType"),
            base64_len(str_of(block, "data"))
        ),
        "resource" => {
            let resource = block.get("resource").unwrap_or(&Value::Null);
            match resource.get("text").and_then(Value::as_str) {
                Some(text) => text.to_string(),
                None => format!(
                    "[resource: {} ({}), {} bytes]",
                    str_of(resource, "uri"),
                    str_of(resource, "mimeType"),
                    base64_len(str_of(resource, "blob"))
                ),
            }
        }
        "resource_link" => format!("[resource link: {}]", str_of(block, "uri")),
        other => format!("[{other} content]"),
    }
}

/// Decoded size of base64 `data`.
fn base64_len(data: &str) -> usize {
    let trimmed = data.trim_end_matches('=');
    trimmed.len() * 3 / 4
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_are_sanitized_and_capped() {
        assert_eq!(
            tool_name("git hub", "list.issues"),
            "mcp__git_hub__list_issues"
        );
        let long = tool_name("server", &"x".repeat(100));
        assert_eq!(long.len(), 64);
        assert!(long.starts_with("mcp__server__xxx"));
    }

    #[test]
    fn results_become_text_with_placeholders() {
        let result: CallToolResult = serde_json::from_value(json!({
            "content": [
                {"type": "text", "text": "hello"},
                {"type": "image", "data": "AAAA", "mimeType": "image/png"},
                {"type": "resource", "resource": {"uri": "file:///a", "text": "inside"}},
                {"type": "resource", "resource": {"uri": "file:///b", "mimeType": "application/pdf", "blob": "AAAAAAAA"}}
            ]
        }))
        .unwrap();
        let out = output_of(&result);
        assert!(out.ok);
        assert_eq!(
            out.text,
            "hello\n[image: image/png, 3 bytes]\ninside\n[resource: file:///b (application/pdf), 6 bytes]"
        );
        let failed: CallToolResult = serde_json::from_value(json!({
            "content": [{"type": "text", "text": "nope"}], "isError": true
        }))
        .unwrap();
        let out = output_of(&failed);
        assert!(!out.ok);
        assert_eq!(out.text, "nope");
    }
}
