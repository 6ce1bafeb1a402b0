//! The composer: the text input at the bottom of each pane.
//!
//! It edits multi-line text with readline keys, keeps a history of sent
//! messages, recognises slash commands, and completes `/commands` and
//! `@files` in a popup. It knows nothing about agents: [`Composer::handle_key`]
//! turns a key into a [`ComposerAction`] and the app decides what a
//! submitted message or command does.
//!
//! Drawing is split in two so the popup can float over the history above
//! the composer: [`Composer::render`] draws the text into the composer's own
//! area, and [`Composer::render_popup`] — called after everything else in
//! the frame — draws the completion list just above that area.
//!
//! Decisions worth knowing:
//! - `/name args` is a [`ComposerAction::Command`] only when `name` is a
//!   built-in ([`COMMANDS`]) or a custom command of its [`CommandTable`];
//!   any other text starting with `/` (`/foo`, `/usr/bin …`) is submitted
//!   as a message. The popup shows no entry for an unknown
//!   name, which is the user's warning before pressing Enter.
//! - Up/Down move between logical lines (not wrapped rows); on the first or
//!   last line they browse the history of sent messages and commands.
//! - Submitted text has trailing whitespace (including newlines) trimmed.

mod commands;
mod files;
mod layout;
mod textarea;

#[cfg(test)]
mod tests;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Widget};
use std::sync::Arc;

use unicode_width::UnicodeWidthStr;

pub use commands::{COMMANDS, CommandEntry, CommandTable, SlashCommand};
pub use files::{FileIndex, FileMatch, MAX_FILES};

use layout::{PROMPT_WIDTH, layout, row_count};
use textarea::TextArea;

use super::theme::Theme;

/// Most rows [`Composer::desired_height`] asks for; longer text scrolls
/// inside the composer so the history above stays visible.
pub const MAX_HEIGHT: u16 = 10;

/// Most entries the completion popup lists.
pub const POPUP_ITEMS: usize = 8;

/// Columns of the `› ` marker before the selected popup entry (visible
/// without colour too).
const MARKER_WIDTH: usize = 2;

/// Sent messages remembered for Up/Down.
const HISTORY_LIMIT: usize = 1000;

/// The composer's keys, for the help overlay (keys, effect). Kept next to
/// the code that implements them so the two change together.
pub const KEY_BINDINGS: &[(&str, &str)] = &[
    ("Enter", "send the message, or run a /command"),
    ("Ctrl-J · Alt-Enter · Shift-Enter · \\ Enter", "new line"),
    ("← → · Ctrl-B Ctrl-F", "move one character"),
    ("Ctrl-← → · Alt-B Alt-F", "move one word"),
    ("Home End · Ctrl-A Ctrl-E", "start / end of line"),
    ("Ctrl-Home Ctrl-End", "start / end of text"),
    (
        "↑ ↓ · Ctrl-P Ctrl-N",
        "previous / next line; on the first / last line, message history",
    ),
    ("Backspace · Delete", "delete a character"),
    ("Ctrl-W", "delete back to the previous space"),
    (
        "Alt-Backspace · Ctrl-Backspace",
        "delete the word before the cursor",
    ),
    ("Alt-D · Ctrl-Delete", "delete the word after the cursor"),
    ("Ctrl-K · Ctrl-U", "delete to end / start of line"),
    ("Ctrl-Y", "paste what was last deleted"),
    ("/", "at the start: command list"),
    ("@", "file list (fuzzy)"),
    ("Tab · Enter", "in a list: complete the selection"),
    ("↑ ↓", "in a list: select"),
    ("Esc", "close the list"),
];

/// What the app should do after a key reached the composer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ComposerAction {
    /// The key was used (text edited, cursor moved, completion navigated);
    /// redraw.
    None,
    /// Enter on a message: the text, trailing whitespace trimmed. The
    /// composer is now empty and the text is in its history.
    Submit(String),
    /// Enter on `/name args` where `name` is a built-in or custom command
    /// (its canonical, lowercase name); `args` is trimmed. The composer is now empty and the line is in its history.
    Command {
        /// The command's name, without the slash.
        name: String,
        /// Everything after the name, trimmed (may span lines).
        args: String,
    },
    /// Not a composer key (Tab, Esc, Ctrl-C, F-keys, PageUp…): the app
    /// handles it.
    Unhandled,
}

/// The candidates a popup offers.
#[derive(Debug, Clone)]
enum Items {
    Commands(Vec<CommandEntry>),
    Files(Vec<FileMatch>),
}

