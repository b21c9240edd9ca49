"""Accounts: API tokens (several per user; only their SHA-256 is stored), web sessions made
from them, per-user submit limits and the count of submits those limits refused."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, or_, select, update

from learnpath.domain.quota import WINDOW, QuotaExceeded, SubmitLimits, submit_refusal
from learnpath.domain.task import TERMINAL
from learnpath.store.base import NotFound, StoreBase, Tx
from learnpath.store.records import TokenRecord, UserRecord
from learnpath.store.tables import api_tokens, quota_refusals, tasks, users, web_sessions
from learnpath.store.tokencache import CachedToken

# A token's last use is written at most once per this interval, so a busy client costs one
# small write a minute rather than one per request.
LAST_USED_EVERY = dt.timedelta(minutes=1)
DEFAULT_TOKEN_NAME = "default"
MAX_TOKEN_NAME = 100


def new_secret() -> str:
    """A new API token: 256 random bits, so one SHA-256 round is a safe way to store it."""
    return "lp_" + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class TokenRefused(Exception):
    """A token that cannot be used: ``code`` is ``token_revoked``, ``token_expired`` or
    ``unauthenticated`` (unknown)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Authenticated:
    """Who a token belongs to, and which token it was (a web session remembers it)."""

    user: UserRecord
    token_id: str


_TOKEN_COLUMNS = (
    api_tokens.c.id,
    api_tokens.c.user_id,
    users.c.name.label("user_name"),
    api_tokens.c.name,
    api_tokens.c.created_at,
    api_tokens.c.expires_at,
    api_tokens.c.revoked_at,
    api_tokens.c.last_used_at,
)


def _expired(expires_at: dt.datetime) -> TokenRefused:
    return TokenRefused(
        "token_expired",
        f"this token expired at {expires_at:%Y-%m-%d %H:%M} UTC; "
        "ask for a new one (`learnpath token create USER`)",
    )


def _token(row: Any) -> TokenRecord:
    return TokenRecord.from_row(row)


def _live(now: dt.datetime) -> object:
    """The WHERE clause of a token that may be used at ``now``."""
    return (api_tokens.c.revoked_at.is_(None)) & (
        api_tokens.c.expires_at.is_(None) | (api_tokens.c.expires_at > now)
    )


async def insert_token(
    tx: Tx, user_id: str, name: str, expires_at: dt.datetime | None
) -> tuple[str, str]:
    """Add a token for the user in ``tx``; returns its id and its secret (shown once)."""
    token_id = str(uuid.uuid4())
    secret = new_secret()
    await tx.conn.execute(
        api_tokens.insert().values(
            id=token_id,
            user_id=user_id,
            name=name,
            token_hash=hash_secret(secret),
            created_at=tx.now,
            expires_at=expires_at,
        )
    )
    return token_id, secret


async def submit_quota_refusal(
    tx: Tx, user_id: str, defaults: SubmitLimits
) -> QuotaExceeded | None:
    """Check the user's submit limits inside the submit transaction; a refusal is counted.

    On PostgreSQL the user's row is locked first, so concurrent submits of one user take
    turns here; SQLite's writer already holds the database's write lock.
    """
    quota = (await lock_quotas(tx, {user_id: (defaults, 1)}))[user_id]
    refusal = quota.refusal(tx.now)
    if refusal is not None:
        await count_refusals(tx, user_id, refusal.limit, 1)
    return refusal


@dataclass
class UserQuota:
    """One user's submit limits and usage, read with the user's row locked, for the
    ``members`` submits of one transaction: each accepted one counts against the next.

    ``recent`` holds the creation times of the user's submits in the last ``WINDOW``,
    newest first, from position ``offset`` on: the only ones any of the members can need.
    """

    limits: SubmitLimits
    active: int
    recent: list[dt.datetime]
    offset: int
    accepted: int = 0

    def refusal(self, now: dt.datetime) -> QuotaExceeded | None:
        """Why the next submit is refused, counting those accepted before it here."""
        # The ``per_minute``-th newest submit: one of those accepted here (made ``now``),
        # or an earlier one.
        position = self.limits.per_minute - 1 - self.accepted
        oldest_counted: dt.datetime | None = now
        if position >= 0:
            index = position - self.offset
            assert index >= 0, "more members than the quota was read for"
            oldest_counted = self.recent[index] if index < len(self.recent) else None
        return submit_refusal(self.limits, self.active + self.accepted, oldest_counted, now)


