//! Running commands: PTY processes ([`pty`]), the approval policy
//! ([`approval`]) and the permission rules that come before it ([`rules`],
//! with the shell command-line analysis in `shell_split`). The kernel
//! sandbox joins here in its own issue.

pub mod approval;
pub mod pty;
pub mod rules;
mod shell_split;

pub use approval::ApprovalMode;
pub use rules::{Permissions, RuleError, RuleLists, Verdict};
