//! The scrollable history of one pane: session [`Event`]s folded into
//! cells (user message, answer, reasoning, tool call, plan, notices), drawn
//! a frame at a time.
//!
//! # Cost model
//!
//! Folding an event only edits the model and bumps the touched cell's
//! version; nothing is rendered then. Each cell caches its rendered lines
//! keyed by (version, width, theme epoch), so while tokens stream only the
//! streaming cell is rendered again. The scroll position is an anchor — the
//! cell and row at the top of the view — rather than an absolute line
//! number, so a frame touches only the cells it shows: following the bottom
//! walks back from the last cell, a scrolled view walks forward from its
//! anchor. Finding the first visible cell is O(1) and no frame, resize or
//! theme change ever needs the heights of cells off screen; after a resize
//! the anchor cell stays at the top, so the view does not jump.

mod cell;
mod streaming;
mod terminal;
mod tool;
mod wrap;

pub(crate) use wrap::truncate;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::ops::Range;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;

use crate::agent::{Event, TaskStatus};
use crate::hooks::HookOutcome;
use crate::provider::Usage;
use crate::tools::PlanStep;
use crate::tui::theme::Theme;

use cell::Cell;
use streaming::Stable;
use terminal::LiveScreen;
use tool::{ToolCell, ToolStatus, format_duration};

/// How a local notice is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    /// Neutral information ("handed to Run"), dim.
    Info,
    /// Something the user should notice but need not act on.
    Warning,
    /// A failure; the text should say what to do.
    Error,
}

/// A cell's lines as last rendered, and for which layout.
struct Rendered {
    version: u64,
    width: u16,
    epoch: u64,
    lines: Vec<Line<'static>>,
    /// For the streaming answer: the part of `lines` that stays valid as
    /// text is appended.
    stable: Option<Stable>,
}

/// A cell with its version (bumped on every change) and line cache.
struct Entry {
    cell: Cell,
    version: u64,
    cache: Option<Rendered>,
}

/// A row of the history: `row` counts within the cell's rows (its blank
/// separator line, if any, then its lines).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Pos {
    cell: usize,
    row: usize,
}

/// The scrollable history of one pane. Feed it every [`Event`] of the
/// pane's session with [`History::apply`] and draw it with
/// [`History::render`]; scrolling, expanding and copying go through the
/// other methods.
pub struct History {
    cells: Vec<Entry>,
    /// The answer and reasoning cells the current model call streams into.
    open_answer: Option<usize>,
    open_reasoning: Option<usize>,
    /// The one plan cell, updated in place.
    plan: Option<usize>,
    /// Tool cells by call id.
    tools: HashMap<String, usize>,
    /// Whether the view sticks to the bottom.
    following: bool,
    /// The top row of the view: the anchor while scrolled, the top of the
    /// last frame while following (where scrolling up starts from).
    top: Pos,
    /// The layout of the last frame; scrolling is measured in it.
    width: u16,
    height: u16,
    theme: Option<Theme>,
    /// Bumped whenever the theme changes, invalidating every cache.
    epoch: u64,
    /// The cells the last frame showed (targets for expand/collapse).
    visible: Range<usize>,
}

impl Default for History {
    fn default() -> Self {
        Self::new()
    }
}

impl History {
    /// An empty history that follows the bottom.
    pub fn new() -> Self {
        Self {
            cells: Vec::new(),
            open_answer: None,
            open_reasoning: None,
            plan: None,
            tools: HashMap::new(),
            following: true,
            top: Pos::default(),
            width: 0,
            height: 0,
            theme: None,
            epoch: 0,
            visible: 0..0,
        }
    }

