//! The shared quota service both panes (and headless runs) hold.
//!
//! A writer thread owns the ledger connection: [`Meter::record`] only adds
//! to memory and wakes it. The thread writes the queue in one transaction,
//! keeps the records queued when the ledger cannot be opened or written
//! (retrying on the next record, at most every few seconds), and refreshes
//! the cached today/month totals from the ledger so other processes' usage
//! counts against the budgets.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::ledger::{BUSY_TIMEOUT, GroupBy};
use super::{
    BudgetConfig, BudgetState, GroupTotals, Ledger, PriceTable, ProviderLimits, QuotaSnapshot,
    Totals, UsageRecord, clock,
};
use crate::provider::{RateLimitSnapshot, Usage};

/// Timings of the writer thread; the defaults suit real use, tests shorten
/// them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeterOptions {
    /// How long a ledger statement waits for another process's lock.
    pub busy_timeout: Duration,
    /// The shortest pause between failed attempts to open or write.
    pub retry_every: Duration,
    /// The shortest pause between refreshes of today's and this month's
    /// totals from the ledger.
    pub refresh_every: Duration,
}

impl Default for MeterOptions {
    fn default() -> Self {
        Self {
            busy_timeout: BUSY_TIMEOUT,
            retry_every: Duration::from_secs(3),
            refresh_every: Duration::from_secs(5),
        }
    }
}

/// Records usage, checks budgets, keeps rate limits. Every method but
/// [`Meter::snapshot`] is cheap (memory only; the ledger is written by a
/// background thread), so sessions may call them before every model call
/// and front ends on every frame.
pub struct Meter {
    session_id: String,
    prices: PriceTable,
    path: PathBuf,
    options: MeterOptions,
    shared: Arc<Shared>,
    writer: Mutex<Option<JoinHandle<()>>>,
    /// The snapshot's own read connection, opened when first needed.
    reader: Mutex<Option<Ledger>>,
}

/// What the callers and the writer thread share.
struct Shared {
    state: Mutex<State>,
    /// Wakes the writer (a record, a flush, shutdown).
    wake: Condvar,
    /// Wakes flushers when an attempt finished.
    done: Condvar,
    /// Held while records move from the queue to the ledger, so a snapshot
    /// never sees a record in both or in neither.
    io: Mutex<()>,
}

/// The in-memory side of the meter.
struct State {
    budget: BudgetConfig,
    session: Totals,
    panes: BTreeMap<String, Totals>,
    /// Records not yet in the ledger, oldest first.
    queue: Vec<UsageRecord>,
    period: Period,
    rate_limits: BTreeMap<String, RateLimitSnapshot>,
    problem: Option<String>,
    /// A record arrived since the last refresh.
    refresh_wanted: bool,
    /// The day or month changed: refresh as soon as possible.
    refresh_now: bool,
    flush_requested: u64,
    flush_done: u64,
    shutdown: bool,
    writer_gone: bool,
}

/// Today's and this month's totals (every process's, as of the last
/// refresh, plus this process's records since).
#[derive(Debug, Clone, Copy)]
struct Period {
    day_start: i64,
    day_end: i64,
    month_start: i64,
    month_end: i64,
    today: Totals,
    month: Totals,
}

impl Period {
    fn at(now: i64) -> Self {
        Self {
            day_start: clock::day_start(now),
            day_end: clock::next_day_start(now),
            month_start: clock::month_start(now),
            month_end: clock::next_month_start(now),
            today: Totals::default(),
            month: Totals::default(),
        }
    }

    fn holds(&self, now: i64) -> bool {
        self.day_start <= now && now < self.day_end
    }

    fn add(&mut self, record: &UsageRecord) {
        if self.day_start <= record.time && record.time < self.day_end {
            self.today.add(record);
        }
        if self.month_start <= record.time && record.time < self.month_end {
            self.month.add(record);
        }
    }
}

