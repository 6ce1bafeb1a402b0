//! Parallel autonomous runs in git worktrees (`/run --worktree TASK`): each
//! runs in its own worktree and branch under the state dir, so several go
//! at once without touching each other or the user's files. `/runs` lists
//! them, `/runs N` shows one in the Run pane (`/runs main` goes back),
//! `/runs N diff` opens its changes in the diff viewer (accepting takes a
//! hunk into the main workspace), `/runs N merge` applies all of them
//! (refused, with the files named, when they conflict with changes made
//! meanwhile), `/runs N discard` removes the worktree and branch.
//!
//! Runs are recorded in the session transcript, so a resumed session gets
//! them back ([`App::restore_run`]): a run that was still working then is
//! [`RunState::Interrupted`], one whose worktree was removed meanwhile is
//! [`RunState::Gone`]. A message typed into a shown run makes it go on in
//! its worktree (`revive`).

mod revive;
#[cfg(test)]
mod revive_tests;

use std::time::Instant;

use super::app::{App, Effect, PaneSlot};
use super::history::NoticeKind;
use super::picker::{PickCommand, PickRow, Picker};
use crate::agent::{Event, Pane, TaskStatus};
use crate::provider::Message;
use crate::workspace::ReviewSnapshot;

/// Where a worktree run is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunState {
    /// Waiting for a free slot (at most `[agent] parallel_runs` at once).
    Queued,
    /// Its worktree and session are being set up.
    Starting,
    /// The agent works.
    Running,
    /// The task ended; its work is committed on the run's branch.
    Finished(TaskStatus),
    /// Its changes were applied to the main workspace.
    Merged,
    /// Its worktree and branch were removed.
    Discarded,
    /// It could not start (the reason).
    Failed(String),
    /// It was still working when its session ended (a quit or a crash);
    /// restored by a resume with its worktree and branch as they were.
    Interrupted,
    /// Restored by a resume, but its worktree is gone (the reason, saying
    /// what is left): nothing to diff or merge.
    Gone(String),
}

impl RunState {
    fn word(&self) -> String {
        match self {
            RunState::Queued => "queued".into(),
            RunState::Starting => "starting".into(),
            RunState::Running => "running".into(),
            RunState::Finished(TaskStatus::Ok) => "finished".into(),
            RunState::Finished(status) => format!("ended ({status:?})").to_lowercase(),
            RunState::Merged => "merged".into(),
            RunState::Discarded => "discarded".into(),
            RunState::Failed(why) => format!("failed: {why}"),
            RunState::Interrupted => "interrupted".into(),
            RunState::Gone(_) => "gone".into(),
        }
    }

    /// Has a worktree to diff, merge or discard.
    fn settled_with_worktree(&self) -> bool {
        matches!(self, RunState::Finished(_) | RunState::Interrupted)
    }

    /// Holds one of the parallel slots.
    fn active(&self) -> bool {
        matches!(self, RunState::Starting | RunState::Running)
    }
}

/// One worktree run as the app sees it.
pub struct RunEntry {
    /// 1-based, as `/runs` shows it.
    pub number: usize,
    /// What it was asked to do.
    pub task: String,
    /// Its history, composer and counters, shown in the Run pane by `/runs N`.
    pub slot: PaneSlot,
    pub state: RunState,
    pub started: Option<Instant>,
    /// The run's branch, once created.
    pub branch: Option<String>,
    /// Files it changed (repository-relative), once finished.
    pub files: Vec<String>,
    /// Its model-facing history as a resume loaded it (completed when it
    /// was cut short): what a new session for it starts from. Empty once
    /// a session holds it (a run started or revived here): a later revival
    /// reads it from the transcript.
    pub history: Vec<Message>,
    /// Messages the user typed into it that it has not taken yet: sent when
    /// it goes on (after its current task, once a parallel slot is free).
    pub waiting: Vec<String>,
    /// The state it was in before it was asked to go on (queued or
    /// starting again), to return to if its session cannot be started.
    pub went_on_from: Option<RunState>,
}

/// The columns of the `/runs` list.
const RUNS_HEADER: [&str; 7] = ["run", "state", "elapsed", "tokens", "cost", "files", "task"];

