//! What passes through the proxy, and what the meter learns from it.

use super::*;

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
            .send(&http, &direct.base_url(), "k")
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
