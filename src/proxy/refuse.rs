//! The proxy's own answers, in each provider's error shape so a hosted
//! program shows their message the way it shows the provider's: a wrong
//! token, an unknown family, a spent budget, an unreachable upstream.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::StatusCode;
use hyper::header::{CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use serde_json::{Value, json};

use super::Family;
use super::forward::ProxyBody;
use crate::quota::BudgetKind;

/// How soon a client may retry a call refused for the budget. The proxy
/// checks the budget on every request, so a retry passes as soon as the
/// user raises it; clients that retry 429s (Claude Code) thereby pause
/// instead of failing, much like Tandem's own sessions do.
pub(super) const BUDGET_RETRY_AFTER_SECS: u64 = 30;

/// A request whose first path segment is not this proxy's token (or has no
/// family after it). Both families' parsers read `error.message` here.
pub(super) fn bad_token() -> hyper::Response<ProxyBody> {
    let message = "tandem metering proxy: this URL lacks the proxy's token; use the base URL \
                   Tandem put in ANTHROPIC_BASE_URL / OPENAI_BASE_URL. Nothing was forwarded.";
    let body = json!({
        "type": "error",
        "error": {"type": "not_found_error", "message": message, "code": "not_found"},
    });
    response(StatusCode::NOT_FOUND, &body)
}

/// The right token followed by neither `anthropic` nor `openai`.
pub(super) fn unknown_family(segment: &str) -> hyper::Response<ProxyBody> {
    let message = format!(
        "tandem metering proxy: unknown API family `{segment}`; the proxy serves \
         /TOKEN/anthropic/... and /TOKEN/openai/... Nothing was forwarded."
    );
    let body = json!({
        "type": "error",
        "error": {"type": "not_found_error", "message": message, "code": "not_found"},
    });
    response(StatusCode::NOT_FOUND, &body)
}

/// A model call refused because budget `kind` is spent (429).
///
/// Anthropic gets `rate_limit_error`, the only 429 type it has, with a
/// `retry-after` (see [`BUDGET_RETRY_AFTER_SECS`]). OpenAI gets
/// `insufficient_quota`, OpenAI's own "out of money" answer, plus
/// `x-should-retry: false`: clients treat it as final instead of burning
/// their few quick retries (which, unlike Claude Code's, are too short to
/// wait for a raised budget), and the SDKs show the message as is.
pub(super) fn budget_spent(
    family: Family,
    kind: BudgetKind,
    spent: f64,
    limit: f64,
) -> hyper::Response<ProxyBody> {
    let message = budget_message(kind, spent, limit);
    let mut resp = match family {
        Family::Anthropic => {
            let body = json!({
                "type": "error",
                "error": {"type": "rate_limit_error", "message": message},
            });
            let mut resp = response(StatusCode::TOO_MANY_REQUESTS, &body);
            resp.headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(BUDGET_RETRY_AFTER_SECS));
            resp
        }
        Family::OpenAi => {
            let body = json!({
                "error": {
                    "message": message,
                    "type": "insufficient_quota",
                    "param": null,
                    "code": "insufficient_quota",
                },
            });
            let mut resp = response(StatusCode::TOO_MANY_REQUESTS, &body);
            // The OpenAI SDKs honour this before their status-based retry.
            resp.headers_mut()
                .insert("x-should-retry", HeaderValue::from_static("false"));
            resp
        }
    };
    resp.headers_mut()
        .insert("x-tandem-budget", HeaderValue::from_static(kind.key()));
    resp
}

/// What a hosted program shows for a spent budget: which one, spent vs
/// limit, and how to go on.
fn budget_message(kind: BudgetKind, spent: f64, limit: f64) -> String {
    let amount = |v: f64| match kind {
        BudgetKind::DailyTokens | BudgetKind::MonthlyTokens => format!("{v:.0} tokens"),
        _ => format!("${v:.2}"),
    };
    format!(
        "Tandem budget spent: {} is at {} of {} (shared by every pane and hosted agent). \
         This call was not sent. Raise the budget with /budget in Tandem, or under [budget] \
         in config.toml, then retry.",
        kind.key(),
        amount(spent),
        amount(limit)
    )
}

/// The upstream could not be reached or stopped answering before its
/// headers (502), saying which provider, where, and what failed.
pub(super) fn upstream_failed(
    family: Family,
    provider: &str,
    base_url: &str,
    error: &reqwest::Error,
) -> hyper::Response<ProxyBody> {
    let mut cause = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        cause = format!("{cause}: {inner}");
        source = inner.source();
    }
    let message = format!(
        "tandem metering proxy: cannot reach provider `{provider}` at {base_url} ({cause}). \
         Check its base_url under [providers.{provider}] and [host] in config.toml, and the \
         network."
    );
    let body = match family {
        Family::Anthropic => json!({
            "type": "error",
            "error": {"type": "api_error", "message": message},
        }),
        Family::OpenAi => json!({
            "error": {
                "message": message,
                "type": "server_error",
                "param": null,
                "code": "upstream_unreachable",
            },
        }),
    };
    response(StatusCode::BAD_GATEWAY, &body)
}

/// A request body that could not be read from the hosted program (400).
pub(super) fn unreadable_request(family: Family, error: &str) -> hyper::Response<ProxyBody> {
    let message = format!("tandem metering proxy: cannot read the request body ({error})");
    let body = match family {
        Family::Anthropic => json!({
            "type": "error",
            "error": {"type": "invalid_request_error", "message": message},
        }),
        Family::OpenAi => json!({
            "error": {
                "message": message,
                "type": "invalid_request_error",
                "param": null,
                "code": null,
            },
        }),
    };
    response(StatusCode::BAD_REQUEST, &body)
}

fn response(status: StatusCode, body: &Value) -> hyper::Response<ProxyBody> {
    let full = Full::new(Bytes::from(body.to_string())).map_err(|never| match never {});
    let mut resp = hyper::Response::new(ProxyBody::new(full));
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_message_names_the_budget_the_amounts_and_the_way_out() {
        let m = budget_message(BudgetKind::DailyUsd, 5.021, 5.0);
        assert!(m.contains("daily_usd is at $5.02 of $5.00"), "{m}");
        assert!(m.contains("/budget") && m.contains("[budget]"), "{m}");
        let m = budget_message(BudgetKind::MonthlyTokens, 1200.0, 1000.0);
        assert!(m.contains("1200 tokens of 1000 tokens"), "{m}");
    }
}
