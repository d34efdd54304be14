"""summary codes and case-list indexes: coded lists one row per code; child ID and birth date

Revision ID: f7b3c9d2a614
Revises: e5a1c7d3f9b2
Create Date: 2026-12-01 21:10:00

Cohort rules (assessment factors, CP categories, outcomes, anomalies) and the case list's
CP category and anomaly filters matched whole codes in the summaries' comma-separated text
with ``LIKE``: a scan of every summary, data and all.  ``summarycode`` holds the same codes
one per row, indexed by (kind, code); the summaries write it as they are written
(``audit_app.audits.factors.write_codes``), and this revision fills it from the summaries
already stored, so nothing needs rebuilding.

The case list's child ID search (a prefix) gets an index PostgreSQL can read it from
whatever the collation (``varchar_pattern_ops``; a plain index on SQLite), and its age
bands an index on the birth dates; "re-referred" an index of its own.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'f7b3c9d2a614'
down_revision: str | None = 'e5a1c7d3f9b2'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The lists as this revision knows them (kind -> summary column), and the longest code kept.
LISTS = {'factor': 'factors', 'cp_category': 'cp_categories', 'anomaly': 'anomalies',
         'outcome': 'outcomes'}
LONGEST = 64
BATCH = 5000


def _backfill() -> None:
    conn = op.get_bind()
    summaries = sa.table('journeysummary', sa.column('child_id', sa.Integer),
                         *(sa.column(name, sa.String) for name in LISTS.values()))
    codes = sa.table('summarycode', sa.column('child_id', sa.Integer),
                     sa.column('kind', sa.String), sa.column('code', sa.String))
    query = sa.select(summaries).where(sa.or_(*(
        sa.func.coalesce(summaries.c[name], '') != '' for name in LISTS.values()
    ))).order_by(summaries.c.child_id)
    rows = conn.execute(query).mappings().all()
    batch: list[dict] = []
    for row in rows:
        for kind, name in LISTS.items():
            for code in dict.fromkeys((row[name] or '').split(',')):
                if 0 < len(code) <= LONGEST:
                    batch.append({'child_id': row['child_id'], 'kind': kind, 'code': code})
        if len(batch) >= BATCH:
            conn.execute(sa.insert(codes), batch)
            batch = []
    if batch:
        conn.execute(sa.insert(codes), batch)


def upgrade() -> None:
    op.create_table(
        'summarycode',
        sa.Column('child_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('code', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('child_id', 'kind', 'code'),
    )
    op.create_index('ix_summarycode_kind_code_child_id', 'summarycode',
                    ['kind', 'code', 'child_id'], unique=False)
    _backfill()
    with op.batch_alter_table('child', schema=None) as batch_op:
        batch_op.create_index('ix_child_child_ref_prefix', ['child_ref'], unique=False,
                              postgresql_ops={'child_ref': 'varchar_pattern_ops'})
        batch_op.create_index('ix_child_dob_expected_dob', ['dob', 'expected_dob'], unique=False)
    with op.batch_alter_table('journeysummary', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journeysummary_rereferred'), ['rereferred'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('journeysummary', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_journeysummary_rereferred'))
    with op.batch_alter_table('child', schema=None) as batch_op:
        batch_op.drop_index('ix_child_dob_expected_dob')
        batch_op.drop_index('ix_child_child_ref_prefix')
    op.drop_index('ix_summarycode_kind_code_child_id', table_name='summarycode')
    op.drop_table('summarycode')
