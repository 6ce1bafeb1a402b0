//! The review: what the agents (and the user) changed, as diffs the user
//! accepts or reverts hunk by hunk.
//!
//! Two modes, chosen by the workspace:
//! - **git**: the diff is the user's index against the working tree (what
//!   `git diff` shows, plus untracked files that are not ignored). Accepting
//!   a hunk stages it in the user's index (the only write to the user's git
//!   state Tandem makes, and only on this explicit key); an accepted hunk
//!   leaves the diff. Reverting restores the index side of the hunk in the
//!   working file.
//! - **plain directory**: the diff is the session's baseline checkpoint
//!   (or the content the user accepted since) against the working tree.
//!   Accepting marks the hunk reviewed by moving it into that in-memory
//!   reviewed content; reverting restores the old side in the working file.
//!
//! In both modes a file moved (and maybe edited) shows as one renamed file
//! (deleted and added files are paired by content similarity). It is
//! accepted or reverted whole, both paths in one undoable step; its hunks
//! cannot be taken one by one ([`ReviewError::WholeFileOnly`]). Plain mode
//! compares modes too (the baseline checkpoint's against the working
//! tree's), so a `chmod +x` is a change to review in either mode.
//!
//! Every operation is exact (byte for byte, CRLF and missing final newline
//! kept) and refused with [`ReviewError::Changed`] when the file changed
//! again since the diff was computed. Each is undoable ([`ReviewCommand::Undo`]).
//! Everything here blocks on the file system and git: front ends call it off
//! their UI thread.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use super::{Attribution, Checkpoints, WorkspaceError};
use crate::diff::{ApplyError, DiffOptions, FileDiff, Hunk};
use user_git::UserGit;

#[path = "review_exec.rs"]
mod actions;
#[path = "review_core.rs"]
mod exact;
#[path = "review_snapshot.rs"]
mod listing;
#[path = "review_rename.rs"]
mod renames;
#[path = "review_git.rs"]
mod user_git;
#[path = "review_fs.rs"]
mod worktree;

#[cfg(test)]
#[path = "review_rename_tests.rs"]
mod rename_tests;
#[cfg(test)]
#[path = "review_tests.rs"]
mod tests;

/// Which review mode the workspace is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReviewMode {
    /// A git work tree: accept stages into the index.
    Git {
        /// The repository's top-level directory.
        repo_root: PathBuf,
    },
    /// A plain directory: accept marks reviewed.
    Plain,
    /// A worktree run's changes against its base: accept takes them into
    /// the main workspace ([`super::worktree::RunReview`]).
    Run {
        /// The run's number, as `/runs` shows it.
        number: usize,
    },
}

/// Who changed a file (one entry per attribution that mentions it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileOrigin {
    /// `chat`, `run`, or empty for the user.
    pub pane: String,
    /// The pane's turn (0 for the user).
    pub turn: u32,
    /// The tool (`edit_file`, `shell: cargo fmt`), `None` for the user.
    pub tool: Option<String>,
    /// No tool of an agent made it (the user's editor, a build).
    pub external: bool,
    /// The checkpoint that recorded it.
    pub checkpoint: String,
}

/// One file of the review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewFile {
    /// The diff still to review (index or reviewed content → working tree).
    /// No hunks when everything was accepted.
    pub diff: FileDiff,
    /// Who changed it this session, oldest first; empty when the change
    /// predates the session (e.g. uncommitted work in a git repository).
    pub origins: Vec<FileOrigin>,
    /// Nothing left to review: every change was accepted.
    pub reviewed: bool,
}

impl ReviewFile {
    /// The path shown for the file (the new path, also of a rename; the old
    /// one of a deletion).
    pub fn path(&self) -> &str {
        if self.diff.new_path.is_empty() {
            &self.diff.old_path
        } else {
            &self.diff.new_path
        }
    }

