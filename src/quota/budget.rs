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
        let tokens = |limit: Option<u64>| limit.map(|l| l as f64);
        let budgets = [
            (BudgetKind::SessionUsd, self.session_usd, session.cost_usd),
            (BudgetKind::DailyUsd, self.daily_usd, today.cost_usd),
            (BudgetKind::MonthlyUsd, self.monthly_usd, month.cost_usd),
            (
                BudgetKind::DailyTokens,
                tokens(self.daily_tokens),
                today.tokens() as f64,
            ),
            (
                BudgetKind::MonthlyTokens,
                tokens(self.monthly_tokens),
                month.tokens() as f64,
            ),
        ];
        let mut worst = BudgetState::Ok { used: 0.0 };
        for (kind, limit, spent) in budgets {
            let Some(limit) = limit else { continue };
            let used = fraction(spent, limit);
            let state = if spent >= limit {
                BudgetState::Exhausted { kind, spent, limit }
            } else if spent >= self.warn_at * limit {
                BudgetState::Warning { kind, used }
            } else {
                BudgetState::Ok { used }
            };
            if rank(&state) > rank(&worst) {
                worst = state;
            }
        }
        worst
    }
}

/// The used fraction of a budget (a zero budget with nothing spent is full).
fn fraction(spent: f64, limit: f64) -> f64 {
    if limit > 0.0 {
        spent / limit
    } else if spent > 0.0 {
        f64::INFINITY
    } else {
        1.0
    }
}

/// Orders states worst last: exhausted over warning over ok, then by the
/// used fraction.
fn rank(state: &BudgetState) -> (u8, f64) {
    match *state {
        BudgetState::Ok { used } => (0, used),
        BudgetState::Warning { used, .. } => (1, used),
        BudgetState::Exhausted { spent, limit, .. } => (2, fraction(spent, limit)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd(cost: f64) -> Totals {
        Totals {
            calls: 1,
            cost_usd: cost,
            ..Totals::default()
        }
    }

    fn tokens(input: u64, output: u64, cache_read: u64, cache_write: u64) -> Totals {
        Totals {
            calls: 1,
            input_tokens: input,
            output_tokens: output,
            cache_read_tokens: cache_read,
            cache_write_tokens: cache_write,
            ..Totals::default()
        }
    }

    fn none() -> Totals {
        Totals::default()
    }

    #[test]
    fn no_budget_is_always_ok() {
        let state = BudgetConfig::default().state(&usd(1e6), &usd(1e6), &usd(1e6));
        assert_eq!(state, BudgetState::Ok { used: 0.0 });
    }

    #[test]
    fn daily_usd_boundaries() {
        let budget = BudgetConfig {
            daily_usd: Some(10.0),
            ..BudgetConfig::default()
        };
        assert_eq!(
            budget.state(&none(), &usd(7.5), &none()),
            BudgetState::Ok { used: 0.75 }
        );
        assert_eq!(
            budget.state(&none(), &usd(8.0), &none()),
            BudgetState::Warning {
                kind: BudgetKind::DailyUsd,
                used: 0.8
            }
        );
        assert_eq!(
            budget.state(&none(), &usd(9.5), &none()),
            BudgetState::Warning {
                kind: BudgetKind::DailyUsd,
                used: 0.95
            }
        );
        assert_eq!(
            budget.state(&none(), &usd(10.0), &none()),
            BudgetState::Exhausted {
                kind: BudgetKind::DailyUsd,
                spent: 10.0,
                limit: 10.0
            }
        );
    }

    #[test]
    fn token_budgets_count_every_billed_token() {
        let budget = BudgetConfig {
            monthly_tokens: Some(1000),
            ..BudgetConfig::default()
        };
        // 400 + 300 + 200 + 100 = 1000 tokens: exhausted.
        assert_eq!(
            budget.state(&none(), &none(), &tokens(400, 300, 200, 100)),
            BudgetState::Exhausted {
                kind: BudgetKind::MonthlyTokens,
                spent: 1000.0,
                limit: 1000.0
            }
        );
        assert_eq!(
            budget.state(&none(), &none(), &tokens(400, 300, 200, 99)),
            BudgetState::Warning {
                kind: BudgetKind::MonthlyTokens,
                used: 0.999
            }
        );
    }

    #[test]
    fn the_worst_budget_wins() {
        let budget = BudgetConfig {
            session_usd: Some(1.0),
            daily_usd: Some(10.0),
            monthly_usd: Some(100.0),
            daily_tokens: Some(1_000_000),
            ..BudgetConfig::default()
        };
        // Session 50 %, day 85 % (warning), month 100 % (exhausted).
        let state = budget.state(&usd(0.5), &usd(8.5), &usd(100.0));
        assert_eq!(
            state,
            BudgetState::Exhausted {
                kind: BudgetKind::MonthlyUsd,
                spent: 100.0,
                limit: 100.0
            }
        );
        // Without the monthly overrun the daily warning is the worst.
        let state = budget.state(&usd(0.5), &usd(8.5), &usd(20.0));
        assert_eq!(
            state,
            BudgetState::Warning {
                kind: BudgetKind::DailyUsd,
                used: 0.85
            }
        );
        // All under: ok with the largest fraction.
        let state = budget.state(&usd(0.5), &usd(1.0), &usd(20.0));
        assert_eq!(state, BudgetState::Ok { used: 0.5 });
    }

    #[test]
    fn warn_at_is_configurable() {
        let budget = BudgetConfig {
            session_usd: Some(2.0),
            warn_at: 0.5,
            ..BudgetConfig::default()
        };
        assert!(matches!(
            budget.state(&usd(1.0), &none(), &none()),
            BudgetState::Warning {
                kind: BudgetKind::SessionUsd,
                ..
            }
        ));
        assert!(matches!(
            budget.state(&usd(0.99), &none(), &none()),
            BudgetState::Ok { .. }
        ));
    }
}
