"""The reminder calendar: a per-user iCalendar feed any calendar app can subscribe to.

The feed lives at ``/calendar/{secret}.ics``. The secret is random (``cal_`` + 43 URL-safe
characters), shown once when it is made, and stored only as its SHA-256 hash; rotating it
makes the old URL answer 404, revoking it removes the feed. The feed holds one all-day event
per day that has reviews due (overdue ones are counted on today), from today over the next
``HORIZON_DAYS`` days, in the learner's time zone. Event UIDs are stable per user and day, so
a calendar updates an event instead of adding a second one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from learnpath.domain.reviews import day_of, end_of_day
from learnpath.store import Store
from learnpath.store.reviews import CardView

HORIZON_DAYS = 30
PRODUCT_ID = "-//learnpath//reminders//EN"


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


def build_calendar(
    user_key: str,
    days: dict[dt.date, list[CardView]],
    *,
    reviews_url: str,
    now: dt.datetime,
) -> bytes:
    """The iCalendar document: one all-day event per day with reviews due."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", "learnpath reviews")
    for day in sorted(days):
        cards = days[day]
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
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    document: bytes = calendar.to_ical()
    return document


async def feed_for(store: Store, user_id: str, timezone: str, reviews_url: str) -> bytes:
    """The feed of ``user_id`` as its calendar app fetches it."""
    tz = ZoneInfo(timezone)
    await store.sync_cards(user_id)
    now = store.clock()
    today = day_of(now, tz)
    horizon = end_of_day(today + dt.timedelta(days=HORIZON_DAYS - 1), tz)
    cards = await store.scheduled_cards(user_id, horizon)
    user_key = hashlib.sha256(user_id.encode()).hexdigest()[:16]
    return build_calendar(
        user_key, reviews_by_day(cards, tz, today), reviews_url=reviews_url, now=now
    )
