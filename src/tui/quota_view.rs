//! The quota view: what both agents used and spent, against the budgets and
//! the providers' rate limits, on one full screen.
//!
//! It draws a [`QuotaSnapshot`] (computed off the UI thread) and nothing
//! else: totals for today, this month and this session, the budgets with
//! gauges, cost per provider and model, the session per pane, tokens per
//! hour over the last day, rate-limit windows with a reset countdown, and
//! notes (the ledger not being written, the prices' date). The page is laid
//! out in one column, or two from 120 columns, into an off-screen buffer and
//! scrolled with the keys of [`Context::Quota`], so a short terminal cuts
//! the page rather than squeezing it.

use std::time::{Duration, SystemTime};

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Sparkline, Widget};

use super::history::truncate;
use super::keymap::{self, Action, Context};
use super::status_meter::{amount, bar, percent, usd_text};
use super::theme::Theme;
use super::view::tokens;
use crate::provider::RateLimitWindow;
use crate::quota::{BudgetKind, BudgetState, GroupTotals, ProviderLimits, QuotaSnapshot, Totals};

/// What the front end should do after a key in the quota view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaAction {
    /// Nothing beyond redrawing (the key scrolled, or meant nothing).
    None,
    /// Close the view.
    Close,
    /// Ask the meter for a fresh snapshot.
    Refresh,
}

/// The quota view's state: the latest snapshot and the scroll position.
#[derive(Debug, Default)]
pub struct QuotaView {
    snapshot: Option<QuotaSnapshot>,
    /// First page row shown.
    scroll: u16,
    /// Rows of the page area at the last render, for page keys.
    page: u16,
}

/// Rows of the tokens-per-hour chart.
const CHART_ROWS: u16 = 4;

/// From this width the page is laid out in two columns.
const TWO_COLUMNS_FROM: u16 = 140;

/// Blank columns between the two columns.
const COLUMN_GAP: u16 = 3;

/// One piece of the page: styled lines, or the hourly chart.
enum Section {
    Lines(Vec<Line<'static>>),
    Chart { data: Vec<u64>, style: Style },
}

impl Section {
    fn height(&self) -> u16 {
        match self {
            Section::Lines(lines) => u16::try_from(lines.len()).unwrap_or(u16::MAX),
            Section::Chart { .. } => CHART_ROWS,
        }
    }
}

impl QuotaView {
    /// A view that shows "reading the ledger…" until the first snapshot.
    pub fn new() -> Self {
        Self::default()
    }

    /// Shows `snapshot` (the scroll position is kept, so a refresh does
    /// not jump).
    pub fn set_snapshot(&mut self, snapshot: QuotaSnapshot) {
        self.snapshot = Some(snapshot);
    }

    /// The snapshot shown, if one arrived.
    pub fn snapshot(&self) -> Option<&QuotaSnapshot> {
        self.snapshot.as_ref()
    }

    /// Scrolls, or tells the caller to close or refresh. Keys come from the
    /// keymap's [`Context::Quota`], so the help lists exactly these.
    pub fn handle_key(&mut self, key: KeyEvent) -> QuotaAction {
        let page = self.page.max(1);
        match keymap::lookup(Context::Quota, &key, true) {
            Some(Action::CloseQuota) => return QuotaAction::Close,
            Some(Action::RefreshQuota) => return QuotaAction::Refresh,
            Some(Action::ScrollDown) => self.scroll = self.scroll.saturating_add(1),
            Some(Action::ScrollUp) => self.scroll = self.scroll.saturating_sub(1),
            Some(Action::ScrollPageDown) => self.scroll = self.scroll.saturating_add(page),
            Some(Action::ScrollPageUp) => self.scroll = self.scroll.saturating_sub(page),
            Some(Action::ScrollTop) => self.scroll = 0,
            Some(Action::ScrollBottom) => self.scroll = u16::MAX,
            _ => {}
        }
        QuotaAction::None
    }

