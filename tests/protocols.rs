//! The three wire protocols, driven through the real HTTP client against the
//! scripted mock server on loopback: streaming, tool calls, reasoning, usage,
//! retries, idle timeouts, mid-stream errors, auth failures and malformed
//! events. Every scenario runs once per protocol.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tandem::mockserver::{MockServer, Script};
use tandem::provider::{
    Accumulator, AssistantPart, HttpClientConfig, HttpModelClient, Message, ModelClient,
    ModelRequest, ProviderError, ReasoningEffort, ReasoningReplay, StopReason, StreamEvent,
    ToolSpec, Usage, Wire,
};
use tokio_util::sync::CancellationToken;

const WIRES: [Wire; 3] = [Wire::Anthropic, Wire::OpenAiResponses, Wire::OpenAiChat];

fn client(wire: Wire, server: &MockServer, idle: Duration) -> HttpModelClient {
    HttpModelClient::new(HttpClientConfig {
        provider: format!("mock-{}", wire.as_str()),
        wire,
        base_url: server.base_url(),
        api_key: Some("sk-test-key".into()),
        env_key: Some("MOCK_API_KEY".into()),
        headers: vec![("x-extra".into(), "1".into())],
        max_retries: 3,
        idle_timeout: idle,
    })
    .expect("client builds")
}

fn request(messages: Vec<Message>) -> ModelRequest {
    ModelRequest {
        model: "mock-model".into(),
        system: "You are a test.".into(),
        messages,
        tools: vec![ToolSpec {
            name: "read_file".into(),
            description: "Reads a file.".into(),
            parameters: json!({"type": "object", "properties": {"path": {"type": "string"}}}),
        }],
        max_output_tokens: 1024,
        reasoning: None,
    }
}

fn user(text: &str) -> Vec<Message> {
    vec![Message::User { text: text.into() }]
}

/// Streams one call to the end: every event, and the error if it failed.
async fn call(
    client: &HttpModelClient,
    req: ModelRequest,
) -> (Vec<StreamEvent>, Option<ProviderError>) {
    let mut rx = client.stream(req, CancellationToken::new());
    let mut events = Vec::new();
    while let Some(item) = rx.recv().await {
        match item {
            Ok(event) => events.push(event),
            Err(err) => return (events, Some(err)),
        }
    }
    (events, None)
}

async fn serve(toml: &str) -> MockServer {
    MockServer::start(Script::from_toml_str(toml).expect("script parses"))
        .await
        .expect("mock server starts")
}

fn text_of(events: &[StreamEvent]) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::TextDelta(t) => Some(t.as_str()),
            _ => None,
        })
        .collect()
}

fn accumulate(events: &[StreamEvent]) -> Accumulator {
    let mut acc = Accumulator::new();
    for e in events {
        acc.push(e);
    }
    acc
}

#[tokio::test]
async fn streamed_text_arrives_in_pieces_and_ends_the_turn() {
    for wire in WIRES {
        let server = serve(
            r#"[[reply]]
text = "Hello from the mock — ünïcödé and 日本語 survive chunking."
write_chunk_bytes = 3
"#,
        )
        .await;
        let (events, err) = call(
            &client(wire, &server, Duration::from_secs(5)),
            request(user("hi")),
        )
        .await;
        assert!(err.is_none(), "{wire:?}: {err:?}");
        assert_eq!(
            text_of(&events),
            "Hello from the mock — ünïcödé and 日本語 survive chunking.",
            "{wire:?}"
        );
        let deltas = events
            .iter()
            .filter(|e| matches!(e, StreamEvent::TextDelta(_)))
            .count();
        assert!(
            deltas > 3,
            "{wire:?}: text should stream in several deltas, got {deltas}"
        );
        assert_eq!(
            events.last(),
            Some(&StreamEvent::Stop(StopReason::EndTurn)),
            "{wire:?}"
        );
        let sent = &server.requests()[0];
        assert_eq!(sent.body["stream"], json!(true), "{wire:?}");
        assert_eq!(
            sent.header("x-extra"),
            Some("1"),
            "{wire:?}: extra headers are sent"
        );
        match wire {
            Wire::Anthropic => {
                assert_eq!(sent.path, "/v1/messages");
                assert_eq!(sent.header("x-api-key"), Some("sk-test-key"));
                assert!(sent.header("anthropic-version").is_some());
            }
            Wire::OpenAiResponses => {
                assert_eq!(sent.path, "/v1/responses");
                assert_eq!(sent.header("authorization"), Some("Bearer sk-test-key"));
            }
            Wire::OpenAiChat => {
                assert_eq!(sent.path, "/v1/chat/completions");
                assert_eq!(sent.body["stream_options"]["include_usage"], json!(true));
            }
        }
    }
}

