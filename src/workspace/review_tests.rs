use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use proptest::prelude::*;

use super::exact::{self, Action, Sides};
use super::listing::{self, Side};
use super::*;
use crate::diff::model::split_lines;
use crate::diff::{FileStatus, LineKind};
use crate::workspace::{CheckpointLabel, CheckpointOptions};

/// A workspace (`ws`, maybe a subdirectory of `root`) and a separate state
/// dir for the shadow checkpoints.
pub(super) struct Fixture {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    pub(super) ws: PathBuf,
    state: PathBuf,
}

pub(super) fn fixture(sub: Option<&str>) -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("repo");
    fs::create_dir_all(&root).unwrap();
    let root = root.canonicalize().unwrap();
    let ws = match sub {
        Some(s) => root.join(s),
        None => root.clone(),
    };
    fs::create_dir_all(&ws).unwrap();
    Fixture {
        state: tmp.path().join("state"),
        root,
        ws,
        _tmp: tmp,
    }
}

/// A git repository with `files` committed, in a fresh fixture.
pub(super) fn repo(sub: Option<&str>, files: &[(&str, &[u8])]) -> Fixture {
    let f = fixture(sub);
    git(&f.root, &["init", "-q"]);
    for (path, bytes) in files {
        write(&f.root, path, bytes);
    }
    git(&f.root, &["add", "-A"]);
    git(&f.root, &["commit", "-q", "--allow-empty", "-m", "base"]);
    f
}

/// The user's git, isolated from the machine's configuration.
pub(super) use crate::test_git::{git, git_out};

/// The staged content of `rel` (relative to `dir`), `None` when not staged.
pub(super) fn index_blob(dir: &Path, rel: &str) -> Option<Vec<u8>> {
    let out = git_out(dir, &["cat-file", "blob", &format!(":./{rel}")]);
    out.status.success().then_some(out.stdout)
}

pub(super) fn write(root: &Path, rel: &str, bytes: &[u8]) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, bytes).unwrap();
}

pub(super) fn read(root: &Path, rel: &str) -> Option<Vec<u8>> {
    fs::read(root.join(rel)).ok()
}

/// Opens checkpoints (baseline taken now) and the review of `f.ws`.
pub(super) fn open(f: &Fixture) -> (Arc<Checkpoints>, Review, String) {
    let cp = Arc::new(Checkpoints::open(&f.state, &f.ws, CheckpointOptions::default()).unwrap());
    let baseline = cp.checkpoint(&CheckpointLabel::default()).unwrap().id;
    let review = Review::open(cp.clone(), baseline.clone()).unwrap();
    (cp, review, baseline)
}

pub(super) fn snap(review: &Review, head: &str) -> ReviewSnapshot {
    review.snapshot(head, &[], &DiffOptions::default()).unwrap()
}

pub(super) fn file<'a>(s: &'a ReviewSnapshot, path: &str) -> &'a ReviewFile {
    s.files
        .iter()
        .find(|f| f.path() == path)
        .unwrap_or_else(|| panic!("{path} not in {:?}", paths(s)))
}

pub(super) fn paths(s: &ReviewSnapshot) -> Vec<&str> {
    s.files.iter().map(ReviewFile::path).collect()
}

pub(super) fn numbered(n: usize) -> String {
    (1..=n).map(|i| format!("line{i}\n")).collect()
}

/// 20 lines with lines 2 and 15 changed: two hunks.
fn two_hunk_edit() -> String {
    numbered(20)
        .replace("line2\n", "LINE2\n")
        .replace("line15\n", "LINE15\n")
}

pub(super) fn accept_hunk(path: &str, hunk: &Hunk) -> ReviewCommand {
    ReviewCommand::AcceptHunk {
        path: path.into(),
        hunk: hunk.clone(),
    }
}

pub(super) fn revert_hunk(path: &str, hunk: &Hunk) -> ReviewCommand {
    ReviewCommand::RevertHunk {
        path: path.into(),
        hunk: hunk.clone(),
    }
}

/// The added and removed lines of a hunk, as `+text` / `-text`.
pub(super) fn changes(hunk: &Hunk) -> Vec<String> {
    hunk.lines
        .iter()
        .filter_map(|l| match l.kind {
            LineKind::Added => Some(format!("+{}", l.text)),
            LineKind::Removed => Some(format!("-{}", l.text)),
            LineKind::Context => None,
        })
        .collect()
}

