//! Whether a tool call runs, asks or is refused: permission rules first
//! (deny > ask > allow), then the approval mode.

use std::path::Path;

use serde_json::Value;

use crate::exec::rules::suggest_rules;
use crate::exec::{ApprovalMode, Permissions, Verdict};
use crate::tools::Tool;

/// The outcome of the permission check for one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gate {
    /// Run without asking.
    Run,
    /// Ask the user first.
    Ask {
        /// Why it asks beyond the mode (an `ask` rule, an unanalysable
        /// command), for the approval dialog.
        reason: Option<String>,
        /// Rules a "yes, always" answer adds for the rest of the session.
        always: Vec<String>,
    },
    /// Refuse; the text goes to the model.
    Refuse(String),
}

/// Decides one call of `tool` with `input`.
pub fn gate(
    permissions: &Permissions,
    mode: ApprovalMode,
    tool: &dyn Tool,
    name: &str,
    input: &Value,
    workspace: &Path,
) -> Gate {
    let Some(category) = tool.rule_category() else {
        return Gate::Run;
    };
    let targets = tool.targets(input, workspace);
    let always = || {
        let mut rules: Vec<String> = targets
            .iter()
            .flat_map(|t| suggest_rules(category, t))
            .collect();
        rules.dedup();
        rules
    };
    match permissions.decide(category, &targets) {
        Verdict::Deny { rule, target } => Gate::Refuse(format!(
            "Refused: `{name}` on `{target}` is denied by the rule {rule}. Do not try it another way; \
             choose a different approach or tell the user what you need."
        )),
        Verdict::Ask { rule, target } => Gate::Ask {
            reason: Some(format!("`{target}` matches the ask rule {rule}")),
            always: always(),
        },
        Verdict::Allow { .. } => Gate::Run,
        Verdict::Default { unanalysable } => {
            if mode.needs_approval(tool.kind()) {
                Gate::Ask {
                    reason: unanalysable,
                    always: always(),
                }
            } else {
                Gate::Run
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::RuleLists;
    use crate::tools::Registry;
    use serde_json::json;

    fn permissions(allow: &[&str], ask: &[&str], deny: &[&str]) -> Permissions {
        let user = RuleLists {
            origin: "user config".into(),
            allow: allow.iter().map(|s| s.to_string()).collect(),
            ask: ask.iter().map(|s| s.to_string()).collect(),
            deny: deny.iter().map(|s| s.to_string()).collect(),
        };
        Permissions::from_lists(&user, &RuleLists::default(), false, Path::new("/ws")).unwrap()
    }

    fn decide(p: &Permissions, mode: ApprovalMode, tool: &str, input: Value) -> Gate {
        let reg = Registry::core();
        let tool_ref = reg.get(tool).unwrap();
        gate(p, mode, tool_ref.as_ref(), tool, &input, Path::new("/ws"))
    }

    #[test]
    fn rules_come_before_the_mode() {
        let p = permissions(&["shell(cargo test:*)"], &["read(.env)"], &["shell(rm *)"]);
        let shell = |c: &str| json!({ "command": c });
        assert_eq!(
            decide(&p, ApprovalMode::Suggest, "shell", shell("cargo test -q")),
            Gate::Run,
            "allowed even in suggest"
        );
        assert!(matches!(
            decide(&p, ApprovalMode::FullAuto, "shell", shell("ls && rm -rf x")),
            Gate::Refuse(text) if text.contains("shell(rm *)")
        ));
        assert!(matches!(
            decide(&p, ApprovalMode::FullAuto, "read_file", json!({"path": ".env"})),
            Gate::Ask { reason: Some(r), .. } if r.contains("read(.env)")
        ));
        assert_eq!(
            decide(&p, ApprovalMode::FullAuto, "shell", shell("make")),
            Gate::Run,
            "no rule: the mode decides"
        );
        assert!(matches!(
            decide(&p, ApprovalMode::AutoEdit, "shell", shell("make build")),
            Gate::Ask { always, .. } if always == ["shell(make build:*)"]
        ));
        assert_eq!(
            decide(&p, ApprovalMode::Suggest, "update_plan", json!({})),
            Gate::Run
        );
    }
}
