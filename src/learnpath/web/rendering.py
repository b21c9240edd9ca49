"""Templates, the page response helper and the route class that turns errors into pages.

Web routes use ``PageRoute``: a missing or foreign task is a 404 page, a refused
command a 409 page, and anything unexpected a 500 page that says what to do, never a
traceback. API routes are untouched by it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from learnpath.store import Conflict, NotFound
from learnpath.store.outage import RETRY_AFTER_SECONDS, is_database_outage
from learnpath.web.markdown import render_markdown
from learnpath.web.session import (
    CSRF_FIELD,
    LoginRequired,
    PageError,
    csrf_token,
    remember_csrf,
)
from learnpath.web.views import STATUS_LABELS, STEP_LABELS

log = logging.getLogger(__name__)


def _when(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["markdown"] = render_markdown
    env.filters["when"] = _when
    env.filters["status_label"] = lambda s: STATUS_LABELS.get(str(s), str(s))
    env.filters["step_label"] = lambda s: STEP_LABELS.get(str(s), str(s).replace("_", " "))
    env.filters["percent"] = lambda x: f"{round(float(x) * 100)}%"
    env.globals["csrf_field"] = CSRF_FIELD
    return env


templates = Jinja2Templates(env=_environment())


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    """Render a page; every page gets the CSRF token and the signed-in user (if any)."""
    values: dict[str, Any] = {
        "visitor": getattr(request.state, "visitor", None),
        "csrf": csrf_token(request),
        **(context or {}),
    }
    response = templates.TemplateResponse(request, name, values, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    remember_csrf(request, response)
    return response


def error_page(request: Request, status: int, title: str, message: str, hint: str) -> Response:
    return render(
        request,
        "error.html",
        {"status": status, "title": title, "message": message, "hint": hint},
        status=status,
    )


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


class PageRoute(APIRoute):
    """An HTML route: errors become pages that say what failed and what to do."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return redirect(f"/login?next={quote(target, safe='')}")
            except PageError as exc:
                return error_page(request, exc.status, exc.title, exc.message, exc.hint)
            except NotFound:
                return error_page(
                    request,
                    404,
                    "Not found",
                    "There is no such task or roadmap in your account.",
                    "Check the link, or open your task list to find what you were looking for.",
                )
            except Conflict as exc:
                return error_page(
                    request,
                    409,
                    "That could not be done now",
                    str(exc),
                    "Reload the task page to see its current state, then try again.",
                )
            except RequestValidationError:
                return error_page(
                    request,
                    400,
                    "This link is not valid",
                    "The address has a value learnpath cannot use.",
                    "Go back and follow a link from the page instead of editing the address.",
                )
            except Exception as exc:
                if is_database_outage(exc):
                    request.app.state.runtime.store.outage.failed(exc)
                    page = error_page(
                        request,
                        503,
                        "learnpath is briefly unavailable",
                        "Its database cannot be reached right now.",
                        "Wait a few seconds, then reload the page (or go back and send the form "
                        "again): everything works as soon as the database is back.",
                    )
                    page.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
                    return page
                log.exception("web page %s failed", request.url.path)
                return error_page(
                    request,
                    500,
                    "Something went wrong",
                    "learnpath could not show this page because of an internal error.",
                    "Try again in a moment. If it keeps happening, run `learnpath doctor` "
                    "and check the server log.",
                )

        return handle
