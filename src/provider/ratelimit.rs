//! Rate-limit and `retry-after` header parsing.
//!
//! Providers report headroom in response headers: Anthropic as
//! `anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-{limit,remaining,reset}`
//! with RFC 3339 reset timestamps, OpenAI as
//! `x-ratelimit-{limit,remaining,reset}-{requests,tokens}` with Go-style
//! durations (`6m0s`). Both become one [`RateLimitSnapshot`] with resets
//! relative to the time the response was seen, so the quota meter does not
//! care which provider spoke. The two date/duration formats are parsed by
//! hand: each is a few lines and a date-time crate would be a large
//! dependency for them.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::HeaderMap;

use super::{RateLimitSnapshot, RateLimitWindow};

/// Reads every known rate-limit header. `now` is when the response arrived;
/// it becomes `observed_at` and the origin of every `reset_after`.
pub fn parse_rate_limits(headers: &HeaderMap, now: SystemTime) -> RateLimitSnapshot {
    let anthropic = |kind: &str| {
        window(
            header(headers, &format!("anthropic-ratelimit-{kind}-limit")),
            header(headers, &format!("anthropic-ratelimit-{kind}-remaining")),
            header(headers, &format!("anthropic-ratelimit-{kind}-reset"))
                .and_then(parse_rfc3339)
                .map(|at| at.duration_since(now).unwrap_or(Duration::ZERO)),
        )
    };
    let openai = |kind: &str| {
        window(
            header(headers, &format!("x-ratelimit-limit-{kind}")),
            header(headers, &format!("x-ratelimit-remaining-{kind}")),
            header(headers, &format!("x-ratelimit-reset-{kind}")).and_then(parse_go_duration),
        )
    };
    RateLimitSnapshot {
        observed_at: now,
        requests: anthropic("requests").or_else(|| openai("requests")),
        tokens: anthropic("tokens").or_else(|| openai("tokens")),
        input_tokens: anthropic("input-tokens"),
        output_tokens: anthropic("output-tokens"),
    }
}

/// How long the server asked us to wait before retrying, if it said so.
///
/// `retry-after-ms` (milliseconds, fractions allowed; sent by OpenAI and
/// Anthropic) wins over `retry-after` (whole or fractional seconds, or an
/// HTTP date). A date in the past means "now"; nonsense values are ignored.
pub fn parse_retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    if let Some(ms) = header(headers, "retry-after-ms").and_then(parse_non_negative) {
        return Duration::try_from_secs_f64(ms / 1000.0).ok();
    }
    let value = header(headers, "retry-after")?;
    if let Some(secs) = parse_non_negative(value) {
        return Duration::try_from_secs_f64(secs).ok();
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Parses an RFC 3339 timestamp (`2025-01-02T03:04:05.5Z`,
/// `...+01:00`). Returns `None` for anything malformed or before 1970.
pub fn parse_rfc3339(s: &str) -> Option<SystemTime> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    if !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let year = digits(&b[0..4])?;
    let month = digits(&b[5..7])?;
    let day = digits(&b[8..10])?;
    let (hour, min, sec) = (
        digits(&b[11..13])?,
        digits(&b[14..16])?,
        digits(&b[17..19])?,
    );
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || min > 59
        || sec > 60
    {
        return None;
    }
    let mut rest = &b[19..];
    let mut nanos = 0u32;
    if let [b'.', tail @ ..] = rest {
        let n = tail.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        for (i, c) in tail[..n.min(9)].iter().enumerate() {
            nanos += u32::from(c - b'0') * 10u32.pow(8 - i as u32);
        }
        rest = &tail[n..];
    }
    let offset_secs: i64 = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let (h, m) = (digits(&[*h1, *h2])?, digits(&[*m1, *m2])?);
            if h > 23 || m > 59 {
                return None;
            }
            let off = i64::from(h * 3600 + m * 60);
            if *sign == b'+' { off } else { -off }
        }
        _ => return None,
    };
    let days = days_from_civil(i64::from(year), month, day);
    let secs = days * 86_400 + i64::from(hour * 3600 + min * 60 + sec) - offset_secs;
    let secs = u64::try_from(secs).ok()?;
    UNIX_EPOCH.checked_add(Duration::new(secs, nanos))
}

