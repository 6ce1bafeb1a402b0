//! One request through the proxy: the budget gate, the upstream request
//! (same method, path, query, body and headers, with the configured key
//! put on it), and the response streamed back chunk by chunk while a
//! metering task reads copies of the chunks.

use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use futures_util::StreamExt;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::header::{self, HeaderMap, HeaderName};
use hyper::{Request, Response};
use serde_json::Value;
use tokio::sync::mpsc;

use super::usage::{CallKind, Tap};
use super::{Family, Shared, Upstream, refuse};
use crate::provider::client::endpoint_url as client_endpoint_url;
use crate::provider::ratelimit::parse_rate_limits;
use crate::quota::{BudgetState, Meter};

/// The body type of every proxy response.
pub(super) type ProxyBody = BoxBody<Bytes, io::Error>;

/// How long connecting to the upstream may take before the client gets a
/// 502. Once connected, streams may run as long as the model writes; the
/// hosted program's own timeouts govern those.
pub(super) const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// Headers that belong to one connection, not to the request: never
/// forwarded in either direction. `host` and `content-length` are set anew
/// for the upstream; `accept-encoding` is dropped so the upstream answers
/// uncompressed and the usage in the body can be read.
const HOP_BY_HOP: [&str; 11] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
];

/// Forwards one request of `family` whose path after the family prefix is
/// `rest`, and answers with the upstream's response (or the proxy's own
/// refusal).
pub(super) async fn forward(
    shared: &Arc<Shared>,
    family: Family,
    rest: &str,
    req: Request<Incoming>,
) -> Response<ProxyBody> {
    let started = Instant::now();
    let upstream = shared.upstream(family);
    let api_path = rest
        .strip_prefix("/v1")
        .filter(|p| p.is_empty() || p.starts_with('/'));
    let kind = api_path.and_then(|p| CallKind::of(family, p));
    if let (Some(_), Some(meter)) = (kind, &shared.meter)
        && let BudgetState::Exhausted { kind, spent, limit } = meter.state()
    {
        tracing::info!(pane = %shared.pane, budget = kind.key(), "metering proxy: refused a call, budget spent");
        return refuse::budget_spent(family, kind, spent, limit);
    }

    let url = upstream_url(upstream, rest, api_path, req.uri().query());
    let (parts, body) = req.into_parts();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) => return refuse::unreadable_request(family, &e.to_string()),
    };
    let requested_model = kind.and_then(|_| model_of(&body));
    let headers = upstream_headers(&parts.headers, upstream);

    let sent = shared
        .http
        .request(parts.method, &url)
        .headers(headers)
        .body(body)
        .send()
        .await;
    let upstream_resp = match sent {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(provider = %upstream.provider, error = %e, "metering proxy: upstream unreachable");
            return refuse::upstream_failed(family, &upstream.provider, &upstream.base_url, &e);
        }
    };

    let status = upstream_resp.status();
    let mut out_headers = upstream_resp.headers().clone();
    strip_hop_by_hop(&mut out_headers);
    let tap = match (&shared.meter, kind) {
        (Some(meter), Some(kind)) => {
            let limits = parse_rate_limits(upstream_resp.headers(), SystemTime::now());
            if !limits.is_empty() {
                meter.set_rate_limits(&upstream.provider, limits);
            }
            status.is_success().then(|| {
                let content_type = header_str(upstream_resp.headers(), header::CONTENT_TYPE);
                let call = Call {
                    meter: meter.clone(),
                    pane: shared.pane.clone(),
                    provider: upstream.provider.clone(),
                    model: requested_model,
                    request_id: request_id(upstream_resp.headers()),
                    started,
                };
                spawn_metering(call, Tap::new(kind, content_type.unwrap_or("")))
            })
        }
        _ => None,
    };

    let stream = upstream_resp.bytes_stream().map(move |chunk| match chunk {
        Ok(bytes) => {
            if let Some(tx) = &tap {
                // A cheap clone (a reference count) for the metering task;
                // the chunk itself goes on at once.
                let _ = tx.send(bytes.clone());
            }
            Ok(Frame::data(bytes))
        }
        Err(e) => Err(io::Error::other(e)),
    });
    let mut resp = Response::new(BoxBody::new(StreamBody::new(stream)));
    *resp.status_mut() = status;
    *resp.headers_mut() = out_headers;
    resp
}

/// The upstream URL: a `/v1/...` path is joined to the base the way the
/// session's client joins it (a base with or without `/v1`); any other path
/// is appended to the base as it is. The query goes along unchanged.
fn upstream_url(
    upstream: &Upstream,
    rest: &str,
    api_path: Option<&str>,
    query: Option<&str>,
) -> String {
    let mut url = match api_path {
        Some(p) => client_endpoint_url(&upstream.base_url, p),
        None => format!("{}{rest}", upstream.base_url.trim_end_matches('/')),
    };
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    url
}