impl Items {
    fn len(&self) -> usize {
        match self {
            Items::Commands(c) => c.len(),
            Items::Files(f) => f.len(),
        }
    }
}

/// An open completion popup.
#[derive(Debug, Clone)]
struct Completion {
    /// Where the completed token (`/…` or `@…`) starts in the cursor's line.
    row: usize,
    start: usize,
    /// The token after its sigil, up to the cursor.
    query: String,
    items: Items,
    selected: usize,
    /// Files indexed when `items` was computed (results refresh while the
    /// index grows).
    searched: usize,
}

/// The kind of token under the cursor that can be completed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sigil {
    Slash,
    At,
}

/// The text input of one pane: editing, history, slash commands and
/// completion. See the module docs for the drawing contract.
#[derive(Debug, Default)]
pub struct Composer {
    text: TextArea,
    history: Vec<String>,
    /// Which history entry is shown while browsing (`None`: the draft).
    history_pos: Option<usize>,
    /// What was typed before browsing started, restored on the way back.
    draft: String,
    files: Option<FileIndex>,
    completion: Option<Completion>,
    /// Popups stay closed until the text changes from this revision (Esc,
    /// history recall, `set_text`).
    popup_closed_at: Option<u64>,
    /// The commands it completes and recognises.
    commands: Arc<CommandTable>,
}

impl Composer {
    /// An empty composer with no history and no file index.
    pub fn new() -> Self {
        Self::default()
    }

    /// The text as typed (lines joined with `\n`).
    pub fn text(&self) -> String {
        self.text.text()
    }

    /// Whether nothing is typed; the app uses it to decide what Esc or
    /// Ctrl-C mean (clear the text or interrupt the agent).
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// Empties the text (history and kill buffer stay).
    pub fn clear(&mut self) {
        self.set_text("");
    }

    /// Replaces the text, cursor at the end, popups closed: for restoring a
    /// draft or putting a message back after an interrupted turn.
    pub fn set_text(&mut self, text: &str) {
        self.text.set_text(&normalize_newlines(text));
        self.history_pos = None;
        self.popup_closed_at = Some(self.text.edits());
        self.completion = None;
    }

    /// Sent messages, oldest first, for saving with the session.
    pub fn history(&self) -> &[String] {
        &self.history
    }

    /// Restores a saved history (oldest first; only the newest entries up
    /// to the limit are kept).
    pub fn set_history(&mut self, history: Vec<String>) {
        let skip = history.len().saturating_sub(HISTORY_LIMIT);
        self.history = history.into_iter().skip(skip).collect();
        self.history_pos = None;
    }

    /// Gives the composer the commands to complete and recognise: the
    /// built-ins plus the custom ones (a new composer knows the built-ins).
    pub fn set_commands(&mut self, commands: Arc<CommandTable>) {
        self.commands = commands;
        self.completion = None;
        self.update_completion();
    }

    /// Gives the composer the workspace's file list for `@` completion.
    pub fn set_file_index(&mut self, index: FileIndex) {
        self.files = Some(index);
        self.update_completion();
    }

    /// Whether a completion popup is open: then Up/Down/Tab/Enter/Esc go to
    /// the popup (the app should not steal Tab or Esc while this is true —
    /// `handle_key` already returns `None` for them).
    pub fn completion_active(&self) -> bool {
        self.completion.is_some()
    }

    /// Refreshes an open `@` popup while the file index is still growing;
    /// returns whether the popup changed (the app then redraws). Cheap when
    /// nothing changed: call it on the app's tick.
    pub fn poll(&mut self) -> bool {
        let Some(c) = &self.completion else {
            return false;
        };
        let grown = matches!(c.items, Items::Files(_))
            && self.files.as_ref().is_some_and(|f| f.len() != c.searched);
        if grown {
            self.update_completion();
        }
        grown
    }

    /// Inserts a bracketed paste as one block: newlines are kept (`\r\n` and
    /// `\r` become `\n`) and nothing is submitted.
    pub fn handle_paste(&mut self, text: &str) {
        self.text.begin_command();
        self.text.insert_str(&normalize_newlines(text));
        self.update_completion();
    }

    /// Applies one key; see [`KEY_BINDINGS`] for what each key does.
    pub fn handle_key(&mut self, key: KeyEvent) -> ComposerAction {
        if key.kind == KeyEventKind::Release {
            return ComposerAction::None;
        }
        self.text.begin_command();
        let action = match self.popup_key(key) {
            Some(action) => action,
            None => self.edit_key(key),
        };
        self.update_completion();
        action
    }

