"""Refund payouts past their public limit, for finance (policy R-FIN, T5; DOMAIN-RULES
"Refunds"): a withdrawal before classes start is paid back within 5 working days, one after
they start within 15, counted from the day finance received the application (the F10's
application date, the day its refund case opened in the ledger). Both limits are school
settings (webapp.settings); working days are the school's calendar (records.deadlines).

A case is open while its F10 has no countersigned F13. Whether classes had started is the
ledger's: class hours delivered on the enrolment (F11 writes them). Nothing here decrypts an
amount: kinds, hours, days and numbers are plain columns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from records.deadlines import WorkingCalendar
from records.handovers import Handover, Status
from records.money.entries import EntryKind, PaymentEntry
from records.money.refund_case import case_members
from records.students import Student

__all__ = ["OverduePayout", "PayoutLimits", "overdue_payouts"]


@dataclass(frozen=True)
class PayoutLimits:
    before_start_days: int = 5
    after_start_days: int = 15

    def days(self, started: bool) -> int:
        return self.after_start_days if started else self.before_start_days


@dataclass(frozen=True)
class OverduePayout:
    case_number: str
    """The F10's number (退费申请编号)."""
    student_no: str
    enrolment: str
    received_on: date
    started: bool
    limit_days: int
    due_on: date
    working_days_over: int
    """Working days after the due day up to today (0 when only a rest day has passed)."""


def _delivered_hours(session: Session, student_id: int, enrolment: str) -> int:
    return session.scalar(select(func.coalesce(func.sum(PaymentEntry.hours), 0)).where(
        PaymentEntry.student_id == student_id, PaymentEntry.enrolment == enrolment,
        PaymentEntry.kind == EntryKind.DELIVERED.value)) or 0


def _paid_out(session: Session, f10: Handover) -> bool:
    return any(h.kind == "F13" and h.status == Status.COMPLETED
               for h in case_members(session, f10))


def _refunding():
    """(student, enrolment) pairs with more cases opened than refunds paid (as
    records.money.account counts them): the only places an open case can be."""
    def count(kind: EntryKind):
        return func.sum(case((PaymentEntry.kind == kind.value, 1), else_=0))

    return (select(PaymentEntry.student_id, PaymentEntry.enrolment)
            .where(PaymentEntry.corrects_id.is_(None))
            .group_by(PaymentEntry.student_id, PaymentEntry.enrolment)
            .having(count(EntryKind.REFUND_OPENED) > count(EntryKind.REFUND)))


def overdue_payouts(session: Session, calendar: WorkingCalendar, limits: PayoutLimits,
                    today: date) -> list[OverduePayout]:
    """Open refund cases whose payout limit has passed by `today`, longest overdue first."""
    open_pairs = _refunding().subquery()
    opened = session.execute(
        select(PaymentEntry, Handover, Student.student_no)
        .join(Handover, Handover.id == PaymentEntry.handover_id)
        .join(Student, Student.id == PaymentEntry.student_id)
        .join(open_pairs, (open_pairs.c.student_id == PaymentEntry.student_id)
              & (open_pairs.c.enrolment == PaymentEntry.enrolment))
        .where(PaymentEntry.kind == EntryKind.REFUND_OPENED.value,
               PaymentEntry.corrects_id.is_(None)))
    found = []
    for entry, f10, student_no in opened:
        started = _delivered_hours(session, entry.student_id, entry.enrolment) > 0
        days = limits.days(started)
        noon = datetime.combine(entry.occurred_on, time(12), tzinfo=calendar.zone)
        due_on = calendar.add_working_days(noon, days).date()
        if today <= due_on or _paid_out(session, f10):
            continue
        found.append(OverduePayout(
            f10.number, student_no, entry.enrolment, entry.occurred_on, started, days, due_on,
            calendar.ordinal(today) - calendar.ordinal(due_on)))
    return sorted(found, key=lambda row: (row.due_on, row.case_number))
