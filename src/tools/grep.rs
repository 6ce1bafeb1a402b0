//! The `grep` tool: regex search over the workspace with ripgrep's crates.
//!
//! Gitignore-aware, skips binary files, prints `path:line:text` so the model
//! can go straight to `read_file` with a range. The search runs on a
//! blocking thread and checks for cancellation between files.

use std::io;
use std::path::Path;

use futures_util::future::BoxFuture;
use grep_regex::{RegexMatcher, RegexMatcherBuilder};
use grep_searcher::{BinaryDetection, Searcher, SearcherBuilder, Sink, SinkContext, SinkMatch};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::glob::PathGlob;
use super::list::walk_builder;
use super::paths::{display, resolve_for_read};
use super::read::truncate_chars;
use super::{ReadFilter, Tool, ToolContext, ToolKind, ToolOutput};
use crate::provider::ToolSpec;

/// Matching lines returned when the model gives no `max_results`.
pub const DEFAULT_MAX_RESULTS: usize = 100;
/// Upper bound of `max_results`.
pub const MAX_RESULTS: usize = 1000;
/// Upper bound of `context`.
pub const MAX_CONTEXT: usize = 10;
/// Characters kept of one printed line.
pub const MAX_LINE_CHARS: usize = 500;
/// Bytes of output of one call.
const MAX_BYTES: usize = 256 * 1024;

const SHAPE: &str = r#"{"pattern": string (regex), "path"?: string, "glob"?: string, "case_insensitive"?: boolean, "context"?: integer 0..10, "max_results"?: integer 1..1000}"#;

/// The `grep` tool.
pub struct Grep;

#[derive(Deserialize)]
struct Args {
    pattern: String,
    path: Option<String>,
    glob: Option<String>,
    case_insensitive: Option<bool>,
    context: Option<usize>,
    max_results: Option<usize>,
}

impl Tool for Grep {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "grep".into(),
            description: format!(
                "Search file contents with a regular expression (Rust regex syntax, like ripgrep; \
                 escape `(`, `[`, `{{`, `.` etc. to match them literally). Matches within single \
                 lines. Prints `path:line:text` per matching line, and with `context` the \
                 surrounding lines as `path-line-text`, groups separated by `--`. Files ignored by \
                 .gitignore, .git and binary files are skipped; files are searched in path order. \
                 Narrow with `path` (a directory or one file) and `glob` (a file-name filter like \
                 `*.rs`, or `src/**/*.ts`). Stops after max_results matching lines (default \
                 {DEFAULT_MAX_RESULTS})."
            ),
            parameters: json!({
                "type": "object",
                "properties": {
                    "pattern": {"type": "string", "description": "Regular expression to search for."},
                    "path": {"type": "string", "description": "Directory or file to search, relative to the workspace root or absolute. Default: the workspace root."},
                    "glob": {"type": "string", "description": "Only search files matching this glob (no `/`: file name at any depth; with `/`: path relative to `path`)."},
                    "case_insensitive": {"type": "boolean", "description": "Ignore case. Default false."},
                    "context": {"type": "integer", "minimum": 0, "maximum": MAX_CONTEXT, "description": "Lines of context before and after each match. Default 0."},
                    "max_results": {"type": "integer", "minimum": 1, "maximum": MAX_RESULTS, "description": format!("Stop after this many matching lines. Default {DEFAULT_MAX_RESULTS}.")}
                },
                "required": ["pattern"],
                "additionalProperties": false
            }),
        }
    }

    fn kind(&self) -> ToolKind {
        ToolKind::Read
    }

    fn summary(&self, input: &Value) -> String {
        let pattern = input.get("pattern").and_then(Value::as_str).unwrap_or("?");
        let mut s = format!("/{pattern}/");
        if let Some(path) = input.get("path").and_then(Value::as_str) {
            s.push_str(&format!(" in {path}"));
        }
        if let Some(glob) = input.get("glob").and_then(Value::as_str) {
            s.push_str(&format!(" ({glob})"));
        }
        s
    }

    fn targets(&self, input: &Value, workspace: &std::path::Path) -> Vec<String> {
        super::path_target(input, "path", workspace)
    }

    fn run<'a>(&'a self, input: Value, ctx: &'a ToolContext) -> BoxFuture<'a, ToolOutput> {
        Box::pin(async move {
            let args: Args = match super::parse_args(input, "grep", SHAPE) {
                Ok(a) => a,
                Err(output) => return output,
            };
            let matcher = match RegexMatcherBuilder::new()
                .case_insensitive(args.case_insensitive.unwrap_or(false))
                .line_terminator(Some(b'\n'))
                .build(&args.pattern)
            {
                Ok(m) => m,
                Err(e) => {
                    return ToolOutput::err(format!(
                        "invalid regex `{}`: {e}. grep matches within one line; escape special characters to match them literally",
                        args.pattern
                    ));
                }
            };
            let glob = match args.glob.as_deref().map(PathGlob::new).transpose() {
                Ok(g) => g,
                Err(e) => return ToolOutput::err(format!("invalid glob: {e}")),
            };
            let root = match resolve_for_read(&ctx.workspace, args.path.as_deref().unwrap_or(".")) {
                Ok(p) => p,
                Err(e) => return ToolOutput::err(e.to_string()),
            };
            if !root.exists() {
                return ToolOutput::err(format!(
                    "{} does not exist; check the path with list_dir or glob",
                    display(&ctx.workspace, &root)
                ));
            }
            let search = Search {
                matcher,
                glob,
                context: args.context.unwrap_or(0).min(MAX_CONTEXT),
                max_results: args
                    .max_results
                    .unwrap_or(DEFAULT_MAX_RESULTS)
                    .clamp(1, MAX_RESULTS),
            };
            let workspace = ctx.workspace.clone();
            let cancel = ctx.cancel.clone();
            let hidden = ctx.hidden.clone();
            tokio::task::spawn_blocking(move || search.run(&workspace, &root, &cancel, hidden))
                .await
                .unwrap_or_else(|e| ToolOutput::err(format!("grep failed: {e}")))
        })
    }
}