#[test]
fn git_snapshot_lists_modified_and_untracked_files() {
    let f = repo(
        None,
        &[
            ("a.txt", numbered(20).as_bytes()),
            (".gitignore", b"*.log\n"),
        ],
    );
    let (_cp, review, base) = open(&f);
    write(&f.ws, "a.txt", two_hunk_edit().as_bytes());
    write(&f.ws, "new.txt", b"fresh\n");
    write(&f.ws, "debug.log", b"ignored\n");

    assert_eq!(
        review.mode(),
        &ReviewMode::Git {
            repo_root: f.root.clone()
        }
    );
    let s = snap(&review, &base);
    assert_eq!(paths(&s), ["a.txt", "new.txt"]);
    let a = file(&s, "a.txt");
    assert_eq!(a.diff.status, FileStatus::Modified);
    assert_eq!(a.diff.hunks.len(), 2);
    assert_eq!(changes(&a.diff.hunks[0]), ["-line2", "+LINE2"]);
    assert_eq!(changes(&a.diff.hunks[1]), ["-line15", "+LINE15"]);
    assert_eq!((a.diff.old_mode, a.diff.new_mode), (0o100644, 0o100644));
    assert!(!a.reviewed && a.origins.is_empty());
    assert_eq!(a.counts(), (2, 2));
    let n = file(&s, "new.txt");
    assert_eq!(n.diff.status, FileStatus::Added);
    assert_eq!(changes(&n.diff.hunks[0]), ["+fresh"]);
    assert!(!s.coarse && !s.truncated);
}

#[test]
fn accepting_one_hunk_stages_exactly_that_hunk() {
    let f = repo(None, &[("a.txt", numbered(20).as_bytes())]);
    let (_cp, mut review, base) = open(&f);
    write(&f.ws, "a.txt", two_hunk_edit().as_bytes());
    let s = snap(&review, &base);
    let hunks = file(&s, "a.txt").diff.hunks.clone();

    let msg = review.execute(&accept_hunk("a.txt", &hunks[0])).unwrap();
    assert_eq!(msg, "staged hunk @@ -1,5 +1,5 @@ of a.txt");
    let cached = git(&f.ws, &["diff", "--cached"]);
    assert!(cached.contains("-line2\n+LINE2\n"), "{cached}");
    assert!(!cached.contains("line15"), "{cached}");
    assert_eq!(
        index_blob(&f.ws, "a.txt").unwrap(),
        numbered(20).replace("line2\n", "LINE2\n").as_bytes()
    );
    assert_eq!(read(&f.ws, "a.txt").unwrap(), two_hunk_edit().as_bytes());

    let s = snap(&review, &base);
    let a = file(&s, "a.txt");
    assert_eq!(a.diff.hunks.len(), 1);
    assert_eq!(changes(&a.diff.hunks[0]), ["-line15", "+LINE15"]);
}

#[test]
fn accepting_an_untracked_files_hunk_stages_it() {
    let f = repo(None, &[("a.txt", b"a\n")]);
    let (_cp, mut review, base) = open(&f);
    write(&f.ws, "new.txt", b"one\ntwo\n");
    let s = snap(&review, &base);
    let hunk = file(&s, "new.txt").diff.hunks[0].clone();

    review.execute(&accept_hunk("new.txt", &hunk)).unwrap();
    assert_eq!(
        git(&f.ws, &["diff", "--cached", "--name-status"]),
        "A\tnew.txt\n"
    );
    assert_eq!(index_blob(&f.ws, "new.txt").unwrap(), b"one\ntwo\n");
    assert!(git(&f.ws, &["ls-files", "-s", "new.txt"]).starts_with("100644 "));
    assert!(snap(&review, &base).files.is_empty());
}

#[test]
fn reverting_a_hunk_removes_it_from_the_working_file() {
    let f = repo(None, &[("a.txt", numbered(20).as_bytes())]);
    let (_cp, mut review, base) = open(&f);
    write(&f.ws, "a.txt", two_hunk_edit().as_bytes());
    let s = snap(&review, &base);
    let hunks = file(&s, "a.txt").diff.hunks.clone();

    let msg = review.execute(&revert_hunk("a.txt", &hunks[1])).unwrap();
    assert!(msg.starts_with("reverted hunk @@ -12,7 +12,7 @@"), "{msg}");
    assert_eq!(
        read(&f.ws, "a.txt").unwrap(),
        numbered(20).replace("line2\n", "LINE2\n").as_bytes()
    );
    assert_eq!(git(&f.ws, &["diff", "--cached"]), "");
    let s = snap(&review, &base);
    assert_eq!(
        changes(&file(&s, "a.txt").diff.hunks[0]),
        ["-line2", "+LINE2"]
    );
}

