"""Use cases of the parent complaint register (家长投诉登记): recorded by management, the
supervision group or the academic affairs office (the school office parents call); resolved by
management or the supervision group with a finding and the parties at fault, which the figures
(policy S2) count through `complaints_against`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.clock import utcnow
from records.departments import Department
from records.errors import NotFound, ValidationFailed
from records.oversight.complaint_model import (
    CHANNELS,
    COMPLAINT_PREFIX,
    ComplaintState,
    FaultFinding,
    ParentComplaint,
)
from records.oversight.evidence import Checker, join, school_day, serial_id
from records.oversight.steps import deny, move
from records.staff import Staff
from vault import Ledger

__all__ = ["Complaints", "complaints_against", "may_record_complaint", "may_resolve_complaint"]

RECORDERS = (Department.MGT, Department.SUP, Department.ACA)
RESOLVERS = (Department.MGT, Department.SUP)
# A staff member found at fault is counted against the department they work in; these two
# are roles on top of one (department heads sit in SUP, policy S1).
_OVERSIGHT = (Department.SUP, Department.MGT)


def may_record_complaint(staff: Staff) -> bool:
    return staff.active and any(staff.belongs_to(d) for d in RECORDERS)


def may_resolve_complaint(staff: Staff) -> bool:
    return staff.active and any(staff.belongs_to(d) for d in RESOLVERS)


def complaints_against(session: Session, start: date | datetime, end: date | datetime
                       ) -> list[tuple[str, int | None, int]]:
    """(department code, staff id or None, complaint id) for each party found at fault in a
    resolved complaint received on a school day in [start, end). A complaint against a person
    and their department gives one row (the department's code with the person's id); against
    a department alone, one row with None. For the figures of policy S2."""
    # policy S2, S3: a parent complaint counts against the party found at fault
    first = school_day(start) if isinstance(start, datetime) else start
    last = school_day(end) if isinstance(end, datetime) else end
    rows = session.execute(
        select(FaultFinding.dept, FaultFinding.staff_id, FaultFinding.complaint_id)
        .join(ParentComplaint, ParentComplaint.id == FaultFinding.complaint_id)
        .where(ParentComplaint.state == ComplaintState.RESOLVED,
               ParentComplaint.received_on >= first, ParentComplaint.received_on < last)
        .order_by(FaultFinding.complaint_id, FaultFinding.id))
    return [(dept, staff_id, complaint_id) for dept, staff_id, complaint_id in rows]


class Complaints:
    def __init__(self, session: Session, *, audit: Ledger,
                 clock: Callable[[], datetime] = utcnow):
        self.session, self.audit, self.clock = session, audit, clock

    def record(self, actor: Staff, *, received_on: date | str, channel: str, summary: str,
               handovers: str = "") -> ParentComplaint:
        if not may_record_complaint(actor):
            deny(self.audit, actor, "complaint.record", None,
                 "家长投诉由管理层、监督小组或教务部登记。")
        check = Checker(self.session)
        day = check.day("received_on", received_on, "收到日期")
        if day is not None and day > school_day(self.clock()):
            check.problem("received_on", "收到日期不能晚于今天。")
        if channel not in CHANNELS:
            check.problem("channel", "请选择投诉渠道。")
        text = check.text("summary", summary, "投诉内容摘要")
        numbers = check.handovers("handovers", handovers)
        if check.problems:
            raise ValidationFailed(check.problems)
        complaint = ParentComplaint(
            received_on=day, channel=channel, summary=text, handover_numbers=join(numbers),
            recorded_by=actor.id, recorded_at=self.clock(), state=ComplaintState.OPEN)
        self.session.add(complaint)
        self.session.flush()
        self.audit.append(actor=actor.login, action="complaint.record",
                          subject=f"complaint:{complaint.number}",
                          context={"channel": channel, "handovers": numbers})
        return complaint

    def resolve(self, actor: Staff, complaint: ParentComplaint, *, finding: str,
                fault_dept: str = "", fault_staff: str = "") -> ParentComplaint:
        """The finding, and who was at fault: a department, named people, both, or nobody
        (a complaint found groundless)."""
        if not may_resolve_complaint(actor):
            deny(self.audit, actor, "complaint.resolve", f"complaint:{complaint.number}",
                 "家长投诉由管理层或监督小组作出处理结论。")
        check = Checker(self.session)
        text = check.text("finding", finding, "处理结论")
        dept = check.department("fault_dept", fault_dept)
        people = check.staff("fault_staff", fault_staff)
        if check.problems:
            raise ValidationFailed(check.problems)
        now = self.clock()
        move(self.session, complaint, [ComplaintState.OPEN], ComplaintState.RESOLVED,
             "该投诉已处理。", finding=text, resolved_by=actor.id, resolved_at=now)
        faults = [FaultFinding(complaint_id=complaint.id, dept=(dept or _home_dept(p)).value,
                               staff_id=p.id) for p in people]
        if dept is not None and not people:
            faults.append(FaultFinding(complaint_id=complaint.id, dept=dept.value))
        self.session.add_all(faults)
        self.session.flush()
        self.session.refresh(complaint)
        self.audit.append(actor=actor.login, action="complaint.resolve",
                          subject=f"complaint:{complaint.number}",
                          context={"faults": [[f.dept, f.staff_id] for f in faults]})
        return complaint

    def get(self, actor: Staff, number: str) -> ParentComplaint:
        row_id = serial_id(COMPLAINT_PREFIX, number)
        complaint = self.session.get(ParentComplaint, row_id) if row_id else None
        if complaint is None or complaint.number != number.strip().upper() \
                or not may_record_complaint(actor):
            raise NotFound("家长投诉", number if row_id else "")
        return complaint

    def all(self, actor: Staff, state: str | None = None) -> list[ParentComplaint]:
        if not may_record_complaint(actor):
            return []
        query = select(ParentComplaint)
        if state:
            query = query.where(ParentComplaint.state == ComplaintState(state))
        return list(self.session.scalars(query.order_by(ParentComplaint.id.desc()).limit(200)))


def _home_dept(staff: Staff) -> Department:
    """The department a person works in, for counting (SUP and MGT only when nothing else)."""
    codes = staff.department_codes
    return next((d for d in codes if d not in _OVERSIGHT), codes[0] if codes else Department.MGT)
