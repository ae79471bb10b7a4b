"""Each party's clock (policy T1a-T5b), counted from the clause's trigger, never from signing.

The readings, each once (docs/configuration.md says the same for operators):
- T1a (F1): from the first intent date on the form (`intent_date`).
- T1b (F2): the same working day as the registration date on the form (`registration_date`).
- T2 (F4): from the academic affairs office's receipt (countersignature) of the student's
  registration handover (F2): an obligation per student (records.obligations).
- T3a (F6): the class's report time of each weekly or fortnightly period (class settings).
- T3b (F7): from the course end on the form (`course_end`) or the class's end.
- T4a (F6b): from ACA's receipt (countersignature) of the F6 it answers (its parent).
- T4b (F8): from the term end on the form (`term_end`) or the class's end.
- T5a (F12): from finance's receipt of the case (`received_date` on the form; the obligation
  from ACA's receipt of the teaching verification, F11).
- T5b (F13): from the day the amount was agreed (`agreed_date` on the form).
A date trigger is validated: not in the future, and not before the student's registration
(the F2's registration date) where a student is named. A handover that answers an obligation
and has no date trigger of its own takes the obligation's deadline. The deadline printed on the
signed form is this one; a return for correction does not restart it (the trigger is data).

The receiver's own clock (policy G3: every step has a named person) runs from each receipt:
`deadline.receive_days` working days (default 1) to countersign or return.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.catalogue import DeadlineBasis, DeadlineRule, HandoverKind
from records.deadlines import WorkingCalendar
from records.errors import FieldProblem
from records.handovers import Handover, HandoverStudent, Status

__all__ = ["RECEIVE_RULE", "TRIGGER_FIELDS", "Timeliness"]

# policy T: the form field a kind's deadline counts from, where the trigger is a date.
TRIGGER_FIELDS = {
    "F1": "intent_date",  # policy T1a
    "F2": "registration_date",  # policy T1b
    "F7": "course_end",  # policy T3b
    "F8": "term_end",  # policy T4b
    "F12": "received_date",  # policy T5a
    "F13": "agreed_date",  # policy T5b
}
# Triggers that cannot precede the student's registration.
AFTER_REGISTRATION = frozenset({"F7", "F8", "F12", "F13"})
RECEIVE_RULE = DeadlineRule("receive", "deadline.receive_days", 1, "收到交接后")


class Timeliness:
    """Deadlines of handovers: the sender's from the trigger, the receiver's from receipt."""

    def __init__(self, session: Session, *, calendar: WorkingCalendar,
                 settings: Mapping[str, int], clock: Callable[[], datetime]):
        self.session, self.calendar, self.settings, self.clock = (
            session, calendar, settings, clock)

    # -- triggers ---------------------------------------------------------------------------

    def start_of(self, day: date) -> datetime:
        """A trigger date as a moment: the start of that day in the school's zone."""
        return datetime.combine(day, time(0), tzinfo=self.calendar.zone)

    def field_trigger(self, kind: HandoverKind, values: Mapping[str, Any]) -> date | None:
        """The trigger date on the form, or None (no such field, empty or unparseable)."""
        name = TRIGGER_FIELDS.get(kind.code)
        raw = values.get(name) if name else None
        if not raw:
            return None
        try:
            return date.fromisoformat(str(raw))
        except ValueError:
            return None

    def trigger_problems(self, kind: HandoverKind, values: Mapping[str, Any],
                         student_ids: Iterable[int]) -> list[FieldProblem]:
        """policy T: a trigger date in the future or before the student's registration is
        refused beside its field."""
        name = TRIGGER_FIELDS.get(kind.code)
        day = self.field_trigger(kind, values)
        if name is None or day is None:
            return []
        today = self.clock().astimezone(self.calendar.zone).date()
        if day > today:
            return [FieldProblem(
                name, f"日期不能晚于今天（{today.isoformat()}）：期限从这一天起算。")]
        if kind.code in AFTER_REGISTRATION:
            registered = self.registration_day(student_ids)
            if registered is not None and day < registered:
                return [FieldProblem(
                    name, f"日期不能早于该学生的报名日期（{registered.isoformat()}）。")]
        return []

    def registration_day(self, student_ids: Iterable[int]) -> date | None:
        """The registration date of the student(s): the trigger of their earliest submitted
        registration handover (F2)."""
        ids = list(student_ids)
        if not ids:
            return None
        first = self.session.scalar(
            select(Handover.trigger_at).join(HandoverStudent,
                                             HandoverStudent.handover_id == Handover.id)
            .where(HandoverStudent.student_id.in_(ids), Handover.kind == "F2",
                   Handover.trigger_at.is_not(None),
                   Handover.status.in_([Status.SUBMITTED, Status.COMPLETED]))
            .order_by(Handover.trigger_at).limit(1))
        return None if first is None else first.astimezone(self.calendar.zone).date()

    # -- deadlines --------------------------------------------------------------------------

    def due(self, trigger: datetime, rule: DeadlineRule) -> datetime:
        return self.calendar.due_time(trigger, rule, self.settings)

    def sender_deadline(self, kind: HandoverKind, values: Mapping[str, Any],
                        answered_due: datetime | None,
                        event_trigger: datetime | None = None
                        ) -> tuple[datetime | None, datetime | None]:
        """(trigger, due) of the sender's deadline: from the date on the form, else from the
        event that gave rise to it (e.g. the parent's receipt, T4a), else the deadline of the
        obligation it answers; (None, None) when the policy sets no time limit here."""
        rule = kind.deadline
        day = self.field_trigger(kind, values)
        if rule is not None and day is not None:
            trigger = self.start_of(day)
            return trigger, self.due(trigger, rule)
        if rule is not None and event_trigger is not None \
                and rule.basis is not DeadlineBasis.PERIODIC:
            return event_trigger, self.due(event_trigger, rule)
        if answered_due is not None:
            return None, answered_due
        return None, None

    def receive_deadline(self, received_at: datetime) -> datetime:
        """The receiver's own deadline to countersign or return (default: 1 working day)."""
        return self.due(received_at, RECEIVE_RULE)
