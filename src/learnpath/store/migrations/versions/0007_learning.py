"""learning: tutor, notes, review cards, calendar feeds

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 07:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import learnpath.store.tables


revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('learner_calendars',
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('feed_token_hash', sa.String(length=64), nullable=True),
    sa.Column('feed_created_at', learnpath.store.tables.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', learnpath.store.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', learnpath.store.tables.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_learner_calendars_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_learner_calendars')),
    sa.UniqueConstraint('feed_token_hash', name=op.f('uq_learner_calendars_feed_token_hash'))
    )
    op.create_table('concept_notes',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('roadmap_id', sa.String(length=36), nullable=False),
    sa.Column('concept_id', sa.String(length=64), nullable=False),
    sa.Column('markdown', sa.Text(), nullable=False),
    sa.Column('source_message_id', sa.String(length=36), nullable=True),
    sa.Column('created_at', learnpath.store.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', learnpath.store.tables.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['roadmap_id'], ['roadmaps.id'], name=op.f('fk_concept_notes_roadmap_id_roadmaps'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_concept_notes_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_concept_notes'))
    )
    with op.batch_alter_table('concept_notes', schema=None) as batch_op:
        batch_op.create_index('ix_concept_notes_owner', ['user_id', 'roadmap_id', 'concept_id'], unique=False)

    op.create_table('review_cards',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('roadmap_id', sa.String(length=36), nullable=False),
    sa.Column('concept_id', sa.String(length=64), nullable=False),
    sa.Column('quiz_version', sa.Integer(), nullable=False),
    sa.Column('question_index', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('fsrs', sa.JSON(), nullable=True),
    sa.Column('due', learnpath.store.tables.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_review', learnpath.store.tables.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reps', sa.Integer(), nullable=False),
    sa.Column('lapses', sa.Integer(), nullable=False),
    sa.Column('created_at', learnpath.store.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', learnpath.store.tables.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['roadmap_id'], ['roadmaps.id'], name=op.f('fk_review_cards_roadmap_id_roadmaps'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_review_cards_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_cards')),
    sa.UniqueConstraint('user_id', 'roadmap_id', 'concept_id', 'quiz_version', 'question_index', name=op.f('uq_review_cards_user_id_roadmap_id_concept_id_quiz_version_question_index'))
    )
    with op.batch_alter_table('review_cards', schema=None) as batch_op:
        batch_op.create_index('ix_review_cards_due', ['user_id', 'state', 'due'], unique=False)

    op.create_table('tutor_messages',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('roadmap_id', sa.String(length=36), nullable=False),
    sa.Column('concept_id', sa.String(length=64), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('sources', sa.JSON(), nullable=True),
    sa.Column('citations', sa.JSON(), nullable=True),
    sa.Column('generated_by', sa.String(length=200), nullable=True),
    sa.Column('error_code', sa.String(length=64), nullable=True),
    sa.Column('error_message', sa.Text(), nullable=True),
    sa.Column('created_at', learnpath.store.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', learnpath.store.tables.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['roadmap_id'], ['roadmaps.id'], name=op.f('fk_tutor_messages_roadmap_id_roadmaps'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_tutor_messages_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tutor_messages')),
    sa.UniqueConstraint('user_id', 'roadmap_id', 'concept_id', 'seq', name=op.f('uq_tutor_messages_user_id_roadmap_id_concept_id_seq'))
    )
    with op.batch_alter_table('tutor_messages', schema=None) as batch_op:
        batch_op.create_index('ix_tutor_messages_user_created', ['user_id', 'created_at'], unique=False)

    op.create_table('review_logs',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('card_id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('rating', sa.String(length=8), nullable=False),
    sa.Column('chosen', sa.Integer(), nullable=True),
    sa.Column('correct', sa.Boolean(), nullable=True),
    sa.Column('reviewed_at', learnpath.store.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('due_before', learnpath.store.tables.UTCDateTime(timezone=True), nullable=True),
    sa.Column('due_after', learnpath.store.tables.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['card_id'], ['review_cards.id'], name=op.f('fk_review_logs_card_id_review_cards'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_review_logs_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_logs'))
    )
    with op.batch_alter_table('review_logs', schema=None) as batch_op:
        batch_op.create_index('ix_review_logs_card', ['card_id', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('review_logs', schema=None) as batch_op:
        batch_op.drop_index('ix_review_logs_card')

    op.drop_table('review_logs')
    with op.batch_alter_table('tutor_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_tutor_messages_user_created')

    op.drop_table('tutor_messages')
    with op.batch_alter_table('review_cards', schema=None) as batch_op:
        batch_op.drop_index('ix_review_cards_due')

    op.drop_table('review_cards')
    with op.batch_alter_table('concept_notes', schema=None) as batch_op:
        batch_op.drop_index('ix_concept_notes_owner')

    op.drop_table('concept_notes')
    op.drop_table('learner_calendars')
