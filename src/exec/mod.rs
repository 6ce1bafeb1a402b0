//! Running commands: PTY processes ([`pty`]) and the approval policy
//! ([`approval`]). The kernel sandbox joins here in its own issue.

pub mod approval;
pub mod pty;
pub mod secrets;

pub use approval::ApprovalMode;
