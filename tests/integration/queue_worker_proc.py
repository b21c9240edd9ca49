"""A worker process for the queue tests: a ``LocalExecutor`` running the real workflow.

Run as ``python queue_worker_proc.py DATABASE_URL --ready FILE --block-in CALL``: the
TinyTeam blocks forever in ``CALL`` (e.g. ``curriculum``) after writing ``FILE``, so the
test knows the job is mid-step and can kill this process with SIGKILL.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from learnpath.dispatch.local import LocalExecutor
from learnpath.settings import Settings
from learnpath.store import open_store
from learnpath.testing.teams import TinyTeam
from learnpath.workflow import Workflow


async def serve(url: str, *, ready: Path, block_in: str, lease_seconds: float, owner: str) -> None:
    settings = Settings(
        _env_file=None, database_url=url, lease_seconds=lease_seconds, poll_seconds=0.2
    )
    store = open_store(settings, pool_size=2)

    async def hook(name: str, _subject: object) -> None:
        if name == block_in:
            ready.write_text("blocked\n")
            await asyncio.Event().wait()

    executor = LocalExecutor(
        store,
        Workflow(store, TinyTeam(hook=hook)).run,
        poll_seconds=0.2,
        owner=owner,
        reconcile=False,
    )
    await executor.start()
    await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--ready", type=Path, required=True)
    parser.add_argument("--block-in", default="curriculum")
    parser.add_argument("--lease-seconds", type=float, default=2.0)
    parser.add_argument("--owner", default="doomed-worker")
    args = parser.parse_args()
    asyncio.run(
        serve(
            args.url,
            ready=args.ready,
            block_in=args.block_in,
            lease_seconds=args.lease_seconds,
            owner=args.owner,
        )
    )


if __name__ == "__main__":
    main()
