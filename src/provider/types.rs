//! Provider-neutral conversation and stream types.
//!
//! Every wire protocol maps to and from these, so a session can switch
//! providers without rewriting its history.

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

/// One entry of a conversation, in the order the model saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum Message {
    /// Text typed by the user (or handed over by another pane).
    User { text: String },
    /// What the model produced in one response, in stream order.
    Assistant { parts: Vec<AssistantPart> },
    /// The result of one tool call, answering the call with the same id.
    ToolResult {
        call_id: String,
        output: String,
        is_error: bool,
    },
}

/// One piece of an assistant response. Order matters: Anthropic requires
/// thinking blocks to be replayed before the text and tool calls they led to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AssistantPart {
    Text { text: String },
    Reasoning(Reasoning),
    ToolCall(ToolCall),
}

/// A reasoning (thinking) block: readable text plus whatever the provider
/// needs to have it replayed verbatim in the next request.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Reasoning {
    pub text: String,
    pub replay: Option<ReasoningReplay>,
}

/// Provider data that must be sent back unchanged with a reasoning block.
/// A block is only replayed to the wire protocol that produced it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ReasoningReplay {
    /// Anthropic `thinking` block: its `signature`.
    AnthropicThinking { signature: String },
    /// Anthropic `redacted_thinking` block: its opaque `data`.
    AnthropicRedacted { data: String },
    /// OpenAI Responses `reasoning` item: its id and, when requested,
    /// `encrypted_content`.
    OpenAiReasoning {
        id: String,
        encrypted_content: Option<String>,
    },
}

/// A tool call as the model made it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    /// Provider-issued id; the tool result must carry the same id.
    pub id: String,
    pub name: String,
    /// The raw JSON text of the arguments, exactly as streamed.
    pub arguments: String,
}

/// A tool offered to the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolSpec {
    pub name: String,
    pub description: String,
    /// JSON schema of the arguments object.
    pub parameters: serde_json::Value,
}

/// How hard a reasoning model should think, where the provider supports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum ReasoningEffort {
    Low,
    Medium,
    High,
}

/// Everything one model call needs, independent of the wire protocol.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelRequest {
    pub model: String,
    pub system: String,
    pub messages: Vec<Message>,
    pub tools: Vec<ToolSpec>,
    pub max_output_tokens: u32,
    /// `None`: no extended thinking / reasoning requested.
    pub reasoning: Option<ReasoningEffort>,
}

/// Token usage of one model response.
///
/// `input_tokens` counts input that was neither read from nor written to the
/// prompt cache (Anthropic's convention; OpenAI's cached tokens are
/// subtracted), so the four input-side fields add up to the whole prompt and
/// cost is a plain sum of field × price. `reasoning_tokens` is the part of
/// `output_tokens` spent on reasoning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_read_tokens: u64,
    pub cache_write_tokens: u64,
    pub reasoning_tokens: u64,
}

impl Usage {
    /// Adds another response's usage to this running total.
    pub fn add(&mut self, other: &Usage) {
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
        self.cache_read_tokens += other.cache_read_tokens;
        self.cache_write_tokens += other.cache_write_tokens;
        self.reasoning_tokens += other.reasoning_tokens;
    }

    /// Every token of the prompt, cached or not.
    pub fn prompt_tokens(&self) -> u64 {
        self.input_tokens + self.cache_read_tokens + self.cache_write_tokens
    }
}

/// Why the model stopped producing output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// The model finished its answer.
    EndTurn,
    /// The model wants tool results before it goes on.
    ToolUse,
    /// The output token limit cut the answer short.
    MaxTokens,
    /// The provider refused or filtered the output.
    Refusal,
    /// Anything else the provider reported, verbatim.
    Other(String),
}

/// One rate-limit window (requests or tokens) as the provider reported it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RateLimitWindow {
    pub limit: Option<u64>,
    pub remaining: Option<u64>,
    /// Time until the window resets, relative to `RateLimitSnapshot::observed_at`.
    pub reset_after: Option<Duration>,
}

/// The rate-limit headroom read from one response's headers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateLimitSnapshot {
    pub observed_at: SystemTime,
    pub requests: Option<RateLimitWindow>,
    pub tokens: Option<RateLimitWindow>,
    pub input_tokens: Option<RateLimitWindow>,
    pub output_tokens: Option<RateLimitWindow>,
}

impl RateLimitSnapshot {
    /// True when no header carried any rate-limit information.
    pub fn is_empty(&self) -> bool {
        self.requests.is_none()
            && self.tokens.is_none()
            && self.input_tokens.is_none()
            && self.output_tokens.is_none()
    }
}

/// One event of a streamed model call.
///
/// Tool-call events carry `index`, the call's position within this response,
/// because ids may change when a failed attempt is retried.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamEvent {
    /// Visible answer text.
    TextDelta(String),
    /// Readable reasoning / thinking text.
    ReasoningDelta(String),
    /// A reasoning block is complete; carries its full text and replay data.
    ReasoningDone(Reasoning),
    /// The model started a tool call.
    ToolCallStart {
        index: usize,
        id: String,
        name: String,
    },
    /// A fragment of a tool call's JSON arguments.
    ToolCallDelta { index: usize, delta: String },
    /// A tool call is complete, with its whole argument text.
    ToolCallDone { index: usize, call: ToolCall },
    /// Token usage of this response (sent once, before `Stop`).
    Usage(Usage),
    /// Rate-limit headroom from the response headers.
    RateLimits(RateLimitSnapshot),
    /// The provider's id of this request (`request-id` / `x-request-id`
    /// header), kept in the usage ledger so a bill can be traced.
    RequestId(String),
    /// The call failed in a retryable way and will be tried again.
    Retrying {
        attempt: u32,
        delay: Duration,
        reason: String,
    },
    /// Forget every delta received so far for this call: a retried attempt
    /// produced different output than the attempt that failed.
    Reset,
    /// The response is complete.
    Stop(StopReason),
}

/// Why a model call failed. Every message says what happened and what to do.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProviderError {
    /// The server rejected the key (401/403).
    #[error("{provider} rejected the request ({status}): {message}. {hint}")]
    Auth {
        provider: String,
        status: u16,
        message: String,
        hint: String,
    },
    /// A status that retrying cannot fix (400, 404, ...).
    #[error("{provider} answered {status}: {message}")]
    Status {
        provider: String,
        status: u16,
        message: String,
    },
    /// The server reported an error inside the stream.
    #[error("{provider} reported an error mid-stream ({kind}): {message}")]
    Api {
        provider: String,
        kind: String,
        message: String,
    },
    /// No byte arrived for the idle timeout.
    #[error(
        "{provider} sent nothing for {secs} s (idle timeout); check the server or raise `idle_timeout_secs`"
    )]
    Idle { provider: String, secs: u64 },
    /// The connection failed or broke.
    #[error("could not reach {provider} at {url}: {message}")]
    Connect {
        provider: String,
        url: String,
        message: String,
    },
    /// The stream ended before the protocol's final event.
    #[error("{provider} closed the stream before the response was complete")]
    Truncated { provider: String },
    /// An event that does not follow the protocol.
    #[error("{provider} sent a malformed event: {message}")]
    Malformed { provider: String, message: String },
    /// Every retry failed; carries the last failure.
    #[error("gave up after {attempts} attempts: {last}")]
    RetriesExhausted {
        attempts: u32,
        last: Box<ProviderError>,
    },
    /// The caller cancelled the call.
    #[error("cancelled")]
    Cancelled,
}
