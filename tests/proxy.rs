//! The metering proxy for hosted agents, over real loopback HTTP: the
//! scripted mock model server (or a hand-driven upstream) behind it, a real
//! reqwest client in front, a real SQLite ledger under a temp dir.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::StreamExt;
use serde_json::{Value, json};
use tandem::config::Config;
use tandem::mockserver::{MockServer, Script};
use tandem::provider::{HttpClientConfig, Wire};
use tandem::proxy::{self, Family, HostKind, MeteringProxy, Upstreams};
use tandem::quota::{BudgetConfig, Ledger, Meter, PriceTable};

const PANE: &str = "chat-host";

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

fn upstream(name: &str, wire: Wire, base: &str, key: Option<&str>) -> HttpClientConfig {
    HttpClientConfig {
        provider: name.into(),
        wire,
        base_url: base.into(),
        api_key: key.map(str::to_string),
        env_key: None,
        headers: Vec::new(),
        max_retries: 0,
        idle_timeout: Duration::from_secs(30),
    }
}

/// Both families forwarded to `base` (providers `up-anthropic`, `up-openai`).
fn upstreams(base: &str, key: Option<&str>) -> Upstreams {
    Upstreams {
        anthropic: upstream("up-anthropic", Wire::Anthropic, base, key),
        openai: upstream("up-openai", Wire::OpenAiResponses, base, key),
    }
}

fn meter(state: &std::path::Path, budget: BudgetConfig) -> Arc<Meter> {
    Meter::open(
        state,
        "proxy-test",
        PriceTable::new(&BTreeMap::new()),
        budget,
    )
}

/// One model call of each wire: (family, path under /v1, body, headers).
#[derive(Clone, Copy, Debug)]
enum Call {
    Messages,
    Responses,
    Chat,
}

impl Call {
    fn family(self) -> Family {
        match self {
            Call::Messages => Family::Anthropic,
            _ => Family::OpenAi,
        }
    }

    fn path(self) -> &'static str {
        match self {
            Call::Messages => "messages",
            Call::Responses => "responses",
            Call::Chat => "chat/completions",
        }
    }

    fn body(self) -> Value {
        match self {
            Call::Messages => json!({
                "model": "claude-sonnet-4-5", "max_tokens": 100, "stream": true,
                "messages": [{"role": "user", "content": "hi"}],
            }),
            Call::Responses => json!({"model": "gpt-5", "stream": true, "input": "hi"}),
            Call::Chat => json!({
                "model": "gpt-4o", "stream": true,
                "messages": [{"role": "user", "content": "hi"}],
                "stream_options": {"include_usage": true},
            }),
        }
    }

    /// POSTs this call to `base` (a base URL ending before `/v1`, or with
    /// `/v1` for OpenAI, as the SDKs take them) with `key`.
    fn send(self, http: &reqwest::Client, base: &str, key: &str) -> reqwest::RequestBuilder {
        let base = base.trim_end_matches('/');
        let url = match self.family() {
            Family::Anthropic => format!("{base}/v1/{}", self.path()),
            Family::OpenAi if base.ends_with("/v1") => format!("{base}/{}", self.path()),
            Family::OpenAi => format!("{base}/v1/{}", self.path()),
        };
        let req = http.post(url).json(&self.body());
        match self.family() {
            Family::Anthropic => req
                .header("anthropic-version", "2023-06-01")
                .header("x-api-key", key),
            Family::OpenAi => req.bearer_auth(key),
        }
    }
}

/// Where a client points for `family`: the proxy, or the mock directly.
fn direct_base(server: &MockServer) -> String {
    server.base_url()
}