    /// Folds one session event into the cells. Cheap: it edits the model
    /// and marks the touched cell for re-rendering; drawing happens in
    /// [`History::render`]. Usage, rate limits and session start are not
    /// cells (they belong to titles and the status bar) and are ignored.
    pub fn apply(&mut self, event: &Event) {
        match event {
            Event::TaskStarted { text } => {
                self.close_streams();
                self.push(Cell::User(text.clone()));
            }
            Event::TurnStarted { .. } => self.close_streams(),
            Event::TextDelta(delta) => {
                let i = self.open(|h| &mut h.open_answer, || Cell::Assistant(String::new()));
                if let Cell::Assistant(text) = self.edit(i) {
                    text.push_str(delta);
                }
            }
            Event::ReasoningDelta(delta) => {
                let i = self.open(
                    |h| &mut h.open_reasoning,
                    || Cell::Reasoning {
                        text: String::new(),
                        expanded: false,
                    },
                );
                if let Cell::Reasoning { text, .. } = self.edit(i) {
                    text.push_str(delta);
                }
            }
            Event::StreamReset => {
                for i in [self.open_answer.take(), self.open_reasoning.take()]
                    .into_iter()
                    .flatten()
                {
                    match self.edit(i) {
                        Cell::Assistant(text) | Cell::Reasoning { text, .. } => text.clear(),
                        _ => {}
                    }
                }
            }
            Event::AssistantMessage { text: full } => {
                let i = self.open(|h| &mut h.open_answer, || Cell::Assistant(String::new()));
                if let Cell::Assistant(text) = self.edit(i) {
                    full.clone_into(text);
                }
                self.open_answer = None;
            }
            Event::Reasoning { text: full } => {
                let i = self.open(
                    |h| &mut h.open_reasoning,
                    || Cell::Reasoning {
                        text: String::new(),
                        expanded: false,
                    },
                );
                if let Cell::Reasoning { text, .. } = self.edit(i) {
                    full.clone_into(text);
                }
                self.open_reasoning = None;
            }
            Event::ToolCall {
                id,
                name,
                input,
                summary,
            } => {
                self.close_streams();
                let i = self.push(Cell::Tool(Box::new(ToolCell::new(name, summary, input))));
                self.tools.insert(id.clone(), i);
            }
            Event::ToolOutputDelta { id, bytes } => {
                if let Some(tool) = self.tool(id)
                    && matches!(tool.status, ToolStatus::Running | ToolStatus::Waiting)
                {
                    tool.status = ToolStatus::Running;
                    tool.live.get_or_insert_with(LiveScreen::new).feed(bytes);
                }
            }
            Event::ApprovalRequest {
                id,
                name,
                summary,
                input,
                ..
            } => {
                if self.tool(id).is_none() {
                    self.close_streams();
                    let i = self.push(Cell::Tool(Box::new(ToolCell::new(name, summary, input))));
                    self.tools.insert(id.clone(), i);
                }
                if let Some(tool) = self.tool(id) {
                    tool.status = ToolStatus::Waiting;
                }
            }
            Event::ToolResult {
                id,
                name,
                ok,
                output,
                exit_code,
                duration,
            } => {
                if self.tool(id).is_none() {
                    let cell = ToolCell::new(name, "", &serde_json::Value::Null);
                    let i = self.push(Cell::Tool(Box::new(cell)));
                    self.tools.insert(id.clone(), i);
                }
                if let Some(tool) = self.tool(id) {
                    tool.status = if *ok {
                        ToolStatus::Ok
                    } else {
                        ToolStatus::Failed
                    };
                    tool.output = Some(output.clone());
                    tool.exit_code = *exit_code;
                    tool.duration = Some(*duration);
                    tool.live = None;
                }
            }
            Event::PlanUpdated(steps) => match self.plan {
                Some(i) => {
                    if let Cell::Plan(old) = self.edit(i) {
                        old.clone_from(steps);
                    }
                }
                None => self.plan = Some(self.push(Cell::Plan(steps.clone()))),
            },
            Event::Retrying {
                attempt,
                delay,
                reason,
            } => {
                let text = format!(
                    "retrying in {} (attempt {attempt}): {reason}",
                    format_duration(*delay)
                );
                self.push_notice(text, NoticeKind::Info);
            }
            Event::Error { message } => {
                self.close_streams();
                self.push_notice(message.clone(), NoticeKind::Error);
            }
            Event::BudgetPaused { message } => {
                self.close_streams();
                self.push_notice(
                    format!(
                        "{message}: paused before the next model call. y goes on, n stops, \
                         /budget KEY VALUE raises it"
                    ),
                    NoticeKind::Warning,
                );
            }
            Event::BudgetResumed => self.push_notice("budget: going on", NoticeKind::Info),
            Event::Compacted { summarised, kept } => self.push_notice(
                format!(
                    "context compacted: {summarised} older messages summarised, {kept} recent ones kept (the history above is unchanged)"
                ),
                NoticeKind::Info,
            ),
            Event::Rewound { task, dropped } => self.push_notice(
                format!(
                    "rewound to before task {task}: {dropped} messages are no longer sent to the model (they stay above, and in the transcript)"
                ),
                NoticeKind::Info,
            ),
            Event::Hook { outcome, .. } => {
                self.close_streams();
                let kind = match outcome {
                    HookOutcome::Allowed { .. } | HookOutcome::AddedContext { .. } => {
                        NoticeKind::Info
                    }
                    HookOutcome::Blocked { .. }
                    | HookOutcome::Failed { .. }
                    | HookOutcome::TimedOut { .. } => NoticeKind::Warning,
                };
                if let Some(line) = event.hook_line() {
                    self.push_notice(line, kind);
                }
            }
            Event::CheckResult { passed, .. } => {
                self.close_streams();
                let kind = if *passed {
                    NoticeKind::Info
                } else {
                    NoticeKind::Warning
                };
                if let Some(line) = event.check_line() {
                    self.push_notice(line, kind);
                }
            }
            Event::TaskComplete {
                status,
                turns,
                total,
                ..
            } => {
                self.close_streams();
                self.push(Cell::Summary(summary_text(*status, *turns, total)));
            }
            Event::SessionStarted { .. }
            | Event::InstructionsLoaded { .. }
            | Event::Usage { .. }
            | Event::RateLimits(_)
            | Event::ShutdownComplete => {}
        }
    }

