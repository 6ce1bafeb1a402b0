//! A tool call: one line (status, name, short argument, duration), with
//! the command's live screen under it while it runs, expandable to the full
//! input and output.

use std::time::Duration;

use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

use super::terminal::LiveScreen;
use super::wrap::{truncate, wrap};
use crate::tui::theme::Theme;

/// Where a tool call stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ToolStatus {
    /// Announced or running.
    Running,
    /// Waiting for the user's approval.
    Waiting,
    /// Finished and succeeded.
    Ok,
    /// Finished and failed (or was refused).
    Failed,
}

/// One tool call in the history.
pub(super) struct ToolCell {
    pub(super) name: String,
    pub(super) summary: String,
    pub(super) input: serde_json::Value,
    pub(super) status: ToolStatus,
    pub(super) output: Option<String>,
    pub(super) exit_code: Option<i32>,
    pub(super) duration: Option<Duration>,
    /// The command's screen while it runs; dropped when the result comes.
    pub(super) live: Option<LiveScreen>,
    pub(super) expanded: bool,
}

/// Gutter in front of a tool's details (input, output, live screen).
const GUTTER: &str = "  │ ";

impl ToolCell {
    /// A call that was just announced.
    pub(super) fn new(name: &str, summary: &str, input: &serde_json::Value) -> Self {
        Self {
            name: name.to_string(),
            summary: summary.to_string(),
            input: input.clone(),
            status: ToolStatus::Running,
            output: None,
            exit_code: None,
            duration: None,
            live: None,
            expanded: false,
        }
    }

    /// The call's lines at `width` columns.
    pub(super) fn render(&self, width: usize, theme: &Theme) -> Vec<Line<'static>> {
        let mut lines = vec![self.headline(width, theme)];
        let gutter = Span::styled(GUTTER, theme.dim);
        let room = width.saturating_sub(GUTTER.width());
        if self.expanded {
            let input = serde_json::to_string_pretty(&self.input).unwrap_or_default();
            lines.push(Line::styled(
                "  input",
                theme.dim.add_modifier(Modifier::BOLD),
            ));
            lines.extend(wrap(
                &input,
                width,
                gutter.clone(),
                gutter.clone(),
                theme.dim,
            ));
        }
        if let Some(live) = &self.live {
            for mut row in live.lines(room, theme) {
                row.spans.insert(0, gutter.clone());
                lines.push(row);
            }
        } else if self.expanded {
            lines.push(Line::styled(
                "  output",
                theme.dim.add_modifier(Modifier::BOLD),
            ));
            match self.output.as_deref() {
                Some(out) if !out.trim().is_empty() => {
                    let out = out.strip_suffix('\n').unwrap_or(out);
                    lines.extend(wrap(out, width, gutter.clone(), gutter, theme.text));
                }
                Some(_) => lines.push(Line::from(vec![
                    gutter,
                    Span::styled("(no output)", theme.dim),
                ])),
                None => lines.push(Line::from(vec![
                    gutter,
                    Span::styled("(not finished)", theme.dim),
                ])),
            }
        }
        lines
    }

    /// `✓ name  summary  1.2s`, the summary cut to fit.
    fn headline(&self, width: usize, theme: &Theme) -> Line<'static> {
        let (icon, icon_style) = match self.status {
            ToolStatus::Running => ("⋯", theme.accent),
            ToolStatus::Waiting => ("?", theme.warning.add_modifier(Modifier::BOLD)),
            ToolStatus::Ok => ("✓", theme.success),
            ToolStatus::Failed => ("✗", theme.error),
        };
        let mut tail = String::new();
        if let Some(code) = self.exit_code.filter(|c| *c != 0) {
            tail.push_str(&format!("  exit {code}"));
        }
        if let Some(d) = self.duration {
            tail.push_str(&format!("  {}", format_duration(d)));
        }
        if self.status == ToolStatus::Waiting {
            tail.push_str("  waiting for approval");
        }
        let head = format!("{icon} {}", self.name);
        let room = width.saturating_sub(head.width() + tail.width() + 1);
        let mut spans = vec![
            Span::styled(format!("{icon} "), icon_style),
            Span::styled(self.name.clone(), theme.text.add_modifier(Modifier::BOLD)),
        ];
        let summary = truncate(&self.summary, room);
        if !summary.is_empty() {
            spans.push(Span::styled(format!(" {summary}"), theme.text));
        }
        let tail_style = if self.status == ToolStatus::Waiting {
            theme.warning
        } else {
            theme.dim
        };
        spans.push(Span::styled(tail, tail_style));
        let line = Line::from(spans);
        if line.width() > width {
            let flat = truncate(&line.to_string(), width);
            return Line::styled(flat, theme.text);
        }
        line
    }
}

/// A short human duration: `850ms`, `4.2s`, `3m07s`.
pub(super) fn format_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms < 60_000 {
        format!("{:.1}s", d.as_secs_f64())
    } else {
        let s = d.as_secs();
        format!("{}m{:02}s", s / 60, s % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_well() {
        assert_eq!(format_duration(Duration::from_millis(850)), "850ms");
        assert_eq!(format_duration(Duration::from_millis(4230)), "4.2s");
        assert_eq!(format_duration(Duration::from_secs(187)), "3m07s");
    }
}
