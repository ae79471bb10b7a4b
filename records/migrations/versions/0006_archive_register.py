"""archive register (档案登记) and its consult/borrow register (查阅、借阅登记), policy R-ARC

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 23:39:07.559151
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "archive_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("handover_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("materials_json", sa.Text(), nullable=False),
        sa.Column("filed_on", sa.Date(), nullable=False),
        sa.Column("retention", sa.String(length=16), nullable=False),
        sa.Column("review_on", sa.Date(), nullable=True),
        sa.Column("security", sa.String(length=16), nullable=False),
        sa.Column("location", sa.String(length=100), nullable=False),
        sa.Column("registered_by", sa.Integer(), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["handover_id"], ["handover.id"], name=op.f("fk_archive_file_handover_id_handover")
        ),
        sa.ForeignKeyConstraint(
            ["registered_by"], ["staff.id"], name=op.f("fk_archive_file_registered_by_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archive_file")),
        sa.UniqueConstraint("handover_id", name=op.f("uq_archive_file_handover_id")),
        sa.UniqueConstraint("number", name=op.f("uq_archive_file_number")),
    )
    with op.batch_alter_table("archive_file", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_archive_file_review_on"), ["review_on"], unique=False)

    op.create_table(
        "archive_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=16), nullable=False),
        sa.Column("old_value", sa.String(length=100), nullable=False),
        sa.Column("new_value", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["staff.id"], name=op.f("fk_archive_change_actor_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["file_id"], ["archive_file.id"], name=op.f("fk_archive_change_file_id_archive_file")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archive_change")),
    )
    with op.batch_alter_table("archive_change", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_archive_change_file_id"), ["file_id"], unique=False)

    op.create_table(
        "archive_file_student",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["archive_file.id"],
            name=op.f("fk_archive_file_student_file_id_archive_file"),
        ),
        sa.ForeignKeyConstraint(
            ["student_id"], ["student.id"], name=op.f("fk_archive_file_student_student_id_student")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archive_file_student")),
        sa.UniqueConstraint("file_id", "student_id", name=op.f("uq_archive_file_student_file_id")),
    )
    with op.batch_alter_table("archive_file_student", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_archive_file_student_file_id"), ["file_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_archive_file_student_student_id"), ["student_id"], unique=False
        )

    op.create_table(
        "archive_loan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("borrower_id", sa.Integer(), nullable=False),
        sa.Column("borrower_dept", sa.String(length=8), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("purpose_note", sa.Text(), nullable=True),
        sa.Column("approver_id", sa.Integer(), nullable=True),
        sa.Column("copy_allowed", sa.Boolean(), nullable=False),
        sa.Column("copy_note", sa.Text(), nullable=True),
        sa.Column("out_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("renewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("returned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("return_condition", sa.String(length=16), nullable=True),
        sa.Column("remarks", sa.Text(), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("slip_object_id", sa.String(length=64), nullable=True),
        sa.Column("registered_by", sa.Integer(), nullable=False),
        sa.Column("received_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["approver_id"], ["staff.id"], name=op.f("fk_archive_loan_approver_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["borrower_id"], ["staff.id"], name=op.f("fk_archive_loan_borrower_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["file_id"], ["archive_file.id"], name=op.f("fk_archive_loan_file_id_archive_file")
        ),
        sa.ForeignKeyConstraint(
            ["received_by"], ["staff.id"], name=op.f("fk_archive_loan_received_by_staff")
        ),
        sa.ForeignKeyConstraint(
            ["registered_by"], ["staff.id"], name=op.f("fk_archive_loan_registered_by_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archive_loan")),
        sa.UniqueConstraint("number", name=op.f("uq_archive_loan_number")),
    )
    with op.batch_alter_table("archive_loan", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_archive_loan_borrower_id"), ["borrower_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_archive_loan_due_on"), ["due_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_archive_loan_file_id"), ["file_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_archive_loan_returned_at"), ["returned_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("archive_loan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_archive_loan_returned_at"))
        batch_op.drop_index(batch_op.f("ix_archive_loan_file_id"))
        batch_op.drop_index(batch_op.f("ix_archive_loan_due_on"))
        batch_op.drop_index(batch_op.f("ix_archive_loan_borrower_id"))

    op.drop_table("archive_loan")
    with op.batch_alter_table("archive_file_student", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_archive_file_student_student_id"))
        batch_op.drop_index(batch_op.f("ix_archive_file_student_file_id"))

    op.drop_table("archive_file_student")
    with op.batch_alter_table("archive_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_archive_change_file_id"))

    op.drop_table("archive_change")
    with op.batch_alter_table("archive_file", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_archive_file_review_on"))

    op.drop_table("archive_file")
