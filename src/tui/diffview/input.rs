//! The one-line inputs and the question at the bottom of the viewer: a
//! comment to an agent, a search, and the y/n before a revert.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::agent::Pane;
use crate::workspace::ReviewCommand;

/// What has the bottom line (and the keyboard) right now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Prompt {
    /// Typing a comment for `target`.
    Comment {
        /// The agent that gets it (Tab switches).
        target: Pane,
        /// The words so far.
        text: String,
    },
    /// Typing a search.
    Search {
        /// The query so far.
        text: String,
    },
    /// "revert …? y/n": `command` runs only on `y`.
    Confirm {
        /// The question.
        question: String,
        /// The revert to run.
        command: ReviewCommand,
    },
}

/// What a key did to a text input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Edit {
    /// The text changed (or the key did nothing).
    Editing,
    /// Enter: done with this text.
    Submit(String),
    /// Esc: give up.
    Cancel,
    /// Tab.
    Toggle,
}

/// Applies a key to a one-line input's `text`.
pub(crate) fn edit(text: &mut String, key: &KeyEvent) -> Edit {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Enter => Edit::Submit(std::mem::take(text)),
        KeyCode::Esc => Edit::Cancel,
        KeyCode::Tab | KeyCode::BackTab => Edit::Toggle,
        KeyCode::Backspace if ctrl => {
            delete_word(text);
            Edit::Editing
        }
        KeyCode::Char('w') if ctrl => {
            delete_word(text);
            Edit::Editing
        }
        KeyCode::Char('u') if ctrl => {
            text.clear();
            Edit::Editing
        }
        KeyCode::Backspace => {
            text.pop();
            Edit::Editing
        }
        KeyCode::Char(c) if !ctrl => {
            text.push(c);
            Edit::Editing
        }
        _ => Edit::Editing,
    }
}

/// Pasted text for a one-line input: line breaks become spaces, other
/// control characters are dropped.
pub(crate) fn paste_text(text: &str) -> String {
    text.replace("\r\n", " ")
        .chars()
        .filter_map(|c| match c {
            '\n' | '\r' | '\t' => Some(' '),
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect()
}

fn delete_word(text: &mut String) {
    let trimmed = text.trim_end().len();
    text.truncate(trimmed);
    let cut = text.rfind(char::is_whitespace).map(|i| i + 1).unwrap_or(0);
    text.truncate(cut);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn typing_editing_and_submitting() {
        let mut t = String::new();
        for c in "fix thsi".chars() {
            assert_eq!(edit(&mut t, &key(KeyCode::Char(c))), Edit::Editing);
        }
        edit(&mut t, &key(KeyCode::Backspace));
        assert_eq!(t, "fix ths");
        edit(
            &mut t,
            &KeyEvent::new(KeyCode::Char('w'), KeyModifiers::CONTROL),
        );
        assert_eq!(t, "fix ");
        assert_eq!(edit(&mut t, &key(KeyCode::Tab)), Edit::Toggle);
        assert_eq!(
            edit(&mut t, &key(KeyCode::Enter)),
            Edit::Submit("fix ".into())
        );
        assert_eq!(edit(&mut t, &key(KeyCode::Esc)), Edit::Cancel);
        assert_eq!(paste_text("a\r\nb\nc\x1b"), "a b c");
    }
}
