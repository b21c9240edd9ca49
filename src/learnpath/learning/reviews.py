"""Due reviews and answers, in the learner's time zone (see ``domain.reviews`` for the rules)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from learnpath.domain.reviews import Rating, day_of, end_of_day, rating_for_option, zone
from learnpath.store import Store
from learnpath.store.reviews import CardCounts, CardView


class InvalidAnswer(ValueError):
    """An answer that names no rating and no option, both, or an option the card lacks."""


@dataclass(frozen=True)
class DueToday:
    day: dt.date
    timezone: str
    until: dt.datetime
    cards: list[CardView]
    counts: CardCounts


@dataclass(frozen=True)
class Outcome:
    """What answering a card did: its new schedule, and for a picked option whether it was right."""

    card: CardView
    rating: Rating
    due_before: dt.datetime | None
    chosen: int | None
    correct: bool | None


async def learner_zone(store: Store, user_id: str, override: str | None = None) -> ZoneInfo:
    """The zone days are counted in: ``override`` (validated), else the learner's setting."""
    if override:
        return zone(override)
    return zone((await store.calendar_settings(user_id)).timezone)


async def due_today(
    store: Store,
    user_id: str,
    tz: ZoneInfo,
    *,
    roadmap_id: str | None = None,
    limit: int = 100,
) -> DueToday:
    """The cards due by the end of today in ``tz`` (after bringing the cards up to date)."""
    if roadmap_id is not None:
        await store.get_roadmap(roadmap_id, user_id)
    await store.sync_cards(user_id, roadmap_id)
    today = day_of(store.clock(), tz)
    until = end_of_day(today, tz)
    cards = await store.due_cards(user_id, until, roadmap_id=roadmap_id, limit=limit)
    counts = await store.card_counts(user_id, until, roadmap_id)
    return DueToday(day=today, timezone=tz.key, until=until, cards=cards, counts=counts)


async def answer_card(
    store: Store,
    user_id: str,
    card_id: str,
    tz: ZoneInfo,
    *,
    rating: Rating | None = None,
    option: int | None = None,
) -> Outcome:
    """Rate a due card, or pick one of its options (right: ``good``, wrong: ``again``)."""
    if (rating is None) == (option is None):
        raise InvalidAnswer("give either a rating (again, hard, good, easy) or an option index")
    chosen = correct = None
    if option is not None:
        card = await store.get_card(user_id, card_id)
        if card.question is None:
            raise InvalidAnswer("this card's question is no longer available; rate it instead")
        if not 0 <= option < len(card.question.options):
            raise InvalidAnswer(
                f"option {option} does not exist; the question has "
                f"{len(card.question.options)} options (0-{len(card.question.options) - 1})"
            )
        rating = rating_for_option(option, card.question.answer)
        chosen, correct = option, rating is Rating.GOOD
    assert rating is not None
    until = end_of_day(day_of(store.clock(), tz), tz)
    answered = await store.answer_card(
        user_id, card_id, rating, due_by=until, chosen=chosen, correct=correct
    )
    return Outcome(
        card=answered.card,
        rating=rating,
        due_before=answered.due_before,
        chosen=chosen,
        correct=correct,
    )
