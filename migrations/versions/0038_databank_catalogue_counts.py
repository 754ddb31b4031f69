"""databank: the public catalogue's facet counts (the published, available resources) and the resources'
size bands kept by triggers, as the whole databank's are: the catalogue's first page, which every visitor
sees, and the unfiltered list of resources read them instead of counting the resources

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-07 10:00:00
"""
from alembic import op


revision = '0038'
down_revision = '0037'
branch_labels = None
depends_on = None

TABLE = 'databank_resources'
# As databank.textindex at this revision (SQLite: databank.textindex makes its triggers and counts).
BAND = ("CASE WHEN {row}.surface_m2 IS NULL THEN 'unknown' WHEN {row}.surface_m2 < 500 THEN 'lt_500' "
        "WHEN {row}.surface_m2 < 2000 THEN '500_2000' WHEN {row}.surface_m2 < 10000 THEN '2000_10000' "
        "ELSE 'ge_10000' END")
CATALOGUE_ROWS = "{row}.published AND {row}.status = 'available'"
# facet -> (the value counted, the rows counted), of a row `{row}`
FACETS = {'resource_size_band': (BAND, 'true'),
          **{f'catalogue_{c}': ('{row}.' + c, CATALOGUE_ROWS)
             for c in ('category', 'status', 'condition', 'region', 'province', 'desk_id', 'chain_mask',
                       'offer_mask')},
          'catalogue_size_band': (BAND, CATALOGUE_ROWS)}
# one trigger per event: a trigger with transition tables fires on one event only
TRIGGERS = {'INSERT': 'NEW TABLE AS new_rows', 'DELETE': 'OLD TABLE AS old_rows',
            'UPDATE': 'OLD TABLE AS old_rows NEW TABLE AS new_rows'}


def _value(expression: str, row: str) -> str:
    return f"coalesce(CAST({expression.format(row=row)} AS TEXT), '')"


def _counted(rows: str) -> str:
    """Each row of `rows` as (facet, value, whether it is counted), one per facet."""
    values = ', '.join(f"('{facet}', {_value(value, 'r')}, {where.format(row='r')})"
                       for facet, (value, where) in FACETS.items())
    return f"{rows} AS r CROSS JOIN LATERAL (VALUES {values}) AS f(facet, value, counted) WHERE f.counted"


# Per statement, on its rows grouped by value (as migration 0027's function): a row that leaves the counted
# rows (unpublished, taken) is taken away from the old counts and not added to the new ones.
FUNCTION = f"""
CREATE OR REPLACE FUNCTION databank_count_resource_sets() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE databank_facet_counts AS c SET n = c.n - gone.n
        FROM (SELECT f.facet, f.value, count(*) AS n FROM {_counted('old_rows')} GROUP BY 1, 2) AS gone
        WHERE c.facet = gone.facet AND c.value = gone.value;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO databank_facet_counts AS c (facet, value, n)
        SELECT f.facet, f.value, count(*) FROM {_counted('new_rows')} GROUP BY 1, 2
        ON CONFLICT (facet, value) DO UPDATE SET n = c.n + EXCLUDED.n;
    END IF;
    RETURN NULL;
END
$$"""


def _forget_counts() -> None:
    op.execute("DELETE FROM databank_facet_counts WHERE facet LIKE 'catalogue\\_%' OR facet = 'resource_size_band'")


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute(FUNCTION)
    for event, rows in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER databank_resource_sets_{event.lower()} AFTER {event} ON {TABLE} "
                   f"REFERENCING {rows} FOR EACH STATEMENT EXECUTE FUNCTION databank_count_resource_sets()")
    _forget_counts()
    op.execute(f"INSERT INTO databank_facet_counts (facet, value, n) "
               f"SELECT f.facet, f.value, count(*) FROM {_counted(TABLE)} GROUP BY 1, 2")


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    for event in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS databank_resource_sets_{event.lower()} ON {TABLE}")
    op.execute("DROP FUNCTION IF EXISTS databank_count_resource_sets()")
    _forget_counts()
