//! Hosted terminal agents: a pane runs Claude Code, Codex CLI or any other
//! terminal program instead of Tandem's own session.
//!
//! The engine half of the feature, free of any terminal library: the
//! program runs in a PTY of its own ([`program::HostedProgram`]), its
//! output is kept as a `vt100` screen with scrollback, and its exit is
//! reported as a typed [`program::HostEvent`]. Which command line a name
//! stands for (`claude`, `codex`, anything else through `sh -c`) is
//! [`presets`]. The TUI draws the screen and turns keys into bytes.
//!
//! Credentials: a hosted program never gets the provider key variables
//! (the same rule as every child Tandem starts); the launcher passes the
//! extra environment instead (a metering proxy's base URLs).

pub mod presets;
pub mod program;
mod replies;

pub use presets::HostCommand;
pub use program::{HostEvent, HostOptions, HostedProgram};