impl State {
    /// Starts a new day (and month) when `now` left the cached one, keeping
    /// the month's figures within the same month.
    fn roll(&mut self, now: i64) {
        if self.period.holds(now) {
            return;
        }
        let mut next = Period::at(now);
        if next.month_start == self.period.month_start {
            next.month = self.period.month;
        }
        for record in &self.queue {
            if record.time >= next.day_start && record.time < next.day_end {
                next.today.add(record);
            }
        }
        self.period = next;
        self.refresh_now = true;
    }
}

impl Meter {
    /// Opens the ledger under `state_dir` for session `session_id`. Never
    /// fails: when the ledger cannot be opened, records are kept in memory
    /// (and written when it can be), and [`Meter::problem`] says why.
    pub fn open(
        state_dir: &Path,
        session_id: &str,
        prices: PriceTable,
        budget: BudgetConfig,
    ) -> Arc<Self> {
        Self::open_with(
            state_dir,
            session_id,
            prices,
            budget,
            MeterOptions::default(),
        )
    }

    /// [`Meter::open`] with other timings (tests use short ones).
    pub fn open_with(
        state_dir: &Path,
        session_id: &str,
        prices: PriceTable,
        budget: BudgetConfig,
        options: MeterOptions,
    ) -> Arc<Self> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                budget,
                session: Totals::default(),
                panes: BTreeMap::new(),
                queue: Vec::new(),
                period: Period::at(clock::now()),
                rate_limits: BTreeMap::new(),
                problem: None,
                refresh_wanted: false,
                refresh_now: true,
                flush_requested: 0,
                flush_done: 0,
                shutdown: false,
                writer_gone: false,
            }),
            wake: Condvar::new(),
            done: Condvar::new(),
            io: Mutex::new(()),
        });
        let path = Ledger::path_in(state_dir);
        let writer = {
            let shared = shared.clone();
            let path = path.clone();
            std::thread::Builder::new()
                .name("tandem-ledger".into())
                .spawn(move || Writer::new(shared.clone(), path, options).run())
        };
        let writer = match writer {
            Ok(handle) => Some(handle),
            Err(e) => {
                let mut st = lock(&shared.state);
                st.problem = Some(format!(
                    "cannot start the ledger writer ({e}); usage is kept in memory only"
                ));
                st.writer_gone = true;
                None
            }
        };
        Arc::new(Self {
            session_id: session_id.to_string(),
            prices,
            path,
            options,
            shared,
            writer: Mutex::new(writer),
            reader: Mutex::new(None),
        })
    }

    /// Records one model call of `pane` and returns the record (with its
    /// cost). The ledger write happens in the background.
    pub fn record(
        &self,
        pane: &str,
        provider: &str,
        model: &str,
        usage: &Usage,
        request_id: Option<String>,
        duration: Duration,
    ) -> UsageRecord {
        let record = UsageRecord {
            time: clock::now(),
            session_id: self.session_id.clone(),
            pane: pane.to_string(),
            provider: provider.to_string(),
            model: model.to_string(),
            usage: *usage,
            cost_usd: self.prices.cost(model, usage),
            request_id,
            duration_ms: u64::try_from(duration.as_millis()).unwrap_or(u64::MAX),
        };
        let mut st = lock(&self.shared.state);
        st.roll(record.time);
        st.session.add(&record);
        st.panes.entry(pane.to_string()).or_default().add(&record);
        st.period.add(&record);
        st.queue.push(record.clone());
        st.refresh_wanted = true;
        drop(st);
        self.shared.wake.notify_all();
        record
    }

    /// The budgets' state now: this session's own calls plus today's and
    /// this month's totals of every process (refreshed from the ledger at
    /// most every few seconds).
    pub fn state(&self) -> BudgetState {
        let mut st = lock(&self.shared.state);
        st.roll(clock::now());
        if st.refresh_now {
            self.shared.wake.notify_all();
        }
        st.budget
            .state(&st.session, &st.period.today, &st.period.month)
    }

    /// This session's totals of `pane` (`chat`, `run`, `exec`).
    pub fn pane_totals(&self, pane: &str) -> Totals {
        lock(&self.shared.state)
            .panes
            .get(pane)
            .copied()
            .unwrap_or_default()
    }

    /// This session's totals over every pane.
    pub fn session_totals(&self) -> Totals {
        lock(&self.shared.state).session
    }

    /// Keeps `provider`'s latest rate-limit headroom.
    pub fn set_rate_limits(&self, provider: &str, snapshot: RateLimitSnapshot) {
        lock(&self.shared.state)
            .rate_limits
            .insert(provider.to_string(), snapshot);
    }

    /// `provider`'s latest rate-limit headroom.
    pub fn rate_limits(&self, provider: &str) -> Option<RateLimitSnapshot> {
        lock(&self.shared.state).rate_limits.get(provider).cloned()
    }

    /// The budgets in force.
    pub fn budget(&self) -> BudgetConfig {
        lock(&self.shared.state).budget.clone()
    }

    /// Replaces the budgets for this process (`/budget` raises one live).
    pub fn set_budget(&self, budget: BudgetConfig) {
        lock(&self.shared.state).budget = budget;
    }

    /// The cost of a call, from the price table.
    pub fn cost(&self, model: &str, usage: &Usage) -> Option<f64> {
        self.prices.cost(model, usage)
    }

    /// Why the ledger is not being written, if it is not.
    pub fn problem(&self) -> Option<String> {
        lock(&self.shared.state).problem.clone()
    }

    /// How many records wait in memory for the ledger.
    pub fn queued(&self) -> usize {
        lock(&self.shared.state).queue.len()
    }

    /// Waits until every record so far is in the ledger (or failed); for
    /// tests and shutdown. Tries at once even if the last attempt just
    /// failed, and refreshes today's and this month's totals.
    pub fn flush(&self) {
        let mut st = lock(&self.shared.state);
        st.flush_requested += 1;
        let mine = st.flush_requested;
        self.shared.wake.notify_all();
        while st.flush_done < mine && !st.writer_gone {
            st = self
                .shared
                .done
                .wait(st)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }

    /// Everything the quota view shows. Queries the ledger: call it off the
    /// UI thread.
    pub fn snapshot(&self) -> QuotaSnapshot {
        let now = clock::now();
        let hours_since = now - now.rem_euclid(3600) - 23 * 3600;
        let (session, session_by_pane, period, rate_limits, budget) = {
            let mut st = lock(&self.shared.state);
            st.roll(now);
            let panes = st
                .panes
                .iter()
                .map(|(key, totals)| GroupTotals {
                    key: key.clone(),
                    totals: *totals,
                })
                .collect();
            let limits = st
                .rate_limits
                .iter()
                .map(|(provider, snapshot)| ProviderLimits {
                    provider: provider.clone(),
                    snapshot: snapshot.clone(),
                })
                .collect();
            (st.session, panes, st.period, limits, st.budget.clone())
        };
        let (mut today, mut month) = (period.today, period.month);
        let mut month_by_model = Vec::new();
        let mut hourly_tokens = vec![0u64; 24];
        {
            // Hold the writer off so a record is in the queue or in the
            // ledger, never in both or neither.
            let _io = lock(&self.shared.io);
            let queued = lock(&self.shared.state).queue.clone();
            if let Some(figures) = self.query(&period, hours_since, now) {
                today = figures.today;
                month = figures.month;
                month_by_model = figures.month_by_model;
                hourly_tokens = figures.hourly_tokens;
                for record in &queued {
                    let mut p = Period {
                        today: Totals::default(),
                        month: Totals::default(),
                        ..period
                    };
                    p.add(record);
                    today.merge(&p.today);
                    month.merge(&p.month);
                }
            }
            for record in &queued {
                if period.month_start <= record.time && record.time < period.month_end {
                    let key = format!("{} · {}", record.provider, record.model);
                    match month_by_model.iter_mut().find(|g| g.key == key) {
                        Some(group) => group.totals.add(record),
                        None => {
                            let mut totals = Totals::default();
                            totals.add(record);
                            month_by_model.push(GroupTotals { key, totals });
                        }
                    }
                }
                let hour = (record.time - hours_since).div_euclid(3600);
                if let Some(bucket) = usize::try_from(hour)
                    .ok()
                    .and_then(|h| hourly_tokens.get_mut(h))
                {
                    *bucket += record.usage.prompt_tokens() + record.usage.output_tokens;
                }
            }
            month_by_model.sort_by(|a, b| {
                b.totals
                    .cost_usd
                    .total_cmp(&a.totals.cost_usd)
                    .then(b.totals.tokens().cmp(&a.totals.tokens()))
                    .then(a.key.cmp(&b.key))
            });
        }
        QuotaSnapshot {
            today,
            month,
            state: budget.state(&session, &today, &month),
            session,
            session_by_pane,
            month_by_model,
            hourly_tokens,
            rate_limits,
            budget,
            ledger_problem: self.problem(),
            prices_as_of: self.prices.as_of().to_string(),
        }
    }

    /// The snapshot's ledger figures: today, month, month by model, hourly
    /// tokens. `None` when the ledger cannot be read (the snapshot then
    /// shows memory only).
    fn query(&self, period: &Period, hours_since: i64, now: i64) -> Option<Figures> {
        let mut reader = lock(&self.reader);
        if reader.is_none() && self.path.exists() {
            *reader = Ledger::open_with_timeout(&self.path, self.options.busy_timeout).ok();
        }
        let ledger = reader.as_ref()?;
        let offset = clock::utc_offset(now);
        let result = (|| {
            Ok::<_, super::LedgerError>(Figures {
                today: ledger.totals(period.day_start, period.day_end)?,
                month: ledger.totals(period.month_start, period.month_end)?,
                month_by_model: ledger.grouped(
                    GroupBy::Model,
                    period.month_start,
                    period.month_end,
                    offset,
                )?,
                hourly_tokens: ledger.hourly_tokens(hours_since, 24)?,
            })
        })();
        match result {
            Ok(figures) => Some(figures),
            Err(_) => {
                // Reopen next time: the file may have been replaced.
                *reader = None;
                None
            }
        }
    }
}

