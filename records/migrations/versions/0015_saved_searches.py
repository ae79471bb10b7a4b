"""searches kept server-side under an opaque token (issue 14: a result page that Back and
reload can return to, without the terms in any URL; policy C2)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 21:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "saved_search",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"],
                                name=op.f("fk_saved_search_staff_id_staff"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_search")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_saved_search_token_hash")),
    )
    op.create_index(op.f("ix_saved_search_created_at"), "saved_search", ["created_at"],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_saved_search_created_at"), table_name="saved_search")
    op.drop_table("saved_search")
