//! The protocol-neutral script a [`super::MockServer`] plays back.
//!
//! A script is written once and served over any of the three wire
//! protocols, so one test scenario (a tool call, a 429, a truncated stream)
//! exercises every client. Scripts load from TOML or JSON; unknown keys are
//! rejected so a typo in a fault option cannot silently turn into a plain
//! answer.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::MockError;

/// An ordered list of replies plus transport defaults.
///
/// Every model request takes the next reply, whatever its protocol; when none
/// is left the server answers 500 "mock script exhausted".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Script {
    /// Transport settings applied to every reply that does not set its own.
    #[serde(default)]
    pub defaults: Transport,
    /// The replies, served in order. Written `[[reply]]` in TOML.
    #[serde(default, rename = "reply", alias = "replies")]
    pub replies: Vec<Reply>,
    /// When set, every request must carry this key (`x-api-key` or
    /// `Authorization: Bearer`); others get the provider's own 401.
    #[serde(default)]
    pub api_key: Option<String>,
    /// What `GET /v1/models` lists (default: `mock-model`).
    #[serde(default)]
    pub models: Vec<String>,
}

/// One scripted answer: a model turn, an HTTP error, or a turn whose stream
/// breaks in a scripted way.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reply {
    /// Reasoning text, streamed before the answer (Anthropic `thinking`,
    /// Responses `reasoning` summary, Chat `reasoning_content`).
    pub reasoning: Option<String>,
    /// Visible answer text.
    pub text: Option<String>,
    /// Read the answer text from this file (relative to the script file when
    /// loaded with [`Script::load`], else to the working directory).
    pub text_file: Option<PathBuf>,
    /// Generate an answer of this many lorem-like words (for benchmarks).
    pub words: Option<usize>,
    /// Tool calls, streamed after the text.
    #[serde(default)]
    pub tool_calls: Vec<ToolCallSpec>,
    /// Token usage to report; unset fields are derived from text lengths.
    pub usage: Option<UsageSpec>,
    /// Delta size in characters. Unset: text streams word by word and tool
    /// arguments in 8-character fragments; set: both use this size.
    pub chunk: Option<usize>,
    /// Stop reason; unset: `tool_use` when there are tool calls, else `end_turn`.
    pub stop: Option<Stop>,

    /// Answer with this HTTP status and an error body instead of a stream.
    pub status: Option<u16>,
    /// `retry-after` header (seconds) on an error status.
    pub retry_after: Option<u64>,
    /// `retry-after-ms` header on an error status.
    pub retry_after_ms: Option<u64>,
    /// Verbatim error body; unset: the provider's real error shape.
    pub error_body: Option<serde_json::Value>,

    /// Send this many events, then nothing, keeping the connection open.
    pub stall_after_events: Option<usize>,
    /// Send this many events, then end the body (see `truncate_mode`).
    pub truncate_after_events: Option<usize>,
    /// How a truncated body ends; default `abort`.
    pub truncate_mode: Option<TruncateMode>,
    /// Send this many events, then one `data:` line of invalid JSON, then end.
    pub malformed_after_events: Option<usize>,
    /// Send this many events, then the protocol's mid-stream error event.
    pub error_event_after_events: Option<usize>,
    /// Error type/code for `status` and `error_event_after_events`.
    pub error_kind: Option<String>,
    /// Error message for `status` and `error_event_after_events`.
    pub error_message: Option<String>,

    /// Per-reply transport override of [`Transport::line_ending`].
    pub line_ending: Option<LineEnding>,
    /// Per-reply transport override of [`Transport::write_chunk_bytes`].
    pub write_chunk_bytes: Option<usize>,
    /// Per-reply transport override of [`Transport::comments`].
    pub comments: Option<bool>,
    /// Per-reply transport override of [`Transport::delay_ms`].
    pub delay_ms: Option<u64>,
    /// Per-reply transport override of [`Transport::rate_limit_headers`].
    pub rate_limit_headers: Option<bool>,
    /// Extra response headers; they replace generated headers of the same name.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
}

/// A scripted tool call.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolCallSpec {
    /// Call id; unset: `toolu_mock_<k>` (Anthropic) or `call_mock_<k>`
    /// (OpenAI), `k` counting tool calls through the whole script.
    pub id: Option<String>,
    /// Tool name.
    pub name: String,
    /// Arguments object, streamed as compact JSON.
    #[serde(default = "empty_object")]
    pub input: serde_json::Value,
}

fn empty_object() -> serde_json::Value {
    serde_json::Value::Object(serde_json::Map::new())
}

/// Token usage in Tandem's neutral convention: `input` excludes cached
/// tokens, `reasoning` is part of `output`. Renderers convert (OpenAI counts
/// cached tokens inside its prompt total).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsageSpec {
    /// Uncached input tokens; default: request body bytes / 4.
    pub input: Option<u64>,
    /// Output tokens; default: streamed characters / 4.
    pub output: Option<u64>,
    /// Tokens read from the prompt cache; default 0.
    pub cache_read: Option<u64>,
    /// Tokens written to the prompt cache; default 0.
    pub cache_write: Option<u64>,
    /// Reasoning tokens; default: reasoning characters / 4.
    pub reasoning: Option<u64>,
}

