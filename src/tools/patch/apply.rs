//! Applying the hunks of one `*** Update File` section to a file's text.
//!
//! Hunks are located by content, not line numbers, in order: each one is
//! searched after the previous one (and after its `@@` anchor line). The
//! search tries, in turn, an exact match, one ignoring trailing whitespace,
//! one ignoring surrounding whitespace, and one that also folds typographic
//! punctuation (curly quotes, dashes, non-breaking spaces) to ASCII, the
//! same ladder Codex uses, because models often get whitespace slightly
//! wrong. Context lines keep the file's own text; only `-`/`+` lines change
//! it. CRLF files stay CRLF.

use super::parse::{Hunk, HunkLine};

/// Lines of expected text shown in an error, at most.
const MAX_SHOWN: usize = 20;

/// A hunk that could not be applied; nothing has been written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("hunk {hunk} (patch line {line}): {message}")]
pub struct ApplyError {
    /// 1-based index of the hunk in its file section.
    pub hunk: usize,
    /// 1-based line of the patch where the hunk starts.
    pub line: usize,
    /// What was looked for and not found.
    pub message: String,
}

/// One line of the file: its text without the line ending, and whether it
/// ended in `\r\n`.
#[derive(Debug, Clone)]
struct Line {
    text: String,
    cr: bool,
}

/// Applies `hunks` to `original` and returns the new text.
pub fn apply_hunks(original: &str, hunks: &[Hunk]) -> Result<String, ApplyError> {
    let crlf = original.matches("\r\n").count() * 2 > original.matches('\n').count();
    let ends_with_newline = original.is_empty() || original.ends_with('\n');
    let mut lines: Vec<Line> = original
        .split('\n')
        .map(|l| match l.strip_suffix('\r') {
            Some(t) => Line {
                text: t.to_string(),
                cr: true,
            },
            None => Line {
                text: l.to_string(),
                cr: false,
            },
        })
        .collect();
    if ends_with_newline {
        lines.pop();
    }
    let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();

    // (start, removed count, replacement lines), in file order.
    let mut edits: Vec<(usize, usize, Vec<Line>)> = Vec::new();
    let mut cursor = 0;
    for (index, hunk) in hunks.iter().enumerate() {
        let fail = |message: String| ApplyError {
            hunk: index + 1,
            line: hunk.line,
            message,
        };
        let mut anchored = false;
        if let Some(anchor) = &hunk.anchor {
            match seek(&texts, &[anchor.as_str()], cursor, false) {
                Some(at) => {
                    cursor = at + 1;
                    anchored = true;
                }
                None => {
                    return Err(fail(format!(
                        "the `@@ {anchor}` anchor line was not found after line {cursor}"
                    )));
                }
            }
        }

        let mut body: &[HunkLine] = &hunk.lines;
        let old = |body: &[HunkLine]| -> Vec<String> {
            body.iter()
                .filter_map(|l| match l {
                    HunkLine::Context(s) | HunkLine::Remove(s) => Some(s.clone()),
                    HunkLine::Add(_) => None,
                })
                .collect()
        };
        let mut expected = old(body);
        if expected.is_empty() {
            // Pure addition: after the anchor, or at the end of the file.
            let at = if anchored { cursor } else { texts.len() };
            edits.push((at, 0, added(body, crlf)));
            cursor = at;
            continue;
        }
        let mut found = seek(&texts, &refs(&expected), cursor, hunk.end_of_file);
        if found.is_none() && body.last() == Some(&HunkLine::Context(String::new())) {
            // A trailing empty context line is often a stray blank line.
            body = &body[..body.len() - 1];
            expected = old(body);
            found = seek(&texts, &refs(&expected), cursor, hunk.end_of_file);
        }
        let Some(start) = found else {
            return Err(fail(not_found(&expected, cursor, hunk.end_of_file)));
        };

        let mut replacement = Vec::new();
        let mut k = start;
        for l in body {
            match l {
                HunkLine::Context(_) => {
                    replacement.push(lines[k].clone());
                    k += 1;
                }
                HunkLine::Remove(_) => k += 1,
                HunkLine::Add(s) => replacement.push(Line {
                    text: s.clone(),
                    cr: crlf,
                }),
            }
        }
        edits.push((start, expected.len(), replacement));
        cursor = start + expected.len();
    }

    let touches_end = edits.iter().any(|(s, n, _)| s + n >= lines.len());
    for (start, n, replacement) in edits.into_iter().rev() {
        lines.splice(start..start + n, replacement);
    }
    let mut out = String::with_capacity(original.len() + 64);
    let count = lines.len();
    for (i, line) in lines.iter().enumerate() {
        out.push_str(&line.text);
        if i + 1 < count || ends_with_newline || touches_end {
            out.push_str(if line.cr { "\r\n" } else { "\n" });
        }
    }
    Ok(out)
}

