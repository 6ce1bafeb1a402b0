//! Context compaction: when a session's prompt nears the model's context
//! window (or on `/compact [focus]`), the older turns are summarised by the
//! model and replaced, in what is *sent* to the model, by that summary; the
//! most recent user turns stay verbatim. The transcript keeps everything.
//!
//! The pieces are separate so the session can wire them in a few lines:
//! [`should_compact`] decides, [`split_point`] picks the cut (always at a user
//! message, so no tool call is parted from its result), [`summary_request`]
//! and [`summarise`] ask the model, [`compacted_history`] builds the new
//! history. [`estimate_tokens`] stands in when the provider reported no usage.

use std::collections::HashSet;

use tokio_util::sync::CancellationToken;

use super::truncate::cap_middle;
use crate::provider::{
    Accumulator, AssistantPart, Message, ModelClient, ModelRequest, ProviderError, StreamEvent,
    Usage,
};

/// Opening tag of the summary message, so the model (and a later
/// compaction) can tell the summary from something the user typed.
pub const SUMMARY_OPEN: &str = "<context summary of the earlier conversation>";
/// Closing tag of the summary message.
pub const SUMMARY_CLOSE: &str = "</context summary>";
/// The assistant's acknowledgement after the summary, which keeps the
/// user/assistant alternation every provider expects.
pub const SUMMARY_ACK: &str = "Understood; continuing from the summary.";

/// Bytes kept (head + tail) of each tool output shown to the summariser.
const TOOL_OUTPUT_CAP: usize = 2_000;
/// Bytes kept of each tool call's arguments shown to the summariser.
const TOOL_ARGS_CAP: usize = 500;
/// Bytes kept of each user or assistant text shown to the summariser, so
/// one pasted file cannot make the summary request itself overflow.
const TEXT_CAP: usize = 8_000;

/// The system prompt of the summary call: the headings the summary must use.
const SUMMARY_SYSTEM: &str = "You compress a coding session so it can continue in a fresh context window. \
You will be given the earlier part of a conversation between a user and a coding agent, including the tools it ran. \
Write a structured summary that lets the agent carry on without the original messages. Use exactly these headings, \
each as a markdown `##` heading, in this order:\n\
## Goal\nWhat the user is trying to achieve, including constraints and preferences they stated.\n\
## Decisions\nChoices made and why, approaches rejected.\n\
## Files touched\nEach path, and what was read or changed in it.\n\
## Commands run and results\nCommands and tests run, and what they showed (failures verbatim where short).\n\
## Open items\nWhat is unfinished, known bugs, the next steps.\n\
Be specific: keep exact paths, identifiers, error messages and numbers. Write \"none\" under a heading with nothing to say. \
Do not invent anything that is not in the conversation, and do not address the user.";

/// When a session compacts and how much it keeps verbatim.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CompactPolicy {
    /// Fraction of the context window at which the session compacts before
    /// its next model call (0.85: at 85 % full). Zero, negative or NaN
    /// turns automatic compaction off.
    pub threshold: f64,
    /// How many of the latest user turns are kept verbatim; at least one
    /// (the turn in progress) always is.
    pub keep_recent_user_turns: usize,
}

impl Default for CompactPolicy {
    /// 85 % of the window, the last two user turns kept, as the spec says.
    fn default() -> Self {
        Self {
            threshold: 0.85,
            keep_recent_user_turns: 2,
        }
    }
}

/// Whether a prompt of `context_tokens` fills enough of the model's `window`
/// to compact before the next call. An unknown (or zero) window never
/// triggers: without it there is no fill to measure.
pub fn should_compact(context_tokens: u64, window: Option<u64>, policy: &CompactPolicy) -> bool {
    match window {
        Some(window) if window > 0 && policy.threshold > 0.0 => {
            context_tokens as f64 >= policy.threshold * window as f64
        }
        _ => false,
    }
}