#[test]
fn actions_are_refused_when_the_file_changed_again() {
    let f = repo(None, &[("a.txt", numbered(20).as_bytes())]);
    let (_cp, mut review, base) = open(&f);
    write(&f.ws, "a.txt", two_hunk_edit().as_bytes());
    let s = snap(&review, &base);
    let hunks = file(&s, "a.txt").diff.hunks.clone();
    let edited = two_hunk_edit().replace("LINE15\n", "again15\n");
    write(&f.ws, "a.txt", edited.as_bytes());

    let err = review
        .execute(&revert_hunk("a.txt", &hunks[1]))
        .unwrap_err();
    assert!(
        matches!(err, ReviewError::Changed { ref path, .. } if path == "a.txt"),
        "{err}"
    );
    assert!(err.to_string().contains("refresh"), "{err}");
    assert_eq!(read(&f.ws, "a.txt").unwrap(), edited.as_bytes());
    let err = review
        .execute(&accept_hunk("a.txt", &hunks[1]))
        .unwrap_err();
    assert!(matches!(err, ReviewError::Changed { .. }), "{err}");
    assert_eq!(git(&f.ws, &["diff", "--cached"]), "");
    // The untouched hunk still works.
    review.execute(&accept_hunk("a.txt", &hunks[0])).unwrap();
}

#[test]
fn undo_restores_the_index_and_the_working_file() {
    let f = repo(None, &[("a.txt", numbered(20).as_bytes())]);
    let (_cp, mut review, base) = open(&f);
    write(&f.ws, "a.txt", two_hunk_edit().as_bytes());
    write(&f.ws, "new.txt", b"n\n");
    let s = snap(&review, &base);
    let hunks = file(&s, "a.txt").diff.hunks.clone();

    review.execute(&accept_hunk("a.txt", &hunks[0])).unwrap();
    review
        .execute(&ReviewCommand::AcceptFile {
            path: "new.txt".into(),
        })
        .unwrap();
    let msg = review.execute(&ReviewCommand::Undo).unwrap();
    assert_eq!(msg, "undid: staged new.txt");
    let msg = review.execute(&ReviewCommand::Undo).unwrap();
    assert_eq!(msg, "undid: staged hunk @@ -1,5 +1,5 @@ of a.txt");
    assert_eq!(git(&f.ws, &["diff", "--cached"]), "");
    assert!(index_blob(&f.ws, "new.txt").is_none());

    review.execute(&revert_hunk("a.txt", &hunks[0])).unwrap();
    assert_ne!(read(&f.ws, "a.txt").unwrap(), two_hunk_edit().as_bytes());
    let msg = review.execute(&ReviewCommand::Undo).unwrap();
    assert!(msg.starts_with("undid: reverted hunk"), "{msg}");
    assert_eq!(read(&f.ws, "a.txt").unwrap(), two_hunk_edit().as_bytes());
    assert!(matches!(
        review.execute(&ReviewCommand::Undo),
        Err(ReviewError::NothingToUndo)
    ));
}

#[test]
fn undo_refuses_to_overwrite_a_later_edit() {
    let f = repo(None, &[("a.txt", numbered(20).as_bytes())]);
    let (_cp, mut review, base) = open(&f);
    write(&f.ws, "a.txt", two_hunk_edit().as_bytes());
    let s = snap(&review, &base);
    let hunk = file(&s, "a.txt").diff.hunks[0].clone();
    review.execute(&revert_hunk("a.txt", &hunk)).unwrap();
    write(&f.ws, "a.txt", b"mine\n");

    let err = review.execute(&ReviewCommand::Undo).unwrap_err();
    assert!(err.to_string().contains("nothing was undone"), "{err}");
    assert_eq!(read(&f.ws, "a.txt").unwrap(), b"mine\n");
}

