"""Generate JSON values that satisfy a JSON Schema, from the schema alone.

This is written from the JSON Schema specification (draft 2020-12), for the subset that
pydantic emits: ``$ref``/``$defs`` (and legacy ``definitions``), ``type`` (also as a list),
``properties``/``required``/``additionalProperties``/``minProperties``, ``items``/
``prefixItems``/``minItems``/``maxItems``/``uniqueItems``, ``enum``, ``const``,
``anyOf``/``oneOf``/``allOf`` (a ``discriminator`` hint is ignored: the chosen ``oneOf``
branch carries its own ``const`` tag), string ``minLength``/``maxLength``/``pattern``/
``format``, numeric ``minimum``/``maximum``/``exclusiveMinimum``/``exclusiveMaximum``/
``multipleOf``, ``boolean``, ``null`` and ``default``. It knows nothing about any project.

Two modes:

* ``"required"`` — the smallest instance: only required properties, arrays of exactly
  ``minItems`` items (0 when absent), ``default`` used where a schema has one, and
  ``anyOf``/``oneOf``/type lists may pick ``null``.
* ``"all"`` — every declared property, arrays of ``max(minItems, 2)`` items capped by
  ``maxItems``, and non-null branches preferred.

Choices are drawn from a seeded RNG, and strings carry a running counter (``"text 1"``,
``"text 2"``, ...) so values differ between calls but are deterministic for a seed.
``pattern`` strings are built by walking the regex with Python's ``re._parser`` and then
checked with ``re.search`` (JSON Schema patterns are unanchored).
"""

from __future__ import annotations

import datetime as _dt
import importlib
import math
import random
import re
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Literal

Mode = Literal["required", "all"]
Schema = dict[str, Any]

_parser: Any = importlib.import_module("re._parser")
_constants: Any = importlib.import_module("re._constants")
_MAXREPEAT: int = int(_constants.MAXREPEAT)

_MAX_DEPTH = 8
_UNBOUNDED_REPEAT_CAP = 3
_TYPE_KEYWORDS: dict[str, tuple[str, ...]] = {
    "object": (
        "properties",
        "required",
        "additionalProperties",
        "minProperties",
        "patternProperties",
    ),
    "array": ("items", "prefixItems", "minItems", "maxItems", "uniqueItems", "contains"),
    "string": ("minLength", "maxLength", "pattern", "format"),
    "number": ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"),
}
_WORD_CHARS = "abcdefghijklmnopqrstuvwxyz"
_POOL = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-. @:/+=,;!#$%&*?()[]{}<>~^|'\""
)


class SchemaValueError(ValueError):
    """The generator cannot produce a value for this schema (e.g. ``false`` or an impossible pattern)."""


class JsonSchemaValues:
    """A stateful generator: one per fake server, so the string counter runs across responses.

    ``generate(schema)`` returns a JSON-compatible Python value valid against ``schema``.
    """

    def __init__(self, *, mode: Mode = "required", seed: int = 0) -> None:
        if mode not in ("required", "all"):
            raise ValueError(f"mode must be 'required' or 'all', not {mode!r}")
        self.mode: Mode = mode
        self.seed = seed
        self._calls = 0
        self._strings = 0
        self._rng = random.Random(seed)

    def generate(self, schema: Schema | bool, *, mode: Mode | None = None) -> Any:
        """One instance of ``schema`` (the schema's own ``$defs`` resolve its ``$ref``)."""
        self._calls += 1
        self._rng = random.Random(f"{self.seed}:{self._calls}")
        root = schema if isinstance(schema, dict) else {}
        return _Walk(self, root, mode or self.mode).value(schema, 0)

    def next_text(self, prefix: str = "text") -> str:
        self._strings += 1
        return f"{prefix} {self._strings}"

    def next_number(self) -> int:
        self._strings += 1
        return self._strings


def generate(schema: Schema | bool, *, mode: Mode = "required", seed: int = 0) -> Any:
    """Convenience: a fresh generator's first instance of ``schema``."""
    return JsonSchemaValues(mode=mode, seed=seed).generate(schema)


