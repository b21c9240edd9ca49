"""Migrations keep the rows they move: a database with a finished roadmap, taken back to an
older schema and upgraded again, still holds every task, roadmap, content item and progress
row. On SQLite, altering a table means copying it and dropping the old copy, which cascades
to child rows unless foreign keys are off while the migration runs."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from learnpath.dispatch.local import LocalExecutor
from learnpath.runtime import make_workflow
from learnpath.settings import Settings
from learnpath.store import Store
from learnpath.store.migrate import current_revision, downgrade, head_revision, upgrade
from learnpath.store.tables import (
    concept_content,
    learner_progress,
    roadmaps,
    step_runs,
    task_events,
    tasks,
    users,
)

# Tables that exist before the learner's workspace migration (0006), which rebuilds `roadmaps`.
KEPT = (users, tasks, task_events, roadmaps, concept_content, step_runs, learner_progress)


async def _counts(store: Store) -> dict[str, int]:
    async with store.engines.writer.connect() as conn:
        return {
            table.name: (await conn.execute(select(func.count()).select_from(table))).scalar_one()
            for table in KEPT
        }


async def test_downgrade_and_upgrade_keep_every_row(store: Store, settings: Settings) -> None:
    user = await store.local_user()
    task, _ = await store.submit_task(
        user_id=user.id, request={"goal": "Learn SQL", "weeks": 4, "hours_per_week": 3}
    )
    executor = LocalExecutor(store, make_workflow(settings, store).run, poll_seconds=0.1)
    await executor.run_until_idle(timeout=120)
    done = await store.get_task(task.id, user.id)
    assert done.status == "completed" and done.roadmap_id is not None
    await store.record_progress(user.id, done.roadmap_id, "c1", done=True)
    before = await _counts(store)
    assert all(before.values()), before  # every table holds rows, so a loss would show

    engine = store.engines.writer
    await downgrade(engine, "0003")
    assert await current_revision(engine) == "0003"
    await upgrade(engine)
    assert await current_revision(engine) == head_revision()

    assert await _counts(store) == before
    reread = await store.get_task(task.id, user.id)
    assert reread.roadmap_id == done.roadmap_id
    progress: list[dict[str, Any]] = await store.progress(user.id, done.roadmap_id)
    assert [p["concept_id"] for p in progress if p["done"]] == ["c1"]
