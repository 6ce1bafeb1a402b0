//! Tandem: a terminal workbench where an interactive agent (Chat) and an
//! autonomous agent (Run) work on one workspace.
//!
//! # Architecture map
//!
//! The engine knows no terminal. Front ends (`headless` today, `tui` later)
//! send [`agent::Op`]s to one [`agent::Session`] per pane and render the
//! [`agent::Event`]s it emits. Everything below the front ends is shared,
//! terminal-free code:
//!
//! ```text
//!   cli ──▶ headless (tandem exec, tandem demo)
//!              │ Op ▲ Event            (typed enums over tokio channels)
//!              ▼    │
//!           agent::Session  ── one tokio task per pane: history, turn loop,
//!              │                tool dispatch, approvals, output capping
//!      ┌───────┼──────────┐
//!      ▼       ▼          ▼
//!  provider   tools ──▶ exec (PTY processes, approval modes)
//!  (ModelClient: SSE decoding, retries, idle timeout, rate limits;
//!   one wire file per protocol: anthropic, openai_responses, openai_chat)
//! ```
//!
//! | module | owns |
//! |---|---|
//! | [`paths`] | where config and state live (`TANDEM_HOME`, XDG dirs) |
//! | [`logging`] | tracing to a file under the state dir, never the terminal |
//! | [`config`] | `config.toml` layering, provider definitions, model table, instruction files |
//! | [`provider`] | the [`provider::ModelClient`] trait, the provider-neutral conversation types, the HTTP/SSE driver and the three wire protocols |
//! | [`agent`] | [`agent::Session`], its `Op`/`Event` protocol, system prompts |
//! | [`tools`] | tool definitions (JSON schema) and implementations, the patch grammar |
//! | [`exec`] | PTY processes and the approval policy |
//! | [`mockserver`] | the scripted model server on loopback: backs `tandem demo` and the integration tests, speaks all three wire protocols, injects faults |
//! | [`headless`] | `tandem exec` and `tandem demo`: text or JSONL output, exit codes |
//! | [`cli`] | command-line parsing and dispatch |
//!
//! Data flow of one turn: a front end sends `Op::UserMessage`; the session
//! builds a [`provider::ModelRequest`] and streams it through a
//! [`provider::ModelClient`]; stream events become `Event`s for the front end
//! and are accumulated into an assistant message; tool calls in it run through
//! [`tools::Registry`] (asking for approval per [`exec::ApprovalMode`]); their
//! results go back to the model until it stops.
//!
//! The mock server lives in `src/` rather than `tests/` because `tandem demo`
//! ships it: the demo runs the real HTTP client against it on loopback.

pub mod agent;
pub mod cli;
pub mod config;
pub mod exec;
pub mod headless;
pub mod logging;
pub mod mockserver;
pub mod paths;
pub mod provider;
pub mod tools;
