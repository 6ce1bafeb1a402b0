//! Tandem: a terminal workbench where an interactive agent (Chat) and an
//! autonomous agent (Run) work on one workspace.
//!
//! # Architecture map
//!
//! The engine knows no terminal. Front ends (`tui`, `headless`) send
//! [`agent::Op`]s to one [`agent::Session`] per pane and render the
//! [`agent::Event`]s it emits. Everything below the front ends is shared,
//! terminal-free code (only `tui` imports ratatui and crossterm):
//!
//! ```text
//!   cli ──▶ tui (tandem, tandem demo)      headless (tandem exec, demo --headless)
//!              │ Op ▲ Event            (typed enums over tokio channels)
//!              ▼    │
//!           agent::Session  ── one tokio task per pane: history, turn loop,
//!              │                tool dispatch, approvals, output capping
//!      ┌───────┼──────────┐
//!      ▼       ▼          ▼
//!  provider   tools ──▶ exec (PTY ─▶ tandem sandbox-exec ─▶ command;
//!                              rules, approval modes, secrets)
//!  (ModelClient: SSE decoding, retries, idle timeout, rate limits;
//!   one wire file per protocol: anthropic, openai_responses, openai_chat)
//!
//!   tools ◀── mcp::McpHub (one per process, both panes: stdio children and
//!             streamable HTTP servers; their tools offered as
//!             mcp__SERVER__TOOL through a tools::ToolSource)
//!
//!   sessions ──begin/end call, turn ended──▶ workspace::Tracker ◀── file watcher
//!                                            │ checkpoints (shadow git) +
//!                                            │ attribution ──▶ TrackerEvent
//!   tui diff viewer ◀── review worker thread ◀┘ (workspace::Review: diffs,
//!                        accept = stage / mark reviewed, revert, undo)
//!
//!   sessions ──record call, rate limits; "may I call?"──▶ quota::Meter
//!                                  │ writer thread ─▶ SQLite ledger (WAL)
//!   status bar meter, quota view ◀─┘ (totals, budgets, snapshot)
//!
//!   hosted program (Claude Code, Codex) ──HTTP on 127.0.0.1/TOKEN──▶
//!     proxy::MeteringProxy ──same bytes──▶ upstream provider (key added)
//!          └─ usage, rate limits; "may I call?" ──▶ quota::Meter
//! ```
//!
//! | module | owns |
//! |---|---|
//! | [`paths`] | where config and state live (`TANDEM_HOME`, XDG dirs) |
//! | [`logging`] | tracing to a daily file under the state dir, never the terminal |
//! | [`config`] | `config.toml` layering over `assets/defaults.toml` (`layers`: user < project < profile < `-c KEY=VALUE`, each layer checked so an error names file, line and key), the sections users bring from other agents (`sections`: `[instructions]`, `[[hooks.EVENT]]`, `[mcp_servers]`, `[host]`, `[project] trust`), provider definitions, relays (`[relays.NAME]` → `NAME-anthropic` / `NAME-openai`) and their model table, resolving a provider to a client config (`providers`), project instructions (`instructions/`: `AGENTS.md`/`CLAUDE.md` at user, root-to-workspace and subdirectory level with override and local files, `@imports`, per-file and total caps with notes, the session's `InstructionSet` that loads subdirectory files once), custom slash commands from `.tandem/commands/`, `.claude/commands/` and the user's dirs with their frontmatter and `$ARGUMENTS`/`$1` substitution (`commands`), the effective settings with their origin for `tandem config show` (`show`) |
//! | [`provider`] | provider-neutral conversation and stream types (`types`), the [`provider::ModelClient`] trait, the one HTTP driver (`client`: retries with `retry`, idle timeout, rate limits from `ratelimit`, no duplicated output on retry), the SSE decoder (`sse`), the wire seam (`wire`) and one pure file per protocol (`anthropic`, `openai_responses`, `openai_chat`), and folding a stream into a message (`accumulate`) |
//! | [`agent`] | building a session from the config for any front end (`setup`), [`agent::Session`] (`session`: history, turn loop, tool dispatch, approvals, interrupts, redaction, the budget gate before each call, completion checks of `--until` tasks, rewind, recording to the transcript; calling the hooks at each event in `session/hook_calls`), context compaction (`compact`: when and where to cut, the summary request, the compacted history), its `Op`/`Event` protocol (`protocol`), whether a call runs, asks or is refused (`gate`: rules, then the mode), system prompts and the subdirectory-instructions block appended to a tool result, plus `/init`'s task (`prompt`; the session emits `Event::InstructionsLoaded`), capping tool output for the model (`truncate`) |
//! | [`tools`] | the [`tools::Tool`] trait and [`tools::Registry`]; one file per tool (`read`, `list`, `glob`, `grep`, `edit`, `write`, `patch/` with its grammar, `shell`, `plan`); workspace path rules (`paths`) and atomic writes (`atomic`) |
//! | [`exec`] | PTY processes that never outlive their command (`pty`); the kernel sandbox (`sandbox`: Landlock + seccomp applied by `tandem sandbox-exec`, a re-exec of this binary that then execs the command, plus the `doctor` probe); permission rules (`rules`, with command-line analysis in `shell_split`); approval modes (`approval`); credentials kept out of children, `/proc` and transcripts (`secrets`) |
//! | [`mcp`] | MCP servers (rmcp client): `[mcp_servers]` merged with `.mcp.json` and held back until a project is trusted (`config`), stdio children without credentials and with captured stderr, or streamable HTTP (`client`), handshake and calls under timeouts, crashes told apart (`connection`), the per-process [`mcp::McpHub`] (eager/lazy start, crash watch, restart, a `tools::ToolSource` for sessions), `mcp__SERVER__TOOL` tools (`tool`) and what `/mcp` shows (`status`) |
//! | [`hooks`] | the user's commands on session events, compatible with Claude Code's hooks: the effective set from every config layer plus Claude's settings, with a project's hooks held back until it is trusted (`config`, `claude` import with event and tool-name mapping), the JSON on stdin (`input`), running one hook with a timeout that kills its process group and no provider keys in its environment (`runner`), and reading exit codes and JSON answers and combining them (`outcome`); the session calls them at each event (`agent::session::hook_calls`) |
//! | [`host`] | hosted terminal agents: a program (Claude Code, Codex CLI, any command) in a PTY of its own with its output kept as a `vt100` screen with scrollback, resized with its pane, its exit reported as a `HostEvent`, its whole session killed on drop, no provider keys in its environment and the launcher's extra variables (a metering proxy's base URLs) added (`program`, with answers to terminal queries in `replies`); what `claude`, `codex` and other commands run as per pane (`presets`) |
//! | [`diff`] | the pure diff model behind the review pane: files, hunks and lines with word-level emphasis (`model`), computing them with `similar` under a deadline plus binary and rename detection (`compute`), exporting selected hunks as a patch `git apply` accepts (`patch`), and the byte-exact per-hunk accept/revert the review runs (`apply`) |
//! | [`workspace`] | checkpoints of the work tree in a private shadow git repository under the state dir (never the user's `.git`; `.gitignore`, `.tandemignore`, size limit), file contents at a checkpoint, restore, and attribution of changes to pane, turn and tool (`ChangeLog`); the `tracker` that sessions and a debounced file watcher (`watcher`: one inotify watch per kept directory, none on ignored ones) drive, checkpointing at session start and after every turn that ran tools and attributing each change across both panes; the `review` engine (index or baseline → working tree diffs; accept stages in the user's index in a git repository or marks reviewed otherwise; revert; undo); `worktree`: a run in its own git worktree and branch under the state dir (diff against its base, apply to the main tree with conflicts refused, commit, discard); `user_git` runs the user's own git for both (redirecting variables removed, hooks off, no optional locks) |
//! | [`quota`] | the usage ledger and budgets shared by both panes and headless runs: prices (`pricing`, assets/pricing.toml + `[pricing]`), budgets and their state (`budget`), the SQLite ledger safe with several processes (`ledger`, with hourly sums for fast totals), local day and month boundaries (`clock`), the shared [`quota::Meter`] (record, check before each call, rate limits, snapshot for the view; a writer thread keeps records in memory while the database is unavailable), and `tandem usage` (`report`) |
//! | [`store`] | session transcripts: every event and model message of both panes appended to `<state>/sessions/<id>.jsonl` as it happens (`transcript`: buffered deltas, other records written at once, fsync at close, write errors kept as a problem, never a panic), reading one back with a cut last line ignored (`load`), worktree runs' records (`runs`: created, finished, merged, discarded; a run's own events under `run#N`), the `sessions` index table in the ledger database with per-session cost (`index`), and `tandem sessions` (`command`); and `tandem gc` (`gc`): what the state dir holds that can go, with sizes (`disk`: du-like sums that never follow links, removal only inside the state dir through a trash dir), checkpoint repositories of deleted workspaces and packing live ones (`shadow`), worktree runs whose repository is gone (`worktrees`), old transcripts with their index rows (`sessions`), a plan first and then each item on its own (`plan`, `apply`), the table or JSON (`command`); `tandem doctor` shows the state dir's size from `disk` |
//! | [`proxy`] | the metering proxy for hosted terminal agents: a hyper server on loopback with a random token in its URLs (`server`), forwarding each request unchanged to the `[host]` upstream with the configured key put on it and streaming the answer back chunk by chunk (`forward`), reading usage and model out of the SSE or JSON passing through into the shared meter (`usage`), and its own answers in each provider's error shape: wrong token, budget spent (429), upstream unreachable (502) (`refuse`); `env_for` gives a hosted program its `*_BASE_URL` variables |
//! | [`mockserver`] | the scripted model server on loopback: backs `tandem demo` (one per pane) and the integration tests, speaks all three wire protocols, injects faults |
//! | [`tui`] | the full-screen workbench: start-up and event loop (`run`), state (`app`, `app_review`), drawing (`view`), each pane's history (`history`), the composer (`composer`), the diff viewer (`diffview`) and its worker thread (`review_worker`), the quota meter in the status bar (`status_meter`) and the quota view (`quota_view`, `app_quota`), `/rewind` (`app_rewind`), each pane's instruction files with `/memory` and `/init` (`app_memory`), worktree runs (`app_runs`; going on with a follow-up: `app_runs::revive`), telling the user when the ledger or the transcript cannot be written (`app_storage`), resuming sessions (`resume`), lists to choose from for `/resume`, `/runs`, `/rewind`, `/theme` (`picker`, opened by `app_picker`), `tandem demo` played in the workbench (`demo`: the story's steps, the director feeding them as keys to the app at a pace the viewer controls, the caption box naming each key), the first-run screen when no model is reachable (`first_run`), `/theme` (`app_theme`), a pane hosting a terminal agent (`app_host`: keys to the program, the prefix key, restarts, change attribution; `host_keys`: keys as xterm bytes; `hosted`: drawing its screen), bell / OSC 9 notifications (`notify`), custom slash commands in the composer and `/help` (`app_commands`), `/mcp` (`app_mcp`), the README's key tables generated from the keymap (`keys_doc`), one style for vt100 cells of command output and hosted screens (`vt_style`), markdown and highlighting, the keymap table, terminal hygiene, themes |
//! | [`headless`] | `tandem exec` (`run`: resolves provider, rules and sandbox from config and flags), what both forms of `tandem demo` share: the sample project, the two panes' scripts and model servers, the demo configuration (`demo`), and its story as text for `--headless` (`demo_story`), `tandem doctor` (`doctor`: terminal, config, providers, sandbox, state, ledger, git), text/JSONL rendering (`output`), exit codes (`exit`) |
//! | [`cli`] | command-line parsing and dispatch |
//!
//! Data flow of one turn: a front end sends `Op::UserMessage`; the session
//! builds a [`provider::ModelRequest`] and streams it through a
//! [`provider::ModelClient`]; stream events become `Event`s for the front end
//! and are accumulated into an assistant message; tool calls in it run through
//! [`tools::Registry`] after [`agent::gate`] (permission rules, then
//! [`exec::ApprovalMode`]); commands go through the PTY into the kernel
//! sandbox; results, with secret values redacted, go back to the model until
//! it stops.
//!
//! The mock server lives in `src/` rather than `tests/` because `tandem demo`
//! ships it: the demo runs the real HTTP client against it on loopback.

pub mod agent;
pub mod cli;
pub mod config;
pub mod diff;
pub mod exec;
pub mod headless;
pub mod hooks;
pub mod host;
pub mod logging;
pub mod mcp;
pub mod mockserver;
pub mod paths;
pub mod provider;
pub mod proxy;
pub mod quota;
pub mod store;
pub mod tools;
pub mod tui;
pub mod workspace;

#[cfg(test)]
mod test_git;
