"""Assignment: shared-out reading (k readers per application), capacities and preferences

- ``round.readers_per_application``: nullable integer. NULL (every existing round) means every
  member reads every application, exactly as before, so existing rounds and records are
  unchanged.
- ``membership.capacity``: nullable integer, the most applications the member reads (NULL: no
  limit).
- ``assignment``: which member reads which application (``source`` ``auto`` or ``manual``),
  unique per (member, application), indexed by application and by round.
- ``assignment_preference``: a member's ``bid`` (+1 would like, -1 rather not) on an
  application, unique per (member, application).

Revision ID: 7d2f9c41e8b6
Revises: c4a8e2f17d30
Create Date: 2026-12-04 15:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7d2f9c41e8b6'
down_revision = 'c4a8e2f17d30'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('round', schema=None) as batch_op:
        batch_op.add_column(sa.Column('readers_per_application', sa.Integer(), nullable=True))
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.add_column(sa.Column('capacity', sa.Integer(), nullable=True))
    op.create_table('assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('membership_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("source IN ('auto', 'manual')", name=op.f('ck_assignment_source')),
    sa.ForeignKeyConstraint(['application_id'], ['application.id'], name=op.f('fk_assignment_application_id_application')),
    sa.ForeignKeyConstraint(['membership_id'], ['membership.id'], name=op.f('fk_assignment_membership_id_membership')),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_assignment_round_id_round')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignment')),
    sa.UniqueConstraint('membership_id', 'application_id', name=op.f('uq_assignment_membership_id_application_id'))
    )
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.create_index('ix_assignment_application_id', ['application_id'], unique=False)
        batch_op.create_index('ix_assignment_round_id', ['round_id'], unique=False)
    op.create_table('assignment_preference',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('membership_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('bid', sa.SmallInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('bid IN (-1, 1)', name=op.f('ck_assignment_preference_bid')),
    sa.ForeignKeyConstraint(['application_id'], ['application.id'], name=op.f('fk_assignment_preference_application_id_application')),
    sa.ForeignKeyConstraint(['membership_id'], ['membership.id'], name=op.f('fk_assignment_preference_membership_id_membership')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignment_preference')),
    sa.UniqueConstraint('membership_id', 'application_id', name=op.f('uq_assignment_preference_membership_id_application_id'))
    )


def downgrade():
    op.drop_table('assignment_preference')
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.drop_index('ix_assignment_round_id')
        batch_op.drop_index('ix_assignment_application_id')
    op.drop_table('assignment')
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.drop_column('capacity')
    with op.batch_alter_table('round', schema=None) as batch_op:
        batch_op.drop_column('readers_per_application')
