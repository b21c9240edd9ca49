"""Each agent module with scripted function models: merging, checking and repairing output."""

from __future__ import annotations

from typing import Any

import pydantic_ai.models
import pytest

from learnpath.agents import curriculum, editor, intent, quiz, resources, validator
from learnpath.agents.curriculum import CurriculumSkeleton, StageDetail, StageOutline
from learnpath.domain.content import Resource, ResourceList
from learnpath.domain.request import LearningRequest
from learnpath.domain.roadmap import (
    ConceptDraft,
    Framework,
    IntentAnalysis,
    ModuleDraft,
    Severity,
)
from learnpath.llm.errors import ModelCallError
from learnpath.llm.offline import offline_answer
from learnpath.llm.usage import track_usage
from tests.unit.conftest_llm import TODAY, briefs, guarded, tool_answer


@pytest.fixture(autouse=True)
def _no_real_models(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pydantic_ai.models, "ALLOW_MODEL_REQUESTS", False)


REQUEST = LearningRequest(goal="Become a backend engineer", hours_per_week=8, weeks=12)
INTENT = IntentAnalysis.model_validate(
    offline_answer("intent_analysis", {"request": REQUEST.model_dump(mode="json")})
)


def framework() -> Framework:
    skeleton = CurriculumSkeleton(
        title="T",
        stages=[
            StageOutline(name="S1", module_names=["M1"]),
            StageOutline(name="S2", module_names=["M2"]),
        ],
    )
    details = [
        StageDetail(
            modules=[
                ModuleDraft(
                    name="M1",
                    concepts=[
                        ConceptDraft(name="HTTP", estimated_hours=40),
                        ConceptDraft(
                            name="REST", estimated_hours=40, prerequisites=["http", "SQL", "REST"]
                        ),
                    ],
                )
            ]
        ),
        StageDetail(
            modules=[
                ModuleDraft(
                    name="M2",
                    concepts=[
                        ConceptDraft(
                            name="SQL", estimated_hours=4, prerequisites=[" HTTP ", "Nope"]
                        ),
                    ],
                )
            ]
        ),
    ]
    return curriculum.assemble(skeleton, details)


def test_assemble_links_only_earlier_prerequisites_and_numbers_ids() -> None:
    fw = framework()
    assert fw.all_ids() == ["s1", "m1", "c1", "c2", "s2", "m2", "c3"]
    assert [c.prerequisites for _, _, c in fw.concepts()] == [[], ["c1"], ["c1"]]


async def test_intent_time_facts_come_from_the_request() -> None:
    answer = {**INTENT.model_dump(mode="json"), "weekly_hours": 99, "total_weeks": 1}
    result = await intent.analyse(intent.build(guarded(tool_answer(answer)), 2), REQUEST, TODAY)
    assert (result.weekly_hours, result.total_weeks) == (8, 12)


async def test_validator_adds_model_issues_without_repeating_known_ones() -> None:
    fw = framework()  # 84 h of a 96 h budget: structurally sound
    extra = [
        {"code": "missing_skill", "message": "No testing", "severity": "warning"},
        {"code": "too_broad", "message": "Split REST", "severity": "error", "target_id": "c2"},
        {"code": "too_broad", "message": "Same again", "severity": "error", "target_id": "c2"},
        {"code": "bad_order", "message": "Ghost", "severity": "warning", "target_id": "c99"},
    ]
    agent = validator.build(guarded(tool_answer({"issues": extra, "comments": "ok"})), 2)
    result = await validator.validate(agent, REQUEST, INTENT, fw, TODAY)
    assert [(i.code, i.target_id) for i in result.issues] == [
        ("missing_skill", None),
        ("too_broad", "c2"),
        ("bad_order", None),
    ]
    assert not result.valid
    assert result.score == pytest.approx(1 - 0.2 - 0.05 * 2)


async def test_validator_keeps_structural_issues_when_the_model_finds_none() -> None:
    fw = framework()
    fw.stages[0].modules[0].concepts[0].estimated_hours = 500
    agent = validator.build(guarded(tool_answer({"issues": []})), 2)
    result = await validator.validate(agent, REQUEST, INTENT, fw, TODAY)
    assert [i.code for i in result.issues] == ["over_budget"]
    assert result.issues[0].severity is Severity.ERROR


