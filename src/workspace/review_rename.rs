//! Renames in the review: a file moved (and maybe edited) shows as one
//! renamed file instead of a deletion plus an addition, and is accepted or
//! reverted as one.
//!
//! The snapshot pairs its deleted and added files with
//! [`detect_renames`] and remembers each pair; a command on the new path
//! of a remembered pair acts on both paths and is undone as one step.
//! Only whole-file commands are taken (see [`execute`] for why).

use std::path::Path;
use std::time::Instant;

use super::actions::{Change, UndoEntry};
use super::exact::Action;
use super::listing::{self, Computed};
use super::user_git::{IndexEntry, UserGit};
use super::worktree::{self, WorkFile};
use super::{Review, ReviewError};
use crate::diff::{DiffOptions, FileStatus, detect_renames, diff_renamed};

/// A pair found by [`pair`]: the file moved from `from` to `to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Moved {
    /// The old path (gone from the working tree).
    pub from: String,
    /// The new path (not on the old side).
    pub to: String,
}

/// Replaces each deleted file that has an added counterpart (same or
/// similar content, see [`detect_renames`]) by one renamed file, keeping
/// the files sorted by the path they are shown under. Returns the pairs;
/// a diff that ran into its deadline sets `coarse`.
pub(crate) fn pair(
    files: Vec<Computed>,
    opts: &DiffOptions,
    coarse: &mut bool,
) -> (Vec<Computed>, Vec<Moved>) {
    let one_side = |status: FileStatus| {
        files
            .iter()
            .enumerate()
            .filter(move |(_, f)| f.diff.status == status && !f.reviewed)
            .filter_map(|(i, f)| {
                let path = match status {
                    FileStatus::Deleted => f.diff.old_path.as_str(),
                    _ => f.diff.new_path.as_str(),
                };
                Some((i, path, f.rename_content.as_deref()?))
            })
            .collect::<Vec<_>>()
    };
    let deleted = one_side(FileStatus::Deleted);
    let added = one_side(FileStatus::Added);
    let renames = detect_renames(&refs(&deleted), &refs(&added));
    if renames.is_empty() {
        return (files, Vec::new());
    }

    let index_of = |side: &[(usize, &str, &[u8])], path: &str| {
        side.iter().find(|(_, p, _)| *p == path).map(|(i, _, _)| *i)
    };
    let mut gone = vec![false; files.len()];
    let mut paired = Vec::new();
    let mut moved = Vec::new();
    for r in renames {
        let (Some(i), Some(j)) = (
            index_of(&deleted, &r.old_path),
            index_of(&added, &r.new_path),
        ) else {
            continue;
        };
        let (old, new) = (&files[i], &files[j]);
        let (Some(old_bytes), Some(new_bytes)) = (&old.rename_content, &new.rename_content) else {
            continue;
        };
        let (opts, deadline) = listing::with_deadline(opts);
        let mut diff = diff_renamed(
            &r.old_path,
            &r.new_path,
            old_bytes,
            new_bytes,
            r.similarity,
            &opts,
        );
        if Instant::now() >= deadline {
            *coarse = true;
        }
        diff.old_mode = old.diff.old_mode;
        diff.new_mode = new.diff.new_mode;
        gone[i] = true;
        gone[j] = true;
        paired.push(Computed {
            diff,
            reviewed: false,
            rename_content: None,
        });
        moved.push(Moved {
            from: r.old_path,
            to: r.new_path,
        });
    }
    let mut out: Vec<Computed> = files
        .into_iter()
        .zip(gone)
        .filter(|(_, g)| !g)
        .map(|(f, _)| f)
        .chain(paired)
        .collect();
    out.sort_by(|x, y| shown_path(x).cmp(shown_path(y)));
    (out, moved)
}

/// The `(path, content)` list [`detect_renames`] takes.
fn refs<'a>(side: &[(usize, &'a str, &'a [u8])]) -> Vec<(&'a str, &'a [u8])> {
    side.iter().map(|(_, p, b)| (*p, *b)).collect()
}

/// The path a file is listed under (as [`super::ReviewFile::path`]).
fn shown_path(c: &Computed) -> &str {
    if c.diff.new_path.is_empty() {
        &c.diff.old_path
    } else {
        &c.diff.new_path
    }
}

/// Carries out a whole-file `action` on the file moved from `from` to `to`.
///
/// Hunk actions are refused with [`ReviewError::WholeFileOnly`]: a hunk of
/// a rename compares two paths, and neither side of it can take the hunk
/// alone exactly. Staging one hunk would stage a partial copy under the
/// new path while the old path stays staged too (git then shows an
/// addition plus an unstaged deletion, not a partial rename), and
/// reverting one would edit the new file while the old one is still
/// missing. Whole-file actions move both paths together and are undone as
/// one step.
pub(crate) fn execute(
    review: &mut Review,
    from: &str,
    to: &str,
    action: Action<'_>,
) -> Result<UndoEntry, ReviewError> {
    let accept = match action {
        Action::AcceptFile => true,
        Action::RevertFile => false,
        Action::AcceptHunk(_) | Action::RevertHunk(_) => {
            return Err(ReviewError::WholeFileOnly {
                path: to.to_owned(),
                why: format!("was renamed from {from}"),
            });
        }
    };
    match review.git.clone() {
        Some(git) => git_rename(review, &git, from, to, accept),
        None => plain_rename(review, from, to, accept),
    }
}

