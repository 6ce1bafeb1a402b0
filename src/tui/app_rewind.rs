//! `/rewind`: take a pane's conversation back to before one of its tasks,
//! and optionally the workspace files to the checkpoint taken then, after
//! showing which files that restores.

use std::path::PathBuf;

use super::app::{App, Effect, Overlay};
use super::history::NoticeKind;
use super::picker::{PickCommand, PickRow, Picker};
use crate::agent::Op;

/// A rewind with files, waiting for the user's y.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RewindPlan {
    /// Which pane (0 Chat, 1 Run).
    pub pane: usize,
    /// Back to before this task.
    pub task: u32,
    /// The workspace as it was then.
    pub checkpoint: String,
    /// The files that differ from it now (restored, or removed when they
    /// did not exist then).
    pub paths: Vec<PathBuf>,
}

impl App {
    /// The focused pane's tasks to rewind to, the newest selected: Enter
    /// takes the conversation back to before one, Ctrl-F restores the
    /// files too (shown first, asking y/n).
    fn rewind_picker(&self) -> Picker {
        let log = &self.panes[self.focus].task_log;
        let rows = log
            .iter()
            .map(|task| PickRow {
                cells: vec![
                    task.number.to_string(),
                    task.prompt.clone(),
                    if task.checkpoint.is_some() {
                        "yes".into()
                    } else {
                        "no".into()
                    },
                ],
                command: PickCommand::new("rewind", task.number.to_string()),
                alternate: task
                    .checkpoint
                    .is_some()
                    .then(|| PickCommand::new("rewind", format!("{} files", task.number))),
            })
            .collect();
        Picker::new(
            "rewind to before a task",
            &["task", "what you asked", "files restorable"],
            rows,
            "rewinds the conversation",
        )
        .with_alternate('f', "also restores the files")
        .with_selected(log.len().saturating_sub(1))
    }

    /// `/rewind` lists the pane's tasks; `/rewind N` takes the conversation
    /// back to before task N; `/rewind N files` also restores the files.
    pub(super) fn rewind_command(&mut self, args: &str) {
        let focus = self.focus;
        let mut words = args.split_whitespace();
        let (task, files) = match (words.next(), words.next(), words.next()) {
            (None, _, _) if self.focused().task_log.is_empty() => {
                self.focused().history.push_notice(
                    "nothing to rewind: this pane has run no task yet",
                    NoticeKind::Info,
                );
                return;
            }
            (None, _, _) => {
                let picker = self.rewind_picker();
                self.open_picker(picker);
                return;
            }
            (Some(n), rest, None) => match (n.parse::<u32>(), rest) {
                (Ok(n), None) => (n, false),
                (Ok(n), Some("files")) => (n, true),
                _ => {
                    self.rewind_usage();
                    return;
                }
            },
            _ => {
                self.rewind_usage();
                return;
            }
        };
        let pane = self.focused();
        if pane.busy {
            pane.history.push_notice(
                "a task is running: interrupt it (Esc) before rewinding",
                NoticeKind::Warning,
            );
            return;
        }
        let Some(record) = pane.task_log.iter().find(|t| t.number == task).cloned() else {
            pane.history.push_notice(
                format!("there is no task {task} in this pane; /rewind lists them"),
                NoticeKind::Warning,
            );
            return;
        };
        if !files {
            pane.send_op(Op::Rewind { before_task: task });
            pane.task_log.retain(|t| t.number < task);
            return;
        }
        match record.checkpoint {
            Some(checkpoint) => self.effects.push(Effect::PlanRewind {
                pane: focus,
                task,
                checkpoint,
            }),
            None => pane.history.push_notice(
                "no checkpoint was taken before that task (change tracking is off), so only the conversation can be rewound",
                NoticeKind::Warning,
            ),
        }
    }

    fn rewind_usage(&mut self) {
        self.focused()
            .history
            .push_notice("usage: /rewind [N [files]]", NoticeKind::Warning);
    }

    /// The files a rewind would restore are known: ask before doing it.
    pub fn on_rewind_plan(&mut self, plan: Result<RewindPlan, String>) {
        match plan {
            Ok(plan) => {
                self.rewind_plan = Some(plan);
                self.overlay = Some(Overlay::ConfirmRewind);
            }
            Err(e) => self.flash(format!("rewind: {e}")),
        }
    }

    /// The user said y: rewind the conversation and restore the files.
    pub(super) fn carry_out_rewind(&mut self, plan: RewindPlan) {
        let pane = &mut self.panes[plan.pane];
        pane.send_op(Op::Rewind {
            before_task: plan.task,
        });
        pane.task_log.retain(|t| t.number < plan.task);
        if !plan.paths.is_empty() {
            self.effects.push(Effect::RestoreFiles {
                checkpoint: plan.checkpoint,
                paths: plan.paths,
            });
        }
    }

    /// The files were restored (or not).
    pub fn on_files_restored(&mut self, outcome: Result<usize, String>) {
        let (text, kind) = match outcome {
            Ok(n) => (
                format!("restored {n} files to how they were before that task"),
                NoticeKind::Info,
            ),
            Err(e) => (format!("restoring files failed: {e}"), NoticeKind::Error),
        };
        self.focused().history.push_notice(text, kind);
    }
}
