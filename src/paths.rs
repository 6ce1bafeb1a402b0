//! Where Tandem keeps its files.
//!
//! Config (`config.toml`, user-level `AGENTS.md`/`CLAUDE.md`) lives in
//! `$TANDEM_HOME` when set, else `$XDG_CONFIG_HOME/tandem` (`~/.config/tandem`).
//! State (sessions, logs, the usage ledger) lives in `$TANDEM_HOME/state`, else
//! `$XDG_STATE_HOME/tandem` (`~/.local/state/tandem`). Tests set `TANDEM_HOME`
//! to a temp dir so they never touch the user's files.

use std::path::PathBuf;

/// The two directories Tandem reads and writes outside the workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dirs {
    /// Configuration: `config.toml` and user-level instruction files.
    pub config: PathBuf,
    /// State: logs, sessions, the ledger.
    pub state: PathBuf,
}

/// No home directory could be found to put config and state in.
#[derive(Debug, thiserror::Error)]
#[error(
    "cannot find a home for tandem's files: set TANDEM_HOME (or HOME / XDG_CONFIG_HOME and XDG_STATE_HOME)"
)]
pub struct NoHomeError;

impl Dirs {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, NoHomeError> {
        Self::from_lookup(|k| std::env::var_os(k).filter(|v| !v.is_empty()))
    }

    /// Resolves the directories from an environment lookup (testable).
    pub fn from_lookup(
        var: impl Fn(&str) -> Option<std::ffi::OsString>,
    ) -> Result<Self, NoHomeError> {
        if let Some(home) = var("TANDEM_HOME") {
            let home = PathBuf::from(home);
            return Ok(Self {
                state: home.join("state"),
                config: home,
            });
        }
        let user_home = var("HOME").map(PathBuf::from);
        let config = var("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .or_else(|| user_home.as_ref().map(|h| h.join(".config")))
            .ok_or(NoHomeError)?
            .join("tandem");
        let state = var("XDG_STATE_HOME")
            .map(PathBuf::from)
            .or_else(|| user_home.as_ref().map(|h| h.join(".local/state")))
            .ok_or(NoHomeError)?
            .join("tandem");
        Ok(Self { config, state })
    }

    /// The user's `config.toml`.
    pub fn config_file(&self) -> PathBuf {
        self.config.join("config.toml")
    }

    /// Where log files go.
    pub fn log_dir(&self) -> PathBuf {
        self.state.join("logs")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::ffi::OsString;

    fn dirs(vars: &[(&str, &str)]) -> Result<Dirs, NoHomeError> {
        let map: HashMap<String, OsString> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        Dirs::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn tandem_home_wins() {
        let d = dirs(&[
            ("TANDEM_HOME", "/t"),
            ("HOME", "/h"),
            ("XDG_CONFIG_HOME", "/x"),
        ])
        .unwrap();
        assert_eq!(d.config, PathBuf::from("/t"));
        assert_eq!(d.state, PathBuf::from("/t/state"));
    }

    #[test]
    fn xdg_then_home() {
        let d = dirs(&[("HOME", "/h"), ("XDG_STATE_HOME", "/s")]).unwrap();
        assert_eq!(d.config, PathBuf::from("/h/.config/tandem"));
        assert_eq!(d.state, PathBuf::from("/s/tandem"));
        assert!(dirs(&[]).is_err());
    }
}
