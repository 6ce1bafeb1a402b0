//! Script parsing, checking and text helpers.

use serde_json::json;

use crate::mockserver::frames::{char_chunks, words};
use crate::mockserver::script::lorem_words;
use crate::mockserver::{LineEnding, MockError, Script, Stop, TruncateMode};

const EXAMPLE: &str = r#"
[defaults]
line_ending = "crlf"
write_chunk_bytes = 7
comments = true

[[reply]]
reasoning = "The user wants the file."
text = "Let me read it."
chunk = 4
[[reply.tool_calls]]
name = "read_file"
input = { path = "src/main.rs", range = [1, 40] }

[[reply]]
status = 429
retry_after = 1
retry_after_ms = 1500

[[reply]]
text = "partial"
truncate_after_events = 3
truncate_mode = "clean"
line_ending = "cr"

[[reply]]
words = 2000
stop = "max_tokens"
usage = { input = 10, output = 2000, cache_read = 5 }
headers = { "x-ratelimit-remaining-tokens" = "0" }
"#;

#[test]
fn toml_script_parses() {
    let script = Script::from_toml_str(EXAMPLE).unwrap();
    assert_eq!(script.defaults.line_ending, Some(LineEnding::Crlf));
    assert_eq!(script.defaults.write_chunk_bytes, Some(7));
    assert_eq!(script.replies.len(), 4);
    let first = &script.replies[0];
    assert_eq!(first.tool_calls[0].name, "read_file");
    assert_eq!(
        first.tool_calls[0].input,
        json!({"path": "src/main.rs", "range": [1, 40]})
    );
    assert_eq!(script.replies[1].status, Some(429));
    assert_eq!(script.replies[2].truncate_mode, Some(TruncateMode::Clean));
    let resolved = script.replies[2].transport(&script.defaults);
    assert_eq!(resolved.line_ending, LineEnding::Cr);
    assert_eq!(resolved.write_chunk_bytes, Some(7));
    assert!(resolved.comments);
    assert_eq!(script.replies[3].stop, Some(Stop::MaxTokens));
    assert_eq!(script.replies[3].usage.unwrap().cache_read, Some(5));
    assert_eq!(script.first_tool_ordinal(3), 2);
}

#[test]
fn json_script_parses_and_round_trips() {
    let script = Script::from_toml_str(EXAMPLE).unwrap();
    let text = serde_json::to_string(&script).unwrap();
    assert_eq!(Script::from_json_str(&text).unwrap(), script);
    let short = Script::from_json_str(
        r#"{"replies": [{"text": "hi", "tool_calls": [{"name": "t", "input": {"a": 1}}]}]}"#,
    )
    .unwrap();
    assert_eq!(short.replies[0].tool_calls[0].input, json!({"a": 1}));
}

#[test]
fn typos_and_contradictions_are_rejected() {
    let err = Script::from_toml_str("[[reply]]\nstal_after_events = 2\n").unwrap_err();
    assert!(
        matches!(err, MockError::Parse { format: "TOML", .. }),
        "{err}"
    );
    assert!(err.to_string().contains("stal_after_events"));

    let err =
        Script::from_toml_str("[[reply]]\nstall_after_events = 2\ntruncate_after_events = 3\n")
            .unwrap_err();
    assert!(
        matches!(err, MockError::InvalidScript { reply: 1, .. }),
        "{err}"
    );

    let err =
        Script::from_toml_str("[[reply]]\ntext = \"a\"\n[[reply]]\ntext = \"b\"\nwords = 3\n")
            .unwrap_err();
    assert!(
        matches!(err, MockError::InvalidScript { reply: 2, .. }),
        "{err}"
    );

    let err =
        Script::from_json_str(r#"{"replies": [{"tool_calls": [{"name": "t", "input": 3}]}]}"#)
            .unwrap_err();
    assert!(err.to_string().contains("must be a table"), "{err}");

    assert!(Script::from_toml_str("[[reply]]\nchunk = 0\n").is_err());
    assert!(Script::from_toml_str("[[reply]]\nstatus = 1000\n").is_err());
}

#[test]
fn load_reads_text_files_next_to_the_script() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("answer.md"), "# Title\n\nBody.").unwrap();
    let path = dir.path().join("script.toml");
    std::fs::write(&path, "[[reply]]\ntext_file = \"answer.md\"\n").unwrap();
    let script = Script::load(&path).unwrap();
    assert_eq!(script.replies[0].text.as_deref(), Some("# Title\n\nBody."));
    assert_eq!(script.replies[0].text_file, None);

    std::fs::write(&path, "[[reply]]\ntext_file = \"missing.md\"\n").unwrap();
    assert!(matches!(Script::load(&path), Err(MockError::Io { .. })));
}

#[test]
fn word_pieces_keep_leading_whitespace_and_rejoin() {
    let text = "Hello  world\nfoo — bär";
    let pieces = words(text);
    assert_eq!(pieces, ["Hello", "  world", "\nfoo", " —", " bär"]);
    assert_eq!(pieces.concat(), text);
    assert!(words("").is_empty());
}

#[test]
fn char_chunks_never_split_characters() {
    let text = "ab日本語🦀cd";
    let pieces = char_chunks(text, 2);
    assert_eq!(pieces, ["ab", "日本", "語🦀", "cd"]);
    assert_eq!(char_chunks("abc", 8), ["abc"]);
}

#[test]
fn lorem_words_has_the_requested_length() {
    for n in [1, 12, 61, 2000] {
        assert_eq!(lorem_words(n).split_whitespace().count(), n);
    }
    assert_eq!(lorem_words(3), lorem_words(3), "deterministic");
    assert!(lorem_words(13).starts_with(char::is_uppercase));
}
