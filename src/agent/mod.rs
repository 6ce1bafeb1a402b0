//! The agent engine: one [`Session`] per pane, driven by [`Op`]s and
//! reporting [`Event`]s.
//!
//! A session owns its history and runs as a tokio task; front ends never
//! touch its state, they only exchange typed messages with it, so the TUI can
//! drive two sessions at once and headless mode can drive one.

pub mod compact;
pub mod gate;
pub mod prompt;
pub mod protocol;
pub mod session;
pub mod setup;
pub mod truncate;

pub use protocol::{ApprovalDecision, Event, Op, Pane, TaskStatus};
pub use session::{Session, SessionConfig, SessionHandle};
