//! OpenAI Responses API (`POST /v1/responses`, streamed).
//!
//! Requests are stateless (`store: false`): the whole history goes in
//! `input` as typed items, and reasoning is replayed from its
//! `encrypted_content`, which is asked for with `include` whenever reasoning
//! is on. The stream is a sequence of semantic events (`response.*`), each
//! naming itself in its JSON `type` (the SSE `event:` line is optional and
//! not relied on). `response.completed`, `response.incomplete` and
//! `response.failed` are the final events; there is no `[DONE]`.

use std::collections::HashSet;

use serde_json::{Value, json};

use super::sse::SseEvent;
use super::wire::{WireDecoder, WireError, WireProtocol};
use super::wire_util::{
    as_text, bearer_headers, event_kind, is_blank_or_done, parse_json, str_at, u64_at,
};
use super::{
    AssistantPart, Message, ModelRequest, Reasoning, ReasoningEffort, ReasoningReplay, StopReason,
    StreamEvent, ToolCall, Usage,
};

/// The OpenAI Responses wire protocol.
///
/// A unit struct: the protocol has no configuration of its own (the base URL
/// and key live with the HTTP driver).
pub struct OpenAiResponses;

impl WireProtocol for OpenAiResponses {
    fn path(&self) -> &'static str {
        "responses"
    }

    fn headers(&self, api_key: Option<&str>) -> Vec<(&'static str, String)> {
        bearer_headers(api_key)
    }

    fn body(&self, request: &ModelRequest) -> Value {
        let mut body = json!({
            "model": request.model,
            "input": encode_input(&request.messages),
            "stream": true,
            "store": false,
            "max_output_tokens": request.max_output_tokens,
        });
        if !request.system.is_empty() {
            body["instructions"] = json!(request.system);
        }
        if !request.tools.is_empty() {
            body["tools"] = request
                .tools
                .iter()
                .map(|tool| {
                    // Strict mode would demand every property be required;
                    // our schemas have optional ones.
                    json!({
                        "type": "function",
                        "name": tool.name,
                        "description": tool.description,
                        "parameters": tool.parameters,
                        "strict": false,
                    })
                })
                .collect();
            body["parallel_tool_calls"] = json!(true);
        }
        if let Some(effort) = request.reasoning {
            let effort = match effort {
                ReasoningEffort::Low => "low",
                ReasoningEffort::Medium => "medium",
                ReasoningEffort::High => "high",
            };
            body["reasoning"] = json!({ "effort": effort, "summary": "auto" });
            body["include"] = json!(["reasoning.encrypted_content"]);
        }
        body
    }

    fn decoder(&self) -> Box<dyn WireDecoder> {
        Box::<Decoder>::default()
    }
}

/// Encodes the history as `input` items, in order.
fn encode_input(messages: &[Message]) -> Vec<Value> {
    let mut items = Vec::new();
    for message in messages {
        match message {
            Message::User { text } => items.push(json!({
                "role": "user",
                "content": [{ "type": "input_text", "text": text }],
            })),
            Message::Assistant { parts } => items.extend(parts.iter().filter_map(assistant_item)),
            Message::ToolResult {
                call_id, output, ..
            } => items.push(json!({
                "type": "function_call_output",
                "call_id": call_id,
                "output": output,
            })),
        }
    }
    items
}

/// One assistant part as an input item; `None` for parts that cannot be
/// replayed here.
fn assistant_item(part: &AssistantPart) -> Option<Value> {
    match part {
        AssistantPart::Text { text } if text.is_empty() => None,
        AssistantPart::Text { text } => Some(json!({
            "type": "message",
            "role": "assistant",
            "content": [{ "type": "output_text", "text": text }],
        })),
        AssistantPart::ToolCall(call) => Some(json!({
            "type": "function_call",
            "call_id": call.id,
            "name": call.name,
            "arguments": call.arguments,
        })),
        // With `store: false` the server keeps nothing, so an item can only
        // be replayed from its encrypted content (an id alone fails with
        // "item not found"). Reasoning from other providers is dropped.
        AssistantPart::Reasoning(reasoning) => match &reasoning.replay {
            Some(ReasoningReplay::OpenAiReasoning {
                id,
                encrypted_content: Some(encrypted),
            }) => {
                let summary: Vec<Value> = if reasoning.text.is_empty() {
                    Vec::new()
                } else {
                    vec![json!({ "type": "summary_text", "text": reasoning.text })]
                };
                Some(json!({
                    "type": "reasoning",
                    "id": id,
                    "summary": summary,
                    "encrypted_content": encrypted,
                }))
            }
            _ => None,
        },
    }
}

