"""The dossier PDFs already made, one per case and language (a cache of the slow PDF layout)

Revision ID: 0025
Revises: 0020
Create Date: 2026-12-06 05:40:00
"""
from alembic import op
import sqlalchemy as sa

from engine.models import UTCDateTime

revision = '0025'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'dossier_pdfs',
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('lang', sa.String(length=5), nullable=False),
        sa.Column('source_sha256', sa.String(length=64), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('made_at', UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_dossier_pdfs_case_id_cases'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('case_id', 'lang', name=op.f('pk_dossier_pdfs')),
    )


def downgrade() -> None:
    op.drop_table('dossier_pdfs')
