//! A server written with the official `mcp` SDK (`tests/peers/mcp_server.py`)
//! driven by Tandem's MCP hub and tools, over stdio and streamable HTTP.

use std::sync::Arc;

use serde_json::json;
use tandem::config::{Config, McpServerConfig};
use tandem::exec::secrets::SecretPolicy;
use tandem::mcp::{McpHub, ServerState};
use tandem::tools::{Registry, ToolContext, ToolOutput};

use super::*;

/// A started hub with the one server `peer`.
fn hub(server: &str, workspace: &Path) -> Arc<McpHub> {
    let mut config = Config::defaults();
    let server: McpServerConfig = toml::from_str(server).unwrap();
    config.mcp_servers.insert("peer".into(), server);
    let (hub, notes) = McpHub::new(
        &config,
        workspace,
        workspace,
        SecretPolicy::default(),
        tokio::runtime::Handle::current(),
    );
    assert!(notes.is_empty(), "{notes:?}");
    hub.start();
    hub
}

async fn call(registry: &Registry, name: &str, input: Value, dir: &Path) -> ToolOutput {
    let names: Vec<String> = registry.specs().into_iter().map(|s| s.name).collect();
    let tool = registry
        .get(name)
        .unwrap_or_else(|| panic!("{name} is offered: {names:?}"));
    tool.run(input, &ToolContext::new(dir.to_path_buf())).await
}

/// What Tandem must make of the SDK's server on any transport: its three
/// tools under Tandem's names, text back, an error as a failed call, an
/// image as a placeholder.
async fn round_trip(hub: Arc<McpHub>, dir: &Path) {
    tokio::time::timeout(Duration::from_secs(30), hub.ready())
        .await
        .expect("the hub settles within its startup timeout");
    let status = hub
        .snapshot()
        .into_iter()
        .find(|s| s.name == "peer")
        .unwrap();
    let ServerState::Ready(mut tools) = status.state else {
        panic!("the SDK's server did not come up: {status:?}");
    };
    tools.sort();
    assert_eq!(
        tools,
        [
            "mcp__peer__picture",
            "mcp__peer__refuse",
            "mcp__peer__shout"
        ]
    );
    let registry = Registry::core().with_source(hub.clone());
    let spec = registry
        .specs()
        .into_iter()
        .find(|s| s.name == "mcp__peer__shout")
        .unwrap();
    assert!(spec.description.contains("in capitals"), "{spec:?}");
    assert_eq!(spec.parameters["properties"]["text"]["type"], "string");

    let shout = call(
        &registry,
        "mcp__peer__shout",
        json!({"text": "hello peer"}),
        dir,
    )
    .await;
    assert_eq!((shout.ok, shout.text.as_str()), (true, "HELLO PEER"));
    let refuse = call(
        &registry,
        "mcp__peer__refuse",
        json!({"reason": "not today"}),
        dir,
    )
    .await;
    assert!(!refuse.ok, "isError is a failed call: {}", refuse.text);
    assert!(
        refuse.text.contains("refused: not today"),
        "{}",
        refuse.text
    );
    let picture = call(&registry, "mcp__peer__picture", json!({}), dir).await;
    assert_eq!(
        (picture.ok, picture.text.as_str()),
        (true, "[image: image/png, 67 bytes]")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_mcp_sdk_server_over_stdio_serves_tandems_client() {
    let Some(py) = peers() else { return };
    let dir = tempfile::tempdir().unwrap();
    let server = format!(
        "command = \"python3\"\nargs = [{:?}]\nenv = {{ PYTHONPATH = {:?} }}\n\
         startup_timeout_sec = 20\ntool_timeout_sec = 20",
        py.script("mcp_server.py").display().to_string(),
        py.python_path.display().to_string(),
    );
    round_trip(hub(&server, dir.path()), dir.path()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_mcp_sdk_server_over_streamable_http_serves_tandems_client() {
    let Some(py) = peers() else { return };
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let script = py.script("mcp_server.py");
    // Killed when dropped, at the end of the test or on a failure.
    let mut child = py
        .python(&[script.to_str().unwrap(), &port.to_string()], &[])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 starts");
    let deadline = std::time::Instant::now() + CHILD_TIMEOUT;
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        if let Some(status) = child.try_wait().unwrap() {
            let mut stderr = String::new();
            use tokio::io::AsyncReadExt;
            let _ = child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut stderr)
                .await;
            panic!("the SDK's HTTP server exited ({status}):\n{stderr}");
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the SDK's HTTP server never listened on port {port}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let server = format!(
        "url = \"http://127.0.0.1:{port}/mcp\"\nstartup_timeout_sec = 20\ntool_timeout_sec = 20"
    );
    round_trip(hub(&server, dir.path()), dir.path()).await;
    child.kill().await.unwrap();
}
