"""public catalogue

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 00:10:00
"""
from alembic import op
import sqlalchemy as sa
import engine.models


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('databank_contact_throttles',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('requests', sa.Integer(), nullable=False),
    sa.Column('window_start', engine.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_databank_contact_throttles'))
    )


def downgrade() -> None:
    op.drop_table('databank_contact_throttles')
