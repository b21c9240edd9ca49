"""Who is calling: identity comes from the bearer token only, never from a request body."""

from __future__ import annotations

from learnpath.settings import AuthMode, Settings
from learnpath.store import Store
from learnpath.store.records import UserRecord


async def resolve_user(store: Store, settings: Settings, token: str | None) -> UserRecord | None:
    """The user a bearer token belongs to; with ``LEARNPATH_AUTH=none``, the local user.

    Returns None when the token is missing or unknown.
    """
    if settings.auth is AuthMode.NONE:
        return await store.local_user()
    if not token:
        return None
    return await store.user_by_token(token)
