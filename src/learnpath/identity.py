"""Who is calling: identity comes from the bearer token only, never from a request body."""

from __future__ import annotations

from learnpath.settings import AuthMode, Settings
from learnpath.store import Store
from learnpath.store.accounts import Authenticated, TokenRefused
from learnpath.store.records import UserRecord

__all__ = ["TokenRefused", "authenticate", "resolve_user"]


def usable_secret(token: str | None) -> str | None:
    """The token if it could be one (bounded length, no NUL); junk is treated as absent."""
    if token is None or len(token) > 512 or "\x00" in token:
        return None
    return token


async def authenticate(store: Store, token: str, *, cached: bool = False) -> Authenticated:
    """The user and token behind a bearer token; raises ``TokenRefused`` (unknown, revoked
    or expired) with a code and a message that says what to do.

    ``cached`` lets a token accepted a moment ago skip the database (``store.tokencache``:
    revocations elsewhere are seen within ``LEARNPATH_TOKEN_CACHE_SECONDS``); signing in
    always asks the database."""
    secret = usable_secret(token)
    if not secret:
        raise TokenRefused("unauthenticated", "the bearer token is not valid")
    return await store.authenticate(secret, cached=cached)


async def resolve_user(store: Store, settings: Settings, token: str | None) -> UserRecord:
    """The user a bearer token belongs to; with ``LEARNPATH_AUTH=none``, the local user.

    Raises ``TokenRefused`` when the token is missing, unknown, revoked or expired.
    """
    if settings.auth is AuthMode.NONE:
        return await store.local_user()
    if not token:
        raise TokenRefused("unauthenticated", "a valid bearer token is required")
    return (await authenticate(store, token, cached=True)).user
