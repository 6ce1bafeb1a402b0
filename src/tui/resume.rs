//! Resuming a saved session (`tandem resume [ID]`, `tandem --continue`):
//! finding its transcript, reading both panes' conversations back, and
//! drawing them again in the panes' histories; its worktree runs come back
//! in `/runs` with their worktrees found again.

use std::path::Path;

use anyhow::bail;

use super::app_runs::RunState;
use super::history::History;
use super::picker::{PickCommand, PickRow, Picker};
use crate::agent::Event;
use crate::provider::{AssistantPart, Message};
use crate::store::{self, RunMark, RunStart, Transcript};
use crate::workspace::worktree::Worktree;

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

    /// Adds a saved session's worktree runs to `/runs` and records them in
    /// this session's `transcript` (so a later resume has them too);
    /// returns the worktrees found again, by their new run numbers, for
    /// `/runs N diff|merge|discard`.
    pub fn restore_runs(
        &mut self,
        runs: &[ResumedRun],
        transcript: Option<&Transcript>,
    ) -> Vec<(usize, Worktree)> {
        let mut handles = Vec::new();
        for run in runs {
            let start = &run.recorded.start;
            let state = match (run.recorded.mark, &run.worktree) {
                (Some(RunMark::Merged), _) => RunState::Merged,
                (Some(RunMark::Discarded), _) => RunState::Discarded,
                (_, Some(Err(why))) => RunState::Gone(why.clone()),
                (_, None) => RunState::Gone("its worktree was not looked for".into()),
                (Some(RunMark::Finished(status)), Some(Ok(_))) => RunState::Finished(status),
                (None | Some(RunMark::Working), Some(Ok(_))) => RunState::Interrupted,
            };
            let number = self.restore_run(run, state);
            if let Some(Ok(worktree)) = &run.worktree {
                handles.push((number, worktree.clone()));
            }
            if let Some(transcript) = transcript {
                transcript.run_started(&RunStart {
                    number,
                    ..start.clone()
                });
                if !run.messages.is_empty() {
                    transcript.history(&store::run_pane(number), &run.messages);
                }
                if let Some(mark) = run.recorded.mark {
                    transcript.run_marked(number, mark);
                }
            }
        }
        if !runs.is_empty() {
            let gone = self
                .runs
                .iter()
                .filter(|r| matches!(r.state, RunState::Gone(_)))
                .count();
            let gone = if gone > 0 {
                format!(" ({gone} with its worktree gone)")
            } else {
                String::new()
            };
            self.panes[1].history.push_notice(
                format!(
                    "{} worktree runs restored{gone}: /runs lists them",
                    runs.len()
                ),
                super::history::NoticeKind::Info,
            );
        }
        handles
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
    /// Its worktree runs, in order.
    pub runs: Vec<ResumedRun>,
    /// The transcript ended mid-line (the process was killed) and the cut
    /// line was left out.
    pub cut_short: bool,
    /// What each tool call was shown as then (`shell: cargo test`), by call
    /// id, so the replayed history reads as it did.
    pub tool_summaries: ToolSummaries,
}

/// Tool call summaries by call id, read from the recorded `tool_call`
/// events (the model-facing history has only names and arguments).
pub type ToolSummaries = std::sync::Arc<std::collections::HashMap<String, String>>;

/// A saved session's worktree run, ready to list again.
#[derive(Debug, Clone, PartialEq)]
pub struct ResumedRun {
    /// What the transcript says of it.
    pub recorded: store::RecordedRun,
    /// Its model-facing history, drawn again in its slot.
    pub messages: Vec<Message>,
    /// Its worktree found again, or why it cannot be (gone); `None` when
    /// it was not looked for (the run was merged or discarded).
    pub worktree: Option<Result<Worktree, String>>,
    /// The files it changed, when its worktree is there.
    pub files: Vec<String>,
    /// How its tool calls were shown.
    pub tool_summaries: ToolSummaries,
}

