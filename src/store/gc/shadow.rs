//! Checkpoint repositories (`<state>/shadow/<hash>.git`): removed when
//! their workspace is gone, packed on request when it is not.

use std::path::Path;

use super::disk::{self, dir_size};
use super::{Action, GcItem, GcOptions, GcPlan, ItemKind, Kept};
use crate::workspace::Checkpoints;

/// Adds the checkpoint repositories that may go (or be compacted).
pub(super) fn plan(state: &Path, opts: &GcOptions, plan: &mut GcPlan) {
    let Some(dir) = disk::category(Checkpoints::shadows_dir(state), ItemKind::Checkpoints, plan)
    else {
        return;
    };
    for path in disk::entries(&dir) {
        if path.extension().is_none_or(|e| e != "git") {
            continue;
        }
        if disk::is_link(&path) {
            plan.kept.push(Kept {
                kind: ItemKind::Checkpoints,
                path,
                bytes: 0,
                reason: "a symbolic link: not followed".into(),
                flag: None,
            });
            continue;
        }
        if !path.is_dir() {
            continue;
        }
        let bytes = dir_size(&path);
        let Some(workspace) = Checkpoints::recorded_workspace(&path) else {
            if opts.all_unknown {
                plan.items.push(GcItem {
                    kind: ItemKind::Checkpoints,
                    path,
                    bytes,
                    reason: "unknown workspace (made by an older tandem)".into(),
                    action: Action::Remove,
                });
            } else {
                plan.kept.push(Kept {
                    kind: ItemKind::Checkpoints,
                    path,
                    bytes,
                    reason: "unknown workspace (made by an older tandem; it is recorded when \
                             tandem next opens that workspace)"
                        .into(),
                    flag: Some("--all-unknown"),
                });
            }
            continue;
        };
        match std::fs::metadata(&workspace) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => plan.items.push(GcItem {
                kind: ItemKind::Checkpoints,
                path,
                bytes,
                reason: format!("workspace {} no longer exists", workspace.display()),
                action: Action::Remove,
            }),
            Ok(meta) if meta.is_dir() && opts.compact => plan.items.push(GcItem {
                kind: ItemKind::Checkpoints,
                path,
                bytes,
                reason: format!("pack the checkpoints of {}", workspace.display()),
                action: Action::Compact { workspace },
            }),
            _ => {}
        }
    }
}

/// Packs one live repository; fails when it is not inside the state dir.
pub(super) fn compact(
    state: &Path,
    shadow: &Path,
    workspace: &Path,
) -> Result<Option<String>, String> {
    disk::check_inside(state, shadow)?;
    Checkpoints::compact_repository(shadow, workspace)
        .map(|()| None)
        .map_err(|e| e.to_string())
}
