//! Worktree runs in a transcript: each run's creation (`run` record) and
//! what became of it (`run_state` records), so a resumed session gets its
//! list of runs back. A run's own events, prompts and model messages are
//! filed under the pane key [`run_pane`] (`run#N`), apart from the Run
//! pane's own `run`.

use std::path::PathBuf;

use crate::agent::TaskStatus;

/// The pane key under which worktree run `number`'s session records its
/// events and messages (`run#3`): never `chat` or `run`, so the panes'
/// own conversations are never mixed with a run's.
pub fn run_pane(number: usize) -> String {
    format!("run#{number}")
}

/// A worktree run as it was created: enough to find its worktree again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunStart {
    /// Its number in the session (`/runs N`).
    pub number: usize,
    /// What it was asked to do.
    pub task: String,
    /// Its branch (`tandem/run-<id>`).
    pub branch: String,
    /// The worktree's top-level directory (under the state dir).
    pub worktree: PathBuf,
    /// The commit it started from.
    pub base: String,
}

/// What became of a worktree run, as recorded when it happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunMark {
    /// Its task ended, with this status; the worktree is kept.
    Finished(TaskStatus),
    /// Its changes were applied to the main workspace.
    Merged,
    /// Its worktree and branch were removed.
    Discarded,
    /// A task of it started (again, after a resume or a follow-up): until
    /// a later mark, it was working.
    Working,
}

impl RunMark {
    /// The record's `state` word.
    pub(super) fn word(self) -> &'static str {
        match self {
            RunMark::Finished(_) => "finished",
            RunMark::Merged => "merged",
            RunMark::Discarded => "discarded",
            RunMark::Working => "working",
        }
    }

    /// The record's `status` (only a finished run has one).
    pub(super) fn status(self) -> Option<TaskStatus> {
        match self {
            RunMark::Finished(status) => Some(status),
            _ => None,
        }
    }

    /// Reads a `run_state` record back; `None` for a state this build does
    /// not know (a newer tandem's), which a loader skips.
    pub(super) fn parse(state: &str, status: Option<serde_json::Value>) -> Option<Self> {
        match state {
            "finished" => {
                // A status this build does not know still means it ended.
                let status = status
                    .and_then(|s| serde_json::from_value(s).ok())
                    .unwrap_or(TaskStatus::Error);
                Some(RunMark::Finished(status))
            }
            "merged" => Some(RunMark::Merged),
            "discarded" => Some(RunMark::Discarded),
            "working" => Some(RunMark::Working),
            _ => None,
        }
    }
}

/// A worktree run read back from a transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRun {
    /// How it was created.
    pub start: RunStart,
    /// The last thing that became of it; `None` or `Working` when it was
    /// still working when the transcript ended (the session quit or died
    /// meanwhile).
    pub mark: Option<RunMark>,
}
