"""Who is told of what, the moment it happens (in the event's own transaction): a handover
to receive, a returned handover, an approval requested or decided, a rectification notice.
What time makes due (overdue, owed soon, expiring, loans) is in records.notify.digest."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from records.catalogue import get_kind
from records.clock import utcnow
from records.deadlines import SCHOOL_TZ
from records.departments import Department
from records.handovers import Handover, Status
from records.notify.messages import compose
from records.notify.model import Channel, Notification
from records.notify.outbox import enqueue
from records.staff import Staff, StaffDepartment
from records.visibility import may_countersign

__all__ = ["approval_changed", "handover_changed", "members_of", "notice_changed"]


def members_of(session: Session, department: Department | str) -> list[Staff]:
    """Active staff of a department."""
    return list(session.scalars(select(Staff).join(StaffDepartment).where(
        StaffDepartment.department == str(department), Staff.active.is_(True))
        .order_by(Staff.id)))


def may_receive(session: Session, handover: Handover) -> list[Staff]:
    """The named receiver, or the receiving department's members who may countersign it
    (never its sender)."""
    if handover.receiver_id is not None:
        return [handover.receiver] if handover.receiver.active else []
    return [s for s in members_of(session, handover.receiver_dept)
            if may_countersign(s, handover) is None]


def handover_changed(session: Session, handover: Handover) -> None:
    """Submitted: the receiver is told; returned: the sender is told. Received (or taken
    back): the notices that asked for it are read, by whoever of the department acted."""
    what = get_kind(handover.kind).name_zh
    if handover.status != Status.SUBMITTED:
        settled(session, "handover.receive", "handover", handover.number)
    if handover.status == Status.SUBMITTED:
        enqueue(session, may_receive(session, handover), "handover.receive", "handover",
                handover.number, compose("handover.receive", "handover", handover.number,
                                         handover.receive_due_at, what),
                deadline=handover.receive_due_at)
    elif handover.status == Status.RETURNED:
        enqueue(session, [handover.sender], "handover.returned", "handover", handover.number,
                compose("handover.returned", "handover", handover.number, handover.due_at,
                        what), deadline=handover.due_at)


def settled(session: Session, kind: str, ref_type: str, ref: str) -> None:
    """In-app notices of `kind` about `ref` that nobody needs to act on any more: read."""
    session.execute(update(Notification).where(
        Notification.kind == kind, Notification.ref_type == ref_type, Notification.ref == ref,
        Notification.channel == Channel.INAPP, Notification.read_at.is_(None))
        .values(read_at=utcnow()).execution_options(synchronize_session=False))


def approval_changed(session: Session, approval, action: str, actor: Staff) -> None:
    """Requested: the management office is told (not the requester); granted, refused or
    revoked by someone else: the requester is told."""
    ref = str(approval.id)
    if action == "approval.request":
        # policy C3: the management office approves (records.approvals.may_approve)
        people = [s for s in members_of(session, Department.MGT)
                  if s.id != approval.requester_id]
        kind, deadline = "approval.requested", None
    elif action in ("approval.grant", "approval.refuse", "approval.revoke") \
            and actor.id != approval.requester_id:
        settled(session, "approval.requested", "approval", ref)
        people = [approval.requester]
        kind = {"approval.grant": "approval.granted", "approval.refuse": "approval.refused",
                "approval.revoke": "approval.revoked"}[action]
        deadline = approval.granted_until if action == "approval.grant" else None
    else:
        return
    enqueue(session, people, kind, "approval", ref,
            compose(kind, "approval", ref, deadline), deadline=deadline)


def notice_changed(session: Session, notice, action: str) -> None:
    """Issued or reopened: the person it is addressed to, or the department's members."""
    if action not in ("issue", "reopen"):
        return
    people = [notice.to_staff] if notice.to_staff_id is not None else \
        members_of(session, notice.to_dept)
    kind = "notice.issued" if action == "issue" else "notice.reopened"
    deadline = datetime.combine(notice.reply_by, time(23, 59), SCHOOL_TZ)
    enqueue(session, [p for p in people if p.id != notice.issuer_id], kind, "notice",
            notice.number, compose(kind, "notice", notice.number, deadline), deadline=deadline)
