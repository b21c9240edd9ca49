"""Request and response bodies of the account routes: users, tokens, submit limits."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from learnpath.store.records import TokenRecord, UserRecord


class UserOut(BaseModel):
    name: str
    admin: bool
    created_at: dt.datetime
    max_active_tasks: int | None = Field(
        description="The user's own limit of unfinished tasks (null: LEARNPATH_USER_MAX_ACTIVE_TASKS)"
    )
    submits_per_minute: int | None = Field(
        description="The user's own submits per minute (null: LEARNPATH_USER_SUBMITS_PER_MINUTE)"
    )

    @classmethod
    def of(cls, user: UserRecord) -> UserOut:
        return cls(
            name=user.name,
            admin=user.is_admin,
            created_at=user.created_at,
            max_active_tasks=user.max_active_tasks,
            submits_per_minute=user.submits_per_minute,
        )


class TokenOut(BaseModel):
    """A token as it can be shown again: never its secret (only its hash is stored)."""

    id: str
    name: str
    user: str
    state: Literal["active", "revoked", "expired"]
    created_at: dt.datetime
    last_used_at: dt.datetime | None = Field(description="Updated at most once a minute")
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None

    @classmethod
    def of(cls, token: TokenRecord, now: dt.datetime) -> TokenOut:
        return cls(
            id=token.id,
            name=token.name,
            user=token.user_name,
            state=token.state(now),
            created_at=token.created_at,
            last_used_at=token.last_used_at,
            expires_at=token.expires_at,
            revoked_at=token.revoked_at,
        )


class TokenCreated(TokenOut):
    token: str = Field(description="The secret: shown only in this response, never again")


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(default="api", min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$")
    expires_days: float | None = Field(
        default=None, gt=0, le=3650, description="Days until it expires (null: never)"
    )


class QuotaIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_active_tasks: int | None = Field(
        ge=1, le=1_000_000, description="null returns it to the setting's default"
    )
    submits_per_minute: int | None = Field(
        ge=1, le=1_000_000, description="null returns it to the setting's default"
    )
