"""Lists of handovers as people and scripts need them: what someone may see, their inbox and
outbox, what is due or overdue (policy T; the supervision group watches deadlines, policy S1).
The pages and the command line both list through here; rows carry metadata, never values.

Every list filters, sorts and pages in SQL, after the visibility rule's SQL form
(records.visibility): a page reads its own rows and a count, whatever the tables hold, and
loads neither versions nor events (their values are ciphertext that no list shows)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from itertools import islice

from sqlalchemy import ColumnElement, case, false, func, select
from sqlalchemy.orm import Session, defaultload, lazyload, selectinload

from records.catalogue import KINDS, HandoverKind
from records.deadlines import WorkingCalendar
from records.handovers import Handover, HandoverStudent, Status
from records.list_filter import ListFilter
from records.staff import Staff
from records.visibility import (
    Access,
    access_to,
    case_steps_among,
    countersignable,
    visible_handovers,
)

__all__ = ["OPEN", "PER_PAGE", "RUNNING_DUE", "HandoverList", "Page", "Row", "about_student",
           "count_due",
           "due_and_overdue", "due_soon", "due_text", "inbox", "outbox", "rows", "visible"]

OPEN = (Status.DRAFT, Status.SUBMITTED, Status.RETURNED)
PER_PAGE = 20
CASE_BATCH = 500  # rows whose refund-case relation one query answers

# Handover.running_due in SQL: the deadline of whoever holds it now, the receiver's while it
# waits for them, the sender's while it is a draft or returned (policy T); NULL otherwise.
RUNNING_DUE = case((Handover.status == Status.SUBMITTED, Handover.receive_due_at),
                   (Handover.status.in_([Status.DRAFT, Status.RETURNED]), Handover.due_at))
# Row.sort_key in SQL: waiting ones with a deadline first, soonest (most overdue) first; then
# the newest. The id makes the order total, so that pages neither repeat nor skip a row.
URGENT_FIRST = (RUNNING_DUE.is_(None), RUNNING_DUE, Handover.created_at.desc(),
                Handover.id.desc())
NEWEST_FIRST = (Handover.created_at.desc(), Handover.id.desc())
# records.list_filter.SORTS in SQL
ORDERS = {"due": URGENT_FIRST, "created": NEWEST_FIRST,
          "number": (Handover.number, Handover.id)}


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
    students: tuple[str, ...] = ()
    """Names of the students it concerns that the viewer may see, when asked for
    (records.row_students); empty otherwise."""

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


def _row(staff: Staff, h: Handover, now: datetime, calendar: WorkingCalendar,
         case_steps: set[int] | None = None) -> Row:
    text, overdue = "", False
    running = h.running_due
    if running is not None:  # policy T: the clock of whoever holds it now
        text, overdue = due_text(calendar, running, now)
    elif h.status == Status.COMPLETED and h.on_time is not None:
        late = [who for who, ok in (("移交", h.on_time), ("签收", h.received_on_time))
                if ok is False]
        overdue = bool(late)
        text = "、".join(late) + "逾期" if late else "按时完成"
    return Row(h, KINDS[h.kind], access_to(staff, h, case_steps=case_steps), text, overdue)


def rows(staff: Staff, handovers: Iterable[Handover], now: datetime, *,
         calendar: WorkingCalendar) -> list[Row]:
    """Rows of the handovers `staff` may see, most urgent first."""
    return sorted(_visible_rows(staff, handovers, now, calendar), key=lambda r: r.sort_key)


def _visible_rows(staff: Staff, handovers: Iterable[Handover], now: datetime,
                  calendar: WorkingCalendar) -> Iterator[Row]:
    # The queries already asked the rule's SQL form; the rule itself still has the last word,
    # asking the database about refund cases once per batch, not once per row.
    for batch in batched(handovers, CASE_BATCH):
        cases = case_steps_among(staff, batch)
        made = (_row(staff, h, now, calendar, cases) for h in batch)
        yield from (r for r in made if r.access > Access.NONE)


def batched(items: Iterable[Handover], size: int) -> Iterator[list[Handover]]:
    """`items` in lists of `size` (itertools.batched arrives with Python 3.12)."""
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


def _loads(staff: Staff | None) -> tuple:
    """What a row shows: both parties' names (joined with the handover), not their
    departments, no versions, no events. The students only when an approval may decide
    access (records.visibility.granting_approval reads them)."""
    return (lazyload(Handover.versions), lazyload(Handover.events),
            selectinload(Handover.students) if staff is not None and staff.approval_grants
            else lazyload(Handover.students),
            defaultload(Handover.sender).lazyload(Staff.departments),
            defaultload(Handover.receiver).lazyload(Staff.departments))


@dataclass(frozen=True)
class Page:
    """One page of a list, with the true total of the list."""

    rows: list[Row]
    """The rows of this page, in the list's order."""
    total: int
    """How many rows the whole list has (a COUNT, not the length of this page)."""
    number: int
    """This page's number, from 1; a page past the end is the last page."""
    size: int
    """Rows per page."""

    @property
    def pages(self) -> int:
        """How many pages the list has (at least one, which may be empty)."""
        return _pages(self.total, self.size)

    @property
    def more(self) -> bool:
        """Whether the list has rows beyond this page."""
        return self.number < self.pages


