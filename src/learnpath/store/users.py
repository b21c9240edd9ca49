"""Users and their learning progress (their tokens: ``store.accounts``)."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from learnpath.store.accounts import DEFAULT_TOKEN_NAME, hash_secret, insert_token
from learnpath.store.base import Conflict, NotFound, StoreBase
from learnpath.store.records import UserRecord
from learnpath.store.tables import learner_progress, roadmaps, users

LOCAL_USER = "local"


MAX_USER_NAME = 100


class InvalidUserName(ValueError):
    """A user name that is empty, padded with spaces, too long or holds control characters."""


def check_user_name(name: str) -> str:
    """Return `name` if it can name a user; otherwise raise `InvalidUserName` saying why."""
    if not name.strip():
        raise InvalidUserName("a user name must not be empty or only whitespace")
    if name != name.strip():
        raise InvalidUserName(f"user name {name!r} starts or ends with whitespace; remove it")
    if len(name) > MAX_USER_NAME:
        raise InvalidUserName(f"a user name has at most {MAX_USER_NAME} characters")
    if not name.isprintable() or any(0xD800 <= ord(c) <= 0xDFFF for c in name):
        raise InvalidUserName(f"user name {name!r} holds control or unprintable characters")
    return name


class UserQueries(StoreBase):
    async def create_user(self, name: str, *, admin: bool = False) -> tuple[UserRecord, str]:
        """Create a user with a first token (named ``default``, no expiry); returns the user
        and the token's secret, which is shown once and never stored.

        Raises `InvalidUserName` for a name `check_user_name` refuses.
        """
        check_user_name(name)
        try:
            async with self.write() as tx:
                user_id = str(uuid.uuid4())
                await tx.conn.execute(
                    users.insert().values(
                        id=user_id,
                        name=name,
                        # the retired column (see tables.users): a random value, no credential
                        token_hash=hash_secret(secrets.token_hex(32)),
                        is_admin=admin,
                        created_at=tx.now,
                    )
                )
                _, token = await insert_token(tx, user_id, DEFAULT_TOKEN_NAME, None)
        except IntegrityError as exc:
            raise Conflict(f"a user named {name!r} already exists", code="user_exists") from exc
        return UserRecord(id=user_id, name=name, is_admin=admin, created_at=tx.now), token

    async def user_by_name(self, name: str) -> UserRecord | None:
        async with self.read() as conn:
            row = (await conn.execute(select(users).where(users.c.name == name))).first()
        return UserRecord.from_row(row) if row else None

    async def local_user(self) -> UserRecord:
        """The single user of an embedded, token-less installation (created on first use)."""
        user = await self.user_by_name(LOCAL_USER)
        if user is not None:
            return user
        try:
            created, _ = await self.create_user(LOCAL_USER, admin=True)
            return created
        except Conflict:
            user = await self.user_by_name(LOCAL_USER)
            assert user is not None
            return user

    async def record_progress(
        self,
        user_id: str,
        roadmap_id: str,
        concept_id: str,
        *,
        done: bool | None = None,
        quiz_answers: list[int | None] | None = None,
        quiz_score: float | None = None,
    ) -> dict[str, Any]:
        async with self.write() as tx:
            owner = (
                await tx.conn.execute(select(roadmaps.c.user_id).where(roadmaps.c.id == roadmap_id))
            ).scalar_one_or_none()
            if owner != user_id:
                raise NotFound(f"no roadmap {roadmap_id}")
            key = (
                (learner_progress.c.user_id == user_id)
                & (learner_progress.c.roadmap_id == roadmap_id)
                & (learner_progress.c.concept_id == concept_id)
            )
            row = (await tx.conn.execute(select(learner_progress).where(key))).first()
            values: dict[str, Any] = {"updated_at": tx.now}
            if done is not None:
                values["done"] = done
            if quiz_answers is not None:
                values |= {"quiz_answers": quiz_answers, "quiz_score": quiz_score}
            if row is None:
                await tx.conn.execute(
                    learner_progress.insert().values(
                        user_id=user_id,
                        roadmap_id=roadmap_id,
                        concept_id=concept_id,
                        **{"done": False, **values},
                    )
                )
            else:
                await tx.conn.execute(update(learner_progress).where(key).values(**values))
            result = (await tx.conn.execute(select(learner_progress).where(key))).one()
            return _progress(result)

    async def progress(self, user_id: str, roadmap_id: str) -> list[dict[str, Any]]:
        async with self.read() as conn:
            rows = await conn.execute(
                select(learner_progress)
                .where(
                    learner_progress.c.user_id == user_id,
                    learner_progress.c.roadmap_id == roadmap_id,
                )
                .order_by(learner_progress.c.id)
            )
            return [_progress(r) for r in rows]


def _progress(row: Any) -> dict[str, Any]:
    return {
        "concept_id": row.concept_id,
        "done": row.done,
        "quiz_answers": row.quiz_answers,
        "quiz_score": row.quiz_score,
        "updated_at": row.updated_at,
    }
