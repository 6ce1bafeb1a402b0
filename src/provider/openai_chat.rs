//! OpenAI-compatible Chat Completions (`POST /v1/chat/completions`,
//! streamed): the lowest common denominator that Ollama, llama.cpp, vLLM,
//! LiteLLM and most relays speak.
//!
//! Requests use `max_tokens` rather than `max_completion_tokens`: every
//! compatible server knows the former, several older ones reject or ignore
//! the latter, and OpenAI's own reasoning models (which insist on the new
//! name) are better served by the Responses wire. Usage is asked for with
//! `stream_options.include_usage`.
//!
//! The stream is a sequence of `chat.completion.chunk` objects ended by
//! `data: [DONE]`. Servers differ a lot in how they fragment tool calls, so
//! the decoder matches fragments by `index`, then by `id`, and tolerates
//! missing indexes and ids, repeated ids, whole calls in one fragment and
//! arguments sent as a JSON object. A server that closes the body after a
//! `finish_reason` without `[DONE]` still ends the response normally.

use serde_json::{Value, json};

use super::sse::SseEvent;
use super::wire::{WireDecoder, WireError, WireProtocol};
use super::wire_util::{
    as_text, bearer_headers, excerpt, is_blank_or_done, parse_json, str_at, u64_at,
};
use super::{
    AssistantPart, Message, ModelRequest, Reasoning, StopReason, StreamEvent, ToolCall, Usage,
};

/// The OpenAI-compatible Chat Completions wire protocol.
///
/// A unit struct: the protocol has no configuration of its own (the base URL
/// and key live with the HTTP driver).
pub struct OpenAiChat;

impl WireProtocol for OpenAiChat {
    fn path(&self) -> &'static str {
        "chat/completions"
    }

    fn headers(&self, api_key: Option<&str>) -> Vec<(&'static str, String)> {
        bearer_headers(api_key)
    }

    fn body(&self, request: &ModelRequest) -> Value {
        let mut messages = Vec::new();
        if !request.system.is_empty() {
            messages.push(json!({ "role": "system", "content": request.system }));
        }
        messages.extend(request.messages.iter().filter_map(encode_message));
        let mut body = json!({
            "model": request.model,
            "messages": messages,
            "stream": true,
            "stream_options": { "include_usage": true },
            "max_tokens": request.max_output_tokens,
        });
        if !request.tools.is_empty() {
            body["tools"] = request
                .tools
                .iter()
                .map(|tool| {
                    json!({
                        "type": "function",
                        "function": {
                            "name": tool.name,
                            "description": tool.description,
                            "parameters": tool.parameters,
                        },
                    })
                })
                .collect();
        }
        // Only when asked for: `reasoning_effort` is the Chat Completions
        // name (OpenAI, vLLM, LiteLLM, OpenRouter); a server that does not
        // know it is not sent a field it may reject.
        if let Some(effort) = request.reasoning {
            body["reasoning_effort"] = json!(effort);
        }
        body
    }

    fn decoder(&self) -> Box<dyn WireDecoder> {
        Box::<Decoder>::default()
    }
}

/// One history entry as a chat message; `None` for an assistant message
/// with nothing this protocol can carry (reasoning is never sent back).
fn encode_message(message: &Message) -> Option<Value> {
    match message {
        Message::User { text } => Some(json!({ "role": "user", "content": text })),
        Message::ToolResult {
            call_id, output, ..
        } => Some(json!({ "role": "tool", "tool_call_id": call_id, "content": output })),
        Message::Assistant { parts } => {
            let texts: Vec<&str> = parts
                .iter()
                .filter_map(|p| match p {
                    AssistantPart::Text { text } if !text.is_empty() => Some(text.as_str()),
                    _ => None,
                })
                .collect();
            let calls: Vec<Value> = parts
                .iter()
                .filter_map(|p| match p {
                    AssistantPart::ToolCall(call) => Some(json!({
                        "id": call.id,
                        "type": "function",
                        "function": { "name": call.name, "arguments": call.arguments },
                    })),
                    _ => None,
                })
                .collect();
            if texts.is_empty() && calls.is_empty() {
                return None;
            }
            let content = if texts.is_empty() {
                Value::Null
            } else {
                json!(texts.join("\n\n"))
            };
            let mut message = json!({ "role": "assistant", "content": content });
            if !calls.is_empty() {
                message["tool_calls"] = json!(calls);
            }
            Some(message)
        }
    }
}

