"""Durations and weekly hours written in a goal's own words ("in 6 months, 8 h/week").

A pure function, so offline and model-backed runs read the same numbers from the same goal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "half a": 0.5,
}
_CHINESE_DIGITS = {
    "一": 1,
    "两": 2,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "十": 10,
    "半": 0.5,
}
_WEEKS_PER_UNIT = {"day": 1 / 7, "week": 1.0, "month": 52 / 12, "year": 52.0}
_NUM = r"(\d+(?:\.\d+)?|half a|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_ZH_NUM = (
    r"(\d+(?:\.\d+)?|十[一二三四五六七八九]?|[一二两三四五六七八九]十?[一二三四五六七八九]?|半)"
)

_HOURS = re.compile(
    _NUM + r"\s*(?:hours?|hrs?|h)\s*(?:/|an?|per|each|every)\s*(?:a\s+)?(?:week|wk|w)\b",
    re.IGNORECASE,
)
_ZH_HOURS = re.compile(
    r"(?:每周|每星期|一周|每個星期|每个星期)\s*" + _ZH_NUM + r"\s*(?:个)?\s*小时"
)
_DURATION = re.compile(_NUM + r"[\s-]*(day|week|month|year)s?\b", re.IGNORECASE)
_ZH_DURATION = re.compile(_ZH_NUM + r"\s*(?:个)?\s*(天|周|星期|月|年)")
_ZH_UNITS = {"天": "day", "周": "week", "星期": "week", "月": "month", "年": "year"}


@dataclass(frozen=True)
class GoalNumbers:
    """What a goal says about time: ``None`` where it says nothing."""

    weeks: int | None = None
    hours_per_week: int | None = None


def _number(text: str) -> float:
    text = text.lower()
    if text in _NUMBER_WORDS:
        return float(_NUMBER_WORDS[text])
    try:
        return float(text)
    except ValueError:
        return _chinese_number(text)


def _chinese_number(text: str) -> float:
    if text == "半":
        return 0.5
    if "十" in text:
        tens, _, ones = text.partition("十")
        return float(_CHINESE_DIGITS.get(tens, 1) * 10 + _CHINESE_DIGITS.get(ones, 0))
    return float(_CHINESE_DIGITS.get(text, 0))


def parse_goal_numbers(goal: str) -> GoalNumbers:
    """Read the duration (as weeks) and weekly hours a goal states, if any.

    >>> parse_goal_numbers("backend engineer in 6 months, 8 h/week")
    GoalNumbers(weeks=26, hours_per_week=8)
    """
    hours: int | None = None
    match = _HOURS.search(goal) or _ZH_HOURS.search(goal)
    if match:
        hours = max(1, round(_number(match.group(1))))
    # Blank out the hours phrase so "8 h/week" is not also read as a duration of weeks.
    rest = goal[: match.start()] + " " + goal[match.end() :] if match else goal
    weeks: int | None = None
    duration = _DURATION.search(rest)
    if duration:
        weeks = round(_number(duration.group(1)) * _WEEKS_PER_UNIT[duration.group(2).lower()])
    else:
        zh = _ZH_DURATION.search(rest)
        if zh:
            weeks = round(_number(zh.group(1)) * _WEEKS_PER_UNIT[_ZH_UNITS[zh.group(2)]])
    if weeks is not None:
        weeks = max(1, weeks)
    return GoalNumbers(weeks=weeks, hours_per_week=hours)


__all__ = ["GoalNumbers", "parse_goal_numbers"]
