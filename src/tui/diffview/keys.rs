//! Keys → cursor moves and [`ViewerAction`]s. Every key outside the inputs
//! goes through the keymap's `Context::Diff` table, so the help and the
//! behaviour cannot disagree.

use crossterm::event::{KeyCode, KeyEvent};

use super::input::{self, Edit, Prompt};
use super::{DiffViewer, ViewerAction, feedback, list, search};
use crate::agent::Pane;
use crate::tui::keymap::{self, Action, Context};
use crate::workspace::ReviewCommand;

/// Handles one key.
pub(crate) fn handle(v: &mut DiffViewer, key: KeyEvent) -> ViewerAction {
    if let Some(prompt) = v.prompt.take() {
        return prompt_key(v, prompt, &key);
    }
    let Some(action) = keymap::lookup(Context::Diff, &key, true) else {
        return ViewerAction::None;
    };
    match action {
        Action::DiffClose => {
            if key.code == KeyCode::Esc && v.search.is_some() {
                v.search = None;
                return ViewerAction::None;
            }
            ViewerAction::Close
        }
        Action::DiffDown => move_cursor(v, 1),
        Action::DiffUp => move_cursor(v, -1),
        Action::DiffPageDown => move_cursor(v, v.page.max(1) as isize),
        Action::DiffPageUp => move_cursor(v, -(v.page.max(1) as isize)),
        Action::DiffTop => move_cursor(v, isize::MIN / 2),
        Action::DiffBottom => move_cursor(v, isize::MAX / 2),
        Action::DiffNextFile => next_file(v, true),
        Action::DiffPrevFile => next_file(v, false),
        Action::DiffNextHunk => next_hunk(v, true),
        Action::DiffPrevHunk => next_hunk(v, false),
        Action::DiffAcceptHunk => with_hunk(v, |path, hunk, _| {
            ViewerAction::Review(ReviewCommand::AcceptHunk { path, hunk })
        }),
        Action::DiffAcceptFile => match v.current() {
            Some((_, f)) => ViewerAction::Review(ReviewCommand::AcceptFile {
                path: f.path().to_string(),
            }),
            None => flash("no file here"),
        },
        Action::DiffRevertHunk => {
            let question = "revert this hunk in the working file? y/n".to_string();
            with_hunk(v, |path, hunk, v| {
                v.prompt = Some(Prompt::Confirm {
                    question,
                    command: ReviewCommand::RevertHunk { path, hunk },
                });
                ViewerAction::None
            })
        }
        Action::DiffRevertFile => match v.current() {
            Some((_, f)) => {
                let path = f.path().to_string();
                v.prompt = Some(Prompt::Confirm {
                    question: format!("revert all of {path} in the working file? y/n"),
                    command: ReviewCommand::RevertFile { path },
                });
                ViewerAction::None
            }
            None => flash("no file here"),
        },
        Action::DiffUndo => ViewerAction::Review(ReviewCommand::Undo),
        Action::DiffCopyHunk => match current_hunk(v) {
            Some((i, h)) => ViewerAction::Copy(feedback::patch(&v.snapshot.files[i].diff, h)),
            None => flash("no hunk here"),
        },
        Action::DiffEdit => {
            let Some((i, file)) = v.current() else {
                return flash("no file here");
            };
            if file.diff.new_path.is_empty() || file.diff.status == crate::diff::FileStatus::Deleted
            {
                return flash("the file was deleted; nothing to open");
            }
            let path = file.path().to_string();
            let rows = v.rows_of(i);
            let line = feedback::editor_line(&v.snapshot.files[i].diff, &rows, v.cursor);
            ViewerAction::OpenEditor { path, line }
        }
        Action::DiffComment => {
            if v.current().is_none() {
                return flash("no file here");
            }
            let target = match v.current().map(|(_, f)| list::who(f)) {
                Some(w) if w.starts_with("Run") => Pane::Run,
                _ => Pane::Chat,
            };
            v.prompt = Some(Prompt::Comment {
                target,
                text: String::new(),
            });
            ViewerAction::None
        }
        Action::DiffSearch => {
            v.prompt = Some(Prompt::Search {
                text: String::new(),
            });
            ViewerAction::None
        }
        Action::DiffToggleSideBySide => {
            remap_cursor(v, |v| v.side_by_side = !v.side_by_side);
            ViewerAction::None
        }
        Action::DiffToggleWrap => {
            v.wrap = !v.wrap;
            ViewerAction::None
        }
        Action::DiffToggleWhitespace => {
            v.ignore_whitespace = !v.ignore_whitespace;
            ViewerAction::Recompute {
                ignore_whitespace: v.ignore_whitespace,
            }
        }
        Action::DiffFilter => {
            let next = list::next_filter(&v.filter);
            v.set_filter(next);
            if v.visible.is_empty() {
                return flash(&format!(
                    "no files in {}; f shows the next filter",
                    list::filter_label(&v.filter)
                ));
            }
            ViewerAction::None
        }
        _ => ViewerAction::None,
    }
}

fn flash(text: &str) -> ViewerAction {
    ViewerAction::Flash(text.to_string())
}