    /// Keys an open popup takes; `None` when the key is for the text.
    fn popup_key(&mut self, key: KeyEvent) -> Option<ComposerAction> {
        let completion = self.completion.as_mut()?;
        let n = completion.items.len();
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let plain = key.modifiers.difference(KeyModifiers::SHIFT).is_empty();
        match key.code {
            KeyCode::Up | KeyCode::Char('p') if key.code == KeyCode::Up || ctrl => {
                completion.selected = (completion.selected + n - 1) % n;
            }
            KeyCode::Down | KeyCode::Char('n') if key.code == KeyCode::Down || ctrl => {
                completion.selected = (completion.selected + 1) % n;
            }
            KeyCode::Esc => {
                self.completion = None;
                self.popup_closed_at = Some(self.text.edits());
            }
            KeyCode::Tab if plain => self.accept(false),
            KeyCode::Enter if key.modifiers.is_empty() => return Some(self.accept_enter()),
            _ => return None,
        }
        Some(ComposerAction::None)
    }

    /// Keys for editing the text.
    fn edit_key(&mut self, key: KeyEvent) -> ComposerAction {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        let t = &mut self.text;
        match key.code {
            // AltGr arrives as Ctrl+Alt on some systems: it types.
            KeyCode::Char(c) if ctrl && alt => t.insert_str(c.encode_utf8(&mut [0; 4])),
            KeyCode::Char(c) if ctrl => match c.to_ascii_lowercase() {
                'a' => t.line_start(),
                'e' => t.line_end(),
                'b' => t.left(),
                'f' => t.right(),
                'h' => t.backspace(),
                'j' => t.insert_newline(),
                'k' => t.kill_to_line_end(),
                'u' => t.kill_to_line_start(),
                'w' => t.kill_big_word_back(),
                'y' => t.yank(),
                'd' if !t.is_empty() => t.delete(),
                'p' => self.up(),
                'n' => self.down(),
                _ => return ComposerAction::Unhandled,
            },
            KeyCode::Char(c) if alt => match c {
                'b' => t.word_left(),
                'f' => t.word_right(),
                'd' => t.kill_word_forward(),
                _ => return ComposerAction::Unhandled,
            },
            KeyCode::Char(c) => t.insert_str(c.encode_utf8(&mut [0; 4])),
            KeyCode::Enter if ctrl => return ComposerAction::Unhandled,
            KeyCode::Enter if alt || key.modifiers.contains(KeyModifiers::SHIFT) => {
                t.insert_newline()
            }
            KeyCode::Enter => return self.enter(),
            KeyCode::Backspace if ctrl || alt => t.kill_word_back(),
            KeyCode::Backspace => t.backspace(),
            KeyCode::Delete if ctrl || alt => t.kill_word_forward(),
            KeyCode::Delete => t.delete(),
            KeyCode::Left if ctrl || alt => t.word_left(),
            KeyCode::Left => t.left(),
            KeyCode::Right if ctrl || alt => t.word_right(),
            KeyCode::Right => t.right(),
            KeyCode::Home if ctrl => t.text_start(),
            KeyCode::Home => t.line_start(),
            KeyCode::End if ctrl => t.text_end(),
            KeyCode::End => t.line_end(),
            KeyCode::Up => self.up(),
            KeyCode::Down => self.down(),
            _ => return ComposerAction::Unhandled,
        }
        ComposerAction::None
    }

    /// Enter without a popup: a trailing `\` turns into a line break;
    /// otherwise the text is submitted (or run, for a known command).
    fn enter(&mut self) -> ComposerAction {
        if self.text.grapheme_before_cursor() == Some("\\") {
            self.text.backspace();
            self.text.insert_newline();
            return ComposerAction::None;
        }
        let text = self.text.text();
        let text = text.trim_end();
        if text.trim_start().is_empty() {
            return ComposerAction::None;
        }
        let action = match self.commands.parse(text) {
            Some((name, args)) => ComposerAction::Command { name, args },
            None => ComposerAction::Submit(text.to_string()),
        };
        self.remember(text.to_string());
        self.text.set_text("");
        action
    }

    /// Adds a sent text to the history (skipping an immediate repeat) and
    /// ends browsing.
    fn remember(&mut self, text: String) {
        if self.history.last() != Some(&text) {
            self.history.push(text);
            if self.history.len() > HISTORY_LIMIT {
                self.history.remove(0);
            }
        }
        self.history_pos = None;
        self.draft.clear();
    }

