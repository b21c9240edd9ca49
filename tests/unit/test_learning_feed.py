"""The reminder calendar's events (parsed back with icalendar) and the tutor's rate limit."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from icalendar import Calendar

from learnpath.learning.feed import build_calendar, reviews_by_day
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
    document = build_calendar("u1", days, reviews_url="https://learn.example/reviews", now=NOW)
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
    again = build_calendar("u1", days, reviews_url="https://learn.example/reviews", now=NOW)
    assert again == document  # the same reviews give the same feed (stable UIDs)
    assert (
        list(Calendar.from_ical(build_calendar("u1", {}, reviews_url="x", now=NOW)).walk("VEVENT"))
        == []
    )


def test_rate_limit_waits_until_the_oldest_counted_question_leaves_the_minute() -> None:
    asked = [NOW - dt.timedelta(seconds=s) for s in (50, 30, 10)]
    assert retry_after(asked[:2], 3, NOW) is None
    assert retry_after(asked, 3, NOW) == 10
    assert retry_after(asked, 2, NOW) == 30
    assert retry_after([NOW], 1, NOW) == 60