struct Search {
    matcher: RegexMatcher,
    glob: Option<PathGlob>,
    context: usize,
    max_results: usize,
}

impl Search {
    fn run(
        &self,
        workspace: &Path,
        root: &Path,
        cancel: &CancellationToken,
        hidden: Option<ReadFilter>,
    ) -> ToolOutput {
        let mut searcher = SearcherBuilder::new()
            .binary_detection(BinaryDetection::quit(0))
            .line_number(true)
            .before_context(self.context)
            .after_context(self.context)
            .build();
        let mut lines: Vec<String> = Vec::new();
        let mut bytes = 0;
        let mut matches = 0;
        let mut capped = false;
        let mut unreadable = 0;
        for entry in walk_builder(root, hidden).build() {
            if cancel.is_cancelled() {
                return ToolOutput::err("grep was cancelled");
            }
            let Ok(entry) = entry else {
                unreadable += 1;
                continue;
            };
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                continue;
            }
            if entry.depth() > 0
                && let Some(glob) = &self.glob
                && !glob.is_match(entry.path().strip_prefix(root).unwrap_or(entry.path()))
            {
                continue;
            }
            let mut sink = FileSink {
                shown: display(workspace, entry.path()),
                lines: Vec::new(),
                matches: 0,
                budget: self.max_results - matches,
                binary: false,
            };
            if searcher
                .search_path(&self.matcher, entry.path(), &mut sink)
                .is_err()
            {
                unreadable += 1;
                continue;
            }
            if sink.binary || sink.lines.is_empty() {
                continue;
            }
            if self.context > 0 && !lines.is_empty() {
                lines.push("--".into());
            }
            for line in sink.lines {
                bytes += line.len() + 1;
                lines.push(line);
            }
            matches += sink.matches;
            if matches >= self.max_results || bytes > MAX_BYTES {
                capped = true;
                break;
            }
        }
        let mut text = if lines.is_empty() {
            format!("No matches under {}.", display(workspace, root))
        } else {
            lines.join("\n")
        };
        if capped {
            text.push_str(&format!(
                "\n[stopped after {matches} matching lines; narrow the search with `path` or `glob`, \
                 or raise max_results (up to {MAX_RESULTS})]"
            ));
        }
        if unreadable > 0 {
            text.push_str(&format!(
                "\n[{unreadable} files or directories could not be read]"
            ));
        }
        ToolOutput::ok(text)
    }
}

/// Collects one file's output lines; discarded when the file turns out binary.
struct FileSink {
    shown: String,
    lines: Vec<String>,
    matches: usize,
    budget: usize,
    binary: bool,
}

impl FileSink {
    fn push(&mut self, sep: char, number: Option<u64>, bytes: &[u8]) {
        let text = String::from_utf8_lossy(bytes);
        let text = text.trim_end_matches('\n').trim_end_matches('\r');
        self.lines.push(format!(
            "{}{sep}{}{sep}{}",
            self.shown,
            number.unwrap_or(0),
            truncate_chars(text, MAX_LINE_CHARS)
        ));
    }
}

impl Sink for FileSink {
    type Error = io::Error;

    fn matched(&mut self, _: &Searcher, mat: &SinkMatch<'_>) -> Result<bool, io::Error> {
        self.push(':', mat.line_number(), mat.bytes());
        self.matches += 1;
        Ok(self.matches < self.budget)
    }

    fn context(&mut self, _: &Searcher, ctx: &SinkContext<'_>) -> Result<bool, io::Error> {
        self.push('-', ctx.line_number(), ctx.bytes());
        Ok(true)
    }

