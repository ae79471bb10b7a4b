"""Notifications as stored: one row per message per channel (the outbox), written in the same
transaction as the event that causes it, and each person's choice of channels.

    in-app:           sent at once (the row is the notice; `read_at` marks it read)
    e-mail, webhook:  pending → sending (claimed by one worker) → sent
                             ↘ pending again, later (retried with backoff) → failed (shown
                               to the administrator)

Subjects and bodies carry kind, number, deadline and a link only, never a private value
(policy C1, C2): they are stored in clear for that reason."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from records.db import Base, UTCDateTime
from records.staff import Staff

__all__ = ["Channel", "DeliveryState", "Notification", "NotificationChoice"]


class Channel(StrEnum):
    INAPP = "inapp"
    EMAIL = "email"
    WEBHOOK = "webhook"

    @property
    def label_zh(self) -> str:
        return {"inapp": "站内通知", "email": "电子邮件", "webhook": "群机器人"}[self.value]


class DeliveryState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by one worker (compare-and-set on PENDING)
    SENT = "sent"
    FAILED = "failed"  # every attempt failed: shown to the administrator
    DROPPED = "dropped"  # nowhere to send any more (the address was removed)

    @property
    def label_zh(self) -> str:
        return {"pending": "待发送", "sending": "发送中", "sent": "已发送", "failed": "发送失败",
                "dropped": "已取消"}[self.value]


class Notification(Base):
    __tablename__ = "notification"
    __table_args__ = (
        # One digest (or reminder) per person, day and channel, however many workers run.
        UniqueConstraint("dedupe_key"),
        Index("ix_notification_unread", "recipient_id", "channel", "read_at"),
        Index("ix_notification_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    """The event: handover.receive, handover.returned, approval.requested, ... digest."""
    ref_type: Mapped[str] = mapped_column(String(16), default="")
    """handover, approval, loan, notice; empty for a digest."""
    ref: Mapped[str] = mapped_column(String(40), default="")
    """The handover, loan or notice number, or the approval id."""
    channel: Mapped[str] = mapped_column(String(12))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    """Plain text; links in it are absolute (BASE_URL)."""
    link: Mapped[str] = mapped_column(String(300), default="")
    """The page to open, relative to BASE_URL."""
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(12))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(500))
    dedupe_key: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    recipient: Mapped[Staff] = relationship(lazy="joined")

    @property
    def status_zh(self) -> str:
        return DeliveryState(self.status).label_zh

    @property
    def channel_zh(self) -> str:
        return Channel(self.channel).label_zh


class NotificationChoice(Base):
    """How one person wants to be told, besides the in-app list that everyone has. Without
    an e-mail address a person gets in-app notices only."""

    __tablename__ = "notification_choice"

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"),
                                          primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254))
    by_email: Mapped[bool] = mapped_column(Boolean, default=False)
    by_webhook: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