    /// Adds a local notice line (e.g. "handed to Run", "interrupted", an
    /// error of the front end), so the user sees it in the pane's flow.
    pub fn push_notice(&mut self, text: impl Into<String>, kind: NoticeKind) {
        self.push_live_notice(text, kind);
    }

    /// A notice that will change ([`History::update_notice`]); returns its
    /// index.
    pub fn push_live_notice(&mut self, text: impl Into<String>, kind: NoticeKind) -> usize {
        self.push(Cell::Notice {
            text: text.into(),
            kind,
        })
    }

    /// Rewrites notice `index` in place (a cell that follows something's
    /// state, like "handed to Run: … · running"). Does nothing when the
    /// cell is gone (cleared) or is not a notice.
    pub fn update_notice(&mut self, index: usize, text: impl Into<String>, kind: NoticeKind) {
        if matches!(
            self.cells.get(index).map(|c| &c.cell),
            Some(Cell::Notice { .. })
        ) {
            *self.edit(index) = Cell::Notice {
                text: text.into(),
                kind,
            };
        }
    }

    /// Marks a call that was waiting for approval as running again, once
    /// the user has answered (a refusal arrives as a failed result).
    pub fn approval_answered(&mut self, call_id: &str) {
        if let Some(tool) = self.tool(call_id)
            && tool.status == ToolStatus::Waiting
        {
            tool.status = ToolStatus::Running;
        }
    }

    /// Draws the visible part of the history into `area`. Only the cells
    /// on screen are looked at; their lines come from the cache unless the
    /// cell, the width or the theme changed.
    pub fn render(&mut self, area: Rect, buf: &mut Buffer, theme: &Theme) {
        let area = area.intersection(buf.area);
        for y in area.top()..area.bottom() {
            for x in area.left()..area.right() {
                buf[(x, y)].reset();
            }
        }
        self.set_layout(area.width, area.height, theme);
        if area.is_empty() {
            self.visible = 0..0;
            return;
        }
        let top = self.view_top();
        self.top = top;
        let height = usize::from(area.height);
        let mut y = 0;
        let mut pos = top;
        let mut last = top.cell;
        while y < height && pos.cell < self.cells.len() {
            let gap = self.gap(pos.cell);
            let lines = self.lines(pos.cell);
            let rows = if lines.is_empty() {
                0
            } else {
                lines.len() + gap
            };
            for row in pos.row..rows {
                if y == height {
                    break;
                }
                if row >= gap {
                    let line = &lines[row - gap];
                    buf.set_line(area.x, area.y + y as u16, line, area.width);
                }
                y += 1;
            }
            last = pos.cell;
            pos = Pos {
                cell: pos.cell + 1,
                row: 0,
            };
        }
        self.visible = top.cell..(last + 1).min(self.cells.len());
    }