/// A tool call assembled from fragments.
struct Call {
    /// The `index` the server gave the call, if any.
    wire_index: Option<u64>,
    /// The server's id, once a fragment carried one.
    id: Option<String>,
    name: String,
    arguments: String,
    started: bool,
    done: bool,
}

/// Decoder state for one chat completion stream.
#[derive(Default)]
struct Decoder {
    /// Calls in order of appearance; the position is the stream index.
    calls: Vec<Call>,
    /// Reasoning text of the block still streaming.
    reasoning: Option<String>,
    finish: Option<StopReason>,
    usage: Option<Usage>,
    finished: bool,
}

/// Maps `finish_reason`; `stop` with tool calls counts as tool use (some
/// servers, Ollama among them, report `stop` after calling tools).
fn finish_reason(reason: &str, has_calls: bool) -> StopReason {
    match reason {
        "tool_calls" | "function_call" => StopReason::ToolUse,
        "stop" | "eos" | "end_turn" if has_calls => StopReason::ToolUse,
        "stop" | "eos" | "end_turn" => StopReason::EndTurn,
        "length" => StopReason::MaxTokens,
        "content_filter" => StopReason::Refusal,
        other => StopReason::Other(other.to_string()),
    }
}

/// The neutral usage of a chat `usage` object. Cached prompt tokens are
/// split out of `prompt_tokens` (OpenAI's `prompt_tokens_details`, or
/// DeepSeek's `prompt_cache_hit_tokens`).
pub(crate) fn usage(usage: &Value) -> Usage {
    let prompt = u64_at(usage, "/prompt_tokens").unwrap_or(0);
    let cached = u64_at(usage, "/prompt_tokens_details/cached_tokens")
        .or_else(|| u64_at(usage, "/prompt_cache_hit_tokens"))
        .unwrap_or(0);
    Usage {
        input_tokens: prompt.saturating_sub(cached),
        output_tokens: u64_at(usage, "/completion_tokens").unwrap_or(0),
        cache_read_tokens: cached,
        cache_write_tokens: 0,
        reasoning_tokens: u64_at(usage, "/completion_tokens_details/reasoning_tokens").unwrap_or(0),
    }
}

/// An API error from an `error` value: an OpenAI-style object, or the bare
/// string some servers (Ollama) send.
fn api_error(error: &Value) -> WireError {
    if let Some(message) = error.as_str() {
        return WireError::Api {
            kind: "error".to_string(),
            message: message.to_string(),
            retryable: false,
        };
    }
    let code = error.get("code").and_then(as_text);
    let kind = error
        .get("type")
        .and_then(as_text)
        .or_else(|| code.clone())
        .unwrap_or_else(|| "error".to_string());
    let message = str_at(error, "/message")
        .unwrap_or("no message")
        .to_string();
    let status = error.get("code").and_then(Value::as_u64);
    let retryable = super::retry::is_retryable_error_kind(&kind)
        || code
            .as_deref()
            .is_some_and(super::retry::is_retryable_error_kind)
        || status.is_some_and(|s| s == 429 || s >= 500);
    WireError::Api {
        kind,
        message,
        retryable,
    }
}

impl Decoder {
    /// Emits `ReasoningDone` for a reasoning block that has ended.
    fn close_reasoning(&mut self, out: &mut Vec<StreamEvent>) {
        if let Some(text) = self.reasoning.take() {
            out.push(StreamEvent::ReasoningDone(Reasoning { text, replay: None }));
        }
    }

    /// The call a fragment belongs to, creating it when the fragment starts
    /// a new one.
    fn call_for(&mut self, index: Option<u64>, id: Option<&str>) -> usize {
        if let Some(id) = id
            && let Some(position) = self.calls.iter().position(|c| c.id.as_deref() == Some(id))
        {
            return position;
        }
        let existing = match index {
            // Same index but a different id: servers that put every call at
            // index 0.
            Some(index) => self
                .calls
                .iter()
                .rposition(|c| c.wire_index == Some(index))
                .filter(|&p| id.is_none() || self.calls[p].id.is_none()),
            // No index: an unseen id starts a call, else continue the last.
            None if id.is_some() => None,
            None => self.calls.len().checked_sub(1),
        };
        existing.unwrap_or_else(|| {
            self.calls.push(Call {
                wire_index: index,
                id: None,
                name: String::new(),
                arguments: String::new(),
                started: false,
                done: false,
            });
            self.calls.len() - 1
        })
    }

