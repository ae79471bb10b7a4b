"""Lists of handovers as people and scripts need them: what someone may see, their inbox and
outbox, and what is due or overdue (policy T; the supervision group watches deadlines, S1)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.catalogue import get_kind
from records.clock import as_utc
from records.departments import Department
from records.handovers import Handover, Status
from records.staff import Staff
from records.visibility import Access, access_to, may_countersign

__all__ = ["Row", "visible", "inbox", "outbox", "due_and_overdue", "urgency_key"]


@dataclass(frozen=True)
class Row:
    """One handover as a list shows it: metadata only, never field values."""

    number: str
    kind: str
    kind_name: str
    status: str
    status_label: str
    sender: str
    sender_dept: str
    receiver: str
    receiver_dept: str
    due_at: datetime | None
    overdue: bool
    access: Access

    def as_dict(self) -> dict:
        return {
            "number": self.number, "kind": self.kind, "kind_name": self.kind_name,
            "status": self.status, "sender": self.sender, "sender_dept": self.sender_dept,
            "receiver": self.receiver, "receiver_dept": self.receiver_dept,
            "due_at": self.due_at.isoformat() if self.due_at else None,
            "overdue": self.overdue,
        }


def _row(h: Handover, staff: Staff, now: datetime) -> Row:
    due = as_utc(h.due_at) if h.due_at else None
    return Row(
        number=h.number, kind=h.kind, kind_name=get_kind(h.kind).name_zh, status=h.status,
        status_label=Status(h.status).label_zh, sender=h.sender.display_name,
        sender_dept=Department(h.sender_dept).label_zh,
        receiver=h.receiver.display_name if h.receiver else "",
        receiver_dept=Department(h.receiver_dept).label_zh, due_at=due,
        overdue=bool(due and h.status == Status.SUBMITTED and due < now),
        access=access_to(staff, h))


def urgency_key(row: Row):
    """Overdue first, then by due time (none last), then newest number."""
    far = datetime.max.replace(tzinfo=row.due_at.tzinfo) if row.due_at else None
    return (not row.overdue, row.due_at is None, row.due_at or far, row.number)


def _rows(handovers: Iterable[Handover], staff: Staff, now: datetime) -> list[Row]:
    rows = [_row(h, staff, now) for h in handovers]
    return sorted((r for r in rows if r.access > Access.NONE), key=urgency_key)


def visible(session: Session, staff: Staff, now: datetime) -> list[Row]:
    """Every handover `staff` may see at least as metadata (the one visibility rule)."""
    return _rows(session.scalars(select(Handover).order_by(Handover.id.desc())), staff, now)


def inbox(session: Session, staff: Staff, now: datetime) -> list[Row]:
    """Submitted handovers that `staff` may countersign now."""
    depts = [d.value for d in staff.department_codes]
    candidates = session.scalars(select(Handover).where(
        Handover.status == Status.SUBMITTED,
        (Handover.receiver_id == staff.id) | Handover.receiver_dept.in_(depts)))
    return _rows((h for h in candidates if may_countersign(staff, h) is None), staff, now)


def outbox(session: Session, staff: Staff, now: datetime) -> list[Row]:
    """The sender's own handovers that still need someone's action (drafts, waiting,
    returned)."""
    open_states = [Status.DRAFT, Status.SUBMITTED, Status.RETURNED]
    return _rows(session.scalars(select(Handover).where(
        Handover.sender_id == staff.id, Handover.status.in_(open_states))), staff, now)


def due_and_overdue(session: Session, now: datetime, until: datetime) -> list[Handover]:
    """Submitted handovers due before `until` (overdue ones included), most urgent first."""
    return list(session.scalars(select(Handover).where(
        Handover.status == Status.SUBMITTED, Handover.due_at.is_not(None),
        Handover.due_at < until).order_by(Handover.due_at)))
