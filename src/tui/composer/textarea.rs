//! The editing model under the composer: lines of text, a cursor that moves
//! by grapheme cluster, readline-style kills and a one-entry kill buffer.
//!
//! Positions are `(row, byte offset)` pairs and always sit on grapheme
//! boundaries, so a cursor never splits an accented letter, an emoji or a
//! wide character. Line breaks act as one whitespace "character" for word
//! moves and kills, so those cross lines the way readline's do.

use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthStr;

/// Columns a tab takes on screen.
pub(super) const TAB_WIDTH: usize = 4;

/// A cursor position: line index and byte offset in that line.
pub(super) type Pos = (usize, usize);

/// Display width of one grapheme cluster: tabs take [`TAB_WIDTH`], other
/// control characters one column (they are drawn as a replacement mark).
pub(super) fn grapheme_width(g: &str) -> usize {
    if g == "\t" {
        TAB_WIDTH
    } else if g.chars().any(char::is_control) {
        1
    } else {
        g.width()
    }
}

/// What a character is for word moves.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Space,
    Word,
    Punct,
}

fn class(g: &str) -> Class {
    let c = g.chars().next().unwrap_or(' ');
    if c.is_whitespace() {
        Class::Space
    } else if c.is_alphanumeric() || c == '_' {
        Class::Word
    } else {
        Class::Punct
    }
}

/// Multi-line text with a cursor.
#[derive(Debug, Clone)]
pub(super) struct TextArea {
    /// Never empty; no line contains `\n`.
    lines: Vec<String>,
    row: usize,
    col: usize,
    /// Display column Up/Down aim for, kept across lines of different length.
    goal: Option<usize>,
    /// Text removed by the last kill, for Ctrl-Y.
    kill_buffer: String,
    /// Whether the previous command was a kill (consecutive kills collect).
    kill_chain: bool,
    /// Whether the current command killed something.
    killed_now: bool,
    /// Counts changes to the text, so callers can tell an edit from a move.
    edits: u64,
}

impl Default for TextArea {
    fn default() -> Self {
        TextArea {
            lines: vec![String::new()],
            row: 0,
            col: 0,
            goal: None,
            kill_buffer: String::new(),
            kill_chain: false,
            killed_now: false,
            edits: 0,
        }
    }
}

impl TextArea {
    /// Marks the start of a new editing command: a kill now continues the
    /// previous one only if that command was a kill too.
    pub fn begin_command(&mut self) {
        self.kill_chain = self.killed_now;
        self.killed_now = false;
    }

    /// How many times the text has changed.
    pub fn edits(&self) -> u64 {
        self.edits
    }

    /// The lines, without their breaks (never empty).
    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    /// Where the cursor is.
    pub fn cursor(&self) -> Pos {
        (self.row, self.col)
    }

    /// The whole text, lines joined with `\n`.
    pub fn text(&self) -> String {
        self.lines.join("\n")
    }

    /// Whether there is no text at all (one empty line).
    pub fn is_empty(&self) -> bool {
        self.lines.len() == 1 && self.lines[0].is_empty()
    }

    /// Replaces the text; the cursor goes to the end. The kill buffer stays.
    pub fn set_text(&mut self, text: &str) {
        self.lines = text.split('\n').map(str::to_string).collect();
        self.edits += 1;
        self.row = self.lines.len() - 1;
        self.col = self.lines[self.row].len();
        self.goal = None;
    }

    /// Puts the cursor at the end of line `row`.
    pub fn set_cursor_end_of(&mut self, row: usize) {
        self.row = row.min(self.lines.len() - 1);
        self.col = self.lines[self.row].len();
        self.goal = None;
    }

    /// Puts the cursor at `pos`, which must be on a grapheme boundary.
    pub fn set_cursor(&mut self, pos: Pos) {
        self.row = pos.0.min(self.lines.len() - 1);
        self.col = pos.1.min(self.lines[self.row].len());
        self.goal = None;
    }

    /// The grapheme just before the cursor on its line.
    pub fn grapheme_before_cursor(&self) -> Option<&str> {
        self.lines[self.row][..self.col].graphemes(true).next_back()
    }

    // ---- insertion and deletion --------------------------------------

    /// Inserts `text` (which may hold newlines) at the cursor.
    pub fn insert_str(&mut self, text: &str) {
        self.edits += 1;
        self.goal = None;
        let line = &mut self.lines[self.row];
        let Some((first, rest)) = text.split_once('\n') else {
            line.insert_str(self.col, text);
            self.col += text.len();
            return;
        };
        let tail = line.split_off(self.col);
        line.push_str(first);
        // One splice, so a large paste costs linear time wherever it lands.
        let mut added: Vec<String> = rest.split('\n').map(str::to_string).collect();
        let count = added.len();
        let last = added.last_mut().expect("split yields at least one part");
        let col = last.len();
        last.push_str(&tail);
        self.lines.splice(self.row + 1..self.row + 1, added);
        self.row += count;
        self.col = col;
    }

