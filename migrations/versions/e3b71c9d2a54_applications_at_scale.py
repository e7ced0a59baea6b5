"""Applications at scale: withdrawal, staff tags, and indexes for the staff list

- ``application.withdrawn_at`` (nullable) and ``application.withdrawal_reason`` (text, ''):
  the applicant pulled out; existing rows are not withdrawn.
- ``tag`` (a round's staff-only labels, unique by name within the round) and
  ``application_tag`` (which application carries which tag).
- Indexes on ``application`` (round_id, title), (round_id, amount), (round_id, created_at)
  for the staff list's sorts.

Revision ID: e3b71c9d2a54
Revises: b5c7d9e1f3a2
Create Date: 2026-12-04 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e3b71c9d2a54'
down_revision = 'b5c7d9e1f3a2'
branch_labels = None
depends_on = None

INDEXES = (
    ('ix_application_round_id_title', ['round_id', 'title']),
    ('ix_application_round_id_amount', ['round_id', 'amount']),
    ('ix_application_round_id_created_at', ['round_id', 'created_at']),
)


def upgrade():
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('withdrawal_reason', sa.Text(), server_default='',
                                      nullable=False))
        for name, columns in INDEXES:
            batch_op.create_index(name, columns, unique=False)
    op.create_table(
        'tag',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(['round_id'], ['round.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('round_id', 'name'),
    )
    op.create_table(
        'application_tag',
        sa.Column('application_id', sa.Integer(), nullable=False),
        sa.Column('tag_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['application_id'], ['application.id']),
        sa.ForeignKeyConstraint(['tag_id'], ['tag.id']),
        sa.PrimaryKeyConstraint('application_id', 'tag_id'),
    )
    op.create_index('ix_application_tag_tag_id', 'application_tag', ['tag_id'], unique=False)


def downgrade():
    op.drop_index('ix_application_tag_tag_id', table_name='application_tag')
    op.drop_table('application_tag')
    op.drop_table('tag')
    with op.batch_alter_table('application', schema=None) as batch_op:
        for name, _columns in reversed(INDEXES):
            batch_op.drop_index(name)
        batch_op.drop_column('withdrawal_reason')
        batch_op.drop_column('withdrawn_at')
