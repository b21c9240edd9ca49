"""The study plan: every concept of a roadmap placed in a week and on dates.

A pure function of the roadmap, the learner's hours per week, the span they asked for and
what they have done: it is recomputed on every read, so it never goes stale when the
roadmap is edited or progress is recorded.

Time is treated as a line of study hours: concepts are laid end to end in an order that
puts every prerequisite first (roadmap order among the rest), at ``hours_per_week`` hours
a week, seven calendar days a week from the start date. A concept's week is the week its
first hour falls in; it is due on the day its last hour falls on.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
from enum import StrEnum

from pydantic import BaseModel, Field

from learnpath.domain.roadmap import Framework

DEFAULT_WEEKS = 12
#: Below this difference in hours, done and due count as equal (float sums).
PACE_TOLERANCE = 0.05


class PaceStatus(StrEnum):
    NOT_STARTED = "not_started"
    AHEAD = "ahead"
    ON_TRACK = "on_track"
    BEHIND = "behind"
    FINISHED = "finished"


class ScheduledConcept(BaseModel):
    concept_id: str
    name: str
    hours: float
    week: int = Field(ge=1, description="The week its first hour falls in (1 = the start week)")
    end_week: int = Field(ge=1, description="The week its last hour falls in")
    start_date: dt.date
    due_date: dt.date
    prerequisites: list[str]
    done: bool
    overdue: bool = Field(description="Due before today and not done")


class ScheduledWeek(BaseModel):
    week: int = Field(ge=1)
    start_date: dt.date
    end_date: dt.date
    hours: float = Field(description="Study hours planned in this week")
    concepts: list[str] = Field(description="Ids of the concepts that start this week")


class Pace(BaseModel):
    """Planned hours due by today against the hours of the concepts done."""

    today: dt.date
    status: PaceStatus
    due_hours: float = Field(description="Hours of the concepts due by today")
    done_hours: float = Field(description="Hours of the concepts marked done")
    difference_hours: float = Field(description="done_hours - due_hours: positive is ahead")
    overdue: list[str] = Field(description="Concepts due before today and not done")


class Schedule(BaseModel):
    start_date: dt.date
    deadline: dt.date
    end_date: dt.date = Field(description="The day the last concept is due")
    hours_per_week: int
    total_hours: float
    weeks_needed: int
    weeks_available: int
    fits: bool = Field(description="False when the plan ends after the deadline")
    concepts: list[ScheduledConcept]
    weeks: list[ScheduledWeek]
    pace: Pace


def study_order(framework: Framework) -> list[str]:
    """Concept ids with every prerequisite first; roadmap order decides among the rest.

    Unknown prerequisites are ignored; concepts caught in a cycle (which validation
    refuses, but a stored roadmap may hold) follow in roadmap order.
    """
    ids = framework.concept_ids()
    position = {cid: index for index, cid in enumerate(ids)}
    needs: dict[str, set[str]] = {}
    for _, _, concept in framework.concepts():
        needs[concept.id] = {p for p in concept.prerequisites if p in position and p != concept.id}
    unlocks: dict[str, list[str]] = {cid: [] for cid in ids}
    for cid, prerequisites in needs.items():
        for prerequisite in prerequisites:
            unlocks[prerequisite].append(cid)
    waiting = {cid: len(prerequisites) for cid, prerequisites in needs.items()}
    ready = [position[cid] for cid in ids if waiting[cid] == 0]
    heapq.heapify(ready)
    order: list[str] = []
    placed: set[str] = set()
    while len(order) < len(ids):
        if not ready:  # a cycle: release the earliest concept not yet placed
            heapq.heappush(ready, min(position[c] for c in ids if c not in placed))
        cid = ids[heapq.heappop(ready)]
        if cid in placed:
            continue
        order.append(cid)
        placed.add(cid)
        for follower in unlocks[cid]:
            waiting[follower] -= 1
            if waiting[follower] == 0 and follower not in placed:
                heapq.heappush(ready, position[follower])
    return order


def span_end(start: dt.date, *, weeks: int | None, deadline: dt.date | None) -> dt.date:
    """The day the learner wants to be done: the deadline, else ``weeks`` (or 12) weeks on."""
    if deadline is not None:
        return deadline
    return start + dt.timedelta(days=7 * (weeks or DEFAULT_WEEKS) - 1)


def plan(
    framework: Framework,
    *,
    start: dt.date,
    hours_per_week: int,
    weeks: int | None,
    deadline: dt.date | None,
    done: set[str],
    today: dt.date,
) -> Schedule:
    """Place every concept of ``framework`` in a week and on dates (see the module doc)."""
    if hours_per_week < 1:
        raise ValueError("hours_per_week must be at least 1")
    by_id = {concept.id: concept for _, _, concept in framework.concepts()}
    end_wanted = span_end(start, weeks=weeks, deadline=deadline)
    rate = hours_per_week / 7.0  # study hours per calendar day

    def day_of(hours: float) -> dt.date:
        return start + dt.timedelta(days=math.floor(hours / rate + 1e-9))

    def week_of(hours: float) -> int:
        return math.floor(hours / hours_per_week + 1e-9) + 1

    scheduled: list[ScheduledConcept] = []
    elapsed = 0.0
    for cid in study_order(framework):
        concept = by_id[cid]
        begin, elapsed = elapsed, elapsed + concept.estimated_hours
        last = max(begin, elapsed - 1e-6)  # the last hour's moment, inside the concept
        due = day_of(last)
        scheduled.append(
            ScheduledConcept(
                concept_id=cid,
                name=concept.name,
                hours=concept.estimated_hours,
                week=week_of(begin),
                end_week=week_of(last),
                start_date=day_of(begin),
                due_date=due,
                prerequisites=[p for p in concept.prerequisites if p in by_id],
                done=cid in done,
                overdue=due < today and cid not in done,
            )
        )
    total = elapsed
    weeks_needed = max(1, math.ceil(total / hours_per_week - 1e-9)) if total else 1
    end_date = scheduled[-1].due_date if scheduled else start
    return Schedule(
        start_date=start,
        deadline=end_wanted,
        end_date=end_date,
        hours_per_week=hours_per_week,
        total_hours=round(total, 2),
        weeks_needed=weeks_needed,
        weeks_available=max(1, math.ceil(((end_wanted - start).days + 1) / 7)),
        fits=end_date <= end_wanted,
        concepts=scheduled,
        weeks=_weeks(scheduled, start, hours_per_week, total, weeks_needed),
        pace=_pace(scheduled, today, start),
    )


def _weeks(
    scheduled: list[ScheduledConcept],
    start: dt.date,
    hours_per_week: int,
    total: float,
    weeks_needed: int,
) -> list[ScheduledWeek]:
    weeks = []
    for number in range(1, weeks_needed + 1):
        first = start + dt.timedelta(days=7 * (number - 1))
        used = min(hours_per_week, max(0.0, total - hours_per_week * (number - 1)))
        weeks.append(
            ScheduledWeek(
                week=number,
                start_date=first,
                end_date=first + dt.timedelta(days=6),
                hours=round(used, 2),
                concepts=[c.concept_id for c in scheduled if c.week == number],
            )
        )
    return weeks


def _pace(scheduled: list[ScheduledConcept], today: dt.date, start: dt.date) -> Pace:
    due = sum(c.hours for c in scheduled if c.due_date < today)
    done = sum(c.hours for c in scheduled if c.done)
    difference = done - due
    if scheduled and all(c.done for c in scheduled):
        status = PaceStatus.FINISHED
    elif today <= start and done == 0:
        status = PaceStatus.NOT_STARTED
    elif difference > PACE_TOLERANCE:
        status = PaceStatus.AHEAD
    elif difference < -PACE_TOLERANCE:
        status = PaceStatus.BEHIND
    else:
        status = PaceStatus.ON_TRACK
    return Pace(
        today=today,
        status=status,
        due_hours=round(due, 2),
        done_hours=round(done, 2),
        difference_hours=round(difference, 2),
        overdue=[c.concept_id for c in scheduled if c.overdue],
    )
