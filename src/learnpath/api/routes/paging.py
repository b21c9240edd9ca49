"""Query parameters shared by the list routes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Query

from learnpath.api.errors import ApiError

Limit = Annotated[int, Query(ge=1, le=100, description="Items per page")]
Cursor = Annotated[
    str | None,
    Query(max_length=200, description="The `next_cursor` of the previous page"),
]


def checked_cursor(cursor: str | None) -> str | None:
    """The cursor when it is one this API handed out; 422 ``invalid_cursor`` otherwise."""
    if cursor is None:
        return None
    stamp, sep, item_id = cursor.partition("|")
    try:
        if not sep or not item_id or len(item_id) > 64 or "\x00" in cursor:
            raise ValueError(cursor)
        parsed = dt.datetime.fromisoformat(stamp)
        if parsed.tzinfo is not None:
            parsed.astimezone(dt.UTC)
        if not 1900 <= parsed.year <= 9000:
            raise ValueError(cursor)
    except (ValueError, OverflowError) as exc:
        raise ApiError(
            422, "invalid_cursor", "invalid cursor; pass back the next_cursor of a previous page"
        ) from exc
    return cursor