    /// Draws the view over all of `area`; `now` drives the reset countdowns.
    pub fn render(&mut self, area: Rect, buf: &mut Buffer, theme: &Theme, now: SystemTime) {
        Clear.render(area, buf);
        if area.width == 0 || area.height == 0 {
            return;
        }
        let title = Line::from(vec![
            Span::styled(" Quota", theme.heading),
            Span::styled(" · usage, cost and budgets of both panes", theme.dim),
        ]);
        title.render(Rect { height: 1, ..area }, buf);
        let body = Rect {
            y: area.y + 1,
            height: area.height.saturating_sub(2),
            ..area
        };
        self.page = body.height;
        let Some(snapshot) = &self.snapshot else {
            Line::styled("  reading the ledger…", theme.dim).render(
                Rect {
                    height: 1.min(body.height),
                    ..body
                },
                buf,
            );
            self.footer(area, buf, theme, None);
            return;
        };
        let content = page(snapshot, body.width, theme, now);
        let page_height = content.area.height;
        let max_scroll = page_height.saturating_sub(body.height);
        self.scroll = self.scroll.min(max_scroll);
        for y in 0..body.height.min(page_height - self.scroll) {
            for x in 0..body.width {
                buf[(body.x + x, body.y + y)] = content[(x, self.scroll + y)].clone();
            }
        }
        let position = (max_scroll > 0).then_some((self.scroll, body.height, page_height));
        self.footer(area, buf, theme, position);
    }

    /// The last row: the view's keys, and where the page is when it
    /// scrolls.
    fn footer(
        &self,
        area: Rect,
        buf: &mut Buffer,
        theme: &Theme,
        position: Option<(u16, u16, u16)>,
    ) {
        if area.height < 2 {
            return;
        }
        let keys = |action| {
            keymap::bindings(Context::Quota)
                .find(|b| b.action == action)
                .map_or("", |b| b.keys)
        };
        let first = |keys: &'static str| keys.split(" / ").next().unwrap_or(keys);
        let mut spans = vec![Span::styled(
            format!(
                " {} close · {} refresh",
                keys(Action::CloseQuota),
                keys(Action::RefreshQuota)
            ),
            theme.dim,
        )];
        if let Some((top, rows, total)) = position {
            spans.push(Span::styled(
                format!(
                    " · {}/{} scroll · rows {}–{} of {}",
                    first(keys(Action::ScrollDown)),
                    first(keys(Action::ScrollUp)),
                    top + 1,
                    (top + rows).min(total),
                    total
                ),
                theme.dim,
            ));
        }
        let row = Rect {
            y: area.y + area.height - 1,
            height: 1,
            ..area
        };
        Line::from(spans).render(row, buf);
    }
}

/// A stripe of the page: side-by-side columns of sections, each given as
/// (left edge, width, sections). The stripe is as tall as its tallest column.
type Band = Vec<(u16, u16, Vec<Section>)>;

/// The whole page drawn into a buffer `width` wide and as tall as it needs.
/// Narrow: one column. Wide: the small sections side by side, the model
/// table across the full width so model names are not cut.
fn page(s: &QuotaSnapshot, width: u16, theme: &Theme, now: SystemTime) -> Buffer {
    let month = |w| {
        by_group(
            "This month by provider · model",
            &s.month_by_model,
            w,
            "no calls this month",
            theme,
        )
    };
    let panes = |w| {
        by_group(
            "This session by pane",
            &s.session_by_pane,
            w,
            "no calls yet",
            theme,
        )
    };
    let bands: Vec<Band> = if width >= TWO_COLUMNS_FROM {
        let left_width = (width - COLUMN_GAP) / 2;
        let right_x = left_width + COLUMN_GAP;
        let right_width = width - right_x;
        let mut left = totals(s, theme);
        left.extend(budgets(s, theme));
        left.extend(rate_limits(&s.rate_limits, now, theme));
        let mut right = chart(&s.hourly_tokens, right_width, theme);
        right.extend(panes(right_width));
        vec![
            vec![(0, width, notes_top(s, width, theme))],
            vec![(0, left_width, left), (right_x, right_width, right)],
            vec![(0, width, month(width))],
            vec![(0, width, notes_bottom(s, theme))],
        ]
    } else {
        let mut all = notes_top(s, width, theme);
        all.extend(totals(s, theme));
        all.extend(budgets(s, theme));
        all.extend(month(width));
        all.extend(panes(width));
        all.extend(chart(&s.hourly_tokens, width, theme));
        all.extend(rate_limits(&s.rate_limits, now, theme));
        all.extend(notes_bottom(s, theme));
        vec![vec![(0, width, all)]]
    };
    let column_height = |sections: &[Section]| {
        sections
            .iter()
            .fold(0u16, |h, s| h.saturating_add(s.height()))
    };
    let band_height = |band: &Band| {
        band.iter()
            .map(|(_, _, c)| column_height(c))
            .max()
            .unwrap_or(0)
    };
    let height = bands
        .iter()
        .fold(0u16, |h, b| h.saturating_add(band_height(b)));
    let mut buf = Buffer::empty(Rect::new(0, 0, width, height));
    let mut top = 0u16;
    for band in bands {
        let band_rows = band_height(&band);
        for (x, column_width, sections) in band {
            let mut y = top;
            for section in sections {
                let h = section.height().min(height - y);
                match section {
                    Section::Lines(lines) => {
                        for (i, line) in lines.into_iter().enumerate().take(usize::from(h)) {
                            line.render(Rect::new(x, y + i as u16, column_width, 1), &mut buf);
                        }
                    }
                    Section::Chart { data, style } => {
                        let rect = Rect::new(x, y, column_width, h);
                        Sparkline::default()
                            .data(&data)
                            .style(style)
                            .render(rect, &mut buf);
                    }
                }
                y += h;
            }
        }
        top = top.saturating_add(band_rows);
    }
    buf
}

/// A word-wrapped paragraph of at most `width` columns per line (a word
/// longer than a line is cut by the line's own rendering).
pub(super) fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Small figures exactly (`3950`), large ones compact (`380.0k`).
fn count(n: Option<u64>) -> String {
    match n {
        None => "?".to_string(),
        Some(n) if n < 100_000 => n.to_string(),
        Some(n) => tokens(n),
    }
}

fn heading(text: &str, theme: &Theme) -> Line<'static> {
    Line::styled(text.to_string(), theme.heading)
}

