//! The `read_file` tool: a window of a text file with line numbers.
//!
//! Line numbers let the model cite and edit precisely; the caps keep one call
//! from flooding the context; binary files are refused instead of being fed
//! to the model as garbage.

use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::Path;

use futures_util::future::BoxFuture;
use serde::Deserialize;
use serde_json::{Value, json};

use super::paths::{display, resolve_for_read};
use super::{Tool, ToolContext, ToolKind, ToolOutput};
use crate::provider::ToolSpec;

/// Lines returned by one call when the model gives no `end_line`.
pub const MAX_LINES: usize = 2000;
/// Bytes of output of one call, whatever the line count.
pub const MAX_BYTES: usize = 256 * 1024;
/// Characters kept of one line; the rest is replaced by a marker.
pub const MAX_LINE_CHARS: usize = 2000;
/// Bytes sniffed for NUL to decide that a file is binary.
const SNIFF_BYTES: usize = 8 * 1024;

const SHAPE: &str =
    r#"{"path": string, "start_line"?: integer >= 1, "end_line"?: integer >= start_line}"#;

/// The `read_file` tool.
pub struct ReadFile;

#[derive(Deserialize)]
struct Args {
    path: String,
    start_line: Option<usize>,
    end_line: Option<usize>,
}

impl Tool for ReadFile {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "read_file".into(),
            description: format!(
                "Read a text file. Output lines are prefixed with their 1-based line number and a tab \
                 (like `cat -n`); the prefix is not part of the file, so never copy it into edits. \
                 Without a range, returns the first {MAX_LINES} lines; use start_line/end_line \
                 (1-based, inclusive) to read a specific part of a large file, and follow the note at \
                 the end of the output to read further. Lines longer than {MAX_LINE_CHARS} characters \
                 are truncated. Binary files are refused. Use list_dir for directories and grep to \
                 find where something is before reading."
            ),
            parameters: json!({
                "type": "object",
                "properties": {
                    "path": {"type": "string", "description": "File path, relative to the workspace root or absolute."},
                    "start_line": {"type": "integer", "minimum": 1, "description": "First line to return (1-based). Default 1."},
                    "end_line": {"type": "integer", "minimum": 1, "description": format!("Last line to return (inclusive). Default: start_line + {}.", MAX_LINES - 1)}
                },
                "required": ["path"],
                "additionalProperties": false
            }),
        }
    }

    fn kind(&self) -> ToolKind {
        ToolKind::Read
    }

    fn summary(&self, input: &Value) -> String {
        let path = input.get("path").and_then(Value::as_str).unwrap_or("?");
        let start = input.get("start_line").and_then(Value::as_u64);
        let end = input.get("end_line").and_then(Value::as_u64);
        match (start, end) {
            (None, None) => path.to_string(),
            (s, Some(e)) => format!("{path}:{}-{e}", s.unwrap_or(1)),
            (Some(s), None) => format!("{path}:{s}-"),
        }
    }

    fn targets(&self, input: &Value, workspace: &std::path::Path) -> Vec<String> {
        super::path_target(input, "path", workspace)
    }

    fn run<'a>(&'a self, input: Value, ctx: &'a ToolContext) -> BoxFuture<'a, ToolOutput> {
        Box::pin(async move {
            let args: Args = match super::parse_args(input, "read_file", SHAPE) {
                Ok(a) => a,
                Err(output) => return output,
            };
            let path = match resolve_for_read(&ctx.workspace, &args.path) {
                Ok(p) => p,
                Err(e) => return ToolOutput::err(e.to_string()),
            };
            let start = args.start_line.unwrap_or(1).max(1);
            if let Some(end) = args.end_line
                && end < start
            {
                return ToolOutput::err(format!(
                    "end_line ({end}) is before start_line ({start}); give a range with start_line <= end_line"
                ));
            }
            let end = args.end_line.unwrap_or(start + MAX_LINES - 1);
            let shown = display(&ctx.workspace, &path);
            tokio::task::spawn_blocking(move || read_window(&path, &shown, start, end))
                .await
                .unwrap_or_else(|e| ToolOutput::err(format!("read_file failed: {e}")))
        })
    }
}

