//! Approval modes: what an agent may do without asking.

use serde::{Deserialize, Serialize};

use crate::tools::ToolKind;

/// How much an agent may do without asking the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum ApprovalMode {
    /// Reads run; edits and commands need approval (the Chat pane's default).
    Suggest,
    /// Reads and workspace edits run; commands need approval.
    AutoEdit,
    /// Everything runs (the Run pane's default; commands are sandboxed).
    FullAuto,
}

impl ApprovalMode {
    /// Whether a call of this kind must be approved before it runs.
    pub fn needs_approval(self, kind: ToolKind) -> bool {
        match (self, kind) {
            (_, ToolKind::Read | ToolKind::Plan) => false,
            (ApprovalMode::FullAuto, _) => false,
            (ApprovalMode::AutoEdit, ToolKind::Edit) => false,
            (ApprovalMode::AutoEdit, ToolKind::Exec) => true,
            (ApprovalMode::Suggest, ToolKind::Edit | ToolKind::Exec) => true,
        }
    }

    /// The name used in flags and config.
    pub fn as_str(self) -> &'static str {
        match self {
            ApprovalMode::Suggest => "suggest",
            ApprovalMode::AutoEdit => "auto-edit",
            ApprovalMode::FullAuto => "full-auto",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_gate_the_right_kinds() {
        use ToolKind::*;
        assert!(!ApprovalMode::Suggest.needs_approval(Read));
        assert!(ApprovalMode::Suggest.needs_approval(Edit));
        assert!(ApprovalMode::Suggest.needs_approval(Exec));
        assert!(!ApprovalMode::AutoEdit.needs_approval(Edit));
        assert!(ApprovalMode::AutoEdit.needs_approval(Exec));
        assert!(!ApprovalMode::FullAuto.needs_approval(Exec));
        assert!(!ApprovalMode::FullAuto.needs_approval(Plan));
    }
}
