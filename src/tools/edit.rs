//! The `edit_file` tool: exact string replacement.
//!
//! The model quotes the text it wants changed; an exact, unique quote is
//! what makes the edit safe. When the quote does not match, the error says
//! why (whitespace, line-number prefixes, ambiguity) so the next try works.

use std::path::Path;

use futures_util::future::BoxFuture;
use serde::Deserialize;
use serde_json::{Value, json};

use super::atomic::write_atomic;
use super::paths::{display, resolve_for_write};
use super::write::line_count;
use super::{Tool, ToolContext, ToolKind, ToolOutput};
use crate::provider::ToolSpec;

/// Lines of the edited region shown back to the model, at most.
const SNIPPET_LINES: usize = 30;
/// Lines of context around the edited region in the snippet.
const SNIPPET_CONTEXT: usize = 2;
/// Line numbers listed for an ambiguous `old_string`, at most.
const MAX_LISTED: usize = 20;

const SHAPE: &str =
    r#"{"path": string, "old_string": string, "new_string": string, "replace_all"?: boolean}"#;

/// The `edit_file` tool.
pub struct EditFile;

#[derive(Deserialize)]
struct Args {
    path: String,
    old_string: String,
    new_string: String,
    #[serde(default)]
    replace_all: Option<bool>,
}

impl Tool for EditFile {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "edit_file".into(),
            description: "Replace an exact piece of text in a file. `old_string` must match the \
                          file exactly, including indentation and blank lines, and must occur \
                          exactly once unless replace_all is true: include enough surrounding lines \
                          to make it unique. Copy it from read_file output WITHOUT the line-number \
                          prefix. Line endings are handled for you (LF strings match CRLF files). \
                          `new_string` replaces it; it must differ. To create a new file, give an \
                          empty old_string and the content as new_string (write_file does the same). \
                          Read the file first; for many changes across files, apply_patch is better."
                .into(),
            parameters: json!({
                "type": "object",
                "properties": {
                    "path": {"type": "string", "description": "File path, relative to the workspace root or absolute (inside the workspace)."},
                    "old_string": {"type": "string", "description": "The exact text to replace (empty only to create a new file)."},
                    "new_string": {"type": "string", "description": "The replacement text."},
                    "replace_all": {"type": "boolean", "description": "Replace every occurrence instead of requiring exactly one. Default false."}
                },
                "required": ["path", "old_string", "new_string"],
                "additionalProperties": false
            }),
        }
    }

    fn kind(&self) -> ToolKind {
        ToolKind::Edit
    }

    fn summary(&self, input: &Value) -> String {
        let path = input.get("path").and_then(Value::as_str).unwrap_or("?");
        let lines = |key| {
            input
                .get(key)
                .and_then(Value::as_str)
                .map(line_count)
                .unwrap_or(0)
        };
        format!("{path} (-{} +{})", lines("old_string"), lines("new_string"))
    }

    fn targets(&self, input: &Value, workspace: &std::path::Path) -> Vec<String> {
        super::path_target(input, "path", workspace)
    }

    fn run<'a>(&'a self, input: Value, ctx: &'a ToolContext) -> BoxFuture<'a, ToolOutput> {
        Box::pin(async move {
            let args: Args = match super::parse_args(input, "edit_file", SHAPE) {
                Ok(a) => a,
                Err(output) => return output,
            };
            if args.old_string == args.new_string {
                return ToolOutput::err(
                    "old_string and new_string are identical, so there is nothing to change; \
                     give the new text in new_string",
                );
            }
            let path = match resolve_for_write(&ctx.workspace, &args.path) {
                Ok(p) => p,
                Err(e) => return ToolOutput::err(e.to_string()),
            };
            let shown = display(&ctx.workspace, &path);
            tokio::task::spawn_blocking(move || edit(&path, &shown, &args))
                .await
                .unwrap_or_else(|e| ToolOutput::err(format!("edit_file failed: {e}")))
        })
    }
}

