"""Intake: how many roadmap submissions per second one ``learnpath serve`` takes into PostgreSQL.

    .venv/bin/python bench/intake.py [--seconds 10] [--clients 8] [--json out.json]

One ``learnpath serve --executor celery`` process on a fresh PostgreSQL database (dropped
afterwards): the API and its relay, which publishes every job to Redis; no worker runs,
so jobs only queue. Clients are keep-alive HTTP/1.1 connections written by hand on
asyncio streams (a full HTTP client would spend more CPU than the server on this
2-core machine), each submitting ``POST /api/v1/roadmaps/generate`` as fast as the answers
come back, as one user with a token. Quotas are raised so none refuses.

Printed: submissions accepted, per second, latency p50/p99, the server's CPU seconds per
submission, and what is left unpublished when the run ends. ``--baseline`` also runs
the design learnpath replaced (``bench/baseline_intake.py``: FastAPI, a fresh
SQLAlchemy session per request, "commit the row, then ``.delay()``") on the same
database server and broker, side by side.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PG = os.environ.get("LEARNPATH_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
REDIS = os.environ.get("LEARNPATH_BENCH_REDIS", "redis://127.0.0.1:6379/12")
BODY = json.dumps({"goal": "Become a backend engineer in 6 months", "hours_per_week": 8}).encode()


# uvicorn raises SIGTERM again after its graceful shutdown; exiting from our own handler
# lets the profile be written.
PROFILED = """
import cProfile, signal, sys
from learnpath.cli import main
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
sys.argv[0] = "learnpath"
profile = cProfile.Profile()
profile.enable()
try:
    main()
finally:
    profile.disable()
    profile.dump_stats({path!r})
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def psql(sql: str) -> None:
    subprocess.run(
        ["psql", PG + "/postgres", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql],
        check=True,
        capture_output=True,
    )


def server_cpu(pid: int) -> float:
    """User + system CPU seconds of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def wait_ready(port: int, deadline: float = 60.0) -> None:
    start = time.monotonic()
    while time.monotonic() - start < deadline:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            await writer.drain()
            line = await reader.readline()
            writer.close()
            if b" 200 " in line:
                return
        except OSError:
            pass
        await asyncio.sleep(0.2)
    raise RuntimeError(f"the server on port {port} did not become ready")


async def client(port: int, token: str, until: float, latencies: list[float]) -> int:
    """Submit over one keep-alive connection until ``until``; returns accepted submits."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = (
        "POST /api/v1/roadmaps/generate HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(BODY)}\r\n\r\n"
    ).encode()
    accepted = 0
    try:
        while time.monotonic() < until:
            sent = time.perf_counter()
            writer.write(head + BODY)
            await writer.drain()
            status = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            if b" 202 " not in status:
                raise RuntimeError(f"submit answered {status.decode().strip()}")
            latencies.append(time.perf_counter() - sent)
            accepted += 1
    finally:
        writer.close()
    return accepted


def start_server(
    kind: str, env: dict[str, str], port: int, log: Any, profile: Path | None
) -> subprocess.Popen[bytes]:
    if kind == "learnpath":
        serve = ["serve", "--executor", "celery", "--port", str(port)]
        args = [sys.executable, "-c", PROFILED.format(path=str(profile)), *serve]
        if profile is None:
            args = [str(REPO / ".venv/bin/learnpath"), *serve]
    else:
        args = [sys.executable, str(REPO / "bench/baseline_intake.py"), str(port)]
    return subprocess.Popen(
        args, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def make_token(env: dict[str, str]) -> str:
    cli = str(REPO / ".venv/bin/learnpath")
    subprocess.run([cli, "db", "upgrade"], env=env, check=True, capture_output=True)
    out = subprocess.run(
        [cli, "user", "create", f"bench-{uuid.uuid4().hex[:6]}"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip().splitlines()[-1]


async def measure(
    kind: str, seconds: float, clients: int, profile: Path | None = None
) -> dict[str, Any]:
    database = f"lp_bench_intake_{uuid.uuid4().hex[:8]}"
    psql(f"CREATE DATABASE {database}")
    port = free_port()
    env = {
        **os.environ,
        "LEARNPATH_DATABASE_URL": f"{PG.replace('postgresql://', 'postgresql+asyncpg://')}/{database}",
        "LEARNPATH_BROKER_URL": REDIS,
        "LEARNPATH_USER_MAX_ACTIVE_TASKS": "1000000",
        "LEARNPATH_USER_SUBMITS_PER_MINUTE": "1000000",
        "LEARNPATH_DATA_DIR": tempfile.mkdtemp(prefix="lp-bench-intake-"),
    }
    descriptor, log_path = tempfile.mkstemp(prefix=f"lp-intake-{kind}-", suffix=".log")
    log = os.fdopen(descriptor, "wb")
    process = None
    try:
        token = make_token(env)
        process = start_server(kind, env, port, log, profile)
        await wait_ready(port)
        # Warm up (connections, caches), then measure.
        await asyncio.gather(
            *(client(port, token, time.monotonic() + 1.0, []) for _ in range(clients))
        )
        latencies: list[float] = []
        cpu_before = server_cpu(process.pid)
        started = time.monotonic()
        counts = await asyncio.gather(
            *(client(port, token, started + seconds, latencies) for _ in range(clients))
        )
        elapsed = time.monotonic() - started
        cpu = server_cpu(process.pid) - cpu_before
        accepted = sum(counts)
        latencies.sort()
        return {
            "accepted": accepted,
            "per_second": round(accepted / elapsed, 1),
            "p50_ms": round(statistics.median(latencies) * 1000, 2),
            "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
            "server_cpu_ms_per_submit": round(cpu / accepted * 1000, 3),
            "log": log_path,
        }
    finally:
        if process is not None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log.close()
        psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds")
    parser.add_argument("--clients", type=int, default=8, help="concurrent connections")
    parser.add_argument("--baseline", action="store_true", help="also run the replaced design")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    parser.add_argument("--profile", type=Path, default=None, help="cProfile learnpath to here")
    args = parser.parse_args()
    kinds = ["learnpath"] + (["baseline"] if args.baseline else [])
    results = {
        kind: asyncio.run(measure(kind, args.seconds, args.clients, args.profile)) for kind in kinds
    }
    print(f"intake, {args.clients} clients, {args.seconds:g} s each")
    print(f"{'system':<10} {'accepted':>9} {'per_s':>8} {'p50_ms':>8} {'p99_ms':>8} {'cpu_ms':>8}")
    for kind, figures in results.items():
        print(
            f"{kind:<10} {figures['accepted']:>9} {figures['per_second']:>8} "
            f"{figures['p50_ms']:>8} {figures['p99_ms']:>8} "
            f"{figures['server_cpu_ms_per_submit']:>8}"
        )
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
