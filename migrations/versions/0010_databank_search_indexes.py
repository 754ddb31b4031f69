"""databank search: indexes for the facet counts of the whole databank

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 00:10:00
"""
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('databank_profiles') as batch:
        batch.create_index('ix_databank_profiles_chains', ['chain_mask'], unique=False)
    with op.batch_alter_table('databank_resources') as batch:
        batch.create_index('ix_databank_resources_masks', ['chain_mask', 'offer_mask', 'surface_m2'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('databank_resources') as batch:
        batch.drop_index('ix_databank_resources_masks')
    with op.batch_alter_table('databank_profiles') as batch:
        batch.drop_index('ix_databank_profiles_chains')
