"""case list order index: journey summaries by (latest_referral, child_id)

Revision ID: e5a1c7d3f9b2
Revises: d41c5e7b9a20
Create Date: 2026-12-01 19:50:00

The case list shows the newest referral first, then the newest child id.  One index on
both columns lets every database read a page along it instead of sorting every summary;
it replaces the index on ``latest_referral`` alone, which it also serves.
"""
from collections.abc import Sequence

from alembic import op

revision: str = 'e5a1c7d3f9b2'
down_revision: str | None = 'd41c5e7b9a20'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('journeysummary', schema=None) as batch_op:
        batch_op.create_index('ix_journeysummary_latest_referral_child_id',
                              ['latest_referral', 'child_id'], unique=False)
        batch_op.drop_index(batch_op.f('ix_journeysummary_latest_referral'))


def downgrade() -> None:
    with op.batch_alter_table('journeysummary', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journeysummary_latest_referral'), ['latest_referral'],
                              unique=False)
        batch_op.drop_index('ix_journeysummary_latest_referral_child_id')
