"""Token and request accounting for every model call made inside a ``track_usage()`` block.

The active tallies live in a context variable holding *mutable* objects, so asyncio tasks
spawned inside the block (which copy the context) add to the same tally. Blocks nest: a call
counts towards every enclosing tally (e.g. a step's and its task's).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass
class UsageTally:
    """Model requests, retries and tokens counted so far in one ``track_usage()`` block."""

    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    retries: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def add(
        self, *, requests: int = 0, input_tokens: int = 0, output_tokens: int = 0, retries: int = 0
    ) -> None:
        with self._lock:
            self.requests += requests
            self.input_tokens += input_tokens
            self.output_tokens += output_tokens
            self.retries += retries


_active: ContextVar[tuple[UsageTally, ...]] = ContextVar("learnpath_usage_tallies", default=())


@contextmanager
def track_usage() -> Iterator[UsageTally]:
    """Count the model usage of everything run inside the block (tasks spawned in it too)."""
    tally = UsageTally()
    token = _active.set((*_active.get(), tally))
    try:
        yield tally
    finally:
        _active.reset(token)


def record_usage(
    *, requests: int = 0, input_tokens: int = 0, output_tokens: int = 0, retries: int = 0
) -> None:
    """Add to every active tally; a no-op outside ``track_usage()``."""
    for tally in _active.get():
        tally.add(
            requests=requests,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            retries=retries,
        )
