//! Drawing the viewer: header line, file list, the diff (only the rows on
//! screen, highlighted lazily) and the footer with hints or an input.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Widget};
use unicode_width::UnicodeWidthStr;

use super::hlcache::{HighlightCache, Side};
use super::input::Prompt;
use super::rows::{FileRows, HeaderRole, RowKind};
use super::text::{self, line_spans, truncate, wrap, wrapped_height};
use super::{DiffViewer, list};
use crate::diff::{DiffLine, FileDiff, LineKind};
use crate::tui::highlight::syntax_for_path;
use crate::tui::theme::Theme;
use crate::workspace::review::ReviewMode;

/// Below this width the file list gives way to a one-line "file i/N".
const LIST_MIN_TOTAL_WIDTH: u16 = 70;
/// The list never gets narrower than this.
const LIST_MIN_WIDTH: u16 = 24;

/// Draws the whole viewer into `area`.
pub(crate) fn draw(v: &mut DiffViewer, area: Rect, buf: &mut Buffer, theme: &Theme) {
    Clear.render(area, buf);
    if area.height == 0 || area.width == 0 {
        return;
    }
    let show_list = area.width >= LIST_MIN_TOTAL_WIDTH;
    draw_header(
        v,
        Rect::new(area.x, area.y, area.width, 1),
        buf,
        theme,
        show_list,
    );
    if area.height < 2 {
        return;
    }
    let footer = Rect::new(area.x, area.y + area.height - 1, area.width, 1);
    draw_footer(v, footer, buf, theme);
    let body = Rect::new(
        area.x,
        area.y + 1,
        area.width,
        area.height.saturating_sub(2),
    );
    if body.height == 0 {
        return;
    }
    if !v.loaded {
        draw_message(body, buf, &[("Reading the changes…", theme.dim)]);
        return;
    }
    if v.snapshot.files.is_empty() {
        draw_message(
            body,
            buf,
            &[
                ("No changes to review.", theme.heading),
                (
                    "Changes the agents (or you) make in the workspace appear here.",
                    theme.text,
                ),
                (
                    "Then: Space/s accepts a hunk, d reverts it, u undoes, q closes.",
                    theme.dim,
                ),
            ],
        );
        return;
    }
    let diff_area = if show_list {
        let list_width = (area.width * 3 / 10).max(LIST_MIN_WIDTH);
        let list_area = Rect::new(body.x, body.y, list_width - 1, body.height);
        v.list_offset = list::offset_for(v.selected, v.list_offset, body.height as usize);
        let files: Vec<_> = v.visible.iter().map(|&i| &v.snapshot.files[i]).collect();
        list::draw(&files, v.selected, v.list_offset, list_area, buf, theme);
        for y in body.y..body.y + body.height {
            buf[(body.x + list_width - 1, y)]
                .set_symbol("│")
                .set_style(theme.border);
        }
        Rect::new(
            body.x + list_width,
            body.y,
            body.width - list_width,
            body.height,
        )
    } else {
        body
    };
    if v.visible.is_empty() {
        let words = format!(
            "No files match the filter: {}.",
            list::filter_label(&v.filter)
        );
        draw_message(
            diff_area,
            buf,
            &[
                (&words, theme.text),
                ("f shows the next filter.", theme.dim),
            ],
        );
        return;
    }
    draw_diff(v, diff_area, buf, theme);
}

/// Lines centred in `area`.
fn draw_message(area: Rect, buf: &mut Buffer, lines: &[(&str, Style)]) {
    let top = area.y + area.height.saturating_sub(lines.len() as u16) / 2;
    for (n, (words, style)) in lines.iter().enumerate() {
        let y = top + n as u16;
        if y >= area.y + area.height {
            break;
        }
        let w = words.width() as u16;
        let x = area.x + area.width.saturating_sub(w) / 2;
        buf.set_stringn(x, y, words, area.width as usize, *style);
    }
}

