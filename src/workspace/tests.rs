use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use super::*;

/// A state dir and a workspace in one temporary directory (shared with the
/// tracker's tests).
pub(super) struct Fixture {
    _tmp: tempfile::TempDir,
    pub(super) state: PathBuf,
    pub(super) ws: PathBuf,
}

pub(super) fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    let ws = tmp.path().join("ws");
    fs::create_dir_all(&ws).unwrap();
    Fixture {
        state,
        ws: ws.canonicalize().unwrap(),
        _tmp: tmp,
    }
}

pub(super) fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, text).unwrap();
}

/// The user's own git, isolated from the machine's config.
fn user_git(ws: &Path, args: &[&str]) {
    let out = Command::new("git")
        .current_dir(ws)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .args([
            "-c",
            "user.name=u",
            "-c",
            "user.email=u@x",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?}: {out:?}");
}

/// Every file under `dir` with its contents and modification time.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (Vec<u8>, std::time::SystemTime)> {
    let mut map = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let m = e.metadata().unwrap();
            if m.is_dir() {
                stack.push(e.path());
            } else {
                map.insert(
                    e.path(),
                    (fs::read(e.path()).unwrap(), m.modified().unwrap()),
                );
            }
        }
    }
    map
}

fn label(turn: u32) -> CheckpointLabel {
    CheckpointLabel {
        pane: "run".into(),
        turn,
        note: format!("turn {turn}"),
    }
}

fn sorted(mut v: Vec<ChangedPath>) -> Vec<ChangedPath> {
    v.sort_by(|a, b| a.path.cmp(&b.path));
    v
}

fn cp(path: &str, status: ChangeStatus) -> ChangedPath {
    ChangedPath {
        path: PathBuf::from(path),
        status,
    }
}

fn open(f: &Fixture) -> Checkpoints {
    Checkpoints::open(&f.state, &f.ws, CheckpointOptions::default()).unwrap()
}

/// Edit, add, delete and rename, then check the reported changes exactly.
fn edit_cycle(f: &Fixture) {
    write(&f.ws, "a.txt", "alpha\n");
    write(&f.ws, "src/b.rs", "fn b() {}\n");
    write(&f.ws, "gone.txt", "bye\n");
    write(
        &f.ws,
        "old name.txt",
        "a file long enough to be recognised as renamed\n",
    );
    let c = open(f);
    let first = c.checkpoint(&label(1)).unwrap();
    assert_eq!(first.parent, None);
    assert!(
        first
            .changed
            .iter()
            .all(|p| p.status == ChangeStatus::Added)
    );
    for name in ["a.txt", "src/b.rs", "gone.txt", "old name.txt"] {
        assert!(
            first.changed.iter().any(|p| p.path == Path::new(name)),
            "{name}"
        );
    }

    write(&f.ws, "a.txt", "alpha 2\n");
    write(&f.ws, "src/new.rs", "new\n");
    fs::remove_file(f.ws.join("gone.txt")).unwrap();
    fs::rename(f.ws.join("old name.txt"), f.ws.join("new name.txt")).unwrap();
    let second = c.checkpoint(&label(2)).unwrap();
    assert_eq!(second.parent.as_deref(), Some(first.id.as_str()));
    assert_eq!(
        sorted(second.changed.clone()),
        vec![
            cp("a.txt", ChangeStatus::Modified),
            cp("gone.txt", ChangeStatus::Deleted),
            cp(
                "new name.txt",
                ChangeStatus::Renamed {
                    from: "old name.txt".into()
                }
            ),
            cp("src/new.rs", ChangeStatus::Added),
        ]
    );
    assert_eq!(
        c.changes_between(&first.id, &second.id).unwrap(),
        second.changed
    );

    let third = c.checkpoint(&label(3)).unwrap();
    assert_eq!(third.id, second.id, "no commit when nothing changed");
    assert!(third.changed.is_empty());

    let list = c.list().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].id, second.id);
    assert_eq!(list[0].label, label(2));
    assert_eq!(list[1].parent, None);

    assert_eq!(
        c.file_at(&first.id, Path::new("a.txt")).unwrap().as_deref(),
        Some(&b"alpha\n"[..])
    );
    assert_eq!(c.file_at(&first.id, Path::new("src/new.rs")).unwrap(), None);
    assert_eq!(c.file_at(&first.id, Path::new("src")).unwrap(), None);
}

#[test]
fn plain_directory_reports_exact_changes() {
    let f = fixture();
    edit_cycle(&f);
}

