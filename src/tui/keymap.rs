//! The one key binding table. Key handling looks actions up here and the
//! help overlay is generated from it, so the two can never disagree.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// Anywhere (unless an overlay or dialog takes the key first).
    Global,
    /// In a pane (Chat or Run), composer focused.
    Pane,
    /// While an approval dialog is open in the focused pane.
    Approval,
    /// While the help overlay is open.
    Help,
    /// In the diff viewer (review of the workspace's changes).
    Diff,
    /// In the quota view (usage, cost, budgets).
    Quota,
    /// In a list to choose from (`/resume`, `/runs`, `/rewind`, `/theme`).
    Picker,
    /// In a pane that hosts a terminal program: every key goes to the
    /// program except the prefix.
    Hosted,
}

impl Context {
    /// Every context, in the order the help and the README list them.
    pub const ALL: [Context; 8] = [
        Context::Global,
        Context::Pane,
        Context::Approval,
        Context::Diff,
        Context::Quota,
        Context::Picker,
        Context::Hosted,
        Context::Help,
    ];

    /// The heading shown in the help overlay.
    pub fn title(self) -> &'static str {
        match self {
            Context::Global => "Everywhere",
            Context::Pane => "In a pane",
            Context::Approval => "Approval dialog",
            Context::Help => "Help",
            Context::Diff => "Diff viewer",
            Context::Quota => "Quota view",
            Context::Picker => "Lists (/resume, /runs, /rewind, /theme)",
            Context::Hosted => "In a hosted pane (claude, codex, a command)",
        }
    }
}

/// What a key does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    FocusNext,
    FocusPrev,
    /// First key of the `Ctrl-W h/l` chord.
    WindowChord,
    ToggleZoom,
    Suspend,
    Help,
    Quit,
    Interrupt,
    ScrollPageUp,
    ScrollPageDown,
    ScrollTop,
    ScrollBottom,
    ScrollUp,
    ScrollDown,
    ToggleReasoning,
    ToggleToolDetails,
    CopyLast,
    Handoff,
    ApproveOnce,
    ApproveAlways,
    Deny,
    DenyWithMessage,
    CloseOverlay,
    /// Open the diff viewer (global).
    OpenDiff,
    /// Diff viewer: cursor down a row.
    DiffDown,
    /// Diff viewer: cursor up a row.
    DiffUp,
    /// Diff viewer: cursor down a page.
    DiffPageDown,
    /// Diff viewer: cursor up a page.
    DiffPageUp,
    /// Diff viewer: first row of the file.
    DiffTop,
    /// Diff viewer: last row of the file.
    DiffBottom,
    /// Diff viewer: next file of the list.
    DiffNextFile,
    /// Diff viewer: previous file of the list.
    DiffPrevFile,
    /// Diff viewer: next hunk (next match while a search is active).
    DiffNextHunk,
    /// Diff viewer: previous hunk (previous match while searching).
    DiffPrevHunk,
    /// Diff viewer: accept (stage / mark reviewed) the current hunk.
    DiffAcceptHunk,
    /// Diff viewer: accept the whole file.
    DiffAcceptFile,
    /// Diff viewer: revert the current hunk (asks first).
    DiffRevertHunk,
    /// Diff viewer: revert the whole file (asks first).
    DiffRevertFile,
    /// Diff viewer: undo the last accept or revert.
    DiffUndo,
    /// Diff viewer: copy the current hunk as a patch.
    DiffCopyHunk,
    /// Diff viewer: open the file in `$EDITOR` at the cursor.
    DiffEdit,
    /// Diff viewer: comment on the hunk to an agent.
    DiffComment,
    /// Diff viewer: search the diff text.
    DiffSearch,
    /// Diff viewer: unified / side-by-side.
    DiffToggleSideBySide,
    /// Diff viewer: wrap long lines / truncate them.
    DiffToggleWrap,
    /// Diff viewer: ignore whitespace changes or not.
    DiffToggleWhitespace,
    /// Diff viewer: cycle the file filter.
    DiffFilter,
    /// Diff viewer: close (Esc first closes an input or question).
    DiffClose,
    /// Open the quota view (global).
    OpenQuota,
    /// Quota view: close it.
    CloseQuota,
    /// Quota view: read the ledger again.
    RefreshQuota,
    /// List: run the selected row's command.
    PickerChoose,
    /// Hosted pane: the next key is Tandem's.
    HostPrefix,
    /// Hosted pane (after the prefix): scroll the program's history up.
    HostScrollUp,
    /// Hosted pane (after the prefix): scroll its history down.
    HostScrollDown,
    /// Hosted pane whose program ended: start it again.
    HostRestart,
}

