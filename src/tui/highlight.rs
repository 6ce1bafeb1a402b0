//! Syntax highlighting of code with syntect, using bat's syntax set (from
//! `two-face`) and syntect's default themes.
//!
//! Both sets are binary dumps deserialised lazily on first use (tens of
//! milliseconds, never paid at start-up). Highlighting is capped so a
//! minified file or a huge paste cannot stall a frame: lines longer than
//! 500 bytes and everything past 2,000 lines of a block are drawn plain.
//!
//! Markdown rendering re-highlights the same code blocks on every frame of a
//! stream, so finished blocks are kept in a small cache and a growing block
//! resumes from the parser state at its last complete line.

use std::sync::{Mutex, OnceLock};

use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use syntect::easy::HighlightLines;
use syntect::highlighting::{FontStyle, HighlightState, ThemeSet};
use syntect::parsing::{ParseState, SyntaxReference, SyntaxSet};

use super::theme::{ColorDepth, Theme};

/// Lines longer than this (in bytes) are drawn plain: minified code would
/// cost milliseconds per line and its colours help nobody.
const MAX_LINE_BYTES: usize = 500;

/// Lines of one block highlighted at most; the rest is drawn plain.
const MAX_LINES: usize = 2_000;

/// The syntect theme used when the UI theme names one that does not exist.
const FALLBACK_THEME: &str = "base16-ocean.dark";

/// How many highlighted blocks the cache keeps.
const CACHE_ENTRIES: usize = 16;

fn syntax_set() -> &'static SyntaxSet {
    static SET: OnceLock<SyntaxSet> = OnceLock::new();
    SET.get_or_init(two_face::syntax::extra_newlines)
}

fn theme_set() -> &'static ThemeSet {
    static SET: OnceLock<ThemeSet> = OnceLock::new();
    SET.get_or_init(ThemeSet::load_defaults)
}

/// The syntax for a file path, by its file name (`Makefile`, `Dockerfile`)
/// or extension (`rs`, `tsx`); `None` when no syntax knows it. The diff
/// viewer picks its syntax this way; code fences fall back to it when their
/// info string is a file name (```` ```src/main.rs ````).
pub fn syntax_for_path(path: &str) -> Option<&'static SyntaxReference> {
    let ss = syntax_set();
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    if name.is_empty() {
        return None;
    }
    if let Some(s) = ss.find_syntax_by_extension(name) {
        return Some(s);
    }
    let (_, ext) = name.rsplit_once('.')?;
    if ext.is_empty() {
        return None;
    }
    ss.find_syntax_by_extension(ext)
        .or_else(|| ss.find_syntax_by_extension(&ext.to_ascii_lowercase()))
}

/// The syntax for a code fence's info string: its first token as a language
/// name or extension (`rust`, `py`, `c++`), then as a file name; `None` for
/// plain text and unknown languages.
fn syntax_for_fence(info: &str) -> Option<&'static SyntaxReference> {
    let token = info
        .split(|c: char| c.is_whitespace() || c == ',' || c == '{' || c == '}')
        .find(|t| !t.is_empty())?
        .trim_start_matches('.');
    let lower = token.to_ascii_lowercase();
    let alias = match lower.as_str() {
        "" | "text" | "txt" | "plain" | "plaintext" | "none" => return None,
        "shell" | "console" | "shellsession" | "sh-session" | "zsh" => "bash",
        "c++" => "cpp",
        "golang" => "go",
        "jsonc" | "json5" => "json",
        "patch" => "diff",
        "dockerfile" => "Dockerfile",
        other => other,
    };
    let ss = syntax_set();
    ss.find_syntax_by_token(alias)
        .or_else(|| syntax_for_path(token))
}

