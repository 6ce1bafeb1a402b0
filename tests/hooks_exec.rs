//! Hooks through the built `tandem` binary: what a user sees at start-up
//! (Claude import summary, untrusted project hooks), a blocked prompt in
//! text and JSON output, and the environment a hook gets.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use tandem::mockserver::{MockServer, Script};

const TEXT_SCRIPT: &str = "[[reply]]\ntext = \"hello\"\n";

const BIN: &str = env!("CARGO_BIN_EXE_tandem");

/// `tandem exec` against `server` in `work`, with a private home (config
/// and `~/.claude`) and a provider key set.
fn exec(home: &Path, work: &Path, server: &MockServer, extra: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env("TANDEM_HOME", home)
        .env("HOME", home)
        .env_remove("ANTHROPIC_API_KEY")
        .env_remove("ANTHROPIC_BASE_URL")
        .env("OPENAI_BASE_URL", server.base_url())
        .env("OPENAI_API_KEY", "sk-hooktest-secret-0123456789")
        .stdin(Stdio::null())
        .args(["exec", "--provider", "openai", "--model", "m", "-C"])
        .arg(work)
        .args(extra)
        .arg("say hi");
    cmd
}

async fn run(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().expect("tandem runs"))
        .await
        .unwrap()
}

fn write(path: PathBuf, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hooks_get_no_provider_keys_but_the_project_dir() {
    let server = MockServer::start(Script::from_toml_str(TEXT_SCRIPT).unwrap())
        .await
        .unwrap();
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let env_file = home.path().join("env.txt");
    write(
        home.path().join("config.toml"),
        &format!(
            "[[hooks.session_start]]\ncommand = \"env > {}\"\n",
            env_file.display()
        ),
    );
    let out = run(exec(home.path(), work.path(), &server, &[])).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let env = std::fs::read_to_string(&env_file).unwrap();
    assert!(!env.contains("sk-hooktest-secret"), "{env}");
    assert!(!env.contains("OPENAI_API_KEY"), "{env}");
    let work = work.path().canonicalize().unwrap();
    assert!(
        env.contains(&format!("TANDEM_PROJECT_DIR={}", work.display())),
        "{env}"
    );
    assert!(
        env.contains(&format!("CLAUDE_PROJECT_DIR={}", work.display())),
        "{env}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn untrusted_project_hooks_are_listed_not_run_until_trusted() {
    let server = MockServer::start(
        Script::from_toml_str("[[reply]]\ntext = \"a\"\n\n[[reply]]\ntext = \"b\"\n").unwrap(),
    )
    .await
    .unwrap();
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    write(
        work.path().join(".tandem/config.toml"),
        "[[hooks.session_start]]\ncommand = \"touch from-tandem\"\n",
    );
    write(
        work.path().join(".claude/settings.json"),
        r#"{"hooks": {
            "SessionStart": [{"hooks": [{"type": "command", "command": "touch from-claude"}]}],
            "SubagentStop": [{"hooks": [{"type": "command", "command": "true"}]}]
        }}"#,
    );
    let out = run(exec(home.path(), work.path(), &server, &[])).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "imported from .claude/settings.json: SessionStart → session_start; \
             not imported: SubagentStop (no equivalent)"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("not running 2 hooks the project defines"),
        "{stderr}"
    );
    assert!(stderr.contains("-c project.trust=true"), "{stderr}");
    assert!(!work.path().join("from-tandem").exists());
    assert!(!work.path().join("from-claude").exists());

    let out = run(exec(
        home.path(),
        work.path(),
        &server,
        &["-c", "project.trust=true"],
    ))
    .await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(work.path().join("from-tandem").exists());
    assert!(work.path().join("from-claude").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocked_prompt_is_a_line_and_exit_6_headless() {
    let server = MockServer::start(Script::from_toml_str(TEXT_SCRIPT).unwrap())
        .await
        .unwrap();
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    write(
        home.path().join(".claude/settings.json"),
        r#"{"hooks": {"UserPromptSubmit": [{"hooks": [
            {"type": "command", "command": "echo 'ask in #ops first' >&2; exit 2", "timeout": 5}
        ]}]}}"#,
    );
    let out = run(exec(home.path(), work.path(), &server, &[])).await;
    assert_eq!(
        out.status.code(),
        Some(6),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(
            "hook user_prompt_submit blocked: ask in #ops first; the prompt was not sent"
        ),
        "{stdout}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "imported from ~/.claude/settings.json: UserPromptSubmit → user_prompt_submit"
        ),
        "{stderr}"
    );
    assert!(server.requests().is_empty());

    let out = run(exec(home.path(), work.path(), &server, &["--json"])).await;
    assert_eq!(out.status.code(), Some(6));
    let hook: Value = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|v| v["type"] == "hook")
        .expect("a hook line");
    assert_eq!(hook["event"], "user_prompt_submit");
    assert_eq!(hook["outcome"]["kind"], "blocked");
    assert_eq!(hook["outcome"]["reason"], "ask in #ops first");
}
