//! Turning a diff line into styled spans (syntax colours under word
//! emphasis backgrounds) and fitting spans into a width: truncated with
//! `…` or wrapped.

use std::ops::Range;

use ratatui::style::Style;
use ratatui::text::Span;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Text safe to draw: tabs become four spaces, control characters (escape
/// sequences in a file) are dropped. Shared with code blocks in the history.
pub(crate) use crate::tui::highlight::clean;

/// Display width of `text` once cleaned.
pub(crate) fn clean_width(text: &str) -> usize {
    text.chars()
        .map(|c| match c {
            '\t' => 4,
            c if c.is_control() => 0,
            c => c.width().unwrap_or(0),
        })
        .sum()
}

/// The spans of one line: `base` (the line's diff style), the syntax
/// runs' foreground on top, and on `emphasis` ranges the emphasis
/// background and modifiers (the syntax foreground stays).
pub(crate) fn line_spans(
    text: &str,
    runs: Option<&[(Style, usize)]>,
    base: Style,
    emphasis: &[Range<usize>],
    emphasis_style: Style,
) -> Vec<Span<'static>> {
    let mut cuts: Vec<usize> = vec![0, text.len()];
    if let Some(runs) = runs {
        let mut at = 0;
        for (_, len) in runs {
            at += len;
            cuts.push(at.min(text.len()));
        }
    }
    let emphasis: Vec<&Range<usize>> = emphasis
        .iter()
        .filter(|r| {
            r.start < r.end
                && r.end <= text.len()
                && text.is_char_boundary(r.start)
                && text.is_char_boundary(r.end)
        })
        .collect();
    for r in &emphasis {
        cuts.push(r.start);
        cuts.push(r.end);
    }
    cuts.retain(|&c| text.is_char_boundary(c));
    cuts.sort_unstable();
    cuts.dedup();
    let syntax_at = |pos: usize| -> Style {
        let Some(runs) = runs else {
            return Style::new();
        };
        let mut at = 0;
        for (style, len) in runs {
            if pos < at + len {
                return *style;
            }
            at += len;
        }
        Style::new()
    };
    let emphasis_patch = Style {
        fg: None,
        ..emphasis_style
    };
    let mut spans = Vec::with_capacity(cuts.len());
    for w in cuts.windows(2) {
        let (a, b) = (w[0], w[1]);
        if a == b {
            continue;
        }
        let mut style = base.patch(syntax_at(a));
        if emphasis.iter().any(|r| r.start <= a && b <= r.end) {
            style = style.patch(emphasis_patch);
            if runs.is_none() {
                style = style.patch(emphasis_style);
            }
        }
        let piece = clean(&text[a..b]);
        if !piece.is_empty() {
            spans.push(Span::styled(piece, style));
        }
    }
    spans
}

/// Total display width of spans.
pub(crate) fn spans_width(spans: &[Span]) -> usize {
    spans.iter().map(|s| s.content.width()).sum()
}

