//! `tandem usage`: the ledger's figures on the command line, as a table or
//! JSON for scripts.

use std::path::Path;

use serde::Serialize;

use super::ledger::GroupBy;
use super::{GroupTotals, Ledger, LedgerError, Totals, clock};
use crate::headless::exit;

/// The usage of one period, grouped one way.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The first day counted, `YYYY-MM-DD` (local).
    pub since: String,
    /// `model`, `pane` or `day`.
    pub by: &'static str,
    /// One entry per group; days oldest first, otherwise largest cost first.
    pub groups: Vec<GroupTotals>,
    /// Every group together.
    pub total: Totals,
}

impl Report {
    /// Reads the ledger at `path` from `since` (Unix seconds) on. A missing
    /// ledger is an empty report (nothing was recorded yet); it is not
    /// created.
    pub fn read(path: &Path, by: GroupBy, since: i64) -> Result<Self, LedgerError> {
        let (groups, total) = if path.exists() {
            let ledger = Ledger::open(path)?;
            let mut groups = ledger.grouped(by, since, i64::MAX, clock::utc_offset(since))?;
            if by == GroupBy::Day {
                groups.sort_by(|a, b| a.key.cmp(&b.key));
            }
            (groups, ledger.totals(since, i64::MAX)?)
        } else {
            (Vec::new(), Totals::default())
        };
        Ok(Self {
            since: clock::format_date(since),
            by: by.name(),
            groups,
            total,
        })
    }

    /// The report as an aligned table with a total line.
    pub fn table(&self) -> String {
        let header = [
            self.by.to_string(),
            "calls".into(),
            "input".into(),
            "output".into(),
            "cache read".into(),
            "cache write".into(),
            "cost".into(),
        ];
        let mut rows = vec![header];
        let total = GroupTotals {
            key: "total".into(),
            totals: self.total,
        };
        for group in self.groups.iter().chain(std::iter::once(&total)) {
            let t = &group.totals;
            rows.push([
                group.key.clone(),
                t.calls.to_string(),
                t.input_tokens.to_string(),
                t.output_tokens.to_string(),
                t.cache_read_tokens.to_string(),
                t.cache_write_tokens.to_string(),
                cost_text(t),
            ]);
        }
        let mut widths = [0usize; 7];
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(unicode_width::UnicodeWidthStr::width(cell.as_str()));
            }
        }
        let mut out = format!("Usage since {}\n", self.since);
        let last = rows.len() - 1;
        for (i, row) in rows.iter().enumerate() {
            if i == last {
                let rule: usize = widths.iter().sum::<usize>() + 2 * (widths.len() - 1);
                out.push_str(&"-".repeat(rule));
                out.push('\n');
            }
            let mut line = String::new();
            for (j, (cell, width)) in row.iter().zip(widths).enumerate() {
                let pad = width - unicode_width::UnicodeWidthStr::width(cell.as_str());
                if j > 0 {
                    line.push_str("  ");
                }
                if j == 0 {
                    line.push_str(cell);
                    line.push_str(&" ".repeat(pad));
                } else {
                    line.push_str(&" ".repeat(pad));
                    line.push_str(cell);
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

/// `$1.23`, `$1.23 + 2 unpriced calls`, or `unknown` when no call had a
/// price.
pub fn cost_text(totals: &Totals) -> String {
    let priced = totals.calls - totals.unpriced_calls.min(totals.calls);
    let plural = |n: u64| if n == 1 { "call" } else { "calls" };
    match (priced, totals.unpriced_calls) {
        (_, 0) => format!("${:.2}", totals.cost_usd),
        (0, _) => "unknown".to_string(),
        (_, n) => format!("${:.2} + {n} unpriced {}", totals.cost_usd, plural(n)),
    }
}

/// Runs `tandem usage`; returns the exit code.
pub fn run(since: Option<&str>, by: GroupBy, json: bool) -> i32 {
    let dirs = match crate::paths::Dirs::from_env() {
        Ok(dirs) => dirs,
        Err(e) => {
            eprintln!("tandem: {e}");
            return exit::USAGE;
        }
    };
    let since = match since {
        None => clock::month_start(clock::now()),
        Some(text) => match clock::parse_date(text) {
            Some(t) => t,
            None => {
                eprintln!("tandem usage: --since wants a date as YYYY-MM-DD, not {text:?}");
                return exit::USAGE;
            }
        },
    };
    let report = match Report::read(&Ledger::path_in(&dirs.state), by, since) {
        Ok(report) => report,
        Err(e) => {
            eprintln!("tandem usage: {e}");
            return exit::FAILURE;
        }
    };
    let text = if json {
        match serde_json::to_string(&report) {
            Ok(text) => text + "\n",
            Err(e) => {
                eprintln!("tandem usage: cannot write JSON: {e}");
                return exit::FAILURE;
            }
        }
    } else {
        report.table()
    };
    use std::io::Write;
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Ok(()) => exit::OK,
        Err(_) => exit::FAILURE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn totals(calls: u64, cost: f64, unpriced: u64) -> Totals {
        Totals {
            calls,
            input_tokens: 1200,
            output_tokens: 34,
            cost_usd: cost,
            unpriced_calls: unpriced,
            ..Totals::default()
        }
    }

    #[test]
    fn cost_says_unknown_for_unpriced_calls() {
        assert_eq!(cost_text(&totals(3, 1.234, 0)), "$1.23");
        assert_eq!(cost_text(&totals(5, 1.234, 2)), "$1.23 + 2 unpriced calls");
        assert_eq!(cost_text(&totals(2, 0.5, 1)), "$0.50 + 1 unpriced call");
        assert_eq!(cost_text(&totals(2, 0.0, 2)), "unknown");
        assert_eq!(cost_text(&Totals::default()), "$0.00");
    }

    #[test]
    fn table_columns_line_up_and_end_with_the_total() {
        let report = Report {
            since: "2026-11-01".into(),
            by: "model",
            groups: vec![
                GroupTotals {
                    key: "anthropic · claude-sonnet-4-5".into(),
                    totals: totals(3, 1.5, 0),
                },
                GroupTotals {
                    key: "ollama · qwen".into(),
                    totals: totals(1, 0.0, 1),
                },
            ],
            total: totals(4, 1.5, 1),
        };
        let table = report.table();
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines[0], "Usage since 2026-11-01");
        assert!(lines[1].starts_with("model "), "{table}");
        assert!(
            lines[2].starts_with("anthropic · claude-sonnet-4-5  "),
            "{table}"
        );
        assert!(lines[3].ends_with("unknown"), "{table}");
        assert!(lines[4].chars().all(|c| c == '-'), "{table}");
        assert!(lines[5].starts_with("total ") && lines[5].ends_with("$1.50 + 1 unpriced call"));
        // The last column is right-aligned, so every row is as wide as the
        // rule above the total.
        let width = |s: &str| unicode_width::UnicodeWidthStr::width(s);
        for line in &lines[1..] {
            assert_eq!(width(line), width(lines[4]), "{table}");
        }
    }
}
