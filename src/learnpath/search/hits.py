"""A search result and the pluggable search the resources agent may use (none by default)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class SearchHit:
    """One search result; only URLs from hits are ever marked verified."""

    title: str
    url: str
    snippet: str = ""


class SearchProvider(Protocol):
    async def search(self, query: str, *, language: str, limit: int) -> list[SearchHit]:
        """Up to ``limit`` results for ``query``, preferring pages in ``language``."""
        ...
