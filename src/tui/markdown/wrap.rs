//! Greedy word wrapping of styled text to display columns.
//!
//! Widths come from `unicode-width` (wide CJK and emoji count two columns).
//! Text is only ever split between clusters: a character plus the
//! zero-width marks, variation selectors, skin-tone modifiers and
//! zero-width-joined characters that follow it, and regional-indicator
//! pairs (flags) — an approximation of grapheme clusters good enough to keep
//! every emoji and accented letter whole.

use ratatui::style::Style;
use ratatui::text::Span;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// A run of text in one style; `'\n'` inside it is a hard line break.
#[derive(Debug, Clone)]
pub(super) struct Piece {
    pub text: String,
    pub style: Style,
}

impl Piece {
    pub fn new(text: impl Into<String>, style: Style) -> Self {
        Piece {
            text: text.into(),
            style,
        }
    }
}

/// A line under construction: runs of text, adjacent runs of one style
/// merged.
pub(super) type Row = Vec<(String, Style)>;

const ZWJ: char = '\u{200d}';

fn is_regional_indicator(c: char) -> bool {
    ('\u{1f1e6}'..='\u{1f1ff}').contains(&c)
}

fn is_skin_tone(c: char) -> bool {
    ('\u{1f3fb}'..='\u{1f3ff}').contains(&c)
}

/// Splits `s` into clusters with their display widths.
pub(super) fn clusters(s: &str) -> impl Iterator<Item = (&str, usize)> {
    let mut rest = s;
    std::iter::from_fn(move || {
        let mut chars = rest.char_indices();
        let (_, first) = chars.next()?;
        let mut end = first.len_utf8();
        let mut prev = first;
        let mut flag_done = !is_regional_indicator(first);
        for (i, c) in chars {
            let joins = prev == ZWJ
                || c == ZWJ
                || is_skin_tone(c)
                || UnicodeWidthChar::width(c) == Some(0)
                || (!flag_done && is_regional_indicator(c));
            if !joins {
                break;
            }
            if is_regional_indicator(c) {
                flag_done = true;
            }
            end = i + c.len_utf8();
            prev = c;
        }
        let (cluster, tail) = rest.split_at(end);
        rest = tail;
        let width = if cluster.len() == first.len_utf8() {
            UnicodeWidthChar::width(first).unwrap_or(0)
        } else {
            UnicodeWidthStr::width(cluster)
        };
        Some((cluster, width))
    })
}

/// Display width of `s`, as ratatui measures it.
pub(super) fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// Builds rows no wider than `width`.
struct Builder {
    width: usize,
    rows: Vec<Row>,
    row: Row,
    row_width: usize,
}

impl Builder {
    fn new(width: usize) -> Self {
        Builder {
            width: width.max(1),
            rows: Vec::new(),
            row: Vec::new(),
            row_width: 0,
        }
    }

    fn push(&mut self, text: &str, w: usize, style: Style) {
        match self.row.last_mut() {
            Some((last, s)) if *s == style => last.push_str(text),
            _ => self.row.push((text.to_string(), style)),
        }
        self.row_width += w;
    }

    fn newline(&mut self) {
        self.rows.push(std::mem::take(&mut self.row));
        self.row_width = 0;
    }

    /// Appends `text` cluster by cluster, starting a new row whenever the
    /// next cluster would not fit. A cluster wider than a whole row (a wide
    /// character in a one-column space) becomes `…`.
    fn push_breaking(&mut self, text: &str, style: Style) {
        for (cluster, w) in clusters(text) {
            if self.row_width + w > self.width && self.row_width > 0 {
                self.newline();
            }
            if w > self.width {
                self.push("…", 1, style);
            } else {
                self.push(cluster, w, style);
            }
        }
    }

    fn finish(mut self) -> Vec<Row> {
        if !self.row.is_empty() {
            self.newline();
        }
        self.rows
    }
}

/// Word-wraps `pieces` to rows of at most `width` columns. Breaks at
/// whitespace; a word wider than the row starts a row of its own and is
/// broken between clusters. Whitespace at the start of a wrapped row is
/// dropped; `'\n'` forces a break.
pub(super) fn wrap(pieces: &[Piece], width: usize) -> Vec<Row> {
    let mut b = Builder::new(width);
    let mut word: Row = Vec::new();
    let mut word_width = 0;
    let mut spaces: Vec<Style> = Vec::new();

    let place =
        |b: &mut Builder, word: &mut Row, word_width: &mut usize, spaces: &mut Vec<Style>| {
            if word.is_empty() {
                return;
            }
            let gap = if b.row_width == 0 { 0 } else { spaces.len() };
            if b.row_width + gap + *word_width <= b.width {
                if gap > 0 {
                    for s in spaces.iter() {
                        b.push(" ", 1, *s);
                    }
                }
                for (t, s) in word.drain(..) {
                    let w = width_of(&t);
                    b.push(&t, w, s);
                }
            } else {
                if b.row_width > 0 {
                    b.newline();
                }
                if *word_width <= b.width {
                    for (t, s) in word.drain(..) {
                        let w = width_of(&t);
                        b.push(&t, w, s);
                    }
                } else {
                    for (t, s) in word.drain(..) {
                        b.push_breaking(&t, s);
                    }
                }
            }
            *word_width = 0;
            spaces.clear();
        };

    for piece in pieces {
        let style = piece.style;
        let mut start = 0;
        let text = piece.text.as_str();
        for (i, c) in text.char_indices() {
            if c == '\n' || c == ' ' {
                if start < i {
                    let chunk = &text[start..i];
                    word_width += width_of(chunk);
                    push_run(&mut word, chunk, style);
                }
                start = i + 1;
                place(&mut b, &mut word, &mut word_width, &mut spaces);
                if c == '\n' {
                    spaces.clear();
                    b.newline();
                } else {
                    spaces.push(style);
                }
            }
        }
        if start < text.len() {
            let chunk = &text[start..];
            word_width += width_of(chunk);
            push_run(&mut word, chunk, style);
        }
    }
    place(&mut b, &mut word, &mut word_width, &mut spaces);
    b.finish()
}