/// A function call of this response, addressed by the stream's item id or
/// output index.
struct Call {
    item_id: Option<String>,
    output_index: Option<u64>,
    id: String,
    name: String,
    arguments: String,
    done: bool,
}

/// A reasoning item whose text is still streaming.
struct OpenReasoning {
    item_id: Option<String>,
    output_index: Option<u64>,
    text: String,
    summary_index: Option<u64>,
}

/// Decoder state for one Responses stream.
#[derive(Default)]
struct Decoder {
    calls: Vec<Call>,
    reasoning: Vec<OpenReasoning>,
    /// Message items that streamed their text as deltas.
    streamed_messages: HashSet<String>,
    refused: bool,
    finished: bool,
}

/// The `item_id` (or, for `output_item.*`, `item.id`) and `output_index` an
/// event refers to.
fn item_address(json: &Value) -> (Option<&str>, Option<u64>) {
    let id = str_at(json, "/item_id").or_else(|| str_at(json, "/item/id"));
    (id, u64_at(json, "/output_index"))
}

/// True when an item at (`id`, `index`) is the one the event addresses: the
/// id decides when both sides have one, else the output index.
fn addresses(
    item_id: &Option<String>,
    output_index: Option<u64>,
    id: Option<&str>,
    index: Option<u64>,
) -> bool {
    match (item_id.as_deref(), id) {
        (Some(a), Some(b)) => a == b,
        _ => output_index.is_some() && output_index == index,
    }
}

/// The neutral usage of a `response.usage` object. Cached input is split
/// out of `input_tokens` so the input-side fields add up to the prompt.
pub(crate) fn usage(usage: &Value) -> Usage {
    let input = u64_at(usage, "/input_tokens").unwrap_or(0);
    let cached = u64_at(usage, "/input_tokens_details/cached_tokens").unwrap_or(0);
    Usage {
        input_tokens: input.saturating_sub(cached),
        output_tokens: u64_at(usage, "/output_tokens").unwrap_or(0),
        cache_read_tokens: cached,
        cache_write_tokens: 0,
        reasoning_tokens: u64_at(usage, "/output_tokens_details/reasoning_tokens").unwrap_or(0),
    }
}

/// An API error from an `error` object (or an event carrying its fields at
/// the top level).
fn api_error(error: Option<&Value>, fallback_kind: &str) -> WireError {
    let error = error.unwrap_or(&Value::Null);
    let kind = error
        .get("code")
        .and_then(as_text)
        .or_else(|| error.get("type").and_then(as_text))
        .unwrap_or_else(|| fallback_kind.to_string());
    let message = str_at(error, "/message")
        .unwrap_or("no message")
        .to_string();
    // One list for every wire: relays pass errors through across protocols.
    let retryable = super::retry::is_retryable_error_kind(&kind);
    WireError::Api {
        kind,
        message,
        retryable,
    }
}

/// Joins the `text` of every element of an array field.
fn joined_text(item: &Value, field: &str) -> String {
    item.get(field)
        .and_then(Value::as_array)
        .map(|parts| {
            parts
                .iter()
                .filter_map(|p| str_at(p, "/text").or_else(|| str_at(p, "/refusal")))
                .collect::<Vec<_>>()
                .join("\n\n")
        })
        .unwrap_or_default()
}

impl Decoder {
    fn call_position(&self, json: &Value) -> Option<usize> {
        let (id, index) = item_address(json);
        self.calls
            .iter()
            .position(|c| addresses(&c.item_id, c.output_index, id, index))
    }

    fn reasoning_position(&self, json: &Value) -> Option<usize> {
        let (id, index) = item_address(json);
        self.reasoning
            .iter()
            .position(|r| addresses(&r.item_id, r.output_index, id, index))
    }