class _Walk:
    def __init__(self, owner: JsonSchemaValues, root: Schema, mode: Mode) -> None:
        self.owner = owner
        self.root = root
        self.mode = mode
        self.rng = owner._rng

    # -- dispatch ---------------------------------------------------------------------------

    def value(self, schema: Schema | bool, depth: int) -> Any:
        if schema is True:
            return self.owner.next_text()
        if schema is False:
            raise SchemaValueError("the schema `false` admits no value")
        if not isinstance(schema, dict):
            raise SchemaValueError(f"not a schema: {schema!r}")
        schema = self.flatten(schema, depth)
        minimal = self.mode == "required" or depth >= _MAX_DEPTH
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            return self.pick_enum(schema)
        if minimal and "default" in schema and self.mode == "required":
            return schema["default"]
        for key in ("anyOf", "oneOf"):
            if key in schema:
                return self.pick_branch(schema, key, depth, minimal)
        kind = self.pick_type(schema, minimal)
        return self.of_type(kind, schema, depth, minimal)

    def flatten(self, schema: Schema, depth: int) -> Schema:
        """Resolve ``$ref`` and merge ``allOf`` into one schema (siblings kept)."""
        for _ in range(64):
            if "$ref" in schema:
                target = self.resolve(schema["$ref"])
                rest = {k: v for k, v in schema.items() if k != "$ref"}
                schema = _merge(target, rest)
                continue
            if "allOf" in schema:
                rest = {k: v for k, v in schema.items() if k != "allOf"}
                merged: Schema = {}
                for part in schema["allOf"]:
                    if part is False:
                        raise SchemaValueError("allOf contains `false`")
                    if isinstance(part, dict):
                        merged = _merge(merged, self.flatten(part, depth))
                schema = _merge(merged, rest)
                continue
            return schema
        raise SchemaValueError("$ref chain too deep")

    def resolve(self, ref: str) -> Schema:
        if not ref.startswith("#"):
            raise SchemaValueError(f"only local $ref is supported: {ref!r}")
        node: Any = self.root
        for raw in ref[1:].lstrip("/").split("/") if ref != "#" else []:
            part = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(node, list):
                node = node[int(part)]
            elif isinstance(node, dict) and part in node:
                node = node[part]
            else:
                raise SchemaValueError(f"unresolvable $ref {ref!r}")
        if node is True:
            return {}
        if not isinstance(node, dict):
            raise SchemaValueError(f"$ref {ref!r} is not a schema")
        return node

    # -- choices ----------------------------------------------------------------------------

    def pick_enum(self, schema: Schema) -> Any:
        values = list(schema["enum"])
        types = _declared_types(schema)
        if types:
            values = [
                v
                for v in values
                if _json_type(v) in types or (_json_type(v) == "integer" and "number" in types)
            ]
        if not values:
            raise SchemaValueError("enum has no value of the declared type")
        return self.rng.choice(values)

    def pick_branch(self, schema: Schema, key: str, depth: int, minimal: bool) -> Any:
        rest = {k: v for k, v in schema.items() if k not in (key, "discriminator", "default")}
        branches = [b for b in schema[key] if b is not False]
        if not branches:
            raise SchemaValueError(f"{key} has no satisfiable branch")
        if not minimal:
            non_null = [b for b in branches if not self.is_null_schema(b, depth)]
            branches = non_null or branches
        order = list(branches)
        self.rng.shuffle(order)
        if depth >= _MAX_DEPTH:  # stop recursion: the simplest-looking branch first
            order.sort(key=lambda b: 0 if self.is_null_schema(b, depth) else 1)
        last: SchemaValueError | None = None
        for branch in order:
            try:
                merged = _merge(rest, branch) if isinstance(branch, dict) else rest
                return self.value(merged, depth + 1)
            except SchemaValueError as e:
                last = e
        raise last or SchemaValueError(f"no {key} branch could be generated")

    def is_null_schema(self, branch: Schema | bool, depth: int) -> bool:
        if not isinstance(branch, dict):
            return False
        try:
            flat = self.flatten(branch, depth)
        except SchemaValueError:
            return False
        return flat.get("type") == "null" or flat.get("const", 0) is None

    def pick_type(self, schema: Schema, minimal: bool) -> str:
        types = _declared_types(schema)
        if not types:
            for kind, keywords in _TYPE_KEYWORDS.items():
                if any(k in schema for k in keywords):
                    return kind
            return "string"
        if len(types) == 1:
            return types[0]
        if not minimal:
            types = [t for t in types if t != "null"] or types
        return self.rng.choice(types)

    # -- types ------------------------------------------------------------------------------

    def of_type(self, kind: str, schema: Schema, depth: int, minimal: bool) -> Any:
        makers: dict[str, Callable[[Schema, int, bool], Any]] = {
            "object": self.object_value,
            "array": self.array_value,
            "string": lambda s, d, m: self.string_value(s),
            "integer": lambda s, d, m: self.integer_value(s),
            "number": lambda s, d, m: self.number_value(s),
            "boolean": lambda s, d, m: self.rng.choice([True, False]),
            "null": lambda s, d, m: None,
        }
        if kind not in makers:
            raise SchemaValueError(f"unknown type {kind!r}")
        return makers[kind](schema, depth, minimal)

    def object_value(self, schema: Schema, depth: int, minimal: bool) -> dict[str, Any]:
        properties: dict[str, Any] = schema.get("properties") or {}
        required: list[str] = list(schema.get("required") or [])
        extra = schema.get("additionalProperties", True)
        names = list(required)
        if not minimal:
            names += [n for n in properties if n not in names]
        out: dict[str, Any] = {}
        for name in names:
            sub = properties.get(name, extra if isinstance(extra, dict) else True)
            out[name] = self.value(sub, depth + 1)
        wanted = int(schema.get("minProperties", 0))
        if not minimal and isinstance(extra, dict) and not properties:
            wanted = max(wanted, 1)
        for name in properties:  # fill minProperties with declared optional names first
            if len(out) >= wanted:
                break
            out.setdefault(name, self.value(properties[name], depth + 1))
        i = 0
        while len(out) < wanted:
            if extra is False:
                raise SchemaValueError("minProperties cannot be met without additional properties")
            i += 1
            key = f"key {i}"
            if key not in out:
                out[key] = self.value(extra if isinstance(extra, dict) else True, depth + 1)
        return out

    def array_value(self, schema: Schema, depth: int, minimal: bool) -> list[Any]:
        prefix: list[Any] = list(schema.get("prefixItems") or [])
        items = schema.get("items", True)
        lo = int(schema.get("minItems", 0))
        hi = schema.get("maxItems")
        count = lo if minimal else max(lo, 2)
        if hi is not None:
            count = min(count, int(hi))
        if items is False:
            count = min(count, len(prefix))
            if count < lo:
                raise SchemaValueError("minItems exceeds prefixItems while items is false")
        unique = bool(schema.get("uniqueItems"))
        out: list[Any] = []
        for index in range(count):
            sub = prefix[index] if index < len(prefix) else items
            value = self.value(sub, depth + 1)
            tries = 0
            while unique and any(_json_equal(value, seen) for seen in out):
                tries += 1
                if tries > 50:
                    raise SchemaValueError("cannot find enough distinct items for uniqueItems")
                value = self.value(sub, depth + 1)
            out.append(value)
        return out

    def string_value(self, schema: Schema) -> str:
        lo = int(schema.get("minLength", 0))
        hi = schema.get("maxLength")
        hi_n = int(hi) if hi is not None else None
        if hi_n is not None and hi_n < lo:
            raise SchemaValueError("maxLength < minLength")
        pattern = schema.get("pattern")
        if pattern is not None:
            return self.pattern_value(str(pattern), lo, hi_n)
        fmt = schema.get("format")
        text = self.format_value(str(fmt)) if fmt is not None else self.owner.next_text()
        if len(text) < lo:
            text = text + "x" * (lo - len(text)) if fmt is None or fmt in ("uri", "url") else text
        if hi_n is not None and len(text) > hi_n:
            # keep the varying counter (the tail) of plain text
            text = (text[-hi_n:] if hi_n else "") if fmt is None else text[:hi_n]
        return text

    def format_value(self, fmt: str) -> str:
        n = self.owner.next_number()
        day = _dt.date(2024, 1, 1) + _dt.timedelta(days=n % 365)
        stamp = _dt.datetime(2024, 1, 1, tzinfo=_dt.UTC) + _dt.timedelta(minutes=n)
        values: dict[str, str] = {
            "date": day.isoformat(),
            "date-time": stamp.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "time": stamp.strftime("%H:%M:%SZ"),
            "duration": f"P{n}D",
            "uri": f"https://example.com/item-{n}",
            "url": f"https://example.com/item-{n}",
            "iri": f"https://example.com/item-{n}",
            "uri-reference": f"/item-{n}",
            "email": f"user{n}@example.com",
            "idn-email": f"user{n}@example.com",
            "hostname": f"host{n}.example.com",
            "ipv4": f"192.0.2.{n % 255}",
            "ipv6": f"2001:db8::{n % 65535:x}",
            "uuid": str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
        }
        return values.get(fmt, f"text {n}")

    def pattern_value(self, pattern: str, lo: int, hi: int | None) -> str:
        try:
            compiled = re.compile(pattern)
            parsed = _parser.parse(pattern)
        except re.error as e:
            raise SchemaValueError(f"pattern {pattern!r} is not a Python regex: {e}") from e

        def fits(text: str) -> bool:
            return (
                compiled.search(text) is not None
                and len(text) >= lo
                and (hi is None or len(text) <= hi)
            )

        for bonus in (0, 1, 2, 4, 8, 16, 32, 64):
            for _attempt in range(3):
                text = _RegexWalk(self.rng, bonus).emit(parsed)
                if fits(text):
                    return text
                padded = text + "a" * max(0, lo - len(text))
                if fits(padded):
                    return padded
        for candidate in ("", "a", "0", "a" * lo, "0" * lo, " " * lo):
            if fits(candidate):
                return candidate
        raise SchemaValueError(f"cannot generate a string for pattern {pattern!r}")

    def integer_value(self, schema: Schema) -> int:
        lo, ex_lo, hi, ex_hi = _bounds(schema)
        lo_i = None if lo is None else (math.floor(lo) + 1 if ex_lo else math.ceil(lo))
        hi_i = None if hi is None else (math.ceil(hi) - 1 if ex_hi else math.floor(hi))
        if lo_i is None and hi_i is None:
            lo_i, hi_i = 0, 100
        elif lo_i is None:
            assert hi_i is not None
            lo_i = min(0, hi_i - 100)
        elif hi_i is None:
            hi_i = lo_i + 100
        if lo_i > hi_i:
            raise SchemaValueError("no integer within the bounds")
        step = schema.get("multipleOf")
        value = self.rng.randint(lo_i, hi_i)
        if step is None:
            return value
        m = Decimal(str(step))
        first = math.ceil(Decimal(lo_i) / m)
        last = math.floor(Decimal(hi_i) / m)
        candidates = [k * m for k in range(first, min(last, first + 1000) + 1) if (k * m) % 1 == 0]
        if not candidates:
            raise SchemaValueError("no integer multiple within the bounds")
        return int(self.rng.choice(candidates[:20]))

    def number_value(self, schema: Schema) -> float | int:
        lo, ex_lo, hi, ex_hi = _bounds(schema)
        if lo is None and hi is None:
            lo, hi = 0.0, 100.0
        elif lo is None:
            assert hi is not None
            lo = min(0.0, hi - 100.0)
        elif hi is None:
            hi = lo + 100.0

        def inside(v: float) -> bool:
            assert lo is not None and hi is not None
            return (v > lo if ex_lo else v >= lo) and (v < hi if ex_hi else v <= hi)

        step = schema.get("multipleOf")
        if step is not None:
            m = Decimal(str(step))
            first = math.ceil(Decimal(str(lo)) / m)
            for k in range(first, first + 1000):
                exact = k * m
                as_float = float(exact)
                if as_float > hi:
                    break
                if inside(as_float) and (as_float / float(step)).is_integer():
                    return int(exact) if exact % 1 == 0 else as_float
            raise SchemaValueError("no multiple of multipleOf within the bounds")
        for _ in range(20):
            v = round(lo + (hi - lo) * self.rng.uniform(0.1, 0.9), 3)
            if inside(v):
                return v
        mid = (lo + hi) / 2
        if inside(mid):
            return mid
        raise SchemaValueError("no number within the bounds")


