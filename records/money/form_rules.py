"""What the money adds to the forms when they are signed (records.workflow asks it before
signing, so that a refused form is never signed): the system's own values, and the checks
against the payment ledger.

- F2: the prepayment caps (records.money.caps); over a cap only with management's override,
  whose reason the form then prints.
- F10: the student has payments; the amount paid is not above what the ledger holds.
- F11: lessons total = delivered + remaining, and the total is the ledger's hours bought.
- F12: computed by the system from the ledger and the F11 (inputs, rule version, formula,
  result, breakdown); finance may change the amount only with a reason, printed on the form.
- F13: the amount is the F12's, or comes with a reason; the status after it is the ledger's.
Each step of the case cites its F10 (退费申请编号)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from records.errors import FieldProblem, ValidationFailed
from records.handovers import Handover
from records.money.amounts import fen_or_problem, parse_fen, yuan
from records.money.caps import PrepaymentCaps
from records.money.payments import PaymentLedger
from records.money.refund_case import (
    basis_text,
    case_root,
    enrolment_of,
    f12_breakdown,
    f12_computation,
    values_of,
)
from records.money.refund_rules import Cause

__all__ = ["MoneyRules"]

OVER_PAID = "不能超过缴费台账中该课程的已缴金额（已扣除已退金额）。"


def _fen(values: Mapping[str, Any], field: str, label: str) -> int | None:
    got = fen_or_problem(values.get(field) or "0", field, label)
    return got if isinstance(got, int) else None


class MoneyRules:
    def __init__(self, session: Session, *, ledger: PaymentLedger, caps: PrepaymentCaps):
        self.session, self.ledger, self.caps = session, ledger, caps

    # -- the system's values ------------------------------------------------------------------

    def complete(self, handover: Handover, values: dict[str, Any]) -> dict[str, Any]:
        """`values` with what the system fills in before signing."""
        values = dict(values)
        if handover.kind == "F2":
            values.pop("cap_override", None)
            override = self._override(handover, values)
            if override is not None:
                who = override.recorder.display_name
                values["cap_override"] = (f"超出预收费上限，经管理层 {who}批准"
                                          f"（台账记录 {override.id}）：{override.reason}")
        root = case_root(self.session, handover)
        if root is None or handover.kind == "F10":
            return values
        values["refund_ref"] = root.number
        if handover.kind == "F12":
            self._complete_f12(handover, root, values)
        if handover.kind == "F13":
            account = self._account(root)
            refund = _fen(values, "refund_amount", "退费金额") or 0
            values["payment_status_after"] = ("已全额退费" if refund >= account.held
                                              else "已部分退费")
        return values

    def _override(self, handover: Handover, values: Mapping[str, Any]):
        if not self.caps.problems(values) or not handover.student_ids:
            return None
        fen = _fen(values, "fee_paid", "缴费金额") or 0
        hours = int(values.get("class_hours") or 0)
        return self.ledger.unused_override(handover.student_ids[0], fen, hours)

    def _account(self, root: Handover):
        return enrolment_of(self.ledger, root.student_ids[0],
                            values_of(root).get("class_name", ""))

    def _complete_f12(self, handover: Handover, root: Handover, values: dict[str, Any]) -> None:
        f11 = self.session.get(Handover, handover.parent_id)
        items = parse_fen(values.get("non_refundable") or "0", "non_refundable",
                          "已交付不予退还项目")
        cause = Cause(values.get("cause") or Cause.APPLICATION)
        inputs, result = f12_computation(self._account(root), values_of(f11), items, cause)
        refund = result.amount
        if (values.get("adjust_reason") or "").strip():
            refund = parse_fen(values.get("refund_amount"), "refund_amount", "退费金额")
        values.update(amount_paid=yuan(inputs.paid), lessons_completed=inputs.hours_delivered,
                      unit_price=yuan(inputs.unit_price), non_refundable=yuan(items),
                      cause=cause.value, rule_version=result.version,
                      formula=result.formula_zh, computed_amount=yuan(result.amount),
                      refund_amount=yuan(refund), basis=basis_text(result.version),
                      breakdown=f12_breakdown(inputs, result, min(refund, inputs.paid)))

    # -- the checks ---------------------------------------------------------------------------

    def problems(self, handover: Handover, values: Mapping[str, Any]) -> list[FieldProblem]:
        try:
            return self._problems(handover, values)
        except ValidationFailed as exc:
            return exc.problems

    def _problems(self, handover: Handover, values: Mapping[str, Any]) -> list[FieldProblem]:
        kind = handover.kind
        if kind == "F2":
            return [] if values.get("cap_override") else self.caps.problems(values)
        if kind == "F10":
            account = enrolment_of(self.ledger, handover.student_ids[0],
                                   values.get("class_name", ""))
            out = []
            if (_fen(values, "amount_paid", "已缴金额") or 0) > account.held:
                out.append(FieldProblem("amount_paid", f"「已缴金额」{OVER_PAID}"))
            if int(values.get("lessons_purchased") or 0) != account.hours_bought:
                out.append(FieldProblem("lessons_purchased", "「购买课时」与缴费台账不一致。"))
            return out
        root = case_root(self.session, handover)
        if kind not in ("F11", "F12", "F13"):
            return []
        if root is None:
            return [FieldProblem("parent", f"{kind} 须接续同一退费案件的上一环节交接单。")]
        account = self._account(root)
        if kind == "F11":
            return self._f11_problems(values, account)
        refund = _fen(values, "refund_amount", "退费金额") or 0
        out = []
        if refund > account.held:
            out.append(FieldProblem("refund_amount", f"「退费金额」{OVER_PAID}"))
        if kind == "F12" and refund != _fen(values, "computed_amount", "核算结果") \
                and not (values.get("adjust_reason") or "").strip():
            out.append(FieldProblem("adjust_reason",
                                    "退费金额与系统核算结果不同，须填写调整原因。"))
        if kind == "F13":
            f12 = self.session.get(Handover, handover.parent_id)
            agreed = _fen(values_of(f12), "refund_amount", "退费金额")
            if refund != agreed and not (values.get("difference_reason") or "").strip():
                out.append(FieldProblem("difference_reason",
                                        "退费金额与财务核算（F12）不同，须填写原因。"))
        return out

    @staticmethod
    def _f11_problems(values: Mapping[str, Any], account) -> list[FieldProblem]:
        total, done, left = (int(values.get(f) or 0) for f in
                             ("lessons_total", "lessons_completed", "lessons_remaining"))
        out = []
        if total != done + left:
            out.append(FieldProblem("lessons_remaining", "合同课时应等于已完成课时加剩余课时。"))
        if total != account.hours_bought:
            out.append(FieldProblem("lessons_total", "「合同课时」与缴费台账中购买的课时不一致。"))
        return out
