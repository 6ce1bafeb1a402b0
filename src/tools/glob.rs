//! The `glob` tool (placeholder).

use futures_util::future::BoxFuture;
use serde_json::Value;

use super::{Tool, ToolContext, ToolKind, ToolOutput};
use crate::provider::ToolSpec;

/// The `glob` tool.
pub struct Glob;

impl Tool for Glob {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "glob".into(),
            description: String::new(),
            parameters: serde_json::json!({"type": "object", "properties": {}}),
        }
    }
    fn kind(&self) -> ToolKind {
        ToolKind::Read
    }
    fn summary(&self, _input: &Value) -> String {
        String::new()
    }
    fn run<'a>(&'a self, _input: Value, _ctx: &'a ToolContext) -> BoxFuture<'a, ToolOutput> {
        Box::pin(async { ToolOutput::err("not implemented") })
    }
}
