//! The official `openai` and `anthropic` SDKs as hosted programs behind the
//! real metering proxy: each is configured only by [`proxy::env_for`] (the
//! proxy's base URLs and placeholder key), the proxy injects the real key
//! the upstream demands, and the meter must learn what the SDK saw.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde_json::json;
use tandem::mockserver::{MockServer, Script};
use tandem::provider::{HttpClientConfig, Wire};
use tandem::proxy::{self, HostKind, MeteringProxy, PLACEHOLDER_KEY, Upstreams};
use tandem::quota::{BudgetConfig, Meter, PriceTable, Totals};

use super::*;

const PANE: &str = "peer-host";
/// The key the upstream demands; only the proxy holds it.
const UPSTREAM_KEY: &str = "sk-peer-upstream";
const TEXT: &str = "Héllo from the mock, through the proxy — ünïcödé ✓ and a few words more.";

/// A streamed turn that stresses an SSE parser: reasoning first, multibyte
/// text cut into 7-byte network writes, CRLF line endings, keep-alive
/// comments (and Anthropic pings). The upstream wants the real key.
fn stream_script() -> String {
    format!(
        "api_key = {UPSTREAM_KEY:?}\n\n\
         [defaults]\nline_ending = \"crlf\"\nwrite_chunk_bytes = 7\ncomments = true\n\n\
         [[reply]]\nreasoning = \"Thinking it over.\"\ntext = {TEXT:?}\n\
         usage = {{ input = 120, output = 34, cache_read = 1000, reasoning = 9 }}\n"
    )
}

/// The mock upstream, the proxy in front of it and the meter behind it.
struct Hosted {
    server: MockServer,
    _proxy: MeteringProxy,
    meter: Arc<Meter>,
    /// What the hosted program gets: base URLs and the placeholder key.
    env: Vec<(String, String)>,
    _state: tempfile::TempDir,
}

async fn hosted(script: &str, budget: BudgetConfig) -> Hosted {
    let server = MockServer::start(Script::from_toml_str(script).unwrap())
        .await
        .unwrap();
    let state = tempfile::tempdir().unwrap();
    let meter = Meter::open(
        state.path(),
        "peers",
        PriceTable::new(&BTreeMap::new()),
        budget,
    );
    let base = server.base_url();
    let proxy = MeteringProxy::start(upstreams(&base), Some(meter.clone()), PANE).unwrap();
    let env = proxy::env_for(HostKind::Other, &proxy);
    for var in ["OPENAI_API_KEY", "ANTHROPIC_API_KEY"] {
        assert!(
            env.contains(&(var.to_string(), PLACEHOLDER_KEY.to_string())),
            "{env:?}"
        );
    }
    Hosted {
        server,
        _proxy: proxy,
        meter,
        env,
        _state: state,
    }
}

fn upstreams(base: &str) -> Upstreams {
    let upstream = |provider: &str, wire| HttpClientConfig {
        provider: provider.into(),
        wire,
        base_url: base.into(),
        api_key: Some(UPSTREAM_KEY.into()),
        env_key: None,
        headers: Vec::new(),
        max_retries: 0,
        idle_timeout: Duration::from_secs(30),
    };
    Upstreams {
        anthropic: upstream("up-anthropic", Wire::Anthropic),
        openai: upstream("up-openai", Wire::OpenAiResponses),
    }
}