fn edit(path: &Path, shown: &str, args: &Args) -> ToolOutput {
    let (old, new) = (args.old_string.as_str(), args.new_string.as_str());
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if old.is_empty() {
                return save(
                    path,
                    new,
                    format!("Created {shown} ({} lines)", line_count(new)),
                );
            }
            return ToolOutput::err(format!(
                "file not found: {shown}; check the path with glob, or create the file with write_file"
            ));
        }
        Err(_) if path.is_dir() => {
            return ToolOutput::err(format!("{shown} is a directory, not a file"));
        }
        Err(e) => return ToolOutput::err(format!("cannot read {shown}: {e}")),
    };
    let Ok(content) = String::from_utf8(bytes) else {
        return ToolOutput::err(format!(
            "{shown} is not a UTF-8 text file; edit_file only edits text"
        ));
    };
    if old.is_empty() {
        if content.is_empty() {
            return save(
                path,
                new,
                format!("Wrote {shown} ({} lines)", line_count(new)),
            );
        }
        return ToolOutput::err(format!(
            "old_string is empty but {shown} already has content; quote the text to replace, \
             or use write_file to replace the whole file"
        ));
    }

    let Some((old, new)) = line_ending_variants(&content, old, new)
        .into_iter()
        .find(|(o, _)| content.contains(o.as_str()))
    else {
        return ToolOutput::err(not_found(&content, shown, old));
    };
    let starts: Vec<usize> = content
        .match_indices(old.as_str())
        .map(|(i, _)| i)
        .collect();
    let replace_all = args.replace_all.unwrap_or(false);
    if starts.len() > 1 && !replace_all {
        let lines: Vec<String> = starts
            .iter()
            .take(MAX_LISTED)
            .map(|&i| line_of(&content, i).to_string())
            .collect();
        let more = if starts.len() > MAX_LISTED {
            ", …"
        } else {
            ""
        };
        return ToolOutput::err(format!(
            "old_string occurs {} times in {shown} (at lines {}{more}); include more surrounding \
             lines to make it unique, or set replace_all to change every occurrence",
            starts.len(),
            lines.join(", ")
        ));
    }

    let updated = if replace_all {
        content.replace(old.as_str(), &new)
    } else {
        content.replacen(old.as_str(), &new, 1)
    };
    // Where the first replacement sits in the new text.
    let first = line_of(&updated, starts[0]);
    let last = first + new.strip_suffix('\n').unwrap_or(&new).matches('\n').count();
    let what = if starts.len() == 1 {
        "1 occurrence".to_string()
    } else {
        format!("{} occurrences", starts.len())
    };
    let message = format!(
        "Edited {shown}: replaced {what}; the first is now at lines {first}-{last}:\n{}",
        snippet(&updated, first, last)
    );
    save(path, &updated, message)
}

fn save(path: &Path, content: &str, message: String) -> ToolOutput {
    match write_atomic(path, content.as_bytes()) {
        Ok(()) => ToolOutput {
            changed: vec![path.to_path_buf()],
            ..ToolOutput::ok(message)
        },
        Err(e) => ToolOutput::err(e.to_string()),
    }
}

/// The (old, new) pairs to try, in order. In a CRLF file, strings written
/// with LF are converted first, so that matching works and inserted lines get
/// the file's line ending; the strings as given come second (mixed files).
/// In an LF file, CRLF strings are tried as given, then converted to LF.
fn line_ending_variants(content: &str, old: &str, new: &str) -> Vec<(String, String)> {
    let as_given = (old.to_string(), new.to_string());
    let to_lf = |s: &str| s.replace("\r\n", "\n");
    let file_crlf = content.matches("\r\n").count() * 2 > content.matches('\n').count();
    if file_crlf && !old.contains("\r\n") {
        let to_crlf = |s: &str| to_lf(s).replace('\n', "\r\n");
        vec![(to_crlf(old), to_crlf(new)), as_given]
    } else if !file_crlf && old.contains("\r\n") {
        vec![as_given, (to_lf(old), to_lf(new))]
    } else {
        vec![as_given]
    }
}

/// 1-based line number of byte offset `at`.
fn line_of(text: &str, at: usize) -> usize {
    text[..at].matches('\n').count() + 1
}

/// Lines `first..=last` of `text` with [`SNIPPET_CONTEXT`] lines around,
/// numbered like `read_file`, capped at [`SNIPPET_LINES`].
fn snippet(text: &str, first: usize, last: usize) -> String {
    let from = first.saturating_sub(SNIPPET_CONTEXT).max(1);
    let to = (last + SNIPPET_CONTEXT).min(text.lines().count());
    let mut out: Vec<String> = text
        .lines()
        .enumerate()
        .skip(from - 1)
        .take((to + 1).saturating_sub(from).min(SNIPPET_LINES))
        .map(|(i, l)| format!("{:>6}\t{}", i + 1, l.trim_end_matches('\r')))
        .collect();
    if to + 1 > from + SNIPPET_LINES {
        out.push(format!("[… {} more lines]", to + 1 - from - SNIPPET_LINES));
    }
    out.join("\n")
}

