//! Markdown rendering of a realistic ~5 KB assistant answer (prose, lists,
//! a table, a Rust and a TOML code block) at width 100: the finished message,
//! the same with its code never seen before (highlighting from scratch), and
//! streaming (every prefix growing by 20 bytes, as frames see it). The target
//! is well under 1 ms per warm render.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use tandem::tui::markdown::render_markdown;
use tandem::tui::theme::{ColorDepth, Theme};

const ANSWER: &str = r#"## Why the retry loop spins

The HTTP driver retries on **429** and **5xx** responses, but it never reads the
`retry-after` header, so under rate limiting it hammers the relay with the
default backoff (250 ms, doubling) and burns the request budget within seconds.
Three things go wrong together:

1. `RetryPolicy::next_delay` only looks at the attempt number.
2. The rate-limit snapshot is parsed *after* the retry decision, so the
   headroom shown in the quota bar lags one request behind.
3. When the server sends an HTTP date instead of seconds, parsing fails
   silently and the value is dropped:
   - `retry-after: 120` works in curl but is ignored by us;
   - `retry-after: Wed, 21 Oct 2015 07:28:00 GMT` is never even attempted.

> **Note:** Anthropic sends `retry-after` in seconds, OpenAI-compatible relays
> often send both `retry-after` and `x-ratelimit-reset-requests`; we should
> honour whichever is larger.

### The fix

Parse the header first, then use it as a floor for the exponential backoff,
capped so a misbehaving relay cannot park the session for an hour:

```rust
use std::time::{Duration, SystemTime};

/// How long to wait before attempt `attempt` (0-based).
pub fn next_delay(attempt: u32, retry_after: Option<&str>, now: SystemTime) -> Duration {
    let base = Duration::from_millis(250u64.saturating_mul(1 << attempt.min(6)));
    let floor = retry_after.and_then(|v| parse_retry_after(v, now));
    floor.map_or(base, |f| f.max(base)).min(Duration::from_secs(60))
}

fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    when.duration_since(now).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_and_dates_are_both_floors() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        assert_eq!(next_delay(0, Some("3"), now), Duration::from_secs(3));
        assert_eq!(next_delay(0, Some("garbage"), now), Duration::from_millis(250));
    }
}
```

The table below summarises what each status does after the change:

| status | retried | delay | notes |
|:-------|:-------:|------:|-------|
| 429 | yes | `max(backoff, retry-after)` | capped at 60 s |
| 500, 502, 503 | yes | backoff | `retry-after` honoured when present |
| 504 | yes | backoff | the idle timeout restarts |
| 400, 401, 403 | no | — | a client error: the message says which key is wrong |
| 529 (overloaded) | yes | `max(backoff, 5 s)` | Anthropic only |

You can also configure the cap per provider:

```toml
[provider.relay]
base_url = "https://relay.example.com/v1"
max_retry_delay_secs = 30
retries = 4
```

### Alternatives considered

A **fixed delay** (say, 5 s on every 429) is simpler, but it is wrong in both
directions: too long when the relay only asks for a second, and far too short
when a daily quota is exhausted and the server says "come back in an hour". A
*jittered* exponential backoff alone spreads retries out but still ignores the
one piece of information the server gave us.

We could also **pause the run** instead of retrying, the way the budget does
when it is spent. That is the right call for long waits, so the cap matters:

- waits up to 60 s are retried in place, with the spinner showing the delay;
- longer waits pause the pane and say why, with a key to resume now;
- a `retry-after` of zero is treated as "retry with the normal backoff", since
  some relays send `0` on every error response.

> Relays differ a lot here. LiteLLM forwards the upstream header untouched,
> vLLM sends none at all, and llama.cpp's server answers 503 while a slot is
> busy — which deserves a short retry rather than a failure.

### What changes for users

Nothing visible when the provider is healthy. Under rate limiting, the Chat
pane shows `waiting 12 s (rate limit, retry 2 of 4)` instead of a burst of
failed requests, the quota meter's headroom stops flickering between *ok* and
*exhausted*, and the transcript records each wait with the header it came from,
so a slow session can be explained after the fact. Headless runs print the
same line to stderr and exit with code 75 (`EX_TEMPFAIL`) when retries run out.

### Plan

- [x] reproduce with the mock server (`tandem demo --fault 429`)
- [x] write the failing test above
- [ ] apply the fix in `provider/retry.rs` and `provider/ratelimit.rs`
- [ ] update the README's *Providers* section

Once this lands, the quota meter shows the right headroom because the snapshot
is taken from the same response the retry decision uses. See
[RFC 9110 §10.2.3](https://www.rfc-editor.org/rfc/rfc9110#field.retry-after) for
the header's grammar; note that the date form is rare in practice but
Cloudflare-fronted relays do send it.

---

Want me to apply the change now, or should Run take it as a task with the plan above?
"#;

fn bench(c: &mut Criterion) {
    let theme = Theme::built_in("dark", ColorDepth::TrueColor).unwrap();
    assert!((4_000..6_500).contains(&ANSWER.len()), "{}", ANSWER.len());

    // The very first render pays for loading bat's syntaxes and syntect's
    // themes and compiling the Rust and TOML grammars' regexes: once per
    // process, shown here rather than averaged away.
    let started = std::time::Instant::now();
    black_box(render_markdown(ANSWER, 100, &theme));
    eprintln!("markdown/first_render: {:?}", started.elapsed());

    c.bench_function("markdown/5kb_w100_warm", |b| {
        b.iter(|| render_markdown(black_box(ANSWER), 100, &theme))
    });

    // A different first code line every time: both blocks are highlighted
    // from scratch (the Rust one misses the cache, the TOML one hits).
    let mut n = 0u64;
    c.bench_function("markdown/5kb_w100_new_code", |b| {
        b.iter(|| {
            n += 1;
            let text = ANSWER.replacen("use std::time", &format!("// v{n}\nuse std::time"), 1);
            render_markdown(black_box(&text), 100, &theme)
        })
    });

    let prefixes: Vec<&str> = (1..=ANSWER.len() / 20)
        .map(|i| i * 20)
        .chain([ANSWER.len()])
        .filter(|&end| ANSWER.is_char_boundary(end))
        .map(|end| &ANSWER[..end])
        .collect();
    c.bench_function(
        &format!("markdown/stream_{}_prefixes_w100", prefixes.len()),
        |b| {
            b.iter(|| {
                for p in &prefixes {
                    black_box(render_markdown(black_box(p), 100, &theme));
                }
            })
        },
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
