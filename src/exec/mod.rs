//! Running commands: PTY processes ([`pty`]), the approval policy
//! ([`approval`]) and the kernel sandbox for commands ([`sandbox`]:
//! Landlock + seccomp, applied in a re-exec of tandem).

pub mod approval;
pub mod pty;
pub mod sandbox;

pub use approval::ApprovalMode;
