"""The FastAPI application, built explicitly from settings, and ``serve`` to run it."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from fastapi import FastAPI

from learnpath.agents import AgentTeam
from learnpath.api.errors import install_error_handlers
from learnpath.api.metrics import Metrics
from learnpath.api.middleware import (
    BodyLimit,
    HostCheck,
    RequestTiming,
    SecurityHeaders,
    TextGuard,
)
from learnpath.api.openapi import install_openapi
from learnpath.api.retry import RepeatOnDatabaseDrop
from learnpath.api.routes import (
    accounts,
    admin,
    health,
    learning,
    library,
    progress,
    reviews,
    roadmaps,
    tasks,
    workspace,
)
from learnpath.api.sse import StreamLimits, StreamTiming
from learnpath.learning.tutoring import open_tutoring
from learnpath.runtime import Runtime, open_runtime
from learnpath.settings import LOOPBACK_NAMES, AuthMode, Settings, is_loopback
from learnpath.web import mount as mount_web
from learnpath.web import refusal_page

API_PREFIX = "/api/v1"

DESCRIPTION = """\
Generate personalised learning roadmaps as background tasks and follow them live.

Every route under `/api/v1` needs `Authorization: Bearer <token>` (create a user with
`learnpath user create NAME`). Errors are `application/problem+json` documents whose
`code` is stable: branch on it.
"""


def create_app(
    settings: Settings,
    *,
    runtime: Runtime | None = None,
    team: AgentTeam | None = None,
    sse_keepalive_seconds: float = 15.0,
) -> FastAPI:
    """Build the app. Its lifespan opens the runtime (store, executor or relay) from
    ``settings``, unless an already open ``runtime`` is given; ``team`` replaces the
    agent team (tests)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            current = runtime
            if current is None:
                current = await stack.enter_async_context(open_runtime(settings, team=team))
            app.state.runtime = current
            app.state.tutoring = open_tutoring(current)
            stack.push_async_callback(app.state.tutoring.close)
            yield

    app = FastAPI(
        title="learnpath",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # /docs is served from the package's own assets (learnpath.web)
        redoc_url=None,  # ReDoc would load its script from a CDN, which the page policy forbids
        openapi_tags=[
            {"name": "tasks", "description": "Generation tasks and their live events"},
            {"name": "roadmaps", "description": "Generated roadmaps and concept content"},
            {"name": "progress", "description": "A learner's progress and quiz results"},
            {
                "name": "workspace",
                "description": "Export, schedule, map and changes of a finished roadmap",
            },
            {"name": "learning", "description": "The tutor for each concept, and notes"},
            {"name": "reviews", "description": "Spaced reviews of quiz questions, reminders"},
            {"name": "admin", "description": "Administrator diagnostics"},
            {"name": "health", "description": "Liveness, readiness and metrics"},
        ],
    )
    app.state.settings = settings
    app.state.metrics = Metrics()
    app.state.sse_timing = StreamTiming(
        poll_seconds=min(settings.poll_seconds, 1.0), keepalive_seconds=sse_keepalive_seconds
    )
    app.state.stream_limits = StreamLimits(
        max_seconds=settings.stream_max_seconds, per_user=settings.user_max_streams
    )
    install_error_handlers(app)
    routers = (tasks, roadmaps, library, workspace, progress, learning, reviews, admin, accounts)
    for router in (module.router for module in routers):
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(health.router)
    app.include_router(reviews.feed_router)
    install_openapi(app)
    # Innermost first: a request is checked (host, size, text) before it can be repeated.
    app.add_middleware(RepeatOnDatabaseDrop)
    app.add_middleware(TextGuard, page=refusal_page)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes, page=refusal_page)
    app.add_middleware(RequestTiming, histogram=app.state.metrics.http_latency)
    app.add_middleware(HostCheck, allowed=settings.allowed_host_names, page=refusal_page)
    app.add_middleware(SecurityHeaders)
    mount_web(app)
    return app


def serve(settings: Settings, host: str, port: int) -> None:
    """Serve the app with uvicorn until interrupted.

    Refuses a non-loopback ``host`` when authentication is off: anyone who can reach the
    port would act as the local user.
    """
    if AuthMode(settings.auth) is AuthMode.NONE and not is_loopback(host):
        raise ValueError(
            f"refusing to serve on {host!r} with LEARNPATH_AUTH=none: bind to 127.0.0.1, "
            "or create a user with `learnpath user create NAME` and use token auth"
        )
    if not is_loopback(host) and settings.allowed_host_names <= LOOPBACK_NAMES:
        logging.getLogger(__name__).warning(
            "serving on %s, but LEARNPATH_ALLOWED_HOSTS allows only localhost, 127.0.0.1 and "
            "[::1]: requests for any other name get 400; set LEARNPATH_ALLOWED_HOSTS to the "
            "names clients use",
            host,
        )
    import uvicorn

    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        proxy_headers=True,
        timeout_graceful_shutdown=5,
        log_level="info",
    )
