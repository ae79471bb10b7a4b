"""Handovers as stored: one Handover per handover number, one immutable HandoverVersion per
version (a correction after a return is a new version that supersedes the old one), the
students it concerns, attachments, and every decision as an event. Nothing signed or decided
is overwritten or deleted (DESIGN "One handover"); only an unsigned draft, its author's working
copy, changes in place, and each change is an event."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from records.db import Base, UTCDateTime
from records.staff import Staff
from vault import EncryptedText

__all__ = ["Attachment", "Handover", "HandoverEvent", "HandoverStudent", "HandoverVersion",
           "Status"]


class Status(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"  # signed by the sender, waiting for the receiver
    COMPLETED = "completed"  # countersigned by the receiver
    RETURNED = "returned"  # sent back with a reason; the sender corrects it (new version)
    WITHDRAWN = "withdrawn"  # taken back by the sender before receipt, with a reason
    SUPERSEDED = "superseded"  # (versions only) replaced by a newer version

    @property
    def label_zh(self) -> str:
        return _LABELS[self]


_LABELS = {
    Status.DRAFT: "草稿",
    Status.SUBMITTED: "待接收",
    Status.COMPLETED: "已完成",
    Status.RETURNED: "已退回",
    Status.WITHDRAWN: "已撤回",
    Status.SUPERSEDED: "已被新版本取代",
}


class Handover(Base):
    __tablename__ = "handover"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Compare-and-set (DESIGN "One request, one transaction"): every UPDATE of the row says
    # which version it changes; of two people acting on the same row at once, the second
    # finds it changed (StaleDataError → 409), and nothing of theirs is stored.
    row_version: Mapped[int] = mapped_column(Integer, server_default="1")
    __mapper_args__ = {"version_id_col": row_version}

    number: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(String(8), index=True)
    method: Mapped[str] = mapped_column(String(4))
    status: Mapped[str] = mapped_column(String(16), index=True)
    sender_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    sender_dept: Mapped[str] = mapped_column(String(8))
    receiver_dept: Mapped[str] = mapped_column(String(8), index=True)
    receiver_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("handover.id"), index=True)
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # policy T: the sender's clock runs from the clause's trigger (a date on the form or an
    # event such as a countersignature), never from signing; the receiver's runs from receipt.
    trigger_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    receive_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The obligation it was made to answer (picked from the owed list); checked against its
    # kind and student, and met when this handover is submitted. No FK: obligations refer to
    # handovers too.
    answers_obligation_id: Mapped[int | None] = mapped_column(Integer)

    sender: Mapped[Staff] = relationship(foreign_keys=[sender_id], lazy="joined")
    receiver: Mapped[Staff | None] = relationship(foreign_keys=[receiver_id], lazy="joined")
    versions: Mapped[list[HandoverVersion]] = relationship(
        back_populates="handover", order_by="HandoverVersion.version", lazy="selectin")
    students: Mapped[list[HandoverStudent]] = relationship(lazy="selectin")
    events: Mapped[list[HandoverEvent]] = relationship(order_by="HandoverEvent.id",
                                                       lazy="selectin")

    @property
    def current(self) -> HandoverVersion:
        return next(v for v in self.versions if v.version == self.current_version)

    @property
    def student_ids(self) -> list[int]:
        return [s.student_id for s in self.students]

    @property
    def on_time(self) -> bool | None:
        """The sender's timeliness: submitted (the version received) by the deadline counted
        from the trigger. A receiver's delay is the receiver's own (`received_on_time`)."""
        if self.submitted_at is None or self.due_at is None or self.status in (
                Status.DRAFT, Status.WITHDRAWN, Status.RETURNED):
            return None
        return self.submitted_at <= self.due_at

    @property
    def running_due(self) -> datetime | None:
        """The deadline of whoever holds it now: the receiver's while it waits for them, the
        sender's while it is a draft or returned (policy T: each party's own clock)."""
        if self.status == Status.SUBMITTED:
            return self.receive_due_at
        if self.status in (Status.DRAFT, Status.RETURNED):
            return self.due_at
        return None

    @property
    def received_on_time(self) -> bool | None:
        """The receiver's timeliness: countersigned by the receiver's own deadline."""
        if self.completed_at is None or self.receive_due_at is None:
            return None
        return self.completed_at <= self.receive_due_at


class HandoverVersion(Base):
    __tablename__ = "handover_version"
    __table_args__ = (UniqueConstraint("handover_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    handover_id: Mapped[int] = mapped_column(ForeignKey("handover.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    # policy C2: the field values (names, grades, fees, ...) only as ciphertext
    values_json: Mapped[str] = mapped_column(EncryptedText("handover.values"))
    content_sha256: Mapped[str | None] = mapped_column(String(64))
    signed_object_id: Mapped[str | None] = mapped_column(String(64))
    final_object_id: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # policy M3: a face-to-face handover also carries a meeting record (time, participants,
    # content, outcome), its own PDF signed by both parties alongside the form.
    meeting_json: Mapped[str | None] = mapped_column(EncryptedText("handover.meeting"))
    meeting_signed_object_id: Mapped[str | None] = mapped_column(String(64))
    meeting_final_object_id: Mapped[str | None] = mapped_column(String(64))
    countersigned_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    countersigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A draft's preview (issue 14): the unsigned PDF it showed, kept in the vault under the
    # digest of the form's HTML; signing signs these bytes while the HTML is unchanged.
    unsigned_object_id: Mapped[str | None] = mapped_column(String(64))
    unsigned_html_sha256: Mapped[str | None] = mapped_column(String(64))

    handover: Mapped[Handover] = relationship(back_populates="versions")
    attachments: Mapped[list[Attachment]] = relationship(lazy="selectin")


class HandoverStudent(Base):
    """Which registered students a handover concerns (visibility, search, the student page)."""

    __tablename__ = "handover_student"
    __table_args__ = (UniqueConstraint("handover_id", "student_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    handover_id: Mapped[int] = mapped_column(ForeignKey("handover.id"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"), index=True)


class Attachment(Base):
    __tablename__ = "handover_attachment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("handover_version.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    # A file name such as "张三入学协议.pdf" is private too (policy C2).
    filename: Mapped[str] = mapped_column(EncryptedText("attachment.filename"))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str] = mapped_column(String(64))


class HandoverEvent(Base):
    """Every decision on a handover, shown as its history (the ledger has them too)."""

    __tablename__ = "handover_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    handover_id: Mapped[int] = mapped_column(ForeignKey("handover.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Reasons may name a student ("张三的缴费凭证不清晰"): ciphertext only.
    note: Mapped[str | None] = mapped_column(EncryptedText("handover.event_note"))

    actor: Mapped[Staff] = relationship(lazy="joined")
