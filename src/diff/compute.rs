//! Computing a [`FileDiff`]: line diff with `similar` (bounded by an optional
//! deadline), binary detection, word-level emphasis and rename detection.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;
use std::time::Instant;

use similar::{DiffOp, DiffTag, TextDiff};

use super::model::{
    DiffLine, FileDiff, FileStatus, Hunk, LineKind, REGULAR_FILE_MODE, index_to_start, split_lines,
};

/// How many leading bytes are searched for a NUL to call a file binary.
const BINARY_SNIFF_LEN: usize = 8 * 1024;
/// Lines longer than this get no word-level emphasis.
const EMPHASIS_MAX_LINE: usize = 1_000;
/// Paired lines must be at least this similar (character ratio).
const EMPHASIS_MIN_RATIO: f32 = 0.5;
/// A changed block with more removed×added candidate pairs than this only
/// pairs lines at equal offsets (keeps emphasis linear on huge blocks).
const EMPHASIS_MAX_PAIRS: usize = 10_000;
/// Rename candidates must be at least this similar (percent).
const RENAME_MIN_SIMILARITY: u8 = 50;
/// Above this many deleted×added pairs only exact renames are detected.
const RENAME_MAX_PAIRS: usize = 10_000;

/// The line-diff algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Algorithm {
    /// Myers' O(ND) diff (git's default).
    #[default]
    Myers,
    /// Patience diff: anchors on unique lines, often reads better for code.
    Patience,
}

/// Options for [`diff_texts`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffOptions {
    /// The line-diff algorithm.
    pub algorithm: Algorithm,
    /// Unchanged lines shown around each change (3 like git).
    pub context: usize,
    /// Compare lines with all whitespace removed (like `git diff -w`).
    /// Context lines then carry the old side's text, so hunks of such a diff
    /// are for viewing: accept/revert refuse when whitespace differs in them.
    pub ignore_whitespace: bool,
    /// Stop refining after this instant; the diff stays correct but may be
    /// coarser (bigger hunks) and emphasis is skipped once it has passed.
    pub deadline: Option<Instant>,
}

impl Default for DiffOptions {
    fn default() -> Self {
        Self {
            algorithm: Algorithm::Myers,
            context: 3,
            ignore_whitespace: false,
            deadline: None,
        }
    }
}

/// A detected rename: `old_path` was deleted and `new_path` added with
/// `similarity` percent of the content in common.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rename {
    /// The deleted path.
    pub old_path: String,
    /// The added path.
    pub new_path: String,
    /// Percentage (0–100) of shared content; 100 for identical content.
    pub similarity: u8,
}

/// Binary content: a NUL byte in the first 8 KiB, or invalid UTF-8.
pub fn is_binary(content: &[u8]) -> bool {
    let head = &content[..content.len().min(BINARY_SNIFF_LEN)];
    memchr::memchr(0, head).is_some() || std::str::from_utf8(content).is_err()
}

/// Diffs two versions of a file. The result has empty paths and status
/// [`FileStatus::Modified`]; use [`diff_modified`], [`diff_added`],
/// [`diff_deleted`] or [`diff_renamed`] for a complete file entry.
/// Binary content (see [`is_binary`]) yields `binary: true` and no hunks.
pub fn diff_texts(old: &[u8], new: &[u8], opts: &DiffOptions) -> FileDiff {
    let mut file = FileDiff {
        old_path: String::new(),
        new_path: String::new(),
        status: FileStatus::Modified,
        old_mode: REGULAR_FILE_MODE,
        new_mode: REGULAR_FILE_MODE,
        binary: false,
        hunks: Vec::new(),
    };
    match (std::str::from_utf8(old), std::str::from_utf8(new)) {
        (Ok(o), Ok(n)) if !is_binary(old) && !is_binary(new) => {
            file.hunks = compute_hunks(o, n, opts);
        }
        _ => file.binary = true,
    }
    file
}

/// A file changed in place at `path`.
pub fn diff_modified(path: &str, old: &[u8], new: &[u8], opts: &DiffOptions) -> FileDiff {
    let mut f = diff_texts(old, new, opts);
    f.old_path = path.to_owned();
    f.new_path = path.to_owned();
    f
}

/// A new file at `path`.
pub fn diff_added(path: &str, new: &[u8], opts: &DiffOptions) -> FileDiff {
    let mut f = diff_modified(path, b"", new, opts);
    f.status = FileStatus::Added;
    f.old_mode = 0;
    f
}

