//! Server-sent events decoding, following the WHATWG `text/event-stream`
//! parsing rules.
//!
//! Hand-written rather than taken from `eventsource-stream` for two reasons:
//! throughput (the goal is well above 200 MB/s, and that crate allocates a
//! `String` per line) and exact control of chunk boundaries (the driver feeds
//! raw network chunks that may split a line, a `\r\n` pair or a multi-byte
//! UTF-8 character anywhere, and must get the same events however the bytes
//! were cut). Lines are found with `memchr`; complete lines inside a chunk
//! are parsed in place, and only a line cut by a chunk boundary is copied
//! into a small carry-over buffer.

use std::time::Duration;

/// One dispatched server-sent event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SseEvent {
    /// The `event:` field; `message` when absent.
    pub event: String,
    /// The `data:` lines joined with `\n`.
    pub data: String,
    /// The last `id:` seen, if any.
    pub id: Option<String>,
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// An incremental event-stream decoder: push bytes as they arrive, get
/// complete events out.
///
/// Handles `\n`, `\r\n` and lone `\r` line ends (also when `\r` and `\n` sit
/// in different chunks), a leading byte-order mark, comments, multi-line
/// `data:`, `event:`, `id:` (ignored when it contains NUL) and `retry:`.
/// Invalid UTF-8 becomes U+FFFD; the decoder never panics on input.
#[derive(Debug, Default)]
pub struct SseDecoder {
    /// Bytes of a line cut by a chunk boundary.
    partial: Vec<u8>,
    /// The previous chunk ended with `\r`: a `\n` starting the next chunk
    /// belongs to the same line end.
    after_cr: bool,
    /// The first line has been seen (a BOM is only stripped from it).
    started: bool,
    data: String,
    /// At least one `data` field was seen for the pending event (the spec's
    /// "data buffer is not empty", without its trailing-LF bookkeeping).
    has_data: bool,
    /// The pending event's type; `None` or empty means `message`.
    event_type: Option<String>,
    /// The last event ID buffer; persists across events, as in the spec.
    last_id: Option<String>,
    retry: Option<Duration>,
    /// Dispatch a pending event at end of stream (see [`Self::lenient_eof`]).
    lenient_eof: bool,
}

impl SseDecoder {
    /// A decoder at the start of a stream, strict at end of stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// When `on`, [`Self::finish`] dispatches an event whose last line was
    /// complete but that lacked the final blank line. The spec discards it;
    /// some OpenAI-compatible relays end with `data: [DONE]\n` and nothing
    /// more, and dropping that event would make a complete response look
    /// truncated. A line cut in the middle is still discarded, so a stream
    /// broken mid-event never yields a half event.
    pub fn lenient_eof(mut self, on: bool) -> Self {
        self.lenient_eof = on;
        self
    }

    /// The reconnection time from the last valid `retry:` field, if any.
    /// Recorded for completeness; the driver's own retry policy decides.
    pub fn retry(&self) -> Option<Duration> {
        self.retry
    }

