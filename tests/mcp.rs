//! MCP servers end to end: the real hub and rmcp client against the
//! example server (`examples/mcp_test_server.rs`, built by `cargo test`)
//! over stdio and streamable HTTP, crashes, timeouts, restart, project
//! trust, credentials kept from children, and a session whose model calls
//! an MCP tool through the scripted mock model server.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tandem::agent::{Event, Op, Pane, Session, SessionConfig, SessionHandle, TaskStatus};
use tandem::config::{Config, McpServerConfig};
use tandem::exec::secrets::SecretPolicy;
use tandem::exec::{ApprovalMode, Permissions};
use tandem::mcp::{McpHub, ServerState};
use tandem::mockserver::{MockServer, Script};
use tandem::provider::{HttpModelClient, Wire};
use tandem::tools::{Registry, ToolContext, ToolKind, ToolOutput};

/// The example server next to this test binary.
fn server_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let path = exe
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .join("examples")
        .join("mcp_test_server");
    assert!(
        path.exists(),
        "{} is missing: run `cargo build --examples` (cargo test builds it too)",
        path.display()
    );
    path
}

fn server(toml_text: &str) -> McpServerConfig {
    toml::from_str(toml_text).unwrap()
}

fn stdio_server() -> McpServerConfig {
    server(&format!(
        "command = {:?}\nargs = [\"--stdio\"]\nstartup_timeout_sec = 20\ntool_timeout_sec = 20",
        server_binary().display().to_string()
    ))
}

/// A hub of `servers` for `workspace`, started.
fn hub(servers: Vec<(&str, McpServerConfig)>, workspace: &Path) -> (Arc<McpHub>, Vec<String>) {
    let mut config = Config::defaults();
    for (name, server) in servers {
        config.mcp_servers.insert(name.into(), server);
    }
    hub_of(&config, workspace, SecretPolicy::default())
}

fn hub_of(config: &Config, workspace: &Path, secrets: SecretPolicy) -> (Arc<McpHub>, Vec<String>) {
    let (hub, notes) = McpHub::new(
        config,
        workspace,
        workspace,
        secrets,
        tokio::runtime::Handle::current(),
    );
    hub.start();
    (hub, notes)
}

async fn call(registry: &Registry, name: &str, input: Value, dir: &Path) -> ToolOutput {
    let tool = registry
        .get(name)
        .unwrap_or_else(|| panic!("{name} is offered: {:?}", names(registry)));
    tool.run(input, &ToolContext::new(dir.to_path_buf())).await
}

fn names(registry: &Registry) -> Vec<String> {
    registry.specs().into_iter().map(|s| s.name).collect()
}

fn state(hub: &McpHub, name: &str) -> ServerState {
    hub.snapshot()
        .into_iter()
        .find(|s| s.name == name)
        .unwrap()
        .state
}

