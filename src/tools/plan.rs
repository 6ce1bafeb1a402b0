//! The `update_plan` tool (placeholder).

use futures_util::future::BoxFuture;
use serde_json::Value;

use super::{Tool, ToolContext, ToolKind, ToolOutput};
use crate::provider::ToolSpec;

/// The `update_plan` tool.
pub struct UpdatePlan;

impl Tool for UpdatePlan {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "update_plan".into(),
            description: String::new(),
            parameters: serde_json::json!({"type": "object", "properties": {}}),
        }
    }
    fn kind(&self) -> ToolKind {
        ToolKind::Plan
    }
    fn summary(&self, _input: &Value) -> String {
        String::new()
    }
    fn run<'a>(&'a self, _input: Value, _ctx: &'a ToolContext) -> BoxFuture<'a, ToolOutput> {
        Box::pin(async { ToolOutput::err("not implemented") })
    }
}
