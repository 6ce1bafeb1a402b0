//! Transport shaping (line endings, tiny writes, keep-alives, pacing,
//! headers), routing and request recording.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::support::{
    PATHS, body_for, client, dechunk, json_of, parse_sse, post, raw_post, run_once,
};
use crate::mockserver::{LineEnding, MockServer, Reply, Script};

fn with(reply: Reply) -> Script {
    Script {
        replies: vec![reply],
        ..Script::default()
    }
}

const UNICODE: &str = "héllo wörld — ✓ 日本語 🦀 done";

#[tokio::test]
async fn crlf_line_endings() {
    for path in PATHS {
        let (_s, _, text) = run_once(
            with(Reply {
                text: Some("a b".into()),
                line_ending: Some(LineEnding::Crlf),
                ..Reply::default()
            }),
            path,
        )
        .await;
        assert!(text.contains("\r\n\r\n"));
        assert_eq!(text.matches('\n').count(), text.matches("\r\n").count());
        let (events, _) = parse_sse(&text);
        assert!(events.len() > 3);
    }
}

#[tokio::test]
async fn cr_line_endings_from_script_defaults() {
    let mut script = Script::texts(["a b"]);
    script.defaults.line_ending = Some(LineEnding::Cr);
    let (_s, _, text) = run_once(script, "/v1/messages").await;
    assert!(!text.contains('\n'));
    assert!(text.contains("\r\r"));
    let (events, _) = parse_sse(&text);
    assert_eq!(
        events.last().unwrap().event.as_deref(),
        Some("message_stop")
    );
}

#[tokio::test]
async fn one_byte_writes_split_events_and_characters() {
    for path in PATHS {
        let server = MockServer::start(with(Reply {
            text: Some(UNICODE.into()),
            write_chunk_bytes: Some(1),
            ..Reply::default()
        }))
        .await
        .unwrap();
        let mut resp = post(&server, path, &body_for(path)).await;
        let mut bytes = Vec::new();
        let mut chunks = 0;
        let mut split_char = false;
        while let Some(chunk) = resp.chunk().await.unwrap() {
            chunks += 1;
            split_char |= std::str::from_utf8(&chunk).is_err();
            bytes.extend_from_slice(&chunk);
        }
        assert!(chunks > 20, "{path}: {chunks} chunks");
        assert!(split_char, "{path}: some chunk ends inside a character");
        let (events, _) = parse_sse(std::str::from_utf8(&bytes).unwrap());
        let text: String = events
            .iter()
            .filter(|e| e.data != "[DONE]")
            .map(|e| e.json())
            .filter_map(|v| {
                v["delta"]["text"]
                    .as_str()
                    .or(v["choices"][0]["delta"]["content"].as_str())
                    .or((v["type"] == "response.output_text.delta")
                        .then(|| v["delta"].as_str())
                        .flatten())
                    .map(str::to_string)
            })
            .collect();
        assert_eq!(text, UNICODE, "{path}");
    }
}

#[tokio::test]
async fn seven_byte_writes_reassemble_over_a_raw_socket() {
    let server = MockServer::start(with(Reply {
        text: Some(UNICODE.into()),
        write_chunk_bytes: Some(7),
        ..Reply::default()
    }))
    .await
    .unwrap();
    let raw = raw_post(server.addr(), "/v1/messages", &body_for("/v1/messages")).await;
    let (_head, body, terminated) = dechunk(&raw);
    assert!(terminated);
    let text = String::from_utf8(body).unwrap();
    assert!(text.contains("event: message_stop"));
    assert!(String::from_utf8_lossy(&raw).contains("\r\n7\r\n"));
}

