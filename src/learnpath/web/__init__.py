"""Server-rendered web UI: forms, live task progress, review screen and roadmap pages.

``mount(app)`` adds the pages and static assets to an app built by ``create_app``; the
pages read ``app.state.runtime`` and call the same store and workflow functions as the
HTTP API. Every page resolves the user the same way the API does, from a token kept in an
HttpOnly cookie (or the local user when ``LEARNPATH_AUTH=none``).
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"
API_STATIC_DIR = Path(__file__).parent.parent / "api" / "static"


def docs_page(title: str, openapi_url: str) -> str:
    """The Swagger UI page: the package's own script and style, no inline script."""
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} - API docs</title>
<link rel="stylesheet" href="/api-static/swagger-ui.css">
</head>
<body data-openapi-url="{escape(openapi_url)}">
<div id="swagger-ui"></div>
<script src="/api-static/swagger-ui-bundle.js"></script>
<script src="/api-static/docs-init.js"></script>
</body>
</html>
"""


def page_routers() -> list[APIRouter]:
    """The web UI's routers, in the order they are mounted."""
    from learnpath.web.actions import router as actions_router
    from learnpath.web.learning import router as learning_router
    from learnpath.web.live import router as live_router
    from learnpath.web.pages import router as pages_router
    from learnpath.web.workspace import router as workspace_router

    return [workspace_router, pages_router, actions_router, live_router, learning_router]


def page_routes() -> list[tuple[str, str]]:
    """Every web route as ``(method, path)``, ``/docs`` included (for tests that cover all)."""
    routes = [("GET", "/docs")]
    for router in page_routers():
        for route in router.routes:
            if isinstance(route, APIRoute):
                routes += [(method, route.path) for method in sorted(route.methods or ())]
    return routes


def mount(app: FastAPI) -> None:
    """Add the web pages, ``/static`` and the offline API docs (``/docs``) to ``app``."""
    for router in page_routers():
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.mount("/api-static", StaticFiles(directory=API_STATIC_DIR), name="api-static")
    page = docs_page(app.title, app.openapi_url or "/openapi.json")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(page)


#: Refusals the middleware renders as pages, by problem code (catalog keys ``error.<code>.*``).
REFUSALS = ("host_not_allowed", "invalid_text", "payload_too_large")


async def refusal_page(request: Request, status: int, code: str) -> Response:
    """The error page for a request refused before any route ran (a wrong host, NUL text)."""
    from learnpath.web.rendering import error_page

    key = code if code in REFUSALS else "bad_link"
    return error_page(
        request,
        status,
        f"error.{key}.title",
        f"error.{key}.message",
        f"error.{key}.hint",
        params={"setting": "LEARNPATH_ALLOWED_HOSTS"},
    )


__all__ = ["mount", "page_routes", "refusal_page"]
