"""The offline model's generator: topic detection, sizing, languages, repairs."""

from __future__ import annotations

import re

import pytest

from learnpath.agents.curriculum import CurriculumSkeleton, StageDetail
from learnpath.agents.quiz import QuizAnswer, to_quiz
from learnpath.domain.roadmap import EditPlan, apply_edits, structural_issues
from learnpath.llm.offline import OUTPUT_TOOLS, offline_answer, plan_size
from learnpath.llm.offline.topics import detect_domain, topic_of

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize(
    ("goal", "domain"),
    [
        ("Become a backend engineer building REST APIs with FastAPI", "backend"),
        ("Learn React and TypeScript for frontend work", "frontend"),
        ("Get into machine learning and data science", "data_science"),
        ("Run Kubernetes clusters on AWS as a DevOps engineer", "devops"),
        ("Build Android apps with Kotlin", "mobile"),
        ("Start a career in cyber security and pentesting", "security"),
        ("我想成为一名后端工程师", "backend"),
        ("学习机器学习和数据分析", "data_science"),
    ],
)
def test_domains_are_detected_from_goal_keywords(goal: str, domain: str) -> None:
    found = detect_domain(goal)
    assert found is not None
    assert found.key == domain


def test_short_keywords_match_whole_words_only() -> None:
    assert detect_domain("Maintain a vegetable garden") is None  # "ai" inside "maintain"


def test_generic_topic_comes_from_the_goals_own_words() -> None:
    assert topic_of("Learn to bake sourdough bread") == "bake sourdough bread"
    assert topic_of("我想学习书法") == "书法"


@pytest.mark.parametrize(
    ("budget", "size"), [(10, (3, 2)), (40, (3, 3)), (80, (4, 3)), (500, (4, 3))]
)
def test_roadmap_size_follows_the_budget(budget: int, size: tuple[int, int]) -> None:
    assert plan_size(budget) == size


def test_skeleton_and_stage_follow_the_output_schemas() -> None:
    context = {
        "language": "en",
        "request": {"goal": "Learn Go for backend services"},
        "hour_budget": 96,
    }
    skeleton = CurriculumSkeleton.model_validate(offline_answer("curriculum_skeleton", context))
    assert len(skeleton.stages) == 4
    assert skeleton.title == "Backend development roadmap"
    stage = skeleton.stages[1]
    detail = StageDetail.model_validate(
        offline_answer(
            "stage_detail", {**context, "stage": stage.model_dump(), "stage_hours": 21.6}
        )
    )
    assert [m.name for m in detail.modules] == stage.module_names
    hours = sum(c.estimated_hours for m in detail.modules for c in m.concepts)
    assert hours == pytest.approx(21.6, abs=0.1)


def test_chinese_requests_get_chinese_text() -> None:
    context = {
        "language": "zh",
        "request": {"goal": "成为前端工程师", "language": "zh"},
        "hour_budget": 96,
    }
    skeleton = offline_answer("curriculum_skeleton", context)
    assert CJK.search(skeleton["title"])
    assert CJK.search(skeleton["stages"][0]["name"])
    tutorial = offline_answer("tutorial", {**context, "concept": {"name": "语义化 HTML"}})
    assert "## 为什么重要" in tutorial["markdown"]
    assert "语义化 HTML" in tutorial["markdown"]


def test_every_output_tool_has_an_answer_and_unknown_ones_are_refused() -> None:
    for tool in OUTPUT_TOOLS:
        assert isinstance(offline_answer(tool, {"request": {"goal": "Learn SQL"}}), dict)
    with pytest.raises(ValueError, match="no answer"):
        offline_answer("poem", {})


def test_answers_are_deterministic() -> None:
    context = {
        "language": "en",
        "request": {"goal": "Learn Rust"},
        "concept": {"name": "Ownership"},
    }
    assert offline_answer("quiz", context) == offline_answer("quiz", dict(context))


def test_quiz_answer_positions_vary_between_concepts() -> None:
    positions = set()
    for name in ("Closures", "Generics", "Traits", "Lifetimes", "Macros", "Iterators"):
        answer = QuizAnswer.model_validate(offline_answer("quiz", {"concept": {"name": name}}))
        quiz = to_quiz(answer)
        assert quiz is not None
        positions.update(question.answer for question in quiz.questions)
        for question, written in zip(quiz.questions, answer.questions, strict=True):
            assert question.options[question.answer] == written.correct_option
    assert len(positions) > 1


def test_offline_editor_repairs_the_structural_issues() -> None:
    from learnpath.domain.roadmap import Concept, Framework, Module, Stage

    framework = Framework(
        title="t",
        stages=[
            Stage(
                id="s1",
                name="A",
                modules=[
                    Module(
                        id="m1",
                        name="M",
                        concepts=[
                            Concept(id="c1", name="x", estimated_hours=100, prerequisites=["c2"]),
                            Concept(id="c2", name="y", estimated_hours=100, prerequisites=["c9"]),
                        ],
                    ),
                    Module(id="m2", name="Empty"),
                ],
            ),
        ],
    )
    issues = structural_issues(framework, 50)
    assert {i.code for i in issues} >= {"over_budget", "unknown_prerequisite", "empty_module"}
    plan = EditPlan.model_validate(
        offline_answer(
            "edit_plan",
            {
                "framework": framework.model_dump(mode="json"),
                "issues": [i.model_dump(mode="json") for i in issues],
                "hour_budget": 50,
            },
        )
    )
    fixed = apply_edits(framework, plan.operations)
    assert structural_issues(fixed, 50) == []
    assert "rescaled" in plan.rationale
