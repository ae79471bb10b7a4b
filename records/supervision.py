"""The supervision group's view. policy S1: it checks execution regularly. policy S2: handover
work is assessed on accuracy, timeliness, completeness and procedural compliance. policy S3:
commendation or criticism rests on these facts. Figures come from metadata only, never content."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.departments import Department
from records.handovers import Handover, Status

__all__ = ["DepartmentFigures", "department_figures"]


@dataclass
class DepartmentFigures:
    department: Department
    """The department: as sender of the handovers counted, and for `waiting_overdue` as
    their receiver."""
    sent: int = 0
    """Handovers submitted (drafts not counted)."""
    completed_on_time: int = 0
    """Countersigned before their deadline (timeliness, S2)."""
    completed_late: int = 0
    """Countersigned after their deadline."""
    open_overdue: int = 0
    """Sent, and still waiting for the receiver past the deadline."""
    waiting_overdue: int = 0
    """Received, and not yet countersigned by this department past the deadline: the deadline
    is met by the receiver's countersignature, so this is where a rectification notice (S1)
    usually goes."""
    returned: int = 0
    """Times a receiver sent one back for correction (accuracy and completeness, S2)."""
    withdrawn: int = 0
    """Taken back by the sender."""
    overdue_numbers: list[str] = field(default_factory=list)
    """Numbers of the overdue ones, to follow up."""

    @property
    def on_time_rate(self) -> float | None:
        done = self.completed_on_time + self.completed_late
        return self.completed_on_time / done if done else None

    def as_dict(self) -> dict:
        return {"department": self.department.value, "label": self.department.label_zh,
                "sent": self.sent, "completed_on_time": self.completed_on_time,
                "completed_late": self.completed_late, "open_overdue": self.open_overdue,
                "waiting_overdue": self.waiting_overdue,
                "returned": self.returned, "withdrawn": self.withdrawn,
                "on_time_rate": self.on_time_rate, "overdue_numbers": self.overdue_numbers}


def department_figures(session: Session, now: datetime, since: datetime | None = None
                       ) -> list[DepartmentFigures]:
    """One line per department that sent or received handovers submitted since `since`."""
    figures: dict[str, DepartmentFigures] = {}

    def of(dept: str) -> DepartmentFigures:
        return figures.setdefault(dept, DepartmentFigures(Department(dept)))

    query = select(Handover).where(Handover.status != Status.DRAFT)
    if since is not None:
        query = query.where(Handover.submitted_at >= since)
    for h in session.scalars(query):
        f = of(h.sender_dept)
        f.sent += 1
        f.returned += sum(1 for e in h.events if e.action == "returned")
        if h.status == Status.WITHDRAWN:
            f.withdrawn += 1
        elif h.status == Status.COMPLETED and h.due_at is not None:
            if h.on_time:
                f.completed_on_time += 1
            else:
                f.completed_late += 1
        elif h.status == Status.SUBMITTED and h.due_at and h.due_at < now:
            f.open_overdue += 1
            f.overdue_numbers.append(h.number)
            of(h.receiver_dept).waiting_overdue += 1
    return sorted(figures.values(), key=lambda f: list(Department).index(f.department))
