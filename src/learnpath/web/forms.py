"""The new-roadmap form: what the user typed, turned into a ``LearningRequest`` or field errors.

The form's strings become numbers here (ASCII digits only), then go through
``parse_submission``, the same check the API and the CLI use. The quiz form's fields
become the answer list the API takes, for ``Quiz.check`` to score or refuse.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData

from learnpath.domain.content import InvalidAnswers
from learnpath.domain.request import (
    SUPPORTED_LANGUAGES,
    ContentPreference,
    FieldProblem,
    InvalidSubmission,
    LearningRequest,
    Level,
    parse_submission,
)
from learnpath.web.session import PageError

TEXT_FIELDS = ("goal", "level", "hours_per_week", "deadline", "weeks", "background", "tech_stack")


@dataclass
class RoadmapForm:
    """The form's values as typed (strings), and an error per field (a catalog key)."""

    values: dict[str, Any] = field(
        default_factory=lambda: {
            "goal": "",
            "level": Level.BEGINNER.value,
            "hours_per_week": "8",
            "timeframe": "weeks",
            "deadline": "",
            "weeks": "12",
            "background": "",
            "tech_stack": "",
            "language": "en",
            "review": False,
            "preferences": [],
        }
    )
    errors: dict[str, str] = field(default_factory=dict)

    levels = tuple(level.value for level in Level)
    preferences = tuple(p.value for p in ContentPreference)
    languages = SUPPORTED_LANGUAGES


def parse_roadmap_form(form: FormData) -> tuple[RoadmapForm, LearningRequest | None]:
    """Validate the submitted form; on errors the returned form keeps every typed value."""
    typed = RoadmapForm()
    for name in TEXT_FIELDS:
        raw = form.get(name)
        typed.values[name] = raw.strip() if isinstance(raw, str) else ""
    typed.values["timeframe"] = "deadline" if form.get("timeframe") == "deadline" else "weeks"
    typed.values["language"] = str(form.get("language") or "en")
    typed.values["review"] = form.get("review") in ("1", "on", "true")
    typed.values["preferences"] = [str(p) for p in form.getlist("preferences")]

    data: dict[str, Any] = {
        "goal": typed.values["goal"],
        "level": typed.values["level"] or Level.BEGINNER.value,
        "background": typed.values["background"],
        "tech_stack": [t for t in typed.values["tech_stack"].split(",") if t.strip()],
        "preferences": typed.values["preferences"],
        "language": typed.values["language"],
        "review": typed.values["review"],
    }
    if typed.values["hours_per_week"]:
        data["hours_per_week"] = whole_number(typed.values["hours_per_week"])
    if typed.values["timeframe"] == "deadline":
        if typed.values["deadline"]:
            data["deadline"] = typed.values["deadline"]
        else:
            typed.errors["deadline"] = "form.deadline_missing"
    elif typed.values["weeks"]:
        data["weeks"] = whole_number(typed.values["weeks"])

    try:
        request = parse_submission(data, dt.date.today())
    except InvalidSubmission as exc:
        for problem in exc.problems:
            name = problem.field.split(".")[0] or "goal"
            typed.errors.setdefault(name, _message(name, problem))
        return typed, None
    if typed.errors:
        return typed, None
    return typed, request


def whole_number(raw: str, max_digits: int = 6) -> int | str:
    """``raw`` as an int when it is a short run of ASCII digits; else ``raw`` itself, which
    the strict model then refuses (``"²".isdigit()`` is true, ``int()`` of 5,000 digits
    raises, so neither is trusted)."""
    if raw.isascii() and raw.isdigit() and len(raw) <= max_digits:
        return int(raw)
    return raw


def bad_form() -> PageError:
    """The error page for a form value that is not one of the form's own choices."""
    return PageError(422, "error.bad_form.title", "error.bad_form.message", "error.bad_form.hint")


def _message(name: str, problem: FieldProblem) -> str:
    kind = problem.kind
    if kind == "deadline_past":
        return "form.deadline_past"
    if name == "goal" and kind in ("string_too_short", "missing"):
        return "form.goal_short"
    if name == "hours_per_week":
        return "form.hours"
    if name == "weeks":
        return "form.weeks"
    if name == "deadline":
        return "form.deadline_invalid"
    return "form.invalid"


#: What the quiz form says when ``Quiz.check`` refuses the answers, per UI language.
QUIZ_ERRORS: dict[str, dict[str, str]] = {
    "en": {
        "too_many": "This quiz has {questions} questions, but {answers} answers were sent. "
        "Nothing was recorded: check your answers and submit them again.",
        "not_an_option": "The answer to question {number} is not one of its options. "
        "Nothing was recorded: pick one of the options and submit again.",
    },
    "zh": {
        "too_many": "这个测验有 {questions} 道题，但提交了 {answers} 个答案。"
        "没有记录任何内容：请检查答案后重新提交。",
        "not_an_option": "第 {number} 题的答案不是它的选项之一。"
        "没有记录任何内容：请选择一个选项后重新提交。",
    },
}
_QUESTION_FIELD = re.compile(r"q([0-9]+)")
#: The answer a value that is not an option index stands for: never an option.
NO_OPTION = -1
#: Fields past this index count as this one: the list stays short, and too long anyway.
LAST_FIELD = 100


def quiz_error(language: str, problem: InvalidAnswers) -> str:
    table = QUIZ_ERRORS.get(language, QUIZ_ERRORS["en"])
    return table[problem.kind].format(**problem.params)


def quiz_answers(form: FormData, questions: int) -> list[int | None]:
    """The quiz form's answers by question index, as the API takes them (None where a
    question was skipped), for ``Quiz.check`` to score or refuse.

    Question ``i`` is field ``q<i>``, so a filled field past the quiz's questions makes
    the list longer than the quiz. A value that is not a short run of ASCII digits is no
    option's index: it is passed on as ``NO_OPTION``, which ``Quiz.check`` refuses.
    """
    given: dict[int, int] = {}
    for name, value in form.multi_items():
        match = _QUESTION_FIELD.fullmatch(name)
        if match is None or not isinstance(value, str) or not value:
            continue
        index = min(int(match.group(1)), LAST_FIELD) if len(match.group(1)) <= 6 else LAST_FIELD
        picked = whole_number(value, max_digits=3)
        given[index] = picked if isinstance(picked, int) else NO_OPTION
    length = max([questions, *(index + 1 for index in given)])
    return [given.get(index) for index in range(length)]