/// The pane's totals once the meter holds `calls` calls (bounded wait).
async fn metered(meter: &Meter, calls: u64) -> Totals {
    let deadline = Instant::now() + Duration::from_secs(10);
    while meter.pane_totals(PANE).calls < calls {
        assert!(
            Instant::now() < deadline,
            "the proxy never metered {calls} calls"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    meter.pane_totals(PANE)
}

/// What the SDK printed for a finished answer: text, usage, stop reason.
fn answer(out: &Value) -> (&str, u64, u64, &str) {
    assert!(out.get("error").is_none(), "the SDK failed: {out}");
    (
        out["text"].as_str().unwrap(),
        out["usage"]["input"].as_u64().unwrap(),
        out["usage"]["output"].as_u64().unwrap(),
        out["finish"].as_str().unwrap(),
    )
}

#[tokio::test]
async fn openai_sdk_streams_chat_completions_with_usage_and_the_proxy_meters_it() {
    let Some(py) = peers() else { return };
    let h = hosted(&stream_script(), BudgetConfig::default()).await;
    let out = py
        .run_json("openai_client.py", &["chat-stream"], &h.env)
        .await;
    // OpenAI counts cached tokens inside the prompt: 120 + 1000.
    assert_eq!(answer(&out), (TEXT, 1120, 34, "stop"), "{out}");
    assert_eq!(out["requests"], 1);

    let totals = metered(&h.meter, 1).await;
    assert_eq!(
        (
            totals.input_tokens,
            totals.cache_read_tokens,
            totals.output_tokens
        ),
        (120, 1000, 34),
        "{totals:?}"
    );
    let seen = h.server.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, "/v1/chat/completions");
    assert_eq!(seen[0].body["stream_options"]["include_usage"], true);
    let auth = format!("Bearer {UPSTREAM_KEY}");
    assert_eq!(seen[0].header("authorization"), Some(auth.as_str()));
}

#[tokio::test]
async fn openai_sdk_streams_a_response_and_the_proxy_meters_it() {
    let Some(py) = peers() else { return };
    let h = hosted(&stream_script(), BudgetConfig::default()).await;
    let out = py
        .run_json("openai_client.py", &["responses-stream"], &h.env)
        .await;
    assert_eq!(answer(&out), (TEXT, 1120, 34, "completed"), "{out}");
    let totals = metered(&h.meter, 1).await;
    assert_eq!(
        (
            totals.input_tokens,
            totals.output_tokens,
            totals.reasoning_tokens
        ),
        (120, 34, 9),
        "{totals:?}"
    );
    assert_eq!(h.server.requests()[0].path, "/v1/responses");
}

#[tokio::test]
async fn anthropic_sdk_streams_a_message_and_the_proxy_meters_it() {
    let Some(py) = peers() else { return };
    let h = hosted(&stream_script(), BudgetConfig::default()).await;
    let out = py
        .run_json("anthropic_client.py", &["stream"], &h.env)
        .await;
    assert_eq!(answer(&out), (TEXT, 120, 34, "end_turn"), "{out}");
    let totals = metered(&h.meter, 1).await;
    assert_eq!(
        (
            totals.input_tokens,
            totals.cache_read_tokens,
            totals.output_tokens
        ),
        (120, 1000, 34),
        "{totals:?}"
    );
    let seen = h.server.requests();
    assert_eq!(seen[0].path, "/v1/messages");
    assert_eq!(seen[0].header("x-api-key"), Some(UPSTREAM_KEY));
}

/// Plain (non-streamed) JSON answers in each API's shape, for the calls the
/// mock model server does not serve (it only streams). Records each
/// request's path, body and credentials.
type Seen = Arc<Mutex<Vec<(String, Value, String)>>>;

async fn json_upstream() -> (String, Seen) {
    use http_body_util::{BodyExt, Full};
    use hyper_util::rt::TokioIo;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen: Seen = Arc::default();
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let log = log.clone();
            let service =
                hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let log = log.clone();
                    async move {
                        let path = req.uri().path().to_string();
                        let key = ["authorization", "x-api-key"]
                            .iter()
                            .find_map(|h| req.headers().get(*h))
                            .map(|v| v.to_str().unwrap().to_string())
                            .unwrap_or_default();
                        let body = req.into_body().collect().await?.to_bytes();
                        let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
                        log.lock().unwrap().push((path.clone(), body, key));
                        let answer = plain_answer(&path);
                        let mut resp =
                            hyper::Response::new(Full::new(bytes::Bytes::from(answer.to_string())));
                        resp.headers_mut()
                            .insert("content-type", "application/json".parse().unwrap());
                        Ok::<_, hyper::Error>(resp)
                    }
                });
            tokio::spawn(
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service),
            );
        }
    });
    (base, seen)
}