    fn context_break(&mut self, _: &Searcher) -> Result<bool, io::Error> {
        self.lines.push("--".into());
        Ok(true)
    }

    fn binary_data(&mut self, _: &Searcher, _: u64) -> Result<bool, io::Error> {
        self.binary = true;
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    async fn call(ws: &Path, input: Value) -> ToolOutput {
        Grep.run(input, &ToolContext::new(ws.to_path_buf())).await
    }

    fn tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        fs::create_dir_all(r.join("src/ü dir")).unwrap();
        fs::create_dir_all(r.join("target")).unwrap();
        fs::write(r.join(".gitignore"), "target/\n").unwrap();
        fs::write(r.join("src/main.rs"), "fn main() {\n    hello();\n}\n").unwrap();
        fs::write(
            r.join("src/ü dir/lib file.rs"),
            "pub fn hello() {}\n// Hello again\n",
        )
        .unwrap();
        fs::write(r.join("notes.md"), "say hello\r\n").unwrap();
        fs::write(r.join("target/gen.rs"), "fn hello() {}\n").unwrap();
        fs::write(r.join("blob.bin"), b"hello\0world\n").unwrap();
        dir
    }

    #[tokio::test]
    async fn finds_matches_in_path_order() {
        let dir = tree();
        let out = call(dir.path(), json!({"pattern": "hello"})).await;
        assert!(out.ok, "{}", out.text);
        assert_eq!(
            out.text,
            "notes.md:1:say hello\nsrc/main.rs:2:    hello();\nsrc/ü dir/lib file.rs:1:pub fn hello() {}"
        );
    }

    #[tokio::test]
    async fn filters_and_case() {
        let dir = tree();
        let out = call(
            dir.path(),
            json!({"pattern": "HELLO", "case_insensitive": true, "glob": "*.rs"}),
        )
        .await;
        assert_eq!(
            out.text,
            "src/main.rs:2:    hello();\nsrc/ü dir/lib file.rs:1:pub fn hello() {}\nsrc/ü dir/lib file.rs:2:// Hello again"
        );
        let out = call(
            dir.path(),
            json!({"pattern": "hello", "path": "src/main.rs"}),
        )
        .await;
        assert_eq!(out.text, "src/main.rs:2:    hello();");
        let out = call(dir.path(), json!({"pattern": "nothing-here"})).await;
        assert!(out.ok && out.text.starts_with("No matches"), "{}", out.text);
    }

    #[tokio::test]
    async fn context_lines() {
        let dir = tree();
        let out = call(
            dir.path(),
            json!({"pattern": "hello\\(", "context": 1, "path": "src"}),
        )
        .await;
        assert_eq!(
            out.text,
            "src/main.rs-1-fn main() {\nsrc/main.rs:2:    hello();\nsrc/main.rs-3-}\n--\nsrc/ü dir/lib file.rs:1:pub fn hello() {}\nsrc/ü dir/lib file.rs-2-// Hello again"
        );
    }

    #[tokio::test]
    async fn caps_results_and_truncates_lines() {
        let dir = tempfile::tempdir().unwrap();
        let body: String = (0..50).map(|i| format!("match {i}\n")).collect();
        fs::write(dir.path().join("a.txt"), &body).unwrap();
        fs::write(dir.path().join("b.txt"), &body).unwrap();
        fs::write(
            dir.path().join("long.txt"),
            format!("match{}", "x".repeat(1000)),
        )
        .unwrap();
        let out = call(dir.path(), json!({"pattern": "match", "max_results": 60})).await;
        assert_eq!(
            out.text.lines().filter(|l| l.contains(":match")).count(),
            60
        );
        assert!(
            out.text.contains("stopped after 60 matching lines"),
            "{}",
            out.text
        );
        let out = call(dir.path(), json!({"pattern": "match", "glob": "long.txt"})).await;
        assert!(
            out.text.ends_with("[line truncated, 505 more characters]"),
            "{}",
            out.text
        );
    }

    #[tokio::test]
    async fn bad_input_is_explained() {
        let dir = tree();
        let out = call(dir.path(), json!({"pattern": "fn main("})).await;
        assert!(
            !out.ok && out.text.contains("invalid regex"),
            "{}",
            out.text
        );
        let out = call(dir.path(), json!({"pattern": "x", "path": "missing"})).await;
        assert!(
            !out.ok && out.text.contains("does not exist"),
            "{}",
            out.text
        );
        let out = call(dir.path(), json!({"pattern": "x", "context": -1})).await;
        assert!(!out.ok && out.text.contains("Expected"), "{}", out.text);
    }

    #[tokio::test]
    async fn cancelled_search_stops() {
        let dir = tree();
        let ctx = ToolContext::new(dir.path().to_path_buf());
        ctx.cancel.cancel();
        let out = Grep.run(json!({"pattern": "hello"}), &ctx).await;
        assert!(!out.ok && out.text.contains("cancelled"));
    }
}