/// Blanks the digits of `"created":N` / `"created_at":N`, the only part of
/// the mock's output that depends on the clock (seconds), so two fresh
/// servers' bodies can be compared byte for byte otherwise.
fn without_clock(body: &[u8]) -> Vec<u8> {
    let text = String::from_utf8(body.to_vec()).unwrap();
    let re = regex::Regex::new(r#""(created|created_at)":\d+"#).unwrap();
    re.replace_all(&text, "\"$1\":0").into_owned().into_bytes()
}

const STREAM_SCRIPT: &str = r#"
[defaults]
line_ending = "crlf"
write_chunk_bytes = 7

[[reply]]
reasoning = "Thinking it over."
text = "Hello through the proxy, with a few words more."
usage = { input = 120, output = 34, cache_read = 1000, cache_write = 50, reasoning = 9 }
"#;

#[tokio::test]
async fn streamed_bodies_pass_through_byte_for_byte_for_every_wire() {
    let http = client();
    for call in [Call::Messages, Call::Responses, Call::Chat] {
        let direct = MockServer::start(Script::from_toml_str(STREAM_SCRIPT).unwrap())
            .await
            .unwrap();
        let resp = call
            .send(&http, &direct_base(&direct), "k")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{call:?}");
        let direct_type = resp.headers()["content-type"].clone();
        let direct_bytes = resp.bytes().await.unwrap();

        let behind = MockServer::start(Script::from_toml_str(STREAM_SCRIPT).unwrap())
            .await
            .unwrap();
        let proxy = MeteringProxy::start(upstreams(&behind.base_url(), None), None, PANE).unwrap();
        let resp = call
            .send(&http, &proxy.base_url(call.family()), "k")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{call:?}");
        assert_eq!(resp.headers()["content-type"], direct_type, "{call:?}");
        assert!(
            resp.headers().contains_key("x-request-id")
                || resp.headers().contains_key("request-id")
        );
        let proxied_bytes = resp.bytes().await.unwrap();
        assert!(direct_bytes.len() > 200, "{call:?}: a real stream");
        assert_eq!(
            without_clock(&proxied_bytes),
            without_clock(&direct_bytes),
            "{call:?}: the proxied stream differs from the direct one"
        );
        // The request reached the upstream unchanged.
        let seen = behind.requests();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].path, format!("/v1/{}", call.path()));
        assert_eq!(seen[0].body, call.body());
    }
}