    /// Scrolls towards older lines; the view stops following the bottom.
    pub fn scroll_up(&mut self, lines: usize) {
        if !self.has_layout() || lines == 0 {
            return;
        }
        let mut pos = self.normalized(self.top);
        let mut n = lines;
        while n > 0 {
            if pos.row >= n {
                pos.row -= n;
                break;
            }
            n -= pos.row;
            if pos.cell == 0 {
                pos.row = 0;
                break;
            }
            pos.cell -= 1;
            pos.row = self.rows(pos.cell);
        }
        self.set_anchor(pos);
    }

    /// Scrolls towards newer lines; reaching the bottom follows it again.
    pub fn scroll_down(&mut self, lines: usize) {
        if !self.has_layout() || self.following || lines == 0 {
            return;
        }
        let mut pos = self.normalized(self.top);
        let mut n = lines;
        while n > 0 && pos.cell < self.cells.len() {
            let rows = self.rows(pos.cell);
            if pos.row + n < rows {
                pos.row += n;
                break;
            }
            n -= rows - pos.row;
            pos = Pos {
                cell: pos.cell + 1,
                row: 0,
            };
        }
        self.set_anchor(pos);
    }

    /// Scrolls up by the height of the last frame.
    pub fn page_up(&mut self) {
        self.scroll_up(usize::from(self.height));
    }

    /// Scrolls down by the height of the last frame.
    pub fn page_down(&mut self) {
        self.scroll_down(usize::from(self.height));
    }

    /// Shows the first line; stops following unless everything fits.
    pub fn scroll_to_top(&mut self) {
        if self.has_layout() {
            self.set_anchor(Pos::default());
        } else {
            self.following = false;
            self.top = Pos::default();
        }
    }

    /// Shows the last line and follows new output again.
    pub fn scroll_to_bottom(&mut self) {
        self.following = true;
    }

    /// Whether the view sticks to the bottom as new text streams in. It
    /// stops when the user scrolls up and resumes when they scroll back to
    /// the bottom, so reading older output is never yanked away.
    pub fn is_following(&self) -> bool {
        self.following
    }

    /// Expands or collapses a reasoning cell: the last one on screen, else
    /// the last one of the history.
    pub fn toggle_reasoning(&mut self) {
        let target = self.target(|c| matches!(c, Cell::Reasoning { .. }));
        if let Some(i) = target
            && let Cell::Reasoning { expanded, .. } = self.edit(i)
        {
            *expanded = !*expanded;
        }
    }

    /// Expands or collapses a tool call (full input and output): the last
    /// one on screen, else the last one of the history.
    pub fn toggle_last_tool(&mut self) {
        let target = self.target(|c| matches!(c, Cell::Tool(_)));
        if let Some(i) = target
            && let Cell::Tool(tool) = self.edit(i)
        {
            tool.expanded = !tool.expanded;
        }
    }

    /// The latest non-empty answer text, for copying or handing off.
    pub fn last_assistant_text(&self) -> Option<&str> {
        self.cells.iter().rev().find_map(|e| match &e.cell {
            Cell::Assistant(text) if !text.trim().is_empty() => Some(text.as_str()),
            _ => None,
        })
    }

    /// The text of the latest notice: what the app last told the user in
    /// this pane (tests of commands read it).
    pub fn last_notice_text(&self) -> Option<&str> {
        self.cells.iter().rev().find_map(|e| match &e.cell {
            Cell::Notice { text, .. } => Some(text.as_str()),
            _ => None,
        })
    }

