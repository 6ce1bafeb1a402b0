//! Keeping secrets out of children, transcripts, events and logs.
//!
//! Two halves of one rule. [`is_secret_name`] decides which environment
//! variables a child never sees (the PTY runner enforces it on every
//! command); [`Redactor`] replaces the *values* of those variables wherever
//! text leaves the engine (tool output, model text, errors), in case a tool
//! or a model echoes one back.

use std::collections::BTreeMap;
use std::ffi::CStr;
use std::sync::OnceLock;

/// Name suffixes that mark a variable as a credential, compared without case.
const SECRET_SUFFIXES: [&str; 2] = ["_API_KEY", "_AUTH_TOKEN"];

/// Values shorter than this are not redacted: they are too likely to occur
/// in ordinary text ("1", "true") to be worth hiding, and too short to be a
/// real key.
const MIN_SECRET_LEN: usize = 8;

/// Whether a variable of this name is a credential by its name alone
/// (`*_API_KEY`, `*_AUTH_TOKEN`, any case).
pub fn is_secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    SECRET_SUFFIXES.iter().any(|s| upper.ends_with(s))
}

/// Credential values moved out of this process's environment block by
/// [`take_from_environment`], by variable name.
static TAKEN: OnceLock<Vec<(String, String)>> = OnceLock::new();

unsafe extern "C" {
    /// The C library's environment: NULL-terminated `NAME=VALUE` strings,
    /// at start-up pointing into the block `/proc/self/environ` shows.
    static mut environ: *mut *mut libc::c_char;
}

/// Moves the values of credential variables out of the process's own
/// environment block, so a sandboxed command cannot read them from
/// `/proc/<tandem>/environ` (Landlock does not cover that file). The values
/// stay available through [`env_var`]; the variables remain with empty
/// values. Idempotent; later calls change nothing.
///
/// Must be called while the process has a single thread (before the async
/// runtime and the log writer start): it writes to the environment in place.
pub fn take_from_environment(policy: &SecretPolicy) {
    if TAKEN.get().is_some() {
        return;
    }
    let mut taken = Vec::new();
    // SAFETY: single-threaded at this point (see above), so nothing reads or
    // changes the environment concurrently. `environ` is a NULL-terminated
    // array of pointers to NUL-terminated strings owned by the process; we
    // only overwrite bytes inside each string, before its terminating NUL,
    // so every string stays valid and NUL-terminated.
    unsafe {
        let mut entry = environ;
        while !entry.is_null() && !(*entry).is_null() {
            let ptr = *entry;
            let bytes = CStr::from_ptr(ptr).to_bytes();
            if let Some(eq) = bytes.iter().position(|&b| b == b'=') {
                let name = String::from_utf8_lossy(&bytes[..eq]).into_owned();
                let value_len = bytes.len() - eq - 1;
                if value_len > 0 && policy.is_secret(&name) {
                    let value = String::from_utf8_lossy(&bytes[eq + 1..]).into_owned();
                    std::ptr::write_bytes(ptr.add(eq + 1), 0, value_len);
                    taken.push((name, value));
                }
            }
            entry = entry.add(1);
        }
    }
    let _ = TAKEN.set(taken);
}

/// An environment variable, including credentials already moved out of the
/// environment by [`take_from_environment`]. Empty values count as unset.
pub fn env_var(name: &str) -> Option<String> {
    TAKEN
        .get()
        .and_then(|taken| taken.iter().find(|(n, _)| n == name))
        .map(|(_, v)| v.clone())
        .or_else(|| std::env::var(name).ok())
        .filter(|v| !v.is_empty())
}

/// Which variables are secrets: those matching [`is_secret_name`], plus the
/// configured provider key variables, minus the ones the user explicitly
/// passes through (`sandbox.env_passthrough`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecretPolicy {
    /// Provider `env_key`s, whatever their names.
    pub key_vars: Vec<String>,
    /// Variables the user wants children to keep.
    pub passthrough: Vec<String>,
}

impl SecretPolicy {
    /// Whether variable `name` must be kept from children and redacted.
    pub fn is_secret(&self, name: &str) -> bool {
        if self.passthrough.iter().any(|p| p == name) {
            return false;
        }
        is_secret_name(name) || self.key_vars.iter().any(|k| k == name)
    }