/// Waits (bounded) until the meter holds `calls` calls of this session.
async fn wait_for_calls(meter: &Meter, calls: u64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while meter.session_totals().calls < calls {
        assert!(
            Instant::now() < deadline,
            "the proxy never recorded {calls} calls"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn usage_of_each_wire_lands_in_the_ledger_under_the_pane() {
    let state = tempfile::tempdir().unwrap();
    let meter = meter(state.path(), BudgetConfig::default());
    let http = client();
    let script = "[[reply]]\ntext = \"a\"\nusage = { input = 100, output = 20, cache_read = 30, cache_write = 5, reasoning = 4 }\n"
        .repeat(3);
    let server = MockServer::start(Script::from_toml_str(&script).unwrap())
        .await
        .unwrap();
    let proxy = MeteringProxy::start(
        upstreams(&server.base_url(), None),
        Some(meter.clone()),
        PANE,
    )
    .unwrap();
    for call in [Call::Messages, Call::Responses, Call::Chat] {
        let resp = call
            .send(&http, &proxy.base_url(call.family()), "k")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        resp.bytes().await.unwrap();
    }
    wait_for_calls(&meter, 3).await;
    let pane = meter.pane_totals(PANE);
    assert_eq!(pane.calls, 3);
    // Anthropic reports cache writes apart; the OpenAI wires count them as
    // plain input (100 + 5 each) and report reasoning (4 each).
    assert_eq!(pane.input_tokens, 100 + 105 + 105, "{pane:?}");
    assert_eq!(pane.cache_write_tokens, 5, "{pane:?}");
    assert_eq!(pane.cache_read_tokens, 90, "{pane:?}");
    assert_eq!(pane.output_tokens, 60, "{pane:?}");
    assert_eq!(pane.reasoning_tokens, 8, "{pane:?}");
    assert!(pane.cost_usd > 0.0 && pane.unpriced_calls == 0, "{pane:?}");
    assert!(
        meter.rate_limits("up-anthropic").is_some(),
        "rate limits kept"
    );
    assert!(meter.rate_limits("up-openai").is_some(), "rate limits kept");

    meter.flush();
    let ledger = Ledger::open(&Ledger::path_in(state.path())).unwrap();
    let totals = ledger.totals(0, i64::MAX / 2).unwrap();
    assert_eq!(totals.calls, 3);
    assert_eq!(totals.output_tokens, 60);
    let by_pane = ledger
        .grouped(tandem::quota::ledger::GroupBy::Pane, 0, i64::MAX / 2, 0)
        .unwrap();
    assert_eq!(by_pane.len(), 1, "{by_pane:?}");
    assert_eq!(by_pane[0].key, PANE);
    assert_eq!(by_pane[0].totals.calls, 3);
}

#[tokio::test]
async fn a_spent_budget_answers_429_in_each_providers_shape_and_sends_nothing() {
    let state = tempfile::tempdir().unwrap();
    let budget = BudgetConfig {
        session_usd: Some(0.0),
        ..BudgetConfig::default()
    };
    let meter = meter(state.path(), budget);
    let server = MockServer::start(Script::texts(["never"])).await.unwrap();
    let proxy =
        MeteringProxy::start(upstreams(&server.base_url(), None), Some(meter), PANE).unwrap();
    let http = client();

    let resp = Call::Messages
        .send(&http, &proxy.base_url(Family::Anthropic), "k")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["retry-after"], "30");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["type"], "error");
    assert_eq!(body["error"]["type"], "rate_limit_error");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("session_usd is at $0.00 of $0.00"),
        "{message}"
    );
    assert!(
        message.contains("/budget") && message.contains("[budget]"),
        "{message}"
    );

    for call in [Call::Responses, Call::Chat] {
        let resp = call
            .send(&http, &proxy.base_url(Family::OpenAi), "k")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 429);
        assert_eq!(resp.headers()["x-should-retry"], "false");
        assert_eq!(resp.headers()["x-tandem-budget"], "session_usd");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"]["type"], "insufficient_quota", "{body}");
        assert_eq!(body["error"]["code"], "insufficient_quota", "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("session_usd")
        );
    }
    // Listing models costs nothing: it still goes through.
    let models = http
        .get(format!("{}/models", proxy.base_url(Family::OpenAi)))
        .bearer_auth("k")
        .send()
        .await
        .unwrap();
    assert_eq!(models.status(), 200);
    let paths: Vec<String> = server.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, vec!["/v1/models"], "no model call was forwarded");
}

#[tokio::test]
async fn concurrent_streams_all_arrive_whole_and_are_all_metered() {
    let state = tempfile::tempdir().unwrap();
    let meter = meter(state.path(), BudgetConfig::default());
    let script = "[defaults]\ndelay_ms = 20\n\n".to_string()
        + &"[[reply]]\nwords = 40\nchunk = 3\nusage = { input = 10, output = 7 }\n".repeat(6);
    let server = MockServer::start(Script::from_toml_str(&script).unwrap())
        .await
        .unwrap();
    let proxy = MeteringProxy::start(
        upstreams(&server.base_url(), None),
        Some(meter.clone()),
        PANE,
    )
    .unwrap();
    let http = client();
    let calls = [
        Call::Messages,
        Call::Responses,
        Call::Chat,
        Call::Messages,
        Call::Responses,
        Call::Chat,
    ];
    let tasks: Vec<_> = calls
        .iter()
        .map(|&call| {
            let req = call.send(&http, &proxy.base_url(call.family()), "k");
            tokio::spawn(async move {
                let resp = req.send().await.unwrap();
                assert_eq!(resp.status(), 200);
                String::from_utf8(resp.bytes().await.unwrap().to_vec()).unwrap()
            })
        })
        .collect();
    for (call, task) in calls.iter().zip(tasks) {
        let body = task.await.unwrap();
        let end = match call {
            Call::Messages => "message_stop",
            Call::Responses => "response.completed",
            Call::Chat => "[DONE]",
        };
        assert!(body.contains(end), "{call:?} stream incomplete: {body}");
    }
    wait_for_calls(&meter, 6).await;
    let totals = meter.pane_totals(PANE);
    assert_eq!((totals.input_tokens, totals.output_tokens), (60, 42));
}

