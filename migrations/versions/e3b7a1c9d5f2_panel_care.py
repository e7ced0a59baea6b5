"""Panel care: assisted entry, per-member deadline extensions, content warnings and skips

- ``score_sheet.entered_by_id``: staff who entered the sheet on the member's behalf.
- ``membership.extended_until``: a later scoring deadline for one member.
- ``application.content_warning``: a short warning shown before the text ("" for none).
- ``skip``: a member chose not to score an application (not a conflict).

Revision ID: e3b7a1c9d5f2
Revises: 9a1f3c5e7b20
Create Date: 2026-12-10 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e3b7a1c9d5f2'
down_revision = '9a1f3c5e7b20'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('score_sheet', schema=None) as batch_op:
        batch_op.add_column(sa.Column('entered_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            'fk_score_sheet_entered_by_id_user', 'user', ['entered_by_id'], ['id'])
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.add_column(sa.Column('extended_until', sa.Date(), nullable=True))
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.add_column(sa.Column('content_warning', sa.String(length=200),
                                      server_default='', nullable=False))
    op.create_table(
        'skip',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('membership_id', sa.Integer(), nullable=False),
        sa.Column('application_id', sa.Integer(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['membership_id'], ['membership.id'],
                                name='fk_skip_membership_id_membership'),
        sa.ForeignKeyConstraint(['application_id'], ['application.id'],
                                name='fk_skip_application_id_application'),
        sa.PrimaryKeyConstraint('id', name='pk_skip'),
        sa.UniqueConstraint('membership_id', 'application_id',
                            name='uq_skip_membership_id_application_id'),
    )
    op.create_index('ix_skip_application_id', 'skip', ['application_id'], unique=False)


def downgrade():
    op.drop_index('ix_skip_application_id', table_name='skip')
    op.drop_table('skip')
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.drop_column('content_warning')
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.drop_column('extended_until')
    with op.batch_alter_table('score_sheet', schema=None) as batch_op:
        batch_op.drop_constraint('fk_score_sheet_entered_by_id_user', type_='foreignkey')
        batch_op.drop_column('entered_by_id')