impl App {
    /// The `/runs` list: the Run pane's own session first, then every run;
    /// Enter shows one in the Run pane, Ctrl-D opens its changes.
    fn runs_picker(&self) -> Picker {
        let mut rows = vec![PickRow {
            cells: vec![
                "main".into(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                "the Run pane's own session".into(),
            ],
            command: PickCommand::new("runs", "main"),
            alternate: None,
        }];
        rows.extend(self.runs.iter().map(|run| {
            let cost = self
                .meter
                .as_ref()
                .and_then(|m| m.cost(&run.slot.model, &run.slot.usage));
            PickRow {
                cells: run_cells(run, cost),
                command: PickCommand::new("runs", run.number.to_string()),
                alternate: Some(PickCommand::new("runs", format!("{} diff", run.number))),
            }
        }));
        let shown = self.shown_run.map_or(0, |index| index + 1);
        Picker::new(
            "worktree runs — /runs N merge|discard acts on one",
            &RUNS_HEADER,
            rows,
            "shows it in the Run pane",
        )
        .with_alternate('d', "opens its changes")
        .with_selected(shown)
    }

    /// A pane slot for a worktree run: the Run pane's provider, model,
    /// mode and context window, and the shared commands.
    fn run_slot(&self) -> PaneSlot {
        let main = &self.panes[1];
        let mut slot = PaneSlot::new(
            Pane::Run,
            main.provider.clone(),
            main.model.clone(),
            main.mode,
        );
        slot.context_window = main.context_window;
        slot.composer.set_commands(self.commands.clone());
        slot
    }

    /// `/run --worktree TASK`.
    pub(super) fn run_command(&mut self, args: &str) {
        let Some(task) = args.trim_start().strip_prefix("--worktree") else {
            self.focused().history.push_notice(
                "usage: /run --worktree TASK (a run in its own git worktree and branch); a plain task goes to the Run pane's composer",
                NoticeKind::Warning,
            );
            return;
        };
        let task = task.trim().to_string();
        if task.is_empty() {
            self.focused()
                .history
                .push_notice("/run --worktree needs a task", NoticeKind::Warning);
            return;
        }
        let number = self.runs.len() + 1;
        let slot = self.run_slot();
        self.runs.push(RunEntry {
            number,
            task: task.clone(),
            slot,
            state: RunState::Queued,
            started: None,
            branch: None,
            files: Vec::new(),
            history: Vec::new(),
            waiting: Vec::new(),
            went_on_from: None,
        });
        self.panes[1].history.push_notice(
            format!("run #{number} (worktree) queued: {task} · /runs lists the runs"),
            NoticeKind::Info,
        );
        self.start_queued_runs();
    }

    /// Starts queued runs while fewer than the limit are active.
    fn start_queued_runs(&mut self) {
        let active = self.runs.iter().filter(|r| r.state.active()).count();
        let free = self.max_parallel_runs.saturating_sub(active);
        let next: Vec<usize> = self
            .runs
            .iter()
            .filter(|r| r.state == RunState::Queued)
            .map(|r| r.number)
            .take(free)
            .collect();
        for number in next {
            if self.runs[number - 1].went_on_from.is_some() {
                self.go_on(number);
                continue;
            }
            let run = &mut self.runs[number - 1];
            run.state = RunState::Starting;
            run.started = Some(Instant::now());
            self.effects.push(Effect::StartRun {
                number,
                task: run.task.clone(),
            });
        }
    }

    /// `/runs [N [merge|discard]|main]`.
    pub(super) fn runs_command(&mut self, args: &str) {
        let mut words = args.split_whitespace();
        match (words.next(), words.next()) {
            (None, _) if self.runs.is_empty() => {
                self.focused().history.push_notice(
                    "no worktree runs yet: /run --worktree TASK starts one",
                    NoticeKind::Info,
                );
            }
            (None, _) => {
                let picker = self.runs_picker();
                self.open_picker(picker);
            }
            (Some("main"), None) => self.shown_run = None,
            (Some(n), action) => {
                let Some(index) = n
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=self.runs.len()).contains(n))
                    .map(|n| n - 1)
                else {
                    self.focused().history.push_notice(
                        format!("there is no run {n}; /runs lists them"),
                        NoticeKind::Warning,
                    );
                    return;
                };
                let number = index + 1;
                match action {
                    None => {
                        self.shown_run = Some(index);
                        self.focus = 1;
                        let word = self.runs[index].state.word();
                        self.runs[index].slot.history.push_notice(
                            format!(
                                "this is worktree run #{number} ({word}); /runs main goes back to the Run pane's own session"
                            ),
                            NoticeKind::Info,
                        );
                    }
                    Some("merge" | "discard" | "diff")
                        if matches!(self.runs[index].state, RunState::Gone(_)) =>
                    {
                        let why = match &self.runs[index].state {
                            RunState::Gone(why) => why.clone(),
                            _ => String::new(),
                        };
                        self.focused().history.push_notice(
                            format!("run #{number} cannot be used: {why}"),
                            NoticeKind::Warning,
                        );
                    }
                    Some("merge" | "discard" | "diff")
                        if !self.runs[index].state.settled_with_worktree() =>
                    {
                        let word = self.runs[index].state.word();
                        self.focused().history.push_notice(
                            format!(
                                "run #{number} is {word}: merge or discard it once it has finished"
                            ),
                            NoticeKind::Warning,
                        );
                    }
                    Some("merge") => self.effects.push(Effect::MergeRun { number }),
                    Some("diff") => {
                        self.viewer_source = Some(number);
                        self.viewer.set_filter(super::diffview::Filter::All);
                        self.viewer
                            .set_snapshot(std::sync::Arc::new(ReviewSnapshot::default()));
                        self.viewer_open = true;
                        self.viewer_focused = true;
                        self.effects.push(Effect::RefreshReview);
                    }
                    Some("discard") => {
                        if self.shown_run == Some(index) {
                            self.shown_run = None;
                        }
                        self.effects.push(Effect::DiscardRun { number });
                    }
                    Some(other) => self.focused().history.push_notice(
                        format!("/runs {number} {other}: choose diff, merge or discard"),
                        NoticeKind::Warning,
                    ),
                }
            }
        }
    }

    /// Adds `run`, restored from a saved session in `state` (numbered after
    /// the runs already here), its conversation drawn again in its slot;
    /// returns its number.
    pub fn restore_run(&mut self, run: &super::resume::ResumedRun, state: RunState) -> usize {
        let start = &run.recorded.start;
        let (was, task, branch) = (start.number, start.task.as_str(), start.branch.as_str());
        let (files, messages, summaries) = (run.files.clone(), &run.messages, &run.tool_summaries);
        let number = self.runs.len() + 1;
        let mut slot = self.run_slot();
        super::resume::replay(&mut slot.history, messages, summaries);
        let renumbered = if was == number {
            String::new()
        } else {
            format!(" (#{was} there)")
        };
        let (text, kind) = match &state {
            RunState::Gone(why) => (
                format!("restored from the saved session{renumbered}, but {why}"),
                NoticeKind::Warning,
            ),
            state => (
                format!(
                    "restored from the saved session{renumbered}: {} on {branch}",
                    state.word()
                ),
                NoticeKind::Info,
            ),
        };
        slot.history.push_notice(text, kind);
        self.runs.push(RunEntry {
            number,
            task: task.to_string(),
            slot,
            state,
            started: None,
            branch: Some(branch.to_string()),
            files,
            history: super::resume::completed(messages.clone()),
            waiting: Vec::new(),
            went_on_from: None,
        });
        number
    }

    /// The run's worktree and session are up (or could not be made).
    pub fn on_run_started(&mut self, number: usize, outcome: Result<String, String>) {
        let Some(run) = self.runs.get_mut(number - 1) else {
            return;
        };
        match outcome {
            Ok(branch) => {
                run.state = RunState::Running;
                run.branch = Some(branch);
            }
            Err(why) => {
                run.state = RunState::Failed(why.clone());
                self.panes[1].history.push_notice(
                    format!("run #{number} could not start: {why}"),
                    NoticeKind::Error,
                );
                self.start_queued_runs();
            }
        }
    }

    /// An event of run `number`'s session.
    pub fn on_run_event(&mut self, number: usize, event: &Event) {
        let Some(run) = self.runs.get_mut(number - 1) else {
            return;
        };
        run.slot.apply(event);
        if let Event::TaskComplete { status, .. } = event {
            run.state = RunState::Finished(*status);
            self.effects.push(Effect::FinishRun { number });
            if !run.waiting.is_empty() {
                // What the user typed meanwhile: it goes on, in turn.
                run.went_on_from = Some(run.state.clone());
                run.state = RunState::Queued;
            }
            self.start_queued_runs();
        }
    }

    /// A finished run's work is committed on its branch.
    pub fn on_run_committed(&mut self, number: usize, files: Result<Vec<String>, String>) {
        let Some(run) = self.runs.get_mut(number - 1) else {
            return;
        };
        let text = match files {
            Ok(files) if !matches!(run.state, RunState::Finished(_)) => {
                run.files = files;
                format!(
                    "run #{number}: its work so far is committed ({} files changed on {}); it goes on with your message",
                    run.files.len(),
                    run.branch.as_deref().unwrap_or("its branch"),
                )
            }
            Ok(files) => {
                run.files = files;
                format!(
                    "run #{number} {}: {} files changed on {} · /runs {number} shows it, /runs {number} merge applies it here, /runs {number} discard drops it",
                    run.state.word(),
                    run.files.len(),
                    run.branch.as_deref().unwrap_or("its branch"),
                )
            }
            Err(e) => format!("run #{number}: its work could not be committed: {e}"),
        };
        self.panes[1].history.push_notice(text, NoticeKind::Info);
    }

    /// A merge or discard ended.
    pub fn on_run_settled(&mut self, number: usize, state: Option<RunState>, text: String) {
        if let (Some(run), Some(state)) = (self.runs.get_mut(number - 1), state) {
            run.state = state;
        }
        let kind = if text.contains("conflict") {
            NoticeKind::Warning
        } else {
            NoticeKind::Info
        };
        self.panes[1].history.push_notice(text, kind);
    }
}

/// "#1 running 0:42 · 12.3k tok · $0.04 · 2 files · add a flag".
/// A run's cells under [`RUNS_HEADER`].
fn run_cells(run: &RunEntry, cost: Option<f64>) -> Vec<String> {
    let elapsed = run
        .started
        .map(|t| {
            let s = t.elapsed().as_secs();
            format!("{}:{:02}", s / 60, s % 60)
        })
        .unwrap_or_default();
    let tokens = run.slot.usage.prompt_tokens() + run.slot.usage.output_tokens;
    let cost = cost.map_or_else(|| "$?".to_string(), |c| format!("${c:.2}"));
    vec![
        format!("#{}", run.number),
        run.state.word(),
        elapsed,
        super::view::tokens(tokens),
        cost,
        run.files.len().to_string(),
        run.task.clone(),
    ]
}
