"""staff signing credentials

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 20:37:04.704668
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_credential",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("serial", sa.String(length=64), nullable=False),
        sa.Column("cert_pem", sa.LargeBinary(), nullable=False),
        sa.Column("sealed_key", sa.LargeBinary(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff.id"],
            name=op.f("fk_staff_credential_staff_id_staff"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_credential")),
        sa.UniqueConstraint("serial", name=op.f("uq_staff_credential_serial")),
    )
    with op.batch_alter_table("staff_credential", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_staff_credential_staff_id"), ["staff_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("staff_credential", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_credential_staff_id"))

    op.drop_table("staff_credential")
