//! Soft wrapping of the composer's lines and where the cursor lands.
//!
//! Only the logical lines near the cursor are wrapped, so a huge paste costs
//! no more per frame than a short message.

use std::ops::Range;

use unicode_segmentation::UnicodeSegmentation;

use super::textarea::{Pos, grapheme_width};

/// Columns the prompt (`› `) takes before each visual line.
pub(super) const PROMPT_WIDTH: u16 = 2;

/// One screen row of text: a byte range of one logical line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct VisualRow {
    pub line: usize,
    pub range: Range<usize>,
}

/// The rows to draw and the cursor's place among them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Layout {
    pub rows: Vec<VisualRow>,
    /// Row index in `rows` and display column (after the prompt).
    pub cursor: (usize, usize),
}

/// Splits `line` into rows at most `width` columns wide, breaking after
/// whitespace when a row has some and between graphemes otherwise.
pub(super) fn wrap(line: &str, width: usize) -> Vec<Range<usize>> {
    let width = width.max(1);
    let mut rows = Vec::new();
    let mut start = 0;
    let mut used = 0;
    // Byte offset just after the last whitespace in the current row.
    let mut soft_break: Option<(usize, usize)> = None;
    for (i, g) in line.grapheme_indices(true) {
        let w = grapheme_width(g);
        if used + w > width && i > start {
            match soft_break {
                Some((at, used_at)) if at > start && at < i => {
                    rows.push(start..at);
                    start = at;
                    used -= used_at;
                }
                _ => {
                    rows.push(start..i);
                    start = i;
                    used = 0;
                }
            }
            soft_break = None;
        }
        used += w;
        if g.chars().all(char::is_whitespace) {
            soft_break = Some((i + g.len(), used));
        }
    }
    rows.push(start..line.len());
    rows
}

/// Width of `line[range]` on screen.
pub(super) fn width_of(line: &str, range: Range<usize>) -> usize {
    line[range].graphemes(true).map(grapheme_width).sum()
}

/// Wraps the lines around `cursor` to `width` text columns, keeping at most
/// `max_rows` rows before and after the cursor's line (enough to fill a
/// view of that height wherever it scrolls).
pub(super) fn layout(lines: &[String], cursor: Pos, width: usize, max_rows: usize) -> Layout {
    let first = cursor.0.saturating_sub(max_rows);
    let last = (cursor.0 + max_rows + 1).min(lines.len());
    let mut rows = Vec::new();
    let mut at = (0, 0);
    for (n, line) in lines.iter().enumerate().take(last).skip(first) {
        let wrapped = wrap(line, width);
        let count = wrapped.len();
        for (k, range) in wrapped.into_iter().enumerate() {
            if n == cursor.0 && range.start <= cursor.1 && (cursor.1 < range.end || k + 1 == count)
            {
                let x = width_of(line, range.start..cursor.1);
                at = if x >= width {
                    // The cursor sits after a full last row: give it a row.
                    (rows.len() + 1, 0)
                } else {
                    (rows.len(), x)
                };
            }
            rows.push(VisualRow { line: n, range });
        }
        if n == cursor.0 && at.0 == rows.len() {
            rows.push(VisualRow {
                line: n,
                range: line.len()..line.len(),
            });
        }
    }
    Layout { rows, cursor: at }
}

/// Rows the text needs at `width` text columns, counting no further than
/// `cap`.
pub(super) fn row_count(lines: &[String], cursor: Pos, width: usize, cap: usize) -> usize {
    let mut total = 0;
    for (n, line) in lines.iter().enumerate() {
        total += wrap(line, width).len();
        if n == cursor.0 {
            let wrapped = wrap(line, width);
            let last = wrapped.last().cloned().unwrap_or(0..0);
            if cursor.1 == line.len() && width_of(line, last) >= width {
                total += 1;
            }
        }
        if total >= cap {
            return cap;
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(line: &str, width: usize) -> Vec<&str> {
        wrap(line, width).into_iter().map(|r| &line[r]).collect()
    }

    #[test]
    fn wraps_at_words_then_graphemes() {
        assert_eq!(pieces("hello big world", 10), ["hello big ", "world"]);
        assert_eq!(pieces("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(pieces("日本語です", 5), ["日本", "語で", "す"]);
        assert_eq!(pieces("", 5), [""]);
        assert_eq!(pieces("ab  cd", 3), ["ab ", " cd"]);
    }

    #[test]
    fn cursor_after_a_full_row_gets_its_own_row() {
        let lines = vec!["abcd".to_string()];
        let l = layout(&lines, (0, 4), 4, 10);
        assert_eq!(l.rows.len(), 2);
        assert_eq!(l.cursor, (1, 0));
        assert_eq!(row_count(&lines, (0, 4), 4, 10), 2);
        let l = layout(&lines, (0, 2), 4, 10);
        assert_eq!((l.rows.len(), l.cursor), (1, (0, 2)));
        assert_eq!(row_count(&lines, (0, 2), 4, 10), 1);
    }

    #[test]
    fn cursor_at_a_wrap_point_starts_the_next_row() {
        let lines = vec!["abcdefgh".to_string()];
        let l = layout(&lines, (0, 4), 4, 10);
        assert_eq!(l.cursor, (1, 0));
    }
}
