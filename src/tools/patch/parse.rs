//! Parser of the `*** Begin Patch` grammar (the format Codex models write).
//!
//! ```text
//! *** Begin Patch
//! *** Add File: path          then content lines, each prefixed with `+`
//! *** Delete File: path
//! *** Update File: path
//! *** Move to: new/path       (optional, right after Update File)
//! @@ optional anchor line     then ` ` context, `-` removed, `+` added lines
//! *** End of File             (optional: the hunk must match at the end)
//! *** End Patch
//! ```
//!
//! Lenient where models slip without ambiguity: a shell heredoc around the
//! patch, blank lines around it, CRLF line endings, an empty line in a hunk
//! (taken as empty context), a missing `@@` before the first hunk, and
//! unified-diff hunk headers (`@@ -1,3 +1,4 @@ fn f`).

/// A parsed patch: file operations in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patch {
    /// The file sections, in patch order.
    pub ops: Vec<FileOp>,
}

/// One file operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileOp {
    /// Create a file (or replace it) with `content`.
    Add {
        /// Path as written in the patch.
        path: String,
        /// The new content, with a newline after every line.
        content: String,
    },
    /// Remove a file.
    Delete {
        /// Path as written in the patch.
        path: String,
    },
    /// Change a file in place, optionally renaming it.
    Update {
        /// Path as written in the patch.
        path: String,
        /// New path, from `*** Move to:`.
        move_to: Option<String>,
        /// Changes, in file order (empty for a pure rename).
        hunks: Vec<Hunk>,
    },
}

/// A run of context, removed and added lines, located by content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hunk {
    /// Text after `@@`: a line (e.g. a function signature) to find first;
    /// the hunk is then matched after it.
    pub anchor: Option<String>,
    /// The hunk's lines, in order.
    pub lines: Vec<HunkLine>,
    /// Set by `*** End of File`: the hunk must match at the end of the file.
    pub end_of_file: bool,
    /// 1-based line of the patch where the hunk starts, for error messages.
    pub line: usize,
}

/// One line of a hunk, without its prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HunkLine {
    /// ` `: a line that stays.
    Context(String),
    /// `-`: a line to remove.
    Remove(String),
    /// `+`: a line to add.
    Add(String),
}

/// A grammar error, with the 1-based line of the patch text where it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ParseError {
    /// 1-based line of the patch text.
    pub line: usize,
    /// What is wrong and what was expected.
    pub message: String,
}

const BEGIN: &str = "*** Begin Patch";
const END: &str = "*** End Patch";
const ADD: &str = "*** Add File:";
const DELETE: &str = "*** Delete File:";
const UPDATE: &str = "*** Update File:";
const MOVE: &str = "*** Move to:";
const EOF_MARK: &str = "*** End of File";

fn error(line: usize, message: impl Into<String>) -> ParseError {
    ParseError {
        line,
        message: message.into(),
    }
}

