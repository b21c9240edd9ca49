"""Transactions, fencing and the event log: the pieces every store query is built from."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, and_, bindparam, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from learnpath.domain.events import EventType
from learnpath.store.engine import Engines
from learnpath.store.outage import OutageLog
from learnpath.store.signals import EVENTS_CHANNEL, JOBS_CHANNEL, TOKENS_CHANNEL, Signal
from learnpath.store.tables import jobs, task_events, tasks
from learnpath.store.tokencache import TokenCache
from learnpath.store.wakeup import Wakeups


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class LeaseLost(Exception):
    """The job's lease is no longer ours: another worker owns it, or it was finished."""

    def __init__(self, job_id: int) -> None:
        super().__init__(f"lease on job {job_id} was lost; the write was rejected")
        self.job_id = job_id


class NotFound(Exception):
    """The thing asked for does not exist, or belongs to someone else."""


class Conflict(Exception):
    """The request is not allowed in the current state (e.g. approving twice).

    ``code`` is stable (API problem ``code``, web catalog key ``conflict.<code>``);
    ``params`` are the values the message names, so a client can word it in its language.
    """

    def __init__(self, message: str, code: str = "conflict", **params: str) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Lease:
    """The right to run one job, proven by ``token`` on every write."""

    job_id: int
    task_id: str
    token: str
    owner: str
    attempt: int


async def owned_row(
    conn: AsyncConnection,
    table: Table,
    row_id: str,
    user_id: str,
    what: str,
    *,
    for_update: bool = False,
) -> Any:
    """Row ``row_id`` of ``table`` if ``user_id`` owns it (locked, with ``for_update``);
    otherwise ``NotFound`` ("no <what> <row_id>")."""
    query = select(table).where(table.c.id == row_id, table.c.user_id == user_id)
    if for_update:
        query = query.with_for_update()
    row = (await conn.execute(query)).first()
    if row is None:
        raise NotFound(f"no {what} {row_id}")
    return row


def held(lease: Lease) -> Any:
    """The WHERE clause that matches the lease's job only while the lease is still valid."""
    return and_(
        jobs.c.id == lease.job_id, jobs.c.lease_token == lease.token, jobs.c.state == "running"
    )


# The statements every content item runs, built once. A statement built per call costs
# about as much CPU as its round trip (coercing each value, then the compiled-cache key);
# a prebuilt one keeps its cache key, and only its parameters change.

_NEXT_EVENT = (
    update(tasks)
    .where(tasks.c.id == bindparam("task"))
    .values(event_seq=tasks.c.event_seq + 1, updated_at=bindparam("now"))
    .returning(tasks.c.event_seq)
)
_INSERT_EVENT = task_events.insert().values(
    task_id=bindparam("task"),
    seq=bindparam("number"),
    type=bindparam("kind"),
    data=bindparam("payload"),
    created_at=bindparam("now"),
)


def _renewal(progress: bool) -> Any:
    """The fenced lease renewal (see ``StoreBase.fenced``), with or without a progress mark."""
    values: dict[str, Any] = {"lease_expires_at": bindparam("expires")}
    if progress:
        values["progress_seq"] = jobs.c.progress_seq + 1
    cancel = select(tasks.c.cancel_requested).where(tasks.c.id == jobs.c.task_id)
    return (
        update(jobs)
        .where(
            jobs.c.id == bindparam("job"),
            jobs.c.lease_token == bindparam("token"),
            jobs.c.state == "running",
        )
        .values(**values)
        .returning(cancel.scalar_subquery())
    )


_RENEW = {progress: _renewal(progress) for progress in (False, True)}


