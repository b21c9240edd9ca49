"""The one backoff policy: how long to wait after the n-th failure in a row.

Every retry loop in learnpath (a lost database connection, a broker that is down, a
LISTEN connection, a message redelivered, a model call that failed) waits
``Backoff.delay(n)``: ``base * multiplier**n`` seconds, capped at ``cap``, where ``n``
counts the failures in a row before this one (0 for the first).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    base: float = 0.5
    cap: float = 10.0
    multiplier: float = 2.0

    def delay(self, failures: int) -> float:
        """Seconds to wait after ``failures + 1`` failures in a row."""
        if failures < 0:
            raise ValueError("failures cannot be negative")
        # The exponent is bounded so a long outage never overflows a float.
        return float(min(self.base * self.multiplier ** min(failures, 64), self.cap))
