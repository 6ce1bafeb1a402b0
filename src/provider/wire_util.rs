//! Small helpers the three wire protocols share: parsing event JSON with a
//! readable error, picking fields out of loosely typed payloads, and the
//! bearer header both OpenAI dialects use.

use serde_json::Value;

use super::sse::SseEvent;
use super::wire::WireError;

/// How much of a bad event the error message quotes.
const EXCERPT_CHARS: usize = 120;

/// The start of `text`, cut at a character boundary, for error messages.
pub(super) fn excerpt(text: &str) -> String {
    match text.char_indices().nth(EXCERPT_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

/// Parses an event's data as JSON; a failure quotes the start of the data.
pub(super) fn parse_json(data: &str) -> Result<Value, WireError> {
    serde_json::from_str(data)
        .map_err(|err| WireError::Malformed(format!("invalid JSON ({err}): {}", excerpt(data))))
}

/// The event's kind: the JSON `type` field, else `error` for a bare
/// `{"error": ...}` payload (how relays report upstream failures), else the
/// SSE `event:` name. Servers differ in which they send, and the JSON field
/// is the one every documented event carries.
pub(super) fn event_kind<'a>(json: &'a Value, event: &'a SseEvent) -> &'a str {
    match json.get("type").and_then(Value::as_str) {
        Some(kind) => kind,
        None if json.get("error").is_some_and(Value::is_object) => "error",
        None => event.event.as_str(),
    }
}

/// True for data that carries nothing to decode: keep-alive blanks and the
/// `[DONE]` sentinel some relays append to protocols that do not define it.
pub(super) fn is_blank_or_done(data: &str) -> bool {
    let data = data.trim();
    data.is_empty() || data == "[DONE]"
}

/// The string at a JSON pointer, if it is one.
pub(super) fn str_at<'a>(json: &'a Value, pointer: &str) -> Option<&'a str> {
    json.pointer(pointer).and_then(Value::as_str)
}

/// The unsigned number at a JSON pointer, if it is one.
pub(super) fn u64_at(json: &Value, pointer: &str) -> Option<u64> {
    json.pointer(pointer).and_then(Value::as_u64)
}

/// A JSON value as text: strings verbatim, anything else (numbers, error
/// codes sent as integers) serialized.
pub(super) fn as_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// `authorization: Bearer KEY` when a key is configured; local servers
/// (Ollama, llama.cpp) run without one.
pub(super) fn bearer_headers(api_key: Option<&str>) -> Vec<(&'static str, String)> {
    match api_key.filter(|k| !k.is_empty()) {
        Some(key) => vec![("authorization", format!("Bearer {key}"))],
        None => Vec::new(),
    }
}

/// Test helpers: feed recorded event text through a decoder.
#[cfg(test)]
pub(super) mod testing {
    use super::super::sse::SseEvent;
    use super::super::wire::{WireDecoder, WireError};
    use super::super::{Accumulator, StreamEvent};

    /// An event as the SSE decoder would hand it over (`message` when the
    /// server sent no `event:` line).
    pub fn sse(event: &str, data: &str) -> SseEvent {
        SseEvent {
            event: if event.is_empty() { "message" } else { event }.to_string(),
            data: data.to_string(),
            id: None,
        }
    }

    /// Feeds every event and then the end of the body; the first error
    /// ends the run.
    pub fn run(
        mut decoder: Box<dyn WireDecoder>,
        events: &[SseEvent],
    ) -> Result<Vec<StreamEvent>, WireError> {
        let mut out = Vec::new();
        for event in events {
            decoder.on_event(event, &mut out)?;
        }
        decoder.on_end(&mut out)?;
        Ok(out)
    }

    /// Folds decoded events into an accumulator.
    pub fn accumulate(events: &[StreamEvent]) -> Accumulator {
        let mut acc = Accumulator::new();
        for event in events {
            acc.push(event);
        }
        acc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_cuts_long_text_at_a_char_boundary() {
        let long = "é".repeat(500);
        let cut = excerpt(&long);
        assert_eq!(cut.chars().count(), EXCERPT_CHARS + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(excerpt("short"), "short");
    }

    #[test]
    fn bad_json_is_malformed_with_an_excerpt() {
        let Err(WireError::Malformed(msg)) = parse_json("{\"type\": oops") else {
            panic!("expected a malformed error")
        };
        assert!(msg.contains("{\"type\": oops"), "{msg}");
    }

    #[test]
    fn bearer_only_with_a_key() {
        assert!(bearer_headers(None).is_empty());
        assert!(bearer_headers(Some("")).is_empty());
        assert_eq!(
            bearer_headers(Some("k")),
            vec![("authorization", "Bearer k".to_string())]
        );
    }
}
