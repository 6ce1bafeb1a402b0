//! Flattening one file's diff into display rows, unified or side by side.
//!
//! A row only points into the [`FileDiff`] (hunk and line indices), so
//! building the rows of a file is one O(lines) pass with no text copied;
//! the viewer keeps them per file until the snapshot or the mode changes.

use crate::diff::{FileDiff, FileStatus, LineKind};

/// What one display row shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RowKind {
    /// Line `n` of the file header ([`FileRows::header`]).
    Header(usize),
    /// The hunk's `@@ -a,b +c,d @@` line.
    HunkHeader,
    /// Unified: line `n` of the hunk.
    Line(usize),
    /// Side by side: an old line (left) and a new line (right) of the hunk,
    /// either missing in an unbalanced change block. A context line is both.
    Pair {
        /// Index into the hunk's lines of the left (old) side.
        old: Option<usize>,
        /// Index into the hunk's lines of the right (new) side.
        new: Option<usize>,
    },
    /// `\ No newline at end of file` after the line(s) above, on the old
    /// and/or new side.
    NoNewline {
        /// The old side lacks the final newline.
        old: bool,
        /// The new side lacks the final newline.
        new: bool,
    },
}

/// One row and the hunk it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Row {
    /// Index of the hunk, `None` for the file header.
    pub hunk: Option<usize>,
    /// What the row shows.
    pub kind: RowKind,
}

/// How a file-header line is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HeaderRole {
    /// The paths.
    Title,
    /// Mode changes, binary, empty file.
    Note,
    /// Everything accepted.
    Done,
}

/// The rows of one file in one layout.
#[derive(Debug, Clone)]
pub(crate) struct FileRows {
    /// Every row, in display order.
    pub rows: Vec<Row>,
    /// The file header's lines.
    pub header: Vec<(String, HeaderRole)>,
    /// Row index of each hunk's header.
    pub hunk_rows: Vec<usize>,
    /// The file mixes CRLF and LF endings: CRLF lines get a dim `␍`.
    pub mixed_endings: bool,
    /// Width of the widest line number, for the gutters.
    pub number_width: usize,
}

/// Flattens `diff`; `reviewed` adds the "all accepted" line to a file
/// without hunks.
pub(crate) fn build(diff: &FileDiff, reviewed: bool, side_by_side: bool) -> FileRows {
    let header = header_lines(diff, reviewed);
    let mut rows: Vec<Row> = (0..header.len())
        .map(|i| Row {
            hunk: None,
            kind: RowKind::Header(i),
        })
        .collect();
    let mut hunk_rows = Vec::with_capacity(diff.hunks.len());
    let (mut crlf, mut lf) = (false, false);
    let mut max_no = 1;
    for (h, hunk) in diff.hunks.iter().enumerate() {
        hunk_rows.push(rows.len());
        let at = |kind| Row {
            hunk: Some(h),
            kind,
        };
        rows.push(at(RowKind::HunkHeader));
        max_no = max_no
            .max(hunk.old_start + hunk.old_len)
            .max(hunk.new_start + hunk.new_len);
        for line in &hunk.lines {
            if !line.no_newline_at_end {
                if line.crlf {
                    crlf = true;
                } else {
                    lf = true;
                }
            }
        }
        if side_by_side {
            pair_rows(hunk, &mut |kind| rows.push(at(kind)));
        } else {
            for (i, line) in hunk.lines.iter().enumerate() {
                rows.push(at(RowKind::Line(i)));
                if line.no_newline_at_end {
                    rows.push(at(RowKind::NoNewline {
                        old: line.on_old_side(),
                        new: line.on_new_side(),
                    }));
                }
            }
        }
    }
    FileRows {
        rows,
        header,
        hunk_rows,
        mixed_endings: crlf && lf,
        number_width: max_no.to_string().len(),
    }
}

/// Side-by-side rows of one hunk: context lines face themselves; within a
/// change block the n-th removed line faces the n-th added line.
fn pair_rows(hunk: &crate::diff::Hunk, push: &mut dyn FnMut(RowKind)) {
    let lines = &hunk.lines;
    let mut i = 0;
    while i < lines.len() {
        if lines[i].kind == LineKind::Context {
            push(RowKind::Pair {
                old: Some(i),
                new: Some(i),
            });
            if lines[i].no_newline_at_end {
                push(RowKind::NoNewline {
                    old: true,
                    new: true,
                });
            }
            i += 1;
            continue;
        }
        let start = i;
        while i < lines.len() && lines[i].kind != LineKind::Context {
            i += 1;
        }
        let block = start..i;
        let removed: Vec<usize> = block
            .clone()
            .filter(|&j| lines[j].kind == LineKind::Removed)
            .collect();
        let added: Vec<usize> = block
            .clone()
            .filter(|&j| lines[j].kind == LineKind::Added)
            .collect();
        for n in 0..removed.len().max(added.len()) {
            push(RowKind::Pair {
                old: removed.get(n).copied(),
                new: added.get(n).copied(),
            });
        }
        let old = removed.iter().any(|&j| lines[j].no_newline_at_end);
        let new = added.iter().any(|&j| lines[j].no_newline_at_end);
        if old || new {
            push(RowKind::NoNewline { old, new });
        }
    }
}

/// The words above the hunks: paths, rename, mode, binary, all accepted.
fn header_lines(diff: &FileDiff, reviewed: bool) -> Vec<(String, HeaderRole)> {
    let mut out = Vec::new();
    let title = match diff.status {
        FileStatus::Added => format!("added {}", diff.new_path),
        FileStatus::Deleted => format!("deleted {}", diff.old_path),
        FileStatus::Modified => format!("modified {}", diff.new_path),
        FileStatus::Renamed { similarity } => format!(
            "renamed {} → {} ({similarity}% similar)",
            diff.old_path, diff.new_path
        ),
        FileStatus::ModeChanged => format!("mode changed {}", diff.new_path),
    };
    out.push((title, HeaderRole::Title));
    if diff.old_mode != 0 && diff.new_mode != 0 && diff.old_mode != diff.new_mode {
        out.push((
            format!("mode {:o} → {:o}", diff.old_mode, diff.new_mode),
            HeaderRole::Note,
        ));
    }
    if diff.binary {
        out.push(("binary file — not shown".to_string(), HeaderRole::Note));
    } else if diff.hunks.is_empty() {
        if reviewed {
            out.push((
                "nothing left to review (accepted or reverted) ✓".to_string(),
                HeaderRole::Done,
            ));
        } else if matches!(diff.status, FileStatus::Added | FileStatus::Deleted) {
            out.push(("empty file".to_string(), HeaderRole::Note));
        }
    }
    out
}

impl FileRows {
    /// The row showing hunk `h`'s line `line` (either side), if any.
    pub(crate) fn row_of_line(&self, h: usize, line: usize) -> Option<usize> {
        let start = *self.hunk_rows.get(h)?;
        let end = self
            .hunk_rows
            .get(h + 1)
            .copied()
            .unwrap_or(self.rows.len());
        (start..end).find(|&r| match self.rows[r].kind {
            RowKind::Line(i) => i == line,
            RowKind::Pair { old, new } => old == Some(line) || new == Some(line),
            _ => false,
        })
    }

    /// The hunk the row at `row` belongs to, or the first hunk.
    pub(crate) fn hunk_at(&self, row: usize) -> Option<usize> {
        self.rows
            .get(row)
            .and_then(|r| r.hunk)
            .or(if self.hunk_rows.is_empty() {
                None
            } else {
                Some(0)
            })
    }
}