    /// Lines added and removed in the remaining hunks.
    pub fn counts(&self) -> (usize, usize) {
        let mut added = 0;
        let mut removed = 0;
        for line in self.diff.hunks.iter().flat_map(|h| &h.lines) {
            match line.kind {
                crate::diff::LineKind::Added => added += 1,
                crate::diff::LineKind::Removed => removed += 1,
                crate::diff::LineKind::Context => {}
            }
        }
        (added, removed)
    }
}

/// The whole review at one moment, computed by [`Review::snapshot`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewSnapshot {
    /// Git or plain.
    pub mode: ReviewMode,
    /// The files, sorted by path.
    pub files: Vec<ReviewFile>,
    /// Some diff hit its deadline and is coarser than usual (shown as a
    /// note; the hunks are still exact).
    pub coarse: bool,
    /// More files changed than a review can show; the rest were left out.
    pub truncated: bool,
}

impl Default for ReviewSnapshot {
    /// Nothing to review (yet): what a viewer shows before the first
    /// snapshot arrives.
    fn default() -> Self {
        Self {
            mode: ReviewMode::Plain,
            files: Vec::new(),
            coarse: false,
            truncated: false,
        }
    }
}

/// One action on the review; front ends send these to a worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReviewCommand {
    /// Accept (stage / mark reviewed) one hunk of `path`.
    AcceptHunk {
        /// The file's path as in [`ReviewFile::path`].
        path: String,
        /// The hunk as shown.
        hunk: Hunk,
    },
    /// Accept every remaining hunk of `path` (a new or deleted file too).
    AcceptFile {
        /// The file's path.
        path: String,
    },
    /// Restore the old side of one hunk in the working file.
    RevertHunk {
        /// The file's path.
        path: String,
        /// The hunk as shown.
        hunk: Hunk,
    },
    /// Restore the whole file (delete it when it was added).
    RevertFile {
        /// The file's path.
        path: String,
    },
    /// Undo the last accept or revert.
    Undo,
}

/// Why a review action failed; the text says what to do.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    /// The file changed since the diff was computed.
    #[error("{path}: {source}")]
    Changed {
        /// The file.
        path: String,
        /// Which hunk no longer applies.
        #[source]
        source: ApplyError,
    },
    /// The path is not part of the review (refreshed away meanwhile).
    #[error("{0} has no changes to review any more; the list was refreshed")]
    NotInReview(String),
    /// Nothing to undo.
    #[error("nothing to undo")]
    NothingToUndo,
    /// The action needs the whole file (a hunk of a renamed file cannot be
    /// staged or reverted alone: its two sides are different paths).
    #[error("{path} {why}: accept (S) or revert (D) the whole file")]
    WholeFileOnly {
        /// The file, as in [`ReviewFile::path`].
        path: String,
        /// Why, completing the sentence ("was renamed from src/a.rs").
        why: String,
    },
    /// The action does not apply here; the text says why and what to do.
    #[error("{0}")]
    Refused(String),
    /// A file shown as renamed is not a rename any more (its old path came
    /// back, or one of the two was staged or changed meanwhile).
    #[error(
        "{path} is no longer a rename of {from}: one of them changed since the review was computed; refresh it and try again"
    )]
    RenameChanged {
        /// The new path.
        path: String,
        /// The old path.
        from: String,
    },
    /// A git or file operation failed.
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
}

/// The review engine of one workspace.
pub struct Review {
    checkpoints: Arc<Checkpoints>,
    baseline: String,
    mode: ReviewMode,
    /// The user's repository in git mode.
    git: Option<UserGit>,
    /// Plain mode: the content and mode accepted so far per path (`None`:
    /// accepted as absent); paths without an entry compare against the
    /// baseline.
    reviewed: HashMap<String, Option<worktree::WorkFile>>,
    /// The renames of the newest snapshot, new path → old path: a command
    /// on a new path acts on both.
    renames: Mutex<HashMap<String, String>>,
    /// Undoable actions, oldest first.
    undo: Vec<actions::UndoEntry>,
}

