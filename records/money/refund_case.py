"""One refund case (policy F10-F13): the application at finance (F10) opens it, the teacher's
verification (F11), finance's calculation (F12) and the refund itself (F13) follow it, each
the next step of the one before (Handover.parent_id). The case's enrolment is the one its F10
names; its money is the payment ledger's.

`case_handover_ids` answers which handovers of refund cases a staff member takes part in: each
party in the chain may read the earlier forms of its own case, and no other (records.visibility
is to ask it)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from records.errors import FieldProblem, ValidationFailed
from records.handovers import Handover, Status
from records.money.account import Account
from records.money.amounts import yuan
from records.money.payments import PaymentLedger
from records.money.refund_rules import (
    CURRENT_VERSION,
    RULES,
    Cause,
    RefundInputs,
    RefundResult,
    compute,
    unit_price_fen,
)
from records.staff import Staff

__all__ = ["CASE_KINDS", "case_handover_ids", "case_members", "case_root", "enrolment_of",
           "f12_computation", "values_of"]

CASE_KINDS = ("F10", "F11", "F12", "F13")
NO_PAYMENTS = "该学生在缴费台账中没有缴费记录，不能受理退费；请先由财务部门核对并登记缴费。"


def values_of(handover: Handover) -> dict[str, Any]:
    """The current version's values (the system's own read: no person sees them here)."""
    return json.loads(handover.current.values_json)


def case_root(session: Session, handover: Handover) -> Handover | None:
    """The F10 a handover of a refund case goes back to; None outside a case."""
    seen = 0
    while handover is not None and handover.kind != "F10" and seen < len(CASE_KINDS):
        if handover.kind not in CASE_KINDS or handover.parent_id is None:
            return None
        handover, seen = session.get(Handover, handover.parent_id), seen + 1
    return handover


def case_members(session: Session, root: Handover) -> list[Handover]:
    """The F10 and every later step of its case (corrections are versions of the same row)."""
    members, frontier = [root], [root.id]
    while frontier:
        found = list(session.scalars(select(Handover).where(
            Handover.parent_id.in_(frontier), Handover.kind.in_(CASE_KINDS))))
        members += found
        frontier = [h.id for h in found]
    return members


def case_handover_ids(session: Session, staff: Staff) -> set[int]:
    """Ids of the non-draft handovers of every refund case in which `staff` takes part (as
    sender, named receiver or countersigner of one of its steps). records.visibility should
    give CONTENT of these: finance reads the F11 of its own case, and no other."""
    if not staff.active:
        return set()
    own = session.scalars(select(Handover).where(
        Handover.kind.in_(CASE_KINDS), Handover.status != Status.DRAFT,
        or_(Handover.sender_id == staff.id, Handover.receiver_id == staff.id)))
    ids: set[int] = set()
    roots: dict[int, Handover] = {}
    for handover in own:
        root = case_root(session, handover)
        if root is not None:
            roots[root.id] = root
    for root in roots.values():
        ids |= {h.id for h in case_members(session, root) if h.status != Status.DRAFT}
    return ids


def enrolment_of(ledger: PaymentLedger, student_id: int, class_name: str) -> Account:
    """The account the refund is about: the enrolment named on the F10, or the student's
    only one. A student with no payments has no refund case (a clear message)."""
    accounts = [a for a in ledger.accounts(student_id) if a.paid > 0]
    if not accounts:
        raise ValidationFailed([FieldProblem("student", NO_PAYMENTS)])
    named = [a for a in accounts if a.enrolment == (class_name or "").strip()]
    if named:
        return named[0]
    if len(accounts) == 1:
        return accounts[0]
    raise ValidationFailed([FieldProblem("class_name", "该学生有多个报名课程，请填写与缴费台账一致"
                                                       "的课程或班级名称。")])


def f12_computation(account: Account, f11: dict[str, Any], non_refundable: int,
                    cause: Cause) -> tuple[RefundInputs, RefundResult]:
    """The refund of a case from the ledger's account and the teacher's verification."""
    completed = int(f11.get("lessons_completed") or 0)
    inputs = RefundInputs(paid=account.held, hours_delivered=completed,
                          unit_price=unit_price_fen(account.charged, account.hours_bought),
                          non_refundable=non_refundable, started=completed > 0, cause=cause)
    return inputs, compute(inputs, CURRENT_VERSION)


def f12_breakdown(inputs: RefundInputs, result: RefundResult, refund: int) -> list[dict]:
    """The lines of the F12's breakdown: what is refunded and what the school keeps, adding
    up to the amount held (policy F12: 明细)."""
    kept = inputs.paid - refund
    why = (f"已完成 {inputs.hours_delivered} 课时 × {yuan(inputs.unit_price)} 元"
           f"；已交付不予退还项目 {yuan(result.kept_for_items)} 元")
    if kept != min(result.kept_for_hours + result.kept_for_items, inputs.paid):
        why += "；含财务调整（见调整原因）"
    return [{"item": "退费金额", "amount": yuan(refund), "notes": f"规则版本 {result.version}"},
            {"item": "学校保留", "amount": yuan(kept), "notes": why[:200]}]


def basis_text(version: str) -> str:
    return f"退费规则版本 {version}：{RULES[version].basis_zh}"
