"""The student roster as a file (issue 16): every student of the registry, or of one class,
with the columns of the import template (records.import_template.HEADERS), so that an export
imports again as it is, 学号 and 班级 included. Every field is private (policy C2): only the
registry's departments export it (policy R-ENR, R-ACA), and the export is a recorded read
with its purpose and the ids of the students in it (policy C3)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.classes import ClassMember, SchoolClass
from records.errors import NotFound, PermissionDenied
from records.exports import Sheet, record_export, sheet_bytes
from records.import_template import HEADERS
from records.staff import Staff
from records.student_import import COLUMNS
from records.students import Student
from records.visibility import sees_whole_registry

__all__ = ["REGISTRY_ONLY", "CLASS_SEPARATOR", "export_roster", "roster_sheet"]

REGISTRY_ONLY = "只有招生部和教务部可以导出学生名册（制度 R-ENR、R-ACA、C2）。"
CLASS_SEPARATOR = "、"


def roster_sheet(session: Session, class_id: int | None = None) -> tuple[Sheet, list[int]]:
    """The roster (by 学号) and the ids in it; three queries whatever its size."""
    stmt = select(Student).order_by(Student.student_no)
    if class_id is not None:
        stmt = stmt.where(Student.id.in_(select(ClassMember.student_id).where(
            ClassMember.class_id == class_id, ClassMember.left_at.is_(None))))
    students = list(session.scalars(stmt))
    classes: dict[int, list[str]] = {}
    for student_id, name in session.execute(
            select(ClassMember.student_id, SchoolClass.name)
            .join(SchoolClass, SchoolClass.id == ClassMember.class_id)
            .where(ClassMember.left_at.is_(None)).order_by(SchoolClass.name)):
        classes.setdefault(student_id, []).append(name)
    fields = list(COLUMNS.values())
    rows = [[s.student_no, *(getattr(s, f) or "" for f in fields),
             CLASS_SEPARATOR.join(classes.get(s.id, []))] for s in students]
    return Sheet("学生名册", HEADERS, rows), [s.id for s in students]


def export_roster(session: Session, ledger, actor: Staff, *, purpose: str, fmt: str,
                  class_name: str | None = None) -> bytes:
    """The roster file; the export is written to the ledger first (policy C3)."""
    if not sees_whole_registry(actor):
        raise PermissionDenied(actor.login, "export.roster", REGISTRY_ONLY)
    class_id = None
    if class_name:
        class_id = session.scalar(select(SchoolClass.id).where(
            SchoolClass.name == class_name.strip()))
        if class_id is None:
            raise NotFound("班级", class_name.strip()[:64])
    sheet, ids = roster_sheet(session, class_id)
    record_export(ledger, actor=actor.login, kind="roster", purpose=purpose, fmt=fmt,
                  rows=len(ids), subject=f"class:{class_id}" if class_id else None,
                  context={"ids": ids})
    return sheet_bytes(sheet, fmt)