    /// Breaks the line at the cursor.
    pub fn insert_newline(&mut self) {
        self.insert_str("\n");
    }

    /// Removes the text between `a` and `b` (in either order) and returns it.
    fn remove(&mut self, a: Pos, b: Pos) -> String {
        let (start, end) = if a <= b { (a, b) } else { (b, a) };
        self.edits += 1;
        let removed = if start.0 == end.0 {
            self.lines[start.0].drain(start.1..end.1).collect()
        } else {
            let tail = self.lines[end.0][end.1..].to_string();
            let mut removed = self.lines[start.0].split_off(start.1);
            for line in self.lines.drain(start.0 + 1..=end.0) {
                removed.push('\n');
                removed.push_str(&line);
            }
            removed.truncate(removed.len() - tail.len());
            self.lines[start.0].push_str(&tail);
            removed
        };
        self.row = start.0;
        self.col = start.1;
        self.goal = None;
        removed
    }

    /// Replaces the text between `start` and `end` with `text`; the cursor
    /// ends after it.
    pub fn replace(&mut self, start: Pos, end: Pos, text: &str) {
        self.remove(start, end);
        self.insert_str(text);
    }

    /// Deletes the grapheme (or line break) before the cursor.
    pub fn backspace(&mut self) {
        if let Some(p) = self.prev(self.cursor()) {
            self.remove(p.0, self.cursor());
        }
    }

    /// Deletes the grapheme (or line break) after the cursor.
    pub fn delete(&mut self) {
        if let Some(p) = self.next(self.cursor()) {
            self.remove(self.cursor(), p.0);
        }
    }

    // ---- kills ---------------------------------------------------------

    /// Removes the text between the cursor and `to` into the kill buffer;
    /// kills in a row collect, in reading order.
    fn kill(&mut self, to: Pos) {
        let here = self.cursor();
        if here == to {
            self.killed_now = self.kill_chain;
            return;
        }
        let text = self.remove(here, to);
        if !self.kill_chain {
            self.kill_buffer.clear();
        }
        if to < here {
            self.kill_buffer.insert_str(0, &text);
        } else {
            self.kill_buffer.push_str(&text);
        }
        self.killed_now = true;
    }

    /// Ctrl-K: to the end of the line; at the end, the line break.
    pub fn kill_to_line_end(&mut self) {
        let len = self.lines[self.row].len();
        if self.col < len {
            self.kill((self.row, len));
        } else if self.row + 1 < self.lines.len() {
            self.kill((self.row + 1, 0));
        }
    }

    /// Ctrl-U: to the start of the line; at the start, the line break.
    pub fn kill_to_line_start(&mut self) {
        if self.col > 0 {
            self.kill((self.row, 0));
        } else if self.row > 0 {
            self.kill((self.row - 1, self.lines[self.row - 1].len()));
        }
    }

    /// Alt-Backspace: back to the start of the word (punctuation splits).
    pub fn kill_word_back(&mut self) {
        self.kill(self.word_start_before(self.cursor()));
    }

    /// Ctrl-W: back to the previous whitespace (readline's
    /// `unix-word-rubout`: `foo/bar.rs` goes at once).
    pub fn kill_big_word_back(&mut self) {
        let mut pos = self.cursor();
        pos = self.skip_back(pos, |c| c == Class::Space);
        pos = self.skip_back(pos, |c| c != Class::Space);
        self.kill(pos);
    }

    /// Alt-D: forward to the end of the word.
    pub fn kill_word_forward(&mut self) {
        self.kill(self.word_end_after(self.cursor()));
    }

    /// Ctrl-Y: inserts the last killed text.
    pub fn yank(&mut self) {
        let text = self.kill_buffer.clone();
        self.insert_str(&text);
    }

    // ---- movement ------------------------------------------------------

    /// The position one grapheme before `pos` and that grapheme (`"\n"`
    /// when it is a line break).
    fn prev(&self, (row, col): Pos) -> Option<(Pos, &str)> {
        if col > 0 {
            let g = self.lines[row][..col].graphemes(true).next_back()?;
            Some(((row, col - g.len()), g))
        } else if row > 0 {
            Some(((row - 1, self.lines[row - 1].len()), "\n"))
        } else {
            None
        }
    }

    /// The position one grapheme after `pos` and that grapheme.
    fn next(&self, (row, col): Pos) -> Option<(Pos, &str)> {
        let line = &self.lines[row];
        if col < line.len() {
            let g = line[col..].graphemes(true).next()?;
            Some(((row, col + g.len()), g))
        } else if row + 1 < self.lines.len() {
            Some(((row + 1, 0), "\n"))
        } else {
            None
        }
    }

    fn skip_back(&self, mut pos: Pos, take: impl Fn(Class) -> bool) -> Pos {
        while let Some((p, g)) = self.prev(pos) {
            if !take(class(g)) {
                break;
            }
            pos = p;
        }
        pos
    }

    fn skip_forward(&self, mut pos: Pos, take: impl Fn(Class) -> bool) -> Pos {
        while let Some((p, g)) = self.next(pos) {
            if !take(class(g)) {
                break;
            }
            pos = p;
        }
        pos
    }

