//! Snapshot tests of the quota view at the usual sizes, with a realistic
//! snapshot, an empty ledger, a ledger that cannot be written, and before
//! the first snapshot arrives; plus its keys and scrolling.

use std::time::{Duration, SystemTime};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::{QuotaAction, QuotaView};
use crate::provider::{RateLimitSnapshot, RateLimitWindow};
use crate::quota::{
    BudgetConfig, BudgetKind, BudgetState, GroupTotals, ProviderLimits, QuotaSnapshot, Totals,
};
use crate::tui::theme::{ColorDepth, Theme};

fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_764_000_000)
}

fn totals(
    calls: u64,
    input: u64,
    output: u64,
    read: u64,
    write: u64,
    cost: f64,
    unpriced: u64,
) -> Totals {
    Totals {
        calls,
        input_tokens: input,
        output_tokens: output,
        cache_read_tokens: read,
        cache_write_tokens: write,
        reasoning_tokens: output / 4,
        cost_usd: cost,
        unpriced_calls: unpriced,
    }
}

fn group(key: &str, totals: Totals) -> GroupTotals {
    GroupTotals {
        key: key.into(),
        totals,
    }
}

fn window(limit: u64, remaining: u64, reset_secs: u64) -> Option<RateLimitWindow> {
    Some(RateLimitWindow {
        limit: Some(limit),
        remaining: Some(remaining),
        reset_after: Some(Duration::from_secs(reset_secs)),
    })
}

/// A month of use of two providers, a daily budget past its warning and a
/// model without a price.
fn realistic() -> QuotaSnapshot {
    let mut hourly = vec![0u64; 24];
    for (i, v) in [
        (8, 42_000),
        (9, 120_300),
        (10, 95_000),
        (14, 18_000),
        (20, 61_000),
        (23, 33_500),
    ] {
        hourly[i] = v;
    }
    QuotaSnapshot {
        today: totals(37, 420_000, 61_000, 810_000, 42_000, 16.82, 0),
        month: totals(512, 6_100_000, 880_000, 14_200_000, 1_300_000, 61.08, 3),
        session: totals(12, 98_000, 14_200, 190_000, 8_000, 1.12, 0),
        session_by_pane: vec![
            group("chat", totals(5, 40_000, 6_100, 80_000, 3_000, 0.48, 0)),
            group("run", totals(7, 58_000, 8_100, 110_000, 5_000, 0.64, 0)),
        ],
        month_by_model: vec![
            group(
                "anthropic · claude-sonnet-4-5",
                totals(401, 4_900_000, 700_000, 12_000_000, 1_100_000, 52.10, 0),
            ),
            group(
                "openai · gpt-5-codex",
                totals(108, 1_150_000, 170_000, 2_200_000, 200_000, 8.98, 0),
            ),
            group(
                "local · qwen3-coder-30b-a3b-instruct",
                totals(3, 50_000, 10_000, 0, 0, 0.0, 3),
            ),
        ],
        hourly_tokens: hourly,
        rate_limits: vec![
            ProviderLimits {
                provider: "anthropic".into(),
                snapshot: RateLimitSnapshot {
                    observed_at: now() - Duration::from_secs(3),
                    requests: window(4_000, 3_950, 45),
                    tokens: None,
                    input_tokens: window(400_000, 38_000, 15),
                    output_tokens: window(80_000, 79_000, 15),
                },
            },
            ProviderLimits {
                provider: "openai".into(),
                snapshot: RateLimitSnapshot {
                    observed_at: now() - Duration::from_secs(400),
                    requests: window(500, 499, 60),
                    tokens: window(30_000_000, 29_000_000, 7_500),
                    input_tokens: None,
                    output_tokens: None,
                },
            },
        ],
        budget: BudgetConfig {
            daily_usd: Some(20.0),
            monthly_usd: Some(200.0),
            ..BudgetConfig::default()
        },
        state: BudgetState::Warning {
            kind: BudgetKind::DailyUsd,
            used: 0.841,
        },
        ledger_problem: None,
        prices_as_of: "2025-11-01".into(),
    }
}

fn empty() -> QuotaSnapshot {
    QuotaSnapshot {
        today: Totals::default(),
        month: Totals::default(),
        session: Totals::default(),
        session_by_pane: Vec::new(),
        month_by_model: Vec::new(),
        hourly_tokens: vec![0; 24],
        rate_limits: Vec::new(),
        budget: BudgetConfig::default(),
        state: BudgetState::Ok { used: 0.0 },
        ledger_problem: None,
        prices_as_of: "2025-11-01".into(),
    }
}

fn drawn(view: &mut QuotaView, width: u16, height: u16) -> String {
    let theme = Theme::built_in("dark", ColorDepth::None).unwrap();
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|f| view.render(f.area(), f.buffer_mut(), &theme, now()))
        .unwrap();
    terminal.backend().to_string()
}

