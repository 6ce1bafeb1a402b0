//! Drawing the [`App`]: a pure function of the state into a ratatui frame,
//! so frames can be snapshot-tested and benchmarked alone.

use std::time::Instant;

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Widget, Wrap};
use unicode_width::UnicodeWidthStr;

use super::app::{App, Overlay, PaneSlot, PaneStatus, PendingApproval};
use super::keymap::{self, Action, Context};
use super::status_meter::{MeterInputs, PaneMeter, meter_line};
use super::theme::Theme;
use crate::agent::Pane;
use crate::provider::RateLimitSnapshot;
use crate::quota::BudgetState;

/// Below this width the panes stack top/bottom instead of side by side.
pub const SIDE_BY_SIDE_MIN_WIDTH: u16 = 120;
/// The composer never takes more rows than this.
const MAX_COMPOSER_ROWS: u16 = 10;

/// Draws the whole screen and places the cursor in the focused composer.
pub fn draw(app: &mut App, frame: &mut Frame) {
    let area = frame.area();
    let now = Instant::now();
    let [main, status] = Layout::vertical([Constraint::Min(3), Constraint::Length(1)]).areas(area);
    if app.quota_focused {
        let theme = app.theme.clone();
        app.quota_view.render(
            main,
            frame.buffer_mut(),
            &theme,
            std::time::SystemTime::now(),
        );
        draw_status(app, status, frame.buffer_mut(), now);
        draw_overlay(app, area, frame.buffer_mut());
        return;
    }
    let areas = if app.viewer_focused {
        // The review takes the whole body, like a zoomed pane; Tab goes
        // back to the panes with the viewer kept as it was.
        let theme = app.theme.clone();
        app.viewer.render(frame, main, &theme);
        [None, None]
    } else {
        pane_areas(main, app.zoomed, app.focus)
    };
    let mut cursor = None;
    for (index, pane_area) in areas.into_iter().enumerate() {
        let Some(pane_area) = pane_area else { continue };
        let focused = index == app.focus && app.overlay.is_none();
        let theme = app.theme.clone();
        if let Some(c) = draw_pane(
            app.displayed(index),
            pane_area,
            frame.buffer_mut(),
            &theme,
            focused,
            now,
        ) {
            cursor = Some(c);
        }
    }
    draw_status(app, status, frame.buffer_mut(), now);
    draw_overlay(app, area, frame.buffer_mut());
    if let (Some((x, y)), None) = (cursor, app.overlay) {
        frame.set_cursor_position((x, y));
    }
}

/// The open overlay, over everything else.
fn draw_overlay(app: &mut App, area: Rect, buf: &mut Buffer) {
    match app.overlay {
        Some(Overlay::Help) => app.help_scroll = draw_help(area, buf, app),
        Some(Overlay::ConfirmQuit) => draw_confirm_quit(area, buf, &app.theme),
        Some(Overlay::ConfirmRewind) => draw_confirm_rewind(app, area, buf),
        Some(Overlay::FirstRun) => {
            super::first_run::draw(area, buf, &app.theme, &app.local_servers)
        }
        Some(Overlay::Picker) => {
            if let Some(picker) = &app.picker {
                picker.render(area, buf, &app.theme);
            }
        }
        None => {}
    }
}

/// Where each pane goes: side by side when wide, stacked when narrow, only
/// the focused one when zoomed.
pub fn pane_areas(main: Rect, zoomed: bool, focus: usize) -> [Option<Rect>; 2] {
    if zoomed {
        let mut areas = [None, None];
        areas[focus] = Some(main);
        return areas;
    }
    let direction = if main.width >= SIDE_BY_SIDE_MIN_WIDTH {
        Direction::Horizontal
    } else {
        Direction::Vertical
    };
    let [a, b] = Layout::default()
        .direction(direction)
        .constraints([Constraint::Percentage(50), Constraint::Percentage(50)])
        .areas(main);
    [Some(a), Some(b)]
}

fn sandbox_span(pane: &PaneSlot, theme: &Theme) -> Span<'static> {
    match &pane.sandbox {
        Some(s) if !s.enforced => {
            Span::styled(" NO SANDBOX ", theme.error.add_modifier(Modifier::REVERSED))
        }
        Some(s) if s.network => Span::styled("net on", theme.warning),
        Some(_) => Span::styled("net off", theme.dim),
        None => Span::styled("…", theme.dim),
    }
}