    /// Up: the line above, or on the first line the previous history entry
    /// (cursor at the end of its first line, so Up keeps going back).
    fn up(&mut self) {
        if self.text.up() || self.history.is_empty() {
            return;
        }
        let pos = match self.history_pos {
            None => {
                self.draft = self.text.text();
                self.history.len() - 1
            }
            Some(p) => p.saturating_sub(1),
        };
        self.history_pos = Some(pos);
        self.recall(&self.history[pos].clone(), true);
    }

    /// Down: the line below, or on the last line the next history entry and
    /// finally the draft typed before browsing.
    fn down(&mut self) {
        if self.text.down() {
            return;
        }
        let Some(pos) = self.history_pos else {
            return;
        };
        if pos + 1 < self.history.len() {
            self.history_pos = Some(pos + 1);
            self.recall(&self.history[pos + 1].clone(), false);
        } else {
            self.history_pos = None;
            let draft = std::mem::take(&mut self.draft);
            self.recall(&draft, false);
        }
    }

    fn recall(&mut self, text: &str, cursor_on_first_line: bool) {
        self.text.set_text(text);
        if cursor_on_first_line {
            self.text.set_cursor_end_of(0);
        }
        self.popup_closed_at = Some(self.text.edits());
    }

    // ---- completion ----------------------------------------------------

    /// The completable token under the cursor: its sigil, line, start and
    /// the query typed after the sigil.
    fn completion_context(&self) -> Option<(Sigil, usize, usize, String)> {
        let (row, col) = self.text.cursor();
        let line = &self.text.lines()[row];
        let before = &line[..col];
        if self.text.lines().len() == 1
            && before.starts_with('/')
            && !before.contains(char::is_whitespace)
        {
            return Some((Sigil::Slash, 0, 0, before[1..].to_string()));
        }
        self.files.as_ref()?;
        let start = before
            .char_indices()
            .rev()
            .find(|(_, c)| c.is_whitespace())
            .map_or(0, |(i, c)| i + c.len_utf8());
        let query = before[start..].strip_prefix('@')?;
        Some((Sigil::At, row, start, query.to_string()))
    }