#[tokio::test]
async fn tool_call_arguments_split_across_many_chunks_are_reassembled() {
    for wire in WIRES {
        let server = serve(
            r#"[[reply]]
text = "Reading it."
chunk = 2
[[reply.tool_calls]]
id = "call_1"
name = "read_file"
input = { path = "src/main.rs", start_line = 10, end_line = 40 }
"#,
        )
        .await;
        let (events, err) = call(
            &client(wire, &server, Duration::from_secs(5)),
            request(user("read")),
        )
        .await;
        assert!(err.is_none(), "{wire:?}: {err:?}");
        let fragments = events
            .iter()
            .filter(|e| matches!(e, StreamEvent::ToolCallDelta { .. }))
            .count();
        assert!(
            fragments >= 10,
            "{wire:?}: arguments should arrive in many fragments ({fragments})"
        );
        let calls = accumulate(&events).tool_calls();
        assert_eq!(calls.len(), 1, "{wire:?}");
        assert_eq!(calls[0].id, "call_1");
        assert_eq!(calls[0].name, "read_file");
        let args: Value = serde_json::from_str(&calls[0].arguments).expect("arguments are JSON");
        assert_eq!(
            args,
            json!({"path": "src/main.rs", "start_line": 10, "end_line": 40}),
            "{wire:?}"
        );
        assert_eq!(
            events.last(),
            Some(&StreamEvent::Stop(StopReason::ToolUse)),
            "{wire:?}"
        );
    }
}

#[tokio::test]
async fn two_tool_calls_in_one_turn_keep_their_order_and_results_go_back() {
    for wire in WIRES {
        let server = serve(
            r#"[[reply]]
[[reply.tool_calls]]
name = "read_file"
input = { path = "a.txt" }
[[reply.tool_calls]]
name = "read_file"
input = { path = "b.txt" }

[[reply]]
text = "Both read."
"#,
        )
        .await;
        let client = client(wire, &server, Duration::from_secs(5));
        let (events, err) = call(&client, request(user("read both"))).await;
        assert!(err.is_none(), "{wire:?}: {err:?}");
        let acc = accumulate(&events);
        let calls = acc.tool_calls();
        let paths: Vec<Value> = calls
            .iter()
            .map(|c| serde_json::from_str::<Value>(&c.arguments).unwrap()["path"].clone())
            .collect();
        assert_eq!(paths, [json!("a.txt"), json!("b.txt")], "{wire:?}");
        assert_ne!(calls[0].id, calls[1].id, "{wire:?}");

        let mut history = user("read both");
        history.push(acc.into_message());
        for (c, out) in calls.iter().zip(["A", "B"]) {
            history.push(Message::ToolResult {
                call_id: c.id.clone(),
                output: out.into(),
                is_error: false,
            });
        }
        let (events, err) = call(&client, request(history)).await;
        assert!(err.is_none(), "{wire:?}: {err:?}");
        assert_eq!(text_of(&events), "Both read.");
        let body = serde_json::to_string(&server.requests()[1].body).unwrap();
        for c in &calls {
            assert!(
                body.contains(&c.id),
                "{wire:?}: the result for {} goes back",
                c.id
            );
        }
    }
}