fn status_span(pane: &PaneSlot, theme: &Theme, now: Instant) -> Span<'static> {
    if pane.setup_error.is_some() {
        return Span::styled("not connected", theme.warning);
    }
    let elapsed = pane
        .task_started
        .map(|t| format!(" {}s", now.duration_since(t).as_secs()))
        .unwrap_or_default();
    match &pane.status {
        PaneStatus::Idle if pane.queued > 0 => {
            Span::styled(format!("{} queued", pane.queued), theme.dim)
        }
        PaneStatus::Idle => Span::styled("idle", theme.dim),
        PaneStatus::Thinking => {
            let rate = pane
                .tokens_per_second(now)
                .map(|r| format!(" · {r:.0} tok/s"))
                .unwrap_or_default();
            Span::styled(format!("thinking{elapsed}{rate}"), theme.accent)
        }
        PaneStatus::Running(tool) => Span::styled(format!("running {tool}{elapsed}"), theme.accent),
        PaneStatus::WaitingApproval => Span::styled(
            "waiting for approval",
            theme.warning.add_modifier(Modifier::BOLD),
        ),
        PaneStatus::PausedBudget => Span::styled(
            "paused: budget · y go on · n stop · /budget",
            theme.warning.add_modifier(Modifier::BOLD),
        ),
        PaneStatus::Error => Span::styled("error", theme.error),
    }
}

/// The title line: name, provider · model, mode, sandbox, state. When it
/// does not fit in `width` columns it drops the provider name and tightens
/// the separators, so the state (the part that changes) stays visible.
pub fn title_line(
    pane: &PaneSlot,
    theme: &Theme,
    focused: bool,
    now: Instant,
    width: u16,
) -> Line<'static> {
    let full = title_spans(pane, theme, focused, now, false);
    if full.width() <= usize::from(width) {
        return full;
    }
    title_spans(pane, theme, focused, now, true)
}

fn title_spans(
    pane: &PaneSlot,
    theme: &Theme,
    focused: bool,
    now: Instant,
    compact: bool,
) -> Line<'static> {
    let sep = || Span::styled(if compact { " " } else { " │ " }, theme.dim);
    let name_style = if focused {
        theme.border_focused
    } else {
        theme.text.add_modifier(Modifier::BOLD)
    };
    if let Some(hosted) = &pane.hosted {
        let state = if hosted.running() {
            Span::styled("running", theme.text)
        } else {
            Span::styled("stopped", theme.warning)
        };
        return Line::from(vec![
            Span::styled(format!(" {} ", pane.label()), name_style),
            sep(),
            Span::styled(format!("hosting: {}", hosted.label()), theme.text),
            sep(),
            state,
            Span::raw(" "),
        ]);
    }
    let mut mode = pane.mode.as_str().to_string();
    if pane.planning {
        mode.push_str(" · plan");
    }
    let model = if pane.model.is_empty() {
        pane.provider.clone()
    } else if compact {
        pane.model.clone()
    } else {
        format!("{} · {}", pane.provider, pane.model)
    };
    let mut spans = vec![
        Span::styled(format!(" {} ", pane.label()), name_style),
        sep(),
        Span::styled(model, theme.text),
        sep(),
        Span::styled(mode, theme.text),
        sep(),
    ];
    if pane.setup_error.is_none() {
        spans.extend([sandbox_span(pane, theme), sep()]);
    }
    spans.extend([status_span(pane, theme, now), Span::raw(" ")]);
    Line::from(spans)
}