#[test]
fn git_repository_is_never_touched() {
    let f = fixture();
    user_git(&f.ws, &["init", "-q"]);
    write(&f.ws, "tracked.txt", "t\n");
    user_git(&f.ws, &["add", "tracked.txt"]);
    user_git(&f.ws, &["commit", "-q", "-m", "init"]);
    write(&f.ws, "staged.txt", "s\n");
    user_git(&f.ws, &["add", "staged.txt"]);
    fs::write(f.ws.join(".git/info/exclude"), "secret.txt\n").unwrap();
    write(&f.ws, "secret.txt", "s\n");
    let before = snapshot(&f.ws.join(".git"));

    edit_cycle(&f);
    let c = open(&f);
    write(&f.ws, "tracked.txt", "changed\n");
    let cp1 = c.checkpoint(&label(4)).unwrap();
    c.restore(&cp1.id, &[PathBuf::from("tracked.txt")]).unwrap();

    assert_eq!(
        snapshot(&f.ws.join(".git")),
        before,
        "the user's .git changed"
    );
    let all = c
        .changes_between(&c.list().unwrap().last().unwrap().id, &cp1.id)
        .unwrap();
    assert!(all.iter().all(|p| !p.path.starts_with(".git")));
    assert!(
        c.file_at(&cp1.id, Path::new("secret.txt"))
            .unwrap()
            .is_none()
    );
    assert!(
        c.file_at(&cp1.id, Path::new(".git/HEAD"))
            .unwrap()
            .is_none()
    );
    assert!(
        c.file_at(&cp1.id, Path::new("staged.txt"))
            .unwrap()
            .is_some()
    );
}

#[test]
fn ignores_and_size_limit() {
    let f = fixture();
    write(&f.ws, ".gitignore", "target/\n*.log\n");
    write(&f.ws, "sub/.gitignore", "local.txt\n");
    write(&f.ws, ".tandemignore", "secrets/\n");
    write(&f.ws, "target/out.bin", "x");
    write(&f.ws, "app.log", "x");
    write(&f.ws, "sub/local.txt", "x");
    write(&f.ws, "sub/kept.txt", "x");
    write(&f.ws, "secrets/key", "x");
    fs::write(f.ws.join("big.bin"), vec![7u8; 2048]).unwrap();
    let c = Checkpoints::open(
        &f.state,
        &f.ws,
        CheckpointOptions {
            max_file_bytes: 1024,
        },
    )
    .unwrap();
    let first = c.checkpoint(&label(1)).unwrap();
    let mut paths: Vec<_> = first.changed.iter().map(|p| p.path.clone()).collect();
    paths.sort();
    assert_eq!(
        paths,
        [
            ".gitignore",
            ".tandemignore",
            "sub/.gitignore",
            "sub/kept.txt"
        ]
        .map(PathBuf::from)
        .to_vec()
    );
    assert_eq!(first.skipped, vec![PathBuf::from("big.bin")]);

    // A file that shrinks below the limit is recorded; one that grows over
    // it keeps its last recorded version.
    fs::write(f.ws.join("big.bin"), b"small").unwrap();
    fs::write(f.ws.join("sub/kept.txt"), vec![1u8; 4096]).unwrap();
    let second = c.checkpoint(&label(2)).unwrap();
    assert_eq!(second.changed, vec![cp("big.bin", ChangeStatus::Added)]);
    assert_eq!(second.skipped, vec![PathBuf::from("sub/kept.txt")]);
}

