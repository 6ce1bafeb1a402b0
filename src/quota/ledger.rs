//! The usage ledger: one SQLite database under the state dir shared by every
//! tandem process (WAL mode, a busy timeout, one transaction per insert), so
//! two terminals and a CI run on one machine neither lose nor double-count a
//! row.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, ToSql, params};

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GroupBy {
    /// `provider · model`.
    Model,
    /// `chat`, `run`, `exec`.
    Pane,
    /// Local date, `YYYY-MM-DD`.
    Day,
}

impl GroupBy {
    /// The name users type (`--by model`).
    pub fn name(self) -> &'static str {
        match self {
            GroupBy::Model => "model",
            GroupBy::Pane => "pane",
            GroupBy::Day => "day",
        }
    }
}

/// The schema version this build writes (`PRAGMA user_version`).
const SCHEMA_VERSION: i64 = 1;

/// How long a statement waits for another process's lock by default.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The schema: one row per model call, and per hour the sums of its calls
/// (kept by a trigger in the inserting transaction), so the totals of a
/// month read a few hundred hourly rows instead of every call. The covering
/// index serves the partial hours at a range's ends.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS usage (
    id INTEGER PRIMARY KEY,
    time INTEGER NOT NULL,
    session_id TEXT NOT NULL,
    pane TEXT NOT NULL,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    input INTEGER NOT NULL,
    output INTEGER NOT NULL,
    cache_read INTEGER NOT NULL,
    cache_write INTEGER NOT NULL,
    reasoning INTEGER NOT NULL,
    cost_usd REAL NULL,
    request_id TEXT NULL,
    duration_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS usage_time_totals
    ON usage (time, input, output, cache_read, cache_write, reasoning, cost_usd);
CREATE TABLE IF NOT EXISTS usage_hourly (
    hour INTEGER PRIMARY KEY,
    calls INTEGER NOT NULL,
    input INTEGER NOT NULL,
    output INTEGER NOT NULL,
    cache_read INTEGER NOT NULL,
    cache_write INTEGER NOT NULL,
    reasoning INTEGER NOT NULL,
    cost_usd REAL NOT NULL,
    unpriced INTEGER NOT NULL
);
CREATE TRIGGER IF NOT EXISTS usage_hourly_add AFTER INSERT ON usage BEGIN
    INSERT INTO usage_hourly
        (hour, calls, input, output, cache_read, cache_write, reasoning, cost_usd, unpriced)
    VALUES (
        CASE WHEN NEW.time >= 0 THEN NEW.time / 3600 ELSE (NEW.time - 3599) / 3600 END,
        1, NEW.input, NEW.output, NEW.cache_read, NEW.cache_write, NEW.reasoning,
        COALESCE(NEW.cost_usd, 0.0), NEW.cost_usd IS NULL
    )
    ON CONFLICT (hour) DO UPDATE SET
        calls = calls + 1,
        input = input + excluded.input,
        output = output + excluded.output,
        cache_read = cache_read + excluded.cache_read,
        cache_write = cache_write + excluded.cache_write,
        reasoning = reasoning + excluded.reasoning,
        cost_usd = cost_usd + excluded.cost_usd,
        unpriced = unpriced + excluded.unpriced;
END;
";

/// Seconds per bucket of `usage_hourly`.
const HOUR: i64 = 3600;

/// The aggregate columns every totals query selects, in [`totals_of`]'s order.
const SUMS: &str = "COUNT(*), COALESCE(SUM(input), 0), COALESCE(SUM(output), 0), \
     COALESCE(SUM(cache_read), 0), COALESCE(SUM(cache_write), 0), \
     COALESCE(SUM(reasoning), 0), COALESCE(SUM(cost_usd), 0.0), \
     COUNT(*) - COUNT(cost_usd)";

/// Hint for a file that is not a usable ledger.
const MOVE_ASIDE: &str = "move the file aside (tandem then starts a new ledger) and try again";

/// An open ledger.
pub struct Ledger {
    conn: Connection,
    path: PathBuf,
    busy_timeout: Duration,
}

impl Ledger {
    /// The ledger file under the state dir.
    pub fn path_in(state_dir: &Path) -> PathBuf {
        state_dir.join("usage.sqlite3")
    }

    /// Opens (creating if needed) the ledger at `path`.
    pub fn open(path: &Path) -> Result<Self, LedgerError> {
        Self::open_with_timeout(path, BUSY_TIMEOUT)
    }

