"""oversight: rectification notices, sanctions register, parent complaints (policy S1, S3)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 15:14:03.035041
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "merit_register_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decider_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("handover_numbers", sa.String(length=1000), nullable=False),
        sa.Column("notice_numbers", sa.String(length=500), nullable=False),
        sa.Column("complaint_numbers", sa.String(length=500), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("corrects_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["corrects_id"],
            ["merit_register_entry.id"],
            name=op.f("fk_merit_register_entry_corrects_id_merit_register_entry"),
        ),
        sa.ForeignKeyConstraint(
            ["decider_id"], ["staff.id"], name=op.f("fk_merit_register_entry_decider_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_merit_register_entry_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_merit_register_entry")),
    )
    with op.batch_alter_table("merit_register_entry", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_merit_register_entry_corrects_id"), ["corrects_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_merit_register_entry_staff_id"), ["staff_id"], unique=False
        )

    op.create_table(
        "parent_complaint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=12), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("handover_numbers", sa.String(length=1000), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("finding", sa.Text(), nullable=True),
        sa.Column("resolved_by", sa.Integer(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["staff.id"], name=op.f("fk_parent_complaint_recorded_by_staff")
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by"], ["staff.id"], name=op.f("fk_parent_complaint_resolved_by_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parent_complaint")),
    )
    with op.batch_alter_table("parent_complaint", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_parent_complaint_received_on"), ["received_on"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_parent_complaint_state"), ["state"], unique=False)

    op.create_table(
        "rectification_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issuer_id", sa.Integer(), nullable=False),
        sa.Column("to_dept", sa.String(length=8), nullable=True),
        sa.Column("to_staff_id", sa.Integer(), nullable=True),
        sa.Column("handover_numbers", sa.String(length=1000), nullable=False),
        sa.Column("obligation_ids", sa.String(length=500), nullable=False),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.Column("reply_by", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["issuer_id"], ["staff.id"], name=op.f("fk_rectification_notice_issuer_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["to_staff_id"], ["staff.id"], name=op.f("fk_rectification_notice_to_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rectification_notice")),
    )
    with op.batch_alter_table("rectification_notice", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rectification_notice_issuer_id"), ["issuer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_rectification_notice_reply_by"), ["reply_by"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_rectification_notice_state"), ["state"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_rectification_notice_to_dept"), ["to_dept"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_rectification_notice_to_staff_id"), ["to_staff_id"], unique=False
        )

    op.create_table(
        "parent_complaint_fault",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("dept", sa.String(length=8), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["parent_complaint.id"],
            name=op.f("fk_parent_complaint_fault_complaint_id_parent_complaint"),
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_parent_complaint_fault_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parent_complaint_fault")),
    )
    with op.batch_alter_table("parent_complaint_fault", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_parent_complaint_fault_complaint_id"), ["complaint_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_parent_complaint_fault_dept"), ["dept"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_parent_complaint_fault_staff_id"), ["staff_id"], unique=False
        )

    op.create_table(
        "rectification_notice_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=12), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["staff.id"], name=op.f("fk_rectification_notice_event_actor_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["rectification_notice.id"],
            name=op.f("fk_rectification_notice_event_notice_id_rectification_notice"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rectification_notice_event")),
    )
    with op.batch_alter_table("rectification_notice_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rectification_notice_event_notice_id"), ["notice_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("rectification_notice_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rectification_notice_event_notice_id"))

    op.drop_table("rectification_notice_event")
    with op.batch_alter_table("parent_complaint_fault", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_parent_complaint_fault_staff_id"))
        batch_op.drop_index(batch_op.f("ix_parent_complaint_fault_dept"))
        batch_op.drop_index(batch_op.f("ix_parent_complaint_fault_complaint_id"))

    op.drop_table("parent_complaint_fault")
    with op.batch_alter_table("rectification_notice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rectification_notice_to_staff_id"))
        batch_op.drop_index(batch_op.f("ix_rectification_notice_to_dept"))
        batch_op.drop_index(batch_op.f("ix_rectification_notice_state"))
        batch_op.drop_index(batch_op.f("ix_rectification_notice_reply_by"))
        batch_op.drop_index(batch_op.f("ix_rectification_notice_issuer_id"))

    op.drop_table("rectification_notice")
    with op.batch_alter_table("parent_complaint", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_parent_complaint_state"))
        batch_op.drop_index(batch_op.f("ix_parent_complaint_received_on"))

    op.drop_table("parent_complaint")
    with op.batch_alter_table("merit_register_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_merit_register_entry_staff_id"))
        batch_op.drop_index(batch_op.f("ix_merit_register_entry_corrects_id"))

    op.drop_table("merit_register_entry")
