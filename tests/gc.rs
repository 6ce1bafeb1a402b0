//! `tandem gc` as a user runs it: the built binary on a private state dir
//! (`TANDEM_HOME`) filled by the real checkpoint, transcript and worktree
//! code.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, SystemTime};

use serde_json::Value;
use tandem::store::Transcript;
use tandem::workspace::{CheckpointLabel, CheckpointOptions, Checkpoints, worktree::Worktree};

const BIN: &str = env!("CARGO_BIN_EXE_tandem");

/// A private home (`TANDEM_HOME`, state in `home/state`) and room for
/// workspaces and files outside it.
struct Home {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    home: PathBuf,
    state: PathBuf,
}

fn home() -> Home {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().canonicalize().unwrap();
    let home = root.join("home");
    let state = home.join("state");
    std::fs::create_dir_all(&state).unwrap();
    Home {
        _tmp: tmp,
        root,
        home,
        state,
    }
}

fn tandem(home: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("TANDEM_HOME", home)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("ANTHROPIC_API_KEY")
        .env_remove("OPENAI_API_KEY")
        .current_dir(home)
        .stdin(Stdio::null())
        .output()
        .expect("tandem runs")
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A workspace with a file and a checkpoint; its shadow repository.
fn checkpointed(state: &Path, ws: &Path) -> PathBuf {
    std::fs::create_dir_all(ws).unwrap();
    std::fs::write(ws.join("main.rs"), "fn main() {}\n").unwrap();
    let cp = Checkpoints::open(state, ws, CheckpointOptions::default()).unwrap();
    cp.checkpoint(&CheckpointLabel::default()).unwrap();
    cp.shadow_dir().to_path_buf()
}

/// Sets `path`'s modification time `days` days back.
fn age(path: &Path, days: u64) {
    let then = SystemTime::now() - Duration::from_secs(days * 86_400);
    std::fs::File::options()
        .append(true)
        .open(path)
        .unwrap()
        .set_modified(then)
        .unwrap();
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .args(["-c", "user.name=u", "-c", "user.email=u@x"])
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {out:?}");
}

#[test]
fn a_deleted_workspaces_checkpoints_go_and_a_dry_run_changes_nothing() {
    let h = home();
    let live = checkpointed(&h.state, &h.root.join("live"));
    let dead = checkpointed(&h.state, &h.root.join("dead"));
    std::fs::remove_dir_all(h.root.join("dead")).unwrap();

    let text = stdout(&tandem(&h.home, &["gc", "--dry-run"]));
    let row = text
        .lines()
        .find(|l| l.starts_with("would remove"))
        .unwrap_or_else(|| panic!("no row:\n{text}"));
    assert!(row.contains("checkpoints"), "{row}");
    assert!(
        row.contains(dead.file_name().unwrap().to_str().unwrap()),
        "{row}"
    );
    assert!(row.contains("no longer exists"), "{row}");
    assert!(text.contains("would be freed"), "{text}");
    assert_eq!(text.matches("would remove").count(), 1, "{text}");
    assert!(
        dead.exists() && live.exists(),
        "a dry run removed something"
    );

    let json: Value =
        serde_json::from_str(&stdout(&tandem(&h.home, &["gc", "--dry-run", "--json"]))).unwrap();
    assert_eq!(json["dry_run"], true);
    assert_eq!(json["items"].as_array().unwrap().len(), 1);
    assert!(json["total_bytes"].as_u64().unwrap() > 0);
    assert!(dead.exists());

    let text = stdout(&tandem(&h.home, &["gc"]));
    assert!(text.lines().any(|l| l.starts_with("removed")), "{text}");
    assert!(text.contains("freed"), "{text}");
    assert!(
        !dead.exists(),
        "the dead workspace's checkpoints are still there"
    );
    assert!(
        live.exists(),
        "the live workspace's checkpoints were removed"
    );
    // The live workspace still checkpoints from where it was.
    let cp =
        Checkpoints::open(&h.state, &h.root.join("live"), CheckpointOptions::default()).unwrap();
    assert_eq!(cp.list().unwrap().len(), 1);

    let text = stdout(&tandem(&h.home, &["gc"]));
    assert!(text.contains("Nothing to remove."), "{text}");
}

#[test]
fn old_transcripts_go_with_their_index_rows_and_recent_ones_stay() {
    let h = home();
    let ws = h.root.join("ws");
    std::fs::create_dir_all(&ws).unwrap();
    let old = Transcript::create(&h.state, "old-session", &ws).unwrap();
    old.user_prompt("chat", "an old question");
    old.close();
    age(old.path(), 40);
    let recent = Transcript::create(&h.state, "recent-session", &ws).unwrap();
    recent.user_prompt("chat", "a recent question");
    recent.close();
    let listed = stdout(&tandem(&h.home, &["sessions"]));
    assert!(listed.contains("old-session") && listed.contains("recent-session"));

    // Without --older-than no transcript is touched.
    let text = stdout(&tandem(&h.home, &["gc"]));
    assert!(text.contains("Nothing to remove."), "{text}");
    assert!(old.path().exists());

    let text = stdout(&tandem(&h.home, &["gc", "--older-than", "30"]));
    let rows: Vec<&str> = text.lines().filter(|l| l.starts_with("removed")).collect();
    assert_eq!(rows.len(), 1, "{text}");
    assert!(rows[0].contains("transcript") && rows[0].contains("old-session.jsonl"));
    assert!(rows[0].contains("40 days ago"), "{}", rows[0]);
    assert!(!old.path().exists());
    assert!(recent.path().exists());

    let listed = stdout(&tandem(&h.home, &["sessions"]));
    assert!(!listed.contains("old-session"), "{listed}");
    assert!(listed.contains("recent-session"), "{listed}");
}

#[test]
fn a_run_worktree_whose_repository_was_deleted_is_removed() {
    let h = home();
    let repo = h.root.join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    std::fs::write(repo.join("a.txt"), "a\n").unwrap();
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "init"]);
    let run = Worktree::create(&h.state, &repo, "fix it").unwrap();
    let dir = run.path().to_path_buf();
    std::fs::write(dir.join("a.txt"), "the run's work\n").unwrap();

    // While its repository is there, the run is live and kept.
    let text = stdout(&tandem(&h.home, &["gc"]));
    assert!(text.contains("Nothing to remove."), "{text}");
    assert!(text.contains("live run"), "{text}");
    assert!(dir.exists());

    std::fs::remove_dir_all(&repo).unwrap();
    let text = stdout(&tandem(&h.home, &["gc"]));
    let row = text
        .lines()
        .find(|l| l.starts_with("removed"))
        .unwrap_or_else(|| panic!("nothing removed:\n{text}"));
    assert!(row.contains("worktree") && row.contains(run.id()), "{row}");
    assert!(row.contains("repository no longer exists"), "{row}");
    assert!(!dir.exists());
    assert!(!dir.with_file_name(format!("{}.base", run.id())).exists());
}

