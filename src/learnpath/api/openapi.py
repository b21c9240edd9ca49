"""OpenAPI details: error responses documented as ``application/problem+json``."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from learnpath.api.errors import PROBLEM_JSON
from learnpath.api.schemas import Problem

_DESCRIPTIONS = {
    401: "Missing or unknown bearer token (`unauthenticated`), or a revoked (`token_revoked`) "
    "or expired (`token_expired`) one",
    403: "The token's user may not do this (`forbidden`)",
    404: "No such resource, or it belongs to another user (`not_found`)",
    409: "Not allowed in the current state; see `code`",
    413: "The request body is too large (`payload_too_large`)",
    422: "The request is not valid (`validation_error`, with field `errors`)",
    429: "Too many requests; wait `Retry-After` seconds (`chat_rate_limited`, "
    "`too_many_streams`; a submit past a quota: `quota_exceeded`, with the `limit` that "
    "refused it)",
    503: "A dependency is not reachable (`not_ready`)",
}

_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """Document ``statuses`` (plus 500) as problem documents."""
    responses: dict[int | str, dict[str, Any]] = {}
    for status in (*statuses, 500):
        responses[status] = {
            "description": _DESCRIPTIONS.get(status, "Unexpected error (`internal_error`)"),
            "content": {PROBLEM_JSON: {"schema": _PROBLEM_REF}},
        }
    return responses


AUTHED = (401, 404, 413, 422)
"""The errors of any authenticated route that takes ids, parameters or a body."""


def install_openapi(app: FastAPI) -> None:
    """Build the document once, with the Problem schema among the components."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
            )
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
            schemas.update(schema.pop("$defs", {}))
            schemas["Problem"] = schema
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
