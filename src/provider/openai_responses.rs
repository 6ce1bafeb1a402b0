//! Wire protocol: to be implemented.

use super::sse::SseEvent;
use super::wire::{WireDecoder, WireError, WireProtocol};
use super::{ModelRequest, StreamEvent};

/// The protocol implementation.
pub struct OpenAiResponses;

impl WireProtocol for OpenAiResponses {
    fn path(&self) -> &'static str {
        ""
    }
    fn headers(&self, _api_key: Option<&str>) -> Vec<(&'static str, String)> {
        Vec::new()
    }
    fn body(&self, _request: &ModelRequest) -> serde_json::Value {
        serde_json::Value::Null
    }
    fn decoder(&self) -> Box<dyn WireDecoder> {
        Box::new(Decoder)
    }
}

struct Decoder;

impl WireDecoder for Decoder {
    fn on_event(
        &mut self,
        _event: &SseEvent,
        _out: &mut Vec<StreamEvent>,
    ) -> Result<(), WireError> {
        Err(WireError::Malformed("not implemented".into()))
    }
    fn on_end(&mut self, _out: &mut Vec<StreamEvent>) -> Result<(), WireError> {
        Err(WireError::Truncated)
    }
}