#[tokio::test]
async fn upstream_errors_pass_through_with_status_and_body() {
    let script = "[[reply]]\nstatus = 500\nerror_message = \"the mock broke\"\n\n\
                  [[reply]]\nstatus = 401\nerror_message = \"bad key\"\n";
    let http = client();
    for call in [Call::Messages, Call::Chat] {
        let direct = MockServer::start(Script::from_toml_str(script).unwrap())
            .await
            .unwrap();
        let behind = MockServer::start(Script::from_toml_str(script).unwrap())
            .await
            .unwrap();
        let proxy = MeteringProxy::start(upstreams(&behind.base_url(), None), None, PANE).unwrap();
        for expected in [500, 401] {
            let d = call
                .send(&http, &direct.base_url(), "k")
                .send()
                .await
                .unwrap();
            let p = call
                .send(&http, &proxy.base_url(call.family()), "k")
                .send()
                .await
                .unwrap();
            assert_eq!(d.status(), expected);
            assert_eq!(p.status(), expected, "{call:?}");
            let (d, p) = (d.bytes().await.unwrap(), p.bytes().await.unwrap());
            assert_eq!(p, d, "{call:?}: error body changed");
        }
    }
}

#[tokio::test]
async fn an_unreachable_upstream_is_a_502_saying_what_failed() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dead = format!("http://127.0.0.1:{port}");
    let proxy = MeteringProxy::start(upstreams(&dead, None), None, PANE).unwrap();
    let http = client();
    let resp = Call::Messages
        .send(&http, &proxy.base_url(Family::Anthropic), "k")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 502);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["type"], "api_error");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("up-anthropic") && message.contains(&dead),
        "{message}"
    );
    let resp = Call::Responses
        .send(&http, &proxy.base_url(Family::OpenAi), "k")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 502);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "upstream_unreachable");
}

