"""The new-roadmap form: what the user typed, turned into a ``LearningRequest`` or field errors.

The form's strings become numbers here (ASCII digits only), then go through
``parse_submission``, the same check the API and the CLI use.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData

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
