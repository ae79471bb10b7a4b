"""Assessment figures for a period, per department and per person (policy S2: accuracy,
timeliness, completeness, procedural compliance; policy S3: parent complaints weigh in).

Each party is charged only for its own clock (DESIGN "Deadlines and obligations"):

- what is owed: obligations due in the period, met on time / late / still open / waived,
  charged to the owing department and, when named, the owing person;
- the sender: handovers submitted in the period, timely by `Handover.due_at` (counted from the
  clause's trigger), returns charged to the sender (accuracy), never returned (completeness),
  paper / face-to-face ones carrying their checklist scan / meeting record (policy M1, M3);
- the receiver: handovers received in the period, and by `receive_due_at` in the period
  countersigned on time, late, or still waiting past it. A receiver's delay never touches the
  sender's figures.

Every figure is a GROUP BY in SQL; the only rows read one by one are the late ones' two times
(for the median delay). The number of statements does not depend on the number of handovers.
Metadata only, never content (policy C1)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from statistics import median

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.orm import Session

from records.catalogue import PAPER_SCAN, Method
from records.deadlines import SCHOOL_TZ
from records.departments import Department
from records.handovers import Attachment, Handover, HandoverEvent, HandoverVersion, Status
from records.obligation_model import Obligation, ObligationState
from records.staff import Staff, StaffDepartment

__all__ = ["Assessment", "Figures", "Period", "assess", "on_time_series"]

# Submitted at least once and not taken back: what a sender is assessed on.
SENT = (Status.SUBMITTED, Status.COMPLETED, Status.RETURNED)
# The version received stands (a returned one awaits its correction, which sets a new time).
TIMED = (Status.SUBMITTED, Status.COMPLETED)


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC; days and months are the school's (Asia/Shanghai)."""

    start: datetime
    """First instant counted."""
    end: datetime
    """First instant not counted."""

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("a period needs timezone-aware bounds")
        if self.end <= self.start:
            raise ValueError("结束日期必须晚于开始日期。")

    @classmethod
    def days(cls, first: date, last: date) -> Period:
        """From the start of `first` to the end of `last` (both included), school time."""
        return cls(_midnight(first), _midnight(last + timedelta(days=1)))

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        following = date(year + month // 12, month % 12 + 1, 1)
        return cls(_midnight(date(year, month, 1)), _midnight(following))

    @classmethod
    def month_of(cls, moment: datetime) -> Period:
        local = moment.astimezone(SCHOOL_TZ)
        return cls.month(local.year, local.month)

    @property
    def first_day(self) -> date:
        return self.start.astimezone(SCHOOL_TZ).date()

    @property
    def last_day(self) -> date:
        return (self.end - timedelta(microseconds=1)).astimezone(SCHOOL_TZ).date()

    @property
    def label(self) -> str:
        return f"{self.first_day.isoformat()} 至 {self.last_day.isoformat()}"

    def months_back(self, count: int) -> list[Period]:
        """`count` consecutive months ending with the month of this period's last day."""
        last = self.last_day
        index = last.year * 12 + last.month - 1 - (count - 1)
        return [Period.month(i // 12, i % 12 + 1) for i in range(index, index + count)]


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=SCHOOL_TZ).astimezone(UTC)


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _median(values: list[float]) -> float | None:
    return round(median(values), 1) if values else None


@dataclass
class Figures:
    """One line of the assessment: a department, or a person (then `staff_id` is set)."""

    department: Department
    """The department; for a person, their first department in the school's order."""
    staff_id: int | None = None
    """The person, or None for a department line."""
    name: str = ""
    """Display name of the person, or the department's Chinese name."""
    # what is owed, due in the period (policy T, S2 timeliness)
    due: int = 0
    met_on_time: int = 0
    met_late: int = 0
    open_overdue: int = 0
    """Still open at `now` and past due."""
    waived: int = 0
    # as sender, submitted in the period
    submitted: int = 0
    sent_on_time: int = 0
    sent_late: int = 0
    returned: int = 0
    """Return events in the period on handovers this party sent (accuracy, S2)."""
    never_returned: int = 0
    """Submitted in the period and never returned (completeness at first submission, S2)."""
    procedural_required: int = 0
    """Paper (M1) and face-to-face (M3) handovers submitted (procedural compliance, S2)."""
    procedural_kept: int = 0
    """Of those, with the signed checklist scan (M1) / the meeting record (M3)."""
    sender_delays: list[float] = field(default_factory=list)
    """Hours past `due_at` of the late submissions."""
    # as receiver
    received: int = 0
    """Submitted to this party in the period (a person: the ones they countersigned)."""
    countersigned_on_time: int = 0
    countersigned_late: int = 0
    waiting_overdue: int = 0
    """Receiver's deadline in the period, passed at `now`, not yet countersigned."""
    receiver_delays: list[float] = field(default_factory=list)
    """Hours past `receive_due_at` of the late countersignatures."""
    complaints: int = 0
    """Parent complaints found against this party (policy S3)."""

    @property
    def is_person(self) -> bool:
        return self.staff_id is not None

    @property
    def obligation_rate(self) -> float | None:
        return _rate(self.met_on_time, self.met_on_time + self.met_late + self.open_overdue)

    @property
    def sender_on_time_rate(self) -> float | None:
        return _rate(self.sent_on_time, self.sent_on_time + self.sent_late)

    @property
    def completeness_rate(self) -> float | None:
        return _rate(self.never_returned, self.submitted)

    @property
    def compliance_rate(self) -> float | None:
        return _rate(self.procedural_kept, self.procedural_required)

    @property
    def receiver_on_time_rate(self) -> float | None:
        done = self.countersigned_on_time + self.countersigned_late + self.waiting_overdue
        return _rate(self.countersigned_on_time, done)

    @property
    def on_time_rate(self) -> float | None:
        """Both clocks together: submissions and countersignatures done by their own
        deadlines, of all that came due (the chart draws this one)."""
        on_time = self.sent_on_time + self.countersigned_on_time
        whole = on_time + self.sent_late + self.countersigned_late + self.waiting_overdue
        return _rate(on_time, whole)

    @property
    def sender_median_delay_hours(self) -> float | None:
        return _median(self.sender_delays)

    @property
    def receiver_median_delay_hours(self) -> float | None:
        return _median(self.receiver_delays)

    def as_dict(self) -> dict:
        out = {"department": self.department.value, "staff_id": self.staff_id,
               "name": self.name}
        out.update({k: getattr(self, k) for k in COUNTS})
        out.update({k: getattr(self, k) for k in DERIVED})
        return out


COUNTS = ("due", "met_on_time", "met_late", "open_overdue", "waived", "submitted",
          "sent_on_time", "sent_late", "returned", "never_returned", "procedural_required",
          "procedural_kept", "received", "countersigned_on_time", "countersigned_late",
          "waiting_overdue", "complaints")
DERIVED = ("obligation_rate", "sender_on_time_rate", "completeness_rate", "compliance_rate",
           "receiver_on_time_rate", "on_time_rate", "sender_median_delay_hours",
           "receiver_median_delay_hours")


@dataclass
class Assessment:
    period: Period
    now: datetime
    departments: list[Figures]
    """One line per department with anything to count, in the school's order."""
    people: list[Figures]
    """One line per person with anything to count, by department, then staff id."""

    def person(self, staff_id: int) -> Figures | None:
        return next((f for f in self.people if f.staff_id == staff_id), None)

    def department(self, dept: Department | str) -> Figures | None:
        return next((f for f in self.departments if f.department == dept), None)


class _Tally:
    """Grouped rows → department and person lines."""

    def __init__(self) -> None:
        self.depts: dict[str, Figures] = {}
        self.people: dict[int, Figures] = {}

    def lines(self, dept: str, staff_id: int | None) -> list[Figures]:
        d = self.depts.setdefault(dept, Figures(Department(dept)))
        if staff_id is None:
            return [d]
        return [d, self.people.setdefault(staff_id, Figures(Department(dept), staff_id))]

    def add(self, dept: str, staff_id: int | None, **counts: int) -> None:
        for line in self.lines(dept, staff_id):
            for key, value in counts.items():
                setattr(line, key, getattr(line, key) + int(value or 0))

    def delay(self, dept: str, staff_id: int | None, attr: str, late: datetime,
              due: datetime) -> None:
        hours = (late - due).total_seconds() / 3600
        for line in self.lines(dept, staff_id):
            getattr(line, attr).append(hours)


def _count(condition) -> object:
    return func.sum(case((condition, 1), else_=0))


def _within(column, period: Period):
    return and_(column >= period.start, column < period.end)


def assess(session: Session, period: Period, now: datetime,
           complaints: Iterable[tuple[str, int | None]] = ()) -> Assessment:
    """The figures of `period` as they stand at `now` (policy S2). `complaints` are the parent
    complaints found at fault in the period, as (department code, staff id or None)."""
    tally = _Tally()
    _obligations(session, period, now, tally)
    _as_sender(session, period, tally)
    _as_receiver(session, period, now, tally)
    for dept, staff_id in complaints:  # policy S3
        tally.add(Department.parse(dept).value, staff_id, complaints=1)
    _name_people(session, tally.people)
    order = list(Department)
    departments = sorted(tally.depts.values(), key=lambda f: order.index(f.department))
    for f in departments:
        f.name = f.department.label_zh
    people = sorted(tally.people.values(),
                    key=lambda f: (order.index(f.department), f.staff_id))
    return Assessment(period, now, departments, people)


def _obligations(session: Session, period: Period, now: datetime, tally: _Tally) -> None:
    o = Obligation
    answered = o.state == ObligationState.ANSWERED
    rows = session.execute(
        select(o.owing_dept, o.owing_staff_id, func.count(),
               _count(and_(answered, o.answered_at <= o.due_at)),
               _count(and_(answered, o.answered_at > o.due_at)),
               _count(and_(o.state == ObligationState.OPEN, o.due_at < now)),
               _count(o.state == ObligationState.WAIVED))
        .where(_within(o.due_at, period))
        .group_by(o.owing_dept, o.owing_staff_id))
    for dept, staff_id, due, on_time, late, still_open, waived in rows:
        tally.add(dept, staff_id, due=due, met_on_time=on_time, met_late=late,
                  open_overdue=still_open, waived=waived)


def _as_sender(session: Session, period: Period, tally: _Tally) -> None:
    h, v = Handover, HandoverVersion
    sent = and_(h.status.in_(SENT), _within(h.submitted_at, period))
    timed = and_(h.status.in_(TIMED), h.due_at.is_not(None))
    ever_returned = exists().where(HandoverEvent.handover_id == h.id,
                                   HandoverEvent.action == "returned")
    scanned = exists().where(Attachment.version_id == v.id, Attachment.code == PAPER_SCAN.code)
    paper, meeting = h.method == Method.PAPER.value, h.method == Method.FACE_TO_FACE.value
    rows = session.execute(
        select(h.sender_dept, h.sender_id, func.count(),
               _count(and_(timed, h.submitted_at <= h.due_at)),
               _count(and_(timed, h.submitted_at > h.due_at)),
               _count(~ever_returned),
               _count(paper | meeting),
               # policy M1: the signed checklist's scan; policy M3: the meeting record
               _count((paper & scanned) | (meeting & v.meeting_json.is_not(None))))
        .outerjoin(v, and_(v.handover_id == h.id, v.version == h.current_version))
        .where(sent).group_by(h.sender_dept, h.sender_id))
    for dept, staff_id, n, on_time, late, clean, required, kept in rows:
        tally.add(dept, staff_id, submitted=n, sent_on_time=on_time, sent_late=late,
                  never_returned=clean, procedural_required=required, procedural_kept=kept)
    # Accuracy: every return in the period is charged to the handover's sender.
    returns = session.execute(
        select(h.sender_dept, h.sender_id, func.count())
        .join(HandoverEvent, HandoverEvent.handover_id == h.id)
        .where(HandoverEvent.action == "returned", _within(HandoverEvent.at, period))
        .group_by(h.sender_dept, h.sender_id))
    for dept, staff_id, n in returns:
        tally.add(dept, staff_id, returned=n)
    late = session.execute(
        select(h.sender_dept, h.sender_id, h.submitted_at, h.due_at)
        .where(sent, timed, h.submitted_at > h.due_at))
    for dept, staff_id, submitted_at, due_at in late:
        tally.delay(dept, staff_id, "sender_delays", submitted_at, due_at)


def _as_receiver(session: Session, period: Period, now: datetime, tally: _Tally) -> None:
    h = Handover
    arrived = and_(h.status.in_(SENT), _within(h.submitted_at, period))
    due_here = _within(h.receive_due_at, period)
    done = and_(due_here, h.completed_at.is_not(None))
    rows = session.execute(
        select(h.receiver_dept, h.receiver_id,
               _count(arrived),
               _count(and_(done, h.completed_at <= h.receive_due_at)),
               _count(and_(done, h.completed_at > h.receive_due_at)),
               _count(and_(due_here, h.status == Status.SUBMITTED, h.receive_due_at < now)))
        .where(arrived | due_here)
        .group_by(h.receiver_dept, h.receiver_id))
    for dept, staff_id, received, on_time, late, waiting in rows:
        tally.add(dept, staff_id, received=received, countersigned_on_time=on_time,
                  countersigned_late=late, waiting_overdue=waiting)
    late_rows = session.execute(
        select(h.receiver_dept, h.receiver_id, h.completed_at, h.receive_due_at)
        .where(done, h.completed_at > h.receive_due_at))
    for dept, staff_id, completed_at, due_at in late_rows:
        tally.delay(dept, staff_id, "receiver_delays", completed_at, due_at)


def _name_people(session: Session, people: dict[int, Figures]) -> None:
    """Names and first departments of the people counted, in one statement."""
    if not people:
        return
    order = list(Department)
    first: dict[int, Department] = {}
    rows = session.execute(
        select(Staff.id, Staff.display_name, StaffDepartment.department)
        .outerjoin(StaffDepartment, StaffDepartment.staff_id == Staff.id)
        .where(Staff.id.in_(list(people))))
    for staff_id, name, dept in rows:
        people[staff_id].name = name
        if dept is not None:
            d = Department(dept)
            if staff_id not in first or order.index(d) < order.index(first[staff_id]):
                first[staff_id] = d
    for staff_id, dept in first.items():
        people[staff_id].department = dept


def on_time_series(session: Session, periods: Sequence[Period], now: datetime
                   ) -> dict[Department, list[float | None]]:
    """`Figures.on_time_rate` per department for each of `periods` (consecutive, in order),
    in two statements whatever their number: each row falls in its period by a CASE."""
    if not periods:
        return {}
    for before, after in zip(periods, periods[1:], strict=False):
        if before.end != after.start:
            raise ValueError("periods must be consecutive")
    h = Handover
    on_time: dict[tuple[str, int], int] = {}
    whole: dict[tuple[str, int], int] = {}

    def bucket(column):
        return case(*[(column < p.end, i) for i, p in enumerate(periods)], else_=-1)

    span = Period(periods[0].start, periods[-1].end)
    timed = and_(h.status.in_(TIMED), h.due_at.is_not(None))
    sender = bucket(h.submitted_at).label("bucket")
    receiver = bucket(h.receive_due_at).label("bucket")
    done = h.completed_at.is_not(None)
    queries = (
        select(h.sender_dept, sender, _count(h.submitted_at <= h.due_at), func.count())
        .where(timed, _within(h.submitted_at, span)).group_by(h.sender_dept, sender),
        # the receiver's own clock: countersigned by receive_due_at, or still waiting past it
        select(h.receiver_dept, receiver, _count(and_(done, h.completed_at <= h.receive_due_at)),
               func.count())
        .where(_within(h.receive_due_at, span),
               done | and_(h.status == Status.SUBMITTED, h.receive_due_at < now))
        .group_by(h.receiver_dept, receiver),
    )
    for query in queries:
        for dept, index, good, n in session.execute(query):
            on_time[dept, index] = on_time.get((dept, index), 0) + int(good or 0)
            whole[dept, index] = whole.get((dept, index), 0) + int(n or 0)
    depts = sorted({Department(d) for d, _ in whole}, key=list(Department).index)
    return {d: [_rate(on_time.get((d.value, i), 0), whole.get((d.value, i), 0))
                for i in range(len(periods))] for d in depts}
