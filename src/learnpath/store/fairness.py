"""Fair claims across users: start-time fair queuing over the job table.

Claims take runnable jobs in order of ``(jobs.fair_rank, jobs.id)``. A job's rank, its
start tag, is fixed when it is queued::

    rank = max(V, the user's previous rank + 1)

``V``, the queue's virtual time, is the smallest rank among runnable jobs (the one being
served), or, when nothing is runnable, the largest rank ever given (everything given has
been served). So a user with 2,000 jobs queued holds ranks V, V+1, ..., and another
user's single job gets rank V: it is claimed next, not after the 2,000. Within one user
jobs keep their submit order; a user who was idle starts at V, neither ahead of the
queue nor behind their own history. A job requeued after its worker died keeps its
rank, so recovered work goes first.

Why this order and not a round-robin cursor: it needs no state besides one integer per
user and per job, it is decided in the submit transaction with one statement, and the
claim stays a single indexed ``ORDER BY ... LIMIT 1 FOR UPDATE SKIP LOCKED`` that many
workers can run at once.
"""

from __future__ import annotations

from sqlalchemy import case, func, select, update

from learnpath.store.base import Tx
from learnpath.store.tables import jobs, tasks, users


async def next_fair_rank(tx: Tx, task_id: str) -> int:
    """Give the task's new job its start tag (and remember it as its user's newest)."""
    serving = select(func.min(jobs.c.fair_rank)).where(jobs.c.state == "queued")
    served = select(func.max(jobs.c.fair_rank))
    virtual_time = func.coalesce(serving.scalar_subquery(), served.scalar_subquery(), 0)
    following = users.c.fair_rank + 1
    owner = select(tasks.c.user_id).where(tasks.c.id == task_id).scalar_subquery()
    rank = await tx.conn.scalar(
        update(users)
        .where(users.c.id == owner)
        .values(fair_rank=case((virtual_time > following, virtual_time), else_=following))
        .returning(users.c.fair_rank)
    )
    return int(rank)


async def next_fair_ranks(tx: Tx, user_id: str, count: int) -> int:
    """Give ``count`` new jobs of one user, queued together, consecutive start tags; the
    first. The same as ``count`` calls of ``next_fair_rank``: after the first, the user's
    previous rank + 1 is always the larger (``V`` cannot pass a rank just queued)."""
    serving = select(func.min(jobs.c.fair_rank)).where(jobs.c.state == "queued")
    served = select(func.max(jobs.c.fair_rank))
    virtual_time = func.coalesce(serving.scalar_subquery(), served.scalar_subquery(), 0)
    following = users.c.fair_rank + 1
    first = case((virtual_time > following, virtual_time), else_=following)
    last = await tx.conn.scalar(
        update(users)
        .where(users.c.id == user_id)
        .values(fair_rank=first + (count - 1))
        .returning(users.c.fair_rank)
    )
    return int(last) - (count - 1)
