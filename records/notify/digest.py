"""The daily digest: once a day, each person is told in one message what is overdue or due
soon for them (policy T): obligations they (or their department) owe, their own drafts and
returned handovers, handovers waiting for their countersignature, their archive loans due or
overdue, and their approvals about to expire. Kind, number and deadline only (policy C1)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from records.approvals import AccessApproval, ApprovalStatus
from records.archive import ArchiveLoan, LoanKind
from records.catalogue import get_kind
from records.clock import utcnow
from records.deadlines import SCHOOL_TZ
from records.handovers import Handover, Status
from records.notify.messages import BASE, KINDS, NOUNS, Message, deadline_zh, link_for
from records.notify.model import Channel, Notification
from records.notify.outbox import enqueue
from records.obligation_model import Obligation, ObligationState
from records.staff import Staff

__all__ = ["Digest", "Item"]


@dataclass(frozen=True)
class Item:
    ref_type: str
    ref: str
    what: str
    deadline: datetime

    def line(self, now: datetime) -> str:
        state = "已逾期" if self.deadline < now else "即将到期"
        return (f"· {NOUNS[self.ref_type]} {self.ref}（{self.what}）期限 "
                f"{deadline_zh(self.deadline)}，{state}：{BASE}{link_for(self.ref_type, self.ref)}")


class Digest:
    def __init__(self, session: Session, *, hour: int = 8, soon: timedelta = timedelta(days=1),
                 clock: Callable[[], datetime] = utcnow):
        self.session, self.hour, self.soon, self.clock = session, hour, soon, clock

    def key(self, day: date) -> str:
        return f"digest:{day.isoformat()}"

    def day(self) -> date | None:
        """The school day whose digest is due now; None before the digest hour."""
        local = self.clock().astimezone(SCHOOL_TZ)
        return local.date() if local.hour >= self.hour else None

    def run(self) -> int:
        """Today's digests, from the digest hour on, once a day (a second run, or a second
        worker, adds none); returns how many people were told."""
        now = self.clock()
        day = self.day()
        if day is None:
            return 0
        key = self.key(day)
        done = set(self.session.scalars(select(Notification.recipient_id).where(
            Notification.channel == Channel.INAPP, Notification.dedupe_key.like(f"{key}:%"))))
        told = 0
        for person in self.session.scalars(select(Staff).where(Staff.active.is_(True))
                                           .order_by(Staff.id)):
            items = [] if person.id in done else self.items(person, now)
            if items:
                enqueue(self.session, [person], "digest", "", "", self.message(items, now),
                        deadline=min(i.deadline for i in items), dedupe=key, clock=self.clock)
                told += 1
        return told

    def message(self, items: list[Item], now: datetime) -> Message:
        late = sum(1 for i in items if i.deadline < now)
        tag, opening = KINDS["digest"]
        body = "\n".join([opening, *(i.line(now) for i in items)])
        return Message(subject=f"【{tag}】{late} 项已逾期，{len(items) - late} 项即将到期",
                       body=body, link=link_for("", ""))

    def items(self, person: Staff, now: datetime) -> list[Item]:
        until = now + self.soon
        items = self._obligations(person, until) + self._handovers(person, until) \
            + self._loans(person, until) + self._approvals(person, now, until)
        return sorted(items, key=lambda i: (i.deadline, i.ref))

    def _obligations(self, person: Staff, until: datetime) -> list[Item]:
        depts = [d.value for d in person.department_codes] or [""]
        rows = self.session.scalars(select(Obligation).where(
            Obligation.state == ObligationState.OPEN, Obligation.due_at < until,
            or_(Obligation.owing_staff_id == person.id,
                Obligation.owing_staff_id.is_(None) & Obligation.owing_dept.in_(depts))))
        return [Item("obligation", f"{o.kind}-{o.id}", f"{get_kind(o.kind).name_zh}，应交",
                     o.due_at) for o in rows]

    def _handovers(self, person: Staff, until: datetime) -> list[Item]:
        depts = [d.value for d in person.department_codes] or [""]
        own = and_(Handover.sender_id == person.id,
                   Handover.status.in_([Status.DRAFT, Status.RETURNED]), Handover.due_at < until)
        to_receive = and_(Handover.status == Status.SUBMITTED, Handover.sender_id != person.id,
                          Handover.receive_due_at < until,
                          or_(Handover.receiver_id == person.id,
                              Handover.receiver_id.is_(None)
                              & Handover.receiver_dept.in_(depts)))
        rows = self.session.scalars(select(Handover).where(or_(own, to_receive)))
        return [Item("handover", h.number, f"{get_kind(h.kind).name_zh}，"
                     f"{'待签收' if h.status == Status.SUBMITTED else '待移交'}", h.running_due)
                for h in rows]

    def _loans(self, person: Staff, until: datetime) -> list[Item]:
        last_day = until.astimezone(SCHOOL_TZ).date()
        rows = self.session.scalars(select(ArchiveLoan).where(
            ArchiveLoan.borrower_id == person.id, ArchiveLoan.returned_at.is_(None),
            ArchiveLoan.kind == LoanKind.BORROW, ArchiveLoan.due_on <= last_day))
        return [Item("loan", loan.number, "档案借阅，应归还",
                     datetime.combine(loan.due_on, time(23, 59), SCHOOL_TZ)) for loan in rows]

    def _approvals(self, person: Staff, now: datetime, until: datetime) -> list[Item]:
        rows = self.session.scalars(select(AccessApproval).where(
            AccessApproval.requester_id == person.id,
            AccessApproval.status == ApprovalStatus.GRANTED,
            AccessApproval.granted_until > now, AccessApproval.granted_until < until))
        return [Item("approval", str(a.id), "查看学生信息审批，即将失效", a.granted_until)
                for a in rows]
