"""Welsh content: staff-typed text in another language beside the English

- ``round.translations``, ``criterion.translations``, ``application.translations``: nullable
  JSON, like ``{"cy": {"name": "...", "purpose": "..."}}`` (only the values staff gave; a
  criterion's descriptors as a list). Existing rows get NULL: English only, as before. The
  English columns stay the source of truth and the only text the decision record publishes.

Revision ID: 5e0c1d7a9b42
Revises: a6a629ad564f
Create Date: 2026-12-03 09:12:05.118204

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e0c1d7a9b42'
down_revision = 'a6a629ad564f'
branch_labels = None
depends_on = None

TABLES = ("round", "criterion", "application")


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('translations', sa.JSON(), nullable=True))


def downgrade():
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('translations')
