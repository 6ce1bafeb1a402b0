//! Carrying out review commands: read a file's two sides (index or reviewed
//! content, and the working tree), let [`exact::apply`] compute the result,
//! write the one side that changed, and remember how to undo it. A renamed
//! file is handed to [`super::renames::execute`], which changes both of
//! its paths as one undoable step.

use std::path::Path;

use super::exact::{self, Action, Sides, hunk_label};
use super::user_git::{Blob, IndexEntry, UserGit};
use super::worktree::{self, MODE_REGULAR, WorkFile};
use super::{Review, ReviewCommand, ReviewError, listing, renames};
use crate::workspace::WorkspaceError;
use crate::workspace::git::is_inner;

/// How many actions can be undone.
const UNDO_DEPTH: usize = 100;

/// What one action replaced, and what it left, so undo can put the former
/// back (and refuse when the latter was changed meanwhile).
#[derive(Debug, Clone)]
pub(crate) enum Change {
    /// The git index entry of the path.
    Index {
        before: Option<IndexEntry>,
        after: Option<IndexEntry>,
    },
    /// The working-tree file.
    Worktree {
        before: Option<WorkFile>,
        after: Option<WorkFile>,
    },
    /// The reviewed content of the path (plain mode); `None` = no override.
    Reviewed { before: Option<Option<WorkFile>> },
}

/// One undoable action: the status message and what it changed, per path
/// (a rename changes two paths, undone together).
#[derive(Debug, Clone)]
pub(crate) struct UndoEntry {
    /// The status-bar message of the action.
    pub message: String,
    /// The changes in the order they were made.
    pub changes: Vec<(String, Change)>,
}

/// Runs `command` on `review`; the status-bar message on success.
pub(crate) fn execute(review: &mut Review, command: &ReviewCommand) -> Result<String, ReviewError> {
    let (path, action) = match command {
        ReviewCommand::Undo => return undo(review),
        ReviewCommand::AcceptHunk { path, hunk } => (path, Action::AcceptHunk(hunk)),
        ReviewCommand::AcceptFile { path } => (path, Action::AcceptFile),
        ReviewCommand::RevertHunk { path, hunk } => (path, Action::RevertHunk(hunk)),
        ReviewCommand::RevertFile { path } => (path, Action::RevertFile),
    };
    if !is_inner(Path::new(path)) {
        return Err(WorkspaceError::OutsideWorkspace(path.into()).into());
    }
    let entry = match (review.renamed_from(path), review.git.clone()) {
        (Some(from), _) => renames::execute(review, &from, path, action)?,
        (None, Some(git)) => git_action(review, &git, path, action)?,
        (None, None) => plain_action(review, path, action)?,
    };
    let message = entry.message.clone();
    if review.undo.len() == UNDO_DEPTH {
        review.undo.remove(0);
    }
    review.undo.push(entry);
    Ok(message)
}

/// The status message of an action.
fn describe(action: Action<'_>, path: &str, git: bool, after: &Sides) -> String {
    match action {
        Action::AcceptHunk(h) if git => format!("staged hunk {} of {path}", hunk_label(h)),
        Action::AcceptHunk(h) => format!("marked hunk {} of {path} reviewed", hunk_label(h)),
        Action::AcceptFile if git && after.old.is_none() => format!("staged removal of {path}"),
        Action::AcceptFile if git => format!("staged {path}"),
        Action::AcceptFile => format!("marked {path} reviewed"),
        Action::RevertHunk(h) => format!("reverted hunk {} of {path}", hunk_label(h)),
        Action::RevertFile if after.new.is_none() => format!("deleted {path} (it was new)"),
        Action::RevertFile => format!("reverted {path}"),
    }
}

fn is_accept(action: Action<'_>) -> bool {
    matches!(action, Action::AcceptHunk(_) | Action::AcceptFile)
}

/// Applies `action` to `sides`, naming the file in the error.
fn compute(path: &str, sides: &Sides, action: Action<'_>) -> Result<Sides, ReviewError> {
    if sides.old.is_none() && sides.new.is_none() {
        return Err(ReviewError::NotInReview(path.to_string()));
    }
    exact::apply(sides, action).map_err(|source| ReviewError::Changed {
        path: path.to_string(),
        source,
    })
}

