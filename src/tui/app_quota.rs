//! The app's side of the quota: the full quota view (Ctrl-Q, `/quota`) and
//! `/budget` to see and change the budgets of this process while it runs.

use crossterm::event::KeyEvent;

use super::app::{App, Effect};
use super::history::NoticeKind;
use super::quota_view::QuotaAction;
use crate::quota::{BudgetConfig, BudgetKind};

/// The budgets `/budget` can set, in the order it lists them.
const KINDS: [BudgetKind; 5] = [
    BudgetKind::SessionUsd,
    BudgetKind::DailyUsd,
    BudgetKind::MonthlyUsd,
    BudgetKind::DailyTokens,
    BudgetKind::MonthlyTokens,
];

impl App {
    /// Opens the quota view (reading the ledger in the background), or
    /// closes it.
    pub(super) fn toggle_quota(&mut self) {
        if self.quota_focused {
            self.quota_focused = false;
        } else if self.meter.is_some() {
            self.quota_focused = true;
            self.effects.push(Effect::RefreshQuota);
        } else {
            self.flash("no usage meter in this session");
        }
    }

    /// A key while the quota view has the keyboard.
    pub(super) fn quota_key(&mut self, key: KeyEvent) {
        if self.full_screen_global_key(&key) {
            return;
        }
        match self.quota_view.handle_key(key) {
            QuotaAction::None => {}
            QuotaAction::Close => self.quota_focused = false,
            QuotaAction::Refresh => self.effects.push(Effect::RefreshQuota),
        }
    }

    /// `/budget` lists the budgets; `/budget KEY VALUE` sets one for this
    /// process (`off` removes it), e.g. to let a paused Run go on.
    pub(super) fn budget_command(&mut self, args: &str) {
        let Some(meter) = self.meter.clone() else {
            self.flash("no usage meter in this session");
            return;
        };
        let mut budget = meter.budget();
        let mut words = args.split_whitespace();
        let (text, kind) = match (words.next(), words.next(), words.next()) {
            (None, _, _) => (describe(&budget), NoticeKind::Info),
            (Some(key), Some(value), None) => match set(&mut budget, key, value) {
                Ok(()) => {
                    meter.set_budget(budget.clone());
                    (
                        format!("budget for this session: {}", describe(&budget)),
                        NoticeKind::Info,
                    )
                }
                Err(e) => (e, NoticeKind::Warning),
            },
            _ => (
                "usage: /budget [KEY VALUE], KEY one of session_usd, daily_usd, monthly_usd, \
                 daily_tokens, monthly_tokens; VALUE a number or off"
                    .to_string(),
                NoticeKind::Warning,
            ),
        };
        self.focused().history.push_notice(text, kind);
    }
}

/// "daily_usd $20.00 · monthly_tokens 100000000 (warn at 80%)".
fn describe(b: &BudgetConfig) -> String {
    let mut parts = Vec::new();
    for kind in KINDS {
        match kind {
            BudgetKind::DailyTokens | BudgetKind::MonthlyTokens => {
                if let Some(v) = tokens_of(b, kind) {
                    parts.push(format!("{} {v}", kind.key()));
                }
            }
            _ => {
                if let Some(v) = usd_of(b, kind) {
                    parts.push(format!("{} ${v:.2}", kind.key()));
                }
            }
        }
    }
    if parts.is_empty() {
        "no budget set ([budget] in config.toml, or /budget KEY VALUE)".to_string()
    } else {
        format!("{} (warn at {:.0}%)", parts.join(" · "), b.warn_at * 100.0)
    }
}

fn usd_of(b: &BudgetConfig, kind: BudgetKind) -> Option<f64> {
    match kind {
        BudgetKind::SessionUsd => b.session_usd,
        BudgetKind::DailyUsd => b.daily_usd,
        BudgetKind::MonthlyUsd => b.monthly_usd,
        BudgetKind::DailyTokens | BudgetKind::MonthlyTokens => None,
    }
}

fn tokens_of(b: &BudgetConfig, kind: BudgetKind) -> Option<u64> {
    match kind {
        BudgetKind::DailyTokens => b.daily_tokens,
        BudgetKind::MonthlyTokens => b.monthly_tokens,
        _ => None,
    }
}

/// Sets `key` to `value` (`off` clears it).
fn set(b: &mut BudgetConfig, key: &str, value: &str) -> Result<(), String> {
    let kind = KINDS
        .into_iter()
        .find(|k| k.key() == key)
        .ok_or_else(|| format!("/budget: unknown budget `{key}`; one of session_usd, daily_usd, monthly_usd, daily_tokens, monthly_tokens"))?;
    let off = value == "off";
    let bad = || format!("/budget: `{value}` is not a number (or off)");
    match kind {
        BudgetKind::DailyTokens | BudgetKind::MonthlyTokens => {
            let v = if off {
                None
            } else {
                Some(value.replace('_', "").parse::<u64>().map_err(|_| bad())?)
            };
            match kind {
                BudgetKind::DailyTokens => b.daily_tokens = v,
                _ => b.monthly_tokens = v,
            }
        }
        _ => {
            let v = if off {
                None
            } else {
                let v = value
                    .trim_start_matches('$')
                    .parse::<f64>()
                    .map_err(|_| bad())?;
                if !v.is_finite() || v < 0.0 {
                    return Err(bad());
                }
                Some(v)
            };
            match kind {
                BudgetKind::SessionUsd => b.session_usd = v,
                BudgetKind::DailyUsd => b.daily_usd = v,
                _ => b.monthly_usd = v,
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_parses_usd_and_tokens_and_off() {
        let mut b = BudgetConfig::default();
        set(&mut b, "daily_usd", "$20").unwrap();
        set(&mut b, "monthly_tokens", "100_000").unwrap();
        assert_eq!(b.daily_usd, Some(20.0));
        assert_eq!(b.monthly_tokens, Some(100_000));
        assert_eq!(
            describe(&b),
            "daily_usd $20.00 · monthly_tokens 100000 (warn at 80%)"
        );
        set(&mut b, "daily_usd", "off").unwrap();
        assert_eq!(b.daily_usd, None);
        assert!(set(&mut b, "daily_usd", "-3").is_err());
        assert!(
            set(&mut b, "weekly_usd", "3")
                .unwrap_err()
                .contains("unknown budget")
        );
        assert!(
            set(&mut b, "daily_tokens", "lots")
                .unwrap_err()
                .contains("not a number")
        );
    }
}
