//! Renames (both modes) and plain-mode mode changes in the review, on real
//! git repositories and real files.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::tests::{
    accept_hunk, changes, file, fixture, git, index_blob, numbered, open, paths, read, repo,
    revert_hunk, snap, write,
};
use super::*;
use crate::diff::FileStatus;
use crate::workspace::CheckpointLabel;

/// `numbered(20)` with line 7 changed: what the moved file holds.
fn edited() -> String {
    numbered(20).replace("line7\n", "LINE7\n")
}

/// Moves `from` to `to` in `ws` and writes `content` there.
fn move_and_edit(ws: &Path, from: &str, to: &str, content: &str) {
    fs::remove_file(ws.join(from)).unwrap();
    write(ws, to, content.as_bytes());
}

fn is_executable(path: &Path) -> bool {
    fs::metadata(path).unwrap().permissions().mode() & 0o111 != 0
}

fn chmod(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

fn attribution(checkpoint: &str, pane: &str, path: &str) -> Attribution {
    Attribution {
        checkpoint: checkpoint.into(),
        pane: pane.into(),
        turn: 1,
        tool: Some("edit_file".into()),
        paths: vec![PathBuf::from(path)],
        external: false,
    }
}

fn command(kind: &str, path: &str) -> ReviewCommand {
    match kind {
        "accept" => ReviewCommand::AcceptFile { path: path.into() },
        _ => ReviewCommand::RevertFile { path: path.into() },
    }
}

#[test]
fn git_moved_and_edited_file_shows_as_one_rename_with_hunks() {
    let f = repo(
        None,
        &[
            ("src/a.rs", numbered(20).as_bytes()),
            ("gone.txt", b"nothing like the other\n"),
            ("empty_old", b""),
        ],
    );
    let (_cp, review, base) = open(&f);
    move_and_edit(&f.ws, "src/a.rs", "src/b.rs", &edited());
    fs::remove_file(f.ws.join("gone.txt")).unwrap();
    write(&f.ws, "other.txt", b"completely different\ncontent\n");
    fs::remove_file(f.ws.join("empty_old")).unwrap();
    write(&f.ws, "empty_new", b"");
    let attributions = [
        attribution(&base, "chat", "src/a.rs"),
        attribution(&base, "run", "src/b.rs"),
    ];

    let s = review
        .snapshot(&base, &attributions, &DiffOptions::default())
        .unwrap();
    // Unlike content and empty files are not paired.
    assert_eq!(
        paths(&s),
        [
            "empty_new",
            "empty_old",
            "gone.txt",
            "other.txt",
            "src/b.rs"
        ]
    );
    assert_eq!(file(&s, "gone.txt").diff.status, FileStatus::Deleted);
    assert_eq!(file(&s, "other.txt").diff.status, FileStatus::Added);
    assert_eq!(file(&s, "empty_new").diff.status, FileStatus::Added);
    let b = file(&s, "src/b.rs");
    let FileStatus::Renamed { similarity } = b.diff.status else {
        panic!("not a rename: {:?}", b.diff.status);
    };
    assert!((50..100).contains(&similarity), "{similarity}");
    assert_eq!(b.diff.old_path, "src/a.rs");
    assert_eq!((b.diff.old_mode, b.diff.new_mode), (0o100644, 0o100644));
    assert_eq!(b.diff.hunks.len(), 1);
    assert_eq!(changes(&b.diff.hunks[0]), ["-line7", "+LINE7"]);
    assert!(!b.reviewed);
    let panes: Vec<&str> = b.origins.iter().map(|o| o.pane.as_str()).collect();
    assert_eq!(panes, ["chat", "run"]);
}

#[test]
fn git_accepting_a_rename_stages_it_and_undo_unstages_it() {
    let f = repo(None, &[("src/a.rs", numbered(20).as_bytes())]);
    let (_cp, mut review, base) = open(&f);
    move_and_edit(&f.ws, "src/a.rs", "src/b.rs", &edited());
    chmod(&f.ws.join("src/b.rs"), 0o755);
    assert_eq!(paths(&snap(&review, &base)), ["src/b.rs"]);

    let msg = review.execute(&command("accept", "src/b.rs")).unwrap();
    assert_eq!(msg, "staged rename of src/a.rs to src/b.rs");
    let staged = git(&f.ws, &["diff", "--cached", "-M", "--name-status"]);
    assert!(staged.starts_with('R'), "{staged}");
    assert!(staged.ends_with("\tsrc/a.rs\tsrc/b.rs\n"), "{staged}");
    assert_eq!(index_blob(&f.ws, "src/b.rs").unwrap(), edited().as_bytes());
    assert!(index_blob(&f.ws, "src/a.rs").is_none());
    assert!(git(&f.ws, &["ls-files", "-s", "src/b.rs"]).starts_with("100755 "));
    assert!(snap(&review, &base).files.is_empty());

    // One undo takes back both paths.
    let msg = review.execute(&ReviewCommand::Undo).unwrap();
    assert_eq!(msg, "undid: staged rename of src/a.rs to src/b.rs");
    assert_eq!(git(&f.ws, &["diff", "--cached"]), "");
    assert_eq!(
        index_blob(&f.ws, "src/a.rs").unwrap(),
        numbered(20).as_bytes()
    );
    let s = snap(&review, &base);
    assert_eq!(paths(&s), ["src/b.rs"]);
    assert!(matches!(
        file(&s, "src/b.rs").diff.status,
        FileStatus::Renamed { .. }
    ));
    assert!(matches!(
        review.execute(&ReviewCommand::Undo),
        Err(ReviewError::NothingToUndo)
    ));
}

#[test]
fn git_reverting_a_rename_restores_the_old_file_and_removes_the_new() {
    let f = repo(None, &[("run.sh", numbered(20).as_bytes())]);
    chmod(&f.ws.join("run.sh"), 0o755);
    git(&f.ws, &["add", "run.sh"]);
    let (_cp, mut review, base) = open(&f);
    move_and_edit(&f.ws, "run.sh", "bin/run.sh", &edited());
    assert_eq!(paths(&snap(&review, &base)), ["bin/run.sh"]);

    let msg = review.execute(&command("revert", "bin/run.sh")).unwrap();
    assert_eq!(msg, "reverted rename: restored run.sh, deleted bin/run.sh");
    assert_eq!(read(&f.ws, "run.sh").unwrap(), numbered(20).as_bytes());
    assert!(is_executable(&f.ws.join("run.sh")), "mode from the index");
    assert!(!f.ws.join("bin/run.sh").exists());
    assert!(snap(&review, &base).files.is_empty());
    // Only the staged chmod is left: the working tree matches the index.
    assert_eq!(git(&f.ws, &["status", "--porcelain"]), "M  run.sh\n");

    review.execute(&ReviewCommand::Undo).unwrap();
    assert!(!f.ws.join("run.sh").exists());
    assert_eq!(read(&f.ws, "bin/run.sh").unwrap(), edited().as_bytes());
    assert_eq!(paths(&snap(&review, &base)), ["bin/run.sh"]);
}

#[test]
fn hunk_commands_on_a_rename_are_refused_and_change_nothing() {
    let f = repo(None, &[("src/a.rs", numbered(20).as_bytes())]);
    let (_cp, mut review, base) = open(&f);
    move_and_edit(&f.ws, "src/a.rs", "src/b.rs", &edited());
    let s = snap(&review, &base);
    let hunk = file(&s, "src/b.rs").diff.hunks[0].clone();

    for cmd in [
        accept_hunk("src/b.rs", &hunk),
        revert_hunk("src/b.rs", &hunk),
    ] {
        let err = review.execute(&cmd).unwrap_err();
        assert!(matches!(err, ReviewError::WholeFileOnly { .. }), "{err}");
        assert_eq!(
            err.to_string(),
            "src/b.rs was renamed from src/a.rs: accept (S) or revert (D) the whole file"
        );
    }
    assert_eq!(git(&f.ws, &["diff", "--cached"]), "");
    assert_eq!(
        index_blob(&f.ws, "src/a.rs").unwrap(),
        numbered(20).as_bytes()
    );
    assert_eq!(read(&f.ws, "src/b.rs").unwrap(), edited().as_bytes());
    assert!(!f.ws.join("src/a.rs").exists());
    assert_eq!(snap(&review, &base), s);
    assert!(matches!(
        review.execute(&ReviewCommand::Undo),
        Err(ReviewError::NothingToUndo)
    ));
}

#[test]
fn a_rename_that_no_longer_holds_is_refused() {
    let f = repo(None, &[("a.txt", numbered(20).as_bytes())]);
    let (_cp, mut review, base) = open(&f);
    move_and_edit(&f.ws, "a.txt", "b.txt", &edited());
    snap(&review, &base);
    // The old file comes back before the user accepts.
    write(&f.ws, "a.txt", numbered(20).as_bytes());

    let err = review.execute(&command("accept", "b.txt")).unwrap_err();
    assert!(matches!(err, ReviewError::RenameChanged { .. }), "{err}");
    assert!(err.to_string().contains("refresh"), "{err}");
    assert_eq!(git(&f.ws, &["diff", "--cached"]), "");
    // After a refresh b.txt is a plain new file again.
    assert_eq!(
        file(&snap(&review, &base), "b.txt").diff.status,
        FileStatus::Added
    );
    review.execute(&command("accept", "b.txt")).unwrap();
    assert_eq!(index_blob(&f.ws, "b.txt").unwrap(), edited().as_bytes());
    assert_eq!(index_blob(&f.ws, "a.txt").unwrap(), numbered(20).as_bytes());
}

#[test]
fn plain_mode_renames_are_accepted_reverted_and_undone_whole() {
    let f = fixture(None);
    write(&f.ws, "src/a.rs", numbered(20).as_bytes());
    let (cp, mut review, _base) = open(&f);
    assert_eq!(review.mode(), &ReviewMode::Plain);
    move_and_edit(&f.ws, "src/a.rs", "src/b.rs", &edited());
    let head = cp.checkpoint(&CheckpointLabel::default()).unwrap().id;

    let s = snap(&review, &head);
    assert_eq!(paths(&s), ["src/b.rs"]);
    let b = file(&s, "src/b.rs");
    assert!(matches!(b.diff.status, FileStatus::Renamed { .. }));
    assert_eq!(b.diff.old_path, "src/a.rs");
    assert_eq!(changes(&b.diff.hunks[0]), ["-line7", "+LINE7"]);
    let err = review
        .execute(&accept_hunk("src/b.rs", &b.diff.hunks[0]))
        .unwrap_err();
    assert!(matches!(err, ReviewError::WholeFileOnly { .. }), "{err}");
    assert_eq!(snap(&review, &head), s);

    let msg = review.execute(&command("accept", "src/b.rs")).unwrap();
    assert_eq!(msg, "marked rename of src/a.rs to src/b.rs reviewed");
    assert!(snap(&review, &head).files.is_empty());
    review.execute(&ReviewCommand::Undo).unwrap();
    assert_eq!(snap(&review, &head), s);

    review.execute(&command("revert", "src/b.rs")).unwrap();
    assert_eq!(read(&f.ws, "src/a.rs").unwrap(), numbered(20).as_bytes());
    assert!(!f.ws.join("src/b.rs").exists());
    assert!(snap(&review, &head).files.is_empty());
    review.execute(&ReviewCommand::Undo).unwrap();
    assert!(!f.ws.join("src/a.rs").exists());
    assert_eq!(read(&f.ws, "src/b.rs").unwrap(), edited().as_bytes());
    assert_eq!(snap(&review, &head), s);
}

#[test]
fn plain_mode_shows_accepts_and_reverts_a_mode_change() {
    let f = fixture(None);
    write(&f.ws, "run.sh", b"echo hi\n");
    write(&f.ws, "tool.sh", b"echo tool\n");
    let (cp, mut review, _base) = open(&f);
    chmod(&f.ws.join("run.sh"), 0o755);
    chmod(&f.ws.join("tool.sh"), 0o755);
    let head = cp.checkpoint(&CheckpointLabel::default()).unwrap().id;

    let s = snap(&review, &head);
    assert_eq!(paths(&s), ["run.sh", "tool.sh"]);
    let run = file(&s, "run.sh");
    assert_eq!(run.diff.status, FileStatus::ModeChanged);
    assert_eq!((run.diff.old_mode, run.diff.new_mode), (0o100644, 0o100755));
    assert!(!run.reviewed);

    assert_eq!(
        review.execute(&command("accept", "run.sh")).unwrap(),
        "marked run.sh reviewed"
    );
    assert_eq!(paths(&snap(&review, &head)), ["tool.sh"]);
    let err = review.execute(&command("accept", "run.sh")).unwrap_err();
    assert!(matches!(err, ReviewError::NotInReview(_)), "{err}");

    review.execute(&command("revert", "tool.sh")).unwrap();
    assert!(!is_executable(&f.ws.join("tool.sh")));
    assert_eq!(read(&f.ws, "tool.sh").unwrap(), b"echo tool\n");
    assert!(snap(&review, &head).files.is_empty());

    // Undo makes it executable again, then takes back the accept.
    review.execute(&ReviewCommand::Undo).unwrap();
    assert!(is_executable(&f.ws.join("tool.sh")));
    review.execute(&ReviewCommand::Undo).unwrap();
    assert_eq!(paths(&snap(&review, &head)), ["run.sh", "tool.sh"]);

    // Reverting a file accepted with its new mode restores the accepted mode.
    review.execute(&command("accept", "run.sh")).unwrap();
    write(&f.ws, "run.sh", b"echo changed\n");
    chmod(&f.ws.join("run.sh"), 0o644);
    let s = snap(&review, &head);
    assert_eq!(
        (
            file(&s, "run.sh").diff.old_mode,
            file(&s, "run.sh").diff.new_mode
        ),
        (0o100755, 0o100644)
    );
    review.execute(&command("revert", "run.sh")).unwrap();
    assert_eq!(read(&f.ws, "run.sh").unwrap(), b"echo hi\n");
    assert!(is_executable(&f.ws.join("run.sh")));
}
