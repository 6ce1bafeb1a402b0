//! Files, hunks and lines of a diff.
//!
//! Line text never contains the line ending; [`DiffLine::crlf`] and
//! [`DiffLine::no_newline_at_end`] record it so the exact bytes can be rebuilt
//! with [`DiffLine::push_raw`].

use std::ops::Range;

/// The default mode of a regular, non-executable file in git.
pub const REGULAR_FILE_MODE: u32 = 0o100_644;

/// What happened to a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileStatus {
    /// The file is new; the old side is empty (`/dev/null`).
    Added,
    /// The file was removed; the new side is empty (`/dev/null`).
    Deleted,
    /// The content changed in place (the mode may have changed too).
    Modified,
    /// The file moved from `old_path` to `new_path`; `similarity` is the
    /// percentage (0–100) of unchanged content.
    Renamed {
        /// Percentage of unchanged content, 0–100.
        similarity: u8,
    },
    /// Only the mode changed; there are no hunks.
    ModeChanged,
}

/// The diff of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDiff {
    /// Path on the old side, relative to the repository root.
    pub old_path: String,
    /// Path on the new side, relative to the repository root.
    pub new_path: String,
    /// What happened to the file.
    pub status: FileStatus,
    /// Git mode of the old side (`0` when the file was added).
    pub old_mode: u32,
    /// Git mode of the new side (`0` when the file was deleted).
    pub new_mode: u32,
    /// Either side is binary; there are no hunks then.
    pub binary: bool,
    /// The changed regions, in file order, never overlapping.
    pub hunks: Vec<Hunk>,
}

/// One changed region with its context.
///
/// Starts follow the unified-diff convention: 1-based, and when a side has
/// length 0 its start is the line *before* the region (0 at the top).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hunk {
    /// First old line (see the type docs for the empty case).
    pub old_start: usize,
    /// Number of old lines (context + removed).
    pub old_len: usize,
    /// First new line (see the type docs for the empty case).
    pub new_start: usize,
    /// Number of new lines (context + added).
    pub new_len: usize,
    /// The lines in display order.
    pub lines: Vec<DiffLine>,
}

/// Whether a line is shared, removed or added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// Unchanged line on both sides.
    Context,
    /// Line only on the old side.
    Removed,
    /// Line only on the new side.
    Added,
}

/// One line of a hunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffLine {
    /// Shared, removed or added.
    pub kind: LineKind,
    /// The text without its line ending.
    pub text: String,
    /// 1-based line number on the old side (`None` for added lines).
    pub old_no: Option<usize>,
    /// 1-based line number on the new side (`None` for removed lines).
    pub new_no: Option<usize>,
    /// Byte ranges of `text` that changed word-wise against the paired line.
    pub emphasis: Vec<Range<usize>>,
    /// The line ends with `\r\n` (rather than `\n`).
    pub crlf: bool,
    /// The line is the last of its file and has no line ending at all.
    pub no_newline_at_end: bool,
}

impl DiffLine {
    /// Builds a line from its raw bytes including the line ending (if any).
    /// The caller guarantees `raw` is valid UTF-8.
    pub(crate) fn from_raw(kind: LineKind, raw: &str) -> Self {
        let (text, crlf, no_newline_at_end) = if let Some(t) = raw.strip_suffix("\r\n") {
            (t, true, false)
        } else if let Some(t) = raw.strip_suffix('\n') {
            (t, false, false)
        } else {
            (raw, false, true)
        };
        Self {
            kind,
            text: text.to_owned(),
            old_no: None,
            new_no: None,
            emphasis: Vec::new(),
            crlf,
            no_newline_at_end,
        }
    }

    /// Appends the exact bytes of the line, line ending included.
    pub fn push_raw(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.text.as_bytes());
        if !self.no_newline_at_end {
            if self.crlf {
                out.push(b'\r');
            }
            out.push(b'\n');
        }
    }

    /// The line belongs to the old side (context or removed).
    pub fn on_old_side(&self) -> bool {
        self.kind != LineKind::Added
    }

    /// The line belongs to the new side (context or added).
    pub fn on_new_side(&self) -> bool {
        self.kind != LineKind::Removed
    }
}

impl Hunk {
    /// 0-based index of the first old line (the insertion point when
    /// `old_len` is 0).
    pub fn old_index(&self) -> usize {
        start_to_index(self.old_start, self.old_len)
    }

    /// 0-based index of the first new line (the insertion point when
    /// `new_len` is 0).
    pub fn new_index(&self) -> usize {
        start_to_index(self.new_start, self.new_len)
    }

    /// The exact bytes of each old-side line, in order.
    pub fn old_side(&self) -> Vec<Vec<u8>> {
        self.side(DiffLine::on_old_side)
    }

    /// The exact bytes of each new-side line, in order.
    pub fn new_side(&self) -> Vec<Vec<u8>> {
        self.side(DiffLine::on_new_side)
    }

    fn side(&self, keep: fn(&DiffLine) -> bool) -> Vec<Vec<u8>> {
        self.lines
            .iter()
            .filter(|l| keep(l))
            .map(|l| {
                let mut v = Vec::with_capacity(l.text.len() + 2);
                l.push_raw(&mut v);
                v
            })
            .collect()
    }
}

/// Converts a unified-diff start to a 0-based index.
pub(crate) fn start_to_index(start: usize, len: usize) -> usize {
    if len == 0 {
        start
    } else {
        start.saturating_sub(1)
    }
}

/// Converts a 0-based index to a unified-diff start.
pub(crate) fn index_to_start(index: usize, len: usize) -> usize {
    if len == 0 { index } else { index + 1 }
}

/// Splits content into lines, each keeping its line ending (`\n`, `\r\n`);
/// the last line may have none. Empty content has no lines.
pub fn split_lines(content: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in memchr::memchr_iter(b'\n', content) {
        out.push(&content[start..=i]);
        start = i + 1;
    }
    if start < content.len() {
        out.push(&content[start..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_keeps_endings() {
        assert_eq!(
            split_lines(b"a\r\nb\nc"),
            vec![&b"a\r\n"[..], &b"b\n"[..], &b"c"[..]]
        );
        assert!(split_lines(b"").is_empty());
        assert_eq!(split_lines(b"\n"), vec![&b"\n"[..]]);
    }

    #[test]
    fn raw_roundtrip() {
        for raw in ["x\r\n", "x\n", "x", "x\r", ""] {
            let l = DiffLine::from_raw(LineKind::Context, raw);
            let mut v = Vec::new();
            l.push_raw(&mut v);
            assert_eq!(v, raw.as_bytes(), "{raw:?}");
        }
        let l = DiffLine::from_raw(LineKind::Added, "x\r\n");
        assert_eq!(
            (l.text.as_str(), l.crlf, l.no_newline_at_end),
            ("x", true, false)
        );
    }

    #[test]
    fn start_index_conversions() {
        assert_eq!(start_to_index(0, 0), 0);
        assert_eq!(start_to_index(1, 3), 0);
        assert_eq!(start_to_index(5, 0), 5);
        assert_eq!(index_to_start(0, 0), 0);
        assert_eq!(index_to_start(0, 2), 1);
    }
}
