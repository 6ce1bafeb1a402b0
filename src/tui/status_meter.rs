//! The status bar's quota meter: each pane's tokens, cost and context fill,
//! a budget gauge, the rate-limit headroom and a key hint, on one line.
//!
//! The line always fills the width it is given exactly: when everything
//! does not fit, parts are dropped or shortened in a fixed order (see
//! `STEPS`) and, past that, cut with `…`. It never wraps, so the bar stays
//! one row at any terminal size.

use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use super::history::truncate;
use super::theme::Theme;
use super::view::tokens;
use crate::quota::{BudgetKind, BudgetState};

/// What the meter shows of one pane.
#[derive(Debug, Clone, PartialEq)]
pub struct PaneMeter {
    /// `Chat` or `Run`.
    pub label: &'static str,
    /// Every token the pane's session was billed for.
    pub tokens: u64,
    /// What those cost; `None` when a model has no price, shown as `$?`
    /// rather than a misleading `$0.00`.
    pub cost_usd: Option<f64>,
    /// How full the context window is (0..=1), when the window is known.
    pub context_fraction: Option<f64>,
    /// Whether a turn is running, so the user sees which pane is spending.
    pub busy: bool,
}

/// Everything the meter line is drawn from, gathered by the front end.
#[derive(Debug, Clone, PartialEq)]
pub struct MeterInputs {
    /// Chat and Run, in screen order.
    pub panes: [PaneMeter; 2],
    /// The worst budget. `Ok { used: 0 }` (no budget set, or nothing spent
    /// yet) draws no gauge, so users without a budget see no noise.
    pub budget: BudgetState,
    /// The fraction left of the tightest rate-limit window of the focused
    /// pane's provider, when it sent rate-limit headers.
    pub rate_headroom: Option<f64>,
    /// Why a pane's model calls are held (`paused: budget`), if they are:
    /// it is the first thing the line shows and the last it drops.
    pub paused: Option<String>,
}

/// Which parts a line carries; each step of [`STEPS`] drops one more.
#[derive(Debug, Clone, Copy)]
struct Detail {
    ctx: bool,
    rate: bool,
    bar: bool,
    tok_word: bool,
    hint: bool,
    costs: bool,
    panes: bool,
    gauge: bool,
}

impl Detail {
    /// The first `n` of the parts, in the order they give way, turned off.
    const fn without_first(n: usize) -> Detail {
        Detail {
            ctx: n < 1,
            rate: n < 2,
            bar: n < 3,
            tok_word: n < 4,
            hint: n < 5,
            costs: n < 6,
            panes: n < 7,
            gauge: n < 8,
        }
    }
}

/// The order in which parts give way when the line is too long: context
/// fill, rate headroom, the gauge's bar, the word "tok", the hint, costs,
/// the panes, the gauge. A pause and a spent budget are never dropped.
const STEPS: [Detail; 9] = [
    Detail::without_first(0),
    Detail::without_first(1),
    Detail::without_first(2),
    Detail::without_first(3),
    Detail::without_first(4),
    Detail::without_first(5),
    Detail::without_first(6),
    Detail::without_first(7),
    Detail::without_first(8),
];

/// The fewest spaces between the parts and the hint, so they never run
/// together.
const HINT_GAP: usize = 3;

/// Cells inside the gauge's bar.
const BAR_CELLS: usize = 8;

/// The meter as one line exactly `width` cells wide: the parts on the left,
/// `hint` on the right, shortened as `STEPS` says until it fits.
pub fn meter_line(
    inputs: &MeterInputs,
    hint: Span<'static>,
    width: u16,
    theme: &Theme,
) -> Line<'static> {
    let width = usize::from(width);
    for detail in STEPS {
        let left = parts(inputs, detail, theme);
        let hint = detail.hint.then(|| hint.clone());
        let hint_width = hint.as_ref().map_or(0, |h| h.width() + 1);
        let left_width = spans_width(&left);
        let gap = if !left.is_empty() && hint.is_some() {
            HINT_GAP
        } else {
            0
        };
        if 1 + left_width + gap + hint_width <= width {
            let mut spans = vec![Span::raw(" ")];
            spans.extend(left);
            let pad = width - 1 - left_width - hint_width;
            spans.push(Span::raw(" ".repeat(pad)));
            if let Some(hint) = hint {
                spans.push(hint);
                spans.push(Span::raw(" "));
            }
            return Line::from(spans);
        }
    }
    let mut spans = vec![Span::raw(" ")];
    spans.extend(parts(inputs, STEPS[STEPS.len() - 1], theme));
    let mut spans = cut_spans(spans, width);
    let used = spans_width(&spans);
    spans.push(Span::raw(" ".repeat(width - used)));
    Line::from(spans)
}

