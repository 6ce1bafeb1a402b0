//! The SSE events a reply becomes, before transport shaping.
//!
//! Renderers turn a [`Turn`] into a list of [`Frame`]s; [`plan`] then cuts the
//! list where the script wants a fault and adds keep-alives, and
//! [`Frame::encode`] writes one frame with the chosen line ending. Keeping
//! these steps apart lets every fault work the same way on every protocol.

use super::script::{LineEnding, Stop, StreamFault, TruncateMode};

/// One SSE frame.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Frame {
    /// An event: optional `event:` name and one `data:` line.
    Event { name: Option<String>, data: String },
    /// A comment line (`: keep-alive`), ignored by SSE parsers.
    Comment(String),
}

impl Frame {
    /// A named event whose data is a JSON value.
    pub fn named(name: &str, data: &serde_json::Value) -> Frame {
        Frame::Event {
            name: Some(name.to_string()),
            data: data.to_string(),
        }
    }

    /// An unnamed event whose data is a JSON value.
    pub fn data(data: &serde_json::Value) -> Frame {
        Frame::Event {
            name: None,
            data: data.to_string(),
        }
    }

    /// The wire bytes of this frame, blank line included.
    pub fn encode(&self, ending: LineEnding) -> String {
        let le = ending.as_str();
        match self {
            Frame::Event { name, data } => {
                let mut out = String::with_capacity(data.len() + 32);
                if let Some(name) = name {
                    out.push_str("event: ");
                    out.push_str(name);
                    out.push_str(le);
                }
                out.push_str("data: ");
                out.push_str(data);
                out.push_str(le);
                out.push_str(le);
                out
            }
            Frame::Comment(text) => format!(": {text}{le}{le}"),
        }
    }
}

/// A scripted tool call with its id and argument text settled.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CallOut {
    pub id: String,
    pub name: String,
    /// Compact JSON of the arguments.
    pub arguments: String,
}

/// Usage with every field settled, in the neutral convention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct UsageOut {
    pub input: u64,
    pub output: u64,
    pub cache_read: u64,
    pub cache_write: u64,
    pub reasoning: u64,
}

/// Everything a renderer needs for one model turn.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Turn {
    /// 1-based number of the reply in the script; used in ids.
    pub n: usize,
    /// Model name echoed from the request.
    pub model: String,
    pub reasoning: Option<String>,
    pub text: String,
    pub calls: Vec<CallOut>,
    pub usage: UsageOut,
    /// Delta size in characters (`None`: word-sized text, 8-char arguments).
    pub chunk: Option<usize>,
    pub stop: Stop,
    /// Chat: the request asked for `stream_options.include_usage`.
    pub include_usage: bool,
    /// Responses: the request asked for `reasoning.encrypted_content`.
    pub encrypted_reasoning: bool,
    /// Unix seconds, for `created` fields.
    pub created: u64,
}

impl Turn {
    /// The text deltas: word-sized, or `chunk` characters when set.
    pub fn text_deltas<'a>(&self, text: &'a str) -> Vec<&'a str> {
        match self.chunk {
            Some(n) => char_chunks(text, n),
            None => words(text),
        }
    }

    /// The argument fragments: `chunk` characters, 8 by default.
    pub fn argument_deltas<'a>(&self, arguments: &'a str) -> Vec<&'a str> {
        char_chunks(arguments, self.chunk.unwrap_or(8))
    }
}

/// Splits text into pieces that each start with their leading whitespace,
/// like model tokens (`"Hello"`, `" world"`); the pieces concatenate back
/// to `text`.
pub(crate) fn words(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut prev_space = true;
    for (i, c) in text.char_indices() {
        let space = c.is_whitespace();
        if space && !prev_space && i > start {
            out.push(&text[start..i]);
            start = i;
        }
        prev_space = space;
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

/// Splits text into pieces of `n` characters (never inside a character).
pub(crate) fn char_chunks(text: &str, n: usize) -> Vec<&str> {
    let n = n.max(1);
    let mut out = Vec::new();
    let mut start = 0;
    for (count, (i, _)) in text.char_indices().enumerate() {
        if count > 0 && count % n == 0 {
            out.push(&text[start..i]);
            start = i;
        }
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

/// How the body ends after the last planned frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ending {
    /// End the body normally.
    Clean,
    /// Fail the body so hyper aborts the connection mid-message.
    Abort,
    /// Keep the connection open and send nothing more.
    Stall,
}

/// Cuts `frames` according to `fault`, appending the fault's own frame
/// (`malformed` or `error_event`), and reports how the body must end.
pub(crate) fn apply_fault(
    mut frames: Vec<Frame>,
    fault: Option<StreamFault>,
    malformed: Frame,
    error_event: Frame,
) -> (Vec<Frame>, Ending) {
    match fault {
        None => (frames, Ending::Clean),
        Some(StreamFault::Stall(n)) => {
            frames.truncate(n);
            (frames, Ending::Stall)
        }
        Some(StreamFault::Truncate(n, mode)) => {
            frames.truncate(n);
            let ending = match mode {
                TruncateMode::Abort => Ending::Abort,
                TruncateMode::Clean => Ending::Clean,
            };
            (frames, ending)
        }
        Some(StreamFault::Malformed(n)) => {
            frames.truncate(n);
            frames.push(malformed);
            (frames, Ending::Clean)
        }
        Some(StreamFault::ErrorEvent(n)) => {
            frames.truncate(n);
            frames.push(error_event);
            (frames, Ending::Clean)
        }
    }
}

/// Interleaves keep-alive comments after every event, and `ping` (when the
/// protocol has one) after the first event and then every fifth.
pub(crate) fn add_keepalives(frames: Vec<Frame>, ping: Option<Frame>) -> Vec<Frame> {
    let mut out = Vec::with_capacity(frames.len() * 2 + 1);
    out.push(Frame::Comment("keep-alive".into()));
    for (i, frame) in frames.into_iter().enumerate() {
        out.push(frame);
        if let Some(ping) = &ping
            && i % 5 == 0
        {
            out.push(ping.clone());
        }
        out.push(Frame::Comment("keep-alive".into()));
    }
    out
}
