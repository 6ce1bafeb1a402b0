//! Lazy syntax highlighting of diff hunks.
//!
//! Each side (old, new) of a hunk is highlighted from a fresh parser state
//! at the hunk's first line, as delta does: a hunk that starts inside a
//! block comment or string may be coloured wrongly until the next line
//! that resets the state, which is the price of never parsing the whole
//! file. A side is highlighted only up to the rows a frame shows (plus a
//! margin) and resumes from the saved state when the user scrolls on;
//! past [`MAX_SIDE_LINES`] lines of one side everything is drawn plain.
//! Entries are keyed by (file index in the snapshot, hunk, side) and the
//! whole cache is dropped when the snapshot or the theme changes.

use std::collections::HashMap;

use ratatui::style::Style;
use syntect::parsing::SyntaxReference;

use crate::diff::Hunk;
use crate::tui::highlight::LineHighlighter;
use crate::tui::theme::{ColorDepth, Theme};

/// Lines of one hunk side highlighted at most; the rest is drawn plain.
pub(crate) const MAX_SIDE_LINES: usize = 2_000;

/// Lines highlighted beyond the last visible one, so scrolling a line or
/// two does not parse again.
const MARGIN: usize = 16;

/// Which side of a hunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Side {
    /// Context and removed lines.
    Old,
    /// Context and added lines.
    New,
}

/// Style runs `(style, byte length)` of one line.
pub(crate) type Runs = Vec<(Style, usize)>;

struct Entry {
    /// Per hunk line (index into `Hunk::lines`): its runs on this side,
    /// `None` when not on this side, drawn plain or not reached yet.
    runs: Vec<Option<Runs>>,
    /// The next hunk line to feed the parser.
    next: usize,
    /// Lines of this side fed so far.
    fed: usize,
    /// The parser, `None` once the side is finished or capped.
    highlighter: Option<LineHighlighter>,
}

/// The highlighted runs of the hunks the viewer has shown.
#[derive(Default)]
pub(crate) struct HighlightCache {
    entries: HashMap<(usize, usize, Side), Entry>,
    theme: Option<(String, ColorDepth)>,
    /// How many lines went through the parser since the cache was made:
    /// tests use it to check a frame highlights only what it shows.
    pub(crate) lines_highlighted: usize,
}

impl HighlightCache {
    /// Forgets everything (a new snapshot: hunk indices changed).
    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }

    /// The runs of `hunk`'s line `line` on `side`, highlighting the side up
    /// to that line plus a margin first; `None` means draw it plain.
    /// `at` is (file index in the snapshot, hunk index).
    pub(crate) fn runs(
        &mut self,
        at: (usize, usize),
        hunk: &Hunk,
        side: Side,
        line: usize,
        syntax: &'static SyntaxReference,
        theme: &Theme,
    ) -> Option<&Runs> {
        let theme_key = (theme.syntax.clone(), theme.depth());
        if self.theme.as_ref() != Some(&theme_key) {
            self.entries.clear();
            self.theme = Some(theme_key);
        }
        let entry = self
            .entries
            .entry((at.0, at.1, side))
            .or_insert_with(|| Entry {
                runs: vec![None; hunk.lines.len()],
                next: 0,
                fed: 0,
                highlighter: LineHighlighter::new(syntax, theme),
            });
        let target = (line + MARGIN).min(hunk.lines.len());
        while entry.next < target {
            let Some(h) = entry.highlighter.as_mut() else {
                break;
            };
            let l = &hunk.lines[entry.next];
            let on_side = match side {
                Side::Old => l.on_old_side(),
                Side::New => l.on_new_side(),
            };
            if on_side {
                entry.runs[entry.next] = h.next_line(&l.text, theme);
                entry.fed += 1;
                self.lines_highlighted += 1;
                if entry.fed >= MAX_SIDE_LINES {
                    entry.highlighter = None;
                }
            }
            entry.next += 1;
        }
        entry.runs.get(line).and_then(Option::as_ref)
    }
}
