//! Which wire protocol a request speaks, and the per-protocol pieces the
//! server needs: the turn's events, fault events, error bodies and request
//! checks.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;

use super::frames::{CallOut, Frame, Turn, UsageOut};
use super::script::{Reply, Script, Stop};
use super::{openai_errors, render_anthropic, render_chat, render_responses};

/// The protocol chosen by request path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Protocol {
    /// `POST /v1/messages`
    Anthropic,
    /// `POST /v1/responses`
    OpenAiResponses,
    /// `POST /v1/chat/completions`
    OpenAiChat,
}

impl Protocol {
    /// The protocol served at `path`, if any.
    pub fn from_path(path: &str) -> Option<Protocol> {
        match path {
            "/v1/messages" => Some(Protocol::Anthropic),
            "/v1/responses" => Some(Protocol::OpenAiResponses),
            "/v1/chat/completions" => Some(Protocol::OpenAiChat),
            _ => None,
        }
    }

    /// Every event of a complete turn.
    pub fn render(self, turn: &Turn) -> Vec<Frame> {
        match self {
            Protocol::Anthropic => render_anthropic::render(turn),
            Protocol::OpenAiResponses => render_responses::render(turn),
            Protocol::OpenAiChat => render_chat::render(turn),
        }
    }

    /// The protocol's mid-stream error, sent after `after` events.
    pub fn error_event(self, turn: &Turn, after: usize, reply: &Reply) -> Frame {
        let kind = reply.error_kind.as_deref();
        let message = reply.error_message.as_deref();
        match self {
            Protocol::Anthropic => render_anthropic::error_event(kind, message),
            Protocol::OpenAiResponses => render_responses::error_event(turn, after, kind, message),
            Protocol::OpenAiChat => render_chat::error_event(kind, message),
        }
    }

    /// An event whose JSON is invalid.
    pub fn malformed(self) -> Frame {
        match self {
            Protocol::Anthropic => render_anthropic::malformed(),
            Protocol::OpenAiResponses => render_responses::malformed(),
            Protocol::OpenAiChat => render_chat::malformed(),
        }
    }

    /// The protocol's keep-alive event, if it has one.
    pub fn ping(self) -> Option<Frame> {
        matches!(self, Protocol::Anthropic).then(render_anthropic::ping)
    }

    /// The header carrying the request id.
    pub fn request_id_header(self) -> &'static str {
        match self {
            Protocol::Anthropic => "request-id",
            Protocol::OpenAiResponses | Protocol::OpenAiChat => "x-request-id",
        }
    }

    /// The error body for an HTTP status, in the provider's real shape;
    /// `kind` and `message` override the realistic defaults.
    pub fn error_body(self, status: u16, kind: Option<&str>, message: Option<&str>) -> Value {
        match self {
            Protocol::Anthropic => {
                let (k, m) = render_anthropic::status_error(status);
                render_anthropic::error_json(kind.unwrap_or(k), message.unwrap_or(m))
            }
            Protocol::OpenAiResponses | Protocol::OpenAiChat => {
                let (k, code, m) = openai_errors::status_error(status);
                let code = if kind.is_some() { kind } else { code };
                openai_errors::error_json(kind.unwrap_or(k), message.unwrap_or(m), code)
            }
        }
    }

    /// Checks a request like the real server; `Err` is a 400 body.
    pub fn validate(self, has_anthropic_version: bool, body: &Value) -> Result<(), Value> {
        if body.get("stream") != Some(&Value::Bool(true)) {
            let message = "the mock server only streams: set \"stream\": true";
            return Err(self.error_body(400, Some("invalid_request_error"), Some(message)));
        }
        match self {
            Protocol::Anthropic => render_anthropic::validate(has_anthropic_version, body)
                .map_err(|m| render_anthropic::error_json("invalid_request_error", &m)),
            Protocol::OpenAiResponses | Protocol::OpenAiChat => {
                let field = if self == Protocol::OpenAiResponses {
                    "input"
                } else {
                    "messages"
                };
                openai_errors::validate(body, field).map_err(|missing| {
                    let mut v = openai_errors::error_json(
                        "invalid_request_error",
                        &format!("Missing required parameter: '{missing}'."),
                        Some("missing_required_parameter"),
                    );
                    v["error"]["param"] = Value::String(missing);
                    v
                })
            }
        }
    }

    /// The settled turn for reply `index` of `script`, answering `body`.
    pub fn turn(self, script: &Script, index: usize, body: &Value, body_len: usize) -> Turn {
        let reply = &script.replies[index];
        let first = script.first_tool_ordinal(index);
        let prefix = match self {
            Protocol::Anthropic => "toolu_mock",
            Protocol::OpenAiResponses | Protocol::OpenAiChat => "call_mock",
        };
        let calls: Vec<CallOut> = reply
            .tool_calls
            .iter()
            .enumerate()
            .map(|(i, c)| CallOut {
                id: c
                    .id
                    .clone()
                    .unwrap_or_else(|| format!("{prefix}_{}", first + i)),
                name: c.name.clone(),
                arguments: c.input.to_string(),
            })
            .collect();
        let text = reply.answer_text();
        let reasoning = reply.reasoning.clone();
        let reasoning_chars = reasoning.as_deref().map_or(0, |r| r.chars().count()) as u64;
        let streamed_chars = reasoning_chars
            + text.chars().count() as u64
            + calls.iter().map(|c| c.arguments.len() as u64).sum::<u64>();
        let spec = reply.usage.unwrap_or_default();
        let usage = UsageOut {
            input: spec.input.unwrap_or((body_len as u64 / 4).max(1)),
            output: spec.output.unwrap_or(streamed_chars.div_ceil(4).max(1)),
            cache_read: spec.cache_read.unwrap_or(0),
            cache_write: spec.cache_write.unwrap_or(0),
            reasoning: spec.reasoning.unwrap_or(reasoning_chars.div_ceil(4)),
        };
        let stop = reply.stop.unwrap_or(if calls.is_empty() {
            Stop::EndTurn
        } else {
            Stop::ToolUse
        });
        let include_usage = body
            .pointer("/stream_options/include_usage")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let encrypted_reasoning = body
            .get("include")
            .and_then(Value::as_array)
            .is_some_and(|a| a.iter().any(|v| v == "reasoning.encrypted_content"));
        Turn {
            n: index + 1,
            model: body
                .get("model")
                .and_then(Value::as_str)
                .unwrap_or("mock-model")
                .to_string(),
            reasoning,
            text,
            calls,
            usage,
            chunk: reply.chunk,
            stop,
            include_usage,
            encrypted_reasoning,
            created: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_secs(),
        }
    }
}
