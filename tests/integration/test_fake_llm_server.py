"""The fake OpenAI-compatible server itself, driven with a plain synchronous HTTP client."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from learnpath.agents.quiz import QuizAnswer
from learnpath.llm.context import render_context
from learnpath.testing import FakeLLMServer, RateLimit, Reply
from learnpath.testing.fake_llm import SlidingWindow


def chat(tool: str = "quiz", prompt: str = "Write the quiz.") -> dict[str, Any]:
    context = {"language": "en", "concept": {"name": "Closures"}, "module": {"name": "Functions"}}
    return {
        "model": "fake-model",
        "messages": [{"role": "user", "content": f"{prompt}\n\n{render_context(context)}"}],
        "tools": [{"type": "function", "function": {"name": tool, "parameters": {}}}],
        "tool_choice": "required",
    }


def post(server: FakeLLMServer, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{server.base_url}/chat/completions", json=body, timeout=10)


def test_default_answer_is_a_valid_tool_call_for_the_agent() -> None:
    with FakeLLMServer() as server:
        response = post(server, chat())
        assert response.status_code == 200
        choice = response.json()["choices"][0]
        call = choice["message"]["tool_calls"][0]["function"]
        assert (choice["finish_reason"], call["name"]) == ("tool_calls", "quiz")
        quiz = QuizAnswer.model_validate(json.loads(call["arguments"]))
        assert len(quiz.questions) == 3
        assert "Closures" in quiz.questions[0].question
        assert response.json()["usage"]["prompt_tokens"] > 0
        assert server.requests_by_agent == {"quiz": 1}


def test_rules_match_agent_and_prompt_text_and_run_out() -> None:
    with FakeLLMServer() as server:
        server.add_rule(Reply.error(429, retry_after=7), agent="quiz", contains="Closures", times=2)
        server.add_rule(Reply.error(500), agent="tutorial")
        limited = post(server, chat())
        assert (limited.status_code, limited.headers["retry-after"]) == (429, "7")
        assert post(server, chat()).status_code == 429
        assert post(server, chat()).status_code == 200
        assert post(server, chat("tutorial")).status_code == 500
        assert post(server, chat("tutorial")).status_code == 200
        assert server.requests_by_agent == {"quiz": 3, "tutorial": 2}
        assert server.replies[0] == ("quiz", "error")


def test_unknown_routes_tools_and_streaming_are_refused() -> None:
    with FakeLLMServer() as server:
        assert httpx.post(f"{server.base_url}/embeddings", json={}).status_code == 404
        assert post(server, chat("poem")).status_code == 400
        assert post(server, {**chat(), "stream": True}).status_code == 400
        assert server.requests_total == 0


def test_fixed_latency_and_thread_safe_counting() -> None:
    with FakeLLMServer(latency=0.1) as server:
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(lambda _: post(server, chat()).status_code, range(16)))
        elapsed = time.monotonic() - started
        assert statuses == [200] * 16
        assert server.requests_total == 16
        assert server.max_concurrent > 1
        assert elapsed >= 0.2  # 16 calls of 0.1 s, at most 8 at a time


def test_base_url_needs_a_running_server() -> None:
    server = FakeLLMServer()
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.base_url
    with server:
        assert server.base_url.startswith("http://127.0.0.1:")
        assert server.model_setting == f"{server.base_url}#fake-model"


def test_a_rate_limit_admits_r_requests_per_sliding_window_and_refuses_the_rest() -> None:
    with FakeLLMServer(rate_limit=RateLimit(requests=3, window=30.0)) as server:
        assert [post(server, chat()).status_code for _ in range(3)] == [200] * 3
        refused = [post(server, chat()) for _ in range(4)]
        assert [r.status_code for r in refused] == [429] * 4
        first = refused[0]
        assert first.json()["error"]["code"] == "rate_limit_exceeded"
        # The wait until the oldest admitted request leaves the window, in both precisions.
        millis = int(first.headers["retry-after-ms"])
        assert 0 < millis <= 30_000
        assert int(first.headers["retry-after"]) == -(-millis // 1000)
        # Refusals do not count: the wait only shrinks as time passes.
        assert int(refused[-1].headers["retry-after-ms"]) <= millis
        assert server.rate_limited_total == 4 and len(server.admitted_times) == 3
        assert server.requests_by_agent == {"quiz": 7}
        assert server.replies[-1] == ("quiz", "rate_limited")


def test_the_rate_limit_window_slides() -> None:
    window = SlidingWindow(RateLimit(requests=2, window=10.0))
    assert [window.admit(now) for now in (100.0, 104.0)] == [None, None]
    assert window.admit(105.0) == 5.0  # until the request of t=100 leaves the window
    assert window.admit(109.5) == 0.5  # a refusal did not take a place
    assert window.admit(110.0) is None  # t=100 has left: one place again
    assert window.admit(110.0) == 4.0
    assert window.admitted == [100.0, 104.0, 110.0]
    assert window.refused == [105.0, 109.5, 110.0]
