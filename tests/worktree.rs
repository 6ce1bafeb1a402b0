//! End-to-end: `tandem exec --worktree` runs the task in its own git
//! worktree and branch under the state dir, against the scripted mock
//! server, and leaves the user's repository as it was.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use tandem::mockserver::{MockServer, Script};

const BIN: &str = env!("CARGO_BIN_EXE_tandem");

/// The model edits `greet.py` with `edit_file`, then finishes.
const EDIT_SCRIPT: &str = r#"
[[reply]]
text = "I'll fix the greeting."
[[reply.tool_calls]]
id = "call_edit"
name = "edit_file"
input = { path = "greet.py", old_string = "Helo", new_string = "Hello" }

[[reply]]
text = "Fixed the typo."
"#;

const ORIGINAL: &str = "def greet(name):\n    return \"Helo, \" + name\n";
const FIXED: &str = "def greet(name):\n    return \"Hello, \" + name\n";

/// Runs git as the user would, with no machine configuration.
fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "u")
        .env("GIT_AUTHOR_EMAIL", "u@example.com")
        .env("GIT_COMMITTER_NAME", "u")
        .env("GIT_COMMITTER_EMAIL", "u@example.com")
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A repository with `greet.py` committed, plus an uncommitted edit of
/// another file and an untracked file the run must not see or touch.
fn user_repo() -> (tempfile::TempDir, PathBuf) {
    // A space and a quote in the path: printed commands must still paste.
    let dir = tempfile::Builder::new()
        .prefix("user's repo ")
        .tempdir()
        .unwrap();
    let repo = dir.path().canonicalize().unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    std::fs::write(repo.join("greet.py"), ORIGINAL).unwrap();
    std::fs::write(repo.join("README"), "readme\n").unwrap();
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "init"]);
    std::fs::write(repo.join("README"), "readme, edited by the user\n").unwrap();
    std::fs::write(repo.join("scratch.txt"), "untracked\n").unwrap();
    (dir, repo)
}

/// Status, HEAD and branches of the user's repository.
fn user_state(repo: &Path) -> (String, String, String) {
    (
        git(repo, &["status", "--porcelain", "--untracked-files=all"]),
        git(repo, &["rev-parse", "HEAD"]),
        git(repo, &["symbolic-ref", "HEAD"]),
    )
}

/// `tandem exec --worktree` against the mock server, with a private home.
fn exec(home: &Path, repo: &Path, base_url: &str, extra: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env("TANDEM_HOME", home)
        .env_remove("ANTHROPIC_API_KEY")
        .env_remove("ANTHROPIC_BASE_URL")
        .env("OPENAI_BASE_URL", base_url)
        .env("OPENAI_API_KEY", "sk-test")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .stdin(Stdio::null())
        .args([
            "exec",
            "--worktree",
            "--provider",
            "openai",
            "--model",
            "gpt-test",
        ])
        .args(extra)
        .arg("-C")
        .arg(repo)
        .arg("fix the greeting");
    cmd
}

/// Runs the command off the async runtime (the mock server lives on it).
async fn run(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().expect("tandem runs"))
        .await
        .unwrap()
}

