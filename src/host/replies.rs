//! Answers to the queries a real terminal answers and `vt100` does not.
//!
//! Full-screen programs ask where the cursor is (`CSI 6 n`) and what the
//! terminal is (`CSI c`) at start-up and may wait for the answer; without
//! one, some hang or give up. The parser's callbacks collect the answers,
//! and the reader thread writes them back to the program.

/// Collects the bytes to send back to the program.
#[derive(Debug, Default)]
pub(crate) struct Replies {
    pub(crate) out: Vec<u8>,
}

impl vt100::Callbacks for Replies {
    fn unhandled_csi(
        &mut self,
        screen: &mut vt100::Screen,
        i1: Option<u8>,
        _i2: Option<u8>,
        params: &[&[u16]],
        c: char,
    ) {
        let first = params.first().and_then(|p| p.first()).copied().unwrap_or(0);
        match (i1, c, first) {
            // Cursor position report, 1-based.
            (None, 'n', 6) => {
                let (row, col) = screen.cursor_position();
                self.out
                    .extend_from_slice(format!("\x1b[{};{}R", row + 1, col + 1).as_bytes());
            }
            // Device status: "OK".
            (None, 'n', 5) => self.out.extend_from_slice(b"\x1b[0n"),
            // Primary device attributes: a VT220-class terminal with colour.
            (None, 'c', 0) => self.out.extend_from_slice(b"\x1b[?62;22c"),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nz(n: u16) -> std::num::NonZeroU16 {
        std::num::NonZeroU16::new(n).unwrap()
    }

    #[test]
    fn cursor_and_device_queries_are_answered() {
        let mut parser = vt100::Parser::new_with_callbacks(nz(5), nz(20), 0, Replies::default());
        parser.process(b"ab\r\ncd\x1b[6n\x1b[c");
        assert_eq!(parser.callbacks().out, b"\x1b[2;3R\x1b[?62;22c");
        parser.callbacks_mut().out.clear();
        parser.process(b"\x1b[31mred\x1b[0m");
        assert!(parser.callbacks().out.is_empty());
    }
}
