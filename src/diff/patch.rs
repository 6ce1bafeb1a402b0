//! Exporting selected hunks as a unified patch that `git apply` accepts.
//!
//! Binary files are exported as `Binary files a/x and b/x differ`, which
//! `git apply` refuses (it needs `git diff --binary` data the model does not
//! keep); stage or restore binary files whole instead.

use std::fmt::Write as _;

use super::model::{FileDiff, FileStatus, Hunk, LineKind, index_to_start};

/// Renders the hunks for which `select(file_index, hunk_index)` is true as a
/// git-style unified patch, to be applied to the old side of each file.
///
/// Hunk headers are recomputed: new-side starts shift by the line-count
/// change of the *selected* earlier hunks only. A file is exported when at
/// least one of its hunks is selected, or when it has no hunks (empty added
/// or deleted file, pure rename, mode change, binary). Line endings (CRLF)
/// and missing final newlines are kept byte-exact.
pub fn to_unified(files: &[&FileDiff], select: impl Fn(usize, usize) -> bool) -> String {
    let mut out = String::new();
    for (fi, file) in files.iter().enumerate() {
        let chosen: Vec<&Hunk> = file
            .hunks
            .iter()
            .enumerate()
            .filter(|(hi, _)| select(fi, *hi))
            .map(|(_, h)| h)
            .collect();
        if chosen.is_empty() && !file.hunks.is_empty() {
            continue;
        }
        write_header(&mut out, file, !chosen.is_empty());
        let mut delta: isize = 0;
        for h in chosen {
            write_hunk(&mut out, h, delta);
            delta += h.new_len as isize - h.old_len as isize;
        }
    }
    out
}

fn write_header(out: &mut String, f: &FileDiff, has_hunks: bool) {
    let a = quote(&format!("a/{}", f.old_path));
    let b = quote(&format!("b/{}", f.new_path));
    let _ = writeln!(out, "diff --git {a} {b}");
    let (old_name, new_name) = match f.status {
        FileStatus::Added => {
            let _ = writeln!(out, "new file mode {:o}", f.new_mode);
            ("/dev/null".to_owned(), b)
        }
        FileStatus::Deleted => {
            let _ = writeln!(out, "deleted file mode {:o}", f.old_mode);
            (a, "/dev/null".to_owned())
        }
        FileStatus::Renamed { similarity } => {
            write_modes(out, f);
            let _ = writeln!(out, "similarity index {similarity}%");
            let _ = writeln!(out, "rename from {}", quote(&f.old_path));
            let _ = writeln!(out, "rename to {}", quote(&f.new_path));
            (a, b)
        }
        FileStatus::Modified | FileStatus::ModeChanged => {
            write_modes(out, f);
            (a, b)
        }
    };
    if f.binary {
        let _ = writeln!(out, "Binary files {old_name} and {new_name} differ");
    } else if has_hunks {
        let _ = writeln!(out, "--- {old_name}");
        let _ = writeln!(out, "+++ {new_name}");
    }
}

fn write_modes(out: &mut String, f: &FileDiff) {
    if f.old_mode != f.new_mode && f.old_mode != 0 && f.new_mode != 0 {
        let _ = writeln!(out, "old mode {:o}", f.old_mode);
        let _ = writeln!(out, "new mode {:o}", f.new_mode);
    }
}

fn write_hunk(out: &mut String, h: &Hunk, delta: isize) {
    let new_index = h.old_index().saturating_add_signed(delta);
    let _ = writeln!(
        out,
        "@@ -{},{} +{},{} @@",
        h.old_start,
        h.old_len,
        index_to_start(new_index, h.new_len),
        h.new_len
    );
    for l in &h.lines {
        out.push(match l.kind {
            LineKind::Context => ' ',
            LineKind::Removed => '-',
            LineKind::Added => '+',
        });
        out.push_str(&l.text);
        if l.no_newline_at_end {
            out.push_str("\n\\ No newline at end of file\n");
        } else {
            out.push_str(if l.crlf { "\r\n" } else { "\n" });
        }
    }
}

/// Quotes a path the way git does when it holds `"`, `\`, control or
/// non-ASCII bytes; other paths are returned as they are.
fn quote(path: &str) -> String {
    let needs = path
        .bytes()
        .any(|b| b == b'"' || b == b'\\' || !(0x20..0x7f).contains(&b));
    if !needs {
        return path.to_owned();
    }
    let mut s = String::from("\"");
    for b in path.bytes() {
        match b {
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            b'\n' => s.push_str("\\n"),
            b'\t' => s.push_str("\\t"),
            0x20..=0x7e => s.push(b as char),
            _ => {
                let _ = write!(s, "\\{b:03o}");
            }
        }
    }
    s.push('"');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::compute::{DiffOptions, diff_added, diff_deleted, diff_modified};

    #[test]
    fn quoting() {
        assert_eq!(quote("a/b c.txt"), "a/b c.txt");
        assert_eq!(quote("a/\"q\""), "\"a/\\\"q\\\"\"");
        assert_eq!(quote("a/é"), "\"a/\\303\\251\"");
    }

    #[test]
    fn header_and_shifted_hunks() {
        let old: String = (1..=30).map(|i| format!("{i}\n")).collect();
        let new: String = (1..=30)
            .map(|i| match i {
                3 => "3\nx\ny\n".to_owned(),
                25 => "25\nz\n".to_owned(),
                _ => format!("{i}\n"),
            })
            .collect();
        let f = diff_modified(
            "f.txt",
            old.as_bytes(),
            new.as_bytes(),
            &DiffOptions::default(),
        );
        assert_eq!(f.hunks.len(), 2);
        let all = to_unified(&[&f], |_, _| true);
        assert!(all.starts_with(
            "diff --git a/f.txt b/f.txt\n--- a/f.txt\n+++ b/f.txt\n@@ -1,6 +1,8 @@\n"
        ));
        assert!(all.contains("@@ -23,6 +25,7 @@\n"), "{all}");
        let second = to_unified(&[&f], |_, h| h == 1);
        assert!(second.contains("@@ -23,6 +23,7 @@\n"), "{second}");
        assert!(!second.contains("@@ -1,"));
        assert_eq!(to_unified(&[&f], |_, _| false), "");
    }

    #[test]
    fn added_deleted_no_newline_binary() {
        let o = DiffOptions::default();
        let f = diff_added("n.txt", b"a\nb", &o);
        assert_eq!(
            to_unified(&[&f], |_, _| true),
            "diff --git a/n.txt b/n.txt\nnew file mode 100644\n--- /dev/null\n+++ b/n.txt\n@@ -0,0 +1,2 @@\n+a\n+b\n\\ No newline at end of file\n"
        );
        let f = diff_deleted("n.txt", b"a\r\n", &o);
        assert_eq!(
            to_unified(&[&f], |_, _| true),
            "diff --git a/n.txt b/n.txt\ndeleted file mode 100644\n--- a/n.txt\n+++ /dev/null\n@@ -1,1 +0,0 @@\n-a\r\n"
        );
        let f = diff_modified("b.bin", b"\0a", b"\0b", &o);
        assert_eq!(
            to_unified(&[&f], |_, _| true),
            "diff --git a/b.bin b/b.bin\nBinary files a/b.bin and b/b.bin differ\n"
        );
    }
}
