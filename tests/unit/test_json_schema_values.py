"""Generated instances validate against tricky schemas (checked by ``jsonschema_rs``)."""

from __future__ import annotations

import re
from typing import Any

import jsonschema_rs
import pytest

from tests.fakes.json_schema_values import JsonSchemaValues, generate

SCHEMAS: dict[str, dict[str, Any]] = {
    "refs_and_defs": {
        "$defs": {
            "Item": {
                "type": "object",
                "properties": {"n": {"type": "integer", "minimum": 3, "maximum": 5}},
                "required": ["n"],
            },
            "Node": {
                "type": "object",
                "properties": {"child": {"anyOf": [{"$ref": "#/$defs/Node"}, {"type": "null"}]}},
            },
        },
        "type": "object",
        "properties": {
            "items": {
                "type": "array",
                "items": {"$ref": "#/$defs/Item"},
                "minItems": 2,
                "maxItems": 3,
            },
            "tree": {"$ref": "#/$defs/Node"},
        },
        "required": ["items", "tree"],
    },
    "discriminated": {
        "oneOf": [
            {
                "type": "object",
                "properties": {"kind": {"const": "a"}, "x": {"type": "string", "format": "date"}},
                "required": ["kind", "x"],
            },
            {
                "type": "object",
                "properties": {"kind": {"const": "b"}, "y": {"type": "string", "format": "uuid"}},
                "required": ["kind", "y"],
            },
        ],
        "discriminator": {"propertyName": "kind"},
    },
    "numbers": {
        "type": "object",
        "properties": {
            "a": {"type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 3},
            "b": {"type": "number", "minimum": 0.5, "maximum": 0.6, "multipleOf": 0.05},
            "c": {"type": "integer", "multipleOf": 7, "minimum": 10},
            "d": {"type": ["number", "null"], "exclusiveMinimum": -1.5},
        },
        "required": ["a", "b", "c", "d"],
    },
    "strings": {
        "type": "object",
        "properties": {
            "p": {"type": "string", "pattern": "^[A-Z][a-z]+ (foo|bar)\\s\\d{3}$"},
            "q": {"type": "string", "pattern": "^\\w{8,}$", "maxLength": 10},
            "r": {"type": "string", "minLength": 20, "maxLength": 25},
            "s": {"type": "string", "format": "uri", "maxLength": 2083, "minLength": 1},
            "t": {"type": "string", "format": "date-time"},
            "u": {"type": "string", "format": "email"},
        },
        "required": ["p", "q", "r", "s", "t", "u"],
        "additionalProperties": False,
    },
    "arrays": {
        "type": "object",
        "properties": {
            "tuple": {
                "type": "array",
                "prefixItems": [{"type": "integer"}, {"type": "boolean"}],
                "minItems": 2,
                "maxItems": 2,
            },
            "uniq": {
                "type": "array",
                "items": {"enum": [1, 2, 3]},
                "uniqueItems": True,
                "minItems": 3,
            },
            "map": {
                "type": "object",
                "additionalProperties": {"type": "integer"},
                "minProperties": 1,
            },
        },
        "required": ["tuple", "uniq", "map"],
    },
    "allof": {
        "allOf": [
            {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
            {"properties": {"b": {"type": "null"}}, "required": ["b"]},
        ]
    },
}


@pytest.mark.parametrize("mode", ["required", "all"])
@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_instances_validate(name: str, mode: str) -> None:
    schema = SCHEMAS[name]
    validator = jsonschema_rs.validator_for(schema, validate_formats=True)
    values = JsonSchemaValues(mode=mode, seed=5)  # type: ignore[arg-type]
    for _ in range(25):
        validator.validate(values.generate(schema))


def test_required_mode_emits_only_required_fields() -> None:
    schema = {
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {"type": "integer"}},
        "required": ["a"],
    }
    assert set(generate(schema, mode="required")) == {"a"}
    assert set(generate(schema, mode="all")) == {"a", "b"}
    assert generate({"type": "array", "items": {"type": "string"}}, mode="required") == []
    assert (
        len(generate({"type": "array", "items": {"type": "string"}, "maxItems": 5}, mode="all"))
        == 2
    )


def test_patterns_are_honoured_and_values_vary_deterministically() -> None:
    pattern = "^[a-f0-9]{4}-[A-Z]{2}$"
    values = JsonSchemaValues(seed=1)
    out = [values.generate({"type": "string", "pattern": pattern}) for _ in range(10)]
    assert all(re.fullmatch(pattern, s) for s in out)
    fresh = JsonSchemaValues(seed=1)
    texts = [fresh.generate({"type": "string"}), fresh.generate({"type": "string"})]
    assert texts == ["text 1", "text 2"]
    again = JsonSchemaValues(seed=1)
    assert [again.generate({"type": "string", "pattern": pattern}) for _ in range(10)] == out
