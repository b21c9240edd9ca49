"""Usage truth: every HTTP attempt to a model is counted by agent and outcome, end to end."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from learnpath.api import create_app
from learnpath.api.metrics import Metrics
from learnpath.dispatch.local import LocalExecutor
from learnpath.runtime import make_workflow, open_runtime
from learnpath.testing import FakeLLMServer, Reply

REQUEST: dict[str, Any] = {"goal": "Become a backend engineer, I know some Python", "weeks": 26}


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as fake:
        yield fake


async def test_attempts_are_counted_by_outcome_in_runs_trace_and_metrics(
    make_settings: Any, server: FakeLLMServer
) -> None:
    settings = make_settings(model=server.model_setting, model_timeout_seconds=3.0)
    server.add_rule(Reply.error(429, retry_after=0.05), agent="intent")
    server.add_rule(Reply.error(500), agent="intent")
    server.add_rule(Reply.invalid(), agent="curriculum")
    # Twice the timeout: on a loaded machine an ordinary answer must not look like this one.
    server.add_rule(Reply.slow(6.0), agent="validator")
    async with open_runtime(settings, background=False) as runtime:
        store = runtime.store
        user, token = await store.create_user("alice")
        task, _ = await store.submit_task(user_id=user.id, request=REQUEST)
        executor = LocalExecutor(store, make_workflow(settings, store).run, poll_seconds=0.1)
        await executor.run_until_idle(timeout=120)
        assert (await store.get_task(task.id)).status == "completed"

        usage = await store.model_usage(task.id)
        rows = [row for run_rows in usage.values() for row in run_rows]
        counted: dict[tuple[str, str], int] = {}
        for row in rows:
            key = (row["agent"], row["outcome"])
            counted[key] = counted.get(key, 0) + row["attempts"]
        by_agent = server.requests_by_agent
        assert sum(counted.values()) == server.requests_total  # every attempt, once
        assert {k: v for k, v in counted.items() if k[0] == "intent"} == {
            ("intent", "retried_429"): 1,
            ("intent", "retried_500"): 1,
            ("intent", "answered"): 1,
        }
        assert counted[("curriculum", "invalid_output")] == 1
        assert counted[("curriculum", "answered")] == by_agent["curriculum"] - 1
        assert counted[("validator", "retried_timeout")] == 1
        assert counted[("validator", "answered")] == by_agent["validator"] - 1
        for agent in ("tutorial", "resources", "quiz"):
            assert counted[(agent, "answered")] == by_agent[agent]

        app = create_app(settings, runtime=runtime)
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://localhost") as client,
        ):
            response = await client.get(
                f"/api/v1/tasks/{task.id}/trace", headers={"Authorization": f"Bearer {token}"}
            )
        assert response.status_code == 200
        trace = response.json()
        assert trace["agents"]["intent"]["outcomes"] == {
            "retried_429": 1,
            "retried_500": 1,
            "answered": 1,
        }
        intent_step = next(s for s in trace["steps"] if s["step"] == "intent_analysis")
        assert intent_step["agents"]["intent"]["outcomes"]["answered"] == 1
        tokens_in = sum(a["input_tokens"] for a in trace["agents"].values())
        tokens_out = sum(a["output_tokens"] for a in trace["agents"].values())
        assert tokens_in == trace["input_tokens"] > 0
        assert tokens_out == trace["output_tokens"] > 0
        assert all(a["input_tokens"] > 0 for a in trace["agents"].values())

        text = (await Metrics().render(store, publish_deadline_s=60)).decode()
        assert 'learnpath_model_requests_total{agent="intent",outcome="retried_429"} 1.0' in text
        assert 'learnpath_model_requests_total{agent="intent",outcome="retried_500"} 1.0' in text
        assert (
            'learnpath_model_requests_total{agent="curriculum",outcome="invalid_output"} 1.0'
            in text
        )
        assert 'learnpath_agent_tokens_total{agent="intent",kind="input"} ' in text


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (Reply.invalid(), {"invalid_output": 3}),
        (Reply.error(503, retry_after=0.01), {"retried_503": 2, "failed_503": 1}),
    ],
)
async def test_attempts_of_a_failed_step_are_counted(
    make_settings: Any, server: FakeLLMServer, reply: Reply, expected: dict[str, int]
) -> None:
    settings = make_settings(model=server.model_setting, model_retries=2, output_retries=2)
    server.add_rule(reply, agent="intent", times=None)
    async with open_runtime(settings, background=False) as runtime:
        store = runtime.store
        user, _ = await store.create_user("bob")
        task, _ = await store.submit_task(user_id=user.id, request=REQUEST)
        executor = LocalExecutor(store, make_workflow(settings, store).run, poll_seconds=0.1)
        await executor.run_until_idle(timeout=60)
        assert (await store.get_task(task.id)).status == "failed"
        rows = [row for run_rows in (await store.model_usage(task.id)).values() for row in run_rows]
    counted: dict[str, int] = {}
    for row in rows:
        assert row["agent"] == "intent"
        counted[row["outcome"]] = counted.get(row["outcome"], 0) + row["attempts"]
    attempts_per_run = sum(expected.values())
    runs = server.requests_total // attempts_per_run
    assert server.requests_total == runs * attempts_per_run
    assert counted == {outcome: n * runs for outcome, n in expected.items()}
