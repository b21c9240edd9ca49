"""Who is browsing, and proof that a form was posted from our own page.

The bearer token lives in an HttpOnly, SameSite=Strict cookie and is resolved with the
same ``resolve_user`` the API uses. Every POST form carries a per-browser token that
must equal the ``lp_csrf`` cookie (double submit); SameSite=Strict already keeps the
cookies off cross-site requests, the token is the second line.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from fastapi import Request, Response

from learnpath.identity import resolve_user
from learnpath.runtime import Runtime
from learnpath.settings import AuthMode
from learnpath.store.records import UserRecord

TOKEN_COOKIE = "lp_token"
CSRF_COOKIE = "lp_csrf"
CSRF_FIELD = "csrf_token"
TOKEN_MAX_AGE = 30 * 24 * 3600


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
    """The user of this request; raises ``LoginRequired`` without a valid token cookie."""
    runtime = runtime_of(request)
    token = usable_token(request.cookies.get(TOKEN_COOKIE))
    user = await resolve_user(runtime.store, runtime.settings, token)
    if user is None:
        raise LoginRequired()
    visitor = Visitor(user=user, token_auth=runtime.settings.auth is AuthMode.TOKEN)
    request.state.visitor = visitor
    return visitor


def usable_token(token: str | None) -> str | None:
    """The token if it could be one (bounded length, no NUL); junk is treated as absent."""
    if token is None or len(token) > 512 or "\x00" in token:
        return None
    return token


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
