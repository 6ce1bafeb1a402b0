//! The diff viewer: the review of every change either agent (or the user)
//! made, hunk by hunk, from the keyboard.
//!
//! Pure state and drawing: keys come in, [`ViewerAction`]s go out (the app
//! sends review commands to a worker off the UI thread, comments to a pane,
//! `$EDITOR` and clipboard requests to the event loop), and a new
//! [`ReviewSnapshot`] arrives whenever the workspace changed.
//!
//! | file | owns |
//! |---|---|
//! | `rows` | one file's diff flattened into display rows (unified, side by side), built once per file and mode |
//! | `hlcache` | lazy per-hunk syntax highlighting of what is on screen |
//! | `keys` | keys → cursor moves and [`ViewerAction`]s (through the keymap) |
//! | `feedback` | the texts a key produces: comment message, patch copy, editor line |
//! | `search` | `/` search across the files |
//! | `list` | the file list: filter, labels |
//! | `render`, `text` | drawing only the visible rows; spans, truncation, wrapping |
//! | `input` | the comment and search inputs, the revert question |
//!
//! Long lines are truncated with `…` or wrapped (`W`); in a file that mixes
//! CRLF and LF endings the CRLF lines end in a dim `␍` (a file that is all
//! CRLF shows nothing: the ending is not news there).

mod feedback;
mod hlcache;
mod input;
mod keys;
mod list;
mod render;
mod rows;
mod search;
#[cfg(test)]
mod tests;
mod text;

use std::collections::HashMap;
use std::sync::Arc;

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::theme::Theme;
use crate::agent::Pane;
use crate::workspace::review::{ReviewFile, ReviewMode};
use crate::workspace::{ReviewCommand, ReviewSnapshot};
use hlcache::HighlightCache;
use input::Prompt;
use rows::FileRows;

/// What a key in the viewer asks the app to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ViewerAction {
    /// Nothing beyond the viewer's own state changed.
    None,
    /// Leave the viewer (back to the pane that had focus).
    Close,
    /// Run a review command (accept, revert, undo) off the UI thread.
    Review(ReviewCommand),
    /// Put this text on the clipboard (the hunk, as a unified patch).
    Copy(String),
    /// Open `path` (workspace-relative) at `line` in `$EDITOR`.
    OpenEditor {
        /// The file.
        path: String,
        /// 1-based line.
        line: usize,
    },
    /// Send review feedback to an agent as a user message.
    Comment {
        /// Which agent.
        pane: Pane,
        /// The message: the user's words, file, line range and hunk text.
        text: String,
    },
    /// Recompute the review with whitespace ignored (or not).
    Recompute {
        /// Compare lines ignoring whitespace (`git diff -w`).
        ignore_whitespace: bool,
    },
    /// Show a one-line message in the status bar.
    Flash(String),
}

/// Which files the list shows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Filter {
    /// Every file.
    #[default]
    All,
    /// Files a pane changed (optionally only in the given turns).
    Pane {
        /// The pane (`chat`, `run`).
        pane: String,
        /// Only these turns; empty for all.
        turns: Vec<u32>,
    },
    /// Files the user changed (no agent's tool).
    External,
    /// Files with hunks left to review.
    Unreviewed,
}

/// The viewer's state.
pub struct DiffViewer {
    snapshot: Arc<ReviewSnapshot>,
    /// A review has arrived from the worker: before that, an empty list
    /// means "not read yet", not "nothing changed".
    loaded: bool,
    filter: Filter,
    /// Indices into the snapshot's files that the filter shows.
    visible: Vec<usize>,
    /// Index into `visible`.
    selected: usize,
    /// First row of the list on screen.
    list_offset: usize,
    side_by_side: bool,
    wrap: bool,
    ignore_whitespace: bool,
    /// Cursor row in the selected file's rows.
    cursor: usize,
    /// First row on screen.
    scroll: usize,
    /// Rows per (file index, side by side), built on first view.
    rows: HashMap<(usize, bool), Arc<FileRows>>,
    highlight: HighlightCache,
    prompt: Option<Prompt>,
    /// The active search (n/N jump between matches while set).
    search: Option<String>,
    /// Rows the diff area showed last frame (for PageUp/PageDown).
    page: usize,
}

