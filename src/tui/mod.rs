//! The full-screen front end: two panes (Chat and Run), each driving one
//! [`crate::agent::Session`], a composer, a status bar and overlays.
//!
//! It only sends `Op`s and renders `Event`s; everything it draws comes from
//! its own state through pure render functions, so frames can be snapshot-
//! tested with ratatui's `TestBackend` and benchmarked alone.
//!
//! | file | owns |
//! |---|---|
//! | `resume` | finding a saved session and drawing its conversations again (`tandem resume`, `--continue`) |
//! | `run` | start-up (sessions from the config) and the event loop: input, session events, coalesced frames |
//! | `app` | the state and how keys, pastes and session events change it |
//! | `app_memory` | the instruction files each pane's session loaded: cut/skip notes as they load, `/memory`, `/init` |
//! | `app_quota` | `/budget`: the budgets of this process, seen and changed live |
//! | `app_runs` | parallel runs in git worktrees: `/run --worktree`, `/runs` (list, show, merge, discard), the queue |
//! | `app_rewind` | `/rewind`: a pane's conversation (and optionally the files) back to before one of its tasks |
//! | `demo` | `tandem demo`: the story played in the workbench by a director feeding keys to the app, with a caption box naming each key |
//! | `app_review` | opening the diff viewer, its keys and actions, the Run summary of changed files |
//! | `diffview` | the diff viewer: file list, unified / side-by-side diff, lazy highlighting, review keys |
//! | `app_commands` | custom slash commands: giving them to the composers and `/help`, running one (its prompt to its pane, on its model) |
//! | `run_review` | `/review`: the diff of Run's last task, sent to Chat for findings |
//! | `review_worker` | the thread that computes review snapshots and runs accept / revert / undo off the UI thread |
//! | `view` | drawing the state: layout, pane titles, status bar, approval dialog, help |
//! | `history` | one pane's scrollable history of cells, rendering only the visible lines |
//! | `composer` | the input: editing, history, slash commands, `@` file completion |
//! | `markdown`, `highlight` | assistant text to styled lines; syntect code highlighting |
//! | `quota_view` | the quota view: totals, budgets, cost per model and pane, hourly chart, rate limits |
//! | `status_meter` | the status bar's quota meter: tokens, cost, budget gauge, rate headroom on one line |
//! | `keymap` | the one key binding table (the help is generated from it) |
//! | `terminal` | raw mode, alternate screen, restoring on exit, panic and signals |
//! | `theme` | themes and colour-depth fallback |

pub mod app;
mod app_commands;
pub mod app_host;
mod app_mcp;
pub mod app_memory;
mod app_picker;
mod app_quota;
mod app_review;
pub mod app_rewind;
pub mod app_runs;
pub mod app_storage;
mod app_theme;
pub mod composer;
pub mod demo;
pub mod diffview;
pub mod first_run;
pub mod highlight;
pub mod history;
pub mod host_keys;
pub mod hosted;
pub mod keymap;
pub mod keys_doc;
pub mod markdown;
pub mod notify;
pub mod picker;
pub mod quota_view;
pub mod resume;
mod review_worker;
pub mod run;
mod run_review;
pub mod status_meter;
pub mod terminal;
pub mod theme;
pub mod view;
mod vt_style;

#[cfg(test)]
mod view_tests;