class _RegexWalk:
    """Emit a string for a parsed regex: minimum repeats (+ ``bonus``), first alternative."""

    def __init__(self, rng: random.Random, bonus: int) -> None:
        self.rng = rng
        self.bonus = bonus
        self.groups: dict[int, str] = {}

    def emit(self, parsed: Any) -> str:
        return "".join(self.item(op, av) for op, av in parsed)

    def item(self, op: Any, av: Any) -> str:
        name = str(getattr(op, "name", op))
        if name == "LITERAL":
            return chr(av)
        if name == "NOT_LITERAL":
            return self.pick(lambda c: ord(c) != av)
        if name == "ANY":
            return self.pick(lambda c: c != "\n")
        if name == "IN":
            return self.pick(lambda c: _in_class(av, c))
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, sub = av
            top = low + (_UNBOUNDED_REPEAT_CAP if high == _MAXREPEAT else high - low)
            count = min(low + self.bonus, top if self.bonus else low)
            if high != _MAXREPEAT:
                count = min(count, high)
            return "".join(self.emit(sub) for _ in range(count))
        if name == "SUBPATTERN":
            group, _add, _del, sub = av
            text = self.emit(sub)
            if group is not None:
                self.groups[group] = text
            return text
        if name == "ATOMIC_GROUP":
            return str(self.emit(av))
        if name == "BRANCH":
            _, branches = av
            return self.emit(branches[0])
        if name == "GROUPREF":
            return self.groups.get(av, "")
        if name == "GROUPREF_EXISTS":
            group, yes, no = av
            return self.emit(yes) if group in self.groups else (self.emit(no) if no else "")
        if name in ("AT", "ASSERT", "ASSERT_NOT"):
            return ""
        if name == "CATEGORY":
            return self.pick(lambda c: _category(av, c))
        raise SchemaValueError(f"unsupported regex construct {name}")

    def pick(self, ok: Callable[[str], bool]) -> str:
        choices = [c for c in _WORD_CHARS if ok(c)] or [c for c in _POOL if ok(c)]
        if not choices:
            choices = [chr(i) for i in range(32, 0x2FF) if ok(chr(i))]
        if not choices:
            raise SchemaValueError("empty character class")
        return self.rng.choice(choices)


