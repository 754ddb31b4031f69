"""The database file store (uploaded files in chunks) and the databank imports waiting for confirmation, shared
by every app server

Revision ID: 0024
Revises: 0017
Create Date: 2026-12-06 05:30:00
"""
from alembic import op
import sqlalchemy as sa

from engine.models import UTCDateTime

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
    op.create_table(
        'pending_imports',
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('desk_id', sa.String(length=64), nullable=False),
        sa.Column('filename', sa.String(length=255), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_pending_imports')),
    )
    with op.batch_alter_table('pending_imports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pending_imports_created_at'), ['created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('pending_imports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pending_imports_created_at'))
    op.drop_table('pending_imports')
    op.drop_table('stored_file_chunks')
    op.drop_table('stored_files')