/// The calls every transport must get right.
async fn round_trip(registry: &Registry, dir: &Path) {
    let offered = names(registry);
    for tool in ["echo", "add", "image", "fail", "crash", "slow"] {
        let name = format!("mcp__test__{tool}");
        assert!(offered.contains(&name), "{name} in {offered:?}");
    }
    assert!(
        offered.contains(&"read_file".to_string()),
        "core tools stay"
    );
    let spec = registry
        .specs()
        .into_iter()
        .find(|s| s.name == "mcp__test__echo")
        .unwrap();
    assert!(spec.description.contains("Send the text back"));
    assert_eq!(spec.parameters["properties"]["text"]["type"], "string");

    let echo = call(
        registry,
        "mcp__test__echo",
        json!({"text": "hello mcp"}),
        dir,
    )
    .await;
    assert_eq!((echo.ok, echo.text.as_str()), (true, "hello mcp"));
    let add = call(registry, "mcp__test__add", json!({"a": 2, "b": 40}), dir).await;
    assert_eq!((add.ok, add.text.as_str()), (true, "42"));
    let image = call(registry, "mcp__test__image", json!({}), dir).await;
    assert!(image.ok);
    assert_eq!(image.text, "[image: image/png, 68 bytes]");
    let fail = call(registry, "mcp__test__fail", json!({}), dir).await;
    assert!(!fail.ok, "isError is a failed result");
    assert_eq!(fail.text, "this tool always fails");

    let add_tool = registry.get("mcp__test__add").unwrap();
    assert_eq!(
        add_tool.kind(),
        ToolKind::Read,
        "readOnlyHint: runs unasked"
    );
    assert_eq!(
        registry.get("mcp__test__echo").unwrap().kind(),
        ToolKind::Exec,
        "anything else asks in suggest mode"
    );
    assert_eq!(add_tool.targets(&json!({}), dir), ["test:add"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stdio_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let (hub, notes) = hub(vec![("test", stdio_server())], dir.path());
    assert!(notes.is_empty(), "{notes:?}");
    hub.ready().await;
    assert!(matches!(state(&hub, "test"), ServerState::Ready(tools) if tools.len() == 6));
    let registry = Registry::core().with_source(hub.clone());
    round_trip(&registry, dir.path()).await;
    gates(&registry, dir.path());
}

/// MCP tools go through the permission rules (by `mcp(server:tool)` or by
/// name) and the approval mode like any tool.
fn gates(registry: &Registry, dir: &Path) {
    use tandem::agent::gate::{Gate, gate};
    use tandem::exec::RuleLists;
    let decide = |permissions: &Permissions, mode: ApprovalMode, name: &str| {
        let tool = registry.get(name).unwrap();
        gate(permissions, mode, tool.as_ref(), name, &json!({}), dir)
    };
    let none = Permissions::default();
    assert!(matches!(
        decide(&none, ApprovalMode::Suggest, "mcp__test__echo"),
        Gate::Ask { always, .. } if always == ["mcp(test:echo)"]
    ));
    assert!(matches!(
        decide(&none, ApprovalMode::AutoEdit, "mcp__test__echo"),
        Gate::Ask { .. }
    ));
    assert_eq!(
        decide(&none, ApprovalMode::FullAuto, "mcp__test__echo"),
        Gate::Run
    );
    assert_eq!(
        decide(&none, ApprovalMode::Suggest, "mcp__test__add"),
        Gate::Run,
        "read-only: never asks"
    );
    let user = RuleLists {
        origin: "config.toml".into(),
        allow: vec!["mcp__test__*".into()],
        ask: Vec::new(),
        deny: vec!["mcp(test:crash)".into()],
    };
    let rules = Permissions::from_lists(&user, &RuleLists::default(), false, dir).unwrap();
    assert_eq!(
        decide(&rules, ApprovalMode::Suggest, "mcp__test__echo"),
        Gate::Run
    );
    assert!(matches!(
        decide(&rules, ApprovalMode::FullAuto, "mcp__test__crash"),
        Gate::Refuse(text) if text.contains("mcp(test:crash)")
    ));
}

/// The example server on HTTP, and its URL.
fn http_server() -> (std::process::Child, String) {
    let mut child = std::process::Command::new(server_binary())
        .args(["--http", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (child, line.trim().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_round_trip_and_a_refused_connection_fails_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, url) = http_server();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let config = server(&format!(
        "url = {url:?}\nheaders = {{ X-Test = \"1\" }}\nstartup_timeout_sec = 20"
    ));
    let (hub, _) = hub(vec![("test", config)], dir.path());
    hub.ready().await;
    let registry = Registry::core().with_source(hub.clone());
    round_trip(&registry, dir.path()).await;

    child.kill().unwrap();
    child.wait().unwrap();
    let started = Instant::now();
    let echo = call(
        &registry,
        "mcp__test__echo",
        json!({"text": "x"}),
        dir.path(),
    )
    .await;
    assert!(!echo.ok);
    assert!(
        echo.text.contains("MCP server test crashed") && echo.text.contains("/mcp restart test"),
        "{}",
        echo.text
    );
    assert!(started.elapsed() < Duration::from_secs(15), "no hang");
    assert!(matches!(state(&hub, "test"), ServerState::Failed(_)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_mid_call_fails_fast_and_a_restart_brings_the_server_back() {
    let dir = tempfile::tempdir().unwrap();
    let (hub, _) = hub(vec![("test", stdio_server())], dir.path());
    hub.ready().await;
    let registry = Registry::core().with_source(hub.clone());

    let started = Instant::now();
    let crash = call(&registry, "mcp__test__crash", json!({}), dir.path()).await;
    assert!(started.elapsed() < Duration::from_secs(5), "no hang");
    assert!(!crash.ok);
    assert!(
        crash.text.contains("MCP server test crashed")
            && crash.text.contains("exited with status 3")
            && crash.text.contains("crashing on purpose")
            && crash.text.contains("/mcp restart test"),
        "says what happened, with its stderr, and what to do: {}",
        crash.text
    );
    let ServerState::Failed(reason) = state(&hub, "test") else {
        panic!("the server shows as failed: {:?}", hub.snapshot());
    };
    assert!(reason.contains("exited with status 3"), "{reason}");

    let again = call(
        &registry,
        "mcp__test__echo",
        json!({"text": "x"}),
        dir.path(),
    )
    .await;
    assert!(
        !again.ok && again.text.contains("crashed"),
        "{}",
        again.text
    );

    hub.restart("test").unwrap();
    hub.ready().await;
    let echo = call(
        &registry,
        "mcp__test__echo",
        json!({"text": "back"}),
        dir.path(),
    )
    .await;
    assert_eq!((echo.ok, echo.text.as_str()), (true, "back"));
    assert!(
        hub.restart("nope")
            .unwrap_err()
            .contains("no MCP server named nope")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_answers_times_out_at_startup() {
    let dir = tempfile::tempdir().unwrap();
    let config = server("command = \"sleep\"\nargs = [\"30\"]\nstartup_timeout_sec = 1");
    let (hub, _) = hub(vec![("mute", config)], dir.path());
    let started = Instant::now();
    hub.ready().await;
    assert!(started.elapsed() < Duration::from_secs(5), "no hang");
    let ServerState::Failed(reason) = state(&hub, "mute") else {
        panic!("failed: {:?}", hub.snapshot());
    };
    assert!(
        reason.contains("within 1 s") && reason.contains("startup_timeout_sec"),
        "{reason}"
    );
    let registry = Registry::core().with_source(hub.clone());
    assert!(names(&registry).iter().all(|n| !n.starts_with("mcp__")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_tool_times_out_and_the_server_stays_usable() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = stdio_server();
    config.tool_timeout_sec = 1;
    let (hub, _) = hub(vec![("test", config)], dir.path());
    hub.ready().await;
    let registry = Registry::core().with_source(hub.clone());
    let started = Instant::now();
    let slow = call(
        &registry,
        "mcp__test__slow",
        json!({"secs": 30}),
        dir.path(),
    )
    .await;
    assert!(started.elapsed() < Duration::from_secs(5), "no hang");
    assert!(
        !slow.ok && slow.text.contains("within 1 s (tool_timeout_sec)"),
        "{}",
        slow.text
    );
    let echo = call(
        &registry,
        "mcp__test__echo",
        json!({"text": "ok"}),
        dir.path(),
    )
    .await;
    assert_eq!((echo.ok, echo.text.as_str()), (true, "ok"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn project_servers_start_only_when_the_project_is_trusted() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("started");
    let mcp_json = json!({"mcpServers": {
        "sneaky": {"command": "sh", "args": ["-c", format!("touch {}", marker.display())]},
        "test": {"command": server_binary(), "args": ["--stdio"]},
    }});
    std::fs::write(dir.path().join(".mcp.json"), mcp_json.to_string()).unwrap();

    let (hub, notes) = hub_of(&Config::defaults(), dir.path(), SecretPolicy::default());
    hub.ready().await;
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(
        notes.iter().any(|n| n.contains("MCP server test")
            && n.contains("not started: defined by the project; set [project] trust = true")),
        "{notes:?}"
    );
    assert_eq!(state(&hub, "test"), ServerState::Untrusted);
    assert!(
        !marker.exists(),
        "an untrusted project's command never runs"
    );
    assert!(hub.restart("sneaky").unwrap_err().contains("trust = true"));

    let mut trusted = Config::defaults();
    trusted.project.trust = true;
    let (hub, notes) = hub_of(&trusted, dir.path(), SecretPolicy::default());
    hub.ready().await;
    assert!(notes.is_empty(), "{notes:?}");
    assert!(matches!(state(&hub, "test"), ServerState::Ready(_)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_keys_do_not_reach_a_stdio_server_unless_its_env_names_them() {
    let dir = tempfile::tempdir().unwrap();
    // SAFETY: std serialises its own environment access; nothing else in
    // this test binary reads the environment through libc.
    unsafe { std::env::set_var("TANDEM_MCP_TEST_KEY", "secret-value-123") };
    let env_file = dir.path().join("env.txt");
    let script = format!(
        "env > {} && exec {} --stdio",
        env_file.display(),
        server_binary().display()
    );
    let mut config = server(&format!("command = \"sh\"\nargs = [\"-c\", {script:?}]"));
    config.env.insert("VISIBLE".into(), "yes".into());
    let secrets = SecretPolicy {
        key_vars: vec!["TANDEM_MCP_TEST_KEY".into()],
        passthrough: Vec::new(),
    };
    let mut tandem = Config::defaults();
    tandem.mcp_servers.insert("test".into(), config.clone());
    let (hub, _) = hub_of(&tandem, dir.path(), secrets.clone());
    hub.ready().await;
    let env = std::fs::read_to_string(&env_file).unwrap();
    assert!(!env.contains("secret-value-123"), "{env}");
    assert!(env.contains("VISIBLE=yes"));

    config.env.insert(
        "TANDEM_MCP_TEST_KEY".into(),
        "${TANDEM_MCP_TEST_KEY}".into(),
    );
    tandem.mcp_servers.insert("test".into(), config);
    let (hub2, _) = hub_of(&tandem, dir.path(), secrets);
    hub2.ready().await;
    let env = std::fs::read_to_string(&env_file).unwrap();
    assert!(
        env.contains("TANDEM_MCP_TEST_KEY=secret-value-123"),
        "named in env: passed on"
    );
    drop((hub, hub2));
}

/// A Run session in full-auto on `workspace` with the hub's tools, talking
/// to `model`.
fn run_session(model: &MockServer, hub: &Arc<McpHub>, workspace: &Path) -> SessionHandle {
    let client = HttpModelClient::new(model.client_config(Wire::Anthropic)).unwrap();
    Session::spawn(SessionConfig {
        pane: Pane::Run,
        mode: ApprovalMode::FullAuto,
        can_approve: false,
        system_prompt: "test".into(),
        tools: Registry::core().with_source(hub.clone()),
        ..SessionConfig::basic(
            Arc::new(client),
            "mock-model",
            workspace.canonicalize().unwrap(),
        )
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_model_calls_an_mcp_tool_and_gets_its_result() {
    let dir = tempfile::tempdir().unwrap();
    let (hub, _) = hub(vec![("test", stdio_server())], dir.path());
    let script = r#"
[[reply]]
[[reply.tool_calls]]
id = "m1"
name = "mcp__test__echo"
input = { text = "ping through MCP" }

[[reply]]
text = "done"
"#;
    let model = MockServer::start(Script::from_toml_str(script).unwrap())
        .await
        .unwrap();
    let mut handle = run_session(&model, &hub, dir.path());
    // Sent at once: the first model call waits for the eager server.
    handle.ops.send(Op::UserMessage("use mcp".into())).unwrap();
    let status = loop {
        let event = tokio::time::timeout(Duration::from_secs(30), handle.events.recv())
            .await
            .expect("the session answers")
            .expect("the session is alive");
        if let Event::TaskComplete { status, .. } = event {
            break status;
        }
    };
    assert_eq!(status, TaskStatus::Ok);
    let requests = model.requests();
    let offered: Vec<&str> = requests[0].body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert!(offered.contains(&"mcp__test__echo"), "{offered:?}");
    let result = requests[1].body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|m| m["content"].as_array().cloned().unwrap_or_default())
        .find(|b| b["type"] == "tool_result" && b["tool_use_id"] == "m1")
        .expect("the result goes back to the model");
    assert!(result.to_string().contains("ping through MCP"), "{result}");
    assert_ne!(result["is_error"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lazy_server_starts_when_a_task_begins() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = stdio_server();
    config.startup = tandem::config::McpStartup::Lazy;
    let mut off = stdio_server();
    off.enabled = false;
    let (hub, _) = hub(vec![("test", config), ("off", off)], dir.path());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(state(&hub, "test"), ServerState::NotStarted);
    let registry = Registry::core().with_source(hub.clone());
    assert!(registry.get("mcp__test__echo").is_none());
    registry.prepare().await;
    assert!(matches!(state(&hub, "test"), ServerState::Ready(_)));
    assert_eq!(state(&hub, "off"), ServerState::Disabled);
    assert!(registry.get("mcp__test__echo").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupt_ends_the_wait_for_a_server_still_starting() {
    let dir = tempfile::tempdir().unwrap();
    // A server that never answers, with a long startup timeout: the task's
    // first call would wait for it for 60 s.
    let config = server("command = \"sleep\"\nargs = [\"120\"]\nstartup_timeout_sec = 60");
    let (hub, _) = hub(vec![("mute", config)], dir.path());
    let model = MockServer::start(Script::from_toml_str("[[reply]]\ntext = \"hi\"\n").unwrap())
        .await
        .unwrap();
    let mut handle = run_session(&model, &hub, dir.path());
    handle.ops.send(Op::UserMessage("go".into())).unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let interrupted_at = Instant::now();
    handle.ops.send(Op::Interrupt).unwrap();
    let status = loop {
        let event = tokio::time::timeout(Duration::from_secs(10), handle.events.recv())
            .await
            .expect("the session answers the interrupt")
            .expect("the session is alive");
        if let Event::TaskComplete { status, .. } = event {
            break status;
        }
    };
    assert_eq!(status, TaskStatus::Interrupted);
    assert!(
        interrupted_at.elapsed() < Duration::from_secs(3),
        "took {:?}",
        interrupted_at.elapsed()
    );
    assert!(model.requests().is_empty(), "no model call was made");
}
