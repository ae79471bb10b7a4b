"""Use cases of the archive register (档案登记, policy R-ARC, F8): a countersigned F8 handover
becomes an archive file by itself; the archivist registers older paper files by hand and
corrects a file's location, security level or retention, each change kept. Nothing is deleted.

The ledger gets file numbers and student ids, never a title or a name (policy C2)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.archive import ArchiveChange, ArchiveFile, ArchiveFileStudent, Retention, Security
from records.archive_rules import DEFAULT_TERMS, MANAGE_DENIED, LoanTerms, may_manage, review_on
from records.catalogue import get_kind
from records.clock import utcnow
from records.counters import next_in_series
from records.deadlines import SCHOOL_TZ
from records.errors import FieldProblem, NotFound, PermissionDenied, ValidationFailed
from records.handovers import Handover, Status
from records.staff import Staff
from records.students import Student
from vault import Ledger

__all__ = ["ArchiveRegister", "next_number"]

TITLE_MAX, LOCATION_MAX, REASON_MAX = 100, 100, 500
UNSHELVED = "待上架"
MATERIAL_COLUMNS = next(f for f in get_kind("F8").fields if f.name == "documents").columns


def next_number(session: Session, column, prefix: str) -> str:
    """The next number of a yearly series such as DA-2026-0001 (a counter: no collisions)."""
    return next_in_series(session, column, prefix, 4)


class ArchiveRegister:
    def __init__(self, session: Session, *, audit: Ledger, terms: LoanTerms = DEFAULT_TERMS,
                 clock: Callable[[], datetime] = utcnow):
        self.session, self.audit, self.terms, self.clock = session, audit, terms, clock

    def _require_manager(self, actor: Staff, action: str) -> None:
        if not may_manage(actor):
            raise PermissionDenied(actor.login, action, MANAGE_DENIED)

    # -- registering ----------------------------------------------------------------------

    def handover_changed(self, handover: Handover) -> None:
        """Workflow hook: the archive office's countersignature on an F8 registers the file
        (policy F8: the learning archive passes to ARC with a formal procedure)."""
        if handover.kind != "F8" or handover.status != Status.COMPLETED:
            return
        if self.session.scalar(select(ArchiveFile.id).where(
                ArchiveFile.handover_id == handover.id)) is not None:
            return
        self.register_handover(handover)

    def register_handover(self, handover: Handover) -> ArchiveFile:
        version = handover.current
        values = json.loads(version.values_json)
        try:
            filed_on = date.fromisoformat(str(values.get("term_end")))
        except ValueError:
            filed_on = handover.completed_at.astimezone(SCHOOL_TZ).date()
        title = f"学习档案 · {values.get('class_name') or '—'} · {filed_on.isoformat()}"
        registrar = self.session.get(Staff, version.countersigned_by or handover.receiver_id)
        return self._add(registrar, title=title, student_ids=handover.student_ids,
                         materials=values.get("documents") or [], filed_on=filed_on,
                         retention=self.terms.default_retention, security=Security.NORMAL,
                         location=UNSHELVED, handover=handover)

    def record_refund(self, handover: Handover, student_id: int, refund_text: str) -> None:
        """policy F13: a completed refund enters the student's learning archive: a change
        row on each of their files, or a file of its own when none is registered yet."""
        actor = self.session.get(Staff, handover.current.countersigned_by or handover.receiver_id)
        files = list(self.session.scalars(select(ArchiveFile).join(ArchiveFileStudent).where(
            ArchiveFileStudent.student_id == student_id)))
        note = f"退费已办理：{refund_text}（{handover.number}）"
        if not files:
            material = {"category": "退费记录", "title": f"退费手续办理交接单 {handover.number}",
                        "pages": 1, "notes": ""}
            self._add(actor, title=f"退费记录 · {handover.number}", student_ids=[student_id],
                      materials=[material], filed_on=self.clock().astimezone(SCHOOL_TZ).date(),
                      retention=self.terms.default_retention, security=Security.NORMAL,
                      location=UNSHELVED, handover=handover)
            return
        now = self.clock()
        for file in files:
            file.changes.append(ArchiveChange(field="refund", old_value="", reason=note,
                                              new_value=handover.number, actor_id=actor.id,
                                              at=now))
            self.audit.append(actor=actor.login, action="archive.refund",
                              subject=f"archive:{file.number}",
                              context={"handover": handover.number})
        self.session.flush()

    def register_by_hand(self, actor: Staff, *, title: str, student_ids: Sequence[int],
                         materials: Sequence[dict], filed_on: date, retention: str,
                         security: str, location: str) -> ArchiveFile:
        """An older paper archive, entered by the archivist."""
        self._require_manager(actor, "archive.register")
        title, location = title.strip(), location.strip()
        problems = self.problems(title=title, location=location, retention=retention,
                                 security=security)
        problems += _material_problems(materials)
        if not student_ids:
            problems.append(FieldProblem("student_nos", "请至少填写一名学生的学号。"))
        if problems:
            raise ValidationFailed(problems)
        return self._add(actor, title=title, student_ids=student_ids, materials=materials,
                         filed_on=filed_on, retention=Retention(retention),
                         security=Security(security), location=location, handover=None)

    def _add(self, actor: Staff, *, title: str, student_ids: Sequence[int],
             materials: Sequence[dict], filed_on: date, retention: Retention,
             security: Security, location: str, handover: Handover | None) -> ArchiveFile:
        now = self.clock()
        file = ArchiveFile(
            number=next_number(self.session, ArchiveFile.number, f"DA-{now.year}-"),
            handover_id=handover.id if handover else None, title=title,
            materials_json=json.dumps(list(materials), ensure_ascii=False),
            filed_on=filed_on, retention=retention.value,
            review_on=review_on(filed_on, retention), security=security.value,
            location=location, registered_by=actor.id, registered_at=now)
        self.session.add(file)
        self.session.flush()
        file.students.extend(ArchiveFileStudent(student_id=sid)
                             for sid in dict.fromkeys(student_ids))
        self.session.flush()
        self.audit.append(actor=actor.login, action="archive.register",
                          subject=f"archive:{file.number}", context={
                              "handover": handover.number if handover else None,
                              "ids": file.student_ids})
        return file

    @staticmethod
    def problems(*, title: str | None = None, location: str | None = None,
                 retention: str | None = None, security: str | None = None
                 ) -> list[FieldProblem]:
        problems = []
        if title is not None and not 0 < len(title) <= TITLE_MAX:
            problems.append(FieldProblem("title", f"题名不能为空，且不超过 {TITLE_MAX} 个字。"))
        if location is not None and not 0 < len(location) <= LOCATION_MAX:
            problems.append(FieldProblem(
                "location", f"存放位置不能为空，且不超过 {LOCATION_MAX} 个字。"))
        if retention is not None and retention not in set(Retention):
            problems.append(FieldProblem("retention", "请选择保管期限：永久、30 年或 10 年。"))
        if security is not None and security not in set(Security):
            problems.append(FieldProblem("security", "请选择密级：普通、机密或珍贵。"))
        return problems

    # -- correcting -----------------------------------------------------------------------

    def correct(self, actor: Staff, file: ArchiveFile, *, reason: str,
                location: str | None = None, security: str | None = None,
                retention: str | None = None) -> list[ArchiveChange]:
        """Change the location, security level or retention; each change is a row with its
        reason (nothing is overwritten without trace). Returns the changes made."""
        self._require_manager(actor, "archive.correct")
        reason = (reason or "").strip()
        location = location.strip() if location is not None else None
        problems = self.problems(location=location, security=security, retention=retention)
        if not reason or len(reason) > REASON_MAX:
            problems.append(FieldProblem("reason", f"请填写更正原因（不超过 {REASON_MAX} 字）。"))
        if problems:
            raise ValidationFailed(problems)
        now, changes = self.clock(), []
        for field, new in (("location", location), ("security", security),
                           ("retention", retention)):
            old = getattr(file, field)
            if new is None or new == old:
                continue
            setattr(file, field, new)
            changes.append(ArchiveChange(field=field, old_value=old, new_value=new,
                                         reason=reason, actor_id=actor.id, at=now))
        if not changes:
            raise ValidationFailed([FieldProblem("location", "没有需要更正的内容。")])
        file.review_on = review_on(file.filed_on, Retention(file.retention))
        file.changes.extend(changes)
        self.session.flush()
        self.audit.append(actor=actor.login, action="archive.correct",
                          subject=f"archive:{file.number}",
                          context={c.field: [c.old_value, c.new_value] for c in changes})
        return changes

    # -- finding --------------------------------------------------------------------------

    def get(self, actor: Staff, number: str) -> ArchiveFile:
        """A file, for the archive office and the administrator; others get NotFound, never a
        hint that it exists (policy C1)."""
        file = self.session.scalar(select(ArchiveFile).where(ArchiveFile.number == number))
        if file is None or not may_manage(actor):
            raise NotFound("档案", number if len(number) <= 20 else "")
        return file

    def listing(self, actor: Staff, *, query: str = "", security: str = "",
                retention: str = "") -> list[ArchiveFile]:
        """The register, newest first, filtered. Titles are ciphertext, so a title search
        decrypts and compares here: a school's register is thousands of files, not millions."""
        self._require_manager(actor, "archive.list")
        stmt = select(ArchiveFile).order_by(ArchiveFile.id.desc())
        if security in set(Security):
            stmt = stmt.where(ArchiveFile.security == security)
        if retention in set(Retention):
            stmt = stmt.where(ArchiveFile.retention == retention)
        files = list(self.session.scalars(stmt))
        query = query.strip().upper()
        if query:
            files = [f for f in files if query in f.number or query in f.title.upper()]
        return files

    def students_of(self, actor: Staff, file: ArchiveFile) -> list[Student]:
        """The file's students, names readable; a recorded view (policy C3), ids only."""
        self._require_manager(actor, "archive.view")
        students = list(self.session.scalars(select(Student).where(
            Student.id.in_(file.student_ids)).order_by(Student.student_no)))
        self.audit.append(actor=actor.login, action="archive.view",
                          subject=f"archive:{file.number}", reason="查看档案登记",
                          context={"ids": [s.id for s in students]})
        return students

    @staticmethod
    def materials(file: ArchiveFile) -> list[dict]:
        return json.loads(file.materials_json)

    def handover_of(self, file: ArchiveFile) -> Handover | None:
        return self.session.get(Handover, file.handover_id) if file.handover_id else None


def _material_problems(materials: Sequence[dict]) -> list[FieldProblem]:
    """Hand-registered material lists use the F8 form's columns (category, title, pages)."""
    categories = next(c.choices for c in MATERIAL_COLUMNS if c.name == "category")
    for i, row in enumerate(materials, 1):
        if row.get("category") not in categories or not str(row.get("title", "")).strip():
            return [FieldProblem("materials", f"第 {i} 行材料须有类别和名称。")]
        pages = row.get("pages")
        if not isinstance(pages, int) or not 0 <= pages <= 10_000:
            return [FieldProblem("materials", f"第 {i} 行页数应为 0 到 10000 的整数。")]
    return []
