"""student registry with encrypted private fields

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 20:34:38.615951
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "student",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("student_no", sa.String(length=32), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("gender", sa.Text(), nullable=True),
        sa.Column("birth_date", sa.Text(), nullable=True),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("id_number", sa.Text(), nullable=True),
        sa.Column("guardian_name", sa.Text(), nullable=True),
        sa.Column("guardian_phone", sa.Text(), nullable=True),
        sa.Column("health_notes", sa.Text(), nullable=True),
        sa.Column("phone_bidx", sa.String(length=80), nullable=True),
        sa.Column("guardian_phone_bidx", sa.String(length=80), nullable=True),
        sa.Column("id_number_bidx", sa.String(length=80), nullable=True),
        sa.Column("identity_bidx", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["staff.id"], name=op.f("fk_student_created_by_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_student")),
        sa.UniqueConstraint("student_no", name=op.f("uq_student_student_no")),
    )
    with op.batch_alter_table("student", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_student_guardian_phone_bidx"), ["guardian_phone_bidx"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_student_id_number_bidx"), ["id_number_bidx"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_student_identity_bidx"), ["identity_bidx"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_student_phone_bidx"), ["phone_bidx"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("student", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_student_phone_bidx"))
        batch_op.drop_index(batch_op.f("ix_student_identity_bidx"))
        batch_op.drop_index(batch_op.f("ix_student_id_number_bidx"))
        batch_op.drop_index(batch_op.f("ix_student_guardian_phone_bidx"))

    op.drop_table("student")
