//! `tandem gc`: the plan (or what was done) as a table with sizes and a
//! total, or one JSON object for scripts.

use std::io::Write;
use std::path::Path;

use serde::Serialize;

use super::disk::human;
use super::{GcOptions, GcPlan, GcReport, Kept, apply, plan};
use crate::headless::exit;

/// Runs `tandem gc`; returns the exit code (1 when an item failed).
pub fn run(opts: &GcOptions, dry_run: bool, json: bool) -> i32 {
    let dirs = match crate::paths::Dirs::from_env() {
        Ok(dirs) => dirs,
        Err(e) => {
            eprintln!("tandem: {e}");
            return exit::USAGE;
        }
    };
    let plan = match plan(&dirs.state, opts) {
        Ok(plan) => plan,
        Err(e) => {
            eprintln!("tandem gc: {e}");
            return exit::FAILURE;
        }
    };
    let report = (!dry_run).then(|| apply(&plan));
    let text = if json {
        match serde_json::to_string(&JsonOut::new(&plan, report.as_ref())) {
            Ok(text) => text + "\n",
            Err(e) => {
                eprintln!("tandem gc: cannot write JSON: {e}");
                return exit::FAILURE;
            }
        }
    } else {
        render(&plan, report.as_ref())
    };
    if std::io::stdout().lock().write_all(text.as_bytes()).is_err() {
        return exit::FAILURE;
    }
    if report.as_ref().is_some_and(GcReport::has_failures) {
        exit::FAILURE
    } else {
        exit::OK
    }
}

/// `tandem gc --json`: the plan, and what was done unless `--dry-run`.
#[derive(Serialize)]
struct JsonOut<'a> {
    dry_run: bool,
    #[serde(flatten)]
    plan: &'a GcPlan,
    total_bytes: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    report: Option<&'a GcReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    freed_bytes: Option<u64>,
}

impl<'a> JsonOut<'a> {
    fn new(plan: &'a GcPlan, report: Option<&'a GcReport>) -> Self {
        Self {
            dry_run: report.is_none(),
            plan,
            total_bytes: plan.total_bytes(),
            report,
            freed_bytes: report.map(GcReport::freed_bytes),
        }
    }
}

/// The table: one row per item (`would remove` in a dry run, else what
/// happened), the total, failures with their reason, and what a flag
/// would also remove.
pub fn render(plan: &GcPlan, report: Option<&GcReport>) -> String {
    let state = &plan.state_dir;
    let mut out = format!("State dir: {}\n", state.display());
    if plan.items.is_empty() {
        out.push_str("Nothing to remove.\n");
    } else {
        let mut rows = vec![[
            "action".to_string(),
            "what".into(),
            "size".into(),
            "path".into(),
            "why".into(),
        ]];
        for (i, item) in plan.items.iter().enumerate() {
            let compact = matches!(item.action, super::Action::Compact { .. });
            let outcome = report.map(|r| &r.outcomes[i]);
            let action = match (outcome, compact) {
                (None, true) => "would compact",
                (None, false) => "would remove",
                (Some(o), _) if o.error.is_some() => "FAILED",
                (Some(_), true) => "compacted",
                (Some(_), false) => "removed",
            };
            let mut why = item.reason.clone();
            if let Some(note) = outcome.and_then(|o| o.note.as_ref()) {
                why = format!("{why}; {note}");
            }
            rows.push([
                action.to_string(),
                item.kind.label().to_string(),
                human(item.bytes),
                relative(state, &item.path),
                why,
            ]);
        }
        out.push_str(&crate::store::command::aligned(&rows));
        match report {
            None => {
                let compacting = plan
                    .items
                    .iter()
                    .any(|i| matches!(i.action, super::Action::Compact { .. }));
                let note = if compacting {
                    "; compaction frees only part of its size"
                } else {
                    ""
                };
                out.push_str(&format!(
                    "Total: {} would be freed (dry run: nothing was changed{note}).\n",
                    human(plan.total_bytes())
                ));
            }
            Some(report) => {
                out.push_str(&format!("Total: {} freed.\n", human(report.freed_bytes())));
                for o in report.outcomes.iter().filter(|o| o.error.is_some()) {
                    out.push_str(&format!(
                        "failed: {}: {}\n",
                        o.item.path.display(),
                        o.error.as_deref().unwrap_or_default()
                    ));
                }
            }
        }
    }
    out.push_str(&kept_lines(state, &plan.kept));
    out
}

/// What was held back and why (with the flag that would remove it).
fn kept_lines(state: &Path, kept: &[Kept]) -> String {
    let mut out = String::new();
    for k in kept {
        let flag = k
            .flag
            .map(|f| format!(" ({f} removes it)"))
            .unwrap_or_default();
        out.push_str(&format!(
            "kept: {} {} ({}): {}{flag}\n",
            k.kind.label(),
            relative(state, &k.path),
            human(k.bytes),
            k.reason
        ));
    }
    out
}

/// `path` relative to the state dir when inside it.
fn relative(state: &Path, path: &Path) -> String {
    path.strip_prefix(state)
        .unwrap_or(path)
        .display()
        .to_string()
}
