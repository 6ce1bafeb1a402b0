//! The HTTP driver shared by all wire protocols.
//!
//! One attempt: POST the wire's JSON body, report rate-limit headers, then
//! read the body chunk by chunk under an idle timeout, decode SSE and hand
//! each event to the wire decoder. Failures that a retry can fix (429/5xx,
//! connection errors, stalls, truncated streams, overloaded errors) are
//! retried with backoff ([`RetryPolicy`]); output a failed attempt already
//! delivered is not delivered twice (see `Dedup`). Every await races the
//! caller's cancellation token so an interrupt ends the call at once.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::ratelimit::{parse_rate_limits, parse_retry_after};
use super::retry::{RetryPolicy, is_retryable_status};
use super::sse::{SseDecoder, SseEvent};
use super::wire::{WireDecoder, WireError, WireProtocol};
use super::{ModelClient, ModelRequest, ModelStream, ProviderError, StreamEvent, Usage, Wire};

/// How much of an error response body is read to find its message.
const ERROR_BODY_LIMIT: usize = 64 * 1024;
/// How long opening a TCP (and TLS) connection may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Events buffered between the driver task and the consumer.
const CHANNEL_CAPACITY: usize = 64;

/// Where and how to reach one provider.
///
/// `Debug` prints the key as `[redacted]` and only the names of extra
/// headers, so a logged config never leaks a credential.
#[derive(Clone)]
pub struct HttpClientConfig {
    /// Provider name for messages (`anthropic`, `my-relay`, ...).
    pub provider: String,
    pub wire: Wire,
    /// Base URL, with or without a trailing `/v1`.
    pub base_url: String,
    pub api_key: Option<String>,
    /// The env var the key should come from, named in 401 messages.
    pub env_key: Option<String>,
    /// Extra headers sent with every request.
    pub headers: Vec<(String, String)>,
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// No byte for this long ends the attempt.
    pub idle_timeout: std::time::Duration,
}

impl std::fmt::Debug for HttpClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClientConfig")
            .field("provider", &self.provider)
            .field("wire", &self.wire)
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "[redacted]"))
            .field("env_key", &self.env_key)
            // Extra headers may carry relay credentials: names only.
            .field(
                "headers",
                &self.headers.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .field("max_retries", &self.max_retries)
            .field("idle_timeout", &self.idle_timeout)
            .finish()
    }
}

/// The endpoint for `path` under `base_url`: `{base}/v1/{path}`, where a
/// base that already ends in `/v1` (or `/v1/`) does not get a second one,
/// because users paste both forms (`https://api.openai.com/v1`,
/// `http://localhost:11434`).
pub fn endpoint_url(base_url: &str, path: &str) -> String {
    let base = base_url.trim_end_matches('/');
    let base = base.strip_suffix("/v1").unwrap_or(base);
    format!("{base}/v1/{}", path.trim_start_matches('/'))
}

/// A [`ModelClient`] over HTTP for any [`Wire`].
///
/// Cheap to clone: clones share one connection pool.
#[derive(Clone)]
pub struct HttpModelClient {
    driver: Arc<Driver>,
}

impl HttpModelClient {
    /// Builds a client; no connection is made until the first call.
    ///
    /// Fails when a header (including the API key) is not a valid HTTP
    /// header value; the message never contains the key.
    pub fn new(config: HttpClientConfig) -> anyhow::Result<Self> {
        let protocol = config.wire.protocol();
        Self::with_protocol(config, protocol)
    }