    /// Decodes one chunk of the stream, appending every event it completes
    /// to `out`. A chunk may end anywhere, even inside a UTF-8 character.
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<SseEvent>) {
        let mut rest = chunk;
        if self.after_cr && !rest.is_empty() {
            self.after_cr = false;
            if let [b'\n', tail @ ..] = rest {
                rest = tail;
            }
        }
        if !self.partial.is_empty() || (!self.started && !rest.is_empty()) {
            // Finish the carried-over line first (also used for the first
            // line, so that a BOM split across chunks is recognised).
            match memchr::memchr2(b'\n', b'\r', rest) {
                None => {
                    self.partial.extend_from_slice(rest);
                    return;
                }
                Some(end) => {
                    self.partial.extend_from_slice(&rest[..end]);
                    let line = std::mem::take(&mut self.partial);
                    self.line(&line, out);
                    self.partial = line;
                    self.partial.clear();
                    rest = self.skip_line_end(rest, end);
                }
            }
        }
        while let Some(end) = memchr::memchr2(b'\n', b'\r', rest) {
            self.line(&rest[..end], out);
            rest = self.skip_line_end(rest, end);
        }
        self.partial.extend_from_slice(rest);
    }

    /// Ends the stream. Per the spec an event without its final blank line is
    /// discarded; with [`Self::lenient_eof`] it is dispatched if its last
    /// line was complete. The decoder is then ready for a new stream.
    pub fn finish(&mut self, out: &mut Vec<SseEvent>) {
        if self.lenient_eof && self.partial.is_empty() {
            self.dispatch(out);
        }
        *self = Self::new().lenient_eof(self.lenient_eof);
    }

    /// Returns what follows the line end at `rest[end]`, treating `\r\n` as
    /// one line end and remembering a `\r` that ends the chunk.
    fn skip_line_end<'a>(&mut self, rest: &'a [u8], end: usize) -> &'a [u8] {
        if rest[end] == b'\r' {
            match rest.get(end + 1) {
                Some(b'\n') => return &rest[end + 2..],
                None => self.after_cr = true,
                Some(_) => {}
            }
        }
        &rest[end + 1..]
    }

    /// Interprets one complete line (without its line end).
    fn line(&mut self, mut line: &[u8], out: &mut Vec<SseEvent>) {
        if !self.started {
            self.started = true;
            line = line.strip_prefix(BOM).unwrap_or(line);
        }
        if line.is_empty() {
            self.dispatch(out);
            return;
        }
        let (field, value) = match memchr::memchr(b':', line) {
            Some(0) => return, // comment
            Some(i) => {
                let value = &line[i + 1..];
                (&line[..i], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &b""[..]),
        };
        match field {
            b"data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.has_data = true;
                push_utf8(&mut self.data, value);
            }
            b"event" => {
                let mut name = String::new();
                push_utf8(&mut name, value);
                self.event_type = Some(name);
            }
            b"id" if memchr::memchr(0, value).is_none() => {
                let mut id = String::new();
                push_utf8(&mut id, value);
                self.last_id = (!id.is_empty()).then_some(id);
            }
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                // Absurdly long digit strings saturate instead of failing.
                let ms = std::str::from_utf8(value)
                    .ok()
                    .and_then(|s| s.parse::<u64>().ok())
                    .unwrap_or(u64::MAX);
                self.retry = Some(Duration::from_millis(ms));
            }
            _ => {}
        }
    }

    /// The blank-line rule: emit the pending event if it has data, then
    /// clear the data and type buffers (the id persists).
    fn dispatch(&mut self, out: &mut Vec<SseEvent>) {
        let event_type = self.event_type.take();
        if !self.has_data {
            return;
        }
        self.has_data = false;
        out.push(SseEvent {
            event: event_type
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| "message".to_owned()),
            data: std::mem::take(&mut self.data),
            id: self.last_id.clone(),
        });
    }
}

