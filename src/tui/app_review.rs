//! The app's side of the review: opening and closing the diff viewer,
//! routing its keys and actions, and the Run pane's summary of what a task
//! changed. The review work itself (diffs, staging, reverting) happens on
//! the review worker; this only turns keys into effects and results into
//! state.

use std::collections::BTreeSet;
use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::app::{App, Effect, Overlay, PaneStatus};
use super::diffview::{Filter, ViewerAction};
use super::history::NoticeKind;
use super::keymap::{self, Action, Context};
use crate::agent::{Pane, TaskStatus};
use crate::workspace::{ReviewSnapshot, TrackerEvent};

/// How many paths the run summary names before "+N more".
const SUMMARY_PATHS: usize = 3;

impl App {
    /// Opens the viewer (Ctrl-G), or gives the screen back to the panes when
    /// it has it.
    pub(super) fn toggle_viewer(&mut self) {
        if self.viewer_focused {
            self.viewer_focused = false;
        } else {
            self.open_viewer(None);
        }
    }

    /// Opens the viewer with `filter` (else the one the last run summary
    /// offered, else as it was).
    pub(super) fn open_viewer(&mut self, filter: Option<Filter>) {
        if self.tracker.is_none() {
            self.flash(
                "change tracking is off ([review] track) or could not start; see the Chat pane",
            );
            return;
        }
        if let Some(filter) = filter.or_else(|| self.pending_filter.take()) {
            self.viewer.set_filter(filter);
        }
        if self.viewer_source.take().is_some() {
            // Back from a worktree run's diff: the workspace's own review.
            self.viewer.set_snapshot(Default::default());
        }
        self.viewer_open = true;
        self.viewer_focused = true;
        self.effects.push(Effect::RefreshReview);
    }

    /// Tab / Shift-Tab: Chat → Run → diff viewer (when open) → Chat.
    pub(super) fn cycle_focus(&mut self, forward: bool) {
        // Positions: 0 Chat, 1 Run, 2 viewer.
        let count = if self.viewer_open { 3 } else { 2 };
        let at = if self.viewer_focused { 2 } else { self.focus };
        let next = if forward {
            (at + 1) % count
        } else {
            (at + count - 1) % count
        };
        self.viewer_focused = next == 2;
        if next < 2 {
            self.focus = next;
        }
    }

    /// `/diff [all|chat|run|you|unreviewed|last]`.
    pub(super) fn diff_command(&mut self, args: &str) {
        let filter = match args {
            "" => None,
            "all" => Some(Filter::All),
            "chat" | "run" => Some(Filter::Pane {
                pane: args.to_string(),
                turns: Vec::new(),
            }),
            "you" => Some(Filter::External),
            "unreviewed" => Some(Filter::Unreviewed),
            "last" => Some(Filter::Pane {
                pane: "run".into(),
                turns: vec![self.panes[1].tasks],
            }),
            other => {
                self.focused().history.push_notice(
                    format!("/diff {other}: choose all, chat, run, you, unreviewed or last (the last Run task)"),
                    NoticeKind::Warning,
                );
                return;
            }
        };
        self.open_viewer(filter);
    }