/// Where the verbatim tail of `history` starts when it is compacted: the
/// index of a [`Message::User`], chosen so the tail holds at least
/// `keep_recent_user_turns` user turns (minimum one) and no tool call before
/// the cut has its result after it (or the reverse). `None` when no such
/// cut leaves anything before it to summarise.
pub fn split_point(history: &[Message], keep_recent_user_turns: usize) -> Option<usize> {
    let keep = keep_recent_user_turns.max(1);
    let users: Vec<usize> = history
        .iter()
        .enumerate()
        .filter(|(_, m)| matches!(m, Message::User { .. }))
        .map(|(i, _)| i)
        .collect();
    let last_allowed = users.len().checked_sub(keep)?;
    users[..=last_allowed]
        .iter()
        .rev()
        .copied()
        .find(|&i| i > 0 && is_clean_cut(history, i))
}

/// True when cutting `history` at `at` parts no tool call from its result.
fn is_clean_cut(history: &[Message], at: usize) -> bool {
    let (before, after) = history.split_at(at);
    let called: HashSet<&str> = call_ids(before).collect();
    let answered: HashSet<&str> = result_ids(before).collect();
    called.iter().all(|id| answered.contains(id))
        && result_ids(after).all(|id| !called.contains(id))
}

fn call_ids(messages: &[Message]) -> impl Iterator<Item = &str> {
    messages.iter().flat_map(|m| match m {
        Message::Assistant { parts } => parts
            .iter()
            .filter_map(|p| match p {
                AssistantPart::ToolCall(c) => Some(c.id.as_str()),
                _ => None,
            })
            .collect::<Vec<_>>(),
        _ => Vec::new(),
    })
}

fn result_ids(messages: &[Message]) -> impl Iterator<Item = &str> {
    messages.iter().filter_map(|m| match m {
        Message::ToolResult { call_id, .. } => Some(call_id.as_str()),
        _ => None,
    })
}

/// The model call that summarises `old` (the messages before the
/// [`split_point`]): no tools, no reasoning, the headings in the system
/// prompt, and the old turns rendered as compact text (reasoning dropped,
/// long texts and tool outputs cut to head and tail). `focus` is what the
/// user of `/compact [focus]` wants the summary to keep in detail.
pub fn summary_request(
    model: &str,
    old: &[Message],
    focus: Option<&str>,
    max_output_tokens: u32,
) -> ModelRequest {
    let mut text = String::from(
        "Summarise the conversation below using the headings from your instructions.\n",
    );
    if let Some(focus) = focus.map(str::trim).filter(|f| !f.is_empty()) {
        text.push_str(&format!("Pay particular attention to: {focus}\n"));
    }
    text.push_str("\n<conversation>\n");
    text.push_str(&render(old));
    text.push_str("</conversation>\n");
    ModelRequest {
        model: model.to_string(),
        system: SUMMARY_SYSTEM.to_string(),
        messages: vec![Message::User { text }],
        tools: Vec::new(),
        max_output_tokens,
        reasoning: None,
    }
}

/// The old turns as plain text, one labelled block per message.
fn render(messages: &[Message]) -> String {
    let mut out = String::new();
    for message in messages {
        match message {
            Message::User { text } => {
                out.push_str(&format!("[user]\n{}\n\n", cap_middle(text, TEXT_CAP)));
            }
            Message::Assistant { parts } => {
                for part in parts {
                    match part {
                        AssistantPart::Text { text } => out
                            .push_str(&format!("[assistant]\n{}\n\n", cap_middle(text, TEXT_CAP))),
                        AssistantPart::ToolCall(call) => out.push_str(&format!(
                            "[tool call {} {}] {}\n\n",
                            call.name,
                            call.id,
                            cap_middle(&call.arguments, TOOL_ARGS_CAP)
                        )),
                        AssistantPart::Reasoning(_) => {}
                    }
                }
            }
            Message::ToolResult {
                call_id,
                output,
                is_error,
            } => {
                let label = if *is_error {
                    "tool error"
                } else {
                    "tool result"
                };
                out.push_str(&format!(
                    "[{label} {call_id}]\n{}\n\n",
                    cap_middle(output, TOOL_OUTPUT_CAP)
                ));
            }
        }
    }
    out
}

