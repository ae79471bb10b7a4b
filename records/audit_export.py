"""Extracts of the ledger (issue 16): every entry of a period, or every read of one
student's information (what `handover audit student` prints, for a guardian's request), as
.xlsx or CSV with formulas neutralised, or JSON lines. Ledger entries carry ids, never a
private value (policy C2), so an extract holds none either. For the supervision group and
administrators (policy S1, visibility.sees_all_metadata); the extract is itself recorded."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.access_report import accesses_to_student
from records.errors import FieldProblem, NotFound, PermissionDenied, ValidationFailed
from records.exports import Sheet, record_export, sheet_bytes
from records.staff import Staff
from records.students import Student
from records.visibility import sees_all_metadata

__all__ = ["AUDIT_ONLY", "export_audit", "period_sheet", "student_sheet"]

AUDIT_ONLY = "只有监督小组和管理员可以导出访问日志（制度 S1）。"
PERIOD_COLUMNS = ("序号", "时间（UTC）", "操作人", "操作", "对象", "结果", "事由", "详情")
STUDENT_COLUMNS = ("序号", "时间（UTC）", "操作人", "操作", "对象", "事由", "依据审批")
MAX_ENTRIES = 200_000
"""Most entries in one extract: a school's year is far fewer; a larger period is split."""


def period_sheet(ledger, since: datetime, until: datetime) -> Sheet:
    rows = []
    for e in ledger.entries(since=since, until=until):
        if len(rows) >= MAX_ENTRIES:
            raise ValidationFailed([FieldProblem(
                "start", f"该期间的记录超过 {MAX_ENTRIES} 条，请缩短期间分次导出。")])
        rows.append([e.seq, e.time, e.actor, e.action, e.subject or "", e.outcome, e.reason,
                     json.dumps(e.context or {}, ensure_ascii=False, sort_keys=True)])
    return Sheet("访问日志", PERIOD_COLUMNS, rows)


def student_sheet(session: Session, ledger, student_id: int) -> Sheet:
    rows = [[a.seq, a.time, a.actor, a.action, a.subject, a.reason, a.approval or ""]
            for a in accesses_to_student(session, ledger, student_id)]
    return Sheet("学生信息查看记录", STUDENT_COLUMNS, rows)


def export_audit(session: Session, ledger, actor: Staff, *, purpose: str, fmt: str,
                 since: datetime | None = None, until: datetime | None = None,
                 student_no: str | None = None) -> bytes:
    """A period's entries (`since` <= time < `until`) or a student's reads (`student_no`)."""
    if not actor.active or not sees_all_metadata(actor):
        raise PermissionDenied(actor.login, "export.audit", AUDIT_ONLY)
    if student_no:
        student_id = session.scalar(select(Student.id).where(
            Student.student_no == student_no.strip().upper()))
        if student_id is None:
            raise NotFound("学生", student_no.strip()[:32])
        sheet = student_sheet(session, ledger, student_id)
        subject, context = f"student:{student_id}", {}
    else:
        sheet = period_sheet(ledger, since, until)
        subject = None
        context = {"since": since.isoformat(), "until": until.isoformat()}
    record_export(ledger, actor=actor.login, kind="audit", purpose=purpose, fmt=fmt,
                  rows=len(sheet.rows), subject=subject, context=context)
    return sheet_bytes(sheet, fmt)
