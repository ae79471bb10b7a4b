"""The archive's registers as files (登记簿, issue 16): the archive register (every file, its
students' 学号, retention, security, shelf) and the loan register (every consult and loan),
as .xlsx, CSV, JSON lines or a PDF printed by the forms' WeasyPrint renderer. For the archive
office (policy R-ARC); titles may name a student (policy C2), so each export is a recorded
read with its purpose (policy C3)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.archive import (
    ArchiveFile,
    ArchiveFileStudent,
    ArchiveLoan,
    LoanKind,
    Retention,
    Security,
)
from records.archive_rules import MANAGE_DENIED, may_manage
from records.deadlines import SCHOOL_TZ
from records.errors import PermissionDenied
from records.exports import Sheet, record_export, sheet_bytes
from records.forms import form_environment
from records.staff import Staff
from records.students import Student

__all__ = ["export_register", "loans_sheet", "register_sheet", "sheet_pdf"]

REGISTER_COLUMNS = ("档案编号", "题名", "学生学号", "归档日期", "保管期限", "复核日期", "密级",
                    "存放位置", "登记人")
LOAN_COLUMNS = ("登记编号", "档案编号", "类型", "借阅人", "部门", "用途", "借出时间",
                "应还日期", "归还时间", "归还状况")


def _local(moment: datetime | None) -> str:
    return moment.astimezone(SCHOOL_TZ).strftime("%Y-%m-%d %H:%M") if moment else ""


def register_sheet(session: Session) -> Sheet:
    """The archive register, oldest file first; two queries whatever its size."""
    files = list(session.scalars(select(ArchiveFile).order_by(ArchiveFile.id)))
    numbers: dict[int, list[str]] = {}
    for file_id, student_no in session.execute(
            select(ArchiveFileStudent.file_id, Student.student_no)
            .join(Student, Student.id == ArchiveFileStudent.student_id)
            .order_by(Student.student_no)):
        numbers.setdefault(file_id, []).append(student_no)
    rows = [[f.number, f.title, "、".join(numbers.get(f.id, [])), f.filed_on.isoformat(),
             Retention(f.retention).label_zh, f.review_on.isoformat() if f.review_on else "永久",
             Security(f.security).label_zh, f.location, f.registrar.display_name]
            for f in files]
    return Sheet("档案登记簿", REGISTER_COLUMNS, rows)


def loans_sheet(session: Session) -> Sheet:
    """The consult and loan register, oldest first."""
    loans = list(session.scalars(select(ArchiveLoan).order_by(ArchiveLoan.id)))
    rows = [[loan.number, loan.file.number, LoanKind(loan.kind).label_zh,
             loan.borrower.display_name, loan.borrower_dept, loan.purpose, _local(loan.out_at),
             loan.due_on.isoformat(), _local(loan.returned_at), loan.return_condition or ""]
            for loan in loans]
    return Sheet("档案借阅登记簿", LOAN_COLUMNS, rows)


def sheet_pdf(renderer, sheet: Sheet, *, school_name: str, actor: Staff, purpose: str,
              now: datetime) -> bytes:
    """A register as an unsigned PDF (templates/forms/register.html): who printed it, when
    and why on every page, as on a consulted copy."""
    html = form_environment().get_template("register.html").render(
        sheet=sheet, school_name=school_name, printed_by=actor.display_name, purpose=purpose,
        made_at=_local(now))
    return renderer.render(html).pdf


def export_register(session: Session, ledger, actor: Staff, *, which: str, purpose: str,
                    fmt: str, renderer=None, school_name: str = "", now: datetime | None = None
                    ) -> bytes:
    """`which` = "register" or "loans", in `fmt` (FORMATS or "pdf"); recorded first."""
    if not may_manage(actor):
        raise PermissionDenied(actor.login, f"export.{which}", MANAGE_DENIED)
    sheet = register_sheet(session) if which == "register" else loans_sheet(session)
    record_export(ledger, actor=actor.login, kind=which, purpose=purpose, fmt=fmt,
                  rows=len(sheet.rows))
    if fmt == "pdf":
        return sheet_pdf(renderer, sheet, school_name=school_name, actor=actor,
                         purpose=purpose, now=now)
    return sheet_bytes(sheet, fmt)
