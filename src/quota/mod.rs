//! The quota meter's engine: one usage ledger and one budget for both
//! agents.
//!
//! Every model call of either pane (and of headless runs) becomes a
//! [`UsageRecord`] with its cost from the [`PriceTable`]. Records go to a
//! SQLite ledger under the state dir (WAL mode, safe with several tandem
//! processes at once) and to in-memory session totals; when the database
//! cannot be written the records wait in memory and are written when it
//! can. [`Meter`] is the shared service sessions and front ends hold: it
//! records calls, answers "may the next call go?" against the budgets, keeps
//! the latest rate-limit snapshot of each provider, and builds the
//! [`QuotaSnapshot`] the quota view draws.
//!
//! | file | owns |
//! |---|---|
//! | `pricing` | the price table (assets/pricing.toml + config overrides) and cost of a call |
//! | `ledger` | the SQLite ledger: schema, inserts, totals and groupings by time |
//! | `budget` | budgets from config and how much of each is used |
//! | `clock` | local midnight and first of the month, from the C library |
//! | `meter` | the shared service: record, check, rate limits, snapshot |
//! | `report` | `tandem usage`: the same figures on the command line |

pub mod budget;
pub mod clock;
pub mod ledger;
pub mod meter;
pub mod pricing;
pub mod report;

pub use budget::{BudgetConfig, BudgetKind, BudgetState};
pub use ledger::{Ledger, LedgerError};
pub use meter::Meter;
pub use pricing::{Price, PriceTable};

use serde::Serialize;

use crate::provider::{RateLimitSnapshot, Usage};

/// One model call, as the ledger stores it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UsageRecord {
    /// When the call finished, in seconds since the Unix epoch.
    pub time: i64,
    /// The session that made it.
    pub session_id: String,
    /// `chat`, `run`, or `exec` for headless runs.
    pub pane: String,
    /// The provider's configured name.
    pub provider: String,
    /// The model.
    pub model: String,
    /// Tokens of the call (input excludes cache reads and writes; output
    /// includes reasoning, which is also counted apart).
    pub usage: Usage,
    /// Cost in USD; `None` when the model has no price ("cost unknown").
    pub cost_usd: Option<f64>,
    /// The provider's request id, when it sent one.
    pub request_id: Option<String>,
    /// How long the call took.
    pub duration_ms: u64,
}

/// Sums of usage over some records.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Totals {
    /// Model calls.
    pub calls: u64,
    /// Uncached input tokens.
    pub input_tokens: u64,
    /// Output tokens (reasoning included).
    pub output_tokens: u64,
    /// Input tokens read from the prompt cache.
    pub cache_read_tokens: u64,
    /// Input tokens written to the prompt cache.
    pub cache_write_tokens: u64,
    /// Reasoning tokens (part of the output).
    pub reasoning_tokens: u64,
    /// Cost of the calls whose model has a price.
    pub cost_usd: f64,
    /// Calls whose cost is unknown (no price for their model).
    pub unpriced_calls: u64,
}

impl Totals {
    /// Every token billed: input, cache reads and writes, and output.
    pub fn tokens(&self) -> u64 {
        self.input_tokens + self.cache_read_tokens + self.cache_write_tokens + self.output_tokens
    }

    /// Adds one record.
    pub fn add(&mut self, record: &UsageRecord) {
        self.calls += 1;
        self.input_tokens += record.usage.input_tokens;
        self.output_tokens += record.usage.output_tokens;
        self.cache_read_tokens += record.usage.cache_read_tokens;
        self.cache_write_tokens += record.usage.cache_write_tokens;
        self.reasoning_tokens += record.usage.reasoning_tokens;
        match record.cost_usd {
            Some(cost) => self.cost_usd += cost,
            None => self.unpriced_calls += 1,
        }
    }

    /// Adds another set of totals (e.g. of another time range).
    pub fn merge(&mut self, other: &Totals) {
        self.calls += other.calls;
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
        self.cache_read_tokens += other.cache_read_tokens;
        self.cache_write_tokens += other.cache_write_tokens;
        self.reasoning_tokens += other.reasoning_tokens;
        self.cost_usd += other.cost_usd;
        self.unpriced_calls += other.unpriced_calls;
    }
}

/// Usage of one group (a pane, a provider and model, a day).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupTotals {
    /// The group's name: `chat`, `anthropic · claude-sonnet-4-5`, `2026-11-25`.
    pub key: String,
    /// Its totals.
    pub totals: Totals,
}

/// The latest rate-limit headroom of one provider.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderLimits {
    /// The provider's configured name.
    pub provider: String,
    /// What its last response said.
    pub snapshot: RateLimitSnapshot,
}

/// Everything the quota view shows, computed off the UI thread by
/// [`Meter::snapshot`].
#[derive(Debug, Clone, PartialEq)]
pub struct QuotaSnapshot {
    /// Since local midnight.
    pub today: Totals,
    /// Since the first of the month (local time).
    pub month: Totals,
    /// This process's session (both panes).
    pub session: Totals,
    /// This session per pane (`chat`, `run`).
    pub session_by_pane: Vec<GroupTotals>,
    /// This month per provider and model, most expensive first.
    pub month_by_model: Vec<GroupTotals>,
    /// Tokens per hour for the last 24 hours, oldest first (24 entries; the
    /// last is the current hour).
    pub hourly_tokens: Vec<u64>,
    /// The latest rate limits per provider.
    pub rate_limits: Vec<ProviderLimits>,
    /// The budgets in force.
    pub budget: BudgetConfig,
    /// How much of the budgets is used.
    pub state: BudgetState,
    /// Why the ledger is not being written (records wait in memory), if so.
    pub ledger_problem: Option<String>,
    /// The date the built-in prices were taken.
    pub prices_as_of: String,
}