fn draw_header(v: &DiffViewer, area: Rect, buf: &mut Buffer, theme: &Theme, show_list: bool) {
    let mut parts: Vec<String> = vec!["Review".to_string()];
    if !show_list && let Some((_, f)) = v.current() {
        parts.push(format!(
            "file {}/{} {}",
            v.selected + 1,
            v.visible.len(),
            f.path()
        ));
    }
    parts.push(
        if v.side_by_side {
            "side-by-side"
        } else {
            "unified"
        }
        .to_string(),
    );
    parts.push(list::filter_label(&v.filter));
    if v.ignore_whitespace {
        parts.push("whitespace ignored".to_string());
    }
    if v.wrap {
        parts.push("wrap".to_string());
    }
    if v.snapshot.coarse {
        parts.push("coarse diff".to_string());
    }
    if v.snapshot.truncated {
        parts.push("too many files: some left out".to_string());
    }
    let mode = match v.snapshot.mode {
        ReviewMode::Git { .. } => "git: accept stages",
        ReviewMode::Plain => "plain: accept marks reviewed",
        ReviewMode::Run { .. } => "worktree run: accept takes it into the workspace",
    };
    let width = area.width as usize;
    let right_width = mode.width() + 1;
    let left = parts.join(" · ");
    let (left_width, show_mode) = if width >= right_width + 20 {
        (width - right_width, true)
    } else {
        (width, false)
    };
    let left = truncate(vec![Span::styled(left, theme.heading)], left_width);
    buf.set_line(area.x, area.y, &Line::from(left), left_width as u16);
    if show_mode {
        let x = area.x + (width - right_width + 1) as u16;
        buf.set_stringn(x, area.y, mode, mode.width(), theme.accent);
    }
}

/// Key hints that fit, most useful first.
const HINTS: [(&str, &str); 15] = [
    ("j/k", "move"),
    ("n/N", "hunk"),
    ("J/K", "file"),
    ("Space", "accept"),
    ("d", "revert"),
    ("u", "undo"),
    ("c", "comment"),
    ("y", "copy"),
    ("e", "edit"),
    ("v", "side-by-side"),
    ("W", "wrap"),
    ("w", "whitespace"),
    ("f", "filter"),
    ("/", "search"),
    ("q", "close"),
];

fn draw_footer(v: &DiffViewer, area: Rect, buf: &mut Buffer, theme: &Theme) {
    let width = area.width as usize;
    let line = match &v.prompt {
        Some(Prompt::Confirm { question, .. }) => {
            Line::from(Span::styled(question.clone(), theme.warning))
        }
        Some(Prompt::Comment { target, text }) => {
            let name = match target {
                crate::agent::Pane::Chat => "Chat",
                crate::agent::Pane::Run => "Run",
            };
            let help = "  Tab: other agent · Enter sends · Esc cancels";
            let label = format!("comment to {name} ▸ ");
            let room = width.saturating_sub(label.width() + help.width() + 1);
            input_line(label, text, room, help, theme)
        }
        Some(Prompt::Search { text }) => {
            let help = "  Enter finds · Esc cancels";
            let label = "search ▸ ".to_string();
            let room = width.saturating_sub(label.width() + help.width() + 1);
            input_line(label, text, room, help, theme)
        }
        None => {
            let mut spans = Vec::new();
            let mut used = 0;
            if let Some(q) = &v.search {
                let s = format!("search “{q}”: n/N next/previous match · Esc clears  ");
                used += s.width();
                spans.push(Span::styled(s, theme.accent));
            }
            for (key, what) in HINTS {
                let w = key.width() + what.width() + 3;
                if used + w > width {
                    break;
                }
                used += w;
                spans.push(Span::styled(key, theme.accent));
                spans.push(Span::styled(format!(" {what}  "), theme.dim));
            }
            Line::from(spans)
        }
    };
    buf.set_line(area.x, area.y, &line, area.width);
}

