//! The proxy's own answers: a spent budget, an unreachable upstream, a
//! wrong token, and a stopped proxy.

use super::*;

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
