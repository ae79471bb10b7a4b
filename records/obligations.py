"""Obligations: what each department and person owes, derived from the events the system
already has (policy T1a-T5b; the supervision group, policy S1, follows what is overdue).

- a countersigned registration (F2) → a class assignment (F4) per student, owed by the
  academic affairs office, whoever received the F2 first (T2);
- a class with a report cycle → one progress report (F6) per period, owed by its teacher (T3a);
- a class's end → grades (F7) per student from its teacher (T3b) and the learning archive (F8)
  per student from the academic affairs office (T4b);
- a received progress report (F6) → feedback (F6b) from whoever received it (T4a);
- the refund chain: a received F10 → the teaching verification (F11) from the class's
  teacher, a received F11 → finance's calculation (F12, T5a), a received F12 → the refund's
  completion (F13, T5b).
An obligation is met by the handover that answers it (same kind, same student or class, or
the next link of its chain), reopened if that handover is withdrawn, and may be waived by the
academic affairs office or management with a reason (in the ledger).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from records.catalogue import DeadlineRule, get_kind
from records.classes import SchoolClass
from records.departments import Department
from records.errors import Conflict, FieldProblem, NotFound, PermissionDenied, ValidationFailed
from records.handovers import Handover
from records.obligation_model import Obligation, ObligationState
from records.staff import Staff
from records.students import Student
from records.timeliness import Timeliness
from vault import Ledger

__all__ = ["MAX_WAIVER", "Obligations", "ReportCycle", "may_waive"]

MAX_WAIVER = 500
# F11 has no clause of its own: ACA asks the teacher for it within the school's number of days.
F11_RULE = DeadlineRule("F11", "deadline.F11_days", 2, "收到退费申请后")
# Days after its end during which a class is still looked at for what it makes owed.
ENDED_WINDOW_DAYS = 400
# What a received handover gives rise to: kind owed, and who owes it.
FOLLOW_UPS = {"F6": "F6b", "F10": "F11", "F11": "F12", "F12": "F13"}


def may_waive(staff: Staff) -> bool:
    """The academic affairs office and management may waive an obligation (policy T)."""
    return staff.belongs_to(Department.ACA) or staff.belongs_to(Department.MGT)


@dataclass(frozen=True)
class ReportCycle:
    """policy T3a: a class's fixed report time, weekly or fortnightly."""

    weekday: int
    """ISO weekday (1 = Monday) of the report."""
    hour: int
    """Hour of the report (school time)."""
    weeks: int
    """1 (weekly) or 2 (fortnightly)."""
    first_week: date
    """Monday of the first reporting period."""

    @classmethod
    def of(cls, school_class: SchoolClass) -> ReportCycle | None:
        c = school_class
        if not (c.report_weekday and c.report_cycle_weeks and c.report_first_week):
            return None
        return cls(c.report_weekday, c.report_hour if c.report_hour is not None else 16,
                   c.report_cycle_weeks, c.report_first_week)

    def periods(self, until: date, ends: date | None) -> Iterable[date]:
        """Mondays that start a period, from the first up to `until` (and the class's end)."""
        start = self.first_week - timedelta(days=self.first_week.weekday())
        last = min(until, ends) if ends else until
        while start <= last:
            yield start
            start += timedelta(weeks=self.weeks)

    def report_day(self, period_start: date) -> date:
        return period_start + timedelta(weeks=self.weeks - 1, days=self.weekday - 1)


