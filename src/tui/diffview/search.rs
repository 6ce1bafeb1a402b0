//! `/` search: the next (or previous) row whose line text contains the
//! query, in the selected file from the cursor on, then in the next files,
//! wrapping around. Lower-case queries ignore case (smart case).

use super::DiffViewer;
use super::rows::{FileRows, RowKind};
use crate::diff::FileDiff;

/// How a query compares.
struct Query {
    text: String,
    fold: bool,
}

impl Query {
    fn new(query: &str) -> Self {
        let fold = !query.chars().any(char::is_uppercase);
        Self {
            text: if fold {
                query.to_lowercase()
            } else {
                query.to_string()
            },
            fold,
        }
    }

    fn hit(&self, line: &str) -> bool {
        if self.fold {
            line.to_lowercase().contains(&self.text)
        } else {
            line.contains(&self.text)
        }
    }
}

fn row_hit(diff: &FileDiff, rows: &FileRows, r: usize, q: &Query) -> bool {
    let row = rows.rows[r];
    let Some(hunk) = row.hunk.and_then(|h| diff.hunks.get(h)) else {
        return false;
    };
    let hit = |i: Option<usize>| i.is_some_and(|i| q.hit(&hunk.lines[i].text));
    match row.kind {
        RowKind::Line(i) => hit(Some(i)),
        RowKind::Pair { old, new } => hit(old) || hit(new),
        _ => false,
    }
}

/// Moves the cursor to the next match (`forward`) or the previous one,
/// starting at the cursor row itself when `here` is set. Returns whether
/// one was found.
pub(crate) fn jump(v: &mut DiffViewer, query: &str, forward: bool, here: bool) -> bool {
    if query.is_empty() || v.visible.is_empty() {
        return false;
    }
    let q = Query::new(query);
    let n = v.visible.len();
    let start = v.selected;
    // The current file first (from the cursor), the other files in turn,
    // and finally the current file's part behind the cursor.
    for step in 0..=n {
        let at = if forward {
            (start + step) % n
        } else {
            (start + n * 2 - step) % n
        };
        let i = v.visible[at];
        let snapshot = v.snapshot.clone();
        let diff = &snapshot.files[i].diff;
        if !diff
            .hunks
            .iter()
            .flat_map(|h| &h.lines)
            .any(|l| q.hit(&l.text))
        {
            continue;
        }
        let rows = v.rows_of(i);
        let len = rows.rows.len();
        let candidates: Box<dyn Iterator<Item = usize>> = match (step, forward) {
            (0, true) => Box::new(if here { v.cursor } else { v.cursor + 1 }..len),
            (0, false) => Box::new((0..if here { v.cursor + 1 } else { v.cursor }).rev()),
            (s, true) if s == n => Box::new(0..v.cursor.min(len)),
            (s, false) if s == n => Box::new((v.cursor + 1..len).rev()),
            (_, true) => Box::new(0..len),
            (_, false) => Box::new((0..len).rev()),
        };
        let found = candidates
            .into_iter()
            .find(|&r| r < len && row_hit(diff, &rows, r, &q));
        if let Some(r) = found {
            if at != v.selected {
                v.selected = at;
                v.scroll = 0;
            }
            v.cursor = r;
            return true;
        }
    }
    false
}
