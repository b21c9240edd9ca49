"""LearningRequest: what the edge of the system accepts, and the budget it implies."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError

from learnpath.domain.request import (
    SUPPORTED_LANGUAGES,
    ContentPreference,
    LearningRequest,
    Level,
)

TODAY = dt.date(2025, 3, 1)


def make(**fields: Any) -> LearningRequest:
    return LearningRequest.model_validate({"goal": "Learn Rust", **fields})


def error_fields(exc: ValidationError) -> set[str]:
    return {".".join(str(part) for part in error["loc"]) for error in exc.errors()}


# --- goal ------------------------------------------------------------------------------


def test_defaults() -> None:
    request = make()
    assert request.level is Level.BEGINNER
    assert request.hours_per_week == 8
    assert request.deadline is None
    assert request.weeks is None
    assert request.background == ""
    assert request.tech_stack == []
    assert request.preferences == []
    assert request.language == "en"
    assert request.review is False


def test_goal_is_required() -> None:
    with pytest.raises(ValidationError) as info:
        LearningRequest.model_validate({})
    assert error_fields(info.value) == {"goal"}


@pytest.mark.parametrize("goal", ["", "ab", "   ", "  ab  ", "\t\n"])
def test_goal_too_short_or_blank_is_refused(goal: str) -> None:
    with pytest.raises(ValidationError) as info:
        make(goal=goal)
    assert error_fields(info.value) == {"goal"}


def test_goal_is_stripped_and_limits_apply_after_stripping() -> None:
    assert make(goal="  abc  ").goal == "abc"
    assert make(goal=" " + "x" * 2000 + " ").goal == "x" * 2000


def test_goal_too_long_is_refused() -> None:
    with pytest.raises(ValidationError) as info:
        make(goal="x" * 2001)
    assert error_fields(info.value) == {"goal"}


def test_background_is_limited() -> None:
    assert make(background="b" * 2000).background == "b" * 2000
    with pytest.raises(ValidationError):
        make(background="b" * 2001)


# --- hours, level, preferences -------------------------------------------------------


@pytest.mark.parametrize("hours", [1, 8, 168])
def test_hours_per_week_within_bounds(hours: int) -> None:
    assert make(hours_per_week=hours).hours_per_week == hours


@pytest.mark.parametrize("hours", [0, -1, 169, 1000])
def test_hours_per_week_out_of_bounds(hours: int) -> None:
    with pytest.raises(ValidationError) as info:
        make(hours_per_week=hours)
    assert error_fields(info.value) == {"hours_per_week"}


def test_hours_per_week_must_be_whole() -> None:
    with pytest.raises(ValidationError):
        make(hours_per_week=2.5)


@pytest.mark.parametrize("level", list(Level))
def test_every_level_is_accepted(level: Level) -> None:
    assert make(level=level.value).level is level


@pytest.mark.parametrize("level", ["expert", "Beginner", ""])
def test_unknown_level_is_refused(level: str) -> None:
    with pytest.raises(ValidationError) as info:
        make(level=level)
    assert error_fields(info.value) == {"level"}


def test_preferences_parse_and_are_limited() -> None:
    assert make(preferences=["video", "hands_on"]).preferences == [
        ContentPreference.VIDEO,
        ContentPreference.HANDS_ON,
    ]
    with pytest.raises(ValidationError):
        make(preferences=["podcasts"])
    with pytest.raises(ValidationError):
        make(preferences=["text"] * 5)


# --- weeks, deadline and the hour budget -----------------------------------------------


def test_default_is_twelve_weeks() -> None:
    request = make(hours_per_week=5)
    assert request.available_weeks(TODAY) == 12
    assert request.hour_budget(TODAY) == 60


def test_weeks_give_the_budget() -> None:
    request = make(weeks=10, hours_per_week=6)
    assert request.available_weeks(TODAY) == 10
    assert request.hour_budget(TODAY) == 60


@pytest.mark.parametrize("weeks", [0, -3, 521])
def test_weeks_out_of_bounds(weeks: int) -> None:
    with pytest.raises(ValidationError) as info:
        make(weeks=weeks)
    assert error_fields(info.value) == {"weeks"}


def test_weeks_win_over_a_deadline() -> None:
    request = make(weeks=3, deadline=(TODAY + dt.timedelta(weeks=30)).isoformat())
    assert request.available_weeks(TODAY) == 3


@pytest.mark.parametrize(
    ("days", "weeks"),
    [(70, 10), (76, 10), (77, 11), (14, 2), (13, 1), (7, 1), (6, 1), (0, 1), (-30, 1)],
)
def test_deadline_counts_whole_weeks_and_at_least_one(days: int, weeks: int) -> None:
    request = make(deadline=TODAY + dt.timedelta(days=days), hours_per_week=4)
    assert request.available_weeks(TODAY) == weeks
    assert request.hour_budget(TODAY) == weeks * 4


def test_deadline_parses_from_iso_text() -> None:
    assert make(deadline="2025-06-01").deadline == dt.date(2025, 6, 1)
    with pytest.raises(ValidationError):
        make(deadline="next spring")


def test_far_deadline_is_capped_like_weeks() -> None:
    request = make(deadline=TODAY + dt.timedelta(weeks=1500), hours_per_week=10)
    assert request.available_weeks(TODAY) == 520
    assert request.hour_budget(TODAY) == 5200


# --- language --------------------------------------------------------------------------


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_supported_languages(language: str) -> None:
    assert make(language=language).language == language


@pytest.mark.parametrize(("given", "stored"), [("EN", "en"), ("Zh", "zh"), (" de ", "de")])
def test_language_is_case_and_space_insensitive(given: str, stored: str) -> None:
    assert make(language=given).language == stored


@pytest.mark.parametrize("language", ["", "english", "it", "en-US", "xx"])
def test_unknown_language_is_refused_with_the_list(language: str) -> None:
    with pytest.raises(ValidationError) as info:
        make(language=language)
    assert error_fields(info.value) == {"language"}
    message = info.value.errors()[0]["msg"]
    assert all(code in message for code in SUPPORTED_LANGUAGES)


# --- tech stack ------------------------------------------------------------------------


def test_tech_stack_items_are_stripped_and_blanks_dropped() -> None:
    request = make(tech_stack=["  Python ", "", "   ", "Postgres"])
    assert request.tech_stack == ["Python", "Postgres"]


def test_tech_stack_item_length() -> None:
    assert make(tech_stack=["x" * 60]).tech_stack == ["x" * 60]
    assert make(tech_stack=["  " + "x" * 60 + "  "]).tech_stack == ["x" * 60]
    with pytest.raises(ValidationError) as info:
        make(tech_stack=["ok", "x" * 61])
    assert error_fields(info.value) == {"tech_stack"}
    assert "60 characters" in info.value.errors()[0]["msg"]


def test_tech_stack_item_count() -> None:
    assert len(make(tech_stack=[f"t{i}" for i in range(30)]).tech_stack) == 30
    with pytest.raises(ValidationError):
        make(tech_stack=[f"t{i}" for i in range(31)])


def test_tech_stack_items_must_be_text() -> None:
    with pytest.raises(ValidationError):
        make(tech_stack=[1, 2])


# --- shape -----------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["user_id", "status", "Goal", "hours"])
def test_extra_fields_are_forbidden(field: str) -> None:
    with pytest.raises(ValidationError) as info:
        make(**{field: "x"})
    assert error_fields(info.value) == {field}
    assert info.value.errors()[0]["type"] == "extra_forbidden"


def test_json_round_trip() -> None:
    request = make(
        level="advanced",
        hours_per_week=12,
        deadline="2025-09-30",
        tech_stack=["Go"],
        preferences=["projects"],
        language="FR",
        review=True,
    )
    again = LearningRequest.model_validate_json(request.model_dump_json())
    assert again == request
    assert request.model_dump(mode="json")["deadline"] == "2025-09-30"


def test_deadline_problem_refuses_past_and_today_only() -> None:
    today = dt.date(2026, 6, 1)
    assert LearningRequest(goal="Learn Go").deadline_problem(today) is None
    assert (
        LearningRequest(goal="Learn Go", deadline=dt.date(2026, 6, 2)).deadline_problem(today)
        is None
    )
    for day in (dt.date(2026, 6, 1), dt.date(2025, 1, 1)):
        problem = LearningRequest(goal="Learn Go", deadline=day).deadline_problem(today)
        assert problem is not None and day.isoformat() in problem
