"""The tutor agent on the offline model: it streams the grounded answer in pieces."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from pydantic_ai.messages import ModelMessage
from pydantic_ai.models.function import AgentInfo, FunctionModel

from learnpath.agents import build_team
from learnpath.agents import tutor as tutor_module
from learnpath.agents.tutor import Tutor, TutorQuestion
from learnpath.domain.tutor import Source, SourceKind, offline_answer
from learnpath.settings import Settings

SOURCES = [
    Source(number=1, kind=SourceKind.ROADMAP, title="Basics › Queries › Joins"),
    Source(number=2, kind=SourceKind.TUTORIAL, title="Why it matters", text="Reports need joins."),
    Source(number=3, kind=SourceKind.RESOURCE, title="Docs", url="https://example.org/docs"),
]


async def test_the_offline_tutor_streams_its_deterministic_answer() -> None:
    tutor = Tutor(Settings(_env_file=None))  # type: ignore[call-arg]
    assert tutor.generated_by == "offline"
    ask = TutorQuestion(
        question="Why does it matter?",
        language="en",
        concept_name="Joins",
        concept_description="",
        sources=SOURCES,
        history=[("question", "earlier?"), ("answer", "earlier answer")],
    )
    pieces = [piece async for piece in tutor.stream(ask)]
    assert len(pieces) > 5
    assert "".join(pieces) == offline_answer("Why does it matter?", SOURCES, "en")
    assert ask.context()["history"][0] == {"role": "question", "text": "earlier?"}


def test_the_tutor_may_have_its_own_model() -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, agent_models={"tutor": "http://127.0.0.1:9/v1#tutor-model"}
    )
    assert Tutor(settings).generated_by == "tutor-model@http://127.0.0.1:9/v1"
    assert build_team(settings).generated_by == "offline"  # the roadmap agents are unaffected


async def test_nul_characters_in_a_streamed_answer_are_replaced(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def stream(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[str]:
        for piece in ("Joins\x00 keep", " rows\x00"):
            yield piece

    def model() -> FunctionModel:
        return FunctionModel(stream_function=stream, model_name="offline")

    monkeypatch.setattr(tutor_module, "offline_tutor_model", model)
    tutor = Tutor(Settings(_env_file=None))  # type: ignore[call-arg]
    ask = TutorQuestion(
        question="Why?",
        language="en",
        concept_name="Joins",
        concept_description="",
        sources=SOURCES,
        history=[],
    )
    text = "".join([piece async for piece in tutor.stream(ask)])
    assert text == "Joins\ufffd keep rows\ufffd"  # PostgreSQL text cannot hold NUL
