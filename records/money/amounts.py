"""Amounts of money as integer fen (分), never floats: parsing what a person types in yuan, and
printing fen back as yuan. Messages name the field and never repeat the value (policy C2)."""

from __future__ import annotations

from typing import Any

from records.errors import FieldProblem, ValidationFailed
from records.validation import yuan_amount

__all__ = ["fen_or_problem", "parse_fen", "yuan", "yuan_zh"]

FEN_MAX = 1_000_000_000  # ten million yuan, the catalogue's MONEY_MAX


def fen_or_problem(value: Any, field: str, label_zh: str, *,
                   signed: bool = False) -> int | FieldProblem:
    """`value` (yuan, as typed: "4680.5", 4680, Decimal) in fen, or the field's problem: not a
    number, more than two decimals, negative (unless `signed`), or too large."""
    amount = yuan_amount(value)
    if amount is None:
        return FieldProblem(field, f"「{label_zh}」应为金额（元，最多两位小数）")
    if amount < 0 and not signed:
        return FieldProblem(field, f"「{label_zh}」不能为负数")
    fen = int(amount * 100)
    if abs(fen) > FEN_MAX:
        return FieldProblem(field, f"「{label_zh}」超过上限 {yuan(FEN_MAX)} 元")
    return fen


def parse_fen(value: Any, field: str, label_zh: str, *, signed: bool = False) -> int:
    """`fen_or_problem`, raising ValidationFailed for a problem."""
    got = fen_or_problem(value, field, label_zh, signed=signed)
    if isinstance(got, FieldProblem):
        raise ValidationFailed([got])
    return got


def yuan(fen: int) -> str:
    """4680.50 for 468050: the plain decimal form stored in form values."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


def yuan_zh(fen: int) -> str:
    """¥4,680.50 for pages and messages."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}¥{whole:,}.{cents:02d}"
