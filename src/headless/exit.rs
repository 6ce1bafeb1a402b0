//! Exit codes of `tandem exec` and `tandem demo`, documented in README.md.

/// The task finished.
pub const OK: i32 = 0;
/// An unexpected failure (I/O, a broken stdout).
pub const FAILURE: i32 = 1;
/// Bad usage or configuration: nothing was sent to a model.
pub const USAGE: i32 = 2;
/// The model provider failed (unreachable, key refused, retries exhausted,
/// broken stream).
pub const PROVIDER: i32 = 3;
/// The agent hit `--max-turns` before finishing.
pub const MAX_TURNS: i32 = 4;
/// A budget (`[budget]` in config.toml) is spent; the task stopped before
/// its next model call.
pub const BUDGET: i32 = 5;
/// A `user_prompt_submit` hook blocked the prompt; nothing was sent.
pub const BLOCKED: i32 = 6;
/// Interrupted by Ctrl-C / SIGINT (128 + 2, as shells report it).
pub const INTERRUPTED: i32 = 130;
