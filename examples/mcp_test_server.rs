//! A small MCP server for Tandem's integration tests, written with rmcp's
//! server side: `echo {text}`, `add {a, b}` (read-only), `image` (a PNG),
//! `fail` (an `isError` result), `crash` (the process exits mid-call) and
//! `slow {secs}`.
//!
//! `mcp_test_server [--stdio]` serves on stdin/stdout;
//! `mcp_test_server --http 127.0.0.1:0` serves streamable HTTP and prints
//! its URL on the first line of stdout.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, ContentBlock, ServerCapabilities, ServerConfig};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ServerHandler, ServiceExt, schemars, tool, tool_handler, tool_router};

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
struct EchoArgs {
    /// The text to send back.
    text: String,
}

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
struct AddArgs {
    a: i64,
    b: i64,
}

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
struct SlowArgs {
    /// Seconds to sleep before answering.
    secs: u64,
}

/// A 1×1 transparent PNG, base64.
const PIXEL: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";

#[derive(Debug, Clone)]
struct TestServer {
    tool_router: ToolRouter<Self>,
}

#[tool_router]
impl TestServer {
    fn new() -> Self {
        Self {
            tool_router: Self::tool_router(),
        }
    }

    #[tool(description = "Send the text back")]
    async fn echo(&self, Parameters(EchoArgs { text }): Parameters<EchoArgs>) -> String {
        text
    }

    #[tool(description = "Add two integers", annotations(read_only_hint = true))]
    async fn add(&self, Parameters(AddArgs { a, b }): Parameters<AddArgs>) -> String {
        (a + b).to_string()
    }

    #[tool(description = "Return a small PNG image")]
    async fn image(&self) -> CallToolResult {
        CallToolResult::success(vec![ContentBlock::image(PIXEL, "image/png")])
    }

    #[tool(description = "Always fail")]
    async fn fail(&self) -> CallToolResult {
        CallToolResult::error(vec![ContentBlock::text("this tool always fails")])
    }

    #[tool(description = "Exit the server process in the middle of the call")]
    async fn crash(&self) -> String {
        eprintln!("mcp_test_server: crashing on purpose");
        std::process::exit(3)
    }

    #[tool(description = "Sleep, then answer")]
    async fn slow(&self, Parameters(SlowArgs { secs }): Parameters<SlowArgs>) -> String {
        tokio::time::sleep(Duration::from_secs(secs)).await;
        format!("slept {secs} s")
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for TestServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    eprintln!("mcp_test_server: starting");
    match args.first().map(String::as_str) {
        None | Some("--stdio") => {
            let running = TestServer::new().serve(rmcp::transport::stdio()).await?;
            running.waiting().await?;
        }
        Some("--http") => {
            let addr = args.get(1).map(String::as_str).unwrap_or("127.0.0.1:0");
            serve_http(addr).await?;
        }
        Some(other) => {
            eprintln!("usage: mcp_test_server [--stdio | --http ADDR] (not {other})");
            std::process::exit(2);
        }
    }
    Ok(())
}

/// Serves streamable HTTP at `/mcp` on `addr`, printing the URL first.
async fn serve_http(addr: &str) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("http://{}/mcp", listener.local_addr()?);
    let service = StreamableHttpService::new(
        || Ok(TestServer::new()),
        Arc::new(LocalSessionManager::default()),
        StreamableHttpServerConfig::default(),
    );
    loop {
        let (stream, _) = listener.accept().await?;
        let service = service.clone();
        tokio::spawn(async move {
            let handler = hyper::service::service_fn(move |request| {
                let service = service.clone();
                async move { Ok::<_, Infallible>(service.handle(request).await) }
            });
            let io = hyper_util::rt::TokioIo::new(stream);
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(io, handler)
                .await;
        });
    }
}
