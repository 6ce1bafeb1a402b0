//! Reading a call's usage and model out of the response bytes the proxy
//! passes through, per wire family: an SSE stream or a plain JSON body.
//!
//! The [`Tap`] only ever sees copies of the chunks (the forwarder hands
//! them over after passing them on), so whatever it does, the bytes the
//! client gets are untouched. Only the few events that carry usage are
//! parsed as JSON; everything else is skipped by its event name.

use serde_json::Value;

use crate::provider::sse::{SseDecoder, SseEvent};
use crate::provider::{Usage, openai_chat, openai_responses};

/// A non-streamed body larger than this is not kept for metering (model
/// answers are far smaller; this only bounds memory).
const MAX_JSON_BODY: usize = 16 * 1024 * 1024;

/// Which model-call endpoint a request went to; other paths (`/v1/models`,
/// token counting) are forwarded without metering or budget checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CallKind {
    /// Anthropic `/v1/messages`.
    Messages,
    /// OpenAI `/v1/responses`.
    Responses,
    /// OpenAI-compatible `/v1/chat/completions`.
    Chat,
}

impl CallKind {
    /// The kind of a request to `api_path` (the path after `/v1`, without
    /// the query) of `family`.
    pub(super) fn of(family: super::Family, api_path: &str) -> Option<CallKind> {
        match (family, api_path.trim_end_matches('/')) {
            (super::Family::Anthropic, "/messages") => Some(CallKind::Messages),
            (super::Family::OpenAi, "/responses") => Some(CallKind::Responses),
            (super::Family::OpenAi, "/chat/completions") => Some(CallKind::Chat),
            _ => None,
        }
    }
}

/// What a finished call reported.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Reported {
    pub usage: Usage,
    /// The model the response named, if any.
    pub model: Option<String>,
}

/// An incremental reader of one response body.
pub(super) struct Tap {
    kind: CallKind,
    /// `Some` for an event stream, `None` for a JSON body.
    sse: Option<SseDecoder>,
    events: Vec<SseEvent>,
    json: Vec<u8>,
    json_too_big: bool,
    usage: Option<Usage>,
    model: Option<String>,
}

impl Tap {
    /// A tap for a `kind` response whose content type is `content_type`.
    pub(super) fn new(kind: CallKind, content_type: &str) -> Tap {
        let streaming = content_type
            .trim_start()
            .to_ascii_lowercase()
            .starts_with("text/event-stream");
        Tap {
            kind,
            sse: streaming.then(|| SseDecoder::new().lenient_eof(true)),
            events: Vec::new(),
            json: Vec::new(),
            json_too_big: false,
            usage: None,
            model: None,
        }
    }

    /// Reads one chunk, cut anywhere.
    pub(super) fn push(&mut self, chunk: &[u8]) {
        match &mut self.sse {
            Some(decoder) => {
                decoder.push(chunk, &mut self.events);
                self.drain_events();
            }
            None if self.json_too_big => {}
            None if self.json.len() + chunk.len() > MAX_JSON_BODY => {
                self.json_too_big = true;
                self.json = Vec::new();
            }
            None => self.json.extend_from_slice(chunk),
        }
    }

    /// Ends the body; the usage seen, if any. A stream cut short still
    /// reports what it carried (Anthropic bills the input at the start).
    pub(super) fn finish(mut self) -> Result<Reported, String> {
        match self.sse.take() {
            Some(mut decoder) => {
                decoder.finish(&mut self.events);
                self.drain_events();
            }
            None if self.json_too_big => {
                return Err(format!("the JSON body is over {MAX_JSON_BODY} bytes"));
            }
            None => {
                let body: Value = serde_json::from_slice(&self.json)
                    .map_err(|e| format!("the JSON body does not parse: {e}"))?;
                self.read_body(&body);
            }
        }
        match self.usage {
            Some(usage) => Ok(Reported {
                usage,
                model: self.model,
            }),
            None => Err("the response carried no usage".into()),
        }
    }

    fn drain_events(&mut self) {
        let events = std::mem::take(&mut self.events);
        for event in &events {
            if self.wants(event) {
                match serde_json::from_str::<Value>(&event.data) {
                    Ok(json) => self.read_event(&json),
                    Err(e) => tracing::debug!(error = %e, "metering proxy: an event did not parse"),
                }
            }
        }
        self.events = events;
        self.events.clear();
    }

    /// Whether `event` may carry usage, judged by its name (or, when a
    /// relay sends no names, by a cheap look at its data).
    fn wants(&self, event: &SseEvent) -> bool {
        let unnamed = event.event.is_empty() || event.event == "message";
        match self.kind {
            CallKind::Messages if unnamed => {
                event.data.contains("\"message_start\"") || event.data.contains("\"message_delta\"")
            }
            CallKind::Messages => matches!(event.event.as_str(), "message_start" | "message_delta"),
            CallKind::Responses if unnamed => {
                event.data.contains("\"response.completed\"")
                    || event.data.contains("\"response.incomplete\"")
                    || event.data.contains("\"response.failed\"")
            }
            CallKind::Responses => matches!(
                event.event.as_str(),
                "response.completed" | "response.incomplete" | "response.failed"
            ),
            CallKind::Chat => event.data.contains("\"usage\"") || self.model.is_none(),
        }
    }

