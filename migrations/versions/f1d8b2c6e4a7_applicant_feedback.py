"""Applicant feedback: secret links, staff edits with a trace, release, the question route

- ``round.question_route``: how an applicant can question the decision (plain text).
- ``round.feedback_released_at``: when staff released feedback to applicants.
- ``feedback_link``: one secret link per application (only the token's SHA-256).
- ``feedback_edit``: staff's version of a sheet's feedback, with who, when and why.

Revision ID: f1d8b2c6e4a7
Revises: e3b71c9d2a54, e3b7a1c9d5f2
Create Date: 2026-12-05 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f1d8b2c6e4a7'
down_revision = ('e3b71c9d2a54', 'e3b7a1c9d5f2')
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('round') as batch_op:
        batch_op.add_column(sa.Column('question_route', sa.Text(), server_default='',
                                      nullable=False))
        batch_op.add_column(sa.Column('feedback_released_at', sa.DateTime(timezone=True),
                                      nullable=True))
    op.create_table(
        'feedback_link',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('application_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['application_id'], ['application.id'],
                                name=op.f('fk_feedback_link_application_id_application')),
        sa.ForeignKeyConstraint(['created_by_id'], ['user.id'],
                                name=op.f('fk_feedback_link_created_by_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_link')),
        sa.UniqueConstraint('application_id', name=op.f('uq_feedback_link_application_id')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_feedback_link_token_hash')),
    )
    op.create_table(
        'feedback_edit',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('sheet_id', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['sheet_id'], ['score_sheet.id'],
                                name=op.f('fk_feedback_edit_sheet_id_score_sheet')),
        sa.ForeignKeyConstraint(['author_id'], ['user.id'],
                                name=op.f('fk_feedback_edit_author_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_edit')),
    )
    op.create_index('ix_feedback_edit_sheet_id', 'feedback_edit', ['sheet_id'])


def downgrade():
    op.drop_index('ix_feedback_edit_sheet_id', table_name='feedback_edit')
    op.drop_table('feedback_edit')
    op.drop_table('feedback_link')
    with op.batch_alter_table('round') as batch_op:
        batch_op.drop_column('feedback_released_at')
        batch_op.drop_column('question_route')