async def lock_quotas(tx: Tx, wanted: dict[str, tuple[SubmitLimits, int]]) -> dict[str, UserQuota]:
    """Lock the users' rows (in id order, so two transactions cannot deadlock) and read
    each one's usage: ``wanted`` maps a user to the settings' limits and how many submits
    of theirs the transaction holds."""
    rows = (
        await tx.conn.execute(
            select(users.c.id, users.c.max_active_tasks, users.c.submits_per_minute)
            .where(users.c.id.in_(sorted(wanted)))
            .order_by(users.c.id)
            .with_for_update()
        )
    ).all()
    quotas: dict[str, UserQuota] = {}
    for row in rows:
        defaults, members = wanted[row.id]
        limits = defaults.for_user(row.max_active_tasks, row.submits_per_minute)
        quotas[row.id] = await _usage(tx, row.id, limits, members)
    missing = set(wanted) - set(quotas)
    if missing:
        raise NotFound(f"no user {min(missing)}")
    return quotas


async def _usage(tx: Tx, user_id: str, limits: SubmitLimits, members: int) -> UserQuota:
    # Both reads stop at the limit, so a user with a long history costs no more than one
    # near their limits.
    unfinished = (
        select(tasks.c.id)
        .where(tasks.c.user_id == user_id, tasks.c.status.not_in([s.value for s in TERMINAL]))
        .limit(limits.max_active)
        .subquery()
    )
    active = (await tx.conn.execute(select(func.count()).select_from(unfinished))).scalar_one()
    # With ``k`` submits accepted before it here, a member needs the
    # (per_minute - k)-th newest earlier submit: positions per_minute - members .. per_minute - 1.
    offset = max(0, limits.per_minute - members)
    recent = (
        await tx.conn.execute(
            select(tasks.c.created_at)
            .where(tasks.c.user_id == user_id, tasks.c.created_at > tx.now - WINDOW)
            .order_by(tasks.c.created_at.desc())
            .offset(offset)
            .limit(min(members, limits.per_minute))
        )
    ).scalars()
    return UserQuota(limits=limits, active=int(active), recent=list(recent), offset=offset)


async def count_refusals(tx: Tx, user_id: str, limit: str, refusals: int) -> None:
    """Count ``refusals`` more submits of the user refused by ``limit``."""
    key = (quota_refusals.c.user_id == user_id) & (quota_refusals.c.limit_name == limit)
    counted = await tx.conn.execute(
        update(quota_refusals)
        .where(key)
        .values(refusals=quota_refusals.c.refusals + refusals, last_at=tx.now)
    )
    if counted.rowcount == 0:
        await tx.conn.execute(
            quota_refusals.insert().values(
                user_id=user_id, limit_name=limit, refusals=refusals, last_at=tx.now
            )
        )


