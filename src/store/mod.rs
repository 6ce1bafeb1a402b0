//! Session transcripts: every event and model message of both panes,
//! appended as it happens to one JSONL file per process session, with an
//! index in the usage ledger's database so `tandem sessions` can list them.
//!
//! Layout: `<state>/sessions/<id>.jsonl` (flat: session ids are unique and
//! already start with the time, so no date directories are needed). Each
//! line is one record, `kind` first:
//!
//! - `session` (the header, always line 1): `version`, `id`, `workspace`,
//!   `started` (Unix ms), `tandem` (the version that wrote it);
//! - `event`: `t` (Unix ms), `pane`, `event` (an [`crate::agent::Event`],
//!   `{"type": ..., "data": ...}`);
//! - `message`: `t`, `pane`, `message` (a [`crate::provider::Message`] of
//!   the model-facing history, what a resume replays);
//! - `prompt`: `t`, `pane`, `text` (what the user typed);
//! - `history`: `t`, `pane`, `messages` (the pane's model-facing history
//!   after it was replaced: compaction, rewind, clear, restore);
//! - `run`: `t`, `number`, `task`, `branch`, `worktree`, `base` (a worktree
//!   run was created; its own events and messages are filed under the pane
//!   `run#<number>`, see [`run_pane`]);
//! - `run_state`: `t`, `number`, `state` (`finished`, with a `status`;
//!   `merged`; `discarded`);
//! - `end`: `t` (the session was closed cleanly).
//!
//! Durability: a crash or `kill -9` loses at most the records not yet
//! written to the file (see [`Transcript`]); a truncated last line is
//! ignored by [`load`], never fatal.

pub mod command;
pub mod gc;
pub mod index;
mod load;
mod runs;
mod transcript;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

pub use index::SessionInfo;
pub use load::{Header, Loaded, PaneRecords, RecordedEvent, load};
pub use runs::{RecordedRun, RunMark, RunStart, run_pane};
pub use transcript::Transcript;

/// The transcript format this build writes (the header's `version`).
pub const FORMAT_VERSION: u32 = 1;

/// Why a transcript or the session index could not be used; the text says
/// what happened and what to do.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A file or directory operation failed.
    #[error("cannot {action} {path}: {source}")]
    Io {
        /// What was being done ("create the transcript", "read").
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The operating system's words.
        source: std::io::Error,
    },
    /// A session id that cannot name a file.
    #[error(
        "session id {0:?} cannot name a transcript file: use letters, digits, '-', '_' and '.' (not first), at most 128"
    )]
    BadId(String),
    /// A line in the middle of a transcript is not a record.
    #[error(
        "{path} line {line} is not a transcript record ({message}); the file is damaged: \
         move it aside, or delete that line and everything after it to keep what precedes it"
    )]
    Malformed {
        /// The transcript.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        message: String,
    },
    /// The first line is not a session header.
    #[error(
        "{path} is not a tandem transcript ({message}); its first line must be the session header"
    )]
    NoHeader {
        /// The file.
        path: PathBuf,
        /// What was found instead.
        message: String,
    },
    /// The transcript was written by a newer tandem.
    #[error(
        "{path} was written by a newer tandem (transcript format {version}; this one reads {FORMAT_VERSION}); use the newer tandem"
    )]
    NewerFormat {
        /// The file.
        path: PathBuf,
        /// Its format version.
        version: u32,
    },
    /// The session index (a table in the usage ledger's database) failed.
    #[error("the session index {path}: {message}; {hint}")]
    Index {
        /// The database file.
        path: PathBuf,
        /// SQLite's words.
        message: String,
        /// What to do.
        hint: &'static str,
    },
}

/// Where the transcripts of a state dir live.
pub fn sessions_dir(state_dir: &Path) -> PathBuf {
    state_dir.join("sessions")
}

/// The transcript file of session `id`; refuses ids that are not a plain
/// file name, so an id can never point outside the sessions directory.
pub fn transcript_path(state_dir: &Path, id: &str) -> Result<PathBuf, StoreError> {
    let valid = !id.is_empty()
        && id.len() <= 128
        && !id.starts_with('.')
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if !valid {
        return Err(StoreError::BadId(id.to_string()));
    }
    Ok(sessions_dir(state_dir).join(format!("{id}.jsonl")))
}

/// Now, in milliseconds since the Unix epoch (record times).
fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