    /// The keys every full-screen view (viewer, quota) leaves to the app:
    /// Ctrl-C twice to quit, the global bindings, `?` for help. Returns
    /// whether the key was one of them.
    pub(super) fn full_screen_global_key(&mut self, key: &KeyEvent) -> bool {
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            self.ctrl_c_twice();
        } else if let Some(action) = keymap::lookup(Context::Global, key, true) {
            self.global(action);
        } else if key.code == KeyCode::Char('?') && key.modifiers.is_empty() {
            self.overlay = Some(Overlay::Help);
        } else {
            return false;
        }
        true
    }

    /// A key while the viewer has the keyboard.
    pub(super) fn viewer_key(&mut self, key: KeyEvent) {
        if !self.viewer.typing() && self.full_screen_global_key(&key) {
            return;
        }
        let action = self.viewer.handle_key(key);
        self.viewer_action(action);
    }

    fn viewer_action(&mut self, action: ViewerAction) {
        match action {
            ViewerAction::None => {}
            ViewerAction::Close => {
                self.viewer_focused = false;
                self.viewer_open = false;
                self.viewer_source = None;
            }
            ViewerAction::Review(command) => self.effects.push(Effect::Review(command)),
            ViewerAction::Copy(text) => {
                self.effects.push(Effect::Copy(text));
                self.flash("hunk copied to the clipboard as a patch");
            }
            ViewerAction::OpenEditor { path, line } => {
                self.effects.push(Effect::Edit { path, line })
            }
            ViewerAction::Comment { pane, text } => {
                let index = match pane {
                    Pane::Chat => 0,
                    Pane::Run => 1,
                };
                let label = self.panes[index].label();
                if self.panes[index].hosted.is_some() {
                    self.host_comment(index, text);
                } else if self.submit_to(index, text) {
                    self.flash(format!("comment sent to {label}"));
                } else {
                    self.flash(format!("{label} has no session: the comment was not sent"));
                }
            }
            ViewerAction::Recompute { ignore_whitespace } => {
                self.review_ignore_whitespace = ignore_whitespace;
                self.effects.push(Effect::RefreshReview);
            }
            ViewerAction::Flash(text) => self.flash(text),
        }
    }

    /// `/review`: Chat reviews the Run pane's last task.
    pub(super) fn review_command(&mut self) {
        let last = self.panes[1].task_log.last().cloned();
        match last {
            None => self.focused().history.push_notice(
                "Run has not run a task yet: nothing to review",
                NoticeKind::Warning,
            ),
            Some(_) if self.panes[1].busy => self.focused().history.push_notice(
                "Run is still working: review when its task ends",
                NoticeKind::Warning,
            ),
            Some(record) => match record.checkpoint {
                Some(checkpoint) => {
                    self.effects.push(Effect::ReviewRun {
                        task: record.number,
                        prompt: record.prompt,
                        checkpoint,
                    });
                    self.flash("building the diff of Run's task for Chat…");
                }
                None => self.focused().history.push_notice(
                    "change tracking is off, so there is no diff of Run's task to review",
                    NoticeKind::Warning,
                ),
            },
        }
    }

    /// The review request is ready (or could not be built): send it to Chat.
    pub fn on_review_request(&mut self, request: Result<String, String>) {
        match request {
            Ok(text) => {
                self.focus = 0;
                self.viewer_focused = false;
                if self.submit_to(0, text) {
                    self.panes[0].history.push_notice(
                        "asked Chat to review Run's changes; /handoff sends its findings back to Run",
                        NoticeKind::Info,
                    );
                }
            }
            Err(e) => self
                .focused()
                .history
                .push_notice(format!("/review: {e}"), NoticeKind::Warning),
        }
    }

    /// News from the change tracker.
    pub fn on_tracker_event(&mut self, event: &TrackerEvent) {
        match event {
            TrackerEvent::Checkpointed { .. } | TrackerEvent::Refresh => {
                if self.viewer_open {
                    self.effects.push(Effect::RefreshReview);
                }
            }
            TrackerEvent::Error(message) => self.panes[0]
                .history
                .push_notice(format!("change tracking: {message}"), NoticeKind::Warning),
            TrackerEvent::WatchUnavailable(message) => self.panes[0].history.push_notice(
                format!(
                    "not watching files ({message}); the review refreshes after each agent turn"
                ),
                NoticeKind::Warning,
            ),
        }
    }

    /// A freshly computed review.
    pub fn on_review_snapshot(&mut self, snapshot: ReviewSnapshot) {
        self.viewer.set_snapshot(Arc::new(snapshot));
    }

    /// The outcome of a review command: a line in the status bar, and a
    /// fresh review either way (a refused revert means the file moved on).
    pub fn on_review_done(&mut self, outcome: Result<String, String>) {
        match outcome {
            Ok(text) => self.flash(text),
            Err(text) => self.flash(text),
        }
        self.effects.push(Effect::RefreshReview);
    }

    /// Run started `text`: if it is a handed-over task, its cell follows
    /// this task number from now on.
    pub(super) fn handoff_started(&mut self, text: &str) {
        let number = self.panes[1].tasks;
        if let Some(handoff) = self
            .handoffs
            .iter_mut()
            .find(|h| h.task.is_none() && h.text == text)
        {
            handoff.task = Some(number);
        }
    }

    /// Keeps the cell of the handed-over task Run works on showing what
    /// Run is doing.
    pub(super) fn follow_handoff(&mut self) {
        let run = &self.panes[1];
        let Some(handoff) = self.handoffs.iter().find(|h| h.task == Some(run.tasks)) else {
            return;
        };
        let state = match &run.status {
            _ if !run.busy => return,
            PaneStatus::Running(tool) => format!("Run is running {tool}"),
            PaneStatus::WaitingApproval => "Run waits for your approval".to_string(),
            PaneStatus::PausedBudget => "Run is paused: budget".to_string(),
            _ => "Run is working".to_string(),
        };
        let (cell, text) = (handoff.cell, format!("{} · {state}", handoff.label));
        self.panes[0]
            .history
            .update_notice(cell, text, NoticeKind::Info);
    }

    /// After a Run task: which files it changed, and how to review them.
    pub(super) fn run_summary(&mut self, status: TaskStatus, turns: u32) {
        let task = self.panes[1].tasks;
        let paths: BTreeSet<String> = self
            .tracker
            .iter()
            .flat_map(|t| t.attributions())
            .filter(|a| a.pane == "run" && a.turn == task)
            .flat_map(|a| {
                a.paths
                    .into_iter()
                    .map(|p| p.to_string_lossy().into_owned())
            })
            .collect();
        let handed_over = self
            .handoffs
            .iter()
            .position(|h| h.task == Some(task))
            .map(|i| self.handoffs.remove(i));
        if let Some(handoff) = handed_over {
            // The Chat pane follows the task it handed over.
            let outcome = status.describe();
            let unit = if turns == 1 { "turn" } else { "turns" };
            let changed = match paths.len() {
                0 => "no files changed".to_string(),
                1 => "1 file changed".to_string(),
                n => format!("{n} files changed"),
            };
            let text = format!(
                "Run {outcome} the handed-over task ({turns} {unit}, {changed}){}",
                if paths.is_empty() {
                    String::new()
                } else {
                    format!(
                        " · {} shows the changes, /review reviews them",
                        keymap::keys_for(Action::OpenDiff)
                    )
                }
            );
            self.panes[0].history.update_notice(
                handoff.cell,
                format!("{} · {text}", handoff.label),
                NoticeKind::Info,
            );
        }
        if paths.is_empty() {
            return;
        }
        let mut names: Vec<&str> = paths
            .iter()
            .map(String::as_str)
            .take(SUMMARY_PATHS)
            .collect();
        let more = paths.len().saturating_sub(SUMMARY_PATHS);
        let more = if more > 0 {
            format!(", +{more} more")
        } else {
            String::new()
        };
        let files = if paths.len() == 1 { "file" } else { "files" };
        let keys = keymap::keys_for(Action::OpenDiff);
        names.sort_unstable();
        let text = format!(
            "Run changed {} {files}: {}{more} · {keys} (or /diff last) shows them, /review asks Chat to review them, /rewind {task} files reverts them",
            paths.len(),
            names.join(", "),
        );
        self.panes[1].history.push_notice(text, NoticeKind::Info);
        self.pending_filter = Some(Filter::Pane {
            pane: "run".into(),
            turns: vec![task],
        });
    }
}
