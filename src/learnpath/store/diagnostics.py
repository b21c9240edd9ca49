"""The queue's health, as ``doctor``, ``/metrics`` and the admin API report it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from learnpath.store.base import StoreBase
from learnpath.store.tables import jobs, model_usage, quota_refusals, step_runs, tasks


@dataclass(frozen=True)
class QueueReport:
    tasks_by_status: dict[str, int]
    jobs_by_state: dict[str, int]
    expired_leases: int
    oldest_queued_age_s: float | None
    unpublished_jobs: int
    published_unclaimed: int
    recent_failures: list[dict[str, Any]] = field(default_factory=list)
    step_durations: dict[str, dict[str, float]] = field(default_factory=dict)
    model_usage: dict[str, int] = field(default_factory=dict)
    model_attempts: dict[str, dict[str, int]] = field(default_factory=dict)
    agent_tokens: dict[str, dict[str, int]] = field(default_factory=dict)
    # Worker deaths the queue recovered from: how many, on how many tasks, and the latest why.
    recoveries: int = 0
    recovered_tasks: int = 0
    recent_recoveries: list[dict[str, Any]] = field(default_factory=list)
    # Submits refused by a quota since the database was made, per limit.
    quota_refusals: dict[str, int] = field(default_factory=dict)


class DiagnosticQueries(StoreBase):
    async def queue_report(
        self, *, failures: int = 10, publish_deadline_s: float = 60.0
    ) -> QueueReport:
        now = self.clock()
        async with self.read() as conn:
            by_status: dict[str, int] = dict(
                (
                    await conn.execute(
                        select(tasks.c.status, func.count()).group_by(tasks.c.status)
                    )
                ).all()
            )
            by_state: dict[str, int] = dict(
                (
                    await conn.execute(select(jobs.c.state, func.count()).group_by(jobs.c.state))
                ).all()
            )
            expired = (
                await conn.execute(
                    select(func.count()).where(
                        jobs.c.state == "running", jobs.c.lease_expires_at < now
                    )
                )
            ).scalar_one()
            oldest = (
                await conn.execute(
                    select(func.min(jobs.c.created_at)).where(jobs.c.state == "queued")
                )
            ).scalar_one()
            unpublished = (
                await conn.execute(
                    select(func.count()).where(
                        jobs.c.state == "queued", jobs.c.published_at.is_(None)
                    )
                )
            ).scalar_one()
            stale = (
                await conn.execute(
                    select(func.count()).where(
                        jobs.c.state == "queued",
                        jobs.c.published_at < now - dt.timedelta(seconds=publish_deadline_s),
                    )
                )
            ).scalar_one()
            failed_rows = (
                await conn.execute(
                    select(
                        tasks.c.id,
                        tasks.c.error_step,
                        tasks.c.error_code,
                        tasks.c.error_message,
                        tasks.c.finished_at,
                    )
                    .where(tasks.c.status == "failed")
                    .order_by(tasks.c.finished_at.desc())
                    .limit(failures)
                )
            ).all()
            durations = (
                await conn.execute(
                    select(step_runs.c.step, step_runs.c.started_at, step_runs.c.finished_at)
                    .where(step_runs.c.finished_at.is_not(None))
                    .order_by(step_runs.c.id.desc())
                    .limit(5000)
                )
            ).all()
            usage = (
                await conn.execute(
                    select(
                        func.coalesce(func.sum(step_runs.c.model_requests), 0),
                        func.coalesce(func.sum(step_runs.c.input_tokens), 0),
                        func.coalesce(func.sum(step_runs.c.output_tokens), 0),
                    )
                )
            ).one()
            attempts = (
                await conn.execute(
                    select(
                        model_usage.c.agent,
                        model_usage.c.outcome,
                        func.sum(model_usage.c.attempts),
                        func.sum(model_usage.c.input_tokens),
                        func.sum(model_usage.c.output_tokens),
                    ).group_by(model_usage.c.agent, model_usage.c.outcome)
                )
            ).all()
            recovered = (
                await conn.execute(
                    select(
                        func.coalesce(func.sum(jobs.c.recoveries), 0),
                        func.count(func.distinct(jobs.c.task_id)),
                    ).where(jobs.c.recoveries > 0)
                )
            ).one()
            recovery_rows = (
                await conn.execute(
                    select(jobs.c.task_id, jobs.c.recoveries, jobs.c.last_error)
                    .where(jobs.c.recoveries > 0)
                    .order_by(jobs.c.id.desc())
                    .limit(failures)
                )
            ).all()
            refusals = (
                await conn.execute(
                    select(
                        quota_refusals.c.limit_name, func.sum(quota_refusals.c.refusals)
                    ).group_by(quota_refusals.c.limit_name)
                )
            ).all()
        model_attempts: dict[str, dict[str, int]] = {}
        agent_tokens: dict[str, dict[str, int]] = {}
        for agent, outcome, count, tokens_in, tokens_out in attempts:
            model_attempts.setdefault(str(agent), {})[str(outcome)] = int(count)
            tokens = agent_tokens.setdefault(str(agent), {"input": 0, "output": 0})
            tokens["input"] += int(tokens_in)
            tokens["output"] += int(tokens_out)
        step_stats: dict[str, dict[str, float]] = {}
        for step, started, finished in durations:
            stats = step_stats.setdefault(step, {"count": 0, "sum_s": 0.0})
            stats["count"] += 1
            stats["sum_s"] += (finished - started).total_seconds()
        return QueueReport(
            tasks_by_status={str(k): int(v) for k, v in by_status.items()},
            jobs_by_state={str(k): int(v) for k, v in by_state.items()},
            expired_leases=int(expired),
            oldest_queued_age_s=(now - oldest).total_seconds() if oldest else None,
            unpublished_jobs=int(unpublished),
            published_unclaimed=int(stale),
            recent_failures=[
                {
                    "task_id": r.id,
                    "step": r.error_step,
                    "code": r.error_code,
                    "message": r.error_message,
                    "finished_at": r.finished_at.isoformat() if r.finished_at else None,
                }
                for r in failed_rows
            ],
            step_durations=step_stats,
            model_usage={
                "requests": int(usage[0]),
                "input_tokens": int(usage[1]),
                "output_tokens": int(usage[2]),
            },
            model_attempts=model_attempts,
            agent_tokens=agent_tokens,
            recoveries=int(recovered[0]),
            recovered_tasks=int(recovered[1]),
            recent_recoveries=[
                {"task_id": r.task_id, "recoveries": int(r.recoveries), "reason": r.last_error}
                for r in recovery_rows
            ],
            quota_refusals={str(limit): int(count) for limit, count in refusals},
        )
