"""Worker CPU per model call: what one worker process spends on itself, not on the model.

    .venv/bin/python bench/percall.py [--n 10] [--only sqlite-offline,...] [--profile]
                                      [--statements 15] [--json out.json]

Runs ``--n`` roadmaps (a goal the offline model turns into 24 concepts) in ONE process
with the embedded executor (``LocalExecutor``), for each configuration:

* database: SQLite (a file in a temporary directory) and PostgreSQL (``LEARNPATH_BENCH_PG``,
  default ``postgresql://postgres@127.0.0.1:5432``; a fresh database, dropped afterwards);
* model: the offline model (no HTTP), and the fake OpenAI-compatible server
  (``learnpath.testing.fake_llm``) at zero latency, run in a child process so that its
  CPU is not counted as the worker's (it is printed separately).

The tasks are submitted first (intake is not the worker's cost), one warm-up roadmap
runs before the measurement (``--warmup``), then the measured roadmaps run all at once.
The ``agents-offline`` and ``agents-fake`` configurations measure the agent layer alone:
the team's content calls for ``--n`` roadmaps (4 at once per roadmap, as the engine runs
them), with no store and no engine, so the rest of a full configuration's CPU is theirs.
Per configuration it prints: roadmaps, model calls (every HTTP attempt, counted by the
usage tally), content items, process CPU seconds (all threads, ``time.process_time``),
CPU ms per model call, SQL statements and transactions per roadmap and per content item
(counted by SQLAlchemy ``before_cursor_execute``/``begin``/``commit``/``rollback`` events on
the store's engines; SQLite's explicit ``BEGIN`` is counted as a transaction, not as a
statement), and wall time.

``--statements K`` also lists the K most frequent SQL statements per roadmap.
``--profile`` then runs another ``--n`` roadmaps under ``cProfile`` and splits the CPU by
layer (the store, SQLAlchemy, the database driver, pydantic-ai, the OpenAI SDK, the HTTP
client, pydantic, the offline model, the engine, the event loop, ...): each function's own
thread CPU time goes to the layer of its file, a C function's to the layers of its
callers. Only the event loop's thread is profiled; its shares are scaled to its unprofiled
CPU per call, and the other threads' CPU (aiosqlite runs SQLite in a thread) is its own row.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from learnpath.dispatch.local import LocalExecutor
from learnpath.llm.usage import track_usage
from learnpath.runtime import make_workflow
from learnpath.settings import Settings
from learnpath.store import Store, open_store
from learnpath.store.migrate import upgrade

PG = os.environ.get("LEARNPATH_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
GOAL = "Become a backend engineer in 6 months, 8 h/week, I know some Python"
DATABASES = ("sqlite", "postgres")
MODELS = ("offline", "fake")
CONFIGS = tuple(f"{db}-{model}" for db in (*DATABASES, "agents") for model in MODELS)
TARGET_MS_PER_CALL = 3.0
TERMINAL = ("completed", "partial_failure", "failed", "canceled")


@dataclass
class Figures:
    """One configuration's measurement."""

    config: str
    roadmaps: int
    completed: int
    model_calls: int
    content_items: int
    cpu_s: float
    main_thread_cpu_s: float
    wall_s: float
    statements: int
    transactions: int
    write_transactions: int
    server_cpu_s: float | None = None
    last_task: str = ""
    top_statements: list[tuple[str, int]] = field(default_factory=list)
    store_reads: dict[str, float] = field(default_factory=dict)
    layers: dict[str, float] = field(default_factory=dict)

    @property
    def cpu_ms_per_call(self) -> float:
        return 1000 * self.cpu_s / max(1, self.model_calls)

    def per_roadmap(self, value: float) -> float:
        return value / max(1, self.roadmaps)

    def per_item(self, value: float) -> float:
        return value / max(1, self.content_items)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["cpu_ms_per_call"] = round(self.cpu_ms_per_call, 3)
        data["statements_per_roadmap"] = round(self.per_roadmap(self.statements), 1)
        data["statements_per_item"] = round(self.per_item(self.statements), 2)
        data["transactions_per_roadmap"] = round(self.per_roadmap(self.transactions), 1)
        data["transactions_per_item"] = round(self.per_item(self.transactions), 2)
        return data