/// Highlights `code` as `lang` (a fence info string such as `rust` or
/// `py title="x"`; when absent, the first line decides, e.g. a shebang) and
/// returns one line per source line, unwrapped and without trailing
/// newlines. Unknown languages, and every colour under `NO_COLOR`, come out
/// plain in `theme.code` (or no colour at all) so code still stands apart
/// from prose.
pub fn highlight_code(code: &str, lang: Option<&str>, theme: &Theme) -> Vec<Line<'static>> {
    if !theme.colored {
        return plain_lines(code, Style::new());
    }
    let syntax = match lang {
        Some(info) => syntax_for_fence(info),
        None => code
            .lines()
            .next()
            .and_then(|first| syntax_set().find_syntax_by_first_line(first)),
    };
    let Some(syntax) = syntax else {
        return plain_lines(code, theme.code);
    };
    let themes = theme_set();
    let Some(syn_theme) = themes
        .themes
        .get(&theme.syntax)
        .or_else(|| themes.themes.get(FALLBACK_THEME))
    else {
        return plain_lines(code, theme.code);
    };
    let key = CacheKey {
        syntax: syntax.name.clone(),
        theme: theme.syntax.clone(),
        depth: theme.depth(),
        code_style: theme.code,
    };
    let mut cache = cache().lock().unwrap_or_else(|e| e.into_inner());
    let (mut highlighter, mut out, done) = match cache.take_prefix(&key, code) {
        Some(hit) => {
            let (hs, ps) = hit.state;
            let h = HighlightLines::from_state(syn_theme, hs, ps);
            (h, hit.lines, hit.text.len())
        }
        None => (HighlightLines::new(syntax, syn_theme), Vec::new(), 0),
    };
    let mut offset = done;
    let mut failed = false;
    for raw in code[done..].split_inclusive('\n') {
        if !raw.ends_with('\n') || out.len() >= MAX_LINES {
            break;
        }
        if raw.len() > MAX_LINE_BYTES {
            // Skipped by the parser: the next lines start from the state
            // before it, which is still deterministic, so caching holds.
            out.extend(plain_lines(raw, theme.code));
        } else {
            match highlighter.highlight_line(raw, syntax_set()) {
                Ok(ranges) => out.push(styled_line(&ranges, theme)),
                Err(_) => {
                    failed = true;
                    break;
                }
            }
        }
        offset += raw.len();
    }
    let rest = &code[offset..];
    if failed {
        out.extend(plain_lines(rest, theme.code));
        return out;
    }
    let mut result = out.clone();
    let (hs, ps) = highlighter.state();
    if out.len() >= MAX_LINES || rest.contains('\n') || rest.len() > MAX_LINE_BYTES {
        result.extend(plain_lines(rest, theme.code));
    } else if !rest.is_empty() {
        // The last, unfinished line is highlighted on a copy of the state: it
        // will be seen again, finished, on a later call.
        let mut probe = HighlightLines::from_state(syn_theme, hs.clone(), ps.clone());
        match probe.highlight_line(rest, syntax_set()) {
            Ok(ranges) => result.push(styled_line(&ranges, theme)),
            Err(_) => result.extend(plain_lines(rest, theme.code)),
        }
    }
    cache.put(Entry {
        key,
        text: code[..offset].to_string(),
        lines: out,
        state: (hs, ps),
    });
    result
}

/// One highlighted line as spans, its newline dropped, colours mapped to the
/// terminal's depth.
fn styled_line(ranges: &[(syntect::highlighting::Style, &str)], theme: &Theme) -> Line<'static> {
    let spans: Vec<Span<'static>> = ranges
        .iter()
        .filter_map(|(style, text)| {
            let text = clean(text.trim_end_matches(['\n', '\r']));
            if text.is_empty() {
                return None;
            }
            Some(Span::styled(text, to_style(style, theme)))
        })
        .collect();
    Line::from(spans)
}

/// A syntect style as a ratatui style at the theme's colour depth.
fn to_style(style: &syntect::highlighting::Style, theme: &Theme) -> Style {
    let fg = style.foreground;
    let mut s = Style::new();
    if let Some(c) = theme.color(fg.r, fg.g, fg.b) {
        s = s.fg(c);
    }
    if style.font_style.contains(FontStyle::BOLD) {
        s = s.add_modifier(Modifier::BOLD);
    }
    if style.font_style.contains(FontStyle::ITALIC) {
        s = s.add_modifier(Modifier::ITALIC);
    }
    if style.font_style.contains(FontStyle::UNDERLINE) {
        s = s.add_modifier(Modifier::UNDERLINED);
    }
    s
}

