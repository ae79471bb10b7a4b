"""Parent complaints as stored (家长投诉登记): when and how a complaint came in, its summary
(ciphertext: it may name a child, policy C2), the handovers it concerns, and once resolved the
finding (ciphertext) and the parties at fault, one FaultFinding row each (policy S2, S3)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from records.db import Base, UTCDateTime
from records.departments import Department
from records.oversight.evidence import serial, unjoin
from records.staff import Staff
from vault import EncryptedText

__all__ = ["CHANNELS", "COMPLAINT_PREFIX", "ComplaintState", "FaultFinding", "ParentComplaint"]

COMPLAINT_PREFIX = "TS"
CHANNELS = {"phone": "电话", "visit": "来访", "wechat": "微信", "letter": "书面",
            "other": "其他"}


class ComplaintState(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"

    @property
    def label_zh(self) -> str:
        return {"open": "处理中", "resolved": "已处理"}[self.value]


class ParentComplaint(Base):
    __tablename__ = "parent_complaint"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    received_on: Mapped[date] = mapped_column(Date, index=True)
    channel: Mapped[str] = mapped_column(String(12))
    summary: Mapped[str] = mapped_column(EncryptedText("complaint.summary"))
    handover_numbers: Mapped[str] = mapped_column(String(1000), default="")
    recorded_by: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(String(12), index=True)
    finding: Mapped[str | None] = mapped_column(EncryptedText("complaint.finding"))
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    recorder: Mapped[Staff] = relationship(foreign_keys=[recorded_by], lazy="joined")
    faults: Mapped[list[FaultFinding]] = relationship(order_by="FaultFinding.id",
                                                      lazy="selectin")

    @property
    def number(self) -> str:
        return serial(COMPLAINT_PREFIX, self.recorded_at, self.id)

    @property
    def channel_zh(self) -> str:
        return CHANNELS.get(self.channel, self.channel)

    @property
    def state_zh(self) -> str:
        return ComplaintState(self.state).label_zh

    @property
    def cited_handovers(self) -> list[str]:
        return unjoin(self.handover_numbers)


class FaultFinding(Base):
    """A party found at fault when the complaint was resolved: a department, and the person
    in it when one was named."""

    __tablename__ = "parent_complaint_fault"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("parent_complaint.id"), index=True)
    dept: Mapped[str] = mapped_column(String(8), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)

    staff: Mapped[Staff | None] = relationship(lazy="joined")

    def describe_zh(self) -> str:
        dept = Department(self.dept).label_zh
        return f"{self.staff.display_name}（{dept}）" if self.staff else dept
