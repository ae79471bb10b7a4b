"""Validation of handover values against the catalogue (policy G3: accuracy): required fields,
types, lengths, choices, money never negative, the documented size limits. Messages name the
field and never repeat the value (policy C2)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from records.catalogue import (
    INT_MAX,
    LONGTEXT_MAX_CHARS,
    MONEY_MAX,
    ROWS_MAX,
    TEXT_MAX_CHARS,
    FieldSpec,
    FieldType,
    HandoverKind,
    MethodDocument,
)
from records.errors import FieldProblem
from records.text_rules import bad_characters

__all__ = ["validate_values", "yuan_amount"]

_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME_RE = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?([+-]\d{2}:\d{2}|Z)?")


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | tuple | dict) and not value)


def validate_values(kind: HandoverKind | MethodDocument,
                    values: Mapping[str, Any]) -> list[FieldProblem]:
    """Every problem with ``values`` for ``kind``; an empty list means the values are valid."""
    known = {f.name for f in kind.fields}
    problems = [FieldProblem(name, f"未知字段：{name}") for name in values if name not in known]
    for spec in kind.fields:
        problems.extend(_check(spec, values.get(spec.name), spec.name))
    return problems


def _check(spec: FieldSpec, value: Any, where: str) -> list[FieldProblem]:
    if _empty(value):
        return [FieldProblem(where, f"「{spec.label_zh}」为必填项")] if spec.required else []
    message = _CHECKS[spec.type](spec, value)
    if isinstance(message, list):
        return message
    return [FieldProblem(where, f"「{spec.label_zh}」{message}")] if message else []


def _check_text(spec: FieldSpec, value: Any) -> str | None:
    if not isinstance(value, str):
        return "应为文字"
    default = LONGTEXT_MAX_CHARS if spec.type is FieldType.LONGTEXT else TEXT_MAX_CHARS
    limit = spec.max_length or default
    if len(value) > limit:
        return f"超过 {limit} 字的上限（当前 {len(value)} 字）"
    if spec.type is FieldType.TEXT and ("\n" in value or "\r" in value):
        return "应为单行文字"
    return bad_characters(value, multiline=spec.type is FieldType.LONGTEXT)


def _check_int(spec: FieldSpec, value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | str):
        return "应为整数"
    if isinstance(value, str):
        if not value.strip().isdecimal():
            return "应为整数"
        value = int(value)
    return _check_range(value, spec.max_value if spec.max_value is not None else INT_MAX, "")


def yuan_amount(value: Any) -> Decimal | None:
    """An amount in yuan as typed ("4680.5", 4680, Decimal); None unless it is a finite number
    with at most two decimals (never a float: its binary value is not the amount typed)."""
    if isinstance(value, bool | float) or not isinstance(value, int | str | Decimal):
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount.as_tuple().exponent < -2:
        return None
    return amount


def _check_money(spec: FieldSpec, value: Any) -> str | None:
    amount = yuan_amount(value)
    if amount is None:
        return "应为金额（元，最多两位小数）"
    return _check_range(amount, MONEY_MAX, " 元")


def _check_range(number: int | Decimal, limit: int | Decimal, unit: str) -> str | None:
    if number < 0:
        return "不能为负数"
    if number > limit:
        return f"超过上限 {limit}{unit}"
    return None


def _check_when(spec: FieldSpec, value: Any) -> str | None:
    """Dates: a date (not a datetime) or "YYYY-MM-DD"; datetimes: a datetime or ISO 8601."""
    with_time = spec.type is FieldType.DATETIME
    cls = dt.datetime if with_time else dt.date
    if isinstance(value, cls) and (with_time or not isinstance(value, dt.datetime)):
        return None
    if isinstance(value, str) and (_DATETIME_RE if with_time else _DATE_RE).fullmatch(value):
        try:
            cls.fromisoformat(value)
            return None
        except ValueError:
            pass
    return "应为日期时间" if with_time else "应为日期（年-月-日）"


def _check_choice(spec: FieldSpec, value: Any) -> str | None:
    if value not in spec.choices:
        return "不是可选的值（可选：" + "、".join(spec.choices) + "）"
    return None


def _check_student(spec: FieldSpec, value: Any) -> str | None:
    if not isinstance(value, Mapping) or set(value) != {"number", "name"}:
        return "应为学生（学号和姓名）"
    number, name = value["number"], value["name"]
    if not (isinstance(number, str) and isinstance(name, str) and number and name):
        return "应为学生（学号和姓名）"
    if len(number) > 40 or len(name) > 50:
        return "学号或姓名过长（学号 40 字、姓名 50 字以内）"
    return None


def _check_rows(spec: FieldSpec, value: Any, what: str) -> str | None:
    if not isinstance(value, list | tuple):
        return f"应为{what}列表"
    if len(value) > ROWS_MAX:
        return f"超过 {ROWS_MAX} 行的上限（当前 {len(value)} 行）"
    return None


def _check_students(spec: FieldSpec, value: Any) -> str | None:
    bad_row = (f"第 {i} 行{message}" for i, ref in enumerate(value, 1)
               if (message := _check_student(spec, ref)))
    return _check_rows(spec, value, "学生") or next(bad_row, None)


def _check_table(spec: FieldSpec, value: Any) -> str | list[FieldProblem] | None:
    shape = _check_rows(spec, value, "表格行")
    if shape:
        return shape
    problems: list[FieldProblem] = []
    known = {c.name for c in spec.columns}
    for i, row in enumerate(value, 1):
        where = f"{spec.name}[{i}]"
        if not isinstance(row, Mapping):
            problems.append(FieldProblem(where, f"「{spec.label_zh}」第 {i} 行格式不正确"))
            continue
        problems.extend(FieldProblem(f"{where}.{k}", f"「{spec.label_zh}」第 {i} 行有未知列：{k}")
                        for k in row if k not in known)
        for col in spec.columns:
            problems.extend(
                FieldProblem(p.field, f"「{spec.label_zh}」第 {i} 行：{p.message_zh}")
                for p in _check(col, row.get(col.name), f"{where}.{col.name}"))
    return problems


_CHECKS = {
    FieldType.TEXT: _check_text,
    FieldType.LONGTEXT: _check_text,
    FieldType.INT: _check_int,
    FieldType.MONEY: _check_money,
    FieldType.DATE: _check_when,
    FieldType.DATETIME: _check_when,
    FieldType.CHOICE: _check_choice,
    FieldType.STUDENT: _check_student,
    FieldType.STUDENTS: _check_students,
    FieldType.TABLE: _check_table,
}
