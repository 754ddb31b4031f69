"""Consent withdrawal: a consent record says whether consent was given or withdrawn, by whom and how; a
databank profile whose processing stopped is hidden from other desks and the catalogue

Revision ID: 0018
Revises: 0024
Create Date: 2026-12-06 06:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0018'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('consent_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=16), nullable=False, server_default='given'))
        batch_op.add_column(sa.Column('channel', sa.String(length=16), nullable=False, server_default='portal'))
        batch_op.add_column(sa.Column('recorded_by', sa.String(length=64), nullable=True))
    with op.batch_alter_table('databank_profiles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('processing_stopped', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('databank_profiles', schema=None) as batch_op:
        batch_op.drop_column('processing_stopped')
    with op.batch_alter_table('consent_records', schema=None) as batch_op:
        batch_op.drop_column('recorded_by')
        batch_op.drop_column('channel')
        batch_op.drop_column('kind')
