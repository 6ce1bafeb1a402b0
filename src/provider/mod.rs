//! Model providers: one provider-neutral conversation model, one streaming
//! trait ([`ModelClient`]), and one file per wire protocol.
//!
//! The split: [`wire`] defines how a protocol encodes a request and decodes
//! its server-sent events (pure, no I/O); [`client`] is the one HTTP driver
//! that sends any wire's request, decodes SSE ([`sse`]), enforces the idle
//! timeout, retries with backoff ([`retry`]), parses rate-limit headers
//! ([`ratelimit`]) and hides retried output from the consumer.

pub mod accumulate;
pub mod anthropic;
pub mod client;
pub mod openai_chat;
pub mod openai_responses;
pub mod ratelimit;
pub mod retry;
pub mod sse;
pub mod types;
pub mod wire;
mod wire_util;

pub use accumulate::Accumulator;
pub use client::{HttpClientConfig, HttpModelClient};
pub use types::*;
pub use wire::{Wire, WireDecoder, WireError, WireProtocol};

use tokio_util::sync::CancellationToken;

/// The receiving end of one streamed model call.
///
/// Items arrive in order; the stream ends after [`StreamEvent::Stop`] or after
/// the first `Err`. Dropping the receiver abandons the call.
pub type ModelStream = tokio::sync::mpsc::Receiver<Result<StreamEvent, ProviderError>>;

/// Streams one model call as typed events.
///
/// Object-safe so that a session can hold `Arc<dyn ModelClient>` and a test or
/// the demo can swap the server behind it without touching the session.
pub trait ModelClient: Send + Sync {
    /// The configured provider name (`anthropic`, `openai`, `demo`, ...),
    /// shown to users and recorded with usage.
    fn provider_name(&self) -> &str;

    /// Starts one model call. Work happens on a spawned task; cancelling
    /// `cancel` stops it promptly (the stream then ends with
    /// [`ProviderError::Cancelled`]).
    fn stream(&self, request: ModelRequest, cancel: CancellationToken) -> ModelStream;
}
