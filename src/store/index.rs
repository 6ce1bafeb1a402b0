//! The session index: one row per transcript in a `sessions` table of the
//! usage ledger's database (`<state>/usage.sqlite3`), opened like the
//! ledger (WAL, busy timeout, retry while a fresh file is being set up), so
//! listing sessions reads one small table instead of every transcript, and
//! a session's cost is a join with the ledger's `usage` rows.
//!
//! The table is created with `IF NOT EXISTS` and never touches the ledger's
//! schema version: the ledger and the index can each come first.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::{Connection, ErrorCode, OptionalExtension, params};
use serde::Serialize;

use super::StoreError;
use crate::quota::Ledger;
use crate::quota::ledger::BUSY_TIMEOUT;

/// The index table. Times are Unix milliseconds; `ended` is NULL until the
/// session was closed cleanly (a running or crashed session has none).
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    workspace TEXT NOT NULL,
    started INTEGER NOT NULL,
    first_prompt TEXT NULL,
    updated INTEGER NOT NULL,
    ended INTEGER NULL
);
CREATE INDEX IF NOT EXISTS sessions_started ON sessions (started);
";

/// At most this many characters of the first prompt go into the index
/// (the transcript keeps all of it).
const PROMPT_CHARS: usize = 500;

/// How long after its last update an unfinished session's model calls are
/// still looked for in the ledger (a turn outlasting its last index update).
const OPEN_SESSION_SLACK_S: i64 = 3600;

/// One recorded session, as `tandem sessions` lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionInfo {
    /// The session id (also the ledger's `session_id` of its model calls).
    pub id: String,
    /// When it started, Unix milliseconds.
    pub started: i64,
    /// When it last reached a turn boundary or ended, Unix milliseconds.
    pub updated: i64,
    /// The workspace directory it worked on.
    pub workspace: PathBuf,
    /// The first thing the user asked (shortened), if anything yet.
    pub first_prompt: Option<String>,
    /// Closed cleanly (false: still running, or the process died).
    pub ended: bool,
    /// The transcript file.
    pub path: PathBuf,
    /// Model calls the ledger holds for it.
    pub calls: u64,
    /// Their cost in USD (priced calls only).
    pub cost_usd: f64,
    /// Calls whose cost is unknown.
    pub unpriced_calls: u64,
}

/// Opens (creating if needed) the index in the ledger database of
/// `state_dir`.
pub(crate) fn open(state_dir: &Path) -> Result<Connection, StoreError> {
    let path = Ledger::path_in(state_dir);
    std::fs::create_dir_all(state_dir).map_err(|e| StoreError::Io {
        action: "create the state directory",
        path: state_dir.to_path_buf(),
        source: e,
    })?;
    let conn = Connection::open(&path).map_err(|e| index_error(&path, &e))?;
    // Like the ledger: a fresh file switching to WAL can meet SQLITE_BUSY
    // at once when two processes set it up together; retry for a while.
    let started = Instant::now();
    loop {
        match prepare(&conn) {
            Ok(()) => return Ok(conn),
            Err(e) if is_busy(&e) && started.elapsed() < BUSY_TIMEOUT => {
                std::thread::sleep(Duration::from_millis(5 + fastrand::u64(..20)));
            }
            Err(e) => return Err(index_error(&path, &e)),
        }
    }
}

fn prepare(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(mode, "session index is not in WAL mode");
    }
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.execute_batch(SCHEMA)
}

/// Adds a new session (replacing a stale row with the same id).
pub(crate) fn register(
    conn: &Connection,
    id: &str,
    path: &Path,
    workspace: &Path,
    started: i64,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO sessions (id, path, workspace, started, first_prompt, updated, ended) \
         VALUES (?1, ?2, ?3, ?4, NULL, ?4, NULL)",
        params![
            id,
            path.to_string_lossy(),
            workspace.to_string_lossy(),
            started
        ],
    )?;
    Ok(())
}

