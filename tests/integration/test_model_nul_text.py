"""A NUL character in a model's answer is valid JSON but cannot be stored in PostgreSQL text.

Found by the workflow property test on generated answers: such an answer crashed the step
that saved it. Every structured answer now has its NUL characters replaced by U+FFFD, so the
task completes on both backends and the text keeps its length.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic_ai.messages import ModelMessage, ModelResponse, ToolCallPart
from pydantic_ai.models.function import AgentInfo

from learnpath.domain.roadmap import Framework
from learnpath.domain.task import TaskStatus
from learnpath.llm.offline import offline_answer, prompt_context
from learnpath.settings import Settings
from learnpath.store import Store
from learnpath.workflow.engine import Workflow

from .test_curriculum_resume import clocked, team_on
from .test_queue_failures import Clock

__all__ = ["clocked"]


class NulModel:
    """Offline answers with NUL characters in a title, a stage name and a tutorial."""

    def respond(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        context = prompt_context(messages)
        tool = info.output_tools[0].name
        answer = offline_answer(tool, context)
        if tool == "curriculum_skeleton":
            answer["title"] = "Data\x00engineering"
            answer["stages"][0]["name"] = "\x00"
        if tool == "tutorial":
            answer["markdown"] += "\x00"
        return ModelResponse(parts=[ToolCallPart(tool, answer)])


async def test_nul_characters_in_answers_are_stored_as_replacement_characters(
    clocked: tuple[Store, Clock], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, _ = clocked
    workflow = Workflow(store, team_on(NulModel().respond, settings, monkeypatch))
    user = await store.local_user()
    task, _ = await store.submit_task(user_id=user.id, request={"goal": "Become a data engineer"})
    lease = await store.claim_next_job("worker")
    assert lease is not None
    await workflow.run(lease)

    done = await store.get_task(task.id)
    assert done.status is TaskStatus.COMPLETED, done.error
    roadmap = await store.get_roadmap(task.id)
    framework = Framework.model_validate(roadmap.framework)
    assert roadmap.title == framework.title == "Data\ufffdengineering"
    assert framework.stages[0].name == "\ufffd"
    items: list[Any] = [i for i in await store.latest_content(task.id) if i.kind == "tutorial"]
    assert items and all(i.body["markdown"].endswith("\ufffd") for i in items)