/// What one summary call produced: the text for [`compacted_history`], and
/// the usage and request id so the session can meter the call like any other.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub text: String,
    pub usage: Option<Usage>,
    pub request_id: Option<String>,
}

/// Why a summary could not be made. Either way the history should be left
/// as it was.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CompactError {
    /// The model call failed (or was cancelled).
    #[error(transparent)]
    Model(#[from] ProviderError),
    /// The call succeeded but produced no text.
    #[error(
        "{provider} returned an empty summary, so the context was not compacted; try `/compact` again or switch model"
    )]
    EmptySummary { provider: String },
}

/// Runs `request` (from [`summary_request`]) on `client` and returns the
/// summary text. Cancelling `cancel` ends the call with
/// [`ProviderError::Cancelled`].
pub async fn summarise(
    client: &dyn ModelClient,
    request: ModelRequest,
    cancel: CancellationToken,
) -> Result<Summary, CompactError> {
    let mut stream = client.stream(request, cancel);
    let mut acc = Accumulator::new();
    let mut request_id = None;
    loop {
        let event = match stream.recv().await {
            Some(Ok(event)) => event,
            Some(Err(err)) => return Err(err.into()),
            None => {
                return Err(ProviderError::Truncated {
                    provider: client.provider_name().to_string(),
                }
                .into());
            }
        };
        if let StreamEvent::RequestId(id) = &event {
            request_id = Some(id.clone());
        }
        acc.push(&event);
        if matches!(event, StreamEvent::Stop(_)) {
            break;
        }
    }
    let text = acc.text().trim().to_string();
    if text.is_empty() {
        return Err(CompactError::EmptySummary {
            provider: client.provider_name().to_string(),
        });
    }
    Ok(Summary {
        text,
        usage: acc.usage(),
        request_id,
    })
}

/// The history to send from now on: the summary as a user message, a short
/// assistant acknowledgement, then `tail` (the messages from the
/// [`split_point`] on) unchanged. It starts with a user message and keeps
/// every tool call with its result, as every provider requires.
pub fn compacted_history(summary: &str, tail: &[Message]) -> Vec<Message> {
    let mut history = Vec::with_capacity(tail.len() + 2);
    history.push(Message::User {
        text: format!("{SUMMARY_OPEN}\n{}\n{SUMMARY_CLOSE}", summary.trim()),
    });
    history.push(Message::Assistant {
        parts: vec![AssistantPart::Text {
            text: SUMMARY_ACK.to_string(),
        }],
    });
    history.extend_from_slice(tail);
    history
}

