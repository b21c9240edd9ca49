"""Content models: quiz answers and scoring, resource and tutorial bounds."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from learnpath.domain.content import (
    CONTENT_MODELS,
    ContentKind,
    Difficulty,
    InvalidAnswers,
    Quiz,
    QuizQuestion,
    Resource,
    ResourceList,
    ResourceType,
    Tutorial,
)


def question(answer: int = 0, options: list[str] | None = None, **fields: Any) -> dict[str, Any]:
    return {"question": "Which?", "options": options or ["a", "b", "c"], "answer": answer, **fields}


# --- quiz questions --------------------------------------------------------------------


@pytest.mark.parametrize("answer", [0, 1, 2])
def test_answer_must_index_an_option(answer: int) -> None:
    assert QuizQuestion.model_validate(question(answer)).answer == answer


@pytest.mark.parametrize("answer", [3, 10])
def test_answer_past_the_options_is_refused(answer: int) -> None:
    with pytest.raises(ValidationError, match=f"answer {answer} is not an index of the 3 options"):
        QuizQuestion.model_validate(question(answer))


def test_negative_answer_is_refused() -> None:
    with pytest.raises(ValidationError) as info:
        QuizQuestion.model_validate(question(-1))
    assert info.value.errors()[0]["loc"] == ("answer",)


@pytest.mark.parametrize("options", [["a", "a"], ["a", "b", "a"]])
def test_options_must_be_distinct(options: list[str]) -> None:
    with pytest.raises(ValidationError, match="options must be distinct"):
        QuizQuestion.model_validate(question(0, options))


@pytest.mark.parametrize("options", [["", "x"], ["   ", "x"], ["Yes", "yes "]])
def test_options_must_be_non_blank_and_distinct_as_read(options: list[str]) -> None:
    with pytest.raises(ValidationError):
        QuizQuestion.model_validate(question(0, options))


@pytest.mark.parametrize("count", [0, 1, 7])
def test_fewer_than_two_or_more_than_six_options_are_refused(count: int) -> None:
    with pytest.raises(ValidationError):
        QuizQuestion.model_validate(question() | {"options": [f"o{i}" for i in range(count)]})


def test_question_defaults_and_fields() -> None:
    parsed = QuizQuestion.model_validate(
        question(1, ["x", "y"], explanation="because", difficulty="hard")
    )
    assert parsed.difficulty is Difficulty.HARD
    assert parsed.explanation == "because"
    assert QuizQuestion.model_validate(question()).difficulty is Difficulty.MEDIUM
    with pytest.raises(ValidationError):
        QuizQuestion.model_validate(question(hint="x"))
    with pytest.raises(ValidationError):
        QuizQuestion.model_validate(question(question=""))


# --- quiz ------------------------------------------------------------------------------


def quiz(*answers: int) -> Quiz:
    return Quiz.model_validate({"questions": [question(a) for a in answers]})


def test_quiz_needs_one_to_twenty_questions() -> None:
    with pytest.raises(ValidationError):
        Quiz.model_validate({"questions": []})
    assert len(quiz(*([0] * 20)).questions) == 20
    with pytest.raises(ValidationError):
        quiz(*([0] * 21))


@pytest.mark.parametrize(
    ("given", "score"),
    [
        ([0, 1, 2, 0], 1.0),
        ([0, 1, 2, 1], 0.75),
        ([1, 2, 0, 1], 0.0),
        ([0, None, 2, None], 0.5),
        ([0, 1], 0.5),  # missing answers count as wrong
        ([], 0.0),
    ],
)
def test_quiz_score(given: list[int | None], score: float) -> None:
    result = quiz(0, 1, 2, 0).check(given)
    assert result.score == score
    assert result.correct == round(score * 4)
    assert [r.chosen for r in result.results] == given + [None] * (4 - len(given))
    assert [r.answer for r in result.results] == [0, 1, 2, 0]


@pytest.mark.parametrize(
    ("given", "kind", "params"),
    [
        ([0, 1, 2, 0, 1], "too_many", {"questions": 4, "answers": 5}),
        ([0, 1, 2, 0, None], "too_many", {"questions": 4, "answers": 5}),
        ([-1, 1, 2, 0], "not_an_option", {"index": 0, "number": 1}),
        ([0, 1, 3], "not_an_option", {"index": 2, "number": 3}),
    ],
)
def test_answers_the_quiz_cannot_take_are_refused(
    given: list[int | None], kind: str, params: dict[str, int]
) -> None:
    with pytest.raises(InvalidAnswers) as refused:
        quiz(0, 1, 2, 0).check(given)
    assert (refused.value.kind, refused.value.params) == (kind, params)


def test_quiz_json_round_trip() -> None:
    original = quiz(2, 0)
    assert Quiz.model_validate_json(original.model_dump_json()) == original


# --- resources -------------------------------------------------------------------------


def test_resource_defaults() -> None:
    resource = Resource(title="Docs")
    assert resource.type is ResourceType.ARTICLE
    assert resource.url is None
    assert resource.verified is False


def test_resource_list_holds_one_to_twenty() -> None:
    one = {"title": "Docs", "type": "documentation", "url": "https://example.org"}
    assert len(ResourceList.model_validate({"resources": [one]}).resources) == 1
    assert len(ResourceList.model_validate({"resources": [one] * 20}).resources) == 20
    for count in (0, 21):
        with pytest.raises(ValidationError):
            ResourceList.model_validate({"resources": [one] * count})


@pytest.mark.parametrize(
    "fields",
    [
        {"title": ""},
        {"title": "x" * 301},
        {"title": "x", "type": "podcast"},
        {"title": "x", "url": "u" * 2001},
        {"title": "x", "description": "d" * 1001},
        {"title": "x", "rating": 5},
    ],
)
def test_resource_bounds(fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Resource.model_validate(fields)


# --- tutorial --------------------------------------------------------------------------

TUTORIAL = {"title": "Intro", "summary": "What and why", "markdown": "# Intro\n\ntext"}


def test_tutorial_defaults() -> None:
    assert Tutorial.model_validate(TUTORIAL).estimated_minutes == 30


@pytest.mark.parametrize(
    ("field", "ok", "bad"),
    [
        ("title", "t" * 300, "t" * 301),
        ("summary", "s" * 2000, "s" * 2001),
        ("markdown", "m" * 60_000, "m" * 60_001),
        ("estimated_minutes", 2400, 2401),
        ("estimated_minutes", 1, 0),
        ("title", "t", ""),
        ("summary", "s", ""),
        ("markdown", "m", ""),
    ],
)
def test_tutorial_bounds(field: str, ok: Any, bad: Any) -> None:
    assert getattr(Tutorial.model_validate(TUTORIAL | {field: ok}), field) == ok
    with pytest.raises(ValidationError) as info:
        Tutorial.model_validate(TUTORIAL | {field: bad})
    assert info.value.errors()[0]["loc"] == (field,)


def test_tutorial_extra_fields_forbidden() -> None:
    with pytest.raises(ValidationError):
        Tutorial.model_validate(TUTORIAL | {"html": "<p>"})


def test_every_content_kind_has_a_model() -> None:
    assert set(CONTENT_MODELS) == set(ContentKind)
    assert CONTENT_MODELS[ContentKind.QUIZ] is Quiz
