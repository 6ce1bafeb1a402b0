//! Resuming a saved session (`tandem resume [ID]`, `tandem --continue`):
//! finding its transcript, reading both panes' conversations back, and
//! drawing them again in the panes' histories.

use std::path::Path;

use anyhow::bail;

use super::history::History;
use super::picker::{PickCommand, PickRow, Picker};
use crate::agent::Event;
use crate::provider::{AssistantPart, Message};
use crate::store;

impl super::app::App {
    /// The `/resume` list: every saved session, newest first, with its
    /// time, workspace, first prompt and cost; Enter resumes one.
    pub fn open_sessions(&mut self, list: &[store::index::SessionInfo]) {
        let rows = list
            .iter()
            .map(|session| PickRow {
                cells: store::command::row(session).to_vec(),
                command: PickCommand::new("resume", session.id.clone()),
                alternate: None,
            })
            .collect();
        let picker = Picker::new(
            "saved sessions",
            &store::command::HEADER,
            rows,
            "resumes it (both panes)",
        );
        self.open_picker(picker);
    }
}

/// Which saved session to continue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resume {
    /// The newest session of this workspace.
    Latest,
    /// The session with this id.
    Id(String),
}

/// A saved session's conversations, ready to hand back to the panes.
#[derive(Debug, Clone, PartialEq)]
pub struct Resumed {
    /// The saved session's id.
    pub id: String,
    /// Its Chat pane's model-facing history.
    pub chat: Vec<Message>,
    /// Its Run pane's.
    pub run: Vec<Message>,
    /// The transcript ended mid-line (the process was killed) and the cut
    /// line was left out.
    pub cut_short: bool,
}

/// Finds and reads the session `which` of `workspace` under `state_dir`.
pub fn find(state_dir: &Path, workspace: &Path, which: &Resume) -> anyhow::Result<Resumed> {
    let path = match which {
        Resume::Id(id) => store::transcript_path(state_dir, id)?,
        Resume::Latest => {
            let sessions = store::index::list(state_dir)?;
            let same = |p: &Path| p.canonicalize().ok().as_deref() == Some(workspace);
            let Some(latest) = sessions.into_iter().find(|s| same(&s.workspace)) else {
                bail!(
                    "no saved session for {}; `tandem sessions` lists them all, `tandem resume ID` opens one",
                    workspace.display()
                );
            };
            latest.path
        }
    };
    // The store's error already names the file and the cause.
    let loaded = store::load(&path).map_err(|e| anyhow::anyhow!("cannot resume: {e}"))?;
    let messages = |pane: &str| {
        loaded
            .panes
            .get(pane)
            .map(|p| p.messages.clone())
            .unwrap_or_default()
    };
    Ok(Resumed {
        id: loaded.header.id.clone(),
        chat: completed(messages("chat")),
        run: completed(messages("run")),
        cut_short: loaded.skipped_tail,
    })
}

/// Makes a conversation cut off by a crash valid to send again: tool calls
/// that never got a result get an "interrupted" one, and a last question
/// that was never answered gets a short note in its place, so the next
/// request alternates as every provider requires.
pub fn completed(mut messages: Vec<Message>) -> Vec<Message> {
    let answered: std::collections::HashSet<String> = messages
        .iter()
        .filter_map(|m| match m {
            Message::ToolResult { call_id, .. } => Some(call_id.clone()),
            _ => None,
        })
        .collect();
    let unanswered: Vec<String> = messages
        .iter()
        .filter_map(|m| match m {
            Message::Assistant { parts } => Some(parts),
            _ => None,
        })
        .flatten()
        .filter_map(|p| match p {
            AssistantPart::ToolCall(call) if !answered.contains(&call.id) => Some(call.id.clone()),
            _ => None,
        })
        .collect();
    for call_id in unanswered {
        messages.push(Message::ToolResult {
            call_id,
            output: "Interrupted: the session ended before this call finished.".into(),
            is_error: true,
        });
    }
    if matches!(messages.last(), Some(Message::User { .. })) {
        messages.push(Message::Assistant {
            parts: vec![AssistantPart::Text {
                text: "(The previous session ended before this was answered.)".into(),
            }],
        });
    }
    messages
}

/// Draws a restored conversation into a pane's history: what the user
/// asked, the answers, and the tool calls with their results.
pub fn replay(history: &mut History, messages: &[Message]) {
    let mut names = std::collections::HashMap::new();
    for message in messages {
        match message {
            Message::User { text } => history.apply(&Event::TaskStarted { text: text.clone() }),
            Message::Assistant { parts } => {
                for part in parts {
                    match part {
                        AssistantPart::Text { text } if !text.is_empty() => {
                            history.apply(&Event::AssistantMessage { text: text.clone() })
                        }
                        AssistantPart::ToolCall(call) => {
                            names.insert(call.id.clone(), call.name.clone());
                            let input = serde_json::from_str(&call.arguments)
                                .unwrap_or(serde_json::Value::Null);
                            history.apply(&Event::ToolCall {
                                id: call.id.clone(),
                                name: call.name.clone(),
                                input,
                                summary: call.name.clone(),
                            });
                        }
                        _ => {}
                    }
                }
            }
            Message::ToolResult {
                call_id,
                output,
                is_error,
            } => history.apply(&Event::ToolResult {
                id: call_id.clone(),
                name: names.get(call_id).cloned().unwrap_or_default(),
                ok: !is_error,
                output: output.clone(),
                exit_code: None,
                duration: std::time::Duration::ZERO,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::ToolCall;

    #[test]
    fn a_conversation_cut_by_a_crash_is_completed() {
        let user = |t: &str| Message::User { text: t.into() };
        let call = Message::Assistant {
            parts: vec![AssistantPart::ToolCall(ToolCall {
                id: "c1".into(),
                name: "shell".into(),
                arguments: "{}".into(),
            })],
        };
        let done = completed(vec![user("go"), call.clone()]);
        assert!(matches!(
            &done[2],
            Message::ToolResult { call_id, is_error: true, .. } if call_id == "c1"
        ));
        assert_eq!(done.len(), 3);
        let unanswered = completed(vec![user("one"), user("two")]);
        assert!(matches!(unanswered.last(), Some(Message::Assistant { .. })));
        let whole = vec![user("hi"), Message::Assistant { parts: vec![] }];
        assert_eq!(completed(whole.clone()), whole);
    }
}