/// Reads lines `start..=end` of `path` (shown to the model as `shown`).
fn read_window(path: &Path, shown: &str, start: usize, end: usize) -> ToolOutput {
    match std::fs::metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return ToolOutput::err(format!(
                "file not found: {shown}; check the path with list_dir or glob"
            ));
        }
        Err(e) => return ToolOutput::err(format!("cannot read {shown}: {e}")),
        Ok(m) if m.is_dir() => {
            return ToolOutput::err(format!(
                "{shown} is a directory, not a file; use list_dir to see its contents"
            ));
        }
        Ok(m) if !m.is_file() => {
            return ToolOutput::err(format!(
                "{shown} is not a regular file (a device, socket or pipe); read_file only reads files"
            ));
        }
        Ok(_) => {}
    }
    match read_lines(path, start, end) {
        Ok(Window::Binary { size }) => ToolOutput::err(format!(
            "{shown} is a binary file ({size} bytes); read_file only shows text files"
        )),
        Ok(Window::Text {
            body,
            first,
            last,
            total,
            capped,
        }) => {
            if total == 0 {
                return ToolOutput::ok(format!("({shown} is empty)"));
            }
            if start > total {
                return ToolOutput::err(format!(
                    "start_line {start} is past the end of {shown}, which has {total} lines"
                ));
            }
            let mut text = body;
            if capped || last < total {
                text.push_str(&format!(
                    "\n[showing lines {first}-{last} of {total}; call read_file with start_line={} to read more]",
                    last + 1
                ));
            } else if first > 1 {
                text.push_str(&format!("\n[showing lines {first}-{last} of {total}]"));
            }
            ToolOutput::ok(text)
        }
        Err(e) => ToolOutput::err(format!("cannot read {shown}: {e}")),
    }
}

/// What [`read_lines`] found.
enum Window {
    Binary {
        size: u64,
    },
    Text {
        /// Numbered lines.
        body: String,
        first: usize,
        /// Last line shown (`first - 1` when none).
        last: usize,
        total: usize,
        /// True when the byte cap cut the window short.
        capped: bool,
    },
}

fn read_lines(path: &Path, start: usize, end: usize) -> io::Result<Window> {
    let file = File::open(path)?;
    let size = file.metadata()?.len();
    let mut reader = BufReader::with_capacity(64 * 1024, file);
    let head = reader.fill_buf()?;
    if memchr::memchr(0, &head[..head.len().min(SNIFF_BYTES)]).is_some() {
        return Ok(Window::Binary { size });
    }

    let mut body = String::new();
    let mut line = Vec::new();
    let mut number = 0;
    let mut last = start - 1;
    let mut capped = false;
    while number < end && !capped {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        number += 1;
        if number < start {
            continue;
        }
        let Ok(text) = std::str::from_utf8(&line) else {
            return Ok(Window::Binary { size });
        };
        let text = text.trim_end_matches('\n').trim_end_matches('\r');
        let entry = format!("{number:>6}\t{}\n", truncate_chars(text, MAX_LINE_CHARS));
        if body.len() + entry.len() > MAX_BYTES && !body.is_empty() {
            capped = true;
            break;
        }
        body.push_str(&entry);
        last = number;
    }
    // Count the rest without decoding it; a final line without newline counts.
    let mut total = number;
    let mut partial = false;
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            break;
        }
        total += memchr::memchr_iter(b'\n', buf).count();
        partial = buf.last() != Some(&b'\n');
        let n = buf.len();
        reader.consume(n);
    }
    if partial {
        total += 1;
    }
    if body.ends_with('\n') {
        body.pop();
    }
    Ok(Window::Text {
        body,
        first: start,
        last,
        total,
        capped,
    })
}

