"""Countersigned handovers write the payment ledger (a records.workflow on_change hook, run in
the countersigning transaction): F2 the charge and the payment, F10 opens a refund case, F11
the hours delivered, F13 the refund (with its voucher), after which the payment status is the
ledger's and the refund is recorded in the student's archive (policy R-FIN, F13)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from records.errors import ValidationFailed
from records.handovers import Handover, Status
from records.money.amounts import parse_fen
from records.money.entries import EntryKind, PaymentEntry
from records.money.payments import PaymentLedger
from records.money.refund_case import case_root, enrolment_of, values_of
from records.staff import Staff

__all__ = ["LedgerFeed"]


def _day(value, handover: Handover) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return handover.completed_at.date()


def _voucher(handover: Handover, code: str) -> str | None:
    return next((a.object_id for a in handover.current.attachments if a.code == code), None)


class LedgerFeed:
    def __init__(self, ledger: PaymentLedger, *, on_refund=None):
        """`on_refund(handover, student_id, fen)` records a completed refund elsewhere (the
        student's archive)."""
        self.ledger, self.session, self.on_refund = ledger, ledger.session, on_refund

    def handover_changed(self, handover: Handover) -> None:
        if handover.status != Status.COMPLETED or handover.kind not in (
                "F2", "F10", "F11", "F13") or not handover.student_ids:
            return
        if self.session.scalar(select(PaymentEntry.id).where(
                PaymentEntry.handover_id == handover.id).limit(1)) is not None:
            return  # written once per handover
        values = values_of(handover)
        actor = self.session.get(Staff, handover.current.countersigned_by or
                                 handover.receiver_id)
        student = handover.student_ids[0]
        common = dict(student_id=student, actor=actor, handover_id=handover.id)
        if handover.kind == "F2":
            self._registration(handover, values, common)
            return
        root = case_root(self.session, handover)
        if root is None:
            return
        try:
            account = enrolment_of(self.ledger, student, values_of(root).get("class_name", ""))
        except ValidationFailed:
            return  # a case from before the ledger: its forms were not checked against it
        common["enrolment"] = account.enrolment
        if handover.kind == "F10":
            self.ledger.add(kind=EntryKind.REFUND_OPENED,
                            occurred_on=_day(values.get("application_date"), handover), **common)
        elif handover.kind == "F11":
            delta = int(values.get("lessons_completed") or 0) - account.hours_delivered
            if delta:
                self.ledger.add(kind=EntryKind.DELIVERED, hours=delta,
                                occurred_on=handover.completed_at.date(), **common)
        else:
            fen = parse_fen(values.get("refund_amount"), "refund_amount", "退费金额")
            self.ledger.add(kind=EntryKind.REFUND, fen=fen,
                            method=values.get("payment_channel"),
                            occurred_on=_day(values.get("paid_date"), handover),
                            voucher_object_id=_voucher(handover, "payment_voucher"), **common)
            if self.on_refund is not None:
                self.on_refund(handover, student, fen)

    def _registration(self, handover: Handover, values: dict, common: dict) -> None:
        fen = parse_fen(values.get("fee_paid"), "fee_paid", "缴费金额")
        hours = int(values.get("class_hours") or 0)
        day = _day(values.get("registration_date"), handover)
        enrolment = str(values.get("course") or "")[:100]
        override = self.ledger.unused_override(common["student_id"], fen, hours) \
            if values.get("cap_override") else None
        self.ledger.add(kind=EntryKind.CHARGE, fen=fen, hours=hours, occurred_on=day,
                        enrolment=enrolment, override_id=override.id if override else None,
                        **common)
        self.ledger.add(kind=EntryKind.PAYMENT, fen=fen, method=values.get("payment_method"),
                        occurred_on=day, enrolment=enrolment,
                        voucher_object_id=_voucher(handover, "payment_receipt"), **common)
