"""OpenAPI details: error responses documented as ``application/problem+json``, and bodies
a route checks itself documented by the model that check stands for."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.encoders import jsonable_encoder
from fastapi.openapi.models import Schema
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

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

COMPONENTS = "#/components/schemas/"
_PROBLEM_REF = {"$ref": f"{COMPONENTS}Problem"}


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


_DOCUMENTED: dict[str, type[BaseModel]] = {}
"""Each model a ``DocumentedAs`` names, by its schema name."""


@dataclass(frozen=True)
class DocumentedAs:
    """Annotation of a body the route checks itself: documented as ``model``.

    ``Annotated[dict[str, Any], DocumentedAs(Model), Body()]`` lets the framework read the
    JSON object (and refuse anything else) while the route's own check decides the rest;
    the OpenAPI document still names ``Model`` as the body's schema, and
    ``install_openapi`` adds ``Model`` and the schemas it uses to the components.
    """

    model: type[BaseModel]

    def __post_init__(self) -> None:
        known = _DOCUMENTED.setdefault(self.model.__name__, self.model)
        if known is not self.model:
            raise ValueError(f"two documented bodies are named {self.model.__name__!r}")

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"$ref": f"{COMPONENTS}{self.model.__name__}"}


def _refs(node: object) -> Iterator[str]:
    """The component names every ``$ref`` in ``node`` points at."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(COMPONENTS):
                yield value.removeprefix(COMPONENTS)
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _add_component(schemas: dict[str, Any], model: type[BaseModel]) -> None:
    """Add ``model``'s schema and those it refers to, written as the framework writes the
    schemas it makes itself; a name already taken must agree."""
    schema = model.model_json_schema(ref_template=COMPONENTS + "{model}")
    for name, found in {**schema.pop("$defs", {}), model.__name__: schema}.items():
        definition = jsonable_encoder(Schema(**found), by_alias=True, exclude_none=True)
        known = schemas.setdefault(name, definition)
        if known != definition:
            raise ValueError(f"two different OpenAPI schemas are named {name!r}")


def install_openapi(app: FastAPI) -> None:
    """Build the document once, with the Problem schema and every documented body's
    model among the components."""

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
            _add_component(schemas, Problem)
            for name in sorted(set(_refs(document["paths"])) - set(schemas)):
                if name in _DOCUMENTED:
                    _add_component(schemas, _DOCUMENTED[name])
            document["components"]["schemas"] = dict(sorted(schemas.items()))
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
