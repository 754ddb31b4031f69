"""Sessions that end (an epoch per account), the addresses an account signed in from, and whether a
resource's exact place may be shown publicly

Revision ID: 0019
Revises: 0022
Create Date: 2026-12-06 05:30:00
"""
from alembic import op
import sqlalchemy as sa

from engine.models import UTCDateTime

revision = '0019'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_epoch', sa.Integer(), nullable=False, server_default='0'))
    op.create_table(
        'login_known_addresses',
        sa.Column('user_id', sa.String(length=64), nullable=False),
        sa.Column('address_hash', sa.String(length=64), nullable=False),
        sa.Column('last_seen_at', UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_login_known_addresses_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'address_hash', name=op.f('pk_login_known_addresses')),
    )


    with op.batch_alter_table('databank_resources', schema=None) as batch_op:
        batch_op.add_column(sa.Column('exact_location_public', sa.Boolean(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('databank_resources', schema=None) as batch_op:
        batch_op.drop_column('exact_location_public')
    op.drop_table('login_known_addresses')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_epoch')