#[test]
fn symbolic_links_out_of_the_state_dir_are_not_followed() {
    let h = home();
    let outside = h.root.join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    let precious = outside.join("precious.txt");
    std::fs::write(&precious, "keep me").unwrap();
    // Looks like a transcript, 40 days old, but is a link to a user's file.
    let sessions = h.state.join("sessions");
    std::fs::create_dir_all(&sessions).unwrap();
    let outside_log = outside.join("notes.jsonl");
    std::fs::write(&outside_log, "{}\n").unwrap();
    age(&outside_log, 40);
    std::os::unix::fs::symlink(&outside_log, sessions.join("linked.jsonl")).unwrap();
    // A "shadow repository" that is a link to an outside directory whose
    // record names a workspace that does not exist.
    let fake = outside.join("fake.git");
    std::fs::create_dir_all(&fake).unwrap();
    std::fs::write(fake.join("tandem-workspace"), "/no/such/workspace").unwrap();
    std::fs::create_dir_all(h.state.join("shadow")).unwrap();
    std::os::unix::fs::symlink(&fake, h.state.join("shadow/0123456789abcdef.git")).unwrap();
    // A dead workspace's repository holding a link to the outside dir.
    let dead = checkpointed(&h.state, &h.root.join("dead"));
    std::os::unix::fs::symlink(&outside, dead.join("escape")).unwrap();
    std::fs::remove_dir_all(h.root.join("dead")).unwrap();
    // The worktrees dir itself is a link out.
    std::os::unix::fs::symlink(&outside, h.state.join("worktrees")).unwrap();

    let text = stdout(&tandem(
        &h.home,
        &["gc", "--older-than", "0", "--force", "--all-unknown"],
    ));
    assert!(!dead.exists(), "{text}");
    assert_eq!(
        text.lines().filter(|l| l.starts_with("removed")).count(),
        1,
        "{text}"
    );
    assert!(text.contains("not followed"), "{text}");
    assert_eq!(std::fs::read_to_string(&precious).unwrap(), "keep me");
    assert!(outside_log.exists() && fake.join("tandem-workspace").exists());
    assert!(h.state.join("shadow/0123456789abcdef.git").exists());
    assert!(sessions.join("linked.jsonl").exists());
}

#[test]
fn doctor_tells_the_state_dirs_size() {
    let h = home();
    checkpointed(&h.state, &h.root.join("ws"));
    let out = tandem(&h.home, &["doctor"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.contains("state dir:"))
        .unwrap_or_else(|| panic!("no state dir line:\n{text}"));
    assert!(line.starts_with("ok"), "{line}");
    assert!(
        line.contains("is writable") && line.contains("KiB used"),
        "{line}"
    );
}
