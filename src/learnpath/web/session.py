"""Who is browsing, and proof that a form was posted from our own page.

Signing in trades the API token for a server-side session: the HttpOnly, SameSite=Strict
``lp_session`` cookie holds a random session id (the server keeps only its hash), never the
token. A session ends when it expires (``LEARNPATH_SESSION_DAYS``, or its token's expiry),
on sign-out, or when its token is revoked. Every POST form carries a per-browser token that
must equal the ``lp_csrf`` cookie (double submit); SameSite=Strict already keeps the
cookies off cross-site requests, the token is the second line.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Response
from starlette.datastructures import FormData

from learnpath.identity import usable_secret
from learnpath.runtime import Runtime
from learnpath.settings import AuthMode
from learnpath.store.accounts import Authenticated
from learnpath.store.records import UserRecord

SESSION_COOKIE = "lp_session"
CSRF_COOKIE = "lp_csrf"
CSRF_FIELD = "csrf_token"


class PageError(Exception):
    """Render the error page: what failed (``title``/``message``) and what to do next.

    ``title``, ``message`` and ``hint`` are keys of the UI catalog (``learnpath.web.i18n``),
    filled with ``params`` in the visitor's language.
    """

    def __init__(
        self,
        status: int,
        title: str,
        message: str,
        hint: str = "",
        params: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.title = title
        self.message = message
        self.hint = hint
        self.params = params or {}

    @classmethod
    def bad_link(cls) -> PageError:
        """400: the address (a cursor, an event id, an action) is not one the app made."""
        return cls(400, "error.bad_link.title", "error.bad_link.message", "error.bad_link.hint")


class LoginRequired(Exception):
    """The page needs a signed-in user; the visitor is sent to ``/login``."""


@dataclass(frozen=True)
class Visitor:
    """The signed-in user of a page request, and whether sign-in is on at all."""

    user: UserRecord
    token_auth: bool


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime | None = getattr(request.app.state, "runtime", None)
    if runtime is None:
        raise PageError(
            503,
            "error.starting.title",
            "error.starting.message",
            "error.starting.hint",
        )
    return runtime


async def current_visitor(request: Request) -> Visitor:
    """The user of this request; raises ``LoginRequired`` without a live session."""
    runtime = runtime_of(request)
    if runtime.settings.auth is AuthMode.NONE:
        user: UserRecord | None = await runtime.store.local_user()
    else:
        session_id = usable_secret(request.cookies.get(SESSION_COOKIE))
        user = await runtime.store.session_user(session_id) if session_id else None
    if user is None:
        raise LoginRequired()
    visitor = Visitor(user=user, token_auth=runtime.settings.auth is AuthMode.TOKEN)
    request.state.visitor = visitor
    return visitor


async def start_session(request: Request, response: Response, auth: Authenticated) -> None:
    """Sign in: a new server-side session from the token, its id in the cookie."""
    runtime = runtime_of(request)
    lifetime = dt.timedelta(days=runtime.settings.session_days)
    session_id = await runtime.store.create_session(auth, lifetime)
    max_age = int(lifetime.total_seconds())
    set_cookie(request, response, SESSION_COOKIE, session_id, max_age=max_age)


async def end_session(request: Request, response: Response) -> None:
    """Sign out: delete the session on the server, then the cookie."""
    session_id = usable_secret(request.cookies.get(SESSION_COOKIE))
    if session_id:
        await runtime_of(request).store.end_session(session_id)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")


def csrf_token(request: Request) -> str:
    """This browser's form token: the cookie's value, or a new one for ``remember_csrf``."""
    existing = request.cookies.get(CSRF_COOKIE)
    if existing:
        return existing
    token: str | None = getattr(request.state, "new_csrf", None)
    if token is None:
        token = secrets.token_urlsafe(32)
        request.state.new_csrf = token
    return token


def remember_csrf(request: Request, response: Response) -> None:
    """Set the CSRF cookie when this request created a new token."""
    token: str | None = getattr(request.state, "new_csrf", None)
    if token is not None:
        set_cookie(request, response, CSRF_COOKIE, token, max_age=None)


def check_csrf(request: Request, submitted: object) -> None:
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not (cookie and isinstance(submitted, str) and secrets.compare_digest(cookie, submitted)):
        raise PageError(
            403,
            "error.csrf.title",
            "error.csrf.message",
            "error.csrf.hint",
        )


async def checked_form(request: Request) -> FormData:
    """The posted form, once its CSRF token matches the cookie (403 page otherwise)."""
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    return form


def set_cookie(
    request: Request, response: Response, name: str, value: str, *, max_age: int | None
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )


def safe_next(target: str | None) -> str:
    """A local path to go to after signing in; anything else becomes ``/tasks``."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/tasks"


#: A page route's visitor (signed in or not), as a dependency.
VisitorDep = Annotated[Visitor, Depends(current_visitor)]
