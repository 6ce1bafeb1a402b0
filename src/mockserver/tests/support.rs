//! Helpers shared by the mock server tests: a plain reqwest client, minimal
//! valid request bodies, a raw socket client and an independent SSE parser.

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::mockserver::{MockServer, Script};

/// The three endpoints, for tests that run on every protocol.
pub const PATHS: [&str; 3] = ["/v1/messages", "/v1/responses", "/v1/chat/completions"];

/// A reqwest client with the ring crypto provider installed.
pub fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .build()
        .expect("reqwest client builds")
}

/// A minimal valid streaming request body for the endpoint at `path`.
pub fn body_for(path: &str) -> Value {
    match path {
        "/v1/messages" => json!({
            "model": "claude-test", "max_tokens": 1024, "stream": true,
            "messages": [{"role": "user", "content": "hi"}],
        }),
        "/v1/responses" => json!({
            "model": "gpt-test", "stream": true, "input": "hi",
            "include": ["reasoning.encrypted_content"],
        }),
        _ => json!({
            "model": "gpt-test", "stream": true,
            "stream_options": {"include_usage": true},
            "messages": [{"role": "user", "content": "hi"}],
        }),
    }
}

/// Posts `body` to `path` with the headers a real client sends.
pub async fn post(server: &MockServer, path: &str, body: &Value) -> reqwest::Response {
    client()
        .post(format!("{}{path}", server.base_url()))
        .header("anthropic-version", "2023-06-01")
        .header("x-api-key", "sk-test")
        .header("authorization", "Bearer sk-test")
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("request reaches the mock")
}

/// The body of `resp` parsed as JSON (reqwest is built without its `json`
/// feature).
pub async fn json_of(resp: reqwest::Response) -> Value {
    let text = resp.text().await.expect("body reads");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Starts `script` and posts the minimal body for `path`, returning the
/// status and the whole body text.
pub async fn run_once(script: Script, path: &str) -> (MockServer, u16, String) {
    let server = MockServer::start(script).await.expect("server starts");
    let resp = post(&server, path, &body_for(path)).await;
    let status = resp.status().as_u16();
    let text = resp.text().await.expect("body reads completely");
    (server, status, text)
}

/// One parsed server-sent event.
#[derive(Debug, Clone, PartialEq)]
pub struct Sse {
    pub event: Option<String>,
    pub data: String,
}

impl Sse {
    /// The data as JSON (panics on invalid JSON, with the data shown).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.data)
            .unwrap_or_else(|e| panic!("event data is not JSON ({e}): {}", self.data))
    }
}

/// Parses SSE text per the WHATWG rules this mock relies on: any of the
/// three line endings, `:` comments, blank line dispatch. Returns the events
/// and the number of comment lines.
pub fn parse_sse(text: &str) -> (Vec<Sse>, usize) {
    let normalized = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut events = Vec::new();
    let mut comments = 0;
    let mut event = None;
    let mut data: Option<String> = None;
    for line in normalized.split('\n') {
        if line.is_empty() {
            if let Some(d) = data.take() {
                events.push(Sse {
                    event: event.take(),
                    data: d,
                });
            }
            event = None;
        } else if line.starts_with(':') {
            comments += 1;
        } else if let Some(v) = line.strip_prefix("event:") {
            event = Some(v.trim_start().to_string());
        } else if let Some(v) = line.strip_prefix("data:") {
            let v = v.strip_prefix(' ').unwrap_or(v);
            match &mut data {
                Some(d) => {
                    d.push('\n');
                    d.push_str(v);
                }
                None => data = Some(v.to_string()),
            }
        }
    }
    (events, comments)
}

/// Sends one HTTP/1.1 request over a raw socket and returns every byte of
/// the answer (head and chunked body, undecoded) until the server closes.
pub async fn raw_post(addr: SocketAddr, path: &str, body: &Value) -> Vec<u8> {
    let body = body.to_string();
    let mut stream = TcpStream::connect(addr).await.expect("connects");
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\n\
         anthropic-version: 2023-06-01\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    stream
        .write_all(head.as_bytes())
        .await
        .expect("writes head");
    stream
        .write_all(body.as_bytes())
        .await
        .expect("writes body");
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut out))
        .await
        .expect("server closes the connection")
        .ok();
    out
}

/// Splits a raw HTTP answer into its head and de-chunked body; the flag
/// says whether the final zero-length chunk was present.
pub fn dechunk(raw: &[u8]) -> (String, Vec<u8>, bool) {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("response has a head");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut rest = &raw[split + 4..];
    let mut body = Vec::new();
    loop {
        let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") else {
            return (head, body, false);
        };
        let size = usize::from_str_radix(std::str::from_utf8(&rest[..eol]).unwrap_or("x"), 16);
        let Ok(size) = size else {
            return (head, body, false);
        };
        if size == 0 {
            return (head, body, true);
        }
        let start = eol + 2;
        if rest.len() < start + size {
            body.extend_from_slice(&rest[start..]);
            return (head, body, false);
        }
        body.extend_from_slice(&rest[start..start + size]);
        rest = &rest[(start + size + 2).min(rest.len())..];
    }
}
