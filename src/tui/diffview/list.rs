//! The file list: which files the filter shows and how each row reads
//! (status letter, path, counts, who changed it, reviewed mark).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

use super::Filter;
use super::text::middle_truncate;
use crate::diff::FileStatus;
use crate::tui::theme::Theme;
use crate::workspace::review::ReviewFile;

/// Whether `filter` shows `file`.
pub(crate) fn matches(filter: &Filter, file: &ReviewFile) -> bool {
    match filter {
        Filter::All => true,
        Filter::Pane { pane, turns } => file
            .origins
            .iter()
            .any(|o| o.pane == *pane && (turns.is_empty() || turns.contains(&o.turn))),
        Filter::External => file.origins.iter().any(|o| o.external || o.pane.is_empty()),
        Filter::Unreviewed => !file.reviewed,
    }
}

/// The filter after `filter` for the `f` key: all → Chat → Run → you →
/// unreviewed → all.
pub(crate) fn next_filter(filter: &Filter) -> Filter {
    let pane = |p: &str| Filter::Pane {
        pane: p.to_string(),
        turns: Vec::new(),
    };
    match filter {
        Filter::All => pane("chat"),
        Filter::Pane { pane: p, .. } if p == "chat" => pane("run"),
        Filter::Pane { .. } => Filter::External,
        Filter::External => Filter::Unreviewed,
        Filter::Unreviewed => Filter::All,
    }
}

/// The filter in words, for the header.
pub(crate) fn filter_label(filter: &Filter) -> String {
    match filter {
        Filter::All => "all files".to_string(),
        Filter::Pane { pane, turns } => {
            let who = pane_name(pane);
            if turns.is_empty() {
                format!("{who}'s changes")
            } else {
                let list: Vec<String> = turns.iter().map(u32::to_string).collect();
                let s = if turns.len() == 1 { "" } else { "s" };
                format!("{who}'s changes (turn{s} {})", list.join(","))
            }
        }
        Filter::External => "your changes".to_string(),
        Filter::Unreviewed => "unreviewed".to_string(),
    }
}

fn pane_name(pane: &str) -> String {
    match pane {
        "chat" => "Chat".to_string(),
        "run" => "Run".to_string(),
        "" => "you".to_string(),
        other => other.to_string(),
    }
}

/// Who changed the file: "Run", "Chat", "you", several joined ("Run+you");
/// empty when the change predates the session.
pub(crate) fn who(file: &ReviewFile) -> String {
    let mut names: Vec<String> = Vec::new();
    for o in &file.origins {
        let name = if o.external || o.pane.is_empty() {
            "you".to_string()
        } else {
            pane_name(&o.pane)
        };
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names.join("+")
}

/// A, M, D, R, or T for a mode-only change.
pub(crate) fn status_letter(status: FileStatus) -> char {
    match status {
        FileStatus::Added => 'A',
        FileStatus::Modified => 'M',
        FileStatus::Deleted => 'D',
        FileStatus::Renamed { .. } => 'R',
        FileStatus::ModeChanged => 'T',
    }
}

/// Draws the list rows `files` (snapshot order) starting at `offset`, the
/// `selected` one highlighted.
pub(crate) fn draw(
    files: &[&ReviewFile],
    selected: usize,
    offset: usize,
    area: Rect,
    buf: &mut Buffer,
    theme: &Theme,
) {
    let width = area.width as usize;
    for (row, (i, file)) in files
        .iter()
        .enumerate()
        .skip(offset)
        .take(area.height as usize)
        .enumerate()
    {
        let (added, removed) = file.counts();
        let mut right = format!(" +{added} −{removed}");
        let who = who(file);
        if !who.is_empty() {
            right.push(' ');
            right.push_str(&who);
        }
        right.push_str(if file.reviewed { " ✓" } else { "  " });
        let letter = status_letter(file.diff.status);
        let path_width = width.saturating_sub(2 + right.width());
        let path = middle_truncate(file.path(), path_width);
        let pad = path_width.saturating_sub(path.width());
        let (text_style, letter_style) = if file.reviewed {
            (theme.dim, theme.dim)
        } else {
            let letter_style = match file.diff.status {
                FileStatus::Added => theme.success,
                FileStatus::Deleted => theme.error,
                FileStatus::Renamed { .. } | FileStatus::ModeChanged => theme.warning,
                FileStatus::Modified => theme.accent,
            };
            (theme.text, letter_style)
        };
        let mut line = Line::from(vec![
            Span::styled(format!("{letter} "), letter_style),
            Span::styled(format!("{path}{}", " ".repeat(pad)), text_style),
            Span::styled(right, theme.dim),
        ]);
        let y = area.y + row as u16;
        if i == selected {
            line = line.patch_style(theme.selection);
            buf.set_style(Rect::new(area.x, y, area.width, 1), theme.selection);
        }
        buf.set_line(area.x, y, &line, area.width);
    }
}

/// The list offset that keeps `selected` on screen.
pub(crate) fn offset_for(selected: usize, offset: usize, height: usize) -> usize {
    let height = height.max(1);
    if selected < offset {
        selected
    } else if selected >= offset + height {
        selected + 1 - height
    } else {
        offset
    }
}
