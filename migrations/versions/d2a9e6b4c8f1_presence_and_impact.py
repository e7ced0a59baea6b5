"""Presence and impact: anonymous monitoring answers and the panel experience survey

- ``monitoring_setup``: which monitoring questions a round asks, and its target make-up.
- ``monitoring_response`` and ``survey_response``: anonymous answers, with the round only (a
  random id; no member, no time).
- ``impact_answered``: that a member has answered (member and kind only), to stop repeats.

Revision ID: d2a9e6b4c8f1
Revises: c8e4f2a6d1b9
Create Date: 2026-12-02 16:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd2a9e6b4c8f1'
down_revision = 'c8e4f2a6d1b9'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'monitoring_setup',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.Column('questions', sa.JSON(), nullable=False),
        sa.Column('targets', sa.JSON(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['round_id'], ['round.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('round_id'),
    )
    op.create_table(
        'monitoring_response',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.Column('answers', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['round_id'], ['round.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_monitoring_response_round_id'), 'monitoring_response',
                    ['round_id'], unique=False)
    op.create_table(
        'survey_response',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.Column('ratings', sa.JSON(), nullable=False),
        sa.Column('worked_well', sa.Text(), nullable=False),
        sa.Column('change', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['round_id'], ['round.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_survey_response_round_id'), 'survey_response', ['round_id'],
                    unique=False)
    op.create_table(
        'impact_answered',
        sa.Column('membership_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.CheckConstraint("kind IN ('monitoring', 'survey')", name=op.f('ck_impact_answered_kind')),
        sa.ForeignKeyConstraint(['membership_id'], ['membership.id']),
        sa.PrimaryKeyConstraint('membership_id', 'kind'),
    )


def downgrade():
    op.drop_table('impact_answered')
    op.drop_index(op.f('ix_survey_response_round_id'), table_name='survey_response')
    op.drop_table('survey_response')
    op.drop_index(op.f('ix_monitoring_response_round_id'), table_name='monitoring_response')
    op.drop_table('monitoring_response')
    op.drop_table('monitoring_setup')
