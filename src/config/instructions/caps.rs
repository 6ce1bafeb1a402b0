//! The size caps of `[instructions]`: each file (with its imports) is cut
//! at `max_file_bytes`, and all files together at `max_total_bytes`. A cut
//! or a skipped file leaves a note naming the file, the sizes and the key
//! to raise, so neither the model nor the user mistakes a cut file for a
//! whole one.

/// What is left of the caps as files are read, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Budget {
    pub max_file: usize,
    pub max_total: usize,
    /// Bytes kept so far, all files together.
    pub used: usize,
}

/// One file after the caps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Kept {
    /// The text the model gets, the note appended; empty when skipped.
    pub text: String,
    /// Bytes of the file (imports included) before the cut.
    pub full: usize,
    /// Bytes of it kept.
    pub kept: usize,
    pub truncated: bool,
    pub skipped: bool,
    pub note: Option<String>,
}

impl Budget {
    /// Caps from the configuration.
    pub fn new(max_file: usize, max_total: usize) -> Self {
        Self {
            max_file,
            max_total,
            used: 0,
        }
    }

    /// Applies the caps to the file named `display`: `text` is what was
    /// read (imports inlined), `unread` what was too big to read at all.
    pub fn take(&mut self, display: &str, text: String, unread: usize, imports: bool) -> Kept {
        let full = text.len() + unread;
        let with = if imports { " with its imports" } else { "" };
        let left = self.max_total.saturating_sub(self.used);
        if left == 0 {
            let note = format!(
                "[skipped: {display} ({full} bytes{with}) — the instruction files before it already take \
                 all {} bytes of [instructions] max_total_bytes; raise it to include this file]",
                self.max_total
            );
            return Kept {
                text: String::new(),
                full,
                kept: 0,
                truncated: false,
                skipped: true,
                note: Some(note),
            };
        }
        let limit = self.max_file.min(left);
        if full <= limit {
            self.used += text.len();
            return Kept {
                kept: text.len(),
                text,
                full,
                truncated: false,
                skipped: false,
                note: None,
            };
        }
        let cut = text.floor_char_boundary(limit.min(text.len()));
        let mut kept_text = text;
        kept_text.truncate(cut);
        self.used += cut;
        let note = if limit == self.max_file {
            format!(
                "[cut: {display} is {full} bytes{with}; the first {cut} are kept — raise [instructions] max_file_bytes]"
            )
        } else {
            format!(
                "[cut: {display} is {full} bytes{with}; the first {cut} are kept, all that was left of the {} bytes \
                 for all instruction files — raise [instructions] max_total_bytes]",
                self.max_total
            )
        };
        kept_text.push_str("\n\n");
        kept_text.push_str(&note);
        Kept {
            text: kept_text,
            full,
            kept: cut,
            truncated: true,
            skipped: false,
            note: Some(note),
        }
    }

    /// Gives back `bytes` (files the conversation no longer holds).
    pub fn release(&mut self, bytes: usize) {
        self.used = self.used.saturating_sub(bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_over_the_per_file_cap_is_cut_on_a_char_boundary_with_a_note() {
        let mut budget = Budget::new(10, 1000);
        // "é" is two bytes: byte 10 falls inside the sixth one.
        let kept = budget.take("AGENTS.md", "aaaaéééééé".into(), 0, false);
        assert!(kept.truncated && !kept.skipped);
        assert_eq!(kept.full, 16);
        assert_eq!(kept.kept, 10);
        assert!(kept.text.starts_with("aaaaééé\n\n[cut:"), "{}", kept.text);
        assert_eq!(
            kept.note.as_deref(),
            Some(
                "[cut: AGENTS.md is 16 bytes; the first 10 are kept — raise [instructions] max_file_bytes]"
            )
        );
        let odd = budget.take("CLAUDE.md", "aaaaaaaaaé".into(), 0, true);
        assert_eq!(odd.kept, 9, "never cuts inside a character");
        assert!(
            odd.note
                .unwrap()
                .contains("11 bytes with its imports; the first 9")
        );
    }

    #[test]
    fn the_total_cap_cuts_one_file_then_skips_the_rest() {
        let mut budget = Budget::new(100, 25);
        let first = budget.take("a", "x".repeat(20), 0, false);
        assert!(!first.truncated && first.note.is_none());
        let second = budget.take("b", "y".repeat(20), 0, false);
        assert_eq!(second.kept, 5);
        assert!(
            second.note.as_ref().unwrap().contains("max_total_bytes"),
            "{second:?}"
        );
        let third = budget.take("c/AGENTS.md", "z".repeat(3), 0, false);
        assert!(third.skipped && third.text.is_empty());
        assert_eq!(
            third.note.as_deref(),
            Some(
                "[skipped: c/AGENTS.md (3 bytes) — the instruction files before it already take all 25 bytes \
                 of [instructions] max_total_bytes; raise it to include this file]"
            )
        );
        budget.release(20);
        assert!(!budget.take("d", "w".into(), 0, false).skipped);
    }
}