class AccountQueries(StoreBase):
    async def list_users(self) -> list[UserRecord]:
        async with self.read() as conn:
            rows = await conn.execute(select(users).order_by(users.c.name))
            return [UserRecord.from_row(r) for r in rows]

    async def _user_named(self, name: str) -> UserRecord:
        async with self.read() as conn:
            row = (await conn.execute(select(users).where(users.c.name == name))).first()
        if row is None:
            raise NotFound(f"no user named {name!r}; `learnpath user list` lists them")
        return UserRecord.from_row(row)

    async def create_token(
        self, user_name: str, *, name: str = DEFAULT_TOKEN_NAME, expires_days: float | None = None
    ) -> tuple[TokenRecord, str]:
        """A new token for the user; returns it with its secret, which is shown only now."""
        user = await self._user_named(user_name)
        async with self.write() as tx:
            expires = tx.now + dt.timedelta(days=expires_days) if expires_days else None
            token_id, secret = await insert_token(tx, user.id, name, expires)
        return await self.token(token_id), secret

    async def token(self, token_id: str) -> TokenRecord:
        async with self.read() as conn:
            row = (
                await conn.execute(
                    select(*_TOKEN_COLUMNS)
                    .join(users, users.c.id == api_tokens.c.user_id)
                    .where(api_tokens.c.id == token_id)
                )
            ).first()
        if row is None:
            raise NotFound(f"no token {token_id}")
        return _token(row)

    async def list_tokens(
        self, *, user_name: str | None = None, user_id: str | None = None
    ) -> list[TokenRecord]:
        """Tokens, oldest first: every user's, or one user's (by name or id)."""
        query = select(*_TOKEN_COLUMNS).join(users, users.c.id == api_tokens.c.user_id)
        if user_name is not None:
            query = query.where(users.c.id == (await self._user_named(user_name)).id)
        if user_id is not None:
            query = query.where(api_tokens.c.user_id == user_id)
        async with self.read() as conn:
            rows = await conn.execute(query.order_by(api_tokens.c.created_at, api_tokens.c.id))
            return [_token(r) for r in rows]

    async def revoke_token(self, token_or_id: str, *, user_id: str | None = None) -> TokenRecord:
        """Revoke a token named by its id or its secret, and end the web sessions made from it.

        With ``user_id``, only that user's token can be revoked (another's is not found).
        Revoking twice keeps the first revocation time.
        """
        match = (api_tokens.c.id == token_or_id) | (
            api_tokens.c.token_hash == hash_secret(token_or_id)
        )
        async with self.write() as tx:
            row = (
                await tx.conn.execute(select(api_tokens.c.id, api_tokens.c.user_id).where(match))
            ).first()
            if row is None or (user_id is not None and row.user_id != user_id):
                raise NotFound("no such token; `learnpath token list` shows their ids")
            await tx.conn.execute(
                update(api_tokens)
                .where(api_tokens.c.id == row.id, api_tokens.c.revoked_at.is_(None))
                .values(revoked_at=tx.now)
            )
            await tx.conn.execute(delete(web_sessions).where(web_sessions.c.token_id == row.id))
            await tx.announce_tokens()
        return await self.token(row.id)

    async def authenticate(self, secret: str, *, cached: bool = False) -> Authenticated:
        """The user and token a bearer secret stands for; raises ``TokenRefused``.

        With ``cached`` (API requests), a token accepted less than the token cache's TTL
        ago is taken from ``store.tokencache`` without a database read; its expiry is still
        checked against the clock. Without it (signing in to the web UI, the CLI) the
        database is always asked. A use is recorded on the token at most once per
        ``LAST_USED_EVERY``.
        """
        token_hash = hash_secret(secret)
        if cached and self.token_cache.enabled:
            self._sync_token_cache()
            now = self.clock()
            hit = self.token_cache.get(token_hash, now)
            if hit is not None:
                if hit.expires_at is not None and hit.expires_at <= now:
                    self.token_cache.drop(token_hash)
                    raise _expired(hit.expires_at)
                if self._use_is_due(hit.token_id, hit.last_used_at, now):
                    await self._mark_used(hit.token_id)
                return Authenticated(user=hit.user, token_id=hit.token_id)
        async with self.read() as conn:
            row = (
                await conn.execute(
                    select(
                        users,
                        api_tokens.c.id.label("token_id"),
                        api_tokens.c.expires_at,
                        api_tokens.c.revoked_at,
                        api_tokens.c.last_used_at,
                    )
                    .join(users, users.c.id == api_tokens.c.user_id)
                    .where(api_tokens.c.token_hash == token_hash)
                )
            ).first()
        now = self.clock()
        if row is None:
            self.token_cache.drop(token_hash)
            raise TokenRefused("unauthenticated", "the bearer token is not valid")
        if row.revoked_at is not None:
            self.token_cache.drop(token_hash)
            raise TokenRefused(
                "token_revoked",
                f"this token was revoked at {row.revoked_at:%Y-%m-%d %H:%M} UTC; "
                "ask for a new one (`learnpath token create USER`)",
            )
        if row.expires_at is not None and row.expires_at <= now:
            self.token_cache.drop(token_hash)
            raise _expired(row.expires_at)
        user = UserRecord.from_row(row)
        self.token_cache.put(
            token_hash,
            CachedToken(
                user=user,
                token_id=row.token_id,
                expires_at=row.expires_at,
                last_used_at=row.last_used_at,
                checked_at=now,
            ),
        )
        if self._use_is_due(row.token_id, row.last_used_at, now):
            await self._mark_used(row.token_id)
        return Authenticated(user=user, token_id=row.token_id)

    def _sync_token_cache(self) -> None:
        """Forget the cached tokens when a revocation was announced since the last look:
        by this store at its commit, or by another process through ``NOTIFY``."""
        self.wakeups.start()  # no-op on SQLite and once listening
        version = self.tokens_signal.version
        if version != self._tokens_seen:
            self.token_cache.clear()
            self._tokens_seen = version

    _tokens_seen = 0

    def _use_is_due(self, token_id: str, last_used: dt.datetime | None, now: dt.datetime) -> bool:
        """Whether this use should be written: the stored one is older than
        ``LAST_USED_EVERY`` and this process has not just written one itself."""
        stale = now - LAST_USED_EVERY
        if last_used is not None and last_used > stale:
            return False
        if self.token_uses.get(token_id, stale) > stale:
            return False
        if len(self.token_uses) > 10_000:
            self.token_uses.clear()
        self.token_uses[token_id] = now
        return True

    async def _mark_used(self, token_id: str) -> None:
        async with self.write() as tx:
            await tx.conn.execute(
                update(api_tokens)
                .where(
                    api_tokens.c.id == token_id,
                    or_(
                        api_tokens.c.last_used_at.is_(None),
                        api_tokens.c.last_used_at <= tx.now - LAST_USED_EVERY,
                    ),
                )
                .values(last_used_at=tx.now)
            )

    async def set_user_quota(
        self, user_name: str, *, max_active_tasks: int | None, submits_per_minute: int | None
    ) -> UserRecord:
        """Set the user's own submit limits; None returns a limit to the settings' default."""
        user = await self._user_named(user_name)
        async with self.write() as tx:
            await tx.conn.execute(
                update(users)
                .where(users.c.id == user.id)
                .values(max_active_tasks=max_active_tasks, submits_per_minute=submits_per_minute)
            )
            await tx.announce_tokens()  # cached tokens carry the user's record
        return await self._user_named(user_name)

    async def create_session(self, auth: Authenticated, lifetime: dt.timedelta) -> str:
        """Start a web session from a token; returns the session id for the cookie.

        The session ends at ``lifetime`` from now, or earlier when its token expires.
        The user's expired sessions are cleared on the way.
        """
        session_id = secrets.token_urlsafe(32)
        async with self.write() as tx:
            token_expires = (
                await tx.conn.execute(
                    select(api_tokens.c.expires_at).where(api_tokens.c.id == auth.token_id)
                )
            ).scalar_one()
            expires = tx.now + lifetime
            if token_expires is not None:
                expires = min(expires, token_expires)
            await tx.conn.execute(
                delete(web_sessions).where(
                    web_sessions.c.user_id == auth.user.id, web_sessions.c.expires_at <= tx.now
                )
            )
            await tx.conn.execute(
                web_sessions.insert().values(
                    id_hash=hash_secret(session_id),
                    user_id=auth.user.id,
                    token_id=auth.token_id,
                    created_at=tx.now,
                    expires_at=expires,
                )
            )
        return session_id

    async def session_user(self, session_id: str) -> UserRecord | None:
        """The user of a live session: not expired, not ended, its token still usable."""
        now = self.clock()
        async with self.read() as conn:
            row = (
                await conn.execute(
                    select(users)
                    .join(web_sessions, web_sessions.c.user_id == users.c.id)
                    .join(api_tokens, api_tokens.c.id == web_sessions.c.token_id)
                    .where(
                        web_sessions.c.id_hash == hash_secret(session_id),
                        web_sessions.c.expires_at > now,
                        _live(now),  # type: ignore[arg-type]
                    )
                )
            ).first()
        return UserRecord.from_row(row) if row else None

    async def end_session(self, session_id: str) -> None:
        async with self.write() as tx:
            await tx.conn.execute(
                delete(web_sessions).where(web_sessions.c.id_hash == hash_secret(session_id))
            )

    async def quota_refusals(self) -> dict[str, dict[str, int]]:
        """Refused submits: per limit, per user name."""
        async with self.read() as conn:
            rows = await conn.execute(
                select(quota_refusals.c.limit_name, users.c.name, quota_refusals.c.refusals).join(
                    users, users.c.id == quota_refusals.c.user_id
                )
            )
            counts: dict[str, dict[str, int]] = {}
            for limit, name, refusals in rows:
                counts.setdefault(str(limit), {})[str(name)] = int(refusals)
        return counts
