"""row tally: exact counts of children and journey summaries, kept by PostgreSQL triggers

Revision ID: a8e4d2c6b1f3
Revises: f7b3c9d2a614
Create Date: 2026-12-02 02:45:00

The case list counts the children and the summaries on every page; on PostgreSQL that
was two scans of 150,000 rows, half of the page's cost.  ``rowtally`` holds the counts,
and statement-level triggers on ``child`` and ``journeysummary`` keep them exact
(``audit_app.tally``, which this revision installs, starting each tally from a count).
SQLite gets the table only, unused.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'a8e4d2c6b1f3'
down_revision: str | None = 'f7b3c9d2a614'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'rowtally',
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('rows', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('name'),
    )
    from audit_app.tally import install

    install(op.get_bind())


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for table in ('child', 'journeysummary'):
            for when in ('insert', 'delete', 'truncate'):
                op.execute(f'DROP TRIGGER IF EXISTS {table}_tally_{when} ON "{table}"')
        op.execute('DROP FUNCTION IF EXISTS frontdoor_tally()')
    op.drop_table('rowtally')