#[tokio::test]
async fn a_wrong_or_missing_token_is_refused_and_nothing_forwarded() {
    let server = MockServer::start(Script::texts(["never"])).await.unwrap();
    let proxy = MeteringProxy::start(upstreams(&server.base_url(), None), None, PANE).unwrap();
    let http = client();
    let good = proxy.base_url(Family::Anthropic);
    let root = format!("http://{}", proxy.addr());
    let token = good
        .strip_prefix(&format!("{root}/"))
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    assert!(token.len() >= 32, "at least 128 bits: {token}");
    let mut wrong = token.clone();
    wrong.replace_range(0..1, if token.starts_with('0') { "1" } else { "0" });
    for base in [
        root.clone(),
        format!("{root}/{wrong}/anthropic"),
        format!("{root}/anthropic"),
        format!("{root}/{token}x/anthropic"),
    ] {
        let resp = Call::Messages.send(&http, &base, "k").send().await.unwrap();
        assert_eq!(resp.status(), 404, "{base}");
        let body: Value = resp.json().await.unwrap();
        assert!(
            body["error"]["message"].as_str().unwrap().contains("token"),
            "{body}"
        );
    }
    let resp = http
        .get(format!("{root}/{token}/gemini/v1/models"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    let body: Value = resp.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("unknown API family `gemini`"),
        "{body}"
    );
    assert!(server.requests().is_empty(), "nothing may be forwarded");
    // A second proxy has a different token.
    let other = MeteringProxy::start(upstreams(&server.base_url(), None), None, PANE).unwrap();
    assert_ne!(
        other
            .base_url(Family::Anthropic)
            .replace(&other.addr().to_string(), ""),
        good.replace(&proxy.addr().to_string(), "")
    );
}

#[tokio::test]
async fn the_configured_key_replaces_the_clients_placeholder() {
    let script = "api_key = \"sk-real\"\n\n[[reply]]\ntext = \"a\"\n\n[[reply]]\ntext = \"b\"\n";
    let server = MockServer::start(Script::from_toml_str(script).unwrap())
        .await
        .unwrap();
    let http = client();
    // Directly, the placeholder is refused.
    let resp = Call::Messages
        .send(&http, &server.base_url(), proxy::PLACEHOLDER_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);

    let proxy =
        MeteringProxy::start(upstreams(&server.base_url(), Some("sk-real")), None, PANE).unwrap();
    assert!(proxy.injects_key(Family::Anthropic) && proxy.injects_key(Family::OpenAi));
    for call in [Call::Messages, Call::Responses] {
        let resp = call
            .send(
                &http,
                &proxy.base_url(call.family()),
                proxy::PLACEHOLDER_KEY,
            )
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{call:?}");
        resp.bytes().await.unwrap();
    }
    let seen = server.requests();
    let last_two = &seen[seen.len() - 2..];
    assert_eq!(last_two[0].header("x-api-key"), Some("sk-real"));
    assert_eq!(last_two[1].header("authorization"), Some("Bearer sk-real"));
    assert!(
        seen.iter()
            .skip(1)
            .all(|r| !format!("{:?}", r.headers).contains(proxy::PLACEHOLDER_KEY)),
        "the placeholder never reaches the upstream"
    );
}

#[tokio::test]
async fn without_a_configured_key_the_clients_own_credentials_pass() {
    let script = "api_key = \"sk-users-own\"\n\n[[reply]]\ntext = \"a\"\n";
    let server = MockServer::start(Script::from_toml_str(script).unwrap())
        .await
        .unwrap();
    let proxy = MeteringProxy::start(upstreams(&server.base_url(), None), None, PANE).unwrap();
    assert!(!proxy.injects_key(Family::OpenAi));
    let resp = Call::Chat
        .send(&client(), &proxy.base_url(Family::OpenAi), "sk-users-own")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        server.requests()[0].header("authorization"),
        Some("Bearer sk-users-own")
    );
}

#[tokio::test]
async fn a_slow_stream_arrives_incrementally() {
    let script = "[defaults]\ndelay_ms = 150\n\n[[reply]]\nwords = 12\nchunk = 2\n";
    let server = MockServer::start(Script::from_toml_str(script).unwrap())
        .await
        .unwrap();
    let proxy = MeteringProxy::start(upstreams(&server.base_url(), None), None, PANE).unwrap();
    let started = Instant::now();
    let resp = Call::Messages
        .send(&client(), &proxy.base_url(Family::Anthropic), "k")
        .send()
        .await
        .unwrap();
    let mut stream = resp.bytes_stream();
    let mut first = None;
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.unwrap();
        first.get_or_insert_with(|| {
            (
                started.elapsed(),
                String::from_utf8_lossy(&chunk).into_owned(),
            )
        });
        body.extend_from_slice(&chunk);
    }
    let total = started.elapsed();
    let (first_at, first_text) = first.unwrap();
    assert!(first_text.contains("message_start"), "{first_text}");
    assert!(String::from_utf8_lossy(&body).contains("message_stop"));
    assert!(
        total >= Duration::from_millis(1000),
        "the script paces ~10 events 150 ms apart: {total:?}"
    );
    assert!(
        first_at + Duration::from_millis(800) < total,
        "the first event came at {first_at:?}, the end at {total:?}: the proxy buffered"
    );
}

