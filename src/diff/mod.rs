//! The diff model behind the review pane: pure data and algorithms, no
//! terminal and no I/O.
//!
//! - [`model`]: [`FileDiff`], [`Hunk`] and [`DiffLine`]; line endings are kept
//!   exactly (CRLF and a missing final newline) so export and apply are
//!   byte-exact.
//! - [`compute`]: [`diff_texts`] (line diff with `similar` under an optional
//!   deadline, binary detection, word-level emphasis) and [`detect_renames`].
//! - [`patch`]: [`to_unified`] exports selected hunks as a patch `git apply`
//!   accepts.
//! - [`apply`]: [`accept_hunk`] (stage one hunk: index := index + hunk) and
//!   [`revert_hunk`] (restore the old side of one hunk in the working tree).

pub mod apply;
pub mod compute;
pub mod model;
pub mod patch;

pub use apply::{ApplyError, accept_hunk, revert_hunk};
pub use compute::{
    Algorithm, DiffOptions, Rename, detect_renames, diff_added, diff_deleted, diff_modified,
    diff_renamed, diff_texts, is_binary,
};
pub use model::{DiffLine, FileDiff, FileStatus, Hunk, LineKind};
pub use patch::to_unified;

#[cfg(test)]
mod tests;
