"""the access ledger in the database (issue 15: app servers sharing PostgreSQL); the same
tables as vault.ledger_db, unused while LEDGER_BACKEND is file

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 23:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ledger_entry",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("time", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("line", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_ledger_entry")),
    )
    for column in ("actor", "action", "subject"):
        op.create_index(op.f(f"ix_ledger_entry_{column}"), "ledger_entry", [column])
    op.create_table(
        "ledger_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("record", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_head")),
    )


def downgrade() -> None:
    op.drop_table("ledger_head")
    for column in ("actor", "action", "subject"):
        op.drop_index(op.f(f"ix_ledger_entry_{column}"), table_name="ledger_entry")
    op.drop_table("ledger_entry")
