"""The reminder calendar: a per-user iCalendar feed any calendar app can subscribe to.

The feed lives at ``/calendar/{secret}.ics``. The secret is random (``cal_`` + 43 URL-safe
characters), shown once when it is made, and stored only as its SHA-256 hash; rotating it
makes the old URL answer 404, revoking it removes the feed.

It holds two kinds of all-day events, from today over the next ``HORIZON_DAYS`` days:

* **Reviews**: one event per day that has reviews due (overdue ones are counted on today),
  in the learner's time zone.
* **The study plan**: one event per week of each roadmap's schedule (outside the trash), from
  the week's first day to its last, naming the concepts planned in it. A week banner, rather
  than an event per concept on its due day, because the schedule is a weekly plan: a concept's
  due day is where its last hour falls when the week's hours are spread evenly, an estimate
  that a dated event would present as a deadline; short concepts would pile up on one day and
  a long one would appear only on its last. Calendar apps show a multi-day all-day event as
  one bar across the week (and at the top of each of its days), beside the day's reviews.
  Weeks whose concepts are all done are left out.

Event UIDs are stable (per user and day, per roadmap and week), so a calendar updates an
event instead of adding a second one when the reviews or the plan move.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from learnpath.domain.reviews import day_of, end_of_day
from learnpath.domain.schedule import Schedule, ScheduledConcept
from learnpath.store import Store
from learnpath.store.records import RoadmapRecord
from learnpath.store.reviews import CardView
from learnpath.workspace.plan import schedule_of

HORIZON_DAYS = 30
PRODUCT_ID = "-//learnpath//reminders//EN"
#: Concept names in a week event's title; the rest are counted ("+2 more").
NAMES_IN_SUMMARY = 3


@dataclass(frozen=True)
class PlannedWeek:
    """One week of one roadmap's schedule and the concepts studied in it."""

    roadmap_id: str
    roadmap_title: str
    week: int
    weeks: int
    start: dt.date
    end: dt.date
    hours: float
    concepts: list[ScheduledConcept]


def reviews_by_day(
    cards: list[CardView], tz: ZoneInfo, today: dt.date
) -> dict[dt.date, list[CardView]]:
    """Cards grouped by the day they are due in ``tz``; anything overdue counts on ``today``."""
    days: dict[dt.date, list[CardView]] = {}
    for card in cards:
        if card.due is None:
            continue
        days.setdefault(max(today, day_of(card.due, tz)), []).append(card)
    return days


def planned_weeks(
    roadmap_id: str, title: str, schedule: Schedule, first: dt.date, last: dt.date
) -> list[PlannedWeek]:
    """The weeks of ``schedule`` that overlap ``first``…``last`` and hold a concept not done
    (a concept is in every week from the one it starts in to the one it ends in)."""
    weeks = []
    for week in schedule.weeks:
        if week.end_date < first or week.start_date > last:
            continue
        concepts = [c for c in schedule.concepts if c.week <= week.week <= c.end_week]
        if all(c.done for c in concepts):
            continue
        weeks.append(
            PlannedWeek(
                roadmap_id=roadmap_id,
                roadmap_title=title,
                week=week.week,
                weeks=schedule.weeks_needed,
                start=week.start_date,
                end=week.end_date,
                hours=week.hours,
                concepts=concepts,
            )
        )
    return weeks


def _week_event(user_key: str, week: PlannedWeek, roadmap_url: str, now: dt.datetime) -> Event:
    todo = [c.name for c in week.concepts if not c.done]
    names = ", ".join(todo[:NAMES_IN_SUMMARY])
    if len(todo) > NAMES_IN_SUMMARY:
        names += f" +{len(todo) - NAMES_IN_SUMMARY} more"
    lines = [
        f"Week {week.week} of {week.weeks} of “{week.roadmap_title}”, {week.start.isoformat()} "
        f"to {week.end.isoformat()} ({week.hours:g} h planned):"
    ]
    for concept in week.concepts:
        line = f"- {concept.name}: {concept.hours:g} h, due {concept.due_date.isoformat()}"
        if concept.week < week.week:
            line += f", continued from week {concept.week}"
        lines.append(line + (" (done)" if concept.done else ""))
    event = Event()
    event.add("uid", f"plan-{user_key}-{week.roadmap_id}-week-{week.week}@learnpath")
    event.add("dtstamp", now)
    event.add("dtstart", week.start)
    event.add("dtend", week.end + dt.timedelta(days=1))
    event.add("summary", f"{names} — week {week.week}/{week.weeks} of {week.roadmap_title}")
    event.add("description", "\n".join([*lines, "", f"Open the roadmap at {roadmap_url}"]))
    event.add("url", roadmap_url)
    event.add("categories", ["learnpath", "study plan"])
    event.add("transp", "TRANSPARENT")
    return event