    fn tool_fragment(&mut self, fragment: &Value, out: &mut Vec<StreamEvent>) {
        let id = str_at(fragment, "/id").filter(|id| !id.is_empty());
        let position = self.call_for(u64_at(fragment, "/index"), id);
        let call = &mut self.calls[position];
        if call.id.is_none() {
            call.id = id.map(str::to_string);
        }
        if let Some(name) = str_at(fragment, "/function/name").filter(|n| !n.is_empty())
            && call.name.is_empty()
        {
            call.name = name.to_string();
        }
        let piece = match fragment.pointer("/function/arguments") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => String::new(),
            // Ollama sends the arguments as a JSON object.
            Some(object) => object.to_string(),
        };
        call.arguments.push_str(&piece);
        if !call.started && !call.name.is_empty() {
            call.started = true;
            let id = call
                .id
                .clone()
                .unwrap_or_else(|| format!("call_{}", call.wire_index.unwrap_or(position as u64)));
            call.id = Some(id.clone());
            out.push(StreamEvent::ToolCallStart {
                index: position,
                id,
                name: call.name.clone(),
            });
            // Arguments that arrived before the name.
            if !call.arguments.is_empty() {
                out.push(StreamEvent::ToolCallDelta {
                    index: position,
                    delta: call.arguments.clone(),
                });
            }
        } else if call.started && !piece.is_empty() {
            out.push(StreamEvent::ToolCallDelta {
                index: position,
                delta: piece,
            });
        }
    }

    /// Completes every open tool call.
    fn close_calls(&mut self, out: &mut Vec<StreamEvent>) -> Result<(), WireError> {
        for (index, call) in self.calls.iter_mut().enumerate() {
            if call.done {
                continue;
            }
            if !call.started {
                return Err(WireError::Malformed(format!(
                    "tool call {index} ended without a function name"
                )));
            }
            call.done = true;
            let arguments = if call.arguments.is_empty() {
                "{}".to_string()
            } else {
                call.arguments.clone()
            };
            out.push(StreamEvent::ToolCallDone {
                index,
                call: ToolCall {
                    id: call.id.clone().unwrap_or_default(),
                    name: call.name.clone(),
                    arguments,
                },
            });
        }
        Ok(())
    }

    /// Ends the response: open blocks closed, usage, stop.
    fn complete(&mut self, out: &mut Vec<StreamEvent>) -> Result<(), WireError> {
        self.close_reasoning(out);
        self.close_calls(out)?;
        if let Some(usage) = self.usage {
            out.push(StreamEvent::Usage(usage));
        }
        let has_calls = !self.calls.is_empty();
        let reason = self.finish.take().unwrap_or(if has_calls {
            StopReason::ToolUse
        } else {
            StopReason::EndTurn
        });
        out.push(StreamEvent::Stop(reason));
        self.finished = true;
        Ok(())
    }

    fn chunk(&mut self, json: &Value, out: &mut Vec<StreamEvent>) -> Result<(), WireError> {
        if let Some(error) = json.get("error").filter(|e| !e.is_null()) {
            return Err(api_error(error));
        }
        // Groq reports usage under `x_groq`.
        if let Some(reported) = json
            .get("usage")
            .or_else(|| json.pointer("/x_groq/usage"))
            .filter(|u| u.is_object())
        {
            self.usage = Some(usage(reported));
        }
        let Some(choice) = json.pointer("/choices/0") else {
            return Ok(());
        };
        let delta = choice.get("delta").unwrap_or(&Value::Null);
        let reasoning = str_at(delta, "/reasoning_content")
            .or_else(|| str_at(delta, "/reasoning"))
            .unwrap_or("");
        if !reasoning.is_empty() {
            self.reasoning
                .get_or_insert_with(String::new)
                .push_str(reasoning);
            out.push(StreamEvent::ReasoningDelta(reasoning.to_string()));
        }
        let content = str_at(delta, "/content").unwrap_or("");
        if !content.is_empty() {
            self.close_reasoning(out);
            out.push(StreamEvent::TextDelta(content.to_string()));
        }
        if let Some(fragments) = delta.get("tool_calls").and_then(Value::as_array)
            && !fragments.is_empty()
        {
            self.close_reasoning(out);
            for fragment in fragments {
                self.tool_fragment(fragment, out);
            }
        }
        if let Some(reason) = str_at(choice, "/finish_reason").filter(|r| !r.is_empty()) {
            self.close_reasoning(out);
            self.close_calls(out)?;
            self.finish = Some(finish_reason(reason, !self.calls.is_empty()));
        }
        Ok(())
    }
}