#[tokio::test]
async fn reasoning_streams_and_is_replayed_to_the_same_protocol() {
    for wire in WIRES {
        let server = serve(
            r#"[[reply]]
reasoning = "Let me think about this carefully."
text = "Done thinking."

[[reply]]
text = "Second answer."
"#,
        )
        .await;
        let client = client(wire, &server, Duration::from_secs(5));
        let mut req = request(user("think"));
        req.reasoning = Some(ReasoningEffort::Low);
        let (events, err) = call(&client, req.clone()).await;
        assert!(err.is_none(), "{wire:?}: {err:?}");
        let reasoning: String = events
            .iter()
            .filter_map(|e| match e {
                StreamEvent::ReasoningDelta(t) => Some(t.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(reasoning, "Let me think about this carefully.", "{wire:?}");
        let message = accumulate(&events).into_message();
        let Message::Assistant { parts } = &message else {
            panic!()
        };
        let AssistantPart::Reasoning(block) = &parts[0] else {
            panic!("{wire:?}: reasoning comes first: {parts:?}")
        };
        match wire {
            Wire::Anthropic => assert!(
                matches!(&block.replay, Some(ReasoningReplay::AnthropicThinking { signature }) if !signature.is_empty()),
                "{:?}",
                block.replay
            ),
            Wire::OpenAiResponses => assert!(
                matches!(&block.replay, Some(ReasoningReplay::OpenAiReasoning { .. })),
                "{:?}",
                block.replay
            ),
            Wire::OpenAiChat => {}
        }
        req.messages.push(message);
        req.messages.push(Message::User {
            text: "again".into(),
        });
        let (_, err) = call(&client, req).await;
        assert!(err.is_none(), "{wire:?}: {err:?}");
        let second = serde_json::to_string(&server.requests()[1].body).unwrap();
        match wire {
            Wire::Anthropic => {
                assert!(second.contains(r#""type":"thinking""#), "{second}");
                assert!(second.contains(r#""signature""#), "{second}");
            }
            Wire::OpenAiResponses => assert!(second.contains(r#""type":"reasoning""#), "{second}"),
            Wire::OpenAiChat => {}
        }
    }
}

#[tokio::test]
async fn usage_totals_are_reported_in_the_neutral_convention() {
    for wire in WIRES {
        let server = serve(
            r#"[[reply]]
text = "Counted."
usage = { input = 1200, output = 340, cache_read = 800, cache_write = 64, reasoning = 120 }
"#,
        )
        .await;
        let (events, err) = call(
            &client(wire, &server, Duration::from_secs(5)),
            request(user("count")),
        )
        .await;
        assert!(err.is_none(), "{wire:?}: {err:?}");
        let usages: Vec<Usage> = events
            .iter()
            .filter_map(|e| match e {
                StreamEvent::Usage(u) => Some(*u),
                _ => None,
            })
            .collect();
        assert_eq!(usages.len(), 1, "{wire:?}: one usage per response");
        let u = usages[0];
        match wire {
            Wire::Anthropic => assert_eq!(u.input_tokens, 1200),
            // OpenAI has no cache-write count: those tokens are plain input.
            _ => assert_eq!(u.input_tokens, 1200 + 64, "{wire:?}"),
        }
        assert_eq!(u.output_tokens, 340, "{wire:?}");
        assert_eq!(u.cache_read_tokens, 800, "{wire:?}");
        match wire {
            // Only Anthropic reports cache writes; OpenAI has no such count.
            Wire::Anthropic => assert_eq!(u.cache_write_tokens, 64),
            _ => assert_eq!(u.reasoning_tokens, 120, "{wire:?}"),
        }
    }
}

#[tokio::test]
async fn a_429_with_retry_after_is_waited_out_then_succeeds() {
    for wire in WIRES {
        let server = serve(
            r#"[[reply]]
status = 429
retry_after_ms = 150

[[reply]]
text = "After the wait."
"#,
        )
        .await;
        let started = Instant::now();
        let (events, err) = call(
            &client(wire, &server, Duration::from_secs(5)),
            request(user("go")),
        )
        .await;
        assert!(err.is_none(), "{wire:?}: {err:?}");
        assert!(
            started.elapsed() >= Duration::from_millis(150),
            "{wire:?}: retry-after honoured"
        );
        let retry = events.iter().find_map(|e| match e {
            StreamEvent::Retrying { delay, .. } => Some(*delay),
            _ => None,
        });
        assert_eq!(retry, Some(Duration::from_millis(150)), "{wire:?}");
        assert_eq!(text_of(&events), "After the wait.");
        assert_eq!(server.replies_served(), 2);
    }
}

#[tokio::test]
async fn a_stall_past_the_idle_timeout_is_retried_without_duplicated_text() {
    for wire in WIRES {
        let server = serve(
            r#"[[reply]]
text = "one two three four five six"
stall_after_events = 4

[[reply]]
text = "one two three four five six"
"#,
        )
        .await;
        let started = Instant::now();
        let (events, err) = call(
            &client(wire, &server, Duration::from_millis(300)),
            request(user("go")),
        )
        .await;
        assert!(err.is_none(), "{wire:?}: {err:?}");
        assert!(started.elapsed() >= Duration::from_millis(300));
        assert!(
            events
                .iter()
                .any(|e| matches!(e, StreamEvent::Retrying { .. })),
            "{wire:?}"
        );
        assert!(
            !events.contains(&StreamEvent::Reset),
            "{wire:?}: same output, no reset"
        );
        assert_eq!(
            text_of(&events),
            "one two three four five six",
            "{wire:?}: no text twice"
        );
    }
}

#[tokio::test]
async fn a_truncated_stream_is_retried() {
    for wire in WIRES {
        let server = serve(
            r#"[[reply]]
text = "alpha beta gamma delta"
truncate_after_events = 3

[[reply]]
text = "alpha beta gamma delta"
"#,
        )
        .await;
        let (events, err) = call(
            &client(wire, &server, Duration::from_secs(5)),
            request(user("go")),
        )
        .await;
        assert!(err.is_none(), "{wire:?}: {err:?}");
        assert_eq!(text_of(&events), "alpha beta gamma delta", "{wire:?}");
        assert_eq!(server.replies_served(), 2, "{wire:?}");
    }
}

#[tokio::test]
async fn a_mid_stream_error_event_is_reported_or_retried() {
    for wire in WIRES {
        // An overload is worth retrying.
        let server = serve(
            r#"[[reply]]
text = "partial answer here"
error_event_after_events = 3
error_kind = "overloaded_error"
error_message = "Overloaded"

[[reply]]
text = "partial answer here"
"#,
        )
        .await;
        let (events, err) = call(
            &client(wire, &server, Duration::from_secs(5)),
            request(user("go")),
        )
        .await;
        assert!(err.is_none(), "{wire:?}: {err:?}");
        assert_eq!(text_of(&events), "partial answer here", "{wire:?}");

        // An invalid request is not.
        let server = serve(
            r#"[[reply]]
text = "partial answer here"
error_event_after_events = 2
error_kind = "invalid_request_error"
error_message = "prompt is too long"
"#,
        )
        .await;
        let (_, err) = call(
            &client(wire, &server, Duration::from_secs(5)),
            request(user("go")),
        )
        .await;
        let err = err.unwrap_or_else(|| panic!("{wire:?}: the error must surface"));
        assert!(
            matches!(err, ProviderError::Api { .. }),
            "{wire:?}: {err:?}"
        );
        assert!(
            err.to_string().contains("prompt is too long"),
            "{wire:?}: {err}"
        );
        assert_eq!(server.replies_served(), 1, "{wire:?}: not retried");
    }
}

#[tokio::test]
async fn a_401_is_not_retried_and_names_the_variable_to_set() {
    for wire in WIRES {
        let server = serve(
            r#"[[reply]]
status = 401
error_message = "invalid x-api-key"
"#,
        )
        .await;
        let (_, err) = call(
            &client(wire, &server, Duration::from_secs(5)),
            request(user("go")),
        )
        .await;
        let err = err.expect("a 401 fails the call");
        assert!(
            matches!(err, ProviderError::Auth { status: 401, .. }),
            "{wire:?}: {err:?}"
        );
        let text = err.to_string();
        assert!(text.contains("MOCK_API_KEY"), "{wire:?}: {text}");
        assert!(
            !text.contains("sk-test-key"),
            "{wire:?}: the key never shows: {text}"
        );
        assert_eq!(server.replies_served(), 1, "{wire:?}");
    }
}

#[tokio::test]
async fn a_malformed_event_is_a_clear_error_not_a_panic() {
    for wire in WIRES {
        let server = serve(
            r#"[[reply]]
text = "some text before the garbage"
malformed_after_events = 2
"#,
        )
        .await;
        let (_, err) = call(
            &client(wire, &server, Duration::from_secs(5)),
            request(user("go")),
        )
        .await;
        let err = err.unwrap_or_else(|| panic!("{wire:?}: malformed data must fail"));
        assert!(
            matches!(err, ProviderError::Malformed { .. }),
            "{wire:?}: {err:?}"
        );
        assert!(err.to_string().contains("malformed"), "{wire:?}: {err}");
    }
}

#[tokio::test]
async fn cancelling_a_call_stops_it_promptly() {
    for wire in WIRES {
        let server = serve(
            r#"[[reply]]
words = 400
delay_ms = 20
"#,
        )
        .await;
        let client = client(wire, &server, Duration::from_secs(5));
        let cancel = CancellationToken::new();
        let mut rx = client.stream(request(user("long")), cancel.clone());
        let first = rx.recv().await;
        assert!(matches!(first, Some(Ok(_))), "{wire:?}: {first:?}");
        let started = Instant::now();
        cancel.cancel();
        let mut last = None;
        while let Some(item) = rx.recv().await {
            last = Some(item);
        }
        assert!(
            started.elapsed() < Duration::from_millis(200),
            "{wire:?}: {:?}",
            started.elapsed()
        );
        assert!(
            matches!(last, Some(Err(ProviderError::Cancelled))),
            "{wire:?}: {last:?}"
        );
    }
}
