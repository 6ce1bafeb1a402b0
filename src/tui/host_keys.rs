//! Keys as the bytes a terminal sends: what a hosted program receives for
//! each key press, and the prefix key that reaches Tandem instead.
//!
//! xterm's encoding: printable characters as UTF-8, Enter `\r`, Backspace
//! `DEL`, Ctrl-letter the control byte, Alt-x `ESC x`, cursor and editing
//! keys as CSI sequences (`ESC O A` for arrows when the program asked for
//! application cursor keys), F1–F4 as SS3 and F5–F12 as `CSI n ~`, with
//! `;m` modifier parameters when Shift, Alt or Ctrl is held.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// The prefix key when `[host] prefix_key` is unset or invalid.
pub const DEFAULT_PREFIX: &str = "ctrl-]";

/// The prefix key: compared by the bytes it sends, because terminals send
/// some control keys as the same byte (Ctrl-] is 0x1d, which crossterm
/// reports as Ctrl-5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefixKey {
    /// As configured, for hints ("ctrl-]").
    pub name: String,
    /// What the key sends.
    pub bytes: Vec<u8>,
}

impl PrefixKey {
    /// Parses `ctrl-X` (X a letter or one of `[ \ ] ^ _ @ space`) or `fN`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let lower = text.trim().to_ascii_lowercase();
        let bytes = match lower
            .strip_prefix("ctrl-")
            .or_else(|| lower.strip_prefix("c-"))
        {
            Some(rest) => {
                let mut chars = rest.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => control_byte(c).map(|b| vec![b]),
                    _ if rest == "space" => Some(vec![0]),
                    _ => None,
                }
            }
            None => lower
                .strip_prefix('f')
                .and_then(|n| n.parse::<u8>().ok())
                .and_then(|n| function_key(n, 1)),
        };
        match bytes {
            Some(bytes) => Ok(Self { name: lower, bytes }),
            None => Err(format!(
                "[host] prefix_key = {text:?} is not a key Tandem can read; use ctrl-LETTER, \
                 ctrl-] (the default), ctrl-\\ or F1-F12"
            )),
        }
    }

    /// The configured prefix, or the default with a warning for the user.
    pub fn from_config(text: &str) -> (Self, Option<String>) {
        match Self::parse(text) {
            Ok(key) => (key, None),
            Err(e) => {
                let default = Self::parse(DEFAULT_PREFIX).unwrap_or(Self {
                    name: DEFAULT_PREFIX.into(),
                    bytes: vec![0x1d],
                });
                (default, Some(format!("{e}; using {DEFAULT_PREFIX}")))
            }
        }
    }

    /// Whether `key` is this prefix.
    pub fn matches(&self, key: &KeyEvent) -> bool {
        encode(key, false).is_some_and(|b| b == self.bytes)
    }

    /// As shown in hints: `Ctrl-]`.
    pub fn label(&self) -> String {
        match self.name.strip_prefix("ctrl-") {
            Some(rest) => format!("Ctrl-{rest}"),
            None => self.name.to_ascii_uppercase(),
        }
    }
}

/// The control byte of Ctrl-`c`, as xterm sends it.
fn control_byte(c: char) -> Option<u8> {
    match c.to_ascii_lowercase() {
        c @ 'a'..='z' => Some(c as u8 - b'a' + 1),
        '@' | ' ' | '2' => Some(0),
        '[' | '3' => Some(0x1b),
        '\\' | '4' => Some(0x1c),
        ']' | '5' => Some(0x1d),
        '^' | '6' => Some(0x1e),
        '_' | '7' | '/' => Some(0x1f),
        '8' | '?' => Some(0x7f),
        _ => None,
    }
}

/// xterm's modifier parameter: 1 + Shift 1 + Alt 2 + Ctrl 4.
fn modifier_param(mods: KeyModifiers) -> u8 {
    let mut m = 1;
    if mods.contains(KeyModifiers::SHIFT) {
        m += 1;
    }
    if mods.contains(KeyModifiers::ALT) {
        m += 2;
    }
    if mods.contains(KeyModifiers::CONTROL) {
        m += 4;
    }
    m
}

