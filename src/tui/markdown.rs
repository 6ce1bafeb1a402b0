//! Markdown to styled terminal lines (placeholder: plain text, wrapped).

use ratatui::text::Line;

use super::theme::Theme;

/// Renders `text` as markdown into lines at most `width` columns wide.
pub fn render_markdown(text: &str, width: u16, theme: &Theme) -> Vec<Line<'static>> {
    let _ = width;
    text.lines()
        .map(|l| Line::styled(l.to_string(), theme.text))
        .collect()
}