# --- SQL counting ----------------------------------------------------------------------


class SqlCounter:
    """Counts statements and transactions on the store's engines while ``active``."""

    def __init__(self, store: Store) -> None:
        self.active = False
        self.statements = 0
        self.transactions = 0
        self.write_transactions = 0
        self.by_text: Counter[str] = Counter()
        engines = {id(e): e for e in (store.engines.writer, store.engines.reader)}
        for engine in engines.values():
            self._listen(engine)

    def _listen(self, engine: AsyncEngine) -> None:
        sync = engine.sync_engine

        @event.listens_for(sync, "begin")
        def _begin(conn: Any) -> None:
            conn.info["bench_writes"] = False
            if self.active:
                self.transactions += 1

        @event.listens_for(sync, "before_cursor_execute")
        def _execute(
            conn: Any, _cursor: Any, statement: str, _params: Any, _ctx: Any, many: bool
        ) -> None:
            text = statement.lstrip()
            if text.upper().startswith("BEGIN"):
                return  # SQLite's explicit BEGIN: counted as the transaction it opens
            if not text.upper().startswith(("SELECT", "WITH")) or " FOR UPDATE" in text:
                conn.info["bench_writes"] = True
            if self.active:
                self.statements += 1
                self.by_text[_shorten(text)] += 1

        def _end(conn: Any) -> None:
            if self.active and conn.info.pop("bench_writes", False):
                self.write_transactions += 1

        event.listen(sync, "commit", _end)
        event.listen(sync, "rollback", _end)


def _shorten(statement: str) -> str:
    """A statement's text on one line, its literal lists collapsed, cut to 110 characters."""
    text = re.sub(r"\s+", " ", statement)
    text = re.sub(r"\((?:\$\d+|\?|%\(\w+\)s)(?:, (?:\$\d+|\?|%\(\w+\)s))+\)", "(...)", text)
    text = re.sub(r"__\[POSTCOMPILE_\w+\]", "(...)", text)
    return text[:110]


# --- the fake server, in its own process ------------------------------------------------


SERVER_SCRIPT = """
import sys
from learnpath.testing.fake_llm import FakeLLMServer
with FakeLLMServer(latency=0.0) as server:
    print(server.model_setting, flush=True)
    sys.stdin.read()
"""