/// Why the scripted turn stops, mapped to each protocol's own vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stop {
    /// Finished answer (`end_turn`, `stop`, `completed`).
    EndTurn,
    /// Waiting for tool results (`tool_use`, `tool_calls`).
    ToolUse,
    /// Output limit hit (`max_tokens`, `length`, `incomplete`).
    MaxTokens,
    /// Refused or filtered (`refusal`, `content_filter`).
    Refusal,
}

/// How a truncated body ends.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TruncateMode {
    /// Abort the connection without the chunked terminator: a broken body.
    #[default]
    Abort,
    /// End the body cleanly, just without the protocol's final event.
    Clean,
}

/// Line terminator used inside the SSE stream (all three are legal SSE).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineEnding {
    /// `\n`
    #[default]
    Lf,
    /// `\r\n`
    Crlf,
    /// `\r`
    Cr,
}

impl LineEnding {
    /// The terminator bytes.
    pub fn as_str(self) -> &'static str {
        match self {
            LineEnding::Lf => "\n",
            LineEnding::Crlf => "\r\n",
            LineEnding::Cr => "\r",
        }
    }
}

/// Script-wide transport defaults; each reply may override any of them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transport {
    /// SSE line terminator; default `lf`.
    pub line_ending: Option<LineEnding>,
    /// Split the raw stream into network writes of this many bytes, so
    /// events and multi-byte characters straddle chunk boundaries.
    pub write_chunk_bytes: Option<usize>,
    /// Interleave `: keep-alive` comments (and Anthropic `ping` events).
    pub comments: Option<bool>,
    /// Pause between events, in milliseconds.
    pub delay_ms: Option<u64>,
    /// Send realistic rate-limit headers; default true.
    pub rate_limit_headers: Option<bool>,
    /// Check requests like the real servers (required fields and headers)
    /// and answer 400 when they are wrong; default true.
    pub validate: Option<bool>,
}

/// Transport settings of one reply after applying the script defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Resolved {
    pub line_ending: LineEnding,
    pub write_chunk_bytes: Option<usize>,
    pub comments: bool,
    pub delay_ms: u64,
    pub rate_limit_headers: bool,
}

/// The scripted way a stream breaks, with the number of events sent first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StreamFault {
    Stall(usize),
    Truncate(usize, TruncateMode),
    Malformed(usize),
    ErrorEvent(usize),
}

impl Script {
    /// Parses a TOML script (`[defaults]`, `[[reply]]`) and checks it.
    pub fn from_toml_str(text: &str) -> Result<Script, MockError> {
        let script: Script = toml::from_str(text).map_err(|e| MockError::Parse {
            format: "TOML",
            message: e.to_string(),
        })?;
        script.validate()?;
        Ok(script)
    }

    /// Parses a JSON script (`{"defaults": {...}, "replies": [...]}`) and checks it.
    pub fn from_json_str(text: &str) -> Result<Script, MockError> {
        let script: Script = serde_json::from_str(text).map_err(|e| MockError::Parse {
            format: "JSON",
            message: e.to_string(),
        })?;
        script.validate()?;
        Ok(script)
    }

    /// Reads a script file (`.json` is JSON, anything else TOML) and loads
    /// its `text_file`s relative to the script's directory.
    pub fn load(path: &Path) -> Result<Script, MockError> {
        let text = std::fs::read_to_string(path).map_err(|source| MockError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let mut script = if path.extension().is_some_and(|e| e == "json") {
            Script::from_json_str(&text)?
        } else {
            Script::from_toml_str(&text)?
        };
        script.load_text_files(path.parent().unwrap_or(Path::new(".")))?;
        Ok(script)
    }

    /// A script of plain text answers, one per request: the quickest way to
    /// stand up a server in a test.
    pub fn texts<I, S>(texts: I) -> Script
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Script {
            replies: texts
                .into_iter()
                .map(|t| Reply {
                    text: Some(t.into()),
                    ..Reply::default()
                })
                .collect(),
            ..Script::default()
        }
    }

    /// Rejects replies whose options contradict each other.
    pub fn validate(&self) -> Result<(), MockError> {
        for (i, reply) in self.replies.iter().enumerate() {
            reply.check().map_err(|message| MockError::InvalidScript {
                reply: i + 1,
                message,
            })?;
        }
        Ok(())
    }

    /// Replaces every `text_file` with the file's contents, resolving
    /// relative paths against `base`.
    pub fn load_text_files(&mut self, base: &Path) -> Result<(), MockError> {
        for reply in &mut self.replies {
            if let Some(file) = reply.text_file.take() {
                let path = base.join(&file);
                let text = std::fs::read_to_string(&path)
                    .map_err(|source| MockError::Io { path, source })?;
                reply.text = Some(text);
            }
        }
        Ok(())
    }

    /// Whether requests are checked like the real servers do.
    pub(crate) fn validates_requests(&self) -> bool {
        self.defaults.validate.unwrap_or(true)
    }

