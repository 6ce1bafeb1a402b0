//! The metering proxy for hosted agents, over real loopback HTTP: the
//! scripted mock model server (or a hand-driven upstream) behind it, a real
//! reqwest client in front, a real SQLite ledger under a temp dir.
//!
//! `streams`: what passes through and what is metered; `refusals`: what
//! the proxy answers itself; `keys`: credentials and the environment for
//! hosted programs; `latency`: the time it adds per chunk.

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

/// Blanks the digits of `"created":N` / `"created_at":N`, the only part of
/// the mock's output that depends on the clock (seconds), so two fresh
/// servers' bodies can be compared byte for byte otherwise.
fn without_clock(body: &[u8]) -> Vec<u8> {
    let text = String::from_utf8(body.to_vec()).unwrap();
    let re = regex::Regex::new(r#""(created|created_at)":\d+"#).unwrap();
    re.replace_all(&text, "\"$1\":0").into_owned().into_bytes()
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

mod keys;
mod latency;
mod refusals;
mod streams;
