"""Executors by mode, built from settings: the one place that picks how jobs are run.

* embedded (``LEARNPATH_EXECUTOR=local``): a ``LocalExecutor`` in the process runs the
  workflows itself;
* Celery (``LEARNPATH_EXECUTOR=celery``): a ``Relay`` publishes committed jobs to the
  broker, and ``learnpath worker`` processes run them (``dispatch.worker_loop``).

The runtime asks ``make_executor`` for the part that runs next to the API or the CLI; a
Celery worker builds its workflow with ``assembly.make_workflow``. Dispatch does not
import the runtime module: the runtime is built from dispatch, not the other way round.
"""

from __future__ import annotations

from typing import Protocol

from learnpath.dispatch.local import LocalExecutor
from learnpath.settings import Executor, Settings
from learnpath.store import Store
from learnpath.workflow import Workflow


class Background(Protocol):
    """What runs next to the API or CLI: the embedded executor, or the Celery relay."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def make_executor(settings: Settings, store: Store, workflow: Workflow) -> Background:
    """The embedded executor, or in Celery mode the relay that publishes jobs to the workers."""
    if settings.executor is Executor.CELERY:
        from learnpath.dispatch.relay import Relay  # imports Celery, only in Celery mode

        return Relay(store, settings)
    return LocalExecutor(
        store,
        workflow.run,
        concurrency=settings.worker_concurrency,
        poll_seconds=settings.poll_seconds,
    )
