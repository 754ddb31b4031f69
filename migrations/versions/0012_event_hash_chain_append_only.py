"""case events chained by hashes; events and audit log append-only in the database (triggers, erasure gate)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 02:40:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

APPEND_ONLY = ('events', 'audit_log')


def upgrade() -> None:
    # Plain ALTER TABLE on both databases: a batch copy of `events` on SQLite would lose its triggers.
    op.add_column('events', sa.Column('prev_hash', sa.String(length=64), nullable=False, server_default=''))
    op.add_column('events', sa.Column('hash', sa.String(length=64), nullable=False, server_default=''))
    op.create_table(
        'append_only_gate',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_append_only_gate')),
    )
    _chain_existing_events(op.get_bind())
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("""
            CREATE FUNCTION opera_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                -- Only the erasure's own transaction sees a row in the gate (engine/personal_data.py).
                IF EXISTS (SELECT 1 FROM append_only_gate) THEN
                    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
                    RETURN NEW;
                END IF;
                RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
                    USING ERRCODE = 'integrity_constraint_violation';
            END $$""")
        for table in APPEND_ONLY:
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       f"FOR EACH ROW EXECUTE FUNCTION opera_append_only()")
        # The gate never outlives its transaction: a commit with a row still in it fails.
        op.execute("""
            CREATE FUNCTION opera_gate_closed() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF EXISTS (SELECT 1 FROM append_only_gate) THEN
                    RAISE EXCEPTION 'append_only_gate left open: the transaction cannot commit'
                        USING ERRCODE = 'integrity_constraint_violation';
                END IF;
                RETURN NULL;
            END $$""")
        op.execute("CREATE CONSTRAINT TRIGGER append_only_gate_closed AFTER INSERT ON append_only_gate "
                   "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION opera_gate_closed()")
    else:
        for table in APPEND_ONLY:
            for action in ('UPDATE', 'DELETE'):
                op.execute(f"CREATE TRIGGER {table}_append_only_{action.lower()} BEFORE {action} ON {table} "
                           f"WHEN NOT EXISTS (SELECT 1 FROM append_only_gate) "
                           f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {action} refused'); END")


def _chain_existing_events(connection) -> None:  # noqa: ANN001
    """Chain the events written before this revision, case by case in their order (a thousand cases per read,
    so that millions of events never sit in memory at once)."""
    from engine.events import row_hash

    events = sa.table('events', sa.column('id'), sa.column('case_id'), sa.column('seq'), sa.column('type'),
                      sa.column('actor_id'), sa.column('actor_roles', sa.JSON()), sa.column('stage_id'),
                      sa.column('data', sa.JSON()), sa.column('prev_hash'), sa.column('hash'))
    set_hashes = sa.update(events).where(events.c.id == sa.bindparam('event_id')).values(
        prev_hash=sa.bindparam('new_prev_hash'), hash=sa.bindparam('new_hash'))
    after = None
    while True:
        query = sa.select(events.c.case_id).distinct().order_by(events.c.case_id).limit(1000)
        case_ids = list(connection.execute(query if after is None else query.where(events.c.case_id > after))
                        .scalars())
        if not case_ids:
            return
        prev, case_id, changes = '', None, []
        for event in connection.execute(sa.select(events).where(events.c.case_id.in_(case_ids))
                                        .order_by(events.c.case_id, events.c.seq)).fetchall():
            if event.case_id != case_id:
                prev, case_id = '', event.case_id
            digest = row_hash(event, prev)
            changes.append({'event_id': event.id, 'new_prev_hash': prev, 'new_hash': digest})
            prev = digest
        connection.execute(set_hashes, changes)
        after = case_ids[-1]


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
        op.execute("DROP FUNCTION opera_append_only()")
        op.execute("DROP TRIGGER append_only_gate_closed ON append_only_gate")
        op.execute("DROP FUNCTION opera_gate_closed()")
    else:
        for table in APPEND_ONLY:
            for action in ('update', 'delete'):
                op.execute(f"DROP TRIGGER {table}_append_only_{action}")
    op.drop_table('append_only_gate')
    op.drop_column('events', 'hash')  # SQLite 3.35+ drops a column in place
    op.drop_column('events', 'prev_hash')
