//! Live output of a running command: raw PTY bytes go through a `vt100`
//! screen, so carriage-return progress bars, cursor movement and colours
//! show as a terminal would show them, not as a growing pile of bytes.

use std::num::NonZeroU16;

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use crate::tui::theme::Theme;
use crate::tui::vt_style::cell_style;

/// Size of the emulated screen as (rows, columns). It mirrors the PTY the
/// shell tool gives commands (`tools::shell`'s `PTY_SIZE`), so programs
/// that draw to the terminal width (progress bars) land where they expect;
/// rows wider than the pane are cut when drawn.
const SCREEN_SIZE: (u16, u16) = (40, 160);

/// How many rows of the screen are shown under a running command: the last
/// ones written, so the newest output is always in view.
pub(super) const SHOWN_ROWS: usize = 12;

/// The screen of one running command.
pub(super) struct LiveScreen {
    parser: vt100::Parser,
}

impl LiveScreen {
    /// An empty screen.
    pub(super) fn new() -> Self {
        let (rows, cols) = SCREEN_SIZE;
        let nz = |n: u16| NonZeroU16::new(n).unwrap_or(NonZeroU16::MIN);
        Self {
            parser: vt100::Parser::new(nz(rows), nz(cols), 0),
        }
    }

    /// Feeds raw output bytes to the screen.
    pub(super) fn feed(&mut self, bytes: &[u8]) {
        self.parser.process(bytes);
    }

    /// The last [`SHOWN_ROWS`] rows up to the cursor or the last non-blank
    /// row (whichever is lower), each cut to `width` columns and styled from
    /// the cells' colours and attributes (colours dropped when the theme has
    /// none, as under `NO_COLOR`). No rows when nothing was written yet.
    pub(super) fn lines(&self, width: usize, theme: &Theme) -> Vec<Line<'static>> {
        let screen = self.parser.screen();
        let (rows, cols) = screen.size();
        let (rows, cols) = (rows.get(), cols.get());
        let row_blank = |r: u16| {
            (0..cols).all(|c| {
                screen
                    .cell(r, c)
                    .is_none_or(|cell| cell.contents().trim().is_empty())
            })
        };
        let last_text = (0..rows).rev().find(|&r| !row_blank(r));
        let (cursor_row, cursor_col) = screen.cursor_position();
        let end = match last_text {
            None if cursor_row == 0 && cursor_col == 0 => return Vec::new(),
            None => cursor_row,
            Some(r) => r.max(if cursor_col > 0 { cursor_row } else { r }),
        };
        let start = (usize::from(end) + 1).saturating_sub(SHOWN_ROWS) as u16;
        (start..=end)
            .map(|r| row_line(screen, r, cols.min(width as u16), theme))
            .collect()
    }
}

/// One screen row as a line of spans, one span per run of equal style,
/// with trailing blanks dropped.
fn row_line(screen: &vt100::Screen, row: u16, cols: u16, theme: &Theme) -> Line<'static> {
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut text = String::new();
    let mut style = Style::new();
    let mut used = 0u16;
    for col in 0..cols {
        let Some(cell) = screen.cell(row, col) else {
            break;
        };
        if cell.is_wide_continuation() {
            continue;
        }
        let w = if cell.is_wide() { 2 } else { 1 };
        if used + w > cols {
            break;
        }
        used += w;
        let cell_style = cell_style(cell, theme);
        if cell_style != style && !text.is_empty() {
            spans.push(Span::styled(std::mem::take(&mut text), style));
        }
        style = cell_style;
        match cell.contents() {
            "" => text.push(' '),
            s => text.push_str(s),
        }
    }
    if !text.is_empty() {
        spans.push(Span::styled(text, style));
    }
    while let Some(last) = spans.last_mut() {
        let trimmed = last.content.trim_end();
        if trimmed.len() == last.content.len() {
            break;
        }
        if trimmed.is_empty() && last.style.bg.is_none() {
            spans.pop();
        } else if last.style.bg.is_none() {
            last.content = trimmed.to_string().into();
            break;
        } else {
            break;
        }
    }
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use ratatui::style::{Color, Modifier};

    use super::*;
    use crate::tui::theme::ColorDepth;

    fn colour() -> Theme {
        Theme::built_in("dark", ColorDepth::TrueColor).unwrap()
    }

    fn text(screen: &LiveScreen) -> Vec<String> {
        screen
            .lines(80, &colour())
            .iter()
            .map(|l| l.to_string())
            .collect()
    }

    #[test]
    fn carriage_returns_leave_the_last_state() {
        let mut s = LiveScreen::new();
        assert!(text(&s).is_empty());
        s.feed(b"building\r\n[#   ] 25%\r[##  ] 50%\r[####] 100%\r\ndone\r\n");
        assert_eq!(text(&s), ["building", "[####] 100%", "done"]);
    }

    #[test]
    fn only_the_last_rows_are_shown() {
        let mut s = LiveScreen::new();
        for i in 0..30 {
            s.feed(format!("line {i}\r\n").as_bytes());
        }
        let t = text(&s);
        assert_eq!(t.len(), SHOWN_ROWS);
        assert_eq!(t.last().map(String::as_str), Some("line 29"));
    }

    #[test]
    fn colours_and_attributes_become_styles() {
        let mut s = LiveScreen::new();
        s.feed(b"ok \x1b[1;31merror\x1b[0m \x1b[38;5;200mpink\x1b[0m");
        let lines = s.lines(80, &colour());
        let spans = &lines[0].spans;
        assert_eq!(spans[0].content, "ok ");
        assert_eq!(spans[1].content, "error");
        assert_eq!(spans[1].style.fg, Some(Color::Red));
        assert!(spans[1].style.add_modifier.contains(Modifier::BOLD));
        assert_eq!(spans[3].style.fg, Some(Color::Indexed(200)));
        let plain = s.lines(80, &Theme::built_in("dark", ColorDepth::None).unwrap());
        assert_eq!(plain[0].spans[1].style.fg, None);
        assert_eq!(s.lines(4, &colour())[0].to_string(), "ok e");
    }
}
