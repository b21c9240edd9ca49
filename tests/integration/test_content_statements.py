"""What one content item costs the database: one transaction and a fixed number of statements.

Counted with a ``before_cursor_execute`` listener on the writer, on SQLite and PostgreSQL,
while a workflow runs one item at a time (no heartbeat writes in between).
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event

from learnpath.domain.content import ContentKind
from learnpath.store import Store
from learnpath.store.progress import ContentOutcome
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
    # (its number, and its row, whose insert carries the NOTIFY on PostgreSQL): four.
    assert {statements for settled, statements, _ in saves if not settled} == {2}, saves
    assert {statements for settled, statements, _ in saves if settled} == {4}, saves
