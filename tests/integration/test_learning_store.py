"""Tutor conversations, notes, review cards and calendar feeds in the store, on both backends."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from learnpath.dispatch.local import LocalExecutor
from learnpath.domain.reviews import Rating
from learnpath.domain.tutor import MessageStatus
from learnpath.runtime import make_workflow
from learnpath.settings import Settings
from learnpath.store import Conflict, NotFound, Store
from learnpath.store.engine import make_engines
from learnpath.store.migrate import upgrade
from learnpath.store.tutoring import STALE_ANSWER_SECONDS
from learnpath.testing.teams import StudyTeam

START = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)


@dataclass
class Clock:
    now: dt.datetime = START

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def store(settings: Settings, clock: Clock) -> AsyncIterator[Store]:
    store = Store(make_engines(settings.resolved_database_url), clock=clock)
    await upgrade(store.engines.writer)
    try:
        yield store
    finally:
        await store.close()


async def roadmap_for(store: Store, settings: Settings, user_id: str, concepts: int = 2) -> str:
    task, _ = await store.submit_task(user_id=user_id, request={"goal": "Learn SQL", "weeks": 4})
    executor = LocalExecutor(
        store, make_workflow(settings, store, StudyTeam(concepts=concepts)).run, poll_seconds=0.05
    )
    await executor.run_until_idle(timeout=60)
    finished = await store.get_task(task.id)
    assert finished.status == "completed", finished.error
    assert finished.roadmap_id is not None
    return finished.roadmap_id


async def users(store: Store) -> tuple[str, str]:
    alice, _ = await store.create_user("alice")
    bob, _ = await store.create_user("bob")
    return alice.id, bob.id


async def test_a_conversation_keeps_questions_and_answers_in_order(
    store: Store, settings: Settings, clock: Clock
) -> None:
    alice, bob = await users(store)
    roadmap = await roadmap_for(store, settings, alice)
    sources = [{"number": 1, "kind": "roadmap", "title": "S › M › C", "url": None, "text": ""}]
    question, answer = await store.start_exchange(
        alice, roadmap, "c1", question="What is c1?", sources=sources, generated_by="offline"
    )
    assert (question.seq, answer.seq) == (1, 2)
    assert answer.status == MessageStatus.STREAMING and answer.text == ""

    # One reply at a time per conversation; another concept is a separate conversation.
    with pytest.raises(Conflict) as busy:
        await store.start_exchange(
            alice, roadmap, "c1", question="And?", sources=[], generated_by="offline"
        )
    assert busy.value.code == "reply_in_progress"
    await store.start_exchange(
        alice, roadmap, "c2", question="Other", sources=[], generated_by="offline"
    )

    assert await store.write_answer(answer.id, "Half an ans")
    assert (await store.tutor_message(alice, answer.id)).text == "Half an ans"
    done = await store.finish_answer(
        answer.id, "Half an answer [1].", status=MessageStatus.COMPLETED, citations=[1]
    )
    assert done.status == "completed" and done.citations == [1]
    assert not await store.write_answer(answer.id, "late write")  # no longer streaming

    second_q, second_a = await store.start_exchange(
        alice, roadmap, "c1", question="Next?", sources=[], generated_by="offline"
    )
    conversation = await store.conversation(alice, roadmap, "c1")
    assert [(m.seq, m.role) for m in conversation] == [
        (1, "question"),
        (2, "answer"),
        (3, "question"),
        (4, "answer"),
    ]
    assert conversation[1].text == "Half an answer [1]." and conversation[1].sources == sources

    # Private: bob sees nothing of alice's conversation, as if it did not exist.
    with pytest.raises(NotFound):
        await store.conversation(bob, roadmap, "c1")
    with pytest.raises(NotFound):
        await store.tutor_message(bob, answer.id)
    with pytest.raises(NotFound):
        await store.start_exchange(
            bob, roadmap, "c1", question="Mine?", sources=[], generated_by="offline"
        )

    # A reply whose writer went silent (its process died) is shown interrupted, text kept.
    await store.write_answer(second_a.id, "Partial")
    clock.advance(seconds=STALE_ANSWER_SECONDS + 1)
    cut = (await store.conversation(alice, roadmap, "c1"))[-1]
    assert cut.status == "interrupted" and cut.text == "Partial"
    assert cut.error_code == "reply_interrupted" and "ask again" in (cut.error_message or "")
    times = await store.question_times(alice, START)
    assert len(times) == 3 and second_q.created_at in times


async def test_notes_are_private_and_editable(store: Store, settings: Settings) -> None:
    alice, bob = await users(store)
    roadmap = await roadmap_for(store, settings, alice)
    note = await store.add_note(alice, roadmap, "c1", "# Mine\n\nremember joins")
    await store.add_note(alice, roadmap, "c2", "other concept")
    assert [n.markdown for n in await store.notes(alice, roadmap, "c1")] == [note.markdown]
    assert len(await store.notes(alice, roadmap)) == 2
    assert await store.note_counts(alice, roadmap) == {"c1": 1, "c2": 1}

    edited = await store.update_note(alice, note.id, "remember LEFT joins")
    assert edited.markdown == "remember LEFT joins" and edited.created_at == note.created_at
    for attempt in (
        store.update_note(bob, note.id, "hijack"),
        store.delete_note(bob, note.id),
        store.get_note(bob, note.id),
        store.notes(bob, roadmap),
        store.add_note(bob, roadmap, "c1", "into alice's roadmap"),
    ):
        with pytest.raises(NotFound):
            await attempt
    await store.delete_note(alice, note.id)
    assert [n.concept_id for n in await store.notes(alice, roadmap)] == ["c2"]
    with pytest.raises(NotFound):
        await store.delete_note(alice, note.id)


async def test_cards_start_when_the_learner_meets_the_concept(
    store: Store, settings: Settings, clock: Clock
) -> None:
    alice, bob = await users(store)
    roadmap = await roadmap_for(store, settings, alice)
    end_of_today = START + dt.timedelta(hours=16)

    await store.sync_cards(alice)
    counts = await store.card_counts(alice, end_of_today)
    assert (counts.new, counts.scheduled, counts.due) == (6, 0, 0)  # 2 concepts × 3 questions

    # The quiz answer is the first review: right → good (2 days), wrong → again (1 day).
    await store.record_progress(alice, roadmap, "c1", quiz_answers=[0, 0, None], quiz_score=1 / 3)
    # Marking a concept done without the quiz makes its cards due now.
    await store.record_progress(alice, roadmap, "c2", done=True)
    await store.sync_cards(alice)
    await store.sync_cards(alice)  # idempotent: nothing twice
    due = await store.due_cards(alice, end_of_today)
    assert [(c.concept_id, c.question_index) for c in due] == [("c2", 0), ("c2", 1), ("c2", 2)]
    assert due[0].question is not None and due[0].question.question == "What is Concept 2?"
    assert due[0].concept_name == "Concept 2" and due[0].roadmap_title == "Roadmap: Learn SQL"
    c1 = await store.due_cards(alice, START + dt.timedelta(days=3), roadmap_id=roadmap)
    first = {c.question_index: c for c in c1 if c.concept_id == "c1"}
    assert first[0].due == START + dt.timedelta(days=2) and first[0].reps == 1
    assert first[1].due == START + dt.timedelta(days=1) and first[2].due == first[1].due
    log = await store.review_log(alice, first[1].id)
    assert [(entry["rating"], entry["chosen"], entry["correct"]) for entry in log] == [
        ("again", 0, False)
    ]

    # Answering moves the due date; a second answer the same day is refused.
    answered = await store.answer_card(alice, due[0].id, Rating.GOOD, due_by=end_of_today)
    assert answered.due_before == START and answered.card.due == START + dt.timedelta(days=2)
    with pytest.raises(Conflict) as not_due:
        await store.answer_card(alice, due[0].id, Rating.GOOD, due_by=end_of_today)
    assert not_due.value.code == "card_not_due"
    with pytest.raises(NotFound):
        await store.answer_card(bob, due[1].id, Rating.GOOD, due_by=end_of_today)
    assert await store.due_cards(bob, end_of_today) == []
    assert await store.due_count_by_roadmap(alice, end_of_today) == {roadmap: 2}

    clock.advance(days=2)
    later = await store.answer_card(
        alice, due[0].id, Rating.GOOD, due_by=clock.now + dt.timedelta(hours=1)
    )
    assert later.card.due is not None and later.card.due - clock.now > dt.timedelta(days=2)
    assert later.card.reps == 2


async def test_a_regenerated_quiz_retires_old_cards_and_keeps_identical_questions(
    store: Store, settings: Settings, clock: Clock
) -> None:
    alice, _ = await users(store)
    roadmap = await roadmap_for(store, settings, alice, concepts=1)
    await store.record_progress(alice, roadmap, "c1", quiz_answers=[0, 1, 0], quiz_score=1.0)
    await store.sync_cards(alice)
    before = {
        c.question_index: c
        for c in await store.scheduled_cards(alice, START + dt.timedelta(days=30))
    }
    assert len(before) == 3

    clock.advance(hours=1)
    version = await store.regenerate_concept(roadmap, "c1", alice, "harder")
    executor = LocalExecutor(
        store, make_workflow(settings, store, StudyTeam(concepts=1)).run, poll_seconds=0.05
    )
    await executor.run_until_idle(timeout=60)
    assert version == 2
    await store.sync_cards(alice)
    after = {
        c.question_index: c
        for c in await store.scheduled_cards(alice, START + dt.timedelta(days=30))
    }
    assert {c.quiz_version for c in after.values()} == {2}
    # The two unchanged questions keep their schedule; the changed one is due at once.
    assert after[0].due == before[0].due and after[1].due == before[1].due
    assert after[0].id != before[0].id
    assert after[2].due == clock.now and after[2].reps == 0
    assert after[2].question is not None and "(harder)" in after[2].question.question
    with pytest.raises(Conflict) as retired:
        await store.answer_card(
            alice, before[2].id, Rating.GOOD, due_by=clock.now + dt.timedelta(days=9)
        )
    assert retired.value.code == "card_retired"
    counts = await store.card_counts(alice, clock.now + dt.timedelta(hours=1))
    assert (counts.scheduled, counts.due, counts.new) == (3, 1, 0)


async def test_calendar_feed_secret_rotates_and_revokes(store: Store) -> None:
    alice, bob = await users(store)
    settings = await store.calendar_settings(alice)
    assert (settings.timezone, settings.feed_active) == ("UTC", False)
    first = await store.rotate_feed_token(alice)
    assert await store.feed_owner(first) == (alice, "UTC")
    await store.set_timezone(alice, "Asia/Shanghai")
    second = await store.rotate_feed_token(alice)
    assert second != first and await store.feed_owner(first) is None
    assert await store.feed_owner(second) == (alice, "Asia/Shanghai")
    assert (await store.calendar_settings(alice)).feed_active
    assert not (await store.calendar_settings(bob)).feed_active
    await store.revoke_feed(alice)
    assert await store.feed_owner(second) is None
    assert (await store.calendar_settings(alice)).timezone == "Asia/Shanghai"