    fn read_event(&mut self, json: &Value) {
        match self.kind {
            CallKind::Messages => match json.get("type").and_then(Value::as_str) {
                Some("message_start") => {
                    self.note_model(json.pointer("/message/model"));
                    if let Some(u) = json.pointer("/message/usage") {
                        self.fold_anthropic(u);
                    }
                }
                Some("message_delta") => {
                    if let Some(u) = json.get("usage") {
                        self.fold_anthropic(u);
                    }
                }
                _ => {}
            },
            CallKind::Responses => {
                self.note_model(json.pointer("/response/model"));
                if let Some(u) = json.pointer("/response/usage").filter(|u| u.is_object()) {
                    self.usage = Some(openai_responses::usage(u));
                }
            }
            CallKind::Chat => {
                self.note_model(json.get("model"));
                if let Some(u) = json.get("usage").filter(|u| u.is_object()) {
                    self.usage = Some(openai_chat::usage(u));
                }
            }
        }
    }

    /// A whole non-streamed answer.
    fn read_body(&mut self, body: &Value) {
        self.note_model(body.get("model"));
        let Some(u) = body.get("usage").filter(|u| u.is_object()) else {
            return;
        };
        match self.kind {
            CallKind::Messages => self.fold_anthropic(u),
            CallKind::Responses => self.usage = Some(openai_responses::usage(u)),
            CallKind::Chat => self.usage = Some(openai_chat::usage(u)),
        }
    }

    /// Folds an Anthropic `usage` object in. Its fields are cumulative, so
    /// the larger value wins (as in the session's own decoder): relays
    /// differ in which event carries the real numbers.
    fn fold_anthropic(&mut self, u: &Value) {
        let usage = self.usage.get_or_insert_with(Usage::default);
        let fields: [(&str, &mut u64); 4] = [
            ("input_tokens", &mut usage.input_tokens),
            ("output_tokens", &mut usage.output_tokens),
            ("cache_creation_input_tokens", &mut usage.cache_write_tokens),
            ("cache_read_input_tokens", &mut usage.cache_read_tokens),
        ];
        for (name, slot) in fields {
            if let Some(v) = u.get(name).and_then(Value::as_u64) {
                *slot = (*slot).max(v);
            }
        }
    }

    fn note_model(&mut self, model: Option<&Value>) {
        if self.model.is_none()
            && let Some(m) = model.and_then(Value::as_str).filter(|m| !m.is_empty())
        {
            self.model = Some(m.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(kind: CallKind, content_type: &str, body: &str, cut: usize) -> Result<Reported, String> {
        let mut tap = Tap::new(kind, content_type);
        for piece in body.as_bytes().chunks(cut) {
            tap.push(piece);
        }
        tap.finish()
    }

    const ANTHROPIC: &str = "event: message_start\r\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"claude-x\",\"usage\":{\"input_tokens\":12,\"cache_creation_input_tokens\":300,\"cache_read_input_tokens\":2000,\"output_tokens\":1}}}\r\n\r\nevent: content_block_delta\r\ndata: {\"type\":\"content_block_delta\",\"delta\":{\"text\":\"hi\"}}\r\n\r\nevent: message_delta\r\ndata: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":42}}\r\n\r\n";

    #[test]
    fn anthropic_stream_usage_however_cut() {
        for cut in [1, 7, 4096] {
            let r = run(CallKind::Messages, "text/event-stream", ANTHROPIC, cut).unwrap();
            assert_eq!(
                r.usage,
                Usage {
                    input_tokens: 12,
                    output_tokens: 42,
                    cache_read_tokens: 2000,
                    cache_write_tokens: 300,
                    reasoning_tokens: 0,
                }
            );
            assert_eq!(r.model.as_deref(), Some("claude-x"));
        }
    }

    #[test]
    fn responses_and_chat_streams_and_json_bodies() {
        let responses = "event: response.output_text.delta\ndata: {\"delta\":\"x\"}\n\nevent: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"model\":\"gpt-x\",\"usage\":{\"input_tokens\":1200,\"input_tokens_details\":{\"cached_tokens\":1000},\"output_tokens\":300,\"output_tokens_details\":{\"reasoning_tokens\":128}}}}\n\n";
        let r = run(CallKind::Responses, "text/event-stream", responses, 5).unwrap();
        assert_eq!(
            (r.usage.input_tokens, r.usage.cache_read_tokens),
            (200, 1000)
        );
        assert_eq!(
            (r.usage.output_tokens, r.usage.reasoning_tokens),
            (300, 128)
        );
        assert_eq!(r.model.as_deref(), Some("gpt-x"));

        let chat = "data: {\"model\":\"m\",\"choices\":[],\"usage\":null}\n\ndata: {\"choices\":[],\"usage\":{\"prompt_tokens\":900,\"completion_tokens\":50,\"prompt_tokens_details\":{\"cached_tokens\":800}}}\n\ndata: [DONE]\n\n";
        let r = run(CallKind::Chat, "text/event-stream", chat, 3).unwrap();
        assert_eq!(
            (r.usage.input_tokens, r.usage.cache_read_tokens),
            (100, 800)
        );
        assert_eq!(r.usage.output_tokens, 50);

        let json =
            r#"{"type":"message","model":"claude-y","usage":{"input_tokens":3,"output_tokens":4}}"#;
        let r = run(CallKind::Messages, "application/json", json, 2).unwrap();
        assert_eq!((r.usage.input_tokens, r.usage.output_tokens), (3, 4));
        assert_eq!(r.model.as_deref(), Some("claude-y"));
    }

    #[test]
    fn no_usage_or_garbage_is_an_error_not_a_panic() {
        assert!(run(CallKind::Chat, "text/event-stream", "data: [DONE]\n\n", 4).is_err());
        assert!(run(CallKind::Responses, "application/json", "{not json", 4).is_err());
        assert!(
            run(
                CallKind::Messages,
                "text/event-stream",
                "event: message_start\ndata: {\n\n",
                4
            )
            .is_err()
        );
        assert_eq!(CallKind::of(super::super::Family::OpenAi, "/models"), None);
        assert_eq!(
            CallKind::of(super::super::Family::Anthropic, "/messages"),
            Some(CallKind::Messages)
        );
    }
}
