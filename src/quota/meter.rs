//! The shared quota service both panes (and headless runs) hold.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::{BudgetConfig, BudgetState, PriceTable, QuotaSnapshot, Totals, UsageRecord};
use crate::provider::{RateLimitSnapshot, Usage};

/// Records usage, checks budgets, keeps rate limits. Every method but
/// [`Meter::snapshot`] is cheap (memory only; the ledger is written by a
/// background thread), so sessions may call them before every model call
/// and front ends on every frame.
pub struct Meter {
    // Filled in by the implementation.
    _private: (),
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
        let _ = (state_dir, session_id, prices, budget);
        todo!()
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
        let _ = (pane, provider, model, usage, request_id, duration);
        todo!()
    }

    /// The budgets' state now: this session's own calls plus today's and
    /// this month's totals of every process (refreshed from the ledger at
    /// most every few seconds).
    pub fn state(&self) -> BudgetState {
        todo!()
    }

    /// This session's totals of `pane` (`chat`, `run`, `exec`).
    pub fn pane_totals(&self, pane: &str) -> Totals {
        let _ = pane;
        todo!()
    }

    /// This session's totals over every pane.
    pub fn session_totals(&self) -> Totals {
        todo!()
    }

    /// Keeps `provider`'s latest rate-limit headroom.
    pub fn set_rate_limits(&self, provider: &str, snapshot: RateLimitSnapshot) {
        let _ = (provider, snapshot);
        todo!()
    }

    /// `provider`'s latest rate-limit headroom.
    pub fn rate_limits(&self, provider: &str) -> Option<RateLimitSnapshot> {
        let _ = provider;
        todo!()
    }

    /// The budgets in force.
    pub fn budget(&self) -> BudgetConfig {
        todo!()
    }

    /// Replaces the budgets for this process (`/budget` raises one live).
    pub fn set_budget(&self, budget: BudgetConfig) {
        let _ = budget;
        todo!()
    }

    /// The cost of a call, from the price table.
    pub fn cost(&self, model: &str, usage: &Usage) -> Option<f64> {
        let _ = (model, usage);
        todo!()
    }

    /// Why the ledger is not being written, if it is not.
    pub fn problem(&self) -> Option<String> {
        todo!()
    }

    /// Waits until every record so far is in the ledger (or failed); for
    /// tests and shutdown.
    pub fn flush(&self) {
        todo!()
    }

    /// Everything the quota view shows. Queries the ledger: call it off the
    /// UI thread.
    pub fn snapshot(&self) -> QuotaSnapshot {
        todo!()
    }
}
