"""The payment ledger as stored (缴费台账, policy R-FIN): one append-only row per fact about a
student's money for one enrolment (a course or class). A row is never updated or deleted; a
correction is a new row with its reason that names the row it corrects.

The amount is family-finance data (policy C2, 经济情况): ciphertext only, fen as text. The
enrolment, the kind, the hours, the method and the day are not private, so that lists filter
and page in SQL."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from records.db import Base, UTCDateTime
from records.staff import Staff
from vault import EncryptedText

__all__ = ["EntryKind", "PaymentEntry"]


class EntryKind(StrEnum):
    CHARGE = "charge"  # fees charged, with the class hours bought (F2)
    PAYMENT = "payment"  # money received, with its method (F2)
    DELIVERED = "delivered"  # class hours delivered (F11, or finance)
    REFUND_OPENED = "refund_opened"  # a refund case opened (F10); no amount
    REFUND = "refund"  # money paid back (F13)
    CAP_OVERRIDE = "cap_override"  # management let a charge over a prepayment cap through

    @property
    def label_zh(self) -> str:
        return _LABELS[self]


_LABELS = {EntryKind.CHARGE: "收费", EntryKind.PAYMENT: "缴费", EntryKind.DELIVERED: "已上课时",
           EntryKind.REFUND_OPENED: "退费受理", EntryKind.REFUND: "退费",
           EntryKind.CAP_OVERRIDE: "超限收费批准"}

METHODS = ("现金", "银行转账", "微信支付", "支付宝", "银行卡刷卡", "原路退回")


class PaymentEntry(Base):
    __tablename__ = "payment_entry"
    # A handover writes each kind of entry once, also when two hooks run at once.
    __table_args__ = (UniqueConstraint("handover_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"), index=True)
    enrolment: Mapped[str] = mapped_column(String(100), index=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    # policy C2: family finances, ciphertext only; signed fen as text (a correction may be < 0)
    amount: Mapped[str] = mapped_column(EncryptedText("payment.amount"))
    hours: Mapped[int] = mapped_column(Integer, default=0)
    method: Mapped[str | None] = mapped_column(String(16))
    occurred_on: Mapped[date] = mapped_column(Date, index=True)
    handover_id: Mapped[int | None] = mapped_column(ForeignKey("handover.id"), index=True)
    voucher_object_id: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(EncryptedText("payment.reason"))
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("payment_entry.id"))
    # A charge over a prepayment cap names management's override it uses (used once).
    override_id: Mapped[int | None] = mapped_column(ForeignKey("payment_entry.id"))
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())

    recorder: Mapped[Staff | None] = relationship(lazy="joined")

    @property
    def fen(self) -> int:
        return int(self.amount)

    @property
    def kind_zh(self) -> str:
        label = EntryKind(self.kind).label_zh
        return f"{label}更正" if self.corrects_id else label
