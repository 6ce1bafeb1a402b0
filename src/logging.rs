//! Logging: `tracing` to a daily file under the state dir, never to the
//! terminal (a full-screen UI and JSONL output must stay clean).
//!
//! The level comes from `TANDEM_LOG` (an `EnvFilter` directive, default
//! `info`). Logging is set up only by commands that run an agent, so
//! `tandem --version` pays nothing for it.

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// Starts logging to `log_dir/tandem.log.YYYY-MM-DD`. Keep the guard alive
/// for the program's life: dropping it flushes the log.
///
/// A log dir that cannot be created disables logging with one warning on
/// stderr; the run itself goes on.
pub fn init(log_dir: &Path) -> Option<WorkerGuard> {
    if let Err(e) = std::fs::create_dir_all(log_dir) {
        eprintln!(
            "tandem: warning: logging disabled, cannot create {}: {e}",
            log_dir.display()
        );
        return None;
    }
    let appender = tracing_appender::rolling::daily(log_dir, "tandem.log");
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = EnvFilter::try_from_env("TANDEM_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let installed = tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .is_ok();
    installed.then_some(guard)
}
