"""Panel care: pay settings per round, time entries and expense claims

Revision ID: c8e4f2a6d1b9
Revises: f1d8b2c6e4a7
Create Date: 2026-12-02 15:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c8e4f2a6d1b9'
down_revision = 'f1d8b2c6e4a7'
branch_labels = None
depends_on = None

STATUS = ('submitted', 'approved', 'rejected')


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade():
    op.create_table(
        'pay_settings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.Column('basis', sa.String(length=10), nullable=False),
        sa.Column('rate', sa.BigInteger(), nullable=True),
        sa.Column('fee', sa.BigInteger(), nullable=True),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(_in('basis', ('none', 'hourly', 'fee')),
                           name=op.f('ck_pay_settings_basis')),
        sa.ForeignKeyConstraint(['round_id'], ['round.id'],
                                name=op.f('fk_pay_settings_round_id_round')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_pay_settings')),
        sa.UniqueConstraint('round_id', name=op.f('uq_pay_settings_round_id')),
    )
    op.create_table(
        'time_entry',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('membership_id', sa.Integer(), nullable=False),
        sa.Column('worked_on', sa.Date(), nullable=False),
        sa.Column('minutes', sa.Integer(), nullable=False),
        sa.Column('what_for', sa.String(length=200), nullable=False),
        sa.Column('entered_by', sa.String(length=10), nullable=False),
        sa.Column('entered_by_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('minutes > 0', name=op.f('ck_time_entry_minutes')),
        sa.CheckConstraint(_in('entered_by', ('member', 'staff')),
                           name=op.f('ck_time_entry_entered_by')),
        sa.CheckConstraint(_in('status', STATUS), name=op.f('ck_time_entry_status')),
        sa.ForeignKeyConstraint(['membership_id'], ['membership.id'],
                                name=op.f('fk_time_entry_membership_id_membership')),
        sa.ForeignKeyConstraint(['entered_by_id'], ['user.id'],
                                name=op.f('fk_time_entry_entered_by_id_user')),
        sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'],
                                name=op.f('fk_time_entry_decided_by_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_time_entry')),
    )
    op.create_index('ix_time_entry_membership_id', 'time_entry', ['membership_id'])
    op.create_table(
        'expense_claim',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('membership_id', sa.Integer(), nullable=False),
        sa.Column('category', sa.String(length=20), nullable=False),
        sa.Column('amount', sa.BigInteger(), nullable=False),
        sa.Column('spent_on', sa.Date(), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('amount > 0', name=op.f('ck_expense_claim_amount')),
        sa.CheckConstraint(_in('category', ('travel', 'childcare', 'care', 'interpreter',
                                            'data', 'other')),
                           name=op.f('ck_expense_claim_category')),
        sa.CheckConstraint(_in('status', STATUS), name=op.f('ck_expense_claim_status')),
        sa.ForeignKeyConstraint(['membership_id'], ['membership.id'],
                                name=op.f('fk_expense_claim_membership_id_membership')),
        sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'],
                                name=op.f('fk_expense_claim_decided_by_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_expense_claim')),
    )
    op.create_index('ix_expense_claim_membership_id', 'expense_claim', ['membership_id'])


def downgrade():
    op.drop_index('ix_expense_claim_membership_id', table_name='expense_claim')
    op.drop_table('expense_claim')
    op.drop_index('ix_time_entry_membership_id', table_name='time_entry')
    op.drop_table('time_entry')
    op.drop_table('pay_settings')
