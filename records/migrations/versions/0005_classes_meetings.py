"""classes and their members; meeting records of face-to-face handovers

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 21:47:08.853658
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "school_class",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("course", sa.String(length=100), nullable=False),
        sa.Column("head_teacher_id", sa.Integer(), nullable=True),
        sa.Column("teacher_id", sa.Integer(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["head_teacher_id"], ["staff.id"], name=op.f("fk_school_class_head_teacher_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["teacher_id"], ["staff.id"], name=op.f("fk_school_class_teacher_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_school_class")),
        sa.UniqueConstraint("name", name=op.f("uq_school_class_name")),
    )
    op.create_table(
        "class_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("left_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["class_id"], ["school_class.id"], name=op.f("fk_class_member_class_id_school_class")
        ),
        sa.ForeignKeyConstraint(
            ["student_id"], ["student.id"], name=op.f("fk_class_member_student_id_student")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_class_member")),
        sa.UniqueConstraint("class_id", "student_id", name=op.f("uq_class_member_class_id")),
    )
    with op.batch_alter_table("class_member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_class_member_class_id"), ["class_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_class_member_student_id"), ["student_id"], unique=False
        )

    with op.batch_alter_table("handover_version", schema=None) as batch_op:
        batch_op.add_column(sa.Column("meeting_json", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("meeting_signed_object_id", sa.String(length=64), nullable=True)
        )
        batch_op.add_column(
            sa.Column("meeting_final_object_id", sa.String(length=64), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("handover_version", schema=None) as batch_op:
        batch_op.drop_column("meeting_final_object_id")
        batch_op.drop_column("meeting_signed_object_id")
        batch_op.drop_column("meeting_json")

    with op.batch_alter_table("class_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_class_member_student_id"))
        batch_op.drop_index(batch_op.f("ix_class_member_class_id"))

    op.drop_table("class_member")
    op.drop_table("school_class")
