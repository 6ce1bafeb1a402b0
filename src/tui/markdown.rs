//! Markdown to styled terminal lines, wrapped to a width.
//!
//! Assistant messages are CommonMark with GitHub's tables, strikethrough and
//! task lists. [`render_markdown`] walks pulldown-cmark's events once and
//! produces lines no wider than the given width:
//!
//! - prose is word-wrapped by display columns (wide CJK and emoji count two;
//!   clusters are never split), a word longer than the line is broken;
//! - containers (block quotes `│ `, list markers) become a prefix on every
//!   line; list items hang, so wrapped lines align with the item's text;
//! - code blocks are highlighted ([`super::highlight`]) behind a `▏ ` gutter
//!   and never word-wrapped: a line longer than the width is soft-wrapped at
//!   the column, its continuation rows marked with a `┆ ` gutter, so no
//!   code is hidden and no whitespace is lost;
//! - tables get columns fitted to their content and shrunk to the width,
//!   cells word-wrapped inside box-drawing borders.
//!
//! Streaming calls it again on every growing prefix of a message; every
//! input renders (an unclosed fence is a code block so far), and it is pure,
//! so the caller caches by (text, width, theme).

mod table;
mod wrap;

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use self::table::Table;
use self::wrap::{Piece, Row, keep_right, row_width, width, wrap, wrap_chars};
use super::highlight::highlight_code;
use super::theme::Theme;

/// Gutter of a code line, and of the rows a long code line wraps onto.
const CODE_GUTTER: &str = "▏ ";
const CODE_CONTINUATION: &str = "┆ ";

/// Bullets by nesting depth.
const BULLETS: [&str; 3] = ["•", "◦", "▪"];

/// Renders `text` as markdown into lines at most `width` columns wide
/// (none when `width` is 0). Never panics, whatever the input: it is fed
/// half-written messages while they stream.
pub fn render_markdown(text: &str, width: u16, theme: &Theme) -> Vec<Line<'static>> {
    if width == 0 {
        return Vec::new();
    }
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let mut r = Renderer::new(usize::from(width), theme);
    for event in Parser::new_ext(text, options) {
        r.event(event);
    }
    r.finish()
}

/// A block that prefixes every line inside it.
enum Container {
    Quote,
    /// A list item: its marker on the first line, blanks of the same width
    /// after that (the hanging indent).
    Item {
        marker: Row,
        used: bool,
    },
}

struct CodeBlock {
    info: Option<String>,
    text: String,
}

struct Link {
    url: String,
    /// Where the link's text starts in the inline buffer.
    start: usize,
}

struct Renderer<'t> {
    theme: &'t Theme,
    width: usize,
    lines: Vec<Line<'static>>,
    containers: Vec<Container>,
    /// Open lists: the next number of an ordered one, `None` for bullets.
    lists: Vec<Option<u64>>,
    /// Inline modifiers and colours in effect, innermost last.
    styles: Vec<Style>,
    heading: Option<HeadingLevel>,
    /// Text of the paragraph, heading, item or cell being built.
    inline: Vec<Piece>,
    links: Vec<Link>,
    code: Option<CodeBlock>,
    table: Option<Table>,
    /// A block ended: the next line is preceded by a blank one.
    need_blank: bool,
}