/// The client's headers minus the hop-by-hop ones, with the configured key
/// replacing the client's credentials (when there is one) and the
/// provider's extra headers added.
fn upstream_headers(client: &HeaderMap, upstream: &Upstream) -> HeaderMap {
    let mut headers = client.clone();
    strip_hop_by_hop(&mut headers);
    headers.remove(header::ACCEPT_ENCODING);
    if let Some((name, value)) = &upstream.auth {
        headers.remove(header::AUTHORIZATION);
        headers.remove("x-api-key");
        headers.insert(name.clone(), value.clone());
    }
    for (name, value) in &upstream.extra {
        headers.insert(name.clone(), value.clone());
    }
    headers
}

fn strip_hop_by_hop(headers: &mut HeaderMap) {
    // Headers named by `Connection` are hop-by-hop too.
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|n| HeaderName::from_bytes(n.trim().as_bytes()).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
    for name in HOP_BY_HOP {
        headers.remove(name);
    }
}

/// The `model` of a JSON request body, if it has one.
fn model_of(body: &[u8]) -> Option<String> {
    let json: Value = serde_json::from_slice(body).ok()?;
    json.get("model")?.as_str().map(str::to_string)
}

fn header_str(headers: &HeaderMap, name: HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The provider's id for the request (`request-id` from Anthropic,
/// `x-request-id` from OpenAI).
fn request_id(headers: &HeaderMap) -> Option<String> {
    ["request-id", "x-request-id"]
        .iter()
        .find_map(|n| headers.get(*n).and_then(|v| v.to_str().ok()))
        .map(str::to_string)
}

/// One metered call, recorded when its body ends.
struct Call {
    meter: Arc<Meter>,
    pane: String,
    provider: String,
    /// The model the request named; the response's is the fallback.
    model: Option<String>,
    request_id: Option<String>,
    started: Instant,
}

/// Starts the task that reads the chunks' copies and records the usage
/// once the body ends (or the client hangs up, which drops the sender).
fn spawn_metering(call: Call, mut tap: Tap) -> mpsc::UnboundedSender<Bytes> {
    let (tx, mut rx) = mpsc::unbounded_channel::<Bytes>();
    tokio::spawn(async move {
        while let Some(chunk) = rx.recv().await {
            tap.push(&chunk);
        }
        match tap.finish() {
            Ok(reported) => {
                let model = call
                    .model
                    .or(reported.model)
                    .unwrap_or_else(|| "unknown".to_string());
                call.meter.record(
                    &call.pane,
                    &call.provider,
                    &model,
                    &reported.usage,
                    call.request_id,
                    call.started.elapsed(),
                );
            }
            Err(why) => tracing::info!(
                provider = %call.provider,
                request_id = call.request_id.as_deref().unwrap_or("-"),
                %why,
                "metering proxy: no usage recorded for a call"
            ),
        }
    });
    tx
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    fn upstream(base: &str, auth: bool) -> Upstream {
        Upstream {
            provider: "p".into(),
            base_url: base.into(),
            auth: auth.then(|| {
                (
                    HeaderName::from_static("x-api-key"),
                    HeaderValue::from_static("real"),
                )
            }),
            extra: HeaderMap::new(),
        }
    }

    #[test]
    fn urls_join_like_the_client_and_keep_the_query() {
        let u = upstream("http://h:1/v1/", false);
        assert_eq!(
            upstream_url(&u, "/v1/messages", Some("/messages"), Some("beta=true")),
            "http://h:1/v1/messages?beta=true"
        );
        let u = upstream("http://h:1", false);
        assert_eq!(
            upstream_url(&u, "/v1/responses", Some("/responses"), None),
            "http://h:1/v1/responses"
        );
        assert_eq!(upstream_url(&u, "/health", None, None), "http://h:1/health");
    }

    #[test]
    fn the_key_replaces_client_credentials_and_hop_headers_go() {
        let mut client = HeaderMap::new();
        client.insert("authorization", HeaderValue::from_static("Bearer oauth"));
        client.insert("x-api-key", HeaderValue::from_static("placeholder"));
        client.insert("connection", HeaderValue::from_static("keep-alive, x-hop"));
        client.insert("x-hop", HeaderValue::from_static("1"));
        client.insert("anthropic-version", HeaderValue::from_static("2023-06-01"));
        let out = upstream_headers(&client, &upstream("http://h", true));
        assert_eq!(out.get("x-api-key").unwrap(), "real");
        assert!(out.get("authorization").is_none() && out.get("x-hop").is_none());
        assert!(out.get("connection").is_none());
        assert_eq!(out.get("anthropic-version").unwrap(), "2023-06-01");
        let out = upstream_headers(&client, &upstream("http://h", false));
        assert_eq!(out.get("authorization").unwrap(), "Bearer oauth");
        assert_eq!(out.get("x-api-key").unwrap(), "placeholder");
    }
}