#[test]
fn accepting_whole_files_stages_edits_additions_deletions_and_modes() {
    use std::os::unix::fs::PermissionsExt;
    let f = repo(
        None,
        &[
            ("m.txt", b"old\n"),
            ("gone.txt", b"bye\n"),
            ("run.sh", b"echo\n"),
        ],
    );
    let (_cp, mut review, base) = open(&f);
    write(&f.ws, "m.txt", b"new\n");
    write(&f.ws, "add.txt", b"added\n");
    fs::remove_file(f.ws.join("gone.txt")).unwrap();
    fs::set_permissions(f.ws.join("run.sh"), fs::Permissions::from_mode(0o755)).unwrap();

    let s = snap(&review, &base);
    assert_eq!(paths(&s), ["add.txt", "gone.txt", "m.txt", "run.sh"]);
    assert_eq!(file(&s, "gone.txt").diff.status, FileStatus::Deleted);
    let run = file(&s, "run.sh");
    assert_eq!(run.diff.status, FileStatus::ModeChanged);
    assert_eq!((run.diff.old_mode, run.diff.new_mode), (0o100644, 0o100755));
    assert!(!run.reviewed);

    for path in paths(&s) {
        review
            .execute(&ReviewCommand::AcceptFile { path: path.into() })
            .unwrap();
    }
    assert_eq!(
        git(&f.ws, &["diff", "--cached", "--name-status"]),
        "A\tadd.txt\nD\tgone.txt\nM\tm.txt\nM\trun.sh\n"
    );
    assert!(git(&f.ws, &["ls-files", "-s", "run.sh"]).starts_with("100755 "));
    assert!(snap(&review, &base).files.is_empty());
    let err = review
        .execute(&ReviewCommand::AcceptFile {
            path: "m.txt".into(),
        })
        .unwrap_err();
    assert!(matches!(err, ReviewError::NotInReview(_)), "{err}");
}

