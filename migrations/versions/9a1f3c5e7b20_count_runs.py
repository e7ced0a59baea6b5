"""Count runs and pending overrides: the count is run once and confirmed as it was seen

- ``count_run``: the stored count of a round staff are looking at (inputs, outputs, the
  problems shown with it, a digest of the inputs, who ran it and when); one per round.
- ``pending_override``: a change to one application's result with its reason, saved one
  application at a time and applied when the decision is confirmed.

Revision ID: 9a1f3c5e7b20
Revises: 7d2f9c41e8b6
Create Date: 2026-12-02 15:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9a1f3c5e7b20'
down_revision = '7d2f9c41e8b6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'count_run',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.Column('inputs', sa.JSON(), nullable=False),
        sa.Column('outputs', sa.JSON(), nullable=False),
        sa.Column('problems', sa.JSON(), nullable=False),
        sa.Column('inputs_digest', sa.String(length=80), nullable=False),
        sa.Column('made_by_id', sa.Integer(), nullable=True),
        sa.Column('made_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['round_id'], ['round.id']),
        sa.ForeignKeyConstraint(['made_by_id'], ['user.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('round_id'),
    )
    op.create_table(
        'pending_override',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.Column('application_ref', sa.String(length=40), nullable=False),
        sa.Column('action', sa.String(length=10), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['round_id'], ['round.id']),
        sa.ForeignKeyConstraint(['author_id'], ['user.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('round_id', 'application_ref'),
    )


def downgrade():
    op.drop_table('pending_override')
    op.drop_table('count_run')
