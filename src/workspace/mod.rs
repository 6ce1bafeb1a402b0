//! Workspace checkpoints and change attribution.
//!
//! The review workflow needs to know what changed in the workspace, when, and
//! who changed it — in git repositories and plain directories alike, and
//! without ever touching the user's own git state (index, refs, stash,
//! config). [`Checkpoints`] snapshots the work tree into a private "shadow"
//! git repository under the state dir, driven through the real `git` CLI with
//! an isolated environment. [`ChangeLog`] records which pane, turn and tool
//! each checkpoint's changes belong to, computed by the pure [`attribute`].

mod attribution;
mod checkpoint;
mod git;
pub mod review;
pub mod tracker;
mod user_git;
mod watcher;
pub mod worktree;

pub use attribution::{Actor, Attribution, ChangeLog, ToolTouch, attribute};
pub use checkpoint::{
    ChangeStatus, ChangedPath, Checkpoint, CheckpointInfo, CheckpointLabel, CheckpointOptions,
    Checkpoints,
};
pub use review::{Review, ReviewCommand, ReviewSnapshot};
pub use tracker::{Tracker, TrackerEvent, TrackerOptions};

use std::path::PathBuf;

/// Why a workspace operation failed; every message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    /// The `git` executable could not be started.
    #[error("git is not installed or not on PATH ({0}); install git to enable checkpoints")]
    GitMissing(#[source] std::io::Error),
    /// A git command in the shadow repository failed.
    #[error(
        "git {command} failed in the checkpoint repository {shadow}: {stderr}; if it is corrupt, delete {shadow} (only checkpoint history is lost)"
    )]
    Git {
        /// The subcommand that failed (`add`, `write-tree`, ...).
        command: String,
        /// The shadow repository.
        shadow: PathBuf,
        /// What git printed.
        stderr: String,
    },
    /// A file or directory could not be read or written.
    #[error("{what} {path}: {source}")]
    Io {
        /// What was being done ("creating", "reading", ...).
        what: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The underlying failure.
        #[source]
        source: std::io::Error,
    },
    /// A path outside the workspace (or with `..`) was given.
    #[error("{0} is not inside the workspace; give a path relative to the workspace root")]
    OutsideWorkspace(PathBuf),
    /// A checkpoint id that is not a commit hash.
    #[error("{0:?} is not a checkpoint id; use an id from the checkpoint list")]
    BadId(String),
    /// The change log could not be parsed.
    #[error(
        "the change log {path} is unreadable at line {line}: {message}; delete it to start a new one"
    )]
    ChangeLog {
        /// The JSON-lines file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// The parse error.
        message: String,
    },
}

impl WorkspaceError {
    pub(crate) fn io(what: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            what,
            path: path.into(),
            source,
        }
    }
}

#[cfg(test)]
mod tests;
