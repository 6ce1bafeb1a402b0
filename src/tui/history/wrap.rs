//! Fitting text into a pane's width: word wrapping of plain text, hard
//! wrapping of already-styled lines, and truncation with `…`.

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Columns a tab expands to (ratatui drops control characters, tabs
/// included, so they must become spaces before drawing).
const TAB: &str = "    ";

/// Display width of one character (control characters count as zero, as
/// ratatui does not draw them).
fn char_width(c: char) -> usize {
    c.width().unwrap_or(0)
}

/// Word-wraps `text` into lines at most `width` columns wide. The first line
/// starts with `first`, every other line with `rest` (so both should be
/// equally wide for a hanging indent). Newlines in `text` start new lines;
/// words wider than the room left are broken between characters.
pub(super) fn wrap(
    text: &str,
    width: usize,
    first: Span<'static>,
    rest: Span<'static>,
    style: Style,
) -> Vec<Line<'static>> {
    let mut rows = Vec::new();
    for paragraph in text.split('\n') {
        let prefix = if rows.is_empty() { &first } else { &rest };
        let avail = width.saturating_sub(prefix.width()).max(1);
        wrap_paragraph(paragraph, avail, &mut rows);
    }
    rows.into_iter()
        .enumerate()
        .map(|(i, row)| {
            let prefix = if i == 0 { first.clone() } else { rest.clone() };
            Line::from(vec![prefix, Span::styled(row, style)])
        })
        .collect()
}

/// Greedy word wrap of one line of text into rows of `avail` columns.
/// Leading indentation is kept; spaces at a break are dropped.
fn wrap_paragraph(line: &str, avail: usize, out: &mut Vec<String>) {
    let line = line.trim_end_matches('\r').replace('\t', TAB);
    let mut row = String::new();
    let mut row_w = 0;
    let mut spaces = 0;
    let mut at_start = true;
    for (is_space, token) in tokens(&line) {
        if is_space {
            if at_start {
                push_hard(&mut row, &mut row_w, token, avail, out);
            } else {
                spaces += token.len();
            }
            continue;
        }
        at_start = false;
        let w = token.width();
        if row_w + spaces + w <= avail {
            row.extend(std::iter::repeat_n(' ', spaces));
            row.push_str(token);
            row_w += spaces + w;
        } else {
            if row_w > 0 {
                out.push(std::mem::take(&mut row));
                row_w = 0;
            }
            push_hard(&mut row, &mut row_w, token, avail, out);
        }
        spaces = 0;
    }
    out.push(row);
}

/// Appends `token` to `row` character by character, starting a new row
/// whenever the next character would not fit.
fn push_hard(
    row: &mut String,
    row_w: &mut usize,
    token: &str,
    avail: usize,
    out: &mut Vec<String>,
) {
    for c in token.chars().filter(|c| !c.is_control()) {
        let w = char_width(c);
        if *row_w + w > avail && *row_w > 0 {
            out.push(std::mem::take(row));
            *row_w = 0;
        }
        row.push(c);
        *row_w += w;
    }
}

/// Splits a line into alternating runs of spaces and non-spaces.
fn tokens(line: &str) -> impl Iterator<Item = (bool, &str)> {
    let mut rest = line;
    std::iter::from_fn(move || {
        let first = rest.chars().next()?;
        let is_space = first == ' ';
        let end = rest
            .find(|c: char| (c == ' ') != is_space)
            .unwrap_or(rest.len());
        let (token, tail) = rest.split_at(end);
        rest = tail;
        Some((is_space, token))
    })
}

/// Breaks every line wider than `width` into several, between characters,
/// keeping span and line styles. Lines from the markdown renderer should
/// already fit; this guarantees the line count the scroll arithmetic relies
/// on matches what is drawn.
pub(super) fn fit(lines: Vec<Line<'static>>, width: usize) -> Vec<Line<'static>> {
    let width = width.max(1);
    if lines.iter().all(|l| l.width() <= width) {
        return lines;
    }
    let mut out = Vec::with_capacity(lines.len() + 4);
    for line in lines {
        if line.width() <= width {
            out.push(line);
            continue;
        }
        let mut row: Vec<Span<'static>> = Vec::new();
        let mut row_w = 0;
        for span in &line.spans {
            let mut piece = String::new();
            for c in span.content.chars() {
                let w = char_width(c);
                if row_w + w > width && row_w > 0 {
                    if !piece.is_empty() {
                        row.push(Span::styled(std::mem::take(&mut piece), span.style));
                    }
                    out.push(Line::from(std::mem::take(&mut row)).style(line.style));
                    row_w = 0;
                }
                piece.push(c);
                row_w += w;
            }
            if !piece.is_empty() {
                row.push(Span::styled(piece, span.style));
            }
        }
        out.push(Line::from(row).style(line.style));
    }
    out
}

/// `text` cut to at most `width` columns, ending in `…` when it was cut
/// (control characters shown as spaces). Also the status bar's.
pub(crate) fn truncate(text: &str, width: usize) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if flat.width() <= width {
        return flat;
    }
    if width == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in flat.chars() {
        let w = char_width(c);
        if used + w > width - 1 {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(lines: &[Line<'_>]) -> Vec<String> {
        lines.iter().map(|l| l.to_string()).collect()
    }

    #[test]
    fn wraps_words_with_a_hanging_indent() {
        let lines = wrap(
            "the quick brown fox jumps",
            12,
            Span::raw("› "),
            Span::raw("  "),
            Style::new(),
        );
        assert_eq!(plain(&lines), ["› the quick", "  brown fox", "  jumps"]);
    }

    #[test]
    fn breaks_long_words_and_keeps_indentation_and_blank_lines() {
        let lines = wrap(
            "abcdefghij\n\n  x\ty",
            6,
            Span::raw(""),
            Span::raw(""),
            Style::new(),
        );
        assert_eq!(plain(&lines), ["abcdef", "ghij", "", "  x", "y"]);
    }

    #[test]
    fn fit_splits_wide_lines_keeping_styles() {
        let style = Style::new().bold();
        let lines = fit(
            vec![Line::from(vec![
                Span::raw("abc"),
                Span::styled("defgh", style),
            ])],
            4,
        );
        assert_eq!(plain(&lines), ["abcd", "efgh"]);
        assert_eq!(lines[1].spans[0].style, style);
    }

    #[test]
    fn truncates_with_an_ellipsis() {
        assert_eq!(truncate("hello world", 8), "hello w…");
        assert_eq!(truncate("short", 8), "short");
        assert_eq!(truncate("a\nb", 8), "a b");
    }
}
