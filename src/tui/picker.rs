//! A list to choose one row from, filtered by typing: `/resume` (saved
//! sessions), `/runs` (worktree runs), `/rewind` (the pane's tasks) and
//! `/theme` open one.
//!
//! A row carries the slash command that choosing it runs, so the picker
//! knows nothing of sessions or runs and every choice does exactly what
//! the typed command does (one code path, already tested). Keys come from
//! [`Context::Picker`] in the keymap table; any other printable key edits
//! the filter.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget};
use unicode_width::UnicodeWidthStr;

use super::keymap::{self, Action, Context};
use super::theme::Theme;

/// Rows PageUp / PageDown move by.
const PAGE: usize = 10;

/// A slash command: its name and its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickCommand {
    pub name: String,
    pub args: String,
}

impl PickCommand {
    /// `/name args`.
    pub fn new(name: &str, args: impl Into<String>) -> Self {
        Self {
            name: name.to_string(),
            args: args.into(),
        }
    }
}

/// One row: its cells (one per column) and what choosing it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickRow {
    pub cells: Vec<String>,
    /// Run by Enter.
    pub command: PickCommand,
    /// Run by the picker's second key, when it has one.
    pub alternate: Option<PickCommand>,
}

/// A second way to choose, on `Ctrl-<key>` (e.g. rewind and also restore
/// the files).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alternate {
    /// The letter pressed with Ctrl.
    pub key: char,
    /// What it does, for the hint line ("also restores the files").
    pub what: String,
}

/// What a key did to the picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PickOutcome {
    /// Still open.
    Open,
    /// Closed without a choice.
    Closed,
    /// Closed, and this command is to run.
    Chosen(PickCommand),
}

/// The picker's state: the rows, the filter typed so far, the selection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picker {
    pub title: String,
    pub header: Vec<String>,
    pub rows: Vec<PickRow>,
    /// What Enter does, for the hint line ("resumes it").
    pub enter: String,
    pub alternate: Option<Alternate>,
    /// The text typed to narrow the rows.
    pub filter: String,
    /// The selected row, an index into [`Picker::visible`].
    pub selected: usize,
}

impl Picker {
    /// A picker over `rows`, the first selected.
    pub fn new(title: &str, header: &[&str], rows: Vec<PickRow>, enter: &str) -> Self {
        Self {
            title: title.to_string(),
            header: header.iter().map(|h| h.to_string()).collect(),
            rows,
            enter: enter.to_string(),
            alternate: None,
            filter: String::new(),
            selected: 0,
        }
    }

    /// Adds a second way to choose.
    pub fn with_alternate(mut self, key: char, what: &str) -> Self {
        self.alternate = Some(Alternate {
            key,
            what: what.to_string(),
        });
        self
    }

    /// Starts with row `index` selected (e.g. the current theme).
    pub fn with_selected(mut self, index: usize) -> Self {
        self.selected = index.min(self.rows.len().saturating_sub(1));
        self
    }