/// F1–F12 with modifier parameter `m` (1: none).
fn function_key(n: u8, m: u8) -> Option<Vec<u8>> {
    let ss3 = |c: char| {
        if m == 1 {
            format!("\x1bO{c}")
        } else {
            format!("\x1b[1;{m}{c}")
        }
    };
    let tilde = |code: u8| {
        if m == 1 {
            format!("\x1b[{code}~")
        } else {
            format!("\x1b[{code};{m}~")
        }
    };
    let text = match n {
        1 => ss3('P'),
        2 => ss3('Q'),
        3 => ss3('R'),
        4 => ss3('S'),
        5 => tilde(15),
        6 => tilde(17),
        7 => tilde(18),
        8 => tilde(19),
        9 => tilde(20),
        10 => tilde(21),
        11 => tilde(23),
        12 => tilde(24),
        _ => return None,
    };
    Some(text.into_bytes())
}

/// The bytes a terminal sends for `key`; `None` for keys it sends nothing
/// for. `app_cursor`: the program asked for application cursor keys.
pub fn encode(key: &KeyEvent, app_cursor: bool) -> Option<Vec<u8>> {
    let mods = key.modifiers;
    let alt = mods.contains(KeyModifiers::ALT);
    let ctrl = mods.contains(KeyModifiers::CONTROL);
    let m = modifier_param(mods);
    let cursor = |c: char| {
        let text = if m > 1 {
            format!("\x1b[1;{m}{c}")
        } else if app_cursor {
            format!("\x1bO{c}")
        } else {
            format!("\x1b[{c}")
        };
        Some(text.into_bytes())
    };
    let tilde = |code: u8| {
        let text = if m > 1 {
            format!("\x1b[{code};{m}~")
        } else {
            format!("\x1b[{code}~")
        };
        Some(text.into_bytes())
    };
    let with_alt = |mut bytes: Vec<u8>| {
        if alt {
            bytes.insert(0, 0x1b);
        }
        Some(bytes)
    };
    match key.code {
        KeyCode::Char(c) if ctrl => with_alt(vec![control_byte(c)?]),
        KeyCode::Char(c) => with_alt(c.to_string().into_bytes()),
        KeyCode::Enter => with_alt(b"\r".to_vec()),
        KeyCode::Backspace if ctrl => with_alt(vec![0x08]),
        KeyCode::Backspace => with_alt(vec![0x7f]),
        KeyCode::Tab => with_alt(b"\t".to_vec()),
        KeyCode::BackTab => Some(b"\x1b[Z".to_vec()),
        KeyCode::Esc => with_alt(vec![0x1b]),
        KeyCode::Up => cursor('A'),
        KeyCode::Down => cursor('B'),
        KeyCode::Right => cursor('C'),
        KeyCode::Left => cursor('D'),
        KeyCode::Home => cursor('H'),
        KeyCode::End => cursor('F'),
        KeyCode::Insert => tilde(2),
        KeyCode::Delete => tilde(3),
        KeyCode::PageUp => tilde(5),
        KeyCode::PageDown => tilde(6),
        KeyCode::F(n) => function_key(n, m),
        _ => None,
    }
}

