use std::fs;
use std::path::{Path, PathBuf};

use super::*;
use crate::test_git::git;
use crate::workspace::{CheckpointLabel, CheckpointOptions, Checkpoints};

/// A canonical state dir and room for workspaces and outside files.
struct Fixture {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    state: PathBuf,
}

fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().canonicalize().unwrap();
    let state = root.join("state");
    fs::create_dir_all(&state).unwrap();
    Fixture {
        _tmp: tmp,
        root,
        state,
    }
}

/// A workspace with a file and one checkpoint; returns its shadow repo.
fn checkpointed(state: &Path, ws: &Path) -> PathBuf {
    fs::create_dir_all(ws).unwrap();
    fs::write(ws.join("a.txt"), "hello\n").unwrap();
    let cp = Checkpoints::open(state, ws, CheckpointOptions::default()).unwrap();
    cp.checkpoint(&CheckpointLabel::default()).unwrap();
    cp.shadow_dir().to_path_buf()
}

#[test]
fn sizes_read_like_du_and_never_follow_links() {
    assert_eq!(disk::human(512), "512 B");
    assert_eq!(disk::human(1536), "1.5 KiB");
    assert_eq!(disk::human(3 << 30), "3.0 GiB");
    let f = fixture();
    let big = f.root.join("outside.bin");
    fs::write(&big, vec![7u8; 1 << 20]).unwrap();
    let dir = f.state.join("d");
    fs::create_dir(&dir).unwrap();
    std::os::unix::fs::symlink(&big, dir.join("link")).unwrap();
    fs::write(dir.join("small"), "x").unwrap();
    let size = disk::dir_size(&dir);
    assert!(size > 0 && size < 64 * 1024, "{size}");
    assert!(disk::dir_size(&f.root) >= 1 << 20);
    let (quick, complete) = disk::quick_size(&dir, std::time::Duration::from_secs(5));
    assert_eq!((quick, complete), (size, true));
}

#[test]
fn removal_stays_inside_the_state_dir_and_leaves_no_trash() {
    let f = fixture();
    let outside = f.root.join("outside");
    fs::create_dir(&outside).unwrap();
    fs::write(outside.join("keep"), "mine").unwrap();
    assert!(disk::remove(&f.state, &outside).is_err());
    let link = f.state.join("link");
    std::os::unix::fs::symlink(&outside, &link).unwrap();
    let refused = disk::remove(&f.state, &link).unwrap_err();
    assert!(refused.contains("symbolic link"), "{refused}");
    assert!(disk::remove(&f.state, &link.join("keep")).is_err());
    assert!(disk::remove(&f.state, &f.state).is_err());

    let doomed = f.state.join("shadow/x.git");
    fs::create_dir_all(doomed.join("objects")).unwrap();
    std::os::unix::fs::symlink(&outside, doomed.join("objects/escape")).unwrap();
    disk::remove(&f.state, &doomed).unwrap();
    assert!(!doomed.exists());
    assert!(!f.state.join("gc-trash").exists());
    assert_eq!(fs::read_to_string(outside.join("keep")).unwrap(), "mine");
}

#[test]
fn shadow_repos_of_gone_workspaces_go_and_unknown_ones_wait_for_a_flag() {
    let f = fixture();
    let live = checkpointed(&f.state, &f.root.join("live"));
    let dead = checkpointed(&f.state, &f.root.join("dead"));
    let unknown = checkpointed(&f.state, &f.root.join("other"));
    fs::remove_file(unknown.join("tandem-workspace")).unwrap();
    fs::remove_dir_all(f.root.join("dead")).unwrap();

    let p = plan(&f.state, &GcOptions::default()).unwrap();
    let paths: Vec<&Path> = p.items.iter().map(|i| i.path.as_path()).collect();
    assert_eq!(paths, [dead.as_path()]);
    assert!(p.items[0].bytes > 0);
    assert!(p.items[0].reason.contains("no longer exists"));
    assert_eq!(p.kept.len(), 1, "{:?}", p.kept);
    assert_eq!(p.kept[0].path, unknown);
    assert_eq!(p.kept[0].flag, Some("--all-unknown"));

    let all = plan(
        &f.state,
        &GcOptions {
            all_unknown: true,
            ..GcOptions::default()
        },
    )
    .unwrap();
    assert_eq!(all.items.len(), 2);

    let report = apply(&p);
    assert!(!report.has_failures(), "{report:?}");
    assert_eq!(report.freed_bytes(), p.total_bytes());
    assert!(!dead.exists() && live.exists() && unknown.exists());
}

#[test]
fn opening_an_old_repository_records_its_workspace() {
    let f = fixture();
    let ws = f.root.join("ws");
    let shadow = checkpointed(&f.state, &ws);
    assert_eq!(Checkpoints::recorded_workspace(&shadow), Some(ws.clone()));
    fs::remove_file(shadow.join("tandem-workspace")).unwrap();
    assert_eq!(Checkpoints::recorded_workspace(&shadow), None);
    Checkpoints::open(&f.state, &ws, CheckpointOptions::default()).unwrap();
    assert_eq!(Checkpoints::recorded_workspace(&shadow), Some(ws));
}

