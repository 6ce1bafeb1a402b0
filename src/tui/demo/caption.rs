//! The demo's caption box: bottom right, above the status bar. It names
//! the key the demo just pressed and what it does (so the viewer learns the
//! keys), or narrates, and says which keys control the demo.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Widget, Wrap};

use super::director::{Director, State};
use crate::tui::theme::Theme;

/// The widest the box gets.
const MAX_WIDTH: u16 = 64;

/// The controls line while the demo plays.
const CONTROLS: &str = "Space pause · +/- speed · Enter skip · Esc take over · q quit";
/// The controls line once the story is over.
const ENDED: &str = "q quit · any other key: explore on your own";

/// Draws the caption of `director` (nothing once the viewer took over).
pub fn draw(director: &Director, frame: &mut Frame, theme: &Theme) {
    let Some(caption) = director.caption() else {
        return;
    };
    let area = frame.area();
    // Keep the status bar (the last row) and a little of the panes visible.
    if area.width < 24 || area.height < 8 {
        return;
    }
    let width = MAX_WIDTH.min(area.width - 2);
    let inner = usize::from(width - 2);
    let mut lines = Vec::new();
    let mut first = Vec::new();
    if !caption.keys.is_empty() {
        first.push(Span::styled(
            caption.keys.clone(),
            theme.accent.add_modifier(Modifier::BOLD),
        ));
        first.push(Span::styled(" — ", theme.dim));
    }
    first.push(Span::styled(caption.text.clone(), theme.text));
    lines.push(Line::from(first));
    let controls = match director.state() {
        State::Ended => ENDED,
        _ => CONTROLS,
    };
    lines.push(Line::styled(controls, theme.dim));
    let rows: usize = lines
        .iter()
        .map(|l| {
            let text: String = l.spans.iter().map(|s| s.content.as_ref()).collect();
            wrapped_rows(&text, inner)
        })
        .sum();
    let height = (rows as u16 + 2).min(area.height - 3);
    let rect = Rect {
        x: area.width - width - 1,
        y: area.height - 1 - height,
        width,
        height,
    };
    let title = match director.state() {
        State::Paused => " demo · paused ".to_string(),
        State::Ended => " demo · the end ".to_string(),
        _ => format!(" demo · ×{} ", speed_label(director.speed())),
    };
    let buf = frame.buffer_mut();
    Clear.render(rect, buf);
    Paragraph::new(lines)
        .wrap(Wrap { trim: true })
        .block(
            Block::default()
                .borders(Borders::ALL)
                .border_type(BorderType::Rounded)
                .border_style(theme.border_focused)
                .title(Span::styled(title, theme.accent)),
        )
        .render(rect, buf);
}

/// How many rows `text` takes when wrapped at word boundaries to `width`.
fn wrapped_rows(text: &str, width: usize) -> usize {
    let width = width.max(1);
    let mut rows = 1;
    let mut used = 0;
    for word in text.split_whitespace() {
        let len = unicode_width::UnicodeWidthStr::width(word);
        let need = if used == 0 { len } else { used + 1 + len };
        if need <= width {
            used = need;
            continue;
        }
        // The word starts a row (unless this one is still empty); a word
        // wider than a row is broken over several.
        if used > 0 {
            rows += 1;
        }
        rows += len.saturating_sub(1) / width;
        used = match len % width {
            0 => width,
            rest => rest,
        };
    }
    rows
}

/// `1`, `1.5`, `0.44`: the speed without trailing zeros.
fn speed_label(speed: f64) -> String {
    let text = format!("{speed:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::{speed_label, wrapped_rows};

    #[test]
    fn rows_follow_word_wrapping() {
        assert_eq!(wrapped_rows("", 10), 1);
        assert_eq!(wrapped_rows("one two", 7), 1);
        assert_eq!(wrapped_rows("one two three", 7), 2);
        assert_eq!(wrapped_rows("abcdefghijkl", 5), 3);
    }

    #[test]
    fn speed_has_no_trailing_zeros() {
        assert_eq!(speed_label(1.0), "1");
        assert_eq!(speed_label(1.5), "1.5");
        assert_eq!(speed_label(50.0), "50");
    }
}
