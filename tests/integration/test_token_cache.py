"""The API's token cache, on both backends: a revocation elsewhere is honoured within the
cache's TTL (and at once on PostgreSQL once its NOTIFY arrives), one made through the same
store at once, and an expired token is refused from the cache itself. Time is moved by
hand through the stores' clock; nothing sleeps."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest

from learnpath.settings import Settings
from learnpath.store import Store, open_store
from learnpath.store.accounts import TokenRefused
from learnpath.store.migrate import upgrade
from learnpath.store.records import UserRecord
from learnpath.store.tokencache import MAX_ENTRIES, CachedToken, TokenCache

TTL = 5.0
START = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def api_store(settings: Settings, clock: Clock) -> AsyncIterator[Store]:
    """A store as the API server has it: the token cache on, with a clock of our own."""
    engines = open_store(settings).engines
    store = Store(engines, clock=clock, token_cache_seconds=TTL)
    await upgrade(store.engines.writer)
    try:
        yield store
    finally:
        await store.close()


@pytest.fixture
async def other_process(settings: Settings) -> AsyncIterator[Store]:
    """Another store on the same database, as ``learnpath token revoke`` would open."""
    store = open_store(settings)
    try:
        yield store
    finally:
        await store.close()


async def refusal(store: Store, secret: str) -> str | None:
    try:
        await store.authenticate(secret, cached=True)
    except TokenRefused as exc:
        return exc.code
    return None


async def test_a_revocation_by_another_process_is_honoured_within_the_ttl(
    api_store: Store, other_process: Store, clock: Clock
) -> None:
    _, secret = await api_store.create_user("ada")
    assert await refusal(api_store, secret) is None
    assert len(api_store.token_cache) == 1
    seen = api_store.tokens_signal.version
    await other_process.revoke_token(secret)
    if api_store.is_postgres:
        # The revoking process's NOTIFY reaches the listening store and empties its cache.
        assert await api_store.tokens_signal.wait(seen, 30.0)
        assert await refusal(api_store, secret) == "token_revoked"
    clock.advance(TTL)
    assert await refusal(api_store, secret) == "token_revoked"
    assert len(api_store.token_cache) == 0


async def test_a_revocation_through_the_same_store_is_honoured_at_once(
    api_store: Store,
) -> None:
    _, secret = await api_store.create_user("ada")
    assert await refusal(api_store, secret) is None
    await api_store.revoke_token(secret)
    assert await refusal(api_store, secret) == "token_revoked"


async def test_an_expired_token_is_refused_from_the_cache(api_store: Store, clock: Clock) -> None:
    await api_store.create_user("ada")
    _, secret = await api_store.create_token("ada", name="short", expires_days=2 / 86400)
    assert await refusal(api_store, secret) is None
    clock.advance(1)
    assert await refusal(api_store, secret) is None  # from the cache
    clock.advance(1)  # the token's expiry, still within the cache's TTL
    assert await refusal(api_store, secret) == "token_expired"


async def test_unknown_tokens_are_never_cached_and_signing_in_reads_the_database(
    api_store: Store, other_process: Store
) -> None:
    _, secret = await api_store.create_user("ada")
    assert await refusal(api_store, "lp_unknown") == "unauthenticated"
    assert len(api_store.token_cache) == 0
    assert await refusal(api_store, secret) is None
    await other_process.revoke_token(secret)
    with pytest.raises(TokenRefused) as refused:
        await api_store.authenticate(secret)  # uncached: the web sign-in, the CLI
    assert refused.value.code == "token_revoked"
    assert len(api_store.token_cache) == 0


def test_the_cache_is_bounded_and_off_at_ttl_zero() -> None:
    user = UserRecord(id="u", name="u", is_admin=False, created_at=START)
    cache = TokenCache(TTL)
    for n in range(MAX_ENTRIES + 10):
        cache.put(f"h{n}", CachedToken(user, f"t{n}", None, None, START))
    assert len(cache) == MAX_ENTRIES
    assert cache.get("h0", START) is None  # the oldest went first
    assert cache.get(f"h{MAX_ENTRIES + 9}", START) is not None
    assert cache.get(f"h{MAX_ENTRIES + 9}", START + dt.timedelta(seconds=TTL)) is None
    off = TokenCache(0)
    off.put("h", CachedToken(user, "t", None, None, START))
    assert len(off) == 0