/// Cost of some totals: `?` when none of the calls had a price.
fn cost_text(t: &Totals) -> String {
    if t.calls > 0 && t.unpriced_calls == t.calls {
        "?".to_string()
    } else {
        usd_text(t.cost_usd)
    }
}

/// The ledger problem first of all, since it changes how far the figures
/// can be trusted across restarts.
fn notes_top(s: &QuotaSnapshot, width: u16, theme: &Theme) -> Vec<Section> {
    let Some(problem) = &s.ledger_problem else {
        return Vec::new();
    };
    let text = format!(
        "usage is kept in memory: {problem} (it goes to the ledger once the database can be written)"
    );
    let mut lines: Vec<Line<'static>> = wrap_words(&text, usize::from(width).max(1))
        .into_iter()
        .map(|l| Line::styled(l, theme.warning))
        .collect();
    lines.push(Line::default());
    vec![Section::Lines(lines)]
}

fn notes_bottom(s: &QuotaSnapshot, theme: &Theme) -> Vec<Section> {
    vec![Section::Lines(vec![Line::styled(
        format!(
            "prices as of {} · override them under [pricing] in config.toml",
            s.prices_as_of
        ),
        theme.dim,
    )])]
}

fn totals(s: &QuotaSnapshot, theme: &Theme) -> Vec<Section> {
    let mut lines = vec![Line::from(vec![
        Span::styled("Totals        ", theme.heading),
        Span::styled(
            format!("{:>9} {:>10} {:>7}", "tokens", "cost", "calls"),
            theme.dim,
        ),
    ])];
    for (label, t) in [
        ("today", &s.today),
        ("this month", &s.month),
        ("this session", &s.session),
    ] {
        let mut spans = vec![
            Span::styled(format!("  {label:<12}"), theme.text),
            Span::styled(
                format!(
                    "{:>9} {:>10} {:>7}",
                    tokens(t.tokens()),
                    cost_text(t),
                    t.calls
                ),
                theme.text,
            ),
        ];
        if t.unpriced_calls > 0 {
            let calls = if t.unpriced_calls == 1 {
                "call"
            } else {
                "calls"
            };
            spans.push(Span::styled(
                format!("  cost unknown for {} {calls}", t.unpriced_calls),
                theme.warning,
            ));
        }
        lines.push(Line::from(spans));
    }
    lines.push(Line::default());
    vec![Section::Lines(lines)]
}

