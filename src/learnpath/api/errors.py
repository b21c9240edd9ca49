"""Errors as ``application/problem+json``: every error has a stable, documented ``code``.

Clients branch on ``code`` (``not_found``, ``validation_error``, a conflict's own code…);
``title`` and ``detail`` are for people. An unexpected error answers 500 with a
reference id that is also logged, and never a traceback.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException

from learnpath.api.sse import InvalidEventId, TooManyStreams
from learnpath.domain.quota import QuotaExceeded
from learnpath.store import Conflict, NotFound
from learnpath.store.outage import RETRY_AFTER_SECONDS, is_database_outage
from learnpath.workflow.review import BlockingIssues, InvalidEdits

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

_TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Invalid request",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}
_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    500: "internal_error",
    503: "not_ready",
}


class ApiError(Exception):
    """An error the API answers on purpose, with its status and stable code."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers
        self.extra = extra or {}


def unauthenticated(detail: str = "a valid bearer token is required") -> ApiError:
    return ApiError(401, "unauthenticated", detail, headers={"WWW-Authenticate": "Bearer"})


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """Render one problem document."""
    body: dict[str, Any] = {
        "type": f"https://learnpath.dev/problems/{code}",
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    errors = []
    for error in exc.errors():
        errors.append(
            {
                "loc": [str(part) for part in error.get("loc", ())],
                "message": str(error.get("msg", "invalid value")),
                "type": str(error.get("type", "value_error")),
            }
        )
    return errors


async def _on_validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = _field_errors(exc)
    first = errors[0] if errors else None
    detail = "the request is not valid"
    if first:
        detail = f"{'.'.join(first['loc'])}: {first['message']}"
    return problem(422, "validation_error", detail, errors=errors)


async def _on_http(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    code = _CODES.get(status, "http_error")
    detail = exc.detail if isinstance(exc.detail, str) else _TITLES.get(status, "error")
    if status == 404:
        detail = "no such resource"
    if status == 400:
        # The framework's "could not parse the body" (e.g. bytes that are not UTF-8 JSON):
        # the same validation error as malformed JSON, so clients see one shape.
        message = "the body is not valid JSON"
        return problem(
            422,
            "validation_error",
            f"body: {message}",
            errors=[{"loc": ["body"], "message": message, "type": "json_invalid"}],
        )
    return problem(status, code, detail, headers=dict(exc.headers or {}))


async def _on_api_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return problem(exc.status, exc.code, exc.detail, headers=exc.headers, **exc.extra)


async def _on_too_many_streams(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, TooManyStreams)
    headers = {"Retry-After": str(exc.retry_after)}
    return problem(429, "too_many_streams", str(exc), headers=headers, limit=exc.limit)


async def _on_invalid_event_id(_: Request, exc: Exception) -> JSONResponse:
    return problem(422, "validation_error", str(exc))


async def _on_not_found(_: Request, exc: Exception) -> JSONResponse:
    return problem(404, "not_found", str(exc) or "no such resource")


async def _on_conflict(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Conflict)
    if isinstance(exc, BlockingIssues):
        issues = [issue.model_dump(mode="json") for issue in exc.issues]
        return problem(409, exc.code, str(exc), issues=issues)
    return problem(409, exc.code, str(exc))


async def _on_quota(_: Request, exc: Exception) -> JSONResponse:
    """A user past a limit: 429 with the limit's name and when to try again."""
    assert isinstance(exc, QuotaExceeded)
    return problem(
        429,
        exc.code,
        exc.message,
        headers={"Retry-After": str(exc.retry_after)},
        limit=exc.limit,
        retry_after=exc.retry_after,
    )


async def _on_invalid_edits(_: Request, exc: Exception) -> JSONResponse:
    code = str(getattr(exc, "code", "invalid_edits"))
    issues = [issue.model_dump(mode="json") for issue in getattr(exc, "issues", [])]
    if issues:
        return problem(422, code, str(exc), issues=issues)
    return problem(422, code, str(exc))


async def _on_database_error(request: Request, exc: Exception) -> JSONResponse:
    """A database that cannot be reached is a 503 to retry, logged once per outage.

    Registered for the database and network error classes themselves (not ``Exception``),
    so the framework handles them here and does not log a traceback per request.
    """
    if not is_database_outage(exc):
        return await _on_unexpected(request, exc)
    runtime = getattr(request.app.state, "runtime", None)
    if runtime is not None:
        runtime.store.outage.failed(exc)
    return database_unavailable()


def database_unavailable() -> JSONResponse:
    return problem(
        503,
        "database_unavailable",
        "the database cannot be reached right now; try again in a few seconds "
        "(a submit with an Idempotency-Key is safe to repeat)",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    reference = uuid.uuid4().hex[:12]
    log.error(
        "unexpected error %s on %s %s",
        reference,
        request.method,
        request.url.path,
        exc_info=(type(exc), exc, exc.__traceback__),
    )
    return problem(
        500,
        "internal_error",
        f"something went wrong on our side; quote reference {reference} when reporting it",
        reference=reference,
    )


def install_error_handlers(app: FastAPI) -> None:
    """Render every error the app can raise as problem+json."""
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(ApiError, _on_api_error)
    app.add_exception_handler(NotFound, _on_not_found)
    app.add_exception_handler(TooManyStreams, _on_too_many_streams)
    app.add_exception_handler(InvalidEventId, _on_invalid_event_id)
    app.add_exception_handler(Conflict, _on_conflict)
    app.add_exception_handler(InvalidEdits, _on_invalid_edits)
    app.add_exception_handler(QuotaExceeded, _on_quota)
    for database_error in (sa_exc.DBAPIError, sa_exc.TimeoutError, OSError):
        app.add_exception_handler(database_error, _on_database_error)
    app.add_exception_handler(Exception, _on_unexpected)


def ensure_storable(value: Any, field: str = "body") -> None:
    """Refuse text the databases cannot store (NUL characters) as a validation error."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ApiError(
                422,
                "validation_error",
                f"{field}: text must not contain NUL characters",
                extra={
                    "errors": [
                        {"loc": field.split("."), "message": "contains NUL", "type": "value_error"}
                    ]
                },
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            ensure_storable(key, field)
            ensure_storable(item, f"{field}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            ensure_storable(item, f"{field}.{index}")
