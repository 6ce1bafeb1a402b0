//! A scripted model server on loopback.
//!
//! It backs `tandem demo` and the integration tests: the real HTTP client
//! talks to it over TCP exactly as it would to a provider. One
//! protocol-neutral [`Script`] is served over whichever wire protocol the
//! request path names (`POST /v1/messages`, `/v1/responses`,
//! `/v1/chat/completions`), with each protocol's real streaming events,
//! error bodies and rate-limit headers. Replies can inject the faults a
//! client must survive: HTTP errors with `retry-after`, stalls, truncated
//! bodies, malformed events, mid-stream error events, odd line endings and
//! tiny network writes.
//!
//! ```toml
//! [defaults]
//! line_ending = "crlf"
//!
//! [[reply]]
//! reasoning = "The user wants the file."
//! text = "Let me read it."
//! [[reply.tool_calls]]
//! name = "read_file"
//! input = { path = "src/main.rs" }
//!
//! [[reply]]
//! status = 429
//! retry_after = 1
//!
//! [[reply]]
//! text = "Done."
//! ```
//!
//! Files: `script` (the format), `protocol` and one `render_*` file per
//! wire protocol (the events), `frames` (fault cutting and SSE encoding),
//! `ratelimit` (headers), `server` (HTTP, recording, pacing).

mod frames;
mod openai_errors;
mod protocol;
mod ratelimit;
mod render_anthropic;
mod render_chat;
mod render_responses;
mod script;
mod server;

#[cfg(test)]
mod tests;

use std::path::PathBuf;

pub use script::{
    LineEnding, Reply, Script, Stop, ToolCallSpec, Transport, TruncateMode, UsageSpec,
};
pub use server::{MockServer, RecordedRequest, serve_forever};

/// Why a script could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum MockError {
    /// The text is not a valid script.
    #[error("invalid mock script ({format}): {message}")]
    Parse {
        /// `TOML` or `JSON`.
        format: &'static str,
        /// The parser's message, with location.
        message: String,
    },
    /// A reply's options contradict each other.
    #[error("mock script reply {reply}: {message}")]
    InvalidScript {
        /// 1-based position of the reply.
        reply: usize,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// A script or text file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}