/// One binding: the keys, where, what, and the words the help shows.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    /// As shown in the help and the status hints.
    pub keys: &'static str,
    pub context: Context,
    pub action: Action,
    pub description: &'static str,
    /// Only when the composer is empty (otherwise the key edits text, as
    /// readline users expect: Ctrl-W deletes a word, Home goes to the
    /// line start).
    pub empty_composer_only: bool,
    matches: fn(&KeyEvent) -> bool,
}

fn ctrl(k: &KeyEvent, c: char) -> bool {
    k.modifiers.contains(KeyModifiers::CONTROL) && k.code == KeyCode::Char(c)
}

fn plain(k: &KeyEvent, code: KeyCode) -> bool {
    k.code == code && (k.modifiers - KeyModifiers::SHIFT).is_empty()
}

/// Every binding of the front end. Composer editing keys (readline) live in
/// the composer and are listed in the help from its own table.
pub const BINDINGS: &[Binding] = &[
    Binding {
        keys: "Tab",
        context: Context::Global,
        action: Action::FocusNext,
        description: "focus the next pane",
        empty_composer_only: false,
        matches: |k| k.code == KeyCode::Tab && k.modifiers.is_empty(),
    },
    Binding {
        keys: "Shift-Tab",
        context: Context::Global,
        action: Action::FocusPrev,
        description: "focus the previous pane",
        empty_composer_only: false,
        matches: |k| k.code == KeyCode::BackTab,
    },
    Binding {
        keys: "Ctrl-W h/l",
        context: Context::Global,
        action: Action::WindowChord,
        description: "focus the pane to the left / right (empty composer)",
        empty_composer_only: true,
        matches: |k| ctrl(k, 'w'),
    },
    Binding {
        keys: "F11 / Alt-Z",
        context: Context::Global,
        action: Action::ToggleZoom,
        description: "zoom the focused pane to the full screen and back",
        empty_composer_only: false,
        matches: |k| {
            k.code == KeyCode::F(11)
                || (k.modifiers.contains(KeyModifiers::ALT) && k.code == KeyCode::Char('z'))
        },
    },
    Binding {
        keys: "Ctrl-Z",
        context: Context::Global,
        action: Action::Suspend,
        description: "suspend to the shell (fg resumes)",
        empty_composer_only: false,
        matches: |k| ctrl(k, 'z'),
    },
    Binding {
        keys: "F1 / ? (empty composer)",
        context: Context::Global,
        action: Action::Help,
        description: "this help",
        empty_composer_only: false,
        matches: |k| k.code == KeyCode::F(1),
    },
    Binding {
        keys: "Ctrl-C Ctrl-C / Ctrl-D",
        context: Context::Global,
        action: Action::Quit,
        description: "quit (asks first while a task runs)",
        empty_composer_only: false,
        matches: |k| ctrl(k, 'd'),
    },
    Binding {
        keys: "Ctrl-G",
        context: Context::Global,
        action: Action::OpenDiff,
        description: "open the diff viewer (review changes)",
        empty_composer_only: false,
        matches: |k| ctrl(k, 'g'),
    },
    Binding {
        keys: "Ctrl-Q",
        context: Context::Global,
        action: Action::OpenQuota,
        description: "open the quota view (usage, cost, budgets)",
        empty_composer_only: false,
        matches: |k| ctrl(k, 'q'),
    },
    Binding {
        keys: "Esc",
        context: Context::Pane,
        action: Action::Interrupt,
        description: "interrupt the pane's turn; again clears the composer; twice when empty lists the tasks to /rewind",
        empty_composer_only: false,
        matches: |k| plain(k, KeyCode::Esc),
    },
    Binding {
        keys: "PageUp",
        context: Context::Pane,
        action: Action::ScrollPageUp,
        description: "scroll the history up a page",
        empty_composer_only: false,
        matches: |k| plain(k, KeyCode::PageUp),
    },
    Binding {
        keys: "PageDown",
        context: Context::Pane,
        action: Action::ScrollPageDown,
        description: "scroll the history down a page",
        empty_composer_only: false,
        matches: |k| plain(k, KeyCode::PageDown),
    },
    Binding {
        keys: "Home",
        context: Context::Pane,
        action: Action::ScrollTop,
        description: "go to the start of the history (empty composer)",
        empty_composer_only: true,
        matches: |k| plain(k, KeyCode::Home),
    },
    Binding {
        keys: "End",
        context: Context::Pane,
        action: Action::ScrollBottom,
        description: "go to the end and follow new output (empty composer)",
        empty_composer_only: true,
        matches: |k| plain(k, KeyCode::End),
    },
    Binding {
        keys: "Shift-Up",
        context: Context::Pane,
        action: Action::ScrollUp,
        description: "scroll up a line",
        empty_composer_only: false,
        matches: |k| k.code == KeyCode::Up && k.modifiers.contains(KeyModifiers::SHIFT),
    },
    Binding {
        keys: "Shift-Down",
        context: Context::Pane,
        action: Action::ScrollDown,
        description: "scroll down a line",
        empty_composer_only: false,
        matches: |k| k.code == KeyCode::Down && k.modifiers.contains(KeyModifiers::SHIFT),
    },
    Binding {
        keys: "Ctrl-R",
        context: Context::Pane,
        action: Action::ToggleReasoning,
        description: "expand / collapse the last reasoning",
        empty_composer_only: false,
        matches: |k| ctrl(k, 'r'),
    },
    Binding {
        keys: "Ctrl-O",
        context: Context::Pane,
        action: Action::ToggleToolDetails,
        description: "expand / collapse the last tool call",
        empty_composer_only: false,
        matches: |k| ctrl(k, 'o'),
    },
    Binding {
        keys: "Alt-Y",
        context: Context::Pane,
        action: Action::CopyLast,
        description: "copy the last answer to the clipboard (OSC 52)",
        empty_composer_only: false,
        matches: |k| k.modifiers.contains(KeyModifiers::ALT) && k.code == KeyCode::Char('y'),
    },
    Binding {
        keys: "Alt-H",
        context: Context::Pane,
        action: Action::Handoff,
        description: "hand Chat's plan to Run (like /handoff)",
        empty_composer_only: false,
        matches: |k| k.modifiers.contains(KeyModifiers::ALT) && k.code == KeyCode::Char('h'),
    },
    Binding {
        keys: "y",
        context: Context::Approval,
        action: Action::ApproveOnce,
        description: "yes, run it once",
        empty_composer_only: false,
        matches: |k| plain(k, KeyCode::Char('y')),
    },
    Binding {
        keys: "a",
        context: Context::Approval,
        action: Action::ApproveAlways,
        description: "yes, and always for this pattern in this session",
        empty_composer_only: false,
        matches: |k| plain(k, KeyCode::Char('a')),
    },
    Binding {
        keys: "n / Esc",
        context: Context::Approval,
        action: Action::Deny,
        description: "no",
        empty_composer_only: false,
        matches: |k| plain(k, KeyCode::Char('n')) || plain(k, KeyCode::Esc),
    },
    Binding {
        keys: "e",
        context: Context::Approval,
        action: Action::DenyWithMessage,
        description: "no, and tell the agent why (type, then Enter)",
        empty_composer_only: false,
        matches: |k| plain(k, KeyCode::Char('e')),
    },
    Binding {
        keys: "Esc / q / F1",
        context: Context::Help,
        action: Action::CloseOverlay,
        description: "close the help",
        empty_composer_only: false,
        matches: |k| {
            plain(k, KeyCode::Esc)
                || plain(k, KeyCode::Char('q'))
                || k.code == KeyCode::F(1)
                || plain(k, KeyCode::Char('?'))
        },
    },
    Binding {
        keys: "j / Down",
        context: Context::Help,
        action: Action::ScrollDown,
        description: "scroll down (when the help does not fit)",
        empty_composer_only: false,
        matches: |k| plain(k, KeyCode::Char('j')) || plain(k, KeyCode::Down),
    },
    Binding {
        keys: "k / Up",
        context: Context::Help,
        action: Action::ScrollUp,
        description: "scroll up",
        empty_composer_only: false,
        matches: |k| plain(k, KeyCode::Char('k')) || plain(k, KeyCode::Up),
    },
    Binding {
        keys: "PageDown / Space",
        context: Context::Help,
        action: Action::ScrollPageDown,
        description: "down a page",
        empty_composer_only: false,
        matches: |k| plain(k, KeyCode::PageDown) || plain(k, KeyCode::Char(' ')),
    },
    Binding {
        keys: "PageUp",
        context: Context::Help,
        action: Action::ScrollPageUp,
        description: "up a page",
        empty_composer_only: false,
        matches: |k| plain(k, KeyCode::PageUp),
    },
    Binding {
        keys: "j / Down",
        context: Context::Diff,
        action: Action::DiffDown,
        description: "next row",
        empty_composer_only: false,
        matches: |k| plain(k, KeyCode::Char('j')) || plain(k, KeyCode::Down),
    },
    Binding {
        keys: "k / Up",
        context: Context::Diff,
        action: Action::DiffUp,
        description: "previous row",
        empty_composer_only: false,
        matches: |k| plain(k, KeyCode::Char('k')) || plain(k, KeyCode::Up),
    },
    Binding {
        keys: "PageDown",
        context: Context::Diff,
        action: Action::DiffPageDown,
        description: "down a page",
        empty_composer_only: false,
        matches: |k| plain(k, KeyCode::PageDown),
    },
    Binding {
        keys: "PageUp",
        context: Context::Diff,
        action: Action::DiffPageUp,
        description: "up a page",
        empty_composer_only: false,
        matches: |k| plain(k, KeyCode::PageUp),
    },
    Binding {
        keys: "g / Home",
        context: Context::Diff,
        action: Action::DiffTop,
        description: "top of the file",
        empty_composer_only: false,
        matches: |k| plain(k, KeyCode::Char('g')) || plain(k, KeyCode::Home),
    },
    Binding {
        keys: "G / End",
        context: Context::Diff,
        action: Action::DiffBottom,
        description: "bottom of the file",
        empty_composer_only: false,
        matches: |k| plain(k, KeyCode::Char('G')) || plain(k, KeyCode::End),
    },
    Binding {
        keys: "J / ]",
        context: Context::Diff,
        action: Action::DiffNextFile,
        description: "next file",
        empty_composer_only: false,
        matches: |k| plain(k, KeyCode::Char('J')) || plain(k, KeyCode::Char(']')),
    },
    Binding {
        keys: "K / [",
        context: Context::Diff,
        action: Action::DiffPrevFile,
        description: "previous file",
        empty_composer_only: false,
        matches: |k| plain(k, KeyCode::Char('K')) || plain(k, KeyCode::Char('[')),
    },
    Binding {
        keys: "n",
        context: Context::Diff,
        action: Action::DiffNextHunk,
        description: "next hunk (next match while searching)",
        empty_composer_only: false,
        matches: |k| plain(k, KeyCode::Char('n')),
    },
    Binding {
        keys: "N",
        context: Context::Diff,
        action: Action::DiffPrevHunk,
        description: "previous hunk (previous match while searching)",
        empty_composer_only: false,
        matches: |k| plain(k, KeyCode::Char('N')),
    },
    Binding {
        keys: "Space / s",
        context: Context::Diff,
        action: Action::DiffAcceptHunk,
        description: "accept the hunk (git: stage; plain: mark reviewed)",
        empty_composer_only: false,
        matches: |k| plain(k, KeyCode::Char(' ')) || plain(k, KeyCode::Char('s')),
    },
    Binding {
        keys: "S",
        context: Context::Diff,
        action: Action::DiffAcceptFile,
        description: "accept the whole file",
        empty_composer_only: false,
        matches: |k| plain(k, KeyCode::Char('S')),
    },
    Binding {
        keys: "d",
        context: Context::Diff,
        action: Action::DiffRevertHunk,
        description: "revert the hunk in the working file (asks y/n)",
        empty_composer_only: false,
        matches: |k| plain(k, KeyCode::Char('d')),
    },
    Binding {
        keys: "D",
        context: Context::Diff,
        action: Action::DiffRevertFile,
        description: "revert the whole file (asks y/n)",
        empty_composer_only: false,
        matches: |k| plain(k, KeyCode::Char('D')),
    },
    Binding {
        keys: "u",
        context: Context::Diff,
        action: Action::DiffUndo,
        description: "undo the last accept or revert",
        empty_composer_only: false,
        matches: |k| plain(k, KeyCode::Char('u')),
    },
    Binding {
        keys: "y",
        context: Context::Diff,
        action: Action::DiffCopyHunk,
        description: "copy the hunk as a patch",
        empty_composer_only: false,
        matches: |k| plain(k, KeyCode::Char('y')),
    },
    Binding {
        keys: "e",
        context: Context::Diff,
        action: Action::DiffEdit,
        description: "open the file in $EDITOR at the cursor",
        empty_composer_only: false,
        matches: |k| plain(k, KeyCode::Char('e')),
    },
    Binding {
        keys: "c",
        context: Context::Diff,
        action: Action::DiffComment,
        description: "comment on the hunk to Chat/Run (Tab switches)",
        empty_composer_only: false,
        matches: |k| plain(k, KeyCode::Char('c')),
    },
    Binding {
        keys: "/",
        context: Context::Diff,
        action: Action::DiffSearch,
        description: "search (Enter jumps, n/N next/previous, Esc clears)",
        empty_composer_only: false,
        matches: |k| plain(k, KeyCode::Char('/')),
    },
    Binding {
        keys: "v",
        context: Context::Diff,
        action: Action::DiffToggleSideBySide,
        description: "unified / side-by-side",
        empty_composer_only: false,
        matches: |k| plain(k, KeyCode::Char('v')),
    },
    Binding {
        keys: "W",
        context: Context::Diff,
        action: Action::DiffToggleWrap,
        description: "wrap long lines / truncate them with …",
        empty_composer_only: false,
        matches: |k| plain(k, KeyCode::Char('W')),
    },
    Binding {
        keys: "w",
        context: Context::Diff,
        action: Action::DiffToggleWhitespace,
        description: "ignore whitespace changes (on/off)",
        empty_composer_only: false,
        matches: |k| plain(k, KeyCode::Char('w')),
    },
    Binding {
        keys: "f",
        context: Context::Diff,
        action: Action::DiffFilter,
        description: "filter files: all, Chat, Run, you, unreviewed",
        empty_composer_only: false,
        matches: |k| plain(k, KeyCode::Char('f')),
    },
    Binding {
        keys: "q / Esc",
        context: Context::Diff,
        action: Action::DiffClose,
        description: "close the viewer (Esc first cancels an input)",
        empty_composer_only: false,
        matches: |k| plain(k, KeyCode::Char('q')) || plain(k, KeyCode::Esc),
    },
    Binding {
        keys: "q / Esc",
        context: Context::Quota,
        action: Action::CloseQuota,
        description: "close the quota view",
        empty_composer_only: false,
        matches: |k| plain(k, KeyCode::Char('q')) || plain(k, KeyCode::Esc),
    },
    Binding {
        keys: "r",
        context: Context::Quota,
        action: Action::RefreshQuota,
        description: "read the ledger again",
        empty_composer_only: false,
        matches: |k| plain(k, KeyCode::Char('r')),
    },
    Binding {
        keys: "j / Down",
        context: Context::Quota,
        action: Action::ScrollDown,
        description: "scroll down a line",
        empty_composer_only: false,
        matches: |k| plain(k, KeyCode::Char('j')) || plain(k, KeyCode::Down),
    },
    Binding {
        keys: "k / Up",
        context: Context::Quota,
        action: Action::ScrollUp,
        description: "scroll up a line",
        empty_composer_only: false,
        matches: |k| plain(k, KeyCode::Char('k')) || plain(k, KeyCode::Up),
    },
    Binding {
        keys: "PageDown",
        context: Context::Quota,
        action: Action::ScrollPageDown,
        description: "down a page",
        empty_composer_only: false,
        matches: |k| plain(k, KeyCode::PageDown),
    },
    Binding {
        keys: "PageUp",
        context: Context::Quota,
        action: Action::ScrollPageUp,
        description: "up a page",
        empty_composer_only: false,
        matches: |k| plain(k, KeyCode::PageUp),
    },
    Binding {
        keys: "g / Home",
        context: Context::Quota,
        action: Action::ScrollTop,
        description: "top of the view",
        empty_composer_only: false,
        matches: |k| plain(k, KeyCode::Char('g')) || plain(k, KeyCode::Home),
    },
    Binding {
        keys: "G / End",
        context: Context::Quota,
        action: Action::ScrollBottom,
        description: "bottom of the view",
        empty_composer_only: false,
        matches: |k| plain(k, KeyCode::Char('G')) || plain(k, KeyCode::End),
    },
    Binding {
        keys: "Enter",
        context: Context::Picker,
        action: Action::PickerChoose,
        description: "choose the selected row",
        empty_composer_only: false,
        matches: |k| plain(k, KeyCode::Enter),
    },
    Binding {
        keys: "Down / Ctrl-N",
        context: Context::Picker,
        action: Action::ScrollDown,
        description: "next row",
        empty_composer_only: false,
        matches: |k| plain(k, KeyCode::Down) || ctrl(k, 'n'),
    },
    Binding {
        keys: "Up / Ctrl-P",
        context: Context::Picker,
        action: Action::ScrollUp,
        description: "previous row",
        empty_composer_only: false,
        matches: |k| plain(k, KeyCode::Up) || ctrl(k, 'p'),
    },
    Binding {
        keys: "PageDown",
        context: Context::Picker,
        action: Action::ScrollPageDown,
        description: "down a page",
        empty_composer_only: false,
        matches: |k| plain(k, KeyCode::PageDown),
    },
    Binding {
        keys: "PageUp",
        context: Context::Picker,
        action: Action::ScrollPageUp,
        description: "up a page",
        empty_composer_only: false,
        matches: |k| plain(k, KeyCode::PageUp),
    },
    Binding {
        keys: "Home",
        context: Context::Picker,
        action: Action::ScrollTop,
        description: "first row",
        empty_composer_only: false,
        matches: |k| plain(k, KeyCode::Home),
    },
    Binding {
        keys: "End",
        context: Context::Picker,
        action: Action::ScrollBottom,
        description: "last row",
        empty_composer_only: false,
        matches: |k| plain(k, KeyCode::End),
    },
    Binding {
        keys: "Esc",
        context: Context::Picker,
        action: Action::CloseOverlay,
        description: "close; typing filters the rows (Ctrl-U clears)",
        empty_composer_only: false,
        matches: |k| plain(k, KeyCode::Esc),
    },
    // The prefix is `[host] prefix_key` (default Ctrl-]); the app matches
    // the configured key itself, so this row only documents it.
    Binding {
        keys: "Ctrl-] ([host] prefix_key)",
        context: Context::Hosted,
        action: Action::HostPrefix,
        description: "then a Tandem key; twice: to the program",
        empty_composer_only: false,
        matches: |_| false,
    },
    Binding {
        keys: "prefix, PageUp",
        context: Context::Hosted,
        action: Action::HostScrollUp,
        description: "scroll the program's history up",
        empty_composer_only: false,
        matches: |k| plain(k, KeyCode::PageUp),
    },
    Binding {
        keys: "prefix, PageDown",
        context: Context::Hosted,
        action: Action::HostScrollDown,
        description: "scroll down, back to the live screen",
        empty_composer_only: false,
        matches: |k| plain(k, KeyCode::PageDown),
    },
    Binding {
        keys: "Enter (after it ended)",
        context: Context::Hosted,
        action: Action::HostRestart,
        description: "start the program again",
        empty_composer_only: false,
        matches: |k| plain(k, KeyCode::Enter),
    },
];

