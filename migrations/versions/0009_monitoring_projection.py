"""monitoring projection: stage visits, jobs and supply chains per case, folded from the event log

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 00:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'monitoring_cursor',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('last_event_id', sa.BigInteger(), nullable=False),
        sa.Column('folded_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_monitoring_cursor')),
    )
    op.create_table(
        'monitored_cases',
        sa.Column('case_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('pathway_id', sa.String(length=64), nullable=False),
        sa.Column('desk_id', sa.String(length=64), nullable=False),
        sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('jobs_created', sa.Integer(), nullable=False),
        sa.Column('jobs_kept', sa.Integer(), nullable=False),
        sa.Column('sex_female', sa.Integer(), nullable=False),
        sa.Column('sex_male', sa.Integer(), nullable=False),
        sa.Column('sex_other', sa.Integer(), nullable=False),
        sa.Column('sex_not_recorded', sa.Integer(), nullable=False),
        sa.Column('age_under_25', sa.Integer(), nullable=False),
        sa.Column('age_25_34', sa.Integer(), nullable=False),
        sa.Column('age_35_44', sa.Integer(), nullable=False),
        sa.Column('age_45_54', sa.Integer(), nullable=False),
        sa.Column('age_55_over', sa.Integer(), nullable=False),
        sa.Column('age_not_recorded', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_monitored_cases_case_id_cases'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('case_id', name=op.f('pk_monitored_cases')),
    )
    op.create_index('ix_monitored_cases_desk', 'monitored_cases', ['desk_id', 'pathway_id'], unique=False)
    op.create_table(
        'case_supply_chains',
        sa.Column('case_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('chain', sa.String(length=64), nullable=False),
        sa.Column('pathway_id', sa.String(length=64), nullable=False),
        sa.Column('desk_id', sa.String(length=64), nullable=False),
        sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_supply_chains_case_id_cases'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('case_id', 'chain', name=op.f('pk_case_supply_chains')),
    )
    op.create_index('ix_case_supply_chains_chain', 'case_supply_chains', ['chain', 'desk_id'], unique=False)
    op.create_table(
        'stage_visits',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('pathway_id', sa.String(length=64), nullable=False),
        sa.Column('desk_id', sa.String(length=64), nullable=False),
        sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('stage_id', sa.String(length=64), nullable=False),
        sa.Column('visit', sa.Integer(), nullable=False),
        sa.Column('first_in_stage', sa.Boolean(), nullable=False),
        sa.Column('entered_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('entered_by_event', sa.BigInteger(), nullable=False),
        sa.Column('left_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('left_by_event', sa.BigInteger(), nullable=True),
        sa.Column('days', sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_stage_visits_case_id_cases'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_stage_visits')),
        sa.UniqueConstraint('entered_by_event', name=op.f('uq_stage_visits_entered_by_event')),
    )
    op.create_index('ix_stage_visits_case_id', 'stage_visits', ['case_id'], unique=False)
    op.create_index('ix_stage_visits_times', 'stage_visits', ['pathway_id', 'stage_id', 'days', 'first_in_stage'],
                    unique=False)
    op.create_index('ix_stage_visits_desk', 'stage_visits',
                    ['desk_id', 'pathway_id', 'stage_id', 'days', 'first_in_stage'], unique=False)
    op.create_index('ix_cases_pathway_status_outcome', 'cases',
                    ['pathway_id', 'status', 'outcome', 'desk_id', 'opened_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_cases_pathway_status_outcome', table_name='cases')
    op.drop_table('stage_visits')
    op.drop_table('case_supply_chains')
    op.drop_table('monitored_cases')
    op.drop_table('monitoring_cursor')
