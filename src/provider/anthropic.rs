//! Anthropic Messages API (`POST /v1/messages`, streamed).
//!
//! Requests carry the system prompt as a cached text block, tools with
//! `input_schema`, and a strictly alternating user/assistant history in which
//! thinking blocks are replayed with their signatures and tool results are
//! grouped into one user turn. The stream is a sequence of named events
//! (`message_start`, `content_block_*`, `message_delta`, `message_stop`);
//! the decoder turns content blocks into text, reasoning and tool-call
//! events, keeps the cumulative usage, and treats `message_stop` as the only
//! proper end of a response.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::sse::SseEvent;
use super::wire::{WireDecoder, WireError, WireProtocol};
use super::wire_util::{event_kind, is_blank_or_done, parse_json, str_at, u64_at};
use super::{
    AssistantPart, Message, ModelRequest, Reasoning, ReasoningEffort, ReasoningReplay, StopReason,
    StreamEvent, ToolCall, Usage,
};

/// The API version header value this encoder and decoder follow.
const API_VERSION: &str = "2023-06-01";

/// The Anthropic Messages wire protocol.
///
/// A unit struct: the protocol has no configuration of its own (the base URL
/// and key live with the HTTP driver).
pub struct Anthropic;

/// The thinking budget for each effort level.
fn thinking_budget(effort: ReasoningEffort) -> u32 {
    match effort {
        ReasoningEffort::Low => 2048,
        ReasoningEffort::Medium => 8192,
        ReasoningEffort::High => 24576,
    }
}

/// Marks a block as the end of a cacheable prompt prefix.
fn ephemeral() -> Value {
    json!({ "type": "ephemeral" })
}

impl WireProtocol for Anthropic {
    fn path(&self) -> &'static str {
        "messages"
    }

    fn headers(&self, api_key: Option<&str>) -> Vec<(&'static str, String)> {
        let mut headers = Vec::new();
        if let Some(key) = api_key.filter(|k| !k.is_empty()) {
            headers.push(("x-api-key", key.to_string()));
        }
        headers.push(("anthropic-version", API_VERSION.to_string()));
        headers
    }

    fn body(&self, request: &ModelRequest) -> Value {
        let mut max_tokens = request.max_output_tokens.max(1);
        let messages = encode_messages(&request.messages);
        let thinking = request
            .reasoning
            .filter(|_| tool_loop_allows_thinking(&messages));
        let mut body = json!({
            "model": request.model,
            "stream": true,
            "messages": messages,
        });
        if !request.system.is_empty() {
            body["system"] = json!([{
                "type": "text",
                "text": request.system,
                "cache_control": ephemeral(),
            }]);
        }
        if !request.tools.is_empty() {
            body["tools"] = request
                .tools
                .iter()
                .map(|tool| {
                    json!({
                        "name": tool.name,
                        "description": tool.description,
                        "input_schema": tool.parameters,
                    })
                })
                .collect();
        }
        if let Some(effort) = thinking {
            let budget = thinking_budget(effort);
            // The budget is part of max_tokens; keep the requested room for
            // the answer on top of it rather than starving either.
            if max_tokens <= budget {
                max_tokens += budget;
            }
            body["thinking"] = json!({ "type": "enabled", "budget_tokens": budget });
        }
        body["max_tokens"] = json!(max_tokens);
        body
    }

    fn decoder(&self) -> Box<dyn WireDecoder> {
        Box::<Decoder>::default()
    }
}

/// With thinking on, the API requires the assistant turn of an unfinished
/// tool loop (the request ends in its tool results) to open with a thinking
/// block. When it does not (the turn came from another provider, or
/// thinking was off when it was made), thinking is left off for this
/// request rather than failing it.
fn tool_loop_allows_thinking(messages: &[Value]) -> bool {
    let Some(last) = messages.last() else {
        return true;
    };
    if last["role"] != "user" || last["content"][0]["type"] != "tool_result" {
        return true;
    }
    messages
        .iter()
        .rev()
        .find(|m| m["role"] == "assistant")
        .is_none_or(|turn| {
            matches!(
                turn["content"][0]["type"].as_str(),
                Some("thinking" | "redacted_thinking")
            )
        })
}

