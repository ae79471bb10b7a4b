"""handovers, versions, students, attachments, events

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 20:45:02.453340
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "handover",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("method", sa.String(length=4), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("sender_id", sa.Integer(), nullable=False),
        sa.Column("sender_dept", sa.String(length=8), nullable=False),
        sa.Column("receiver_dept", sa.String(length=8), nullable=False),
        sa.Column("receiver_id", sa.Integer(), nullable=True),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["handover.id"], name=op.f("fk_handover_parent_id_handover")
        ),
        sa.ForeignKeyConstraint(
            ["receiver_id"], ["staff.id"], name=op.f("fk_handover_receiver_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["sender_id"], ["staff.id"], name=op.f("fk_handover_sender_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handover")),
        sa.UniqueConstraint("number", name=op.f("uq_handover_number")),
    )
    with op.batch_alter_table("handover", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_handover_due_at"), ["due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_handover_kind"), ["kind"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_handover_receiver_dept"), ["receiver_dept"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_handover_receiver_id"), ["receiver_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_handover_sender_id"), ["sender_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_handover_status"), ["status"], unique=False)

    op.create_table(
        "handover_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handover_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["staff.id"], name=op.f("fk_handover_event_actor_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["handover_id"], ["handover.id"], name=op.f("fk_handover_event_handover_id_handover")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handover_event")),
    )
    with op.batch_alter_table("handover_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_handover_event_handover_id"), ["handover_id"], unique=False
        )

    op.create_table(
        "handover_student",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handover_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["handover_id"], ["handover.id"], name=op.f("fk_handover_student_handover_id_handover")
        ),
        sa.ForeignKeyConstraint(
            ["student_id"], ["student.id"], name=op.f("fk_handover_student_student_id_student")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handover_student")),
        sa.UniqueConstraint(
            "handover_id", "student_id", name=op.f("uq_handover_student_handover_id")
        ),
    )
    with op.batch_alter_table("handover_student", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_handover_student_handover_id"), ["handover_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_handover_student_student_id"), ["student_id"], unique=False
        )

    op.create_table(
        "handover_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handover_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("values_json", sa.Text(), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=True),
        sa.Column("signed_object_id", sa.String(length=64), nullable=True),
        sa.Column("final_object_id", sa.String(length=64), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("countersigned_by", sa.Integer(), nullable=True),
        sa.Column("countersigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["countersigned_by"],
            ["staff.id"],
            name=op.f("fk_handover_version_countersigned_by_staff"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["staff.id"], name=op.f("fk_handover_version_created_by_staff")
        ),
        sa.ForeignKeyConstraint(
            ["handover_id"], ["handover.id"], name=op.f("fk_handover_version_handover_id_handover")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handover_version")),
        sa.UniqueConstraint("handover_id", "version", name=op.f("uq_handover_version_handover_id")),
    )
    with op.batch_alter_table("handover_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_handover_version_handover_id"), ["handover_id"], unique=False
        )

    op.create_table(
        "handover_attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("object_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["handover_version.id"],
            name=op.f("fk_handover_attachment_version_id_handover_version"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handover_attachment")),
    )
    with op.batch_alter_table("handover_attachment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_handover_attachment_version_id"), ["version_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("handover_attachment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_handover_attachment_version_id"))

    op.drop_table("handover_attachment")
    with op.batch_alter_table("handover_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_handover_version_handover_id"))

    op.drop_table("handover_version")
    with op.batch_alter_table("handover_student", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_handover_student_student_id"))
        batch_op.drop_index(batch_op.f("ix_handover_student_handover_id"))

    op.drop_table("handover_student")
    with op.batch_alter_table("handover_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_handover_event_handover_id"))

    op.drop_table("handover_event")
    with op.batch_alter_table("handover", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_handover_status"))
        batch_op.drop_index(batch_op.f("ix_handover_sender_id"))
        batch_op.drop_index(batch_op.f("ix_handover_receiver_id"))
        batch_op.drop_index(batch_op.f("ix_handover_receiver_dept"))
        batch_op.drop_index(batch_op.f("ix_handover_kind"))
        batch_op.drop_index(batch_op.f("ix_handover_due_at"))

    op.drop_table("handover")