/// The error for a pair that no longer looks like a rename.
fn changed(from: &str, to: &str) -> ReviewError {
    ReviewError::RenameChanged {
        path: to.to_owned(),
        from: from.to_owned(),
    }
}

/// Git mode: accepting stages the rename (the new path with the working
/// file's content and mode, the old path removed from the index);
/// reverting puts the old path's staged version back in the working tree
/// and deletes the new file. Both need the old path staged and gone from
/// the working tree, the new path unstaged and present.
fn git_rename(
    review: &Review,
    git: &UserGit,
    from: &str,
    to: &str,
    accept: bool,
) -> Result<UndoEntry, ReviewError> {
    let ws = review.workspace();
    let (from_full, to_full) = (git.full_path(from), git.full_path(to));
    let (from_entry, from_bytes) = super::actions::index_side(git, &from_full)?;
    let to_entry = git
        .index_entries(std::slice::from_ref(&to_full))?
        .remove(&to_full);
    let from_work = worktree::read(&ws.join(from))?;
    let to_work = worktree::read(&ws.join(to))?;
    let (Some(from_entry), Some(from_bytes), None, None, Some(moved)) =
        (from_entry, from_bytes, to_entry, from_work, to_work)
    else {
        return Err(changed(from, to));
    };
    if accept {
        let staged = IndexEntry {
            mode: moved.mode,
            oid: git.hash_object(&moved.bytes)?,
        };
        git.set_index_entries(&[(&to_full, Some(&staged)), (&from_full, None)])?;
        return Ok(UndoEntry {
            message: format!("staged rename of {from} to {to}"),
            changes: vec![
                (
                    to.to_owned(),
                    Change::Index {
                        before: None,
                        after: Some(staged),
                    },
                ),
                (
                    from.to_owned(),
                    Change::Index {
                        before: Some(from_entry),
                        after: None,
                    },
                ),
            ],
        });
    }
    let restored = WorkFile {
        bytes: from_bytes,
        mode: from_entry.mode,
    };
    revert_worktree(ws, from, to, &restored, moved)
}

/// Plain mode: accepting records the new path as reviewed with the working
/// file and the old path as reviewed absent; reverting restores the old
/// side of the old path and deletes the new file.
fn plain_rename(
    review: &mut Review,
    from: &str,
    to: &str,
    accept: bool,
) -> Result<UndoEntry, ReviewError> {
    let old_of = |path: &str| {
        listing::plain_old(
            &review.checkpoints,
            &review.baseline,
            &review.reviewed,
            path,
        )
    };
    let (from_old, to_old) = (old_of(from)?, old_of(to)?);
    let ws = review.workspace();
    let from_work = worktree::read(&ws.join(from))?;
    let to_work = worktree::read(&ws.join(to))?;
    let (Some(from_old), None, None, Some(moved)) = (from_old, to_old, from_work, to_work) else {
        return Err(changed(from, to));
    };
    if accept {
        let to_before = review.reviewed.insert(to.to_owned(), Some(moved));
        let from_before = review.reviewed.insert(from.to_owned(), None);
        return Ok(UndoEntry {
            message: format!("marked rename of {from} to {to} reviewed"),
            changes: vec![
                (to.to_owned(), Change::Reviewed { before: to_before }),
                (
                    from.to_owned(),
                    Change::Reviewed {
                        before: from_before,
                    },
                ),
            ],
        });
    }
    let ws = ws.to_path_buf();
    revert_worktree(&ws, from, to, &from_old, moved)
}

/// Writes `restored` at `from` and deletes `to` (whose content was
/// `moved`); if the deletion fails the restored file is removed again, so
/// nothing is left half done.
fn revert_worktree(
    ws: &Path,
    from: &str,
    to: &str,
    restored: &WorkFile,
    moved: WorkFile,
) -> Result<UndoEntry, ReviewError> {
    let (from_abs, to_abs) = (ws.join(from), ws.join(to));
    worktree::write(&from_abs, restored)?;
    if let Err(e) = worktree::remove(&to_abs) {
        // Best effort: the error about the deletion is the one to report.
        let _ = worktree::remove(&from_abs);
        return Err(e.into());
    }
    Ok(UndoEntry {
        message: format!("reverted rename: restored {from}, deleted {to}"),
        changes: vec![
            (
                from.to_owned(),
                Change::Worktree {
                    before: None,
                    after: worktree::read(&from_abs)?,
                },
            ),
            (
                to.to_owned(),
                Change::Worktree {
                    before: Some(moved),
                    after: None,
                },
            ),
        ],
    })
}
