"""Server-rendered web UI: forms, live task progress, review screen and roadmap pages.

``mount(app)`` adds the pages and static assets to an app built by ``create_app``; the
pages read ``app.state.runtime`` and call the same store and workflow functions as the
HTTP API. Every page resolves the user the same way the API does, from a token kept in an
HttpOnly cookie (or the local user when ``LEARNPATH_AUTH=none``).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"


def mount(app: FastAPI) -> None:
    """Add the web pages and ``/static`` to ``app``."""
    from learnpath.web.actions import router as actions_router
    from learnpath.web.live import router as live_router
    from learnpath.web.pages import router as pages_router

    app.include_router(pages_router)
    app.include_router(actions_router)
    app.include_router(live_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")


__all__ = ["mount"]