impl DiffViewer {
    /// An empty viewer (shows "no changes yet" until a snapshot arrives).
    pub fn new() -> Self {
        Self {
            snapshot: Arc::new(ReviewSnapshot {
                mode: ReviewMode::Plain,
                files: Vec::new(),
                coarse: false,
                truncated: false,
            }),
            loaded: false,
            filter: Filter::All,
            visible: Vec::new(),
            selected: 0,
            list_offset: 0,
            side_by_side: false,
            wrap: false,
            ignore_whitespace: false,
            cursor: 0,
            scroll: 0,
            rows: HashMap::new(),
            highlight: HighlightCache::default(),
            prompt: None,
            search: None,
            page: 20,
        }
    }

    /// Replaces the review (after a refresh), keeping the selected file and
    /// position when they still exist.
    pub fn set_snapshot(&mut self, snapshot: Arc<ReviewSnapshot>) {
        self.loaded = true;
        let before = self.position();
        let old_list_index = self.selected;
        self.snapshot = snapshot;
        self.rows.clear();
        self.highlight.clear();
        self.refilter();
        match before {
            Some(pos) => self.restore(pos, old_list_index),
            None => {
                self.selected = 0;
                self.cursor = 0;
                self.scroll = 0;
            }
        }
    }

    /// Shows only the files `filter` selects (e.g. one Run task's turns).
    pub fn set_filter(&mut self, filter: Filter) {
        let current = self.current().map(|(i, _)| i);
        self.filter = filter;
        self.refilter();
        match current.and_then(|i| self.visible.iter().position(|&v| v == i)) {
            Some(at) => self.selected = at,
            None => self.select(0),
        }
    }

    /// How many files the filter shows (0 until a review with changes
    /// arrives), so `tandem demo` knows the viewer has something on screen.
    pub fn shown_files(&self) -> usize {
        self.visible.len()
    }

    /// The filter in use.
    pub fn filter(&self) -> &Filter {
        &self.filter
    }

    /// Whether a text input (comment, search) has the keyboard, so the app
    /// does not take keys such as Tab or `?` for itself.
    pub fn typing(&self) -> bool {
        matches!(
            self.prompt,
            Some(Prompt::Comment { .. } | Prompt::Search { .. })
        )
    }

    /// A key press.
    pub fn handle_key(&mut self, key: KeyEvent) -> ViewerAction {
        keys::handle(self, key)
    }

    /// Bracketed paste (into the comment or search input).
    pub fn on_paste(&mut self, text: &str) {
        if let Some(Prompt::Comment { text: t, .. } | Prompt::Search { text: t }) =
            self.prompt.as_mut()
        {
            t.push_str(&input::paste_text(text));
        }
    }

    /// Draws the viewer into `area`, highlighting only what is visible.
    pub fn render(&mut self, frame: &mut Frame, area: Rect, theme: &Theme) {
        self.render_buffer(area, frame.buffer_mut(), theme);
    }

    /// Draws the viewer straight into a buffer (what [`Self::render`]
    /// does with the frame's buffer; benchmarks and tests use it).
    pub fn render_buffer(&mut self, area: Rect, buf: &mut Buffer, theme: &Theme) {
        render::draw(self, area, buf, theme);
    }

    /// The selected file: its index in the snapshot and the file.
    fn current(&self) -> Option<(usize, &ReviewFile)> {
        let i = *self.visible.get(self.selected)?;
        Some((i, self.snapshot.files.get(i)?))
    }