def _category(cat: Any, c: str) -> bool:
    name = str(getattr(cat, "name", cat))
    tests: dict[str, bool] = {
        "CATEGORY_DIGIT": c.isdigit() and c.isascii(),
        "CATEGORY_NOT_DIGIT": not (c.isdigit() and c.isascii()),
        "CATEGORY_SPACE": c.isspace(),
        "CATEGORY_NOT_SPACE": not c.isspace(),
        "CATEGORY_WORD": c.isalnum() or c == "_",
        "CATEGORY_NOT_WORD": not (c.isalnum() or c == "_"),
    }
    return tests.get(name, False)


def _in_class(members: list[tuple[Any, Any]], c: str) -> bool:
    negate = False
    hit = False
    for op, av in members:
        name = str(getattr(op, "name", op))
        if name == "NEGATE":
            negate = True
        elif name == "LITERAL":
            hit = hit or ord(c) == av
        elif name == "RANGE":
            hit = hit or av[0] <= ord(c) <= av[1]
        elif name == "CATEGORY":
            hit = hit or _category(av, c)
    return hit != negate


def _merge(base: Schema, extra: Schema) -> Schema:
    """Combine two object-level schemas as ``allOf`` would (properties and required unioned)."""
    out = dict(base)
    for key, value in extra.items():
        if key == "properties" and isinstance(out.get(key), dict):
            out[key] = {**out[key], **value}
        elif key == "required" and isinstance(out.get(key), list):
            out[key] = list(dict.fromkeys([*out[key], *value]))
        elif key in ("title", "description", "examples"):
            out.setdefault(key, value)
        else:
            out[key] = value
    return out


def _declared_types(schema: Schema) -> list[str]:
    kind = schema.get("type")
    if kind is None:
        return []
    return [kind] if isinstance(kind, str) else list(kind)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _json_equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return bool(a == b)


def _bounds(schema: Schema) -> tuple[float | None, bool, float | None, bool]:
    """The tightest ``(low, low_is_exclusive, high, high_is_exclusive)`` of a numeric schema."""

    def num(key: str) -> float | None:
        value = schema.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        return None

    lo, ex_lo = num("minimum"), False
    elo = num("exclusiveMinimum")
    if elo is not None and (lo is None or elo >= lo):
        lo, ex_lo = elo, True
    hi, ex_hi = num("maximum"), False
    ehi = num("exclusiveMaximum")
    if ehi is not None and (hi is None or ehi <= hi):
        hi, ex_hi = ehi, True
    return lo, ex_lo, hi, ex_hi