/// Appends `bytes` as UTF-8, replacing invalid sequences with U+FFFD.
fn push_utf8(dst: &mut String, bytes: &[u8]) {
    match std::str::from_utf8(bytes) {
        Ok(s) => dst.push_str(s),
        Err(_) => dst.push_str(&String::from_utf8_lossy(bytes)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_chunks(chunks: &[&[u8]]) -> Vec<SseEvent> {
        let mut dec = SseDecoder::new();
        let mut out = Vec::new();
        for c in chunks {
            dec.push(c, &mut out);
        }
        dec.finish(&mut out);
        out
    }

    fn decode(input: &str) -> Vec<SseEvent> {
        decode_chunks(&[input.as_bytes()])
    }

    fn ev(event: &str, data: &str, id: Option<&str>) -> SseEvent {
        SseEvent {
            event: event.into(),
            data: data.into(),
            id: id.map(Into::into),
        }
    }

    #[test]
    fn simple_event_defaults_to_message() {
        assert_eq!(
            decode("data: hello\n\n"),
            vec![ev("message", "hello", None)]
        );
    }

    #[test]
    fn event_type_and_multiline_data() {
        let got = decode("event: delta\ndata: a\ndata: b\ndata\n\n");
        assert_eq!(got, vec![ev("delta", "a\nb\n", None)]);
    }

    #[test]
    fn all_line_endings() {
        let want = vec![ev("message", "a", None), ev("x", "b", None)];
        assert_eq!(decode("data: a\r\n\r\nevent: x\r\ndata: b\r\n\r\n"), want);
        assert_eq!(decode("data: a\r\revent: x\rdata: b\r\r"), want);
        assert_eq!(decode("data: a\n\revent: x\r\ndata: b\n\r\n"), want);
    }

    #[test]
    fn cr_then_lf_across_chunks_is_one_line_end() {
        // If "\r" + "\n" were two line ends, the blank line would dispatch
        // "a" alone and "b" would be a second event.
        let got = decode_chunks(&[b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n"]);
        assert_eq!(got, vec![ev("message", "a\nb", None)]);
    }

    #[test]
    fn bom_is_stripped_once_even_when_split() {
        let input = b"\xEF\xBB\xBFdata: a\n\n";
        assert_eq!(decode_chunks(&[input]), vec![ev("message", "a", None)]);
        assert_eq!(
            decode_chunks(&[&input[..1], &input[1..2], &input[2..]]),
            vec![ev("message", "a", None)]
        );
        // A second BOM is part of the field name, so the line is ignored.
        let twice = b"\xEF\xBB\xBF\xEF\xBB\xBFdata: a\n\ndata: b\n\n";
        assert_eq!(decode_chunks(&[twice]), vec![ev("message", "b", None)]);
        // A BOM not at the start is not special either.
        assert_eq!(decode("data: a\n\n\u{feff}data: b\n\n").len(), 1);
    }

    #[test]
    fn comments_and_unknown_fields_are_ignored() {
        let got = decode(": keep-alive\nfoo: bar\ndata: x\n:another\n\n");
        assert_eq!(got, vec![ev("message", "x", None)]);
    }

    #[test]
    fn only_one_space_after_colon_is_stripped() {
        assert_eq!(decode("data:  two\n\n")[0].data, " two");
        assert_eq!(decode("data:none\n\n")[0].data, "none");
        assert_eq!(decode("data:\n\n")[0].data, "");
        assert_eq!(decode("event:ping\ndata: x\n\n")[0].event, "ping");
    }

    #[test]
    fn field_without_colon_has_empty_value() {
        // `data` alone appends an empty line: one of them is an empty event.
        assert_eq!(decode("data\n\n"), vec![ev("message", "", None)]);
        assert_eq!(decode("data\ndata\n\n")[0].data, "\n");
        // `event` alone sets an empty type, which dispatches as `message`.
        assert_eq!(decode("event\ndata: x\n\n")[0].event, "message");
        assert_eq!(decode("event:\ndata: x\n\n")[0].event, "message");
    }

    #[test]
    fn event_without_data_is_not_dispatched_and_type_resets() {
        let got = decode("event: a\n\ndata: x\n\n");
        assert_eq!(got, vec![ev("message", "x", None)]);
        assert!(decode("\n\n\n").is_empty());
    }

    #[test]
    fn ids_persist_reset_and_reject_nul() {
        let got = decode("id: 1\ndata: a\n\ndata: b\n\nid: 2\0x\ndata: c\n\nid\ndata: d\n\n");
        assert_eq!(
            got,
            vec![
                ev("message", "a", Some("1")),
                ev("message", "b", Some("1")),
                ev("message", "c", Some("1")),
                ev("message", "d", None),
            ]
        );
    }

    #[test]
    fn retry_field_is_recorded_only_when_all_digits() {
        let mut dec = SseDecoder::new();
        let mut out = Vec::new();
        dec.push(b"retry: 1500\n", &mut out);
        assert_eq!(dec.retry(), Some(Duration::from_millis(1500)));
        dec.push(b"retry: 15x\nretry:\nretry: -1\n", &mut out);
        assert_eq!(dec.retry(), Some(Duration::from_millis(1500)));
        dec.push(b"retry: 99999999999999999999999\n", &mut out);
        assert_eq!(dec.retry(), Some(Duration::from_millis(u64::MAX)));
        assert!(out.is_empty());
    }

    #[test]
    fn incomplete_event_at_eof_is_discarded_unless_lenient() {
        assert!(decode("data: a\n").is_empty());
        assert!(decode("data: a").is_empty());

        let mut out = Vec::new();
        let mut dec = SseDecoder::new().lenient_eof(true);
        dec.push(b"data: [DONE]\n", &mut out);
        dec.finish(&mut out);
        assert_eq!(out, vec![ev("message", "[DONE]", None)]);

        out.clear();
        dec.push(b"data: {\"cut", &mut out);
        dec.finish(&mut out);
        assert!(out.is_empty(), "a line cut mid-way is never dispatched");
    }

    #[test]
    fn finish_resets_for_a_new_stream() {
        let mut dec = SseDecoder::new();
        let mut out = Vec::new();
        dec.push(b"id: 7\ndata: partial", &mut out);
        dec.finish(&mut out);
        dec.push(b"\xEF\xBB\xBFdata: b\n\n", &mut out);
        assert_eq!(out, vec![ev("message", "b", None)]);
    }

    #[test]
    fn invalid_utf8_becomes_replacement_char() {
        let got = decode_chunks(&[b"event: \xFFx\ndata: a\xC3\n\ndata: \xE2\x82\n\n"]);
        assert_eq!(
            got,
            vec![
                ev("\u{FFFD}x", "a\u{FFFD}", None),
                ev("message", "\u{FFFD}", None)
            ]
        );
    }

    #[test]
    fn utf8_split_inside_a_character() {
        let s = "data: h\u{e9}llo \u{1F600}\n\n".as_bytes();
        for cut in 0..s.len() {
            assert_eq!(
                decode_chunks(&[&s[..cut], &s[cut..]]),
                vec![ev("message", "h\u{e9}llo \u{1F600}", None)],
                "cut at {cut}"
            );
        }
    }

    /// A stream exercising every rule at once.
    fn tricky_stream() -> Vec<u8> {
        let mut s = Vec::new();
        s.extend_from_slice(b"\xEF\xBB\xBF: comment\r\n");
        s.extend_from_slice(b"retry: 300\rid: a1\r\nevent: content_block_delta\n");
        s.extend_from_slice("data: {\"text\":\"h\u{e9}\u{1F600}\"}\r\n".as_bytes());
        s.extend_from_slice(b"data:second\r\r");
        s.extend_from_slice(b"event: empty\n\n");
        s.extend_from_slice(b"data\ndata: x\xF0\x9F\n\r\n");
        s.extend_from_slice(b"id: bad\0\nfield-no-colon\ndata:  sp\r");
        s.extend_from_slice(b"\r\ndata: last\n\n:trailing comment\n");
        s
    }

    #[test]
    fn every_split_point_and_byte_chunks_give_identical_events() {
        let input = tricky_stream();
        let whole = decode_chunks(&[&input]);
        assert_eq!(
            whole,
            vec![
                ev(
                    "content_block_delta",
                    "{\"text\":\"h\u{e9}\u{1F600}\"}\nsecond",
                    Some("a1")
                ),
                ev("message", "\nx\u{FFFD}", Some("a1")),
                ev("message", " sp", Some("a1")),
                ev("message", "last", Some("a1")),
            ]
        );
        for cut in 0..=input.len() {
            assert_eq!(
                decode_chunks(&[&input[..cut], &input[cut..]]),
                whole,
                "split at {cut}"
            );
        }
        for a in 0..input.len() {
            for b in a..=input.len() {
                assert_eq!(
                    decode_chunks(&[&input[..a], &input[a..b], &input[b..]]),
                    whole,
                    "split at {a} and {b}"
                );
            }
        }
        let bytes: Vec<&[u8]> = input.chunks(1).collect();
        assert_eq!(decode_chunks(&bytes), whole);
        let empties: Vec<&[u8]> = input.chunks(1).flat_map(|c| [c, &[][..]]).collect();
        assert_eq!(decode_chunks(&empties), whole);
    }

    #[test]
    fn pseudo_random_chunkings_match() {
        let mut input = Vec::new();
        for i in 0..200 {
            let sep: &[u8] = [&b"\n"[..], b"\r\n", b"\r"][i % 3];
            input.extend_from_slice(b"event: e");
            input.extend_from_slice(sep);
            input.extend_from_slice(format!("data: {i} \u{2603}").as_bytes());
            input.extend_from_slice(sep);
            input.extend_from_slice(sep);
        }
        let whole = decode_chunks(&[&input]);
        assert_eq!(whole.len(), 200);
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..200 {
            let mut dec = SseDecoder::new();
            let mut out = Vec::new();
            let mut rest = &input[..];
            while !rest.is_empty() {
                let n = rng.usize(0..=rest.len().min(40));
                dec.push(&rest[..n], &mut out);
                rest = &rest[n..];
            }
            dec.finish(&mut out);
            assert_eq!(out, whole);
        }
    }
}
