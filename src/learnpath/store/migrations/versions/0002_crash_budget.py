"""job recoveries and progress markers (crash budget)

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 13:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


_COUNTERS = ("progress_seq", "claimed_progress", "recoveries", "crash_streak")


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        for name in _COUNTERS:
            batch.add_column(
                sa.Column(name, sa.Integer(), nullable=False, server_default=sa.text("0"))
            )
        batch.add_column(sa.Column("crash_point", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("crash_point")
        for name in reversed(_COUNTERS):
            batch.drop_column(name)