fn added(body: &[HunkLine], crlf: bool) -> Vec<Line> {
    body.iter()
        .filter_map(|l| match l {
            HunkLine::Add(s) => Some(Line {
                text: s.clone(),
                cr: crlf,
            }),
            _ => None,
        })
        .collect()
}

fn not_found(expected: &[String], cursor: usize, eof: bool) -> String {
    let mut shown: Vec<String> = expected
        .iter()
        .take(MAX_SHOWN)
        .map(|l| format!("    {l}"))
        .collect();
    if expected.len() > MAX_SHOWN {
        shown.push(format!("    … ({} more lines)", expected.len() - MAX_SHOWN));
    }
    let place = if eof {
        "at the end of the file".to_string()
    } else if cursor > 0 {
        format!("after line {cursor}")
    } else {
        "in the file".to_string()
    };
    format!(
        "these context and `-` lines were not found {place}:\n{}\n\
         Read the file again and copy the lines exactly; hunks must be in file order.",
        shown.join("\n")
    )
}

fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// Where `pattern` occurs in `lines` at or after `start`, trying looser
/// comparisons only when stricter ones find nothing. With `eof`, a match
/// ending at the last line is preferred.
fn seek(lines: &[&str], pattern: &[&str], start: usize, eof: bool) -> Option<usize> {
    if pattern.len() > lines.len() {
        return None;
    }
    let last_start = lines.len() - pattern.len();
    let levels: [fn(&str, &str) -> bool; 4] = [
        |a, b| a == b,
        |a, b| a.trim_end() == b.trim_end(),
        |a, b| a.trim() == b.trim(),
        |a, b| fold(a.trim()) == fold(b.trim()),
    ];
    let matches_at = |i: usize, eq: fn(&str, &str) -> bool| {
        pattern.iter().enumerate().all(|(j, p)| eq(lines[i + j], p))
    };
    for eq in levels {
        if eof && last_start >= start && matches_at(last_start, eq) {
            return Some(last_start);
        }
        if let Some(i) = (start..=last_start).find(|&i| matches_at(i, eq)) {
            return Some(i);
        }
    }
    None
}

