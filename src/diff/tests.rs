//! Cross-module tests: accept/revert units, properties over random edits,
//! and `git apply` accepting exported patches.

use std::path::Path;
use std::process::Command;

use proptest::prelude::*;

use super::*;
use crate::diff::model::split_lines;

fn opts(context: usize) -> DiffOptions {
    DiffOptions {
        context,
        ..DiffOptions::default()
    }
}

/// `old` with exactly the hunks `chosen` applied, at their computed places.
fn oracle(old: &[u8], hunks: &[Hunk], chosen: impl Fn(usize) -> bool) -> Vec<u8> {
    let mut lines: Vec<Vec<u8>> = split_lines(old).into_iter().map(<[u8]>::to_vec).collect();
    for (i, h) in hunks.iter().enumerate().rev() {
        if chosen(i) {
            let at = h.old_index();
            lines.splice(at..at + h.old_len, h.new_side());
        }
    }
    lines.concat()
}

#[test]
fn accept_and_revert_one_hunk() {
    let old = b"a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\n";
    let new = b"a\nB\nc\nd\ne\nf\ng\nh\ni\nJ\nk\n";
    let f = diff_texts(old, new, &opts(1));
    assert_eq!(f.hunks.len(), 2);
    let staged = accept_hunk(old, &f.hunks[1]).unwrap();
    assert_eq!(staged, b"a\nb\nc\nd\ne\nf\ng\nh\ni\nJ\nk\n");
    let reverted = revert_hunk(new, &f.hunks[0]).unwrap();
    assert_eq!(reverted, staged);
}

#[test]
fn hunk_headers_follow_the_lines_even_when_similar_misplaces_an_insert() {
    // similar's Myers reports this insert at old index 1 instead of 2.
    let d = diff_texts(b"a\nd\n", b"d\nd\n", &opts(3));
    let h = &d.hunks[0];
    assert_eq!(
        (h.old_start, h.old_len, h.new_start, h.new_len),
        (1, 2, 1, 2)
    );
    assert_eq!(accept_hunk(b"a\nd\n", h).unwrap(), b"d\nd\n");
    assert_eq!(revert_hunk(b"d\nd\n", h).unwrap(), b"a\nd\n");
    // With no context, a pure insertion is placed by the earlier hunks' offset.
    let old = b"x\na\nb\nc\n";
    let new = b"a\nb\nc\nz\n";
    let d = diff_texts(old, new, &opts(0));
    let starts: Vec<_> = d
        .hunks
        .iter()
        .map(|h| (h.old_start, h.old_len, h.new_start, h.new_len))
        .collect();
    assert_eq!(starts, vec![(1, 1, 0, 0), (4, 0, 4, 1)]);
}

#[test]
fn refuses_when_lines_changed() {
    let f = diff_texts(b"a\nb\nc\n", b"a\nB\nc\n", &opts(1));
    let err = revert_hunk(b"a\nX\nc\n", &f.hunks[0]).unwrap_err();
    assert!(matches!(err, ApplyError::Changed { .. }));
    assert!(err.to_string().contains("refresh the diff"));
    assert!(accept_hunk(b"a\nb\n", &f.hunks[0]).is_err());
    // A hunk ending the file without a newline can't land mid-file.
    let f = diff_texts(b"a\nb", b"a\nc", &opts(1));
    assert!(revert_hunk(b"a\nc\nmore\n", &f.hunks[0]).is_err());
}

#[test]
fn finds_moved_lines_at_nearest_offset() {
    let f = diff_texts(b"a\nb\nc\n", b"a\nB\nc\n", &opts(1));
    let moved = b"x\ny\na\nB\nc\nz\n";
    assert_eq!(
        revert_hunk(moved, &f.hunks[0]).unwrap(),
        b"x\ny\na\nb\nc\nz\n"
    );
    // Two candidates: the nearer one to the expected place wins.
    let twice = b"a\nB\nc\nq\nq\nq\nq\na\nB\nc\n";
    assert_eq!(
        revert_hunk(twice, &f.hunks[0]).unwrap(),
        b"a\nb\nc\nq\nq\nq\nq\na\nB\nc\n"
    );
}

#[test]
fn crlf_and_missing_newline_byte_exact() {
    let cases: [(&[u8], &[u8]); 6] = [
        (b"a\r\nb\r\nc\r\n", b"a\r\nB\r\nc\r\n"),
        (b"a\nb", b"a\nb\n"),
        (b"a\nb\n", b"a\nb"),
        (b"a\nb", b"a\nc"),
        (b"", b"x\r\ny"),
        (b"x\r\ny", b""),
    ];
    for (old, new) in cases {
        let f = diff_texts(old, new, &opts(3));
        assert_eq!(f.hunks.len(), 1);
        assert_eq!(accept_hunk(old, &f.hunks[0]).unwrap(), new);
        assert_eq!(revert_hunk(new, &f.hunks[0]).unwrap(), old);
    }
}