/// Parses patch `text`.
pub fn parse(text: &str) -> Result<Patch, ParseError> {
    let mut lines: Vec<(usize, &str)> = text.lines().enumerate().map(|(i, l)| (i + 1, l)).collect();
    trim_blank(&mut lines);
    strip_heredoc(&mut lines);
    let Some(&(first_no, first)) = lines.first() else {
        return Err(error(
            1,
            format!("the patch is empty; it must start with `{BEGIN}`"),
        ));
    };
    if first.trim() != BEGIN {
        return Err(error(
            first_no,
            format!("the patch must start with `{BEGIN}`, found `{first}`"),
        ));
    }
    let &(last_no, last) = lines.last().unwrap_or(&(first_no, first));
    if lines.len() < 2 || last.trim() != END {
        return Err(error(
            last_no,
            format!("the patch must end with `{END}` (was it cut off?)"),
        ));
    }
    let body = &lines[1..lines.len() - 1];

    let mut ops = Vec::new();
    let mut i = 0;
    while i < body.len() {
        let (no, line) = body[i];
        let header = line.trim_end();
        i += 1;
        if let Some(path) = header.strip_prefix(ADD) {
            let path = file_path(no, path)?;
            let mut content = String::new();
            while let Some(&(_, l)) = body.get(i) {
                if l.starts_with("*** ") {
                    break;
                }
                match l.strip_prefix('+') {
                    Some(rest) => content.push_str(rest),
                    // A bare blank line is content only if more content follows.
                    None if l.trim().is_empty() => {
                        let more = body[i..]
                            .iter()
                            .find(|(_, l)| !l.trim().is_empty())
                            .is_some_and(|(_, l)| l.starts_with('+'));
                        if !more {
                            break;
                        }
                    }
                    None => {
                        return Err(error(
                            body[i].0,
                            format!("in `{ADD} {path}`, every content line must start with `+`"),
                        ));
                    }
                }
                content.push('\n');
                i += 1;
            }
            ops.push(FileOp::Add { path, content });
        } else if let Some(path) = header.strip_prefix(DELETE) {
            ops.push(FileOp::Delete {
                path: file_path(no, path)?,
            });
        } else if let Some(path) = header.strip_prefix(UPDATE) {
            let path = file_path(no, path)?;
            let mut move_to = None;
            if let Some(&(move_no, l)) = body.get(i)
                && let Some(dest) = l.trim_end().strip_prefix(MOVE)
            {
                move_to = Some(file_path(move_no, dest)?);
                i += 1;
            }
            let (hunks, next) = parse_hunks(body, i, &path)?;
            i = next;
            if hunks.is_empty() && move_to.is_none() {
                return Err(error(
                    no,
                    format!("`{UPDATE} {path}` has no hunks; add `@@` hunks or remove the section"),
                ));
            }
            ops.push(FileOp::Update {
                path,
                move_to,
                hunks,
            });
        } else if header.trim().is_empty() {
            continue;
        } else if header.trim() == END {
            return Err(error(
                no,
                format!("`{END}` before the end of the patch; put every file section before it"),
            ));
        } else {
            return Err(error(
                no,
                format!(
                    "expected a file header (`{ADD} path`, `{DELETE} path` or `{UPDATE} path`), found `{line}`"
                ),
            ));
        }
    }
    if ops.is_empty() {
        return Err(error(first_no, "the patch contains no file sections"));
    }
    Ok(Patch { ops })
}

/// Parses the hunks of an Update section starting at `body[i]`; returns
/// them and the index of the next file header.
fn parse_hunks(
    body: &[(usize, &str)],
    mut i: usize,
    path: &str,
) -> Result<(Vec<Hunk>, usize), ParseError> {
    let mut hunks: Vec<Hunk> = Vec::new();
    // Whether lines may still be added to the last hunk.
    let mut open = false;
    while let Some(&(no, line)) = body.get(i) {
        if line.trim_end() == EOF_MARK {
            match hunks.last_mut() {
                Some(h) if open => h.end_of_file = true,
                _ => return Err(error(no, format!("`{EOF_MARK}` must follow a hunk"))),
            }
            open = false;
            i += 1;
            continue;
        }
        if line.starts_with("*** ") {
            break;
        }
        if let Some(rest) = line.strip_prefix("@@") {
            if let Some(h) = hunks.last()
                && h.lines.is_empty()
            {
                return Err(error(
                    h.line,
                    "this hunk has no lines; give context, `-` and `+` lines after `@@`",
                ));
            }
            hunks.push(Hunk {
                anchor: anchor(rest),
                lines: Vec::new(),
                end_of_file: false,
                line: no,
            });
            open = true;
            i += 1;
            continue;
        }
        let hunk_line = match line.chars().next() {
            None => HunkLine::Context(String::new()),
            Some(' ') => HunkLine::Context(line[1..].to_string()),
            Some('-') => HunkLine::Remove(line[1..].to_string()),
            Some('+') => HunkLine::Add(line[1..].to_string()),
            Some(_) => {
                return Err(error(
                    no,
                    format!(
                        "unexpected line in the hunks of `{path}`: `{line}`; every hunk line starts \
                         with ` ` (context), `-` (remove) or `+` (add), and hunks start with `@@`"
                    ),
                ));
            }
        };
        if !open {
            if !hunks.is_empty() {
                return Err(error(
                    no,
                    format!("start a new hunk with `@@` after `{EOF_MARK}`"),
                ));
            }
            hunks.push(Hunk {
                anchor: None,
                lines: Vec::new(),
                end_of_file: false,
                line: no,
            });
            open = true;
        }
        if let Some(h) = hunks.last_mut() {
            h.lines.push(hunk_line);
        }
        i += 1;
    }
    if let Some(h) = hunks.last()
        && h.lines.is_empty()
    {
        return Err(error(
            h.line,
            "this hunk has no lines; give context, `-` and `+` lines after `@@`",
        ));
    }
    Ok((hunks, i))
}

