//! Tables: columns fitted to their content, shrunk to the width, drawn
//! with box-drawing borders; cells that do not fit are word-wrapped.

use pulldown_cmark::Alignment;
use ratatui::style::{Modifier, Style};

use super::wrap::{Piece, Row, row_width, width, wrap};
use crate::tui::theme::Theme;

/// A table collected from the event stream, rendered once it ends.
#[derive(Debug, Default)]
pub(super) struct Table {
    pub aligns: Vec<Alignment>,
    pub rows: Vec<Vec<Vec<Piece>>>,
    /// How many leading rows are the header.
    pub header_rows: usize,
}

impl Table {
    /// Rows of at most `width` columns. When even one column per cell does
    /// not fit, every row becomes a wrapped line of cells joined by ` │ `.
    pub fn render(&self, width: usize, theme: &Theme) -> Vec<Row> {
        let ncols = self
            .rows
            .iter()
            .map(Vec::len)
            .max()
            .unwrap_or(0)
            .max(self.aligns.len());
        if ncols == 0 {
            return Vec::new();
        }
        let overhead = 3 * ncols + 1;
        if width < overhead + ncols {
            return self.render_flat(width, theme);
        }
        let mut natural = vec![1usize; ncols];
        let mut longest_word = vec![1usize; ncols];
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate() {
                let w = wrap(cell, usize::MAX)
                    .iter()
                    .map(row_width)
                    .max()
                    .unwrap_or(0);
                natural[i] = natural[i].max(w);
                longest_word[i] = longest_word[i].max(word_width(cell));
            }
        }
        let widths = column_widths(&natural, &longest_word, width - overhead);
        let border = theme.border;
        let rule = |l: &str, m: &str, r: &str| -> Row {
            let mut s = String::from(l);
            for (i, w) in widths.iter().enumerate() {
                if i > 0 {
                    s.push_str(m);
                }
                s.push_str(&"─".repeat(w + 2));
            }
            s.push_str(r);
            vec![(s, border)]
        };
        let mut out = vec![rule("┌", "┬", "┐")];
        for (r, row) in self.rows.iter().enumerate() {
            if r > 0 && r == self.header_rows {
                out.push(rule("├", "┼", "┤"));
            }
            let header = r < self.header_rows;
            let cells: Vec<Vec<Row>> = (0..ncols)
                .map(|c| {
                    let mut lines = row.get(c).map(|p| wrap(p, widths[c])).unwrap_or_default();
                    if header {
                        for line in &mut lines {
                            for (_, s) in line.iter_mut() {
                                *s = s.add_modifier(Modifier::BOLD);
                            }
                        }
                    }
                    lines
                })
                .collect();
            let height = cells.iter().map(Vec::len).max().unwrap_or(0).max(1);
            for l in 0..height {
                let mut line: Row = vec![("│".to_string(), border)];
                for (c, cell) in cells.iter().enumerate() {
                    let content = cell.get(l).cloned().unwrap_or_default();
                    let pad = widths[c].saturating_sub(row_width(&content));
                    let (left, right) = match self.aligns.get(c) {
                        Some(Alignment::Right) => (pad, 0),
                        Some(Alignment::Center) => (pad / 2, pad - pad / 2),
                        _ => (0, pad),
                    };
                    line.push((" ".repeat(left + 1), Style::new()));
                    line.extend(content);
                    line.push((" ".repeat(right + 1), Style::new()));
                    line.push(("│".to_string(), border));
                }
                out.push(line);
            }
        }
        out.push(rule("└", "┴", "┘"));
        out
    }

    fn render_flat(&self, width: usize, theme: &Theme) -> Vec<Row> {
        let mut out = Vec::new();
        for (r, row) in self.rows.iter().enumerate() {
            let mut pieces = Vec::new();
            for (c, cell) in row.iter().enumerate() {
                if c > 0 {
                    pieces.push(Piece::new(" │ ", theme.border));
                }
                pieces.extend(cell.iter().map(|p| {
                    let mut p = p.clone();
                    if r < self.header_rows {
                        p.style = p.style.add_modifier(Modifier::BOLD);
                    }
                    p
                }));
            }
            out.extend(wrap(&pieces, width));
        }
        out
    }
}

/// The widest word of a cell (words break only when no layout avoids it).
fn word_width(cell: &[Piece]) -> usize {
    let text: String = cell.iter().map(|p| p.text.as_str()).collect();
    text.split([' ', '\n']).map(width).max().unwrap_or(0)
}

/// Column widths summing to at most `avail`: the natural widths when they
/// fit; else every column gets its longest word and the rest is shared out
/// by [`fit`]; else (words must break) [`fit`] on the natural widths.
fn column_widths(natural: &[usize], longest_word: &[usize], avail: usize) -> Vec<usize> {
    let min: Vec<usize> = natural
        .iter()
        .zip(longest_word)
        .map(|(n, w)| (*n).min(*w))
        .collect();
    let min_total: usize = min.iter().sum();
    if natural.iter().sum::<usize>() <= avail || min_total > avail {
        return fit(natural, avail);
    }
    let extra: Vec<usize> = natural.iter().zip(&min).map(|(n, m)| n - m).collect();
    fit(&extra, avail - min_total)
        .iter()
        .zip(&min)
        .map(|(e, m)| e + m)
        .collect()
}

/// Widths summing to at most `avail`: `natural` when it fits; otherwise
/// narrow columns keep their width and the wide ones share
/// what is left equally (water-filling), so one long cell cannot squeeze
/// every other column to nothing.
fn fit(natural: &[usize], avail: usize) -> Vec<usize> {
    if natural.iter().sum::<usize>() <= avail {
        return natural.to_vec();
    }
    let mut widths = vec![0usize; natural.len()];
    let mut open: Vec<usize> = (0..natural.len()).collect();
    let mut left = avail;
    loop {
        let share = left / open.len().max(1);
        let (fits, wide): (Vec<usize>, Vec<usize>) =
            open.iter().partition(|&&c| natural[c] <= share);
        if fits.is_empty() {
            let extra = left - share * wide.len();
            for (k, &c) in wide.iter().enumerate() {
                widths[c] = share + usize::from(k < extra);
            }
            return widths;
        }
        for &c in &fits {
            widths[c] = natural[c];
            left -= natural[c];
        }
        open = wide;
        if open.is_empty() {
            return widths;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{column_widths, fit};

    #[test]
    fn columns_share_the_width_fairly() {
        assert_eq!(fit(&[3, 4], 20), [3, 4]);
        assert_eq!(fit(&[3, 40, 30], 30), [3, 14, 13]);
        assert_eq!(fit(&[10, 10, 10], 9), [3, 3, 3]);
        assert_eq!(fit(&[1, 1, 50], 10), [1, 1, 8]);
        assert_eq!(fit(&[0, 5], 3), [0, 3]);
        // Words stay whole when the longest ones fit side by side.
        assert_eq!(column_widths(&[20, 30], &[12, 4], 20), [14, 6]);
        assert_eq!(column_widths(&[20, 30], &[12, 10], 20), [10, 10]);
    }
}