/// One random file: distinct lines, each with its own line ending.
#[derive(Debug, Clone)]
struct Edit {
    old_crlf: Vec<bool>,
    actions: Vec<u8>,
    old_final_newline: bool,
    new_final_newline: bool,
    insert_first: bool,
}

fn join(lines: &[(String, bool)], final_newline: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, (text, crlf)) in lines.iter().enumerate() {
        out.extend_from_slice(text.as_bytes());
        if i + 1 < lines.len() || final_newline {
            out.extend_from_slice(if *crlf { b"\r\n" } else { b"\n" });
        }
    }
    out
}

fn build(e: &Edit) -> (Vec<u8>, Vec<u8>) {
    let old: Vec<(String, bool)> = e
        .old_crlf
        .iter()
        .enumerate()
        .map(|(i, c)| (format!("line {i}"), *c))
        .collect();
    let mut new = Vec::new();
    if e.insert_first {
        new.push(("inserted first".to_owned(), false));
    }
    for ((i, line), a) in old.iter().enumerate().zip(&e.actions) {
        match a {
            3 => {}
            4 => new.push((format!("line {i} changed"), line.1)),
            5 => new.push((line.0.clone(), !line.1)),
            6 => {
                new.push(line.clone());
                new.push((format!("inserted after {i}"), line.1));
            }
            _ => new.push(line.clone()),
        }
    }
    (
        join(&old, e.old_final_newline),
        join(&new, e.new_final_newline),
    )
}

fn edits() -> impl Strategy<Value = Edit> {
    (0usize..40).prop_flat_map(|n| {
        (
            prop::collection::vec(any::<bool>(), n),
            prop::collection::vec(0u8..7, n),
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(|(old_crlf, actions, o, n, f)| Edit {
                old_crlf,
                actions,
                old_final_newline: o,
                new_final_newline: n,
                insert_first: f,
            })
    })
}

fn order(keys: &[u64], n: usize) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_by_key(|&i| keys[i % keys.len()].wrapping_add(i as u64));
    idx
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn accept_all_in_any_order_gives_new(
        e in edits(),
        ctx in 1usize..4,
        keys in prop::collection::vec(any::<u64>(), 1..64),
    ) {
        let (old, new) = build(&e);
        let f = diff_texts(&old, &new, &opts(ctx));
        let mut index = old.clone();
        for i in order(&keys, f.hunks.len()) {
            index = accept_hunk(&index, &f.hunks[i]).unwrap();
        }
        prop_assert_eq!(index, new);
    }

    #[test]
    fn revert_all_in_any_order_gives_old(
        e in edits(),
        ctx in 1usize..4,
        keys in prop::collection::vec(any::<u64>(), 1..64),
    ) {
        let (old, new) = build(&e);
        let f = diff_texts(&old, &new, &opts(ctx));
        let mut work = new.clone();
        for i in order(&keys, f.hunks.len()) {
            work = revert_hunk(&work, &f.hunks[i]).unwrap();
        }
        prop_assert_eq!(work, old);
    }

    #[test]
    fn accepted_subset_equals_reverted_complement(
        e in edits(),
        ctx in 1usize..4,
        keys in prop::collection::vec(any::<u64>(), 1..64),
        mask in prop::collection::vec(any::<bool>(), 64),
    ) {
        let (old, new) = build(&e);
        let f = diff_texts(&old, &new, &opts(ctx));
        let chosen = |i: usize| mask[i % mask.len()];
        let expected = oracle(&old, &f.hunks, chosen);
        let mut index = old.clone();
        let mut work = new.clone();
        for i in order(&keys, f.hunks.len()) {
            if chosen(i) {
                index = accept_hunk(&index, &f.hunks[i]).unwrap();
            } else {
                work = revert_hunk(&work, &f.hunks[i]).unwrap();
            }
        }
        prop_assert_eq!(&index, &expected);
        prop_assert_eq!(&work, &expected);
    }
}

// ---- git apply accepts exported patches ----

fn git(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new("git")
        .arg("-c")
        .arg("core.autocrlf=false")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs")
}

