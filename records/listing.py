"""Lists of handovers as people and scripts need them: what someone may see, their inbox and
outbox, what is due or overdue (policy T; the supervision group watches deadlines, policy S1).
The pages and the command line both list through here; rows carry metadata, never values."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, or_, select
from sqlalchemy.orm import Session

from records.catalogue import KINDS, HandoverKind
from records.deadlines import WorkingCalendar
from records.handovers import Handover, HandoverStudent, Status
from records.staff import Staff
from records.visibility import Access, access_to, may_countersign, sees_all_metadata

__all__ = ["OPEN", "Row", "due_and_overdue", "due_text", "inbox", "outbox", "visible"]

OPEN = (Status.DRAFT, Status.SUBMITTED, Status.RETURNED)
MAX_ROWS = 500


@dataclass(frozen=True)
class Row:
    """One handover in a list: metadata only, never field values (policy C1, C2)."""

    handover: Handover
    """The handover."""
    kind: HandoverKind
    """Its catalogue entry."""
    access: Access
    """What the viewer may see of it (METADATA rows open no content)."""
    due_text: str
    """今日到期 / 剩 N 个工作日 / 逾期 N 个工作日 / 按时完成 ..., or empty."""
    overdue: bool
    """Open and past its deadline, or completed late."""

    @property
    def sort_key(self) -> tuple:
        """Waiting ones with a deadline first, soonest (most overdue) first; then newest."""
        h = self.handover
        due = h.running_due
        return (due is None, due.timestamp() if due else -h.created_at.timestamp())

    def as_dict(self) -> dict:
        h = self.handover
        return {
            "number": h.number, "kind": h.kind, "kind_name": self.kind.name_zh,
            "status": h.status, "sender": h.sender.display_name,
            "sender_dept": h.sender_dept, "receiver": h.receiver.display_name if h.receiver
            else "", "receiver_dept": h.receiver_dept,
            "due_at": h.due_at.isoformat() if h.due_at else None,
            "overdue": self.overdue, "due_text": self.due_text,
        }


def due_text(calendar: WorkingCalendar, due: datetime, now: datetime) -> tuple[str, bool]:
    """今日到期 / 剩 N 个工作日 / 逾期 N 个工作日 for a running deadline, and whether it is
    past (policy T)."""
    overdue = calendar.is_overdue(due, now)
    left = calendar.working_days_left(due, now)
    if overdue:
        text = f"逾期 {-left} 个工作日" if left < 0 else "逾期"
    else:
        text = "今日到期" if left == 0 else f"剩 {left} 个工作日"
    # a year without the State Council's arrangement yet is counted by law: provisional
    if calendar.is_provisional(due.astimezone(calendar.zone).date()):
        text += "（临时期限）"
    return text, overdue


def _row(staff: Staff, h: Handover, now: datetime, calendar: WorkingCalendar) -> Row:
    text, overdue = "", False
    running = h.running_due
    if running is not None:  # policy T: the clock of whoever holds it now
        text, overdue = due_text(calendar, running, now)
    elif h.status == Status.COMPLETED and h.on_time is not None:
        late = [who for who, ok in (("移交", h.on_time), ("签收", h.received_on_time))
                if ok is False]
        overdue = bool(late)
        text = "、".join(late) + "逾期" if late else "按时完成"
    return Row(h, KINDS[h.kind], access_to(staff, h), text, overdue)


def rows(staff: Staff, handovers: Iterable[Handover], now: datetime, *,
         calendar: WorkingCalendar, limit: int | None = None) -> list[Row]:
    """Rows of the handovers `staff` may see, most urgent first."""
    made = (_row(staff, h, now, calendar) for h in handovers)
    ordered = sorted((r for r in made if r.access > Access.NONE), key=lambda r: r.sort_key)
    return ordered[:limit] if limit else ordered


def inbox(session: Session, staff: Staff, now: datetime, *, calendar: WorkingCalendar,
          limit: int | None = None) -> list[Row]:
    """Submitted handovers that `staff` may countersign now."""
    depts = [d.value for d in staff.department_codes]
    found = session.scalars(select(Handover).where(
        Handover.status == Status.SUBMITTED, Handover.sender_id != staff.id,
        or_(Handover.receiver_id == staff.id,
            Handover.receiver_id.is_(None) & Handover.receiver_dept.in_(depts))))
    return rows(staff, (h for h in found if may_countersign(staff, h) is None), now,
                calendar=calendar, limit=limit)


def outbox(session: Session, staff: Staff, now: datetime, *, calendar: WorkingCalendar,
           limit: int | None = None) -> list[Row]:
    """The sender's own handovers still open: drafts, waiting, returned."""
    found = session.scalars(select(Handover).where(Handover.sender_id == staff.id,
                                                   Handover.status.in_(list(OPEN))))
    return rows(staff, found, now, calendar=calendar, limit=limit)


def visible(session: Session, staff: Staff, now: datetime, *, calendar: WorkingCalendar,
            status: str = "", kind: str = "") -> list[Row]:
    """Every handover `staff` may see at least as metadata (the one visibility rule decides;
    the query only narrows what it is asked about)."""
    query = select(Handover).order_by(Handover.id.desc()).limit(MAX_ROWS)
    if not sees_all_metadata(staff):
        depts = [d.value for d in staff.department_codes]
        # policy C3: and the handovers about students an approval in force names
        granted = {sid for g in staff.approval_grants for sid in g.student_ids}
        query = query.where(or_(
            Handover.sender_id == staff.id, Handover.receiver_id == staff.id,
            Handover.receiver_dept.in_(depts),
            Handover.id.in_(select(HandoverStudent.handover_id).where(
                HandoverStudent.student_id.in_(granted or [-1])))))
    if status:
        query = query.where(Handover.status == status)
    if kind:
        query = query.where(Handover.kind == kind)
    return rows(staff, session.scalars(query), now, calendar=calendar)


def due_and_overdue(session: Session, now: datetime, until: datetime) -> list[Handover]:
    """Open handovers whose running deadline falls before `until` (overdue ones included),
    most urgent first: waiting for the receiver past their deadline to countersign, or still
    with the sender (draft or returned) past the sender's deadline (policy T)."""
    running = case((Handover.status == Status.SUBMITTED, Handover.receive_due_at),
                   else_=Handover.due_at)
    return list(session.scalars(select(Handover).where(
        Handover.status.in_(list(OPEN)), running.is_not(None), running < until)
        .order_by(running, Handover.id)))