/// A rough token count of `history` (characters / 4, rounded up), for the
/// context fill when the provider has not reported usage yet.
pub fn estimate_tokens(history: &[Message]) -> u64 {
    let chars: usize = history
        .iter()
        .map(|m| match m {
            Message::User { text } => text.chars().count(),
            Message::ToolResult {
                call_id, output, ..
            } => call_id.chars().count() + output.chars().count(),
            Message::Assistant { parts } => parts
                .iter()
                .map(|p| match p {
                    AssistantPart::Text { text } => text.chars().count(),
                    AssistantPart::Reasoning(r) => r.text.chars().count(),
                    AssistantPart::ToolCall(c) => {
                        c.id.chars().count() + c.name.chars().count() + c.arguments.chars().count()
                    }
                })
                .sum(),
        })
        .sum();
    (chars as u64).div_ceil(4)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use proptest::prelude::*;

    use super::*;
    use crate::mockserver::{MockServer, Script};
    use crate::provider::{HttpClientConfig, HttpModelClient, Reasoning, ToolCall, Wire};

    fn user(text: &str) -> Message {
        Message::User { text: text.into() }
    }

    fn said(text: &str) -> Message {
        Message::Assistant {
            parts: vec![AssistantPart::Text { text: text.into() }],
        }
    }

    fn calls(ids: &[&str]) -> Message {
        Message::Assistant {
            parts: ids
                .iter()
                .map(|id| {
                    AssistantPart::ToolCall(ToolCall {
                        id: id.to_string(),
                        name: "shell".into(),
                        arguments: format!("{{\"command\":\"echo {id}\"}}"),
                    })
                })
                .collect(),
        }
    }

    fn result(id: &str, output: &str) -> Message {
        Message::ToolResult {
            call_id: id.into(),
            output: output.into(),
            is_error: false,
        }
    }

    fn users_in(messages: &[Message]) -> usize {
        messages
            .iter()
            .filter(|m| matches!(m, Message::User { .. }))
            .count()
    }

    /// Every call in `messages` is answered after it and every result
    /// answers an earlier call, all within `messages`.
    fn closed(messages: &[Message]) -> bool {
        let mut open: Vec<String> = Vec::new();
        let mut seen: Vec<String> = Vec::new();
        for m in messages {
            match m {
                Message::Assistant { parts } => {
                    for p in parts {
                        if let AssistantPart::ToolCall(c) = p {
                            open.push(c.id.clone());
                            seen.push(c.id.clone());
                        }
                    }
                }
                Message::ToolResult { call_id, .. } => {
                    if !seen.contains(call_id) {
                        return false;
                    }
                    open.retain(|id| id != call_id);
                }
                Message::User { .. } => {}
            }
        }
        open.is_empty()
    }

    fn assert_valid_for_providers(history: &[Message]) {
        assert!(
            matches!(history.first(), Some(Message::User { .. })),
            "history must start with a user message: {history:?}"
        );
        assert!(
            closed(history),
            "a tool call or result is orphaned: {history:?}"
        );
    }

    /// One step of a generated turn: how many tool calls the model made and
    /// whether the user typed something between those calls and their results.
    type Step = (usize, bool);

    fn build(turns: &[Vec<Step>]) -> Vec<Message> {
        let mut history = Vec::new();
        let mut next_id = 0;
        for (t, steps) in turns.iter().enumerate() {
            history.push(user(&format!("task {t}")));
            for &(n, interject) in steps {
                let ids: Vec<String> = (0..n)
                    .map(|_| {
                        next_id += 1;
                        format!("c{next_id}")
                    })
                    .collect();
                let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
                history.push(calls(&refs));
                if interject && n > 0 {
                    history.push(user("also check the tests"));
                }
                for id in ids.iter().rev() {
                    history.push(result(id, "ok"));
                }
            }
            history.push(said(&format!("done with task {t}")));
        }
        history
    }

    proptest! {
        #[test]
        fn split_never_cuts_a_tool_call_from_its_result(
            turns in prop::collection::vec(
                prop::collection::vec((0usize..3, prop::bool::weighted(0.2)), 0..4),
                0..6,
            ),
            keep in 0usize..4,
        ) {
            let history = build(&turns);
            let keep_at_least = keep.max(1);
            let acceptable = |i: usize| {
                i > 0
                    && matches!(history[i], Message::User { .. })
                    && users_in(&history[i..]) >= keep_at_least
                    && closed(&history[..i])
                    && closed(&history[i..])
            };
            match split_point(&history, keep) {
                Some(i) => {
                    prop_assert!(acceptable(i), "cut at {} of {:?}", i, history);
                    // The latest acceptable cut: as little summarised as possible.
                    prop_assert!(!(i + 1..history.len()).any(acceptable));
                    assert_valid_for_providers(&compacted_history("summary", &history[i..]));
                }
                None => prop_assert!(!(0..history.len()).any(acceptable)),
            }
        }
    }

    #[test]
    fn nothing_old_enough_gives_none() {
        assert_eq!(split_point(&[], 2), None);
        let one_turn = vec![
            user("fix it"),
            calls(&["a"]),
            result("a", "ok"),
            said("fixed"),
        ];
        for keep in 0..3 {
            assert_eq!(split_point(&one_turn, keep), None, "keep {keep}");
        }
        let two_turns = [one_turn.clone(), vec![user("now test it"), said("passes")]].concat();
        assert_eq!(split_point(&two_turns, 2), None);
        assert_eq!(split_point(&two_turns, 1), Some(4));
    }

    #[test]
    fn split_moves_back_past_a_user_message_inside_a_tool_exchange() {
        let history = vec![
            user("refactor"),
            calls(&["a"]),
            user("and keep the API"),
            result("a", "ok"),
            said("done"),
            user("thanks"),
            said("welcome"),
        ];
        assert_eq!(split_point(&history, 1), Some(5));
        assert_eq!(split_point(&history, 2), None);
    }

    #[test]
    fn compacts_at_the_threshold_of_a_known_window() {
        let policy = CompactPolicy::default();
        assert!(!should_compact(849, Some(1000), &policy));
        assert!(should_compact(850, Some(1000), &policy));
        assert!(should_compact(2000, Some(1000), &policy));
        assert!(!should_compact(1_000_000, None, &policy));
        assert!(!should_compact(10, Some(0), &policy));
        let off = CompactPolicy {
            threshold: 0.0,
            ..policy
        };
        assert!(!should_compact(1000, Some(1000), &off));
    }

    fn old_turns() -> Vec<Message> {
        let output = format!("HEAD-OF-OUTPUT\n{}\nTAIL-OF-OUTPUT", "x".repeat(20_000));
        vec![
            user("please fix the parser"),
            Message::Assistant {
                parts: vec![
                    AssistantPart::Reasoning(Reasoning {
                        text: "secret chain of thought".into(),
                        replay: None,
                    }),
                    AssistantPart::Text {
                        text: "Reading the parser first.".into(),
                    },
                    AssistantPart::ToolCall(ToolCall {
                        id: "c1".into(),
                        name: "read_file".into(),
                        arguments: "{\"path\":\"src/parse.rs\"}".into(),
                    }),
                ],
            },
            result("c1", &output),
            said("Fixed the off-by-one in src/parse.rs."),
        ]
    }

    #[test]
    fn summary_request_renders_old_turns_with_capped_outputs_and_no_reasoning() {
        let request = summary_request("m", &old_turns(), None, 777);
        assert_eq!(request.model, "m");
        assert_eq!(request.max_output_tokens, 777);
        assert!(request.tools.is_empty());
        assert_eq!(request.reasoning, None);
        for heading in [
            "## Goal",
            "## Decisions",
            "## Files touched",
            "## Commands run and results",
            "## Open items",
        ] {
            assert!(request.system.contains(heading), "missing {heading}");
        }
        let [Message::User { text }] = request.messages.as_slice() else {
            panic!("expected one user message: {:?}", request.messages)
        };
        for expected in [
            "please fix the parser",
            "Reading the parser first.",
            "read_file",
            "src/parse.rs",
            "HEAD-OF-OUTPUT",
            "TAIL-OF-OUTPUT",
            "elided",
            "Fixed the off-by-one",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in {text}");
        }
        assert!(!text.contains("secret chain of thought"));
        assert!(
            text.len() < 4_000,
            "tool output not capped: {} bytes",
            text.len()
        );
        assert!(!text.contains("Pay particular attention"));
    }

    #[test]
    fn summary_request_names_the_focus() {
        let request = summary_request("m", &old_turns(), Some("the lexer API"), 100);
        let Message::User { text } = &request.messages[0] else {
            panic!("expected a user message")
        };
        assert!(text.contains("Pay particular attention to: the lexer API"));
        let blank = summary_request("m", &old_turns(), Some("  "), 100);
        let Message::User { text } = &blank.messages[0] else {
            panic!("expected a user message")
        };
        assert!(!text.contains("Pay particular attention"));
    }

    #[test]
    fn compacted_history_starts_with_the_summary_and_keeps_the_tail() {
        let history = [
            old_turns(),
            vec![
                user("now run the tests"),
                calls(&["t1", "t2"]),
                result("t1", "ok"),
                result("t2", "1 failed"),
            ],
        ]
        .concat();
        let at = split_point(&history, 1).expect("the first turn is old enough");
        let compacted = compacted_history("## Goal\nFix the parser", &history[at..]);
        assert_valid_for_providers(&compacted);
        let Message::User { text } = &compacted[0] else {
            panic!("expected the summary first")
        };
        assert!(text.starts_with(SUMMARY_OPEN));
        assert!(text.contains("## Goal\nFix the parser"));
        assert_eq!(compacted[1], said(SUMMARY_ACK));
        assert_eq!(&compacted[2..], &history[at..]);
    }

    #[test]
    fn estimate_is_a_quarter_of_the_characters_rounded_up() {
        assert_eq!(estimate_tokens(&[]), 0);
        assert_eq!(estimate_tokens(&[user("abcd"), result("c1", "123456")]), 3);
        assert_eq!(estimate_tokens(&[user("abcde")]), 2);
        assert_eq!(estimate_tokens(&[user("éééé")]), 1);
    }

    async fn mock(script: &str) -> (MockServer, HttpModelClient) {
        let server = MockServer::start(Script::from_toml_str(script).unwrap())
            .await
            .unwrap();
        let client = HttpModelClient::new(HttpClientConfig {
            provider: "mock".into(),
            wire: Wire::Anthropic,
            base_url: server.base_url(),
            api_key: Some("k".into()),
            env_key: None,
            headers: Vec::new(),
            max_retries: 0,
            idle_timeout: Duration::from_secs(5),
        })
        .unwrap();
        (server, client)
    }

    #[tokio::test]
    async fn summarise_returns_the_scripted_text_over_loopback() {
        let (server, client) = mock(
            "[[reply]]\ntext = \"## Goal\\nFix the parser.\"\n[reply.usage]\ninput = 120\noutput = 9\n",
        )
        .await;
        let request = summary_request("mock-model", &old_turns(), Some("parser"), 512);
        let summary = summarise(&client, request, CancellationToken::new())
            .await
            .unwrap();
        assert_eq!(summary.text, "## Goal\nFix the parser.");
        assert_eq!(summary.usage.map(|u| u.input_tokens), Some(120));
        let sent = &server.requests()[0].body;
        assert!(
            sent.get("tools")
                .is_none_or(|t| t.as_array().is_some_and(Vec::is_empty))
        );
        let sent = sent.to_string();
        assert!(sent.contains("## Open items"));
        assert!(sent.contains("please fix the parser"));
    }

    #[tokio::test]
    async fn an_empty_summary_is_an_error_not_a_blank_history() {
        let (_server, client) = mock("[[reply]]\ntext = \"\"\n").await;
        let request = summary_request("mock-model", &old_turns(), None, 512);
        let err = summarise(&client, request, CancellationToken::new())
            .await
            .unwrap_err();
        assert!(matches!(err, CompactError::EmptySummary { .. }), "{err:?}");
        assert!(err.to_string().contains("not compacted"));
    }

    #[tokio::test]
    async fn a_failed_summary_call_reports_the_provider_error() {
        let (_server, client) = mock("[[reply]]\nstatus = 400\n").await;
        let request = summary_request("mock-model", &old_turns(), None, 512);
        let err = summarise(&client, request, CancellationToken::new())
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                CompactError::Model(ProviderError::Status { status: 400, .. })
            ),
            "{err:?}"
        );
    }
}