/// Draws one pane; returns the cursor position when it is focused.
fn draw_pane(
    pane: &mut PaneSlot,
    area: Rect,
    buf: &mut Buffer,
    theme: &Theme,
    focused: bool,
    now: Instant,
) -> Option<(u16, u16)> {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Rounded
        })
        .border_style(if focused {
            theme.border_focused
        } else {
            theme.border
        })
        .title(title_line(
            pane,
            theme,
            focused,
            now,
            area.width.saturating_sub(2),
        ));
    let inner = block.inner(area);
    block.render(area, buf);
    if let Some(hosted) = pane.hosted.as_mut() {
        // The program's terminal is the pane's body: keep their sizes equal.
        if let Some(program) = hosted.program.as_mut()
            && hosted.exited.is_none()
            && inner.width > 0
            && inner.height > 0
            && let Err(e) = program.resize(inner.height, inner.width)
        {
            tracing::debug!(error = %e, "resizing the hosted program");
        }
        return super::hosted::draw(hosted, inner, buf, theme, focused);
    }
    if inner.height < 3 || inner.width < 10 {
        return None;
    }
    let composer_rows = pane
        .composer
        .desired_height(inner.width)
        .clamp(1, MAX_COMPOSER_ROWS)
        .min(inner.height.saturating_sub(2));
    let [history_area, rule, composer_area] = Layout::vertical([
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(composer_rows),
    ])
    .areas(inner);
    if let Some(error) = &pane.setup_error {
        first_run(pane.label(), error, history_area, buf, theme);
    } else {
        pane.history.render(history_area, buf, theme);
    }
    Paragraph::new(Line::styled(
        "─".repeat(usize::from(rule.width)),
        theme.border,
    ))
    .render(rule, buf);
    let placeholder = match (pane.pane, pane.busy) {
        (_, true) => "type the next task; it runs when this one ends (Esc interrupts)",
        (crate::agent::Pane::Chat, false) => {
            "ask, plan, review… (/ for commands, @ for files, F1 for keys)"
        }
        (crate::agent::Pane::Run, false) => {
            "give a well-defined task to run on its own (/handoff sends Chat's plan)"
        }
    };
    pane.composer
        .render(composer_area, buf, theme, focused, placeholder);
    if let Some(approval) = &pane.approval {
        draw_approval(approval, history_area, buf, theme);
        return None;
    }
    if !focused {
        return None;
    }
    pane.composer.render_popup(composer_area, buf, theme);
    pane.composer.cursor(composer_area)
}

/// The first-run screen of a pane with no model: what to set.
fn first_run(label: &str, error: &str, area: Rect, buf: &mut Buffer, theme: &Theme) {
    let lines = vec![
        Line::styled(
            format!("{label} is not connected to a model."),
            theme.heading,
        ),
        Line::default(),
        Line::styled(error.to_string(), theme.text),
        Line::default(),
        Line::styled("To connect it, set one of:", theme.text),
        Line::styled(
            "  ANTHROPIC_API_KEY / OPENAI_API_KEY          (the providers' own APIs)",
            theme.code,
        ),
        Line::styled(
            "  ANTHROPIC_BASE_URL / OPENAI_BASE_URL        (a relay or a local server)",
            theme.code,
        ),
        Line::styled(
            "  [providers.NAME] in config.toml             (any compatible server)",
            theme.code,
        ),
        Line::default(),
        Line::styled(
            "Then restart tandem. To see an agent at work with no key: tandem demo",
            theme.dim,
        ),
    ];
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .render(area, buf);
}

/// The approval dialog, drawn over the lower part of the pane's history.
fn draw_approval(approval: &PendingApproval, area: Rect, buf: &mut Buffer, theme: &Theme) {
    let mut lines = vec![Line::from(vec![
        Span::styled("Allow ", theme.text),
        Span::styled(
            approval.name.clone(),
            theme.accent.add_modifier(Modifier::BOLD),
        ),
        Span::styled("?", theme.text),
    ])];
    for line in detail_lines(approval) {
        lines.push(Line::styled(format!("  {line}"), theme.code));
    }
    if let Some(reason) = &approval.reason {
        lines.push(Line::styled(format!("why asked: {reason}"), theme.warning));
    }
    lines.push(Line::default());
    match &approval.message {
        Some(message) => {
            lines.push(Line::styled(
                "Tell the agent why (Enter sends, Esc goes back):",
                theme.text,
            ));
            lines.push(Line::styled(format!("> {message}▏"), theme.user));
        }
        None => {
            let always = if approval.always.is_empty() {
                "a  yes, always (this call only: no safe pattern)".to_string()
            } else {
                format!("a  yes, always for {}", approval.always.join(", "))
            };
            for text in [
                "y  yes, once",
                always.as_str(),
                "n  no",
                "e  no, and tell the agent why",
            ] {
                lines.push(Line::styled(text.to_string(), theme.text));
            }
        }
    }
    let height = (lines.len() as u16 + 2).min(area.height);
    let dialog = Rect::new(
        area.x,
        area.bottom().saturating_sub(height),
        area.width,
        height,
    );
    Clear.render(dialog, buf);
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .block(
            Block::default()
                .borders(Borders::ALL)
                .border_type(BorderType::Double)
                .border_style(theme.warning)
                .title(Span::styled(
                    " approval needed ",
                    theme.warning.add_modifier(Modifier::BOLD),
                )),
        )
        .render(dialog, buf);
}