/// Why `old` was not found, with the most likely cause.
fn not_found(content: &str, shown: &str, old: &str) -> String {
    let mut msg = format!("old_string was not found in {shown}.");
    let numbered = old.lines().filter(|l| !l.trim().is_empty()).all(|l| {
        let t = l.trim_start();
        let digits = t.len() - t.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        digits > 0 && t[digits..].starts_with('\t')
    });
    if numbered && !old.trim().is_empty() {
        msg.push_str(
            " It looks like it includes the line-number prefixes of read_file output; \
             remove them (they are not part of the file).",
        );
    } else if let Some((a, b)) = find_ignoring_whitespace(content, old) {
        msg.push_str(&format!(
            " Lines {a}-{b} match when whitespace is ignored, so the indentation, spacing or \
             trailing whitespace differs; copy the exact text from read_file {shown} \
             (start_line={a}, end_line={b})."
        ));
    } else {
        msg.push_str(
            " Read the file again and quote the current text exactly; it may have changed.",
        );
    }
    msg
}

/// The line range where `needle` occurs if every run of whitespace counts
/// as one space (and leading/trailing whitespace of the needle is ignored).
fn find_ignoring_whitespace(content: &str, needle: &str) -> Option<(usize, usize)> {
    let (hay, lines) = squeeze(content);
    let (needle, _) = squeeze(needle.trim());
    if needle.is_empty() {
        return None;
    }
    let at = hay.find(&needle)?;
    Some((lines[at], lines[at + needle.len() - 1]))
}

