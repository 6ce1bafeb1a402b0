//! Capping text sent to the model: head and tail kept, middle elided with a
//! note, so one huge tool output cannot blow the context window.

/// Returns `text` unchanged if it fits in `max_bytes`, else its first and
/// last parts (split at line boundaries where one is near, and always at
/// UTF-8 boundaries) around a note saying how much was left out.
pub fn cap_middle(text: &str, max_bytes: usize) -> String {
    if text.len() <= max_bytes {
        return text.to_string();
    }
    let half = max_bytes / 2;
    let mut head_end = floor_boundary(text, half);
    if let Some(nl) = text[..head_end].rfind('\n')
        && nl > head_end / 2
    {
        head_end = nl + 1;
    }
    let mut tail_start = ceil_boundary(text, text.len() - half);
    if let Some(nl) = text[tail_start..].find('\n')
        && nl < half / 2
    {
        tail_start += nl + 1;
    }
    let elided = &text[head_end..tail_start];
    let lines = elided.matches('\n').count();
    format!(
        "{}\n[... {} bytes ({} lines) elided; narrow the command or read a smaller range to see them ...]\n{}",
        &text[..head_end],
        elided.len(),
        lines,
        &text[tail_start..]
    )
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_untouched() {
        assert_eq!(cap_middle("abc", 10), "abc");
    }

    #[test]
    fn long_text_keeps_head_and_tail() {
        let text: String = (0..10_000).map(|i| format!("line {i}\n")).collect();
        let capped = cap_middle(&text, 2_000);
        assert!(capped.len() < 2_300, "{}", capped.len());
        assert!(capped.starts_with("line 0\n"));
        assert!(capped.ends_with("line 9999\n"));
        assert!(capped.contains("elided"));
    }

    #[test]
    fn never_splits_a_character() {
        let text = "é".repeat(5_000);
        let capped = cap_middle(&text, 1_001);
        assert!(capped.contains("elided"));
        assert!(capped.starts_with('é') && capped.ends_with('é'));
    }
}
