from __future__ import annotations

from learnpath.dispatch.local import LocalExecutor
from learnpath.store import Store
from learnpath.testing.teams import TinyTeam
from learnpath.workflow import Workflow


async def test_one_task_runs_to_completion(store: Store) -> None:
    user = await store.local_user()
    task, created = await store.submit_task(user_id=user.id, request={"goal": "Learn SQL"})
    assert created
    executor = LocalExecutor(store, Workflow(store, TinyTeam(concepts=2)).run, poll_seconds=0.1)
    await executor.run_until_idle(timeout=30)
    done = await store.get_task(task.id, user.id)
    assert done.status == "completed", done
    assert (done.progress_done, done.progress_total) == (2, 2)
    events = [e.type for e in await store.events_after(task.id)]
    assert events[0] == "task_created" and events[-1] == "task_completed"