/// Typographic punctuation folded to ASCII.
fn fold(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
            '\u{2018}'..='\u{201B}' => '\'',
            '\u{201C}'..='\u{201F}' => '"',
            '\u{00A0}' | '\u{2002}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}' => ' ',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::parse::{FileOp, parse};
    use super::*;

    /// Applies the hunks of a one-file Update patch given as its body.
    fn run(original: &str, body: &str) -> Result<String, ApplyError> {
        let text = format!("*** Begin Patch\n*** Update File: f\n{body}\n*** End Patch");
        let patch = parse(&text).unwrap();
        let FileOp::Update { hunks, .. } = &patch.ops[0] else {
            panic!()
        };
        apply_hunks(original, hunks)
    }

    #[test]
    fn single_hunk() {
        let out = run("a\nb\nc\n", "@@\n a\n-b\n+B\n c").unwrap();
        assert_eq!(out, "a\nB\nc\n");
    }

    #[test]
    fn multiple_hunks_in_order() {
        let original = "x\nfoo\ny\nfoo\nz\n";
        let out = run(original, "@@\n x\n-foo\n+one\n@@\n y\n-foo\n+two").unwrap();
        assert_eq!(out, "x\none\ny\ntwo\nz\n");
        // The second hunk is searched after the first, so identical text is fine.
        let out = run("foo\nfoo\n", "@@\n-foo\n+a\n@@\n-foo\n+b").unwrap();
        assert_eq!(out, "a\nb\n");
        let err = run(original, "@@\n y\n-foo\n+two\n@@\n x\n-foo\n+one").unwrap_err();
        assert_eq!(err.hunk, 2);
        assert!(err.message.contains("after line 4"), "{err}");
    }

    #[test]
    fn anchors_pick_the_right_place() {
        let original = "fn a() {\n    ret 1;\n}\nfn b() {\n    ret 1;\n}\n";
        let out = run(original, "@@ fn b() {\n-    ret 1;\n+    ret 2;").unwrap();
        assert_eq!(out, "fn a() {\n    ret 1;\n}\nfn b() {\n    ret 2;\n}\n");
        let err = run(original, "@@ fn c() {\n-    ret 1;\n+    ret 2;").unwrap_err();
        assert!(err.message.contains("`@@ fn c() {` anchor"), "{err}");
        // Pure addition after an anchor.
        let out = run(original, "@@ fn a() {\n+    // first").unwrap();
        assert!(
            out.starts_with("fn a() {\n    // first\n    ret 1;"),
            "{out}"
        );
    }

    #[test]
    fn pure_addition_without_anchor_appends() {
        assert_eq!(run("a\n", "@@\n+b").unwrap(), "a\nb\n");
        assert_eq!(run("", "@@\n+b").unwrap(), "b\n");
    }

    #[test]
    fn fuzzy_whitespace_keeps_file_context() {
        let original = "if x {  \n\tdo();\n}\n";
        // Trailing spaces missing, tab written as spaces.
        let out = run(original, "@@\n if x {\n-    do();\n+    done();\n }").unwrap();
        assert_eq!(out, "if x {  \n    done();\n}\n");
        let out = run("say(“hi”) — ok\n", "@@\n-say(\"hi\") - ok\n+say(\"bye\")").unwrap();
        assert_eq!(out, "say(\"bye\")\n");
    }

    #[test]
    fn exact_match_wins_over_fuzzy() {
        let original = "  a\na\n";
        let out = run(original, "@@\n-a\n+b").unwrap();
        assert_eq!(out, "  a\nb\n");
    }

    #[test]
    fn end_of_file_prefers_the_tail() {
        let original = "end\nmid\nend\n";
        let out = run(original, "@@\n-end\n+END\n*** End of File").unwrap();
        assert_eq!(out, "end\nmid\nEND\n");
    }

    #[test]
    fn missing_final_newline() {
        assert_eq!(run("a\nb", "@@\n a\n-b\n+c").unwrap(), "a\nc\n");
        assert_eq!(run("a\nb", "@@\n-a\n+c").unwrap(), "c\nb");
    }

    #[test]
    fn trailing_blank_context_is_retried_without() {
        let out = run("a\nb\n", "@@\n-a\n+c\n b\n").unwrap();
        assert_eq!(out, "c\nb\n");
    }

    #[test]
    fn crlf_files_stay_crlf() {
        let out = run("a\r\nb\r\nc\r\n", "@@\n a\n-b\n+B\n+B2\n c").unwrap();
        assert_eq!(out, "a\r\nB\r\nB2\r\nc\r\n");
    }

    #[test]
    fn failure_shows_expected_lines() {
        let err = run("a\nb\n", "@@\n a\n-x\n+y").unwrap_err();
        assert_eq!(err.hunk, 1);
        assert_eq!(err.line, 3);
        assert!(
            err.to_string()
                .contains("not found in the file:\n    a\n    x\n"),
            "{err}"
        );
    }
}
