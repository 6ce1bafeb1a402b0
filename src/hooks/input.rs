//! The JSON a hook reads on stdin: our event name and fields, plus Claude
//! Code's names (`hook_event_name`, `transcript_path`, `tool_response`) so
//! hook scripts written for Claude work unchanged.

use std::path::PathBuf;

use serde_json::{Map, Value, json};

use super::HookEvent;

/// What every event's JSON carries: which session and where.
#[derive(Debug, Clone)]
pub struct HookContext {
    pub session_id: String,
    /// `chat` or `run`.
    pub pane: &'static str,
    /// The workspace: the hook's working directory and `cwd` in the JSON.
    pub cwd: PathBuf,
    /// The session transcript, when one is recorded.
    pub transcript_path: Option<PathBuf>,
}

/// One event with its own fields.
#[derive(Debug, Clone)]
pub enum Payload {
    /// `source`: `startup`, `resume` or `clear`.
    SessionStart {
        source: &'static str,
    },
    UserPromptSubmit {
        prompt: String,
    },
    /// After the call is parsed, before the permission gate.
    PreToolUse {
        tool_name: String,
        tool_input: Value,
    },
    /// After the tool ran; `ok` and `text` are its result.
    PostToolUse {
        tool_name: String,
        tool_input: Value,
        ok: bool,
        text: String,
    },
    /// The agent is about to finish the task; `stop_hook_active`: it
    /// already went on once because of a stop hook.
    Stop {
        stop_hook_active: bool,
    },
    Notification {
        message: String,
    },
    /// `trigger`: `manual` or `auto`; the `/compact` focus, if any.
    PreCompact {
        trigger: &'static str,
        custom_instructions: Option<String>,
    },
    /// `reason`: `exit` or `clear`.
    SessionEnd {
        reason: &'static str,
    },
}

impl Payload {
    /// The event this payload belongs to.
    pub fn event(&self) -> HookEvent {
        match self {
            Payload::SessionStart { .. } => HookEvent::SessionStart,
            Payload::UserPromptSubmit { .. } => HookEvent::UserPromptSubmit,
            Payload::PreToolUse { .. } => HookEvent::PreToolUse,
            Payload::PostToolUse { .. } => HookEvent::PostToolUse,
            Payload::Stop { .. } => HookEvent::Stop,
            Payload::Notification { .. } => HookEvent::Notification,
            Payload::PreCompact { .. } => HookEvent::PreCompact,
            Payload::SessionEnd { .. } => HookEvent::SessionEnd,
        }
    }

    /// What a matcher is compared with: the tool name, the session
    /// start's source or the compaction's trigger.
    pub fn target(&self) -> Option<&str> {
        match self {
            Payload::PreToolUse { tool_name, .. } | Payload::PostToolUse { tool_name, .. } => {
                Some(tool_name)
            }
            Payload::SessionStart { source } => Some(source),
            Payload::PreCompact { trigger, .. } => Some(trigger),
            _ => None,
        }
    }

    /// The JSON object sent on the hook's stdin.
    pub fn to_json(&self, ctx: &HookContext) -> Value {
        let event = self.event();
        let mut v = Map::new();
        v.insert("session_id".into(), json!(ctx.session_id));
        v.insert("pane".into(), json!(ctx.pane));
        v.insert("cwd".into(), json!(ctx.cwd));
        v.insert("event".into(), json!(event.name()));
        v.insert("hook_event_name".into(), json!(event.claude_name()));
        if let Some(path) = &ctx.transcript_path {
            v.insert("transcript_path".into(), json!(path));
        }
        match self {
            Payload::SessionStart { source } => {
                v.insert("source".into(), json!(source));
            }
            Payload::UserPromptSubmit { prompt } => {
                v.insert("prompt".into(), json!(prompt));
            }
            Payload::PreToolUse {
                tool_name,
                tool_input,
            } => {
                v.insert("tool_name".into(), json!(tool_name));
                v.insert("tool_input".into(), tool_input.clone());
            }
            Payload::PostToolUse {
                tool_name,
                tool_input,
                ok,
                text,
            } => {
                v.insert("tool_name".into(), json!(tool_name));
                v.insert("tool_input".into(), tool_input.clone());
                let result = json!({ "ok": ok, "text": text });
                v.insert("tool_response".into(), result.clone());
                v.insert("tool_output".into(), result);
            }
            Payload::Stop { stop_hook_active } => {
                v.insert("stop_hook_active".into(), json!(stop_hook_active));
            }
            Payload::Notification { message } => {
                v.insert("message".into(), json!(message));
            }
            Payload::PreCompact {
                trigger,
                custom_instructions,
            } => {
                v.insert("trigger".into(), json!(trigger));
                v.insert(
                    "custom_instructions".into(),
                    json!(custom_instructions.clone().unwrap_or_default()),
                );
            }
            Payload::SessionEnd { reason } => {
                v.insert("reason".into(), json!(reason));
            }
        }
        Value::Object(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(transcript: Option<&str>) -> HookContext {
        HookContext {
            session_id: "s1".into(),
            pane: "run",
            cwd: PathBuf::from("/w"),
            transcript_path: transcript.map(PathBuf::from),
        }
    }

    #[test]
    fn tool_events_carry_our_and_claudes_names() {
        let p = Payload::PostToolUse {
            tool_name: "shell".into(),
            tool_input: json!({"command": "ls"}),
            ok: false,
            text: "boom".into(),
        };
        let v = p.to_json(&ctx(Some("/t.jsonl")));
        assert_eq!(v["event"], "post_tool_use");
        assert_eq!(v["hook_event_name"], "PostToolUse");
        assert_eq!(v["session_id"], "s1");
        assert_eq!(v["pane"], "run");
        assert_eq!(v["cwd"], "/w");
        assert_eq!(v["transcript_path"], "/t.jsonl");
        assert_eq!(v["tool_input"]["command"], "ls");
        assert_eq!(v["tool_response"], json!({"ok": false, "text": "boom"}));
        assert_eq!(v["tool_output"], v["tool_response"]);
    }

    #[test]
    fn an_unknown_transcript_is_left_out() {
        let v = Payload::Stop {
            stop_hook_active: true,
        }
        .to_json(&ctx(None));
        assert!(v.get("transcript_path").is_none(), "{v}");
        assert_eq!(v["stop_hook_active"], true);
        assert_eq!(v["hook_event_name"], "Stop");
    }
}
