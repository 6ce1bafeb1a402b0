//! The seam between the HTTP driver and a wire protocol.
//!
//! A wire protocol is pure: it turns a [`ModelRequest`] into a JSON body and
//! turns server-sent events into [`StreamEvent`]s. The driver in
//! [`super::client`] does all I/O, so each protocol is unit-testable on
//! recorded event text.

use serde::{Deserialize, Serialize};

use super::sse::SseEvent;
use super::{ModelRequest, StreamEvent};

/// The three protocols Tandem speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Wire {
    /// Anthropic Messages API (`/v1/messages`).
    #[serde(rename = "anthropic")]
    Anthropic,
    /// OpenAI Responses API (`/v1/responses`).
    #[serde(rename = "openai")]
    OpenAiResponses,
    /// OpenAI-compatible Chat Completions (`/v1/chat/completions`).
    #[serde(rename = "openai-chat")]
    OpenAiChat,
}

impl Wire {
    /// The protocol's implementation.
    pub fn protocol(self) -> &'static dyn WireProtocol {
        match self {
            Wire::Anthropic => &super::anthropic::Anthropic,
            Wire::OpenAiResponses => &super::openai_responses::OpenAiResponses,
            Wire::OpenAiChat => &super::openai_chat::OpenAiChat,
        }
    }

    /// The name used in config files (`wire = "..."`).
    pub fn as_str(self) -> &'static str {
        match self {
            Wire::Anthropic => "anthropic",
            Wire::OpenAiResponses => "openai",
            Wire::OpenAiChat => "openai-chat",
        }
    }
}

/// How one wire protocol encodes requests and decodes streams.
pub trait WireProtocol: Send + Sync {
    /// The endpoint path after the `/v1/` prefix, e.g. `messages`.
    fn path(&self) -> &'static str;

    /// Authentication and protocol headers for a request.
    /// `api_key` is `None` when no key is configured (local servers).
    fn headers(&self, api_key: Option<&str>) -> Vec<(&'static str, String)>;

    /// The JSON request body, always with streaming on.
    fn body(&self, request: &ModelRequest) -> serde_json::Value;

    /// A fresh decoder for one response stream.
    fn decoder(&self) -> Box<dyn WireDecoder>;
}

/// Decodes one response stream, event by event.
pub trait WireDecoder: Send {
    /// Handles one server-sent event, appending what it means to `out`.
    fn on_event(&mut self, event: &SseEvent, out: &mut Vec<StreamEvent>) -> Result<(), WireError>;

    /// The body ended. Fails with [`WireError::Truncated`] unless the
    /// protocol's final event was seen; otherwise may flush final events
    /// (usage, stop).
    fn on_end(&mut self, out: &mut Vec<StreamEvent>) -> Result<(), WireError>;
}

/// A failure found while decoding a stream.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WireError {
    /// The server sent an error event (`error`, `response.failed`, ...).
    #[error("{kind}: {message}")]
    Api {
        kind: String,
        message: String,
        /// Overloaded / server errors are worth retrying; invalid requests are not.
        retryable: bool,
    },
    /// The event does not follow the protocol (bad JSON, missing fields).
    #[error("{0}")]
    Malformed(String),
    /// The stream ended before the final event.
    #[error("stream ended before the response was complete")]
    Truncated,
}