fn assert_ok(out: &Output) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_worktree_json_edits_only_the_runs_worktree() {
    let server = MockServer::start(Script::from_toml_str(EDIT_SCRIPT).unwrap())
        .await
        .unwrap();
    let home = tempfile::tempdir().unwrap();
    let (_dir, repo) = user_repo();
    let before = user_state(&repo);
    let base = before.1.trim().to_string();

    let out = run(exec(home.path(), &repo, &server.base_url(), &["--json"])).await;
    assert_ok(&out);
    let events: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        &types[types.len() - 2..],
        ["session.completed", "worktree"],
        "the worktree line comes right after session.completed"
    );
    let edit = events
        .iter()
        .find(|e| e["type"] == "tool.result")
        .expect("the edit ran");
    assert_eq!(edit["ok"], true, "{edit}");

    let info = events.last().unwrap();
    let path = PathBuf::from(info["path"].as_str().unwrap());
    let branch = info["branch"].as_str().unwrap();
    assert_eq!(info["base"], base.as_str());
    assert_eq!(info["changed"], true);
    assert!(branch.starts_with("tandem/run-"), "{branch}");
    assert!(
        path.starts_with(home.path().canonicalize().unwrap()),
        "the worktree is under the state dir: {}",
        path.display()
    );

    // The user's repository is as it was; the run's work is in its worktree
    // and committed on its branch.
    assert_eq!(
        std::fs::read_to_string(repo.join("greet.py")).unwrap(),
        ORIGINAL
    );
    assert_eq!(user_state(&repo), before);
    assert_eq!(
        std::fs::read_to_string(path.join("greet.py")).unwrap(),
        FIXED
    );
    assert_eq!(
        git(&repo, &["branch", "--list", branch]).trim(),
        format!("+ {branch}")
    );
    assert_eq!(git(&repo, &["show", &format!("{branch}:greet.py")]), FIXED);
    assert!(
        !path.join("scratch.txt").exists(),
        "the run starts from HEAD"
    );
    let changed = git(&repo, &["diff", "--name-only", &base, branch]);
    assert_eq!(changed, "greet.py\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_worktree_text_says_how_to_merge_or_discard() {
    let server = MockServer::start(Script::from_toml_str(EDIT_SCRIPT).unwrap())
        .await
        .unwrap();
    let home = tempfile::tempdir().unwrap();
    let (_dir, repo) = user_repo();
    let before = user_state(&repo);

    let out = run(exec(home.path(), &repo, &server.base_url(), &[])).await;
    assert_ok(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let command = |label: &str| {
        stderr
            .lines()
            .find_map(|l| l.trim().strip_prefix(label))
            .unwrap_or_else(|| panic!("no {label} line: {stderr}"))
            .trim()
            .to_string()
    };
    let branch = stderr
        .split_whitespace()
        .find(|w| w.starts_with("tandem/run-"))
        .unwrap_or_else(|| panic!("no branch named: {stderr}"))
        .to_string();
    let (merge, discard) = (command("merge:"), command("discard:"));
    assert!(merge.ends_with(&format!(" merge {branch}")), "{merge}");
    assert!(discard.contains("worktree remove --force"), "{discard}");
    assert!(
        discard.ends_with(&format!(" branch -D {branch}")),
        "{discard}"
    );
    assert_eq!(
        std::fs::read_to_string(repo.join("greet.py")).unwrap(),
        ORIGINAL
    );
    assert_eq!(user_state(&repo), before);

    // The printed commands, pasted into a shell, merge the run and then
    // throw its worktree and branch away.
    let sh = |line: &str| {
        let out = Command::new("sh")
            .args(["-c", line])
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "u")
            .env("GIT_AUTHOR_EMAIL", "u@example.com")
            .env("GIT_COMMITTER_NAME", "u")
            .env("GIT_COMMITTER_EMAIL", "u@example.com")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{line}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    git(&repo, &["stash", "-q", "-u"]);
    sh(&merge);
    assert_eq!(
        std::fs::read_to_string(repo.join("greet.py")).unwrap(),
        FIXED
    );
    sh(&discard);
    assert_eq!(git(&repo, &["branch", "--list", &branch]), "");
    assert_eq!(git(&repo, &["worktree", "list"]).lines().count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_worktree_outside_a_repository_is_refused_clearly() {
    let server = MockServer::start(Script::from_toml_str(EDIT_SCRIPT).unwrap())
        .await
        .unwrap();
    let home = tempfile::tempdir().unwrap();
    let plain = tempfile::tempdir().unwrap();
    std::fs::write(plain.path().join("greet.py"), ORIGINAL).unwrap();

    let out = run(exec(home.path(), plain.path(), &server.base_url(), &[])).await;
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not inside a git work tree"), "{stderr}");
    assert!(server.requests().is_empty(), "no model call was made");
    assert_eq!(
        std::fs::read_to_string(plain.path().join("greet.py")).unwrap(),
        ORIGINAL
    );
}