/// The action bound to `key` in `context`, if any, given whether the
/// composer is empty.
pub fn lookup(context: Context, key: &KeyEvent, composer_empty: bool) -> Option<Action> {
    BINDINGS
        .iter()
        .find(|b| {
            b.context == context && (b.matches)(key) && (composer_empty || !b.empty_composer_only)
        })
        .map(|b| b.action)
}

/// The bindings of one context, in table order.
pub fn bindings(context: Context) -> impl Iterator<Item = &'static Binding> {
    BINDINGS.iter().filter(move |b| b.context == context)
}

/// The keys of the first binding for `action`, for hints.
pub fn keys_for(action: Action) -> &'static str {
    BINDINGS
        .iter()
        .find(|b| b.action == action)
        .map(|b| b.keys)
        .unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn lookup_respects_context() {
        let y = key(KeyCode::Char('y'), KeyModifiers::NONE);
        assert_eq!(
            lookup(Context::Approval, &y, true),
            Some(Action::ApproveOnce)
        );
        assert_eq!(
            lookup(Context::Pane, &y, true),
            None,
            "y is text in the composer"
        );
        let tab = key(KeyCode::Tab, KeyModifiers::NONE);
        assert_eq!(
            lookup(Context::Global, &tab, false),
            Some(Action::FocusNext)
        );
        let esc = key(KeyCode::Esc, KeyModifiers::NONE);
        assert_eq!(lookup(Context::Pane, &esc, false), Some(Action::Interrupt));
        assert_eq!(lookup(Context::Approval, &esc, true), Some(Action::Deny));
        let ctrl_w = key(KeyCode::Char('w'), KeyModifiers::CONTROL);
        assert_eq!(
            lookup(Context::Global, &ctrl_w, true),
            Some(Action::WindowChord)
        );
        assert_eq!(
            lookup(Context::Global, &ctrl_w, false),
            None,
            "deletes a word instead"
        );
    }

    #[test]
    fn every_action_has_words_for_the_help() {
        for b in BINDINGS {
            assert!(!b.keys.is_empty() && !b.description.is_empty());
        }
        assert_eq!(keys_for(Action::Help), "F1 / ? (empty composer)");
    }

    #[test]
    fn ctrl_g_opens_the_diff_viewer_from_anywhere() {
        let g = key(KeyCode::Char('g'), KeyModifiers::CONTROL);
        assert_eq!(lookup(Context::Global, &g, false), Some(Action::OpenDiff));
        assert_eq!(lookup(Context::Global, &g, true), Some(Action::OpenDiff));
        assert_eq!(Context::Diff.title(), "Diff viewer");
    }

    #[test]
    fn ctrl_q_opens_the_quota_view_and_q_or_esc_closes_it() {
        let ctrl_q = key(KeyCode::Char('q'), KeyModifiers::CONTROL);
        assert_eq!(
            lookup(Context::Global, &ctrl_q, false),
            Some(Action::OpenQuota)
        );
        let q = key(KeyCode::Char('q'), KeyModifiers::NONE);
        let esc = key(KeyCode::Esc, KeyModifiers::NONE);
        assert_eq!(lookup(Context::Quota, &q, true), Some(Action::CloseQuota));
        assert_eq!(lookup(Context::Quota, &esc, true), Some(Action::CloseQuota));
        assert_eq!(lookup(Context::Pane, &q, true), None, "q is text there");
        let r = key(KeyCode::Char('r'), KeyModifiers::NONE);
        assert_eq!(lookup(Context::Quota, &r, true), Some(Action::RefreshQuota));
        assert_eq!(Context::Quota.title(), "Quota view");
    }

    #[test]
    fn diff_keys_tell_lower_from_upper_case() {
        let k = |c: char| {
            let m = if c.is_ascii_uppercase() {
                KeyModifiers::SHIFT
            } else {
                KeyModifiers::NONE
            };
            lookup(Context::Diff, &key(KeyCode::Char(c), m), true)
        };
        assert_eq!(k('s'), Some(Action::DiffAcceptHunk));
        assert_eq!(k(' '), Some(Action::DiffAcceptHunk));
        assert_eq!(k('S'), Some(Action::DiffAcceptFile));
        assert_eq!(k('d'), Some(Action::DiffRevertHunk));
        assert_eq!(k('D'), Some(Action::DiffRevertFile));
        assert_eq!(k('w'), Some(Action::DiffToggleWhitespace));
        assert_eq!(k('W'), Some(Action::DiffToggleWrap));
        assert_eq!(k('n'), Some(Action::DiffNextHunk));
        assert_eq!(k('N'), Some(Action::DiffPrevHunk));
        assert_eq!(k(']'), Some(Action::DiffNextFile));
        assert_eq!(k('x'), None);
        let esc = key(KeyCode::Esc, KeyModifiers::NONE);
        assert_eq!(lookup(Context::Diff, &esc, true), Some(Action::DiffClose));
        let ctrl_s = key(KeyCode::Char('s'), KeyModifiers::CONTROL);
        assert_eq!(lookup(Context::Diff, &ctrl_s, true), None);
    }

    #[test]
    fn no_two_diff_bindings_share_a_key() {
        let probes: Vec<KeyEvent> = ('!'..='~')
            .map(|c| key(KeyCode::Char(c), KeyModifiers::NONE))
            .chain(
                [
                    KeyCode::Up,
                    KeyCode::Down,
                    KeyCode::PageUp,
                    KeyCode::PageDown,
                    KeyCode::Home,
                    KeyCode::End,
                    KeyCode::Esc,
                ]
                .map(|c| key(c, KeyModifiers::NONE)),
            )
            .collect();
        for probe in &probes {
            let hits = bindings(Context::Diff)
                .filter(|b| (b.matches)(probe))
                .count();
            assert!(hits <= 1, "{probe:?} is bound {hits} times");
        }
        assert!(bindings(Context::Diff).count() >= 20);
    }
}