    /// Opens the ledger waiting at most `busy_timeout` for another
    /// process's lock (tests use a short one).
    pub fn open_with_timeout(path: &Path, busy_timeout: Duration) -> Result<Self, LedgerError> {
        let open_error = |message: String, hint: &'static str| LedgerError::Open {
            path: path.to_path_buf(),
            message,
            hint,
        };
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(|e| {
                open_error(
                    format!("cannot create {}: {e}", dir.display()),
                    "check the state directory's permissions (or set TANDEM_HOME)",
                )
            })?;
        }
        let conn = Connection::open(path).map_err(|e| {
            open_error(
                e.to_string(),
                "check the file's and the directory's permissions",
            )
        })?;
        let ledger = Self {
            conn,
            path: path.to_path_buf(),
            busy_timeout,
        };
        // Switching a new file to WAL and creating the schema can meet
        // SQLITE_BUSY at once, without the busy handler (SQLite does not wait
        // where waiting could deadlock), when two processes open a fresh
        // ledger together: retry for the busy timeout, like any lock.
        let started = std::time::Instant::now();
        let version = loop {
            match ledger.prepare() {
                Ok(version) => break version,
                Err(e) if is_busy(&e) && started.elapsed() < busy_timeout => {
                    std::thread::sleep(Duration::from_millis(5 + fastrand::u64(..20)));
                }
                Err(e) => return Err(open_error(describe(&e, busy_timeout), hint_for(&e))),
            }
        };
        if version > SCHEMA_VERSION {
            return Err(open_error(
                format!(
                    "it was written by a newer tandem (schema {version}; this one knows {SCHEMA_VERSION})"
                ),
                "use the newer tandem, or move the file aside to start a new ledger",
            ));
        }
        Ok(ledger)
    }

    /// Sets the pragmas and creates the schema when the file is new;
    /// returns the file's schema version.
    fn prepare(&self) -> rusqlite::Result<i64> {
        self.conn.busy_timeout(self.busy_timeout)?;
        // Reading the version first also proves the file is a database.
        let version: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version > SCHEMA_VERSION {
            return Ok(version);
        }
        let mode: String = self
            .conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(path = %self.path.display(), mode, "usage ledger is not in WAL mode");
        }
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        if version < SCHEMA_VERSION {
            self.conn.execute_batch(&format!(
                "BEGIN IMMEDIATE; {SCHEMA} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
            ))?;
        }
        Ok(SCHEMA_VERSION)
    }

    /// Waits at most `busy_timeout` for another process's lock from now on.
    pub fn set_busy_timeout(&mut self, timeout: Duration) -> Result<(), LedgerError> {
        self.busy_timeout = timeout;
        self.conn
            .busy_timeout(timeout)
            .map_err(|e| self.query_error(&e))
    }

    fn query_error(&self, e: &rusqlite::Error) -> LedgerError {
        LedgerError::Query {
            path: self.path.clone(),
            message: describe(e, self.busy_timeout),
        }
    }

    /// Appends records in one transaction.
    pub fn insert(&mut self, records: &[UsageRecord]) -> Result<(), LedgerError> {
        let result = (|| {
            let tx = self
                .conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            {
                let mut stmt = tx.prepare_cached(
                    "INSERT INTO usage (time, session_id, pane, provider, model, input, output, \
                     cache_read, cache_write, reasoning, cost_usd, request_id, duration_ms) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                )?;
                for r in records {
                    stmt.execute(params![
                        r.time,
                        r.session_id,
                        r.pane,
                        r.provider,
                        r.model,
                        clamp(r.usage.input_tokens),
                        clamp(r.usage.output_tokens),
                        clamp(r.usage.cache_read_tokens),
                        clamp(r.usage.cache_write_tokens),
                        clamp(r.usage.reasoning_tokens),
                        r.cost_usd,
                        r.request_id,
                        clamp(r.duration_ms),
                    ])?;
                }
            }
            tx.commit()
        })();
        result.map_err(|e| self.query_error(&e))
    }

    /// Totals of the records with `since <= time < until` (Unix seconds).
    pub fn totals(&self, since: i64, until: i64) -> Result<Totals, LedgerError> {
        // Whole hours from the hourly sums, the partial hours at either end
        // from the calls themselves.
        let first_hour = since.div_euclid(HOUR) + i64::from(since.rem_euclid(HOUR) != 0);
        let end_hour = until.div_euclid(HOUR);
        if first_hour >= end_hour {
            return self.call_totals(since, until);
        }
        let mut totals = self.call_totals(since, first_hour.saturating_mul(HOUR))?;
        totals.merge(&self.hourly_totals(first_hour, end_hour)?);
        totals.merge(&self.call_totals(end_hour.saturating_mul(HOUR), until)?);
        Ok(totals)
    }

    /// Totals of the calls with `since <= time < until`, row by row.
    fn call_totals(&self, since: i64, until: i64) -> Result<Totals, LedgerError> {
        if since >= until {
            return Ok(Totals::default());
        }
        self.conn
            .prepare_cached(&format!(
                "SELECT {SUMS} FROM usage WHERE time >= ?1 AND time < ?2"
            ))
            .and_then(|mut stmt| stmt.query_row(params![since, until], |row| totals_of(row, 0)))
            .map_err(|e| self.query_error(&e))
    }

    /// Totals of the hours `first <= hour < end` from the hourly sums.
    fn hourly_totals(&self, first: i64, end: i64) -> Result<Totals, LedgerError> {
        self.conn
            .prepare_cached(
                "SELECT COALESCE(SUM(calls), 0), COALESCE(SUM(input), 0), \
                 COALESCE(SUM(output), 0), COALESCE(SUM(cache_read), 0), \
                 COALESCE(SUM(cache_write), 0), COALESCE(SUM(reasoning), 0), \
                 COALESCE(SUM(cost_usd), 0.0), COALESCE(SUM(unpriced), 0) \
                 FROM usage_hourly WHERE hour >= ?1 AND hour < ?2",
            )
            .and_then(|mut stmt| stmt.query_row(params![first, end], |row| totals_of(row, 0)))
            .map_err(|e| self.query_error(&e))
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
        let key = match by {
            GroupBy::Model => "provider || ' · ' || model",
            GroupBy::Pane => "pane",
            GroupBy::Day => "strftime('%Y-%m-%d', time + ?3, 'unixepoch')",
        };
        let sql = format!(
            "SELECT {key} AS k, {SUMS} FROM usage WHERE time >= ?1 AND time < ?2 GROUP BY k"
        );
        let args: Vec<&dyn ToSql> = match by {
            GroupBy::Day => vec![&since, &until, &utc_offset],
            GroupBy::Model | GroupBy::Pane => vec![&since, &until],
        };
        let mut groups = self
            .conn
            .prepare_cached(&sql)
            .and_then(|mut stmt| {
                stmt.query_map(&*args, |row| {
                    Ok(GroupTotals {
                        key: row.get(0)?,
                        totals: totals_of(row, 1)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(|e| self.query_error(&e))?;
        groups.sort_by(|a, b| {
            b.totals
                .cost_usd
                .total_cmp(&a.totals.cost_usd)
                .then(b.totals.tokens().cmp(&a.totals.tokens()))
                .then(a.key.cmp(&b.key))
        });
        Ok(groups)
    }

    /// Tokens per hour in `[since, since + 3600 * hours)`, oldest first.
    pub fn hourly_tokens(&self, since: i64, hours: usize) -> Result<Vec<u64>, LedgerError> {
        let until = since.saturating_add(3600 * hours as i64);
        let mut buckets = vec![0u64; hours];
        let rows = self
            .conn
            .prepare_cached(
                "SELECT (time - ?1) / 3600 AS h, \
                 COALESCE(SUM(input + output + cache_read + cache_write), 0) \
                 FROM usage WHERE time >= ?1 AND time < ?2 GROUP BY h",
            )
            .and_then(|mut stmt| {
                stmt.query_map(params![since, until], |row| {
                    Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(|e| self.query_error(&e))?;
        for (hour, tokens) in rows {
            if let Some(bucket) = usize::try_from(hour).ok().and_then(|h| buckets.get_mut(h)) {
                *bucket = tokens.max(0) as u64;
            }
        }
        Ok(buckets)
    }

    /// How many records the ledger holds (for checks and tests).
    pub fn count(&self) -> Result<u64, LedgerError> {
        self.conn
            .query_row("SELECT COUNT(*) FROM usage", [], |r| r.get::<_, i64>(0))
            .map(|n| n.max(0) as u64)
            .map_err(|e| self.query_error(&e))
    }
}

/// SQLite stores signed integers; counts past i64::MAX are not real.
fn clamp(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Reads the [`SUMS`] columns starting at `first`.
fn totals_of(row: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<Totals> {
    let n = |i: usize| -> rusqlite::Result<u64> { Ok(row.get::<_, i64>(first + i)?.max(0) as u64) };
    Ok(Totals {
        calls: n(0)?,
        input_tokens: n(1)?,
        output_tokens: n(2)?,
        cache_read_tokens: n(3)?,
        cache_write_tokens: n(4)?,
        reasoning_tokens: n(5)?,
        cost_usd: row.get(first + 6)?,
        unpriced_calls: n(7)?,
    })
}

/// Another connection holds a lock.
fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
    )
}

/// SQLite's error in words that say what happened.
fn describe(e: &rusqlite::Error, busy_timeout: Duration) -> String {
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => format!(
            "the database is locked by another process and stayed locked for more than {:.1} s \
             ({e}); try again when that process is done",
            busy_timeout.as_secs_f64()
        ),
        Some(ErrorCode::NotADatabase) => format!("the file is not a SQLite database ({e})"),
        Some(ErrorCode::DatabaseCorrupt) => format!("the database is corrupt ({e})"),
        Some(ErrorCode::DiskFull) => format!("the disk is full ({e}); free some space"),
        _ => e.to_string(),
    }
}

/// What to do about an error met while opening.
fn hint_for(e: &rusqlite::Error) -> &'static str {
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            "try again when the other tandem process is done"
        }
        Some(ErrorCode::ReadOnly | ErrorCode::PermissionDenied | ErrorCode::CannotOpen) => {
            "check the file's and the directory's permissions"
        }
        _ => MOVE_ASIDE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::Usage;

    /// 2026-11-25 00:00:00 UTC.
    const DAY: i64 = 1_795_564_800;

    fn record(time: i64, pane: &str, model: &str, tokens: u64, cost: Option<f64>) -> UsageRecord {
        UsageRecord {
            time,
            session_id: "s1".into(),
            pane: pane.into(),
            provider: "anthropic".into(),
            model: model.into(),
            usage: Usage {
                input_tokens: tokens,
                output_tokens: 2 * tokens,
                cache_read_tokens: 3 * tokens,
                cache_write_tokens: 4 * tokens,
                reasoning_tokens: tokens,
            },
            cost_usd: cost,
            request_id: Some("req_1".into()),
            duration_ms: 1500,
        }
    }

    fn ledger() -> (tempfile::TempDir, Ledger) {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::open(&Ledger::path_in(&dir.path().join("state"))).unwrap();
        (dir, ledger)
    }

    #[test]
    fn totals_sum_a_half_open_range_and_count_unpriced_calls() {
        let (_dir, mut ledger) = ledger();
        ledger
            .insert(&[
                record(DAY - 1, "chat", "claude-sonnet-4-5", 100, Some(1.0)),
                record(DAY, "chat", "claude-sonnet-4-5", 10, Some(0.25)),
                record(DAY + 10, "run", "mystery", 1, None),
                record(DAY + 86_400, "run", "claude-sonnet-4-5", 1000, Some(5.0)),
            ])
            .unwrap();
        let t = ledger.totals(DAY, DAY + 86_400).unwrap();
        assert_eq!(t.calls, 2);
        assert_eq!(t.input_tokens, 11);
        assert_eq!(t.output_tokens, 22);
        assert_eq!(t.cache_read_tokens, 33);
        assert_eq!(t.cache_write_tokens, 44);
        assert_eq!(t.reasoning_tokens, 11);
        assert_eq!(t.cost_usd, 0.25);
        assert_eq!(t.unpriced_calls, 1);
        assert_eq!(
            ledger.totals(DAY + 20, DAY + 30).unwrap(),
            Totals::default()
        );
        assert_eq!(ledger.count().unwrap(), 4);
    }

    #[test]
    fn hourly_sums_agree_with_the_calls_for_any_range() {
        let (_dir, mut ledger) = ledger();
        let records: Vec<_> = (0..300)
            .map(|k| {
                let cost = (k % 4 != 0).then_some(k as f64 * 0.01);
                record(DAY - 20_000 + k * 917, "chat", "m", k as u64, cost)
            })
            .chain([
                record(-1, "chat", "m", 7, Some(1.0)),
                record(-3600, "chat", "m", 7, None),
            ])
            .collect();
        ledger.insert(&records).unwrap();
        let ranges = [
            (DAY + 5, DAY + 100_000),
            (DAY, DAY + 7200),
            (DAY + 3599, DAY + 3601),
            (DAY - 20_000, DAY + 300 * 917),
            (DAY + 1800, DAY + 86_400 * 3 + 1),
            (-7200, 0),
            (-3600, -1),
            (0, i64::MAX),
            (i64::MIN, i64::MAX),
        ];
        for (since, until) in ranges {
            let fast = ledger.totals(since, until).unwrap();
            let mut slow = Totals::default();
            for r in records.iter().filter(|r| since <= r.time && r.time < until) {
                slow.add(r);
            }
            assert!(
                (fast.cost_usd - slow.cost_usd).abs() < 1e-9,
                "{since}..{until}"
            );
            slow.cost_usd = fast.cost_usd;
            assert_eq!(fast, slow, "{since}..{until}");
        }
    }

    #[test]
    fn groups_come_most_expensive_first() {
        let (_dir, mut ledger) = ledger();
        ledger
            .insert(&[
                record(DAY, "chat", "claude-haiku-4-5", 10, Some(0.5)),
                record(DAY + 1, "run", "claude-opus-4-5", 10, Some(3.0)),
                record(DAY + 2, "run", "claude-opus-4-5", 10, Some(1.0)),
                record(DAY + 3, "exec", "local", 10_000, None),
            ])
            .unwrap();
        let by_model = ledger.grouped(GroupBy::Model, DAY, DAY + 10, 0).unwrap();
        let keys: Vec<_> = by_model.iter().map(|g| g.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "anthropic · claude-opus-4-5",
                "anthropic · claude-haiku-4-5",
                "anthropic · local"
            ]
        );
        assert_eq!(by_model[0].totals.calls, 2);
        assert_eq!(by_model[0].totals.cost_usd, 4.0);
        assert_eq!(by_model[2].totals.unpriced_calls, 1);
        let by_pane = ledger.grouped(GroupBy::Pane, DAY, DAY + 10, 0).unwrap();
        let keys: Vec<_> = by_pane.iter().map(|g| g.key.as_str()).collect();
        assert_eq!(keys, ["run", "chat", "exec"]);
    }

    #[test]
    fn days_are_split_at_local_midnight() {
        let (_dir, mut ledger) = ledger();
        // 23:30 and 00:30 UTC on either side of 2026-11-25.
        ledger
            .insert(&[
                record(DAY - 1800, "chat", "m", 1, Some(2.0)),
                record(DAY + 1800, "chat", "m", 1, Some(1.0)),
            ])
            .unwrap();
        let keys = |offset: i64| -> Vec<String> {
            ledger
                .grouped(GroupBy::Day, DAY - 86_400, DAY + 86_400, offset)
                .unwrap()
                .into_iter()
                .map(|g| format!("{} {}", g.key, g.totals.calls))
                .collect()
        };
        assert_eq!(keys(0), ["2026-11-24 1", "2026-11-25 1"]);
        assert_eq!(keys(3600), ["2026-11-25 2"]);
        assert_eq!(keys(-3600), ["2026-11-24 2"]);
    }

    #[test]
    fn hourly_tokens_fill_their_buckets() {
        let (_dir, mut ledger) = ledger();
        ledger
            .insert(&[
                record(DAY, "chat", "m", 1, None),
                record(DAY + 3599, "chat", "m", 1, None),
                record(DAY + 2 * 3600 + 5, "chat", "m", 2, None),
                record(DAY + 3 * 3600, "chat", "m", 100, None),
                record(DAY - 1, "chat", "m", 100, None),
            ])
            .unwrap();
        // Each record of `tokens` bills 10 × tokens (input, output, caches).
        assert_eq!(ledger.hourly_tokens(DAY, 3).unwrap(), [20, 0, 20]);
    }

    #[test]
    fn a_file_that_is_not_a_database_is_refused_with_a_hint() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("usage.sqlite3");
        std::fs::write(&path, vec![b'x'; 4096]).unwrap();
        let Err(err) = Ledger::open(&path) else {
            panic!("a garbage file opened as a ledger");
        };
        let text = err.to_string();
        assert!(matches!(err, LedgerError::Open { .. }), "{text}");
        assert!(text.contains("not a SQLite database"), "{text}");
        assert!(text.contains("move the file aside"), "{text}");
        assert!(text.contains("usage.sqlite3"), "{text}");
    }

    #[test]
    fn reopening_keeps_the_rows_in_wal_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = Ledger::path_in(dir.path());
        {
            let mut ledger = Ledger::open(&path).unwrap();
            ledger
                .insert(&[record(DAY, "chat", "m", 1, Some(1.0))])
                .unwrap();
        }
        let ledger = Ledger::open(&path).unwrap();
        assert_eq!(ledger.count().unwrap(), 1);
        let conn = Connection::open(&path).unwrap();
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
    }

    #[test]
    fn a_ledger_from_a_newer_tandem_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = Ledger::path_in(dir.path());
        Connection::open(&path)
            .unwrap()
            .execute_batch("PRAGMA user_version = 99;")
            .unwrap();
        let Err(err) = Ledger::open(&path) else {
            panic!("a newer schema opened");
        };
        assert!(err.to_string().contains("newer tandem"), "{err}");
    }
}