    /// The rows the filter lets through, as indices into `rows`: every
    /// word of the filter must appear (ignoring case) in some cell.
    pub fn visible(&self) -> Vec<usize> {
        let words: Vec<String> = self
            .filter
            .split_whitespace()
            .map(str::to_lowercase)
            .collect();
        self.rows
            .iter()
            .enumerate()
            .filter(|(_, row)| {
                let text = row.cells.join(" ").to_lowercase();
                words.iter().all(|w| text.contains(w.as_str()))
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// Handles a key.
    pub fn on_key(&mut self, key: &KeyEvent) -> PickOutcome {
        let visible = self.visible();
        let last = visible.len().saturating_sub(1);
        if let Some(alt) = &self.alternate
            && key.modifiers.contains(KeyModifiers::CONTROL)
            && key.code == KeyCode::Char(alt.key)
        {
            return match visible.get(self.selected).map(|&i| &self.rows[i]) {
                Some(PickRow {
                    alternate: Some(command),
                    ..
                }) => PickOutcome::Chosen(command.clone()),
                _ => PickOutcome::Open,
            };
        }
        match keymap::lookup(Context::Picker, key, true) {
            Some(Action::PickerChoose) => {
                return match visible.get(self.selected) {
                    Some(&i) => PickOutcome::Chosen(self.rows[i].command.clone()),
                    None => PickOutcome::Open,
                };
            }
            Some(Action::CloseOverlay) => return PickOutcome::Closed,
            Some(Action::ScrollDown) => self.selected = (self.selected + 1).min(last),
            Some(Action::ScrollUp) => self.selected = self.selected.saturating_sub(1),
            Some(Action::ScrollPageDown) => self.selected = (self.selected + PAGE).min(last),
            Some(Action::ScrollPageUp) => self.selected = self.selected.saturating_sub(PAGE),
            Some(Action::ScrollTop) => self.selected = 0,
            Some(Action::ScrollBottom) => self.selected = last,
            _ => match key.code {
                KeyCode::Backspace => {
                    self.filter.pop();
                    self.selected = 0;
                }
                KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                    self.filter.clear();
                    self.selected = 0;
                }
                KeyCode::Char(c)
                    if !key
                        .modifiers
                        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
                {
                    self.filter.push(c);
                    self.selected = 0;
                }
                _ => {}
            },
        }
        PickOutcome::Open
    }

    /// Draws the picker centred over `area`.
    pub fn render(&self, area: Rect, buf: &mut Buffer, theme: &Theme) {
        let visible = self.visible();
        // As wide as the widest of: every row uncut, the title, the keys
        // line; never wider than the screen allows.
        let natural = column_widths(&self.header, &visible, &self.rows, usize::MAX)
            .iter()
            .map(|w| w + 2)
            .sum::<usize>()
            .max(self.title.width() + 4)
            .max(self.hint().width() + 1)
            + 2;
        let width = (natural.min(120) as u16).min(area.width.saturating_sub(4));
        // Header, rows, a blank line, the filter line, the hint, borders.
        let wanted = self.rows.len().max(1) as u16 + 6;
        let height = wanted.min(area.height.saturating_sub(2)).max(7);
        let rect = super::view::centered(area, width, height);
        Clear.render(rect, buf);
        let inner_width = rect.width.saturating_sub(2) as usize;
        let list_rows = height.saturating_sub(6) as usize;
        let widths = column_widths(&self.header, &visible, &self.rows, inner_width);
        let mut lines = vec![Line::styled(
            format!("  {}", cells_line(&self.header, &widths)),
            theme.heading,
        )];
        // Keep the selection in view, a whole page at a time; the last page
        // is full.
        let page = list_rows.max(1);
        let first = ((self.selected / page) * page).min(visible.len().saturating_sub(page));
        for (n, &i) in visible.iter().enumerate().skip(first).take(list_rows) {
            let text = cells_line(&self.rows[i].cells, &widths);
            let style = if n == self.selected {
                theme.selection
            } else {
                theme.text
            };
            let marker = if n == self.selected { "› " } else { "  " };
            lines.push(Line::from(vec![
                Span::styled(marker, theme.accent),
                Span::styled(text, style),
            ]));
        }
        if visible.is_empty() {
            lines.push(Line::styled(
                if self.rows.is_empty() {
                    " nothing to choose from"
                } else {
                    " no row matches the filter"
                },
                theme.dim,
            ));
        }
        while lines.len() < list_rows + 2 {
            lines.push(Line::default());
        }
        lines.push(Line::from(vec![
            Span::styled(" filter: ", theme.dim),
            Span::styled(self.filter.clone(), theme.user),
            Span::styled("▏", theme.accent),
            Span::styled(
                format!("  {} of {}", visible.len(), self.rows.len()),
                theme.dim,
            ),
        ]));
        lines.push(Line::styled(self.hint(), theme.dim));
        Paragraph::new(lines)
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_style(theme.border_focused)
                    .title(format!(" {} ", self.title)),
            )
            .style(Style::default())
            .render(rect, buf);
    }

    /// The keys, in words.
    fn hint(&self) -> String {
        let mut hint = format!(
            " {} {} · ",
            keymap::keys_for(Action::PickerChoose),
            self.enter
        );
        if let Some(alt) = &self.alternate {
            hint.push_str(&format!(
                "Ctrl-{} {} · ",
                alt.key.to_ascii_uppercase(),
                alt.what
            ));
        }
        hint.push_str("type to filter · Esc closes");
        hint
    }
}

/// Column widths for `inner` cells: each column as wide as its widest cell
/// (header included); when the total is too wide, the widest column gives
/// way (it is usually a prompt or a path).
fn column_widths(
    header: &[String],
    visible: &[usize],
    rows: &[PickRow],
    inner: usize,
) -> Vec<usize> {
    let mut widths: Vec<usize> = header.iter().map(|h| h.width()).collect();
    for &i in visible {
        for (w, cell) in widths.iter_mut().zip(&rows[i].cells) {
            *w = (*w).max(cell.width());
        }
    }
    // Two columns for the selection marker, two spaces between columns.
    let gaps = 2 + 2 * widths.len().saturating_sub(1);
    let total: usize = widths.iter().sum::<usize>() + gaps;
    if total > inner
        && let Some((widest, _)) = widths.iter().enumerate().max_by_key(|(_, w)| **w)
    {
        let excess = total - inner;
        widths[widest] = widths[widest].saturating_sub(excess).max(4);
    }
    widths
}

/// Cells padded or cut to `widths`, two spaces apart.
fn cells_line(cells: &[String], widths: &[usize]) -> String {
    let mut line = String::new();
    for (j, (cell, &width)) in cells.iter().zip(widths).enumerate() {
        if j > 0 {
            line.push_str("  ");
        }
        line.push_str(&fit(cell, width));
    }
    line.trim_end().to_string()
}

/// `text` padded to `width` columns, or cut with an ellipsis.
fn fit(text: &str, width: usize) -> String {
    if text.width() <= width {
        return format!("{text}{}", " ".repeat(width - text.width()));
    }
    let mut out = String::new();
    for c in text.chars() {
        if out.width() + unicode_width::UnicodeWidthChar::width(c).unwrap_or(0) + 1 > width {
            break;
        }
        out.push(c);
    }
    out.push('…');
    format!("{out}{}", " ".repeat(width.saturating_sub(out.width())))
}

#[cfg(test)]
#[path = "picker_tests.rs"]
mod tests;
