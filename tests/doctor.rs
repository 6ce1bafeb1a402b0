//! End-to-end: `tandem doctor` as a user runs it — the built binary with a
//! config whose provider is the scripted mock server on loopback.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use tandem::mockserver::{MockServer, Script};

const BIN: &str = env!("CARGO_BIN_EXE_tandem");

/// `tandem doctor` with a private home whose config.toml points both panes
/// at the mock server (key from `MOCK_KEY`), plus `extra` settings.
fn doctor(home: &Path, base_url: &str, key: &str, extra: &str) -> Command {
    let config = format!(
        "[providers.mock]\nwire = \"openai-chat\"\nbase_url = \"{base_url}\"\n\
         env_key = \"MOCK_KEY\"\ndefault_model = \"mock-model\"\n\
         [panes.chat]\nprovider = \"mock\"\n[panes.run]\nprovider = \"mock\"\n{extra}"
    );
    std::fs::write(home.join("config.toml"), config).unwrap();
    let mut cmd = Command::new(BIN);
    cmd.arg("doctor")
        .env("TANDEM_HOME", home)
        .env("MOCK_KEY", key)
        .env_remove("ANTHROPIC_API_KEY")
        .env_remove("ANTHROPIC_BASE_URL")
        .env_remove("OPENAI_API_KEY")
        .env_remove("OPENAI_BASE_URL")
        .current_dir(home)
        .stdin(Stdio::null());
    cmd
}

async fn run(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().expect("tandem runs"))
        .await
        .unwrap()
}

fn line<'a>(stdout: &'a str, name: &str) -> &'a str {
    stdout
        .lines()
        .find(|l| l[6..].starts_with(&format!("{name}:")))
        .unwrap_or_else(|| panic!("no `{name}` line:\n{stdout}"))
}

async fn mock() -> MockServer {
    let script =
        Script::from_toml_str("api_key = \"sk-good\"\nmodels = [\"mock-model\", \"mock-large\"]\n")
            .unwrap();
    MockServer::start(script).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_good_config_is_all_ok() {
    let server = mock().await;
    let home = tempfile::tempdir().unwrap();
    let out = run(doctor(home.path(), &server.base_url(), "sk-good", "")).await;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let provider = line(&stdout, "provider mock");
    assert!(provider.starts_with("ok"), "{provider}");
    assert!(
        provider.contains("key accepted") && provider.contains("mock-model, mock-large"),
        "{provider}"
    );
    for name in ["config", "sandbox mode", "state dir", "ledger", "git"] {
        assert!(line(&stdout, name).starts_with("ok"), "{name}:\n{stdout}");
    }
    assert!(
        line(&stdout, "provider anthropic").starts_with("warn"),
        "a provider nobody uses and nobody set up is a warning"
    );
    match tandem::exec::sandbox::support().missing() {
        None => assert_eq!(out.status.code(), Some(0), "{stdout}"),
        Some(missing) => eprintln!(
            "WARNING: this kernel cannot sandbox ({missing}); doctor's exit code is not checked here"
        ),
    }
    assert!(!stdout.contains("sk-good"), "the key is never printed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_key_fails_with_the_providers_message_and_the_variable() {
    let server = mock().await;
    let home = tempfile::tempdir().unwrap();
    let out = run(doctor(home.path(), &server.base_url(), "sk-wrong", "")).await;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let provider = line(&stdout, "provider mock");
    assert!(provider.starts_with("fail"), "{provider}");
    assert!(provider.contains("key rejected (401)"), "{provider}");
    assert!(
        provider.contains("Incorrect API key"),
        "the provider's own words: {provider}"
    );
    assert!(provider.contains("check MOCK_KEY"), "{provider}");
    assert!(!stdout.contains("sk-wrong"));
    assert_eq!(out.status.code(), Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_config_without_the_sandbox_fails_and_says_what_to_set() {
    let server = mock().await;
    let home = tempfile::tempdir().unwrap();
    let extra = "[sandbox]\nmode = \"danger-full-access\"\n";
    let out = run(doctor(home.path(), &server.base_url(), "sk-good", extra)).await;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let mode = line(&stdout, "sandbox mode");
    assert!(
        mode.starts_with("fail") && mode.contains("workspace-write"),
        "{mode}"
    );
    assert_eq!(out.status.code(), Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_provider_fails_quickly() {
    let home = tempfile::tempdir().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let started = std::time::Instant::now();
    let out = run(doctor(home.path(), &url, "k", "")).await;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        line(&stdout, "provider mock").starts_with("fail"),
        "{stdout}"
    );
    assert!(line(&stdout, "provider mock").contains("unreachable"));
    assert!(started.elapsed().as_secs() < 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mcp_servers_are_started_and_a_broken_one_fails() {
    let server_bin = std::env::current_exe()
        .unwrap()
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .join("examples/mcp_test_server");
    assert!(
        server_bin.exists(),
        "{} is missing: run `cargo build --examples`",
        server_bin.display()
    );
    let server = mock().await;
    let home = tempfile::tempdir().unwrap();
    let extra = format!(
        "[mcp_servers.good]\ncommand = {:?}\nargs = [\"--stdio\"]\n\
         [mcp_servers.broken]\ncommand = \"false\"\nstartup_timeout_sec = 3\n",
        server_bin.display().to_string()
    );
    let out = run(doctor(home.path(), &server.base_url(), "sk-good", &extra)).await;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let good = line(&stdout, "mcp good");
    assert!(
        good.starts_with("ok") && good.contains("ready, 6 tools"),
        "{good}"
    );
    let broken = line(&stdout, "mcp broken");
    assert!(broken.starts_with("fail"), "{broken}");
    assert_eq!(out.status.code(), Some(1));
}