#[tokio::test]
async fn comments_and_pings_are_interleaved() {
    let (_s, _, text) = run_once(
        with(Reply {
            text: Some("a b c".into()),
            comments: Some(true),
            ..Reply::default()
        }),
        "/v1/messages",
    )
    .await;
    let (events, comments) = parse_sse(&text);
    assert!(comments > 5);
    assert!(text.contains(": keep-alive"));
    assert_eq!(events[0].event.as_deref(), Some("message_start"));
    assert_eq!(events[1].event.as_deref(), Some("ping"));
    assert_eq!(events[1].json(), json!({"type": "ping"}));
    assert_eq!(
        events.last().unwrap().event.as_deref(),
        Some("message_stop")
    );

    let (_s, _, text) = run_once(
        with(Reply {
            text: Some("a b c".into()),
            comments: Some(true),
            ..Reply::default()
        }),
        "/v1/chat/completions",
    )
    .await;
    let (events, comments) = parse_sse(&text);
    assert!(comments > 5);
    assert!(!text.contains("ping"));
    assert_eq!(events.last().unwrap().data, "[DONE]");
}

#[tokio::test]
async fn fault_counts_ignore_keepalives() {
    let (_s, _, text) = run_once(
        with(Reply {
            text: Some("a b c".into()),
            comments: Some(true),
            truncate_after_events: Some(3),
            truncate_mode: Some(crate::mockserver::TruncateMode::Clean),
            ..Reply::default()
        }),
        "/v1/chat/completions",
    )
    .await;
    let (events, _) = parse_sse(&text);
    assert_eq!(events.len(), 3);
}

#[tokio::test]
async fn delay_paces_events() {
    let server = MockServer::start(with(Reply {
        text: Some("a b c".into()),
        delay_ms: Some(20),
        ..Reply::default()
    }))
    .await
    .unwrap();
    let started = Instant::now();
    let text = post(
        &server,
        "/v1/chat/completions",
        &body_for("/v1/chat/completions"),
    )
    .await
    .text()
    .await
    .unwrap();
    let (events, _) = parse_sse(&text);
    let floor = Duration::from_millis(20 * (events.len() as u64 - 1));
    assert!(
        started.elapsed() >= floor,
        "{:?} < {floor:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn stream_headers_and_overrides() {
    let server = MockServer::start(Script {
        replies: vec![
            Reply {
                text: Some("x".into()),
                headers: [("x-ratelimit-remaining-tokens".to_string(), "7".to_string())].into(),
                ..Reply::default()
            },
            Reply {
                text: Some("y".into()),
                rate_limit_headers: Some(false),
                ..Reply::default()
            },
            Reply {
                text: Some("z".into()),
                ..Reply::default()
            },
        ],
        ..Script::default()
    })
    .await
    .unwrap();
    let resp = post(&server, "/v1/responses", &body_for("/v1/responses")).await;
    let h = resp.headers();
    assert_eq!(h["content-type"], "text/event-stream; charset=utf-8");
    assert_eq!(h["x-ratelimit-remaining-tokens"], "7");
    assert_eq!(h["x-ratelimit-limit-requests"], "4000");
    assert_eq!(h["x-ratelimit-reset-requests"], "15ms");
    let resp = post(&server, "/v1/responses", &body_for("/v1/responses")).await;
    assert!(!resp.headers().contains_key("x-ratelimit-limit-requests"));
    let resp = post(&server, "/v1/messages", &body_for("/v1/messages")).await;
    let h = resp.headers();
    assert_eq!(h["anthropic-ratelimit-requests-limit"], "4000");
    assert_eq!(h["anthropic-ratelimit-requests-remaining"], "3997");
    let reset = h["anthropic-ratelimit-tokens-reset"].to_str().unwrap();
    assert!(reset.ends_with('Z') && reset.len() == 20, "{reset}");
    assert!(h.contains_key("anthropic-ratelimit-output-tokens-remaining"));
}

#[tokio::test]
async fn unknown_routes_get_a_json_404_and_are_recorded() {
    let server = MockServer::start(Script::texts(["a"])).await.unwrap();
    for (method, path) in [
        ("POST", "/messages"),
        ("GET", "/v1/messages"),
        ("POST", "/v1/models"),
    ] {
        let resp = client()
            .request(
                method.parse().unwrap(),
                format!("{}{path}", server.base_url()),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 404, "{method} {path}");
        let body: Value = json_of(resp).await;
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("no mock route")
        );
    }
    assert_eq!(server.requests().len(), 3);
    assert_eq!(server.replies_served(), 0);
}

