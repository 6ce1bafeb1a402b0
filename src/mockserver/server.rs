//! The loopback HTTP server: routing, request recording, error answers and
//! the paced SSE body.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame as BodyFrame, Incoming};
use hyper::header::{HeaderName, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::{JoinHandle, JoinSet};

use super::frames::{Ending, Frame, add_keepalives, apply_fault};
use super::protocol::Protocol;
use super::ratelimit;
use super::script::{Reply, Resolved, Script, StreamFault};

type Body = BoxBody<Bytes, io::Error>;

/// One request as the server received it, for tests to assert on what the
/// client sent (tool results, thinking signatures, auth headers).
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    /// HTTP method, e.g. `POST`.
    pub method: String,
    /// Request path, e.g. `/v1/messages`.
    pub path: String,
    /// Headers by lowercase name; repeated headers are joined with `, `.
    pub headers: BTreeMap<String, String>,
    /// The parsed JSON body, or `Null` when it was empty or not JSON.
    pub body: Value,
}

impl RecordedRequest {
    /// The value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }
}

/// State shared by every connection of one server.
struct State {
    script: Script,
    /// Index of the next reply; may run past the end once exhausted.
    next: AtomicUsize,
    /// Tokens reported so far, for the rate-limit headers.
    tokens_used: AtomicU64,
    /// Stream bodies still being written or held open.
    open_streams: AtomicUsize,
    requests: Mutex<Vec<RecordedRequest>>,
}

/// A scripted model server on `127.0.0.1`, running on the current tokio
/// runtime until dropped.
///
/// Tests point a real client at [`MockServer::base_url`], then inspect
/// [`MockServer::requests`]; `tandem demo` runs the shipped client against it.
pub struct MockServer {
    addr: SocketAddr,
    state: Arc<State>,
    task: JoinHandle<io::Result<()>>,
}