/// The left-hand parts for one level of detail, separated by ` │ `.
fn parts(inputs: &MeterInputs, detail: Detail, theme: &Theme) -> Vec<Span<'static>> {
    let mut parts: Vec<Vec<Span<'static>>> = Vec::new();
    if let Some(paused) = &inputs.paused {
        parts.push(vec![Span::styled(paused.clone(), theme.error)]);
    }
    if detail.panes {
        for pane in &inputs.panes {
            parts.push(pane_part(pane, detail, theme));
        }
    }
    if let Some(gauge) = gauge_part(inputs.budget, detail, theme) {
        parts.push(gauge);
    }
    if detail.rate
        && let Some(headroom) = inputs.rate_headroom
    {
        let pct = percent(headroom);
        let style = if pct < 10 {
            theme.error
        } else if pct < 30 {
            theme.warning
        } else {
            theme.dim
        };
        parts.push(vec![Span::styled(format!("rate {pct}%"), style)]);
    }
    let mut spans = Vec::new();
    for (i, part) in parts.into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" │ ", theme.border));
        }
        spans.extend(part);
    }
    spans
}

fn pane_part(pane: &PaneMeter, detail: Detail, theme: &Theme) -> Vec<Span<'static>> {
    let label_style = if pane.busy {
        theme.accent.add_modifier(Modifier::BOLD)
    } else {
        theme.text.add_modifier(Modifier::BOLD)
    };
    let label = if pane.busy {
        format!("{}●", pane.label)
    } else {
        pane.label.to_string()
    };
    let mut spans = vec![
        Span::styled(label, label_style),
        Span::styled(
            if detail.tok_word {
                format!(" {} tok", tokens(pane.tokens))
            } else {
                format!(" {}", tokens(pane.tokens))
            },
            theme.dim,
        ),
    ];
    if detail.costs {
        let cost = match pane.cost_usd {
            Some(usd) => usd_text(usd),
            None => "$?".to_string(),
        };
        spans.push(Span::styled(format!(" {cost}"), theme.text));
    }
    if detail.ctx
        && let Some(fraction) = pane.context_fraction
    {
        let pct = percent(fraction);
        let style = match pct {
            0..=69 => theme.dim,
            70..=89 => theme.warning,
            _ => theme.error,
        };
        spans.push(Span::styled(format!(" ctx {pct}%"), style));
    }
    spans
}

fn gauge_part(state: BudgetState, detail: Detail, theme: &Theme) -> Option<Vec<Span<'static>>> {
    let (used, kind, style) = match state {
        BudgetState::Exhausted { kind, spent, limit } => {
            let text = if detail.costs {
                format!(
                    "budget spent: {} {}/{}",
                    kind.key(),
                    amount(kind, spent),
                    amount(kind, limit)
                )
            } else if detail.gauge {
                format!("budget spent: {}", kind.key())
            } else {
                "budget spent".to_string()
            };
            return Some(vec![Span::styled(text, theme.error)]);
        }
        _ if !detail.gauge => return None,
        BudgetState::Ok { used } if used <= 0.0 || used.is_nan() => return None,
        BudgetState::Ok { used } => (used, None, theme.dim),
        BudgetState::Warning { kind, used } => (used, Some(kind), theme.warning),
    };
    let mut text = String::from("budget ");
    if detail.bar {
        text.push_str(&bar(used, BAR_CELLS));
        text.push(' ');
    }
    text.push_str(&format!("{}%", percent(used)));
    if let Some(kind) = kind {
        text.push(' ');
        text.push_str(kind_word(kind));
    }
    Some(vec![Span::styled(text, style)])
}

/// A short word for the budget a warning is about.
fn kind_word(kind: BudgetKind) -> &'static str {
    match kind {
        BudgetKind::SessionUsd => "session",
        BudgetKind::DailyUsd => "daily",
        BudgetKind::MonthlyUsd => "monthly",
        BudgetKind::DailyTokens => "daily tokens",
        BudgetKind::MonthlyTokens => "monthly tokens",
    }
}

/// A budget amount in its unit: dollars or tokens.
pub(super) fn amount(kind: BudgetKind, value: f64) -> String {
    match kind {
        BudgetKind::SessionUsd | BudgetKind::DailyUsd | BudgetKind::MonthlyUsd => usd_text(value),
        BudgetKind::DailyTokens | BudgetKind::MonthlyTokens => tokens(value.max(0.0) as u64),
    }
}