/// Finds and reads the session `which` of `workspace` under `state_dir`;
/// the worktrees of its runs are looked for (a few git commands each).
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
    let tool_summaries: ToolSummaries = std::sync::Arc::new(
        loaded
            .panes
            .values()
            .flat_map(|pane| &pane.events)
            .filter(|e| e.event["type"] == "tool_call")
            .filter_map(|e| {
                let data = &e.event["data"];
                Some((
                    data["id"].as_str()?.to_string(),
                    data["summary"].as_str()?.to_string(),
                ))
            })
            .collect(),
    );
    let messages = |pane: &str| {
        loaded
            .panes
            .get(pane)
            .map(|p| p.messages.clone())
            .unwrap_or_default()
    };
    let runs = loaded
        .runs
        .iter()
        .map(|recorded| {
            let start = &recorded.start;
            let worktree = match recorded.mark {
                Some(RunMark::Merged | RunMark::Discarded) => None,
                _ => Some(
                    Worktree::open(
                        state_dir,
                        workspace,
                        &start.worktree,
                        &start.branch,
                        &start.base,
                    )
                    .map_err(|e| e.to_string()),
                ),
            };
            let files = match &worktree {
                Some(Ok(wt)) => wt.changed_files().unwrap_or_default(),
                _ => Vec::new(),
            };
            ResumedRun {
                recorded: recorded.clone(),
                messages: messages(&store::run_pane(start.number)),
                worktree,
                files,
                tool_summaries: tool_summaries.clone(),
            }
        })
        .collect();
    Ok(Resumed {
        id: loaded.header.id.clone(),
        chat: completed(messages("chat")),
        run: completed(messages("run")),
        runs,
        cut_short: loaded.skipped_tail,
        tool_summaries,
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
pub fn replay(history: &mut History, messages: &[Message], summaries: &ToolSummaries) {
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
                                summary: summaries
                                    .get(&call.id)
                                    .cloned()
                                    .unwrap_or_else(|| call.name.clone()),
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
    use crate::agent::{Pane, TaskStatus};
    use crate::exec::ApprovalMode;
    use crate::provider::ToolCall;
    use crate::tui::app::{App, Effect, PaneSlot};
    use crate::tui::theme::{ColorDepth, Theme};

    use crate::test_git::git;

    fn start_of(number: usize, wt: &Worktree) -> RunStart {
        RunStart {
            number,
            task: format!("task {number}"),
            branch: wt.branch().into(),
            worktree: wt.path().into(),
            base: wt.base().into(),
        }
    }

    #[test]
    fn runs_come_back_interrupted_or_gone_and_are_recorded_again() {
        let repo_dir = tempfile::tempdir().unwrap();
        let state_dir = tempfile::tempdir().unwrap();
        let (repo, state) = (repo_dir.path().canonicalize().unwrap(), state_dir.path());
        git(&repo, &["init", "-q"]);
        std::fs::write(repo.join("a.txt"), "a\n").unwrap();
        git(&repo, &["add", "-A"]);
        git(&repo, &["commit", "-qm", "init"]);
        let kept = Worktree::create(state, &repo, "kept").unwrap();
        let lost = Worktree::create(state, &repo, "lost").unwrap();
        std::fs::write(kept.path().join("b.txt"), "b\n").unwrap();
        let saved = Transcript::create(state, "saved", &repo).unwrap();
        saved.run_started(&start_of(1, &kept));
        saved.for_pane(&store::run_pane(1)).message(
            "run",
            &Message::User {
                text: "task 1".into(),
            },
        );
        saved.run_started(&start_of(2, &lost));
        saved.run_marked(2, RunMark::Finished(TaskStatus::Ok));
        saved.close();
        std::fs::remove_dir_all(lost.path()).unwrap();

        let found = find(state, &repo, &Resume::Id("saved".into())).unwrap();
        assert_eq!(found.runs.len(), 2);
        assert_eq!(found.runs[0].files, ["b.txt"]);
        let slot = |pane| PaneSlot::new(pane, "p".into(), "m".into(), ApprovalMode::Suggest);
        let theme = Theme::built_in("dark", ColorDepth::None).unwrap();
        let mut app = App::new(slot(Pane::Chat), slot(Pane::Run), theme);
        let now = Transcript::create(state, "now", &repo).unwrap();
        let handles = app.restore_runs(&found.runs, Some(&now));
        assert_eq!(handles, vec![(1, kept.clone())]);
        assert_eq!(app.runs[0].state, RunState::Interrupted);
        assert!(
            matches!(&app.runs[1].state, RunState::Gone(why) if why.contains("the worktree is gone")),
            "{:?}",
            app.runs[1].state
        );
        // The gone one says why; the interrupted one can be merged.
        app.runs_command("2 merge");
        let said = app.panes[0].history.last_notice_text().unwrap().to_string();
        assert!(said.contains("run #2 cannot be used"), "{said}");
        assert!(
            said.contains(&format!("git branch -D {}", lost.branch())),
            "{said}"
        );
        app.runs_command("1 merge");
        assert_eq!(app.take_effects(), [Effect::MergeRun { number: 1 }]);
        // This session's transcript has them too, for the next resume.
        now.close();
        let again = store::load(now.path()).unwrap();
        assert_eq!(again.runs.len(), 2);
        assert_eq!(again.runs[1].mark, Some(RunMark::Finished(TaskStatus::Ok)));
        assert_eq!(
            again.panes["run#1"].messages,
            [Message::User {
                text: "task 1".into()
            }]
        );
    }

    #[test]
    fn replayed_tool_calls_read_as_they_were_shown() {
        let dir = tempfile::tempdir().unwrap();
        let (state, workspace) = (dir.path(), dir.path().canonicalize().unwrap());
        let saved = Transcript::create(state, "s", &workspace).unwrap();
        let call = ToolCall {
            id: "c1".into(),
            name: "shell".into(),
            arguments: r#"{"command":"cargo test"}"#.into(),
        };
        saved.message(
            "run",
            &Message::User {
                text: "test it".into(),
            },
        );
        saved.event(
            "run",
            &Event::ToolCall {
                id: "c1".into(),
                name: "shell".into(),
                input: serde_json::json!({"command": "cargo test"}),
                summary: "shell: cargo test".into(),
            },
        );
        saved.message(
            "run",
            &Message::Assistant {
                parts: vec![AssistantPart::ToolCall(call)],
            },
        );
        saved.close();
        let found = find(state, &workspace, &Resume::Id("s".into())).unwrap();
        assert_eq!(
            found.tool_summaries.get("c1").map(String::as_str),
            Some("shell: cargo test")
        );
        let mut history = History::new();
        replay(&mut history, &found.run, &found.tool_summaries);
        let area = ratatui::layout::Rect::new(0, 0, 60, 12);
        let mut buf = ratatui::buffer::Buffer::empty(area);
        let theme = Theme::built_in("dark", ColorDepth::None).unwrap();
        history.render(area, &mut buf, &theme);
        let text: String = (0..area.height)
            .map(|y| {
                (0..area.width)
                    .map(|x| buf[(x, y)].symbol())
                    .collect::<String>()
                    + "\n"
            })
            .collect();
        assert!(text.contains("shell: cargo test"), "{text}");
    }

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
