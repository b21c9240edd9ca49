"""The whole workflow on answers generated from the published schemas alone.

Every model request is answered with a hypothesis-generated instance of the schema the agent
sent (only required properties, or every property; arrays bounded so a run stays small),
with no re-asks. Whatever the answers, a task ends completed (or partly failed, with the
failed items recorded), possibly after validation → edit rounds, or failed with a step, a
code and a message: never a crash, and never a finished roadmap without concepts.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from typing import Any

import pydantic_ai.models
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from learnpath.agents import llm_team
from learnpath.agents.llm_team import LLMTeam
from learnpath.domain.roadmap import Framework
from learnpath.domain.task import TaskStatus
from learnpath.llm.guard import GuardedModel
from learnpath.llm.limits import ModelLimiter
from learnpath.llm.retry import RetryPolicy
from learnpath.settings import Settings
from learnpath.store import open_store
from learnpath.store.migrate import upgrade
from learnpath.workflow.engine import Workflow
from tests.schema_contract import Mode, instances

CI_RUNS = settings(
    max_examples=3,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
SOAK = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
ENDINGS = {TaskStatus.COMPLETED, TaskStatus.PARTIAL_FAILURE, TaskStatus.FAILED}


class SchemaAnswers:
    """A model that answers every request with an instance drawn from its schema."""

    def __init__(self, data: st.DataObject, mode: Mode) -> None:
        self.data = data
        self.mode = mode
        self.answered: Counter[str] = Counter()

    async def respond(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        params = info.model_request_parameters
        if params.output_object is not None:
            name = params.output_object.name or "output"
            schema = params.output_object.json_schema
        else:
            name = info.output_tools[0].name
            schema = info.output_tools[0].parameters_json_schema
        value = self.data.draw(instances(schema, self.mode, max_items=2), label=name)
        self.answered[name] += 1
        if params.output_object is not None:
            return ModelResponse(parts=[TextPart(json.dumps(value))])
        return ModelResponse(parts=[ToolCallPart(name, value)])


@pytest.fixture
def schema_answers(monkeypatch: pytest.MonkeyPatch) -> dict[str, SchemaAnswers]:
    """``llm_team.model_for`` hands every agent the current example's ``SchemaAnswers``."""
    current: dict[str, SchemaAnswers] = {}

    def guarded(_settings: Settings, agent: str, **_: Any) -> GuardedModel:
        return GuardedModel(
            FunctionModel(current["model"].respond, model_name="schema-answers"),
            display_name="schema-answers",
            limiter=ModelLimiter(8),
            timeout=60.0,
            policy=RetryPolicy(retries=0),
        )

    monkeypatch.setattr(pydantic_ai.models, "ALLOW_MODEL_REQUESTS", False)
    monkeypatch.setattr(llm_team, "model_for", guarded)
    return current


async def _run_once(settings: Settings, answers: SchemaAnswers) -> None:
    store = open_store(settings, pool_size=4)
    try:
        await upgrade(store.engines.writer)
        workflow = Workflow(store, LLMTeam(settings), max_edit_rounds=1, content_concurrency=1)
        user = await store.local_user()
        request = {"goal": "Become a data engineer", "weeks": 12, "hours_per_week": 6}
        task, _ = await store.submit_task(user_id=user.id, request=request)
        lease = await store.claim_next_job("schema-answers")
        assert lease is not None
        await workflow.run(lease)  # never raises, whatever the answers

        done = await store.get_task(task.id)
        assert done.status in ENDINGS, done.status
        if done.status is TaskStatus.FAILED:
            assert done.error is not None
            assert done.error.step and done.error.code and len(done.error.message) > 20
            assert "Traceback" not in done.error.message
            return
        framework = Framework.model_validate((await store.get_roadmap(task.id)).framework)
        assert framework.concept_ids(), "a finished roadmap without concepts"
        assert all(m.concepts for s in framework.stages for m in s.modules)
        assert done.progress_total == len(framework.concept_ids())
        if done.status is TaskStatus.COMPLETED:
            assert done.progress_done == done.progress_total
    finally:
        await store.close()


def _example(
    current: dict[str, SchemaAnswers],
    make_settings: Any,
    mode: Mode,
    output_mode: str,
    data: st.DataObject,
) -> None:
    answers = SchemaAnswers(data, mode)
    current["model"] = answers
    config: Settings = make_settings(output_retries=0, output_mode=output_mode)
    asyncio.run(_run_once(config, answers))
    assert answers.answered["stage_detail"] >= 1


@pytest.mark.parametrize("output_mode", ["tool", "native"])
@pytest.mark.parametrize("mode", ["required", "all"])
@CI_RUNS
@given(data=st.data())
def test_the_workflow_ends_cleanly_on_any_schema_answers(
    schema_answers: dict[str, SchemaAnswers],
    make_settings: Any,
    mode: Mode,
    output_mode: str,
    data: st.DataObject,
) -> None:
    _example(schema_answers, make_settings, mode, output_mode, data)


@pytest.mark.slow
@pytest.mark.parametrize("output_mode", ["tool", "native"])
@pytest.mark.parametrize("mode", ["required", "all"])
@SOAK
@given(data=st.data())
def test_the_workflow_ends_cleanly_on_many_schema_answers(
    schema_answers: dict[str, SchemaAnswers],
    make_settings: Any,
    mode: Mode,
    output_mode: str,
    data: st.DataObject,
) -> None:
    _example(schema_answers, make_settings, mode, output_mode, data)
