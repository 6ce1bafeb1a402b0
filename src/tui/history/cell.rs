//! The kinds of entries in a history and how each draws itself at a width.

use ratatui::style::Modifier;
use ratatui::text::{Line, Span};

use super::NoticeKind;
use super::tool::ToolCell;
use super::wrap::{fit, wrap};
use crate::tools::{PlanStep, StepStatus};
use crate::tui::markdown::render_markdown;
use crate::tui::theme::Theme;

/// One entry of the history.
pub(super) enum Cell {
    /// What the user asked.
    User(String),
    /// The model's answer, markdown; grows while it streams.
    Assistant(String),
    /// The model's reasoning; one line unless expanded.
    Reasoning { text: String, expanded: bool },
    /// A tool call.
    Tool(Box<ToolCell>),
    /// The plan, updated in place.
    Plan(Vec<PlanStep>),
    /// A one-line notice: front-end messages, retries, errors.
    Notice { text: String, kind: NoticeKind },
    /// The dim line that closes a task.
    Summary(String),
}

impl Cell {
    /// Whether the cell sits directly under a previous compact cell, with no
    /// blank line between: runs of tool calls and notices read as a list.
    pub(super) fn compact(&self) -> bool {
        matches!(self, Cell::Tool(_) | Cell::Notice { .. } | Cell::Summary(_))
    }

    /// The cell's lines at `width` columns (never wider).
    pub(super) fn render(&self, width: usize, theme: &Theme) -> Vec<Line<'static>> {
        let blank = || Span::raw("  ");
        let lines = match self {
            Cell::User(text) => wrap(
                text,
                width,
                Span::styled("› ", theme.user),
                blank(),
                theme.user,
            ),
            Cell::Assistant(text) => return answer_lines(text, width, theme),
            Cell::Reasoning { text, expanded } => {
                let words = text.split_whitespace().count();
                if words == 0 {
                    return Vec::new();
                }
                let unit = if words == 1 { "word" } else { "words" };
                let marker = if *expanded { "▾" } else { "▸" };
                let mut lines = vec![Line::styled(
                    format!("{marker} thinking ({words} {unit})"),
                    theme.dim,
                )];
                if *expanded {
                    let style = theme.dim.add_modifier(Modifier::ITALIC);
                    lines.extend(wrap(text.trim(), width, blank(), blank(), style));
                }
                lines
            }
            Cell::Tool(tool) => tool.render(width, theme),
            Cell::Plan(steps) => plan_lines(steps, width, theme),
            Cell::Notice { text, kind } => {
                let (mark, style) = match kind {
                    NoticeKind::Info => ("· ", theme.dim),
                    NoticeKind::Warning => ("! ", theme.warning),
                    NoticeKind::Error => ("✗ ", theme.error),
                };
                wrap(text, width, Span::styled(mark, style), blank(), style)
            }
            Cell::Summary(text) => wrap(
                text,
                width,
                Span::styled("─ ", theme.dim),
                blank(),
                theme.dim,
            ),
        };
        fit(lines, width)
    }
}

/// An answer's markdown at `width` columns (nothing for blank text).
pub(super) fn answer_lines(text: &str, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    if text.trim().is_empty() {
        return Vec::new();
    }
    let lines = render_markdown(text, u16::try_from(width).unwrap_or(u16::MAX), theme);
    fit(lines, width)
}

/// The plan as a checklist under a heading.
fn plan_lines(steps: &[PlanStep], width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let done = steps
        .iter()
        .filter(|s| s.status == StepStatus::Completed)
        .count();
    let mut lines = vec![Line::styled(
        format!("Plan ({done}/{})", steps.len()),
        theme.heading,
    )];
    for step in steps {
        let (mark, style) = match step.status {
            StepStatus::Pending => ("☐ ", theme.text),
            StepStatus::InProgress => ("◐ ", theme.accent.add_modifier(Modifier::BOLD)),
            StepStatus::Completed => ("☑ ", theme.dim),
        };
        lines.extend(wrap(
            &step.step,
            width,
            Span::styled(format!("  {mark}"), style),
            Span::raw("    "),
            style,
        ));
    }
    lines
}
