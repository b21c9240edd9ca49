"""Answers that fit the published schemas are always usable: quiz options, hour budgets."""

from __future__ import annotations

import pytest

from learnpath.agents.quiz import QuizAnswer, to_quiz
from learnpath.domain.roadmap import Concept, Framework, Module, Stage, fit_to_budget


def _answer(*questions: tuple[str, list[str]]) -> QuizAnswer:
    return QuizAnswer.model_validate(
        {
            "questions": [
                {"question": f"Q{n}?", "correct_option": right, "wrong_options": wrong}
                for n, (right, wrong) in enumerate(questions)
            ]
        }
    )


def test_wrong_options_repeating_the_right_one_are_dropped() -> None:
    quiz = to_quiz(_answer(("a", ["A ", "b", "b"]), ("c", ["d"]), ("e", ["f", "g"])))
    assert quiz is not None
    first = quiz.questions[0]
    assert sorted(first.options) == ["a", "b"]
    assert first.options[first.answer] == "a"


def test_a_question_with_no_distinct_wrong_option_is_left_out() -> None:
    quiz = to_quiz(_answer(("a", ["a"]), ("c", ["d"]), ("e", ["E"])))
    assert quiz is not None
    assert [q.question for q in quiz.questions] == ["Q1?"]
    assert to_quiz(_answer(("a", ["a"]), ("c", ["C"]), ("e", ["e"]))) is None


def test_blank_options_do_not_fit_the_schema() -> None:
    with pytest.raises(ValueError, match="wrong_options"):
        _answer(("a", ["   "]), ("c", ["d"]), ("e", ["f"]))


def _framework(*hours: float) -> Framework:
    concepts = [Concept(id=f"c{n}", name=f"C{n}", estimated_hours=h) for n, h in enumerate(hours)]
    module = Module(id="m1", name="M", concepts=concepts)
    return Framework(title="T", stages=[Stage(id="s1", name="S", modules=[module])])


def test_hours_over_the_budget_are_scaled_to_fit_keeping_proportions() -> None:
    fitted = fit_to_budget(_framework(200, 100, 100), hour_budget=100)
    assert [c.estimated_hours for _, _, c in fitted.concepts()] == [45.0, 22.5, 22.5]
    within = _framework(50, 40)
    assert fit_to_budget(within, hour_budget=100) is within
