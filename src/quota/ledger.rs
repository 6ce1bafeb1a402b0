//! The usage ledger: one SQLite database under the state dir shared by every
//! tandem process (WAL mode, a busy timeout, one transaction per insert), so
//! two terminals and a CI run on one machine neither lose nor double-count a
//! row.

use std::path::{Path, PathBuf};

use super::{GroupTotals, Totals, UsageRecord};

/// Why the ledger could not be used; the text says what to do.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The database could not be opened or created.
    #[error("cannot open the usage ledger {path}: {message}; {hint}")]
    Open {
        /// The database file.
        path: PathBuf,
        /// SQLite's words.
        message: String,
        /// What to do (e.g. "move it aside; a new one is created").
        hint: &'static str,
    },
    /// A statement failed (locked for too long, disk full, corrupt).
    #[error("the usage ledger {path}: {message}")]
    Query {
        /// The database file.
        path: PathBuf,
        /// SQLite's words.
        message: String,
    },
}

/// How [`Ledger::grouped`] groups records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    /// `provider · model`.
    Model,
    /// `chat`, `run`, `exec`.
    Pane,
    /// Local date, `YYYY-MM-DD`.
    Day,
}

/// An open ledger.
pub struct Ledger {
    // Filled in by the implementation.
    _private: (),
}

impl Ledger {
    /// The ledger file under the state dir.
    pub fn path_in(state_dir: &Path) -> PathBuf {
        state_dir.join("usage.sqlite3")
    }

    /// Opens (creating if needed) the ledger at `path`.
    pub fn open(path: &Path) -> Result<Self, LedgerError> {
        let _ = path;
        todo!()
    }

    /// Appends records in one transaction.
    pub fn insert(&mut self, records: &[UsageRecord]) -> Result<(), LedgerError> {
        let _ = records;
        todo!()
    }

    /// Totals of the records with `since <= time < until` (Unix seconds).
    pub fn totals(&self, since: i64, until: i64) -> Result<Totals, LedgerError> {
        let _ = (since, until);
        todo!()
    }

    /// Totals per group of the records with `since <= time < until`,
    /// largest cost first (then most tokens). `utc_offset` (seconds) places
    /// day boundaries in local time.
    pub fn grouped(
        &self,
        by: GroupBy,
        since: i64,
        until: i64,
        utc_offset: i64,
    ) -> Result<Vec<GroupTotals>, LedgerError> {
        let _ = (by, since, until, utc_offset);
        todo!()
    }

    /// Tokens per hour in `[since, since + 3600 * hours)`, oldest first.
    pub fn hourly_tokens(&self, since: i64, hours: usize) -> Result<Vec<u64>, LedgerError> {
        let _ = (since, hours);
        todo!()
    }
}
