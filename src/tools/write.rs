//! The `write_file` tool (placeholder).

use futures_util::future::BoxFuture;
use serde_json::Value;

use super::{Tool, ToolContext, ToolKind, ToolOutput};
use crate::provider::ToolSpec;

/// The `write_file` tool.
pub struct WriteFile;

impl Tool for WriteFile {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "write_file".into(),
            description: String::new(),
            parameters: serde_json::json!({"type": "object", "properties": {}}),
        }
    }
    fn kind(&self) -> ToolKind {
        ToolKind::Edit
    }
    fn summary(&self, _input: &Value) -> String {
        String::new()
    }
    fn run<'a>(&'a self, _input: Value, _ctx: &'a ToolContext) -> BoxFuture<'a, ToolOutput> {
        Box::pin(async { ToolOutput::err("not implemented") })
    }
}
