"""Against a provider with a request rate limit, every roadmap completes: 429s make calls wait.

The fake server admits at most ``R`` requests in any window (a sliding window) and answers
429 with ``Retry-After`` beyond it. Several roadmaps at once ask for far more than that, so
the server refuses many requests; the adaptive window and the patient retries must still
bring every task to ``completed``, with no call given up because of a 429.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from learnpath.dispatch.local import LocalExecutor
from learnpath.runtime import make_workflow
from learnpath.settings import Settings
from learnpath.store import Store, open_store
from learnpath.store.migrate import upgrade
from learnpath.testing import FakeLLMServer, RateLimit, Reply

REQUEST: dict[str, Any] = {"goal": "Become a backend engineer, I know some Python", "weeks": 26}
LIMIT = RateLimit(requests=10, window=1.0)  # 600 requests per minute
ROADMAPS = 2


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer(rate_limit=LIMIT) as fake:
        yield fake


@pytest.fixture
def limited_settings(make_settings: Any, server: FakeLLMServer) -> Settings:
    return make_settings(  # type: ignore[no-any-return]
        model=server.model_setting, model_timeout_seconds=10.0, model_retries=1
    )


async def test_every_roadmap_completes_although_the_provider_refuses_many_requests(
    store: Store, limited_settings: Settings, server: FakeLLMServer
) -> None:
    user = await store.local_user()
    task_ids = [
        (await store.submit_task(user_id=user.id, request={**REQUEST, "weeks": 20 + n}))[0].id
        for n in range(ROADMAPS)
    ]
    executor = LocalExecutor(store, make_workflow(limited_settings, store).run, poll_seconds=0.1)
    await executor.run_until_idle(timeout=300)

    tasks = await asyncio.gather(*(store.get_task(task_id) for task_id in task_ids))
    assert [task.status for task in tasks] == ["completed"] * ROADMAPS, [t.error for t in tasks]
    assert all(task.progress_done == task.progress_total > 0 for task in tasks)
    # The provider really was the bottleneck: it refused many requests...
    assert server.rate_limited_total >= 20
    # ...and never admitted more than its limit in any window (the fake keeps its promise).
    admitted = server.admitted_times
    assert all(
        later - earlier > LIMIT.window
        for earlier, later in zip(admitted, admitted[LIMIT.requests :], strict=False)
    )
    # Every refused attempt was retried, none given up: the usage says so per attempt.
    outcomes: dict[str, int] = {}
    for task_id in task_ids:
        for rows in (await store.model_usage(task_id)).values():
            for row in rows:
                outcomes[row["outcome"]] = outcomes.get(row["outcome"], 0) + row["attempts"]
    assert outcomes.get("retried_429", 0) == server.rate_limited_total
    assert not any(outcome.startswith("failed") for outcome in outcomes)


async def test_a_provider_that_never_stops_refusing_fails_the_task_after_the_patience(
    make_settings: Any,
) -> None:
    with FakeLLMServer() as refusing:
        refusing.add_rule(Reply.error(429, retry_after=0.05), agent="intent", times=None)
        settings = make_settings(
            model=refusing.model_setting, model_retries=0, model_rate_limit_patience_seconds=1.0
        )
        store = open_store(settings, pool_size=5)
        await upgrade(store.engines.writer)
        try:
            user = await store.local_user()
            task, _ = await store.submit_task(user_id=user.id, request=REQUEST)
            executor = LocalExecutor(store, make_workflow(settings, store).run, poll_seconds=0.1)
            await executor.run_until_idle(timeout=120)
            failed = await store.get_task(task.id)
        finally:
            await store.close()
    assert failed.status == "failed" and failed.error is not None
    assert failed.error.code == "model_rate_limited"
    assert "LEARNPATH_MODEL_RATE_LIMIT_PATIENCE_SECONDS" in failed.error.message
    # Far more attempts than LEARNPATH_MODEL_RETRIES=0 allows a real failure.
    assert refusing.requests_by_agent["intent"] > 5