    /// Readline's `backward-word`: skip non-word characters, then the word.
    fn word_start_before(&self, pos: Pos) -> Pos {
        let pos = self.skip_back(pos, |c| c != Class::Word);
        self.skip_back(pos, |c| c == Class::Word)
    }

    /// Readline's `forward-word`: skip non-word characters, then the word.
    fn word_end_after(&self, pos: Pos) -> Pos {
        let pos = self.skip_forward(pos, |c| c != Class::Word);
        self.skip_forward(pos, |c| c == Class::Word)
    }

    /// One grapheme left; from a line start to the previous line's end.
    pub fn left(&mut self) {
        if let Some((p, _)) = self.prev(self.cursor()) {
            self.set_cursor(p);
        }
    }

    /// One grapheme right; from a line end to the next line's start.
    pub fn right(&mut self) {
        if let Some((p, _)) = self.next(self.cursor()) {
            self.set_cursor(p);
        }
    }

    /// To the start of the word before the cursor.
    pub fn word_left(&mut self) {
        self.set_cursor(self.word_start_before(self.cursor()));
    }

    /// To the end of the word after the cursor.
    pub fn word_right(&mut self) {
        self.set_cursor(self.word_end_after(self.cursor()));
    }

    /// To the start of the cursor's line.
    pub fn line_start(&mut self) {
        self.set_cursor((self.row, 0));
    }

    /// To the end of the cursor's line.
    pub fn line_end(&mut self) {
        self.set_cursor_end_of(self.row);
    }

    /// To the start of the text.
    pub fn text_start(&mut self) {
        self.set_cursor((0, 0));
    }

    /// To the end of the text.
    pub fn text_end(&mut self) {
        self.set_cursor_end_of(self.lines.len() - 1);
    }

    /// Moves one line up (false when already on the first line), aiming
    /// for the same display column.
    pub fn up(&mut self) -> bool {
        if self.row == 0 {
            return false;
        }
        self.move_vertically(self.row - 1);
        true
    }

    /// Moves one line down (false when already on the last line).
    pub fn down(&mut self) -> bool {
        if self.row + 1 >= self.lines.len() {
            return false;
        }
        self.move_vertically(self.row + 1);
        true
    }

    fn move_vertically(&mut self, row: usize) {
        let goal = self
            .goal
            .unwrap_or_else(|| display_width(&self.lines[self.row][..self.col]));
        let line = &self.lines[row];
        let mut x = 0;
        let mut col = line.len();
        for (i, g) in line.grapheme_indices(true) {
            let w = grapheme_width(g);
            if x + w > goal {
                col = i;
                break;
            }
            x += w;
        }
        self.row = row;
        self.col = col;
        self.goal = Some(goal);
    }
}

/// Display width of `s` as the composer draws it.
pub(super) fn display_width(s: &str) -> usize {
    s.graphemes(true).map(grapheme_width).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn area(text: &str) -> TextArea {
        let mut t = TextArea::default();
        t.set_text(text);
        t
    }

    #[test]
    fn insert_and_remove_across_lines() {
        let mut t = area("ab");
        t.set_cursor((0, 1));
        t.insert_str("1\n2\n3");
        assert_eq!(t.text(), "a1\n2\n3b");
        assert_eq!(t.cursor(), (2, 1));
        t.text_start();
        t.begin_command();
        t.kill_to_line_end();
        t.begin_command();
        t.kill_to_line_end();
        assert_eq!(t.text(), "2\n3b");
        t.text_end();
        t.begin_command();
        t.yank();
        assert_eq!(t.text(), "2\n3ba1\n");
    }

    #[test]
    fn graphemes_are_atomic() {
        let mut t = area("e\u{301}x👍🏽");
        t.backspace();
        assert_eq!(t.text(), "e\u{301}x");
        t.line_start();
        t.right();
        assert_eq!(t.cursor(), (0, 3));
        t.delete();
        assert_eq!(t.text(), "e\u{301}");
    }

    #[test]
    fn vertical_moves_keep_the_column() {
        let mut t = area("abcdef\nx\n日本語です");
        t.set_cursor((0, 5));
        assert!(t.down());
        assert_eq!(t.cursor(), (1, 1));
        assert!(t.down());
        // Goal column 5 lands after two wide characters (4 columns).
        assert_eq!(t.cursor(), (2, 6));
        assert!(!t.down());
    }

    #[test]
    fn consecutive_kills_collect() {
        let mut t = area("one two three");
        t.begin_command();
        t.kill_word_back();
        t.begin_command();
        t.kill_word_back();
        assert_eq!(t.text(), "one ");
        t.begin_command();
        t.yank();
        assert_eq!(t.text(), "one two three");
        t.begin_command();
        t.kill_big_word_back();
        t.begin_command();
        t.left();
        t.begin_command();
        t.kill_big_word_back();
        t.begin_command();
        t.text_end();
        t.yank();
        assert_eq!(t.text(), "one  two");
    }
}
