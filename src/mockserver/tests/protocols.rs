//! Each protocol's stream follows its published event grammar.

use serde_json::{Value, json};

use super::support::{body_for, parse_sse, post, run_once};
use crate::mockserver::{MockServer, Reply, Script, Stop, ToolCallSpec};

// serde_json sorts keys (no `preserve_order`), so the streamed text is sorted.
const ARGS: &str = r#"{"end":40,"path":"src/main.rs","start":1}"#;

fn rich_script() -> Script {
    Script {
        replies: vec![Reply {
            reasoning: Some("The user wants main.rs.".into()),
            text: Some("Let me read the file.".into()),
            tool_calls: vec![ToolCallSpec {
                id: None,
                name: "read_file".into(),
                input: serde_json::from_str(ARGS).expect("valid args"),
            }],
            ..Reply::default()
        }],
        ..Script::default()
    }
}

#[tokio::test]
async fn anthropic_stream_follows_the_messages_grammar() {
    let (_server, status, text) = run_once(rich_script(), "/v1/messages").await;
    assert_eq!(status, 200);
    let (events, _) = parse_sse(&text);
    let names: Vec<&str> = events.iter().map(|e| e.event.as_deref().unwrap()).collect();
    assert_eq!(names.first(), Some(&"message_start"));
    assert_eq!(&names[names.len() - 2..], ["message_delta", "message_stop"]);
    for e in &events {
        assert_eq!(
            e.json()["type"],
            e.event.as_deref().unwrap(),
            "type matches event name"
        );
    }
    let start = events[0].json();
    assert_eq!(start["message"]["model"], "claude-test");
    assert_eq!(start["message"]["role"], "assistant");
    assert!(start["message"]["usage"]["input_tokens"].as_u64().unwrap() > 0);

    // Blocks: start, deltas of the matching index, stop, in index order.
    let mut blocks: Vec<(Value, Vec<Value>)> = Vec::new();
    let mut open: Option<usize> = None;
    for e in &events[1..events.len() - 2] {
        let v = e.json();
        match e.event.as_deref().unwrap() {
            "content_block_start" => {
                assert_eq!(open, None, "blocks do not nest");
                assert_eq!(v["index"], blocks.len());
                open = Some(blocks.len());
                blocks.push((v["content_block"].clone(), Vec::new()));
            }
            "content_block_delta" => {
                assert_eq!(v["index"].as_u64(), open.map(|i| i as u64));
                blocks.last_mut().unwrap().1.push(v["delta"].clone());
            }
            "content_block_stop" => {
                assert_eq!(v["index"].as_u64(), open.map(|i| i as u64));
                open = None;
            }
            other => panic!("unexpected event {other}"),
        }
    }
    assert_eq!(blocks.len(), 3);
    let (thinking, deltas) = &blocks[0];
    assert_eq!(thinking["type"], "thinking");
    let thought: String = deltas
        .iter()
        .filter(|d| d["type"] == "thinking_delta")
        .map(|d| d["thinking"].as_str().unwrap())
        .collect();
    assert_eq!(thought, "The user wants main.rs.");
    assert_eq!(deltas.last().unwrap()["type"], "signature_delta");
    assert_eq!(deltas.last().unwrap()["signature"], "sig-1");

    let (text_block, deltas) = &blocks[1];
    assert_eq!(text_block["type"], "text");
    assert!(deltas.len() > 1, "text arrives word by word");
    let said: String = deltas.iter().map(|d| d["text"].as_str().unwrap()).collect();
    assert_eq!(said, "Let me read the file.");

    let (tool, deltas) = &blocks[2];
    assert_eq!(tool["type"], "tool_use");
    assert_eq!(tool["id"], "toolu_mock_1");
    assert_eq!(tool["name"], "read_file");
    assert_eq!(tool["input"], json!({}));
    let fragments: Vec<&str> = deltas
        .iter()
        .map(|d| d["partial_json"].as_str().unwrap())
        .collect();
    assert_eq!(
        fragments[0], "",
        "the real API opens with an empty fragment"
    );
    assert!(fragments.len() > 4 && fragments.iter().all(|f| f.chars().count() <= 8));
    let args: Value = serde_json::from_str(&fragments.concat()).unwrap();
    assert_eq!(args, serde_json::from_str::<Value>(ARGS).unwrap());

    let delta = events[events.len() - 2].json();
    assert_eq!(delta["delta"]["stop_reason"], "tool_use");
    assert!(delta["usage"]["output_tokens"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn responses_stream_follows_the_responses_grammar() {
    let (_server, status, text) = run_once(rich_script(), "/v1/responses").await;
    assert_eq!(status, 200);
    let (events, _) = parse_sse(&text);
    for (i, e) in events.iter().enumerate() {
        let v = e.json();
        assert_eq!(v["type"], e.event.as_deref().unwrap());
        assert_eq!(v["sequence_number"], i, "sequence numbers count from 0");
    }
    let kinds: Vec<&str> = events.iter().map(|e| e.event.as_deref().unwrap()).collect();
    assert_eq!(&kinds[..2], ["response.created", "response.in_progress"]);
    assert_eq!(kinds.last(), Some(&"response.completed"));
    assert!(!text.contains("[DONE]"));

    let summary: String = events
        .iter()
        .filter(|e| e.event.as_deref() == Some("response.reasoning_summary_text.delta"))
        .map(|e| e.json()["delta"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(summary, "The user wants main.rs.");
    let said: String = events
        .iter()
        .filter(|e| e.event.as_deref() == Some("response.output_text.delta"))
        .map(|e| e.json()["delta"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(said, "Let me read the file.");
    let fragments: Vec<String> = events
        .iter()
        .filter(|e| e.event.as_deref() == Some("response.function_call_arguments.delta"))
        .map(|e| e.json()["delta"].as_str().unwrap().to_string())
        .collect();
    assert!(fragments.len() > 4 && fragments.iter().all(|f| f.chars().count() <= 8));
    assert_eq!(fragments.concat(), ARGS);

    let done: Vec<Value> = events
        .iter()
        .filter(|e| e.event.as_deref() == Some("response.output_item.done"))
        .map(|e| e.json()["item"].clone())
        .collect();
    assert_eq!(done[0]["type"], "reasoning");
    assert_eq!(done[0]["encrypted_content"], "enc-1");
    assert_eq!(done[1]["type"], "message");
    assert_eq!(done[2]["type"], "function_call");
    assert_eq!(done[2]["call_id"], "call_mock_1");
    assert_eq!(done[2]["arguments"], ARGS);

    let completed = events.last().unwrap().json();
    let response = &completed["response"];
    assert_eq!(response["status"], "completed");
    assert_eq!(response["output"].as_array().unwrap().len(), 3);
    let usage = &response["usage"];
    assert_eq!(
        usage["total_tokens"],
        usage["input_tokens"].as_u64().unwrap() + usage["output_tokens"].as_u64().unwrap()
    );
    assert!(
        usage["output_tokens_details"]["reasoning_tokens"]
            .as_u64()
            .unwrap()
            > 0
    );
}

#[tokio::test]
async fn chat_stream_follows_the_chunk_grammar() {
    let (_server, status, text) = run_once(rich_script(), "/v1/chat/completions").await;
    assert_eq!(status, 200);
    let (events, _) = parse_sse(&text);
    assert!(
        events.iter().all(|e| e.event.is_none()),
        "chat events are unnamed"
    );
    assert_eq!(events.last().unwrap().data, "[DONE]");
    let chunks: Vec<Value> = events[..events.len() - 1]
        .iter()
        .map(|e| e.json())
        .collect();
    for c in &chunks {
        assert_eq!(c["object"], "chat.completion.chunk");
        assert_eq!(c["model"], "gpt-test");
    }
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    let delta_text = |key: &str| -> String {
        chunks
            .iter()
            .filter_map(|c| c["choices"][0]["delta"][key].as_str())
            .collect()
    };
    assert_eq!(delta_text("reasoning_content"), "The user wants main.rs.");
    assert_eq!(delta_text("content"), "Let me read the file.");

    let calls: Vec<&Value> = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["tool_calls"].get(0))
        .collect();
    assert_eq!(calls[0]["id"], "call_mock_1");
    assert_eq!(calls[0]["type"], "function");
    assert_eq!(calls[0]["function"]["name"], "read_file");
    assert!(
        calls[1..]
            .iter()
            .all(|c| c.get("id").is_none() && c["index"] == 0)
    );
    let args: String = calls
        .iter()
        .map(|c| c["function"]["arguments"].as_str().unwrap())
        .collect();
    assert_eq!(args, ARGS);
    assert!(calls.len() > 5);

    let finish = &chunks[chunks.len() - 2];
    assert_eq!(finish["choices"][0]["finish_reason"], "tool_calls");
    let usage_chunk = chunks.last().unwrap();
    assert_eq!(usage_chunk["choices"], json!([]));
    assert!(usage_chunk["usage"]["completion_tokens"].as_u64().unwrap() > 0);
    assert!(
        chunks[..chunks.len() - 1]
            .iter()
            .all(|c| c["usage"].is_null())
    );
}

#[tokio::test]
async fn chat_sends_usage_only_when_asked() {
    let server = MockServer::start(Script::texts(["Hello there."]))
        .await
        .unwrap();
    let mut body = body_for("/v1/chat/completions");
    body.as_object_mut().unwrap().remove("stream_options");
    let text = post(&server, "/v1/chat/completions", &body)
        .await
        .text()
        .await
        .unwrap();
    let (events, _) = parse_sse(&text);
    assert_eq!(events.last().unwrap().data, "[DONE]");
    let last_chunk = events[events.len() - 2].json();
    assert_eq!(last_chunk["choices"][0]["finish_reason"], "stop");
    assert!(!text.contains("\"usage\""));
}

#[tokio::test]
async fn stop_reasons_map_to_each_protocol() {
    let script = || Script {
        replies: vec![Reply {
            text: Some("cut".into()),
            stop: Some(Stop::MaxTokens),
            ..Reply::default()
        }],
        ..Script::default()
    };
    let (_s, _, text) = run_once(script(), "/v1/messages").await;
    assert!(text.contains(r#""stop_reason":"max_tokens""#));
    let (_s, _, text) = run_once(script(), "/v1/responses").await;
    let (events, _) = parse_sse(&text);
    let last = events.last().unwrap().json();
    assert_eq!(last["type"], "response.incomplete");
    assert_eq!(
        last["response"]["incomplete_details"]["reason"],
        "max_output_tokens"
    );
    let (_s, _, text) = run_once(script(), "/v1/chat/completions").await;
    assert!(text.contains(r#""finish_reason":"length""#));
}

#[tokio::test]
async fn tool_ids_count_through_the_script_and_respect_scripted_ids() {
    let call = |id: Option<&str>| ToolCallSpec {
        id: id.map(str::to_string),
        name: "list_dir".into(),
        input: json!({"path": "."}),
    };
    let script = Script {
        replies: vec![
            Reply {
                tool_calls: vec![call(None), call(Some("toolu_fixed"))],
                ..Reply::default()
            },
            Reply {
                tool_calls: vec![call(None)],
                ..Reply::default()
            },
        ],
        ..Script::default()
    };
    let server = MockServer::start(script).await.unwrap();
    let first = post(&server, "/v1/messages", &body_for("/v1/messages"))
        .await
        .text()
        .await
        .unwrap();
    assert!(first.contains(r#""id":"toolu_mock_1""#));
    assert!(first.contains(r#""id":"toolu_fixed""#));
    let second = post(&server, "/v1/messages", &body_for("/v1/messages"))
        .await
        .text()
        .await
        .unwrap();
    assert!(second.contains(r#""id":"toolu_mock_3""#));
}

#[tokio::test]
async fn scripted_usage_is_reported_in_each_protocols_convention() {
    let script = || Script {
        replies: vec![Reply {
            text: Some("ok".into()),
            usage: Some(crate::mockserver::UsageSpec {
                input: Some(100),
                output: Some(20),
                cache_read: Some(50),
                cache_write: Some(10),
                reasoning: Some(5),
            }),
            ..Reply::default()
        }],
        ..Script::default()
    };
    let (_s, _, text) = run_once(script(), "/v1/messages").await;
    let (events, _) = parse_sse(&text);
    let usage = &events[0].json()["message"]["usage"];
    assert_eq!(usage["input_tokens"], 100);
    assert_eq!(usage["cache_read_input_tokens"], 50);
    assert_eq!(usage["cache_creation_input_tokens"], 10);
    assert!(text.contains(r#""usage":{"output_tokens":20}"#));

    let (_s, _, text) = run_once(script(), "/v1/responses").await;
    let (events, _) = parse_sse(&text);
    let usage = &events.last().unwrap().json()["response"]["usage"];
    assert_eq!(
        usage["input_tokens"], 160,
        "OpenAI counts cached input inside"
    );
    assert_eq!(usage["input_tokens_details"]["cached_tokens"], 50);
    assert_eq!(usage["output_tokens_details"]["reasoning_tokens"], 5);

    let (_s, _, text) = run_once(script(), "/v1/chat/completions").await;
    let (events, _) = parse_sse(&text);
    let usage = &events[events.len() - 2].json()["usage"];
    assert_eq!(usage["prompt_tokens"], 160);
    assert_eq!(usage["completion_tokens"], 20);
    assert_eq!(usage["total_tokens"], 180);
}
