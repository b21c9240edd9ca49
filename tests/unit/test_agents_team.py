"""The offline team end to end: a full, valid roadmap for several topics and languages."""

from __future__ import annotations

import re

import pydantic_ai.models
import pytest

from learnpath.agents import AgentTeam, build_team
from learnpath.agents.llm_team import LLMTeam
from learnpath.domain.request import LearningRequest
from learnpath.domain.roadmap import Framework, apply_edits, structural_issues
from learnpath.llm.usage import track_usage
from learnpath.search.hits import SearchHit
from tests.fakes.web_server import FakeWebServer
from tests.unit.conftest_llm import TODAY, briefs, settings

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(autouse=True)
def _no_real_models(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pydantic_ai.models, "ALLOW_MODEL_REQUESTS", False)


def offline_team() -> LLMTeam:
    return LLMTeam(settings(), today=lambda: TODAY)


async def roadmap(team: AgentTeam, request: LearningRequest) -> Framework:
    intent = await team.analyse_intent(request)
    return await team.design_curriculum(request, intent)


CASES = [
    ("Become a backend engineer, I know some Python", "en", 8, None, "Backend"),
    ("Learn React to build web frontends", "en", 5, 20, "Frontend"),
    ("我想学习机器学习，成为数据科学家", "zh", 10, None, "机器学习"),
    ("Become a DevOps engineer working with Kubernetes", "de", 6, 8, "DevOps"),
    ("Build iOS apps in Swift", "en", 2, 4, "Mobile"),
    ("学习网络安全与渗透测试", "zh", 3, 6, "安全"),
    ("Learn to bake sourdough bread", "en", 4, None, "sourdough"),
]


@pytest.mark.parametrize(("goal", "language", "hours", "weeks", "expected"), CASES)
async def test_offline_roadmap_is_complete_and_valid(
    goal: str, language: str, hours: int, weeks: int | None, expected: str
) -> None:
    team = offline_team()
    request = LearningRequest(goal=goal, language=language, hours_per_week=hours, weeks=weeks)
    intent = await team.analyse_intent(request)
    framework = await team.design_curriculum(request, intent)

    assert expected in framework.title
    assert 3 <= len(framework.stages) <= 4
    assert all(len(stage.modules) == 2 for stage in framework.stages)
    assert all(2 <= len(m.concepts) <= 3 for s in framework.stages for m in s.modules)
    assert [s.id for s in framework.stages] == [
        f"s{n}" for n in range(1, len(framework.stages) + 1)
    ]
    assert framework.concept_ids() == [f"c{n}" for n in range(1, len(framework.concept_ids()) + 1)]
    assert any(c.prerequisites for _, _, c in framework.concepts())
    assert structural_issues(framework, request.hour_budget(TODAY)) == []

    result = await team.validate_structure(request, intent, framework)
    assert result.valid
    assert result.score == 1.0
    assert intent.weekly_hours == hours
    if language == "zh":
        assert CJK.search(framework.title)
        assert CJK.search(intent.goal_summary)


async def test_content_for_every_concept() -> None:
    team = offline_team()
    request = LearningRequest(goal="Become a backend engineer", hours_per_week=4)
    intent = await team.analyse_intent(request)
    framework = await team.design_curriculum(request, intent)
    for brief in briefs(request, intent, framework):
        tutorial = await team.write_tutorial(brief)
        assert tutorial.markdown.startswith(f"# {brief.concept.name}\n")
        for heading in ("## Why it matters", "## Key ideas", "## Example", "## Exercise"):
            assert heading in tutorial.markdown
        quiz = await team.write_quiz(brief)
        assert len(quiz.questions) >= 3
        assert all(brief.concept.name in q.question for q in quiz.questions)
        resources = await team.recommend_resources(brief)
        assert resources.resources
        assert not any(r.verified for r in resources.resources)  # offline: never verified


async def test_same_request_same_roadmap_and_content() -> None:
    request = LearningRequest(goal="Learn data science with pandas", language="zh")
    first, second = offline_team(), offline_team()
    framework = await roadmap(first, request)
    assert framework == await roadmap(second, request)
    intent = await first.analyse_intent(request)
    brief = briefs(request, intent, framework)[4]
    assert await first.write_tutorial(brief) == await second.write_tutorial(brief)
    assert await first.write_quiz(brief) == await second.write_quiz(brief)


async def test_a_whole_offline_roadmap_counts_every_model_call() -> None:
    team = offline_team()
    request = LearningRequest(goal="Become a security engineer", hours_per_week=10)
    with track_usage() as tally:
        intent = await team.analyse_intent(request)
        framework = await team.design_curriculum(request, intent)
        await team.validate_structure(request, intent, framework)
        for brief in briefs(request, intent, framework):
            await team.write_tutorial(brief)
            await team.recommend_resources(brief)
            await team.write_quiz(brief)
    concepts = len(framework.concept_ids())
    assert tally.requests == 1 + 1 + len(framework.stages) + 1 + 3 * concepts
    assert tally.input_tokens > 0
    assert tally.output_tokens > 0


async def test_editor_fixes_issues_and_takes_feedback() -> None:
    team = offline_team()
    request = LearningRequest(goal="Learn Vue for frontend", hours_per_week=5, weeks=10)
    intent = await team.analyse_intent(request)
    framework = await team.design_curriculum(request, intent)
    broken = framework.model_copy(deep=True)
    for _, _, concept in broken.concepts():
        concept.estimated_hours = 40
    issues = structural_issues(broken, request.hour_budget(TODAY))
    assert [i.code for i in issues] == ["over_budget"]

    plan = await team.edit_roadmap(request, broken, issues, "More hands-on projects")
    fixed = apply_edits(broken, plan.operations)
    assert structural_issues(fixed, request.hour_budget(TODAY)) == []
    assert any("More hands-on projects" in c.name for _, _, c in fixed.concepts())


async def test_search_provider_results_are_the_only_verified_urls() -> None:
    with FakeWebServer() as web:

        class Search:
            async def search(self, query: str, *, language: str, limit: int) -> list[SearchHit]:
                return [SearchHit("Guide", web.url(f"/ok/{language}"), "A guide")]

        team = LLMTeam(settings(), search=Search(), today=lambda: TODAY)
        request = LearningRequest(goal="Learn Django backend")
        intent = await team.analyse_intent(request)
        framework = await team.design_curriculum(request, intent)
        resources = await team.recommend_resources(briefs(request, intent, framework)[0])
    linked = [r for r in resources.resources if r.url]
    assert [(r.url, r.verified) for r in linked] == [(web.url("/ok/en"), True)]
    assert all(r.url is None and not r.verified for r in resources.resources if r not in linked)


def test_build_team_returns_the_offline_team_by_default() -> None:
    team = build_team(settings())
    assert isinstance(team, LLMTeam)
    assert team.generated_by == "offline"
