//! Budgets: how much both agents may spend, and how much of it is used.

use serde::{Deserialize, Serialize};

use super::Totals;

/// `[budget]` in config.toml. Every limit is optional; none means no limit.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetConfig {
    /// USD this session (both panes) may spend.
    pub session_usd: Option<f64>,
    /// USD per local day, over every tandem process.
    pub daily_usd: Option<f64>,
    /// USD per calendar month.
    pub monthly_usd: Option<f64>,
    /// Tokens per local day (for plans counted in tokens).
    pub daily_tokens: Option<u64>,
    /// Tokens per calendar month.
    pub monthly_tokens: Option<u64>,
    /// The fraction of a budget at which the meter warns (default 0.8).
    pub warn_at: f64,
}

impl Default for BudgetConfig {
    fn default() -> Self {
        Self {
            session_usd: None,
            daily_usd: None,
            monthly_usd: None,
            daily_tokens: None,
            monthly_tokens: None,
            warn_at: 0.8,
        }
    }
}

/// Which budget a state is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BudgetKind {
    SessionUsd,
    DailyUsd,
    MonthlyUsd,
    DailyTokens,
    MonthlyTokens,
}

impl BudgetKind {
    /// The config key (`daily_usd`), as users set it.
    pub fn key(self) -> &'static str {
        match self {
            BudgetKind::SessionUsd => "session_usd",
            BudgetKind::DailyUsd => "daily_usd",
            BudgetKind::MonthlyUsd => "monthly_usd",
            BudgetKind::DailyTokens => "daily_tokens",
            BudgetKind::MonthlyTokens => "monthly_tokens",
        }
    }
}

/// How much of the budgets is used: the worst of them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum BudgetState {
    /// No budget set, or every budget under its warning fraction.
    Ok {
        /// The largest used fraction of any budget (0 when none is set).
        used: f64,
    },
    /// A budget passed its warning fraction.
    Warning {
        /// Which one.
        kind: BudgetKind,
        /// Its used fraction (≥ `warn_at`, < 1).
        used: f64,
    },
    /// A budget is spent: the next model call waits for the user.
    Exhausted {
        /// Which one.
        kind: BudgetKind,
        /// What was used (USD or tokens).
        spent: f64,
        /// The limit (USD or tokens).
        limit: f64,
    },
}

impl BudgetConfig {
    /// The state of the budgets given what this session, today and this
    /// month used.
    pub fn state(&self, session: &Totals, today: &Totals, month: &Totals) -> BudgetState {
        let _ = (session, today, month);
        todo!()
    }
}
