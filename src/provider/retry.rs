//! When and how long to wait before retrying a model call.
//!
//! Model APIs fail transiently all the time (overload, rate limits, proxies
//! dropping long streams), so the driver retries with exponential backoff
//! and jitter, and defers to the server when it says how long to wait.

use std::time::Duration;

/// How many times to retry and how long to wait in between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (so `max_retries + 1` attempts).
    pub max_retries: u32,
    /// The wait before the first retry; doubles with every retry.
    pub base_delay: Duration,
    /// Upper bound of the computed (exponential) wait.
    pub max_delay: Duration,
    /// Upper bound of a server-requested wait (`retry-after`). A server
    /// asking for longer (a rate-limit window of many minutes) is still
    /// retried after this cap: the user sees a `Retrying` event rather than
    /// a silent multi-minute hang, and a cancelled call stops at once.
    pub max_server_delay: Duration,
}

impl Default for RetryPolicy {
    /// 4 retries, 500 ms doubling to at most 30 s, server waits capped at
    /// 60 s.
    fn default() -> Self {
        Self {
            max_retries: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_server_delay: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The default timing with a given retry budget (the provider config
    /// sets the count, the timing is the same everywhere).
    pub fn with_max_retries(max_retries: u32) -> Self {
        Self {
            max_retries,
            ..Self::default()
        }
    }

    /// The wait before retry number `retry` (1-based): the server's
    /// `retry-after` if it gave one (capped at `max_server_delay`),
    /// otherwise `base_delay * 2^(retry-1)` capped at `max_delay`, minus up
    /// to 25 % random jitter so that many clients hit by the same outage do
    /// not come back in lockstep.
    pub fn delay(&self, retry: u32, server_delay: Option<Duration>) -> Duration {
        if let Some(server) = server_delay {
            return server.min(self.max_server_delay);
        }
        let exp = retry.saturating_sub(1).min(20);
        let full = self.base_delay.saturating_mul(1 << exp).min(self.max_delay);
        full.mul_f64(1.0 - 0.25 * fastrand::f64())
    }
}

/// True for HTTP statuses that a retry can fix: request timeout (408),
/// conflict (409, used for lock contention), rate limit (429), Anthropic's
/// overloaded (529) and server errors (500, 502, 503, 504 and other 5xx
/// except 501 Not Implemented and 505 HTTP Version Not Supported, which
/// will not change on retry).
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 409 | 429)
        || ((500..=599).contains(&status) && !matches!(status, 501 | 505))
}

/// True for mid-stream API error kinds that are worth retrying, for wire
/// decoders that need a shared list: Anthropic `overloaded_error` and
/// `api_error`, OpenAI `server_error` / `rate_limit_exceeded` and similar.
pub fn is_retryable_error_kind(kind: &str) -> bool {
    matches!(
        kind,
        "overloaded_error"
            | "api_error"
            | "rate_limit_error"
            | "server_error"
            | "rate_limit_exceeded"
            | "internal_error"
            | "timeout_error"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retryable_statuses() {
        for s in [408, 409, 429, 500, 502, 503, 504, 529, 520] {
            assert!(is_retryable_status(s), "{s}");
        }
        for s in [200, 400, 401, 403, 404, 413, 422, 501, 505] {
            assert!(!is_retryable_status(s), "{s}");
        }
    }

    #[test]
    fn retryable_error_kinds() {
        assert!(is_retryable_error_kind("overloaded_error"));
        assert!(!is_retryable_error_kind("invalid_request_error"));
        assert!(!is_retryable_error_kind("authentication_error"));
    }

    #[test]
    fn backoff_doubles_with_jitter_and_caps() {
        let p = RetryPolicy::default();
        for _ in 0..100 {
            let d1 = p.delay(1, None);
            assert!(d1 <= Duration::from_millis(500) && d1 >= Duration::from_millis(375));
            let d3 = p.delay(3, None);
            assert!(d3 <= Duration::from_secs(2) && d3 >= Duration::from_millis(1500));
            let d_big = p.delay(40, None);
            assert!(d_big <= Duration::from_secs(30) && d_big >= Duration::from_millis(22_500));
        }
    }

    #[test]
    fn jitter_varies() {
        let p = RetryPolicy::default();
        let delays: std::collections::HashSet<_> = (0..20).map(|_| p.delay(2, None)).collect();
        assert!(delays.len() > 1);
    }

    #[test]
    fn server_delay_overrides_and_is_capped() {
        let p = RetryPolicy::default();
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(7))),
            Duration::from_secs(7)
        );
        assert_eq!(p.delay(5, Some(Duration::ZERO)), Duration::ZERO);
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(3600))),
            Duration::from_secs(60)
        );
    }

    #[test]
    fn with_max_retries_keeps_timing() {
        let p = RetryPolicy::with_max_retries(9);
        assert_eq!(p.max_retries, 9);
        assert_eq!(p.base_delay, RetryPolicy::default().base_delay);
    }
}