    /// The ordinal (1-based, across the script) of the first tool call of
    /// reply `index`, used to generate stable call ids.
    pub(crate) fn first_tool_ordinal(&self, index: usize) -> usize {
        self.replies[..index]
            .iter()
            .map(|r| r.tool_calls.len())
            .sum::<usize>()
            + 1
    }
}

impl Reply {
    fn check(&self) -> Result<(), String> {
        let sources = [
            self.text.is_some(),
            self.text_file.is_some(),
            self.words.is_some(),
        ];
        if sources.iter().filter(|s| **s).count() > 1 {
            return Err("set at most one of `text`, `text_file` and `words`".into());
        }
        let faults = [
            self.stall_after_events.is_some(),
            self.truncate_after_events.is_some(),
            self.malformed_after_events.is_some(),
            self.error_event_after_events.is_some(),
        ];
        if faults.iter().filter(|f| **f).count() > 1 {
            return Err(
                "set at most one of `stall_after_events`, `truncate_after_events`, \
                        `malformed_after_events` and `error_event_after_events`"
                    .into(),
            );
        }
        if let Some(status) = self.status
            && !(100..=599).contains(&status)
        {
            return Err(format!("`status = {status}` is not an HTTP status"));
        }
        if self.chunk == Some(0) || self.write_chunk_bytes == Some(0) {
            return Err("`chunk` and `write_chunk_bytes` must be at least 1".into());
        }
        if let Some(call) = self.tool_calls.iter().find(|c| !c.input.is_object()) {
            return Err(format!(
                "tool call `{}`: `input` must be a table",
                call.name
            ));
        }
        Ok(())
    }

    /// True when this reply is an HTTP error rather than a stream.
    pub(crate) fn is_http_error(&self) -> bool {
        self.status.is_some_and(|s| s != 200)
    }

    /// The scripted stream fault, if any.
    pub(crate) fn stream_fault(&self) -> Option<StreamFault> {
        if let Some(n) = self.stall_after_events {
            Some(StreamFault::Stall(n))
        } else if let Some(n) = self.truncate_after_events {
            Some(StreamFault::Truncate(
                n,
                self.truncate_mode.unwrap_or_default(),
            ))
        } else if let Some(n) = self.malformed_after_events {
            Some(StreamFault::Malformed(n))
        } else {
            self.error_event_after_events.map(StreamFault::ErrorEvent)
        }
    }

    /// The answer text: scripted, loaded from a file, or generated.
    pub(crate) fn answer_text(&self) -> String {
        match (&self.text, self.words) {
            (Some(text), _) => text.clone(),
            (None, Some(n)) => lorem_words(n),
            (None, None) => String::new(),
        }
    }

    /// Transport settings after applying `defaults`.
    pub(crate) fn transport(&self, defaults: &Transport) -> Resolved {
        Resolved {
            line_ending: self
                .line_ending
                .or(defaults.line_ending)
                .unwrap_or_default(),
            write_chunk_bytes: self.write_chunk_bytes.or(defaults.write_chunk_bytes),
            comments: self.comments.or(defaults.comments).unwrap_or(false),
            delay_ms: self.delay_ms.or(defaults.delay_ms).unwrap_or(0),
            rate_limit_headers: self
                .rate_limit_headers
                .or(defaults.rate_limit_headers)
                .unwrap_or(true),
        }
    }
}

/// `n` deterministic lorem-like words with sentences and paragraphs, so a
/// benchmark answer looks like prose to a markdown renderer.
pub(crate) fn lorem_words(n: usize) -> String {
    const WORDS: &[&str] = &[
        "lorem",
        "ipsum",
        "dolor",
        "sit",
        "amet",
        "consectetur",
        "adipiscing",
        "elit",
        "sed",
        "do",
        "eiusmod",
        "tempor",
        "incididunt",
        "ut",
        "labore",
        "et",
        "dolore",
        "magna",
        "aliqua",
        "enim",
        "ad",
        "minim",
        "veniam",
        "quis",
        "nostrud",
        "exercitation",
        "ullamco",
        "laboris",
        "nisi",
        "aliquip",
        "ex",
        "ea",
        "commodo",
        "consequat",
        "duis",
        "aute",
        "irure",
        "in",
        "reprehenderit",
        "voluptate",
        "velit",
        "esse",
        "cillum",
        "fugiat",
        "nulla",
        "pariatur",
    ];
    let mut out = String::new();
    let mut sentence_start = true;
    for i in 0..n {
        if i > 0 {
            out.push_str(if i % 60 == 0 { "\n\n" } else { " " });
        }
        let word = WORDS[(i * 7 + i / WORDS.len()) % WORDS.len()];
        if sentence_start {
            let mut chars = word.chars();
            if let Some(first) = chars.next() {
                out.extend(first.to_uppercase());
                out.push_str(chars.as_str());
            }
        } else {
            out.push_str(word);
        }
        sentence_start = i % 12 == 11 || i + 1 == n || (i + 1) % 60 == 0;
        if sentence_start {
            out.push('.');
        }
    }
    out
}