    /// Every notice's text, oldest first (tests of cells that follow a
    /// state read them).
    pub fn notice_texts(&self) -> Vec<&str> {
        self.cells
            .iter()
            .filter_map(|e| match &e.cell {
                Cell::Notice { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }

    /// The body of the latest fenced code block in an answer, for copying.
    pub fn last_code_block(&self) -> Option<String> {
        self.cells.iter().rev().find_map(|e| match &e.cell {
            Cell::Assistant(text) => last_fenced_block(text),
            _ => None,
        })
    }

    /// The current plan's steps, for handing the plan to the Run pane.
    pub fn last_plan(&self) -> Option<&[PlanStep]> {
        match &self.cells.get(self.plan?)?.cell {
            Cell::Plan(steps) => Some(steps),
            _ => None,
        }
    }

    /// Forgets every cell (e.g. `/clear`); the view follows the bottom.
    pub fn clear(&mut self) {
        *self = Self {
            width: self.width,
            height: self.height,
            theme: self.theme.take(),
            epoch: self.epoch,
            ..Self::new()
        };
    }

    /// How many cells the history holds.
    pub fn len_cells(&self) -> usize {
        self.cells.len()
    }

    /// Total rendered lines at `width` in `theme`: for scroll indicators,
    /// tests and benchmarks. Renders every cell not cached at that layout,
    /// so it costs O(history) once after a resize and little after; pass
    /// the width you render at, or the caches are rebuilt twice.
    pub fn line_count(&mut self, width: u16, theme: &Theme) -> usize {
        self.set_layout(width, self.height, theme);
        if width == 0 {
            return 0;
        }
        (0..self.cells.len()).map(|i| self.rows(i)).sum()
    }

    // ---- model edits ----

    fn push(&mut self, cell: Cell) -> usize {
        self.cells.push(Entry {
            cell,
            version: 0,
            cache: None,
        });
        self.cells.len() - 1
    }

    /// The cell at `i` for changing; bumps its version.
    fn edit(&mut self, i: usize) -> &mut Cell {
        let entry = &mut self.cells[i];
        entry.version += 1;
        &mut entry.cell
    }

    /// The open streaming cell behind `slot`, opened with `make` if none.
    fn open(&mut self, slot: fn(&mut Self) -> &mut Option<usize>, make: fn() -> Cell) -> usize {
        if let Some(i) = *slot(self) {
            return i;
        }
        let i = self.push(make());
        *slot(self) = Some(i);
        i
    }

    /// Ends the current model call's streams. An answer that was streamed
    /// (rendered piecewise) is marked for one full render.
    fn close_streams(&mut self) {
        if let Some(i) = self.open_answer.take() {
            self.edit(i);
        }
        self.open_reasoning = None;
    }

    /// The tool cell of call `id`, for changing (bumps its version).
    fn tool(&mut self, id: &str) -> Option<&mut ToolCell> {
        let i = *self.tools.get(id)?;
        match self.edit(i) {
            Cell::Tool(tool) => Some(tool),
            _ => None,
        }
    }

    /// The last cell on screen matching `want`, else the last in the
    /// history.
    fn target(&self, want: impl Fn(&Cell) -> bool) -> Option<usize> {
        let visible =
            self.visible.start.min(self.cells.len())..self.visible.end.min(self.cells.len());
        visible
            .rev()
            .find(|&i| want(&self.cells[i].cell))
            .or_else(|| {
                (0..self.cells.len())
                    .rev()
                    .find(|&i| want(&self.cells[i].cell))
            })
    }

    // ---- layout and scrolling ----

    fn has_layout(&self) -> bool {
        self.theme.is_some() && self.width > 0 && self.height > 0
    }

    fn set_layout(&mut self, width: u16, height: u16, theme: &Theme) {
        if self.theme.as_ref() != Some(theme) {
            self.theme = Some(theme.clone());
            self.epoch += 1;
        }
        self.width = width;
        self.height = height;
    }

    /// Whether cell `i` is preceded by a blank line.
    fn gap(&self, i: usize) -> usize {
        let separate = i > 0 && !(self.cells[i].cell.compact() && self.cells[i - 1].cell.compact());
        usize::from(separate)
    }

    /// Cell `i`'s lines at the current layout, rendered if not cached.
    fn lines(&mut self, i: usize) -> &[Line<'static>] {
        let (width, epoch) = (self.width, self.epoch);
        let streaming = self.open_answer == Some(i);
        let entry = &mut self.cells[i];
        let fresh = entry
            .cache
            .as_ref()
            .is_some_and(|c| c.version == entry.version && c.width == width && c.epoch == epoch);
        if !fresh && let Some(theme) = &self.theme {
            let old = entry
                .cache
                .take()
                .filter(|c| c.width == width && c.epoch == epoch);
            let (lines, stable) = match &entry.cell {
                Cell::Assistant(text) if streaming => {
                    let previous = old.and_then(|c| Some((c.lines, c.stable?)));
                    let (lines, stable) =
                        streaming::render(text, previous, usize::from(width), theme);
                    (lines, Some(stable))
                }
                cell => (cell.render(usize::from(width), theme), None),
            };
            entry.cache = Some(Rendered {
                version: entry.version,
                width,
                epoch,
                lines,
                stable,
            });
        }
        entry.cache.as_ref().map_or(&[], |c| c.lines.as_slice())
    }

    /// Rows cell `i` takes: its separator line, if any, and its lines; an
    /// empty cell takes none.
    fn rows(&mut self, i: usize) -> usize {
        let gap = self.gap(i);
        match self.lines(i).len() {
            0 => 0,
            n => n + gap,
        }
    }

    /// `pos` moved onto an existing row (cells may have shrunk or gone
    /// since it was taken).
    fn normalized(&mut self, mut pos: Pos) -> Pos {
        if pos.cell >= self.cells.len() {
            return self.bottom_top();
        }
        while pos.cell < self.cells.len() {
            let rows = self.rows(pos.cell);
            if pos.row < rows {
                return pos;
            }
            pos = Pos {
                cell: pos.cell + 1,
                row: 0,
            };
        }
        self.bottom_top()
    }

    /// The top row of a view that shows the last line (or the first row
    /// when everything fits).
    fn bottom_top(&mut self) -> Pos {
        let mut need = usize::from(self.height);
        let mut i = self.cells.len();
        while i > 0 {
            i -= 1;
            let rows = self.rows(i);
            if rows >= need {
                return Pos {
                    cell: i,
                    row: rows - need,
                };
            }
            need -= rows;
        }
        Pos::default()
    }

    /// Whether a view with its top at `pos` reaches the last line.
    fn reaches_bottom(&mut self, pos: Pos) -> bool {
        let height = usize::from(self.height);
        let mut shown = 0;
        let mut i = pos.cell;
        while i < self.cells.len() {
            shown += self.rows(i) - if i == pos.cell { pos.row } else { 0 };
            if shown > height {
                return false;
            }
            i += 1;
        }
        true
    }

    /// Anchors the view at `pos`, or follows when that view shows the end.
    fn set_anchor(&mut self, pos: Pos) {
        let pos = self.normalized(pos);
        self.following = self.reaches_bottom(pos);
        self.top = if self.following {
            self.bottom_top()
        } else {
            pos
        };
    }

    /// The top row of this frame.
    fn view_top(&mut self) -> Pos {
        if !self.following {
            let pos = self.normalized(self.top);
            if !self.reaches_bottom(pos) {
                return pos;
            }
            self.following = true;
        }
        self.bottom_top()
    }
}

/// The dim line closing a task: how it ended, turns, tokens.
fn summary_text(status: TaskStatus, turns: u32, total: &Usage) -> String {
    let status = match status {
        TaskStatus::Ok => "done",
        TaskStatus::Error => "failed",
        TaskStatus::Interrupted => "interrupted",
        TaskStatus::MaxTurns => "stopped at max turns",
        TaskStatus::Budget => "stopped: budget spent",
        TaskStatus::Blocked => "blocked by a hook",
    };
    let unit = if turns == 1 { "turn" } else { "turns" };
    format!(
        "{status} · {turns} {unit} · {} in, {} out",
        tokens(total.prompt_tokens()),
        tokens(total.output_tokens)
    )
}

/// A token count as `950`, `12.3k` or `1.2M`.
fn tokens(n: u64) -> String {
    match n {
        0..=999 => n.to_string(),
        1_000..=999_999 => format!("{:.1}k", n as f64 / 1e3),
        _ => format!("{:.1}M", n as f64 / 1e6),
    }
}

/// The body of the last fenced (```` ``` ```` or `~~~`) code block in
/// markdown `text`; an unclosed last fence counts (the answer may still be
/// streaming).
fn last_fenced_block(text: &str) -> Option<String> {
    let mut last = None;
    // The open fence and the block's lines so far.
    let mut open: Option<((char, usize), Vec<&str>)> = None;
    for line in text.lines() {
        open = match open {
            Some((fence, body)) if streaming::closes(line, fence) => {
                last = Some(body.join("\n"));
                None
            }
            Some((fence, mut body)) => {
                body.push(line);
                Some((fence, body))
            }
            None => streaming::opens(line).map(|fence| (fence, Vec::new())),
        };
    }
    if let Some((_, body)) = open {
        last = Some(body.join("\n"));
    }
    last
}
