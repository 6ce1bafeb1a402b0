//! OpenAI Responses streaming, as the real API sends it: `response.created`,
//! `response.in_progress`, one `output_item.added`/`.done` run per output item
//! (a `reasoning` item with summary text deltas, a `message` item with
//! `output_text` deltas, `function_call` items with argument deltas), then
//! `response.completed` (or `response.incomplete`) carrying usage. Every
//! event has a `sequence_number`; there is no `[DONE]`.

use serde_json::{Value, json};

use super::frames::{Frame, Turn};
use super::script::Stop;

/// Collects events, numbering them as the real API does.
struct Events {
    seq: u64,
    out: Vec<Frame>,
}

impl Events {
    fn push(&mut self, kind: &str, mut body: Value) {
        body["type"] = json!(kind);
        body["sequence_number"] = json!(self.seq);
        self.seq += 1;
        self.out.push(Frame::named(kind, &body));
    }
}

/// Every event of a complete turn.
pub(crate) fn render(turn: &Turn) -> Vec<Frame> {
    let mut ev = Events {
        seq: 0,
        out: Vec::new(),
    };
    let response = response_object(turn, "in_progress", Vec::new(), Value::Null);
    ev.push("response.created", json!({"response": response}));
    ev.push("response.in_progress", json!({"response": response}));
    let mut output = Vec::new();
    if let Some(reasoning) = &turn.reasoning {
        output.push(reasoning_item(&mut ev, turn, output.len(), reasoning));
    }
    if !turn.text.is_empty() {
        output.push(message_item(&mut ev, turn, output.len()));
    }
    for (i, call) in turn.calls.iter().enumerate() {
        let output_index = output.len();
        let id = format!("fc_mock_{}_{}", turn.n, i + 1);
        let mut item = json!({
            "id": id, "type": "function_call", "status": "in_progress",
            "arguments": "", "call_id": call.id, "name": call.name,
        });
        ev.push(
            "response.output_item.added",
            json!({"output_index": output_index, "item": item}),
        );
        for delta in turn.argument_deltas(&call.arguments) {
            ev.push(
                "response.function_call_arguments.delta",
                json!({"item_id": id, "output_index": output_index, "delta": delta}),
            );
        }
        ev.push(
            "response.function_call_arguments.done",
            json!({"item_id": id, "output_index": output_index, "arguments": call.arguments}),
        );
        item["status"] = json!("completed");
        item["arguments"] = json!(call.arguments);
        ev.push(
            "response.output_item.done",
            json!({"output_index": output_index, "item": item}),
        );
        output.push(item);
    }
    let (kind, status) = match turn.stop {
        Stop::EndTurn | Stop::ToolUse => ("response.completed", "completed"),
        Stop::MaxTokens | Stop::Refusal => ("response.incomplete", "incomplete"),
    };
    let mut response = response_object(turn, status, output, usage(turn));
    if status == "incomplete" {
        let reason = if turn.stop == Stop::Refusal {
            "content_filter"
        } else {
            "max_output_tokens"
        };
        response["incomplete_details"] = json!({"reason": reason});
    }
    ev.push(kind, json!({"response": response}));
    ev.out
}

