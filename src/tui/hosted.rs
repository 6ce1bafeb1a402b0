//! Drawing a hosted program's screen (a `vt100` screen) into a pane: its
//! characters, colours and attributes cell by cell, its cursor when the
//! pane is focused, and a line saying how it ended or why it did not start.
//!
//! Colours follow the theme's colour depth: the 16 basic colours become
//! the terminal's own palette, RGB goes through [`Theme::color`] (so a
//! 256- or 16-colour terminal gets the nearest colour), and with
//! `NO_COLOR` nothing is coloured; bold, italic, underline and inverse stay.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Widget, Wrap};

use super::app_host::HostedPane;
use super::theme::Theme;

/// Draws `hosted` into `area` (the pane's body); returns where the cursor
/// goes when `focused` and the program shows one.
pub fn draw(
    hosted: &HostedPane,
    area: Rect,
    buf: &mut Buffer,
    theme: &Theme,
    focused: bool,
) -> Option<(u16, u16)> {
    if area.width == 0 || area.height == 0 {
        return None;
    }
    let Some(program) = &hosted.program else {
        let text = hosted
            .error
            .clone()
            .unwrap_or_else(|| format!("starting {}…", hosted.label()));
        Paragraph::new(text)
            .style(theme.error)
            .wrap(Wrap { trim: false })
            .render(area, buf);
        return None;
    };
    let cursor = program.with_screen(|screen| {
        draw_screen(screen, area, buf, theme);
        let (row, col) = screen.cursor_position();
        let visible = focused && !screen.hide_cursor() && hosted.scroll == 0;
        (visible && row < area.height && col < area.width).then(|| (area.x + col, area.y + row))
    });
    if hosted.scroll > 0 {
        let note = format!(
            " {} lines back · PgDn after the prefix returns ",
            hosted.scroll
        );
        let width = (note.chars().count() as u16).min(area.width);
        let at = Rect::new(area.right() - width, area.y, width, 1);
        Paragraph::new(Line::styled(note, theme.warning)).render(at, buf);
    }
    let note = match (&hosted.exited, &hosted.error, &hosted.pending_comment) {
        (_, _, Some(comment)) => Some(format!(
            "Type this into {}? y / n: {}",
            hosted.label(),
            comment.lines().next().unwrap_or("")
        )),
        (Some(exited), _, _) => Some(exited.clone()),
        (_, Some(error), _) => Some(error.clone()),
        _ => None,
    };
    if let Some(note) = note {
        // As many bottom rows as the note needs at this width, so the
        // words telling the user what to do are never cut off.
        let rows = wrapped_rows(&note, usize::from(area.width.max(1))).min(usize::from(area.height))
            as u16;
        let paragraph = Paragraph::new(Line::styled(
            note,
            theme.warning.add_modifier(Modifier::REVERSED),
        ))
        .wrap(Wrap { trim: true });
        let at = Rect::new(area.x, area.bottom() - rows, area.width, rows);
        for y in at.top()..at.bottom() {
            for x in at.left()..at.right() {
                buf[(x, y)].reset();
            }
        }
        paragraph.render(at, buf);
        return None;
    }
    cursor
}

/// Rows `text` takes when word-wrapped at `width` columns (a word longer
/// than the width takes rows of its own, as ratatui breaks it).
fn wrapped_rows(text: &str, width: usize) -> usize {
    let mut rows = 1;
    let mut used = 0;
    for word in text.split_whitespace() {
        let len = unicode_width::UnicodeWidthStr::width(word);
        let need = if used == 0 { len } else { used + 1 + len };
        if need <= width {
            used = need;
        } else {
            rows += usize::from(used > 0);
            rows += len.saturating_sub(1) / width;
            used = len % width;
            if used == 0 && len > 0 {
                used = width;
            }
        }
    }
    rows
}

/// Copies the visible part of `screen` into `area` of `buf`.
fn draw_screen(screen: &vt100::Screen, area: Rect, buf: &mut Buffer, theme: &Theme) {
    let (rows, cols) = screen.size();
    for row in 0..area.height.min(rows.get()) {
        for col in 0..area.width.min(cols.get()) {
            let Some(cell) = screen.cell(row, col) else {
                continue;
            };
            if cell.is_wide_continuation() {
                continue;
            }
            let target = &mut buf[(area.x + col, area.y + row)];
            let text = cell.contents();
            target.set_symbol(if text.is_empty() { " " } else { text });
            target.set_style(super::vt_style::cell_style(cell, theme));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::style::Color;

    use crate::tui::theme::ColorDepth;

    fn screen(bytes: &[u8]) -> vt100::Parser {
        let mut p = vt100::Parser::new(
            std::num::NonZeroU16::new(4).unwrap(),
            std::num::NonZeroU16::new(20).unwrap(),
            0,
        );
        p.process(bytes);
        p
    }

    #[test]
    fn a_note_takes_the_rows_it_needs() {
        assert_eq!(wrapped_rows("short", 20), 1);
        assert_eq!(
            wrapped_rows("exited with code 7 — Enter restarts it", 20),
            2
        );
        assert_eq!(wrapped_rows("aaaaaaaaaaaaaaaaaaaaaaaaa", 10), 3);
    }

    #[test]
    fn cells_keep_their_colours_and_attributes() {
        let theme = Theme::built_in("dark", ColorDepth::TrueColor).unwrap();
        let parser = screen(
            b"\x1b[31mred\x1b[0m \x1b[1;3;4;7mB\x1b[0m\x1b[38;2;10;20;30mrgb\x1b[38;5;200mi",
        );
        let area = Rect::new(1, 1, 20, 4);
        let mut buf = Buffer::empty(Rect::new(0, 0, 22, 6));
        draw_screen(parser.screen(), area, &mut buf, &theme);
        assert_eq!(buf[(1, 1)].symbol(), "r");
        assert_eq!(buf[(1, 1)].fg, Color::Red);
        let b = &buf[(5, 1)];
        assert_eq!(b.symbol(), "B");
        for m in [
            Modifier::BOLD,
            Modifier::ITALIC,
            Modifier::UNDERLINED,
            Modifier::REVERSED,
        ] {
            assert!(b.modifier.contains(m), "{m:?}");
        }
        assert_eq!(buf[(6, 1)].fg, Color::Rgb(10, 20, 30));
        assert_eq!(buf[(9, 1)].fg, Color::Indexed(200));
        // Without colour (NO_COLOR) the attributes stay, the colours go.
        let mut plain = Buffer::empty(Rect::new(0, 0, 22, 6));
        let no_colour = Theme::built_in("dark", ColorDepth::None).unwrap();
        draw_screen(parser.screen(), area, &mut plain, &no_colour);
        assert_eq!(plain[(1, 1)].fg, Color::Reset);
        assert!(plain[(5, 1)].modifier.contains(Modifier::BOLD));
    }
}
