//! OpenAI Chat Completions streaming, as OpenAI and compatible servers send
//! it: unnamed `data:` chunks of `chat.completion.chunk` (role first, then
//! `reasoning_content`, `content` and `tool_calls` deltas, then a chunk with
//! `finish_reason`), a usage chunk with empty `choices` when the request set
//! `stream_options.include_usage`, and `data: [DONE]`.

use serde_json::{Value, json};

use super::frames::{Frame, Turn};
use super::script::Stop;

/// Every event of a complete turn.
pub(crate) fn render(turn: &Turn) -> Vec<Frame> {
    let mut out = Vec::new();
    let chunk = |delta: Value, finish: Value| {
        let mut c = json!({
            "id": format!("chatcmpl-mock-{}", turn.n),
            "object": "chat.completion.chunk",
            "created": turn.created,
            "model": turn.model,
            "system_fingerprint": "fp_mock",
            "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}],
        });
        if turn.include_usage {
            c["usage"] = Value::Null;
        }
        Frame::data(&c)
    };
    out.push(chunk(
        json!({"role": "assistant", "content": ""}),
        Value::Null,
    ));
    if let Some(reasoning) = &turn.reasoning {
        for d in turn.text_deltas(reasoning) {
            out.push(chunk(json!({"reasoning_content": d}), Value::Null));
        }
    }
    for d in turn.text_deltas(&turn.text) {
        out.push(chunk(json!({"content": d}), Value::Null));
    }
    for (index, call) in turn.calls.iter().enumerate() {
        out.push(chunk(
            json!({"tool_calls": [{
                "index": index, "id": call.id, "type": "function",
                "function": {"name": call.name, "arguments": ""},
            }]}),
            Value::Null,
        ));
        for d in turn.argument_deltas(&call.arguments) {
            out.push(chunk(
                json!({"tool_calls": [{"index": index, "function": {"arguments": d}}]}),
                Value::Null,
            ));
        }
    }
    out.push(chunk(json!({}), json!(finish_reason(turn.stop))));
    if turn.include_usage {
        let u = turn.usage;
        let prompt = u.input + u.cache_read + u.cache_write;
        out.push(Frame::data(&json!({
            "id": format!("chatcmpl-mock-{}", turn.n),
            "object": "chat.completion.chunk",
            "created": turn.created,
            "model": turn.model,
            "system_fingerprint": "fp_mock",
            "choices": [],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": u.output,
                "total_tokens": prompt + u.output,
                "prompt_tokens_details": {"cached_tokens": u.cache_read},
                "completion_tokens_details": {"reasoning_tokens": u.reasoning},
            },
        })));
    }
    out.push(done());
    out
}

/// The stream terminator.
pub(crate) fn done() -> Frame {
    Frame::Event {
        name: None,
        data: "[DONE]".into(),
    }
}

fn finish_reason(stop: Stop) -> &'static str {
    match stop {
        Stop::EndTurn => "stop",
        Stop::ToolUse => "tool_calls",
        Stop::MaxTokens => "length",
        Stop::Refusal => "content_filter",
    }
}

/// The mid-stream error chunk compatible servers send.
pub(crate) fn error_event(kind: Option<&str>, message: Option<&str>) -> Frame {
    Frame::data(&super::openai_errors::error_json(
        kind.unwrap_or("server_error"),
        message
            .unwrap_or("The server had an error while processing your request. Sorry about that!"),
        None,
    ))
}

/// A chunk whose JSON is cut off.
pub(crate) fn malformed() -> Frame {
    Frame::Event {
        name: None,
        data: r#"{"id":"chatcmpl-mock","choices":[{"index":0,"delta":{"content":"unterminated"#
            .into(),
    }
}
