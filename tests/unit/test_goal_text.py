"""Durations and weekly hours read from the goal's own words."""

from __future__ import annotations

import datetime as dt

import pytest

from learnpath.domain.goal_text import GoalNumbers, parse_goal_numbers
from learnpath.domain.request import LearningRequest


@pytest.mark.parametrize(
    ("goal", "weeks", "hours"),
    [
        ("backend engineer in 6 months, 8 h/week", 26, 8),
        ("learn Rust in 1 year", 52, None),
        ("10 hours a week for three months", 13, 10),
        ("data engineer in 12 weeks, 5 hrs per week", 12, 5),
        ("6个月成为后端工程师，每周8小时", 26, 8),
        ("两年学会机器学习", 104, None),
        ("一年内 每周十小时", 52, 10),
        ("become a data scientist", None, None),
    ],
)
def test_goal_numbers_are_read_in_english_and_chinese(
    goal: str, weeks: int | None, hours: int | None
) -> None:
    assert parse_goal_numbers(goal) == GoalNumbers(weeks=weeks, hours_per_week=hours)


def test_hours_per_week_are_not_read_as_a_duration() -> None:
    assert parse_goal_numbers("8 h/week").weeks is None


def test_the_goal_fills_the_request_and_flags_override_it() -> None:
    today = dt.date(2026, 1, 1)
    said = LearningRequest(goal="backend engineer in 6 months, 8 h/week")
    assert (said.weeks, said.hours_per_week) == (26, 8)
    assert said.hour_budget(today) == 208
    flagged = LearningRequest(
        goal="backend engineer in 6 months, 8 h/week", weeks=10, hours_per_week=3
    )
    assert (flagged.weeks, flagged.hours_per_week) == (10, 3)
    by_deadline = LearningRequest(goal="Go in 6 months", deadline=dt.date(2026, 3, 1))
    assert by_deadline.weeks is None
    plain = LearningRequest(goal="Become a backend engineer")
    assert (plain.weeks, plain.hours_per_week, plain.hour_budget(today)) == (None, 8, 96)


def test_goal_numbers_are_kept_within_the_request_limits() -> None:
    huge = LearningRequest(goal="master physics in 40 years, 200 hours per week")
    assert (huge.weeks, huge.hours_per_week) == (520, 168)