#[test]
fn restore_keeps_modes_and_links() {
    use std::os::unix::fs::PermissionsExt;
    let f = fixture();
    write(&f.ws, "bin/run.sh", "#!/bin/sh\n");
    fs::set_permissions(f.ws.join("bin/run.sh"), fs::Permissions::from_mode(0o755)).unwrap();
    write(&f.ws, "target.txt", "t");
    std::os::unix::fs::symlink("target.txt", f.ws.join("link")).unwrap();
    let c = open(&f);
    let first = c.checkpoint(&label(1)).unwrap();
    fs::remove_file(f.ws.join("bin/run.sh")).unwrap();
    fs::remove_file(f.ws.join("link")).unwrap();
    write(&f.ws, "link", "now a file");
    c.restore(
        &first.id,
        &[PathBuf::from("bin/run.sh"), PathBuf::from("link")],
    )
    .unwrap();
    let mode = fs::metadata(f.ws.join("bin/run.sh"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o100, 0o100, "{mode:o}");
    assert_eq!(
        fs::read_link(f.ws.join("link")).unwrap(),
        Path::new("target.txt")
    );
}

#[test]
fn nested_repositories_are_skipped() {
    let f = fixture();
    write(&f.ws, "top.txt", "top");
    write(&f.ws, "vendor/lib/f.txt", "f");
    user_git(&f.ws.join("vendor/lib"), &["init", "-q"]);
    let c = open(&f);
    let first = c.checkpoint(&label(1)).unwrap();
    assert_eq!(first.changed, vec![cp("top.txt", ChangeStatus::Added)]);
    assert_eq!(first.skipped, vec![PathBuf::from("vendor/lib")]);
}

#[test]
fn odd_names_and_restore() {
    let f = fixture();
    let names = [
        "with space.txt",
        "ünïcødé.txt",
        "-leading-dash",
        "tab\tname",
        ":colon",
        "*star",
    ];
    for n in names {
        write(&f.ws, n, &format!("v1 {n}"));
    }
    let c = open(&f);
    let first = c.checkpoint(&label(1)).unwrap();
    assert_eq!(first.changed.len(), names.len());
    for n in names {
        write(&f.ws, n, &format!("v2 {n}"));
    }
    write(&f.ws, "later.txt", "later");
    let second = c.checkpoint(&label(2)).unwrap();
    assert_eq!(second.changed.len(), names.len() + 1);
    for n in names {
        assert_eq!(
            c.file_at(&first.id, Path::new(n)).unwrap(),
            Some(format!("v1 {n}").into_bytes()),
            "{n}"
        );
    }
    let mut paths: Vec<PathBuf> = names.iter().map(PathBuf::from).collect();
    paths.push(f.ws.join("later.txt"));
    c.restore(&first.id, &paths).unwrap();
    for n in names {
        assert_eq!(fs::read_to_string(f.ws.join(n)).unwrap(), format!("v1 {n}"));
    }
    assert!(!f.ws.join("later.txt").exists(), "absent then: removed");

    assert!(matches!(
        c.restore(&first.id, &[PathBuf::from("../escape")]),
        Err(WorkspaceError::OutsideWorkspace(_))
    ));
    assert!(matches!(
        c.file_at("--output=/tmp/x", Path::new("a")),
        Err(WorkspaceError::BadId(_))
    ));
    assert!(matches!(
        c.file_at(&"0".repeat(40), Path::new("a")),
        Err(WorkspaceError::BadId(_))
    ));
}

#[test]
fn reopen_continues_history_and_corruption_is_explained() {
    let f = fixture();
    write(&f.ws, "a", "1");
    let first = open(&f).checkpoint(&label(1)).unwrap();
    let c = open(&f);
    assert_eq!(c.checkpoint(&label(2)).unwrap().id, first.id);
    write(&f.ws, "a", "2");
    assert_eq!(c.checkpoint(&label(3)).unwrap().parent, Some(first.id));

    fs::write(c.shadow_dir().join("HEAD"), "garbage").unwrap();
    let err = Checkpoints::open(&f.state, &f.ws, CheckpointOptions::default())
        .and_then(|c| c.checkpoint(&label(4)))
        .unwrap_err()
        .to_string();
    assert!(err.contains(&c.shadow_dir().display().to_string()), "{err}");
    assert!(err.contains("delete"), "{err}");
}

fn touch(tool: &str, summary: &str, paths: &[&str]) -> ToolTouch {
    ToolTouch {
        tool: tool.into(),
        summary: summary.into(),
        paths: paths.iter().map(PathBuf::from).collect(),
    }
}

fn agent() -> Actor<'static> {
    Actor::Agent {
        pane: "run",
        turn: 3,
    }
}

#[test]
fn attribution_to_declaring_tools() {
    let changed = vec![
        cp("a.rs", ChangeStatus::Modified),
        cp("b.rs", ChangeStatus::Added),
        cp(
            "new.rs",
            ChangeStatus::Renamed {
                from: "old.rs".into(),
            },
        ),
    ];
    let calls = vec![
        touch("edit_file", "a.rs", &["/ws/a.rs"]),
        touch("apply_patch", "patch", &["b.rs", "/ws/a.rs", "old.rs"]),
        touch("read_file", "c.rs", &[]),
    ];
    let out = attribute("c1", Path::new("/ws"), agent(), &changed, &calls);
    assert_eq!(out.len(), 2);
    assert_eq!(out[0].tool.as_deref(), Some("edit_file"));
    assert_eq!(out[0].paths, vec![PathBuf::from("a.rs")]);
    assert_eq!(out[1].tool.as_deref(), Some("apply_patch"));
    assert_eq!(
        out[1].paths,
        ["a.rs", "b.rs", "new.rs"].map(PathBuf::from).to_vec()
    );
    assert!(
        out.iter()
            .all(|a| !a.external && a.pane == "run" && a.turn == 3 && a.checkpoint == "c1")
    );
}

