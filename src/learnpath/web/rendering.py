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
from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    pass_context,
    select_autoescape,
)
from jinja2.runtime import Context
from markupsafe import Markup

from learnpath.store import Conflict, NotFound
from learnpath.store.outage import RETRY_AFTER_SECONDS, is_database_outage
from learnpath.web.i18n import (
    EN,
    LANGUAGE_SELF_NAMES,
    UI_LANGUAGES,
    label,
    translate,
    ui_language,
)
from learnpath.web.markdown import render_markdown
from learnpath.web.session import (
    CSRF_FIELD,
    LoginRequired,
    PageError,
    csrf_token,
    remember_csrf,
)

log = logging.getLogger(__name__)


def _when(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _language(context: Context) -> str:
    return str(context.get("ui_lang") or "en")


@pass_context
def _t(context: Context, key: str, /, **params: object) -> Markup:
    """The catalog text of ``key`` in the page's UI language, escaped.

    Parameters are escaped too, unless they are ``Markup`` (a ``<code>`` from a template).
    """
    text = Markup.escape(translate(_language(context), key))
    return text.format(**params) if params else text


@pass_context
def _label(context: Context, prefix: str, value: object) -> str:
    return label(_language(context), prefix, value)


@pass_context
def _status_label(context: Context, status: object) -> str:
    return label(_language(context), "status", status)


@pass_context
def _step_label(context: Context, step: object) -> str:
    return label(_language(context), "step", step)


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
    env.filters["status_label"] = _status_label
    env.filters["step_label"] = _step_label
    env.globals["t"] = _t
    env.globals["label"] = _label
    env.filters["percent"] = lambda x: f"{round(float(x) * 100)}%"
    env.globals["csrf_field"] = CSRF_FIELD
    return env


templates = Jinja2Templates(env=_environment())


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    """Render a page; every page gets the CSRF token and the signed-in user (if any)."""
    language = ui_language(request)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    values: dict[str, Any] = {
        "visitor": getattr(request.state, "visitor", None),
        "csrf": csrf_token(request),
        "ui_lang": language,
        "ui_languages": [(code, LANGUAGE_SELF_NAMES[code]) for code in UI_LANGUAGES],
        "here": here if request.method == "GET" else "",
        **(context or {}),
    }
    response = templates.TemplateResponse(request, name, values, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    remember_csrf(request, response)
    return response


def error_page(
    request: Request,
    status: int,
    title: str,
    message: str,
    hint: str,
    *,
    params: dict[str, object] | None = None,
    raw_message: str | None = None,
) -> Response:
    """The error page; ``title``/``message``/``hint`` are catalog keys (``hint`` may be empty).

    ``raw_message`` replaces the message with text that is not in the catalog (a refused
    command's own explanation).
    """
    language = ui_language(request)
    values = params or {}
    return render(
        request,
        "error.html",
        {
            "status": status,
            "title": translate(language, title, **values),
            "message": raw_message
            if raw_message is not None
            else translate(language, message, **values),
            "hint": translate(language, hint, **values) if hint else "",
        },
        status=status,
    )


def conflict_message(language: str, exc: Conflict) -> str:
    """A refused command's explanation in ``language`` (its own text when the code is new)."""
    key = f"conflict.{exc.code}"
    if key not in EN:
        return str(exc)
    params = {name: label(language, "status", value) for name, value in exc.params.items()}
    return translate(language, key, **params)


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
                return error_page(
                    request, exc.status, exc.title, exc.message, exc.hint, params=exc.params
                )
            except NotFound:
                return error_page(
                    request,
                    404,
                    "error.not_found.title",
                    "error.not_found.message",
                    "error.not_found.hint",
                )
            except Conflict as exc:
                return error_page(
                    request,
                    409,
                    "error.conflict.title",
                    "",
                    "error.conflict.hint",
                    raw_message=conflict_message(ui_language(request), exc),
                )
            except RequestValidationError:
                return error_page(
                    request,
                    400,
                    "error.bad_link.title",
                    "error.bad_link.message",
                    "error.bad_link.hint",
                )
            except Exception as exc:
                if is_database_outage(exc):
                    request.app.state.runtime.store.outage.failed(exc)
                    page = error_page(
                        request,
                        503,
                        "error.outage.title",
                        "error.outage.message",
                        "error.outage.hint",
                    )
                    page.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
                    return page
                log.exception("web page %s failed", request.url.path)
                return error_page(
                    request,
                    500,
                    "error.internal.title",
                    "error.internal.message",
                    "error.internal.hint",
                    params={"command": "`learnpath doctor`"},
                )

        return handle
