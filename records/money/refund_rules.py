"""The school's refund rules as versioned data, and the calculator (pure: no database, no
clock). policy F12: the amount comes with its calculation and basis (明细及核算依据).

DOMAIN-RULES "Refunds": before classes start, or within an agreed period after, everything
back; after they start, the completed class hours at the contracted unit price and the listed
non-refundable items actually delivered are kept; never negative, never above what was paid.
When the school cancels, it refunds everything not delivered: only the hours given are kept.

A rule version is never changed once used: a new reading is a new version, and each F12
prints the version it was computed with."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from records.money.amounts import yuan

__all__ = ["CURRENT_VERSION", "RULES", "Cause", "RefundInputs", "RefundResult", "RefundRules",
           "compute", "unit_price_fen"]


class Cause(StrEnum):
    APPLICATION = "学生申请退费"
    SCHOOL_CANCELLED = "学校取消课程"


@dataclass(frozen=True)
class RefundRules:
    version: str
    """Printed on every F12 computed with it."""
    grace_hours: int
    """Hours after the start still refunded in full (the model contract's agreed period)."""
    school_keeps_items: bool
    """Whether delivered non-refundable items are kept when the school cancels."""
    basis_zh: str
    """The rules it follows, printed as the F12's basis."""


RULES = {
    "2026.1": RefundRules(
        "2026.1", grace_hours=0, school_keeps_items=False,
        basis_zh="《校外培训服务合同（示范文本）》（2021 年）；地方校外培训退费规定"
                 "（开课前全额退费；开课后扣除已完成课时费用后退还剩余费用）；本校退费规则 2026.1"),
}
CURRENT_VERSION = "2026.1"


@dataclass(frozen=True)
class RefundInputs:
    paid: int
    """Fen the school holds for the enrolment (paid less refunded)."""
    hours_delivered: int
    """Class hours completed (F11)."""
    unit_price: int
    """Contracted fen per class hour."""
    non_refundable: int = 0
    """Fen of listed non-refundable items actually delivered (materials)."""
    started: bool = True
    """Whether classes have started."""
    cause: Cause = Cause.APPLICATION


@dataclass(frozen=True)
class RefundResult:
    amount: int
    """Fen to refund."""
    kept_for_hours: int
    """Fen kept for delivered hours."""
    kept_for_items: int
    """Fen kept for delivered items."""
    version: str
    formula_zh: str
    """The formula with the numbers put in, as printed on the F12."""


def unit_price_fen(charged: int, hours_bought: int) -> int:
    """The contracted price of one class hour, in whole fen rounded down (in the family's
    favour); 0 when no hours were bought."""
    return charged // hours_bought if hours_bought > 0 else 0


def compute(inputs: RefundInputs, version: str = CURRENT_VERSION) -> RefundResult:
    """The refund under rule `version`: never negative, never above `paid`, all of `paid`
    before the start, and never more for more hours delivered."""
    rules = RULES[version]
    paid = max(inputs.paid, 0)
    hours = max(inputs.hours_delivered, 0)
    if not inputs.started or hours <= rules.grace_hours:
        return RefundResult(paid, 0, 0, version,
                            f"开课前（或约定期限内）全额退费：{yuan(paid)} 元")
    for_hours = hours * max(inputs.unit_price, 0)
    keeps_items = inputs.cause is Cause.APPLICATION or rules.school_keeps_items
    for_items = max(inputs.non_refundable, 0) if keeps_items else 0
    amount = min(max(paid - for_hours - for_items, 0), paid)
    items = f" − 已交付不予退还项目 {yuan(for_items)}" if keeps_items else ""
    return RefundResult(amount, for_hours, for_items, version,
                        f"{yuan(paid)} − {hours} 课时 × {yuan(inputs.unit_price)}{items}"
                        f" = {yuan(amount)} 元（不小于零，不超过已缴金额）")
