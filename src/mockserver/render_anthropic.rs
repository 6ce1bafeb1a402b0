//! Anthropic Messages streaming, as the real API sends it: `message_start`,
//! one `content_block_start`/`_delta`/`_stop` run per block (thinking with a
//! `signature_delta`, text, `tool_use` with `input_json_delta` fragments),
//! `message_delta` with the stop reason and output usage, `message_stop`.

use serde_json::{Value, json};

use super::frames::{Frame, Turn};
use super::script::Stop;

/// Every event of a complete turn.
pub(crate) fn render(turn: &Turn) -> Vec<Frame> {
    let mut out = vec![Frame::named(
        "message_start",
        &json!({
            "type": "message_start",
            "message": {
                "id": format!("msg_mock_{}", turn.n),
                "type": "message",
                "role": "assistant",
                "model": turn.model,
                "content": [],
                "stop_reason": null,
                "stop_sequence": null,
                "usage": {
                    "input_tokens": turn.usage.input,
                    "cache_creation_input_tokens": turn.usage.cache_write,
                    "cache_read_input_tokens": turn.usage.cache_read,
                    "output_tokens": 1,
                },
            },
        }),
    )];
    let mut index = 0;
    if let Some(reasoning) = &turn.reasoning {
        block(
            &mut out,
            index,
            json!({"type": "thinking", "thinking": "", "signature": ""}),
            turn.text_deltas(reasoning)
                .into_iter()
                .map(|d| json!({"type": "thinking_delta", "thinking": d}))
                .chain([json!({"type": "signature_delta", "signature": signature(turn.n)})]),
        );
        index += 1;
    }
    if !turn.text.is_empty() {
        block(
            &mut out,
            index,
            json!({"type": "text", "text": ""}),
            turn.text_deltas(&turn.text)
                .into_iter()
                .map(|d| json!({"type": "text_delta", "text": d})),
        );
        index += 1;
    }
    for call in &turn.calls {
        // The real API opens every tool_use block with an empty fragment.
        let fragments = std::iter::once("").chain(turn.argument_deltas(&call.arguments));
        block(
            &mut out,
            index,
            json!({"type": "tool_use", "id": call.id, "name": call.name, "input": {}}),
            fragments.map(|d| json!({"type": "input_json_delta", "partial_json": d})),
        );
        index += 1;
    }
    out.push(Frame::named(
        "message_delta",
        &json!({
            "type": "message_delta",
            "delta": {"stop_reason": stop_reason(turn.stop), "stop_sequence": null},
            "usage": {"output_tokens": turn.usage.output},
        }),
    ));
    out.push(Frame::named(
        "message_stop",
        &json!({"type": "message_stop"}),
    ));
    out
}

fn block(out: &mut Vec<Frame>, index: usize, start: Value, deltas: impl Iterator<Item = Value>) {
    out.push(Frame::named(
        "content_block_start",
        &json!({"type": "content_block_start", "index": index, "content_block": start}),
    ));
    for delta in deltas {
        out.push(Frame::named(
            "content_block_delta",
            &json!({"type": "content_block_delta", "index": index, "delta": delta}),
        ));
    }
    out.push(Frame::named(
        "content_block_stop",
        &json!({"type": "content_block_stop", "index": index}),
    ));
}

/// The fake thinking signature of reply `n`; tests look for it in the next
/// request to check that thinking blocks are replayed.
pub(crate) fn signature(n: usize) -> String {
    format!("sig-{n}")
}

fn stop_reason(stop: Stop) -> &'static str {
    match stop {
        Stop::EndTurn => "end_turn",
        Stop::ToolUse => "tool_use",
        Stop::MaxTokens => "max_tokens",
        Stop::Refusal => "refusal",
    }
}

/// The keep-alive event Anthropic interleaves.
pub(crate) fn ping() -> Frame {
    Frame::named("ping", &json!({"type": "ping"}))
}

/// The mid-stream error event.
pub(crate) fn error_event(kind: Option<&str>, message: Option<&str>) -> Frame {
    Frame::named(
        "error",
        &error_json(
            kind.unwrap_or("overloaded_error"),
            message.unwrap_or("Overloaded"),
        ),
    )
}

/// A delta event whose JSON is cut off.
pub(crate) fn malformed() -> Frame {
    Frame::Event {
        name: Some("content_block_delta".into()),
        data: r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"unterminated"#.into(),
    }
}

/// The error body shape of every non-2xx answer.
pub(crate) fn error_json(kind: &str, message: &str) -> Value {
    json!({"type": "error", "error": {"type": kind, "message": message}})
}

/// Anthropic's error type and a realistic message for an HTTP status.
pub(crate) fn status_error(status: u16) -> (&'static str, &'static str) {
    match status {
        400 => ("invalid_request_error", "Invalid request"),
        401 => ("authentication_error", "invalid x-api-key"),
        403 => (
            "permission_error",
            "Your API key does not have permission to use the specified resource.",
        ),
        404 => (
            "not_found_error",
            "The requested resource could not be found.",
        ),
        413 => (
            "request_too_large",
            "Request exceeds the maximum allowed number of bytes.",
        ),
        429 => (
            "rate_limit_error",
            "This request would exceed the rate limit for your organization of 4,000 requests per minute.",
        ),
        529 => ("overloaded_error", "Overloaded"),
        _ => ("api_error", "Internal server error"),
    }
}

/// Checks what the real API rejects: a missing `anthropic-version` header
/// or a missing required field. Returns the error message.
pub(crate) fn validate(has_version_header: bool, body: &Value) -> Result<(), String> {
    if !has_version_header {
        return Err("anthropic-version: header is required".into());
    }
    for field in ["model", "max_tokens", "messages"] {
        if body.get(field).is_none() {
            return Err(format!("{field}: Field required"));
        }
    }
    Ok(())
}
