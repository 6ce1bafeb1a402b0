//! The `shell` tool (placeholder).

use futures_util::future::BoxFuture;
use serde_json::Value;

use super::{Tool, ToolContext, ToolKind, ToolOutput};
use crate::provider::ToolSpec;

/// The `shell` tool.
pub struct Shell;

impl Tool for Shell {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "shell".into(),
            description: String::new(),
            parameters: serde_json::json!({"type": "object", "properties": {}}),
        }
    }
    fn kind(&self) -> ToolKind {
        ToolKind::Exec
    }
    fn summary(&self, _input: &Value) -> String {
        String::new()
    }
    fn run<'a>(&'a self, _input: Value, _ctx: &'a ToolContext) -> BoxFuture<'a, ToolOutput> {
        Box::pin(async { ToolOutput::err("not implemented") })
    }
}