class Obligations:
    def __init__(self, session: Session, *, timeliness: Timeliness, audit: Ledger):
        self.session, self.timeliness, self.audit = session, timeliness, audit

    @property
    def clock(self) -> Callable[[], datetime]:
        return self.timeliness.clock

    # -- arising ----------------------------------------------------------------------------

    def _owe(self, cause_key: str, kind: str, clause: str, dept: Department | str, *,
             trigger: datetime, due: datetime, staff_id: int | None = None,
             student_id: int | None = None, class_id: int | None = None,
             source_id: int | None = None, period_start: datetime | None = None) -> bool:
        """Record one obligation unless its cause has one already (True when new). Two
        processes deriving the same obligation at once: the unique cause key keeps one."""
        exists = self.session.scalar(select(Obligation.id).where(
            Obligation.cause_key == cause_key))
        if exists is not None:
            return False
        row = Obligation(
            cause_key=cause_key, kind=kind, clause=clause, owing_dept=str(dept),
            owing_staff_id=staff_id, student_id=student_id, class_id=class_id,
            source_handover_id=source_id, period_start=period_start, trigger_at=trigger,
            due_at=due, state=ObligationState.OPEN, created_at=self.clock())
        try:
            with self.session.begin_nested():
                self.session.add(row)
        except IntegrityError:
            return False
        return True

    def on_received(self, handover: Handover) -> None:
        """A countersigned handover gives rise to what follows it (T2, T4a, the refund chain)."""
        received = handover.completed_at
        if handover.kind == "F2":  # policy T2: schedule and grouping for each student
            rule = get_kind("F4").deadline
            for sid in handover.student_ids:
                self._owe(f"F4:F2:{handover.id}:{sid}", "F4", rule.clause, Department.ACA,
                          trigger=received, due=self.timeliness.due(received, rule),
                          staff_id=handover.receiver_id, student_id=sid,
                          source_id=handover.id)
            return
        follow = FOLLOW_UPS.get(handover.kind)
        if follow is None:
            return
        kind = get_kind(follow)
        rule = kind.deadline or F11_RULE
        student_id = handover.student_ids[0] if handover.student_ids else None
        owner = handover.receiver_id if kind.sender.value == handover.receiver_dept else None
        if follow == "F11":  # asked of the class's teacher (policy F11)
            owner = self._teacher_of_student(student_id)
        self._owe(f"{follow}:handover:{handover.id}", follow, rule.clause, kind.sender,
                  trigger=received, due=self.timeliness.due(received, rule),
                  staff_id=owner, student_id=student_id, source_id=handover.id)

    def _teacher_of_student(self, student_id: int | None) -> int | None:
        if student_id is None:
            return None
        from records.classes import ClassMember

        return self.session.scalar(
            select(SchoolClass.teacher_id).join(ClassMember)
            .where(ClassMember.student_id == student_id, ClassMember.left_at.is_(None))
            .order_by(SchoolClass.id.desc()).limit(1))

    def refresh(self, now: datetime | None = None) -> int:
        """Derive what time has made owed by `now`: each class's periodic reports (T3a) and,
        once a class has ended, grades (T3b) and learning archives (T4b). Idempotent; returns
        how many obligations are new."""
        now = now or self.clock()
        zone = self.timeliness.calendar.zone
        today = now.astimezone(zone).date()
        # A class that ended long ago had its grades and archives derived when it ended: the
        # work stays bounded by the classes running now and those just ended.
        recent = today - timedelta(days=ENDED_WINDOW_DAYS)
        classes = self.session.scalars(select(SchoolClass).where(
            or_(SchoolClass.ends_on.is_(None), SchoolClass.ends_on >= recent),
            or_(SchoolClass.report_weekday.is_not(None), SchoolClass.ends_on <= today))).all()
        if not classes:
            return 0
        known = set(self.session.scalars(select(Obligation.cause_key).where(
            Obligation.class_id.in_([c.id for c in classes]))))
        made = 0
        for c in classes:
            made += self._class_reports(c, today, known)
            if c.ends_on is not None and c.ends_on <= today:
                made += self._class_end(c, known)
        return made

    def _class_reports(self, c: SchoolClass, today: date, known: set[str]) -> int:
        cycle = ReportCycle.of(c)
        if cycle is None:
            return 0
        made = 0
        start_from = c.starts_on or cycle.first_week
        for monday in cycle.periods(today, c.ends_on):
            key = f"F6:class:{c.id}:{monday.isoformat()}"
            if key in known or cycle.report_day(monday) < start_from:
                continue
            due_day = self.timeliness.calendar.next_workday(cycle.report_day(monday))
            due = datetime.combine(due_day, time(cycle.hour), tzinfo=self.timeliness.calendar.zone)
            made += self._owe(key, "F6", "T3a", Department.TEA, trigger=self.timeliness.start_of(
                monday), due=due, staff_id=c.teacher_id, class_id=c.id,
                period_start=self.timeliness.start_of(monday))
        return made

    def _class_end(self, c: SchoolClass, known: set[str]) -> int:
        made, end = 0, self.timeliness.start_of(c.ends_on)
        members = [m.student_id for m in c.members
                   if m.left_at is None or m.left_at >= end]
        for kind, owner, dept in (("F7", c.teacher_id, Department.TEA),  # policy T3b
                                  ("F8", None, Department.ACA)):  # policy T4b
            rule = get_kind(kind).deadline
            for sid in members:
                key = f"{kind}:class:{c.id}:{sid}:{c.ends_on.isoformat()}"
                if key not in known:
                    made += self._owe(key, kind, rule.clause, dept, trigger=end,
                                      due=self.timeliness.due(end, rule), staff_id=owner,
                                      student_id=sid, class_id=c.id)
        return made

    # -- answering --------------------------------------------------------------------------

    def check_claim(self, obligation_id: int, kind: str, student_ids: Iterable[int]
                    ) -> Obligation:
        """The obligation a new handover is made to answer: same kind, same student, open."""
        ob = self.session.get(Obligation, obligation_id)
        if ob is None:
            raise NotFound("应交事项", str(obligation_id))
        problem = None
        if ob.kind != kind:
            problem = f"该应交事项要求的是 {ob.kind}，不能用 {kind} 交接单完成。"
        elif ob.student_id is not None and ob.student_id not in set(student_ids):
            problem = "该应交事项针对的是另一名学生，不能用这份交接单完成。"
        elif ob.state != ObligationState.OPEN:
            problem = f"该应交事项{ObligationState(ob.state).label_zh}，无需再交。"
        if problem:
            raise ValidationFailed([FieldProblem("obligation", problem)])
        return ob

    def matching(self, handover: Handover, values: Mapping[str, Any]) -> list[Obligation]:
        """The obligations `handover` answers: the one it was made for, those its chain gave
        rise to (its parent's follow-up), those it answered before (a corrected version keeps
        meeting them: a return does not restart the clock), and the open ones of its kind for
        its students, or for its class (a periodic report: the earliest open period)."""
        found: dict[int, Obligation] = {}
        base = select(Obligation).where(Obligation.kind == handover.kind)
        claimed = [Obligation.answered_by_id == handover.id]
        if handover.answers_obligation_id:
            claimed.append(Obligation.id == handover.answers_obligation_id)
        if handover.parent_id:
            claimed.append(Obligation.source_handover_id == handover.parent_id)
        found.update((o.id, o) for o in self.session.scalars(base.where(or_(*claimed))))
        open_ = base.where(Obligation.state == ObligationState.OPEN)
        school_class = self._class_named(values.get("class_name"))
        if handover.kind == "F6":
            if school_class is not None:
                first = self.session.scalars(open_.where(
                    Obligation.class_id == school_class.id).order_by(Obligation.due_at)
                    .limit(1)).first()
                if first is not None:
                    found[first.id] = first
        else:
            ids = self._students_of(handover, values)
            if ids:
                query = open_.where(Obligation.student_id.in_(ids))
                if school_class is not None and handover.kind in ("F7", "F8"):
                    query = query.where(or_(Obligation.class_id == school_class.id,
                                            Obligation.class_id.is_(None)))
                found.update((o.id, o) for o in self.session.scalars(query))
        return sorted((o for o in found.values() if o.state != ObligationState.WAIVED
                       and o.answered_by_id in (None, handover.id)), key=lambda o: o.due_at)

    def _class_named(self, name: Any) -> SchoolClass | None:
        if not name:
            return None
        return self.session.scalar(select(SchoolClass).where(SchoolClass.name == str(name)))

    def _students_of(self, handover: Handover, values: Mapping[str, Any]) -> list[int]:
        """Students named by the form: its student fields, and a roster's 学号 (F4)."""
        numbers = [row.get("student_number") for row in values.get("roster") or []
                   if isinstance(row, Mapping) and row.get("student_number")]
        ids = list(handover.student_ids)
        if numbers:
            ids += self.session.scalars(select(Student.id).where(
                Student.student_no.in_([str(n) for n in numbers])))
        return ids

    def answer(self, handover: Handover, obligations: Iterable[Obligation]) -> None:
        """`handover` was submitted: it meets these (and keeps meeting those it met before,
        now at its latest submission time: a return does not stop the clock)."""
        at = handover.submitted_at
        self.session.execute(update(Obligation).where(
            Obligation.answered_by_id == handover.id).values(answered_at=at))
        for ob in obligations:
            if ob.state == ObligationState.OPEN:
                ob.state, ob.answered_by_id, ob.answered_at = (
                    ObligationState.ANSWERED, handover.id, at)
        self.session.flush()

    def reopen(self, handover: Handover) -> None:
        """A withdrawn handover meets nothing: what it answered is owed again."""
        self.session.execute(update(Obligation).where(
            Obligation.answered_by_id == handover.id,
            Obligation.state == ObligationState.ANSWERED).values(
            state=ObligationState.OPEN, answered_by_id=None, answered_at=None))

    def waive(self, actor: Staff, obligation_id: int, reason: str) -> Obligation:
        """Waive an open obligation with a reason (ACA or management only), compare-and-set."""
        ob = self.session.get(Obligation, obligation_id)
        if ob is None:
            raise NotFound("应交事项", str(obligation_id))
        if not may_waive(actor):
            self.audit.append(actor=actor.login, action="obligation.waive",
                              subject=f"obligation:{ob.id}", outcome="denied")
            raise PermissionDenied(actor.login, "waive", "只有教务部门或管理层可以免除应交事项。")
        reason = (reason or "").strip()
        if not reason or len(reason) > MAX_WAIVER:
            raise ValidationFailed([FieldProblem(
                "reason", f"请填写免除原因（不超过 {MAX_WAIVER} 字）。")])
        now = self.clock()
        done = self.session.execute(update(Obligation).where(
            Obligation.id == ob.id, Obligation.state == ObligationState.OPEN).values(
            state=ObligationState.WAIVED, waived_by_id=actor.id, waived_at=now,
            waiver_reason=reason))
        if done.rowcount != 1:
            self.session.refresh(ob)
            raise Conflict(f"该应交事项已{ObligationState(ob.state).label_zh}，不能再免除。")
        self.session.refresh(ob)
        self.audit.append(actor=actor.login, action="obligation.waive",
                          subject=f"obligation:{ob.id}", context={"kind": ob.kind})
        return ob

    # -- lists ------------------------------------------------------------------------------

    def owed_by(self, staff: Staff, *, limit: int | None = None) -> list[Obligation]:
        """Open obligations of `staff`: their own, and their department's unassigned ones,
        due first."""
        depts = [d.value for d in staff.department_codes]
        query = select(Obligation).where(
            Obligation.state == ObligationState.OPEN,
            or_(Obligation.owing_staff_id == staff.id,
                Obligation.owing_staff_id.is_(None) & Obligation.owing_dept.in_(depts or [""]))
        ).order_by(Obligation.due_at, Obligation.id)
        return list(self.session.scalars(query.limit(limit) if limit else query))

    def due_before(self, until: datetime, *, limit: int | None = None) -> list[Obligation]:
        """Open obligations due before `until`, overdue ones included, most urgent first."""
        query = select(Obligation).where(
            Obligation.state == ObligationState.OPEN, Obligation.due_at < until
        ).order_by(Obligation.due_at, Obligation.id)
        return list(self.session.scalars(query.limit(limit) if limit else query))

    def count_due_before(self, until: datetime) -> int:
        return self.session.scalar(select(func.count()).select_from(Obligation).where(
            Obligation.state == ObligationState.OPEN, Obligation.due_at < until))

    def get(self, obligation_id: int) -> Obligation:
        ob = self.session.get(Obligation, obligation_id)
        if ob is None:
            raise NotFound("应交事项", str(obligation_id))
        return ob