/// What a budget is measured against, and its limit.
fn budget_rows(s: &QuotaSnapshot) -> Vec<(BudgetKind, f64, f64)> {
    let b = &s.budget;
    let rows = [
        (BudgetKind::SessionUsd, b.session_usd, s.session.cost_usd),
        (BudgetKind::DailyUsd, b.daily_usd, s.today.cost_usd),
        (BudgetKind::MonthlyUsd, b.monthly_usd, s.month.cost_usd),
        (
            BudgetKind::DailyTokens,
            b.daily_tokens.map(|t| t as f64),
            s.today.tokens() as f64,
        ),
        (
            BudgetKind::MonthlyTokens,
            b.monthly_tokens.map(|t| t as f64),
            s.month.tokens() as f64,
        ),
    ];
    rows.into_iter()
        .filter_map(|(kind, limit, spent)| limit.map(|limit| (kind, spent, limit)))
        .collect()
}

fn budgets(s: &QuotaSnapshot, theme: &Theme) -> Vec<Section> {
    let rows = budget_rows(s);
    let warn_at = s.budget.warn_at;
    let mut lines = vec![Line::from(vec![
        Span::styled("Budgets", theme.heading),
        Span::styled(
            if rows.is_empty() {
                String::new()
            } else {
                format!("  warn at {}%", percent(warn_at))
            },
            theme.dim,
        ),
    ])];
    if rows.is_empty() {
        lines.push(Line::styled(
            "  no budget set — [budget] in config.toml",
            theme.dim,
        ));
    }
    for (kind, spent, limit) in rows {
        let used = if limit > 0.0 {
            spent / limit
        } else if spent > 0.0 {
            1.0
        } else {
            0.0
        };
        let style = if used >= 1.0 {
            theme.error
        } else if used >= warn_at {
            theme.warning
        } else {
            theme.success
        };
        lines.push(Line::from(vec![
            Span::styled(format!("  {:<15}", kind.key()), theme.text),
            Span::styled(format!("{} {:>4}%", bar(used, 10), percent(used)), style),
            Span::styled(
                format!("  {} / {}", amount(kind, spent), amount(kind, limit)),
                theme.text,
            ),
        ]));
    }
    match s.state {
        BudgetState::Ok { .. } => {}
        BudgetState::Warning { kind, used } => lines.push(Line::styled(
            format!("  warning: {} is {}% used", kind.key(), percent(used)),
            theme.warning,
        )),
        BudgetState::Exhausted { kind, spent, limit } => lines.push(Line::styled(
            format!(
                "  spent: {} {}/{} — model calls wait for you to raise it or go on",
                kind.key(),
                amount(kind, spent),
                amount(kind, limit)
            ),
            theme.error,
        )),
    }
    lines.push(Line::default());
    vec![Section::Lines(lines)]
}

/// A table of groups (provider · model, or pane): calls, tokens by kind,
/// cost. The cache columns give way first when the width is short.
fn by_group(
    title: &str,
    groups: &[GroupTotals],
    width: u16,
    empty: &str,
    theme: &Theme,
) -> Vec<Section> {
    const FULL_COLUMNS: usize = 6 + 1 + 8 + 1 + 8 + 1 + 9 + 1 + 9 + 1 + 9;
    const SHORT_COLUMNS: usize = 6 + 1 + 8 + 1 + 8 + 1 + 9;
    let width = usize::from(width);
    let cache = width >= 2 + 14 + 1 + FULL_COLUMNS;
    let fixed = if cache { FULL_COLUMNS } else { SHORT_COLUMNS };
    let name_width = width.saturating_sub(3 + fixed).clamp(8, 40);
    let row = |name: &str,
               calls: &str,
               input: &str,
               output: &str,
               read: &str,
               write: &str,
               cost: &str| {
        let name = truncate(name, name_width);
        let mut text = format!("  {name:<name_width$} {calls:>6} {input:>8} {output:>8}");
        if cache {
            text.push_str(&format!(" {read:>9} {write:>9}"));
        }
        text.push_str(&format!(" {cost:>9}"));
        text
    };
    let mut lines = vec![
        heading(title, theme),
        Line::styled(
            row(
                "", "calls", "input", "output", "cache rd", "cache wr", "cost",
            ),
            theme.dim,
        ),
    ];
    if groups.is_empty() {
        lines.truncate(1);
        lines.push(Line::styled(format!("  {empty}"), theme.dim));
    }
    for group in groups {
        let t = &group.totals;
        let text = row(
            &group.key,
            &t.calls.to_string(),
            &tokens(t.input_tokens),
            &tokens(t.output_tokens),
            &tokens(t.cache_read_tokens),
            &tokens(t.cache_write_tokens),
            &cost_text(t),
        );
        lines.push(Line::styled(text, theme.text));
    }
    lines.push(Line::default());
    vec![Section::Lines(lines)]
}

