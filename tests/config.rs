//! End-to-end: configuration layering as a user meets it — the built
//! binary with a config dir, a project, a profile and `-c` flags, against
//! the scripted mock server on loopback.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use tandem::mockserver::{MockServer, Script};

const BIN: &str = env!("CARGO_BIN_EXE_tandem");

/// `tandem` with a private home (whose config.toml is `config`) and no
/// provider settings from the developer's environment.
fn tandem(home: &Path, config: &str) -> Command {
    std::fs::write(home.join("config.toml"), config).unwrap();
    let mut cmd = Command::new(BIN);
    cmd.env("TANDEM_HOME", home)
        .env_remove("ANTHROPIC_API_KEY")
        .env_remove("ANTHROPIC_BASE_URL")
        .env_remove("OPENAI_API_KEY")
        .env_remove("OPENAI_BASE_URL")
        .stdin(Stdio::null());
    cmd
}

async fn run(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().expect("tandem runs"))
        .await
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_profile_picks_a_relay_and_dash_c_wins_over_it() {
    let server = MockServer::start(Script::from_toml_str("[[reply]]\ntext = \"ok\"\n").unwrap())
        .await
        .unwrap();
    let home = tempfile::tempdir().unwrap();
    let config = format!(
        r#"
[relays.hub]
base_url = "{}"
env_key = "HUB_KEY"
openai_wire = "openai-chat"
openai_model = "relay-default"

[profiles.relay.panes.run]
provider = "hub-openai"
reasoning = "low"
"#,
        server.base_url()
    );
    let mut cmd = tandem(home.path(), &config);
    cmd.env("HUB_KEY", "sk-hub-secret")
        .args([
            "--profile",
            "relay",
            "-c",
            "panes.run.model=from-flag",
            "exec",
            "hello",
        ])
        .current_dir(home.path());
    let out = run(cmd).await;
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    let requests = server.requests();
    assert_eq!(requests[0].path, "/v1/chat/completions");
    assert_eq!(requests[0].body["model"], "from-flag");
    assert_eq!(
        requests[0].body["reasoning_effort"], "low",
        "the pane's effort"
    );
    assert_eq!(
        requests[0].headers.get("authorization").map(String::as_str),
        Some("Bearer sk-hub-secret"),
        "the relay's one key"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_show_says_where_each_value_comes_from() {
    let home = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    std::fs::create_dir(project.path().join(".git")).unwrap();
    std::fs::create_dir(project.path().join(".tandem")).unwrap();
    std::fs::write(
        project.path().join(".tandem/config.toml"),
        "[shell]\ntimeout_secs = 30\n",
    )
    .unwrap();
    let mut cmd = tandem(
        home.path(),
        "[ui]\ntheme = \"light\"\n[profiles.fast.agent]\nmax_turns = 7\n\
         [providers.relay]\nwire = \"openai\"\nbase_url = \"http://r\"\n\
         headers = { authorization = \"Bearer sk-never-shown\" }\n",
    );
    cmd.args([
        "config",
        "show",
        "--profile",
        "fast",
        "-c",
        "retry.max_retries=1",
    ])
    .current_dir(project.path());
    let out = run(cmd).await;
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let line = |key: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(&format!("{key} = ")))
            .unwrap_or_else(|| panic!("{key} missing:\n{stdout}"))
            .to_string()
    };
    assert!(line("ui.theme").contains("config.toml"), "{stdout}");
    assert!(line("shell.timeout_secs").contains(".tandem/config.toml"));
    assert!(
        line("agent.max_turns").contains("= 7") && line("agent.max_turns").contains("profile fast")
    );
    assert!(line("retry.max_retries").contains("-c retry.max_retries=1"));
    assert!(line("retry.idle_timeout_secs").contains("built-in defaults"));
    assert!(!stdout.contains("sk-never-shown"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_config_is_refused_with_file_line_and_key() {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = tandem(
        home.path(),
        "[agent]\nmax_turns = 10\n\n[sandbox]\nnetwork = \"yes\"\n",
    );
    cmd.args(["exec", "--provider", "demo", "hi"])
        .current_dir(home.path());
    let out = run(cmd).await;
    assert_eq!(out.status.code(), Some(2), "a usage error");
    let stderr = text(&out.stderr);
    let file = home.path().join("config.toml");
    assert!(
        stderr.contains(&format!("{}:5", file.display())),
        "{stderr}"
    );
    assert!(stderr.contains("sandbox.network"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
