//! Scripted faults: HTTP errors, stalls, truncation, malformed and error
//! events, an exhausted script, request checks.

use std::time::Duration;

use serde_json::{Value, json};

use super::support::{PATHS, body_for, dechunk, json_of, parse_sse, post, raw_post, run_once};
use crate::mockserver::{MockServer, Reply, Script, TruncateMode};

fn one(reply: Reply) -> Script {
    Script {
        replies: vec![reply],
        ..Script::default()
    }
}

fn text_reply() -> Reply {
    Reply {
        text: Some("one two three four five six seven".into()),
        ..Reply::default()
    }
}

#[tokio::test]
async fn rate_limit_error_has_retry_headers_and_the_real_body_shape() {
    for path in PATHS {
        let server = MockServer::start(one(Reply {
            status: Some(429),
            retry_after: Some(2),
            retry_after_ms: Some(1500),
            ..Reply::default()
        }))
        .await
        .unwrap();
        let resp = post(&server, path, &body_for(path)).await;
        assert_eq!(resp.status().as_u16(), 429);
        let headers = resp.headers().clone();
        assert_eq!(headers["retry-after"], "2");
        assert_eq!(headers["retry-after-ms"], "1500");
        assert_eq!(headers["content-type"], "application/json");
        let body: Value = json_of(resp).await;
        if path == "/v1/messages" {
            assert_eq!(body["type"], "error");
            assert_eq!(body["error"]["type"], "rate_limit_error");
            assert_eq!(headers["anthropic-ratelimit-requests-remaining"], "0");
            assert!(headers.contains_key("request-id"));
        } else {
            assert_eq!(body["error"]["code"], "rate_limit_exceeded");
            assert!(
                body["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("Rate limit")
            );
            assert_eq!(headers["x-ratelimit-remaining-requests"], "0");
            assert!(headers.contains_key("x-request-id"));
        }
        assert_eq!(server.replies_served(), 1);
    }
}

#[tokio::test]
async fn status_errors_use_provider_specific_kinds() {
    let (_s, status, text) = run_once(
        one(Reply {
            status: Some(529),
            ..Reply::default()
        }),
        "/v1/messages",
    )
    .await;
    assert_eq!(status, 529);
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        body,
        json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
    );

    let (_s, status, text) = run_once(
        one(Reply {
            status: Some(401),
            ..Reply::default()
        }),
        "/v1/responses",
    )
    .await;
    assert_eq!(status, 401);
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["error"]["code"], "invalid_api_key");
    assert_eq!(body["error"]["type"], "invalid_request_error");

    let (_s, status, text) = run_once(
        one(Reply {
            status: Some(500),
            error_kind: Some("api_error".into()),
            error_message: Some("boom".into()),
            ..Reply::default()
        }),
        "/v1/messages",
    )
    .await;
    assert_eq!(status, 500);
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap()["error"]["message"],
        "boom"
    );
}

#[tokio::test]
async fn error_body_overrides_verbatim() {
    let (_s, status, text) = run_once(
        one(Reply {
            status: Some(502),
            error_body: Some(json!("<html>Bad Gateway</html>")),
            ..Reply::default()
        }),
        "/v1/chat/completions",
    )
    .await;
    assert_eq!(status, 502);
    assert_eq!(text, "<html>Bad Gateway</html>");
}

#[tokio::test]
async fn stall_sends_n_events_then_holds_the_connection_open() {
    let server = MockServer::start(one(Reply {
        stall_after_events: Some(3),
        ..text_reply()
    }))
    .await
    .unwrap();
    let mut resp = post(&server, "/v1/messages", &body_for("/v1/messages")).await;
    let mut received = String::new();
    let outcome = loop {
        match tokio::time::timeout(Duration::from_millis(300), resp.chunk()).await {
            Ok(Ok(Some(bytes))) => received.push_str(std::str::from_utf8(&bytes).unwrap()),
            Ok(other) => break format!("stream ended: {other:?}"),
            Err(_) => break "idle".to_string(),
        }
    };
    assert_eq!(outcome, "idle");
    let (events, _) = parse_sse(&received);
    assert_eq!(events.len(), 3);
}

#[tokio::test]
async fn truncate_abort_breaks_the_chunked_body() {
    let server = MockServer::start(one(Reply {
        truncate_after_events: Some(4),
        ..text_reply()
    }))
    .await
    .unwrap();
    let raw = raw_post(server.addr(), "/v1/messages", &body_for("/v1/messages")).await;
    let (head, body, terminated) = dechunk(&raw);
    assert!(head.starts_with("HTTP/1.1 200"));
    assert!(!terminated, "no final zero-length chunk");
    let (events, _) = parse_sse(std::str::from_utf8(&body).unwrap());
    assert_eq!(events.len(), 4);
}

#[tokio::test]
async fn truncate_abort_is_an_error_for_reqwest() {
    let server = MockServer::start(one(Reply {
        truncate_after_events: Some(2),
        ..text_reply()
    }))
    .await
    .unwrap();
    let resp = post(&server, "/v1/responses", &body_for("/v1/responses")).await;
    assert_eq!(resp.status().as_u16(), 200);
    assert!(resp.text().await.is_err());
}