    /// Opens, refreshes or closes the popup to match the text and cursor.
    fn update_completion(&mut self) {
        if self.popup_closed_at == Some(self.text.edits()) {
            self.completion = None;
            return;
        }
        self.popup_closed_at = None;
        let Some((sigil, row, start, query)) = self.completion_context() else {
            self.completion = None;
            return;
        };
        let searched = self.files.as_ref().map_or(0, FileIndex::len);
        if let Some(c) = &self.completion
            && c.row == row
            && c.start == start
            && c.query == query
            && (sigil == Sigil::Slash || c.searched == searched)
        {
            return;
        }
        let items = match sigil {
            Sigil::Slash => Items::Commands(matching_commands(&self.commands, &query)),
            // A directory just completed (`@src/`) is not offered again.
            Sigil::At => Items::Files(
                self.files
                    .as_ref()
                    .map(|f| f.search(&query, POPUP_ITEMS + 1))
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|m| !(m.path.ends_with('/') && m.path == query))
                    .take(POPUP_ITEMS)
                    .collect(),
            ),
        };
        if items.len() == 0 {
            self.completion = None;
            return;
        }
        // Keep the selection while only the list refreshes.
        let selected = match &self.completion {
            Some(c) if c.row == row && c.start == start && c.query == query => {
                c.selected.min(items.len() - 1)
            }
            _ => 0,
        };
        self.completion = Some(Completion {
            row,
            start,
            query,
            items,
            selected,
            searched,
        });
    }

    /// Enter in a popup: a command whose name is typed in full (or one that
    /// takes no arguments) runs; otherwise Enter completes like Tab.
    fn accept_enter(&mut self) -> ComposerAction {
        if let Some(Completion {
            items: Items::Commands(list),
            selected,
            ..
        }) = &self.completion
        {
            let command = &list[*selected];
            let line = &self.text.lines()[0];
            let typed = line[1..].split(char::is_whitespace).next().unwrap_or("");
            if typed == command.name || !command.takes_arguments {
                self.accept(true);
                self.completion = None;
                return self.enter();
            }
        }
        self.accept(false);
        ComposerAction::None
    }

    /// Replaces the token under the cursor with the selected candidate.
    /// `exact` leaves no trailing space after a command (it is about to run).
    fn accept(&mut self, exact: bool) {
        let Some(c) = self.completion.take() else {
            return;
        };
        let line = &self.text.lines()[c.row];
        let end = line[c.start..]
            .find(char::is_whitespace)
            .map_or(line.len(), |i| c.start + i);
        let followed_by_space = end < line.len();
        let mut insert = match &c.items {
            Items::Commands(list) => format!("/{}", list[c.selected].name),
            Items::Files(list) => {
                let path = &list[c.selected].path;
                if path.contains(char::is_whitespace) {
                    format!("@\"{path}\"")
                } else {
                    format!("@{path}")
                }
            }
        };
        let is_dir = insert.ends_with('/');
        if !exact && !is_dir && !followed_by_space {
            insert.push(' ');
        }
        self.text.replace((c.row, c.start), (c.row, end), &insert);
        if followed_by_space && !exact && !is_dir {
            self.text.right();
        }
    }

    // ---- drawing -------------------------------------------------------

    /// Rows the composer wants at `width` columns: its wrapped text, at
    /// least 1 and at most [`MAX_HEIGHT`]. The popup is not included (it
    /// floats above, see [`Composer::render_popup`]).
    pub fn desired_height(&self, width: u16) -> u16 {
        let text_width = text_width(width);
        let rows = row_count(
            self.text.lines(),
            self.text.cursor(),
            text_width,
            usize::from(MAX_HEIGHT),
        );
        rows.max(1) as u16
    }

    /// Draws the text into `area` (no border: wrap it in a block and pass
    /// the inner area if one is wanted): a `› ` prompt, the text soft-wrapped
    /// and scrolled to keep the cursor visible, or `placeholder` dimmed when
    /// empty. The prompt is accented when `focused`.
    pub fn render(
        &self,
        area: Rect,
        buf: &mut Buffer,
        theme: &Theme,
        focused: bool,
        placeholder: &str,
    ) {
        let area = area.intersection(*buf.area());
        if area.is_empty() {
            return;
        }
        let width = text_width(area.width);
        let (rows, top) = self.visible_rows(area);
        let prompt_style = if focused { theme.accent } else { theme.dim };
        let lines = self.text.lines();
        for (i, row) in rows
            .rows
            .iter()
            .skip(top)
            .take(area.height.into())
            .enumerate()
        {
            let y = area.y + i as u16;
            let prompt = if row.line == 0 && row.range.start == 0 {
                "› "
            } else {
                "  "
            };
            buf.set_stringn(area.x, y, prompt, area.width.into(), prompt_style);
            let shown = printable(&lines[row.line][row.range.clone()]);
            buf.set_stringn(area.x + PROMPT_WIDTH, y, shown, width, theme.text);
        }
        if self.text.is_empty() && !placeholder.is_empty() {
            buf.set_stringn(area.x + PROMPT_WIDTH, area.y, placeholder, width, theme.dim);
        }
    }

    /// Where the terminal cursor goes when the composer in `area` has focus;
    /// `None` when `area` is too small to show it.
    pub fn cursor(&self, area: Rect) -> Option<(u16, u16)> {
        if area.width <= PROMPT_WIDTH || area.height == 0 {
            return None;
        }
        let (rows, top) = self.visible_rows(area);
        let (row, x) = rows.cursor;
        let y = area.y + u16::try_from(row - top).ok()?;
        let x = area.x + PROMPT_WIDTH + u16::try_from(x).ok()?;
        (y < area.bottom() && x < area.right()).then_some((x, y))
    }

    /// The wrapped rows around the cursor and the first one to show.
    fn visible_rows(&self, area: Rect) -> (layout::Layout, usize) {
        let height = usize::from(area.height);
        let rows = layout(
            self.text.lines(),
            self.text.cursor(),
            text_width(area.width),
            height,
        );
        let top = (rows.cursor.0 + 1).saturating_sub(height);
        (rows, top)
    }

    /// Draws the open completion popup, if any, just above `anchor` (the
    /// composer's area), as wide as it, over whatever is there: call it
    /// after drawing the rest of the frame. Clipped to the buffer; not
    /// drawn when fewer than three rows are free above `anchor`.
    pub fn render_popup(&self, anchor: Rect, buf: &mut Buffer, theme: &Theme) {
        let Some(c) = &self.completion else {
            return;
        };
        let bounds = *buf.area();
        let free = anchor.y.saturating_sub(bounds.y);
        let wanted = c.items.len() as u16 + 2;
        let height = wanted.min(free);
        if height < 3 {
            return;
        }
        let rect = Rect {
            x: anchor.x,
            y: anchor.y - height,
            width: anchor.width,
            height,
        }
        .intersection(bounds);
        if rect.width < 8 {
            return;
        }
        let title = match &c.items {
            Items::Commands(_) => " commands ".to_string(),
            Items::Files(_) => match &self.files {
                Some(f) if !f.is_ready() => format!(" files (indexing… {}) ", f.len()),
                _ => " files ".to_string(),
            },
        };
        let block = Block::bordered()
            .border_style(theme.border)
            .title(Span::styled(title, theme.dim))
            .title_bottom(Span::styled(" Tab complete · Esc close ", theme.dim));
        let inner = block.inner(rect);
        Clear.render(rect, buf);
        block.render(rect, buf);
        let shown = usize::from(inner.height);
        let first = (c.selected + 1).saturating_sub(shown);
        let width = usize::from(inner.width);
        let lines: Vec<Line> = match &c.items {
            Items::Commands(list) => {
                let column = list.iter().map(|c| c.name.width() + 3).max().unwrap_or(0);
                list.iter()
                    .map(|cmd| {
                        let name = format!("/{}", cmd.name);
                        let pad = column.saturating_sub(name.width());
                        let mut spans = vec![
                            Span::styled(name, theme.accent),
                            Span::raw(" ".repeat(pad)),
                            Span::styled(cmd.description.clone(), theme.text),
                        ];
                        if !cmd.args.is_empty() {
                            spans.push(Span::styled(format!("  {}", cmd.args), theme.dim));
                        }
                        if let Some(origin) = cmd.origin {
                            spans.push(Span::styled(format!("  ({origin})"), theme.dim));
                        }
                        Line::from(spans)
                    })
                    .collect()
            }
            Items::Files(list) => list
                .iter()
                .map(|m| highlighted_path(m, width.saturating_sub(MARKER_WIDTH), theme))
                .collect(),
        };
        for (i, line) in lines.into_iter().enumerate().skip(first).take(shown) {
            let row = Rect {
                y: inner.y + (i - first) as u16,
                height: 1,
                ..inner
            };
            let marker = if i == c.selected { "› " } else { "  " };
            let mut line = line;
            line.spans.insert(0, Span::styled(marker, theme.accent));
            line.render(row, buf);
            if i == c.selected {
                buf.set_style(row, theme.selection);
            }
        }
    }
}