#[tokio::test]
async fn env_points_hosted_programs_at_the_proxy() {
    let server = MockServer::start(Script::texts(["a"])).await.unwrap();
    let proxy = MeteringProxy::start(upstreams(&server.base_url(), None), None, PANE).unwrap();
    let vars: BTreeMap<String, String> = proxy::env_for(HostKind::Claude, &proxy, true)
        .into_iter()
        .collect();
    assert_eq!(
        vars["ANTHROPIC_BASE_URL"],
        proxy.base_url(Family::Anthropic)
    );
    assert_eq!(vars["ANTHROPIC_API_KEY"], proxy::PLACEHOLDER_KEY);
    assert_eq!(vars.len(), 2);
    let vars: BTreeMap<String, String> = proxy::env_for(HostKind::Codex, &proxy, false)
        .into_iter()
        .collect();
    assert_eq!(
        vars.len(),
        1,
        "no key variable when the key is not injected: {vars:?}"
    );
    let openai = &vars["OPENAI_BASE_URL"];
    assert!(openai.ends_with("/openai/v1"), "{openai}");
    let both = proxy::env_for(HostKind::Other, &proxy, false);
    let names: Vec<&str> = both.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["ANTHROPIC_BASE_URL", "OPENAI_BASE_URL"]);
    // The OpenAI SDK convention: OPENAI_BASE_URL + "/models".
    let resp = client()
        .get(format!("{openai}/models"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(server.requests()[0].path, "/v1/models");
}

#[tokio::test]
async fn start_for_config_resolves_the_host_upstreams_and_their_keys() {
    let script = "api_key = \"sk-from-env\"\n\n[[reply]]\ntext = \"a\"\n";
    let server = MockServer::start(Script::from_toml_str(script).unwrap())
        .await
        .unwrap();
    let base = server.base_url();
    let env = move |var: &str| match var {
        "ANTHROPIC_BASE_URL" | "OPENAI_BASE_URL" => Some(base.clone()),
        "ANTHROPIC_API_KEY" => Some("sk-from-env".to_string()),
        _ => None,
    };
    let config = Config::defaults();
    let proxy = proxy::start_for_config(&config, None, PANE, &env).unwrap();
    assert!(proxy.injects_key(Family::Anthropic));
    assert!(
        !proxy.injects_key(Family::OpenAi),
        "OPENAI_API_KEY is not set"
    );
    let resp = Call::Messages
        .send(&client(), &proxy.base_url(Family::Anthropic), "dummy")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        server.requests()[0].header("x-api-key"),
        Some("sk-from-env")
    );

    let mut bad = Config::defaults();
    bad.host.openai_upstream = "nowhere".into();
    let err = proxy::start_for_config(&bad, None, PANE, &env).unwrap_err();
    let err = format!("{err:#}");
    assert!(
        err.contains("openai_upstream") && err.contains("nowhere"),
        "{err}"
    );
}

