"""FSRS scheduling of review cards and how cards follow quizzes and the learner (pure)."""

from __future__ import annotations

import datetime as dt

import pytest

from learnpath.domain.content import QuizQuestion
from learnpath.domain.reviews import (
    CardRow,
    CardState,
    QuizVersion,
    Rating,
    Study,
    day_of,
    end_of_day,
    fingerprint,
    plan_cards,
    rating_for_option,
    review,
    start,
    zone,
)

NOW = dt.datetime(2026, 3, 28, 22, 30, tzinfo=dt.UTC)
Q = [
    QuizQuestion(question="What is a join?", options=["combining", "sorting"], answer=0),
    QuizQuestion(question="Which keeps all left rows?", options=["INNER", "LEFT"], answer=1),
]


def test_ratings_and_intervals_are_in_days() -> None:
    assert rating_for_option(0, 0) is Rating.GOOD
    assert rating_for_option(1, 0) is Rating.AGAIN and rating_for_option(None, 0) is Rating.AGAIN
    due = {r: review(None, r, NOW).due - NOW for r in Rating}
    assert due == {
        Rating.AGAIN: dt.timedelta(days=1),
        Rating.HARD: dt.timedelta(days=1),
        Rating.GOOD: dt.timedelta(days=2),
        Rating.EASY: dt.timedelta(days=8),
    }
    first = review(None, Rating.GOOD, NOW)
    second = review(first.fsrs, Rating.GOOD, first.due)
    assert second.due - first.due > dt.timedelta(days=2) and second.last_review == first.due
    assert review(first.fsrs, Rating.GOOD, first.due) == second  # no fuzzing: repeatable
    assert start(NOW).due == NOW and start(NOW).last_review is None


def test_days_are_counted_in_the_learners_zone() -> None:
    paris = zone("Europe/Paris")
    assert day_of(NOW, paris) == dt.date(2026, 3, 28)
    # The night the clocks change: the day ends at 22:00 UTC (UTC+2 after the change).
    assert end_of_day(dt.date(2026, 3, 29), paris) == dt.datetime(2026, 3, 29, 22, 0, tzinfo=dt.UTC)
    assert day_of(NOW, zone("Asia/Tokyo")) == dt.date(2026, 3, 29)
    for bad in ("Mars/Base", "", "../etc/passwd"):
        with pytest.raises(ValueError, match="unknown time zone"):
            zone(bad)


def _quiz(version: int, questions: list[QuizQuestion] = Q) -> QuizVersion:
    return QuizVersion(concept_id="c1", version=version, questions=questions, completed_at=NOW)


def test_new_cards_wait_until_the_learner_meets_the_concept() -> None:
    plan = plan_cards([_quiz(1)], [], {}, NOW)
    assert [(c.state, c.question_index, c.due) for c in plan.changes] == [
        (CardState.NEW, 0, None),
        (CardState.NEW, 1, None),
    ]
    done = plan_cards([_quiz(1)], [], {"c1": Study(True, None, NOW)}, NOW)
    assert {(c.state, c.due) for c in done.changes} == {(CardState.SCHEDULED, NOW)}
    # A quiz answered after this version was written is the first review of each card.
    answered = Study(False, [0, 0], NOW + dt.timedelta(minutes=5))
    plan = plan_cards([_quiz(1)], [], {"c1": answered}, NOW)
    right, wrong = plan.changes
    assert right.first_review is not None and right.first_review.rating is Rating.GOOD
    assert wrong.first_review is not None and wrong.first_review.chosen == 0
    assert right.due == answered.updated_at + dt.timedelta(days=2)
    assert wrong.due == answered.updated_at + dt.timedelta(days=1)
    # Answers older than the quiz version belong to the previous quiz.
    stale = Study(False, [0, 1], NOW - dt.timedelta(hours=1))
    assert {c.state for c in plan_cards([_quiz(1)], [], {"c1": stale}, NOW).changes} == {
        CardState.NEW
    }


def _row(index: int, version: int, state: CardState, **extra: object) -> CardRow:
    return CardRow(
        id=f"card-{version}-{index}",
        concept_id="c1",
        quiz_version=version,
        question_index=index,
        fingerprint=fingerprint(Q[index]),
        state=state,
        **extra,  # type: ignore[arg-type]
    )


def test_a_new_quiz_version_retires_old_cards_and_carries_identical_questions() -> None:
    old_schedule = review(None, Rating.GOOD, NOW - dt.timedelta(days=1))
    cards = [
        _row(0, 1, CardState.SCHEDULED, fsrs=old_schedule.fsrs, due=old_schedule.due, reps=3),
        _row(1, 1, CardState.SCHEDULED, fsrs=old_schedule.fsrs, due=old_schedule.due),
    ]
    changed = QuizQuestion(question="A brand new question?", options=["yes", "no"], answer=0)
    plan = plan_cards([_quiz(2, [Q[0], changed])], cards, {}, NOW)
    assert plan.retire == ["card-1-0", "card-1-1"]
    kept, fresh = plan.changes
    assert (kept.quiz_version, kept.due, kept.reps) == (2, old_schedule.due, 3)
    assert (fresh.state, fresh.due, fresh.reps) == (CardState.SCHEDULED, NOW, 0)
    # Up to date: nothing to do; unmet concepts' old cards are replaced by new ones.
    current = [_row(0, 2, CardState.SCHEDULED, due=NOW), _row(1, 2, CardState.SCHEDULED, due=NOW)]
    assert plan_cards([_quiz(2)], current, {}, NOW).changes == []
    unmet = plan_cards([_quiz(2)], [_row(0, 1, CardState.NEW), _row(1, 1, CardState.NEW)], {}, NOW)
    assert unmet.retire == ["card-1-0", "card-1-1"]
    assert {c.state for c in unmet.changes} == {CardState.NEW}


def test_cards_of_a_removed_concept_are_retired() -> None:
    cards = [
        _row(0, 1, CardState.SCHEDULED, due=NOW),
        _row(1, 1, CardState.NEW),
        _row(0, 0, CardState.RETIRED),
    ]
    assert plan_cards([], cards, {}, NOW, concepts={"c2"}).retire == ["card-1-0", "card-1-1"]
    assert plan_cards([], cards, {}, NOW, concepts={"c1", "c2"}).retire == []
    assert plan_cards([], cards, {}, NOW).retire == []


def test_fingerprints_ignore_spacing_and_case_but_not_the_answer() -> None:
    same = QuizQuestion(question="what is  a JOIN?", options=["Combining", "other"], answer=0)
    other = QuizQuestion(question="What is a join?", options=["combining", "sorting"], answer=1)
    assert fingerprint(same) == fingerprint(Q[0]) != fingerprint(other)
