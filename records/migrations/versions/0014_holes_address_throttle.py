"""per-address sign-in limit (issue 12: many names guessed from one address)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 19:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "address_throttle",
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("address", name=op.f("pk_address_throttle")),
    )


def downgrade() -> None:
    op.drop_table("address_throttle")
