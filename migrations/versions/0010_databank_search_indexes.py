"""databank search: indexes for the facet counts of the whole databank and for the look-up of matches

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
        batch.create_index('ix_databank_profiles_lookup', ['id', 'region', 'province', 'availability', 'mobility',
                                                           'desk_id', 'chain_mask', 'years_experience',
                                                           'available_from'], unique=False)
    with op.batch_alter_table('databank_resources') as batch:
        batch.create_index('ix_databank_resources_masks', ['chain_mask', 'offer_mask', 'surface_m2'], unique=False)
        batch.create_index('ix_databank_resources_lookup', ['id', 'category', 'status', 'condition', 'region',
                                                            'province', 'desk_id', 'chain_mask', 'offer_mask',
                                                            'surface_m2', 'published', 'available_from'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('databank_resources') as batch:
        batch.drop_index('ix_databank_resources_lookup')
        batch.drop_index('ix_databank_resources_masks')
    with op.batch_alter_table('databank_profiles') as batch:
        batch.drop_index('ix_databank_profiles_lookup')
        batch.drop_index('ix_databank_profiles_chains')
