"""decision stages: the declared chain, ballots, consent answers, strong objections

- ``round.stages``: the declared decision chain (``rules.stages`` of record schema 3), empty
  for rounds made before it (they keep the default chain: scores, then fund down the list);
  ``round.stages_done``: the interactive stages finished so far.
- ``round.aggregation`` gains ``trimmed-mean`` (column widened to 20); ``round.state`` gains
  ``rescoring``, ``voting`` and ``consenting`` (the CHECK constraints are replaced).
- ``score_sheet.objection`` / ``objection_reason``: a member's strong objection (flags the
  application for discussion; the reason is private).
- ``ballot`` and ``consent_answer``: one per member per round.
- Indexes for counting per application (progress pages, the count): score sheets by
  application and status, conflicts by application.

The key lists are written out here so this migration never changes when the vocabulary grows.

Revision ID: a6a629ad564f
Revises: 3b1bfb9df9ec
Create Date: 2026-12-02 06:11:49.450284

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a6a629ad564f'
down_revision = '3b1bfb9df9ec'
branch_labels = None
depends_on = None

OLD_CHECKS = [
    ("round", "aggregation", ["mean", "median"]),
    ("round", "state", ["draft", "open", "closed", "decided", "published"]),
]
NEW_CHECKS = [
    ("round", "aggregation", ["mean", "median", "trimmed-mean"]),
    ("round", "state",
     ["draft", "open", "closed", "decided", "published", "rescoring", "voting", "consenting"]),
]


def _in(column, values):
    quoted = ", ".join(f"'{v}'" for v in values)
    return f'"{column}" IN ({quoted})'


def _swap_checks(checks_from, checks_to):
    with op.batch_alter_table("round", schema=None) as batch_op:
        for table, column, _values in checks_from:
            batch_op.drop_constraint(op.f(f"ck_{table}_{column}"), type_="check")
    with op.batch_alter_table("round", schema=None) as batch_op:
        for table, column, values in checks_to:
            batch_op.create_check_constraint(op.f(f"ck_{table}_{column}"), _in(column, values))


def upgrade():
    op.create_table('ballot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('membership_id', sa.Integer(), nullable=False),
    sa.Column('ranking', sa.JSON(), nullable=False),
    sa.Column('approved', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint(_in("status", ["draft", "submitted"]), name=op.f('ck_ballot_status')),
    sa.ForeignKeyConstraint(['membership_id'], ['membership.id'], name=op.f('fk_ballot_membership_id_membership')),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_ballot_round_id_round')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballot')),
    sa.UniqueConstraint('round_id', 'membership_id', name=op.f('uq_ballot_round_id_membership_id'))
    )
    op.create_table('consent_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('membership_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.String(length=12), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint(_in("position", ["consent", "object"]),
                       name=op.f('ck_consent_answer_position')),
    sa.ForeignKeyConstraint(['application_id'], ['application.id'], name=op.f('fk_consent_answer_application_id_application')),
    sa.ForeignKeyConstraint(['membership_id'], ['membership.id'], name=op.f('fk_consent_answer_membership_id_membership')),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_consent_answer_round_id_round')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_answer')),
    sa.UniqueConstraint('round_id', 'membership_id', name=op.f('uq_consent_answer_round_id_membership_id'))
    )
    with op.batch_alter_table('round', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stages', sa.JSON(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('stages_done', sa.JSON(), server_default='[]',
                                      nullable=False))
        batch_op.alter_column('aggregation',
               existing_type=sa.VARCHAR(length=10),
               type_=sa.String(length=20),
               existing_nullable=False)
    _swap_checks(OLD_CHECKS, NEW_CHECKS)

    with op.batch_alter_table('score_sheet', schema=None) as batch_op:
        batch_op.add_column(sa.Column('objection', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('objection_reason', sa.Text(), server_default='', nullable=False))
        batch_op.create_index('ix_score_sheet_application_id_status',
                              ['application_id', 'status'], unique=False)
    with op.batch_alter_table('conflict', schema=None) as batch_op:
        batch_op.create_index('ix_conflict_application_id', ['application_id'], unique=False)


def downgrade():
    with op.batch_alter_table('conflict', schema=None) as batch_op:
        batch_op.drop_index('ix_conflict_application_id')
    with op.batch_alter_table('score_sheet', schema=None) as batch_op:
        batch_op.drop_index('ix_score_sheet_application_id_status')
        batch_op.drop_column('objection_reason')
        batch_op.drop_column('objection')

    # Rounds in a stage state go back to "closed"; trimmed means fall back to the mean.
    op.execute("UPDATE round SET state = 'closed' "
               "WHERE state IN ('rescoring', 'voting', 'consenting')")
    op.execute("UPDATE round SET aggregation = 'mean' WHERE aggregation = 'trimmed-mean'")
    _swap_checks(NEW_CHECKS, OLD_CHECKS)
    with op.batch_alter_table('round', schema=None) as batch_op:
        batch_op.alter_column('aggregation',
               existing_type=sa.String(length=20),
               type_=sa.VARCHAR(length=10),
               existing_nullable=False)
        batch_op.drop_column('stages_done')
        batch_op.drop_column('stages')

    op.drop_table('consent_answer')
    op.drop_table('ballot')