/// Tokens per hour over the last day: a sparkline as wide as fits in whole
/// hours, labelled at both ends.
fn chart(hourly: &[u64], width: u16, theme: &Theme) -> Vec<Section> {
    if hourly.is_empty() {
        return Vec::new();
    }
    let hours = hourly.len();
    let per_hour = (usize::from(width).saturating_sub(2) / hours).clamp(1, 4);
    let mut data = Vec::with_capacity(hours * per_hour);
    for &value in hourly {
        for i in 0..per_hour {
            let gap = per_hour >= 3 && i == per_hour - 1;
            data.push(if gap { 0 } else { value });
        }
    }
    let peak = hourly.iter().copied().max().unwrap_or(0);
    let title = Line::from(vec![
        Span::styled(format!("Tokens per hour, last {hours} h"), theme.heading),
        Span::styled(
            if peak == 0 {
                "  no calls".to_string()
            } else {
                format!("  peak {}/h", tokens(peak))
            },
            theme.dim,
        ),
    ]);
    let left = format!("  {hours} h ago");
    let right = "now";
    let chart_width = data.len() + 2;
    let pad = chart_width.saturating_sub(left.len() + right.len()).max(1);
    let labels = Line::styled(format!("{left}{}{right}", " ".repeat(pad)), theme.dim);
    let mut padded = vec![0, 0];
    padded.extend(data);
    vec![
        Section::Lines(vec![title]),
        Section::Chart {
            data: padded,
            style: theme.accent,
        },
        Section::Lines(vec![labels, Line::default()]),
    ]
}

fn rate_limits(limits: &[ProviderLimits], now: SystemTime, theme: &Theme) -> Vec<Section> {
    let mut lines = vec![heading("Rate limits", theme)];
    if limits.is_empty() {
        lines.push(Line::styled("  no rate-limit headers seen yet", theme.dim));
    }
    for limit in limits {
        let snap = &limit.snapshot;
        let windows: Vec<(&str, &RateLimitWindow)> = [
            ("requests", &snap.requests),
            ("tokens", &snap.tokens),
            ("input tokens", &snap.input_tokens),
            ("output tokens", &snap.output_tokens),
        ]
        .into_iter()
        .filter_map(|(name, w)| w.as_ref().map(|w| (name, w)))
        .collect();
        if windows.is_empty() {
            lines.push(Line::from(vec![
                Span::styled(
                    format!("  {:<12}", truncate(&limit.provider, 12)),
                    theme.text,
                ),
                Span::styled(" no rate-limit headers", theme.dim),
            ]));
        }
        let elapsed = now
            .duration_since(snap.observed_at)
            .unwrap_or(Duration::ZERO);
        for (i, (name, window)) in windows.into_iter().enumerate() {
            let provider = if i == 0 {
                truncate(&limit.provider, 12)
            } else {
                String::new()
            };
            let style = match (window.remaining, window.limit) {
                (Some(r), Some(l)) if l > 0 && r * 10 < l => theme.error,
                (Some(r), Some(l)) if l > 0 && r * 10 < l * 3 => theme.warning,
                _ => theme.text,
            };
            let reset = match window.reset_after {
                Some(after) if after > elapsed => {
                    format!("resets in {}", countdown(after - elapsed))
                }
                Some(_) => "has reset".to_string(),
                None => String::new(),
            };
            lines.push(Line::from(vec![
                Span::styled(format!("  {provider:<12} {name:<14}"), theme.text),
                Span::styled(
                    format!(
                        "{:>8} / {:<8} left",
                        count(window.remaining),
                        count(window.limit)
                    ),
                    style,
                ),
                Span::styled(format!("  {reset}"), theme.dim),
            ]));
        }
    }
    lines.push(Line::default());
    vec![Section::Lines(lines)]
}

/// A short countdown: `42 s`, `3 min 20 s`, `2 h 05 min`.
fn countdown(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {:02} min", s / 3600, (s % 3600) / 60),
    }
}

#[cfg(test)]
#[path = "quota_view_tests.rs"]
mod tests;
