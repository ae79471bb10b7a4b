"""an index on handover.parent_id: a refund case is walked up and down its parent chain
(policy F10-F13, records.visibility.case_steps_among), which without it read every handover at
each step (issue 10: 0.6 s for finance's home page at 100,000 handovers)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-02 00:40:00.000000
"""

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("handover", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_handover_parent_id"), ["parent_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("handover", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_handover_parent_id"))