/// Parses a Go `time.Duration` string as OpenAI sends it (`1s`, `6m0s`,
/// `20ms`, `1h2m3.5s`; units `h m s ms us µs ns`). A bare number is taken
/// as seconds, which some relays send. Negative durations are rejected.
pub fn parse_go_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let s = s.strip_prefix('+').unwrap_or(s);
    if s.is_empty() {
        return None;
    }
    if let Some(secs) = parse_non_negative(s) {
        return Duration::try_from_secs_f64(secs).ok();
    }
    let mut rest = s;
    let mut total = 0f64;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number: f64 = rest[..num_len].parse().ok()?;
        rest = &rest[num_len..];
        let (unit_secs, unit_len) = [
            ("ns", 1e-9),
            ("us", 1e-6),
            ("µs", 1e-6),
            ("μs", 1e-6),
            ("ms", 1e-3),
            ("s", 1.0),
            ("m", 60.0),
            ("h", 3600.0),
        ]
        .iter()
        .find(|(unit, _)| rest.starts_with(unit))
        .map(|(unit, secs)| (*secs, unit.len()))?;
        total += number * unit_secs;
        rest = &rest[unit_len..];
    }
    Duration::try_from_secs_f64(total).ok()
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)?
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

fn window(
    limit: Option<&str>,
    remaining: Option<&str>,
    reset_after: Option<Duration>,
) -> Option<RateLimitWindow> {
    let w = RateLimitWindow {
        limit: limit.and_then(|v| v.parse().ok()),
        remaining: remaining.and_then(|v| v.parse().ok()),
        reset_after,
    };
    (w != RateLimitWindow::default()).then_some(w)
}

/// A finite, non-negative decimal number (`1`, `1.5`).
fn parse_non_negative(s: &str) -> Option<f64> {
    if !s.bytes().all(|c| c.is_ascii_digit() || c == b'.') {
        return None;
    }
    s.parse::<f64>().ok().filter(|v| v.is_finite())
}

fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |acc, c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((month + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn rfc3339_timestamps() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(at(0)));
        assert_eq!(
            parse_rfc3339("2024-01-01T00:00:30Z"),
            Some(at(1_704_067_230))
        );
        assert_eq!(
            parse_rfc3339("2024-02-29T12:00:00.25+02:00"),
            Some(at(1_709_200_800) + Duration::from_millis(250))
        );
        assert_eq!(
            parse_rfc3339("2000-03-01t00:00:00-00:30"),
            Some(at(951_870_600))
        );
        assert_eq!(
            parse_rfc3339("2025-06-01T00:00:00.123456789123Z"),
            Some(at(1_748_736_000) + Duration::from_nanos(123_456_789))
        );
        for bad in [
            "",
            "2024-01-01",
            "2024-13-01T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2024-01-01T24:00:00Z",
            "2024-01-01T00:00:00",
            "2024-01-01T00:00:00.Z",
            "2024-01-01T00:00:00+0100",
            "1969-12-31T23:59:59Z",
            "2024-01-01X00:00:00Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn go_durations() {
        let ms = Duration::from_millis;
        assert_eq!(parse_go_duration("1s"), Some(ms(1000)));
        assert_eq!(parse_go_duration("6m0s"), Some(ms(360_000)));
        assert_eq!(parse_go_duration("20ms"), Some(ms(20)));
        assert_eq!(parse_go_duration("1h2m3.5s"), Some(ms(3_723_500)));
        assert_eq!(parse_go_duration("0s"), Some(Duration::ZERO));
        assert_eq!(parse_go_duration("1.5"), Some(ms(1500)));
        assert_eq!(parse_go_duration("500us"), Some(Duration::from_micros(500)));
        assert_eq!(parse_go_duration("2µs"), Some(Duration::from_micros(2)));
        assert_eq!(parse_go_duration("7ns"), Some(Duration::from_nanos(7)));
        for bad in ["", "s", "1x", "-1s", "1s2", "1.2.3s", "ms"] {
            assert_eq!(parse_go_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn anthropic_headers() {
        let now = at(1_704_067_200); // 2024-01-01T00:00:00Z
        let h = headers(&[
            ("anthropic-ratelimit-requests-limit", "50"),
            ("anthropic-ratelimit-requests-remaining", "49"),
            ("anthropic-ratelimit-requests-reset", "2024-01-01T00:00:30Z"),
            ("anthropic-ratelimit-input-tokens-limit", "40000"),
            ("anthropic-ratelimit-input-tokens-remaining", "39000"),
            (
                "anthropic-ratelimit-output-tokens-reset",
                "2023-12-31T23:00:00Z",
            ),
            ("anthropic-ratelimit-tokens-remaining", "not a number"),
        ]);
        let snap = parse_rate_limits(&h, now);
        assert_eq!(snap.observed_at, now);
        assert_eq!(
            snap.requests,
            Some(RateLimitWindow {
                limit: Some(50),
                remaining: Some(49),
                reset_after: Some(Duration::from_secs(30)),
            })
        );
        assert_eq!(snap.input_tokens.unwrap().remaining, Some(39000));
        assert_eq!(
            snap.output_tokens.unwrap().reset_after,
            Some(Duration::ZERO),
            "a reset in the past is now"
        );
        assert_eq!(snap.tokens, None, "unparsable values carry nothing");
        assert!(!snap.is_empty());
    }

    #[test]
    fn openai_headers() {
        let h = headers(&[
            ("x-ratelimit-limit-requests", "500"),
            ("x-ratelimit-remaining-requests", "499"),
            ("x-ratelimit-reset-requests", "120ms"),
            ("x-ratelimit-limit-tokens", "30000"),
            ("x-ratelimit-remaining-tokens", "29000"),
            ("x-ratelimit-reset-tokens", "6m0s"),
        ]);
        let snap = parse_rate_limits(&h, at(0));
        assert_eq!(
            snap.requests.unwrap().reset_after,
            Some(Duration::from_millis(120))
        );
        assert_eq!(
            snap.tokens,
            Some(RateLimitWindow {
                limit: Some(30000),
                remaining: Some(29000),
                reset_after: Some(Duration::from_secs(360)),
            })
        );
        assert_eq!(snap.input_tokens, None);
    }

    #[test]
    fn no_headers_is_empty() {
        let h = headers(&[("content-type", "text/event-stream")]);
        assert!(parse_rate_limits(&h, SystemTime::now()).is_empty());
    }

    #[test]
    fn retry_after_forms() {
        let now = at(1_445_412_480); // Wed, 21 Oct 2015 07:28:00 GMT
        let ra = |pairs: &[(&'static str, &str)]| parse_retry_after(&headers(pairs), now);
        assert_eq!(
            ra(&[("retry-after-ms", "1500")]),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            ra(&[("retry-after-ms", "12.5")]),
            Some(Duration::from_micros(12_500))
        );
        assert_eq!(
            ra(&[("retry-after-ms", "200"), ("retry-after", "10")]),
            Some(Duration::from_millis(200)),
            "milliseconds win"
        );
        assert_eq!(
            ra(&[("retry-after-ms", "bogus"), ("retry-after", "3")]),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            ra(&[("retry-after", "0.5")]),
            Some(Duration::from_millis(500))
        );
        assert_eq!(
            ra(&[("retry-after", "Wed, 21 Oct 2015 07:28:09 GMT")]),
            Some(Duration::from_secs(9))
        );
        assert_eq!(
            ra(&[("retry-after", "Wed, 21 Oct 2015 07:00:00 GMT")]),
            Some(Duration::ZERO)
        );
        assert_eq!(ra(&[("retry-after", "-5")]), None);
        assert_eq!(ra(&[("retry-after", "soon")]), None);
        assert_eq!(ra(&[("retry-after", "1e999")]), None);
        assert_eq!(ra(&[]), None);
    }
}
