"""Fair claims: one user's backlog does not hold another user's job behind it.

Claims follow start-time fair queuing (``learnpath.store.fairness``): a user's jobs keep
their order, another user's first job goes next, a user who was idle starts where the
queue is, and a requeued job keeps its place.
"""

from __future__ import annotations

from typing import Any

from learnpath.store import Store


async def submit(store: Store, user_id: str, n: int, prefix: str) -> list[str]:
    made = []
    for i in range(n):
        task, _ = await store.submit_task(user_id=user_id, request={"goal": f"{prefix} {i}"})
        made.append(task.id)
    return made


async def claim_all(store: Store, n: int) -> list[str]:
    order = []
    for _ in range(n):
        lease = await store.claim_next_job("fairness-test")
        assert lease is not None
        order.append(lease.task_id)
    return order


async def users(store: Store, *names: str) -> list[Any]:
    return [(await store.create_user(name))[0] for name in names]


async def test_another_users_job_is_claimed_next_not_after_the_backlog(store: Store) -> None:
    heavy, light = await users(store, "heavy", "light")
    backlog = await submit(store, heavy.id, 30, "heavy")
    assert await claim_all(store, 5) == backlog[:5]

    (single,) = await submit(store, light.id, 1, "light")
    order = await claim_all(store, 3)

    # The light user's job ties with the heavy user's next one, which is older: it goes
    # right after that one, not after the 24 others.
    assert order == [backlog[5], single, backlog[6]]


async def test_a_users_jobs_keep_their_order_while_users_take_turns(store: Store) -> None:
    alice, bob, carol = await users(store, "alice", "bob", "carol")
    a = await submit(store, alice.id, 4, "alice")
    b = await submit(store, bob.id, 4, "bob")
    c = await submit(store, carol.id, 2, "carol")

    order = await claim_all(store, 10)

    assert order == [a[0], b[0], c[0], a[1], b[1], c[1], a[2], b[2], a[3], b[3]]
    for mine in (a, b, c):
        assert [t for t in order if t in mine] == mine


async def test_an_idle_user_starts_where_the_queue_is(store: Store) -> None:
    early, late = await users(store, "early", "late")
    # The early user had many jobs served long ago: their rank is far behind the queue.
    await submit(store, early.id, 20, "old")
    await claim_all(store, 20)
    (first_late,) = await submit(store, late.id, 1, "late")
    fresh = await submit(store, early.id, 2, "new")
    later = await submit(store, late.id, 2, "late")

    order = await claim_all(store, 5)

    # Neither ahead of the queue for having been idle nor behind it for an old backlog.
    assert order == [first_late, fresh[0], later[0], fresh[1], later[1]]


async def test_a_released_job_keeps_its_place(store: Store) -> None:
    heavy, light = await users(store, "heavy2", "light2")
    backlog = await submit(store, heavy.id, 5, "heavy")
    lease = await store.claim_next_job("fairness-test")
    assert lease is not None and lease.task_id == backlog[0]
    (single,) = await submit(store, light.id, 1, "light")

    assert await store.release(lease)

    # Back first with its old rank; the light job ties with the heavy user's next one and
    # goes after it, the older of the two.
    assert await claim_all(store, 3) == [backlog[0], backlog[1], single]