fn reasoning_item(ev: &mut Events, turn: &Turn, output_index: usize, text: &str) -> Value {
    let id = format!("rs_mock_{}", turn.n);
    let encrypted = turn.encrypted_reasoning.then(|| format!("enc-{}", turn.n));
    ev.push(
        "response.output_item.added",
        json!({"output_index": output_index,
               "item": {"id": id, "type": "reasoning", "summary": [], "encrypted_content": encrypted}}),
    );
    let base = json!({"item_id": id, "output_index": output_index, "summary_index": 0});
    let with = |extra: Value| {
        let mut v = base.clone();
        for (k, val) in extra.as_object().into_iter().flatten() {
            v[k] = val.clone();
        }
        v
    };
    ev.push(
        "response.reasoning_summary_part.added",
        with(json!({"part": {"type": "summary_text", "text": ""}})),
    );
    for delta in turn.text_deltas(text) {
        ev.push(
            "response.reasoning_summary_text.delta",
            with(json!({"delta": delta})),
        );
    }
    ev.push(
        "response.reasoning_summary_text.done",
        with(json!({"text": text})),
    );
    ev.push(
        "response.reasoning_summary_part.done",
        with(json!({"part": {"type": "summary_text", "text": text}})),
    );
    let item = json!({
        "id": id, "type": "reasoning",
        "summary": [{"type": "summary_text", "text": text}],
        "encrypted_content": encrypted,
    });
    ev.push(
        "response.output_item.done",
        json!({"output_index": output_index, "item": item}),
    );
    item
}

fn message_item(ev: &mut Events, turn: &Turn, output_index: usize) -> Value {
    let id = format!("msg_mock_{}", turn.n);
    ev.push(
        "response.output_item.added",
        json!({"output_index": output_index,
               "item": {"id": id, "type": "message", "status": "in_progress",
                        "role": "assistant", "content": []}}),
    );
    let at = json!({"item_id": id, "output_index": output_index, "content_index": 0});
    let mut part_added = at.clone();
    part_added["part"] = json!({"type": "output_text", "text": "", "annotations": []});
    ev.push("response.content_part.added", part_added);
    for delta in turn.text_deltas(&turn.text) {
        let mut d = at.clone();
        d["delta"] = json!(delta);
        d["logprobs"] = json!([]);
        ev.push("response.output_text.delta", d);
    }
    let mut done = at.clone();
    done["text"] = json!(turn.text);
    done["logprobs"] = json!([]);
    ev.push("response.output_text.done", done);
    let part = json!({"type": "output_text", "text": turn.text, "annotations": []});
    let mut part_done = at;
    part_done["part"] = part.clone();
    ev.push("response.content_part.done", part_done);
    let item = json!({"id": id, "type": "message", "status": "completed",
                      "role": "assistant", "content": [part]});
    ev.push(
        "response.output_item.done",
        json!({"output_index": output_index, "item": item}),
    );
    item
}

fn response_object(turn: &Turn, status: &str, output: Vec<Value>, usage: Value) -> Value {
    json!({
        "id": format!("resp_mock_{}", turn.n),
        "object": "response",
        "created_at": turn.created,
        "status": status,
        "model": turn.model,
        "output": output,
        "error": null,
        "incomplete_details": null,
        "usage": usage,
    })
}

/// OpenAI counts cached tokens inside `input_tokens`.
fn usage(turn: &Turn) -> Value {
    let u = turn.usage;
    let input = u.input + u.cache_read + u.cache_write;
    json!({
        "input_tokens": input,
        "input_tokens_details": {"cached_tokens": u.cache_read},
        "output_tokens": u.output,
        "output_tokens_details": {"reasoning_tokens": u.reasoning},
        "total_tokens": input + u.output,
    })
}

/// The mid-stream failure: `response.failed` with the error inside, as
/// event number `seq`.
pub(crate) fn error_event(
    turn: &Turn,
    seq: usize,
    kind: Option<&str>,
    message: Option<&str>,
) -> Frame {
    let mut response = response_object(turn, "failed", Vec::new(), Value::Null);
    response["error"] = json!({
        "code": kind.unwrap_or("server_error"),
        "message": message.unwrap_or("The server had an error while processing your request. Sorry about that!"),
    });
    Frame::named(
        "response.failed",
        &json!({"type": "response.failed", "sequence_number": seq, "response": response}),
    )
}

/// A delta event whose JSON is cut off.
pub(crate) fn malformed() -> Frame {
    Frame::Event {
        name: Some("response.output_text.delta".into()),
        data: r#"{"type":"response.output_text.delta","delta":"unterminated"#.into(),
    }
}
