//! Realistic rate-limit (and request-id) response headers, so the client's
//! header parsing and the quota meter see the same shapes the real APIs send.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::protocol::Protocol;

const REQUESTS_LIMIT: u64 = 4000;
const TOKENS_LIMIT: u64 = 2_000_000;

/// Headers for the `served`-th reply (1-based). A 429 reports no headroom.
pub(crate) fn headers(
    protocol: Protocol,
    served: usize,
    tokens_used: u64,
    exhausted: bool,
) -> Vec<(String, String)> {
    let served = served as u64;
    let (req_left, tok_left) = if exhausted {
        (0, 0)
    } else {
        (
            REQUESTS_LIMIT.saturating_sub(served),
            TOKENS_LIMIT.saturating_sub(tokens_used),
        )
    };
    let now = SystemTime::now();
    match protocol {
        Protocol::Anthropic => {
            let reset = rfc3339(now + Duration::from_secs(60));
            let mut out = vec![
                h("anthropic-ratelimit-requests-limit", REQUESTS_LIMIT),
                h("anthropic-ratelimit-requests-remaining", req_left),
                h("anthropic-ratelimit-requests-reset", &reset),
                h("anthropic-ratelimit-tokens-limit", TOKENS_LIMIT),
                h("anthropic-ratelimit-tokens-remaining", tok_left),
                h("anthropic-ratelimit-tokens-reset", &reset),
                h("request-id", format!("req_mock_{served}")),
            ];
            for kind in ["input", "output"] {
                out.push(h(
                    &format!("anthropic-ratelimit-{kind}-tokens-limit"),
                    TOKENS_LIMIT / 2,
                ));
                out.push(h(
                    &format!("anthropic-ratelimit-{kind}-tokens-remaining"),
                    tok_left / 2,
                ));
                out.push(h(
                    &format!("anthropic-ratelimit-{kind}-tokens-reset"),
                    &reset,
                ));
            }
            out
        }
        Protocol::OpenAiResponses | Protocol::OpenAiChat => vec![
            h("x-ratelimit-limit-requests", REQUESTS_LIMIT),
            h("x-ratelimit-limit-tokens", TOKENS_LIMIT),
            h("x-ratelimit-remaining-requests", req_left),
            h("x-ratelimit-remaining-tokens", tok_left),
            h("x-ratelimit-reset-requests", "15ms"),
            h("x-ratelimit-reset-tokens", "1m30s"),
            h("x-request-id", format!("req_mock_{served}")),
        ],
    }
}

fn h(name: &str, value: impl ToString) -> (String, String) {
    (name.to_string(), value.to_string())
}

/// Formats a time as RFC 3339 UTC (`2025-01-02T03:04:05Z`), the format of
/// Anthropic's `*-reset` headers.
pub(crate) fn rfc3339(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Howard Hinnant's civil-from-days algorithm.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_formats_known_instants() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let t = UNIX_EPOCH + Duration::from_secs(1_709_251_199);
        assert_eq!(rfc3339(t), "2024-02-29T23:59:59Z");
    }
}
