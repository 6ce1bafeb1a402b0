//! The exact core of every review action, free of I/O: given a file's old
//! side (the index, or the reviewed content) and new side (the working
//! tree), compute both sides after an accept or revert. Git mode and plain
//! mode differ only in where the two sides are read from and written to,
//! so the byte-exactness of both rests on this one function.

use crate::diff::{ApplyError, Hunk, accept_hunk, revert_hunk};

/// One action on one file.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Action<'a> {
    /// Move the hunk into the old side.
    AcceptHunk(&'a Hunk),
    /// Make the old side equal to the new side.
    AcceptFile,
    /// Restore the hunk's old lines in the new side.
    RevertHunk(&'a Hunk),
    /// Make the new side equal to the old side.
    RevertFile,
}

/// Both sides of a file; `None` is "no such file" (untracked, or deleted).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Sides {
    /// The index / reviewed content.
    pub old: Option<Vec<u8>>,
    /// The working-tree content.
    pub new: Option<Vec<u8>>,
}

/// The sides after `action`. A hunk is refused when its new-side lines are
/// no longer in the working tree (the file changed again), and an accept
/// also when its old-side lines are not in the old side.
///
/// Hunks of a file that exists on one side only act on empty content; the
/// side that was absent stays absent when the result is empty (accepting
/// the only hunk of a deleted file removes it from the index; reverting the
/// only hunk of a new file deletes it).
pub(crate) fn apply(sides: &Sides, action: Action<'_>) -> Result<Sides, ApplyError> {
    let old = sides.old.as_deref().unwrap_or_default();
    let new = sides.new.as_deref().unwrap_or_default();
    Ok(match action {
        Action::AcceptHunk(hunk) => {
            revert_hunk(new, hunk)?;
            let staged = accept_hunk(old, hunk)?;
            Sides {
                old: keep_unless_vanished(staged, sides.new.is_none()),
                new: sides.new.clone(),
            }
        }
        Action::RevertHunk(hunk) => {
            let restored = revert_hunk(new, hunk)?;
            Sides {
                old: sides.old.clone(),
                new: keep_unless_vanished(restored, sides.old.is_none()),
            }
        }
        Action::AcceptFile => Sides {
            old: sides.new.clone(),
            new: sides.new.clone(),
        },
        Action::RevertFile => Sides {
            old: sides.old.clone(),
            new: sides.old.clone(),
        },
    })
}

/// `None` for empty content whose other side does not exist.
fn keep_unless_vanished(bytes: Vec<u8>, other_absent: bool) -> Option<Vec<u8>> {
    if bytes.is_empty() && other_absent {
        None
    } else {
        Some(bytes)
    }
}

/// `@@ -3,4 +3,5 @@`: how a hunk is named in status messages.
pub(crate) fn hunk_label(hunk: &Hunk) -> String {
    format!(
        "@@ -{},{} +{},{} @@",
        hunk.old_start, hunk.old_len, hunk.new_start, hunk.new_len
    )
}
