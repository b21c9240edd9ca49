"""The OpenAPI document: a body a route checks itself is still documented by its model.

``POST /roadmaps/generate`` takes any JSON object and checks it with ``parse_submission``
alone; clients and the schema fuzz test still need ``LearningRequest`` as its schema, and
every schema the document refers to must be among its components.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Annotated, Any

import jsonschema
import pytest
from fastapi import Body, FastAPI

from learnpath.api.app import create_app
from learnpath.api.openapi import DocumentedAs, install_openapi
from learnpath.api.schemas import Problem
from learnpath.domain.request import LearningRequest, parse_submission
from learnpath.settings import Settings

GENERATE = "/api/v1/roadmaps/generate"


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    settings = Settings(_env_file=None, data_dir=tmp_path_factory.mktemp("data"))  # type: ignore[call-arg]
    return create_app(settings).openapi()


def refs(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs(item)


def test_every_reference_is_to_a_component(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    missing = {
        ref for ref in refs(document) if ref.removeprefix("#/components/schemas/") not in schemas
    }
    assert not missing
    assert {"LearningRequest", "Level", "ContentPreference", "ReviewDecision", "Problem"} <= set(
        schemas
    )
    assert list(schemas) == sorted(schemas)


def test_the_generate_body_is_documented_as_a_learning_request(document: dict[str, Any]) -> None:
    body = document["paths"][GENERATE]["post"]["requestBody"]
    assert body["required"] is True
    content = body["content"]["application/json"]
    assert content["schema"] == {"$ref": "#/components/schemas/LearningRequest"}
    schema = document["components"]["schemas"]["LearningRequest"]
    assert schema["required"] == ["goal"]
    assert schema["additionalProperties"] is False
    assert schema["properties"]["level"]["$ref"] == "#/components/schemas/Level"
    assert set(schema["properties"]) == set(LearningRequest.model_fields)


def test_the_examples_fit_the_schema_and_pass_the_check(document: dict[str, Any]) -> None:
    content = document["paths"][GENERATE]["post"]["requestBody"]["content"]["application/json"]
    examples = content["examples"]
    assert set(examples) == {"minimal", "full"}
    # The component, resolved against the whole document, as a client's validator sees it.
    schema = {"$ref": "#/components/schemas/LearningRequest", **document}
    for example in examples.values():
        jsonschema.validate(example["value"], schema)
        parse_submission(example["value"], dt.date.today())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"goal": "Learn SQL", "mood": "keen"}, schema)


def test_a_documented_body_brings_its_schemas_along() -> None:
    app = FastAPI()

    @app.post("/things")
    async def things(
        body: Annotated[dict[str, Any], DocumentedAs(LearningRequest), Body()],
    ) -> None:
        return None

    install_openapi(app)
    document = app.openapi()
    schemas = document["components"]["schemas"]
    request_body = document["paths"]["/things"]["post"]["requestBody"]
    assert request_body["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/LearningRequest"
    }
    assert {"LearningRequest", "Level", "ContentPreference", "Problem"} <= set(schemas)
    assert schemas["Problem"]["title"] == Problem.__name__


def test_two_models_may_not_share_a_documented_name() -> None:
    class LearningRequest(Problem):  # another model under the same name
        pass

    with pytest.raises(ValueError, match="LearningRequest"):
        DocumentedAs(LearningRequest)