fn with(snapshot: QuotaSnapshot) -> QuotaView {
    let mut view = QuotaView::new();
    view.set_snapshot(snapshot);
    view
}

fn key(c: char) -> KeyEvent {
    let modifiers = if c.is_ascii_uppercase() {
        KeyModifiers::SHIFT
    } else {
        KeyModifiers::NONE
    };
    KeyEvent::new(KeyCode::Char(c), modifiers)
}

#[test]
fn quota_view_at_160x48() {
    let text = drawn(&mut with(realistic()), 160, 48);
    for shown in [
        "cost unknown for 3 calls",
        "daily_usd",
        "warning: daily_usd is 84% used",
        "anthropic · claude-sonnet-4-5",
        "resets in 42 s",
        "resets in 12 s",
        "resets in 1 h 58 min",
        "has reset",
        "24 h ago",
        "now",
        "prices as of 2025-11-01",
    ] {
        assert!(text.contains(shown), "{shown} missing:\n{text}");
    }
    assert!(!text.contains("scroll"), "everything fits at 160x48");
    insta::assert_snapshot!(text);
}

#[test]
fn quota_view_at_80x24() {
    let text = drawn(&mut with(realistic()), 80, 24);
    assert!(text.contains("this month") && text.contains("$61.08"));
    assert!(text.contains("rows 1–22 of"), "says it scrolls:\n{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn quota_view_of_an_empty_ledger() {
    let text = drawn(&mut with(empty()), 80, 40);
    assert!(text.contains("no budget set — [budget] in config.toml"));
    assert!(text.contains("no calls this month"));
    assert!(text.contains("no rate-limit headers seen yet"));
    insta::assert_snapshot!(text);
}

#[test]
fn quota_view_with_a_ledger_problem() {
    let mut snapshot = realistic();
    snapshot.ledger_problem = Some("database is locked (another tandem holds it); retrying".into());
    let text = drawn(&mut with(snapshot), 120, 30);
    assert!(text.contains("usage is kept in memory: database is locked"));
    insta::assert_snapshot!(text);
}

#[test]
fn before_the_first_snapshot_it_says_it_is_reading() {
    let text = drawn(&mut QuotaView::new(), 80, 24);
    assert!(text.contains("reading the ledger…"));
    assert!(text.contains("q / Esc close · r refresh"));
}

#[test]
fn keys_close_refresh_and_scroll() {
    let mut view = with(realistic());
    assert_eq!(view.handle_key(key('q')), QuotaAction::Close);
    assert_eq!(
        view.handle_key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)),
        QuotaAction::Close
    );
    assert_eq!(view.handle_key(key('r')), QuotaAction::Refresh);
    assert_eq!(view.handle_key(key('x')), QuotaAction::None);

    let top = drawn(&mut view, 80, 24);
    assert_eq!(view.handle_key(key('j')), QuotaAction::None);
    let down = drawn(&mut view, 80, 24);
    let second_row = |t: &str| t.lines().nth(2).unwrap().to_string();
    assert_eq!(
        second_row(&top),
        down.lines().nth(1).unwrap(),
        "moved up one row"
    );
    view.handle_key(key('G'));
    let bottom = drawn(&mut view, 80, 24);
    assert!(bottom.contains("prices as of 2025-11-01"), "{bottom}");
    assert!(!top.contains("prices as of"));
    view.handle_key(key('g'));
    assert_eq!(drawn(&mut view, 80, 24), top);
    drawn(&mut view, 80, 12);
    view.handle_key(KeyEvent::new(KeyCode::PageDown, KeyModifiers::NONE));
    let paged = drawn(&mut view, 80, 12);
    assert!(
        paged.contains("rows 11–20 of"),
        "a page is the body's height:\n{paged}"
    );
}

#[test]
fn a_refresh_keeps_the_scroll_position() {
    let mut view = with(realistic());
    drawn(&mut view, 80, 24);
    view.handle_key(key('j'));
    view.handle_key(key('j'));
    view.set_snapshot(realistic());
    assert!(drawn(&mut view, 80, 24).contains("rows 3–24"));
}

#[test]
fn any_size_draws_without_panicking() {
    let mut snapshot = realistic();
    snapshot.ledger_problem = Some("disk full".into());
    snapshot.state = BudgetState::Exhausted {
        kind: BudgetKind::MonthlyTokens,
        spent: 2.0e7,
        limit: 1.0e7,
    };
    snapshot.budget.monthly_tokens = Some(10_000_000);
    let mut view = with(snapshot);
    for width in [1, 2, 5, 13, 40, 79, 119, 120, 121, 250] {
        for height in [1, 2, 3, 10, 60] {
            view.handle_key(key('G'));
            let text = drawn(&mut view, width, height);
            assert_eq!(text.lines().count(), usize::from(height));
        }
    }
}