/// Cuts `line` after `max` characters, saying how much was cut, so one
/// minified line cannot eat the model's context.
pub(crate) fn truncate_chars(line: &str, max: usize) -> std::borrow::Cow<'_, str> {
    match line.char_indices().nth(max) {
        None => line.into(),
        Some((cut, _)) => format!(
            "{}… [line truncated, {} more characters]",
            &line[..cut],
            line[cut..].chars().count()
        )
        .into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    async fn call(ws: &Path, input: Value) -> ToolOutput {
        ReadFile
            .run(input, &ToolContext::new(ws.to_path_buf()))
            .await
    }

    #[tokio::test]
    async fn numbers_lines_and_strips_crlf() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("a b ü.txt"), "one\r\ntwo\r\nthree").unwrap();
        let out = call(dir.path(), json!({"path": "a b ü.txt"})).await;
        assert!(out.ok, "{}", out.text);
        assert_eq!(out.text, "     1\tone\n     2\ttwo\n     3\tthree");
    }

    #[tokio::test]
    async fn ranges_and_continuation_note() {
        let dir = tempfile::tempdir().unwrap();
        let content: String = (1..=3000).map(|i| format!("line {i}\n")).collect();
        fs::write(dir.path().join("big.txt"), content).unwrap();
        let out = call(dir.path(), json!({"path": "big.txt"})).await;
        assert!(out.text.starts_with("     1\tline 1\n"));
        assert!(out.text.contains("  2000\tline 2000\n[showing lines 1-2000 of 3000; call read_file with start_line=2001"), "{}", &out.text[out.text.len() - 200..]);
        let out = call(
            dir.path(),
            json!({"path": "big.txt", "start_line": 10, "end_line": 11}),
        )
        .await;
        assert_eq!(
            out.text,
            "    10\tline 10\n    11\tline 11\n[showing lines 10-11 of 3000; call read_file with start_line=12 to read more]"
        );
        let out = call(dir.path(), json!({"path": "big.txt", "start_line": 2999})).await;
        assert_eq!(
            out.text,
            "  2999\tline 2999\n  3000\tline 3000\n[showing lines 2999-3000 of 3000]"
        );
        let out = call(dir.path(), json!({"path": "big.txt", "start_line": 4000})).await;
        assert!(!out.ok);
        assert!(out.text.contains("3000 lines"), "{}", out.text);
        let out = call(
            dir.path(),
            json!({"path": "big.txt", "start_line": 5, "end_line": 2}),
        )
        .await;
        assert!(!out.ok);
    }

    #[tokio::test]
    async fn byte_cap_applies() {
        let dir = tempfile::tempdir().unwrap();
        let line = "x".repeat(1000);
        let content: String = (0..1000).map(|_| format!("{line}\n")).collect();
        fs::write(dir.path().join("wide.txt"), content).unwrap();
        let out = call(dir.path(), json!({"path": "wide.txt"})).await;
        assert!(out.ok);
        assert!(out.text.len() < MAX_BYTES + 200);
        assert!(
            out.text
                .contains("of 1000; call read_file with start_line="),
            "{}",
            &out.text[out.text.len() - 200..]
        );
    }

    #[tokio::test]
    async fn long_lines_are_truncated() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("min.js"), "é".repeat(MAX_LINE_CHARS + 5)).unwrap();
        let out = call(dir.path(), json!({"path": "min.js"})).await;
        assert!(
            out.text.ends_with("… [line truncated, 5 more characters]"),
            "{}",
            out.text
        );
    }

    #[tokio::test]
    async fn binary_missing_dir_and_bad_args() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("img.png"), b"\x89PNG\r\n\x1a\n\0\0\0").unwrap();
        fs::write(dir.path().join("latin1.txt"), b"caf\xe9\n").unwrap();
        let out = call(dir.path(), json!({"path": "img.png"})).await;
        assert!(!out.ok);
        assert!(out.text.contains("binary file (11 bytes)"), "{}", out.text);
        let out = call(dir.path(), json!({"path": "latin1.txt"})).await;
        assert!(!out.ok && out.text.contains("binary"), "{}", out.text);
        let out = call(dir.path(), json!({"path": "/dev/null"})).await;
        assert!(
            !out.ok && out.text.contains("not a regular file"),
            "{}",
            out.text
        );
        let out = call(dir.path(), json!({"path": "nope.rs"})).await;
        assert!(
            !out.ok && out.text.contains("file not found: nope.rs"),
            "{}",
            out.text
        );
        let out = call(dir.path(), json!({"path": "."})).await;
        assert!(!out.ok && out.text.contains("list_dir"), "{}", out.text);
        let out = call(dir.path(), json!({"path": "x", "start_line": "3"})).await;
        assert!(
            !out.ok && out.text.contains("invalid arguments for read_file"),
            "{}",
            out.text
        );
        let out = call(
            dir.path(),
            json!({"path": "img.png", "extra": true, "start_line": null}),
        )
        .await;
        assert!(
            out.text.contains("binary"),
            "unknown fields and nulls are tolerated"
        );
        fs::write(dir.path().join("empty"), "").unwrap();
        let out = call(dir.path(), json!({"path": "empty"})).await;
        assert!(out.ok && out.text.contains("empty"));
    }

    #[test]
    fn summary_shows_range() {
        assert_eq!(
            ReadFile.summary(&json!({"path": "a.rs", "start_line": 3, "end_line": 9})),
            "a.rs:3-9"
        );
        assert_eq!(ReadFile.summary(&json!({"path": "a.rs"})), "a.rs");
    }
}
