"""The official `openai` SDK as a hosted program would use it.

Usage: openai_client.py MODE, with MODE one of chat-stream, chat,
responses-stream, responses. The client is configured only by the
environment Tandem gives a hosted program (OPENAI_BASE_URL pointing at the
metering proxy, OPENAI_API_KEY the proxy's placeholder), so this also checks
that the SDK takes that configuration as it is.

Prints one JSON line: what the SDK made of the answer ({"text", "usage",
"finish"}), or the SDK's own exception ({"error": class name, "status",
"message"}), with the number of HTTP requests it sent ("requests").
Anything else is a traceback and a non-zero exit.
"""

import json
import sys

import openai

MODEL = "gpt-peer"
PROMPT = "Say hello."


def chat_stream(client):
    # `stream_options.include_usage` makes the last chunk carry the usage
    # and no choices; the SDK must not stumble over it.
    stream = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": PROMPT}],
        stream=True,
        stream_options={"include_usage": True},
    )
    text, usage, finish = [], None, None
    for chunk in stream:
        for choice in chunk.choices:
            text.append(choice.delta.content or "")
            finish = choice.finish_reason or finish
        if chunk.usage is not None:
            usage = chunk.usage
    return {
        "text": "".join(text),
        "usage": {"input": usage.prompt_tokens, "output": usage.completion_tokens},
        "finish": finish,
    }


def chat(client):
    completion = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": PROMPT}]
    )
    usage = completion.usage
    return {
        "text": completion.choices[0].message.content,
        "usage": {"input": usage.prompt_tokens, "output": usage.completion_tokens},
        "finish": completion.choices[0].finish_reason,
    }


def responses_stream(client):
    # The SDK's stream helper assembles the final response from the events
    # and fails if they do not add up.
    deltas = []
    with client.responses.stream(model=MODEL, input=PROMPT) as stream:
        for event in stream:
            if event.type == "response.output_text.delta":
                deltas.append(event.delta)
        final = stream.get_final_response()
    if final.output_text != "".join(deltas):
        raise AssertionError(f"deltas {deltas!r} differ from {final.output_text!r}")
    usage = final.usage
    return {
        "text": final.output_text,
        "usage": {"input": usage.input_tokens, "output": usage.output_tokens},
        "finish": final.status,
    }


def responses(client):
    final = client.responses.create(model=MODEL, input=PROMPT)
    usage = final.usage
    return {
        "text": final.output_text,
        "usage": {"input": usage.input_tokens, "output": usage.output_tokens},
        "finish": final.status,
    }


MODES = {
    "chat-stream": chat_stream,
    "chat": chat,
    "responses-stream": responses_stream,
    "responses": responses,
}


def main():
    mode = MODES[sys.argv[1]]
    # Every HTTP request the SDK sends is counted, retries included: the
    # SDK keeps its default retries, so a refusal it must not retry has to
    # say so itself (`x-should-retry: false`).
    sent = []
    http = openai.DefaultHttpxClient(event_hooks={"request": [sent.append]})
    client = openai.OpenAI(timeout=20, http_client=http)
    try:
        result = mode(client)
    except openai.APIStatusError as e:
        result = {"error": type(e).__name__, "status": e.status_code, "message": e.message}
    result["requests"] = len(sent)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