/// A removed file at `path`.
pub fn diff_deleted(path: &str, old: &[u8], opts: &DiffOptions) -> FileDiff {
    let mut f = diff_modified(path, old, b"", opts);
    f.status = FileStatus::Deleted;
    f.new_mode = 0;
    f
}

/// A file moved from `old_path` to `new_path` (see [`detect_renames`]).
pub fn diff_renamed(
    old_path: &str,
    new_path: &str,
    old: &[u8],
    new: &[u8],
    similarity: u8,
    opts: &DiffOptions,
) -> FileDiff {
    let mut f = diff_texts(old, new, opts);
    f.old_path = old_path.to_owned();
    f.new_path = new_path.to_owned();
    f.status = FileStatus::Renamed { similarity };
    f
}

fn line_key<'a>(line: &'a [u8], ignore_whitespace: bool) -> Cow<'a, [u8]> {
    if ignore_whitespace {
        Cow::Owned(
            line.iter()
                .copied()
                .filter(|b| !b.is_ascii_whitespace())
                .collect(),
        )
    } else {
        Cow::Borrowed(line)
    }
}

fn to_similar(a: Algorithm) -> similar::Algorithm {
    match a {
        Algorithm::Myers => similar::Algorithm::Myers,
        Algorithm::Patience => similar::Algorithm::Patience,
    }
}

fn deadline_passed(deadline: Option<Instant>) -> bool {
    deadline.is_some_and(|d| Instant::now() >= d)
}

fn compute_hunks(old: &str, new: &str, opts: &DiffOptions) -> Vec<Hunk> {
    let old_lines = split_lines(old.as_bytes());
    let new_lines = split_lines(new.as_bytes());
    let old_keys: Vec<Cow<[u8]>> = old_lines
        .iter()
        .map(|l| line_key(l, opts.ignore_whitespace))
        .collect();
    let new_keys: Vec<Cow<[u8]>> = new_lines
        .iter()
        .map(|l| line_key(l, opts.ignore_whitespace))
        .collect();
    let ops = similar::capture_diff_slices_deadline(
        to_similar(opts.algorithm),
        &old_keys,
        &new_keys,
        opts.deadline,
    );
    // Lines are slices of valid UTF-8 cut after '\n', so each is valid UTF-8.
    let text = |l: &[u8]| String::from_utf8_lossy(l).into_owned();
    let mut hunks = Vec::new();
    // Lines added minus lines removed by the hunks so far.
    let mut delta: isize = 0;
    for group in similar::group_diff_ops(ops, opts.context) {
        if group.iter().all(|op| matches!(op, DiffOp::Equal { .. })) {
            continue;
        }
        let mut lines = Vec::new();
        for op in &group {
            let (tag, o, n) = op.as_tag_tuple();
            let mut push = |kind, raw: &[u8], old_no, new_no| {
                let mut l = DiffLine::from_raw(kind, &text(raw));
                l.old_no = old_no;
                l.new_no = new_no;
                lines.push(l);
            };
            match tag {
                DiffTag::Equal => {
                    for (i, j) in o.zip(n) {
                        push(LineKind::Context, old_lines[i], Some(i + 1), Some(j + 1));
                    }
                }
                DiffTag::Delete | DiffTag::Insert | DiffTag::Replace => {
                    for i in o {
                        push(LineKind::Removed, old_lines[i], Some(i + 1), None);
                    }
                    for j in n {
                        push(LineKind::Added, new_lines[j], None, Some(j + 1));
                    }
                }
            }
        }
        let (old_index, old_len, new_index, new_len) = hunk_range(&lines, delta);
        delta += new_len as isize - old_len as isize;
        let mut hunk = Hunk {
            old_start: index_to_start(old_index, old_len),
            old_len,
            new_start: index_to_start(new_index, new_len),
            new_len,
            lines,
        };
        if !deadline_passed(opts.deadline) {
            add_emphasis(&mut hunk, opts.deadline);
        }
        hunks.push(hunk);
    }
    hunks
}

