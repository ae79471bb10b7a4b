"""obligations and trigger-based deadlines (policy T1a-T5b)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 15:11:51.029342
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "obligation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cause_key", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("clause", sa.String(length=8), nullable=False),
        sa.Column("owing_dept", sa.String(length=8), nullable=False),
        sa.Column("owing_staff_id", sa.Integer(), nullable=True),
        sa.Column("student_id", sa.Integer(), nullable=True),
        sa.Column("class_id", sa.Integer(), nullable=True),
        sa.Column("source_handover_id", sa.Integer(), nullable=True),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("trigger_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("waived_by_id", sa.Integer(), nullable=True),
        sa.Column("waived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("waiver_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["answered_by_id"], ["handover.id"], name=op.f("fk_obligation_answered_by_id_handover")
        ),
        sa.ForeignKeyConstraint(
            ["class_id"], ["school_class.id"], name=op.f("fk_obligation_class_id_school_class")
        ),
        sa.ForeignKeyConstraint(
            ["owing_staff_id"], ["staff.id"], name=op.f("fk_obligation_owing_staff_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["source_handover_id"],
            ["handover.id"],
            name=op.f("fk_obligation_source_handover_id_handover"),
        ),
        sa.ForeignKeyConstraint(
            ["student_id"], ["student.id"], name=op.f("fk_obligation_student_id_student")
        ),
        sa.ForeignKeyConstraint(
            ["waived_by_id"], ["staff.id"], name=op.f("fk_obligation_waived_by_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_obligation")),
        sa.UniqueConstraint("cause_key", name=op.f("uq_obligation_cause_key")),
    )
    with op.batch_alter_table("obligation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_obligation_answered_by_id"), ["answered_by_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_obligation_class_id"), ["class_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_obligation_due_at"), ["due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_obligation_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_obligation_owing_dept"), ["owing_dept"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_obligation_owing_staff_id"), ["owing_staff_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_obligation_source_handover_id"), ["source_handover_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_obligation_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_obligation_student_id"), ["student_id"], unique=False)

    with op.batch_alter_table("handover", schema=None) as batch_op:
        batch_op.add_column(sa.Column("trigger_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("receive_due_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("answers_obligation_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_handover_receive_due_at"), ["receive_due_at"], unique=False
        )

    with op.batch_alter_table("school_class", schema=None) as batch_op:
        batch_op.add_column(sa.Column("report_weekday", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("report_hour", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("report_cycle_weeks", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("report_first_week", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("school_class", schema=None) as batch_op:
        batch_op.drop_column("report_first_week")
        batch_op.drop_column("report_cycle_weeks")
        batch_op.drop_column("report_hour")
        batch_op.drop_column("report_weekday")

    with op.batch_alter_table("handover", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_handover_receive_due_at"))
        batch_op.drop_column("answers_obligation_id")
        batch_op.drop_column("receive_due_at")
        batch_op.drop_column("trigger_at")

    with op.batch_alter_table("obligation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_obligation_student_id"))
        batch_op.drop_index(batch_op.f("ix_obligation_state"))
        batch_op.drop_index(batch_op.f("ix_obligation_source_handover_id"))
        batch_op.drop_index(batch_op.f("ix_obligation_owing_staff_id"))
        batch_op.drop_index(batch_op.f("ix_obligation_owing_dept"))
        batch_op.drop_index(batch_op.f("ix_obligation_kind"))
        batch_op.drop_index(batch_op.f("ix_obligation_due_at"))
        batch_op.drop_index(batch_op.f("ix_obligation_class_id"))
        batch_op.drop_index(batch_op.f("ix_obligation_answered_by_id"))

    op.drop_table("obligation")
