"""The official `anthropic` SDK as a hosted program would use it.

Usage: anthropic_client.py MODE, with MODE one of stream, create. The client
is configured only by the environment Tandem gives a hosted program
(ANTHROPIC_BASE_URL pointing at the metering proxy, ANTHROPIC_API_KEY the
proxy's placeholder).

Prints one JSON line: what the SDK made of the answer ({"text", "usage",
"finish"}), or the SDK's own exception ({"error": class name, "status",
"message", "retry_after"}). Anything else is a traceback and a non-zero exit.
"""

import json
import sys

import anthropic

MODEL = "claude-peer"
MESSAGES = [{"role": "user", "content": "Say hello."}]


def stream(client):
    # `messages.stream` accumulates the events into the final message and
    # fails if they do not add up.
    deltas = []
    with client.messages.stream(model=MODEL, max_tokens=200, messages=MESSAGES) as s:
        for text in s.text_stream:
            deltas.append(text)
        final = s.get_final_message()
    text = "".join(b.text for b in final.content if b.type == "text")
    if text != "".join(deltas):
        raise AssertionError(f"deltas {deltas!r} differ from {text!r}")
    return summary(final)


def create(client):
    return summary(client.messages.create(model=MODEL, max_tokens=200, messages=MESSAGES))


def summary(message):
    return {
        "text": "".join(b.text for b in message.content if b.type == "text"),
        "usage": {
            "input": message.usage.input_tokens,
            "output": message.usage.output_tokens,
        },
        "finish": message.stop_reason,
    }


def main():
    mode = {"stream": stream, "create": create}[sys.argv[1]]
    # No retries: the proxy asks Anthropic clients to retry a spent budget
    # after 30 s (Claude Code then waits for a raised budget); here the
    # first refusal is what is checked.
    client = anthropic.Anthropic(max_retries=0, timeout=20)
    try:
        result = mode(client)
    except anthropic.APIStatusError as e:
        result = {
            "error": type(e).__name__,
            "status": e.status_code,
            "message": e.message,
            "retry_after": e.response.headers.get("retry-after"),
        }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
