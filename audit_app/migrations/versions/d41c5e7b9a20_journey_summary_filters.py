"""journey summary filters: overdue-from date and indexes for the case list

Revision ID: d41c5e7b9a20
Revises: c3d9e2a41f07
Create Date: 2026-12-01 18:50:00

The case list filters 150,000 children on the stored summaries: an indexed date from
which a child's open assessment is overdue (so "overdue at a date" is one comparison,
not a JSON scan), and indexes on the referral source and the worker.  Summaries built
before this revision get the date on the next ``frontdoor rebuild-journeys``
(the summary version changed with it, so every child is rebuilt).
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'd41c5e7b9a20'
down_revision: str | None = 'c3d9e2a41f07'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('journeysummary', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assessment_overdue_from', sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f('ix_journeysummary_assessment_overdue_from'),
                              ['assessment_overdue_from'], unique=False)
        batch_op.create_index(batch_op.f('ix_journeysummary_latest_source'), ['latest_source'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_journeysummary_worker'), ['worker'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('journeysummary', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_journeysummary_worker'))
        batch_op.drop_index(batch_op.f('ix_journeysummary_latest_source'))
        batch_op.drop_index(batch_op.f('ix_journeysummary_assessment_overdue_from'))
        batch_op.drop_column('assessment_overdue_from')
