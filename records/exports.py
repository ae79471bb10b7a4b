"""What every export shares (issue 16): a purpose the person types, checked and written to
the ledger with the export (an export is a read, policy C3), and one table written as .xlsx,
CSV for Excel (UTF-8 with BOM) or JSON lines. In .xlsx and CSV a text that a spreadsheet would
run as a formula is made plain text (records.assessment_export.neutralise); JSON lines carry
the values as they are, for programs."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from records.assessment_export import neutralise
from records.errors import FieldProblem, ValidationFailed
from records.text_rules import bad_characters

__all__ = ["FORMATS", "MEDIA_TYPES", "PURPOSE_MAX", "Sheet", "check_purpose", "record_export",
           "sheet_bytes"]

PURPOSE_MIN, PURPOSE_MAX = 2, 60
FORMATS = ("xlsx", "csv", "jsonl")
MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv", "jsonl": "application/x-ndjson", "pdf": "application/pdf",
}
# A purpose goes into the ledger in clear: a run of digits is likely a phone or ID number.
_NUMBER_RUN = re.compile(r"\d{6,}")


@dataclass(frozen=True)
class Sheet:
    """One table to export: a title, the Chinese column headers, the rows."""

    title: str
    columns: tuple[str, ...]
    rows: Sequence[Sequence[Any]]


def check_purpose(purpose: str) -> str:
    """The purpose as typed, stripped; ValidationFailed when it is missing or could carry
    private data into the ledger (policy C2)."""
    text = " ".join((purpose or "").split())
    problem = None
    if len(text) < PURPOSE_MIN:
        problem = "请填写导出用途（必填，例如“期末学籍核对”）。"
    elif len(text) > PURPOSE_MAX:
        problem = f"导出用途不能超过 {PURPOSE_MAX} 个字。"
    elif _NUMBER_RUN.search(text):
        problem = "导出用途中不要写手机号、证件号等号码：用途会记入访问日志。"
    elif message := bad_characters(text):
        problem = message
    if problem:
        raise ValidationFailed([FieldProblem("purpose", problem)])
    return text


def record_export(ledger, *, actor: str, kind: str, purpose: str, fmt: str, rows: int,
                  subject: str | None = None, context: dict | None = None) -> None:
    """The export as a read in the ledger (policy C3), before its file is handed out: what,
    in which format, how many rows, why. Ids only in `context` (policy C2)."""
    ledger.append(actor=actor, action=f"export.{kind}", subject=subject, reason=purpose,
                  context={"format": fmt, "rows": rows, **(context or {})})


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def sheet_bytes(sheet: Sheet, fmt: str) -> bytes:
    """`sheet` as a file in `fmt` (one of FORMATS)."""
    if fmt == "jsonl":
        return "".join(json.dumps(dict(zip(sheet.columns, map(_plain, row), strict=True)),
                                  ensure_ascii=False) + "\n" for row in sheet.rows).encode()
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(sheet.columns)
        for row in sheet.rows:
            writer.writerow([neutralise(v) if isinstance(v, str) else
                             "" if v is None else _plain(v) for v in row])
        return ("\ufeff" + out.getvalue()).encode("utf-8")
    if fmt == "xlsx":
        return _xlsx(sheet)
    raise ValueError(f"unknown export format {fmt!r}")


def _xlsx(sheet: Sheet) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    ws = book.active
    ws.title = sheet.title[:31]
    ws.append(list(sheet.columns))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in sheet.rows:
        ws.append([neutralise(v) if isinstance(v, str) else v for v in row])
    for index, label in enumerate(sheet.columns, start=1):
        letter = get_column_letter(index)
        ws.column_dimensions[letter].width = max(10, len(label) * 2 + 4)
        for cell in ws[letter][1:]:
            if isinstance(cell.value, str):
                cell.number_format = "@"  # 学号, phones, ID numbers stay text
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