#[tokio::test]
async fn truncate_clean_ends_without_the_final_event() {
    for path in PATHS {
        let (_s, status, text) = run_once(
            one(Reply {
                truncate_after_events: Some(3),
                truncate_mode: Some(TruncateMode::Clean),
                ..text_reply()
            }),
            path,
        )
        .await;
        assert_eq!(status, 200);
        let (events, _) = parse_sse(&text);
        assert_eq!(events.len(), 3, "{path}");
        assert!(!text.contains("message_stop") && !text.contains("[DONE]"));
        assert!(!text.contains("response.completed"));
    }
}

#[tokio::test]
async fn malformed_sends_invalid_json_after_n_events() {
    for path in PATHS {
        let (_s, _, text) = run_once(
            one(Reply {
                malformed_after_events: Some(2),
                ..text_reply()
            }),
            path,
        )
        .await;
        let (events, _) = parse_sse(&text);
        assert_eq!(events.len(), 3, "{path}");
        events[..2].iter().for_each(|e| {
            e.json();
        });
        assert!(serde_json::from_str::<Value>(&events[2].data).is_err());
    }
}

#[tokio::test]
async fn error_events_follow_each_protocol() {
    let reply = || Reply {
        error_event_after_events: Some(2),
        ..text_reply()
    };
    let (_s, _, text) = run_once(one(reply()), "/v1/messages").await;
    let (events, _) = parse_sse(&text);
    assert_eq!(events.len(), 3);
    assert_eq!(events[2].event.as_deref(), Some("error"));
    assert_eq!(
        events[2].json(),
        json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
    );

    let (_s, _, text) = run_once(one(reply()), "/v1/responses").await;
    let (events, _) = parse_sse(&text);
    let failed = events[2].json();
    assert_eq!(failed["type"], "response.failed");
    assert_eq!(failed["sequence_number"], 2);
    assert_eq!(failed["response"]["status"], "failed");
    assert_eq!(failed["response"]["error"]["code"], "server_error");

    let (_s, _, text) = run_once(
        one(Reply {
            error_kind: Some("rate_limit_error".into()),
            error_message: Some("slow down".into()),
            ..reply()
        }),
        "/v1/chat/completions",
    )
    .await;
    let (events, _) = parse_sse(&text);
    let error = events[2].json();
    assert_eq!(error["error"]["type"], "rate_limit_error");
    assert_eq!(error["error"]["message"], "slow down");
    assert!(!text.contains("[DONE]"));
}

#[tokio::test]
async fn exhausted_script_answers_500_on_every_protocol() {
    let server = MockServer::start(Script::texts(["only"])).await.unwrap();
    let resp = post(&server, "/v1/messages", &body_for("/v1/messages")).await;
    assert_eq!(resp.status().as_u16(), 200);
    resp.text().await.unwrap();
    for path in PATHS {
        let resp = post(&server, path, &body_for(path)).await;
        assert_eq!(resp.status().as_u16(), 500);
        let text = resp.text().await.unwrap();
        assert!(text.contains("mock script exhausted"), "{text}");
    }
    assert_eq!(server.replies_served(), 1);
}

#[tokio::test]
async fn requests_are_checked_like_the_real_servers() {
    let server = MockServer::start(Script::texts(["a"])).await.unwrap();
    let client = super::support::client();
    let url = format!("{}/v1/messages", server.base_url());
    let resp = client
        .post(&url)
        .header("content-type", "application/json")
        .body(body_for("/v1/messages").to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let body: Value = json_of(resp).await;
    assert_eq!(body["error"]["type"], "invalid_request_error");
    assert_eq!(
        body["error"]["message"],
        "anthropic-version: header is required"
    );

    let mut no_max = body_for("/v1/messages");
    no_max.as_object_mut().unwrap().remove("max_tokens");
    let resp = post(&server, "/v1/messages", &no_max).await;
    assert_eq!(resp.status().as_u16(), 400);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("max_tokens: Field required")
    );

    let resp = post(
        &server,
        "/v1/responses",
        &json!({"model": "m", "stream": true}),
    )
    .await;
    assert_eq!(resp.status().as_u16(), 400);
    let body: Value = json_of(resp).await;
    assert_eq!(body["error"]["param"], "input");

    let resp = post(
        &server,
        "/v1/chat/completions",
        &json!({"model": "m", "messages": []}),
    )
    .await;
    assert_eq!(
        resp.status().as_u16(),
        400,
        "non-streaming requests are refused"
    );

    assert_eq!(
        server.replies_served(),
        0,
        "rejected requests take no reply"
    );
    let resp = post(&server, "/v1/messages", &body_for("/v1/messages")).await;
    assert_eq!(resp.status().as_u16(), 200);
}

#[tokio::test]
async fn validation_can_be_switched_off() {
    let mut script = Script::texts(["lenient"]);
    script.defaults.validate = Some(false);
    let server = MockServer::start(script).await.unwrap();
    let resp = post(&server, "/v1/messages", &json!({"messages": []})).await;
    assert_eq!(resp.status().as_u16(), 200);
    assert!(resp.text().await.unwrap().contains("lenient"));
}
