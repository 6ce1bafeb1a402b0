//! Running commands: PTY processes ([`pty`]), the kernel sandbox for
//! commands ([`sandbox`]: Landlock + seccomp, applied in a re-exec of
//! tandem), the approval policy ([`approval`]) and the permission rules that
//! come before it ([`rules`], with the shell command-line analysis in
//! `shell_split`), and keeping credentials out of children and transcripts
//! ([`secrets`]).

pub mod approval;
pub mod pty;
pub mod rules;
pub mod sandbox;
pub mod secrets;
mod shell_split;

pub use approval::ApprovalMode;
pub use rules::{Permissions, RuleError, RuleLists, Verdict};
