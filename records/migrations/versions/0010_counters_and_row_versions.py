"""number counters, row versions, one open loan per file (numbers that cannot collide,
compare-and-set updates)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 15:59:08.300762
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "number_counter",
        sa.Column("series", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("series", name=op.f("pk_number_counter")),
    )
    with op.batch_alter_table("access_approval", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("row_version", sa.Integer(), server_default="1", nullable=False)
        )

    with op.batch_alter_table("archive_loan", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("row_version", sa.Integer(), server_default="1", nullable=False)
        )
        batch_op.create_index(
            "uq_archive_loan_open_borrow",
            ["file_id"],
            unique=True,
            sqlite_where=sa.text("returned_at IS NULL AND kind = 'borrow'"),
            postgresql_where=sa.text("returned_at IS NULL AND kind = 'borrow'"),
        )

    with op.batch_alter_table("handover", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("row_version", sa.Integer(), server_default="1", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("handover", schema=None) as batch_op:
        batch_op.drop_column("row_version")

    with op.batch_alter_table("archive_loan", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_archive_loan_open_borrow",
            sqlite_where=sa.text("returned_at IS NULL AND kind = 'borrow'"),
            postgresql_where=sa.text("returned_at IS NULL AND kind = 'borrow'"),
        )
        batch_op.drop_column("row_version")

    with op.batch_alter_table("access_approval", schema=None) as batch_op:
        batch_op.drop_column("row_version")

    op.drop_table("number_counter")