    /// Registers a function call and announces it.
    fn start_call(&mut self, json: &Value, out: &mut Vec<StreamEvent>) -> Result<usize, WireError> {
        let item = &json["item"];
        let ordinal = self.calls.len();
        let name = str_at(item, "/name")
            .filter(|n| !n.is_empty())
            .ok_or_else(|| WireError::Malformed(format!("function call {ordinal} has no name")))?;
        let (item_id, output_index) = item_address(json);
        let id = str_at(item, "/call_id")
            .or(item_id)
            .filter(|id| !id.is_empty())
            .map_or_else(|| format!("call_{ordinal}"), str::to_string);
        let arguments = str_at(item, "/arguments").unwrap_or("").to_string();
        out.push(StreamEvent::ToolCallStart {
            index: ordinal,
            id: id.clone(),
            name: name.to_string(),
        });
        if !arguments.is_empty() {
            out.push(StreamEvent::ToolCallDelta {
                index: ordinal,
                delta: arguments.clone(),
            });
        }
        self.calls.push(Call {
            item_id: item_id.map(str::to_string),
            output_index,
            id,
            name: name.to_string(),
            arguments,
            done: false,
        });
        Ok(ordinal)
    }

    /// Completes a call with the given final arguments (or what streamed).
    fn finish_call(&mut self, ordinal: usize, arguments: Option<&str>, out: &mut Vec<StreamEvent>) {
        let call = &mut self.calls[ordinal];
        if call.done {
            return;
        }
        call.done = true;
        let mut arguments = arguments
            .filter(|a| !a.is_empty())
            .map_or_else(|| call.arguments.clone(), str::to_string);
        if arguments.is_empty() {
            arguments = "{}".to_string();
        }
        out.push(StreamEvent::ToolCallDone {
            index: ordinal,
            call: ToolCall {
                id: call.id.clone(),
                name: call.name.clone(),
                arguments,
            },
        });
    }

    fn reasoning_delta(&mut self, json: &Value, summary: bool, out: &mut Vec<StreamEvent>) {
        let delta = str_at(json, "/delta").unwrap_or("");
        let position = self.reasoning_position(json).unwrap_or_else(|| {
            let (id, index) = item_address(json);
            self.reasoning.push(OpenReasoning {
                item_id: id.map(str::to_string),
                output_index: index,
                text: String::new(),
                summary_index: None,
            });
            self.reasoning.len() - 1
        });
        let open = &mut self.reasoning[position];
        if summary {
            // Summary parts read as paragraphs, as in the finished item.
            let part = u64_at(json, "/summary_index");
            if open.summary_index.is_some() && part != open.summary_index {
                open.text.push_str("\n\n");
                out.push(StreamEvent::ReasoningDelta("\n\n".to_string()));
            }
            open.summary_index = part;
        }
        if !delta.is_empty() {
            open.text.push_str(delta);
            out.push(StreamEvent::ReasoningDelta(delta.to_string()));
        }
    }