#[test]
fn reverting_whole_files_restores_the_index_side() {
    use std::os::unix::fs::PermissionsExt;
    let f = repo(None, &[("m.txt", b"old\n"), ("gone.txt", b"bye\n")]);
    let (_cp, mut review, base) = open(&f);
    // The index side is what is staged, not the commit.
    write(&f.ws, "m.txt", b"staged\n");
    git(&f.ws, &["add", "m.txt"]);
    write(&f.ws, "m.txt", b"working\n");
    fs::set_permissions(f.ws.join("m.txt"), fs::Permissions::from_mode(0o755)).unwrap();
    write(&f.ws, "add.txt", b"added\n");
    fs::remove_file(f.ws.join("gone.txt")).unwrap();

    let revert = |review: &mut Review, path: &str| {
        review
            .execute(&ReviewCommand::RevertFile { path: path.into() })
            .unwrap()
    };
    assert_eq!(revert(&mut review, "m.txt"), "reverted m.txt");
    assert_eq!(
        revert(&mut review, "add.txt"),
        "deleted add.txt (it was new)"
    );
    assert_eq!(revert(&mut review, "gone.txt"), "reverted gone.txt");
    assert_eq!(read(&f.ws, "m.txt").unwrap(), b"staged\n");
    let mode = fs::metadata(f.ws.join("m.txt"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(
        mode & 0o111,
        0,
        "execute bit restored to the index's 100644"
    );
    assert!(!f.ws.join("add.txt").exists());
    assert_eq!(read(&f.ws, "gone.txt").unwrap(), b"bye\n");
    assert!(snap(&review, &base).files.is_empty());

    // Undo brings the deleted new file back.
    review.execute(&ReviewCommand::Undo).unwrap();
    review.execute(&ReviewCommand::Undo).unwrap();
    assert_eq!(read(&f.ws, "add.txt").unwrap(), b"added\n");
}

#[test]
fn crlf_and_missing_final_newline_round_trip() {
    let old = b"a\r\nb\r\nc\r\nd\r\ne\r\nf\r\ng\r\nh\r\ni\r\nj".as_slice();
    let new = b"a\r\nB\r\nc\r\nd\r\ne\r\nf\r\ng\r\nh\r\ni\r\nj\r\nk".as_slice();
    let f = repo(None, &[("w.txt", old), ("s.txt", old)]);
    let (_cp, mut review, base) = open(&f);
    write(&f.ws, "w.txt", new);
    write(&f.ws, "s.txt", new);
    let s = snap(&review, &base);
    let staged = file(&s, "s.txt").diff.hunks.clone();
    let reverted = file(&s, "w.txt").diff.hunks.clone();
    assert_eq!(staged.len(), 2);

    for h in &staged {
        review.execute(&accept_hunk("s.txt", h)).unwrap();
    }
    assert_eq!(index_blob(&f.ws, "s.txt").unwrap(), new);
    for h in &reverted {
        review.execute(&revert_hunk("w.txt", h)).unwrap();
    }
    assert_eq!(read(&f.ws, "w.txt").unwrap(), old);
}

#[test]
fn plain_mode_accept_marks_reviewed_and_revert_restores_the_baseline() {
    let f = fixture(None);
    write(&f.ws, "a.txt", numbered(20).as_bytes());
    write(&f.ws, "b.txt", numbered(20).as_bytes());
    write(&f.ws, "gone.txt", b"bye\n");
    let (cp, mut review, _base) = open(&f);
    assert_eq!(review.mode(), &ReviewMode::Plain);
    write(&f.ws, "a.txt", two_hunk_edit().as_bytes());
    write(&f.ws, "b.txt", two_hunk_edit().as_bytes());
    write(&f.ws, "new.txt", b"n\n");
    fs::remove_file(f.ws.join("gone.txt")).unwrap();
    let head = cp.checkpoint(&CheckpointLabel::default()).unwrap().id;
    let attributed = [Attribution {
        checkpoint: head.clone(),
        pane: "chat".into(),
        turn: 2,
        tool: Some("edit_file".into()),
        paths: vec![PathBuf::from("a.txt")],
        external: false,
    }];
    let snap = |review: &Review| {
        review
            .snapshot(&head, &attributed, &DiffOptions::default())
            .unwrap()
    };

    let s = snap(&review);
    assert_eq!(paths(&s), ["a.txt", "b.txt", "gone.txt", "new.txt"]);
    let a = file(&s, "a.txt");
    assert_eq!(a.origins.len(), 1);
    assert_eq!(a.origins[0].tool.as_deref(), Some("edit_file"));
    assert_eq!(a.origins[0].checkpoint, head);
    for h in a.diff.hunks.clone() {
        let msg = review.execute(&accept_hunk("a.txt", &h)).unwrap();
        assert!(msg.starts_with("marked hunk @@"), "{msg}");
    }
    let hunks = file(&s, "b.txt").diff.hunks.clone();
    review.execute(&revert_hunk("b.txt", &hunks[0])).unwrap();
    review
        .execute(&ReviewCommand::RevertFile {
            path: "gone.txt".into(),
        })
        .unwrap();
    review
        .execute(&ReviewCommand::AcceptFile {
            path: "new.txt".into(),
        })
        .unwrap();

    let s = snap(&review);
    assert_eq!(paths(&s), ["a.txt", "b.txt"]);
    let a = file(&s, "a.txt");
    assert!(a.reviewed && a.diff.hunks.is_empty());
    assert_eq!(a.origins.len(), 1);
    assert_eq!(
        read(&f.ws, "b.txt").unwrap(),
        numbered(20).replace("line15\n", "LINE15\n").as_bytes()
    );
    assert_eq!(read(&f.ws, "gone.txt").unwrap(), b"bye\n");
    assert_eq!(read(&f.ws, "a.txt").unwrap(), two_hunk_edit().as_bytes());

    // Undo of an accept brings the file's hunks back.
    review.execute(&ReviewCommand::Undo).unwrap(); // new.txt
    review.execute(&ReviewCommand::Undo).unwrap(); // gone.txt
    review.execute(&ReviewCommand::Undo).unwrap(); // b.txt
    review.execute(&ReviewCommand::Undo).unwrap(); // a.txt hunk 2
    let s = snap(&review);
    assert_eq!(
        changes(&file(&s, "a.txt").diff.hunks[0]),
        ["-line15", "+LINE15"]
    );
    assert!(!f.ws.join("gone.txt").exists());
    assert_eq!(read(&f.ws, "b.txt").unwrap(), two_hunk_edit().as_bytes());
}

#[test]
fn workspace_in_a_subdirectory_of_the_repository() {
    let f = repo(
        Some("pkg/sub"),
        &[("pkg/sub/a.txt", b"a\n"), ("outside.txt", b"o\n")],
    );
    let (_cp, mut review, base) = open(&f);
    write(&f.ws, "a.txt", b"A\n");
    write(&f.ws, "dir/new.txt", b"n\n");
    write(&f.root, "outside.txt", b"changed\n");
    write(&f.root, "other.txt", b"untracked outside\n");

    let s = snap(&review, &base);
    assert_eq!(
        review.mode(),
        &ReviewMode::Git {
            repo_root: f.root.clone()
        }
    );
    assert_eq!(paths(&s), ["a.txt", "dir/new.txt"]);
    review
        .execute(&ReviewCommand::AcceptFile {
            path: "dir/new.txt".into(),
        })
        .unwrap();
    let hunk = file(&s, "a.txt").diff.hunks[0].clone();
    review.execute(&accept_hunk("a.txt", &hunk)).unwrap();
    assert_eq!(
        git(&f.root, &["diff", "--cached", "--name-status"]),
        "M\tpkg/sub/a.txt\nA\tpkg/sub/dir/new.txt\n"
    );
    assert_eq!(index_blob(&f.ws, "a.txt").unwrap(), b"A\n");
    assert_eq!(index_blob(&f.root, "outside.txt").unwrap(), b"o\n");
}

#[test]
fn odd_file_names_work() {
    let f = repo(None, &[("with space.txt", b"x\n")]);
    let (_cp, mut review, base) = open(&f);
    write(&f.ws, "with space.txt", b"y\n");
    write(&f.ws, "new\nline ü.txt", b"z\n");
    write(&f.ws, "-dash,comma.txt", b"d\n");

    let s = snap(&review, &base);
    assert_eq!(
        paths(&s),
        ["-dash,comma.txt", "new\nline ü.txt", "with space.txt"]
    );
    for path in paths(&s) {
        let hunk = file(&s, path).diff.hunks[0].clone();
        review.execute(&accept_hunk(path, &hunk)).unwrap();
    }
    assert_eq!(index_blob(&f.ws, "with space.txt").unwrap(), b"y\n");
    assert_eq!(index_blob(&f.ws, "new\nline ü.txt").unwrap(), b"z\n");
    assert_eq!(index_blob(&f.ws, "-dash,comma.txt").unwrap(), b"d\n");
    assert!(snap(&review, &base).files.is_empty());
}

#[test]
fn attributed_files_stay_listed_once_accepted() {
    let f = repo(None, &[("a.txt", b"a\n")]);
    let (_cp, mut review, base) = open(&f);
    write(&f.ws, "a.txt", b"b\n");
    let attributed = [Attribution {
        checkpoint: base.clone(),
        pane: String::new(),
        turn: 0,
        tool: None,
        paths: vec![PathBuf::from("a.txt"), PathBuf::from("never.txt")],
        external: true,
    }];
    review
        .execute(&ReviewCommand::AcceptFile {
            path: "a.txt".into(),
        })
        .unwrap();
    let s = review
        .snapshot(&base, &attributed, &DiffOptions::default())
        .unwrap();
    assert_eq!(paths(&s), ["a.txt"]);
    let a = file(&s, "a.txt");
    assert!(a.reviewed && a.diff.hunks.is_empty());
    assert_eq!(
        a.origins,
        [FileOrigin {
            pane: String::new(),
            turn: 0,
            tool: None,
            external: true,
            checkpoint: base.clone(),
        }]
    );
}

#[test]
fn large_files_are_binary_and_links_show_their_target() {
    let f = repo(None, &[("a.txt", b"a\n")]);
    let (_cp, mut review, base) = open(&f);
    write(&f.ws, "big.bin", &vec![b'x'; 9 * 1024 * 1024]);
    std::os::unix::fs::symlink("a.txt", f.ws.join("link")).unwrap();
    fs::create_dir(f.ws.join("fifo-dir")).unwrap();

    let s = snap(&review, &base);
    assert_eq!(paths(&s), ["big.bin", "link"]);
    let big = file(&s, "big.bin");
    assert!(big.diff.binary && big.diff.hunks.is_empty() && !big.reviewed);
    let link = file(&s, "link");
    assert_eq!(link.diff.new_mode, 0o120000);
    assert_eq!(changes(&link.diff.hunks[0]), ["+a.txt"]);
    review
        .execute(&ReviewCommand::AcceptFile {
            path: "link".into(),
        })
        .unwrap();
    assert!(git(&f.ws, &["ls-files", "-s", "link"]).starts_with("120000 "));
    review
        .execute(&ReviewCommand::AcceptFile {
            path: "big.bin".into(),
        })
        .unwrap();
    assert_eq!(index_blob(&f.ws, "big.bin").unwrap().len(), 9 * 1024 * 1024);
}

#[test]
fn bad_paths_are_refused() {
    let f = repo(None, &[("a.txt", b"a\n")]);
    let (_cp, mut review, _base) = open(&f);
    let err = review
        .execute(&ReviewCommand::RevertFile {
            path: "../x".into(),
        })
        .unwrap_err();
    assert!(matches!(err, ReviewError::Workspace(_)), "{err}");
    let err = review
        .execute(&ReviewCommand::AcceptFile {
            path: "missing.txt".into(),
        })
        .unwrap_err();
    assert!(matches!(err, ReviewError::NotInReview(_)), "{err}");
}

// ---- The exactness property, on the pure core and on real git ----

/// One generated line: a letter and its line ending.
#[derive(Debug, Clone)]
struct GenLine {
    letter: u8,
    crlf: bool,
}

#[derive(Debug, Clone)]
enum Edit {
    Keep,
    Delete,
    Replace(GenLine),
    InsertBefore(GenLine),
}

/// A base file, its edited version and a sequence of actions
/// (`0` accept, `1` revert, `2` undo; the hunk index is taken modulo the
/// hunks of the current diff).
#[derive(Debug, Clone)]
struct Case {
    base: Vec<u8>,
    new: Vec<u8>,
    base_absent: bool,
    new_absent: bool,
    ops: Vec<(u8, usize)>,
}

fn gen_line() -> impl Strategy<Value = GenLine> {
    (0u8..4, prop::bool::weighted(0.3)).prop_map(|(l, crlf)| GenLine {
        letter: b'a' + l,
        crlf,
    })
}

fn render(lines: &[GenLine], final_newline: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        out.push(l.letter);
        if i + 1 < lines.len() || final_newline {
            out.extend_from_slice(if l.crlf { b"\r\n" } else { b"\n" });
        }
    }
    out
}

fn case(undo: bool) -> impl Strategy<Value = Case> {
    let edit = prop_oneof![
        3 => Just(Edit::Keep),
        1 => Just(Edit::Delete),
        1 => gen_line().prop_map(Edit::Replace),
        1 => gen_line().prop_map(Edit::InsertBefore),
    ];
    let kinds = if undo { 3u8 } else { 2u8 };
    (
        prop::collection::vec(gen_line(), 0..14),
        prop::collection::vec(edit, 0..14),
        prop::collection::vec(gen_line(), 0..3),
        any::<bool>(),
        any::<bool>(),
        0u8..8,
        prop::collection::vec((0..kinds, 0usize..8), 0..10),
    )
        .prop_map(|(base, edits, tail, base_nl, new_nl, absent, ops)| {
            let mut new = Vec::new();
            for (i, l) in base.iter().enumerate() {
                match edits.get(i).unwrap_or(&Edit::Keep) {
                    Edit::Keep => new.push(l.clone()),
                    Edit::Delete => {}
                    Edit::Replace(r) => new.push(r.clone()),
                    Edit::InsertBefore(r) => {
                        new.push(r.clone());
                        new.push(l.clone());
                    }
                }
            }
            new.extend(tail);
            Case {
                base: render(&base, base_nl),
                new: render(&new, new_nl),
                base_absent: absent == 0,
                new_absent: absent == 1,
                ops,
            }
        })
}

/// The diff the review shows for `sides` (the snapshot's own code path).
fn shown(sides: &Sides) -> Vec<Hunk> {
    let side = |s: &Option<Vec<u8>>| match s {
        None => Side::Absent,
        Some(bytes) => Side::Bytes {
            bytes: bytes.clone(),
            mode: 0o100644,
        },
    };
    let mut coarse = false;
    listing::compute(
        "f.txt",
        &side(&sides.old),
        &side(&sides.new),
        &DiffOptions::default(),
        &mut coarse,
    )
    .map(|c| c.diff.hunks)
    .unwrap_or_default()
}

/// The oracle: replaces `len` lines at `at` by `with`, by position only
/// (no search), after checking the lines there are `expect`.
fn splice(
    content: &Option<Vec<u8>>,
    at: usize,
    expect: &[Vec<u8>],
    with: &[Vec<u8>],
    other_absent: bool,
) -> Result<Option<Vec<u8>>, TestCaseError> {
    let content = content.clone().unwrap_or_default();
    let lines = split_lines(&content);
    prop_assert!(at + expect.len() <= lines.len());
    for (have, want) in lines[at..at + expect.len()].iter().zip(expect) {
        prop_assert_eq!(*have, want.as_slice());
    }
    let mut out = Vec::new();
    lines[..at].iter().for_each(|l| out.extend_from_slice(l));
    with.iter().for_each(|l| out.extend_from_slice(l));
    lines[at + expect.len()..]
        .iter()
        .for_each(|l| out.extend_from_slice(l));
    Ok(if out.is_empty() && other_absent {
        None
    } else {
        Some(out)
    })
}

/// What the index and the working file must be after accepting or
/// reverting `hunk` of `sides`.
fn expected(sides: &Sides, accept: bool, hunk: &Hunk) -> Result<Sides, TestCaseError> {
    Ok(if accept {
        Sides {
            old: splice(
                &sides.old,
                hunk.old_index(),
                &hunk.old_side(),
                &hunk.new_side(),
                sides.new.is_none(),
            )?,
            new: sides.new.clone(),
        }
    } else {
        Sides {
            old: sides.old.clone(),
            new: splice(
                &sides.new,
                hunk.new_index(),
                &hunk.new_side(),
                &hunk.old_side(),
                sides.old.is_none(),
            )?,
        }
    })
}

fn initial(c: &Case) -> Sides {
    Sides {
        old: (!c.base_absent).then(|| c.base.clone()),
        new: (!c.new_absent).then(|| c.new.clone()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any sequence of accepts and reverts over the hunks shown leaves the
    /// index = base + exactly the accepted hunks and the working file =
    /// new − exactly the reverted hunks; accepting what remains then makes
    /// both contents equal.
    #[test]
    fn accept_and_revert_are_exact(c in case(false)) {
        let mut sides = initial(&c);
        for &(kind, i) in &c.ops {
            let hunks = shown(&sides);
            if hunks.is_empty() {
                break;
            }
            let hunk = &hunks[i % hunks.len()];
            let want = expected(&sides, kind == 0, hunk)?;
            let action = if kind == 0 { Action::AcceptHunk(hunk) } else { Action::RevertHunk(hunk) };
            sides = exact::apply(&sides, action).unwrap();
            prop_assert_eq!(&sides, &want);
        }
        while let Some(hunk) = shown(&sides).first().cloned() {
            sides = exact::apply(&sides, Action::AcceptHunk(&hunk)).unwrap();
        }
        // (An empty file that exists on one side only has no hunks: that
        // is for AcceptFile.)
        prop_assert_eq!(sides.old.unwrap_or_default(), sides.new.unwrap_or_default());
    }
}

/// The staged content and working file of `f.txt`.
fn real_sides(ws: &Path) -> Sides {
    Sides {
        old: index_blob(ws, "f.txt"),
        new: read(ws, "f.txt"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(8))]

    /// The same property through [`Review`] on a real repository, with
    /// undo mixed in.
    #[test]
    fn review_is_exact_on_a_real_repository(c in case(true)) {
        let initial_sides = initial(&c);
        prop_assume!(initial_sides.old.is_some() || initial_sides.new.is_some());
        let base: Vec<(&str, &[u8])> = match &initial_sides.old {
            Some(b) => vec![("f.txt", b.as_slice())],
            None => vec![],
        };
        let f = repo(None, &base);
        let (_cp, mut review, baseline) = open(&f);
        match &initial_sides.new {
            Some(n) => write(&f.ws, "f.txt", n),
            None => fs::remove_file(f.ws.join("f.txt")).unwrap(),
        }
        let mut history = vec![initial_sides.clone()];
        for &(kind, i) in &c.ops {
            let current = history.last().unwrap().clone();
            if kind == 2 {
                let undone = review.execute(&ReviewCommand::Undo);
                if history.len() > 1 {
                    prop_assert!(undone.is_ok(), "{:?}", undone);
                    history.pop();
                } else {
                    prop_assert!(matches!(undone, Err(ReviewError::NothingToUndo)));
                }
            } else {
                let s = snap(&review, &baseline);
                let Some(file) = s.files.iter().find(|f| f.path() == "f.txt") else {
                    break;
                };
                prop_assert_eq!(&file.diff.hunks, &shown(&current));
                if file.diff.hunks.is_empty() {
                    break;
                }
                let hunk = &file.diff.hunks[i % file.diff.hunks.len()];
                let command = if kind == 0 { accept_hunk("f.txt", hunk) } else { revert_hunk("f.txt", hunk) };
                review.execute(&command).unwrap();
                history.push(expected(&current, kind == 0, hunk)?);
            }
            prop_assert_eq!(&real_sides(&f.ws), history.last().unwrap());
        }
    }
}
#[test]
fn hunk_headers_match_their_lines() {
    // `similar` misplaces the insert here; the review's header must not.
    let sides = Sides {
        old: Some(b"a\nd\n".to_vec()),
        new: Some(b"d\nd\n".to_vec()),
    };
    let hunks = shown(&sides);
    assert_eq!(
        (
            hunks[0].old_start,
            hunks[0].old_len,
            hunks[0].new_start,
            hunks[0].new_len
        ),
        (1, 2, 1, 2)
    );
}
