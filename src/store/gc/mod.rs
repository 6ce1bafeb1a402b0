//! `tandem gc`: what the state dir holds that can go, and removing it.
//!
//! The state dir grows with use: a checkpoint repository per workspace
//! (`shadow/<hash>.git`), a git worktree per worktree run (`worktrees/`),
//! a transcript per session (`sessions/*.jsonl`, with a row in the session
//! index). [`plan`] looks without changing anything and lists each removable
//! thing with its size and why it may go; [`apply`] carries a plan out, one
//! item at a time, reporting each failure and going on with the rest.
//!
//! What goes:
//! - a checkpoint repository whose recorded workspace no longer exists
//!   (one made before workspaces were recorded is held back as "unknown
//!   workspace" unless `all_unknown`; it records its workspace the next
//!   time tandem opens that workspace);
//! - with `compact`, live checkpoint repositories are packed (`git gc`),
//!   keeping every checkpoint;
//! - a run's worktree whose repository is gone; one whose repository
//!   still exists but no longer knows it (pruned by hand) may hold
//!   uncommitted work, so it goes only with `force`, and its branch
//!   `tandem/run-<id>` only with `branches` as well. A live run is kept:
//!   discard it in tandem;
//! - with `older_than_days`, transcripts not written for that long, with
//!   their index rows — never a session still open (no end recorded and
//!   written within the last hour).
//!
//! Safety: everything removed is inside the (canonical) state dir, a
//! symbolic link is never followed (one met at the top of a category is
//! reported and left), and a directory is first renamed into
//! `<state>/gc-trash/` and then deleted, so it is either whole in place or
//! in the trash, which the next `tandem gc` empties.

pub mod command;
pub mod disk;
mod sessions;
mod shadow;
mod worktrees;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use serde::Serialize;

/// What to look for, from `tandem gc`'s flags.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GcOptions {
    /// Remove transcripts not written for this many days (`None`: keep
    /// every transcript).
    pub older_than_days: Option<u32>,
    /// Also pack the checkpoint repositories of live workspaces (slow).
    pub compact: bool,
    /// Also remove run worktrees that may hold uncommitted work (their
    /// repository no longer knows them), and non-worktree leftovers.
    pub force: bool,
    /// With a removed run worktree whose repository exists, also delete
    /// its branch `tandem/run-<id>`.
    pub branches: bool,
    /// Also remove checkpoint repositories whose workspace is unknown.
    pub all_unknown: bool,
}

/// The kind of thing an item is (a column of the table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    /// A checkpoint (shadow git) repository.
    Checkpoints,
    /// A worktree run's directory.
    Worktree,
    /// A worktree run's `<id>.base` record without its worktree.
    RunRecord,
    /// A session transcript and its index row.
    Transcript,
    /// Something left in `gc-trash/` by an interrupted gc.
    Trash,
}

impl ItemKind {
    /// The word shown in the table.
    pub fn label(self) -> &'static str {
        match self {
            Self::Checkpoints => "checkpoints",
            Self::Worktree => "worktree",
            Self::RunRecord => "run record",
            Self::Transcript => "transcript",
            Self::Trash => "trash",
        }
    }
}

/// What [`apply`] does with an item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    /// Delete the file or directory.
    Remove,
    /// Pack the checkpoint repository of a live workspace.
    Compact {
        /// Its workspace.
        workspace: PathBuf,
    },
    /// Delete a run's worktree directory and its base record; when its
    /// repository exists, make git forget it (and delete its branch).
    RemoveWorktree {
        /// The run id (the directory's name).
        id: String,
        /// The user's repository, when it still exists.
        repo: Option<PathBuf>,
        /// Delete `tandem/run-<id>` in `repo` too.
        delete_branch: bool,
    },
    /// Delete a transcript and its row in the session index.
    RemoveSession {
        /// The session id.
        id: String,
        /// The transcript file exists (else only the row goes).
        file: bool,
        /// The index has a row for it.
        index_row: bool,
    },
}

/// One thing the plan would remove or compact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GcItem {
    /// What it is.
    pub kind: ItemKind,
    /// Where it is (inside the state dir).
    pub path: PathBuf,
    /// Its size on disk now, bytes.
    pub bytes: u64,
    /// Why it may go.
    pub reason: String,
    /// What is done with it.
    pub action: Action,
}

