"""Prometheus metrics: queue health from the database, and HTTP latency per route.

Each app has its own ``CollectorRegistry`` (no process globals), so several apps in
one process (tests) never share counters. Queue numbers are read from
``store.queue_report()`` at scrape time: the database is the truth, and every API
node reports the same values.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    Metric,
    SummaryMetricFamily,
)
from prometheus_client.registry import Collector

from learnpath.domain.quota import LIMITS
from learnpath.store import QueueReport, Store

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class _QueueCollector(Collector):
    """Turns the latest queue report into metric families."""

    def __init__(self) -> None:
        self.report: QueueReport | None = None

    def collect(self) -> Iterator[Metric]:
        report = self.report
        if report is None:
            return
        tasks = GaugeMetricFamily("learnpath_tasks", "Tasks by status", labels=["status"])
        for status, count in sorted(report.tasks_by_status.items()):
            tasks.add_metric([status], count)
        yield tasks
        jobs = GaugeMetricFamily("learnpath_jobs", "Jobs by state", labels=["state"])
        for state, count in sorted(report.jobs_by_state.items()):
            jobs.add_metric([state], count)
        yield jobs
        yield GaugeMetricFamily(
            "learnpath_oldest_queued_job_age_seconds",
            "Age of the oldest queued job (0 when none is queued)",
            value=report.oldest_queued_age_s or 0.0,
        )
        yield GaugeMetricFamily(
            "learnpath_expired_leases",
            "Running jobs whose lease expired (the reconciler requeues them)",
            value=report.expired_leases,
        )
        yield GaugeMetricFamily(
            "learnpath_unpublished_jobs",
            "Queued jobs not yet handed to the broker",
            value=report.unpublished_jobs,
        )
        yield GaugeMetricFamily(
            "learnpath_published_unclaimed_jobs",
            "Jobs published but not claimed within the deadline",
            value=report.published_unclaimed,
        )
        durations = SummaryMetricFamily(
            "learnpath_step_duration_seconds",
            "Duration of recent finished step runs",
            labels=["step"],
        )
        for step, stats in sorted(report.step_durations.items()):
            durations.add_metric([step], count_value=int(stats["count"]), sum_value=stats["sum_s"])
        yield durations
        tokens = CounterMetricFamily(
            "learnpath_model_tokens", "Model tokens used by all step runs", labels=["kind"]
        )
        tokens.add_metric(["input"], report.model_usage.get("input_tokens", 0))
        tokens.add_metric(["output"], report.model_usage.get("output_tokens", 0))
        yield tokens
        attempts = CounterMetricFamily(
            "learnpath_model_requests",
            "HTTP attempts to a model by agent and outcome (answered, retried_429, timed_out…)",
            labels=["agent", "outcome"],
        )
        for agent, outcomes in sorted(report.model_attempts.items()):
            for outcome, count in sorted(outcomes.items()):
                attempts.add_metric([agent, outcome], count)
        yield attempts
        agent_tokens = CounterMetricFamily(
            "learnpath_agent_tokens", "Model tokens by agent", labels=["agent", "kind"]
        )
        for agent, kinds in sorted(report.agent_tokens.items()):
            for kind, count in sorted(kinds.items()):
                agent_tokens.add_metric([agent, kind], count)
        yield agent_tokens
        refusals = CounterMetricFamily(
            "learnpath_quota_refusals",
            "Submits refused by a per-user quota, by limit (active_tasks, submits_per_minute)",
            labels=["limit"],
        )
        for limit in LIMITS:
            refusals.add_metric([limit], report.quota_refusals.get(limit, 0))
        yield refusals


class Metrics:
    """The app's metric registry and the instruments the middleware observes."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.http_latency = Histogram(
            "learnpath_http_request_duration_seconds",
            "HTTP request latency by method, route template and status",
            labelnames=["method", "route", "status"],
            registry=self.registry,
        )
        self._queue = _QueueCollector()
        self.registry.register(self._queue)

    async def render(self, store: Store, *, publish_deadline_s: float) -> bytes:
        """Read the queue report and render every metric in the text exposition format."""
        self._queue.report = await store.queue_report(publish_deadline_s=publish_deadline_s)
        return generate_latest(self.registry)
