"""uploaded import files waiting between preview and import (issue 16): encrypted in the
vault, owned by their uploader, with an expiry

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-01 23:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_upload",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("object_id", sa.String(length=64), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("suffix", sa.String(length=8), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff.id"],
            name=op.f("fk_import_upload_staff_id_staff"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_upload")),
        sa.UniqueConstraint("object_id", name=op.f("uq_import_upload_object_id")),
    )
    op.create_index(
        op.f("ix_import_upload_expires_at"), "import_upload", ["expires_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_import_upload_expires_at"), table_name="import_upload")
    op.drop_table("import_upload")
