"""Assembles learnpath from settings: store, agents, workflow and the executor of the mode."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from learnpath.agents import AgentTeam
from learnpath.dispatch.assembly import make_workflow
from learnpath.dispatch.executors import Background, make_executor
from learnpath.settings import Settings
from learnpath.store import Store, open_store
from learnpath.store.migrate import upgrade
from learnpath.workflow import Workflow

__all__ = ["Background", "Runtime", "make_workflow", "open_runtime"]


@dataclass
class Runtime:
    settings: Settings
    store: Store
    team: AgentTeam
    workflow: Workflow
    background: Background | None = None


@asynccontextmanager
async def open_runtime(
    settings: Settings,
    *,
    background: bool = True,
    team: AgentTeam | None = None,
    migrate: bool = True,
    pool_size: int = 10,
) -> AsyncIterator[Runtime]:
    """Open the store (migrating it to the newest schema), and start the background part.

    The runtime owns its team (``team``, or the one ``settings`` name): it is closed with it.
    """
    store = open_store(settings, pool_size=pool_size)
    try:
        if migrate:
            await upgrade(store.engines.writer)
        workflow = make_workflow(settings, store, team)
        runtime = Runtime(settings=settings, store=store, team=workflow.team, workflow=workflow)
        if background:
            runtime.background = make_executor(settings, store, workflow)
            await runtime.background.start()
        try:
            yield runtime
        finally:
            if runtime.background is not None:
                await runtime.background.stop()
            await runtime.team.aclose()  # the runtime owns the team it runs
    finally:
        await store.close()