/// Records progress: the first prompt (kept if one is there), the time of
/// the latest update (never moved back) and, once closed, the end. Order of
/// calls does not matter, so updates may run on any thread.
pub(crate) fn update(
    conn: &Connection,
    id: &str,
    first_prompt: Option<&str>,
    updated: i64,
    ended: Option<i64>,
) -> rusqlite::Result<()> {
    let prompt = first_prompt.map(|p| p.chars().take(PROMPT_CHARS).collect::<String>());
    conn.execute(
        "UPDATE sessions SET first_prompt = COALESCE(first_prompt, ?2), \
         updated = MAX(updated, ?3), ended = COALESCE(ended, ?4) WHERE id = ?1",
        params![id, prompt, updated, ended],
    )?;
    Ok(())
}

/// Removes session `id`'s row (`tandem gc`, after its transcript went), so
/// `tandem sessions` no longer lists it. Its model calls stay in the
/// ledger: they are usage history and count towards budgets.
pub(crate) fn forget(conn: &Connection, id: &str) -> rusqlite::Result<()> {
    conn.execute("DELETE FROM sessions WHERE id = ?1", params![id])?;
    Ok(())
}

/// Every indexed session of `state_dir`, newest first, with its cost from
/// the ledger. No database yet means no sessions (nothing is created).
pub fn list(state_dir: &Path) -> Result<Vec<SessionInfo>, StoreError> {
    let path = Ledger::path_in(state_dir);
    if !path.exists() {
        return Ok(Vec::new());
    }
    let conn = open(state_dir)?;
    read_all(&conn).map_err(|e| index_error(&path, &e))
}

fn read_all(conn: &Connection) -> rusqlite::Result<Vec<SessionInfo>> {
    let mut sessions = conn
        .prepare(
            "SELECT id, started, updated, workspace, first_prompt, ended, path \
             FROM sessions ORDER BY started DESC, id DESC",
        )?
        .query_map([], |row| {
            Ok(SessionInfo {
                id: row.get(0)?,
                started: row.get(1)?,
                updated: row.get(2)?,
                workspace: PathBuf::from(row.get::<_, String>(3)?),
                first_prompt: row.get(4)?,
                ended: row.get::<_, Option<i64>>(5)?.is_some(),
                path: PathBuf::from(row.get::<_, String>(6)?),
                calls: 0,
                cost_usd: 0.0,
                unpriced_calls: 0,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let has_usage = conn
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'usage'",
            [],
            |_| Ok(()),
        )
        .optional()?
        .is_some();
    if has_usage {
        add_costs(conn, &mut sessions)?;
    }
    Ok(sessions)
}

/// Sums each session's ledger rows. The ledger has no index on
/// `session_id`, but one on `time`: each session only scans the calls made
/// while it ran, so this stays cheap with a million rows.
fn add_costs(conn: &Connection, sessions: &mut [SessionInfo]) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare(
        "SELECT COUNT(*), COALESCE(SUM(cost_usd), 0.0), COUNT(*) - COUNT(cost_usd) \
         FROM usage WHERE time >= ?1 AND time <= ?2 AND session_id = ?3",
    )?;
    for s in sessions {
        let from = s.started.div_euclid(1000) - 1;
        let slack = if s.ended { 60 } else { OPEN_SESSION_SLACK_S };
        let until = s.updated.div_euclid(1000).saturating_add(slack);
        let (calls, cost, unpriced): (i64, f64, i64) = stmt
            .query_row(params![from, until, s.id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?;
        s.calls = calls.max(0) as u64;
        s.cost_usd = cost;
        s.unpriced_calls = unpriced.max(0) as u64;
    }
    Ok(())
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
    )
}

/// SQLite's error with what to do about it.
pub(crate) fn index_error(path: &Path, e: &rusqlite::Error) -> StoreError {
    let hint = match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            "another tandem process holds it locked; try again when it is done"
        }
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => {
            "move the file aside (tandem then starts a new one) and try again"
        }
        Some(ErrorCode::DiskFull) => "free some disk space",
        _ => "check the file's and the state directory's permissions",
    };
    StoreError::Index {
        path: path.to_path_buf(),
        message: e.to_string(),
        hint,
    }
}