/// Highlights a sequence of lines (one side of a diff hunk) from a fresh
/// parser state, line by line, so the diff viewer can highlight only the
/// hunks it shows and stop wherever it likes. Returns raw style runs rather
/// than spans because the caller splits them again at word-emphasis ranges.
pub(crate) struct LineHighlighter {
    lines: HighlightLines<'static>,
}

impl LineHighlighter {
    /// A fresh highlighter for `syntax` in the theme's syntect theme; `None`
    /// when colour is off or no syntect theme is available.
    pub(crate) fn new(syntax: &'static SyntaxReference, theme: &Theme) -> Option<Self> {
        if !theme.colored {
            return None;
        }
        let themes = theme_set();
        let syn_theme = themes
            .themes
            .get(&theme.syntax)
            .or_else(|| themes.themes.get(FALLBACK_THEME))?;
        Some(Self {
            lines: HighlightLines::new(syntax, syn_theme),
        })
    }

    /// The style runs `(style, byte length)` covering `text` (one line, no
    /// line ending). `None` (draw it plain) for lines over 500 bytes, which
    /// the parser skips, and when the parser fails.
    pub(crate) fn next_line(&mut self, text: &str, theme: &Theme) -> Option<Vec<(Style, usize)>> {
        if text.len() > MAX_LINE_BYTES {
            return None;
        }
        let mut raw = String::with_capacity(text.len() + 1);
        raw.push_str(text);
        raw.push('\n');
        let ranges = self.lines.highlight_line(&raw, syntax_set()).ok()?;
        let mut out = Vec::with_capacity(ranges.len());
        let mut left = text.len();
        for (style, piece) in ranges {
            let len = piece.len().min(left);
            if len > 0 {
                out.push((to_style(&style, theme), len));
                left -= len;
            }
        }
        Some(out)
    }
}

/// `code` split into unhighlighted lines of one style.
fn plain_lines(code: &str, style: Style) -> Vec<Line<'static>> {
    code.lines()
        .map(|l| Line::from(Span::styled(clean(l), style)))
        .collect()
}

/// Code text safe to draw: tabs expanded to four columns, control
/// characters (escape sequences a model may echo or a file may hold)
/// dropped.
pub(crate) fn clean(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\t' => out.push_str("    "),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// What a cached highlight depends on besides the text.
#[derive(PartialEq)]
struct CacheKey {
    syntax: String,
    theme: String,
    depth: ColorDepth,
    code_style: Style,
}

/// The highlighted complete lines of one block and the parser state after
/// them, so a block that grew can resume where it stopped.
struct Entry {
    key: CacheKey,
    text: String,
    lines: Vec<Line<'static>>,
    state: (HighlightState, ParseState),
}

/// Most recently used first.
struct Cache {
    entries: Vec<Entry>,
}

impl Cache {
    /// Removes and returns the longest entry whose text starts `code`.
    fn take_prefix(&mut self, key: &CacheKey, code: &str) -> Option<Entry> {
        let best = self
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.key == *key && code.starts_with(e.text.as_str()))
            .max_by_key(|(_, e)| e.text.len())
            .map(|(i, _)| i)?;
        Some(self.entries.remove(best))
    }

    fn put(&mut self, entry: Entry) {
        self.entries.insert(0, entry);
        self.entries.truncate(CACHE_ENTRIES);
    }
}