/// Dollars with cents: `$0.42`, `$20.00`.
pub(super) fn usd_text(usd: f64) -> String {
    format!("${:.2}", usd.max(0.0))
}

/// A fraction as a whole percentage, clamped to 0..=999 so odd inputs
/// (negative, NaN, far over) cannot blow up the layout.
pub(super) fn percent(fraction: f64) -> u64 {
    if fraction.is_nan() {
        return 0;
    }
    (fraction * 100.0).round().clamp(0.0, 999.0) as u64
}

/// A gauge `▕████▍   ▏` of `cells` inner cells, filled to `fraction` in
/// eighths of a cell.
pub(super) fn bar(fraction: f64, cells: usize) -> String {
    const PARTIAL: [char; 8] = [' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
    let fraction = if fraction.is_nan() {
        0.0
    } else {
        fraction.clamp(0.0, 1.0)
    };
    let eighths = (fraction * (cells * 8) as f64).round() as usize;
    let mut out = String::from("▕");
    for cell in 0..cells {
        let filled = eighths.saturating_sub(cell * 8).min(8);
        out.push(if filled == 8 { '█' } else { PARTIAL[filled] });
    }
    out.push('▏');
    out
}

fn spans_width(spans: &[Span<'_>]) -> usize {
    spans.iter().map(Span::width).sum()
}

/// Spans cut to at most `width` columns, the last one ending in `…`.
fn cut_spans(spans: Vec<Span<'static>>, width: usize) -> Vec<Span<'static>> {
    let total = spans_width(&spans);
    if total <= width {
        return spans;
    }
    let mut out = Vec::new();
    let mut used = 0;
    for span in spans {
        let w = span.width();
        if used + w < width {
            used += w;
            out.push(span);
            continue;
        }
        let room = width - used;
        let style: Style = span.style;
        out.push(Span::styled(truncate(&span.content, room), style));
        break;
    }
    out
}

#[cfg(test)]
mod tests {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use ratatui::style::Stylize;

    use super::*;
    use crate::tui::theme::ColorDepth;

    fn plain_theme() -> Theme {
        Theme::built_in("dark", ColorDepth::None).unwrap()
    }

    fn color_theme() -> Theme {
        Theme::built_in("dark", ColorDepth::TrueColor).unwrap()
    }

    fn inputs(budget: BudgetState) -> MeterInputs {
        MeterInputs {
            panes: [
                PaneMeter {
                    label: "Chat",
                    tokens: 12_345,
                    cost_usd: Some(0.42),
                    context_fraction: Some(0.31),
                    busy: false,
                },
                PaneMeter {
                    label: "Run",
                    tokens: 1_234_567,
                    cost_usd: Some(3.1),
                    context_fraction: Some(0.74),
                    busy: true,
                },
            ],
            budget,
            rate_headroom: Some(0.84),
            paused: None,
        }
    }

    fn hint() -> Span<'static> {
        Span::raw("Tab switch · Ctrl-Q quota · F1 help").dim()
    }

    /// The line drawn into a one-row terminal, as the user would see it.
    fn drawn(inputs: &MeterInputs, width: u16) -> String {
        let theme = plain_theme();
        let line = meter_line(inputs, hint(), width, &theme);
        let mut terminal = Terminal::new(TestBackend::new(width, 1)).unwrap();
        terminal.draw(|f| f.render_widget(line, f.area())).unwrap();
        terminal.backend().to_string()
    }

    fn at_three_widths(inputs: &MeterInputs) -> String {
        [80, 120, 200]
            .map(|w| drawn(inputs, w).trim_end().to_string())
            .join("\n")
    }

    fn text(line: &Line<'_>) -> String {
        line.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn meter_without_a_budget() {
        let shown = at_three_widths(&inputs(BudgetState::Ok { used: 0.0 }));
        assert!(!shown.contains("budget"), "no gauge without a budget");
        assert!(shown.contains("Chat 12.3k tok $0.42 ctx 31%"));
        insta::assert_snapshot!(shown);
    }

    #[test]
    fn meter_with_a_budget_warning() {
        let shown = at_three_widths(&inputs(BudgetState::Warning {
            kind: BudgetKind::DailyUsd,
            used: 0.86,
        }));
        assert!(shown.contains("budget ▕██████▉ ▏ 86% daily"));
        insta::assert_snapshot!(shown);
    }

    #[test]
    fn meter_with_a_spent_budget_and_a_paused_run() {
        let mut inputs = inputs(BudgetState::Exhausted {
            kind: BudgetKind::DailyUsd,
            spent: 20.0,
            limit: 20.0,
        });
        inputs.paused = Some("Run paused: budget".into());
        let shown = at_three_widths(&inputs);
        assert!(shown.contains("budget spent: daily_usd $20.00/$20.00"));
        for row in shown.lines() {
            assert!(row.contains("Run paused: budget"), "always shown: {row}");
        }
        insta::assert_snapshot!(shown);
    }

    #[test]
    fn meter_with_an_unknown_cost() {
        let mut inputs = inputs(BudgetState::Ok { used: 0.4 });
        inputs.panes[1].cost_usd = None;
        let shown = at_three_widths(&inputs);
        assert!(shown.contains("Run● 1.2M tok $?"));
        assert!(shown.contains("budget ▕███▎    ▏ 40%"));
        insta::assert_snapshot!(shown);
    }

    #[test]
    fn the_line_fills_every_width_exactly_and_never_panics() {
        let mut spent = inputs(BudgetState::Exhausted {
            kind: BudgetKind::MonthlyTokens,
            spent: 2.0e6,
            limit: 2.0e6,
        });
        spent.paused = Some("paused: budget".into());
        let cases = [
            inputs(BudgetState::Ok { used: 0.0 }),
            inputs(BudgetState::Warning {
                kind: BudgetKind::SessionUsd,
                used: f64::NAN,
            }),
            spent,
        ];
        let theme = plain_theme();
        for case in &cases {
            for width in 1..=220u16 {
                let line = meter_line(case, hint(), width, &theme);
                assert_eq!(line.width(), usize::from(width), "{}", text(&line));
            }
        }
    }

    #[test]
    fn parts_give_way_in_order_as_the_width_shrinks() {
        let inputs = inputs(BudgetState::Warning {
            kind: BudgetKind::DailyUsd,
            used: 0.62,
        });
        let theme = plain_theme();
        let at = |w: u16| text(&meter_line(&inputs, hint(), w, &theme));
        let wide = at(200);
        assert!(wide.contains("ctx 31%") && wide.contains("rate 84%"));
        let eighty = at(80);
        assert!(!eighty.contains("ctx"), "ctx goes first: {eighty}");
        assert!(
            eighty.contains("$0.42") && eighty.contains("budget 62% daily"),
            "costs and the gauge stay at 80 columns: {eighty}"
        );
        assert!(
            !eighty.contains("F1 help"),
            "the hint gives way first: {eighty}"
        );
        assert!(at(120).contains("F1 help"));
        let mut seen_without_rate_with_costs = false;
        for w in (1..=200).rev() {
            let line = at(w);
            if !line.contains("rate") && line.contains("$0.42") {
                seen_without_rate_with_costs = true;
            }
            if line.contains("rate") {
                assert!(line.contains("$0.42"), "costs outlive rate at {w}: {line}");
            }
            if line.contains('$') {
                assert!(
                    line.contains("budget"),
                    "the gauge outlives costs at {w}: {line}"
                );
            }
        }
        assert!(seen_without_rate_with_costs);
        assert_eq!(at(10).chars().count(), 10);
    }

    #[test]
    fn the_gauge_turns_warning_then_error() {
        let theme = color_theme();
        let gauge_style = |state: BudgetState| {
            let line = meter_line(&inputs(state), hint(), 200, &theme);
            line.spans
                .iter()
                .find(|s| s.content.starts_with("budget"))
                .map(|s| s.style)
                .unwrap()
        };
        assert_eq!(gauge_style(BudgetState::Ok { used: 0.5 }), theme.dim);
        let warning = BudgetState::Warning {
            kind: BudgetKind::MonthlyUsd,
            used: 0.9,
        };
        assert_eq!(gauge_style(warning), theme.warning);
        let spent = BudgetState::Exhausted {
            kind: BudgetKind::MonthlyUsd,
            spent: 51.0,
            limit: 50.0,
        };
        assert_eq!(gauge_style(spent), theme.error);
    }

    #[test]
    fn gauges_fill_in_eighths_and_clamp() {
        assert_eq!(bar(0.0, 4), "▕    ▏");
        assert_eq!(bar(0.5, 4), "▕██  ▏");
        assert_eq!(bar(0.56, 4), "▕██▎ ▏");
        assert_eq!(bar(7.0, 4), "▕████▏");
        assert_eq!(bar(-1.0, 2), "▕  ▏");
        assert_eq!(percent(f64::INFINITY), 999);
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(amount(BudgetKind::DailyTokens, 2_000_000.0), "2.0M");
    }
}