    fn item_done(&mut self, json: &Value, out: &mut Vec<StreamEvent>) -> Result<(), WireError> {
        let item = &json["item"];
        match str_at(item, "/type").unwrap_or("") {
            "function_call" => {
                let ordinal = match self.call_position(json) {
                    Some(ordinal) => ordinal,
                    None => self.start_call(json, out)?,
                };
                self.finish_call(ordinal, str_at(item, "/arguments"), out);
            }
            "reasoning" => {
                let streamed = self
                    .reasoning_position(json)
                    .map(|p| self.reasoning.remove(p).text)
                    .unwrap_or_default();
                let mut text = joined_text(item, "summary");
                if text.is_empty() {
                    text = joined_text(item, "content");
                }
                if text.is_empty() {
                    text = streamed;
                }
                let replay = str_at(item, "/id").map(|id| ReasoningReplay::OpenAiReasoning {
                    id: id.to_string(),
                    encrypted_content: str_at(item, "/encrypted_content").map(str::to_string),
                });
                out.push(StreamEvent::ReasoningDone(Reasoning { text, replay }));
            }
            "message" => {
                // Servers that skip the delta events still send the text here.
                let streamed =
                    str_at(item, "/id").is_some_and(|id| self.streamed_messages.contains(id));
                if !streamed {
                    let text = joined_text(item, "content");
                    if !text.is_empty() {
                        out.push(StreamEvent::TextDelta(text));
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn finish(&mut self, json: &Value, complete: bool, out: &mut Vec<StreamEvent>) {
        let response = json.get("response").unwrap_or(&Value::Null);
        let reason = if complete {
            // A completed response finished every call it started.
            for ordinal in 0..self.calls.len() {
                self.finish_call(ordinal, None, out);
            }
            if !self.calls.is_empty() {
                StopReason::ToolUse
            } else if self.refused {
                StopReason::Refusal
            } else {
                StopReason::EndTurn
            }
        } else {
            match str_at(response, "/incomplete_details/reason") {
                Some("max_output_tokens") => StopReason::MaxTokens,
                Some("content_filter") => StopReason::Refusal,
                Some(other) => StopReason::Other(other.to_string()),
                None => StopReason::Other("incomplete".to_string()),
            }
        };
        if let Some(reported) = response.get("usage").filter(|u| u.is_object()) {
            out.push(StreamEvent::Usage(usage(reported)));
        }
        out.push(StreamEvent::Stop(reason));
        self.finished = true;
    }
}

impl WireDecoder for Decoder {
    fn on_event(&mut self, event: &SseEvent, out: &mut Vec<StreamEvent>) -> Result<(), WireError> {
        if self.finished || is_blank_or_done(&event.data) {
            return Ok(());
        }
        let json = parse_json(&event.data)?;
        match event_kind(&json, event) {
            "response.output_item.added" => match str_at(&json, "/item/type") {
                Some("function_call") => {
                    self.start_call(&json, out)?;
                }
                Some("reasoning") => {
                    let (id, index) = item_address(&json);
                    self.reasoning.push(OpenReasoning {
                        item_id: id.map(str::to_string),
                        output_index: index,
                        text: String::new(),
                        summary_index: None,
                    });
                }
                _ => {}
            },
            kind @ ("response.output_text.delta" | "response.refusal.delta") => {
                if let Some(id) = str_at(&json, "/item_id") {
                    self.streamed_messages.insert(id.to_string());
                }
                if kind == "response.refusal.delta" {
                    self.refused = true;
                }
                let delta = str_at(&json, "/delta").unwrap_or("");
                if !delta.is_empty() {
                    out.push(StreamEvent::TextDelta(delta.to_string()));
                }
            }
            "response.reasoning_summary_text.delta" => self.reasoning_delta(&json, true, out),
            "response.reasoning_text.delta" => self.reasoning_delta(&json, false, out),
            "response.function_call_arguments.delta" => {
                let delta = str_at(&json, "/delta").unwrap_or("");
                // A delta for a call never announced cannot be shown; its
                // full arguments still arrive with `output_item.done`.
                if let Some(ordinal) = self.call_position(&json)
                    && !delta.is_empty()
                {
                    self.calls[ordinal].arguments.push_str(delta);
                    out.push(StreamEvent::ToolCallDelta {
                        index: ordinal,
                        delta: delta.to_string(),
                    });
                }
            }
            "response.function_call_arguments.done" => {
                if let Some(ordinal) = self.call_position(&json)
                    && let Some(arguments) = str_at(&json, "/arguments").filter(|a| !a.is_empty())
                {
                    self.calls[ordinal].arguments = arguments.to_string();
                }
            }
            "response.output_item.done" => self.item_done(&json, out)?,
            "response.completed" => self.finish(&json, true, out),
            "response.incomplete" => self.finish(&json, false, out),
            "response.failed" => {
                return Err(api_error(
                    json.pointer("/response/error").filter(|e| e.is_object()),
                    "response_failed",
                ));
            }
            "error" => {
                // Documented with the fields at the top level; some servers
                // nest them under `error`.
                let error = json.get("error").filter(|e| e.is_object()).unwrap_or(&json);
                return Err(api_error(Some(error), "error"));
            }
            _ => {}
        }
        Ok(())
    }

    fn on_end(&mut self, _out: &mut Vec<StreamEvent>) -> Result<(), WireError> {
        if self.finished {
            Ok(())
        } else {
            Err(WireError::Truncated)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::ToolSpec;
    use super::super::wire_util::testing::{accumulate, run, sse};
    use super::*;

    /// Events as servers send them without an `event:` line.
    fn decode(lines: &[&str]) -> Result<Vec<StreamEvent>, WireError> {
        let events: Vec<SseEvent> = lines.iter().map(|d| sse("", d)).collect();
        run(OpenAiResponses.decoder(), &events)
    }

    fn request(messages: Vec<Message>) -> ModelRequest {
        ModelRequest {
            model: "gpt-5".into(),
            system: "You are Tandem.".into(),
            messages,
            tools: vec![ToolSpec {
                name: "read_file".into(),
                description: "Read a file".into(),
                parameters: json!({"type": "object", "properties": {"path": {"type": "string"}}}),
            }],
            max_output_tokens: 4096,
            reasoning: Some(ReasoningEffort::Medium),
        }
    }

    #[test]
    fn path_and_headers() {
        assert_eq!(OpenAiResponses.path(), "responses");
        assert_eq!(
            OpenAiResponses.headers(Some("sk-1")),
            vec![("authorization", "Bearer sk-1".to_string())]
        );
        assert!(OpenAiResponses.headers(None).is_empty());
    }

    #[test]
    fn body_shape() {
        let messages = vec![
            Message::User { text: "hi".into() },
            Message::Assistant {
                parts: vec![
                    AssistantPart::Reasoning(Reasoning {
                        text: "Thinking about it".into(),
                        replay: Some(ReasoningReplay::OpenAiReasoning {
                            id: "rs_1".into(),
                            encrypted_content: Some("gAAAA".into()),
                        }),
                    }),
                    // Not replayable under store:false, and foreign ones.
                    AssistantPart::Reasoning(Reasoning {
                        text: "x".into(),
                        replay: Some(ReasoningReplay::OpenAiReasoning {
                            id: "rs_2".into(),
                            encrypted_content: None,
                        }),
                    }),
                    AssistantPart::Reasoning(Reasoning {
                        text: "claude".into(),
                        replay: Some(ReasoningReplay::AnthropicThinking {
                            signature: "sig".into(),
                        }),
                    }),
                    AssistantPart::Text {
                        text: "Reading.".into(),
                    },
                    AssistantPart::ToolCall(ToolCall {
                        id: "call_1".into(),
                        name: "read_file".into(),
                        arguments: "{\"path\":\"a\"}".into(),
                    }),
                ],
            },
            Message::ToolResult {
                call_id: "call_1".into(),
                output: "A".into(),
                is_error: false,
            },
        ];
        let body = OpenAiResponses.body(&request(messages));
        assert_eq!(body["model"], "gpt-5");
        assert_eq!(body["instructions"], "You are Tandem.");
        assert_eq!(body["stream"], true);
        assert_eq!(body["store"], false);
        assert_eq!(body["max_output_tokens"], 4096);
        assert_eq!(body["parallel_tool_calls"], true);
        assert_eq!(
            body["reasoning"],
            json!({"effort": "medium", "summary": "auto"})
        );
        assert_eq!(body["include"], json!(["reasoning.encrypted_content"]));
        assert_eq!(
            body["tools"],
            json!([{"type": "function", "name": "read_file", "description": "Read a file",
                    "parameters": {"type": "object", "properties": {"path": {"type": "string"}}},
                    "strict": false}])
        );
        assert_eq!(
            body["input"],
            json!([
                {"role": "user", "content": [{"type": "input_text", "text": "hi"}]},
                {"type": "reasoning", "id": "rs_1",
                 "summary": [{"type": "summary_text", "text": "Thinking about it"}],
                 "encrypted_content": "gAAAA"},
                {"type": "message", "role": "assistant",
                 "content": [{"type": "output_text", "text": "Reading."}]},
                {"type": "function_call", "call_id": "call_1", "name": "read_file",
                 "arguments": "{\"path\":\"a\"}"},
                {"type": "function_call_output", "call_id": "call_1", "output": "A"},
            ])
        );
    }

    #[test]
    fn body_without_reasoning_or_tools() {
        let mut req = request(vec![Message::User { text: "q".into() }]);
        req.reasoning = None;
        req.tools.clear();
        let body = OpenAiResponses.body(&req);
        for absent in ["reasoning", "include", "tools", "parallel_tool_calls"] {
            assert!(body.get(absent).is_none(), "{absent}");
        }
    }

    /// Reasoning, text and two parallel function calls, as the API streams
    /// them (abridged `response` objects).
    const TOOL_STREAM: &[&str] = &[
        r#"{"type":"response.created","sequence_number":0,"response":{"id":"resp_1","status":"in_progress","output":[]}}"#,
        r#"{"type":"response.in_progress","sequence_number":1,"response":{"id":"resp_1","status":"in_progress"}}"#,
        r#"{"type":"response.output_item.added","sequence_number":2,"output_index":0,"item":{"id":"rs_1","type":"reasoning","summary":[]}}"#,
        r#"{"type":"response.reasoning_summary_part.added","sequence_number":3,"item_id":"rs_1","output_index":0,"summary_index":0,"part":{"type":"summary_text","text":""}}"#,
        r#"{"type":"response.reasoning_summary_text.delta","sequence_number":4,"item_id":"rs_1","output_index":0,"summary_index":0,"delta":"**Plan**"}"#,
        r#"{"type":"response.reasoning_summary_text.delta","sequence_number":5,"item_id":"rs_1","output_index":0,"summary_index":1,"delta":"Read it."}"#,
        r#"{"type":"response.reasoning_summary_text.done","sequence_number":6,"item_id":"rs_1","output_index":0,"summary_index":1,"text":"Read it."}"#,
        r#"{"type":"response.output_item.done","sequence_number":7,"output_index":0,"item":{"id":"rs_1","type":"reasoning","summary":[{"type":"summary_text","text":"**Plan**"},{"type":"summary_text","text":"Read it."}],"encrypted_content":"gAAAAB"}}"#,
        r#"{"type":"response.output_item.added","sequence_number":8,"output_index":1,"item":{"id":"msg_1","type":"message","status":"in_progress","role":"assistant","content":[]}}"#,
        r#"{"type":"response.content_part.added","sequence_number":9,"item_id":"msg_1","output_index":1,"content_index":0,"part":{"type":"output_text","text":"","annotations":[]}}"#,
        r#"{"type":"response.output_text.delta","sequence_number":10,"item_id":"msg_1","output_index":1,"content_index":0,"delta":"Checking"}"#,
        r#"{"type":"response.output_text.delta","sequence_number":11,"item_id":"msg_1","output_index":1,"content_index":0,"delta":" both."}"#,
        r#"{"type":"response.output_text.done","sequence_number":12,"item_id":"msg_1","output_index":1,"content_index":0,"text":"Checking both."}"#,
        r#"{"type":"response.output_item.done","sequence_number":13,"output_index":1,"item":{"id":"msg_1","type":"message","status":"completed","role":"assistant","content":[{"type":"output_text","text":"Checking both.","annotations":[]}]}}"#,
        r#"{"type":"response.output_item.added","sequence_number":14,"output_index":2,"item":{"id":"fc_1","type":"function_call","status":"in_progress","arguments":"","call_id":"call_A","name":"read_file"}}"#,
        r#"{"type":"response.output_item.added","sequence_number":15,"output_index":3,"item":{"id":"fc_2","type":"function_call","status":"in_progress","arguments":"","call_id":"call_B","name":"read_file"}}"#,
        r#"{"type":"response.function_call_arguments.delta","sequence_number":16,"item_id":"fc_2","output_index":3,"delta":"{\"path\":\"b\"}"}"#,
        r#"{"type":"response.function_call_arguments.delta","sequence_number":17,"item_id":"fc_1","output_index":2,"delta":"{\"path\":"}"#,
        r#"{"type":"response.function_call_arguments.delta","sequence_number":18,"item_id":"fc_1","output_index":2,"delta":"\"a\"}"}"#,
        r#"{"type":"response.function_call_arguments.done","sequence_number":19,"item_id":"fc_1","output_index":2,"arguments":"{\"path\":\"a\"}"}"#,
        r#"{"type":"response.output_item.done","sequence_number":20,"output_index":2,"item":{"id":"fc_1","type":"function_call","status":"completed","arguments":"{\"path\":\"a\"}","call_id":"call_A","name":"read_file"}}"#,
        r#"{"type":"response.output_item.done","sequence_number":21,"output_index":3,"item":{"id":"fc_2","type":"function_call","status":"completed","arguments":"{\"path\":\"b\"}","call_id":"call_B","name":"read_file"}}"#,
        r#"{"type":"response.completed","sequence_number":22,"response":{"id":"resp_1","status":"completed","usage":{"input_tokens":1200,"input_tokens_details":{"cached_tokens":1000},"output_tokens":300,"output_tokens_details":{"reasoning_tokens":128},"total_tokens":1500}}}"#,
    ];

    #[test]
    fn decodes_reasoning_text_and_parallel_calls() {
        let events = decode(TOOL_STREAM).unwrap();
        let reasoning = Reasoning {
            text: "**Plan**\n\nRead it.".into(),
            replay: Some(ReasoningReplay::OpenAiReasoning {
                id: "rs_1".into(),
                encrypted_content: Some("gAAAAB".into()),
            }),
        };
        let call = |index: usize, id: &str, args: &str| StreamEvent::ToolCallDone {
            index,
            call: ToolCall {
                id: id.into(),
                name: "read_file".into(),
                arguments: args.into(),
            },
        };
        assert_eq!(
            events,
            vec![
                StreamEvent::ReasoningDelta("**Plan**".into()),
                StreamEvent::ReasoningDelta("\n\n".into()),
                StreamEvent::ReasoningDelta("Read it.".into()),
                StreamEvent::ReasoningDone(reasoning.clone()),
                StreamEvent::TextDelta("Checking".into()),
                StreamEvent::TextDelta(" both.".into()),
                StreamEvent::ToolCallStart {
                    index: 0,
                    id: "call_A".into(),
                    name: "read_file".into()
                },
                StreamEvent::ToolCallStart {
                    index: 1,
                    id: "call_B".into(),
                    name: "read_file".into()
                },
                StreamEvent::ToolCallDelta {
                    index: 1,
                    delta: "{\"path\":\"b\"}".into()
                },
                StreamEvent::ToolCallDelta {
                    index: 0,
                    delta: "{\"path\":".into()
                },
                StreamEvent::ToolCallDelta {
                    index: 0,
                    delta: "\"a\"}".into()
                },
                call(0, "call_A", "{\"path\":\"a\"}"),
                call(1, "call_B", "{\"path\":\"b\"}"),
                StreamEvent::Usage(Usage {
                    input_tokens: 200,
                    output_tokens: 300,
                    cache_read_tokens: 1000,
                    cache_write_tokens: 0,
                    reasoning_tokens: 128,
                }),
                StreamEvent::Stop(StopReason::ToolUse),
            ]
        );
        let acc = accumulate(&events);
        assert_eq!(acc.text(), "Checking both.");
        assert_eq!(acc.tool_calls().len(), 2);
        let Message::Assistant { parts } = acc.into_message() else {
            panic!("not an assistant message")
        };
        assert_eq!(parts[0], AssistantPart::Reasoning(reasoning));
        // What was decoded replays as the same items.
        let body = OpenAiResponses.body(&request(vec![Message::Assistant { parts }]));
        assert_eq!(body["input"][0]["encrypted_content"], "gAAAAB");
        assert_eq!(body["input"][2]["call_id"], "call_A");
    }

    #[test]
    fn named_events_and_plain_text_end_turn() {
        let events: Vec<SseEvent> = [
            ("response.created", r#"{"type":"response.created","response":{}}"#),
            ("response.output_text.delta", r#"{"type":"response.output_text.delta","item_id":"msg_1","output_index":0,"delta":"Hello"}"#),
            ("response.completed", r#"{"type":"response.completed","response":{"usage":{"input_tokens":10,"output_tokens":2}}}"#),
        ]
        .iter()
        .map(|(e, d)| sse(e, d))
        .collect();
        let out = run(OpenAiResponses.decoder(), &events).unwrap();
        assert_eq!(
            out,
            vec![
                StreamEvent::TextDelta("Hello".into()),
                StreamEvent::Usage(Usage {
                    input_tokens: 10,
                    output_tokens: 2,
                    ..Usage::default()
                }),
                StreamEvent::Stop(StopReason::EndTurn),
            ]
        );
    }

    #[test]
    fn quirks_output_index_matching_and_items_only_in_done() {
        // No item ids on the deltas (matched by output_index), a call whose
        // `added` event never came, and message text only in `done`.
        let events = decode(&[
            r#"{"type":"response.output_item.added","output_index":0,"item":{"type":"function_call","call_id":"call_X","name":"shell","arguments":""}}"#,
            r#"{"type":"response.function_call_arguments.delta","output_index":0,"delta":"{\"cmd\":\"ls\"}"}"#,
            r#"{"type":"response.output_item.done","output_index":0,"item":{"type":"function_call","call_id":"call_X","name":"shell"}}"#,
            r#"{"type":"response.output_item.done","output_index":1,"item":{"id":"fc_9","type":"function_call","call_id":"call_Y","name":"shell","arguments":"{\"cmd\":\"pwd\"}"}}"#,
            r#"{"type":"response.output_item.done","output_index":2,"item":{"id":"msg_2","type":"message","content":[{"type":"output_text","text":"Done."}]}}"#,
            r#"{"type":"response.reasoning_text.delta","item_id":"rs_oss","output_index":3,"content_index":0,"delta":"raw thought"}"#,
            r#"{"type":"response.output_item.done","output_index":3,"item":{"id":"rs_oss","type":"reasoning","summary":[]}}"#,
            r#"{"type":"some.future.event","x":1}"#,
            r#"{"type":"response.completed","response":{"usage":null}}"#,
        ])
        .unwrap();
        let acc = accumulate(&events);
        let calls = acc.tool_calls();
        assert_eq!(calls[0].arguments, "{\"cmd\":\"ls\"}");
        assert_eq!(calls[1].id, "call_Y");
        assert_eq!(calls[1].arguments, "{\"cmd\":\"pwd\"}");
        assert_eq!(acc.text(), "Done.");
        assert!(events.contains(&StreamEvent::ReasoningDone(Reasoning {
            text: "raw thought".into(),
            replay: Some(ReasoningReplay::OpenAiReasoning {
                id: "rs_oss".into(),
                encrypted_content: None
            }),
        })));
        assert!(!events.iter().any(|e| matches!(e, StreamEvent::Usage(_))));
        assert_eq!(events.last(), Some(&StreamEvent::Stop(StopReason::ToolUse)));
    }

    #[test]
    fn incomplete_maps_the_reason() {
        let events = decode(&[
            r#"{"type":"response.output_text.delta","item_id":"m","delta":"Long"}"#,
            r#"{"type":"response.incomplete","response":{"status":"incomplete","incomplete_details":{"reason":"max_output_tokens"},"usage":{"input_tokens":5,"output_tokens":4096}}}"#,
        ])
        .unwrap();
        assert_eq!(
            events.last(),
            Some(&StreamEvent::Stop(StopReason::MaxTokens))
        );
        let filtered = decode(&[
            r#"{"type":"response.incomplete","response":{"incomplete_details":{"reason":"content_filter"}}}"#,
        ])
        .unwrap();
        assert_eq!(filtered, vec![StreamEvent::Stop(StopReason::Refusal)]);
    }

    #[test]
    fn failures_and_error_events() {
        let failed = decode(&[
            r#"{"type":"response.failed","response":{"status":"failed","error":{"code":"server_error","message":"The server had an error"}}}"#,
        ]);
        assert_eq!(
            failed,
            Err(WireError::Api {
                kind: "server_error".into(),
                message: "The server had an error".into(),
                retryable: true
            })
        );
        let error = decode(&[
            r#"{"type":"error","code":"invalid_prompt","message":"Bad prompt","param":null,"sequence_number":1}"#,
        ]);
        assert_eq!(
            error,
            Err(WireError::Api {
                kind: "invalid_prompt".into(),
                message: "Bad prompt".into(),
                retryable: false
            })
        );
        // A relay's bare error payload: no `type`, no `event:` line.
        assert!(matches!(
            decode(&[r#"{"error":{"code":"server_error","message":"upstream"}}"#]),
            Err(WireError::Api {
                retryable: true,
                ..
            })
        ));
        let nested = decode(&[
            r#"{"type":"error","error":{"type":"rate_limit_exceeded","message":"Slow down"}}"#,
        ]);
        assert!(matches!(
            nested,
            Err(WireError::Api {
                retryable: true,
                ..
            })
        ));
    }

    #[test]
    fn malformed_and_truncated() {
        assert!(matches!(
            decode(&["{\"type\":\"response.output_text.delta\",\"delta\":"]),
            Err(WireError::Malformed(_))
        ));
        assert!(matches!(
            decode(&[
                r#"{"type":"response.output_item.added","output_index":0,"item":{"type":"function_call","call_id":"c"}}"#
            ]),
            Err(WireError::Malformed(_))
        ));
        assert_eq!(
            decode(&TOOL_STREAM[..TOOL_STREAM.len() - 1]),
            Err(WireError::Truncated)
        );
    }
}