/// Writes `before` into a fresh repo, checks and applies `patch`, and
/// returns the repo for inspection.
fn git_apply(before: &[(&str, &[u8])], patch: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    assert!(git(dir.path(), &["init", "-q"]).status.success());
    for (path, content) in before {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }
    std::fs::write(dir.path().join("change.patch"), patch).unwrap();
    for args in [
        &["apply", "--check", "change.patch"][..],
        &["apply", "change.patch"],
    ] {
        let out = git(dir.path(), args);
        assert!(
            out.status.success(),
            "git {args:?} failed: {}\n--- patch ---\n{patch}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    dir
}

fn read(dir: &tempfile::TempDir, path: &str) -> Vec<u8> {
    std::fs::read(dir.path().join(path)).unwrap()
}

fn numbered(n: usize, crlf: bool) -> Vec<u8> {
    let eol = if crlf { "\r\n" } else { "\n" };
    (1..=n)
        .map(|i| format!("line {i}{eol}"))
        .collect::<String>()
        .into_bytes()
}

fn edited(old: &[u8], every: usize) -> Vec<u8> {
    split_lines(old)
        .iter()
        .enumerate()
        .map(|(i, l)| {
            if i % every == 2 {
                let s = String::from_utf8_lossy(l);
                s.replacen("line", "LINE", 1).into_bytes()
            } else {
                l.to_vec()
            }
        })
        .collect::<Vec<_>>()
        .concat()
}

#[test]
fn git_applies_all_hunks_and_subsets() {
    for crlf in [false, true] {
        let old = numbered(60, crlf);
        let mut new = edited(&old, 15);
        new.extend_from_slice(b"tail without newline");
        let f = diff_modified("src/f.txt", &old, &new, &DiffOptions::default());
        assert!(f.hunks.len() >= 3);
        let all = to_unified(&[&f], |_, _| true);
        let dir = git_apply(&[("src/f.txt", &old)], &all);
        assert_eq!(read(&dir, "src/f.txt"), new);
        for pick in [vec![1], vec![0, 2], vec![f.hunks.len() - 1]] {
            let patch = to_unified(&[&f], |_, h| pick.contains(&h));
            let dir = git_apply(&[("src/f.txt", &old)], &patch);
            assert_eq!(
                read(&dir, "src/f.txt"),
                oracle(&old, &f.hunks, |h| pick.contains(&h))
            );
        }
    }
}

#[test]
fn git_applies_added_deleted_renamed() {
    let o = DiffOptions::default();
    let body = numbered(30, false);
    let added = diff_added("dir/new file.txt", b"a\r\nb", &o);
    let empty_added = diff_added("empty.txt", b"", &o);
    let deleted = diff_deleted("gone.txt", &body, &o);
    let moved_body = edited(&body, 40);
    let renames = detect_renames(&[("old.txt", &body)], &[("moved.txt", &moved_body)]);
    assert_eq!(renames.len(), 1);
    let r = &renames[0];
    let renamed = diff_renamed(
        &r.old_path,
        &r.new_path,
        &body,
        &moved_body,
        r.similarity,
        &o,
    );
    let pure = diff_renamed("same.txt", "same2.txt", b"x\n", b"x\n", 100, &o);
    let patch = to_unified(
        &[&added, &empty_added, &deleted, &renamed, &pure],
        |_, _| true,
    );
    let dir = git_apply(
        &[
            ("gone.txt", &body),
            ("old.txt", &body),
            ("same.txt", b"x\n"),
        ],
        &patch,
    );
    assert_eq!(read(&dir, "dir/new file.txt"), b"a\r\nb");
    assert_eq!(read(&dir, "empty.txt"), b"");
    assert!(!dir.path().join("gone.txt").exists());
    assert!(!dir.path().join("old.txt").exists());
    assert_eq!(read(&dir, "moved.txt"), moved_body);
    assert_eq!(read(&dir, "same2.txt"), b"x\n");
}

#[test]
fn git_applies_no_newline_changes() {
    let o = DiffOptions::default();
    for (old, new) in [
        (&b"a\nb"[..], &b"a\nb\n"[..]),
        (b"a\nb\n", b"a\nb"),
        (b"a\r\nb", b"a\r\nc"),
    ] {
        let f = diff_modified("f", old, new, &o);
        let dir = git_apply(&[("f", old)], &to_unified(&[&f], |_, _| true));
        assert_eq!(read(&dir, "f"), new);
    }
}

#[test]
fn git_applies_mode_change() {
    let mut f = diff_modified("run.sh", b"echo\n", b"echo\n", &DiffOptions::default());
    f.status = FileStatus::ModeChanged;
    f.new_mode = 0o100_755;
    let patch = to_unified(&[&f], |_, _| true);
    assert_eq!(
        patch,
        "diff --git a/run.sh b/run.sh\nold mode 100644\nnew mode 100755\n"
    );
    let dir = git_apply(&[("run.sh", b"echo\n")], &patch);
    assert_eq!(read(&dir, "run.sh"), b"echo\n");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn git_applies_random_subsets(
        e in edits(),
        ctx in 1usize..4,
        mask in prop::collection::vec(any::<bool>(), 64),
    ) {
        let (old, new) = build(&e);
        let f = diff_modified("f.txt", &old, &new, &opts(ctx));
        let chosen = |i: usize| mask[i % mask.len()];
        prop_assume!((0..f.hunks.len()).any(chosen));
        let patch = to_unified(&[&f], |_, h| chosen(h));
        let dir = git_apply(&[("f.txt", &old)], &patch);
        prop_assert_eq!(read(&dir, "f.txt"), oracle(&old, &f.hunks, chosen));
    }
}
