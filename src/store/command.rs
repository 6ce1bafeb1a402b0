//! `tandem sessions`: the recorded sessions, newest first, as a table or
//! JSON for scripts.

use std::io::Write;

use unicode_width::UnicodeWidthStr;

use super::index::{self, SessionInfo};
use crate::headless::exit;
use crate::quota::{Totals, clock, report::cost_text};

/// The first prompt is cut to this many columns in the table.
const PROMPT_COLUMNS: usize = 48;

/// Runs `tandem sessions`; returns the exit code.
pub fn run(json: bool) -> i32 {
    let dirs = match crate::paths::Dirs::from_env() {
        Ok(dirs) => dirs,
        Err(e) => {
            eprintln!("tandem: {e}");
            return exit::USAGE;
        }
    };
    let sessions = match index::list(&dirs.state) {
        Ok(sessions) => sessions,
        Err(e) => {
            eprintln!("tandem sessions: {e}");
            return exit::FAILURE;
        }
    };
    let text = if json {
        match serde_json::to_string(&sessions) {
            Ok(text) => text + "\n",
            Err(e) => {
                eprintln!("tandem sessions: cannot write JSON: {e}");
                return exit::FAILURE;
            }
        }
    } else if sessions.is_empty() {
        format!(
            "No sessions recorded yet (transcripts go to {}).\n",
            super::sessions_dir(&dirs.state).display()
        )
    } else {
        table(&sessions)
    };
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Ok(()) => exit::OK,
        Err(_) => exit::FAILURE,
    }
}

/// The columns of [`table`] and of the workbench's `/resume` list.
pub const HEADER: [&str; 5] = ["started", "workspace", "first prompt", "cost", "id"];

/// One session's cells under [`HEADER`]: local start time, workspace,
/// first prompt (one line, shortened), cost, id (marked when the session
/// was not closed cleanly).
pub fn row(s: &SessionInfo) -> [String; 5] {
    let mut id = s.id.clone();
    if !s.ended {
        id.push_str(" (not closed)");
    }
    [
        local_time(s.started),
        s.workspace.display().to_string(),
        s.first_prompt.as_deref().map(shorten).unwrap_or_default(),
        cost(s),
        id,
    ]
}

/// One line per session: local start time, workspace, first prompt, cost,
/// id; aligned, with a header.
pub fn table(sessions: &[SessionInfo]) -> String {
    let mut rows = vec![HEADER.map(String::from)];
    rows.extend(sessions.iter().map(row));
    aligned(&rows)
}

/// Rows as aligned columns, two spaces apart, trailing spaces trimmed: the
/// tables `tandem sessions` and `tandem gc` print.
pub fn aligned<const N: usize>(rows: &[[String; N]]) -> String {
    let mut widths = [0usize; N];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.width());
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (j, (cell, width)) in row.iter().zip(widths).enumerate() {
            if j > 0 {
                line.push_str("  ");
            }
            line.push_str(cell);
            line.push_str(&" ".repeat(width - cell.width()));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// `YYYY-MM-DD HH:MM` in local time, from Unix milliseconds.
fn local_time(ms: i64) -> String {
    let t = ms.div_euclid(1000);
    let of_day = (t + clock::utc_offset(t)).rem_euclid(86_400);
    format!(
        "{} {:02}:{:02}",
        clock::format_date(t),
        of_day / 3600,
        of_day / 60 % 60
    )
}

/// The prompt on one line, cut to [`PROMPT_COLUMNS`] with an ellipsis.
fn shorten(prompt: &str) -> String {
    let flat = prompt.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.width() <= PROMPT_COLUMNS {
        return flat;
    }
    let mut out = String::new();
    for c in flat.chars() {
        if out.width() + unicode_width::UnicodeWidthChar::width(c).unwrap_or(0) >= PROMPT_COLUMNS {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

/// The ledger's cost of the session, `-` when it made no model call.
fn cost(s: &SessionInfo) -> String {
    if s.calls == 0 {
        return "-".into();
    }
    cost_text(&Totals {
        calls: s.calls,
        cost_usd: s.cost_usd,
        unpriced_calls: s.unpriced_calls,
        ..Totals::default()
    })
}