/// Pasted text as the program should receive it: wrapped in bracketed-paste
/// markers when it turned them on, with line ends as Enter (`\r`).
pub fn paste(text: &str, bracketed: bool) -> Vec<u8> {
    let body = text.replace("\r\n", "\r").replace('\n', "\r");
    if bracketed {
        // A paste must not be able to end the bracket early.
        let body = body.replace("\x1b[201~", "");
        format!("\x1b[200~{body}\x1b[201~").into_bytes()
    } else {
        body.into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    fn plain(code: KeyCode) -> Vec<u8> {
        encode(&key(code, KeyModifiers::NONE), false).unwrap()
    }

    #[test]
    fn keys_encode_as_xterm_sends_them() {
        let none = KeyModifiers::NONE;
        let ctrl = KeyModifiers::CONTROL;
        let alt = KeyModifiers::ALT;
        let table: Vec<(KeyEvent, &[u8])> = vec![
            (key(KeyCode::Char('a'), none), b"a"),
            (key(KeyCode::Char('é'), none), "é".as_bytes()),
            (key(KeyCode::Char('A'), KeyModifiers::SHIFT), b"A"),
            (key(KeyCode::Enter, none), b"\r"),
            (key(KeyCode::Backspace, none), b"\x7f"),
            (key(KeyCode::Tab, none), b"\t"),
            (key(KeyCode::BackTab, KeyModifiers::SHIFT), b"\x1b[Z"),
            (key(KeyCode::Esc, none), b"\x1b"),
            (key(KeyCode::Char('c'), ctrl), b"\x03"),
            (key(KeyCode::Char('d'), ctrl), b"\x04"),
            (key(KeyCode::Char(']'), ctrl), b"\x1d"),
            (key(KeyCode::Char('5'), ctrl), b"\x1d"),
            (key(KeyCode::Char(' '), ctrl), b"\x00"),
            (key(KeyCode::Char('x'), alt), b"\x1bx"),
            (key(KeyCode::Up, none), b"\x1b[A"),
            (key(KeyCode::Down, none), b"\x1b[B"),
            (key(KeyCode::Right, none), b"\x1b[C"),
            (key(KeyCode::Left, none), b"\x1b[D"),
            (key(KeyCode::Left, ctrl), b"\x1b[1;5D"),
            (key(KeyCode::Home, none), b"\x1b[H"),
            (key(KeyCode::End, none), b"\x1b[F"),
            (key(KeyCode::PageUp, none), b"\x1b[5~"),
            (key(KeyCode::PageDown, none), b"\x1b[6~"),
            (key(KeyCode::Delete, none), b"\x1b[3~"),
            (key(KeyCode::F(1), none), b"\x1bOP"),
            (key(KeyCode::F(4), none), b"\x1bOS"),
            (key(KeyCode::F(5), none), b"\x1b[15~"),
            (key(KeyCode::F(12), none), b"\x1b[24~"),
            (key(KeyCode::F(5), KeyModifiers::SHIFT), b"\x1b[15;2~"),
        ];
        for (k, want) in table {
            assert_eq!(encode(&k, false).as_deref(), Some(want), "{k:?}");
        }
        assert_eq!(plain(KeyCode::Up), b"\x1b[A");
        assert_eq!(
            encode(&key(KeyCode::Up, none), true).unwrap(),
            b"\x1bOA",
            "application cursor keys"
        );
        assert_eq!(encode(&key(KeyCode::CapsLock, none), false), None);
    }

    #[test]
    fn the_prefix_key_parses_and_matches_by_its_bytes() {
        let p = PrefixKey::parse("ctrl-]").unwrap();
        assert_eq!(p.bytes, vec![0x1d]);
        assert_eq!(p.label(), "Ctrl-]");
        // crossterm reports 0x1d as Ctrl-5.
        assert!(p.matches(&key(KeyCode::Char('5'), KeyModifiers::CONTROL)));
        assert!(p.matches(&key(KeyCode::Char(']'), KeyModifiers::CONTROL)));
        assert!(!p.matches(&key(KeyCode::Char(']'), KeyModifiers::NONE)));
        assert_eq!(PrefixKey::parse("Ctrl-A").unwrap().bytes, vec![1]);
        assert_eq!(PrefixKey::parse("ctrl-\\").unwrap().bytes, vec![0x1c]);
        assert_eq!(PrefixKey::parse("F12").unwrap().bytes, b"\x1b[24~");
        for bad in ["", "ctrl-", "ctrl-ab", "alt-x", "f13", "x"] {
            assert!(PrefixKey::parse(bad).is_err(), "{bad:?}");
        }
        let (key, warning) = PrefixKey::from_config("meta-q");
        assert_eq!(key.bytes, vec![0x1d]);
        assert!(warning.unwrap().contains("meta-q"));
        assert_eq!(PrefixKey::from_config("ctrl-b").1, None);
    }

    #[test]
    fn paste_is_bracketed_when_the_program_asked() {
        assert_eq!(paste("a\nb", false), b"a\rb");
        assert_eq!(paste("a\r\nb", true), b"\x1b[200~a\rb\x1b[201~");
        assert_eq!(paste("x\x1b[201~y", true), b"\x1b[200~xy\x1b[201~");
    }
}
