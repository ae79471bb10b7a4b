"""A student's account for one enrolment, summed from ledger entries (pure: no database):
charged, paid, refunded, hours bought and delivered, what is still owed, and the payment
status 未缴 / 部分 / 已缴 / 退费中 / 已退费 (policy R-FIN: finance updates the status)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from records.money.entries import EntryKind, PaymentEntry

__all__ = ["Account", "PaymentStatus", "summed"]


class PaymentStatus(StrEnum):
    UNPAID = "未缴"
    PARTIAL = "部分"
    PAID = "已缴"
    REFUNDING = "退费中"
    REFUNDED = "已退费"


@dataclass(frozen=True)
class Account:
    enrolment: str
    charged: int
    """Fen charged."""
    paid: int
    """Fen received."""
    refunded: int
    """Fen paid back."""
    hours_bought: int
    hours_delivered: int
    open_refunds: int
    """Refund cases opened (F10) and not yet paid (F13)."""

    @property
    def held(self) -> int:
        """Fen the school holds for the student: paid less refunded."""
        return self.paid - self.refunded

    @property
    def owed(self) -> int:
        """Fen still to pay (never below zero)."""
        return max(self.charged - self.paid, 0)

    @property
    def hours_remaining(self) -> int:
        return self.hours_bought - self.hours_delivered

    @property
    def status(self) -> PaymentStatus:
        if self.open_refunds > 0:
            return PaymentStatus.REFUNDING
        if self.refunded > 0:
            return PaymentStatus.REFUNDED
        if self.paid <= 0:
            return PaymentStatus.UNPAID
        return PaymentStatus.PARTIAL if self.paid < self.charged else PaymentStatus.PAID


def summed(enrolment: str, entries: Iterable[PaymentEntry]) -> Account:
    """The account of `enrolment` from its entries (corrections included, as signed rows)."""
    money = {k: 0 for k in EntryKind}
    hours = {k: 0 for k in EntryKind}
    opened = closed = 0
    for e in entries:
        kind = EntryKind(e.kind)
        money[kind] += e.fen
        hours[kind] += e.hours
        if e.corrects_id is None:
            opened += kind is EntryKind.REFUND_OPENED
            closed += kind is EntryKind.REFUND
    return Account(enrolment, charged=money[EntryKind.CHARGE], paid=money[EntryKind.PAYMENT],
                   refunded=money[EntryKind.REFUND], hours_bought=hours[EntryKind.CHARGE],
                   hours_delivered=hours[EntryKind.DELIVERED],
                   open_refunds=max(opened - closed, 0))
