"""What one content item costs the database: one transaction and a fixed number of statements.

Counted with a ``before_cursor_execute`` listener on the writer, on SQLite and PostgreSQL,
while a workflow runs one item at a time (no heartbeat writes in between).
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, select

from learnpath.domain.content import ContentKind, ContentStatus
from learnpath.llm.errors import ModelCallError
from learnpath.store import Store
from learnpath.store.progress import ContentOutcome
from learnpath.store.tables import concept_content
from learnpath.testing.teams import TinyTeam
from learnpath.workflow import Workflow

TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK")


async def test_each_item_is_one_transaction_of_a_few_statements(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    counts = {"statements": 0, "transactions": 0}
    writer = store.engines.writer.sync_engine

    def on_statement(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
            counts["statements"] += 1

    def on_begin(_conn: Any) -> None:
        counts["transactions"] += 1

    saves: list[tuple[bool, int, int]] = []  # (concept settled, statements, transactions)
    save_content = store.save_content

    async def counted(*args: Any, **kwargs: Any) -> ContentOutcome:
        counts.update(statements=0, transactions=0)
        event.listen(writer, "before_cursor_execute", on_statement)
        event.listen(writer, "begin", on_begin)
        try:
            outcome = await save_content(*args, **kwargs)
        finally:
            event.remove(writer, "before_cursor_execute", on_statement)
            event.remove(writer, "begin", on_begin)
        settled = outcome.concept_done or outcome.concept_failed
        saves.append((settled, counts["statements"], counts["transactions"]))
        return outcome

    monkeypatch.setattr(store, "save_content", counted)
    user = await store.local_user()
    await store.submit_task(user_id=user.id, request={"goal": "Learn Erlang"})
    lease = await store.claim_next_job("counting-worker")
    assert lease is not None
    await Workflow(store, TinyTeam(concepts=3), content_concurrency=1).run(lease)

    assert len(saves) == 3 * len(ContentKind)
    assert all(transactions == 1 for _, _, transactions in saves), saves
    # The fenced lease renewal (which also records progress) and the item; the concept's
    # progress comes from the run's tally, not a query. A settled concept adds its event
    # (its number and its row, and the transaction's NOTIFY on PostgreSQL): never more
    # than five.
    notify = 1 if store.is_postgres else 0
    assert {statements for settled, statements, _ in saves if not settled} == {2}, saves
    assert {statements for settled, statements, _ in saves if settled} == {4 + notify}, saves


async def test_a_failed_item_is_stored_without_a_body_and_a_written_one_with_it(
    store: Store,
) -> None:
    """The prebuilt item update writes SQL NULL for a failed item's body, not JSON ``null``."""

    async def refuse_quizzes(name: str, _subject: object) -> None:
        if name == "quiz":
            raise ModelCallError("model_refused", "The model refused to write the quiz.")

    user = await store.local_user()
    task, _ = await store.submit_task(user_id=user.id, request={"goal": "Learn Erlang"})
    lease = await store.claim_next_job("saving-worker")
    assert lease is not None
    await Workflow(store, TinyTeam(concepts=2, hook=refuse_quizzes)).run(lease)

    async with store.read() as conn:
        rows = (
            await conn.execute(
                select(
                    concept_content.c.kind,
                    concept_content.c.status,
                    concept_content.c.body.is_(None).label("no_body"),
                    concept_content.c.error_code,
                ).where(concept_content.c.roadmap_id == task.id)
            )
        ).all()
    assert len(rows) == 2 * len(ContentKind)
    for kind, status, no_body, code in rows:
        if kind == ContentKind.QUIZ:
            assert (status, no_body, code) == (ContentStatus.FAILED, True, "model_refused")
        else:
            assert (status, no_body, code) == (ContentStatus.COMPLETED, False, None)
