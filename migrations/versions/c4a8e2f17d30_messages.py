"""Messages: members without an email address, their language, and when they were reminded

- ``user.email`` may be NULL: a panel member without email signs in by invitation link (a
  printed letter). The unique constraint stays (NULLs never clash, on SQLite or PostgreSQL).
- ``user.language``: the language code for their emails and letters, if known (NULL: the
  default language).
- ``membership.reminded_at``: when a scoring reminder was last emailed (at most one a day).

Downgrading gives any account without an email a placeholder that can never be delivered
(``no-email-<id>@invalid``), so the column can be NOT NULL again.

Revision ID: c4a8e2f17d30
Revises: 5e0c1d7a9b42
Create Date: 2026-12-04 10:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4a8e2f17d30'
down_revision = '5e0c1d7a9b42'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.alter_column('email', existing_type=sa.String(length=254), nullable=True)
        batch_op.add_column(sa.Column('language', sa.String(length=10), nullable=True))
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.drop_column('reminded_at')
    user = sa.table('user', sa.column('id', sa.Integer), sa.column('email', sa.String))
    op.execute(
        user.update()
        .where(user.c.email.is_(None))
        .values(email=sa.literal('no-email-') + sa.cast(user.c.id, sa.String)
                + sa.literal('@invalid'))
    )
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('language')
        batch_op.alter_column('email', existing_type=sa.String(length=254), nullable=False)
