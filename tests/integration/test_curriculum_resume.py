"""A worker that dies while the curriculum is being designed does not redo finished stages.

Each stage is committed with its ``stage_designed`` event as soon as it is designed; the
run that takes over after the lease expires asks the model only for the stages still missing.
The model is the offline model's answers behind a pydantic-ai ``FunctionModel`` that dies
(a ``BaseException``, as a killed process stops mid-call) at the first request for stage 2.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import Any

import pydantic_ai.models
import pytest
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from learnpath.agents import llm_team
from learnpath.agents.llm_team import LLMTeam
from learnpath.domain.roadmap import Framework, structural_issues
from learnpath.domain.task import TaskStatus
from learnpath.llm.guard import GuardedModel
from learnpath.llm.limits import ModelLimiter
from learnpath.llm.offline import offline_answer, prompt_context
from learnpath.llm.retry import RetryPolicy
from learnpath.settings import Settings
from learnpath.store import Store
from learnpath.store.engine import make_engines
from learnpath.store.migrate import upgrade
from learnpath.workflow.engine import Workflow

from .test_queue_failures import Clock


class WorkerKilled(BaseException):
    """Stands for the process dying: nothing after it runs, nothing catches it."""


class DyingModel:
    """Offline answers; the first request for ``die_at_stage`` kills the worker."""

    def __init__(self, die_at_stage: int) -> None:
        self.die_at_stage = die_at_stage
        self.died = False
        self.requests: Counter[str] = Counter()
        self.stage_prompts: dict[int, list[dict[str, Any]]] = {}
        self.tutorial_prompts: list[dict[str, Any]] = []

    def respond(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        context = prompt_context(messages)
        if not info.output_tools:
            return ModelResponse(parts=[TextPart("ok")])
        tool = info.output_tools[0].name
        key = tool
        if tool == "tutorial":
            self.tutorial_prompts.append(context)
        if tool == "stage_detail":
            index = int(context["stage_index"])
            key = f"stage_{index}"
            self.stage_prompts.setdefault(index, []).append(context)
            if index == self.die_at_stage and not self.died:
                self.died = True
                self.requests[key] += 1
                raise WorkerKilled
        self.requests[key] += 1
        return ModelResponse(parts=[ToolCallPart(tool, offline_answer(tool, context))])


@pytest.fixture
async def clocked(settings: Settings) -> AsyncIterator[tuple[Store, Clock]]:
    clock = Clock()
    store = Store(
        make_engines(settings.resolved_database_url, pool_size=4),
        lease_seconds=30.0,
        max_attempts=1,
        crash_loop_limit=3,
        clock=clock,
    )
    await upgrade(store.engines.writer)
    try:
        yield store, clock
    finally:
        await store.close()


Respond = Callable[[list[ModelMessage], AgentInfo], ModelResponse]


def team_on(respond: Respond, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> LLMTeam:
    """The real team, every agent on ``respond`` (a pydantic-ai ``FunctionModel``)."""

    def guarded(_settings: Settings, agent: str, **_: Any) -> GuardedModel:
        return GuardedModel(
            FunctionModel(respond, model_name="scripted"),
            display_name="dying-model",
            limiter=ModelLimiter(8),
            timeout=30.0,
            policy=RetryPolicy(retries=0),
        )

    monkeypatch.setattr(pydantic_ai.models, "ALLOW_MODEL_REQUESTS", False)
    monkeypatch.setattr(llm_team, "model_for", guarded)
    return LLMTeam(settings)


async def test_a_crash_after_stage_one_resumes_at_stage_two(
    clocked: tuple[Store, Clock], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, clock = clocked
    model = DyingModel(die_at_stage=2)
    workflow = Workflow(store, team_on(model.respond, settings, monkeypatch))
    user = await store.local_user()
    request = {"goal": "Become a backend engineer", "weeks": 26, "hours_per_week": 8}
    task, _ = await store.submit_task(user_id=user.id, request=request)

    lease = await store.claim_next_job("worker-1")
    assert lease is not None
    with pytest.raises(WorkerKilled):
        await workflow.run(lease)
    assert await store.design_parts(task.id) == {
        "outline": await _part(store, task.id, "outline"),
        "stage_1": await _part(store, task.id, "stage_1"),
    }

    clock.advance(31)
    assert await store.requeue_expired() == (1, 0)
    lease = await store.claim_next_job("worker-2")
    assert lease is not None and lease.attempt == 2
    await workflow.run(lease)

    done = await store.get_task(task.id)
    assert done.status is TaskStatus.COMPLETED, done.error
    # The outline and stage 1 were asked for once; stage 2 once more after the death.
    assert model.requests["curriculum_skeleton"] == 1
    assert model.requests["stage_1"] == 1
    assert model.requests["stage_2"] == 2
    stages = len(model.stage_prompts)
    assert all(model.requests[f"stage_{i}"] == 1 for i in range(3, stages + 1))

    framework = Framework.model_validate((await store.get_roadmap(task.id)).framework)
    stage_one = await _part(store, task.id, "stage_1")
    assert framework.stages[0].model_dump(mode="json") == stage_one
    # The resumed stage 2 was told stage 1's concepts, by id and name.
    told = model.stage_prompts[2][-1]["earlier_concepts"]
    assert [(c["id"], c["name"]) for c in told] == [
        (c.id, c.name) for m in framework.stages[0].modules for c in m.concepts
    ]
    assert framework.all_ids() == list(dict.fromkeys(framework.all_ids()))
    assert not [i for i in structural_issues(framework, 10_000) if i.severity == "error"]
    # The workflow told each tutorial writer its concept's prerequisites by name and summary.
    told_prerequisites = {p["concept"]["name"]: p["prerequisites"] for p in model.tutorial_prompts}
    with_prerequisites = [c for _, _, c in framework.concepts() if c.prerequisites]
    assert with_prerequisites
    for concept in with_prerequisites:
        expected = [framework.concept(p) for p in concept.prerequisites]
        assert told_prerequisites[concept.name] == [
            {"name": p.name, "summary": p.description} for p in expected if p is not None
        ]
    events = [e.type for e in await store.events_after(task.id)]
    assert events.count("stage_designed") == stages
    assert events.count("curriculum_outlined") == 1


async def _part(store: Store, task_id: str, part: str) -> dict[str, Any]:
    events = [e for e in await store.events_after(task_id) if e.data.get("part") == part]
    assert len(events) == 1, part
    design: dict[str, Any] = events[0].data["design"]
    return design