/// What the approval dialog shows of a call: the command, or a compact view
/// of the edit.
fn detail_lines(approval: &PendingApproval) -> Vec<String> {
    let get = |k: &str| approval.input.get(k).and_then(|v| v.as_str()).unwrap_or("");
    const MAX: usize = 12;
    let mut lines: Vec<String> = match approval.name.as_str() {
        "shell" => get("command").lines().map(|l| format!("$ {l}")).collect(),
        "edit_file" => {
            let mut l = vec![format!("edit {}", get("path"))];
            l.extend(get("old_string").lines().map(|x| format!("- {x}")));
            l.extend(get("new_string").lines().map(|x| format!("+ {x}")));
            l
        }
        "write_file" => {
            let content = get("content");
            vec![format!(
                "write {} ({} lines)",
                get("path"),
                content.lines().count()
            )]
        }
        "apply_patch" => {
            let patch = approval
                .input
                .get("patch")
                .or_else(|| approval.input.get("input"));
            patch
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .lines()
                .filter(|l| !l.starts_with("*** Begin") && !l.starts_with("*** End Patch"))
                .map(str::to_string)
                .collect()
        }
        _ => vec![approval.summary.clone()],
    };
    if lines.len() > MAX {
        let more = lines.len() - MAX;
        lines.truncate(MAX);
        lines.push(format!("… {more} more lines"));
    }
    lines
}

/// Compact token counts: 950, 12.3k, 1.2M.
pub fn tokens(n: u64) -> String {
    match n {
        0..=999 => n.to_string(),
        1_000..=999_999 => format!("{:.1}k", n as f64 / 1e3),
        _ => format!("{:.1}M", n as f64 / 1e6),
    }
}

/// The status bar: the quota meter (each pane's tokens and cost, the budget
/// gauge, the focused pane's context fill and rate-limit headroom) and key
/// hints, shortened (never wrapped) to the width; see [`meter_line`]. A
/// flash message takes the hint's place, or the whole bar when narrow, for
/// the few seconds it lasts.
fn draw_status(app: &App, area: Rect, buf: &mut Buffer, now: Instant) {
    let theme = &app.theme;
    let focused = &app.panes[app.focus];
    let flash = app
        .flash
        .as_ref()
        .filter(|(_, at)| now.duration_since(*at).as_secs() < 3)
        .map(|(text, _)| text.clone());
    // A flash wider than what the meter leaves for the hint replaces it.
    if let Some(text) = &flash
        && (area.width < FLASH_WITH_METER_MIN_WIDTH
            || text.chars().count() + FLASH_METER_ROOM > usize::from(area.width))
    {
        let line = Line::from(vec![
            Span::raw(" "),
            Span::styled(text.clone(), theme.warning),
        ]);
        Paragraph::new(line).render(area, buf);
        return;
    }
    let hint = match flash {
        Some(text) => Span::styled(text, theme.warning),
        None if app.quota_focused => Span::styled("q close · r refresh · F1 help", theme.dim),
        None if app.viewer_focused => Span::styled(
            format!(
                "{} panes · q close · F1 help",
                keymap::keys_for(Action::FocusNext)
            ),
            theme.dim,
        ),
        None if app.host_prefix_armed => Span::styled(
            format!(
                "Tandem key: Tab switch · Ctrl-G diff · Ctrl-Q quota · Ctrl-D quit · F1 help · PgUp/PgDn scroll · {} sends it",
                app.host_prefix.label()
            ),
            theme.warning,
        ),
        None if focused.hosted.is_some() => Span::styled(
            format!(
                "hosting: {} · {} then Tab switch, Ctrl-G diff, F1 help",
                focused
                    .hosted
                    .as_ref()
                    .map(|h| h.label())
                    .unwrap_or_default(),
                app.host_prefix.label()
            ),
            theme.dim,
        ),
        None if focused.approval.is_some() => {
            Span::styled("y yes · a always · n no · e no+why", theme.dim)
        }
        None if area.width < FLASH_WITH_METER_MIN_WIDTH => Span::styled("F1 help", theme.dim),
        None => Span::styled(
            format!(
                "{} switch · Esc interrupt · {} help",
                keymap::keys_for(Action::FocusNext),
                "F1"
            ),
            theme.dim,
        ),
    };
    let pane_meter = |pane: &PaneSlot| {
        let (tokens, cost_usd) = match &app.meter {
            Some(meter) => {
                let t = meter.pane_totals(pane_key(pane.pane));
                (t.tokens(), (t.unpriced_calls == 0).then_some(t.cost_usd))
            }
            None => (pane.usage.prompt_tokens() + pane.usage.output_tokens, None),
        };
        PaneMeter {
            label: pane.label(),
            tokens,
            cost_usd,
            context_fraction: pane
                .context_window
                .filter(|w| *w > 0)
                .map(|w| pane.context_tokens as f64 / w as f64),
            busy: pane.busy,
        }
    };
    let paused = app
        .panes
        .iter()
        .find(|p| p.budget_paused)
        .map(|p| format!("{} paused: budget", p.label()));
    let inputs = MeterInputs {
        panes: [pane_meter(&app.panes[0]), pane_meter(&app.panes[1])],
        budget: app
            .meter
            .as_ref()
            .map_or(BudgetState::Ok { used: 0.0 }, |m| m.state()),
        rate_headroom: focused.rate.as_ref().and_then(tightest_headroom),
        paused,
    };
    Paragraph::new(meter_line(&inputs, hint, area.width, theme)).render(area, buf);
}

