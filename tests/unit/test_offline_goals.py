"""The offline model for any goal: readable names, and every value in the output language."""

from __future__ import annotations

import re

import pydantic_ai.models
import pytest

from learnpath.agents.llm_team import LLMTeam
from learnpath.domain.request import LearningRequest
from learnpath.domain.roadmap import Framework
from learnpath.llm.offline.topics import topic_of
from tests.unit.conftest_llm import TODAY, briefs, settings

EN_GOALS = [
    "Become a data engineer",
    "Become a data engineer who can build reliable pipelines",
    "I want to learn to bake sourdough bread",
    "Get better at public speaking",
    "Learn Kubernetes in 3 months, 5 h/week",
    "Become a UX designer, I already know Figma",
    "Understand machine learning basics",
    "Learn to play the piano as an adult",
    "Become a professional chef",
    "Speak conversational Japanese for travel",
    "Improve my chess to 1800 rating",
    "Start woodworking at home",
    "Become a backend engineer in 6 months, 8 h/week, I know some Python",
    "Prepare for the AWS Solutions Architect exam",
]
ZH_GOALS = [
    "成为数据工程师",
    "我想学习摄影，每周5小时",
    "学会弹钢琴",
    "成为一名用户体验设计师",
    "我想学习书法",
    "前端工程师",
    "六个月内掌握机器学习",
]
STOP_FRAGMENTS = {"who", "can", "want", "become", "i", "to", "a", "the", "my", "for", "as", "at"}
ENGLISH_VALUES = re.compile(r"\b(beginner|intermediate|advanced|easy|medium|hard)\b")


@pytest.fixture(autouse=True)
def _no_real_models(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pydantic_ai.models, "ALLOW_MODEL_REQUESTS", False)


async def roadmap(goal: str, language: str) -> tuple[LLMTeam, LearningRequest, Framework]:
    team = LLMTeam(settings(), today=lambda: TODAY)
    request = LearningRequest(goal=goal, language=language, weeks=12)
    intent = await team.analyse_intent(request)
    return team, request, await team.design_curriculum(request, intent)


def names_of(framework: Framework) -> list[str]:
    return [
        framework.title,
        *(s.name for s in framework.stages),
        *(m.name for s in framework.stages for m in s.modules),
        *(c.name for _, _, c in framework.concepts()),
    ]


@pytest.mark.parametrize("goal", EN_GOALS)
async def test_english_names_are_readable(goal: str) -> None:
    _, _, framework = await roadmap(goal, "en")
    for name in names_of(framework):
        assert name[:1].isupper() or not name[:1].isalpha(), name
        words = re.findall(r"[A-Za-z]+", name.lower())
        assert not (STOP_FRAGMENTS & set(words[-1:])), name  # never ends on a filler word
        assert not {"who", "can", "want", "become"} & set(words), name
    concepts = [c.name for _, _, c in framework.concepts()]
    assert len(concepts) == len(set(concepts)) > 0


@pytest.mark.parametrize("goal", ZH_GOALS)
async def test_chinese_output_has_no_english_values(goal: str) -> None:
    team, request, framework = await roadmap(goal, "zh")
    assert re.search(r"[\u4e00-\u9fff]", framework.title), framework.title
    assert all(re.search(r"[\u4e00-\u9fff]", s.name) for s in framework.stages)
    for name in names_of(framework):
        assert not ENGLISH_VALUES.search(name), name
    concepts = [c.name for _, _, c in framework.concepts()]
    assert len(concepts) == len(set(concepts)) > 0
    brief = briefs(request, await team.analyse_intent(request), framework)[0]
    tutorial = await team.write_tutorial(brief)
    quiz = await team.write_quiz(brief)
    found = await team.recommend_resources(brief)
    texts = [
        tutorial.title,
        tutorial.markdown,
        *(q.question for q in quiz.questions),
        *(o for q in quiz.questions for o in q.options),
        *(r.title + r.description for r in found.resources),
    ]
    for text in texts:
        assert not ENGLISH_VALUES.search(text), text
    assert "难度：" in tutorial.markdown


@pytest.mark.parametrize(
    ("goal", "topic"),
    [
        ("Become a data engineer", "data engineering"),
        ("Become a data engineer who can build pipelines", "data engineering"),
        ("Learn Kubernetes in 3 months", "Kubernetes"),
        ("Understand machine learning basics", "machine learning"),
        ("Become a UX designer, I know Figma", "UX design"),
        ("Improve my chess to 1800 rating", "chess"),
        ("成为数据工程师", "数据工程"),
        ("六个月内掌握机器学习", "机器学习"),
        ("我想学习摄影，每周5小时", "摄影"),
    ],
)
def test_topics_keep_the_subject_and_drop_the_clauses(goal: str, topic: str) -> None:
    assert topic_of(goal) == topic


async def test_data_engineer_outside_the_catalog_reads_well() -> None:
    _, _, framework = await roadmap("Become a data engineer", "en")
    assert "who" not in framework.title and framework.title[:1].isupper()


@pytest.mark.parametrize("language", ["en", "zh"])
async def test_catalog_domains_get_sample_references_never_verified(language: str) -> None:
    team, request, framework = await roadmap("Become a backend engineer", language)
    brief = briefs(request, await team.analyse_intent(request), framework)[0]
    found = await team.recommend_resources(brief)
    urls = [r.url for r in found.resources if r.url]
    assert "https://docs.python.org/3/tutorial/" in urls
    assert not any(r.verified for r in found.resources)
    titles = " ".join(r.title for r in found.resources)
    assert ("官方教程" in titles) is (language == "zh")


@pytest.mark.parametrize(
    ("goal", "fence"),
    [
        ("Become a backend engineer", "```python"),
        ("Frontend developer with React", "```javascript"),
        ("DevOps engineer with Kubernetes", "```bash"),
        ("Bake sourdough bread", None),
    ],
)
@pytest.mark.parametrize("language", ["en", "zh"])
async def test_catalog_tutorials_carry_a_code_sample(
    goal: str, fence: str | None, language: str
) -> None:
    team, request, framework = await roadmap(goal, language)
    brief = briefs(request, await team.analyse_intent(request), framework)[0]
    markdown = (await team.write_tutorial(brief)).markdown
    heading = "## 代码示例" if language == "zh" else "## Code sample"
    if fence is None:
        assert heading not in markdown
        return
    assert heading in markdown and fence in markdown
    note = f"关于“{brief.concept.name}”" if language == "zh" else f"with {brief.concept.name}"
    assert note in markdown