/// A key while the bottom line asks or reads something.
fn prompt_key(v: &mut DiffViewer, prompt: Prompt, key: &KeyEvent) -> ViewerAction {
    match prompt {
        Prompt::Confirm { command, .. } => {
            if key.code == KeyCode::Char('y') {
                ViewerAction::Review(command)
            } else {
                flash("not reverted")
            }
        }
        Prompt::Comment { target, mut text } => match input::edit(&mut text, key) {
            Edit::Editing => {
                v.prompt = Some(Prompt::Comment { target, text });
                ViewerAction::None
            }
            Edit::Toggle => {
                let target = match target {
                    Pane::Chat => Pane::Run,
                    Pane::Run => Pane::Chat,
                };
                v.prompt = Some(Prompt::Comment { target, text });
                ViewerAction::None
            }
            Edit::Cancel => ViewerAction::None,
            Edit::Submit(words) => {
                let words = words.trim();
                if words.is_empty() {
                    return flash("empty comment not sent");
                }
                let hunk = current_hunk(v).map(|(_, h)| h);
                let Some((_, file)) = v.current() else {
                    return flash("no file here");
                };
                let hunk = hunk.map(|h| &file.diff.hunks[h]);
                let text = feedback::comment(file.path(), &list::who(file), hunk, words);
                ViewerAction::Comment { pane: target, text }
            }
        },
        Prompt::Search { mut text } => match input::edit(&mut text, key) {
            Edit::Editing | Edit::Toggle => {
                v.prompt = Some(Prompt::Search { text });
                ViewerAction::None
            }
            Edit::Cancel => {
                v.search = None;
                ViewerAction::None
            }
            Edit::Submit(query) => {
                if query.is_empty() {
                    v.search = None;
                    return ViewerAction::None;
                }
                let found = search::jump(v, &query, true, true);
                v.search = Some(query.clone());
                if found {
                    ViewerAction::None
                } else {
                    flash(&format!("no match for “{query}”"))
                }
            }
        },
    }
}

/// The selected file's index and the hunk at the cursor (or its first).
fn current_hunk(v: &mut DiffViewer) -> Option<(usize, usize)> {
    let (i, _) = v.current()?;
    let rows = v.rows_of(i);
    Some((i, rows.hunk_at(v.cursor)?))
}

/// Runs `f` with the current hunk (path and a clone), or flashes.
fn with_hunk(
    v: &mut DiffViewer,
    f: impl FnOnce(String, crate::diff::Hunk, &mut DiffViewer) -> ViewerAction,
) -> ViewerAction {
    match current_hunk(v) {
        Some((i, h)) => {
            let file = &v.snapshot.files[i];
            let (path, hunk) = (file.path().to_string(), file.diff.hunks[h].clone());
            f(path, hunk, v)
        }
        None => flash("no hunk here"),
    }
}

fn move_cursor(v: &mut DiffViewer, by: isize) -> ViewerAction {
    let Some(rows) = v.current_rows() else {
        return flash("no file here");
    };
    let last = rows.rows.len().saturating_sub(1) as isize;
    v.cursor = (v.cursor as isize).saturating_add(by).clamp(0, last) as usize;
    ViewerAction::None
}

fn next_file(v: &mut DiffViewer, forward: bool) -> ViewerAction {
    if v.visible.is_empty() {
        return flash("no files");
    }
    let at = if forward {
        v.selected + 1
    } else {
        v.selected.wrapping_sub(1)
    };
    if at >= v.visible.len() {
        return flash(if forward { "last file" } else { "first file" });
    }
    v.select(at);
    ViewerAction::None
}

/// n/N: the next hunk header (or search match while a search is active).
fn next_hunk(v: &mut DiffViewer, forward: bool) -> ViewerAction {
    if let Some(query) = v.search.clone() {
        return if search::jump(v, &query, forward, false) {
            ViewerAction::None
        } else {
            flash(&format!("no match for “{query}”"))
        };
    }
    let Some(rows) = v.current_rows() else {
        return flash("no file here");
    };
    let target = if forward {
        rows.hunk_rows.iter().find(|&&r| r > v.cursor)
    } else {
        rows.hunk_rows.iter().rev().find(|&&r| r < v.cursor)
    };
    match target {
        Some(&r) => {
            v.cursor = r;
            ViewerAction::None
        }
        None if rows.hunk_rows.is_empty() => flash("no hunk here"),
        None => flash(if forward { "last hunk" } else { "first hunk" }),
    }
}

/// Changes the layout with `change`, keeping the cursor on the same line.
fn remap_cursor(v: &mut DiffViewer, change: impl FnOnce(&mut DiffViewer)) {
    let before = v.current_rows().and_then(|rows| {
        let row = *rows.rows.get(v.cursor)?;
        let line = match row.kind {
            super::rows::RowKind::Line(i) => Some(i),
            super::rows::RowKind::Pair { old, new } => new.or(old),
            _ => None,
        };
        Some((row.hunk, line, v.cursor.saturating_sub(v.scroll)))
    });
    change(v);
    let Some((hunk, line, gap)) = before else {
        return;
    };
    let Some(rows) = v.current_rows() else {
        return;
    };
    v.cursor = match (hunk, line) {
        (Some(h), Some(l)) => rows.row_of_line(h, l).unwrap_or(rows.hunk_rows[h]),
        (Some(h), None) => rows.hunk_rows[h],
        _ => v.cursor.min(rows.rows.len().saturating_sub(1)),
    };
    v.scroll = v.cursor.saturating_sub(gap);
}