#[test]
fn attribution_undeclared_goes_to_last_shell_or_external() {
    let changed = vec![
        cp("a.rs", ChangeStatus::Modified),
        cp("gen.rs", ChangeStatus::Added),
    ];
    let calls = vec![
        touch("shell", "cargo fmt", &[]),
        touch("edit_file", "a", &["a.rs"]),
        touch("shell", "make gen", &[]),
    ];
    let out = attribute("c", Path::new("/ws"), agent(), &changed, &calls);
    assert_eq!(out.len(), 2);
    assert_eq!(out[1].tool.as_deref(), Some("shell: make gen"));
    assert_eq!(out[1].paths, vec![PathBuf::from("gen.rs")]);

    // A shell call that also declared a path gets the undeclared ones too.
    let calls = vec![touch("shell", "sed -i x a.rs", &["a.rs"])];
    let out = attribute("c", Path::new("/ws"), agent(), &changed, &calls);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].paths, ["a.rs", "gen.rs"].map(PathBuf::from).to_vec());

    // No shell: what no tool declared was changed by someone else.
    let calls = vec![touch("edit_file", "a", &["a.rs"])];
    let out = attribute("c", Path::new("/ws"), agent(), &changed, &calls);
    assert_eq!(out[1].tool, None);
    assert!(out[1].external);
    assert_eq!((out[1].pane.as_str(), out[1].turn), ("run", 3));
}

#[test]
fn attribution_between_turns_is_external() {
    let changed = vec![cp("a.rs", ChangeStatus::Modified)];
    let out = attribute("c", Path::new("/ws"), Actor::External, &changed, &[]);
    assert_eq!(out.len(), 1);
    assert!(out[0].external);
    assert_eq!(out[0].pane, "");
    assert!(attribute("c", Path::new("/ws"), Actor::External, &[], &[]).is_empty());
    assert!(
        attribute(
            "c",
            Path::new("/ws"),
            agent(),
            &[],
            &[touch("shell", "ls", &[])]
        )
        .is_empty()
    );
}

#[test]
fn change_log_appends_and_reloads() {
    let f = fixture();
    let path = ChangeLog::path_for(&f.state.join("shadow/x.git"));
    assert!(path.to_string_lossy().ends_with("x.git.changes.jsonl"));
    let mut log = ChangeLog::open(&path).unwrap();
    assert!(log.entries().is_empty());
    let changed = vec![cp("a.rs", ChangeStatus::Modified)];
    let first = attribute("c1", Path::new("/ws"), Actor::External, &changed, &[]);
    let second = attribute(
        "c2",
        Path::new("/ws"),
        agent(),
        &changed,
        &[touch("edit_file", "", &["a.rs"])],
    );
    log.record(&first).unwrap();
    log.record(&second).unwrap();
    log.record(&[]).unwrap();
    let reloaded = ChangeLog::open(&path).unwrap();
    assert_eq!(reloaded.entries(), log.entries());
    assert_eq!(reloaded.for_path(Path::new("a.rs")).count(), 2);
    assert_eq!(reloaded.for_path(Path::new("b.rs")).count(), 0);

    fs::write(&path, "{not json\n").unwrap();
    let err = ChangeLog::open(&path).unwrap_err().to_string();
    assert!(err.contains("line 1") && err.contains("delete"), "{err}");
}

#[test]
fn a_state_dir_inside_the_workspace_is_never_checkpointed_or_reviewed() {
    let f = fixture();
    user_git(&f.ws, &["init", "-q"]);
    write(&f.ws, "src/a.rs", "fn a() {}\n");
    // TANDEM_HOME set to the project: the state dir is inside it.
    let state = f.ws.join("home/state");
    let cps = Arc::new(Checkpoints::open(&state, &f.ws, CheckpointOptions::default()).unwrap());
    assert_eq!(cps.private_dir().as_deref(), Some("home/state/"));
    let base = cps.checkpoint(&label(0)).unwrap();
    assert_eq!(base.changed, vec![cp("src/a.rs", ChangeStatus::Added)]);
    write(&state, "usage.sqlite3", "ledger bytes");
    write(&state, "logs/tandem.log", "a log line\n");
    write(&f.ws, "src/a.rs", "fn a() { 1 }\n");
    let next = cps.checkpoint(&label(1)).unwrap();
    assert_eq!(next.changed, vec![cp("src/a.rs", ChangeStatus::Modified)]);
    let review = Review::open(cps.clone(), base.id.clone()).unwrap();
    let snapshot = review
        .snapshot(&next.id, &[], &crate::diff::DiffOptions::default())
        .unwrap();
    let paths: Vec<&str> = snapshot.files.iter().map(|f| f.path()).collect();
    assert_eq!(paths, vec!["src/a.rs"], "the state dir is not reviewed");
}
