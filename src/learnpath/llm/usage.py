"""Token and request accounting for every model call made inside a ``track_usage()`` block.

The active tallies live in a context variable holding *mutable* objects, so asyncio tasks
spawned inside the block (which copy the context) add to the same tally. Blocks nest: a call
counts towards every enclosing tally (e.g. a step's and its task's).

Every HTTP attempt to a model is counted once, per agent, by outcome: ``answered``,
``retried_<status>`` (e.g. ``retried_429``; ``retried_timeout``, ``retried_connection``),
``timed_out``, ``failed_<status>`` (failed for good) or ``invalid_output`` (an answer that
failed validation and was re-asked or given up on). Tokens are counted per agent.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

ANSWERED = "answered"
INVALID_OUTPUT = "invalid_output"
TIMED_OUT = "timed_out"
UNKNOWN_AGENT = "unknown"


@dataclass
class AgentUsage:
    """One agent's attempts by outcome and its tokens."""

    outcomes: dict[str, int] = field(default_factory=dict)
    input_tokens: int = 0
    output_tokens: int = 0


@dataclass
class UsageTally:
    """Model requests, retries and tokens counted so far in one ``track_usage()`` block."""

    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    retries: int = 0
    agents: dict[str, AgentUsage] = field(default_factory=dict)
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

    def add_attempt(
        self, agent: str, outcome: str, *, input_tokens: int = 0, output_tokens: int = 0
    ) -> None:
        """Count one HTTP attempt of ``agent`` that ended with ``outcome``."""
        with self._lock:
            usage = self.agents.setdefault(agent, AgentUsage())
            usage.outcomes[outcome] = usage.outcomes.get(outcome, 0) + 1
            usage.input_tokens += input_tokens
            usage.output_tokens += output_tokens

    def reclassify(self, agent: str, old: str, new: str) -> None:
        """Move one of ``agent``'s attempts from outcome ``old`` to ``new`` (if there is one)."""
        with self._lock:
            usage = self.agents.get(agent)
            if usage is None or usage.outcomes.get(old, 0) <= 0:
                return
            usage.outcomes[old] -= 1
            if not usage.outcomes[old]:
                del usage.outcomes[old]
            usage.outcomes[new] = usage.outcomes.get(new, 0) + 1

    def attempts(self) -> list[tuple[str, str, int]]:
        """``(agent, outcome, count)`` for every non-zero count, sorted."""
        with self._lock:
            return sorted(
                (agent, outcome, count)
                for agent, usage in self.agents.items()
                for outcome, count in usage.outcomes.items()
                if count
            )


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


def record_attempt(
    agent: str, outcome: str, *, input_tokens: int = 0, output_tokens: int = 0
) -> None:
    """Count one HTTP attempt by ``agent`` in every active tally."""
    for tally in _active.get():
        tally.add_attempt(agent, outcome, input_tokens=input_tokens, output_tokens=output_tokens)


def record_invalid_output(agent: str) -> None:
    """Re-count ``agent``'s last answer as invalid (it failed validation after it arrived)."""
    for tally in _active.get():
        tally.reclassify(agent, ANSWERED, INVALID_OUTPUT)