impl Review {
    /// Opens the review of `checkpoints`' workspace. `baseline` is the
    /// session's first checkpoint (the old side in plain mode). Detects git
    /// mode with the real `git` (a workspace inside a work tree).
    pub fn open(checkpoints: Arc<Checkpoints>, baseline: String) -> Result<Self, WorkspaceError> {
        if !super::git::is_commit_id(&baseline) {
            return Err(WorkspaceError::BadId(baseline));
        }
        let git = UserGit::detect(checkpoints.workspace());
        let mode = match &git {
            Some(g) => ReviewMode::Git {
                repo_root: g.root.clone(),
            },
            None => ReviewMode::Plain,
        };
        Ok(Self {
            checkpoints,
            baseline,
            mode,
            git,
            reviewed: HashMap::new(),
            renames: Mutex::new(HashMap::new()),
            undo: Vec::new(),
        })
    }

    /// The mode in use.
    pub fn mode(&self) -> &ReviewMode {
        &self.mode
    }

    /// Computes the review now. `head` is the newest checkpoint (plain mode
    /// lists the paths changed from the baseline to it); `attributions`
    /// give each file its origins; files an attribution mentions stay
    /// listed (as reviewed) after all their hunks were accepted.
    ///
    /// Files over 8 MiB are not read: they are listed as binary changes.
    /// At most 2,000 files are listed (`truncated` says when more changed).
    pub fn snapshot(
        &self,
        head: &str,
        attributions: &[Attribution],
        opts: &DiffOptions,
    ) -> Result<ReviewSnapshot, WorkspaceError> {
        let attributed: BTreeSet<String> = attributions
            .iter()
            .flat_map(|a| &a.paths)
            .filter(|p| super::git::is_inner(p))
            .filter_map(|p| p.to_str().map(str::to_owned))
            .collect();
        let listing = match &self.git {
            Some(git) => listing::git_listing(
                git,
                self.workspace(),
                &attributed,
                self.checkpoints.private_dir().as_deref(),
                opts,
            )?,
            None => listing::plain_listing(
                &self.checkpoints,
                &self.baseline,
                head,
                &self.reviewed,
                &attributed,
                opts,
            )?,
        };
        let mut coarse = listing.coarse;
        let (computed, moved) = renames::pair(listing.files, opts, &mut coarse);
        *self.renames.lock().unwrap_or_else(PoisonError::into_inner) =
            moved.into_iter().map(|m| (m.to, m.from)).collect();
        let files = computed
            .into_iter()
            .map(|c| {
                // A rename's origins are those of both of its paths.
                let named = |p: &PathBuf| {
                    [&c.diff.old_path, &c.diff.new_path]
                        .iter()
                        .any(|q| !q.is_empty() && p == Path::new(q.as_str()))
                };
                let origins = attributions
                    .iter()
                    .filter(|a| a.paths.iter().any(named))
                    .map(|a| FileOrigin {
                        pane: a.pane.clone(),
                        turn: a.turn,
                        tool: a.tool.clone(),
                        external: a.external,
                        checkpoint: a.checkpoint.clone(),
                    })
                    .collect();
                ReviewFile {
                    diff: c.diff,
                    origins,
                    reviewed: c.reviewed,
                }
            })
            .collect();
        Ok(ReviewSnapshot {
            mode: self.mode.clone(),
            files,
            coarse,
            truncated: listing.truncated,
        })
    }

    /// Carries out `command`; returns a one-line description for the status
    /// bar ("staged hunk @@ -3,4 +3,5 @@ of src/lib.rs", "undid: ...").
    pub fn execute(&mut self, command: &ReviewCommand) -> Result<String, ReviewError> {
        actions::execute(self, command)
    }

    /// The old path of `path` when the newest snapshot showed it renamed.
    fn renamed_from(&self, path: &str) -> Option<String> {
        self.renames
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(path)
            .cloned()
    }

    /// The workspace root, to resolve a file for `$EDITOR`.
    pub fn workspace(&self) -> &Path {
        self.checkpoints.workspace()
    }
}
