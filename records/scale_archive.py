"""The archive office's and the management office's year for records.scale_demo: every
countersigned learning archive (F8) registered as the archive office's countersignature does
it (records.archive_register), most of them shelved since; loans and consults of some of them
(records.archive_loans; the borrower's signed slip shared from one real loan); and access
approvals (records.approvals) requested, granted, refused and revoked."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from records.approvals import AccessApproval, ApprovalStatus, ApprovalStudent
from records.archive import (
    PURPOSES,
    RETURN_CONDITIONS,
    ArchiveChange,
    ArchiveFile,
    ArchiveFileStudent,
    ArchiveLoan,
    LoanKind,
    Retention,
    Security,
)
from records.archive_register import UNSHELVED
from records.archive_rules import DEFAULT_TERMS, LoanTerms, loan_due_on, review_on
from records.counters import yearly_numbers
from records.deadlines import WorkingCalendar
from records.scale_plan import Person, Plan, Pupil
from vault import PrivateCategory

__all__ = ["archive_and_approvals"]

APPROVAL_PURPOSES = ("安排校车接送，核对接送地址", "核实退费申请的缴费记录",
                     "家长投诉处理，需核对沟通记录", "学籍核对", "安排体检，需了解健康情况",
                     "评优评先，需查看成绩")
HOUR = timedelta(hours=1)


def archive_and_approvals(session: Session, plans: Sequence[Plan], pupils: Sequence[Pupil],
                          staff: dict[str, list[Person]], rng: random.Random, now: datetime,
                          calendar: WorkingCalendar, *, documents: dict[int, list],
                          slip: str | None, terms: LoanTerms = DEFAULT_TERMS
                          ) -> tuple[int, int, int]:
    """Write them (not committed); returns (files, loans, approvals)."""
    received = sorted((p for p in plans if p.kind == "F8" and p.status == "completed"),
                      key=lambda p: p.completed_at)
    numbers = yearly_numbers(session, ArchiveFile.number, "DA-", 4,
                             [p.completed_at for p in received])
    today = now.astimezone(calendar.zone).date()
    files = []
    for plan, number in zip(received, numbers, strict=True):
        filed_on = plan.day
        security = rng.choices(list(Security), (95, 4, 1))[0]
        file = ArchiveFile(
            number=number, handover_id=plan.id,
            title=f"学习档案 · {plan.klass.name} · {filed_on.isoformat()}",
            materials_json=json.dumps(documents.get(id(plan), []), ensure_ascii=False),
            filed_on=filed_on, retention=terms.default_retention.value,
            review_on=review_on(filed_on, Retention(terms.default_retention)),
            security=security.value, location=UNSHELVED, registered_by=plan.receiver.id,
            registered_at=plan.completed_at,
            students=[ArchiveFileStudent(student_id=plan.student.id)])
        shelved = plan.completed_at + HOUR * rng.uniform(4, 240)
        if shelved <= now:
            shelf = f"{rng.choice('ABCD')} 柜 {rng.randint(1, 12):02d} 层 {rng.randint(1, 8)} 格"
            file.location = shelf
            file.changes = [ArchiveChange(field="location", old_value=UNSHELVED, new_value=shelf,
                                          reason="上架", actor_id=plan.receiver.id, at=shelved)]
        files.append(file)
    session.add_all(files)
    session.flush()
    loans = _loans(session, files, staff, rng, now, today, calendar, terms, slip)
    approvals = _approvals(session, pupils, staff, rng, now)
    return len(files), loans, approvals


def _loans(session, files, staff, rng, now, today, calendar, terms, slip) -> int:
    """One file in six lent or consulted once or twice; loans of the last days still out,
    and one in thirty older ones overdue."""
    everyone = [p for dept in ("TEA", "ACA", "ENR", "FIN", "MGT", "SUP") for p in staff[dept]]
    approvers = staff["ARC"] + staff["MGT"]
    wanted = []
    for file in files:
        if rng.random() < 1 / 6:
            for _ in range(rng.choice((1, 1, 2))):
                out = file.registered_at + HOUR * rng.uniform(24, 24 * 200)
                if out < now:
                    wanted.append((out, file))
    wanted.sort(key=lambda pair: pair[0])
    numbers = yearly_numbers(session, ArchiveLoan.number, "JY-", 4, [out for out, _ in wanted])
    rows, open_for = [], set()
    for (out, file), number in zip(wanted, numbers, strict=True):
        borrower = rng.choice(everyone)
        kind = rng.choices(list(LoanKind), (60, 25, 15))[0]
        if kind is LoanKind.BORROW and file.security != Security.NORMAL:
            kind = LoanKind.ON_SITE
        out_day = out.astimezone(calendar.zone).date()
        due = loan_due_on(calendar, out_day, terms.loan_days) if kind is LoanKind.BORROW \
            else out_day
        back = out + HOUR * rng.uniform(1, 3)
        if kind is LoanKind.BORROW:
            late = rng.random() < 1 / 30 and borrower.id not in open_for
            back = None if late or out_day > today - timedelta(days=3) else \
                out + timedelta(days=rng.uniform(1, terms.loan_days + 2))
            if back is not None and back > now:
                back = None
            if back is None:
                open_for.add(borrower.id)
        archivist = rng.choice(staff["ARC"])
        rows.append(ArchiveLoan(
            number=number,
            file_id=file.id, kind=kind.value, borrower_id=borrower.id,
            borrower_dept=borrower.dept, purpose=rng.choice(PURPOSES),
            purpose_note=rng.choice((None, "核对学习档案中的成绩报告单")),
            approver_id=rng.choice([a for a in approvers if a.id != borrower.id]).id,
            copy_allowed=False, out_at=out, due_on=due, confirmed_at=out,
            returned_at=back, received_by=archivist.id if back else None,
            return_condition=RETURN_CONDITIONS[0] if back else None,
            slip_object_id=slip, registered_by=archivist.id))
    session.add_all(rows)
    session.flush()
    return len(rows)


def _approvals(session, pupils, staff, rng, now) -> int:
    """Requests for named students' information (policy C3), decided by the management
    office: most granted (a few still in force), some refused or revoked, the last still
    waiting."""
    requesters = staff["LOG"] + staff["TEA"] + staff["FIN"] + staff["ENR"]
    deciders = staff["MGT"]
    count = max(3, len(pupils) // 250)
    categories = list(PrivateCategory)
    rows = []
    for i in range(count):
        asked_at = now - HOUR * rng.uniform(1, 24 * 365) if i else now - HOUR * 2
        requester = rng.choice(requesters)
        asked = rng.sample(categories, rng.randint(1, 3))
        days = rng.randint(3, 30)
        chosen = rng.sample(pupils, min(len(pupils), rng.randint(1, 5)))
        approval = AccessApproval(
            requester_id=requester.id, purpose=rng.choice(APPROVAL_PURPOSES),
            requested_categories=",".join(sorted(c.value for c in asked)),
            requested_until=asked_at + timedelta(days=days), requested_at=asked_at,
            status=ApprovalStatus.REQUESTED,
            students=[ApprovalStudent(student_id=p.id) for p in chosen])
        decided = asked_at + HOUR * rng.uniform(1, 48)
        if decided < now:
            approver = rng.choice([d for d in deciders if d.id != requester.id] or deciders)
            approval.approver_id, approval.decided_at = approver.id, decided
            fate = rng.choices(("granted", "refused", "revoked"), (75, 15, 10))[0]
            if fate == "refused":
                approval.status, approval.decision_note = ApprovalStatus.REFUSED, "用途不明确"
            else:
                granted = asked[:max(1, len(asked) - rng.randint(0, 1))]
                approval.status = ApprovalStatus.GRANTED
                approval.granted_categories = ",".join(sorted(c.value for c in granted))
                approval.granted_from = decided
                approval.granted_until = min(approval.requested_until,
                                             decided + timedelta(days=rng.randint(1, days)))
                for link in approval.students:
                    link.granted = True
                if fate == "revoked" and decided + HOUR < now:
                    approval.status, approval.ended_by = ApprovalStatus.REVOKED, approver.id
                    approval.ended_at = min(now, decided + HOUR * rng.uniform(1, 72))
        rows.append(approval)
    session.add_all(rows)
    session.flush()
    return len(rows)
