"""My work: when each staff user last marked the page as seen

Revision ID: 0022
Revises: 0018
Create Date: 2026-12-06 05:30:00
"""
from alembic import op
import sqlalchemy as sa

from engine.models import UTCDateTime

revision = '0022'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'work_seen',
        sa.Column('user_id', sa.String(length=64), nullable=False),
        sa.Column('seen_at', UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_work_seen_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_work_seen')),
    )


def downgrade() -> None:
    op.drop_table('work_seen')
