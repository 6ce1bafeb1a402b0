//! Telling a worktree run to go on: a message typed into a run shown in the
//! Run pane (`/runs N`) becomes its next task, in its own worktree. A run
//! still working takes it when its current task ends; a finished one goes
//! on in its session, and one restored by a resume (no session) gets a new
//! session that starts from its recorded conversation
//! ([`Effect::ReviveRun`]). Going on counts against `[agent]
//! parallel_runs` like any run: at the limit it waits its turn. Its work
//! is committed on its branch again when the task ends.

use tokio::sync::mpsc::UnboundedSender;

use super::RunState;
use crate::agent::Op;
use crate::tui::app::{App, Effect};
use crate::tui::history::NoticeKind;

impl App {
    /// The user typed `text` into worktree run `index` (0-based), shown in
    /// the Run pane: it takes it as its next task, or says why it cannot.
    pub(in crate::tui) fn submit_to_run(&mut self, index: usize, text: String) {
        let number = index + 1;
        let run = &mut self.runs[index];
        let refusal = match &run.state {
            RunState::Gone(why) => Some(format!(
                "run #{number} cannot go on: {why}. /run --worktree TASK starts a new run"
            )),
            RunState::Merged => Some(format!(
                "run #{number} was merged: its work is in the workspace now and its worktree is done with. /run --worktree TASK starts a new run, or /runs main and ask the Run pane"
            )),
            RunState::Discarded => Some(format!(
                "run #{number} was discarded: its worktree and branch are gone. /run --worktree TASK starts a new run"
            )),
            RunState::Failed(why) => Some(format!(
                "run #{number} never started ({why}). /run --worktree TASK tries again"
            )),
            _ => None,
        };
        if let Some(text) = refusal {
            run.slot.history.push_notice(text, NoticeKind::Warning);
            return;
        }
        run.waiting.push(text);
        match run.state.clone() {
            state @ (RunState::Finished(_) | RunState::Interrupted) => {
                run.went_on_from = Some(state);
                run.state = RunState::Queued;
                self.start_queued_runs();
                let run = &mut self.runs[index];
                if run.state == RunState::Queued {
                    let limit = self.max_parallel_runs;
                    run.slot.history.push_notice(
                        format!(
                            "run #{number} waits for a free slot ({limit} runs at once, [agent] parallel_runs): your message is sent when it goes on"
                        ),
                        NoticeKind::Info,
                    );
                }
            }
            RunState::Queued if run.went_on_from.is_some() => {
                run.slot.history.push_notice(
                    format!("run #{number} still waits for a free slot: this is sent with the rest when it goes on"),
                    NoticeKind::Info,
                );
            }
            _ => run.slot.history.push_notice(
                format!("queued: run #{number} goes on with this when its current task ends"),
                NoticeKind::Info,
            ),
        }
    }

    /// Run `number`, queued to go on, has a parallel slot: its session (if
    /// it still has one) gets the waiting messages, else a new session is
    /// asked for.
    pub(super) fn go_on(&mut self, number: usize) {
        let run = &mut self.runs[number - 1];
        run.started = Some(std::time::Instant::now());
        let messages = std::mem::take(&mut run.waiting);
        let branch = run.branch.clone().unwrap_or_else(|| "its branch".into());
        if let Some((first, rest)) = messages.split_first()
            && run.slot.ops.is_some()
        {
            if run.slot.send_op(Op::UserMessage(first.clone())) {
                for text in rest {
                    run.slot.send_op(Op::UserMessage(text.clone()));
                }
                run.slot.queued += rest.len();
                run.state = RunState::Running;
                run.went_on_from = None;
                run.slot.history.push_notice(
                    format!("run #{number} goes on in its worktree ({branch})"),
                    NoticeKind::Info,
                );
                return;
            }
            // Its session has ended: a new one takes over.
            run.slot.ops = None;
        }
        run.state = RunState::Starting;
        // The first message starts its task; the rest wait behind it.
        run.slot.queued += messages.len().saturating_sub(1);
        run.slot.history.push_notice(
            format!(
                "run #{number} goes on in its worktree ({branch}): starting a session with its conversation so far"
            ),
            NoticeKind::Info,
        );
        self.effects.push(Effect::ReviveRun { number, messages });
    }

    /// A new session for run `number` is up (its ops) with its history and
    /// messages sent, or could not be started: then the run is as it was,
    /// its work kept, and the user's messages are said to be lost.
    pub fn on_run_revived(&mut self, number: usize, outcome: Result<UnboundedSender<Op>, String>) {
        let Some(run) = self.runs.get_mut(number - 1) else {
            return;
        };
        match outcome {
            Ok(ops) => {
                run.slot.ops = Some(ops);
                // Its session holds the history now (and the transcript
                // records what it adds).
                run.history.clear();
                run.state = RunState::Running;
                run.went_on_from = None;
            }
            Err(why) => {
                run.state = run.went_on_from.take().unwrap_or(RunState::Interrupted);
                // Nothing was sent, so nothing waits.
                run.slot.queued = 0;
                run.slot.history.push_notice(
                    format!(
                        "run #{number} could not go on (your message was not sent): {why}. Its work is kept: /runs {number} diff, merge or discard"
                    ),
                    NoticeKind::Error,
                );
                self.start_queued_runs();
            }
        }
    }
}
