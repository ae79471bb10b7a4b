"""Rectification notices as stored (整改通知, policy S1): one row per notice, holding ids,
states and dates; its findings and every answer or note as ciphertext; each step an event.

    issued → answered → closed
                      → reopened → answered → ...
"""

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

__all__ = ["NOTICE_PREFIX", "NoticeEvent", "NoticeState", "RectificationNotice"]

NOTICE_PREFIX = "ZG"


class NoticeState(StrEnum):
    ISSUED = "issued"
    ANSWERED = "answered"
    CLOSED = "closed"
    REOPENED = "reopened"  # back to waiting for an answer, with the group's note

    @property
    def label_zh(self) -> str:
        return {"issued": "待答复", "answered": "已答复", "closed": "已关闭",
                "reopened": "重新整改"}[self.value]

    @property
    def waits_for_answer(self) -> bool:
        return self in (NoticeState.ISSUED, NoticeState.REOPENED)


class RectificationNotice(Base):
    __tablename__ = "rectification_notice"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    issuer_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    to_dept: Mapped[str | None] = mapped_column(String(8), index=True)
    """The department it is addressed to (any member may answer); None for a person."""
    to_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    """The person it is addressed to; None for a department."""
    handover_numbers: Mapped[str] = mapped_column(String(1000), default="")
    """Cited handovers (overdue, returned, ...), comma-separated numbers."""
    obligation_ids: Mapped[str] = mapped_column(String(500), default="")
    """Cited obligations (what was owed and not made), comma-separated ids."""
    findings: Mapped[str] = mapped_column(EncryptedText("notice.findings"))
    """What is to be rectified, in the group's words (may name a student: ciphertext)."""
    reply_by: Mapped[date] = mapped_column(Date, index=True)
    state: Mapped[str] = mapped_column(String(12), index=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """The latest answer."""
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    issuer: Mapped[Staff] = relationship(foreign_keys=[issuer_id], lazy="joined")
    to_staff: Mapped[Staff | None] = relationship(foreign_keys=[to_staff_id], lazy="joined")
    events: Mapped[list[NoticeEvent]] = relationship(order_by="NoticeEvent.id", lazy="selectin")

    @property
    def number(self) -> str:
        return serial(NOTICE_PREFIX, self.issued_at, self.id)

    @property
    def cited_handovers(self) -> list[str]:
        return unjoin(self.handover_numbers)

    @property
    def cited_obligations(self) -> list[int]:
        return [int(v) for v in unjoin(self.obligation_ids)]

    @property
    def recipient_zh(self) -> str:
        if self.to_staff is not None:
            return self.to_staff.describe_zh()
        return Department(self.to_dept).label_zh

    @property
    def state_zh(self) -> str:
        return NoticeState(self.state).label_zh

    def overdue(self, today: date) -> bool:
        """Waiting for an answer after the reply deadline (shown as such)."""
        return NoticeState(self.state).waits_for_answer and today > self.reply_by

    @property
    def last_answer(self) -> NoticeEvent | None:
        return next((e for e in reversed(self.events) if e.action == "answer"), None)


class NoticeEvent(Base):
    """One step: issue, answer, close, reopen; `text` is the answer or the group's note."""

    __tablename__ = "rectification_notice_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("rectification_notice.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    action: Mapped[str] = mapped_column(String(12))
    text: Mapped[str | None] = mapped_column(EncryptedText("notice.event"))

    actor: Mapped[Staff] = relationship(lazy="joined")

    @property
    def action_zh(self) -> str:
        return {"issue": "发出", "answer": "答复", "close": "关闭",
                "reopen": "重新整改"}.get(self.action, self.action)
