//! The `update_plan` tool: the agent publishes its step list.
//!
//! It touches nothing; the front end shows the plan, and a Chat plan can be
//! handed to Run. Validation keeps the plan meaningful: one step at a time.

use futures_util::future::BoxFuture;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{PlanStep, StepStatus, Tool, ToolContext, ToolKind, ToolOutput};
use crate::provider::ToolSpec;

const SHAPE: &str = r#"{"explanation"?: string, "plan": [{"step": string, "status": "pending" | "in_progress" | "completed"}]}"#;

/// The `update_plan` tool.
pub struct UpdatePlan;

#[derive(Deserialize)]
struct Args {
    #[serde(default)]
    explanation: Option<String>,
    plan: Vec<PlanStep>,
}

impl Tool for UpdatePlan {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "update_plan".into(),
            description: "Publish your plan for the task as a short list of steps, each pending, \
                          in_progress or completed, and update it as you work: mark a step \
                          completed when it is done and the next one in_progress. At most one \
                          step may be in_progress. Send the whole list every time. Use it for \
                          tasks of several steps; skip it for trivial ones."
                .into(),
            parameters: json!({
                "type": "object",
                "properties": {
                    "explanation": {"type": "string", "description": "Optional note on what changed in the plan and why."},
                    "plan": {
                        "type": "array",
                        "description": "The complete list of steps, in order.",
                        "items": {
                            "type": "object",
                            "properties": {
                                "step": {"type": "string", "description": "One short sentence."},
                                "status": {"type": "string", "enum": ["pending", "in_progress", "completed"]}
                            },
                            "required": ["step", "status"],
                            "additionalProperties": false
                        }
                    }
                },
                "required": ["plan"],
                "additionalProperties": false
            }),
        }
    }

    fn kind(&self) -> ToolKind {
        ToolKind::Plan
    }

    fn summary(&self, input: &Value) -> String {
        let steps = input.get("plan").and_then(Value::as_array);
        let total = steps.map_or(0, Vec::len);
        let done = steps.map_or(0, |s| {
            s.iter()
                .filter(|s| s.get("status").and_then(Value::as_str) == Some("completed"))
                .count()
        });
        format!("{done}/{total} steps done")
    }

    fn run<'a>(&'a self, input: Value, _ctx: &'a ToolContext) -> BoxFuture<'a, ToolOutput> {
        Box::pin(async move {
            let args: Args = match super::parse_args(input, "update_plan", SHAPE) {
                Ok(a) => a,
                Err(output) => return output,
            };
            if let Err(msg) = validate(&args.plan) {
                return ToolOutput::err(msg);
            }
            let text = match args.explanation.as_deref().map(str::trim) {
                Some(e) if !e.is_empty() => format!("Plan updated: {e}"),
                _ => "Plan updated".to_string(),
            };
            ToolOutput {
                plan: Some(args.plan),
                ..ToolOutput::ok(text)
            }
        })
    }
}

fn validate(plan: &[PlanStep]) -> Result<(), String> {
    if let Some(i) = plan.iter().position(|s| s.step.trim().is_empty()) {
        return Err(format!(
            "step {} has an empty description; describe every step in a short sentence",
            i + 1
        ));
    }
    let active: Vec<usize> = plan
        .iter()
        .enumerate()
        .filter(|(_, s)| s.status == StepStatus::InProgress)
        .map(|(i, _)| i + 1)
        .collect();
    if active.len() > 1 {
        return Err(format!(
            "steps {active:?} are all in_progress; at most one step may be in_progress, \
             mark the others pending or completed"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn call(input: Value) -> ToolOutput {
        UpdatePlan
            .run(input, &ToolContext::new(std::env::temp_dir()))
            .await
    }

    #[tokio::test]
    async fn accepts_a_valid_plan() {
        let out = call(json!({"explanation": "start", "plan": [
            {"step": "read", "status": "completed"},
            {"step": "edit", "status": "in_progress"},
            {"step": "test", "status": "pending"}
        ]}))
        .await;
        assert!(out.ok, "{}", out.text);
        assert_eq!(out.text, "Plan updated: start");
        let plan = out.plan.unwrap();
        assert_eq!(plan.len(), 3);
        assert_eq!(plan[1].status, StepStatus::InProgress);
    }

    #[tokio::test]
    async fn rejects_bad_plans() {
        let out = call(json!({"plan": [
            {"step": "a", "status": "in_progress"},
            {"step": "b", "status": "in_progress"}
        ]}))
        .await;
        assert!(!out.ok && out.text.contains("at most one"), "{}", out.text);
        assert!(out.plan.is_none());
        let out = call(json!({"plan": [{"step": "a", "status": "doing"}]})).await;
        assert!(
            !out.ok && out.text.contains("unknown variant"),
            "{}",
            out.text
        );
        let out = call(json!({"plan": [{"step": " ", "status": "pending"}]})).await;
        assert!(!out.ok && out.text.contains("empty"), "{}", out.text);
    }

    #[test]
    fn summary_counts_done() {
        let input = json!({"plan": [{"step": "a", "status": "completed"}, {"step": "b", "status": "pending"}]});
        assert_eq!(UpdatePlan.summary(&input), "1/2 steps done");
    }
}
