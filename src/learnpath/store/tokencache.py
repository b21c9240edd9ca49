"""A short-lived, bounded cache of the bearer tokens this process has seen accepted.

Looking a token up costs a database round trip per API request, which is a large part of a
cheap request such as a submit. A token that was accepted is remembered, by its SHA-256,
for at most ``ttl`` seconds, with its user and its expiry. What keeps it safe:

* an expired token is refused by the cached expiry, with no database read;
* a revocation (or a quota change) made through this store empties the cache at once;
* a revocation made by another process (``learnpath token revoke``, another API node) is
  seen within ``ttl`` seconds, when the entry is read again from the database; on
  PostgreSQL the revoking process also sends a ``NOTIFY`` that empties every listening
  store's cache as soon as it arrives (``store.wakeup``);
* only accepted tokens are kept, and at most ``MAX_ENTRIES`` of them, so unknown tokens
  cannot fill it; a refused token always costs a database read.

``ttl`` 0 turns the cache off. The clock is the store's, so tests move time by hand.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from learnpath.store.records import UserRecord

#: Tokens remembered at once; past it the oldest is dropped.
MAX_ENTRIES = 4096


@dataclass(frozen=True)
class CachedToken:
    user: UserRecord
    token_id: str
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None
    #: When the database said the token was live; the entry is good until ``ttl`` after it.
    checked_at: dt.datetime


class TokenCache:
    """Accepted tokens by hash, each for at most ``ttl`` seconds (see the module docs)."""

    def __init__(self, ttl: float) -> None:
        self.ttl = dt.timedelta(seconds=max(0.0, ttl))
        self._entries: dict[str, CachedToken] = {}

    @property
    def enabled(self) -> bool:
        return self.ttl > dt.timedelta(0)

    def get(self, token_hash: str, now: dt.datetime) -> CachedToken | None:
        """The entry when it was checked less than ``ttl`` ago (else it is dropped)."""
        entry = self._entries.get(token_hash)
        if entry is None:
            return None
        if not entry.checked_at <= now < entry.checked_at + self.ttl:
            del self._entries[token_hash]
            return None
        return entry

    def put(self, token_hash: str, entry: CachedToken) -> None:
        if not self.enabled:
            return
        self._entries.pop(token_hash, None)
        while len(self._entries) >= MAX_ENTRIES:
            del self._entries[next(iter(self._entries))]
        self._entries[token_hash] = entry

    def drop(self, token_hash: str) -> None:
        self._entries.pop(token_hash, None)

    def clear(self) -> None:
        """Forget every token: one was revoked, or a user's record changed."""
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
