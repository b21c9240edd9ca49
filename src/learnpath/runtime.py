"""Assembles learnpath from settings: store, agents, workflow and the executor of the mode."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Protocol

from learnpath.agents import AgentTeam, build_team
from learnpath.dispatch.local import LocalExecutor
from learnpath.settings import Executor, Settings
from learnpath.store import Store, open_store
from learnpath.store.migrate import upgrade
from learnpath.workflow import Workflow


class Background(Protocol):
    """What runs next to the API or CLI: the local executor, or the Celery relay."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass
class Runtime:
    settings: Settings
    store: Store
    team: AgentTeam
    workflow: Workflow
    background: Background | None = None


def make_workflow(settings: Settings, store: Store, team: AgentTeam | None = None) -> Workflow:
    return Workflow(
        store,
        team or build_team(settings),
        max_edit_rounds=settings.max_edit_rounds,
        content_concurrency=settings.content_concurrency,
    )


def make_background(settings: Settings, store: Store, workflow: Workflow) -> Background:
    """The local executor (embedded) or the relay that publishes jobs to Celery."""
    if settings.executor is Executor.CELERY:
        from learnpath.dispatch.relay import Relay

        return Relay(store, settings)
    return LocalExecutor(
        store,
        workflow.run,
        concurrency=settings.worker_concurrency,
        poll_seconds=settings.poll_seconds,
    )


@asynccontextmanager
async def open_runtime(
    settings: Settings,
    *,
    background: bool = True,
    team: AgentTeam | None = None,
    migrate: bool = True,
    pool_size: int = 10,
) -> AsyncIterator[Runtime]:
    """Open the store (migrating it to the newest schema), and start the background part."""
    store = open_store(settings, pool_size=pool_size)
    try:
        if migrate:
            await upgrade(store.engines.writer)
        workflow = make_workflow(settings, store, team)
        runtime = Runtime(settings=settings, store=store, team=workflow.team, workflow=workflow)
        if background:
            runtime.background = make_background(settings, store, workflow)
            await runtime.background.start()
        try:
            yield runtime
        finally:
            if runtime.background is not None:
                await runtime.background.stop()
    finally:
        await store.close()