async def test_editor_plan_naming_unknown_ids_is_sent_back() -> None:
    def answer(call: int) -> dict[str, Any]:
        target = "c404" if call == 1 else "c2"
        return {"operations": [{"op": "rename", "target_id": target, "name": "REST APIs"}]}

    agent = editor.build(guarded(tool_answer(answer)), 2)
    with track_usage() as tally:
        plan = await editor.plan_edits(agent, REQUEST, framework(), [], "rename REST", TODAY)
    assert tally.requests == 2
    assert plan.operations[0].target_id == "c2"  # type: ignore[union-attr]


@pytest.mark.parametrize("retries", [0, 2])
async def test_editor_keeps_the_last_plan_when_re_asks_run_out(retries: int) -> None:
    always_unknown = {"operations": [{"op": "remove", "target_id": "c404"}]}
    agent = editor.build(guarded(tool_answer(always_unknown)), retries)
    with track_usage() as tally:
        plan = await editor.plan_edits(agent, REQUEST, framework(), [], "drop it", TODAY)
    assert tally.requests == retries + 1  # no re-ask at all with 0
    assert plan.operations[0].target_id == "c404"  # type: ignore[union-attr]


async def test_quiz_with_too_few_questions_is_sent_back() -> None:
    one = {"questions": [{"question": "Q?", "correct_option": "a", "wrong_options": ["b"]}]}
    three = {"questions": one["questions"] * 3}
    agent = quiz.build(guarded(tool_answer(lambda call: one if call == 1 else three)), 2)
    brief = briefs(REQUEST, INTENT, framework())[0]
    result = await quiz.write(agent, brief)
    assert len(result.questions) == 3


async def test_output_that_never_validates_is_model_output_invalid() -> None:
    agent = quiz.build(guarded(tool_answer({"questions": "none"})), 2)
    brief = briefs(REQUEST, INTENT, framework())[0]
    with track_usage() as tally, pytest.raises(ModelCallError) as caught:
        await quiz.write(agent, brief)
    assert caught.value.code == "model_output_invalid"
    assert "LEARNPATH_OUTPUT_RETRIES" in caught.value.message
    assert "Traceback" not in caught.value.message
    assert tally.requests == 3  # the first answer and two output retries


async def test_invented_urls_are_kept_unverified_and_junk_urls_dropped() -> None:
    answer = {
        "resources": [
            {
                "title": "Docs",
                "type": "documentation",
                "url": "https://made.up/page",
                "verified": True,
            },
            {"title": "Thing", "url": "javascript:alert(1)"},
            {"title": "Book"},
        ]
    }
    agent = resources.build(guarded(tool_answer(answer)), 2)
    result = await resources.recommend(agent, briefs(REQUEST, INTENT, framework())[0], None)
    assert [(r.url, r.verified) for r in result.resources] == [
        ("https://made.up/page", False),
        (None, False),
        (None, False),
    ]


def test_mark_verified_trusts_only_search_results() -> None:
    listed = ResourceList(
        resources=[
            Resource(title="a", url="https://found.example/a"),
            Resource(title="b", url="https://other.example/b", verified=True),
        ]
    )
    marked = resources.mark_verified(listed, {"https://found.example/a"})
    assert [r.verified for r in marked.resources] == [True, False]


def test_without_nul_keeps_a_clean_answer_as_it_is_and_replaces_every_nul() -> None:
    from pydantic import BaseModel

    from learnpath.agents.prompting import REPLACEMENT, without_nul

    class Answer(BaseModel):
        text: str
        notes: dict[str, list[str]] = {}

    clean = Answer(text="a \\u0000 written out is no NUL", notes={"k": ["v"]})
    assert without_nul(clean) is clean
    dirty = Answer(text="a\x00b", notes={"k\x00": ["\x00", "ok"]})
    cleaned = without_nul(dirty)
    assert cleaned == Answer(
        text=f"a{REPLACEMENT}b", notes={f"k{REPLACEMENT}": [REPLACEMENT, "ok"]}
    )