fn push_run(row: &mut Row, text: &str, style: Style) {
    match row.last_mut() {
        Some((last, s)) if *s == style => last.push_str(text),
        _ => row.push((text.to_string(), style)),
    }
}

/// Width as the sum of cluster widths, the measure rows are built with.
fn width_of(s: &str) -> usize {
    if s.is_ascii() {
        return s.len();
    }
    clusters(s).map(|(_, w)| w).sum()
}

/// Breaks one line of spans into rows of at most `width` columns between
/// clusters, without looking for words: for code, where every column
/// matters and no whitespace may be dropped.
pub(super) fn wrap_chars(spans: &[Span<'static>], width: usize) -> Vec<Row> {
    let mut b = Builder::new(width);
    for span in spans {
        b.push_breaking(&span.content, span.style);
    }
    let rows = b.finish();
    if rows.is_empty() {
        vec![Vec::new()]
    } else {
        rows
    }
}

/// Keeps the last `max` columns of `row`: a prefix too wide for the screen
/// loses its outer levels first, so the innermost marker stays.
pub(super) fn keep_right(row: Row, max: usize) -> Row {
    let total: usize = row.iter().map(|(t, _)| width_of(t)).sum();
    if total <= max {
        return row;
    }
    let mut drop = total - max;
    let mut out = Vec::new();
    for (text, style) in row {
        if drop == 0 {
            out.push((text, style));
            continue;
        }
        let mut kept = String::new();
        for (cluster, w) in clusters(&text) {
            if drop > 0 {
                // A wide cluster straddling the cut leaves a blank column.
                if w > drop {
                    kept.push_str(&" ".repeat(w - drop));
                }
                drop = drop.saturating_sub(w);
            } else {
                kept.push_str(cluster);
            }
        }
        if !kept.is_empty() {
            out.push((kept, style));
        }
    }
    out
}

/// Total display width of a row.
pub(super) fn row_width(row: &Row) -> usize {
    row.iter().map(|(t, _)| width_of(t)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(rows: &[Row]) -> Vec<String> {
        rows.iter()
            .map(|r| r.iter().map(|(t, _)| t.as_str()).collect())
            .collect()
    }

    fn wrap_str(s: &str, w: usize) -> Vec<String> {
        plain(&wrap(&[Piece::new(s, Style::new())], w))
    }

    #[test]
    fn clusters_keep_marks_and_emoji_whole() {
        let c: Vec<_> = clusters("e\u{301}👍🏽🇫🇷👨\u{200d}👩\u{200d}👧中a").collect();
        let texts: Vec<_> = c.iter().map(|(t, _)| *t).collect();
        assert_eq!(
            texts,
            ["e\u{301}", "👍🏽", "🇫🇷", "👨\u{200d}👩\u{200d}👧", "中", "a"]
        );
        for (t, w) in c {
            assert_eq!(w, UnicodeWidthStr::width(t), "{t}");
        }
    }

    #[test]
    fn words_wrap_greedily() {
        assert_eq!(
            wrap_str("the quick brown fox jumps", 10),
            ["the quick", "brown fox", "jumps"]
        );
        assert_eq!(wrap_str("a\nb  c", 10), ["a", "b  c"]);
        assert_eq!(
            wrap_str("x https://example.com/long", 8),
            ["x", "https://", "example.", "com/long"]
        );
        assert_eq!(wrap_str("中文字符测试", 5), ["中文", "字符", "测试"]);
        assert_eq!(wrap_str("中", 1), ["…"]);
    }

    #[test]
    fn styles_merge_and_split_with_words() {
        let bold = Style::new().bold();
        let rows = wrap(
            &[
                Piece::new("ab", Style::new()),
                Piece::new("cd ef", bold),
                Piece::new(" gh", Style::new()),
            ],
            5,
        );
        assert_eq!(plain(&rows), ["abcd", "ef gh"]);
        assert_eq!(rows[0].len(), 2);
        assert_eq!(rows[1][0], ("ef".to_string(), bold));
    }

    #[test]
    fn prefixes_lose_their_left_end() {
        let row = vec![
            ("│ ".to_string(), Style::new()),
            ("• ".to_string(), Style::new()),
        ];
        assert_eq!(plain(&[keep_right(row.clone(), 3)]), [" • "]);
        assert_eq!(plain(&[keep_right(row, 9)]), ["│ • "]);
    }
}
