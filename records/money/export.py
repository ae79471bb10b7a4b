"""The payment ledger as an Excel workbook (.xlsx) for finance (policy R-FIN): one sheet 缴费台账,
a header row, then one line per entry, amounts as numbers in yuan.

A typed text that starts with = + - @ (a course name, a reason) is prefixed with ' so that a
spreadsheet never runs it as a formula (records.text_rules.neutralise_formula)."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from decimal import Decimal

from records.money.entries import PaymentEntry
from records.text_rules import neutralise_formula

__all__ = ["COLUMNS", "ledger_xlsx"]

COLUMNS = ("记录编号", "日期", "学号", "课程/班级", "类型", "金额（元）", "课时", "方式",
           "原因", "更正记录编号")
WIDTHS = (10, 12, 16, 20, 12, 14, 8, 12, 40, 14)


def _line(entry: PaymentEntry, student_no: str) -> list:
    texts = [student_no, entry.enrolment, entry.kind_zh, entry.method or "", entry.reason or ""]
    student_no, enrolment, kind, method, reason = (neutralise_formula(t) for t in texts)
    return [entry.id, entry.occurred_on, student_no, enrolment, kind,
            Decimal(entry.fen) / 100, entry.hours, method, reason, entry.corrects_id]


def ledger_xlsx(rows: Sequence[PaymentEntry], student_nos: Mapping[int, str]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = "缴费台账"
    sheet.append(list(COLUMNS))
    for entry in rows:
        sheet.append(_line(entry, student_nos.get(entry.student_id, "")))
    for index, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    for (day,) in sheet.iter_rows(min_row=2, min_col=2, max_col=2):
        day.number_format = "yyyy-mm-dd"
    for (amount,) in sheet.iter_rows(min_row=2, min_col=6, max_col=6):
        amount.number_format = "0.00"
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
