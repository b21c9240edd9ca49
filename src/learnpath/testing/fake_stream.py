"""Streamed text answers of the fake OpenAI-compatible server (``stream: true`` requests).

A request that streams and offers no learnpath output tool is the tutor's; it is answered with
the offline tutor's answer for the prompt's input block, as ``chat.completion.chunk`` server-sent
events a few words at a time, ``chunk_delay`` seconds apart, ending with ``data: [DONE]``. A
``cut`` answer stops half-way with an error event, as a provider failing mid-answer does.
"""

from __future__ import annotations

import json
import time
from http.server import BaseHTTPRequestHandler
from typing import Any

from learnpath.agents.tutor import answer_for_context
from learnpath.llm.context import extract_context

WORDS_PER_CHUNK = 2


def text_chunks(text: str) -> list[str]:
    words = text.split(" ")
    return [
        " ".join(words[i : i + WORDS_PER_CHUNK]) + (" " if i + WORDS_PER_CHUNK < len(words) else "")
        for i in range(0, len(words), WORDS_PER_CHUNK)
    ]


def stream_text_answer(
    handler: BaseHTTPRequestHandler,
    body: dict[str, Any],
    prompt: str,
    *,
    chunk_delay: float,
    cut: bool = False,
) -> None:
    """Write the whole streamed answer to ``handler``'s client, then close the connection."""
    chunks = text_chunks(answer_for_context(extract_context(prompt) or {}))
    model = str(body.get("model", "fake-model"))
    handler.send_response(200)
    handler.send_header("Content-Type", "text/event-stream")
    handler.send_header("Cache-Control", "no-cache")
    handler.send_header("Connection", "close")
    handler.end_headers()
    handler.close_connection = True

    def send(payload: dict[str, Any] | str) -> None:
        data = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
        handler.wfile.write(f"data: {data}\n\n".encode())
        handler.wfile.flush()

    def chunk(delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
        return {
            "id": "chatcmpl-fake-stream",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }

    shown = chunks[: max(1, len(chunks) // 2)] if cut else chunks
    for index, piece in enumerate(shown):
        delta = {"role": "assistant", "content": piece} if index == 0 else {"content": piece}
        send(chunk(delta, None))
        time.sleep(chunk_delay)
    if cut:
        send({"error": {"message": "the upstream model failed", "type": "server_error"}})
        return
    send(chunk({}, "stop"))
    if (body.get("stream_options") or {}).get("include_usage"):
        tokens = max(1, sum(len(c) for c in chunks) // 4)
        prompt_tokens = max(1, len(prompt) // 4)
        send(
            {
                "id": "chatcmpl-fake-stream",
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": model,
                "choices": [],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": tokens,
                    "total_tokens": prompt_tokens + tokens,
                },
            }
        )
    send("[DONE]")