impl<'t> Renderer<'t> {
    fn new(width: usize, theme: &'t Theme) -> Self {
        Renderer {
            theme,
            width,
            lines: Vec::new(),
            containers: Vec::new(),
            lists: Vec::new(),
            styles: Vec::new(),
            heading: None,
            inline: Vec::new(),
            links: Vec::new(),
            code: None,
            table: None,
            need_blank: false,
        }
    }

    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(text) => match &mut self.code {
                Some(code) => code.text.push_str(&text),
                None => self.text(&text),
            },
            Event::Code(code) => {
                let style = self.style().patch(self.theme.code);
                self.push(&code, style);
            }
            Event::Html(html) | Event::InlineHtml(html) => self.text(&html),
            Event::InlineMath(math) | Event::DisplayMath(math) => self.text(&math),
            Event::FootnoteReference(name) => {
                let style = self.style().patch(self.theme.dim);
                self.push(&format!("[^{name}]"), style);
            }
            Event::SoftBreak => self.text(" "),
            Event::HardBreak => self.inline.push(Piece::new("\n", Style::new())),
            Event::Rule => {
                self.flush();
                let avail = self.available();
                self.emit(vec![("─".repeat(avail), self.theme.border)]);
                self.need_blank = true;
            }
            Event::TaskListMarker(done) => {
                let (mark, style) = if done {
                    ("[x] ", self.theme.success)
                } else {
                    ("[ ] ", self.theme.dim)
                };
                match self.containers.last_mut() {
                    Some(Container::Item {
                        marker,
                        used: false,
                    }) => {
                        marker.push((mark.to_string(), style));
                    }
                    _ => self.push(mark, style),
                }
            }
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::Paragraph => self.flush(),
            Tag::Heading { level, .. } => {
                self.flush();
                self.heading = Some(level);
            }
            Tag::BlockQuote(_) => {
                self.flush();
                self.open(Container::Quote);
            }
            Tag::CodeBlock(kind) => {
                self.flush();
                let info = match kind {
                    CodeBlockKind::Fenced(info) if !info.trim().is_empty() => {
                        Some(info.to_string())
                    }
                    _ => None,
                };
                self.code = Some(CodeBlock {
                    info,
                    text: String::new(),
                });
            }
            Tag::HtmlBlock => self.flush(),
            Tag::List(first) => {
                self.flush();
                self.lists.push(first);
            }
            Tag::Item => {
                self.flush();
                let accent = self.theme.accent;
                let depth = self.lists.len().saturating_sub(1);
                let marker = match self.lists.last_mut() {
                    Some(Some(n)) => {
                        let m = format!("{n}. ");
                        *n = n.saturating_add(1);
                        m
                    }
                    _ => format!("{} ", BULLETS[depth % BULLETS.len()]),
                };
                self.open(Container::Item {
                    marker: vec![(marker, accent)],
                    used: false,
                });
            }
            Tag::Table(aligns) => {
                self.flush();
                self.table = Some(Table {
                    aligns,
                    ..Table::default()
                });
            }
            Tag::TableHead | Tag::TableRow => {
                if let Some(t) = &mut self.table {
                    t.rows.push(Vec::new());
                }
            }
            Tag::TableCell => self.inline.clear(),
            Tag::Emphasis => self.push_style(Style::new().add_modifier(Modifier::ITALIC)),
            Tag::Strong => self.push_style(Style::new().add_modifier(Modifier::BOLD)),
            Tag::Strikethrough => {
                self.push_style(Style::new().add_modifier(Modifier::CROSSED_OUT));
            }
            Tag::Link { dest_url, .. } => {
                self.push_style(self.theme.link);
                self.links.push(Link {
                    url: dest_url.to_string(),
                    start: self.inline.len(),
                });
            }
            Tag::Image { dest_url, .. } => {
                let style = self.style().patch(self.theme.dim);
                self.push("image: ", style);
                self.push_style(self.theme.link);
                self.links.push(Link {
                    url: dest_url.to_string(),
                    start: self.inline.len(),
                });
            }
            Tag::Superscript
            | Tag::Subscript
            | Tag::FootnoteDefinition(_)
            | Tag::DefinitionList
            | Tag::DefinitionListTitle
            | Tag::DefinitionListDefinition
            | Tag::MetadataBlock(_) => self.push_style(Style::new()),
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph | TagEnd::HtmlBlock => self.end_block(),
            TagEnd::Heading(_) => {
                self.flush();
                self.heading = None;
                self.need_blank = true;
            }
            TagEnd::BlockQuote(_) => {
                self.flush();
                if let Some(i) = self
                    .containers
                    .iter()
                    .rposition(|c| matches!(c, Container::Quote))
                {
                    self.containers.truncate(i);
                }
                self.need_blank = true;
            }
            TagEnd::CodeBlock => self.code_block(),
            TagEnd::List(_) => {
                self.flush();
                self.lists.pop();
                if self.lists.is_empty() {
                    self.need_blank = true;
                }
            }
            TagEnd::Item => {
                self.flush();
                if let Some(i) = self
                    .containers
                    .iter()
                    .rposition(|c| matches!(c, Container::Item { .. }))
                {
                    self.containers.truncate(i);
                }
            }
            TagEnd::Table => self.table(),
            TagEnd::TableHead => {
                if let Some(t) = &mut self.table {
                    t.header_rows = t.rows.len();
                }
            }
            TagEnd::TableRow => {}
            TagEnd::TableCell => {
                let cell = std::mem::take(&mut self.inline);
                if let Some(row) = self.table.as_mut().and_then(|t| t.rows.last_mut()) {
                    row.push(cell);
                }
            }
            TagEnd::Link | TagEnd::Image => {
                self.styles.pop();
                if let Some(link) = self.links.pop() {
                    let text: String = self
                        .inline
                        .get(link.start..)
                        .unwrap_or_default()
                        .iter()
                        .map(|p| p.text.as_str())
                        .collect();
                    let same =
                        link.url == text || link.url.strip_prefix("mailto:") == Some(text.as_str());
                    if !link.url.is_empty() && !same {
                        let style = self.style().patch(self.theme.dim);
                        self.push(&format!(" ({})", link.url), style);
                    }
                }
            }
            TagEnd::Emphasis
            | TagEnd::Strong
            | TagEnd::Strikethrough
            | TagEnd::Superscript
            | TagEnd::Subscript
            | TagEnd::FootnoteDefinition
            | TagEnd::DefinitionList
            | TagEnd::DefinitionListTitle
            | TagEnd::DefinitionListDefinition
            | TagEnd::MetadataBlock(_) => {
                self.styles.pop();
            }
        }
    }

    /// Enters a container. A pending blank line is drawn first, with the
    /// prefix of the containers it separates rather than the new one's.
    fn open(&mut self, container: Container) {
        if self.need_blank && !self.lines.is_empty() {
            let blank = self.prefix(true);
            self.lines.push(to_line(blank));
            self.need_blank = false;
        }
        self.containers.push(container);
    }

    fn end_block(&mut self) {
        self.flush();
        self.need_blank = true;
    }

    fn push_style(&mut self, style: Style) {
        self.styles.push(style);
    }

    /// The style of text at this point: base (quote or plain), heading,
    /// then every open inline style.
    fn style(&self) -> Style {
        let theme = self.theme;
        let mut style = theme.text;
        if self
            .containers
            .iter()
            .any(|c| matches!(c, Container::Quote))
        {
            style = style.patch(theme.quote);
        }
        if let Some(level) = self.heading {
            style = style.patch(match level {
                HeadingLevel::H1 => theme.heading.add_modifier(Modifier::UNDERLINED),
                HeadingLevel::H2 => theme.heading,
                HeadingLevel::H3 => theme.heading.add_modifier(Modifier::ITALIC),
                _ => theme
                    .heading
                    .remove_modifier(Modifier::BOLD)
                    .add_modifier(Modifier::ITALIC),
            });
        }
        self.styles.iter().fold(style, |s, p| s.patch(*p))
    }

    /// Adds prose in the current style, made safe to draw: tabs become
    /// spaces, other control characters (escape sequences) are dropped.
    fn text(&mut self, text: &str) {
        let style = self.style();
        self.push(text, style);
    }

    fn push(&mut self, text: &str, style: Style) {
        let text = if text.chars().any(char::is_control) {
            text.chars()
                .filter_map(|c| match c {
                    '\t' => Some(' '),
                    '\n' => Some('\n'),
                    c if c.is_control() => None,
                    c => Some(c),
                })
                .collect()
        } else {
            text.to_string()
        };
        match self.inline.last_mut() {
            Some(last) if last.style == style && self.links.is_empty() => last.text.push_str(&text),
            _ => self.inline.push(Piece::new(text, style)),
        }
    }

    /// Wraps and emits the pending inline text (outside tables, whose cells
    /// keep theirs until the table ends).
    fn flush(&mut self) {
        if self.inline.is_empty() || self.table.is_some() {
            return;
        }
        let mut pieces = std::mem::take(&mut self.inline);
        if let Some(last) = pieces.last_mut() {
            let trimmed = last.text.trim_end_matches('\n').len();
            last.text.truncate(trimmed);
        }
        for row in wrap(&pieces, self.available()) {
            self.emit(row);
        }
    }

    /// Columns left for content after the container prefix.
    fn available(&self) -> usize {
        let prefix: usize = self
            .containers
            .iter()
            .map(|c| match c {
                Container::Quote => 2,
                Container::Item { marker, .. } => row_width(marker),
            })
            .sum();
        self.width - prefix.min(self.max_prefix())
    }

    /// The widest prefix allowed: content keeps at least a third of the
    /// width, however deep the nesting.
    fn max_prefix(&self) -> usize {
        self.width - (self.width / 3).max(1)
    }

    /// Appends one line of content behind the container prefix, after a
    /// blank line if a block just ended.
    fn emit(&mut self, content: Row) {
        if self.need_blank && !self.lines.is_empty() {
            let blank = self.prefix(true);
            self.lines.push(to_line(blank));
        }
        self.need_blank = false;
        let mut row = self.prefix(false);
        row.extend(content);
        self.lines.push(to_line(row));
    }

    /// The container prefix of the next line. A blank line shows only the
    /// quote bars; list markers are drawn once, then become indentation.
    fn prefix(&mut self, blank: bool) -> Row {
        let quote = self.theme.quote;
        let mut row: Row = Vec::new();
        for c in &mut self.containers {
            match c {
                Container::Quote => row.push(("│ ".to_string(), quote)),
                Container::Item { marker, used } => {
                    if blank || *used {
                        row.push((" ".repeat(row_width(marker)), Style::new()));
                    } else {
                        *used = true;
                        row.extend(marker.iter().cloned());
                    }
                }
            }
        }
        let mut row = keep_right(row, self.max_prefix());
        if blank {
            while let Some((text, _)) = row.last_mut() {
                let trimmed = text.trim_end().len();
                text.truncate(trimmed);
                if !text.is_empty() {
                    break;
                }
                row.pop();
            }
        }
        row
    }

    fn code_block(&mut self) {
        let Some(code) = self.code.take() else {
            return;
        };
        let highlighted = highlight_code(&code.text, code.info.as_deref(), self.theme);
        let gutter_w = width(CODE_GUTTER);
        let avail = self.available().saturating_sub(gutter_w).max(1);
        let gutter = self.theme.dim;
        if highlighted.is_empty() {
            let row = vec![(CODE_GUTTER.to_string(), gutter)];
            self.emit(fit_code_row(row, self.available()));
        }
        for line in highlighted {
            for (i, mut row) in wrap_chars(&line.spans, avail).into_iter().enumerate() {
                let mark = if i == 0 {
                    CODE_GUTTER
                } else {
                    CODE_CONTINUATION
                };
                row.insert(0, (mark.to_string(), gutter));
                self.emit(fit_code_row(row, self.available()));
            }
        }
        self.need_blank = true;
    }

    fn table(&mut self) {
        let Some(table) = self.table.take() else {
            return;
        };
        self.inline.clear();
        for row in table.render(self.available(), self.theme) {
            self.emit(row);
        }
        self.need_blank = true;
    }

    fn finish(mut self) -> Vec<Line<'static>> {
        self.code_block();
        self.table();
        self.flush();
        self.lines
    }
}

