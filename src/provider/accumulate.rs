//! Folds a stream of [`StreamEvent`]s into the assistant message it spells.

use super::{AssistantPart, Message, Reasoning, StopReason, StreamEvent, ToolCall, Usage};

/// Builds one assistant response from its stream events.
///
/// Parts keep stream order (thinking before the text and tool calls it led
/// to). A [`StreamEvent::Reset`] discards everything gathered so far.
#[derive(Debug, Default)]
pub struct Accumulator {
    parts: Vec<AssistantPart>,
    /// Index into `parts` of the reasoning block still being streamed.
    open_reasoning: Option<usize>,
    /// `(stream index, position in parts)` of tool calls still streaming.
    open_calls: Vec<(usize, usize)>,
    usage: Option<Usage>,
    stop: Option<StopReason>,
}

impl Accumulator {
    /// An empty response.
    pub fn new() -> Self {
        Self::default()
    }

    /// Folds one event in.
    pub fn push(&mut self, event: &StreamEvent) {
        match event {
            StreamEvent::TextDelta(delta) => {
                self.open_reasoning = None;
                match self.parts.last_mut() {
                    Some(AssistantPart::Text { text }) => text.push_str(delta),
                    _ => self.parts.push(AssistantPart::Text {
                        text: delta.clone(),
                    }),
                }
            }
            StreamEvent::ReasoningDelta(delta) => match self.open_reasoning {
                Some(i) => {
                    if let AssistantPart::Reasoning(r) = &mut self.parts[i] {
                        r.text.push_str(delta);
                    }
                }
                None => {
                    self.parts.push(AssistantPart::Reasoning(Reasoning {
                        text: delta.clone(),
                        replay: None,
                    }));
                    self.open_reasoning = Some(self.parts.len() - 1);
                }
            },
            StreamEvent::ReasoningDone(done) => match self.open_reasoning.take() {
                Some(i) => self.parts[i] = AssistantPart::Reasoning(done.clone()),
                None => self.parts.push(AssistantPart::Reasoning(done.clone())),
            },
            StreamEvent::ToolCallStart { index, id, name } => {
                self.open_reasoning = None;
                self.parts.push(AssistantPart::ToolCall(ToolCall {
                    id: id.clone(),
                    name: name.clone(),
                    arguments: String::new(),
                }));
                self.open_calls.push((*index, self.parts.len() - 1));
            }
            StreamEvent::ToolCallDelta { index, delta } => {
                if let Some(pos) = self.call_position(*index)
                    && let AssistantPart::ToolCall(call) = &mut self.parts[pos]
                {
                    call.arguments.push_str(delta);
                }
            }
            StreamEvent::ToolCallDone { index, call } => match self.call_position(*index) {
                Some(pos) => {
                    self.parts[pos] = AssistantPart::ToolCall(call.clone());
                    self.open_calls.retain(|(i, _)| i != index);
                }
                None => self.parts.push(AssistantPart::ToolCall(call.clone())),
            },
            StreamEvent::Usage(usage) => self.usage = Some(*usage),
            StreamEvent::Stop(reason) => self.stop = Some(reason.clone()),
            StreamEvent::Reset => *self = Self::default(),
            StreamEvent::RateLimits(_)
            | StreamEvent::RequestId(_)
            | StreamEvent::Retrying { .. } => {}
        }
    }

    fn call_position(&self, index: usize) -> Option<usize> {
        self.open_calls
            .iter()
            .find(|(i, _)| *i == index)
            .map(|(_, pos)| *pos)
    }

    /// The tool calls of the response, in order.
    pub fn tool_calls(&self) -> Vec<ToolCall> {
        self.parts
            .iter()
            .filter_map(|p| match p {
                AssistantPart::ToolCall(c) => Some(c.clone()),
                _ => None,
            })
            .collect()
    }

    /// The visible text of the response (all text parts joined).
    pub fn text(&self) -> String {
        self.parts
            .iter()
            .filter_map(|p| match p {
                AssistantPart::Text { text } => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }

    /// The usage reported for the response, if any.
    pub fn usage(&self) -> Option<Usage> {
        self.usage
    }

    /// Why the response ended, if it did.
    pub fn stop_reason(&self) -> Option<&StopReason> {
        self.stop.as_ref()
    }

    /// The message for the history. Tool calls that never completed (the
    /// stream was cut) are dropped, so the history never holds a call
    /// without a result.
    pub fn into_message(self) -> Message {
        let open: Vec<usize> = self.open_calls.iter().map(|(_, pos)| *pos).collect();
        let parts = self
            .parts
            .into_iter()
            .enumerate()
            .filter(|(i, p)| match p {
                AssistantPart::ToolCall(_) => !open.contains(i),
                AssistantPart::Text { text } => !text.is_empty(),
                AssistantPart::Reasoning(_) => true,
            })
            .map(|(_, p)| p)
            .collect();
        Message::Assistant { parts }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_text_reasoning_and_calls_in_order() {
        let mut acc = Accumulator::new();
        acc.push(&StreamEvent::ReasoningDelta("think".into()));
        acc.push(&StreamEvent::ReasoningDone(Reasoning {
            text: "think".into(),
            replay: None,
        }));
        acc.push(&StreamEvent::TextDelta("Hel".into()));
        acc.push(&StreamEvent::TextDelta("lo".into()));
        acc.push(&StreamEvent::ToolCallStart {
            index: 0,
            id: "c1".into(),
            name: "read_file".into(),
        });
        acc.push(&StreamEvent::ToolCallDelta {
            index: 0,
            delta: "{\"pa".into(),
        });
        acc.push(&StreamEvent::ToolCallDone {
            index: 0,
            call: ToolCall {
                id: "c1".into(),
                name: "read_file".into(),
                arguments: "{\"path\":\"a\"}".into(),
            },
        });
        assert_eq!(acc.text(), "Hello");
        assert_eq!(acc.tool_calls()[0].arguments, "{\"path\":\"a\"}");
        let Message::Assistant { parts } = acc.into_message() else {
            panic!("not an assistant message")
        };
        assert!(matches!(parts[0], AssistantPart::Reasoning(_)));
        assert!(matches!(parts[1], AssistantPart::Text { .. }));
        assert!(matches!(parts[2], AssistantPart::ToolCall(_)));
    }

    #[test]
    fn reset_forgets_partial_output_and_open_calls_are_dropped() {
        let mut acc = Accumulator::new();
        acc.push(&StreamEvent::TextDelta("partial".into()));
        acc.push(&StreamEvent::Reset);
        acc.push(&StreamEvent::TextDelta("fresh".into()));
        acc.push(&StreamEvent::ToolCallStart {
            index: 0,
            id: "c".into(),
            name: "shell".into(),
        });
        assert_eq!(acc.text(), "fresh");
        let Message::Assistant { parts } = acc.into_message() else {
            panic!("not an assistant message")
        };
        assert_eq!(parts.len(), 1);
    }
}