#[tokio::test]
async fn requests_are_recorded_with_headers_and_json() {
    let server = MockServer::start(Script::texts(["a", "b"])).await.unwrap();
    let mut body = body_for("/v1/messages");
    body["messages"] = json!([
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": [{"type": "thinking", "thinking": "t", "signature": "sig-1"}]},
    ]);
    post(&server, "/v1/messages", &body)
        .await
        .text()
        .await
        .unwrap();
    client()
        .post(format!("{}/v1/chat/completions", server.base_url()))
        .header("Authorization", "Bearer sk-chat")
        .header("content-type", "application/json")
        .body(body_for("/v1/chat/completions").to_string())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].method, "POST");
    assert_eq!(requests[0].path, "/v1/messages");
    assert_eq!(requests[0].header("X-Api-Key"), Some("sk-test"));
    assert_eq!(requests[0].headers["anthropic-version"], "2023-06-01");
    assert_eq!(
        requests[0].body["messages"][1]["content"][0]["signature"],
        "sig-1"
    );
    assert_eq!(requests[1].path, "/v1/chat/completions");
    assert_eq!(requests[1].header("authorization"), Some("Bearer sk-chat"));
    assert_eq!(requests[1].body["model"], "gpt-test");
    assert_eq!(server.replies_served(), 2);
}

#[tokio::test]
async fn generated_words_make_a_long_answer() {
    let (_s, _, text) = run_once(
        with(Reply {
            words: Some(2000),
            ..Reply::default()
        }),
        "/v1/messages",
    )
    .await;
    let (events, _) = parse_sse(&text);
    let answer: String = events
        .iter()
        .filter_map(|e| e.json()["delta"]["text"].as_str().map(str::to_string))
        .collect();
    assert_eq!(answer.split_whitespace().count(), 2000);
    assert!(answer.contains("\n\n"), "paragraphs");
}

#[tokio::test]
async fn dropping_the_server_stops_a_stalled_stream() {
    let server = MockServer::start(with(Reply {
        text: Some("a b".into()),
        stall_after_events: Some(1),
        ..Reply::default()
    }))
    .await
    .unwrap();
    let mut resp = post(&server, "/v1/messages", &body_for("/v1/messages")).await;
    let first = resp.chunk().await.unwrap();
    assert!(first.is_some());
    drop(server);
    let end = tokio::time::timeout(Duration::from_secs(5), async {
        while let Ok(Some(_)) = resp.chunk().await {}
    })
    .await;
    assert!(end.is_ok(), "the stream ends once the server is gone");
}

#[tokio::test]
async fn a_client_hanging_up_releases_a_stalled_stream() {
    let server = MockServer::start(with(Reply {
        text: Some("a b".into()),
        stall_after_events: Some(1),
        ..Reply::default()
    }))
    .await
    .unwrap();
    let mut resp = post(&server, "/v1/messages", &body_for("/v1/messages")).await;
    resp.chunk().await.unwrap();
    assert_eq!(server.open_streams(), 1);
    drop(resp);
    let released = tokio::time::timeout(Duration::from_secs(5), async {
        while server.open_streams() > 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert!(released.is_ok(), "the stall ends when the client hangs up");
}

#[tokio::test]
async fn serve_forever_serves_a_script() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let task = tokio::spawn(crate::mockserver::serve_forever(
        Script::texts(["forever"]),
        addr,
    ));
    let url = format!("http://{addr}/v1/chat/completions");
    let mut text = None;
    for _ in 0..100 {
        let sent = client()
            .post(&url)
            .header("content-type", "application/json")
            .body(body_for("/v1/chat/completions").to_string())
            .send()
            .await;
        if let Ok(resp) = sent {
            text = Some(resp.text().await.unwrap());
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    task.abort();
    assert!(text.expect("server came up").contains("forever"));
}
