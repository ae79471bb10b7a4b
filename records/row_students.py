"""The students a page of handover rows concerns, named where the viewer may see them: on rows
whose content the viewer reads (a student is part of the form, not of its metadata, policy
C1), and of those students only the ones whose name the viewer's own work or an approval
shows (records.visibility.shown_categories, policy C2, C3).

A page costs a fixed number of statements whatever the tables hold (the students of the
page's rows, which of them the viewer's work shows, their names) and decrypts only the names
it shows: one per student named on the page. The caller records the names shown in the
ledger, ids only."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.handovers import HandoverStudent
from records.listing import Page, Row
from records.staff import Staff
from records.students import Student
from records.visibility import Access, shown_categories, visible_among
from vault import PrivateCategory

__all__ = ["named"]


def named(session: Session, staff: Staff, *pages: Page) -> tuple[list[Page], set[int]]:
    """`pages` with each row's `students` (names) filled in, and the ids of those named; the
    pages of one screen are named together, at the cost of one."""
    readable = {r.handover.id for p in pages for r in p.rows if r.access >= Access.CONTENT}
    if not readable:
        return list(pages), set()
    links = session.execute(select(HandoverStudent.handover_id, HandoverStudent.student_id)
                            .where(HandoverStudent.handover_id.in_(readable))).all()
    own = visible_among(session, staff, {sid for _, sid in links})
    shown = {sid for _, sid in links
             if PrivateCategory.NAME in shown_categories(staff, sid, own=sid in own)}
    names = _names(session, shown)
    about: dict[int, list[str]] = {}
    for hid, sid in sorted(links, key=lambda link: names.get(link[1], "")):
        if sid in names:
            about.setdefault(hid, []).append(names[sid])
    return [Page([_with(r, about.get(r.handover.id, ())) for r in p.rows], p.total, p.number,
                 p.size) for p in pages], set(names)


def _with(row: Row, students: Iterable[str]) -> Row:
    return Row(row.handover, row.kind, row.access, row.due_text, row.overdue, tuple(students))


def _names(session: Session, ids: set[int]) -> dict[int, str]:
    """The names of these students, and nothing else of them decrypted."""
    if not ids:
        return {}
    found = session.execute(select(Student.id, Student.name).where(Student.id.in_(ids)))
    return {sid: name for sid, name in found}