/// Below this width a flash message replaces the meter while it shows.
const FLASH_WITH_METER_MIN_WIDTH: u16 = 120;
/// Columns the meter needs beside a flash message.
const FLASH_METER_ROOM: usize = 60;

/// The pane's name in the ledger.
fn pane_key(pane: Pane) -> &'static str {
    match pane {
        Pane::Chat => "chat",
        Pane::Run => "run",
    }
}

/// The fraction left of the tightest window a provider reported.
fn tightest_headroom(r: &RateLimitSnapshot) -> Option<f64> {
    [&r.requests, &r.tokens, &r.input_tokens, &r.output_tokens]
        .into_iter()
        .flatten()
        .filter_map(|w| match (w.limit, w.remaining) {
            (Some(limit), Some(remaining)) if limit > 0 => {
                Some(remaining.min(limit) as f64 / limit as f64)
            }
            _ => None,
        })
        .min_by(f64::total_cmp)
}

/// A `width` × `height` rectangle in the middle of `area` (cut to fit).
pub(super) fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

/// The help overlay, generated from the keymap and command tables: one
/// column when it fits, two when the screen is short.
/// Returns the scroll offset drawn: `app.help_scroll`, clamped so the last
/// rows stay in view.
fn draw_help(area: Rect, buf: &mut Buffer, app: &App) -> u16 {
    let theme = &app.theme;
    let mut raw: Vec<(&str, Vec<(String, String)>)> = Context::ALL
        .into_iter()
        .map(|context| {
            let rows = keymap::bindings(context)
                .map(|b| (b.keys.to_string(), b.description.to_string()))
                .collect();
            (context.title(), rows)
        })
        .collect();
    raw.push((
        "Composer",
        super::composer::KEY_BINDINGS
            .iter()
            .map(|(k, w)| (k.to_string(), w.to_string()))
            .collect(),
    ));
    raw.push((
        "Commands",
        app.commands
            .entries()
            .into_iter()
            .map(|c| {
                (
                    format!("/{} {}", c.name, c.args).trim_end().to_string(),
                    c.description.to_string(),
                )
            })
            .collect(),
    ));
    // One column when every row fits the height, else two; descriptions
    // wrap under themselves to the column's width rather than being cut.
    let unwrapped: usize = raw.iter().map(|(_, rows)| rows.len() + 2).sum();
    let two = unwrapped as u16 + 2 > area.height;
    let column_limit = usize::from(area.width.saturating_sub(2) / if two { 2 } else { 1 });
    let section = |title: &str, rows: &[(String, String)]| -> Vec<Line<'static>> {
        // The keys column is as wide as its widest keys, up to two fifths
        // of the column; longer keys get a line of their own, with the
        // description under them, so descriptions never shrink to a few
        // letters a line.
        let widest = rows.iter().map(|(k, _)| k.width()).max().unwrap_or(0);
        let key_width = widest.min(column_limit * 2 / 5) + 2;
        let what_width = column_limit.saturating_sub(key_width + 4).max(12);
        let mut lines = vec![Line::styled(title.to_string(), theme.heading)];
        for (keys, what) in rows {
            let own_line = keys.width() + 2 > key_width;
            if own_line {
                lines.push(Line::styled(format!("  {keys}"), theme.accent));
            }
            for (i, part) in super::quota_view::wrap_words(what, what_width)
                .into_iter()
                .enumerate()
            {
                let keys = if i == 0 && !own_line {
                    keys.as_str()
                } else {
                    ""
                };
                let pad = key_width.saturating_sub(keys.width());
                lines.push(Line::from(vec![
                    Span::styled(format!("  {keys}{}", " ".repeat(pad)), theme.accent),
                    Span::styled(part, theme.text),
                ]));
            }
        }
        lines.push(Line::default());
        lines
    };
    let mut sections: Vec<Vec<Line<'static>>> = raw
        .iter()
        .map(|(title, rows)| section(title, rows))
        .collect();
    let total: usize = sections.iter().map(Vec::len).sum();
    let columns: Vec<Vec<Line<'static>>> = if !two {
        vec![sections.into_iter().flatten().collect()]
    } else {
        // The split between sections that makes the taller column shortest.
        let lens: Vec<usize> = sections.iter().map(Vec::len).collect();
        let split = (1..lens.len().max(2))
            .min_by_key(|&k| {
                let left: usize = lens[..k].iter().sum();
                left.max(total - left)
            })
            .unwrap_or(1);
        let right: Vec<Line<'static>> = sections.split_off(split).into_iter().flatten().collect();
        vec![sections.into_iter().flatten().collect(), right]
    };
    let column_width = columns
        .iter()
        .flatten()
        .map(|l| l.width() as u16)
        .max()
        .unwrap_or(40)
        + 2;
    let height = columns.iter().map(Vec::len).max().unwrap_or(0) as u16 + 2;
    let rect = centered(area, column_width * columns.len() as u16 + 2, height);
    Clear.render(rect, buf);
    let hidden = height.saturating_sub(rect.height);
    let scroll = app.help_scroll.min(hidden);
    let title = if hidden > 0 {
        format!(
            " keys (j/k PgDn/PgUp scroll {}/{} · Esc closes) ",
            scroll, hidden
        )
    } else {
        " keys (Esc closes) ".to_string()
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(theme.border_focused)
        .title(Span::styled(title, theme.heading));
    let inner = block.inner(rect);
    block.render(rect, buf);
    let constraints = vec![Constraint::Ratio(1, columns.len() as u32); columns.len()];
    let areas = Layout::horizontal(constraints).split(inner);
    for (lines, column) in columns.into_iter().zip(areas.iter()) {
        Paragraph::new(lines)
            .scroll((scroll, 0))
            .render(*column, buf);
    }
    scroll
}