def _review_event(
    user_key: str, day: dt.date, cards: list[CardView], reviews_url: str, now: dt.datetime
) -> Event:
    concepts = Counter(f"{c.concept_name} ({c.roadmap_title})" for c in cards)
    event = Event()
    event.add("uid", f"reviews-{user_key}-{day.isoformat()}@learnpath")
    event.add("dtstamp", now)
    event.add("dtstart", day)
    event.add("dtend", day + dt.timedelta(days=1))
    event.add("summary", f"learnpath: {len(cards)} review{'s' if len(cards) != 1 else ''} due")
    event.add(
        "description",
        "\n".join(
            [f"{count} × {name}" for name, count in sorted(concepts.items())]
            + ["", f"Review them at {reviews_url}"]
        ),
    )
    event.add("url", reviews_url)
    event.add("categories", ["learnpath", "reviews"])
    event.add("transp", "TRANSPARENT")
    return event


def build_calendar(
    user_key: str,
    days: dict[dt.date, list[CardView]],
    weeks: list[PlannedWeek],
    *,
    base_url: str,
    now: dt.datetime,
) -> bytes:
    """The iCalendar document: an all-day event per day with reviews due, and one per
    planned week of each roadmap (links point under ``base_url``, the site's root)."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", "learnpath: reviews and study plan")
    for day in sorted(days):
        calendar.add_component(_review_event(user_key, day, days[day], f"{base_url}/reviews", now))
    for week in sorted(weeks, key=lambda w: (w.start, w.roadmap_title, w.roadmap_id)):
        roadmap_url = f"{base_url}/roadmaps/{week.roadmap_id}"
        calendar.add_component(_week_event(user_key, week, roadmap_url, now))
    document: bytes = calendar.to_ical()
    return document


async def _roadmaps(store: Store, user_id: str) -> list[RoadmapRecord]:
    """Every roadmap of the user outside the trash."""
    found: list[RoadmapRecord] = []
    cursor: str | None = None
    while True:
        page = await store.list_roadmaps(user_id, limit=100, cursor=cursor)
        found += page.items
        if page.next_cursor is None:
            return found
        cursor = page.next_cursor


async def study_weeks(
    store: Store, user_id: str, first: dt.date, last: dt.date
) -> list[PlannedWeek]:
    """The planned weeks of the user's roadmaps between ``first`` and ``last``, each
    roadmap's schedule computed as its page shows it (from the day it was made)."""
    roadmaps = await _roadmaps(store, user_id)
    requests = await store.task_requests([r.task_id for r in roadmaps])
    progress = await store.progress_by_roadmap(user_id, [r.id for r in roadmaps])
    weeks: list[PlannedWeek] = []
    for roadmap in roadmaps:
        schedule = schedule_of(
            roadmap, requests[roadmap.task_id], progress[roadmap.id], today=first
        )
        weeks += planned_weeks(roadmap.id, roadmap.title, schedule, first, last)
    return weeks


async def feed_for(store: Store, user_id: str, timezone: str, base_url: str) -> bytes:
    """The feed of ``user_id`` as its calendar app fetches it."""
    tz = ZoneInfo(timezone)
    await store.sync_cards(user_id)
    now = store.clock()
    today = day_of(now, tz)
    last = today + dt.timedelta(days=HORIZON_DAYS - 1)
    cards = await store.scheduled_cards(user_id, end_of_day(last, tz))
    weeks = await study_weeks(store, user_id, today, last)
    user_key = hashlib.sha256(user_id.encode()).hexdigest()[:16]
    return build_calendar(
        user_key, reviews_by_day(cards, tz, today), weeks, base_url=base_url, now=now
    )
