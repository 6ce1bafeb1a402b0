//! Accepting (staging) and reverting one hunk, byte-exact.
//!
//! The viewer stages a hunk with [`accept_hunk`] (index := index + hunk) and
//! restores its old side in the working tree with [`revert_hunk`]. Both look
//! for the hunk's lines at the expected place first, then at the nearest
//! offset with exactly the same bytes (like `patch`), and refuse when the
//! lines are nowhere to be found.

use super::model::{Hunk, split_lines};

/// Why a hunk could not be accepted or reverted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    /// The lines the hunk expects are not in the content any more.
    #[error(
        "the lines of hunk @@ -{old_start},{old_len} +{new_start},{new_len} @@ changed again since the diff was computed; refresh the diff and try again"
    )]
    Changed {
        /// The hunk's old start.
        old_start: usize,
        /// The hunk's old length.
        old_len: usize,
        /// The hunk's new start.
        new_start: usize,
        /// The hunk's new length.
        new_len: usize,
    },
}

impl ApplyError {
    fn changed(h: &Hunk) -> Self {
        Self::Changed {
            old_start: h.old_start,
            old_len: h.old_len,
            new_start: h.new_start,
            new_len: h.new_len,
        }
    }
}

/// Restores the old side of `hunk` in `current_file` (the working-tree
/// content the diff's new side came from). Fails with
/// [`ApplyError::Changed`] when the hunk's new-side lines are not found.
pub fn revert_hunk(current_file: &[u8], hunk: &Hunk) -> Result<Vec<u8>, ApplyError> {
    replace(
        current_file,
        &hunk.new_side(),
        &hunk.old_side(),
        hunk.new_index(),
    )
    .ok_or_else(|| ApplyError::changed(hunk))
}

/// Applies `hunk` to `index_content` (the old side, e.g. the git index) and
/// returns the new index content: this is how one hunk is staged. Fails with
/// [`ApplyError::Changed`] when the hunk's old-side lines are not found.
pub fn accept_hunk(index_content: &[u8], hunk: &Hunk) -> Result<Vec<u8>, ApplyError> {
    replace(
        index_content,
        &hunk.old_side(),
        &hunk.new_side(),
        hunk.old_index(),
    )
    .ok_or_else(|| ApplyError::changed(hunk))
}

/// Replaces the lines `find` (found at `expected` or the nearest offset)
/// with `with`.
fn replace(content: &[u8], find: &[Vec<u8>], with: &[Vec<u8>], expected: usize) -> Option<Vec<u8>> {
    let lines = split_lines(content);
    let at = locate(&lines, find, expected)?;
    let end = at + find.len();
    // A replacement ending without a newline must end the file.
    let open_end = with.last().is_some_and(|l| !l.ends_with(b"\n"));
    if open_end && end != lines.len() {
        return None;
    }
    // Nor may we append after a last line that has no newline.
    if at > 0 && end == lines.len() && !with.is_empty() && !lines[at - 1].ends_with(b"\n") {
        return None;
    }
    let mut out = Vec::with_capacity(content.len() + with.iter().map(Vec::len).sum::<usize>());
    lines[..at].iter().for_each(|l| out.extend_from_slice(l));
    with.iter().for_each(|l| out.extend_from_slice(l));
    lines[end..].iter().for_each(|l| out.extend_from_slice(l));
    Some(out)
}

/// The index nearest to `expected` where `lines` holds exactly `find`.
fn locate(lines: &[&[u8]], find: &[Vec<u8>], expected: usize) -> Option<usize> {
    let last = lines.len().checked_sub(find.len())?;
    let matches = |at: usize| {
        lines[at..at + find.len()]
            .iter()
            .zip(find)
            .all(|(a, b)| *a == b.as_slice())
    };
    if find.is_empty() {
        return (expected <= last).then_some(expected);
    }
    let expected = expected.min(last);
    for d in 0..=last {
        let after = expected + d;
        if after <= last && matches(after) {
            return Some(after);
        }
        if d > 0 && d <= expected && matches(expected - d) {
            return Some(expected - d);
        }
        if after > last && d > expected {
            break;
        }
    }
    None
}