impl WireDecoder for Decoder {
    fn on_event(&mut self, event: &SseEvent, out: &mut Vec<StreamEvent>) -> Result<(), WireError> {
        if self.finished {
            return Ok(());
        }
        let data = event.data.trim();
        if data == "[DONE]" {
            return self.complete(out);
        }
        if is_blank_or_done(data) {
            return Ok(());
        }
        match parse_json(data) {
            Ok(json) => self.chunk(&json, out),
            // An `event: error` whose data is plain text.
            Err(_) if event.event == "error" => Err(WireError::Api {
                kind: "error".to_string(),
                message: excerpt(data),
                retryable: false,
            }),
            Err(err) => Err(err),
        }
    }

    fn on_end(&mut self, out: &mut Vec<StreamEvent>) -> Result<(), WireError> {
        if self.finished {
            Ok(())
        } else if self.finish.is_some() {
            // Servers that never send `[DONE]` but did finish the choice.
            self.complete(out)
        } else {
            Err(WireError::Truncated)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::wire_util::testing::{accumulate, run, sse};
    use super::super::{ReasoningReplay, ToolSpec};
    use super::*;

    fn decode(lines: &[&str]) -> Result<Vec<StreamEvent>, WireError> {
        let events: Vec<SseEvent> = lines.iter().map(|d| sse("", d)).collect();
        run(OpenAiChat.decoder(), &events)
    }

    /// A chunk with one choice carrying `delta` and `finish_reason`.
    fn chunk(delta: Value, finish: Option<&str>) -> String {
        json!({
            "id": "chatcmpl-1",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "m",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        })
        .to_string()
    }

    fn done_call(index: usize, id: &str, name: &str, args: &str) -> StreamEvent {
        StreamEvent::ToolCallDone {
            index,
            call: ToolCall {
                id: id.into(),
                name: name.into(),
                arguments: args.into(),
            },
        }
    }

    fn calls_of(events: &[StreamEvent]) -> Vec<ToolCall> {
        accumulate(events).tool_calls()
    }

    #[test]
    fn path_headers_and_body() {
        assert_eq!(OpenAiChat.path(), "chat/completions");
        assert_eq!(
            OpenAiChat.headers(Some("k")),
            vec![("authorization", "Bearer k".to_string())]
        );
        let request = ModelRequest {
            model: "qwen3".into(),
            system: "Be brief.".into(),
            messages: vec![
                Message::User { text: "hi".into() },
                Message::Assistant {
                    parts: vec![
                        AssistantPart::Reasoning(Reasoning {
                            text: "hmm".into(),
                            replay: Some(ReasoningReplay::AnthropicThinking {
                                signature: "s".into(),
                            }),
                        }),
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
                    is_error: true,
                },
                Message::Assistant {
                    parts: vec![AssistantPart::Text {
                        text: "It says A.".into(),
                    }],
                },
                // Only reasoning: nothing to send.
                Message::Assistant {
                    parts: vec![AssistantPart::Reasoning(Reasoning::default())],
                },
            ],
            tools: vec![ToolSpec {
                name: "read_file".into(),
                description: "Read".into(),
                parameters: json!({"type": "object"}),
            }],
            max_output_tokens: 1000,
            reasoning: None,
        };
        let body = OpenAiChat.body(&request);
        assert_eq!(body["stream"], true);
        assert_eq!(body["stream_options"], json!({"include_usage": true}));
        assert_eq!(body["max_tokens"], 1000);
        assert_eq!(
            body["tools"],
            json!([{"type": "function", "function": {"name": "read_file", "description": "Read", "parameters": {"type": "object"}}}])
        );
        assert_eq!(
            body["messages"],
            json!([
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "hi"},
                {"role": "assistant", "content": null, "tool_calls": [
                    {"id": "call_1", "type": "function",
                     "function": {"name": "read_file", "arguments": "{\"path\":\"a\"}"}}]},
                {"role": "tool", "tool_call_id": "call_1", "content": "A"},
                {"role": "assistant", "content": "It says A."},
            ])
        );
        let mut no_tools = request.clone();
        no_tools.tools.clear();
        no_tools.system.clear();
        let body = OpenAiChat.body(&no_tools);
        assert!(body.get("tools").is_none());
        assert_eq!(body["messages"][0]["role"], "user");
        assert!(
            body.get("reasoning_effort").is_none(),
            "only when asked for"
        );
        no_tools.reasoning = Some(crate::provider::ReasoningEffort::High);
        assert_eq!(OpenAiChat.body(&no_tools)["reasoning_effort"], "high");
    }

    #[test]
    fn decodes_reasoning_text_tool_calls_and_usage() {
        let events = decode(&[
            &chunk(json!({"role": "assistant", "content": ""}), None),
            &chunk(json!({"reasoning_content": "Let me "}), None),
            &chunk(json!({"reasoning_content": "check."}), None),
            &chunk(json!({"content": "Looking"}), None),
            &chunk(json!({"content": " now."}), None),
            &chunk(
                json!({"tool_calls": [{"index": 0, "id": "call_a", "type": "function",
                                       "function": {"name": "read_file", "arguments": ""}}]}),
                None,
            ),
            &chunk(
                json!({"tool_calls": [{"index": 0, "function": {"arguments": "{\"path\":"}}]}),
                None,
            ),
            &chunk(
                json!({"tool_calls": [{"index": 0, "function": {"arguments": "\"a\"}"}}]}),
                None,
            ),
            &chunk(
                json!({"tool_calls": [{"index": 1, "id": "call_b", "type": "function",
                                       "function": {"name": "list_dir", "arguments": "{}"}}]}),
                None,
            ),
            &chunk(json!({}), Some("tool_calls")),
            r#"{"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":900,"completion_tokens":50,"total_tokens":950,"prompt_tokens_details":{"cached_tokens":800},"completion_tokens_details":{"reasoning_tokens":20}}}"#,
            "[DONE]",
        ])
        .unwrap();
        assert_eq!(
            events,
            vec![
                StreamEvent::ReasoningDelta("Let me ".into()),
                StreamEvent::ReasoningDelta("check.".into()),
                StreamEvent::ReasoningDone(Reasoning {
                    text: "Let me check.".into(),
                    replay: None
                }),
                StreamEvent::TextDelta("Looking".into()),
                StreamEvent::TextDelta(" now.".into()),
                StreamEvent::ToolCallStart {
                    index: 0,
                    id: "call_a".into(),
                    name: "read_file".into()
                },
                StreamEvent::ToolCallDelta {
                    index: 0,
                    delta: "{\"path\":".into()
                },
                StreamEvent::ToolCallDelta {
                    index: 0,
                    delta: "\"a\"}".into()
                },
                StreamEvent::ToolCallStart {
                    index: 1,
                    id: "call_b".into(),
                    name: "list_dir".into()
                },
                StreamEvent::ToolCallDelta {
                    index: 1,
                    delta: "{}".into()
                },
                done_call(0, "call_a", "read_file", "{\"path\":\"a\"}"),
                done_call(1, "call_b", "list_dir", "{}"),
                StreamEvent::Usage(Usage {
                    input_tokens: 100,
                    output_tokens: 50,
                    cache_read_tokens: 800,
                    cache_write_tokens: 0,
                    reasoning_tokens: 20
                }),
                StreamEvent::Stop(StopReason::ToolUse),
            ]
        );
        let acc = accumulate(&events);
        assert_eq!(acc.text(), "Looking now.");
        assert_eq!(acc.tool_calls().len(), 2);
        let Message::Assistant { parts } = acc.into_message() else {
            panic!("not an assistant message")
        };
        assert!(matches!(&parts[0], AssistantPart::Reasoning(r) if r.text == "Let me check."));
    }

    #[test]
    fn quirk_whole_call_in_one_fragment_with_object_arguments() {
        // Ollama: the whole call at once, arguments as an object, `stop`
        // as the finish reason, and `reasoning` for thinking text.
        let events = decode(&[
            &chunk(json!({"role": "assistant", "reasoning": "think"}), None),
            &chunk(
                json!({"role": "assistant", "content": "", "tool_calls": [
                    {"id": "call_x1", "index": 0, "type": "function",
                     "function": {"name": "shell", "arguments": {"cmd": "ls"}}}]}),
                None,
            ),
            &chunk(json!({"role": "assistant", "content": ""}), Some("stop")),
            "[DONE]",
        ])
        .unwrap();
        assert_eq!(
            calls_of(&events),
            vec![ToolCall {
                id: "call_x1".into(),
                name: "shell".into(),
                arguments: "{\"cmd\":\"ls\"}".into()
            }]
        );
        assert_eq!(events.last(), Some(&StreamEvent::Stop(StopReason::ToolUse)));
        assert!(matches!(&events[1], StreamEvent::ReasoningDone(r) if r.text == "think"));
    }

    #[test]
    fn quirk_repeated_ids_missing_indexes_and_shared_index() {
        // The id repeated on every fragment, no `index` at all.
        let repeated = decode(&[
            &chunk(
                json!({"tool_calls": [{"id": "c1", "function": {"name": "shell", "arguments": "{\"cmd\""}}]}),
                None,
            ),
            &chunk(
                json!({"tool_calls": [{"id": "c1", "function": {"arguments": ":\"ls\"}"}}]}),
                None,
            ),
            &chunk(
                json!({"tool_calls": [{"function": {"arguments": ""}}]}),
                None,
            ),
            &chunk(
                json!({"tool_calls": [{"id": "c2", "function": {"name": "shell", "arguments": "{}"}}]}),
                Some("tool_calls"),
            ),
            "[DONE]",
        ])
        .unwrap();
        let calls = calls_of(&repeated);
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[0].arguments, "{\"cmd\":\"ls\"}");
        assert_eq!(calls[1].id, "c2");
        // Parallel calls that all claim index 0 but carry distinct ids.
        let shared = decode(&[
            &chunk(
                json!({"tool_calls": [{"index": 0, "id": "a", "function": {"name": "f", "arguments": "{\"n\":1}"}}]}),
                None,
            ),
            &chunk(
                json!({"tool_calls": [{"index": 0, "id": "b", "function": {"name": "g", "arguments": "{\"n\":2}"}}]}),
                None,
            ),
            &chunk(json!({}), Some("tool_calls")),
            "[DONE]",
        ])
        .unwrap();
        let calls = calls_of(&shared);
        assert_eq!(
            calls
                .iter()
                .map(|c| (c.id.as_str(), c.name.as_str(), c.arguments.as_str()))
                .collect::<Vec<_>>(),
            [("a", "f", "{\"n\":1}"), ("b", "g", "{\"n\":2}")]
        );
    }

    #[test]
    fn quirk_missing_ids_are_synthesized() {
        let events = decode(&[
            &chunk(
                json!({"tool_calls": [{"index": 0, "function": {"name": "f", "arguments": ""}},
                                      {"index": 1, "function": {"name": "g"}}]}),
                None,
            ),
            &chunk(json!({}), Some("tool_calls")),
            "[DONE]",
        ])
        .unwrap();
        assert_eq!(
            events[..4],
            [
                StreamEvent::ToolCallStart {
                    index: 0,
                    id: "call_0".into(),
                    name: "f".into()
                },
                StreamEvent::ToolCallStart {
                    index: 1,
                    id: "call_1".into(),
                    name: "g".into()
                },
                done_call(0, "call_0", "f", "{}"),
                done_call(1, "call_1", "g", "{}"),
            ]
        );
    }

    #[test]
    fn finish_without_done_ends_normally_and_without_finish_is_truncated() {
        let finished = decode(&[
            &chunk(json!({"content": "Hi"}), None),
            &chunk(json!({}), Some("length")),
        ])
        .unwrap();
        assert_eq!(
            finished,
            vec![
                StreamEvent::TextDelta("Hi".into()),
                StreamEvent::Stop(StopReason::MaxTokens)
            ]
        );
        assert_eq!(
            decode(&[&chunk(json!({"content": "Hi"}), None)]),
            Err(WireError::Truncated)
        );
        // A cut tool call is never completed.
        assert_eq!(
            decode(&[&chunk(
                json!({"tool_calls": [{"index": 0, "id": "c", "function": {"name": "f", "arguments": "{\"a"}}]}),
                None
            )]),
            Err(WireError::Truncated)
        );
    }

    #[test]
    fn finish_reasons_and_usage_variants() {
        assert_eq!(finish_reason("stop", false), StopReason::EndTurn);
        assert_eq!(finish_reason("stop", true), StopReason::ToolUse);
        assert_eq!(finish_reason("function_call", false), StopReason::ToolUse);
        assert_eq!(finish_reason("content_filter", false), StopReason::Refusal);
        assert_eq!(
            finish_reason("abort", false),
            StopReason::Other("abort".into())
        );
        // Usage in the finishing chunk (llama.cpp) and DeepSeek's cache fields.
        let events = decode(&[
            r#"{"choices":[{"index":0,"delta":{"content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":30,"completion_tokens":2,"prompt_cache_hit_tokens":10,"prompt_cache_miss_tokens":20}}"#,
            "[DONE]",
        ])
        .unwrap();
        assert_eq!(
            events[1],
            StreamEvent::Usage(Usage {
                input_tokens: 20,
                output_tokens: 2,
                cache_read_tokens: 10,
                ..Usage::default()
            })
        );
        assert_eq!(events[2], StreamEvent::Stop(StopReason::EndTurn));
    }

    #[test]
    fn error_chunks() {
        assert_eq!(
            decode(&[
                r#"{"error":{"message":"Rate limit reached","type":"rate_limit_exceeded","code":"rate_limit_exceeded"}}"#
            ]),
            Err(WireError::Api {
                kind: "rate_limit_exceeded".into(),
                message: "Rate limit reached".into(),
                retryable: true
            })
        );
        assert!(matches!(
            decode(&[
                r#"{"error":{"message":"bad model","type":"invalid_request_error","code":null}}"#
            ]),
            Err(WireError::Api {
                retryable: false,
                ..
            })
        ));
        assert!(matches!(
            decode(&[r#"{"error":{"message":"upstream","code":502}}"#]),
            Err(WireError::Api {
                retryable: true,
                ..
            })
        ));
        assert_eq!(
            decode(&[r#"{"error":"model 'x' not found"}"#]),
            Err(WireError::Api {
                kind: "error".into(),
                message: "model 'x' not found".into(),
                retryable: false
            })
        );
        let plain = run(OpenAiChat.decoder(), &[sse("error", "upstream timed out")]);
        assert!(
            matches!(plain, Err(WireError::Api { message, .. }) if message == "upstream timed out")
        );
    }

    #[test]
    fn malformed_json_and_nameless_calls() {
        let Err(WireError::Malformed(msg)) = decode(&["{\"choices\":[{\"delta\":"]) else {
            panic!("expected malformed")
        };
        assert!(msg.contains("choices"), "{msg}");
        assert!(matches!(
            decode(&[
                &chunk(
                    json!({"tool_calls": [{"index": 0, "function": {"arguments": "{}"}}]}),
                    None
                ),
                "[DONE]"
            ]),
            Err(WireError::Malformed(_))
        ));
    }

    #[test]
    fn done_without_finish_reason_still_stops() {
        let events = decode(&[&chunk(json!({"content": "x"}), None), "", "[DONE]"]).unwrap();
        assert_eq!(events.last(), Some(&StreamEvent::Stop(StopReason::EndTurn)));
        // Nothing after [DONE] matters.
        let mut decoder = OpenAiChat.decoder();
        let mut out = Vec::new();
        decoder.on_event(&sse("", "[DONE]"), &mut out).unwrap();
        decoder.on_event(&sse("", "garbage"), &mut out).unwrap();
        decoder.on_end(&mut out).unwrap();
        assert_eq!(out, vec![StreamEvent::Stop(StopReason::EndTurn)]);
    }
}