    /// Builds a client for an explicit protocol implementation, so that the
    /// driver can be tested with a protocol that is not one of [`Wire`]'s.
    fn with_protocol(
        config: HttpClientConfig,
        protocol: &'static dyn WireProtocol,
    ) -> anyhow::Result<Self> {
        // reqwest is built without a default crypto provider; ring is ours.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .tcp_nodelay(true)
            .user_agent(concat!("tandem/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let headers = request_headers(&config, protocol)?;
        Ok(Self {
            driver: Arc::new(Driver {
                url: endpoint_url(&config.base_url, protocol.path()),
                policy: RetryPolicy::with_max_retries(config.max_retries),
                config,
                protocol,
                http,
                headers,
            }),
        })
    }

    /// Replaces the retry timing (and count, which otherwise comes from
    /// `config.max_retries`); tests and the demo use short delays.
    pub fn with_retry_policy(self, policy: RetryPolicy) -> Self {
        let d = &self.driver;
        Self {
            driver: Arc::new(Driver {
                config: d.config.clone(),
                protocol: d.protocol,
                http: d.http.clone(),
                headers: d.headers.clone(),
                url: d.url.clone(),
                policy,
            }),
        }
    }

    /// The endpoint requests go to, for diagnostics (`tandem doctor`, logs).
    pub fn url(&self) -> &str {
        &self.driver.url
    }

    /// Asks the provider for its models (`GET /v1/models`, which Anthropic,
    /// OpenAI, Ollama, llama.cpp, vLLM and relays all serve) with this
    /// client's key and headers, within `timeout`: the cheapest call that
    /// proves the server answers and accepts the key (`tandem doctor`).
    pub async fn list_models(&self, timeout: Duration) -> ModelsProbe {
        let d = &self.driver;
        let url = endpoint_url(&d.config.base_url, "models");
        let mut headers = d.headers.clone();
        headers.insert(
            reqwest::header::ACCEPT,
            HeaderValue::from_static("application/json"),
        );
        headers.remove(reqwest::header::CONTENT_TYPE);
        let request = d.http.get(&url).headers(headers).timeout(timeout).send();
        let response = match request.await {
            Ok(response) => response,
            Err(e) => {
                let what = if e.is_timeout() {
                    format!("no answer within {} s", timeout.as_secs())
                } else {
                    format!("cannot connect: {}", cause_chain(&e))
                };
                return ModelsProbe::Unreachable(format!("{url}: {what}"));
            }
        };
        let status = response.status().as_u16();
        let body = response.bytes().await.unwrap_or_default();
        if status == 401 || status == 403 {
            return ModelsProbe::Rejected {
                status,
                message: error_message(&body, status),
            };
        }
        if !(200..300).contains(&status) {
            return ModelsProbe::Failed {
                status,
                message: error_message(&body, status),
            };
        }
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        let models = json
            .get("data")
            .or_else(|| json.get("models"))
            .and_then(|v| v.as_array())
            .map(|list| {
                list.iter()
                    .filter_map(|m| m.get("id").or_else(|| m.get("name"))?.as_str())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        ModelsProbe::Listed(models)
    }
}

/// What [`HttpModelClient::list_models`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelsProbe {
    /// The server answered with its models (possibly none it would name).
    Listed(Vec<String>),
    /// 401/403: the key is missing, wrong or not allowed; the provider's
    /// own message.
    Rejected { status: u16, message: String },
    /// Another HTTP error (a relay without `/models` answers 404).
    Failed { status: u16, message: String },
    /// No HTTP answer at all (DNS, refused, TLS, timeout).
    Unreachable(String),
}

impl ModelClient for HttpModelClient {
    fn provider_name(&self) -> &str {
        &self.driver.config.provider
    }

    /// Spawns the call on the current tokio runtime (must be called from
    /// within one).
    fn stream(&self, request: ModelRequest, cancel: CancellationToken) -> ModelStream {
        let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
        let driver = Arc::clone(&self.driver);
        tokio::spawn(async move { driver.run(request, Out { tx, cancel }).await });
        rx
    }
}

/// Protocol headers, then configured extras (which may override them), then
/// the content negotiation headers every call needs.
fn request_headers(
    config: &HttpClientConfig,
    protocol: &dyn WireProtocol,
) -> anyhow::Result<HeaderMap> {
    let mut map = HeaderMap::new();
    let key = config.api_key.as_deref().filter(|k| !k.is_empty());
    let pairs = protocol
        .headers(key)
        .into_iter()
        .map(|(n, v)| (n.to_owned(), v))
        .chain(config.headers.iter().cloned())
        .chain([
            ("content-type".to_owned(), "application/json".to_owned()),
            ("accept".to_owned(), "text/event-stream".to_owned()),
        ]);
    for (name, value) in pairs {
        let header = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| anyhow::anyhow!("invalid HTTP header name {name:?}"))?;
        let secret = key.is_some_and(|k| value.contains(k));
        let mut value = HeaderValue::from_str(&value).map_err(|_| {
            if secret {
                anyhow::anyhow!(
                    "the API key for provider `{}` contains characters not allowed in an HTTP header",
                    config.provider
                )
            } else {
                anyhow::anyhow!("header `{name}` has a value not allowed in HTTP")
            }
        })?;
        value.set_sensitive(secret);
        map.insert(header, value);
    }
    Ok(map)
}

/// Everything one provider's calls share.
struct Driver {
    config: HttpClientConfig,
    protocol: &'static dyn WireProtocol,
    http: reqwest::Client,
    headers: HeaderMap,
    url: String,
    policy: RetryPolicy,
}

/// Why an attempt ended without completing the call.
#[derive(Debug)]
enum Failure {
    /// Worth another attempt; `retry_after` is the server's requested wait.
    Retry {
        error: ProviderError,
        retry_after: Option<Duration>,
    },
    /// Retrying cannot help.
    Fatal(ProviderError),
    /// The caller cancelled.
    Cancelled,
    /// The consumer dropped the stream; nobody is listening.
    Gone,
}

impl Failure {
    fn retry(error: ProviderError) -> Self {
        Failure::Retry {
            error,
            retry_after: None,
        }
    }
}

/// The sending side of a call, with its cancellation token.
struct Out {
    tx: mpsc::Sender<Result<StreamEvent, ProviderError>>,
    cancel: CancellationToken,
}

impl Out {
    /// Sends one item unless the call is cancelled or abandoned first.
    async fn send(&self, item: Result<StreamEvent, ProviderError>) -> Result<(), Failure> {
        tokio::select! {
            biased;
            _ = self.cancel.cancelled() => Err(Failure::Cancelled),
            sent = self.tx.send(item) => sent.map_err(|_| Failure::Gone),
        }
    }

    /// Best-effort final `Cancelled`: a consumer that stopped reading must
    /// not keep the task alive.
    async fn send_cancelled(&self) {
        let send = self.tx.send(Err(ProviderError::Cancelled));
        let _ = tokio::time::timeout(Duration::from_secs(1), send).await;
    }
}

impl Driver {
    /// The whole call: attempts, backoff, and the final error if any.
    async fn run(&self, request: ModelRequest, out: Out) {
        let body = serde_json::to_vec(&self.protocol.body(&request))
            .map(Bytes::from)
            .expect("a serde_json::Value always serializes");
        let mut dedup = Dedup::default();
        let mut retries = 0u32;
        loop {
            let (error, retry_after) = match self.attempt(&body, &out, &mut dedup).await {
                Ok(()) | Err(Failure::Gone) => return,
                Err(Failure::Cancelled) => return out.send_cancelled().await,
                Err(Failure::Fatal(error)) => return self.fail(&out, error).await,
                Err(Failure::Retry { error, retry_after }) => (error, retry_after),
            };
            if retries >= self.policy.max_retries {
                let error = ProviderError::RetriesExhausted {
                    attempts: retries + 1,
                    last: Box::new(error),
                };
                return self.fail(&out, error).await;
            }
            retries += 1;
            let delay = self.policy.delay(retries, retry_after);
            tracing::debug!(provider = %self.config.provider, retries, ?delay, %error, "retrying model call");
            let retrying = StreamEvent::Retrying {
                attempt: retries,
                delay,
                reason: error.to_string(),
            };
            match out.send(Ok(retrying)).await {
                Ok(()) => {}
                Err(Failure::Cancelled) => return out.send_cancelled().await,
                Err(_) => return,
            }
            tokio::select! {
                biased;
                _ = out.cancel.cancelled() => return out.send_cancelled().await,
                _ = out.tx.closed() => return,
                _ = tokio::time::sleep(delay) => {}
            }
            dedup.begin_attempt();
        }
    }

    async fn fail(&self, out: &Out, error: ProviderError) {
        if let Err(Failure::Cancelled) = out.send(Err(error)).await {
            out.send_cancelled().await;
        }
    }

    /// Races `fut` against cancellation, the consumer going away and the
    /// idle timeout.
    async fn guarded<F: Future>(&self, out: &Out, fut: F) -> Result<F::Output, Failure> {
        tokio::select! {
            biased;
            _ = out.cancel.cancelled() => Err(Failure::Cancelled),
            _ = out.tx.closed() => Err(Failure::Gone),
            r = tokio::time::timeout(self.config.idle_timeout, fut) => r.map_err(|_| {
                Failure::retry(ProviderError::Idle {
                    provider: self.config.provider.clone(),
                    secs: self.config.idle_timeout.as_millis().div_ceil(1000) as u64,
                })
            }),
        }
    }

    /// One HTTP request and its response.
    async fn attempt(&self, body: &Bytes, out: &Out, dedup: &mut Dedup) -> Result<(), Failure> {
        let request = self
            .http
            .post(&self.url)
            .headers(self.headers.clone())
            .body(body.clone());
        let response = self
            .guarded(out, request.send())
            .await?
            .map_err(|e| self.connect_failure(&e))?;
        let now = SystemTime::now();
        let limits = parse_rate_limits(response.headers(), now);
        if !limits.is_empty() {
            out.send(Ok(StreamEvent::RateLimits(limits.clone())))
                .await?;
        }
        let request_id = ["request-id", "x-request-id"]
            .iter()
            .find_map(|name| response.headers().get(*name)?.to_str().ok())
            .map(|id| id.trim().chars().take(200).collect::<String>())
            .filter(|id| !id.is_empty());
        if let Some(id) = request_id {
            out.send(Ok(StreamEvent::RequestId(id))).await?;
        }
        let status = response.status().as_u16();
        if !response.status().is_success() {
            let retry_after = parse_retry_after(response.headers(), now);
            let body = self.read_bounded(response, out).await?;
            let mut failure = self.status_failure(status, &body, retry_after);
            if status == 429 {
                // Say when the limit lifts, not just "429".
                let reset = retry_after.or_else(|| exhausted_window_reset(&limits));
                failure.add_reset_time(reset);
            }
            return Err(failure);
        }
        let is_json = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if is_json {
            // A relay answering a streaming request with one JSON document
            // (usually an error wrapped in a 200) will never stream.
            let body = self.read_bounded(response, out).await?;
            return Err(Failure::Fatal(ProviderError::Malformed {
                provider: self.config.provider.clone(),
                message: format!(
                    "expected an event stream but got JSON: {}",
                    self.redact(error_message(&body, status))
                ),
            }));
        }
        self.read_stream(response, out, dedup).await
    }

    /// Reads up to [`ERROR_BODY_LIMIT`] bytes; a body that breaks or stalls
    /// yields what arrived so far.
    async fn read_bounded(
        &self,
        mut response: reqwest::Response,
        out: &Out,
    ) -> Result<Vec<u8>, Failure> {
        let mut body = Vec::new();
        while body.len() < ERROR_BODY_LIMIT {
            match self.guarded(out, response.chunk()).await {
                Ok(Ok(Some(chunk))) => {
                    let room = ERROR_BODY_LIMIT - body.len();
                    body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                }
                Err(Failure::Cancelled) => return Err(Failure::Cancelled),
                _ => break,
            }
        }
        Ok(body)
    }

    /// Streams a 2xx body through the SSE and wire decoders.
    async fn read_stream(
        &self,
        mut response: reqwest::Response,
        out: &Out,
        dedup: &mut Dedup,
    ) -> Result<(), Failure> {
        let mut sse = SseDecoder::new().lenient_eof(true);
        let mut wire = self.protocol.decoder();
        let mut events = Vec::new();
        let mut batch = Batch::default();
        loop {
            let chunk = match self.guarded(out, response.chunk()).await? {
                Ok(Some(chunk)) => chunk,
                Ok(None) => break,
                Err(e) => {
                    tracing::debug!(provider = %self.config.provider, error = %e, "stream broke");
                    return Err(Failure::retry(self.truncated()));
                }
            };
            sse.push(&chunk, &mut events);
            for event in events.drain(..) {
                if self
                    .on_event(&mut *wire, &event, &mut batch, out, dedup)
                    .await?
                {
                    return Ok(());
                }
            }
        }
        sse.finish(&mut events);
        for event in events.drain(..) {
            if self
                .on_event(&mut *wire, &event, &mut batch, out, dedup)
                .await?
            {
                return Ok(());
            }
        }
        let ended = wire.on_end(&mut batch.produced);
        if batch.forward(out, dedup).await? {
            return Ok(());
        }
        ended.map_err(|e| self.wire_failure(e))?;
        // The protocol accepted the end but never said stop: the consumer
        // would wait for a Stop that cannot come.
        Err(Failure::retry(self.truncated()))
    }

    /// Decodes one SSE event and forwards what it produced; true once the
    /// response is complete.
    async fn on_event(
        &self,
        wire: &mut dyn WireDecoder,
        event: &SseEvent,
        batch: &mut Batch,
        out: &Out,
        dedup: &mut Dedup,
    ) -> Result<bool, Failure> {
        let decoded = wire.on_event(event, &mut batch.produced);
        // Events decoded before an error are still part of the output.
        let stopped = batch.forward(out, dedup).await?;
        decoded.map_err(|e| self.wire_failure(e))?;
        Ok(stopped)
    }

    fn truncated(&self) -> ProviderError {
        ProviderError::Truncated {
            provider: self.config.provider.clone(),
        }
    }

    fn wire_failure(&self, error: WireError) -> Failure {
        let provider = self.config.provider.clone();
        match error {
            WireError::Api {
                kind,
                message,
                retryable,
            } => {
                let error = ProviderError::Api {
                    provider,
                    kind,
                    message: self.redact(message),
                };
                if retryable {
                    Failure::retry(error)
                } else {
                    Failure::Fatal(error)
                }
            }
            WireError::Malformed(message) => Failure::Fatal(ProviderError::Malformed {
                provider,
                message: self.redact(message),
            }),
            WireError::Truncated => Failure::retry(self.truncated()),
        }
    }

    fn connect_failure(&self, error: &reqwest::Error) -> Failure {
        let message = cause_chain(error);
        let error_value = ProviderError::Connect {
            provider: self.config.provider.clone(),
            url: self.url.clone(),
            message: self.redact(message),
        };
        if error.is_builder() {
            Failure::Fatal(error_value)
        } else {
            Failure::retry(error_value)
        }
    }

    fn status_failure(&self, status: u16, body: &[u8], retry_after: Option<Duration>) -> Failure {
        // (429s get their reset time added by the caller.)
        let provider = self.config.provider.clone();
        let message = self.redact(error_message(body, status));
        match status {
            401 | 403 => Failure::Fatal(ProviderError::Auth {
                provider,
                status,
                message,
                hint: self.auth_hint(),
            }),
            s if is_retryable_status(s) => Failure::Retry {
                error: ProviderError::Status {
                    provider,
                    status,
                    message,
                },
                retry_after,
            },
            _ => Failure::Fatal(ProviderError::Status {
                provider,
                status,
                message,
            }),
        }
    }

    /// What to do about a rejected key: name the variable to set.
    fn auth_hint(&self) -> String {
        let has_key = self
            .config
            .api_key
            .as_deref()
            .is_some_and(|k| !k.is_empty());
        match (&self.config.env_key, has_key) {
            (Some(var), true) => format!("Set {var} to a valid key"),
            (Some(var), false) => format!("No API key is configured: set {var}"),
            (None, _) => format!(
                "Check the API key configured for provider `{}`",
                self.config.provider
            ),
        }
    }

    /// Removes the API key from text a server sent back (some echo it).
    fn redact(&self, text: String) -> String {
        match self.config.api_key.as_deref() {
            Some(key) if key.len() >= 4 && text.contains(key) => text.replace(key, "[redacted]"),
            _ => text,
        }
    }
}

/// What broke in a failed request: its causes joined (the top-level
/// message only repeats the URL), or the error itself when it has none.
fn cause_chain(error: &reqwest::Error) -> String {
    let mut causes = Vec::new();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        causes.push(cause.to_string());
        source = cause.source();
    }
    if causes.is_empty() {
        error.to_string()
    } else {
        causes.join(": ")
    }
}

/// The provider's error message from an error body: `{"error":{"message"}}`
/// (OpenAI, Anthropic), `{"error":"..."}` (Ollama, llama.cpp),
/// `{"message":...}` or `{"detail":...}` (relays, vLLM); otherwise the
/// start of the body text, or the status reason when the body is empty.
pub fn error_message(body: &[u8], status: u16) -> String {
    if let Ok(json) = serde_json::from_slice::<serde_json::Value>(body) {
        let found = json
            .pointer("/error/message")
            .or_else(|| json.get("error"))
            .or_else(|| json.get("message"))
            .or_else(|| json.get("detail"))
            .and_then(|v| v.as_str());
        if let Some(message) = found {
            return message.trim().to_owned();
        }
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return reqwest::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("no error message")
            .to_owned();
    }
    const MAX_CHARS: usize = 300;
    match text.char_indices().nth(MAX_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// Stream events decoded from one SSE event, on their way out.
#[derive(Default)]
struct Batch {
    produced: Vec<StreamEvent>,
    emit: Vec<StreamEvent>,
}

impl Batch {
    /// Sends what the dedup filter lets through; true once `Stop` went out
    /// (anything after it is dropped: the stream ends at `Stop`).
    async fn forward(&mut self, out: &Out, dedup: &mut Dedup) -> Result<bool, Failure> {
        for event in self.produced.drain(..) {
            let is_stop = matches!(event, StreamEvent::Stop(_));
            dedup.filter(event, &mut self.emit);
            for item in self.emit.drain(..) {
                out.send(Ok(item)).await?;
            }
            if is_stop {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// A stream of output the consumer keeps apart: visible text, each reasoning
/// block, each tool call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Channel {
    Text,
    Reasoning(usize),
    Call(usize),
}

#[derive(Debug, Default, Clone, PartialEq)]
struct ChannelState {
    /// The tool name from `ToolCallStart`.
    name: Option<String>,
    /// The deltas so far, concatenated.
    text: String,
    /// `(name, full text)` from the completion event.
    done: Option<(String, String)>,
}

/// The output of a call (or attempt) so far, per channel.
#[derive(Debug, Default)]
struct Content {
    channels: BTreeMap<Channel, ChannelState>,
    /// Number of reasoning blocks completed, i.e. the current block's index.
    reasoning_blocks: usize,
    usage: Option<Usage>,
}

impl Content {
    fn is_empty(&self) -> bool {
        self.channels.is_empty() && self.usage.is_none()
    }

    /// Folds one event in; returns the channel it belongs to.
    fn apply(&mut self, event: &StreamEvent) -> Option<Channel> {
        let channel = match event {
            StreamEvent::TextDelta(_) => Channel::Text,
            StreamEvent::ReasoningDelta(_) => Channel::Reasoning(self.reasoning_blocks),
            StreamEvent::ReasoningDone(_) => {
                self.reasoning_blocks += 1;
                Channel::Reasoning(self.reasoning_blocks - 1)
            }
            StreamEvent::ToolCallStart { index, .. }
            | StreamEvent::ToolCallDelta { index, .. }
            | StreamEvent::ToolCallDone { index, .. } => Channel::Call(*index),
            StreamEvent::Usage(u) => {
                self.usage = Some(*u);
                return None;
            }
            _ => return None,
        };
        let state = self.channels.entry(channel).or_default();
        match event {
            StreamEvent::TextDelta(d)
            | StreamEvent::ReasoningDelta(d)
            | StreamEvent::ToolCallDelta { delta: d, .. } => state.text.push_str(d),
            StreamEvent::ReasoningDone(r) => state.done = Some((String::new(), r.text.clone())),
            StreamEvent::ToolCallStart { name, .. } => state.name = Some(name.clone()),
            StreamEvent::ToolCallDone { call, .. } => {
                state.done = Some((call.name.clone(), call.arguments.clone()))
            }
            _ => {}
        }
        Some(channel)
    }
}

/// What to do with one event of a retried attempt.
enum Verdict {
    /// The consumer already has it.
    Suppress,
    /// Send this (the event, or the new tail of a delta).
    Forward(Box<StreamEvent>),
    /// The attempt says something else than what was sent: start over.
    Diverge,
}

/// Hides repeated output when a call is retried.
///
/// `forwarded` is what the consumer holds since the last `Reset`. While a
/// retried attempt repeats it, its events are suppressed; where it goes
/// beyond, only the new part is sent. If it contradicts what was sent (a
/// different token, a different tool, or it ends shorter), the consumer gets
/// one `Reset` and then the retried attempt from its beginning, which is why
/// the attempt's events are logged while replaying. Completion events are
/// sent once: a second `ToolCallDone` or `ReasoningDone` for the same block
/// would add a duplicate part in the consumer's accumulator.
#[derive(Debug, Default)]
struct Dedup {
    forwarded: Content,
    current: Content,
    log: Vec<StreamEvent>,
    replaying: bool,
}

impl Dedup {
    /// A new attempt starts; compare it against what was forwarded.
    fn begin_attempt(&mut self) {
        self.current = Content::default();
        self.log.clear();
        self.replaying = !self.forwarded.is_empty();
    }

    /// Appends to `emit` what the consumer should see of `event`.
    fn filter(&mut self, event: StreamEvent, emit: &mut Vec<StreamEvent>) {
        if matches!(
            event,
            StreamEvent::RateLimits(_)
                | StreamEvent::RequestId(_)
                | StreamEvent::Retrying { .. }
                | StreamEvent::Reset
        ) {
            emit.push(event);
            return;
        }
        let channel = self.current.apply(&event);
        if !self.replaying {
            self.forwarded.apply(&event);
            emit.push(event);
            return;
        }
        let verdict = self.judge(&event, channel);
        self.log.push(event);
        match verdict {
            Verdict::Suppress => {}
            Verdict::Forward(event) => emit.push(*event),
            Verdict::Diverge => {
                emit.push(StreamEvent::Reset);
                self.forwarded = Content::default();
                for event in self.log.drain(..) {
                    self.forwarded.apply(&event);
                    emit.push(event);
                }
                self.replaying = false;
            }
        }
    }

    /// Compares the (already applied) event with what was forwarded, and
    /// records in `forwarded` whatever it lets through.
    fn judge(&mut self, event: &StreamEvent, channel: Option<Channel>) -> Verdict {
        let cur = channel.and_then(|ch| self.current.channels.get(&ch));
        match (event, channel, cur) {
            (
                StreamEvent::TextDelta(delta)
                | StreamEvent::ReasoningDelta(delta)
                | StreamEvent::ToolCallDelta { delta, .. },
                Some(ch),
                Some(cur),
            ) => {
                let fw = self.forwarded.channels.entry(ch).or_default();
                // Earlier deltas of this attempt already matched, so only the
                // new delta's bytes need comparing.
                let start = cur.text.len() - delta.len();
                let overlap = fw.text.len().min(cur.text.len()).saturating_sub(start);
                if fw.text.len() < start
                    || delta.as_bytes()[..overlap] != fw.text.as_bytes()[start..start + overlap]
                {
                    return Verdict::Diverge;
                }
                if cur.text.len() <= fw.text.len() {
                    return Verdict::Suppress;
                }
                match (&fw.done, delta.get(overlap..)) {
                    (None, Some(tail)) => {
                        fw.text.push_str(tail);
                        Verdict::Forward(Box::new(with_delta(event, tail)))
                    }
                    _ => Verdict::Diverge,
                }
            }
            (StreamEvent::ToolCallStart { name, .. }, Some(ch), _) => {
                let fw = self.forwarded.channels.entry(ch).or_default();
                match &fw.name {
                    None => {
                        fw.name = Some(name.clone());
                        Verdict::Forward(Box::new(event.clone()))
                    }
                    Some(sent) if sent == name => Verdict::Suppress,
                    Some(_) => Verdict::Diverge,
                }
            }
            (
                StreamEvent::ToolCallDone { .. } | StreamEvent::ReasoningDone(_),
                Some(ch),
                Some(cur),
            ) => {
                let fw = self.forwarded.channels.entry(ch).or_default();
                match &fw.done {
                    Some(sent) if Some(sent) == cur.done.as_ref() => Verdict::Suppress,
                    Some(_) => Verdict::Diverge,
                    None if fw.text == cur.text => {
                        fw.done = cur.done.clone();
                        Verdict::Forward(Box::new(event.clone()))
                    }
                    None => Verdict::Diverge,
                }
            }
            (StreamEvent::Usage(usage), _, _) => {
                if self.forwarded.usage == Some(*usage) {
                    Verdict::Suppress
                } else {
                    self.forwarded.usage = Some(*usage);
                    Verdict::Forward(Box::new(event.clone()))
                }
            }
            (StreamEvent::Stop(_), _, _) => {
                let complete = self.forwarded.channels.iter().all(|(ch, fw)| {
                    self.current.channels.get(ch).is_some_and(|cur| {
                        cur.text.len() == fw.text.len() && (fw.done.is_none() || cur.done.is_some())
                    })
                });
                if complete {
                    Verdict::Forward(Box::new(event.clone()))
                } else {
                    Verdict::Diverge
                }
            }
            _ => Verdict::Forward(Box::new(event.clone())),
        }
    }
}

/// The same kind of delta event carrying `text` instead.
fn with_delta(event: &StreamEvent, text: &str) -> StreamEvent {
    match event {
        StreamEvent::ReasoningDelta(_) => StreamEvent::ReasoningDelta(text.to_owned()),
        StreamEvent::ToolCallDelta { index, .. } => StreamEvent::ToolCallDelta {
            index: *index,
            delta: text.to_owned(),
        },
        _ => StreamEvent::TextDelta(text.to_owned()),
    }
}

/// When the tightest exhausted rate-limit window resets (the earliest reset
/// of a window with nothing remaining), from a 429's headers.
fn exhausted_window_reset(limits: &super::types::RateLimitSnapshot) -> Option<Duration> {
    [
        &limits.requests,
        &limits.tokens,
        &limits.input_tokens,
        &limits.output_tokens,
    ]
    .into_iter()
    .flatten()
    .filter(|w| w.remaining == Some(0))
    .filter_map(|w| w.reset_after)
    .min()
}

/// "42 s", "3 min 5 s", "1 h 12 min".
fn human_duration(d: Duration) -> String {
    let secs = d.as_secs().max(1);
    match secs {
        0..=59 => format!("{secs} s"),
        60..=3599 => match secs % 60 {
            0 => format!("{} min", secs / 60),
            s => format!("{} min {s} s", secs / 60),
        },
        _ => format!("{} h {} min", secs / 3600, secs % 3600 / 60),
    }
}

impl Failure {
    /// Adds "rate limited: resets in 42 s" to a 429's message.
    fn add_reset_time(&mut self, reset: Option<Duration>) {
        let error = match self {
            Failure::Retry { error, .. } | Failure::Fatal(error) => error,
            Failure::Cancelled | Failure::Gone => return,
        };
        if let ProviderError::Status { message, .. } = error {
            match reset {
                Some(reset) => message.push_str(&format!(
                    " (rate limited: the limit resets in {})",
                    human_duration(reset)
                )),
                None => message
                    .push_str(" (rate limited; the server did not say when the limit resets)"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Instant;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    use super::*;
    use crate::provider::{Accumulator, Reasoning, StopReason, ToolCall};

    // ---- a test protocol: `data: {"t":"..."}` is text, `event: done` stops

    struct TestWire;

    impl WireProtocol for TestWire {
        fn path(&self) -> &'static str {
            "test/stream"
        }
        fn headers(&self, api_key: Option<&str>) -> Vec<(&'static str, String)> {
            api_key
                .map(|k| vec![("x-api-key", k.to_owned())])
                .unwrap_or_default()
        }
        fn body(&self, request: &ModelRequest) -> serde_json::Value {
            serde_json::json!({ "model": request.model, "stream": true })
        }
        fn decoder(&self) -> Box<dyn WireDecoder> {
            Box::new(TestDecoder { done: false })
        }
    }

    struct TestDecoder {
        done: bool,
    }

    impl WireDecoder for TestDecoder {
        fn on_event(
            &mut self,
            event: &SseEvent,
            out: &mut Vec<StreamEvent>,
        ) -> Result<(), WireError> {
            match event.event.as_str() {
                "done" => {
                    self.done = true;
                    out.push(StreamEvent::Stop(StopReason::EndTurn));
                }
                "error" => {
                    return Err(WireError::Api {
                        kind: event.data.clone(),
                        message: "the server is busy".into(),
                        retryable: event.data == "overloaded_error",
                    });
                }
                _ => {
                    let v: serde_json::Value = serde_json::from_str(&event.data)
                        .map_err(|e| WireError::Malformed(e.to_string()))?;
                    let t = v["t"].as_str().ok_or(WireError::Malformed("no t".into()))?;
                    out.push(StreamEvent::TextDelta(t.to_owned()));
                }
            }
            Ok(())
        }
        fn on_end(&mut self, _out: &mut Vec<StreamEvent>) -> Result<(), WireError> {
            if self.done {
                Ok(())
            } else {
                Err(WireError::Truncated)
            }
        }
    }

    // ---- a scripted raw HTTP/1.1 server, one reply per connection

    enum Step {
        Send(Vec<u8>),
        Pause(Duration),
        /// Wait until the client closes the connection, then count it.
        AwaitClose,
    }

    struct Server {
        base: String,
        requests: Arc<Mutex<Vec<String>>>,
        closed: Arc<AtomicUsize>,
    }

    impl Server {
        async fn start(replies: Vec<Vec<Step>>) -> Server {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let base = format!("http://{}", listener.local_addr().unwrap());
            let requests = Arc::new(Mutex::new(Vec::new()));
            let replies = Arc::new(Mutex::new(
                replies.into_iter().map(Some).collect::<Vec<_>>(),
            ));
            let next = Arc::new(AtomicUsize::new(0));
            let closed = Arc::new(AtomicUsize::new(0));
            let seen = Arc::clone(&requests);
            let closed_by_client = Arc::clone(&closed);
            tokio::spawn(async move {
                while let Ok((socket, _)) = listener.accept().await {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let reply = replies.lock().unwrap().get_mut(i).and_then(Option::take);
                    let seen = Arc::clone(&seen);
                    let closed = Arc::clone(&closed_by_client);
                    tokio::spawn(serve_one(socket, reply, seen, closed));
                }
            });
            Server {
                base,
                requests,
                closed,
            }
        }

        fn requests(&self) -> Vec<String> {
            self.requests.lock().unwrap().clone()
        }
    }

    async fn serve_one(
        mut socket: TcpStream,
        reply: Option<Vec<Step>>,
        seen: Arc<Mutex<Vec<String>>>,
        closed: Arc<AtomicUsize>,
    ) {
        let mut buf = Vec::new();
        let mut tmp = [0u8; 4096];
        let head_end = loop {
            let Ok(n) = socket.read(&mut tmp).await else {
                return;
            };
            if n == 0 {
                return;
            }
            buf.extend_from_slice(&tmp[..n]);
            if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break p + 4;
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_lowercase();
        let length = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or(0);
        while buf.len() < head_end + length {
            let Ok(n) = socket.read(&mut tmp).await else {
                return;
            };
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&tmp[..n]);
        }
        seen.lock()
            .unwrap()
            .push(String::from_utf8_lossy(&buf).into_owned());
        let steps = reply.unwrap_or_else(|| status(500, &[], "{\"error\":\"no more replies\"}"));
        for step in steps {
            match step {
                Step::Send(bytes) => {
                    if socket.write_all(&bytes).await.is_err() {
                        return;
                    }
                }
                Step::Pause(d) => tokio::time::sleep(d).await,
                Step::AwaitClose => {
                    while matches!(socket.read(&mut tmp).await, Ok(n) if n > 0) {}
                    closed.fetch_add(1, Ordering::SeqCst);
                }
            }
        }
        let _ = socket.shutdown().await;
    }

    const SSE_HEAD: &str =
        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n";

    fn text_events(parts: &[&str]) -> String {
        parts
            .iter()
            .map(|t| format!("data: {}\n\n", serde_json::json!({ "t": t })))
            .collect()
    }

    /// A complete, close-delimited event stream of `parts`.
    fn sse_ok(parts: &[&str]) -> Vec<Step> {
        let body = format!(
            "{SSE_HEAD}{}event: done\ndata: {{}}\n\n",
            text_events(parts)
        );
        vec![Step::Send(body.into_bytes())]
    }

    fn status(code: u16, headers: &[(&str, &str)], body: &str) -> Vec<Step> {
        let mut head = format!(
            "HTTP/1.1 {code} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
            body.len()
        );
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        vec![Step::Send(format!("{head}\r\n{body}").into_bytes())]
    }

    // ---- client helpers

    fn config(base_url: &str) -> HttpClientConfig {
        HttpClientConfig {
            provider: "testprov".into(),
            wire: Wire::Anthropic,
            base_url: base_url.into(),
            api_key: Some("sk-test-SECRET-123".into()),
            env_key: Some("ANTHROPIC_API_KEY".into()),
            headers: vec![("x-extra".into(), "yes".into())],
            max_retries: 3,
            idle_timeout: Duration::from_secs(1),
        }
    }

    fn client(config: HttpClientConfig) -> HttpModelClient {
        HttpModelClient::with_protocol(config, &TestWire)
            .unwrap()
            .with_retry_policy(RetryPolicy {
                max_retries: 3,
                base_delay: Duration::from_millis(5),
                max_delay: Duration::from_millis(20),
                max_server_delay: Duration::from_secs(1),
            })
    }

    fn request() -> ModelRequest {
        ModelRequest {
            model: "m1".into(),
            system: String::new(),
            messages: Vec::new(),
            tools: Vec::new(),
            max_output_tokens: 100,
            reasoning: None,
        }
    }

    async fn collect(mut rx: ModelStream) -> Vec<Result<StreamEvent, ProviderError>> {
        let mut items = Vec::new();
        let deadline = tokio::time::sleep(Duration::from_secs(10));
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                item = rx.recv() => match item {
                    Some(item) => items.push(item),
                    None => return items,
                },
                _ = &mut deadline => panic!("stream did not end; got {items:?}"),
            }
        }
    }

    async fn run(client: &HttpModelClient) -> Vec<Result<StreamEvent, ProviderError>> {
        collect(client.stream(request(), CancellationToken::new())).await
    }

    fn accumulate(items: &[Result<StreamEvent, ProviderError>]) -> Accumulator {
        let mut acc = Accumulator::new();
        for event in items.iter().flatten() {
            acc.push(event);
        }
        acc
    }

    fn count(items: &[Result<StreamEvent, ProviderError>], f: fn(&StreamEvent) -> bool) -> usize {
        items.iter().flatten().filter(|e| f(e)).count()
    }

    fn is_reset(e: &StreamEvent) -> bool {
        matches!(e, StreamEvent::Reset)
    }

    fn is_retrying(e: &StreamEvent) -> bool {
        matches!(e, StreamEvent::Retrying { .. })
    }

    fn text_deltas(items: &[Result<StreamEvent, ProviderError>]) -> Vec<String> {
        items
            .iter()
            .flatten()
            .filter_map(|e| match e {
                StreamEvent::TextDelta(t) => Some(t.clone()),
                _ => None,
            })
            .collect()
    }

    // ---- tests

    #[test]
    fn endpoint_url_adds_v1_once() {
        for base in [
            "https://api.anthropic.com",
            "https://api.anthropic.com/",
            "https://api.anthropic.com/v1",
            "https://api.anthropic.com/v1/",
        ] {
            assert_eq!(
                endpoint_url(base, "messages"),
                "https://api.anthropic.com/v1/messages",
                "{base}"
            );
        }
        assert_eq!(
            endpoint_url("http://relay:8080/openai/v1", "chat/completions"),
            "http://relay:8080/openai/v1/chat/completions"
        );
        assert_eq!(
            endpoint_url("http://relay/v10", "responses"),
            "http://relay/v10/v1/responses"
        );
    }

    #[test]
    fn error_message_shapes() {
        let m = |b: &str, s| error_message(b.as_bytes(), s);
        assert_eq!(
            m(
                r#"{"type":"error","error":{"type":"x","message":"bad key"}}"#,
                401
            ),
            "bad key"
        );
        assert_eq!(m(r#"{"error":"model not found"}"#, 404), "model not found");
        assert_eq!(m(r#"{"message":" slow down "}"#, 429), "slow down");
        assert_eq!(m(r#"{"detail":"nope"}"#, 400), "nope");
        assert_eq!(m("<html>gateway</html>", 502), "<html>gateway</html>");
        assert_eq!(m("", 503), "Service Unavailable");
        assert_eq!(m(&"x".repeat(1000), 500).chars().count(), 301);
    }

    #[test]
    fn invalid_key_is_rejected_without_echoing_it() {
        let mut c = config("http://localhost");
        c.api_key = Some("sk-bad\nkey".into());
        let err = HttpModelClient::with_protocol(c, &TestWire)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("API key"), "{err}");
        assert!(!err.contains("sk-bad"), "{err}");
    }

    #[test]
    fn debug_output_hides_the_key() {
        let shown = format!("{:?}", config("http://x"));
        assert!(!shown.contains("SECRET"), "{shown}");
        assert!(shown.contains("[redacted]"));
    }

    #[tokio::test]
    async fn joins_url_and_sends_headers_and_body() {
        for suffix in ["", "/v1", "/v1/"] {
            let server = Server::start(vec![sse_ok(&["hi"])]).await;
            let client = client(config(&format!("{}{suffix}", server.base)));
            let items = run(&client).await;
            assert_eq!(text_deltas(&items), ["hi"]);
            assert_eq!(
                items.last(),
                Some(&Ok(StreamEvent::Stop(StopReason::EndTurn)))
            );
            let req = &server.requests()[0];
            assert!(
                req.starts_with("POST /v1/test/stream HTTP/1.1\r\n"),
                "{req}"
            );
            let lower = req.to_lowercase();
            assert!(lower.contains("x-api-key: sk-test-secret-123\r\n"));
            assert!(lower.contains("x-extra: yes\r\n"));
            assert!(lower.contains("content-type: application/json\r\n"));
            assert!(lower.contains("accept: text/event-stream\r\n"));
            assert!(req.ends_with(r#"{"model":"m1","stream":true}"#), "{req}");
        }
    }

    #[tokio::test]
    async fn rate_limited_then_success_honours_retry_after_ms() {
        let server = Server::start(vec![
            status(
                429,
                &[
                    ("retry-after-ms", "40"),
                    ("anthropic-ratelimit-requests-remaining", "0"),
                ],
                r#"{"error":{"type":"rate_limit_error","message":"slow down"}}"#,
            ),
            sse_ok(&["ok"]),
        ])
        .await;
        // A huge computed backoff proves the server's delay was used.
        let client = client(config(&server.base)).with_retry_policy(RetryPolicy {
            base_delay: Duration::from_secs(20),
            ..RetryPolicy::default()
        });
        let started = Instant::now();
        let items = run(&client).await;
        assert!(started.elapsed() < Duration::from_secs(5));
        let retrying = items.iter().flatten().find(|e| is_retrying(e)).unwrap();
        let StreamEvent::Retrying {
            attempt,
            delay,
            reason,
        } = retrying
        else {
            unreachable!()
        };
        assert_eq!((*attempt, *delay), (1, Duration::from_millis(40)));
        assert!(
            reason.contains("429") && reason.contains("slow down"),
            "{reason}"
        );
        let limits = items.iter().flatten().find_map(|e| match e {
            StreamEvent::RateLimits(s) => Some(s.clone()),
            _ => None,
        });
        assert_eq!(limits.unwrap().requests.unwrap().remaining, Some(0));
        assert_eq!(text_deltas(&items), ["ok"]);
        assert_eq!(server.requests().len(), 2);
    }

    #[tokio::test]
    async fn a_429_that_outlasts_the_retries_says_when_the_limit_resets() {
        let limited = || {
            status(
                429,
                &[
                    ("retry-after-ms", "10"),
                    ("x-ratelimit-remaining-tokens", "0"),
                    ("x-ratelimit-reset-tokens", "1m30s"),
                ],
                r#"{"error":{"message":"slow down"}}"#,
            )
        };
        let server = Server::start(vec![limited(), limited(), limited()]).await;
        let client = client(config(&server.base)).with_retry_policy(RetryPolicy {
            max_retries: 2,
            base_delay: Duration::from_millis(1),
            ..RetryPolicy::default()
        });
        let items = run(&client).await;
        let error = items
            .iter()
            .find_map(|i| i.as_ref().err())
            .expect("the call fails")
            .to_string();
        // retry-after (10 ms) is the nearest reset the server announced.
        assert!(
            error.contains("rate limited: the limit resets in 1 s"),
            "{error}"
        );
        assert!(error.contains("slow down"), "{error}");
        assert_eq!(
            exhausted_window_reset(&parse_rate_limits(
                &{
                    let mut h = reqwest::header::HeaderMap::new();
                    h.insert("x-ratelimit-remaining-tokens", "0".parse().unwrap());
                    h.insert("x-ratelimit-reset-tokens", "1m30s".parse().unwrap());
                    h
                },
                SystemTime::now()
            )),
            Some(Duration::from_secs(90))
        );
        assert_eq!(human_duration(Duration::from_secs(90)), "1 min 30 s");
        assert_eq!(human_duration(Duration::from_secs(3720)), "1 h 2 min");
    }

    #[tokio::test]
    async fn the_request_id_header_is_reported_for_the_ledger() {
        let head = SSE_HEAD.replace(
            "connection: close\r\n",
            "connection: close\r\nx-request-id: req_123\r\n",
        );
        let body = format!("{head}{}event: done\ndata: {{}}\n\n", text_events(&["ok"]));
        let server = Server::start(vec![vec![Step::Send(body.into_bytes())]]).await;
        let items = run(&client(config(&server.base))).await;
        assert!(
            items.contains(&Ok(StreamEvent::RequestId("req_123".into()))),
            "{items:?}"
        );
        assert_eq!(text_deltas(&items), ["ok"]);
    }

    #[tokio::test]
    async fn unauthorized_names_the_env_var_and_hides_the_key() {
        let server = Server::start(vec![status(
            401,
            &[],
            r#"{"error":{"message":"invalid x-api-key sk-test-SECRET-123"}}"#,
        )])
        .await;
        let items = run(&client(config(&server.base))).await;
        assert_eq!(items.len(), 1);
        let err = items[0].clone().unwrap_err();
        assert!(
            matches!(err, ProviderError::Auth { status: 401, .. }),
            "{err:?}"
        );
        let text = err.to_string();
        assert!(
            text.contains("Set ANTHROPIC_API_KEY to a valid key"),
            "{text}"
        );
        assert!(!text.contains("SECRET"), "{text}");
        assert_eq!(server.requests().len(), 1, "auth failures are not retried");
    }

    #[tokio::test]
    async fn bad_request_fails_without_retry() {
        let server = Server::start(vec![status(400, &[], r#"{"error":"bad model"}"#)]).await;
        let items = run(&client(config(&server.base))).await;
        assert_eq!(
            items,
            vec![Err(ProviderError::Status {
                provider: "testprov".into(),
                status: 400,
                message: "bad model".into(),
            })]
        );
    }

    #[tokio::test]
    async fn stall_past_idle_timeout_is_retried_without_duplicates() {
        let first = format!("{SSE_HEAD}{}", text_events(&["Hel", "lo"]));
        let server = Server::start(vec![
            vec![
                Step::Send(first.into_bytes()),
                Step::Pause(Duration::from_secs(3)),
            ],
            sse_ok(&["Hel", "lo", " world"]),
        ])
        .await;
        let items = run(&client(config(&server.base))).await;
        assert_eq!(text_deltas(&items), ["Hel", "lo", " world"]);
        assert_eq!(count(&items, is_reset), 0);
        assert_eq!(count(&items, is_retrying), 1);
        let reason = items.iter().flatten().find_map(|e| match e {
            StreamEvent::Retrying { reason, .. } => Some(reason.clone()),
            _ => None,
        });
        assert!(reason.unwrap().contains("idle timeout"));
        assert_eq!(accumulate(&items).text(), "Hello world");
    }

    #[tokio::test]
    async fn stall_before_headers_is_an_idle_timeout() {
        let server = Server::start(vec![
            vec![Step::Pause(Duration::from_secs(3))],
            sse_ok(&["x"]),
        ])
        .await;
        let items = run(&client(config(&server.base))).await;
        assert_eq!(count(&items, is_retrying), 1);
        assert_eq!(text_deltas(&items), ["x"]);
    }

    #[tokio::test]
    async fn truncated_body_is_retried() {
        // Close-delimited body that ends before `done`.
        let cut = format!("{SSE_HEAD}{}data: {{\"t\":", text_events(&["a", "b"]));
        // Content-Length promises more than is sent: the connection breaks.
        let events = text_events(&["a", "b", "c"]);
        let broken = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: 10000\r\n\r\n{events}"
        );
        let server = Server::start(vec![
            vec![Step::Send(cut.into_bytes())],
            vec![Step::Send(broken.into_bytes())],
            sse_ok(&["a", "b", "c", "d"]),
        ])
        .await;
        let items = run(&client(config(&server.base))).await;
        assert_eq!(text_deltas(&items), ["a", "b", "c", "d"]);
        assert_eq!(count(&items, is_retrying), 2);
        assert_eq!(count(&items, is_reset), 0);
        for item in items.iter().flatten() {
            if let StreamEvent::Retrying { reason, .. } = item {
                assert!(reason.contains("closed the stream"), "{reason}");
            }
        }
    }

    #[tokio::test]
    async fn divergent_retry_resets_once_and_replays() {
        let cut = format!("{SSE_HEAD}{}", text_events(&["Hello", " there"]));
        let server = Server::start(vec![
            vec![Step::Send(cut.into_bytes())],
            sse_ok(&["Hello", " world", "!"]),
        ])
        .await;
        let items = run(&client(config(&server.base))).await;
        assert_eq!(count(&items, is_reset), 1);
        assert_eq!(
            text_deltas(&items),
            ["Hello", " there", "Hello", " world", "!"]
        );
        assert_eq!(accumulate(&items).text(), "Hello world!");
    }

    #[tokio::test]
    async fn shorter_retry_resets() {
        let cut = format!("{SSE_HEAD}{}", text_events(&["Hello", " there"]));
        let server =
            Server::start(vec![vec![Step::Send(cut.into_bytes())], sse_ok(&["Hello"])]).await;
        let items = run(&client(config(&server.base))).await;
        assert_eq!(count(&items, is_reset), 1);
        assert_eq!(accumulate(&items).text(), "Hello");
    }

    #[tokio::test]
    async fn retries_exhausted_reports_attempts_and_last_error() {
        let server = Server::start(
            (0..4)
                .map(|_| status(503, &[], r#"{"error":{"message":"overloaded"}}"#))
                .collect(),
        )
        .await;
        let items = run(&client(config(&server.base))).await;
        assert_eq!(count(&items, is_retrying), 3);
        match items.last().unwrap() {
            Err(ProviderError::RetriesExhausted { attempts, last }) => {
                assert_eq!(*attempts, 4);
                assert!(matches!(**last, ProviderError::Status { status: 503, .. }));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(server.requests().len(), 4);
    }

    #[tokio::test]
    async fn mid_stream_errors_retry_only_when_retryable() {
        let overloaded = format!(
            "{SSE_HEAD}{}event: error\ndata: overloaded_error\n\n",
            text_events(&["a"])
        );
        let invalid = format!("{SSE_HEAD}event: error\ndata: invalid_request_error\n\n");
        let server = Server::start(vec![
            vec![Step::Send(overloaded.into_bytes())],
            vec![Step::Send(invalid.into_bytes())],
        ])
        .await;
        let items = run(&client(config(&server.base))).await;
        assert_eq!(count(&items, is_retrying), 1);
        assert!(matches!(
            items.last().unwrap(),
            Err(ProviderError::Api { kind, .. }) if kind == "invalid_request_error"
        ));
    }

    #[tokio::test]
    async fn malformed_event_fails_at_once() {
        let bad = format!("{SSE_HEAD}data: not json\n\n");
        let server = Server::start(vec![vec![Step::Send(bad.into_bytes())]]).await;
        let items = run(&client(config(&server.base))).await;
        assert!(matches!(items[..], [Err(ProviderError::Malformed { .. })]));
        assert_eq!(server.requests().len(), 1);
    }

    #[tokio::test]
    async fn json_instead_of_stream_is_reported() {
        let server = Server::start(vec![status(200, &[], r#"{"error":"streaming off"}"#)]).await;
        let items = run(&client(config(&server.base))).await;
        let err = items.last().unwrap().clone().unwrap_err().to_string();
        assert!(err.contains("streaming off"), "{err}");
    }

    #[tokio::test]
    async fn connection_refused_is_retried_then_reported() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        drop(listener);
        let items = run(&client(config(&base))).await;
        assert_eq!(count(&items, is_retrying), 3);
        match items.last().unwrap() {
            Err(ProviderError::RetriesExhausted { last, .. }) => {
                assert!(matches!(**last, ProviderError::Connect { .. }), "{last:?}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn cancellation_mid_stream_is_prompt() {
        let first = format!("{SSE_HEAD}{}", text_events(&["a"]));
        let server = Server::start(vec![vec![
            Step::Send(first.into_bytes()),
            Step::Pause(Duration::from_secs(5)),
        ]])
        .await;
        let mut cfg = config(&server.base);
        cfg.idle_timeout = Duration::from_secs(30);
        let cancel = CancellationToken::new();
        let mut rx = client(cfg).stream(request(), cancel.clone());
        assert_eq!(
            rx.recv().await,
            Some(Ok(StreamEvent::TextDelta("a".into())))
        );
        let started = Instant::now();
        cancel.cancel();
        assert_eq!(rx.recv().await, Some(Err(ProviderError::Cancelled)));
        assert_eq!(rx.recv().await, None);
        assert!(started.elapsed() < Duration::from_millis(200));
    }

    #[tokio::test]
    async fn cancellation_during_backoff_is_prompt() {
        let server = Server::start(vec![status(503, &[("retry-after", "30")], "{}")]).await;
        let client = client(config(&server.base)).with_retry_policy(RetryPolicy::default());
        let cancel = CancellationToken::new();
        let mut rx = client.stream(request(), cancel.clone());
        let first = rx.recv().await.unwrap().unwrap();
        assert!(is_retrying(&first), "{first:?}");
        let started = Instant::now();
        cancel.cancel();
        assert_eq!(rx.recv().await, Some(Err(ProviderError::Cancelled)));
        assert!(started.elapsed() < Duration::from_millis(200));
    }

    #[tokio::test]
    async fn dropping_the_stream_ends_the_call() {
        let first = format!("{SSE_HEAD}{}", text_events(&["a"]));
        let server =
            Server::start(vec![vec![Step::Send(first.into_bytes()), Step::AwaitClose]]).await;
        let mut cfg = config(&server.base);
        cfg.idle_timeout = Duration::from_secs(30);
        let mut rx = client(cfg).stream(request(), CancellationToken::new());
        assert!(rx.recv().await.is_some());
        drop(rx);
        let started = Instant::now();
        while server.closed.load(Ordering::SeqCst) == 0 {
            assert!(
                started.elapsed() < Duration::from_secs(2),
                "connection still open"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    // ---- the dedup filter on its own, with tool calls and reasoning

    fn call(index: usize, name: &str, args: &str) -> StreamEvent {
        StreamEvent::ToolCallDone {
            index,
            call: ToolCall {
                id: format!("id{index}"),
                name: name.into(),
                arguments: args.into(),
            },
        }
    }

    fn full_response() -> Vec<StreamEvent> {
        vec![
            StreamEvent::ReasoningDelta("think".into()),
            StreamEvent::ReasoningDone(Reasoning {
                text: "think".into(),
                replay: None,
            }),
            StreamEvent::TextDelta("I will ".into()),
            StreamEvent::TextDelta("read.".into()),
            StreamEvent::ToolCallStart {
                index: 0,
                id: "id0".into(),
                name: "read_file".into(),
            },
            StreamEvent::ToolCallDelta {
                index: 0,
                delta: "{\"path\":".into(),
            },
            StreamEvent::ToolCallDelta {
                index: 0,
                delta: "\"a\"}".into(),
            },
            call(0, "read_file", "{\"path\":\"a\"}"),
            StreamEvent::ToolCallStart {
                index: 1,
                id: "id1".into(),
                name: "grep".into(),
            },
            StreamEvent::ToolCallDelta {
                index: 1,
                delta: "{}".into(),
            },
            call(1, "grep", "{}"),
            StreamEvent::Usage(Usage {
                input_tokens: 10,
                output_tokens: 5,
                ..Usage::default()
            }),
            StreamEvent::Stop(StopReason::ToolUse),
        ]
    }

    /// Runs attempts through the filter; every attempt but the last fails
    /// after its events.
    fn through_dedup(attempts: &[Vec<StreamEvent>]) -> Vec<StreamEvent> {
        let mut dedup = Dedup::default();
        let mut emitted = Vec::new();
        for (i, attempt) in attempts.iter().enumerate() {
            if i > 0 {
                dedup.begin_attempt();
            }
            for event in attempt {
                dedup.filter(event.clone(), &mut emitted);
            }
        }
        emitted
    }

    #[test]
    fn identical_replay_at_every_cut_emits_each_event_once() {
        let full = full_response();
        for cut in 0..full.len() {
            let emitted = through_dedup(&[full[..cut].to_vec(), full.clone()]);
            assert_eq!(emitted, full, "cut after {cut} events");
        }
    }

    #[test]
    fn replay_with_new_call_ids_and_resplit_deltas_is_not_duplicated() {
        let full = full_response();
        let mut second = full.clone();
        // Different delta boundaries and call ids on the retry.
        second[2] = StreamEvent::TextDelta("I wi".into());
        second[3] = StreamEvent::TextDelta("ll read.".into());
        second[7] = call(0, "read_file", "{\"path\":\"a\"}");
        if let StreamEvent::ToolCallDone { call, .. } = &mut second[7] {
            call.id = "other".into();
        }
        let emitted = through_dedup(&[full[..6].to_vec(), second]);
        assert!(!emitted.contains(&StreamEvent::Reset));
        let mut acc = Accumulator::new();
        emitted.iter().for_each(|e| acc.push(e));
        assert_eq!(acc.text(), "I will read.");
        let calls = acc.tool_calls();
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[0].arguments, "{\"path\":\"a\"}");
        assert_eq!(
            emitted
                .iter()
                .filter(|e| matches!(e, StreamEvent::ReasoningDone(_)))
                .count(),
            1
        );
    }

    #[test]
    fn retry_that_extends_a_delta_forwards_only_the_new_part() {
        let first = vec![StreamEvent::TextDelta("Hel".into())];
        let second = vec![
            StreamEvent::TextDelta("Hello".into()),
            StreamEvent::Stop(StopReason::EndTurn),
        ];
        assert_eq!(
            through_dedup(&[first, second]),
            vec![
                StreamEvent::TextDelta("Hel".into()),
                StreamEvent::TextDelta("lo".into()),
                StreamEvent::Stop(StopReason::EndTurn),
            ]
        );
    }

    #[test]
    fn different_tool_on_retry_resets_and_accumulates_the_new_attempt() {
        let full = full_response();
        let mut second = full.clone();
        second[4] = StreamEvent::ToolCallStart {
            index: 0,
            id: "x".into(),
            name: "list_dir".into(),
        };
        second[7] = call(0, "list_dir", "{\"path\":\"a\"}");
        let emitted = through_dedup(&[full[..6].to_vec(), second.clone()]);
        assert_eq!(
            emitted.iter().filter(|e| **e == StreamEvent::Reset).count(),
            1
        );
        let mut acc = Accumulator::new();
        emitted.iter().for_each(|e| acc.push(e));
        let mut want = Accumulator::new();
        second.iter().for_each(|e| want.push(e));
        assert_eq!(acc.into_message(), want.into_message());
    }

    #[test]
    fn three_attempts_each_going_further() {
        let full = full_response();
        let emitted = through_dedup(&[full[..3].to_vec(), full[..9].to_vec(), full.clone()]);
        assert_eq!(emitted, full);
    }
}
