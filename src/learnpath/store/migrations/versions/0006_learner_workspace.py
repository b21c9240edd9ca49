"""the learner's workspace: trash, share links and who made each edit

Revision ID: 0006
Revises: 0003
Create Date: 2026-12-03 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from learnpath.store.tables import UTCDateTime

revision: str = "0006"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("roadmaps") as batch:
        batch.add_column(sa.Column("deleted_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("share_token_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("shared_at", UTCDateTime(), nullable=True))
        batch.create_unique_constraint("uq_roadmaps_share_token_hash", ["share_token_hash"])
    with op.batch_alter_table("edit_records") as batch:
        batch.add_column(sa.Column("user_id", sa.String(length=36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("edit_records") as batch:
        batch.drop_column("user_id")
    with op.batch_alter_table("roadmaps") as batch:
        batch.drop_constraint("uq_roadmaps_share_token_hash", type_="unique")
        batch.drop_column("shared_at")
        batch.drop_column("share_token_hash")
        batch.drop_column("deleted_at")
