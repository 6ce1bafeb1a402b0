//! `@path` imports in `CLAUDE.md` files (Claude Code semantics): an `@`
//! at the start of a word, outside code spans and fenced code blocks,
//! followed by a path relative to the importing file (`~/` is the home
//! directory; absolute paths are allowed). The imported text replaces the
//! token; imports nest up to [`MAX_DEPTH`] levels, and a file already on
//! the import stack is not imported again (a loop), with a short marker
//! saying so. A missing file leaves the token as written.

use std::io::Read;
use std::path::{Path, PathBuf};

/// How deep imports nest: a file imported by the top file is at depth 1.
pub(super) const MAX_DEPTH: usize = 5;

/// Bytes read of any one file; the rest counts as unread (and is cut).
const READ_LIMIT: u64 = 8 * 1024 * 1024;

/// Punctuation that may close a sentence right after an import token
/// ("see @docs/style.md.") and is not part of the path.
const TRAILING: &[char] = &['.', ',', ';', ':', '!', '?', ')', ']', '"', '\''];

/// A file read with lossy UTF-8 (binary files never fail, they read as
/// replacement characters).
pub(super) struct FileText {
    pub text: String,
    /// Bytes past [`READ_LIMIT`], not read.
    pub unread: usize,
}

/// A file with its imports inlined.
pub(super) struct Expanded {
    pub text: String,
    /// Every file imported (canonical paths), first import first, without
    /// repeats.
    pub imports: Vec<PathBuf>,
    /// Bytes of the file and its imports past [`READ_LIMIT`].
    pub unread: usize,
}

/// Whether a file takes `@imports`: Claude Code's files do, Codex's
/// `AGENTS.md` does not.
pub(super) fn takes_imports(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with("CLAUDE"))
}

/// Reads a regular file, at most [`READ_LIMIT`] bytes of it.
pub(super) fn read_limited(path: &Path) -> Option<FileText> {
    let file = std::fs::File::open(path).ok()?;
    let meta = file.metadata().ok()?;
    if !meta.is_file() {
        return None;
    }
    let mut bytes = Vec::new();
    file.take(READ_LIMIT).read_to_end(&mut bytes).ok()?;
    let unread = (meta.len().saturating_sub(bytes.len() as u64)) as usize;
    Some(FileText {
        text: String::from_utf8_lossy(&bytes).into_owned(),
        unread,
    })
}

/// Inlines the imports of `text`, the content of `path`.
pub(super) fn expand(path: &Path, text: &str, home: Option<&Path>) -> Expanded {
    let mut state = State {
        home,
        stack: vec![canonical(path)],
        imports: Vec::new(),
        unread: 0,
    };
    let text = state.expand(text, path.parent().unwrap_or(Path::new("/")), 0);
    Expanded {
        text,
        imports: state.imports,
        unread: state.unread,
    }
}

struct State<'a> {
    home: Option<&'a Path>,
    /// The files being imported, outermost first (canonical paths).
    stack: Vec<PathBuf>,
    imports: Vec<PathBuf>,
    unread: usize,
}

impl State<'_> {
    /// `text` with its import tokens replaced; `depth` is the depth of
    /// the file `text` comes from.
    fn expand(&mut self, text: &str, base: &Path, depth: usize) -> String {
        let mut out = String::with_capacity(text.len());
        let mut fence: Option<(char, usize)> = None;
        for line in text.split_inclusive('\n') {
            match fence {
                Some((ch, len)) => {
                    if closes_fence(line, ch, len) {
                        fence = None;
                    }
                    out.push_str(line);
                }
                None => {
                    fence = opens_fence(line);
                    if fence.is_some() {
                        out.push_str(line);
                    } else {
                        self.expand_line(line, base, depth, &mut out);
                    }
                }
            }
        }
        out
    }

    fn expand_line(&mut self, line: &str, base: &Path, depth: usize, out: &mut String) {
        let spans = code_spans(line);
        let mut copied = 0;
        for (at, _) in line.match_indices('@') {
            let word_start = line[..at]
                .chars()
                .next_back()
                .is_none_or(char::is_whitespace);
            if at < copied || !word_start || spans.iter().any(|&(s, e)| at >= s && at < e) {
                continue;
            }
            let end = line[at..]
                .find(char::is_whitespace)
                .map_or(line.len(), |i| at + i);
            let token = &line[at + 1..end];
            let Some((file, used)) = self.resolve(token, base) else {
                continue;
            };
            out.push_str(&line[copied..at]);
            out.push_str(&self.import(&file, &token[..used], depth + 1));
            copied = at + 1 + used;
        }
        out.push_str(&line[copied..]);
    }

    /// The file a token names and how many of its bytes form the path
    /// (trailing punctuation may not), when that file exists.
    fn resolve(&self, token: &str, base: &Path) -> Option<(PathBuf, usize)> {
        let trimmed = token.trim_end_matches(TRAILING);
        for candidate in [token, trimmed] {
            if candidate.is_empty() {
                continue;
            }
            let path = match (candidate.strip_prefix("~/"), self.home) {
                (Some(rest), Some(home)) => home.join(rest),
                (Some(_), None) => continue,
                _ => base.join(candidate),
            };
            if path.is_file() {
                return Some((path, candidate.len()));
            }
        }
        None
    }

    /// The text that replaces `@token` naming `file`.
    fn import(&mut self, file: &Path, token: &str, depth: usize) -> String {
        let key = canonical(file);
        if self.stack.contains(&key) {
            return format!("[import skipped: @{token} is already being imported (a loop)]");
        }
        if depth > MAX_DEPTH {
            return format!(
                "[import not followed: @{token} is more than {MAX_DEPTH} imports deep]"
            );
        }
        let Some(read) = read_limited(file) else {
            return format!("@{token}");
        };
        if !self.imports.contains(&key) {
            self.imports.push(key.clone());
        }
        self.unread += read.unread;
        self.stack.push(key);
        let base = file.parent().unwrap_or(Path::new("/"));
        let text = self.expand(&read.text, base, depth);
        self.stack.pop();
        text.trim_end_matches('\n').to_string()
    }
}