/// A hunk's 0-based first old and new index and its lengths, from its lines.
///
/// Not from the diff ops' ranges: `similar`'s Myers diff sometimes reports
/// an insert (or delete) at the wrong position on the *other* side (e.g. old
/// `a d`, new `d d`: an insert at old index 1 instead of 2, the kind of bug
/// reported upstream as mitsuhiko/similar#78). The lines' own numbers are
/// right (they index the content shown), and between hunks both sides are
/// equal, so a side with no lines sits `delta` (the net lines added by the
/// earlier hunks) away from the other.
fn hunk_range(lines: &[DiffLine], delta: isize) -> (usize, usize, usize, usize) {
    let old_len = lines.iter().filter(|l| l.on_old_side()).count();
    let new_len = lines.iter().filter(|l| l.on_new_side()).count();
    let first_old = lines.iter().find_map(|l| l.old_no).map(|n| n - 1);
    let first_new = lines.iter().find_map(|l| l.new_no).map(|n| n - 1);
    let shift = |index: usize, by: isize| index.checked_add_signed(by).unwrap_or(0);
    match (first_old, first_new) {
        (Some(o), Some(n)) => (o, old_len, n, new_len),
        (Some(o), None) => (o, old_len, shift(o, delta), new_len),
        (None, Some(n)) => (shift(n, -delta), old_len, n, new_len),
        (None, None) => (0, 0, 0, 0),
    }
}

/// Adds word-level emphasis to every changed block (removed lines directly
/// followed by added lines) of `hunk`.
fn add_emphasis(hunk: &mut Hunk, deadline: Option<Instant>) {
    let mut i = 0;
    while i < hunk.lines.len() {
        if hunk.lines[i].kind != LineKind::Removed {
            i += 1;
            continue;
        }
        let removed_start = i;
        while i < hunk.lines.len() && hunk.lines[i].kind == LineKind::Removed {
            i += 1;
        }
        let added_start = i;
        while i < hunk.lines.len() && hunk.lines[i].kind == LineKind::Added {
            i += 1;
        }
        emphasize_block(hunk, removed_start..added_start, added_start..i, deadline);
    }
}

fn emphasis_candidate(l: &DiffLine) -> bool {
    l.text.len() <= EMPHASIS_MAX_LINE
}

fn similarity(a: &str, b: &str, deadline: Option<Instant>) -> f32 {
    let mut cfg = TextDiff::configure();
    if let Some(d) = deadline {
        cfg.deadline(d);
    }
    cfg.diff_chars(a, b).ratio()
}

/// Greedy, order-preserving pairing of removed with added lines by
/// similarity, then a word diff of each pair.
fn emphasize_block(
    hunk: &mut Hunk,
    removed: Range<usize>,
    added: Range<usize>,
    deadline: Option<Instant>,
) {
    if added.is_empty() {
        return;
    }
    let exhaustive = removed.len() * added.len() <= EMPHASIS_MAX_PAIRS;
    let mut next_added = added.start;
    for r in removed.clone() {
        if next_added >= added.end || deadline_passed(deadline) {
            return;
        }
        if !emphasis_candidate(&hunk.lines[r]) {
            continue;
        }
        let candidates = if exhaustive {
            next_added..added.end
        } else {
            let a = added.start + (r - removed.start);
            if a < next_added || a >= added.end {
                continue;
            }
            a..a + 1
        };
        let mut best: Option<(usize, f32)> = None;
        for a in candidates {
            if !emphasis_candidate(&hunk.lines[a]) {
                continue;
            }
            let ratio = similarity(&hunk.lines[r].text, &hunk.lines[a].text, deadline);
            if ratio >= EMPHASIS_MIN_RATIO && best.is_none_or(|(_, b)| ratio > b) {
                best = Some((a, ratio));
            }
        }
        if let Some((a, _)) = best {
            let (old_ranges, new_ranges) =
                word_ranges(&hunk.lines[r].text, &hunk.lines[a].text, deadline);
            hunk.lines[r].emphasis = old_ranges;
            hunk.lines[a].emphasis = new_ranges;
            next_added = a + 1;
        }
    }
}

/// Byte ranges of the words that differ between `old` and `new`.
fn word_ranges(
    old: &str,
    new: &str,
    deadline: Option<Instant>,
) -> (Vec<Range<usize>>, Vec<Range<usize>>) {
    let mut cfg = TextDiff::configure();
    if let Some(d) = deadline {
        cfg.deadline(d);
    }
    let diff = cfg.diff_words(old, new);
    let offsets = |tokens: &[&str]| {
        let mut acc = vec![0];
        for t in tokens {
            acc.push(acc[acc.len() - 1] + t.len());
        }
        acc
    };
    let old_off = offsets(diff.old_slices());
    let new_off = offsets(diff.new_slices());
    let (mut old_ranges, mut new_ranges) = (Vec::new(), Vec::new());
    for op in diff.ops() {
        if op.tag() == DiffTag::Equal {
            continue;
        }
        let (o, n) = (op.old_range(), op.new_range());
        push_merged(&mut old_ranges, old_off[o.start]..old_off[o.end]);
        push_merged(&mut new_ranges, new_off[n.start]..new_off[n.end]);
    }
    (old_ranges, new_ranges)
}