    /// The names, among `vars`, that are secrets.
    pub fn secret_names<'a>(&self, vars: impl IntoIterator<Item = &'a str>) -> Vec<String> {
        vars.into_iter()
            .filter(|n| self.is_secret(n))
            .map(str::to_string)
            .collect()
    }

    /// A redactor for the secret values in the process environment,
    /// including those [`take_from_environment`] moved out of it.
    pub fn redactor_from_env(&self) -> Redactor {
        let vars = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .chain(TAKEN.get().into_iter().flatten().cloned());
        Redactor::new(
            vars.filter(|(k, _)| is_secret_name(k) || self.key_vars.iter().any(|key| key == k)),
        )
    }
}

/// Replaces known secret values with `[REDACTED:NAME]`.
///
/// Redaction ignores `passthrough`: a key a user lets a child see is still
/// never written to a transcript.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// Value → variable name, longest values first so a key that contains
    /// another is replaced whole.
    secrets: Vec<(String, String)>,
}

impl Redactor {
    /// A redactor for these `(name, value)` pairs.
    pub fn new(vars: impl IntoIterator<Item = (String, String)>) -> Self {
        let mut by_value: BTreeMap<String, String> = BTreeMap::new();
        for (name, value) in vars {
            let value = value.trim().to_string();
            if value.len() >= MIN_SECRET_LEN {
                by_value.entry(value).or_insert(name);
            }
        }
        let mut secrets: Vec<(String, String)> = by_value.into_iter().collect();
        secrets.sort_by_key(|(value, _)| std::cmp::Reverse(value.len()));
        Self { secrets }
    }

    /// `text` with every secret value replaced.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (value, name) in &self.secrets {
            if out.contains(value.as_str()) {
                out = out.replace(value.as_str(), &format!("[REDACTED:{name}]"));
            }
        }
        out
    }

    /// Redacts in place; cheap when nothing matches.
    pub fn redact_in_place(&self, text: &mut String) {
        if self.secrets.iter().any(|(v, _)| text.contains(v.as_str())) {
            *text = self.redact(text);
        }
    }

    /// Raw bytes with secret values replaced (for live PTY output). A value
    /// split across two chunks is not caught here; the full output is
    /// redacted again as text before anyone keeps it.
    pub fn redact_bytes(&self, bytes: &[u8]) -> Vec<u8> {
        match std::str::from_utf8(bytes) {
            Ok(text) => self.redact(text).into_bytes(),
            Err(_) => {
                let text = String::from_utf8_lossy(bytes);
                if self.secrets.iter().any(|(v, _)| text.contains(v.as_str())) {
                    self.redact(&text).into_bytes()
                } else {
                    bytes.to_vec()
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names_by_suffix_config_and_passthrough() {
        let policy = SecretPolicy {
            key_vars: vec!["RELAY_KEY".into()],
            passthrough: vec!["GITHUB_AUTH_TOKEN".into()],
        };
        assert!(policy.is_secret("OPENAI_API_KEY"));
        assert!(policy.is_secret("my_api_key"));
        assert!(policy.is_secret("CLAUDE_CODE_AUTH_TOKEN"));
        assert!(policy.is_secret("RELAY_KEY"));
        assert!(!policy.is_secret("GITHUB_AUTH_TOKEN"), "passed through");
        assert!(!policy.is_secret("API_KEY_FILE"));
        assert!(!policy.is_secret("PATH"));
    }

    #[test]
    fn redacts_values_longest_first_and_skips_short_ones() {
        let r = Redactor::new([
            ("A_API_KEY".to_string(), "sk-abcdef123456".to_string()),
            ("B_API_KEY".to_string(), "sk-abcdef123456-long".to_string()),
            ("SHORT_API_KEY".to_string(), "1".to_string()),
        ]);
        assert_eq!(
            r.redact("x sk-abcdef123456-long y sk-abcdef123456 z 1"),
            "x [REDACTED:B_API_KEY] y [REDACTED:A_API_KEY] z 1"
        );
        let mut s = String::from("nothing here");
        r.redact_in_place(&mut s);
        assert_eq!(s, "nothing here");
        assert_eq!(
            r.redact_bytes(b"key=sk-abcdef123456\n"),
            b"key=[REDACTED:A_API_KEY]\n".to_vec()
        );
    }
}