class ServerProcess:
    """The fake OpenAI-compatible server in a child process (its CPU is not the worker's)."""

    def __enter__(self) -> ServerProcess:
        self.process = subprocess.Popen(
            [sys.executable, "-c", SERVER_SCRIPT],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.model_setting = self.process.stdout.readline().strip()
        if not self.model_setting.startswith("http"):
            raise RuntimeError("the fake model server did not start")
        return self

    def cpu_seconds(self) -> float:
        """User + system CPU of the server process so far (Linux ``/proc``)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def __exit__(self, *_: object) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# --- databases ---------------------------------------------------------------------------


@contextmanager
def database(kind: str) -> Iterator[str]:
    """A fresh database URL of ``kind``, removed on exit."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite+aiosqlite:///{tmp}/percall.db"
        return
    import psycopg

    name = f"lp_percall_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+asyncpg://{PG.split('://', 1)[1]}/{name}"
    finally:
        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- one configuration ---------------------------------------------------------------------


async def measure_agents(
    config: str,
    n: int,
    *,
    profile: bool,
    profile_dir: Path | None,
    model: str,
    server: ServerProcess | None,
) -> Figures:
    """The agent layer alone: ``n`` roadmaps' content calls straight on the team."""
    from learnpath.agents import ConceptBrief, build_team
    from learnpath.domain.request import LearningRequest

    settings = Settings(_env_file=None, model=model, model_concurrency=1024)
    team = build_team(settings)
    request = LearningRequest.model_validate({"goal": GOAL})
    intent = await team.analyse_intent(request)
    framework = await team.design_curriculum(request, intent)
    briefs = [
        ConceptBrief.of(request, intent, framework, located) for located in framework.concepts()
    ]
    writers = (team.write_tutorial, team.recommend_resources, team.write_quiz)
    gate = asyncio.Semaphore(4 * n)

    async def one(brief: ConceptBrief, writer: Any) -> None:
        async with gate:
            await writer(brief)

    async def batch(roadmaps: int) -> int:
        with track_usage() as usage:
            await asyncio.gather(
                *(one(b, w) for _ in range(roadmaps) for b in briefs for w in writers)
            )
        return sum(count for _, _, count in usage.attempts())

    await batch(1)  # warm-up
    server_cpu = server.cpu_seconds() if server is not None else 0.0
    wall, cpu, main = time.perf_counter(), time.process_time(), time.thread_time()
    calls = await batch(n)
    main = time.thread_time() - main
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    figures = Figures(
        config=config,
        roadmaps=n,
        completed=n,
        model_calls=calls,
        content_items=calls,
        cpu_s=cpu,
        main_thread_cpu_s=main,
        wall_s=wall,
        statements=0,
        transactions=0,
        write_transactions=0,
        server_cpu_s=server.cpu_seconds() - server_cpu if server is not None else None,
    )
    if profile:
        profiler = cProfile.Profile(time.thread_time)
        profiler.enable()
        await batch(n)
        profiler.disable()
        if profile_dir is not None:
            profile_dir.mkdir(parents=True, exist_ok=True)
            profiler.dump_stats(profile_dir / f"{config}.prof")
        figures.layers = scaled_layers(figures, pstats.Stats(profiler))
    await team.aclose()
    return figures


async def measure(
    config: str,
    n: int,
    warmup: int,
    *,
    profile: bool,
    profile_dir: Path | None,
    model: str,
    server: ServerProcess | None,
    store_costs: bool = False,
) -> Figures:
    kind = config.split("-", 1)[0]
    with database(kind) as url, tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(
            _env_file=None,
            data_dir=Path(data_dir),
            database_url=url,
            model=model,
            model_concurrency=1024,
            user_max_active_tasks=1_000_000,
            user_submits_per_minute=1_000_000,
            poll_seconds=0.5,
        )
        store = open_store(settings, pool_size=10)
        try:
            await upgrade(store.engines.writer)
            counter = SqlCounter(store)
            workflow = make_workflow(settings, store)
            executor = LocalExecutor(store, workflow.run, poll_seconds=settings.poll_seconds)
            if warmup:
                await run_batch(store, executor, warmup)
            figures = await measured_batch(config, store, executor, counter, n, server)
            if store_costs:
                figures.store_reads = await time_store_reads(store, figures.last_task)
            if profile:
                profiler = cProfile.Profile(time.thread_time)
                profiler.enable()
                profiled = await run_batch(store, executor, n)
                profiler.disable()
                if profile_dir is not None:
                    profile_dir.mkdir(parents=True, exist_ok=True)
                    profiler.dump_stats(profile_dir / f"{config}.prof")
                figures.layers = scaled_layers(figures, pstats.Stats(profiler))
                if profiled[1] != figures.model_calls:
                    print(f"  ({config}: the profiled run made {profiled[1]} model calls)")
            await workflow.team.aclose()
            return figures
        finally:
            await store.close()


async def submit(store: Store, n: int) -> list[str]:
    user = await store.local_user()
    ids = []
    for i in range(n):
        task, _ = await store.submit_task(user_id=user.id, request={"goal": f"{GOAL} ({i})"})
        ids.append(task.id)
    return ids


async def run_batch(store: Store, executor: LocalExecutor, n: int) -> tuple[list[str], int]:
    """Submit ``n`` roadmaps and run them to the end; the task ids and the model calls."""
    ids = await submit(store, n)
    with track_usage() as usage:
        await executor.run_until_idle(timeout=3600)
    return ids, sum(count for _, _, count in usage.attempts())


async def measured_batch(
    config: str,
    store: Store,
    executor: LocalExecutor,
    counter: SqlCounter,
    n: int,
    server: ServerProcess | None,
) -> Figures:
    ids = await submit(store, n)
    server_cpu = server.cpu_seconds() if server is not None else 0.0
    counter.active = True
    wall, cpu, main = time.perf_counter(), time.process_time(), time.thread_time()
    with track_usage() as usage:
        await executor.run_until_idle(timeout=3600)
    main = time.thread_time() - main
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    counter.active = False
    server_cpu = server.cpu_seconds() - server_cpu if server is not None else 0.0
    completed = items = 0
    for task_id in ids:
        task = await store.get_task(task_id)
        if task.status not in TERMINAL:
            raise RuntimeError(f"task {task_id} did not finish: {task.status}")
        completed += task.status == "completed"
        if task.roadmap_id is not None:
            items += len(await store.latest_content(task.roadmap_id))
    return Figures(
        config=config,
        roadmaps=n,
        completed=completed,
        model_calls=sum(count for _, _, count in usage.attempts()),
        content_items=items,
        cpu_s=cpu,
        main_thread_cpu_s=main,
        wall_s=wall,
        statements=counter.statements,
        transactions=counter.transactions,
        write_transactions=counter.write_transactions,
        server_cpu_s=server_cpu if server is not None else None,
        top_statements=counter.by_text.most_common(),
        last_task=ids[-1],
    )


#: How often each store read is repeated by ``time_store_reads``.
READ_REPEATS = 200


async def time_store_reads(store: Store, task_id: str) -> dict[str, float]:
    """CPU ms of one call of the reads the engine repeats, on a finished roadmap.

    ``is_cancel_requested`` runs before every content item, ``latest_content_statuses`` is
    the progress read in every ``save_content`` (it returns every item of the roadmap), and
    ``load_run_state`` runs before every step.
    """
    from learnpath.store.runs import latest_content_statuses

    task = await store.get_task(task_id)
    roadmap_id = task.roadmap_id
    assert roadmap_id is not None

    async def progress_read() -> None:
        async with store.read() as conn:
            await latest_content_statuses(conn, roadmap_id)

    async def cancel_poll() -> None:
        await store.is_cancel_requested(task_id)

    async def run_state() -> None:
        await store.load_run_state(task_id)

    reads: dict[str, Callable[[], Awaitable[None]]] = {
        "is_cancel_requested": cancel_poll,
        "latest_content_statuses": progress_read,
        "load_run_state": run_state,
    }
    result = {}
    for name, read in reads.items():
        await read()
        cpu = time.process_time()
        for _ in range(READ_REPEATS):
            await read()
        result[name] = 1000 * (time.process_time() - cpu) / READ_REPEATS
    return result


# --- profile by layer ----------------------------------------------------------------------

#: (layer, substrings of a source path), the first match wins.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("offline model", ("learnpath/llm/offline", "learnpath/llm/topics", "learnpath/llm/catalog")),
    ("learnpath store", ("learnpath/store/",)),
    ("engine + executor", ("learnpath/workflow/", "learnpath/dispatch/")),
    ("learnpath agents + llm", ("learnpath/agents/", "learnpath/llm/")),
    ("learnpath domain", ("learnpath/domain/",)),
    ("SQLAlchemy", ("sqlalchemy/",)),
    ("database driver", ("asyncpg/", "aiosqlite/", "sqlite3/", "greenlet")),
    ("pydantic-ai", ("pydantic_ai/", "pydantic_graph/", "genai_prices/")),
    ("instrumentation", ("opentelemetry/", "logfire", "logfire_api/")),
    ("OpenAI SDK", ("openai/",)),
    ("HTTP client", ("httpx", "httpcore", "h11/", "ssl.py", "socket.py")),
    ("pydantic", ("pydantic/", "pydantic_core/", "typing_inspection/")),
    ("json", ("json/", "jiter")),
    ("anyio (task groups)", ("anyio/", "sniffio/")),
    (
        "stdlib: dataclasses, copy, typing",
        ("dataclasses.py", "copy.py", "typing.py", "contextlib.py"),
    ),
    ("event loop", ("asyncio/", "selectors.py", "uvloop")),
    ("logging", ("logging/",)),
    ("threads", ("threading.py", "concurrent/", "queue.py")),
)


