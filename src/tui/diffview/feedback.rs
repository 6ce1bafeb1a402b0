//! The texts the viewer hands out: the review comment sent to an agent,
//! the hunk as a patch for the clipboard, the line `$EDITOR` opens at.

use std::fmt::Write as _;

use super::rows::{FileRows, RowKind};
use crate::diff::{FileDiff, Hunk, LineKind, to_unified};

/// The message for an agent: where (file, new-side line range, or the old
/// lines of a pure deletion), who changed it, the user's words and the
/// hunk itself.
pub(crate) fn comment(path: &str, who: &str, hunk: Option<&Hunk>, words: &str) -> String {
    let by = if who.is_empty() {
        String::new()
    } else {
        format!(" (as changed by {who})")
    };
    let Some(hunk) = hunk else {
        return format!("Review comment on {path}{by}:\n{words}");
    };
    let place = if hunk.new_len == 0 {
        format!(
            "{} deleted from the old version",
            range_words(hunk.old_start, hunk.old_len)
        )
    } else {
        range_words(hunk.new_start, hunk.new_len)
    };
    let mut out =
        format!("Review comment on {path}, {place}{by}:\n{words}\n\nThe hunk:\n```diff\n");
    let _ = writeln!(
        out,
        "@@ -{},{} +{},{} @@",
        hunk.old_start, hunk.old_len, hunk.new_start, hunk.new_len
    );
    for line in &hunk.lines {
        let mark = match line.kind {
            LineKind::Context => ' ',
            LineKind::Removed => '-',
            LineKind::Added => '+',
        };
        let _ = writeln!(out, "{mark}{}", line.text);
        if line.no_newline_at_end {
            out.push_str("\\ No newline at end of file\n");
        }
    }
    out.push_str("```");
    out
}

/// "line 12" or "lines 12–18".
fn range_words(start: usize, len: usize) -> String {
    if len <= 1 {
        format!("line {}", start.max(1))
    } else {
        format!("lines {start}–{}", start + len - 1)
    }
}

/// Hunk `h` of `diff` as a unified patch that applies on its own.
pub(crate) fn patch(diff: &FileDiff, h: usize) -> String {
    to_unified(&[diff], |_, hi| hi == h)
}

/// The new-side line under the cursor row: the row's own line, else the
/// hunk's first new line, else 1.
pub(crate) fn editor_line(diff: &FileDiff, rows: &FileRows, cursor: usize) -> usize {
    let Some(row) = rows.rows.get(cursor) else {
        return 1;
    };
    let Some(h) = row
        .hunk
        .or(if diff.hunks.is_empty() { None } else { Some(0) })
    else {
        return 1;
    };
    let hunk = &diff.hunks[h];
    let own = match row.kind {
        RowKind::Line(i) => hunk.lines[i].new_no,
        RowKind::Pair { new: Some(i), .. } => hunk.lines[i].new_no,
        _ => None,
    };
    // A removed line: where it was, on the new side (after the nearest
    // line above that is still there).
    let line = match row.kind {
        RowKind::Line(i) | RowKind::Pair { old: Some(i), .. } => Some(i),
        _ => None,
    };
    let near = line.and_then(|i| {
        hunk.lines[..i]
            .iter()
            .rev()
            .find_map(|l| l.new_no)
            .map(|n| n + 1)
    });
    own.or(near).unwrap_or(hunk.new_start).max(1)
}
