"""staff roles per department: member, deputy or head (policy C1: head and deputies handle a
department's work); the head flag becomes the role 'head'

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 19:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff_department", schema=None) as batch_op:
        batch_op.add_column(sa.Column("role", sa.String(length=8), nullable=True))
    table = sa.table("staff_department", sa.column("role", sa.String),
                     sa.column("is_head", sa.Boolean))
    op.execute(table.update().values(
        role=sa.case((table.c.is_head == sa.true(), "head"), else_="member")))
    with op.batch_alter_table("staff_department", schema=None) as batch_op:
        batch_op.alter_column("role", existing_type=sa.String(length=8), nullable=False)
        batch_op.drop_column("is_head")


def downgrade() -> None:
    with op.batch_alter_table("staff_department", schema=None) as batch_op:
        batch_op.add_column(sa.Column("is_head", sa.Boolean(), nullable=True))
    table = sa.table("staff_department", sa.column("role", sa.String),
                     sa.column("is_head", sa.Boolean))
    op.execute(table.update().values(is_head=table.c.role == "head"))
    with op.batch_alter_table("staff_department", schema=None) as batch_op:
        batch_op.alter_column("is_head", existing_type=sa.Boolean(), nullable=False)
        batch_op.drop_column("role")