/// `label`, the tail of `text` that fits `room`, a cursor block, `help`.
fn input_line(label: String, text: &str, room: usize, help: &str, theme: &Theme) -> Line<'static> {
    let shown = text::clean(text);
    let mut tail: Vec<char> = Vec::new();
    let mut used = 0;
    for c in shown.chars().rev() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w > room {
            break;
        }
        used += w;
        tail.push(c);
    }
    let tail: String = tail.into_iter().rev().collect();
    Line::from(vec![
        Span::styled(label, theme.accent),
        Span::styled(tail, theme.text),
        Span::styled("█", theme.dim),
        Span::styled(help.to_string(), theme.dim),
    ])
}

/// What drawing the rows of one file needs besides the viewer.
struct FileView<'a> {
    file_index: usize,
    diff: &'a FileDiff,
    rows: &'a FileRows,
    syntax: Option<&'static syntect::parsing::SyntaxReference>,
    theme: &'a Theme,
    wrap: bool,
    side_by_side: bool,
}

fn draw_diff(v: &mut DiffViewer, area: Rect, buf: &mut Buffer, theme: &Theme) {
    let Some((i, _)) = v.current() else {
        return;
    };
    let rows = v.rows_of(i);
    let snapshot = v.snapshot.clone();
    let diff = &snapshot.files[i].diff;
    if rows.rows.is_empty() {
        return;
    }
    v.cursor = v.cursor.min(rows.rows.len() - 1);
    v.page = area.height as usize;
    let view = FileView {
        file_index: i,
        diff,
        rows: &rows,
        syntax: syntax_for_path(snapshot.files[i].path()),
        theme,
        wrap: v.wrap,
        side_by_side: v.side_by_side,
    };
    let content = area.width.saturating_sub(1) as usize;
    // Keep the cursor row on screen.
    if v.cursor < v.scroll {
        v.scroll = v.cursor;
    }
    let height = area.height as usize;
    // The topmost row that still shows the whole cursor row: walk up from
    // the cursor (at most a screen of rows, whatever the file's length).
    let mut top = v.cursor;
    let mut used = view.height(top, content);
    while top > v.scroll {
        let h = view.height(top - 1, content);
        if used + h > height {
            break;
        }
        used += h;
        top -= 1;
    }
    v.scroll = top;
    let mut y = 0;
    let mut r = v.scroll;
    while y < height && r < rows.rows.len() {
        let lines = view.lines(r, content, &mut v.highlight);
        let cursor = r == v.cursor;
        for (n, line) in lines.into_iter().enumerate() {
            if y >= height {
                break;
            }
            let row = Rect::new(area.x, area.y + y as u16, area.width, 1);
            let fill = line.style;
            buf.set_style(
                row,
                if cursor {
                    fill.patch(theme.selection)
                } else {
                    fill
                },
            );
            let mark = if cursor && n == 0 { "▌" } else { " " };
            buf.set_stringn(row.x, row.y, mark, 1, theme.accent);
            buf.set_line(row.x + 1, row.y, &line, area.width.saturating_sub(1));
            y += 1;
        }
        r += 1;
    }
}