/// Something left alone that a flag would remove (or that needs a look).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Kept {
    /// What it is.
    pub kind: ItemKind,
    /// Where it is.
    pub path: PathBuf,
    /// Its size on disk, bytes (0 when not counted, e.g. a link).
    pub bytes: u64,
    /// Why it was kept.
    pub reason: String,
    /// The flag that would remove it, if one would.
    pub flag: Option<&'static str>,
}

/// What [`plan`] found; nothing has been changed yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GcPlan {
    /// The canonical state dir (every item is inside it).
    pub state_dir: PathBuf,
    /// What would be removed or compacted.
    pub items: Vec<GcItem>,
    /// What was held back, with the reason.
    pub kept: Vec<Kept>,
}

impl GcPlan {
    /// Bytes the items take now (compaction frees only part of its items').
    pub fn total_bytes(&self) -> u64 {
        self.items.iter().map(|i| i.bytes).sum()
    }
}

/// What happened to one item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// The item.
    pub item: GcItem,
    /// Bytes freed by it.
    pub freed_bytes: u64,
    /// What else was done (a branch deleted, ...).
    pub note: Option<String>,
    /// Why it failed (what is left, what to do); `None`: done.
    pub error: Option<String>,
}

/// What [`apply`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GcReport {
    /// One per item of the plan, in order.
    pub outcomes: Vec<Outcome>,
}

impl GcReport {
    /// Bytes freed in all.
    pub fn freed_bytes(&self) -> u64 {
        self.outcomes.iter().map(|o| o.freed_bytes).sum()
    }

    /// Whether any item failed.
    pub fn has_failures(&self) -> bool {
        self.outcomes.iter().any(|o| o.error.is_some())
    }
}

/// The state dir could not be looked at.
#[derive(Debug, thiserror::Error)]
#[error("cannot read the state dir {path}: {source}; check its permissions")]
pub struct GcError {
    /// The state dir.
    pub path: PathBuf,
    /// The operating system's words.
    #[source]
    pub source: std::io::Error,
}

/// Looks through `state_dir` and lists what may go under `opts`, changing
/// nothing. A state dir that does not exist gives an empty plan.
pub fn plan(state_dir: &Path, opts: &GcOptions) -> Result<GcPlan, GcError> {
    let state = match state_dir.canonicalize() {
        Ok(state) => state,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(GcPlan {
                state_dir: state_dir.to_path_buf(),
                items: Vec::new(),
                kept: Vec::new(),
            });
        }
        Err(source) => {
            return Err(GcError {
                path: state_dir.to_path_buf(),
                source,
            });
        }
    };
    let mut plan = GcPlan {
        state_dir: state.clone(),
        items: Vec::new(),
        kept: Vec::new(),
    };
    disk::plan_trash(&state, &mut plan);
    shadow::plan(&state, opts, &mut plan);
    worktrees::plan(&state, opts, &mut plan);
    if let Some(days) = opts.older_than_days {
        sessions::plan(&state, days, &mut plan);
    }
    Ok(plan)
}

/// Carries out `plan`: each item is removed (or compacted) on its own; a
/// failure is reported in its [`Outcome`] and the rest go on.
pub fn apply(plan: &GcPlan) -> GcReport {
    let state = &plan.state_dir;
    let mut index = sessions::IndexHandle::default();
    let outcomes = plan
        .items
        .iter()
        .map(|item| {
            let result = match &item.action {
                Action::Remove => disk::remove(state, &item.path).map(|()| None),
                Action::Compact { workspace } => shadow::compact(state, &item.path, workspace),
                Action::RemoveWorktree {
                    id,
                    repo,
                    delete_branch,
                } => worktrees::remove(state, &item.path, id, repo.as_deref(), *delete_branch),
                Action::RemoveSession {
                    id,
                    file,
                    index_row,
                } => sessions::remove(state, &mut index, &item.path, id, *file, *index_row),
            };
            let freed_bytes = match (&result, &item.action) {
                (Err(_), _) => 0,
                (Ok(_), Action::Compact { .. }) => {
                    item.bytes.saturating_sub(disk::dir_size(&item.path))
                }
                (Ok(_), _) => item.bytes,
            };
            let (note, error) = match result {
                Ok(note) => (note, None),
                Err(e) => (None, Some(e)),
            };
            Outcome {
                item: item.clone(),
                freed_bytes,
                note,
                error,
            }
        })
        .collect();
    GcReport { outcomes }
}
