"""case members' sex and birth year (for the monitoring breakdowns), desks' contact email

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 00:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('case_members') as batch:
        batch.add_column(sa.Column('sex', sa.String(length=16), nullable=True))
        batch.add_column(sa.Column('birth_year', sa.Integer(), nullable=True))
    with op.batch_alter_table('desks') as batch:
        batch.add_column(sa.Column('contact_email', sa.String(length=254), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('desks') as batch:
        batch.drop_column('contact_email')
    with op.batch_alter_table('case_members') as batch:
        batch.drop_column('birth_year')
        batch.drop_column('sex')