/// The anchor of an `@@` line; unified-diff ranges (`-1,3 +1,4 @@ f`) are skipped.
fn anchor(rest: &str) -> Option<String> {
    let rest = rest.trim();
    let rest = if rest.starts_with('-') && rest[1..].starts_with(|c: char| c.is_ascii_digit()) {
        match rest.find("@@") {
            Some(end) => rest[end + 2..].trim(),
            None => "",
        }
    } else {
        rest
    };
    (!rest.is_empty()).then(|| rest.to_string())
}

fn file_path(line: usize, raw: &str) -> Result<String, ParseError> {
    let path = raw.trim();
    if path.is_empty() {
        Err(error(line, "the file header has no path"))
    } else {
        Ok(path.to_string())
    }
}

fn trim_blank(lines: &mut Vec<(usize, &str)>) {
    while lines.last().is_some_and(|(_, l)| l.trim().is_empty()) {
        lines.pop();
    }
    let lead = lines
        .iter()
        .take_while(|(_, l)| l.trim().is_empty())
        .count();
    lines.drain(..lead);
}

/// Drops a heredoc wrapper: `apply_patch <<'EOF'` … `EOF`.
fn strip_heredoc(lines: &mut Vec<(usize, &str)>) {
    let Some(&(_, first)) = lines.first() else {
        return;
    };
    if first.trim_start().starts_with("***") {
        return;
    }
    let Some(pos) = first.find("<<") else { return };
    let marker = first[pos + 2..]
        .trim()
        .trim_start_matches('-')
        .trim_matches(|c| c == '\'' || c == '"');
    lines.remove(0);
    if !marker.is_empty() && lines.last().is_some_and(|(_, l)| l.trim() == marker) {
        lines.pop();
    }
    trim_blank(lines);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(s: &str) -> HunkLine {
        HunkLine::Context(s.into())
    }
    fn del(s: &str) -> HunkLine {
        HunkLine::Remove(s.into())
    }
    fn add(s: &str) -> HunkLine {
        HunkLine::Add(s.into())
    }

    #[test]
    fn parses_every_operation() {
        let patch = "*** Begin Patch\n\
                     *** Add File: new dir/ü.txt\n\
                     +hello\n\
                     +\n\
                     \n\
                     +world\n\
                     \n\
                     *** Delete File: old.txt\n\
                     *** Update File: src/lib.rs\n\
                     *** Move to: src/core.rs\n\
                     @@ fn main() {\n \
                     let a = 1;\n\
                     -let b = 2;\n\
                     +let b = 3;\n\
                     @@\n \
                     tail\n\
                     +end\n\
                     *** End of File\n\
                     *** End Patch\n";
        let p = parse(patch).unwrap();
        assert_eq!(
            p.ops,
            vec![
                FileOp::Add {
                    path: "new dir/ü.txt".into(),
                    content: "hello\n\n\nworld\n".into()
                },
                FileOp::Delete {
                    path: "old.txt".into()
                },
                FileOp::Update {
                    path: "src/lib.rs".into(),
                    move_to: Some("src/core.rs".into()),
                    hunks: vec![
                        Hunk {
                            anchor: Some("fn main() {".into()),
                            lines: vec![ctx("let a = 1;"), del("let b = 2;"), add("let b = 3;")],
                            end_of_file: false,
                            line: 11,
                        },
                        Hunk {
                            anchor: None,
                            lines: vec![ctx("tail"), add("end")],
                            end_of_file: true,
                            line: 15,
                        },
                    ],
                },
            ]
        );
    }

    #[test]
    fn first_hunk_may_omit_the_at_at_line() {
        let p = parse("*** Begin Patch\n*** Update File: a\n x\n-y\n+z\n*** End Patch").unwrap();
        let FileOp::Update { hunks, .. } = &p.ops[0] else {
            panic!()
        };
        assert_eq!(hunks[0].lines, vec![ctx("x"), del("y"), add("z")]);
        assert_eq!(hunks[0].anchor, None);
    }

    #[test]
    fn lenient_wrapping() {
        let text = "\n\napply_patch <<'EOF'\r\n*** Begin Patch\r\n*** Delete File: a\r\nEOF\r\n";
        assert!(parse(text).is_err(), "End Patch is still required");
        let text = "\n\napply_patch <<'EOF'\r\n*** Begin Patch\r\n*** Delete File: a\r\n*** End Patch\r\nEOF\r\n\n";
        assert_eq!(
            parse(text).unwrap().ops,
            vec![FileOp::Delete { path: "a".into() }]
        );
        let text = "  *** Begin Patch  \n*** Delete File: a \n\n*** End Patch   ";
        assert_eq!(parse(text).unwrap().ops.len(), 1);
    }

    #[test]
    fn unified_diff_headers_and_blank_lines() {
        let text = "*** Begin Patch\n*** Update File: a\n@@ -1,3 +1,3 @@ impl Foo\n a\n\n-b\n+c\n\n*** Update File: b\n@@ -5 +5 @@\n-x\n+y\n*** End Patch";
        let p = parse(text).unwrap();
        let FileOp::Update { hunks, .. } = &p.ops[0] else {
            panic!()
        };
        assert_eq!(hunks[0].anchor.as_deref(), Some("impl Foo"));
        // The blank line before the next header stays; the applier retries without it.
        assert_eq!(
            hunks[0].lines,
            vec![ctx("a"), ctx(""), del("b"), add("c"), ctx("")]
        );
        let FileOp::Update { hunks, .. } = &p.ops[1] else {
            panic!()
        };
        assert_eq!(hunks[0].anchor, None);
    }

    #[test]
    fn grammar_errors_name_the_line() {
        let cases = [
            ("", 1, "empty"),
            ("*** Update File: a\n*** End Patch", 1, "must start with"),
            ("*** Begin Patch\n*** Delete File: a", 2, "must end with"),
            ("*** Begin Patch\n*** End Patch", 1, "no file sections"),
            (
                "*** Begin Patch\nhello\n*** End Patch",
                2,
                "expected a file header",
            ),
            (
                "*** Begin Patch\n*** Add File: a\n+x\ny\n*** End Patch",
                4,
                "must start with `+`",
            ),
            (
                "*** Begin Patch\n*** Update File: a\n*** End Patch",
                2,
                "has no hunks",
            ),
            (
                "*** Begin Patch\n*** Update File: a\n@@\n x\n?y\n*** End Patch",
                5,
                "unexpected line",
            ),
            (
                "*** Begin Patch\n*** Update File: a\n@@ f\n@@ g\n x\n*** End Patch",
                3,
                "no lines",
            ),
            (
                "*** Begin Patch\n*** Update File: a\n*** End of File\n*** End Patch",
                3,
                "must follow a hunk",
            ),
            (
                "*** Begin Patch\n*** Update File: a\n x\n*** End of File\n y\n*** End Patch",
                5,
                "new hunk",
            ),
            (
                "*** Begin Patch\n*** Delete File:   \n*** End Patch",
                2,
                "no path",
            ),
            (
                "*** Begin Patch\n*** End Patch\n*** Delete File: a\n*** End Patch",
                2,
                "before the end",
            ),
        ];
        for (text, line, needle) in cases {
            let err = parse(text).unwrap_err();
            assert_eq!(err.line, line, "{text:?}: {err}");
            assert!(err.message.contains(needle), "{text:?}: {err}");
        }
    }

    #[test]
    fn move_only_update_is_allowed() {
        let p =
            parse("*** Begin Patch\n*** Update File: a\n*** Move to: b\n*** End Patch").unwrap();
        assert_eq!(
            p.ops,
            vec![FileOp::Update {
                path: "a".into(),
                move_to: Some("b".into()),
                hunks: vec![]
            }]
        );
    }
}
