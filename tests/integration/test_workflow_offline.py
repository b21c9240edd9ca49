"""The whole workflow with the offline model, on both databases."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from learnpath.dispatch.local import LocalExecutor
from learnpath.domain.roadmap import Framework
from learnpath.runtime import make_workflow
from learnpath.settings import Settings
from learnpath.store import Conflict, Store
from learnpath.store.tables import (
    concept_content,
    edit_records,
    intent_analyses,
    roadmaps,
    step_runs,
    tasks,
    validation_records,
)
from learnpath.workflow.review import ReviewDecision, submit_review

REQUEST: dict[str, Any] = {"goal": "Become a backend engineer, I know some Python", "weeks": 26}


async def drain(store: Store, settings: Settings) -> None:
    executor = LocalExecutor(store, make_workflow(settings, store).run, poll_seconds=0.1)
    await executor.run_until_idle(timeout=120)


async def test_full_offline_run_links_every_row_and_logs_every_event(
    store: Store, settings: Settings
) -> None:
    user = await store.local_user()
    task, _ = await store.submit_task(user_id=user.id, request=REQUEST)
    await drain(store, settings)

    done = await store.get_task(task.id, user.id)
    assert done.status == "completed" and done.current_step == "done" and done.error is None
    assert done.roadmap_id is not None
    framework = Framework.model_validate((await store.get_roadmap(done.roadmap_id)).framework)
    concept_ids = framework.concept_ids()
    assert len(framework.stages) >= 3 and len(concept_ids) >= 12
    assert all(stage.modules for stage in framework.stages)
    assert (done.progress_done, done.progress_total) == (len(concept_ids), len(concept_ids))

    items = await store.latest_content(done.roadmap_id)
    assert {(i.concept_id, i.kind) for i in items} == {
        (c, k) for c in concept_ids for k in ("tutorial", "resources", "quiz")
    }
    assert all(i.status == "completed" and i.body and i.generated_by == "offline" for i in items)

    async with store.read() as conn:
        # Every dependent row points at this task (the FKs are enforced on both backends).
        for table in (intent_analyses, roadmaps, validation_records, step_runs):
            owners = set((await conn.execute(select(table.c.task_id))).scalars())
            assert owners == {task.id}, table.name
        content_roadmaps = set((await conn.execute(select(concept_content.c.roadmap_id))).scalars())
        assert content_roadmaps == {done.roadmap_id}
        orphans = (
            await conn.execute(
                select(func.count())
                .select_from(concept_content)
                .outerjoin(roadmaps, roadmaps.c.id == concept_content.c.roadmap_id)
                .where(roadmaps.c.id.is_(None))
            )
        ).scalar_one()
        assert orphans == 0

    events = await store.events_after(task.id)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    types = [e.type for e in events]
    assert types[:2] == ["task_created", "task_started"]
    for step in ("intent_analysis", "curriculum_design", "structure_validation"):
        started = [e for e in events if e.type == "step_started" and e.data["step"] == step]
        completed = [e for e in events if e.type == "step_completed" and e.data["step"] == step]
        assert len(started) == len(completed) == 1, step
    concept_events = [e for e in events if e.type == "concept_completed"]
    assert len(concept_events) == len(concept_ids)
    assert [e.data["done"] for e in concept_events] == list(range(1, len(concept_ids) + 1))
    assert types[-1] == "task_completed"

    runs = await store.step_runs(task.id)
    assert [r.step for r in runs] == [
        "intent_analysis",
        "curriculum_design",
        "structure_validation",
        "content_generation",
    ]
    assert all(r.status == "completed" and r.finished_at for r in runs)


async def test_review_reject_edits_keep_untouched_parts_then_approve_completes(
    store: Store, settings: Settings
) -> None:
    user = await store.local_user()
    task, _ = await store.submit_task(user_id=user.id, request={**REQUEST, "review": True})
    await drain(store, settings)
    parked = await store.get_task(task.id, user.id)
    assert parked.status == "human_review_pending" and parked.current_step == "human_review"
    assert parked.roadmap_id is not None
    before = Framework.model_validate((await store.get_roadmap(parked.roadmap_id)).framework)

    await submit_review(
        store,
        task.id,
        user.id,
        ReviewDecision(decision="reject", feedback="More on databases, please"),
    )
    # A decision while the edit runs is refused.
    with pytest.raises(Conflict) as refused:
        await submit_review(store, task.id, user.id, ReviewDecision(decision="approve"))
    assert refused.value.code == "not_waiting_for_review"
    await drain(store, settings)

    again = await store.get_task(task.id, user.id)
    assert again.status == "human_review_pending"
    after = Framework.model_validate((await store.get_roadmap(parked.roadmap_id)).framework)
    assert after != before
    # Every stage the edit did not touch is exactly as it was.
    before_stages = {s.id: s for s in before.stages}
    untouched = [s for s in after.stages if s.id in before_stages and s == before_stages[s.id]]
    assert len(untouched) >= len(before.stages) - 1
    async with store.read() as conn:
        sources = (await conn.execute(select(edit_records.c.source))).scalars().all()
        assert "feedback" in sources

    await submit_review(store, task.id, user.id, ReviewDecision(decision="approve"))
    with pytest.raises(Conflict):  # a second approve is refused
        await submit_review(store, task.id, user.id, ReviewDecision(decision="approve"))
    await drain(store, settings)
    final = await store.get_task(task.id, user.id)
    assert final.status == "completed"
    async with store.read() as conn:
        review_round = (await conn.execute(select(tasks.c.review_round))).scalar_one()
    assert review_round == 2