impl Drop for Meter {
    /// Asks the writer for a last attempt at the queue and waits for it.
    fn drop(&mut self) {
        lock(&self.shared.state).shutdown = true;
        self.shared.wake.notify_all();
        if let Some(handle) = lock(&self.writer).take() {
            let _ = handle.join();
        }
    }
}

/// Locks a mutex, going on after a panic elsewhere (the data stays usable:
/// every update is a few field writes).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// What a snapshot reads from the ledger.
struct Figures {
    today: Totals,
    month: Totals,
    month_by_model: Vec<GroupTotals>,
    hourly_tokens: Vec<u64>,
}

/// One round of the writer's work.
struct Job {
    write: bool,
    refresh: bool,
    /// The flush request this round answers (0: none).
    flush: u64,
    /// Shutdown: exit after this round.
    last: bool,
}

/// The writer thread: owns the ledger connection.
struct Writer {
    shared: Arc<Shared>,
    path: PathBuf,
    options: MeterOptions,
    ledger: Option<Ledger>,
    last_failure: Option<Instant>,
    last_refresh: Option<Instant>,
}

impl Writer {
    fn new(shared: Arc<Shared>, path: PathBuf, options: MeterOptions) -> Self {
        Self {
            shared,
            path,
            options,
            ledger: None,
            last_failure: None,
            last_refresh: None,
        }
    }

