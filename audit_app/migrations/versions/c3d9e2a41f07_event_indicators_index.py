"""event indicators covering index

Revision ID: c3d9e2a41f07
Revises: faaa4f322c6d
Create Date: 2026-12-01 18:10:00

A covering index over the columns the SEF evidence base reads, so that a period's
events are read from the index alone (no lookup of each scattered row).
"""
from collections.abc import Sequence

from alembic import op

revision: str = 'c3d9e2a41f07'
down_revision: str | None = 'faaa4f322c6d'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = [
    "kind", "start_date", "end_date", "child_id", "occurrence", "team", "worker",
    "source", "nfa", "in_need", "plan_resulted", "previous_plans", "referrals_last_12m",
]


def upgrade() -> None:
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.create_index('ix_event_indicators', COLUMNS, unique=False)


def downgrade() -> None:
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_index('ix_event_indicators')
