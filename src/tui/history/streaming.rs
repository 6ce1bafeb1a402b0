//! Rendering an answer while it streams without re-rendering all of it per
//! frame: the text up to its last paragraph break outside a code fence is
//! rendered once and kept; each new frame renders only the tail after it.
//! Markdown blocks do not reach across such a break (fences are tracked),
//! so the result matches a full render; the finished answer is rendered
//! whole anyway.

use ratatui::text::Line;

use super::cell::answer_lines;
use crate::tui::theme::Theme;

/// The kept part of a streaming answer's rendering: the first `bytes` of
/// its text rendered to the first `rows` lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Stable {
    pub(super) bytes: usize,
    pub(super) rows: usize,
}

/// Renders a streaming answer. `previous` is the last rendering at the same
/// width and theme with its stable part; it is reused when the stable part
/// has not moved.
pub(super) fn render(
    text: &str,
    previous: Option<(Vec<Line<'static>>, Stable)>,
    width: usize,
    theme: &Theme,
) -> (Vec<Line<'static>>, Stable) {
    let at = stable_prefix(text);
    let (mut lines, stable) = match previous {
        Some((mut lines, stable)) if stable.bytes == at => {
            lines.truncate(stable.rows);
            (lines, stable)
        }
        _ => {
            let mut lines = answer_lines(&text[..at], width, theme);
            while lines.last().is_some_and(is_blank) {
                lines.pop();
            }
            let rows = lines.len();
            (lines, Stable { bytes: at, rows })
        }
    };
    let tail = answer_lines(&text[at..], width, theme);
    if !tail.is_empty() && !lines.is_empty() {
        lines.push(Line::default());
    }
    lines.extend(tail);
    (lines, stable)
}

fn is_blank(line: &Line<'_>) -> bool {
    line.spans.iter().all(|s| s.content.trim().is_empty())
}

/// The byte offset just after the last blank line of `text` that is outside
/// a fenced code block (0 when there is none).
fn stable_prefix(text: &str) -> usize {
    let mut fence = None;
    let mut offset = 0;
    let mut safe = 0;
    for line in text.split_inclusive('\n') {
        offset += line.len();
        if !line.ends_with('\n') {
            break;
        }
        fence = match fence {
            Some(open) if closes(line, open) => None,
            Some(open) => Some(open),
            None => opens(line),
        };
        if fence.is_none() && line.trim().is_empty() {
            safe = offset;
        }
    }
    safe
}

/// The fence (character and length) a line opens: three or more backticks
/// or tildes, indented less than four columns.
pub(super) fn opens(line: &str) -> Option<(char, usize)> {
    let trimmed = line.trim_start();
    if line.len() - trimmed.len() >= 4 {
        return None;
    }
    let c = trimmed.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let n = trimmed.chars().take_while(|x| *x == c).count();
    (n >= 3).then_some((c, n))
}

/// Whether `line` closes the fence `open`: the same character, at least as
/// many, and nothing else on the line.
pub(super) fn closes(line: &str, open: (char, usize)) -> bool {
    let trimmed = line.trim();
    opens(line).is_some_and(|(c, n)| c == open.0 && n >= open.1)
        && trimmed.chars().all(|x| x == open.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::theme::ColorDepth;

    #[test]
    fn the_stable_prefix_ends_at_a_paragraph_break_outside_fences() {
        assert_eq!(stable_prefix("no break yet"), 0);
        assert_eq!(stable_prefix("one\n\ntwo"), 5);
        assert_eq!(stable_prefix("one\n\n```\ncode\n\nmore"), 5);
        assert_eq!(stable_prefix("one\n\n```\ncode\n\n```\n\nafter"), 20);
        assert_eq!(stable_prefix("one\n\n  \n"), 8);
    }

    #[test]
    fn streaming_renders_like_a_full_render_and_reuses_the_prefix() {
        let theme = Theme::built_in("dark", ColorDepth::TrueColor).expect("theme");
        let text =
            "# Title\n\nFirst paragraph.\n\n```rust\nfn a() {}\n\nfn b() {}\n```\n\nLast one";
        let full: Vec<String> = answer_lines(text, 40, &theme)
            .iter()
            .map(|l| l.to_string())
            .collect();
        let mut previous = None;
        for end in [text.len() - 4, text.len()] {
            let (lines, stable) = render(&text[..end], previous.take(), 40, &theme);
            previous = Some((lines, stable));
        }
        let (lines, stable) = previous.expect("rendered");
        assert_eq!(stable.bytes, text.len() - "Last one".len());
        let streamed: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        assert_eq!(streamed, full);
    }
}