    fn run(mut self) {
        loop {
            let job = self.next_job();
            self.work(&job);
            if job.last {
                break;
            }
        }
        let mut st = lock(&self.shared.state);
        st.writer_gone = true;
        drop(st);
        self.shared.done.notify_all();
    }

    /// Waits until there is something to do and it is time to do it.
    fn next_job(&mut self) -> Job {
        let mut st = lock(&self.shared.state);
        loop {
            let forced = st.flush_requested > st.flush_done;
            if st.shutdown {
                return Job {
                    write: !st.queue.is_empty(),
                    refresh: false,
                    flush: st.flush_requested,
                    last: true,
                };
            }
            let blocked = self.last_failure.map_or(Duration::ZERO, |t| {
                self.options.retry_every.saturating_sub(t.elapsed())
            });
            let refresh_left = self.last_refresh.map_or(Duration::ZERO, |t| {
                self.options.refresh_every.saturating_sub(t.elapsed())
            });
            let write_at = (!st.queue.is_empty()).then_some(blocked);
            let refresh_at = if st.refresh_now {
                Some(blocked)
            } else if st.refresh_wanted {
                Some(blocked.max(refresh_left))
            } else {
                None
            };
            let write = forced || write_at == Some(Duration::ZERO);
            let refresh = forced || refresh_at == Some(Duration::ZERO);
            if write || refresh {
                if refresh {
                    st.refresh_now = false;
                    st.refresh_wanted = false;
                }
                return Job {
                    write: write && !st.queue.is_empty(),
                    refresh,
                    flush: if forced { st.flush_requested } else { 0 },
                    last: false,
                };
            }
            let wait = [write_at, refresh_at]
                .into_iter()
                .flatten()
                .min()
                .unwrap_or(Duration::from_secs(3600));
            st = self
                .shared
                .wake
                .wait_timeout(st, wait)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0;
        }
    }