/// The spans cut to `width` columns, the last one replaced by `…` when
/// something was cut.
pub(crate) fn truncate(spans: Vec<Span<'static>>, width: usize) -> Vec<Span<'static>> {
    if spans_width(&spans) <= width {
        return spans;
    }
    if width == 0 {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut used = 0;
    let budget = width - 1;
    let mut last_style = Style::new();
    for span in spans {
        last_style = span.style;
        let mut piece = String::new();
        for c in span.content.chars() {
            let w = c.width().unwrap_or(0);
            if used + w > budget {
                break;
            }
            used += w;
            piece.push(c);
        }
        let full = piece.len() == span.content.len();
        if !piece.is_empty() {
            out.push(Span::styled(piece, span.style));
        }
        if !full {
            break;
        }
    }
    out.push(Span::styled("…", last_style));
    out
}

/// The spans split into lines of at most `width` columns (at least one).
pub(crate) fn wrap(spans: Vec<Span<'static>>, width: usize) -> Vec<Vec<Span<'static>>> {
    let width = width.max(1);
    let mut lines = vec![Vec::new()];
    let mut used = 0;
    for span in spans {
        let mut piece = String::new();
        for c in span.content.chars() {
            let w = c.width().unwrap_or(0);
            if used + w > width && used > 0 {
                if !piece.is_empty() {
                    lines
                        .last_mut()
                        .expect("starts with one line")
                        .push(Span::styled(std::mem::take(&mut piece), span.style));
                }
                lines.push(Vec::new());
                used = 0;
            }
            used += w;
            piece.push(c);
        }
        if !piece.is_empty() {
            lines
                .last_mut()
                .expect("starts with one line")
                .push(Span::styled(piece, span.style));
        }
    }
    lines
}

/// How many lines `text` takes when wrapped at `width`.
pub(crate) fn wrapped_height(text: &str, width: usize) -> usize {
    clean_width(text).div_ceil(width.max(1)).max(1)
}

/// `text` shortened to `width` columns by replacing its middle with `…`
/// (paths keep their start and their file name).
pub(crate) fn middle_truncate(text: &str, width: usize) -> String {
    let text = clean(text);
    if text.width() <= width {
        return text;
    }
    if width <= 1 {
        return "…".chars().take(width).collect();
    }
    let keep = width - 1;
    // Keep the file name (and its slash) whole when it fits.
    let name = text.rsplit('/').next().unwrap_or("").width() + 1;
    let tail_budget = keep.div_ceil(2).max(name.min(keep));
    let head_budget = keep - tail_budget;
    let mut head = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > head_budget {
            break;
        }
        used += w;
        head.push(c);
    }
    let mut tail: Vec<char> = Vec::new();
    let mut used = 0;
    for c in text.chars().rev() {
        let w = c.width().unwrap_or(0);
        if used + w > tail_budget {
            break;
        }
        used += w;
        tail.push(c);
    }
    tail.reverse();
    format!("{head}…{}", tail.into_iter().collect::<String>())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::style::Color;

    #[test]
    fn emphasis_keeps_the_syntax_foreground() {
        let base = Style::new().fg(Color::Green).bg(Color::Black);
        let emph = Style::new().fg(Color::Green).bg(Color::Blue);
        let runs = [
            (Style::new().fg(Color::Red), 3),
            (Style::new().fg(Color::Yellow), 4),
        ];
        let emphasis = vec![Range { start: 2, end: 5 }];
        let spans = line_spans("let x=1", Some(&runs), base, &emphasis, emph);
        let text: Vec<&str> = spans.iter().map(|s| s.content.as_ref()).collect();
        assert_eq!(text, ["le", "t", " x", "=1"]);
        assert_eq!(spans[0].style.bg, Some(Color::Black));
        assert_eq!(spans[1].style.fg, Some(Color::Red));
        assert_eq!(spans[1].style.bg, Some(Color::Blue));
        assert_eq!(spans[2].style.fg, Some(Color::Yellow));
        assert_eq!(spans[2].style.bg, Some(Color::Blue));
        assert_eq!(spans[3].style.bg, Some(Color::Black));
    }

    #[test]
    fn bad_emphasis_ranges_are_ignored() {
        let spans = line_spans("é", None, Style::new(), &[(1..2), (0..9)], Style::new());
        assert_eq!(spans.len(), 1);
        assert_eq!(spans[0].content, "é");
    }

    #[test]
    fn truncation_and_wrapping_fit_the_width() {
        let spans = vec![Span::raw("abcdef"), Span::raw("ghij")];
        let cut = truncate(spans.clone(), 5);
        assert_eq!(spans_width(&cut), 5);
        assert_eq!(cut.last().unwrap().content, "…");
        let lines = wrap(spans, 4);
        let text: Vec<String> = lines
            .iter()
            .map(|l| l.iter().map(|s| s.content.as_ref()).collect())
            .collect();
        assert_eq!(text, ["abcd", "efgh", "ij"]);
        assert_eq!(wrapped_height("abcdefghij", 4), 3);
        assert_eq!(wrapped_height("", 4), 1);
    }

    #[test]
    fn paths_are_cut_in_the_middle() {
        assert_eq!(middle_truncate("src/a/b/c/lib.rs", 10), "sr…/lib.rs");
        assert_eq!(middle_truncate("src/a/b/c/lib.rs", 6), "…ib.rs");
        assert_eq!(middle_truncate("lib.rs", 9), "lib.rs");
        assert_eq!(clean("a\tb\x1b"), "a    b");
    }
}