/// The index entry of `full` and its content.
pub(crate) fn index_side(
    git: &UserGit,
    full: &[u8],
) -> Result<(Option<IndexEntry>, Option<Vec<u8>>), WorkspaceError> {
    let Some(entry) = git.index_entries(&[full.to_vec()])?.remove(full) else {
        return Ok((None, None));
    };
    match git
        .read_blobs(std::slice::from_ref(&entry.oid), u64::MAX)?
        .pop()
    {
        Some(Blob::Bytes(bytes)) => Ok((Some(entry), Some(bytes))),
        _ => Err(WorkspaceError::io(
            "reading the index entry of",
            git.root.join(super::super::git::path_from_bytes(full)),
            std::io::Error::other(format!(
                "blob {} is missing; run `git fsck` in the repository",
                entry.oid
            )),
        )),
    }
}

/// An action in git mode: accepts write the index, reverts the work tree.
fn git_action(
    review: &Review,
    git: &UserGit,
    path: &str,
    action: Action<'_>,
) -> Result<UndoEntry, ReviewError> {
    let abs = review.workspace().join(path);
    let full = git.full_path(path);
    let (entry, old) = index_side(git, &full)?;
    let work = worktree::read(&abs)?;
    let sides = Sides {
        old,
        new: work.as_ref().map(|w| w.bytes.clone()),
    };
    let same_mode = entry.as_ref().map(|e| e.mode) == work.as_ref().map(|w| w.mode);
    if matches!(action, Action::AcceptFile | Action::RevertFile)
        && sides.old == sides.new
        && same_mode
    {
        return Err(ReviewError::NotInReview(path.to_string()));
    }
    let after = compute(path, &sides, action)?;
    let message = describe(action, path, true, &after);
    if is_accept(action) {
        let new_entry = match &after.old {
            None => None,
            Some(bytes) => {
                let mode = match (action, &entry, &work) {
                    (Action::AcceptHunk(_), Some(e), _) => e.mode,
                    (_, _, Some(w)) => w.mode,
                    (_, Some(e), None) => e.mode,
                    (_, None, None) => MODE_REGULAR,
                };
                Some(IndexEntry {
                    mode,
                    oid: git.hash_object(bytes)?,
                })
            }
        };
        git.set_index(&full, new_entry.as_ref())?;
        return Ok(UndoEntry {
            message,
            changes: vec![(
                path.to_string(),
                Change::Index {
                    before: entry,
                    after: new_entry,
                },
            )],
        });
    }
    let mode = match (action, &work, &entry) {
        (Action::RevertHunk(_), Some(w), _) => w.mode,
        (_, _, Some(e)) => e.mode,
        (_, Some(w), None) => w.mode,
        (_, None, None) => MODE_REGULAR,
    };
    let written = after.new.map(|bytes| WorkFile { bytes, mode });
    put_worktree(&abs, written.as_ref())?;
    Ok(UndoEntry {
        message,
        changes: vec![(
            path.to_string(),
            Change::Worktree {
                before: work,
                after: written,
            },
        )],
    })
}

