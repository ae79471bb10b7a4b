"""the unsigned form a draft's preview showed, kept so that signing signs those bytes
(issue 14: see before you sign)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 23:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "handover_version", sa.Column("unsigned_object_id", sa.String(length=64), nullable=True)
    )
    op.add_column(
        "handover_version", sa.Column("unsigned_html_sha256", sa.String(length=64), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("handover_version", "unsigned_html_sha256")
    op.drop_column("handover_version", "unsigned_object_id")