fn cache() -> &'static Mutex<Cache> {
    static CACHE: OnceLock<Mutex<Cache>> = OnceLock::new();
    CACHE.get_or_init(|| {
        Mutex::new(Cache {
            entries: Vec::new(),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::style::Color;

    fn dark() -> Theme {
        Theme::built_in("dark", ColorDepth::TrueColor).unwrap()
    }

    fn text(lines: &[Line]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    fn colours(lines: &[Line]) -> usize {
        let mut set = std::collections::HashSet::new();
        for l in lines {
            for s in &l.spans {
                if let Some(c) = s.style.fg {
                    set.insert(format!("{c:?}"));
                }
            }
        }
        set.len()
    }

    const RUST: &str = "fn main() {\n    let x: u32 = 42; // answer\n    println!(\"{x}\");\n}\n";

    #[test]
    fn rust_gets_several_colours() {
        let lines = highlight_code(RUST, Some("rust"), &dark());
        assert_eq!(
            text(&lines),
            [
                "fn main() {",
                "    let x: u32 = 42; // answer",
                "    println!(\"{x}\");",
                "}"
            ]
        );
        assert!(colours(&lines) >= 3, "{lines:?}");
        assert!(
            lines[0]
                .spans
                .iter()
                .all(|s| matches!(s.style.fg, Some(Color::Rgb(..))))
        );
    }

    #[test]
    fn colours_follow_the_terminal_depth() {
        let t = Theme::built_in("dark", ColorDepth::Ansi256).unwrap();
        let lines = highlight_code(RUST, Some("rs"), &t);
        assert!(
            lines
                .iter()
                .flat_map(|l| &l.spans)
                .all(|s| matches!(s.style.fg, Some(Color::Indexed(_))))
        );
    }

    #[test]
    fn no_color_means_no_colour() {
        let t = Theme::built_in("dark", ColorDepth::None).unwrap();
        let lines = highlight_code(RUST, Some("rust"), &t);
        assert_eq!(lines.len(), 4);
        assert!(
            lines
                .iter()
                .flat_map(|l| &l.spans)
                .all(|s| s.style.fg.is_none() && s.style.bg.is_none())
        );
    }

    #[test]
    fn unknown_language_is_plain() {
        let t = dark();
        let lines = highlight_code("foo bar\nbaz", Some("klingon"), &t);
        assert_eq!(text(&lines), ["foo bar", "baz"]);
        assert!(
            lines
                .iter()
                .flat_map(|l| &l.spans)
                .all(|s| s.style == t.code)
        );
        assert_eq!(colours(&highlight_code("x = 1\n", None, &t)), 1);
    }

    #[test]
    fn languages_are_found_by_alias_path_and_first_line() {
        let t = dark();
        for lang in [
            "python",
            "py",
            "shell",
            "c++",
            "src/lib.rs",
            "rust,ignore",
            "{.toml}",
        ] {
            let code = "a = \"b\" # c\n";
            assert!(
                colours(&highlight_code(code, Some(lang), &t)) >= 2,
                "{lang}"
            );
        }
        let script = "#!/usr/bin/env python3\nimport os\nprint(os.name)\n";
        assert!(colours(&highlight_code(script, None, &t)) >= 2);
        assert_eq!(syntax_for_path("x/Makefile").unwrap().name, "Makefile");
        assert_eq!(syntax_for_path("a/b.RS").unwrap().name, "Rust");
        assert!(syntax_for_path("notes").is_none());
        assert!(syntax_for_path("").is_none());
    }

    #[test]
    fn long_lines_and_long_blocks_are_plain() {
        let t = dark();
        let long = format!("let v = [{}];\nlet y = 1;\n", "1, ".repeat(300));
        let lines = highlight_code(&long, Some("rust"), &t);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].spans.len(), 1);
        assert_eq!(lines[0].spans[0].style, t.code);
        assert!(lines[1].spans.len() > 1);
        let many = "let a = 1;\n".repeat(MAX_LINES + 5);
        let lines = highlight_code(&many, Some("rust"), &t);
        assert_eq!(lines.len(), MAX_LINES + 5);
        assert!(lines[0].spans.len() > 1);
        assert_eq!(lines[MAX_LINES + 1].spans.len(), 1);
    }

    #[test]
    fn streaming_prefixes_match_a_fresh_highlight() {
        let t = dark();
        let code = "/* a\n comment */\nfn f() -> &'static str {\n    \"s\\\n t\"\n}\n";
        for end in 0..=code.len() {
            if !code.is_char_boundary(end) {
                continue;
            }
            let streamed = highlight_code(&code[..end], Some("rust"), &t);
            assert_eq!(streamed.len(), code[..end].lines().count());
        }
        let streamed = highlight_code(code, Some("rust"), &t);
        cache().lock().unwrap().entries.clear();
        let fresh = highlight_code(code, Some("rust"), &t);
        assert_eq!(streamed, fresh);
    }

    #[test]
    fn tabs_and_escapes_are_made_safe() {
        let lines = highlight_code("\tx\x1b[2J\n", Some("rust"), &dark());
        assert_eq!(text(&lines), ["    x[2J"]);
    }
}