/// The files a rewind restores, and y/n.
fn draw_confirm_rewind(app: &App, area: Rect, buf: &mut Buffer) {
    let theme = &app.theme;
    let Some(plan) = &app.rewind_plan else {
        return;
    };
    const SHOWN: usize = 12;
    let mut lines = vec![Line::styled(
        format!(
            "Rewind {} to before task {} and restore {} files:",
            app.panes[plan.pane].label(),
            plan.task,
            plan.paths.len()
        ),
        theme.warning,
    )];
    for path in plan.paths.iter().take(SHOWN) {
        lines.push(Line::styled(format!("  {}", path.display()), theme.text));
    }
    if plan.paths.len() > SHOWN {
        lines.push(Line::styled(
            format!("  … and {} more", plan.paths.len() - SHOWN),
            theme.dim,
        ));
    }
    lines.push(Line::styled(
        "Changes either pane or you made to them since are lost. y rewinds, any other key keeps everything.",
        theme.text,
    ));
    let height = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    let rect = centered(area, 80, height);
    Clear.render(rect, buf);
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(theme.warning)
                .title(" rewind? "),
        )
        .render(rect, buf);
}

fn draw_confirm_quit(area: Rect, buf: &mut Buffer, theme: &Theme) {
    let rect = centered(area, 56, 5);
    Clear.render(rect, buf);
    Paragraph::new(vec![
        Line::styled(
            "A task or a hosted program is still running.",
            theme.warning,
        ),
        Line::styled("Quit anyway? y quits, any other key stays.", theme.text),
    ])
    .block(
        Block::default()
            .borders(Borders::ALL)
            .border_style(theme.warning)
            .title(" quit? "),
    )
    .style(Style::default())
    .render(rect, buf);
}
