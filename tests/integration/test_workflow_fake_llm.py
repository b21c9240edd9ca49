"""The workflow against a real HTTP model server on loopback that misbehaves on request."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from learnpath.dispatch.local import LocalExecutor
from learnpath.runtime import make_workflow
from learnpath.settings import Settings
from learnpath.store import Store
from learnpath.testing import FakeLLMServer, Reply

REQUEST: dict[str, Any] = {"goal": "Become a backend engineer, I know some Python", "weeks": 26}
FIRST_CONCEPT = "Data types and control flow"  # the offline backend catalogue's first concept


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as fake:
        yield fake


@pytest.fixture
def model_settings(make_settings: Any, server: FakeLLMServer) -> Settings:
    return make_settings(model=server.model_setting, model_timeout_seconds=10.0)  # type: ignore[no-any-return]


async def submit(store: Store) -> str:
    user = await store.local_user()
    task, _ = await store.submit_task(user_id=user.id, request=REQUEST)
    return task.id


async def drain(store: Store, settings: Settings) -> None:
    executor = LocalExecutor(store, make_workflow(settings, store).run, poll_seconds=0.1)
    await executor.run_until_idle(timeout=120)


async def test_invalid_output_and_transient_errors_are_repaired(
    store: Store, model_settings: Settings, server: FakeLLMServer
) -> None:
    server.add_rule(Reply.error(429, retry_after=0.2), agent="intent")
    server.add_rule(Reply.invalid(), agent="curriculum")
    server.add_rule(Reply.error(500), agent="validator")
    task_id = await submit(store)
    await drain(store, model_settings)

    task = await store.get_task(task_id)
    assert task.status == "completed", task.error
    assert task.progress_done == task.progress_total > 0
    assert (await store.get_roadmap(task_id)).generated_by != "offline"
    replies = server.replies
    assert replies[:2] == [("intent", "error"), ("intent", "valid")]
    assert ("curriculum", "invalid") in replies and ("validator", "error") in replies
    runs = {r.step: r for r in await store.step_runs(task_id)}
    assert runs["intent_analysis"].model_requests == 1  # one answered request (after a retry)
    assert runs["content_generation"].model_requests >= 3 * task.progress_total
    assert all(r.input_tokens > 0 and r.output_tokens > 0 for r in runs.values())


async def test_failure_in_intent_analysis_fails_the_task_at_that_step(
    store: Store, model_settings: Settings, server: FakeLLMServer
) -> None:
    server.add_rule(Reply.error(503), agent="intent", times=None)
    task_id = await submit(store)
    await drain(store, model_settings)

    task = await store.get_task(task_id)
    assert task.status == "failed" and task.error is not None
    assert task.error.step == "intent_analysis"
    assert task.error.code == "model_unavailable"
    assert "Traceback" not in task.error.message and len(task.error.message) > 20
    assert server.requests_by_agent == {"intent": server.requests_total}
    events = await store.events_after(task_id)
    assert events[-1].type == "task_failed" and events[-1].data["code"] == "model_unavailable"
    jobs = await store.jobs_for_task(task_id)
    assert [j.state for j in jobs] == ["failed"]


async def test_one_failing_concept_gives_partial_failure_and_retry_repairs_only_it(
    store: Store, model_settings: Settings, server: FakeLLMServer
) -> None:
    server.add_rule(
        Reply.error(500), agent="quiz", contains=f"for the concept {FIRST_CONCEPT!r}", times=None
    )
    task_id = await submit(store)
    await drain(store, model_settings)

    task = await store.get_task(task_id)
    assert task.status == "partial_failure"
    assert task.error is not None and task.error.code == "content_failed"
    assert task.progress_done == task.progress_total - 1
    failed = [i for i in await store.latest_content(task_id) if i.status == "failed"]
    assert len(failed) == 1 and failed[0].kind == "quiz"
    assert FIRST_CONCEPT in (failed[0].error_message or "")
    assert failed[0].error_code == "model_unavailable"
    concept_failed = [e for e in await store.events_after(task_id) if e.type == "concept_failed"]
    assert [e.data["concept_id"] for e in concept_failed] == [failed[0].concept_id]

    # The model recovers; a retry regenerates that one quiz and nothing else.
    server.reset()
    await store.retry_task(task_id, None)
    await drain(store, model_settings)
    task = await store.get_task(task_id)
    assert task.status == "completed" and task.error is None
    assert server.requests_by_agent == {"quiz": 1}
    items = await store.latest_content(task_id)
    assert all(i.status == "completed" for i in items)
    assert {i.version for i in items} == {1}


async def test_a_run_stopped_after_curriculum_design_resumes_without_repeating_calls(
    store: Store, model_settings: Settings, server: FakeLLMServer
) -> None:
    server.add_rule(Reply.slow(30), agent="validator")
    task_id = await submit(store)
    executor = LocalExecutor(store, make_workflow(model_settings, store).run, poll_seconds=0.1)
    await executor.start()
    try:
        for _ in range(200):
            task = await store.get_task(task_id)
            if task.current_step == "structure_validation" and server.requests_by_agent.get(
                "validator"
            ):
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the run never reached structure validation")
    finally:
        await executor.stop()  # the worker goes away mid-step; its lease is given back

    before = dict(server.requests_by_agent)
    assert before["intent"] == 1 and before["curriculum"] >= 2
    server.reset()
    await drain(store, model_settings)
    task = await store.get_task(task_id)
    assert task.status == "completed"
    assert "intent" not in server.requests_by_agent
    assert "curriculum" not in server.requests_by_agent
    assert server.requests_by_agent["validator"] == 1
    steps = [r.step for r in await store.step_runs(task_id)]
    assert steps.count("intent_analysis") == 1 and steps.count("curriculum_design") == 1