def layer_of(filename: str) -> str | None:
    """The layer of a source file; None for C functions (they take their callers' layer)."""
    if filename == "~" or filename.startswith("<"):
        return None
    path = filename.replace("\\", "/")
    for layer, marks in LAYERS:
        if any(mark in path for mark in marks):
            return layer
    return "other Python"


def layer_shares(stats: pstats.Stats) -> dict[str, float]:
    """Each layer's share (0..1) of the profiled CPU, by own time."""
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    totals: Counter[str] = Counter()
    for func, (_cc, _nc, own, _cum, callers) in raw.items():
        layer = layer_of(func[0])
        if layer is not None:
            totals[layer] += own
            continue
        # A C function: split its own time over its callers' layers by their call counts.
        weights = Counter[str]()
        for caller, caller_stats in callers.items():
            weights[layer_of(caller[0]) or "C (unattributed)"] += caller_stats[1]
        count = sum(weights.values())
        if not count:
            totals["C (unattributed)"] += own
            continue
        for caller_layer, weight in weights.items():
            totals[caller_layer] += own * weight / count
    grand = sum(totals.values()) or 1.0
    return {layer: share / grand for layer, share in totals.most_common()}


def scaled_layers(figures: Figures, stats: pstats.Stats) -> dict[str, float]:
    """CPU ms per model call by layer: the event loop thread's profile shares, scaled to its
    unprofiled CPU, plus the CPU of the other threads (aiosqlite runs SQLite in one)."""
    calls = max(1, figures.model_calls)
    main_ms = 1000 * figures.main_thread_cpu_s / calls
    layers = {layer: share * main_ms for layer, share in layer_shares(stats).items()}
    layers["other threads (SQLite driver)"] = (
        1000 * (figures.cpu_s - figures.main_thread_cpu_s) / calls
    )
    return layers


