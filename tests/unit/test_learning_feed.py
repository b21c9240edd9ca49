"""The reminder calendar's events (parsed back with icalendar) and the tutor's rate limit."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from icalendar import Calendar

from learnpath.domain.roadmap import Concept, Framework, Module, Stage
from learnpath.domain.schedule import plan
from learnpath.learning.feed import build_calendar, planned_weeks, reviews_by_day
from learnpath.learning.quota import retry_after
from learnpath.store.reviews import CardView

NOW = dt.datetime(2026, 5, 4, 23, 30, tzinfo=dt.UTC)
TOKYO = ZoneInfo("Asia/Tokyo")


def card(concept: str, due: dt.datetime) -> CardView:
    return CardView(
        id=f"{concept}-{due.isoformat()}",
        roadmap_id="r1",
        roadmap_title="SQL roadmap",
        concept_id=concept,
        concept_name=concept.title(),
        quiz_version=1,
        question_index=0,
        state="scheduled",
        due=due,
        last_review=None,
        reps=1,
        lapses=0,
        question=None,
    )


def test_each_day_with_reviews_is_one_all_day_event_in_the_learners_zone() -> None:
    today = NOW.astimezone(TOKYO).date()  # 2026-05-05 in Tokyo
    cards = [
        card("joins", NOW - dt.timedelta(days=3)),  # overdue: counted on today
        card("joins", NOW),
        card("views", NOW + dt.timedelta(hours=1)),
        card("views", NOW + dt.timedelta(days=2)),
    ]
    days = reviews_by_day(cards, TOKYO, today)
    assert {day: len(items) for day, items in days.items()} == {
        dt.date(2026, 5, 5): 3,
        dt.date(2026, 5, 7): 1,
    }
    document = build_calendar("u1", days, [], base_url="https://learn.example", now=NOW)
    calendar = Calendar.from_ical(document)
    assert (
        str(calendar["prodid"]) == "-//learnpath//reminders//EN"
        and str(calendar["version"]) == "2.0"
    )
    events = list(calendar.walk("VEVENT"))
    assert [e.decoded("dtstart") for e in events] == [dt.date(2026, 5, 5), dt.date(2026, 5, 7)]
    assert [e.decoded("dtend") for e in events] == [dt.date(2026, 5, 6), dt.date(2026, 5, 8)]
    assert [str(e["summary"]) for e in events] == [
        "learnpath: 3 reviews due",
        "learnpath: 1 review due",
    ]
    assert str(events[0]["uid"]) == "reviews-u1-2026-05-05@learnpath"
    assert "2 × Joins (SQL roadmap)" in str(events[0]["description"])
    assert "1 × Views (SQL roadmap)" in str(events[0]["description"])
    assert str(events[1]["url"]) == "https://learn.example/reviews"
    again = build_calendar("u1", days, [], base_url="https://learn.example", now=NOW)
    assert again == document  # the same reviews give the same feed (stable UIDs)
    assert (
        list(Calendar.from_ical(build_calendar("u1", {}, [], base_url="x", now=NOW)).walk("VEVENT"))
        == []
    )


def test_each_planned_week_is_one_event_spanning_the_week_with_its_concepts() -> None:
    concepts = [
        Concept(id="c1", name="Select", estimated_hours=2),
        Concept(id="c2", name="Joins", estimated_hours=6, prerequisites=["c1"]),
        Concept(id="c3", name="Keys", estimated_hours=1),
        Concept(id="c4", name="Views", estimated_hours=1),
        Concept(id="c5", name="Indexes", estimated_hours=1),
        Concept(id="c6", name="Locks", estimated_hours=1),
        Concept(id="c7", name="Grants", estimated_hours=1),
        Concept(id="c8", name="Backups", estimated_hours=4),
    ]
    framework = Framework(
        title="T",
        stages=[Stage(id="s1", name="S", modules=[Module(id="m1", name="M", concepts=concepts)])],
    )
    start = dt.date(2026, 4, 27)  # week 1: 04-27..05-03, week 2: 05-04..05-10, week 3: 05-11..
    today = dt.date(2026, 5, 5)
    schedule = plan(
        framework,
        start=start,
        hours_per_week=5,
        weeks=None,
        deadline=None,
        done={"c1"},
        today=today,
    )
    weeks = planned_weeks("r1", "SQL roadmap", schedule, today, today + dt.timedelta(days=29))
    # Week 1 ended before today; weeks 2-4 remain (17 h at 5 h a week). A concept is in
    # every week it runs in: Joins (hours 2-8) in weeks 1 and 2, Backups (13-17) in 3 and 4.
    assert [w.week for w in weeks] == [2, 3, 4] and all(w.weeks == 4 for w in weeks)
    assert [[c.concept_id for c in w.concepts] for w in weeks] == [
        ["c2", "c3", "c4"],
        ["c5", "c6", "c7", "c8"],
        ["c8"],
    ]

    document = build_calendar("u1", {}, weeks, base_url="https://learn.example", now=NOW)
    events = list(Calendar.from_ical(document).walk("VEVENT"))
    assert [(e.decoded("dtstart"), e.decoded("dtend")) for e in events] == [
        (dt.date(2026, 5, 4), dt.date(2026, 5, 11)),
        (dt.date(2026, 5, 11), dt.date(2026, 5, 18)),
        (dt.date(2026, 5, 18), dt.date(2026, 5, 25)),
    ]
    assert str(events[0]["summary"]) == "Joins, Keys, Views — week 2/4 of SQL roadmap"
    assert str(events[1]["summary"]) == "Indexes, Locks, Grants +1 more — week 3/4 of SQL roadmap"
    description = str(events[0]["description"])
    assert "Week 2 of 4 of “SQL roadmap”, 2026-05-04 to 2026-05-10 (5 h planned):" in description
    assert "- Joins: 6 h, due 2026-05-08, continued from week 1" in description
    assert "- Keys: 1 h, due 2026-05-09" in description
    assert "https://learn.example/roadmaps/r1" in description
    assert str(events[0]["url"]) == "https://learn.example/roadmaps/r1"
    assert str(events[0]["uid"]) == "plan-u1-r1-week-2@learnpath"
    assert str(events[2]["summary"]) == "Backups — week 4/4 of SQL roadmap"

    done = plan(
        framework,
        start=start,
        hours_per_week=5,
        weeks=None,
        deadline=None,
        done={"c1", "c2", "c3", "c4", "c5", "c6"},
        today=today,
    )
    left = planned_weeks("r1", "SQL roadmap", done, today, today + dt.timedelta(days=29))
    assert [w.week for w in left] == [3, 4]  # week 2's concepts are all done
    later = planned_weeks("r1", "SQL roadmap", done, today, today + dt.timedelta(days=6))
    assert [w.week for w in later] == [3]
    (week3,) = Calendar.from_ical(build_calendar("u1", {}, later, base_url="x", now=NOW)).walk(
        "VEVENT"
    )
    assert str(week3["summary"]) == "Grants, Backups — week 3/4 of SQL roadmap"
    assert "- Indexes: 1 h, due 2026-05-12 (done)" in str(week3["description"])


def test_rate_limit_waits_until_the_oldest_counted_question_leaves_the_minute() -> None:
    asked = [NOW - dt.timedelta(seconds=s) for s in (50, 30, 10)]
    assert retry_after(asked[:2], 3, NOW) is None
    assert retry_after(asked, 3, NOW) == 10
    assert retry_after(asked, 2, NOW) == 30
    assert retry_after([NOW], 1, NOW) == 60
