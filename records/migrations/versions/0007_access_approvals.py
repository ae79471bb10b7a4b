"""access approvals (policy C3)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 23:39:34.431631
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "access_approval",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("requester_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("requested_categories", sa.String(length=200), nullable=False),
        sa.Column("requested_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("approver_id", sa.Integer(), nullable=True),
        sa.Column("granted_categories", sa.String(length=200), nullable=True),
        sa.Column("granted_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("granted_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["approver_id"], ["staff.id"], name=op.f("fk_access_approval_approver_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["ended_by"], ["staff.id"], name=op.f("fk_access_approval_ended_by_staff")
        ),
        sa.ForeignKeyConstraint(
            ["requester_id"], ["staff.id"], name=op.f("fk_access_approval_requester_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_approval")),
    )
    with op.batch_alter_table("access_approval", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_access_approval_granted_until"), ["granted_until"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_access_approval_requester_id"), ["requester_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_access_approval_status"), ["status"], unique=False)

    op.create_table(
        "access_approval_student",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("approval_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["approval_id"],
            ["access_approval.id"],
            name=op.f("fk_access_approval_student_approval_id_access_approval"),
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["student.id"],
            name=op.f("fk_access_approval_student_student_id_student"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_approval_student")),
        sa.UniqueConstraint(
            "approval_id", "student_id", name=op.f("uq_access_approval_student_approval_id")
        ),
    )
    with op.batch_alter_table("access_approval_student", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_access_approval_student_approval_id"), ["approval_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_access_approval_student_student_id"), ["student_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("access_approval_student", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_approval_student_student_id"))
        batch_op.drop_index(batch_op.f("ix_access_approval_student_approval_id"))

    op.drop_table("access_approval_student")
    with op.batch_alter_table("access_approval", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_approval_status"))
        batch_op.drop_index(batch_op.f("ix_access_approval_requester_id"))
        batch_op.drop_index(batch_op.f("ix_access_approval_granted_until"))

    op.drop_table("access_approval")