/// The plain answer "Plain answer." with 11 input and 5 output tokens.
fn plain_answer(path: &str) -> Value {
    match path {
        "/v1/chat/completions" => json!({
            "id": "chatcmpl-peer", "object": "chat.completion", "created": 1,
            "model": "gpt-peer",
            "choices": [{
                "index": 0, "finish_reason": "stop", "logprobs": null,
                "message": {"role": "assistant", "content": "Plain answer."},
            }],
            "usage": {"prompt_tokens": 11, "completion_tokens": 5, "total_tokens": 16},
        }),
        "/v1/responses" => json!({
            "id": "resp_peer", "object": "response", "created_at": 1,
            "status": "completed", "model": "gpt-peer",
            "parallel_tool_calls": true, "tool_choice": "auto", "tools": [],
            "output": [{
                "type": "message", "id": "msg_peer", "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "Plain answer.", "annotations": []}],
            }],
            "usage": {
                "input_tokens": 11, "output_tokens": 5, "total_tokens": 16,
                "input_tokens_details": {"cached_tokens": 0},
                "output_tokens_details": {"reasoning_tokens": 0},
            },
        }),
        "/v1/messages" => json!({
            "id": "msg_peer", "type": "message", "role": "assistant",
            "model": "claude-peer", "stop_reason": "end_turn", "stop_sequence": null,
            "content": [{"type": "text", "text": "Plain answer."}],
            "usage": {"input_tokens": 11, "output_tokens": 5},
        }),
        other => json!({"error": {"message": format!("no plain answer for {other}")}}),
    }
}

#[tokio::test]
async fn plain_calls_of_both_sdks_pass_the_proxy_and_are_metered() {
    let Some(py) = peers() else { return };
    let (base, seen) = json_upstream().await;
    let state = tempfile::tempdir().unwrap();
    let meter = Meter::open(
        state.path(),
        "peers",
        PriceTable::new(&BTreeMap::new()),
        BudgetConfig::default(),
    );
    let proxy = MeteringProxy::start(upstreams(&base), Some(meter.clone()), PANE).unwrap();
    let env = proxy::env_for(HostKind::Other, &proxy);
    let (chat, responses, messages) = tokio::join!(
        py.run_json("openai_client.py", &["chat"], &env),
        py.run_json("openai_client.py", &["responses"], &env),
        py.run_json("anthropic_client.py", &["create"], &env),
    );
    assert_eq!(answer(&chat), ("Plain answer.", 11, 5, "stop"), "{chat}");
    assert_eq!(
        answer(&responses),
        ("Plain answer.", 11, 5, "completed"),
        "{responses}"
    );
    assert_eq!(
        answer(&messages),
        ("Plain answer.", 11, 5, "end_turn"),
        "{messages}"
    );

    let totals = metered(&meter, 3).await;
    assert_eq!(
        (totals.input_tokens, totals.output_tokens),
        (33, 15),
        "{totals:?}"
    );
    let mut seen = seen.lock().unwrap().clone();
    seen.sort_by(|a, b| a.0.cmp(&b.0));
    let paths: Vec<&str> = seen.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(
        paths,
        ["/v1/chat/completions", "/v1/messages", "/v1/responses"]
    );
    for (path, body, key) in &seen {
        assert_ne!(body["stream"], true, "{path}: {body}");
        assert!(
            key.ends_with(UPSTREAM_KEY),
            "{path}: the real key, not {key}"
        );
    }
}

#[tokio::test]
async fn a_spent_budget_is_each_sdks_own_rate_limit_error_saying_why() {
    let Some(py) = peers() else { return };
    let spent = BudgetConfig {
        session_usd: Some(0.0),
        ..BudgetConfig::default()
    };
    let h = hosted("[[reply]]\ntext = \"never sent\"\n", spent).await;
    let (anthropic, chat, responses) = tokio::join!(
        py.run_json("anthropic_client.py", &["stream"], &h.env),
        py.run_json("openai_client.py", &["chat-stream"], &h.env),
        py.run_json("openai_client.py", &["responses-stream"], &h.env),
    );
    for out in [&anthropic, &chat, &responses] {
        assert_eq!(out["error"], "RateLimitError", "{out}");
        assert_eq!(out["status"], 429, "{out}");
        let message = out["message"].as_str().unwrap();
        assert!(
            message.contains("Tandem budget spent: session_usd is at $0.00 of $0.00")
                && message.contains("/budget"),
            "the SDK's error says what happened and what to do: {message}"
        );
    }
    // Anthropic clients may retry after a while (Claude Code then waits
    // for a raised budget); the OpenAI SDK, with its default retries,
    // takes the refusal as final.
    assert_eq!(anthropic["retry_after"], "30", "{anthropic}");
    assert_eq!(chat["requests"], 1, "{chat}");
    assert_eq!(responses["requests"], 1, "{responses}");
    assert!(h.server.requests().is_empty(), "nothing was forwarded");
    assert_eq!(h.meter.pane_totals(PANE).calls, 0);
}