#[test]
fn compaction_keeps_every_checkpoint() {
    let f = fixture();
    let ws = f.root.join("ws");
    let shadow = checkpointed(&f.state, &ws);
    let cp = Checkpoints::open(&f.state, &ws, CheckpointOptions::default()).unwrap();
    for n in 0..5 {
        fs::write(ws.join(format!("f{n}.txt")), format!("{n}\n")).unwrap();
        cp.checkpoint(&CheckpointLabel::default()).unwrap();
    }
    let before = cp.list().unwrap();
    let opts = GcOptions {
        compact: true,
        ..GcOptions::default()
    };
    let p = plan(&f.state, &opts).unwrap();
    assert_eq!(p.items.len(), 1);
    assert!(matches!(p.items[0].action, Action::Compact { .. }));
    let report = apply(&p);
    assert!(!report.has_failures(), "{report:?}");
    assert!(
        shadow
            .join("objects/pack")
            .read_dir()
            .unwrap()
            .next()
            .is_some()
    );
    let reopened = Checkpoints::open(&f.state, &ws, CheckpointOptions::default()).unwrap();
    assert_eq!(reopened.list().unwrap(), before);
    assert_eq!(
        reopened
            .file_at(&before[0].id, Path::new("f4.txt"))
            .unwrap(),
        Some(b"4\n".to_vec())
    );
}

#[test]
fn an_open_session_is_kept_whatever_the_age_limit() {
    let f = fixture();
    let open = crate::store::Transcript::create(&f.state, "s-open", &f.root).unwrap();
    open.user_prompt("chat", "still typing");
    open.turn_boundary();
    let done = crate::store::Transcript::create(&f.state, "s-done", &f.root).unwrap();
    done.close();
    let p = plan(
        &f.state,
        &GcOptions {
            older_than_days: Some(0),
            ..GcOptions::default()
        },
    )
    .unwrap();
    let ids: Vec<String> = p
        .items
        .iter()
        .map(|i| match &i.action {
            Action::RemoveSession { id, .. } => id.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(ids, ["s-done"]);
    assert!(
        p.kept
            .iter()
            .any(|k| k.reason.contains("s-open is still open"))
    );
    assert!(!apply(&p).has_failures());
    let left: Vec<String> = crate::store::index::list(&f.state)
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(left, ["s-open"]);
    drop(open);
}

#[test]
fn an_orphaned_run_needs_force_and_only_its_own_branch_goes() {
    let f = fixture();
    let repo = f.root.join("repo");
    fs::create_dir(&repo).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    fs::write(repo.join("a"), "a\n").unwrap();
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "init"]);
    git(&repo, &["branch", "mine"]);
    let run = crate::workspace::worktree::Worktree::create(&f.state, &repo, "task").unwrap();
    let (dir, branch) = (run.path().to_path_buf(), run.branch().to_string());
    // A live run is kept.
    let p = plan(&f.state, &GcOptions::default()).unwrap();
    assert!(p.items.is_empty(), "{:?}", p.items);
    assert!(p.kept[0].reason.contains("live run"));
    // The user's repository forgets it (the admin dir goes by hand).
    fs::remove_dir_all(repo.join(".git/worktrees").join(run.id())).unwrap();
    let p = plan(&f.state, &GcOptions::default()).unwrap();
    assert!(p.items.is_empty(), "{:?}", p.items);
    assert_eq!(p.kept[0].flag, Some("--force"));
    let opts = GcOptions {
        force: true,
        branches: true,
        ..GcOptions::default()
    };
    let p = plan(&f.state, &opts).unwrap();
    assert_eq!(p.items.len(), 1, "{:?}", p.items);
    let report = apply(&p);
    assert!(!report.has_failures(), "{report:?}");
    assert!(
        report.outcomes[0]
            .note
            .as_deref()
            .unwrap()
            .contains(&branch)
    );
    assert!(!dir.exists());
    assert!(!dir.with_file_name(format!("{}.base", run.id())).exists());
    let branches = git(&repo, &["branch", "--format=%(refname:short)"]);
    assert_eq!(branches.lines().collect::<Vec<_>>(), ["main", "mine"]);
}

#[test]
fn leftovers_in_the_trash_and_lone_run_records_go() {
    let f = fixture();
    let trash = f.state.join("gc-trash/x.git-1234");
    fs::create_dir_all(trash.join("objects")).unwrap();
    fs::create_dir_all(f.state.join("worktrees")).unwrap();
    fs::write(f.state.join("worktrees/abc.base"), "0".repeat(40)).unwrap();
    let p = plan(&f.state, &GcOptions::default()).unwrap();
    let kinds: Vec<ItemKind> = p.items.iter().map(|i| i.kind).collect();
    assert_eq!(kinds, [ItemKind::Trash, ItemKind::RunRecord]);
    assert!(!apply(&p).has_failures());
    assert!(!f.state.join("gc-trash").exists());
    assert!(!f.state.join("worktrees/abc.base").exists());
}

#[test]
fn a_missing_state_dir_is_an_empty_plan() {
    let f = fixture();
    let p = plan(&f.root.join("none"), &GcOptions::default()).unwrap();
    assert!(p.items.is_empty() && p.kept.is_empty());
    let text = command::render(&p, None);
    assert!(text.contains("Nothing to remove."), "{text}");
}