/// Encodes the history as alternating user/assistant messages of content
/// blocks, with a cache breakpoint on the last tool result.
fn encode_messages(messages: &[Message]) -> Vec<Value> {
    let mut turns: Vec<(&'static str, Vec<Value>)> = Vec::new();
    for message in messages {
        let (role, blocks) = match message {
            Message::User { text } if text.is_empty() => continue,
            Message::User { text } => ("user", vec![json!({ "type": "text", "text": text })]),
            Message::Assistant { parts } => (
                "assistant",
                parts.iter().filter_map(assistant_block).collect(),
            ),
            Message::ToolResult {
                call_id,
                output,
                is_error,
            } => {
                // The API rejects an empty error result; say so explicitly.
                let content = if output.is_empty() {
                    "(no output)"
                } else {
                    output.as_str()
                };
                let block = json!({
                    "type": "tool_result",
                    "tool_use_id": call_id,
                    "content": content,
                    "is_error": is_error,
                });
                ("user", vec![block])
            }
        };
        if blocks.is_empty() {
            continue;
        }
        match turns.last_mut() {
            Some((last_role, last_blocks)) if *last_role == role => last_blocks.extend(blocks),
            _ => turns.push((role, blocks)),
        }
    }
    for (role, blocks) in &mut turns {
        if *role == "user" {
            // Tool results must open the user turn that answers the calls.
            blocks.sort_by_key(|block| block["type"] != "tool_result");
        }
    }
    if let Some(last_result) = turns
        .iter_mut()
        .flat_map(|(_, blocks)| blocks.iter_mut())
        .rev()
        .find(|block| block["type"] == "tool_result")
    {
        last_result["cache_control"] = ephemeral();
    }
    turns
        .into_iter()
        .map(|(role, content)| json!({ "role": role, "content": content }))
        .collect()
}

/// One assistant part as a content block; `None` for parts this protocol
/// cannot replay (empty text, reasoning from another provider).
fn assistant_block(part: &AssistantPart) -> Option<Value> {
    match part {
        AssistantPart::Text { text } if text.is_empty() => None,
        AssistantPart::Text { text } => Some(json!({ "type": "text", "text": text })),
        AssistantPart::Reasoning(reasoning) => match &reasoning.replay {
            Some(ReasoningReplay::AnthropicThinking { signature }) => Some(json!({
                "type": "thinking",
                "thinking": reasoning.text,
                "signature": signature,
            })),
            Some(ReasoningReplay::AnthropicRedacted { data }) => {
                Some(json!({ "type": "redacted_thinking", "data": data }))
            }
            Some(ReasoningReplay::OpenAiReasoning { .. }) | None => None,
        },
        AssistantPart::ToolCall(call) => {
            // `input` must be an object; arguments the model garbled are
            // sent as `{}` so the rest of the history stays valid.
            let input = match serde_json::from_str::<Value>(&call.arguments) {
                Ok(value @ Value::Object(_)) => value,
                _ => json!({}),
            };
            Some(json!({
                "type": "tool_use",
                "id": call.id,
                "name": call.name,
                "input": input,
            }))
        }
    }
}

/// A content block still being streamed, keyed by its block index.
enum Block {
    Text,
    Thinking {
        text: String,
        signature: String,
    },
    Redacted {
        data: String,
    },
    Tool {
        /// Ordinal of the call in this response (not the block index).
        index: usize,
        id: String,
        name: String,
        json: String,
        /// A non-empty `input` some relays put in `content_block_start`
        /// instead of streaming it.
        initial: Option<String>,
    },
    Other,
}

/// Decoder state for one Anthropic response.
#[derive(Default)]
struct Decoder {
    blocks: BTreeMap<u64, Block>,
    tool_calls: usize,
    usage: Usage,
    stop_reason: Option<StopReason>,
    finished: bool,
}

/// Maps `stop_reason` to the neutral reason.
fn stop_reason(reason: &str) -> StopReason {
    match reason {
        "end_turn" | "stop_sequence" => StopReason::EndTurn,
        "tool_use" => StopReason::ToolUse,
        "max_tokens" => StopReason::MaxTokens,
        "refusal" => StopReason::Refusal,
        other => StopReason::Other(other.to_string()),
    }
}

impl Decoder {
    /// Folds a `usage` object in. Every field is cumulative, so the larger
    /// value wins: relays differ in which event carries the real numbers
    /// and some send zeros in the other.
    fn read_usage(&mut self, usage: &Value) {
        let fields: [(&str, &mut u64); 4] = [
            ("/input_tokens", &mut self.usage.input_tokens),
            ("/output_tokens", &mut self.usage.output_tokens),
            (
                "/cache_creation_input_tokens",
                &mut self.usage.cache_write_tokens,
            ),
            (
                "/cache_read_input_tokens",
                &mut self.usage.cache_read_tokens,
            ),
        ];
        for (pointer, slot) in fields {
            if let Some(value) = u64_at(usage, pointer) {
                *slot = (*slot).max(value);
            }
        }
    }

    fn block_start(&mut self, json: &Value, out: &mut Vec<StreamEvent>) -> Result<(), WireError> {
        let index = u64_at(json, "/index").unwrap_or(0);
        let block = json.get("content_block").unwrap_or(&Value::Null);
        let state = match str_at(block, "/type").unwrap_or("") {
            "text" => {
                push_text(out, str_at(block, "/text"));
                Block::Text
            }
            "thinking" => {
                let text = str_at(block, "/thinking").unwrap_or("").to_string();
                if !text.is_empty() {
                    out.push(StreamEvent::ReasoningDelta(text.clone()));
                }
                let signature = str_at(block, "/signature").unwrap_or("").to_string();
                Block::Thinking { text, signature }
            }
            "redacted_thinking" => Block::Redacted {
                data: str_at(block, "/data").unwrap_or("").to_string(),
            },
            "tool_use" => {
                let name = str_at(block, "/name")
                    .filter(|n| !n.is_empty())
                    .ok_or_else(|| {
                        WireError::Malformed(format!("tool_use block {index} has no name"))
                    })?
                    .to_string();
                let ordinal = self.tool_calls;
                self.tool_calls += 1;
                let id = str_at(block, "/id")
                    .filter(|id| !id.is_empty())
                    .map_or_else(|| format!("call_{ordinal}"), str::to_string);
                let initial = block
                    .get("input")
                    .filter(|input| input.as_object().is_some_and(|o| !o.is_empty()))
                    .map(Value::to_string);
                out.push(StreamEvent::ToolCallStart {
                    index: ordinal,
                    id: id.clone(),
                    name: name.clone(),
                });
                Block::Tool {
                    index: ordinal,
                    id,
                    name,
                    json: String::new(),
                    initial,
                }
            }
            // Server-side tools, citations and future block kinds: nothing
            // this client can act on.
            _ => Block::Other,
        };
        self.blocks.insert(index, state);
        Ok(())
    }

    fn block_delta(&mut self, json: &Value, out: &mut Vec<StreamEvent>) -> Result<(), WireError> {
        let index = u64_at(json, "/index").unwrap_or(0);
        let delta = json.get("delta").unwrap_or(&Value::Null);
        let block = self.blocks.get_mut(&index);
        match str_at(delta, "/type").unwrap_or("") {
            "text_delta" => push_text(out, str_at(delta, "/text")),
            "thinking_delta" => {
                let piece = str_at(delta, "/thinking").unwrap_or("");
                if piece.is_empty() {
                    return Ok(());
                }
                if let Some(Block::Thinking { text, .. }) = block {
                    text.push_str(piece);
                }
                out.push(StreamEvent::ReasoningDelta(piece.to_string()));
            }
            "signature_delta" => {
                if let Some(Block::Thinking { signature, .. }) = block {
                    signature.push_str(str_at(delta, "/signature").unwrap_or(""));
                }
            }
            "input_json_delta" => {
                let piece = str_at(delta, "/partial_json").unwrap_or("");
                let Some(Block::Tool { index, json, .. }) = block else {
                    return Err(WireError::Malformed(format!(
                        "input_json_delta for content block {index}, which is not a tool_use"
                    )));
                };
                if !piece.is_empty() {
                    json.push_str(piece);
                    out.push(StreamEvent::ToolCallDelta {
                        index: *index,
                        delta: piece.to_string(),
                    });
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn block_stop(&mut self, index: u64, out: &mut Vec<StreamEvent>) {
        if let Some(block) = self.blocks.remove(&index) {
            finish_block(block, out);
        }
    }
}

/// Emits visible text unless it is missing or empty.
fn push_text(out: &mut Vec<StreamEvent>, text: Option<&str>) {
    if let Some(text) = text.filter(|t| !t.is_empty()) {
        out.push(StreamEvent::TextDelta(text.to_string()));
    }
}

/// The completion event of a block, if it has one.
fn finish_block(block: Block, out: &mut Vec<StreamEvent>) {
    match block {
        Block::Tool {
            index,
            id,
            name,
            json,
            initial,
        } => {
            let arguments = if !json.is_empty() {
                json
            } else {
                initial.unwrap_or_else(|| "{}".to_string())
            };
            out.push(StreamEvent::ToolCallDone {
                index,
                call: ToolCall {
                    id,
                    name,
                    arguments,
                },
            });
        }
        Block::Thinking { text, signature } => {
            // Without a signature the block cannot be replayed; keep the text.
            let replay =
                (!signature.is_empty()).then_some(ReasoningReplay::AnthropicThinking { signature });
            out.push(StreamEvent::ReasoningDone(Reasoning { text, replay }));
        }
        Block::Redacted { data } => out.push(StreamEvent::ReasoningDone(Reasoning {
            text: String::new(),
            replay: Some(ReasoningReplay::AnthropicRedacted { data }),
        })),
        Block::Text | Block::Other => {}
    }
}

impl WireDecoder for Decoder {
    fn on_event(&mut self, event: &SseEvent, out: &mut Vec<StreamEvent>) -> Result<(), WireError> {
        if self.finished || is_blank_or_done(&event.data) {
            return Ok(());
        }
        let json = parse_json(&event.data)?;
        match event_kind(&json, event) {
            "message_start" => {
                if let Some(usage) = json.pointer("/message/usage") {
                    self.read_usage(usage);
                }
            }
            "content_block_start" => self.block_start(&json, out)?,
            "content_block_delta" => self.block_delta(&json, out)?,
            "content_block_stop" => self.block_stop(u64_at(&json, "/index").unwrap_or(0), out),
            "message_delta" => {
                if let Some(reason) = str_at(&json, "/delta/stop_reason") {
                    self.stop_reason = Some(stop_reason(reason));
                }
                if let Some(usage) = json.get("usage") {
                    self.read_usage(usage);
                }
            }
            "message_stop" => {
                // Close blocks a relay left open, in stream order.
                for block in std::mem::take(&mut self.blocks).into_values() {
                    finish_block(block, out);
                }
                let reason = self.stop_reason.take().unwrap_or(if self.tool_calls > 0 {
                    StopReason::ToolUse
                } else {
                    StopReason::EndTurn
                });
                out.push(StreamEvent::Usage(self.usage));
                out.push(StreamEvent::Stop(reason));
                self.finished = true;
            }
            "error" => {
                let kind = str_at(&json, "/error/type").unwrap_or("error").to_string();
                let message = str_at(&json, "/error/message")
                    .unwrap_or("no message")
                    .to_string();
                let retryable = super::retry::is_retryable_error_kind(&kind);
                return Err(WireError::Api {
                    kind,
                    message,
                    retryable,
                });
            }
            // `ping` and event kinds added after this was written.
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

    fn named(lines: &[(&str, &str)]) -> Vec<SseEvent> {
        lines.iter().map(|(e, d)| sse(e, d)).collect()
    }

    fn decode(lines: &[(&str, &str)]) -> Result<Vec<StreamEvent>, WireError> {
        run(Anthropic.decoder(), &named(lines))
    }

    fn request(messages: Vec<Message>) -> ModelRequest {
        ModelRequest {
            model: "claude-sonnet-4-5".into(),
            system: "You are Tandem.".into(),
            messages,
            tools: vec![ToolSpec {
                name: "read_file".into(),
                description: "Read a file".into(),
                parameters: json!({"type": "object", "properties": {"path": {"type": "string"}}}),
            }],
            max_output_tokens: 4096,
            reasoning: None,
        }
    }

    fn call(id: &str, args: &str) -> AssistantPart {
        AssistantPart::ToolCall(ToolCall {
            id: id.into(),
            name: "read_file".into(),
            arguments: args.into(),
        })
    }

    fn result(id: &str, output: &str) -> Message {
        Message::ToolResult {
            call_id: id.into(),
            output: output.into(),
            is_error: false,
        }
    }

    #[test]
    fn path_and_headers() {
        assert_eq!(Anthropic.path(), "messages");
        assert_eq!(
            Anthropic.headers(Some("sk-ant")),
            vec![
                ("x-api-key", "sk-ant".to_string()),
                ("anthropic-version", "2023-06-01".to_string())
            ]
        );
        assert_eq!(
            Anthropic.headers(None),
            vec![("anthropic-version", "2023-06-01".to_string())]
        );
    }

    #[test]
    fn body_has_cached_system_tools_and_stream() {
        let body = Anthropic.body(&request(vec![Message::User { text: "hi".into() }]));
        assert_eq!(body["model"], "claude-sonnet-4-5");
        assert_eq!(body["stream"], true);
        assert_eq!(body["max_tokens"], 4096);
        assert_eq!(
            body["system"],
            json!([{"type": "text", "text": "You are Tandem.", "cache_control": {"type": "ephemeral"}}])
        );
        assert_eq!(body["tools"][0]["name"], "read_file");
        assert_eq!(body["tools"][0]["input_schema"]["type"], "object");
        assert!(body.get("thinking").is_none());
        assert_eq!(
            body["messages"],
            json!([{"role": "user", "content": [{"type": "text", "text": "hi"}]}])
        );
    }

    #[test]
    fn body_replays_thinking_merges_results_and_caches_the_last_one() {
        let messages = vec![
            Message::User {
                text: "look".into(),
            },
            Message::Assistant {
                parts: vec![
                    AssistantPart::Reasoning(Reasoning {
                        text: "plan".into(),
                        replay: Some(ReasoningReplay::AnthropicThinking {
                            signature: "sig1".into(),
                        }),
                    }),
                    AssistantPart::Reasoning(Reasoning {
                        text: String::new(),
                        replay: Some(ReasoningReplay::AnthropicRedacted {
                            data: "opaque".into(),
                        }),
                    }),
                    AssistantPart::Text {
                        text: String::new(),
                    },
                    AssistantPart::Text {
                        text: "Reading.".into(),
                    },
                    call("toolu_1", "{\"path\":\"a\"}"),
                    call("toolu_2", "{\"path\":"),
                ],
            },
            result("toolu_1", "A"),
            result("toolu_2", "B"),
            Message::Assistant {
                parts: vec![AssistantPart::Text {
                    text: "Again.".into(),
                }],
            },
            Message::Assistant {
                parts: vec![call("toolu_3", "{}")],
            },
            result("toolu_3", ""),
            Message::User {
                text: "and?".into(),
            },
        ];
        let body = Anthropic.body(&request(messages));
        let msgs = body["messages"].as_array().unwrap();
        let roles: Vec<&str> = msgs.iter().map(|m| m["role"].as_str().unwrap()).collect();
        assert_eq!(roles, ["user", "assistant", "user", "assistant", "user"]);
        assert_eq!(
            msgs[1]["content"],
            json!([
                {"type": "thinking", "thinking": "plan", "signature": "sig1"},
                {"type": "redacted_thinking", "data": "opaque"},
                {"type": "text", "text": "Reading."},
                {"type": "tool_use", "id": "toolu_1", "name": "read_file", "input": {"path": "a"}},
                {"type": "tool_use", "id": "toolu_2", "name": "read_file", "input": {}},
            ])
        );
        assert_eq!(
            msgs[2]["content"],
            json!([
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": "A", "is_error": false},
                {"type": "tool_result", "tool_use_id": "toolu_2", "content": "B", "is_error": false},
            ])
        );
        // Consecutive assistant messages merge into one turn.
        assert_eq!(msgs[3]["content"].as_array().unwrap().len(), 2);
        // The final user turn: tool result first, then the text; only the
        // last tool result of the whole request carries the breakpoint.
        assert_eq!(
            msgs[4]["content"],
            json!([
                {"type": "tool_result", "tool_use_id": "toolu_3", "content": "(no output)",
                 "is_error": false, "cache_control": {"type": "ephemeral"}},
                {"type": "text", "text": "and?"},
            ])
        );
        let breakpoints = body.to_string().matches("cache_control").count();
        assert_eq!(breakpoints, 2, "system + last tool result");
    }

    #[test]
    fn body_drops_reasoning_from_other_providers() {
        let messages = vec![
            Message::User { text: "q".into() },
            Message::Assistant {
                parts: vec![
                    AssistantPart::Reasoning(Reasoning {
                        text: "openai summary".into(),
                        replay: Some(ReasoningReplay::OpenAiReasoning {
                            id: "rs_1".into(),
                            encrypted_content: Some("enc".into()),
                        }),
                    }),
                    AssistantPart::Reasoning(Reasoning {
                        text: "chat reasoning".into(),
                        replay: None,
                    }),
                    AssistantPart::Text { text: "A".into() },
                ],
            },
            // Only foreign reasoning: the whole message disappears and the
            // user turns around it merge.
            Message::Assistant {
                parts: vec![AssistantPart::Reasoning(Reasoning::default())],
            },
            Message::User {
                text: "more".into(),
            },
        ];
        let body = Anthropic.body(&request(messages));
        assert_eq!(
            body["messages"][1]["content"],
            json!([{"type": "text", "text": "A"}])
        );
        assert_eq!(body["messages"].as_array().unwrap().len(), 3);
        assert!(!body.to_string().contains("summary"));
    }

    #[test]
    fn body_thinking_budget_fits_under_max_tokens() {
        let mut req = request(vec![Message::User { text: "q".into() }]);
        req.reasoning = Some(ReasoningEffort::Medium);
        let body = Anthropic.body(&req);
        assert_eq!(
            body["thinking"],
            json!({"type": "enabled", "budget_tokens": 8192})
        );
        assert_eq!(body["max_tokens"], 8192 + 4096);
        req.max_output_tokens = 32000;
        req.reasoning = Some(ReasoningEffort::High);
        let body = Anthropic.body(&req);
        assert_eq!(body["thinking"]["budget_tokens"], 24576);
        assert_eq!(body["max_tokens"], 32000);
        req.reasoning = Some(ReasoningEffort::Low);
        assert_eq!(Anthropic.body(&req)["thinking"]["budget_tokens"], 2048);
    }

    #[test]
    fn body_leaves_thinking_off_mid_loop_without_a_leading_thinking_block() {
        let loop_turn = |parts| {
            let mut req = request(vec![
                Message::User { text: "q".into() },
                Message::Assistant { parts },
                result("toolu_1", "out"),
            ]);
            req.reasoning = Some(ReasoningEffort::Low);
            Anthropic.body(&req)
        };
        let foreign = loop_turn(vec![call("toolu_1", "{}")]);
        assert!(foreign.get("thinking").is_none());
        assert_eq!(foreign["max_tokens"], 4096);
        let own = loop_turn(vec![
            AssistantPart::Reasoning(Reasoning {
                text: "t".into(),
                replay: Some(ReasoningReplay::AnthropicThinking {
                    signature: "s".into(),
                }),
            }),
            call("toolu_1", "{}"),
        ]);
        assert_eq!(own["thinking"]["budget_tokens"], 2048);
        // A new user prompt starts a fresh loop: thinking is fine again.
        let mut fresh = request(vec![
            Message::User { text: "q".into() },
            Message::Assistant {
                parts: vec![AssistantPart::Text { text: "a".into() }],
            },
            Message::User {
                text: "next".into(),
            },
        ]);
        fresh.reasoning = Some(ReasoningEffort::Low);
        assert!(Anthropic.body(&fresh).get("thinking").is_some());
    }

    /// A thinking + text + tool-use response, as the API streams it.
    const TOOL_STREAM: &[(&str, &str)] = &[
        (
            "message_start",
            r#"{"type":"message_start","message":{"id":"msg_01","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-5","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":12,"cache_creation_input_tokens":300,"cache_read_input_tokens":2000,"output_tokens":1}}}"#,
        ),
        (
            "content_block_start",
            r#"{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}"#,
        ),
        ("ping", r#"{"type": "ping"}"#),
        (
            "content_block_delta",
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Need the "}}"#,
        ),
        (
            "content_block_delta",
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"file."}}"#,
        ),
        (
            "content_block_delta",
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQBCgIYAh"}}"#,
        ),
        (
            "content_block_stop",
            r#"{"type":"content_block_stop","index":0}"#,
        ),
        (
            "content_block_start",
            r#"{"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}"#,
        ),
        (
            "content_block_delta",
            r#"{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Let me "}}"#,
        ),
        (
            "content_block_delta",
            r#"{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"look."}}"#,
        ),
        (
            "content_block_stop",
            r#"{"type":"content_block_stop","index":1}"#,
        ),
        (
            "content_block_start",
            r#"{"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_01A","name":"read_file","input":{}}}"#,
        ),
        (
            "content_block_delta",
            r#"{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":""}}"#,
        ),
        (
            "content_block_delta",
            r#"{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"path\": \"sr"}}"#,
        ),
        (
            "content_block_delta",
            r#"{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"c/main.rs\"}"}}"#,
        ),
        (
            "content_block_stop",
            r#"{"type":"content_block_stop","index":2}"#,
        ),
        (
            "content_block_start",
            r#"{"type":"content_block_start","index":3,"content_block":{"type":"tool_use","id":"toolu_01B","name":"list_dir","input":{}}}"#,
        ),
        (
            "content_block_stop",
            r#"{"type":"content_block_stop","index":3}"#,
        ),
        (
            "message_delta",
            r#"{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":89}}"#,
        ),
        ("message_stop", r#"{"type":"message_stop"}"#),
    ];

    #[test]
    fn decodes_thinking_text_and_tool_calls() {
        let events = decode(TOOL_STREAM).unwrap();
        assert_eq!(
            events,
            vec![
                StreamEvent::ReasoningDelta("Need the ".into()),
                StreamEvent::ReasoningDelta("file.".into()),
                StreamEvent::ReasoningDone(Reasoning {
                    text: "Need the file.".into(),
                    replay: Some(ReasoningReplay::AnthropicThinking {
                        signature: "EqQBCgIYAh".into()
                    }),
                }),
                StreamEvent::TextDelta("Let me ".into()),
                StreamEvent::TextDelta("look.".into()),
                StreamEvent::ToolCallStart {
                    index: 0,
                    id: "toolu_01A".into(),
                    name: "read_file".into()
                },
                StreamEvent::ToolCallDelta {
                    index: 0,
                    delta: "{\"path\": \"sr".into()
                },
                StreamEvent::ToolCallDelta {
                    index: 0,
                    delta: "c/main.rs\"}".into()
                },
                StreamEvent::ToolCallDone {
                    index: 0,
                    call: ToolCall {
                        id: "toolu_01A".into(),
                        name: "read_file".into(),
                        arguments: "{\"path\": \"src/main.rs\"}".into()
                    }
                },
                StreamEvent::ToolCallStart {
                    index: 1,
                    id: "toolu_01B".into(),
                    name: "list_dir".into()
                },
                StreamEvent::ToolCallDone {
                    index: 1,
                    call: ToolCall {
                        id: "toolu_01B".into(),
                        name: "list_dir".into(),
                        arguments: "{}".into()
                    }
                },
                StreamEvent::Usage(Usage {
                    input_tokens: 12,
                    output_tokens: 89,
                    cache_read_tokens: 2000,
                    cache_write_tokens: 300,
                    reasoning_tokens: 0,
                }),
                StreamEvent::Stop(StopReason::ToolUse),
            ]
        );
        let acc = accumulate(&events);
        assert_eq!(acc.text(), "Let me look.");
        assert_eq!(acc.tool_calls().len(), 2);
        let Message::Assistant { parts } = acc.into_message() else {
            panic!("not an assistant message")
        };
        assert!(matches!(
            &parts[0],
            AssistantPart::Reasoning(Reasoning { replay: Some(ReasoningReplay::AnthropicThinking { signature }), .. })
                if signature == "EqQBCgIYAh"
        ));
        // The decoded message replays as the same content blocks.
        let body = Anthropic.body(&request(vec![
            Message::User { text: "q".into() },
            Message::Assistant { parts },
        ]));
        assert_eq!(body["messages"][1]["content"][0]["signature"], "EqQBCgIYAh");
        assert_eq!(
            body["messages"][1]["content"][2]["input"],
            json!({"path": "src/main.rs"})
        );
    }

    #[test]
    fn redacted_thinking_and_stop_reasons() {
        let events = decode(&[
            ("message_start", r#"{"type":"message_start","message":{"usage":{"input_tokens":5,"output_tokens":1}}}"#),
            ("content_block_start", r#"{"type":"content_block_start","index":0,"content_block":{"type":"redacted_thinking","data":"EmwKAhgB"}}"#),
            ("content_block_stop", r#"{"type":"content_block_stop","index":0}"#),
            ("message_delta", r#"{"type":"message_delta","delta":{"stop_reason":"max_tokens"},"usage":{"output_tokens":7}}"#),
            ("message_stop", r#"{"type":"message_stop"}"#),
        ])
        .unwrap();
        assert_eq!(
            events[0],
            StreamEvent::ReasoningDone(Reasoning {
                text: String::new(),
                replay: Some(ReasoningReplay::AnthropicRedacted {
                    data: "EmwKAhgB".into()
                }),
            })
        );
        assert_eq!(
            events.last(),
            Some(&StreamEvent::Stop(StopReason::MaxTokens))
        );
        for (wire, neutral) in [
            ("end_turn", StopReason::EndTurn),
            ("stop_sequence", StopReason::EndTurn),
            ("refusal", StopReason::Refusal),
            ("pause_turn", StopReason::Other("pause_turn".into())),
        ] {
            assert_eq!(stop_reason(wire), neutral);
        }
    }

    #[test]
    fn usage_only_in_message_delta_is_kept() {
        // Some relays send zeros at message_start and the real numbers at
        // the end.
        let events = decode(&[
            ("message_start", r#"{"type":"message_start","message":{"usage":{"input_tokens":0,"output_tokens":0}}}"#),
            ("content_block_start", r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":"Hi"}}"#),
            ("content_block_stop", r#"{"type":"content_block_stop","index":0}"#),
            ("message_delta", r#"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"input_tokens":40,"cache_read_input_tokens":10,"cache_creation_input_tokens":0,"output_tokens":3}}"#),
            ("message_stop", r#"{"type":"message_stop"}"#),
        ])
        .unwrap();
        assert_eq!(
            events,
            vec![
                StreamEvent::TextDelta("Hi".into()),
                StreamEvent::Usage(Usage {
                    input_tokens: 40,
                    output_tokens: 3,
                    cache_read_tokens: 10,
                    cache_write_tokens: 0,
                    reasoning_tokens: 0
                }),
                StreamEvent::Stop(StopReason::EndTurn),
            ]
        );
    }

    #[test]
    fn tool_input_in_block_start_and_unclosed_blocks() {
        // A relay that sends the whole input up front and never closes the
        // block before message_stop.
        let events = decode(&[
            ("content_block_start", r#"{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_9","name":"shell","input":{"cmd":"ls"}}}"#),
            ("message_stop", r#"{"type":"message_stop"}"#),
        ])
        .unwrap();
        assert_eq!(
            events[1],
            StreamEvent::ToolCallDone {
                index: 0,
                call: ToolCall {
                    id: "toolu_9".into(),
                    name: "shell".into(),
                    arguments: "{\"cmd\":\"ls\"}".into()
                }
            }
        );
        assert_eq!(events.last(), Some(&StreamEvent::Stop(StopReason::ToolUse)));
    }

    #[test]
    fn unknown_events_and_deltas_are_ignored() {
        let events = decode(&[
            ("message_start", r#"{"type":"message_start","message":{"usage":{"input_tokens":1,"output_tokens":1}}}"#),
            ("content_block_start", r#"{"type":"content_block_start","index":0,"content_block":{"type":"server_tool_use","id":"srv","name":"web_search","input":{}}}"#),
            ("content_block_delta", r#"{"type":"content_block_delta","index":0,"delta":{"type":"citations_delta","citation":{}}}"#),
            ("content_block_stop", r#"{"type":"content_block_stop","index":0}"#),
            ("message_annotation", r#"{"type":"message_annotation","x":1}"#),
            ("", ""),
            ("message_delta", r#"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":2}}"#),
            ("message_stop", r#"{"type":"message_stop"}"#),
            ("", "[DONE]"),
        ])
        .unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!(events[1], StreamEvent::Stop(StopReason::EndTurn));
    }

    #[test]
    fn error_events_carry_kind_and_retryability() {
        let overloaded = decode(&[
            (
                "message_start",
                r#"{"type":"message_start","message":{"usage":{}}}"#,
            ),
            (
                "error",
                r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
            ),
        ]);
        assert_eq!(
            overloaded,
            Err(WireError::Api {
                kind: "overloaded_error".into(),
                message: "Overloaded".into(),
                retryable: true
            })
        );
        let invalid = decode(&[(
            "error",
            r#"{"type":"error","error":{"type":"invalid_request_error","message":"bad"}}"#,
        )]);
        assert!(matches!(
            invalid,
            Err(WireError::Api {
                retryable: false,
                ..
            })
        ));
    }

    #[test]
    fn bare_error_payload_from_a_relay() {
        let bare = decode(&[("", r#"{"error":{"type":"api_error","message":"upstream"}}"#)]);
        assert!(matches!(
            bare,
            Err(WireError::Api {
                retryable: true,
                ..
            })
        ));
    }

    #[test]
    fn malformed_and_truncated_streams_fail() {
        let bad = decode(&[("content_block_delta", "{\"type\":\"content_block_delta\",")]);
        let Err(WireError::Malformed(msg)) = bad else {
            panic!("expected malformed, got {bad:?}")
        };
        assert!(msg.contains("content_block_delta"), "{msg}");
        let orphan = decode(&[(
            "content_block_delta",
            r#"{"type":"content_block_delta","index":4,"delta":{"type":"input_json_delta","partial_json":"{"}}"#,
        )]);
        assert!(matches!(orphan, Err(WireError::Malformed(_))));
        // Everything but message_stop.
        let cut = decode(&TOOL_STREAM[..TOOL_STREAM.len() - 1]);
        assert_eq!(cut, Err(WireError::Truncated));
    }
}
