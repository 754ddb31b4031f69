"""A phone number on an account: the operator may note a worker's (an offline worker is reached by phone)

Revision ID: 0026
Revises: 0019
Create Date: 2026-12-06 07:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0026'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('phone', sa.String(length=40), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.drop_column('phone')
