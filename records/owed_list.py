"""What is owed, as people and scripts read it (policy T; the supervision group, policy S1):
one row per open obligation with its kind, clause, whom it concerns (学号 or class, never a
name), who owes it and how its deadline stands. The home page, `handover owed`, `handover
remind` and the supervision page all list through here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.catalogue import KINDS
from records.classes import SchoolClass
from records.deadlines import WorkingCalendar
from records.departments import Department
from records.handovers import Handover
from records.listing import due_text
from records.obligation_model import Obligation, ObligationState
from records.students import Student

__all__ = ["OwedRow", "owed_rows"]


@dataclass(frozen=True)
class OwedRow:
    obligation: Obligation
    kind_name: str
    subject: str
    """学号 S-… or 班级 …: whom it concerns, without a private value (policy C1)."""
    owed_by: str
    """The person, or the department when the whole department owes it."""
    due_text: str
    overdue: bool
    source_number: str | None
    """The handover whose receipt gave rise to it (the parent of what answers it)."""
    answered_number: str | None

    def as_dict(self) -> dict:
        o = self.obligation
        return {"id": o.id, "kind": o.kind, "kind_name": self.kind_name, "clause": o.clause,
                "for_whom": self.subject, "owed_by": self.owed_by,
                "owing_dept": o.owing_dept, "due_at": o.due_at.isoformat(),
                "overdue": self.overdue, "state": o.state,
                "answered_by": self.answered_number}


def owed_rows(session: Session, obligations: Sequence[Obligation], now: datetime, *,
              calendar: WorkingCalendar) -> list[OwedRow]:
    """Rows for `obligations` in their order: three lookups whatever their number."""
    def lookup(column_id, column_value, ids):
        ids = {i for i in ids if i is not None}
        if not ids:
            return {}
        return dict(session.execute(select(column_id, column_value).where(
            column_id.in_(ids))).all())

    numbers = lookup(Student.id, Student.student_no, (o.student_id for o in obligations))
    classes = lookup(SchoolClass.id, SchoolClass.name, (o.class_id for o in obligations))
    handovers = lookup(Handover.id, Handover.number,
                       [o.source_handover_id for o in obligations]
                       + [o.answered_by_id for o in obligations])
    rows = []
    for o in obligations:
        subject = "、".join(part for part in (
            f"学号 {numbers[o.student_id]}" if o.student_id in numbers else "",
            f"班级 {classes[o.class_id]}" if o.class_id in classes else "") if part)
        text, overdue = ("", False)
        if o.state == ObligationState.OPEN:
            text, overdue = due_text(calendar, o.due_at, now)
        elif o.state == ObligationState.ANSWERED:
            text = "按时提交" if o.met_on_time else "逾期提交"
        else:
            text = "已免除"
        owner = (o.owing_staff.display_name if o.owing_staff is not None
                 else Department(o.owing_dept).label_zh)
        rows.append(OwedRow(o, KINDS[o.kind].name_zh, subject, owner, text, overdue,
                            handovers.get(o.source_handover_id),
                            handovers.get(o.answered_by_id)))
    return rows