/// An action in plain mode: accepts move content (and mode) into the
/// reviewed side, reverts write the work tree.
fn plain_action(
    review: &mut Review,
    path: &str,
    action: Action<'_>,
) -> Result<UndoEntry, ReviewError> {
    let abs = review.workspace().join(path);
    let before_review = review.reviewed.get(path).cloned();
    let old = listing::plain_old(
        &review.checkpoints,
        &review.baseline,
        &review.reviewed,
        path,
    )?;
    let work = worktree::read(&abs)?;
    let sides = Sides {
        old: old.as_ref().map(|o| o.bytes.clone()),
        new: work.as_ref().map(|w| w.bytes.clone()),
    };
    let same_mode = old.as_ref().map(|o| o.mode) == work.as_ref().map(|w| w.mode);
    if matches!(action, Action::AcceptFile | Action::RevertFile)
        && sides.old == sides.new
        && same_mode
    {
        return Err(ReviewError::NotInReview(path.to_string()));
    }
    let after = compute(path, &sides, action)?;
    let message = describe(action, path, false, &after);
    let (old_mode, work_mode) = (old.as_ref().map(|o| o.mode), work.as_ref().map(|w| w.mode));
    if is_accept(action) {
        // A hunk keeps the reviewed mode; the whole file takes the working one.
        let mode = match action {
            Action::AcceptHunk(_) => old_mode.or(work_mode),
            _ => work_mode.or(old_mode),
        };
        let accepted = after.old.map(|bytes| WorkFile {
            bytes,
            mode: mode.unwrap_or(MODE_REGULAR),
        });
        review.reviewed.insert(path.to_string(), accepted);
        return Ok(UndoEntry {
            message,
            changes: vec![(
                path.to_string(),
                Change::Reviewed {
                    before: before_review,
                },
            )],
        });
    }
    // A hunk keeps the working mode; the whole file gets the old one back.
    let mode = match action {
        Action::RevertHunk(_) => work_mode.or(old_mode),
        _ => old_mode.or(work_mode),
    };
    put_worktree(
        &abs,
        after
            .new
            .map(|bytes| WorkFile {
                bytes,
                mode: mode.unwrap_or(MODE_REGULAR),
            })
            .as_ref(),
    )?;
    Ok(UndoEntry {
        message,
        changes: vec![(
            path.to_string(),
            Change::Worktree {
                before: work,
                after: worktree::read(&abs)?,
            },
        )],
    })
}

/// Writes `file` at `abs`, or removes what is there for `None`.
fn put_worktree(abs: &Path, file: Option<&WorkFile>) -> Result<(), WorkspaceError> {
    match file {
        Some(f) => worktree::write(abs, f),
        None => worktree::remove(abs),
    }
}

/// Undoes the newest action, unless what it left was changed since (then
/// nothing is touched and the entry stays for a later try).
fn undo(review: &mut Review) -> Result<String, ReviewError> {
    let entry = review.undo.pop().ok_or(ReviewError::NothingToUndo)?;
    let result = undo_entry(review, &entry);
    match result {
        Ok(()) => Ok(format!("undid: {}", entry.message)),
        Err(e) => {
            review.undo.push(entry);
            Err(e)
        }
    }
}

/// Puts every path of `entry` back, after checking that none was changed
/// since (so an undo is all or nothing).
fn undo_entry(review: &mut Review, entry: &UndoEntry) -> Result<(), ReviewError> {
    for (path, change) in &entry.changes {
        check_unchanged(review, path, change)?;
    }
    for (path, change) in entry.changes.iter().rev() {
        put_back(review, path, change)?;
    }
    Ok(())
}

/// Refuses when what `change` left at `path` is not there any more.
fn check_unchanged(review: &Review, path: &str, change: &Change) -> Result<(), ReviewError> {
    let changed_since = |what: &str| {
        ReviewError::from(WorkspaceError::io(
            "undoing the last action on",
            review.workspace().join(path),
            std::io::Error::other(format!(
                "its {what} changed since, and undo would overwrite that; nothing was undone"
            )),
        ))
    };
    match change {
        Change::Index { after, .. } => {
            if let Some(git) = &review.git {
                let full = git.full_path(path);
                let current = git
                    .index_entries(std::slice::from_ref(&full))?
                    .remove(&full);
                if current != *after {
                    return Err(changed_since("staged version"));
                }
            }
        }
        Change::Worktree { after, .. } => {
            if worktree::read(&review.workspace().join(path))? != *after {
                return Err(changed_since("content"));
            }
        }
        Change::Reviewed { .. } => {}
    }
    Ok(())
}

/// Restores what `change` replaced at `path`.
fn put_back(review: &mut Review, path: &str, change: &Change) -> Result<(), ReviewError> {
    match change {
        Change::Index { before, .. } => {
            if let Some(git) = &review.git {
                git.set_index(&git.full_path(path), before.as_ref())?;
            }
        }
        Change::Worktree { before, .. } => {
            put_worktree(&review.workspace().join(path), before.as_ref())?;
        }
        Change::Reviewed { before } => match before {
            Some(content) => {
                review.reviewed.insert(path.to_string(), content.clone());
            }
            None => {
                review.reviewed.remove(path);
            }
        },
    }
    Ok(())
}