fn push_merged(ranges: &mut Vec<Range<usize>>, r: Range<usize>) {
    if r.is_empty() {
        return;
    }
    match ranges.last_mut() {
        Some(last) if last.end == r.start => last.end = r.end,
        _ => ranges.push(r),
    }
}

/// Similarity of two contents in percent (line-based, like git's estimate).
fn content_similarity(a: &[u8], b: &[u8]) -> u8 {
    if a == b {
        return 100;
    }
    if is_binary(a) || is_binary(b) {
        return 0;
    }
    let (la, lb) = (split_lines(a), split_lines(b));
    let ops = similar::capture_diff_slices(similar::Algorithm::Myers, &la, &lb);
    let ratio = similar::get_diff_ratio(&ops, la.len(), lb.len());
    // Truncate so that only identical content reports 100.
    ((ratio * 100.0) as u8).min(99)
}

/// Pairs deleted with added files that are renames: identical content first,
/// then the most similar remaining pairs with at least 50% similarity.
/// Each path is used at most once. Paths are relative to the repository root.
pub fn detect_renames(deleted: &[(&str, &[u8])], added: &[(&str, &[u8])]) -> Vec<Rename> {
    let mut out = Vec::new();
    let mut deleted_used = vec![false; deleted.len()];
    let mut added_used = vec![false; added.len()];
    let mut by_content: HashMap<&[u8], Vec<usize>> = HashMap::new();
    for (i, (_, content)) in deleted.iter().enumerate().rev() {
        by_content.entry(content).or_default().push(i);
    }
    for (j, (new_path, content)) in added.iter().enumerate() {
        if let Some(i) = by_content.get_mut(content).and_then(Vec::pop) {
            deleted_used[i] = true;
            added_used[j] = true;
            out.push(Rename {
                old_path: deleted[i].0.to_owned(),
                new_path: (*new_path).to_owned(),
                similarity: 100,
            });
        }
    }
    if deleted.len() * added.len() > RENAME_MAX_PAIRS {
        return out;
    }
    let mut scored = Vec::new();
    for (i, (_, a)) in deleted
        .iter()
        .enumerate()
        .filter(|(i, _)| !deleted_used[*i])
    {
        for (j, (_, b)) in added.iter().enumerate().filter(|(j, _)| !added_used[*j]) {
            let (small, big) = (a.len().min(b.len()), a.len().max(b.len()));
            // Similarity can't reach 50% when one side is over 3x the other.
            if big > 3 * small.max(1) {
                continue;
            }
            let s = content_similarity(a, b);
            if s >= RENAME_MIN_SIMILARITY {
                scored.push((s, i, j));
            }
        }
    }
    scored.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2)));
    for (s, i, j) in scored {
        if deleted_used[i] || added_used[j] {
            continue;
        }
        deleted_used[i] = true;
        added_used[j] = true;
        out.push(Rename {
            old_path: deleted[i].0.to_owned(),
            new_path: added[j].0.to_owned(),
            similarity: s,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(old: &str, new: &str) -> FileDiff {
        diff_texts(old.as_bytes(), new.as_bytes(), &DiffOptions::default())
    }

    fn render(h: &Hunk) -> String {
        let mut s = format!(
            "@@ -{},{} +{},{} @@\n",
            h.old_start, h.old_len, h.new_start, h.new_len
        );
        for l in &h.lines {
            let c = match l.kind {
                LineKind::Context => ' ',
                LineKind::Removed => '-',
                LineKind::Added => '+',
            };
            s.push(c);
            s.push_str(&l.text);
            s.push('\n');
        }
        s
    }

    #[test]
    fn simple_change_with_numbers() {
        let f = d("a\nb\nc\n", "a\nB\nc\n");
        assert_eq!(f.hunks.len(), 1);
        let h = &f.hunks[0];
        assert_eq!(render(h), "@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n");
        assert_eq!(h.lines[1].old_no, Some(2));
        assert_eq!(h.lines[1].new_no, None);
        assert_eq!(h.lines[2].new_no, Some(2));
        assert_eq!(h.lines[3].old_no, Some(3));
        assert_eq!(h.lines[3].new_no, Some(3));
    }

    #[test]
    fn identical_has_no_hunks() {
        assert!(d("a\nb\n", "a\nb\n").hunks.is_empty());
        assert!(d("", "").hunks.is_empty());
    }

    #[test]
    fn empty_files() {
        let f = d("", "x\ny\n");
        assert_eq!(render(&f.hunks[0]), "@@ -0,0 +1,2 @@\n+x\n+y\n");
        let f = d("x\n", "");
        assert_eq!(render(&f.hunks[0]), "@@ -1,1 +0,0 @@\n-x\n");
    }

    #[test]
    fn separate_hunks_with_context() {
        let old: String = (1..=20).map(|i| format!("{i}\n")).collect();
        let new: String = (1..=20)
            .map(|i| match i {
                2 => "two\n".to_owned(),
                18 => "eighteen\n".to_owned(),
                _ => format!("{i}\n"),
            })
            .collect();
        let f = d(&old, &new);
        assert_eq!(f.hunks.len(), 2);
        assert_eq!((f.hunks[0].old_start, f.hunks[0].old_len), (1, 5));
        assert_eq!((f.hunks[1].old_start, f.hunks[1].old_len), (15, 6));
        let f = diff_texts(
            old.as_bytes(),
            new.as_bytes(),
            &DiffOptions {
                context: 0,
                ..DiffOptions::default()
            },
        );
        assert_eq!(render(&f.hunks[0]), "@@ -2,1 +2,1 @@\n-2\n+two\n");
    }

    #[test]
    fn crlf_kept() {
        let f = d("a\r\nb\r\n", "a\r\nc\r\n");
        let h = &f.hunks[0];
        assert!(h.lines.iter().all(|l| l.crlf && !l.text.contains('\r')));
        // A line-ending-only change is a change.
        let f = d("a\nb\n", "a\r\nb\n");
        assert_eq!(render(&f.hunks[0]), "@@ -1,2 +1,2 @@\n-a\n+a\n b\n");
        assert!(f.hunks[0].lines[1].crlf);
    }

    #[test]
    fn no_newline_at_end_both_sides() {
        let f = d("a\nb", "a\nc");
        let h = &f.hunks[0];
        assert!(h.lines[1].no_newline_at_end && h.lines[2].no_newline_at_end);
        let f = d("a\nb", "a\nb\n");
        let h = &f.hunks[0];
        assert_eq!(render(h), "@@ -1,2 +1,2 @@\n a\n-b\n+b\n");
        assert!(h.lines[1].no_newline_at_end);
        assert!(!h.lines[2].no_newline_at_end);
    }

    #[test]
    fn binary_detection() {
        assert!(is_binary(b"ab\0c"));
        assert!(is_binary(&[0xff, 0xfe, b'a']));
        assert!(!is_binary("héllo\n".as_bytes()));
        let f = d("a\n", "a\n");
        assert!(!f.binary);
        let f = diff_texts(b"a\0", b"b\0", &DiffOptions::default());
        assert!(f.binary && f.hunks.is_empty());
        let f = diff_texts(b"text\n", &[0xff], &DiffOptions::default());
        assert!(f.binary && f.hunks.is_empty());
    }

    #[test]
    fn ignore_whitespace() {
        let opts = DiffOptions {
            ignore_whitespace: true,
            ..DiffOptions::default()
        };
        let f = diff_texts(b"a b\n  c\n", b"a  b\n\tc\r\n", &opts);
        assert!(f.hunks.is_empty());
        let f = diff_texts(b"a b\nx\n", b"a  b\ny\n", &opts);
        assert_eq!(render(&f.hunks[0]), "@@ -1,2 +1,2 @@\n a b\n-x\n+y\n");
        assert_eq!(d("a b\n", "a  b\n").hunks.len(), 1);
    }

    #[test]
    fn emphasis_on_changed_word() {
        let f = d("let x = foo(1);\n", "let x = bar(1);\n");
        let h = &f.hunks[0];
        let (r, a) = (&h.lines[0], &h.lines[1]);
        assert_eq!(r.emphasis.len(), 1);
        assert_eq!(&r.text[r.emphasis[0].clone()], "foo(1);");
        assert_eq!(&a.text[a.emphasis[0].clone()], "bar(1);");
    }

    #[test]
    fn emphasis_pairs_by_similarity_and_skips_dissimilar() {
        let old = "alpha beta gamma\nthe quick brown fox\n";
        let new = "completely different\nthe quick red fox\n";
        let f = d(old, new);
        let h = &f.hunks[0];
        let kinds: Vec<_> = h.lines.iter().map(|l| l.kind).collect();
        assert_eq!(
            kinds,
            [
                LineKind::Removed,
                LineKind::Removed,
                LineKind::Added,
                LineKind::Added
            ]
        );
        assert!(h.lines[0].emphasis.is_empty());
        assert!(h.lines[2].emphasis.is_empty());
        assert_eq!(&h.lines[1].text[h.lines[1].emphasis[0].clone()], "brown");
        assert_eq!(&h.lines[3].text[h.lines[3].emphasis[0].clone()], "red");
    }

    #[test]
    fn emphasis_on_huge_blocks_pairs_by_offset() {
        let old: String = (0..150).map(|i| format!("item {i} old\n")).collect();
        let new: String = (0..150).map(|i| format!("item {i} new\n")).collect();
        let f = d(&old, &new);
        let h = &f.hunks[0];
        assert_eq!(h.lines.len(), 300);
        assert!(h.lines.iter().all(|l| l.emphasis.len() == 1));
        assert_eq!(&h.lines[150].text[h.lines[150].emphasis[0].clone()], "new");
    }

    #[test]
    fn emphasis_skips_long_lines() {
        let long = "word ".repeat(300);
        let f = d(&format!("{long}a\n"), &format!("{long}b\n"));
        assert!(f.hunks[0].lines.iter().all(|l| l.emphasis.is_empty()));
    }

    #[test]
    fn patience_algorithm_works() {
        let opts = DiffOptions {
            algorithm: Algorithm::Patience,
            ..DiffOptions::default()
        };
        let f = diff_texts(b"a\nb\nc\n", b"a\nc\n", &opts);
        assert_eq!(render(&f.hunks[0]), "@@ -1,3 +1,2 @@\n a\n-b\n c\n");
    }

    #[test]
    fn expired_deadline_still_correct() {
        let old: String = (0..2000).map(|i| format!("{}\n", i * 7 % 13)).collect();
        let new: String = (0..2000).map(|i| format!("{}\n", i * 5 % 11)).collect();
        let opts = DiffOptions {
            deadline: Some(Instant::now()),
            ..DiffOptions::default()
        };
        let f = diff_texts(old.as_bytes(), new.as_bytes(), &opts);
        // Coarser, but still exact: applying every hunk yields the new side.
        let mut index = old.as_bytes().to_vec();
        for h in &f.hunks {
            index = crate::diff::accept_hunk(&index, h).unwrap();
        }
        assert_eq!(index, new.as_bytes());
        assert!(
            f.hunks
                .iter()
                .all(|h| h.lines.iter().all(|l| l.emphasis.is_empty()))
        );
    }

    #[test]
    fn file_constructors() {
        let o = DiffOptions::default();
        let f = diff_added("x.txt", b"a\n", &o);
        assert_eq!(
            (f.status, f.old_mode, f.new_mode),
            (FileStatus::Added, 0, 0o100644)
        );
        let f = diff_deleted("x.txt", b"a\n", &o);
        assert_eq!((f.status, f.new_mode), (FileStatus::Deleted, 0));
        let f = diff_renamed("a", "b", b"x\n", b"x\n", 100, &o);
        assert_eq!(f.status, FileStatus::Renamed { similarity: 100 });
        assert!(f.hunks.is_empty());
    }

    #[test]
    fn renames_exact_then_similar() {
        let body: String = (0..20).map(|i| format!("line {i}\n")).collect();
        let edited = body.replace("line 3\n", "line three\n");
        let other: String = (0..20).map(|i| format!("other {i}\n")).collect();
        let deleted = [
            ("old/same.rs", body.as_bytes()),
            ("old/edited.rs", body.as_bytes()),
            ("gone.rs", other.as_bytes()),
        ];
        let added = [
            ("new/edited.rs", edited.as_bytes()),
            ("new/same.rs", body.as_bytes()),
            ("fresh.rs", b"unrelated\n".as_slice()),
        ];
        let r = detect_renames(&deleted, &added);
        assert_eq!(r.len(), 2);
        assert_eq!(
            r[0],
            Rename {
                old_path: "old/same.rs".into(),
                new_path: "new/same.rs".into(),
                similarity: 100
            }
        );
        assert_eq!(r[1].old_path, "old/edited.rs");
        assert_eq!(r[1].new_path, "new/edited.rs");
        assert!((90..100).contains(&r[1].similarity), "{}", r[1].similarity);
    }
}
