"""accounts: several revocable, expiring API tokens per user, web sessions, submit quotas

Every user's single token moves into ``api_tokens`` (named ``default``) and keeps working;
``users.token_hash`` is then overwritten with the hash of a random value, so it holds no
credential. The column stays: SQLite cannot drop a UNIQUE column without rebuilding
``users``, and with foreign keys on, that rebuild would cascade-delete every user's data.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 13:00:00
"""

import hashlib
import secrets
import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from learnpath.store.tables import UTCDateTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.Column("last_used_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_index("ix_api_tokens_user", "api_tokens", ["user_id", "created_at"])
    op.create_table(
        "web_sessions",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("token_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["token_id"],
            ["api_tokens.id"],
            name=op.f("fk_web_sessions_token_id_api_tokens"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_web_sessions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_web_sessions")),
    )
    op.create_index("ix_web_sessions_token", "web_sessions", ["token_id"])
    op.create_table(
        "quota_refusals",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("limit_name", sa.String(length=32), nullable=False),
        sa.Column("refusals", sa.Integer(), nullable=False),
        sa.Column("last_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_quota_refusals_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "limit_name", name=op.f("pk_quota_refusals")),
    )
    # Plain ADD COLUMN and CREATE INDEX: neither rebuilds a table on SQLite.
    op.add_column("users", sa.Column("max_active_tasks", sa.Integer(), nullable=True))
    op.add_column("users", sa.Column("submits_per_minute", sa.Integer(), nullable=True))
    op.create_index("ix_tasks_user_status", "tasks", ["user_id", "status"])

    bind = op.get_bind()
    users = sa.table(
        "users",
        sa.column("id", sa.String),
        sa.column("token_hash", sa.String),
        sa.column("created_at", UTCDateTime()),
    )
    tokens = sa.table(
        "api_tokens",
        sa.column("id", sa.String),
        sa.column("user_id", sa.String),
        sa.column("name", sa.String),
        sa.column("token_hash", sa.String),
        sa.column("created_at", UTCDateTime()),
    )
    for user_id, token_hash, created_at in bind.execute(
        sa.select(users.c.id, users.c.token_hash, users.c.created_at)
    ).all():
        bind.execute(
            tokens.insert().values(
                id=str(uuid.uuid4()),
                user_id=user_id,
                name="default",
                token_hash=token_hash,
                created_at=created_at,
            )
        )
        filler = hashlib.sha256(secrets.token_bytes(32)).hexdigest()
        bind.execute(users.update().where(users.c.id == user_id).values(token_hash=filler))


def downgrade() -> None:
    # Each user gets back the hash of their oldest token that is still usable (or of a
    # random value when none is), so the single-token schema keeps working for them.
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT user_id, token_hash FROM api_tokens WHERE revoked_at IS NULL "
            "AND expires_at IS NULL ORDER BY created_at DESC"
        )
    ).all()
    oldest = {user_id: token_hash for user_id, token_hash in rows}
    for user_id, token_hash in oldest.items():
        bind.execute(
            sa.text("UPDATE users SET token_hash = :hash WHERE id = :id"),
            {"hash": token_hash, "id": user_id},
        )
    op.drop_index("ix_tasks_user_status", table_name="tasks")
    # ALTER TABLE … DROP COLUMN, not a batch rebuild of users (see the module's docstring).
    op.execute("ALTER TABLE users DROP COLUMN submits_per_minute")
    op.execute("ALTER TABLE users DROP COLUMN max_active_tasks")
    op.drop_table("quota_refusals")
    op.drop_index("ix_web_sessions_token", table_name="web_sessions")
    op.drop_table("web_sessions")
    op.drop_index("ix_api_tokens_user", table_name="api_tokens")
    op.drop_table("api_tokens")