# --- output -------------------------------------------------------------------------------


def print_table(results: list[Figures], n: int) -> None:
    print(
        f"{n} roadmaps per configuration, one process, embedded executor; "
        f"target <= {TARGET_MS_PER_CALL:g} ms CPU per model call"
    )
    header = (
        f"{'config':<16} {'done':>5} {'calls':>6} {'items':>6} {'cpu s':>7} "
        f"{'ms/call':>8} {'stmt/rm':>8} {'stmt/item':>9} {'tx/rm':>7} {'tx/item':>7} "
        f"{'wtx/item':>8} {'wall s':>7} {'server s':>8}"
    )
    print(header)
    print("-" * len(header))
    for f in results:
        server = "-" if f.server_cpu_s is None else f"{f.server_cpu_s:.2f}"
        print(
            f"{f.config:<16} {f.completed:>5} {f.model_calls:>6} {f.content_items:>6} "
            f"{f.cpu_s:>7.2f} {f.cpu_ms_per_call:>8.2f} "
            f"{f.per_roadmap(f.statements):>8.1f} {f.per_item(f.statements):>9.2f} "
            f"{f.per_roadmap(f.transactions):>7.1f} {f.per_item(f.transactions):>7.2f} "
            f"{f.per_item(f.write_transactions):>8.2f} {f.wall_s:>7.2f} {server:>8}"
        )


def print_statements(results: list[Figures], limit: int) -> None:
    for f in results:
        if not f.top_statements:
            continue
        print(f"\n{f.config}: the {limit} most frequent statements, per roadmap")
        for text, count in f.top_statements[:limit]:
            print(f"  {count / f.roadmaps:>7.1f}  {text}")


