"""Text that PostgreSQL and SQLite can store: no NUL characters, no lone surrogates."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def unstorable_reason(value: str) -> str | None:
    """Why the databases cannot store ``value`` (None when they can)."""
    if "\x00" in value:
        return "contains a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "contains a lone surrogate (not valid Unicode)"
    return None


def first_unstorable(value: Any, where: str) -> tuple[str, str] | None:
    """The first string in ``value`` (JSON-like data) the databases cannot store, as
    ``(dotted location, reason)``; keys count too."""
    if isinstance(value, str):
        reason = unstorable_reason(value)
        return (where, reason) if reason else None
    if isinstance(value, dict):
        items: Iterable[tuple[str, Any]] = value.items()
    elif isinstance(value, list):
        items = ((str(index), item) for index, item in enumerate(value))
    else:
        return None
    for key, item in items:
        found = first_unstorable(key, where) or first_unstorable(item, f"{where}.{key}")
        if found:
            return found
    return None
