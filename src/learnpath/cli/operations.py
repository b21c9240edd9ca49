"""Operator commands: doctor, users, task inspection and decisions."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

from rich.table import Table

from learnpath.cli.common import err, fail, out
from learnpath.dispatch.reconciler import reconcile_once
from learnpath.domain.quota import LIMITS
from learnpath.domain.task import TaskStatus
from learnpath.settings import Executor, Settings
from learnpath.store import Conflict, NotFound, QueueReport, Store, open_store
from learnpath.store.migrate import current_revision, head_revision, upgrade
from learnpath.store.records import EventRecord, TaskRecord
from learnpath.workflow.review import InvalidEdits, ReviewDecision, submit_review

STUCK_QUEUE_SECONDS = 300
CLUSTER_HINT = (
    "start the broker and a worker (`make services` starts Redis, RabbitMQ and PostgreSQL; "
    "then `learnpath worker` and `learnpath relay`), or check LEARNPATH_BROKER_URL"
)


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    hint: str = ""


@dataclass
class DoctorReport:
    checks: list[Check] = field(default_factory=list)
    queue: QueueReport | None = None
    cluster: dict[str, Any] | None = None
    fixed: dict[str, int] | None = None

    @property
    def healthy(self) -> bool:
        return all(check.ok for check in self.checks)

    def as_dict(self) -> dict[str, Any]:
        return {
            "healthy": self.healthy,
            "checks": [asdict(c) for c in self.checks],
            "queue": asdict(self.queue) if self.queue else None,
            "cluster": self.cluster,
            "fixed": self.fixed,
        }


async def doctor(settings: Settings, *, fix: bool) -> DoctorReport:
    report = DoctorReport()
    store = open_store(settings)
    try:
        try:
            await store.ping()
        except Exception as exc:
            report.checks.append(
                Check(
                    "database",
                    False,
                    f"unreachable: {type(exc).__name__}",
                    "check LEARNPATH_DATABASE_URL",
                )
            )
            return report
        report.checks.append(Check("database", True, _safe_url(settings)))
        revision, head = await current_revision(store.engines.writer), head_revision()
        celery = settings.executor is Executor.CELERY
        if revision is None and not celery:
            # Embedded mode creates and migrates its database on first use.
            report.checks.append(
                Check(
                    "migrations",
                    True,
                    f"new database; created at {head} when first used",
                )
            )
            return report
        report.checks.append(
            Check(
                "migrations",
                revision == head,
                f"at {revision or 'none'}, newest {head}",
                "" if revision == head else "run `learnpath db upgrade`",
            )
        )
        if revision is None:
            return report
        if fix:
            if celery:
                from learnpath.dispatch.cluster import fix_cluster

                fixed = await fix_cluster(store, settings)
                report.fixed = {**asdict(fixed.reconciled), "published": fixed.published}
            else:
                report.fixed = asdict(await reconcile_once(store))
        queue = await store.queue_report(publish_deadline_s=settings.publish_deadline_seconds)
        report.queue = queue
        report.checks.append(
            Check(
                "leases",
                queue.expired_leases == 0,
                f"{queue.expired_leases} running job(s) with an expired lease",
                ""
                if queue.expired_leases == 0
                else "a worker died; `learnpath doctor --fix` requeues them",
            )
        )
        age = queue.oldest_queued_age_s
        report.checks.append(
            Check(
                "queue",
                age is None or age < STUCK_QUEUE_SECONDS,
                "empty" if age is None else f"oldest queued job waits {age:.0f}s",
                ""
                if age is None or age < STUCK_QUEUE_SECONDS
                else "no worker is taking jobs: start `learnpath serve` or `learnpath worker`",
            )
        )
        if celery:
            from learnpath.dispatch.cluster import cluster_report

            cluster = await cluster_report(store, settings)
            report.cluster = cluster.as_dict()
            report.checks.append(
                Check(
                    "cluster",
                    cluster.healthy,
                    "; ".join([cluster.verdict, *cluster.problems]),
                    "" if cluster.healthy else CLUSTER_HINT,
                )
            )
        report.checks.append(
            Check(
                "recoveries",
                True,
                f"{queue.recoveries} worker death(s) recovered on {queue.recovered_tasks} task(s)"
                + (
                    f"; latest: {queue.recent_recoveries[0]['reason']}"
                    if queue.recent_recoveries
                    else ""
                ),
            )
        )
        report.checks.append(Check("quotas", True, await _quota_detail(store, settings)))
        failures = len(queue.recent_failures)
        report.checks.append(
            Check(
                "failures",
                True,
                f"{failures} recent failed task(s)" if failures else "no failed tasks",
            )
        )
        from learnpath.search.providers import search_health

        report.checks.append(Check(*await search_health(settings)))
    finally:
        await store.close()
    return report


async def _quota_detail(store: Store, settings: Settings) -> str:
    """The submit limits in force and the submits they refused, with the users refused most."""
    by_limit = await store.quota_refusals()
    counts = ", ".join(f"{limit}={sum(by_limit.get(limit, {}).values())}" for limit in LIMITS)
    per_user: dict[str, int] = {}
    for users in by_limit.values():
        for name, count in users.items():
            per_user[name] = per_user.get(name, 0) + count
    top = sorted(per_user.items(), key=lambda item: (-item[1], item[0]))[:3]
    detail = (
        f"limits {settings.user_max_active_tasks} active task(s), "
        f"{settings.user_submits_per_minute} submit(s)/min per user; refused: {counts}"
    )
    return detail + (f"; most refused: {', '.join(f'{n} ({c})' for n, c in top)}" if top else "")


def _safe_url(settings: Settings) -> str:
    from sqlalchemy.engine import make_url

    return make_url(settings.resolved_database_url).render_as_string(hide_password=True)


def render_doctor(report: DoctorReport) -> None:
    table = Table(title="learnpath doctor", show_lines=False)
    table.add_column("check")
    table.add_column("status")
    table.add_column("detail")
    for check in report.checks:
        status = "[green]ok[/]" if check.ok else "[red]PROBLEM[/]"
        detail = check.detail + (f"\n[yellow]→ {check.hint}[/]" if check.hint else "")
        table.add_row(check.name, status, detail)
    out.print(table)
    if report.queue:
        queue = report.queue
        out.print("tasks by status: " + _counts(queue.tasks_by_status))
        out.print("jobs by state:   " + _counts(queue.jobs_by_state))
        for failure in queue.recent_failures:
            out.print(
                f"[red]failed[/] {failure['task_id']} at {failure['step']} ({failure['code']}): {failure['message']}"
            )
    if report.fixed is not None:
        out.print(f"reconciler: {report.fixed}")
    out.print("[green]verdict: healthy[/]" if report.healthy else "[red]verdict: problems found[/]")


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "none"


async def db_upgrade(settings: Settings) -> str:
    store = open_store(settings)
    try:
        await upgrade(store.engines.writer)
        return await current_revision(store.engines.writer) or "none"
    finally:
        await store.close()


@asynccontextmanager
async def operator_store(settings: Settings) -> AsyncIterator[Store]:
    """The store, migrated; a missing task or a refused command ends the command cleanly."""
    store = open_store(settings)
    try:
        await upgrade(store.engines.writer)
        yield store
    except NotFound as exc:
        fail(str(exc))
    except (Conflict, InvalidEdits) as exc:
        fail(str(exc))
    finally:
        await store.close()


async def create_user(settings: Settings, name: str, *, admin: bool) -> str:
    async with operator_store(settings) as store:
        _, token = await store.create_user(name, admin=admin)
        return token


async def list_tasks(settings: Settings, *, status: str | None, limit: int) -> list[TaskRecord]:
    async with operator_store(settings) as store:
        return (await store.list_tasks(None, limit=limit, status=status)).items


async def resolve_task_id(store: Store, task_id: str) -> str:
    """The full id for a task id or a unique prefix of one; fails listing the matches."""
    matches = await store.task_ids_with_prefix(task_id.strip(), limit=6)
    if task_id.strip().lower() in matches:
        return task_id.strip().lower()
    if not matches:
        fail(f"no task {task_id}\nhint: `learnpath tasks` lists recent task ids")
    if len(matches) > 1:
        shown = ", ".join(matches[:5]) + (", ..." if len(matches) > 5 else "")
        fail(f"task id prefix {task_id!r} is ambiguous: {shown}\nhint: type more characters")
    return matches[0]


async def show_task(settings: Settings, task_id: str) -> tuple[TaskRecord, list[EventRecord]]:
    async with operator_store(settings) as store:
        task_id = await resolve_task_id(store, task_id)
        return await store.get_task(task_id), await store.events_after(task_id)


async def review(settings: Settings, task_id: str, *, approve: bool, feedback: str | None) -> None:
    async with operator_store(settings) as store:
        task_id = await resolve_task_id(store, task_id)
        task = await store.get_task(task_id)
        decision = ReviewDecision(decision="approve" if approve else "reject", feedback=feedback)
        await submit_review(store, task_id, task.user_id, decision)


async def cancel(settings: Settings, task_id: str) -> TaskStatus:
    async with operator_store(settings) as store:
        return await store.cancel_task(await resolve_task_id(store, task_id), None)


async def retry(settings: Settings, task_id: str) -> None:
    async with operator_store(settings) as store:
        await store.retry_task(await resolve_task_id(store, task_id), None)


def render_tasks(items: list[TaskRecord]) -> None:
    table = Table(title=f"{len(items)} task(s)")
    for column in ("task", "status", "step"):
        table.add_column(column, no_wrap=True)
    table.add_column("goal")
    table.add_column("created", no_wrap=True)
    for task in items:
        table.add_row(
            task.id, task.status, task.current_step, task.goal[:50], _when(task.created_at)
        )
    out.print(table)


def render_task(task: TaskRecord, events: list[EventRecord]) -> None:
    """A task as a reader wants it: a summary, then its event log one line an event."""
    out.print(f"[bold]{task.id}[/]", highlight=False)
    out.print(f"  goal      {task.goal}", highlight=False)
    out.print(f"  status    {task.status}  (step: {task.current_step})", highlight=False)
    out.print(f"  progress  {task.progress_done}/{task.progress_total} concepts")
    out.print(f"  roadmap   {task.roadmap_id or '-'}", highlight=False)
    out.print(f"  created   {_when(task.created_at)}")
    if task.error:
        out.print(
            f"  [red]error[/]     at {task.error.step} ({task.error.code}): {task.error.message}"
        )
    if events:
        out.print("events:")
    for event in events:
        out.print(
            f"  {event.seq:>4} {_when(event.created_at)} {event.type}{_event_detail(event.data)}",
            highlight=False,
        )


def _event_detail(data: dict[str, Any]) -> str:
    if not data:
        return ""
    parts = []
    for key, value in data.items():
        text = f"{len(value)} item(s)" if isinstance(value, (dict, list)) else str(value)
        parts.append(f"{key}={text[:80]}")
    return "  " + " ".join(parts)


def task_dict(task: TaskRecord) -> dict[str, Any]:
    """A task as plain JSON-ready data (what `tasks --json` and `show --json` print)."""
    return {
        "id": task.id,
        "status": str(task.status),
        "current_step": str(task.current_step),
        "goal": task.goal,
        "roadmap_id": task.roadmap_id,
        "progress_done": task.progress_done,
        "progress_total": task.progress_total,
        "error": asdict(task.error) if task.error else None,
        "created_at": task.created_at.isoformat(),
        "updated_at": task.updated_at.isoformat(),
        "finished_at": task.finished_at.isoformat() if task.finished_at else None,
    }


def event_dict(event: EventRecord) -> dict[str, Any]:
    """An event as plain JSON-ready data."""
    return {
        "seq": event.seq,
        "type": event.type,
        "data": event.data,
        "created_at": event.created_at.isoformat(),
    }


def _when(moment: dt.datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


__all__ = ["err"]
