"""Case parties (roles a pathway declares, held per case), single-use signing links, a sign-off's decision

Revision ID: 0020
Revises: 0024
Create Date: 2026-12-06 05:40:00
"""
from alembic import op
import sqlalchemy as sa

from engine.models import UTCDateTime

revision = '0020'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'case_parties',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('role', sa.String(length=64), nullable=False),
        sa.Column('organisation', sa.String(length=200), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('phone', sa.String(length=40), nullable=False),
        sa.Column('language', sa.String(length=5), nullable=False),
        sa.Column('account_id', sa.String(length=64), nullable=True),
        sa.Column('added_by', sa.String(length=64), nullable=False),
        sa.Column('added_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('removed_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('removed_by', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_parties_case_id_cases'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_case_parties')),
    )
    with op.batch_alter_table('case_parties', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_parties_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_parties_account_id'), ['account_id'], unique=False)
    op.create_table(
        'signing_links',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('party_id', sa.Integer(), nullable=False),
        sa.Column('stage_id', sa.String(length=64), nullable=False),
        sa.Column('stage_visit', sa.Integer(), nullable=False),
        sa.Column('signoff_id', sa.String(length=64), nullable=False),
        sa.Column('created_by', sa.String(length=64), nullable=False),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('expires_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('used_at', UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_signing_links_case_id_cases'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['party_id'], ['case_parties.id'],
                                name=op.f('fk_signing_links_party_id_case_parties'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_signing_links')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_signing_links_token_hash')),
    )
    with op.batch_alter_table('signing_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signing_links_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_signing_links_party_id'), ['party_id'], unique=False)
    with op.batch_alter_table('signoffs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('decision', sa.String(length=16), nullable=False, server_default='approve'))
        batch_op.add_column(sa.Column('party_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('recorded_by', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('evidence_document_id', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('signoffs', schema=None) as batch_op:
        batch_op.drop_column('evidence_document_id')
        batch_op.drop_column('recorded_by')
        batch_op.drop_column('party_id')
        batch_op.drop_column('decision')
    op.drop_table('signing_links')
    op.drop_table('case_parties')
