"""Goodput under a provider's request rate limit: how much of the limit learnpath turns into answers.

    .venv/bin/python bench/goodput.py --per-minute 1200 --roadmaps 20 [--window 60] [--json out.json]

The fake OpenAI-compatible server (``learnpath.testing.fake_llm``) admits at most
``--per-minute`` requests per minute, as a sliding window of ``--window`` seconds (60 by
default; a shorter window keeps the same rate with smaller bursts and a shorter run), and
answers 429 with ``Retry-After`` beyond it. ``--roadmaps`` roadmaps are submitted at once to
one process with the embedded executor (``LocalExecutor``), on SQLite in a temporary
directory or on ``--database-url``.

Printed: R (the limit per minute), requests attempted, 429s, successes, successes per
minute, goodput as a percentage of R and tasks completed/failed. Goodput is measured while
the provider is the bottleneck: windows are counted from the first admitted request (where
the sliding window's pattern starts), and the whole windows before the last 429 are the
saturated ones (the provider was still refusing, so there was more demand than it admits).
A window admits at most R·window/60 requests, so 100 % means no admission was left unused;
the ramp-up of the first window counts against learnpath.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from learnpath.dispatch.local import LocalExecutor
from learnpath.llm.limits import ProviderLimiter, process_limiter
from learnpath.runtime import make_workflow
from learnpath.settings import Settings
from learnpath.store import open_store
from learnpath.store.migrate import upgrade
from learnpath.testing.fake_llm import FakeLLMServer, RateLimit

REQUEST: dict[str, Any] = {"goal": "Become a backend engineer, I know some Python", "weeks": 26}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--per-minute", type=int, default=1200, help="R: the provider's limit")
    parser.add_argument("--window", type=float, default=60.0, help="sliding window, seconds")
    parser.add_argument("--roadmaps", type=int, default=20, help="roadmaps submitted at once")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="fake model latency")
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp dir")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = parser.parse_args()
    per_window = args.per_minute * args.window / 60.0
    if per_window < 1 or per_window != int(per_window):
        parser.error("--per-minute * --window / 60 must be a whole number of requests")
    limit = RateLimit(requests=int(per_window), window=args.window)
    figures = asyncio.run(run(limit, args.roadmaps, args.latency_ms / 1000, args.database_url))
    print_figures(figures)
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=2))


async def run(
    limit: RateLimit, roadmaps: int, latency: float, database_url: str | None
) -> dict[str, Any]:
    with (
        tempfile.TemporaryDirectory() as tmp,
        FakeLLMServer(latency=latency, rate_limit=limit) as server,
    ):
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            data_dir=Path(tmp),
            database_url=database_url,
            model=server.model_setting,
            user_max_active_tasks=1_000_000,
            user_submits_per_minute=1_000_000,
        )
        store = open_store(settings, pool_size=10)
        await upgrade(store.engines.writer)
        try:
            user = await store.local_user()
            started = time.monotonic()
            ids = [
                (await store.submit_task(user_id=user.id, request={**REQUEST, "weeks": 8 + n}))[
                    0
                ].id
                for n in range(roadmaps)
            ]
            workflow = make_workflow(settings, store)
            executor = LocalExecutor(store, workflow.run, poll_seconds=0.1)
            window = process_limiter(settings.model_concurrency).provider(
                f"openai@{server.base_url}/"
            )
            sampler = asyncio.create_task(sample(window, samples := []))
            cpu = time.process_time()
            await executor.run_until_idle(timeout=24 * 3600)
            cpu = time.process_time() - cpu
            wall = time.monotonic() - started
            sampler.cancel()
            statuses = [(await store.get_task(task_id)).status for task_id in ids]
            await workflow.team.aclose()
        finally:
            await store.close()
        figures = summarise(
            limit, server.admitted_times, server.refused_times, statuses, wall, latency
        )
        figures["process_cpu_s"] = cpu
        figures["window_min_mean_max"] = (
            (min(samples), sum(samples) / len(samples), max(samples)) if samples else None
        )
        return figures


async def sample(window: ProviderLimiter, into: list[float]) -> None:
    """The provider's adaptive window, every tenth of a second."""
    while True:
        into.append(window.window)
        await asyncio.sleep(0.1)


def summarise(
    limit: RateLimit,
    admitted: list[float],
    refused: list[float],
    statuses: list[str],
    wall: float,
    latency: float,
) -> dict[str, Any]:
    first = admitted[0] if admitted else 0.0
    last = max(admitted[-1] if admitted else 0.0, refused[-1] if refused else 0.0)

    def window_of(t: float) -> int:
        return int((t - first) // limit.window)

    per_window = [[0, 0] for _ in range(window_of(last) + 1 if admitted else 0)]
    for t in admitted:
        per_window[window_of(t)][0] += 1
    for t in refused:
        per_window[window_of(t)][1] += 1
    # Whole windows before the last refusal: the provider, not the demand, was the limit.
    saturated = window_of(refused[-1]) if refused else 0
    successes_saturated = sum(ok for ok, _ in per_window[:saturated])
    span = last - first
    return {
        "r_per_minute": limit.per_minute,
        "window_s": limit.window,
        "latency_ms": latency * 1000,
        "roadmaps": len(statuses),
        "attempted": len(admitted) + len(refused),
        "rate_limited_429": len(refused),
        "successes": len(admitted),
        "successes_per_minute": 60.0 * len(admitted) / span if span else None,
        "saturated_windows": saturated,
        "goodput_pct_of_r": (
            100.0 * successes_saturated / (saturated * limit.requests) if saturated else None
        ),
        "completed": statuses.count("completed"),
        "not_completed": len(statuses) - statuses.count("completed"),
        "statuses": sorted({str(status) for status in statuses}),
        "wall_s": wall,
        "admitted_refused_per_window": [tuple(pair) for pair in per_window],
    }


def print_figures(figures: dict[str, Any]) -> None:
    def show(value: Any) -> str:
        return f"{value:.1f}" if isinstance(value, float) else str(value)

    for key, value in figures.items():
        print(f"{key:22} {show(value)}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
