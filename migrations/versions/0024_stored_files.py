"""The database file store: uploaded files in chunks, shared by every app server

Revision ID: 0024
Revises: 0017
Create Date: 2026-12-06 05:30:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0024'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'stored_files',
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('size', sa.BigInteger(), nullable=False),
        sa.Column('touched_at', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('sha256', name=op.f('pk_stored_files')),
    )
    op.create_table(
        'stored_file_chunks',
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('offset', sa.BigInteger(), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['sha256'], ['stored_files.sha256'],
                                name=op.f('fk_stored_file_chunks_sha256_stored_files'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('sha256', 'offset', name=op.f('pk_stored_file_chunks')),
    )


def downgrade() -> None:
    op.drop_table('stored_file_chunks')
    op.drop_table('stored_files')
