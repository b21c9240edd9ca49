"""model request outcomes per step run

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 13:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'model_usage',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('step_run_id', sa.Integer(), nullable=False),
        sa.Column('task_id', sa.String(length=36), nullable=False),
        sa.Column('agent', sa.String(length=32), nullable=False),
        sa.Column('outcome', sa.String(length=32), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('input_tokens', sa.Integer(), nullable=False),
        sa.Column('output_tokens', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['step_run_id'],
            ['step_runs.id'],
            name=op.f('fk_model_usage_step_run_id_step_runs'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['task_id'],
            ['tasks.id'],
            name=op.f('fk_model_usage_task_id_tasks'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_model_usage')),
    )
    with op.batch_alter_table('model_usage', schema=None) as batch_op:
        batch_op.create_index('ix_model_usage_task', ['task_id', 'step_run_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('model_usage', schema=None) as batch_op:
        batch_op.drop_index('ix_model_usage_task')
    op.drop_table('model_usage')