/// An upstream the test drives by hand: each chunk is sent when the test
/// says, so the time it left and the time it reached the client can be
/// compared, with and without the proxy in between.
async fn hand_driven_upstream() -> (
    String,
    tokio::sync::mpsc::Sender<tokio::sync::mpsc::Receiver<Bytes>>,
) {
    use http_body_util::StreamBody;
    use hyper::body::Frame;
    use hyper_util::rt::TokioIo;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    // Each request takes the next chunk source from this queue.
    let (tx, rx) = tokio::sync::mpsc::channel::<tokio::sync::mpsc::Receiver<Bytes>>(4);
    let rx = Arc::new(tokio::sync::Mutex::new(rx));
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            stream.set_nodelay(true).unwrap();
            let rx = rx.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |_req| {
                    let rx = rx.clone();
                    async move {
                        let mut chunks = rx.lock().await.recv().await.unwrap();
                        let body = futures_util::stream::poll_fn(move |cx| chunks.poll_recv(cx))
                            .map(|b| Ok::<_, std::convert::Infallible>(Frame::data(b)));
                        let mut resp = hyper::Response::new(StreamBody::new(body));
                        resp.headers_mut()
                            .insert("content-type", "text/event-stream".parse().unwrap());
                        Ok::<_, std::convert::Infallible>(resp)
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (base, tx)
}

/// Sends `n` numbered chunks 4 ms apart through `url` and returns the
/// body and each chunk's delay from send to arrival, in microseconds.
async fn timed_stream(
    http: &reqwest::Client,
    url: &str,
    sources: &tokio::sync::mpsc::Sender<tokio::sync::mpsc::Receiver<Bytes>>,
    n: usize,
) -> (Vec<u8>, Vec<u128>) {
    let (chunk_tx, chunk_rx) = tokio::sync::mpsc::channel(n + 1);
    sources.send(chunk_rx).await.unwrap();
    let resp = http
        .post(url)
        .header("anthropic-version", "2023-06-01")
        .body("{}")
        .send()
        .await
        .unwrap();
    let mut stream = resp.bytes_stream();
    let mut body = Vec::new();
    let mut delays = Vec::new();
    for i in 0..n {
        let chunk = Bytes::from(format!(
            "event: ping\ndata: {{\"n\":{i},\"pad\":\"{}\"}}\n\n",
            "x".repeat(i % 50)
        ));
        let sent = Instant::now();
        chunk_tx.send(chunk.clone()).await.unwrap();
        let mut got = Vec::new();
        while got.len() < chunk.len() {
            got.extend_from_slice(&stream.next().await.unwrap().unwrap());
        }
        delays.push(sent.elapsed().as_micros());
        assert_eq!(got, chunk, "chunk {i} changed on the way");
        body.extend_from_slice(&got);
        tokio::time::sleep(Duration::from_millis(4)).await;
    }
    drop(chunk_tx);
    assert!(
        stream.next().await.is_none(),
        "the body ends when the upstream's does"
    );
    (body, delays)
}

fn median(mut v: Vec<u128>) -> u128 {
    v.sort_unstable();
    v[v.len() / 2]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_proxy_adds_under_a_millisecond_per_chunk() {
    let (base, sources) = hand_driven_upstream().await;
    let state = tempfile::tempdir().unwrap();
    let meter = meter(state.path(), BudgetConfig::default());
    let proxy = MeteringProxy::start(upstreams(&base, None), Some(meter), PANE).unwrap();
    let http = client();
    let n = 150;
    let (direct_body, direct) =
        timed_stream(&http, &format!("{base}/v1/messages"), &sources, n).await;
    let via = format!("{}/v1/messages", proxy.base_url(Family::Anthropic));
    let (proxied_body, proxied) = timed_stream(&http, &via, &sources, n).await;
    assert_eq!(proxied_body, direct_body);
    let (d, p) = (median(direct), median(proxied));
    let added = p.saturating_sub(d);
    println!("per-chunk latency: direct median {d} µs, through the proxy {p} µs, added {added} µs");
    assert!(
        added < 1000,
        "the proxy added {added} µs per chunk (direct {d} µs, proxied {p} µs)"
    );
}

#[tokio::test]
async fn dropping_the_proxy_stops_it_and_its_streams() {
    let script = "[defaults]\ndelay_ms = 100\n\n[[reply]]\nwords = 200\nchunk = 1\n";
    let server = MockServer::start(Script::from_toml_str(script).unwrap())
        .await
        .unwrap();
    let proxy = MeteringProxy::start(upstreams(&server.base_url(), None), None, PANE).unwrap();
    let base = proxy.base_url(Family::Anthropic);
    let http = client();
    let resp = Call::Messages.send(&http, &base, "k").send().await.unwrap();
    let mut stream = resp.bytes_stream();
    stream.next().await.unwrap().unwrap();
    proxy.shutdown();
    // The open stream ends (cut) instead of running on...
    let rest = tokio::time::timeout(Duration::from_secs(5), async {
        let mut cut = false;
        while let Some(chunk) = stream.next().await {
            if chunk.is_err() {
                cut = true;
            }
        }
        cut
    })
    .await
    .expect("the stream outlived the proxy");
    assert!(rest, "the stream was cut, not finished");
    // ...the upstream sees the hang-up, and new connections are refused.
    let deadline = Instant::now() + Duration::from_secs(5);
    while server.open_streams() > 0 {
        assert!(Instant::now() < deadline, "the upstream stream stayed open");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let again = Call::Messages.send(&http, &base, "k").send().await;
    assert!(again.is_err(), "the proxy still answers after shutdown");
}
