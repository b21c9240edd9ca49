"""fair claims: jobs are claimed in start-time fair order across users

``jobs.fair_rank`` is the job's start tag and ``users.fair_rank`` the tag of the user's
newest job (see ``learnpath.store.fairness``). Existing jobs keep tag 0, so they are
claimed first, oldest first, as before.

Plain ``ADD COLUMN`` / ``DROP COLUMN`` on both backends: a batch rebuild of ``users`` on
SQLite would cascade to every table that refers to it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_QUEUED = sa.text("state = 'queued'")


def upgrade() -> None:
    for table in ("jobs", "users"):
        op.add_column(
            table, sa.Column("fair_rank", sa.Integer(), nullable=False, server_default="0")
        )
    op.drop_index("ix_jobs_runnable", "jobs")
    op.create_index(
        "ix_jobs_runnable",
        "jobs",
        ["fair_rank", "id"],
        postgresql_where=_QUEUED,
        sqlite_where=_QUEUED,
    )
    op.create_index("ix_jobs_fair_rank", "jobs", ["fair_rank"])


def downgrade() -> None:
    op.drop_index("ix_jobs_fair_rank", "jobs")
    op.drop_index("ix_jobs_runnable", "jobs")
    op.create_index(
        "ix_jobs_runnable", "jobs", ["id"], postgresql_where=_QUEUED, sqlite_where=_QUEUED
    )
    for table in ("users", "jobs"):
        op.execute(f"ALTER TABLE {table} DROP COLUMN fair_rank")