impl MockServer {
    /// Binds `127.0.0.1:0` and starts serving `script`.
    ///
    /// Remaining `text_file`s are read relative to the working directory;
    /// an invalid script or unreadable file fails with `InvalidInput`.
    pub async fn start(script: Script) -> io::Result<MockServer> {
        MockServer::start_on(script, SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await
    }

    /// Like [`MockServer::start`], on a chosen address.
    pub async fn start_on(script: Script, addr: SocketAddr) -> io::Result<MockServer> {
        let state = prepare(script)?;
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(accept_loop(listener, state.clone()));
        Ok(MockServer { addr, state, task })
    }

    /// A client configuration for this server over `wire`: provider
    /// `mock`, key `k`, two retries and a 5 s idle timeout — what tests of
    /// the real client against the script want.
    pub fn client_config(&self, wire: crate::provider::Wire) -> crate::provider::HttpClientConfig {
        crate::provider::HttpClientConfig {
            provider: "mock".into(),
            wire,
            base_url: self.base_url(),
            api_key: Some("k".into()),
            env_key: None,
            headers: Vec::new(),
            max_retries: 2,
            idle_timeout: Duration::from_secs(5),
        }
    }

    /// `http://127.0.0.1:PORT`, without `/v1` (clients append `/v1/...`).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state
            .requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// How many script replies have been served (errors and faults included,
    /// "exhausted" answers not).
    pub fn replies_served(&self) -> usize {
        self.state
            .next
            .load(Ordering::SeqCst)
            .min(self.state.script.replies.len())
    }

    /// Streams still being written or held open by a stall. Drops to zero
    /// once clients hang up, so tests can check that a cancelled or timed-out
    /// client really closed its connection.
    pub fn open_streams(&self) -> usize {
        self.state.open_streams.load(Ordering::SeqCst)
    }
}

/// Counts one open stream for as long as its producer runs.
struct OpenStream(Arc<State>);

impl OpenStream {
    fn new(state: &Arc<State>) -> OpenStream {
        state.open_streams.fetch_add(1, Ordering::SeqCst);
        OpenStream(state.clone())
    }
}

impl Drop for OpenStream {
    fn drop(&mut self) {
        self.0.open_streams.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        // Aborting the accept loop drops its JoinSet, which aborts every
        // connection; their bodies drop and the body producers stop.
        self.task.abort();
    }
}

/// Serves `script` on `addr` until the listener fails. Prints nothing; for
/// the hidden `tandem mock-server` subcommand.
pub async fn serve_forever(script: Script, addr: SocketAddr) -> io::Result<()> {
    let state = prepare(script)?;
    let listener = TcpListener::bind(addr).await?;
    accept_loop(listener, state).await
}

fn prepare(mut script: Script) -> io::Result<Arc<State>> {
    let invalid = |e| io::Error::new(io::ErrorKind::InvalidInput, e);
    script.validate().map_err(invalid)?;
    script
        .load_text_files(std::path::Path::new("."))
        .map_err(invalid)?;
    Ok(Arc::new(State {
        script,
        next: AtomicUsize::new(0),
        tokens_used: AtomicU64::new(0),
        open_streams: AtomicUsize::new(0),
        requests: Mutex::new(Vec::new()),
    }))
}

async fn accept_loop(listener: TcpListener, state: Arc<State>) -> io::Result<()> {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, _) = accepted?;
                let state = state.clone();
                connections.spawn(async move {
                    let service = service_fn(move |req| handle(state.clone(), req));
                    // A client hanging up mid-stream is an expected outcome here.
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn handle(state: Arc<State>, req: Request<Incoming>) -> Result<Response<Body>, Infallible> {
    let (parts, body) = req.into_parts();
    let bytes = body
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    let parsed: Option<Value> = serde_json::from_slice(&bytes).ok();
    let mut headers = BTreeMap::new();
    for (name, value) in &parts.headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        headers
            .entry(name.as_str().to_ascii_lowercase())
            .and_modify(|v: &mut String| {
                v.push_str(", ");
                v.push_str(&value);
            })
            .or_insert(value);
    }
    let path = parts.uri.path().to_string();
    state
        .requests
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(RecordedRequest {
            method: parts.method.to_string(),
            path: path.clone(),
            headers: headers.clone(),
            body: parsed.clone().unwrap_or(Value::Null),
        });

    // Requests without `anthropic-version` get OpenAI's shapes.
    let shape = if headers.contains_key("anthropic-version") {
        Protocol::Anthropic
    } else {
        Protocol::OpenAiChat
    };
    if let Some(key) = &state.script.api_key
        && !carries_key(&headers, key)
    {
        let body = Protocol::from_path(&path)
            .unwrap_or(shape)
            .error_body(401, None, None);
        return Ok(json_response(StatusCode::UNAUTHORIZED, &body, Vec::new()));
    }
    if parts.method == Method::GET && path == "/v1/models" {
        return Ok(json_response(
            StatusCode::OK,
            &models_body(&state.script),
            Vec::new(),
        ));
    }
    let protocol = match Protocol::from_path(&path) {
        Some(p) if parts.method == Method::POST => p,
        _ => {
            let message = format!(
                "no mock route for {} {path}; the mock serves POST /v1/messages, \
                 /v1/responses and /v1/chat/completions",
                parts.method
            );
            let body = json!({"error": {"message": message, "type": "not_found_error"}});
            return Ok(json_response(StatusCode::NOT_FOUND, &body, Vec::new()));
        }
    };
    let script = &state.script;
    if script.validates_requests() {
        let checked = match &parsed {
            Some(body) => protocol.validate(headers.contains_key("anthropic-version"), body),
            None => Err(protocol.error_body(
                400,
                Some("invalid_request_error"),
                Some("the request body is not valid JSON"),
            )),
        };
        if let Err(body) = checked {
            return Ok(json_response(StatusCode::BAD_REQUEST, &body, Vec::new()));
        }
    }

    let index = state.next.fetch_add(1, Ordering::SeqCst);
    let Some(reply) = script.replies.get(index) else {
        let message = format!(
            "mock script exhausted: all {} replies were served",
            script.replies.len()
        );
        let body = protocol.error_body(500, Some("mock_script_exhausted"), Some(&message));
        return Ok(json_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            &body,
            Vec::new(),
        ));
    };
    let transport = reply.transport(&script.defaults);
    let body = parsed.unwrap_or(Value::Null);
    if reply.is_http_error() {
        return Ok(error_response(&state, protocol, index, reply, transport));
    }
    Ok(stream_response(
        &state,
        protocol,
        index,
        &body,
        bytes.len(),
        transport,
    ))
}

/// Whether the request authenticates with `key`, the way either provider
/// expects it.
fn carries_key(headers: &BTreeMap<String, String>, key: &str) -> bool {
    headers.get("x-api-key").map(String::as_str) == Some(key)
        || headers.get("authorization").map(String::as_str) == Some(&format!("Bearer {key}"))
}

/// The model list both providers answer `GET /v1/models` with (`data` of
/// objects with an `id`).
fn models_body(script: &Script) -> Value {
    let names: Vec<&str> = if script.models.is_empty() {
        vec!["mock-model"]
    } else {
        script.models.iter().map(String::as_str).collect()
    };
    let data: Vec<Value> = names
        .iter()
        .map(|id| json!({"id": id, "object": "model", "type": "model", "display_name": id}))
        .collect();
    json!({"object": "list", "data": data, "has_more": false})
}

fn error_response(
    state: &State,
    protocol: Protocol,
    index: usize,
    reply: &Reply,
    transport: Resolved,
) -> Response<Body> {
    let status = reply.status.unwrap_or(500);
    let mut headers = Vec::new();
    if let Some(secs) = reply.retry_after {
        headers.push(("retry-after".to_string(), secs.to_string()));
    }
    if let Some(ms) = reply.retry_after_ms {
        headers.push(("retry-after-ms".to_string(), ms.to_string()));
    }
    headers.push((
        protocol.request_id_header().to_string(),
        format!("req_mock_{}", index + 1),
    ));
    if transport.rate_limit_headers {
        let used = state.tokens_used.load(Ordering::SeqCst);
        headers.extend(ratelimit::headers(protocol, index + 1, used, status == 429));
    }
    headers.extend(reply.headers.clone());
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match &reply.error_body {
        Some(Value::String(raw)) => {
            headers.insert(
                0,
                ("content-type".into(), "text/plain; charset=utf-8".into()),
            );
            response(status, full(raw.clone()), headers)
        }
        Some(body) => json_response(status, body, headers),
        None => {
            let body = protocol.error_body(
                status.as_u16(),
                reply.error_kind.as_deref(),
                reply.error_message.as_deref(),
            );
            json_response(status, &body, headers)
        }
    }
}

fn stream_response(
    state: &Arc<State>,
    protocol: Protocol,
    index: usize,
    body: &Value,
    body_len: usize,
    transport: Resolved,
) -> Response<Body> {
    let script = &state.script;
    let reply = &script.replies[index];
    let turn = protocol.turn(script, index, body, body_len);
    let used = state
        .tokens_used
        .fetch_add(turn.usage.input + turn.usage.output, Ordering::SeqCst)
        + turn.usage.input
        + turn.usage.output;
    let fault = reply.stream_fault();
    let after = match fault {
        Some(StreamFault::ErrorEvent(n)) => n,
        _ => 0,
    };
    let error_event = protocol.error_event(&turn, after, reply);
    let (frames, ending) = apply_fault(
        protocol.render(&turn),
        fault,
        protocol.malformed(),
        error_event,
    );
    let frames = if transport.comments {
        add_keepalives(frames, protocol.ping())
    } else {
        frames
    };

    let (tx, mut rx) = mpsc::channel(1);
    tokio::spawn(produce(
        frames,
        ending,
        transport,
        tx,
        OpenStream::new(state),
    ));
    let stream = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
    let mut headers = vec![
        (
            "content-type".to_string(),
            "text/event-stream; charset=utf-8".to_string(),
        ),
        ("cache-control".to_string(), "no-cache".to_string()),
        (
            protocol.request_id_header().to_string(),
            format!("req_mock_{}", index + 1),
        ),
    ];
    if transport.rate_limit_headers {
        headers.extend(ratelimit::headers(protocol, index + 1, used, false));
    }
    headers.extend(reply.headers.clone());
    response(
        StatusCode::OK,
        BoxBody::new(StreamBody::new(stream)),
        headers,
    )
}

type Chunk = Result<BodyFrame<Bytes>, io::Error>;

/// Writes the frames into the body channel, paced and split as scripted,
/// then ends the body the scripted way; `_open` is released on return.
async fn produce(
    frames: Vec<Frame>,
    ending: Ending,
    transport: Resolved,
    tx: mpsc::Sender<Chunk>,
    _open: OpenStream,
) {
    for (i, frame) in frames.iter().enumerate() {
        if i > 0 && transport.delay_ms > 0 {
            tokio::time::sleep(Duration::from_millis(transport.delay_ms)).await;
        }
        let bytes = Bytes::from(frame.encode(transport.line_ending));
        let pieces = match transport.write_chunk_bytes {
            Some(n) => bytes.chunks(n).map(Bytes::copy_from_slice).collect(),
            None => vec![bytes],
        };
        for piece in pieces {
            if tx.send(Ok(BodyFrame::data(piece))).await.is_err() {
                return;
            }
            // Give the connection task a turn to flush this piece on its own.
            tokio::task::yield_now().await;
        }
    }
    match ending {
        Ending::Clean => {}
        Ending::Abort => {
            // Let hyper flush what was sent before the body error discards
            // its write buffer and drops the connection.
            tokio::time::sleep(Duration::from_millis(20)).await;
            let broken = io::Error::new(io::ErrorKind::ConnectionAborted, "scripted truncation");
            let _ = tx.send(Err(broken)).await;
        }
        Ending::Stall => tx.closed().await,
    }
}

fn full(body: impl Into<Bytes>) -> Body {
    BoxBody::new(Full::new(body.into()).map_err(|never| match never {}))
}

fn json_response(
    status: StatusCode,
    body: &Value,
    mut headers: Vec<(String, String)>,
) -> Response<Body> {
    headers.insert(0, ("content-type".into(), "application/json".into()));
    response(status, full(body.to_string()), headers)
}

fn response(status: StatusCode, body: Body, headers: Vec<(String, String)>) -> Response<Body> {
    let mut resp = Response::new(body);
    *resp.status_mut() = status;
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            resp.headers_mut().insert(name, value);
        }
    }
    resp
}