fn canonical(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}

/// A fence opening on this line: its character and length.
fn opens_fence(line: &str) -> Option<(char, usize)> {
    let trimmed = line.trim_start_matches(' ');
    if line.len() - trimmed.len() > 3 {
        return None;
    }
    let ch = trimmed.chars().next().filter(|c| matches!(c, '`' | '~'))?;
    let len = trimmed.chars().take_while(|&c| c == ch).count();
    (len >= 3).then_some((ch, len))
}

/// Whether this line closes a fence of `len` `ch`s.
fn closes_fence(line: &str, ch: char, len: usize) -> bool {
    let trimmed = line.trim_start_matches(' ');
    let run = trimmed.chars().take_while(|&c| c == ch).count();
    line.len() - trimmed.len() <= 3 && run >= len && trimmed[run..].trim().is_empty()
}

/// Byte ranges of the inline code spans of a line: a run of backticks up
/// to the next run of the same length (an unmatched run is plain text).
fn code_spans(line: &str) -> Vec<(usize, usize)> {
    let bytes = line.as_bytes();
    let run_at = |i: usize| bytes[i..].iter().take_while(|&&b| b == b'`').count();
    let mut spans = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'`' {
            i += 1;
            continue;
        }
        let open = run_at(i);
        let mut j = i + open;
        let mut close = None;
        while j < bytes.len() {
            if bytes[j] == b'`' {
                let run = run_at(j);
                if run == open {
                    close = Some(j + run);
                    break;
                }
                j += run;
            } else {
                j += 1;
            }
        }
        match close {
            Some(end) => {
                spans.push((i, end));
                i = end;
            }
            None => i += open,
        }
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn imports_are_relative_to_the_importing_file_and_nest() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = &tmp.path().canonicalize().unwrap();
        let top = write(dir, "CLAUDE.md", "Rules: @docs/style.md.\nEnd.\n");
        write(dir, "docs/style.md", "Use tabs. @more/x.md\n");
        write(dir, "docs/more/x.md", "Deep.\n");
        let e = expand(&top, &std::fs::read_to_string(&top).unwrap(), None);
        assert_eq!(e.text, "Rules: Use tabs. Deep..\nEnd.\n");
        assert_eq!(
            e.imports,
            [dir.join("docs/style.md"), dir.join("docs/more/x.md")]
        );
    }

    #[test]
    fn home_and_absolute_paths_import_and_missing_ones_stay() {
        let dir = tempfile::tempdir().unwrap();
        let home = tempfile::tempdir().unwrap();
        write(home.path(), "prefs.md", "from home");
        let abs = write(dir.path(), "abs.md", "absolute");
        let text = format!(
            "@~/prefs.md and @{} and @nowhere.md and a@b.md",
            abs.display()
        );
        let top = write(dir.path(), "CLAUDE.md", &text);
        let e = expand(&top, &text, Some(home.path()));
        assert_eq!(e.text, "from home and absolute and @nowhere.md and a@b.md");
    }

    #[test]
    fn code_spans_and_fenced_blocks_are_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "x.md", "X");
        let text = "`@x.md` ``a ` @x.md`` @x.md\n```sh\n@x.md\n```\n~~~~\n@x.md\n~~~~\n@x.md\n";
        let top = write(dir.path(), "CLAUDE.md", text);
        let e = expand(&top, text, None);
        assert_eq!(
            e.text,
            "`@x.md` ``a ` @x.md`` X\n```sh\n@x.md\n```\n~~~~\n@x.md\n~~~~\nX\n"
        );
    }

    #[test]
    fn a_loop_is_cut_with_a_marker() {
        let dir = tempfile::tempdir().unwrap();
        let top = write(dir.path(), "CLAUDE.md", "top @a.md");
        write(dir.path(), "a.md", "a @b.md");
        write(dir.path(), "b.md", "b @a.md @CLAUDE.md");
        let e = expand(&top, "top @a.md", None);
        assert_eq!(
            e.text,
            "top a b [import skipped: @a.md is already being imported (a loop)] \
             [import skipped: @CLAUDE.md is already being imported (a loop)]"
        );
    }

    #[test]
    fn imports_stop_at_depth_five() {
        let dir = tempfile::tempdir().unwrap();
        let top = write(dir.path(), "CLAUDE.md", "0 @1.md");
        for i in 1..=6 {
            write(
                dir.path(),
                &format!("{i}.md"),
                &format!("{i} @{}.md", i + 1),
            );
        }
        write(dir.path(), "7.md", "7");
        let e = expand(&top, "0 @1.md", None);
        assert_eq!(
            e.text,
            "0 1 2 3 4 5 [import not followed: @6.md is more than 5 imports deep]"
        );
        assert_eq!(e.imports.len(), 5);
    }

    #[test]
    fn binary_imports_read_lossily() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("bin.md"), [0xff, 0xfe, b'o', b'k', 0]).unwrap();
        let top = write(dir.path(), "CLAUDE.md", "@bin.md");
        let e = expand(&top, "@bin.md", None);
        assert_eq!(e.text, "\u{fffd}\u{fffd}ok\0");
        assert!(takes_imports(&top) && !takes_imports(Path::new("AGENTS.md")));
    }
}
