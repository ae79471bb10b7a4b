"""the search outbox: every change to the search index as a row written in the transaction of
the change, applied by each server's indexer (issue 15: search replicas)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 23:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "search_outbox",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("doc_id", sa.String(length=24), nullable=False),
        sa.Column("op", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_outbox")),
        sqlite_autoincrement=True,  # ids never reused after pruning (the replicas' positions)
    )
    op.create_index(
        op.f("ix_search_outbox_created_at"), "search_outbox", ["created_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_search_outbox_created_at"), table_name="search_outbox")
    op.drop_table("search_outbox")