@dataclass
class Tx:
    """One open write transaction, with what to announce once it commits."""

    conn: AsyncConnection
    now: dt.datetime
    postgres: bool
    jobs_queued: bool = False
    event_tasks: set[str] = field(default_factory=set)
    #: A token was revoked or a user's record changed: cached tokens are forgotten on commit.
    tokens_changed: bool = False
    #: In a fenced transaction: whether the job's task had its cancel asked for.
    cancel_requested: bool = False

    async def append_event(
        self, task_id: str, type_: EventType, data: dict[str, Any] | None = None
    ) -> int:
        """Append an event to the task's log in this transaction; returns its sequence number.

        Bumping ``tasks.event_seq`` locks the task row, so concurrent writers for one task
        serialise here and sequence numbers are gap-free and ordered. (A status or step
        change goes through ``store.transitions.move``, which bumps it with its own update.)
        """
        seq = (
            await self.conn.execute(_NEXT_EVENT, {"task": task_id, "now": self.now})
        ).scalar_one()
        await self.record_event(task_id, int(seq), type_, data)
        return int(seq)

    async def record_event(
        self, task_id: str, seq: int, type_: EventType, data: Mapping[str, Any] | None = None
    ) -> None:
        """Insert event number ``seq``, which the caller took by bumping ``tasks.event_seq``."""
        await self.conn.execute(
            _INSERT_EVENT,
            {
                "task": task_id,
                "number": seq,
                "kind": EventType(type_),
                "payload": dict(data or {}),
                "now": self.now,
            },
        )
        await self.announce_events(task_id)

    async def announce_events(self, *task_ids: str) -> None:
        """Wake event followers once this transaction commits."""
        self.event_tasks.update(task_ids)

    async def announce_job(self) -> None:
        """Wake workers once this transaction commits."""
        self.jobs_queued = True

    async def announce_tokens(self) -> None:
        """Make every store forget its cached tokens once this transaction commits."""
        self.tokens_changed = True

    async def send_notifies(self) -> None:
        """On PostgreSQL, the transaction's ``NOTIFY``s, as its last statement before the
        commit (delivered only if it commits): one statement, one notification per
        channel however many jobs or events it wrote, as a listener only learns "look
        again" from it."""
        channels = [
            channel
            for channel, wanted in (
                (JOBS_CHANNEL, self.jobs_queued),
                (EVENTS_CHANNEL, bool(self.event_tasks)),
                (TOKENS_CHANNEL, self.tokens_changed),
            )
            if wanted
        ]
        if self.postgres and channels:
            await self.conn.execute(select(*(func.pg_notify(c, "") for c in channels)))


class StoreBase:
    """Owns the engines and the transaction helpers shared by every query module."""

    def __init__(
        self,
        engines: Engines,
        *,
        lease_seconds: float = 30.0,
        max_attempts: int = 3,
        crash_loop_limit: int = 5,
        clock: Callable[[], dt.datetime] = utcnow,
        token_cache_seconds: float = 0.0,
    ) -> None:
        self.engines = engines
        self.lease_seconds = lease_seconds
        self.max_attempts = max_attempts
        self.crash_loop_limit = crash_loop_limit
        self.clock = clock
        self.jobs_signal = Signal()
        self.events_signal = Signal()
        self.tokens_signal = Signal()
        # The store owns its wake-ups: the first wait on either signal starts them.
        self.wakeups = Wakeups(
            engines, jobs=self.jobs_signal, events=self.events_signal, tokens=self.tokens_signal
        )
        self.jobs_signal.before_wait = self.wakeups.start
        self.events_signal.before_wait = self.wakeups.start
        self.outage = OutageLog()  # callers report failures; any round trip that works ends it
        # When this process last wrote each token's last use: a burst of requests with one
        # token (hundreds at once) costs one write, not one write attempt each.
        self.token_uses: dict[str, dt.datetime] = {}
        # Tokens accepted lately (``store.tokencache``); off unless the settings turn it on.
        self.token_cache = TokenCache(token_cache_seconds)

    async def close(self) -> None:
        await self.wakeups.close()
        await self.engines.dispose()

    @property
    def is_postgres(self) -> bool:
        return self.engines.is_postgres

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Tx]:
        async with self.engines.writer.begin() as conn:
            tx = Tx(conn=conn, now=self.clock(), postgres=self.is_postgres)
            yield tx
            await tx.send_notifies()
        self.outage.succeeded()
        if tx.jobs_queued:
            self.jobs_signal.notify()
        if tx.event_tasks:
            self.events_signal.notify()
        if tx.tokens_changed:
            self.tokens_signal.notify()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self.engines.reader.connect() as conn:
            yield conn
        self.outage.succeeded()

    @asynccontextmanager
    async def fenced(self, lease: Lease, *, progress: bool = False) -> AsyncIterator[Tx]:
        """A write transaction that only commits while ``lease`` is still ours.

        The lease check is the transaction's first statement and also renews the lease;
        on PostgreSQL it locks the job row, so a reclaim cannot interleave. With
        ``progress`` the same statement records that the job committed work (a step or
        an item): a lease that later expires after it is a recovery, not a crash at the
        same point. It also reads whether the task's cancel was asked for
        (``tx.cancel_requested``), so a running job learns of a cancel with each write.
        """
        async with self.write() as tx:
            expires = tx.now + dt.timedelta(seconds=self.lease_seconds)
            renewed = (
                await tx.conn.execute(
                    _RENEW[progress],
                    {"job": lease.job_id, "token": lease.token, "expires": expires},
                )
            ).first()
            if renewed is None:
                raise LeaseLost(lease.job_id)
            tx.cancel_requested = bool(renewed[0])
            yield tx

    async def ping(self) -> None:
        async with self.read() as conn:
            await conn.execute(text("SELECT 1"))