    /// The rows of the selected file in the current layout.
    fn current_rows(&mut self) -> Option<Arc<FileRows>> {
        let (i, _) = self.current()?;
        Some(self.rows_of(i))
    }

    /// The rows of file `i` in the current layout, built on first use.
    fn rows_of(&mut self, i: usize) -> Arc<FileRows> {
        let key = (i, self.side_by_side);
        if let Some(rows) = self.rows.get(&key) {
            return rows.clone();
        }
        let file = &self.snapshot.files[i];
        let rows = Arc::new(rows::build(&file.diff, file.reviewed, self.side_by_side));
        self.rows.insert(key, rows.clone());
        rows
    }

    /// Recomputes which files the filter shows.
    fn refilter(&mut self) {
        self.visible = self
            .snapshot
            .files
            .iter()
            .enumerate()
            .filter(|(_, f)| list::matches(&self.filter, f))
            .map(|(i, _)| i)
            .collect();
    }

    /// Selects list entry `at` (clamped) with the cursor at its top.
    fn select(&mut self, at: usize) {
        self.selected = at.min(self.visible.len().saturating_sub(1));
        self.cursor = 0;
        self.scroll = 0;
    }

    /// Where the cursor is, to find it again in a new snapshot.
    fn position(&mut self) -> Option<Position> {
        let (_, file) = self.current()?;
        let path = file.path().to_string();
        let hunks: Vec<(usize, usize)> = file
            .diff
            .hunks
            .iter()
            .map(|h| (h.new_start, h.lines.len()))
            .collect();
        let rows = self.current_rows()?;
        let hunk = rows.rows.get(self.cursor).and_then(|r| r.hunk);
        let offset = hunk.map(|h| self.cursor - rows.hunk_rows[h]);
        Some(Position {
            path,
            hunk: hunk.map(|h| (h, hunks[h])),
            offset,
            cursor: self.cursor,
            scroll_gap: self.cursor.saturating_sub(self.scroll),
        })
    }

    /// Puts the cursor back where `pos` was, as near as the new snapshot
    /// allows: the same file (else the same list index), the same hunk
    /// (else the one now at its index, i.e. the next one after an accept).
    fn restore(&mut self, pos: Position, old_list_index: usize) {
        let found = self
            .visible
            .iter()
            .position(|&i| self.snapshot.files[i].path() == pos.path);
        let Some(at) = found else {
            self.select(old_list_index);
            return;
        };
        self.selected = at;
        let Some(rows) = self.current_rows() else {
            return;
        };
        let last = rows.rows.len().saturating_sub(1);
        self.cursor = match pos.hunk {
            None => pos.cursor.min(last),
            Some(_) if rows.hunk_rows.is_empty() => 0,
            Some((h, id)) => {
                let (_, file) = self.current().expect("selected above");
                let same = file
                    .diff
                    .hunks
                    .iter()
                    .position(|nh| (nh.new_start, nh.lines.len()) == id);
                match same {
                    Some(same) => {
                        let start = rows.hunk_rows[same];
                        let end = rows
                            .hunk_rows
                            .get(same + 1)
                            .copied()
                            .unwrap_or(rows.rows.len());
                        (start + pos.offset.unwrap_or(0)).min(end - 1)
                    }
                    None => rows.hunk_rows[h.min(rows.hunk_rows.len() - 1)],
                }
            }
        };
        self.scroll = self.cursor.saturating_sub(pos.scroll_gap);
    }
}

/// The cursor's place, remembered across a snapshot change.
struct Position {
    path: String,
    /// Hunk index and its identity: (new start, line count). Accepting a
    /// hunk above shifts old starts, not new ones.
    hunk: Option<(usize, (usize, usize))>,
    /// Rows below the hunk header.
    offset: Option<usize>,
    cursor: usize,
    /// Rows between the top of the screen and the cursor.
    scroll_gap: usize,
}

impl Default for DiffViewer {
    fn default() -> Self {
        Self::new()
    }
}
