"""What is owed before anyone makes it (policy T1a-T5b): an obligation is a handover that a
department or a person must make by a deadline, created by the event that gives rise to it
(a countersigned registration, a class's weekly report time, a term end, a refund case) and met
by the handover that answers it. Rows hold ids, kinds, clauses and times only, never a private
value (policy C1, C2); a waiver's reason is ciphertext.

    open → answered (by a submitted handover; reopened if that handover is withdrawn)
         → waived (by the academic affairs office or management, with a reason)
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from records.db import Base, UTCDateTime
from records.handovers import Handover
from records.staff import Staff
from vault import EncryptedText

__all__ = ["Obligation", "ObligationState"]


class ObligationState(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    WAIVED = "waived"

    @property
    def label_zh(self) -> str:
        return {"open": "待交", "answered": "已交", "waived": "已免除"}[self.value]


class Obligation(Base):
    __tablename__ = "obligation"
    # One obligation per cause: the same event never owes the same handover twice, however
    # often (and from however many processes) the obligations are derived.
    __table_args__ = (UniqueConstraint("cause_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cause_key: Mapped[str] = mapped_column(String(120))
    """What gave rise to it, e.g. "F8:class:3:student:17" or "F6b:handover:42"."""
    kind: Mapped[str] = mapped_column(String(8), index=True)
    """The handover kind owed (F1..F13, F6b)."""
    clause: Mapped[str] = mapped_column(String(8))
    """The deadline clause (T1a..T5b)."""
    owing_dept: Mapped[str] = mapped_column(String(8), index=True)
    owing_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    """The person who owes it; None when the whole department does."""
    student_id: Mapped[int | None] = mapped_column(ForeignKey("student.id"), index=True)
    class_id: Mapped[int | None] = mapped_column(ForeignKey("school_class.id"), index=True)
    source_handover_id: Mapped[int | None] = mapped_column(ForeignKey("handover.id"),
                                                           index=True)
    """The handover whose receipt gave rise to it (T2, T4a, the refund chain)."""
    period_start: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """Start of the reporting period of a periodic report (T3a)."""
    trigger_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    state: Mapped[str] = mapped_column(String(12), index=True, default=ObligationState.OPEN)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("handover.id"), index=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """When the answering handover was (last) submitted: met on time when not after due_at."""
    waived_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    waived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    waiver_reason: Mapped[str | None] = mapped_column(EncryptedText("obligation.waiver"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    owing_staff: Mapped[Staff | None] = relationship(foreign_keys=[owing_staff_id],
                                                     lazy="joined")
    answered_by: Mapped[Handover | None] = relationship(foreign_keys=[answered_by_id])

    @property
    def met_on_time(self) -> bool | None:
        """True/False once answered; None while open or when waived."""
        if self.state != ObligationState.ANSWERED or self.answered_at is None:
            return None
        return self.answered_at <= self.due_at

    def overdue(self, now: datetime) -> bool:
        return self.state == ObligationState.OPEN and now > self.due_at
