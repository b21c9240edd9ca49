"""The tutor agent on the offline model: it streams the grounded answer in pieces."""

from __future__ import annotations

from learnpath.agents import build_team
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