def _pages(total: int, size: int) -> int:
    return max(1, -(-total // size))


@dataclass(frozen=True)
class HandoverList:
    """The handovers `staff` may see that match `where`, most urgent first (or in `order`):
    counted, paged or streamed in SQL."""

    session: Session
    staff: Staff
    where: tuple[ColumnElement[bool], ...]
    now: datetime
    calendar: WorkingCalendar
    order: tuple = URGENT_FIRST

    def count(self) -> int:
        return self.session.scalar(select(func.count(Handover.id)).where(*self.where))

    def _query(self):
        return (select(Handover).options(*_loads(self.staff)).where(*self.where)
                .order_by(*self.order))

    def page(self, number: int = 1, size: int = PER_PAGE) -> Page:
        """Page `number` (from 1) of `size` rows; before the first is the first, past the
        end the last."""
        if size < 1:
            raise ValueError("a page holds at least one row")
        total = self.count()
        number = min(max(number, 1), _pages(total, size))
        found = self.session.scalars(self._query().limit(size).offset((number - 1) * size))
        return Page(list(_visible_rows(self.staff, found, self.now, self.calendar)), total,
                    number, size)

    def filtered(self, chosen: ListFilter) -> HandoverList:
        """This list narrowed and ordered as `chosen` asks, still in SQL."""
        return replace(self, where=(*self.where, *chosen.where(self.calendar.zone)),
                       order=ORDERS[chosen.sort])

    def stream(self, batch: int = 500) -> Iterator[Row]:
        """Every row, read from the database `batch` at a time (one query)."""
        found = self.session.scalars(self._query().execution_options(yield_per=batch))
        yield from _visible_rows(self.staff, found, self.now, self.calendar)


def inbox(session: Session, staff: Staff, now: datetime, *,
          calendar: WorkingCalendar) -> HandoverList:
    """Submitted handovers that `staff` may countersign now."""
    return HandoverList(session, staff, (countersignable(staff),), now, calendar)


def outbox(session: Session, staff: Staff, now: datetime, *,
           calendar: WorkingCalendar) -> HandoverList:
    """The sender's own handovers still open: drafts, waiting, returned."""
    mine = (Handover.sender_id == staff.id) if staff.active else false()
    return HandoverList(session, staff, (mine, Handover.status.in_(list(OPEN))), now,
                        calendar)


def visible(session: Session, staff: Staff, now: datetime, *, calendar: WorkingCalendar,
            status: str = "", kind: str = "") -> HandoverList:
    """Every handover `staff` may see at least as metadata, of `status` and `kind` if given."""
    where = [visible_handovers(session, staff)]
    if status:
        where.append(Handover.status == status)
    if kind:
        where.append(Handover.kind == kind)
    return HandoverList(session, staff, tuple(where), now, calendar)


def about_student(session: Session, staff: Staff, student_id: int, now: datetime, *,
                  calendar: WorkingCalendar) -> HandoverList:
    """The handovers about one student that `staff` may see, newest first (the student's
    page)."""
    about = Handover.id.in_(select(HandoverStudent.handover_id).where(
        HandoverStudent.student_id == student_id))
    return HandoverList(session, staff, (about, visible_handovers(session, staff)), now,
                        calendar, NEWEST_FIRST)


def _due(until: datetime) -> tuple[ColumnElement[bool], ...]:
    return (Handover.status.in_(list(OPEN)), RUNNING_DUE.is_not(None), RUNNING_DUE < until)


def due_and_overdue(session: Session, now: datetime, until: datetime) -> list[Handover]:
    """Open handovers whose running deadline falls before `until` (overdue ones included),
    most urgent first: waiting for the receiver past their deadline to countersign, or still
    with the sender (draft or returned) past the sender's deadline (policy T)."""
    return list(session.scalars(select(Handover).options(*_loads(None)).where(*_due(until))
                                .order_by(RUNNING_DUE, Handover.id)))


def count_due(session: Session, until: datetime) -> int:
    """How many `due_and_overdue(session, now, until)` would list, counted in SQL."""
    return session.scalar(select(func.count(Handover.id)).where(*_due(until)))


def due_soon(session: Session, staff: Staff, now: datetime, until: datetime, *,
             calendar: WorkingCalendar) -> HandoverList:
    """`due_and_overdue` as `staff` may see it (the supervision group: no drafts), paged."""
    return HandoverList(session, staff, (*_due(until), visible_handovers(session, staff)),
                        now, calendar)