def print_layers(results: list[Figures]) -> None:
    profiled = [f for f in results if f.layers]
    if not profiled:
        return
    layers = sorted(
        {layer for f in profiled for layer in f.layers},
        key=lambda layer: -max(f.layers.get(layer, 0.0) for f in profiled),
    )
    print("\nCPU ms per model call by layer (cProfile own time, scaled to the unprofiled CPU)")
    header = f"{'layer':<34}" + "".join(f" {f.config:>16}" for f in profiled)
    print(header)
    print("-" * len(header))
    for layer in layers:
        cells = "".join(f" {f.layers.get(layer, 0.0):>16.2f}" for f in profiled)
        print(f"{layer:<34}{cells}")
    print(f"{'total':<34}" + "".join(f" {f.cpu_ms_per_call:>16.2f}" for f in profiled))


def print_store_reads(results: list[Figures]) -> None:
    timed = [f for f in results if f.store_reads]
    if not timed:
        return
    print(f"\nCPU ms per call of the reads the engine repeats (mean of {READ_REPEATS})")
    for f in timed:
        cells = ", ".join(f"{name} {ms:.2f}" for name, ms in f.store_reads.items())
        print(f"  {f.config:<16} {cells}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10, help="measured roadmaps per configuration")
    parser.add_argument("--warmup", type=int, default=1, help="roadmaps run before measuring")
    parser.add_argument(
        "--only", default=",".join(CONFIGS), help=f"comma-separated subset of {','.join(CONFIGS)}"
    )
    parser.add_argument("--profile", action="store_true", help="also split the CPU by layer")
    parser.add_argument(
        "--profile-dir", type=Path, default=None, help="with --profile: keep <config>.prof here"
    )
    parser.add_argument("--statements", type=int, default=0, help="list the K most frequent")
    parser.add_argument(
        "--store-costs", action="store_true", help="also time the reads the engine repeats"
    )
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = parser.parse_args()
    configs = [c.strip() for c in args.only.split(",") if c.strip()]
    unknown = set(configs) - set(CONFIGS)
    if unknown:
        parser.error(f"unknown configuration(s): {', '.join(sorted(unknown))}")
    results = asyncio.run(
        run(configs, args.n, args.warmup, args.profile, args.profile_dir, args.store_costs)
    )
    print_table(results, args.n)
    if args.statements:
        print_statements(results, args.statements)
    print_layers(results)
    print_store_reads(results)
    if args.json is not None:
        args.json.write_text(json.dumps([f.as_json() for f in results], indent=2))


async def run(
    configs: list[str],
    n: int,
    warmup: int,
    profile: bool,
    profile_dir: Path | None,
    store_costs: bool = False,
) -> list[Figures]:
    results = []
    for config in configs:
        if config.startswith("agents-"):
            if config.endswith("-fake"):
                with ServerProcess() as server:
                    figures = await measure_agents(
                        config,
                        n,
                        profile=profile,
                        profile_dir=profile_dir,
                        model=server.model_setting,
                        server=server,
                    )
            else:
                figures = await measure_agents(
                    config,
                    n,
                    profile=profile,
                    profile_dir=profile_dir,
                    model="offline",
                    server=None,
                )
        elif config.endswith("-fake"):
            with ServerProcess() as server:
                figures = await measure(
                    config,
                    n,
                    warmup,
                    profile=profile,
                    profile_dir=profile_dir,
                    model=server.model_setting,
                    server=server,
                    store_costs=store_costs,
                )
        else:
            figures = await measure(
                config,
                n,
                warmup,
                profile=profile,
                profile_dir=profile_dir,
                model="offline",
                server=None,
                store_costs=store_costs,
            )
        print(f"  {config}: {figures.cpu_ms_per_call:.2f} ms CPU per model call", flush=True)
        results.append(figures)
    return results


if __name__ == "__main__":
    main()
