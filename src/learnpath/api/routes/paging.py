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


def is_valid_cursor(cursor: str) -> bool:
    """Whether ``cursor`` has the shape of a ``next_cursor`` this app hands out.

    That is an aware ISO time stamp (a time zone is required: the columns hold UTC and a
    naive time cannot be compared with them), ``|`` and an id.
    """
    stamp, sep, item_id = cursor.partition("|")
    if not sep or not item_id or len(item_id) > 64 or "\x00" in cursor or not stamp.isascii():
        return False
    try:
        parsed = dt.datetime.fromisoformat(stamp)
        if parsed.tzinfo is None:
            return False
        parsed.astimezone(dt.UTC)
    except (ValueError, OverflowError):
        return False
    return 1900 <= parsed.year <= 9000


def checked_cursor(cursor: str | None) -> str | None:
    """The cursor when it is one this API handed out; 422 ``invalid_cursor`` otherwise."""
    if cursor is not None and not is_valid_cursor(cursor):
        raise ApiError(
            422, "invalid_cursor", "invalid cursor; pass back the next_cursor of a previous page"
        )
    return cursor