    fn work(&mut self, job: &Job) {
        let shared = self.shared.clone();
        let io = lock(&shared.io);
        let outcome = self.attempt(job);
        drop(io);
        let mut st = lock(&self.shared.state);
        match outcome {
            Ok(()) => {
                st.problem = None;
                self.last_failure = None;
            }
            Err(e) => {
                // The cause only: each front end says what it means there
                // (the workbench keeps the records and retries; `tandem
                // exec` ends and says they were not written).
                st.problem = Some(e.to_string());
                self.last_failure = Some(Instant::now());
                self.ledger = None;
            }
        }
        if job.flush > st.flush_done {
            st.flush_done = job.flush;
        }
        drop(st);
        self.shared.done.notify_all();
    }

    /// Opens the ledger if needed, writes the queue, refreshes the cached
    /// totals.
    fn attempt(&mut self, job: &Job) -> Result<(), super::LedgerError> {
        if !job.write && !job.refresh {
            return Ok(());
        }
        let ledger = match self.ledger.as_mut() {
            Some(ledger) => ledger,
            None => self.ledger.insert(Ledger::open_with_timeout(
                &self.path,
                self.options.busy_timeout,
            )?),
        };
        if job.write {
            let batch = lock(&self.shared.state).queue.clone();
            ledger.insert(&batch)?;
            lock(&self.shared.state).queue.drain(..batch.len());
        }
        if job.refresh {
            let period = lock(&self.shared.state).period;
            let today = ledger.totals(period.day_start, period.day_end)?;
            let month = ledger.totals(period.month_start, period.month_end)?;
            let mut st = lock(&self.shared.state);
            if st.period.day_start == period.day_start {
                let mut fresh = Period {
                    today,
                    month,
                    ..period
                };
                for record in &st.queue {
                    fresh.add(record);
                }
                st.period = fresh;
            } else {
                st.refresh_now = true;
            }
            self.last_refresh = Some(Instant::now());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::RateLimitWindow;
    use std::time::SystemTime;

    fn usage(input: u64, output: u64) -> Usage {
        Usage {
            input_tokens: input,
            output_tokens: output,
            ..Usage::default()
        }
    }

    fn prices() -> PriceTable {
        PriceTable::new(&BTreeMap::new())
    }

    fn quick() -> MeterOptions {
        MeterOptions {
            busy_timeout: Duration::from_millis(200),
            retry_every: Duration::from_millis(50),
            refresh_every: Duration::from_millis(50),
        }
    }

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn meter_is_shared_across_threads() {
        assert_send_sync::<Meter>();
    }

    #[test]
    fn records_are_priced_counted_and_written() {
        let dir = tempfile::tempdir().unwrap();
        let meter = Meter::open_with(dir.path(), "s1", prices(), BudgetConfig::default(), quick());
        // Sonnet 4.5: $3 in, $15 out per million.
        let r = meter.record(
            "chat",
            "anthropic",
            "claude-sonnet-4-5",
            &usage(1_000_000, 100_000),
            Some("req_1".into()),
            Duration::from_millis(1234),
        );
        assert_eq!(r.cost_usd, Some(4.5));
        assert_eq!(r.duration_ms, 1234);
        assert_eq!(r.session_id, "s1");
        meter.record("run", "ollama", "qwen", &usage(10, 5), None, Duration::ZERO);
        assert_eq!(meter.pane_totals("chat").cost_usd, 4.5);
        assert_eq!(meter.pane_totals("run").unpriced_calls, 1);
        assert_eq!(meter.pane_totals("exec"), Totals::default());
        let session = meter.session_totals();
        assert_eq!((session.calls, session.unpriced_calls), (2, 1));
        meter.flush();
        assert_eq!(meter.problem(), None);
        assert_eq!(meter.queued(), 0);
        let ledger = Ledger::open(&Ledger::path_in(dir.path())).unwrap();
        assert_eq!(ledger.count().unwrap(), 2);
        let month = ledger.totals(0, i64::MAX).unwrap();
        assert_eq!((month.cost_usd, month.unpriced_calls), (4.5, 1));
    }

    #[test]
    fn other_processes_usage_counts_against_the_daily_budget() {
        let dir = tempfile::tempdir().unwrap();
        let path = Ledger::path_in(dir.path());
        let mut other = Ledger::open(&path).unwrap();
        let mut earlier = UsageRecord {
            time: clock::now(),
            session_id: "other".into(),
            pane: "run".into(),
            provider: "openai".into(),
            model: "gpt-5".into(),
            usage: usage(10, 10),
            cost_usd: Some(8.0),
            request_id: None,
            duration_ms: 0,
        };
        other.insert(std::slice::from_ref(&earlier)).unwrap();
        let budget = BudgetConfig {
            daily_usd: Some(10.0),
            ..BudgetConfig::default()
        };
        let meter = Meter::open_with(dir.path(), "s2", prices(), budget, quick());
        meter.flush();
        assert!(
            matches!(
                meter.state(),
                BudgetState::Warning {
                    kind: super::super::BudgetKind::DailyUsd,
                    ..
                }
            ),
            "{:?}",
            meter.state()
        );
        // Another process spends more while this one runs.
        earlier.cost_usd = Some(3.0);
        other.insert(&[earlier]).unwrap();
        meter.flush();
        assert!(matches!(meter.state(), BudgetState::Exhausted { .. }));
        // This session spent nothing itself.
        assert_eq!(meter.session_totals(), Totals::default());
    }

    #[test]
    fn a_corrupt_ledger_keeps_records_in_memory_until_it_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = Ledger::path_in(dir.path());
        std::fs::write(&path, vec![b'!'; 8192]).unwrap();
        let budget = BudgetConfig {
            session_usd: Some(1.0),
            ..BudgetConfig::default()
        };
        let meter = Meter::open_with(dir.path(), "s3", prices(), budget, quick());
        meter.record(
            "chat",
            "anthropic",
            "claude-opus-4-5",
            &usage(0, 40_000),
            None,
            Duration::ZERO,
        );
        meter.flush();
        let problem = meter.problem().expect("the corrupt ledger is reported");
        assert!(problem.contains("not a SQLite database"), "{problem}");
        assert!(problem.contains("move the file aside"), "{problem}");
        assert_eq!(meter.queued(), 1, "the record is kept in memory");
        // $1.00 of output at $25 per million: the session budget is spent.
        assert!(matches!(meter.state(), BudgetState::Exhausted { .. }));
        assert_eq!(meter.snapshot().today.calls, 1);
        std::fs::remove_file(&path).unwrap();
        meter.flush();
        assert_eq!(meter.problem(), None);
        assert_eq!(meter.queued(), 0);
        assert_eq!(Ledger::open(&path).unwrap().count().unwrap(), 1);
        assert_eq!(meter.snapshot().today.calls, 1);
    }

    #[test]
    fn dropping_the_meter_writes_what_is_queued() {
        let dir = tempfile::tempdir().unwrap();
        let meter = Meter::open(dir.path(), "s4", prices(), BudgetConfig::default());
        meter.record(
            "chat",
            "openai",
            "gpt-5",
            &usage(1, 1),
            None,
            Duration::ZERO,
        );
        drop(meter);
        let ledger = Ledger::open(&Ledger::path_in(dir.path())).unwrap();
        assert_eq!(ledger.count().unwrap(), 1);
    }

    #[test]
    fn snapshot_shows_everything_the_quota_view_needs() {
        let dir = tempfile::tempdir().unwrap();
        let meter = Meter::open_with(dir.path(), "s5", prices(), BudgetConfig::default(), quick());
        meter.record(
            "chat",
            "anthropic",
            "claude-haiku-4-5",
            &usage(1000, 100),
            None,
            Duration::ZERO,
        );
        meter.flush();
        meter.record(
            "run",
            "openai",
            "gpt-5",
            &usage(2000, 200),
            None,
            Duration::ZERO,
        );
        meter.record(
            "run",
            "openai",
            "gpt-5",
            &usage(2000, 200),
            None,
            Duration::ZERO,
        );
        let window = RateLimitWindow {
            limit: Some(100),
            remaining: Some(40),
            reset_after: None,
        };
        let limits = |remaining| RateLimitSnapshot {
            observed_at: SystemTime::now(),
            requests: Some(RateLimitWindow {
                remaining: Some(remaining),
                ..window
            }),
            tokens: None,
            input_tokens: None,
            output_tokens: None,
        };
        meter.set_rate_limits("openai", limits(40));
        meter.set_rate_limits("anthropic", limits(90));
        meter.set_rate_limits("openai", limits(39));
        let latest = meter
            .rate_limits("openai")
            .expect("openai's limits are kept");
        assert_eq!(latest.requests.and_then(|w| w.remaining), Some(39));
        assert_eq!(meter.rate_limits("mistral"), None);
        let snap = meter.snapshot();
        assert_eq!(snap.today.calls, 3);
        assert_eq!(snap.month.calls, 3);
        assert_eq!(snap.session.calls, 3);
        let panes: Vec<_> = snap
            .session_by_pane
            .iter()
            .map(|g| (g.key.as_str(), g.totals.calls))
            .collect();
        assert_eq!(panes, [("chat", 1), ("run", 2)]);
        let models: Vec<_> = snap
            .month_by_model
            .iter()
            .map(|g| (g.key.as_str(), g.totals.calls))
            .collect();
        assert_eq!(
            models,
            [("openai · gpt-5", 2), ("anthropic · claude-haiku-4-5", 1)]
        );
        assert_eq!(snap.hourly_tokens.len(), 24);
        // Every call was in the last hour or two (the hour may just have turned).
        assert_eq!(
            snap.hourly_tokens[22..].iter().sum::<u64>(),
            1100 + 2 * 2200
        );
        assert_eq!(snap.hourly_tokens[..22].iter().sum::<u64>(), 0);
        let providers: Vec<_> = snap
            .rate_limits
            .iter()
            .map(|l| l.provider.as_str())
            .collect();
        assert_eq!(providers, ["anthropic", "openai"]);
        assert_eq!(
            snap.rate_limits[1].snapshot.requests.unwrap().remaining,
            Some(39)
        );
        assert_eq!(snap.prices_as_of, "2026-11-01");
        assert_eq!(snap.ledger_problem, None);
        assert_eq!(snap.state, BudgetState::Ok { used: 0.0 });
    }

    #[test]
    fn budgets_can_be_raised_live() {
        let dir = tempfile::tempdir().unwrap();
        let tight = BudgetConfig {
            session_usd: Some(0.000_001),
            ..BudgetConfig::default()
        };
        let meter = Meter::open_with(dir.path(), "s6", prices(), tight.clone(), quick());
        meter.record(
            "chat",
            "openai",
            "gpt-5",
            &usage(1000, 0),
            None,
            Duration::ZERO,
        );
        assert!(matches!(meter.state(), BudgetState::Exhausted { .. }));
        assert_eq!(meter.budget(), tight);
        meter.set_budget(BudgetConfig {
            session_usd: Some(100.0),
            ..tight
        });
        assert!(matches!(meter.state(), BudgetState::Ok { .. }));
        assert_eq!(meter.cost("gpt-5", &usage(1_000_000, 0)), Some(1.25));
        assert_eq!(meter.cost("nobody-knows", &usage(1, 0)), None);
    }
}