/// `text` with whitespace runs squeezed to one space, and the 1-based line
/// of every output byte.
fn squeeze(text: &str) -> (String, Vec<usize>) {
    let mut out = String::with_capacity(text.len());
    let mut lines = Vec::with_capacity(text.len());
    let mut line = 1;
    let mut in_space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            if !in_space {
                out.push(' ');
                lines.push(line);
            }
            in_space = true;
        } else {
            in_space = false;
            out.push(c);
            lines.extend(std::iter::repeat_n(line, c.len_utf8()));
        }
        if c == '\n' {
            line += 1;
        }
    }
    (out, lines)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    async fn call(ws: &Path, input: Value) -> ToolOutput {
        EditFile
            .run(input, &ToolContext::new(ws.to_path_buf()))
            .await
    }

    fn ws() -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        (dir, root)
    }

    #[tokio::test]
    async fn replaces_a_unique_string() {
        let (_d, ws) = ws();
        fs::write(
            ws.join("lib rü.rs"),
            "fn a() {}\nfn b() {\n    1\n}\nfn c() {}\n",
        )
        .unwrap();
        let out = call(
            &ws,
            json!({"path": "lib rü.rs", "old_string": "    1\n", "new_string": "    let x = 1;\n    x\n"}),
        )
        .await;
        assert!(out.ok, "{}", out.text);
        assert_eq!(
            fs::read_to_string(ws.join("lib rü.rs")).unwrap(),
            "fn a() {}\nfn b() {\n    let x = 1;\n    x\n}\nfn c() {}\n"
        );
        assert_eq!(out.changed, vec![ws.join("lib rü.rs")]);
        assert!(
            out.text.starts_with(
                "Edited lib rü.rs: replaced 1 occurrence; the first is now at lines 3-4:\n"
            ),
            "{}",
            out.text
        );
        assert!(
            out.text.contains("     4\t    x\n     5\t}"),
            "{}",
            out.text
        );
    }

    #[tokio::test]
    async fn ambiguous_and_replace_all() {
        let (_d, ws) = ws();
        fs::write(ws.join("a.txt"), "x = 1\ny = 2\nx = 1\n").unwrap();
        let out = call(
            &ws,
            json!({"path": "a.txt", "old_string": "x = 1", "new_string": "x = 3"}),
        )
        .await;
        assert!(!out.ok);
        assert!(
            out.text.contains("occurs 2 times") && out.text.contains("lines 1, 3"),
            "{}",
            out.text
        );
        let out = call(&ws, json!({"path": "a.txt", "old_string": "x = 1", "new_string": "x = 3", "replace_all": true})).await;
        assert!(out.ok && out.text.contains("2 occurrences"), "{}", out.text);
        assert_eq!(
            fs::read_to_string(ws.join("a.txt")).unwrap(),
            "x = 3\ny = 2\nx = 3\n"
        );
    }

    #[tokio::test]
    async fn not_found_hints() {
        let (_d, ws) = ws();
        fs::write(ws.join("a.py"), "def f():\n    return  1\n").unwrap();
        let out = call(
            &ws,
            json!({"path": "a.py", "old_string": "def f():\n  return 1", "new_string": "x"}),
        )
        .await;
        assert!(!out.ok);
        assert!(
            out.text
                .contains("Lines 1-2 match when whitespace is ignored"),
            "{}",
            out.text
        );
        let out = call(
            &ws,
            json!({"path": "a.py", "old_string": "     1\tdef f():", "new_string": "x"}),
        )
        .await;
        assert!(out.text.contains("line-number prefixes"), "{}", out.text);
        let out = call(
            &ws,
            json!({"path": "a.py", "old_string": "class", "new_string": "x"}),
        )
        .await;
        assert!(out.text.contains("Read the file again"), "{}", out.text);
        let out = call(
            &ws,
            json!({"path": "a.py", "old_string": "a", "new_string": "a"}),
        )
        .await;
        assert!(out.text.contains("identical"), "{}", out.text);
        assert_eq!(
            fs::read_to_string(ws.join("a.py")).unwrap(),
            "def f():\n    return  1\n"
        );
    }

    #[tokio::test]
    async fn preserves_crlf() {
        let (_d, ws) = ws();
        fs::write(ws.join("w.txt"), "one\r\ntwo\r\nthree\r\n").unwrap();
        let out = call(
            &ws,
            json!({"path": "w.txt", "old_string": "one\ntwo\n", "new_string": "1\n2\n2.5\n"}),
        )
        .await;
        assert!(out.ok, "{}", out.text);
        assert_eq!(
            fs::read_to_string(ws.join("w.txt")).unwrap(),
            "1\r\n2\r\n2.5\r\nthree\r\n"
        );
    }

    #[tokio::test]
    async fn create_with_empty_old_string() {
        let (_d, ws) = ws();
        let out = call(
            &ws,
            json!({"path": "sub/new.rs", "old_string": "", "new_string": "fn x() {}\n"}),
        )
        .await;
        assert!(
            out.ok && out.text.starts_with("Created sub/new.rs"),
            "{}",
            out.text
        );
        assert_eq!(
            fs::read_to_string(ws.join("sub/new.rs")).unwrap(),
            "fn x() {}\n"
        );
        let out = call(
            &ws,
            json!({"path": "sub/new.rs", "old_string": "", "new_string": "y"}),
        )
        .await;
        assert!(
            !out.ok && out.text.contains("already has content"),
            "{}",
            out.text
        );
        let out = call(
            &ws,
            json!({"path": "missing.rs", "old_string": "a", "new_string": "b"}),
        )
        .await;
        assert!(
            !out.ok && out.text.contains("file not found"),
            "{}",
            out.text
        );
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn keeps_mode_refuses_escape_and_binary() {
        use std::os::unix::fs::PermissionsExt;
        let (_d, ws) = ws();
        fs::write(ws.join("run.sh"), "echo a\n").unwrap();
        fs::set_permissions(ws.join("run.sh"), fs::Permissions::from_mode(0o755)).unwrap();
        let out = call(
            &ws,
            json!({"path": "run.sh", "old_string": "a", "new_string": "b"}),
        )
        .await;
        assert!(out.ok, "{}", out.text);
        assert_eq!(
            fs::metadata(ws.join("run.sh"))
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o755
        );

        let outside = tempfile::tempdir().unwrap();
        fs::write(outside.path().join("t.txt"), "a").unwrap();
        std::os::unix::fs::symlink(outside.path().join("t.txt"), ws.join("link.txt")).unwrap();
        let out = call(
            &ws,
            json!({"path": "link.txt", "old_string": "a", "new_string": "b"}),
        )
        .await;
        assert!(
            !out.ok && out.text.contains("limited to the workspace"),
            "{}",
            out.text
        );
        assert_eq!(
            fs::read_to_string(outside.path().join("t.txt")).unwrap(),
            "a"
        );

        fs::write(ws.join("b.bin"), b"\xff\xfe a").unwrap();
        let out = call(
            &ws,
            json!({"path": "b.bin", "old_string": "a", "new_string": "b"}),
        )
        .await;
        assert!(!out.ok && out.text.contains("not a UTF-8"), "{}", out.text);
    }

    #[test]
    fn snippet_is_capped() {
        let text: String = (1..=100).map(|i| format!("l{i}\n")).collect();
        let s = snippet(&text, 10, 60);
        assert!(s.starts_with("     8\tl8\n"), "{s}");
        assert!(s.ends_with("    37\tl37\n[… 25 more lines]"), "{s}");
        assert_eq!(snippet("a\nb\n", 2, 2), "     1\ta\n     2\tb");
    }

    #[test]
    fn squeeze_maps_lines() {
        assert_eq!(
            find_ignoring_whitespace("a\n  b   c\nd", "b c"),
            Some((2, 2))
        );
        assert_eq!(
            find_ignoring_whitespace("a\n  b\n\n c\nd", "b\nc\n"),
            Some((2, 4))
        );
        assert_eq!(find_ignoring_whitespace("abc", "x"), None);
    }
}