/// Text columns left after the prompt.
fn text_width(width: u16) -> usize {
    usize::from(width.saturating_sub(PROMPT_WIDTH).max(1))
}

/// `\r\n` and lone `\r` as `\n`, as terminals send pasted line breaks.
fn normalize_newlines(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// A row of text as drawn: tabs as spaces, other control characters as a
/// replacement mark (the widths match [`textarea::grapheme_width`]).
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\t' => " ".repeat(textarea::TAB_WIDTH),
            c if c.is_control() => "\u{fffd}".to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// Commands whose name starts with `query`, then those containing its
/// letters in order, each group in table order (built-ins, then custom).
fn matching_commands(table: &CommandTable, query: &str) -> Vec<CommandEntry> {
    let query = query.to_lowercase();
    let subsequence = |name: &str| {
        let mut chars = name.chars();
        query.chars().all(|q| chars.any(|c| c == q))
    };
    let (prefixed, rest): (Vec<_>, Vec<_>) = table
        .entries()
        .into_iter()
        .partition(|c| c.name.starts_with(&query));
    let fuzzy = rest.into_iter().filter(|c| subsequence(&c.name));
    prefixed.into_iter().chain(fuzzy).collect()
}

/// A path with its matched characters emphasised, cut from the left
/// (`…/tail`) when wider than `width`, since the file name matters most.
fn highlighted_path(m: &FileMatch, width: usize, theme: &Theme) -> Line<'static> {
    let chars: Vec<char> = m.path.chars().collect();
    let mut skip = 0;
    let mut total: usize = m.path.width();
    if total > width {
        total += 1;
        while skip < chars.len() && total > width {
            total -= chars[skip].to_string().width();
            skip += 1;
        }
    }
    let matched = theme.accent.add_modifier(Modifier::BOLD);
    let mut spans = Vec::new();
    if skip > 0 {
        spans.push(Span::styled("…", theme.dim));
    }
    for (i, c) in chars.iter().enumerate().skip(skip) {
        let style = if m.indices.binary_search(&(i as u32)).is_ok() {
            matched
        } else {
            theme.text
        };
        spans.push(Span::styled(c.to_string(), style));
    }
    Line::from(spans)
}
