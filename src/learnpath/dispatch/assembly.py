"""The job handler every executor runs: the workflow, built from settings.

Its own module so that a Celery worker (``dispatch.worker_loop``) and the choice of
executor (``dispatch.executors``) can both build it without importing each other.
"""

from __future__ import annotations

from learnpath.agents import AgentTeam, build_team
from learnpath.settings import Settings
from learnpath.store import Store
from learnpath.workflow import Workflow


def make_workflow(settings: Settings, store: Store, team: AgentTeam | None = None) -> Workflow:
    """The workflow a job runs, with the agent team ``settings`` name unless ``team`` is given."""
    return Workflow(
        store,
        team or build_team(settings),
        max_edit_rounds=settings.max_edit_rounds,
        content_concurrency=settings.content_concurrency,
    )