impl FileView<'_> {
    /// Screen lines row `r` takes at `width` columns.
    fn height(&self, r: usize, width: usize) -> usize {
        if !self.wrap {
            return 1;
        }
        let row = self.rows.rows[r];
        let Some(hunk) = row.hunk.map(|h| &self.diff.hunks[h]) else {
            return 1;
        };
        let gutter = self.gutter();
        match row.kind {
            RowKind::Line(i) => wrapped_height(&hunk.lines[i].text, width.saturating_sub(gutter)),
            RowKind::Pair { old, new } => {
                let (left, right) = self.halves(width);
                let h = |i: Option<usize>, w: usize| {
                    i.map_or(1, |i| wrapped_height(&hunk.lines[i].text, w))
                };
                h(old, left.saturating_sub(gutter)).max(h(new, right.saturating_sub(gutter)))
            }
            _ => 1,
        }
    }

    /// Columns before the text: unified "old new ±", side by side "no ±".
    fn gutter(&self) -> usize {
        let nw = self.rows.number_width;
        if self.side_by_side {
            nw + 3
        } else {
            2 * nw + 4
        }
    }

    /// Widths of the left and right halves (a `│` between them).
    fn halves(&self, width: usize) -> (usize, usize) {
        let left = width.saturating_sub(1) / 2;
        (left, width.saturating_sub(1 + left))
    }

    /// The screen lines of row `r`; each line's own style is the row fill.
    fn lines(&self, r: usize, width: usize, cache: &mut HighlightCache) -> Vec<Line<'static>> {
        let theme = self.theme;
        let row = self.rows.rows[r];
        let one = |spans: Vec<Span<'static>>, style: Style| {
            vec![Line::from(truncate(spans, width)).style(style)]
        };
        let h = match row.hunk {
            Some(h) => h,
            None => {
                let RowKind::Header(n) = row.kind else {
                    return vec![Line::default()];
                };
                let (words, role) = &self.rows.header[n];
                let style = match role {
                    HeaderRole::Title => theme.heading,
                    HeaderRole::Note => theme.warning,
                    HeaderRole::Done => theme.success,
                };
                return one(vec![Span::styled(words.clone(), style)], Style::new());
            }
        };
        let hunk = &self.diff.hunks[h];
        let nw = self.rows.number_width;
        match row.kind {
            RowKind::HunkHeader => one(
                vec![Span::styled(
                    format!(
                        "@@ -{},{} +{},{} @@",
                        hunk.old_start, hunk.old_len, hunk.new_start, hunk.new_len
                    ),
                    theme.accent,
                )],
                Style::new(),
            ),
            RowKind::NoNewline { old, new } => {
                let words = Span::styled("\\ No newline at end of file", theme.dim);
                if !self.side_by_side {
                    let pad = " ".repeat(self.gutter());
                    return one(vec![Span::raw(pad), words], Style::new());
                }
                let (left, right) = self.halves(width);
                let side = |on: bool, w: usize| {
                    let spans = if on {
                        vec![Span::raw(" ".repeat(self.gutter())), words.clone()]
                    } else {
                        Vec::new()
                    };
                    pad_to(truncate(spans, w), w)
                };
                let mut spans = side(old, left);
                spans.push(Span::styled("│", theme.border));
                spans.extend(side(new, right));
                vec![Line::from(spans)]
            }
            RowKind::Line(i) => {
                let line = &hunk.lines[i];
                let (side, mark, base) = self.kind_style(line.kind);
                let number = |n: Option<usize>| match n {
                    Some(n) => format!("{n:>nw$}"),
                    None => " ".repeat(nw),
                };
                let gutter = vec![
                    Span::styled(
                        format!("{} {} ", number(line.old_no), number(line.new_no)),
                        theme.dim,
                    ),
                    Span::styled(format!("{mark} "), base),
                ];
                let body = self.body(cache, (h, i), side, base);
                let fill = if line.kind == LineKind::Context {
                    Style::new()
                } else {
                    bg_only(base)
                };
                self.fit(gutter, body, width)
                    .into_iter()
                    .map(|l| l.style(fill))
                    .collect()
            }
            RowKind::Pair { old, new } => {
                let (left, right) = self.halves(width);
                let half = |at: Option<usize>, side: Side, w: usize, cache: &mut HighlightCache| {
                    let Some(i) = at else {
                        return vec![vec![Span::raw(" ".repeat(w))]];
                    };
                    let line = &hunk.lines[i];
                    let (_, mark, base) = self.kind_style(line.kind);
                    let no = match side {
                        Side::Old => line.old_no,
                        Side::New => line.new_no,
                    };
                    let gutter = vec![
                        Span::styled(
                            format!("{:>nw$} ", no.map(|n| n.to_string()).unwrap_or_default()),
                            theme.dim,
                        ),
                        Span::styled(format!("{mark} "), base),
                    ];
                    let body = self.body(cache, (h, i), side, base);
                    let fill = if line.kind == LineKind::Context {
                        Style::new()
                    } else {
                        bg_only(base)
                    };
                    self.fit(gutter, body, w)
                        .into_iter()
                        .map(|l| {
                            let mut spans = pad_to(l.spans, w);
                            for s in &mut spans {
                                s.style = fill.patch(s.style);
                            }
                            spans
                        })
                        .collect::<Vec<_>>()
                };
                let l = half(old, Side::Old, left, cache);
                let rr = half(new, Side::New, right, cache);
                let n = l.len().max(rr.len());
                (0..n)
                    .map(|k| {
                        let mut spans = l
                            .get(k)
                            .cloned()
                            .unwrap_or_else(|| vec![Span::raw(" ".repeat(left))]);
                        spans.push(Span::styled("│", theme.border));
                        spans.extend(
                            rr.get(k)
                                .cloned()
                                .unwrap_or_else(|| vec![Span::raw(" ".repeat(right))]),
                        );
                        Line::from(spans)
                    })
                    .collect()
            }
            RowKind::Header(_) => vec![Line::default()],
        }
    }

    /// Which side a line's colours come from, its marker and its style.
    fn kind_style(&self, kind: LineKind) -> (Side, char, Style) {
        match kind {
            LineKind::Context => (Side::New, ' ', self.theme.text),
            LineKind::Removed => (Side::Old, '-', self.theme.diff_removed),
            LineKind::Added => (Side::New, '+', self.theme.diff_added),
        }
    }

    /// The text spans of hunk line `at` = (hunk, line): syntax colours,
    /// emphasis, and the CRLF mark of a file with mixed endings.
    fn body(
        &self,
        cache: &mut HighlightCache,
        (h, i): (usize, usize),
        side: Side,
        base: Style,
    ) -> Vec<Span<'static>> {
        let hunk = &self.diff.hunks[h];
        let line: &DiffLine = &hunk.lines[i];
        let runs = self
            .syntax
            .and_then(|syntax| cache.runs((self.file_index, h), hunk, side, i, syntax, self.theme));
        let emphasis_style = match line.kind {
            LineKind::Added => self.theme.diff_added_emphasis,
            LineKind::Removed => self.theme.diff_removed_emphasis,
            LineKind::Context => Style::new(),
        };
        let mut spans = line_spans(
            &line.text,
            runs.map(Vec::as_slice),
            base,
            &line.emphasis,
            emphasis_style,
        );
        if self.rows.mixed_endings && line.crlf {
            spans.push(Span::styled("␍", self.theme.dim));
        }
        spans
    }

    /// Gutter and body in `width` columns: truncated, or wrapped under the
    /// gutter.
    fn fit(
        &self,
        gutter: Vec<Span<'static>>,
        body: Vec<Span<'static>>,
        width: usize,
    ) -> Vec<Line<'static>> {
        let g = text::spans_width(&gutter);
        let room = width.saturating_sub(g);
        if !self.wrap {
            let mut spans = gutter;
            spans.extend(truncate(body, room));
            return vec![Line::from(truncate(spans, width))];
        }
        wrap(body, room)
            .into_iter()
            .enumerate()
            .map(|(n, part)| {
                let mut spans = if n == 0 {
                    gutter.clone()
                } else {
                    vec![Span::raw(" ".repeat(g))]
                };
                spans.extend(part);
                Line::from(truncate(spans, width))
            })
            .collect()
    }
}

/// Only the background of `style` (the row fill of an added/removed line).
fn bg_only(style: Style) -> Style {
    match style.bg {
        Some(bg) => Style::new().bg(bg),
        None => Style::new(),
    }
}

/// Spans padded with spaces to exactly `width` columns.
fn pad_to(mut spans: Vec<Span<'static>>, width: usize) -> Vec<Span<'static>> {
    let used = text::spans_width(&spans);
    if used < width {
        spans.push(Span::raw(" ".repeat(width - used)));
    }
    spans
}
