//! The diff viewer: the review of every change either agent (or the user)
//! made, hunk by hunk, from the keyboard.
//!
//! Pure state and drawing: keys come in, [`ViewerAction`]s go out (the app
//! sends review commands to a worker off the UI thread, comments to a pane,
//! `$EDITOR` and clipboard requests to the event loop), and a new
//! [`ReviewSnapshot`] arrives whenever the workspace changed.

use std::sync::Arc;

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;

use super::theme::Theme;
use crate::agent::Pane;
use crate::workspace::{ReviewCommand, ReviewSnapshot};

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
    // Filled in by the implementation.
    _private: (),
}

impl DiffViewer {
    /// An empty viewer (shows "no changes yet" until a snapshot arrives).
    pub fn new() -> Self {
        todo!()
    }

    /// Replaces the review (after a refresh), keeping the selected file and
    /// position when they still exist.
    pub fn set_snapshot(&mut self, snapshot: Arc<ReviewSnapshot>) {
        let _ = snapshot;
        todo!()
    }

    /// Shows only the files `filter` selects (e.g. one Run task's turns).
    pub fn set_filter(&mut self, filter: Filter) {
        let _ = filter;
        todo!()
    }

    /// Whether a text input (comment, search) has the keyboard, so the app
    /// does not take keys such as Tab or `?` for itself.
    pub fn typing(&self) -> bool {
        todo!()
    }

    /// A key press.
    pub fn handle_key(&mut self, key: KeyEvent) -> ViewerAction {
        let _ = key;
        todo!()
    }

    /// Bracketed paste (into the comment or search input).
    pub fn on_paste(&mut self, text: &str) {
        let _ = text;
        todo!()
    }

    /// Draws the viewer into `area`, highlighting only what is visible.
    pub fn render(&mut self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let _ = (frame, area, theme);
        todo!()
    }
}

impl Default for DiffViewer {
    fn default() -> Self {
        Self::new()
    }
}
