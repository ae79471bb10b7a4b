"""`handover demo` shows both refunds of the policy (F10-F13): one after classes start and one
before, each computed by the system and agreed at that amount, with vouchers; and the demo's
payment ledger balances: what the accounts hold is what was paid less what was refunded, per
account and school-wide in the monthly totals."""

from __future__ import annotations

from sqlalchemy import select

from records.handovers import Handover
from records.money.account import PaymentStatus
from records.money.amounts import parse_fen
from records.money.refund_case import values_of
from records.money.reports import LedgerReports
from records.students import Student


def test_the_demo_refunds_are_computed_and_the_ledger_balances(app, runner):
    made = runner.invoke(args=["demo"])
    assert made.exit_code == 0, made.output
    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        payments = svc.payments(db)
        calcs = list(db.scalars(select(Handover).where(Handover.kind == "F12")
                                .order_by(Handover.id)))
        paid_out = list(db.scalars(select(Handover).where(Handover.kind == "F13")
                                   .order_by(Handover.id)))
        assert len(calcs) == len(paid_out) == 2
        for calc, refund in zip(calcs, paid_out, strict=True):
            computed = values_of(calc)
            assert computed["refund_amount"] == computed["computed_amount"]
            assert values_of(refund)["refund_amount"] == computed["refund_amount"]
            assert any(a.code == "payment_voucher" for a in refund.current.attachments)
        after, before = (values_of(c) for c in calcs)
        assert "全额退费" in before["formula"] and "课时 ×" in after["formula"]
        students = list(db.scalars(select(Student.id).order_by(Student.id)))
        accounts = [a for sid in students for a in payments.accounts(sid)]
        assert len(accounts) == 2
        first, second = accounts
        assert first.status == second.status == PaymentStatus.REFUNDED
        assert second.refunded == second.paid and second.held == 0  # before the start
        assert first.refunded == parse_fen(after["refund_amount"], "x", "x") < first.paid
        assert first.held == first.hours_delivered * first.charged // first.hours_bought \
            + parse_fen(after["non_refundable"], "x", "x")
        for account in accounts:
            assert account.charged == account.paid and account.owed == 0
        reports, fin = LedgerReports(db, audit=svc.ledger), svc.accounts(db).get("fin")
        year = calcs[0].completed_at.year  # the registrations may fall in the year before
        months = [m for y in (year - 1, year) for m in reports.monthly_totals(fin, y).values()]
        paid = sum(m.get("payment", 0) for m in months)
        refunded = sum(m.get("refund", 0) for m in months)
        assert paid - refunded == sum(a.held for a in accounts) > 0