/// A code row when the gutter alone is wider than the space (width 1 or 2):
/// the gutter gives way to the code.
fn fit_code_row(mut row: Row, avail: usize) -> Row {
    if row_width(&row) > avail {
        row.remove(0);
    }
    row
}

fn to_line(row: Row) -> Line<'static> {
    Line::from(
        row.into_iter()
            .map(|(t, s)| Span::styled(t, s))
            .collect::<Vec<_>>(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::theme::ColorDepth;
    use ratatui::style::Color;

    fn dark() -> Theme {
        Theme::built_in("dark", ColorDepth::TrueColor).unwrap()
    }

    fn plain(lines: &[Line]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    fn render(md: &str, width: u16) -> Vec<String> {
        plain(&render_markdown(md, width, &dark()))
    }

    /// The span holding `needle` on any line.
    fn span<'a>(lines: &'a [Line<'static>], needle: &str) -> &'a Span<'static> {
        lines
            .iter()
            .flat_map(|l| &l.spans)
            .find(|s| s.content.contains(needle))
            .unwrap_or_else(|| panic!("no span with {needle:?} in {lines:?}"))
    }

    fn assert_fits(lines: &[Line], width: u16, context: &str) {
        for l in lines {
            let w = l.width();
            let plain: String = l.spans.iter().map(|s| s.content.as_ref()).collect();
            assert!(
                w <= usize::from(width),
                "line {plain:?} is {w} wide at width {width} ({context})"
            );
        }
    }

    const SAMPLE: &str = r#"# Fixing the retry loop

The client **retries** on `429` and *5xx* responses, but ~~ignores~~ never reads
`retry-after`. See [the RFC](https://www.rfc-editor.org/rfc/rfc9110) and <https://example.com>.

## Plan

1. Parse the header in `ratelimit.rs`:
   - seconds (`120`)
   - an HTTP date
2. Use it as the backoff floor, capped at 60 s.
3. Add tests.

- [x] reproduce
- [ ] fix

> Note: the server may send both.
>
> > Nested quote with a longer sentence that has to wrap somewhere.

```rust
fn backoff(attempt: u32, retry_after: Option<Duration>) -> Duration {
    let base = Duration::from_millis(250 * 2u64.pow(attempt.min(6)));
    retry_after.map_or(base, |r| r.max(base)).min(Duration::from_secs(60))
}
```

| status | retried | note |
|:-------|:-------:|-----:|
| 429 | yes | honours `retry-after` |
| 503 | yes | |
| 400 | no | a client error, never retried whatever the server says |

---

Done. 中文也可以 👍🏽 <b>raw html</b>
"#;

    #[test]
    fn headings_are_styled_by_level() {
        let t = dark();
        let lines = render_markdown("# One\n\n## Two\n\n#### Four\n\ntext", 40, &t);
        assert_eq!(plain(&lines), ["One", "", "Two", "", "Four", "", "text"]);
        let one = span(&lines, "One").style;
        assert!(
            one.add_modifier
                .contains(Modifier::BOLD | Modifier::UNDERLINED)
        );
        assert_eq!(one.fg, t.heading.fg);
        let two = span(&lines, "Two").style;
        assert!(two.add_modifier.contains(Modifier::BOLD));
        assert!(!two.add_modifier.contains(Modifier::UNDERLINED));
        let four = span(&lines, "Four").style;
        assert!(four.add_modifier.contains(Modifier::ITALIC));
        assert!(!four.add_modifier.contains(Modifier::BOLD));
    }

    #[test]
    fn paragraphs_are_separated_by_one_blank_line() {
        assert_eq!(render("a\nb\n\n\n\nc  \nd", 20), ["a b", "", "c", "d"]);
        assert!(render("", 20).is_empty());
        assert!(render("hello", 0).is_empty());
    }

    #[test]
    fn inline_styles() {
        let t = dark();
        let lines = render_markdown("*it* **bold** ~~gone~~ `code` ***both***", 60, &t);
        assert_eq!(plain(&lines), ["it bold gone code both"]);
        assert!(
            span(&lines, "it")
                .style
                .add_modifier
                .contains(Modifier::ITALIC)
        );
        assert!(
            span(&lines, "bold")
                .style
                .add_modifier
                .contains(Modifier::BOLD)
        );
        assert!(
            span(&lines, "gone")
                .style
                .add_modifier
                .contains(Modifier::CROSSED_OUT)
        );
        assert_eq!(span(&lines, "code").style.fg, t.code.fg);
        let both = span(&lines, "both").style.add_modifier;
        assert!(both.contains(Modifier::BOLD | Modifier::ITALIC));
    }

    #[test]
    fn links_show_their_url_when_it_differs() {
        let t = dark();
        let lines = render_markdown(
            "[docs](https://docs.rs) <https://a.io> [https://b.io](https://b.io) <me@x.org>",
            80,
            &t,
        );
        assert_eq!(
            plain(&lines),
            ["docs (https://docs.rs) https://a.io https://b.io me@x.org"]
        );
        assert_eq!(span(&lines, "docs").style.fg, t.link.fg);
        assert!(
            span(&lines, "docs")
                .style
                .add_modifier
                .contains(Modifier::UNDERLINED)
        );
        assert_eq!(span(&lines, "(https://docs.rs)").style.fg, t.dim.fg);
        assert_eq!(render("![a cat](cat.png)", 40), ["image: a cat (cat.png)"]);
    }

    #[test]
    fn block_quotes_nest() {
        let t = dark();
        let lines = render_markdown("> a\n>\n> b\n> > c\n\nafter", 40, &t);
        assert_eq!(
            plain(&lines),
            ["│ a", "│", "│ b", "│", "│ │ c", "", "after"]
        );
        assert!(
            span(&lines, "a")
                .style
                .add_modifier
                .contains(Modifier::ITALIC)
        );
        assert_eq!(span(&lines, "│").style.fg, t.quote.fg);
        assert_eq!(
            render("> one two three four", 10),
            ["│ one two", "│ three", "│ four"]
        );
    }

    #[test]
    fn lists_nest_and_hang() {
        assert_eq!(
            render("- one\n- two\n  - nested\n    - deeper\n- three", 40),
            ["• one", "• two", "  ◦ nested", "    ▪ deeper", "• three"]
        );
        assert_eq!(
            render("3. three\n4. four\n\nafter", 40),
            ["3. three", "4. four", "", "after"]
        );
        assert_eq!(
            render("- aaa bbb ccc ddd eee", 10),
            ["• aaa bbb", "  ccc ddd", "  eee"]
        );
        assert_eq!(
            render("1. first item text\n   - sub item text", 12),
            [
                "1. first",
                "   item text",
                "   ◦ sub",
                "     item",
                "     text"
            ]
        );
        assert_eq!(
            render("- loose\n\n- list\n\n  second para", 40),
            ["• loose", "", "• list", "", "  second para"]
        );
    }

    #[test]
    fn task_lists_hang_behind_the_box() {
        let t = dark();
        let lines = render_markdown("- [x] done thing\n- [ ] open item", 12, &t);
        assert_eq!(
            plain(&lines),
            ["• [x] done", "      thing", "• [ ] open", "      item"]
        );
        assert_eq!(span(&lines, "[x]").style.fg, t.success.fg);
    }

    #[test]
    fn rules_span_the_width() {
        assert_eq!(
            render("a\n\n---\n\nb", 10),
            ["a", "", "──────────", "", "b"]
        );
        assert_eq!(render("> ***", 6), ["│ ────"]);
    }

    #[test]
    fn tables_fit_their_content() {
        assert_eq!(
            render("| a | b |\n|---|--:|\n| 1 | 22 |\n| x |", 40),
            [
                "┌───┬────┐",
                "│ a │  b │",
                "├───┼────┤",
                "│ 1 │ 22 │",
                "│ x │    │",
                "└───┴────┘"
            ]
        );
        assert_eq!(
            render("|h|\n|:-:|\n|wide cell|", 40),
            [
                "┌───────────┐",
                "│     h     │",
                "├───────────┤",
                "│ wide cell │",
                "└───────────┘"
            ]
        );
    }

    #[test]
    fn narrow_tables_wrap_their_cells() {
        let md = "| key | description |\n|---|---|\n| a | the first letter of the alphabet |";
        let t = dark();
        let lines = render_markdown(md, 24, &t);
        assert_fits(&lines, 24, md);
        assert_eq!(
            plain(&lines),
            [
                "┌─────┬────────────────┐",
                "│ key │ description    │",
                "├─────┼────────────────┤",
                "│ a   │ the first      │",
                "│     │ letter of the  │",
                "│     │ alphabet       │",
                "└─────┴────────────────┘"
            ]
        );
        assert!(
            span(&lines, "key")
                .style
                .add_modifier
                .contains(Modifier::BOLD)
        );
        assert_eq!(span(&lines, "┌").style.fg, t.border.fg);
        // Too many columns for the width: rows become lines of cells.
        assert_eq!(
            render("|a|b|c|\n|-|-|-|\n|1|2|3|", 10),
            ["a │ b │ c", "1 │ 2 │ 3"]
        );
    }

    #[test]
    fn code_blocks_are_highlighted_behind_a_gutter() {
        let t = dark();
        let md = "```rust\nfn main() {\n    let x = 1;\n}\n```\n\nafter";
        let lines = render_markdown(md, 40, &t);
        assert_eq!(
            plain(&lines),
            ["▏ fn main() {", "▏     let x = 1;", "▏ }", "", "after"]
        );
        assert_eq!(lines[0].spans[0].style.fg, t.dim.fg);
        let colours: std::collections::HashSet<_> = lines[..3]
            .iter()
            .flat_map(|l| &l.spans[1..])
            .filter_map(|s| s.style.fg)
            .collect();
        assert!(colours.len() >= 2, "{lines:?}");
        assert!(colours.iter().all(|c| matches!(c, Color::Rgb(..))));
    }

    #[test]
    fn long_code_lines_soft_wrap() {
        assert_eq!(
            render("```\nabcdefghijklmnop\n\tx\n```", 10),
            ["▏ abcdefgh", "┆ ijklmnop", "▏     x"]
        );
        assert_eq!(render("    indented  code", 40), ["▏ indented  code"]);
        assert_eq!(
            render("- item\n\n  ```\n  code\n  ```", 40),
            ["• item", "", "  ▏ code"]
        );
    }

    #[test]
    fn html_is_plain_text() {
        assert_eq!(
            render("<div>\n  hi\n</div>\n\nx <b>y</b>", 40),
            ["<div>", "hi", "</div>", "", "x <b>y</b>"]
        );
    }

    #[test]
    fn wide_characters_never_overflow() {
        let md = "中文字符测试中文字符测试 👍🏽👍🏽👍🏽 🇫🇷🇫🇷 e\u{301}e\u{301}e\u{301} 👨\u{200d}👩\u{200d}👧👨\u{200d}👩\u{200d}👧\n\n- 中文字符测试中文字符测试\n\n| 中文 | 👍 |\n|--|--|\n| 字符测试字符测试 | 🇫🇷🇫🇷🇫🇷 |\n\n```\n中文字符测试中文字符测试\n```";
        let t = dark();
        for w in 1..=30 {
            let lines = render_markdown(md, w, &t);
            assert_fits(&lines, w, "cjk");
        }
        assert_eq!(render("中文字符测试", 7), ["中文字", "符测试"]);
    }

    #[test]
    fn incomplete_input_renders_so_far() {
        assert_eq!(
            render("```rust\nfn a() {\n    let", 40),
            ["▏ fn a() {", "▏     let"]
        );
        assert_eq!(render("```", 40), ["▏ "]);
        assert_eq!(render("**bold", 40), ["**bold"]);
        assert_eq!(render("| a | b |\n|--", 40), ["| a | b | |--"]);
        assert_eq!(render("| a | b |\n|--|--|\n| 1", 40).len(), 5);
        assert_eq!(render("[link](http://x", 40), ["[link](http://x"]);
        assert_eq!(render("1. a\n   - ", 40)[0], "1. a");
    }

    #[test]
    fn control_characters_are_dropped() {
        assert_eq!(render("a\x1b[2Jb\tc\x07", 40), ["a[2Jb c"]);
    }

    #[test]
    fn no_color_draws_no_colour() {
        let t = Theme::built_in("dark", ColorDepth::None).unwrap();
        let lines = render_markdown(SAMPLE, 60, &t);
        for s in lines.iter().flat_map(|l| &l.spans) {
            assert!(s.style.fg.is_none() && s.style.bg.is_none(), "{s:?}");
        }
        assert!(
            span(&lines, "Fixing")
                .style
                .add_modifier
                .contains(Modifier::BOLD)
        );
    }

    /// Every prefix of a complex document, at many widths: no panic, and no
    /// line wider than the width (what streaming does, character by
    /// character).
    #[test]
    fn every_prefix_at_every_width_fits() {
        let t = dark();
        let doc = format!(
            "{SAMPLE}\n\n> - quoted list with `code` and a [link](https://example.com/a/very/long/path/that/wraps)\n>   1. deeper\n>      ```sh\n>      echo hi\n>      ```\n\n* * *\n\n<details>\n<summary>x</summary>\n</details>\n"
        );
        // Every prefix at 24 columns and at one of the other widths in turn
        // (all widths for all prefixes takes seconds in a debug build).
        let widths = [1u16, 2, 3, 7, 13, 41, 80];
        for (i, (end, _)) in doc.char_indices().chain([(doc.len(), ' ')]).enumerate() {
            for w in [24, widths[i % widths.len()]] {
                let lines = render_markdown(&doc[..end], w, &t);
                assert_fits(&lines, w, &doc[..end]);
            }
        }
    }

    #[test]
    fn snapshot_sample_at_60() {
        insta::assert_snapshot!(render(SAMPLE, 60).join("\n"));
    }

    #[test]
    fn snapshot_sample_at_30() {
        insta::assert_snapshot!(render(SAMPLE, 30).join("\n"));
    }

    #[test]
    fn snapshot_nested_containers_at_60() {
        let md = "> Quoted intro that is long enough to wrap past the sixty column limit of this test.\n>\n> 1. first step, with a sentence that wraps onto a second line\n>    - [ ] a task inside, also long enough to wrap around once\n>    - [x] a finished one\n> 2. second step\n>\n>    ```toml\n>    [provider]\n>    base_url = \"https://relay.example.com/v1/with/a/path/longer/than/the/width\"\n>    ```\n";
        insta::assert_snapshot!(render(md, 60).join("\n"));
    }
}
