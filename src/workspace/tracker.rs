//! Keeps the checkpoint history current while both panes and the user work,
//! and attributes every change to the pane, turn and tool that made it.
//!
//! One worker thread owns the checkpoint repository: sessions tell it when a
//! tool call starts and ends ([`Tracker::begin_call`], [`Tracker::end_call`])
//! and when a turn ends ([`Tracker::turn_ended`]); a file watcher tells it
//! when files change. It takes checkpoints serially (coalescing requests
//! that pile up) and publishes [`TrackerEvent`]s for the front end.
//!
//! Attribution across two concurrent panes: a changed path goes to the tool
//! call that declared it (any pane); otherwise to a call still running when
//! the change was seen (a shell command writes what it likes; the most
//! recently started running `shell` call wins, then any running call);
//! otherwise it is the user's (external).

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::mpsc;

use super::{Attribution, ChangeLog, Checkpoints, WorkspaceError};

/// What the tracker reports to the front end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrackerEvent {
    /// A checkpoint was taken. The first one of a tracker is the session's
    /// baseline (`baseline` true, no attributions: what was there before is
    /// nobody's change).
    Checkpointed {
        /// The checkpoint id (commit hash).
        id: String,
        /// This is the session's first checkpoint.
        baseline: bool,
        /// Who changed what since the previous checkpoint (may be empty).
        attributions: Vec<Attribution>,
    },
    /// Something that affects the review changed without a new checkpoint
    /// (the user's git index, e.g. `git add` in another terminal).
    Refresh,
    /// A checkpoint failed; the text says why and what to do. Tracking goes
    /// on with the next request.
    Error(String),
    /// The file watcher could not start (inotify limit, unsupported file
    /// system); the review then refreshes only at turn ends.
    WatchUnavailable(String),
}

/// Settings of a [`Tracker`].
#[derive(Debug, Clone)]
pub struct TrackerOptions {
    /// Watch the workspace for changes (off in tests that want determinism).
    pub watch: bool,
    /// Quiet time after the last file event before a checkpoint is taken.
    pub debounce: std::time::Duration,
}

impl Default for TrackerOptions {
    fn default() -> Self {
        Self {
            watch: true,
            debounce: std::time::Duration::from_millis(300),
        }
    }
}

/// The shared change tracker of one workspace (one per process; both panes
/// hold an `Arc`).
pub struct Tracker {
    // Filled in by the implementation.
    _private: (),
}

impl Tracker {
    /// Starts the worker (and the watcher when `opts.watch`), which first
    /// takes the baseline checkpoint. Events arrive on the returned receiver.
    pub fn start(
        checkpoints: Arc<Checkpoints>,
        log: ChangeLog,
        opts: TrackerOptions,
    ) -> (Arc<Self>, mpsc::UnboundedReceiver<TrackerEvent>) {
        let _ = (checkpoints, log, opts);
        todo!()
    }

    /// The workspace root (canonical).
    pub fn workspace(&self) -> PathBuf {
        todo!()
    }

    /// The checkpoint repository, for the review.
    pub fn checkpoints(&self) -> Arc<Checkpoints> {
        todo!()
    }

    /// The session's baseline checkpoint, once taken.
    pub fn baseline(&self) -> Option<String> {
        todo!()
    }

    /// The newest checkpoint, once taken.
    pub fn head(&self) -> Option<String> {
        todo!()
    }

    /// Every attribution recorded since this tracker started, oldest first.
    pub fn attributions(&self) -> Vec<Attribution> {
        todo!()
    }

    /// A tool call of `pane`'s turn `turn` starts. `summary` is its one-line
    /// description (for `shell`, the command).
    pub fn begin_call(&self, call_id: &str, pane: &str, turn: u32, tool: &str, summary: &str) {
        let _ = (call_id, pane, turn, tool, summary);
        todo!()
    }

    /// The call finished; `changed` are the paths it declared (absolute or
    /// workspace-relative).
    pub fn end_call(&self, call_id: &str, changed: &[PathBuf]) {
        let _ = (call_id, changed);
        todo!()
    }

    /// `pane`'s turn `turn` ended: take a checkpoint labelled with it.
    pub fn turn_ended(&self, pane: &str, turn: u32, note: &str) {
        let _ = (pane, turn, note);
        todo!()
    }

    /// Take a checkpoint now (changes go to running calls or the user).
    pub fn refresh(&self) {
        todo!()
    }

    /// Waits until every request made so far is processed (tests, shutdown).
    pub fn flush(&self) -> Result<(), WorkspaceError> {
        todo!()
    }
}
