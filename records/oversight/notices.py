"""Use cases of rectification notices (整改通知, policy S1): the supervision group (or
management) issues a notice to a department or a person, citing findings; the recipient
answers; the group closes it or reopens it with a note. Every step is compare-and-set on the
state it starts from, writes an event and a ledger entry with ids only, never the text."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from records.clock import utcnow
from records.departments import Department
from records.errors import NotFound, ValidationFailed
from records.notify import notice_changed
from records.oversight.evidence import Checker, join, school_day, serial_id
from records.oversight.notice_model import (
    NOTICE_PREFIX,
    NoticeEvent,
    NoticeState,
    RectificationNotice,
)
from records.oversight.steps import deny, move
from records.staff import Staff
from vault import Ledger

__all__ = ["ISSUERS", "Notices", "is_recipient", "may_issue", "sees_all_notices"]

# policy S1: the supervision group issues rectification notices; management may too.
ISSUERS = (Department.SUP, Department.MGT)
LIST_LIMIT = 200


def may_issue(staff: Staff) -> bool:
    return staff.active and any(staff.belongs_to(d) for d in ISSUERS)


sees_all_notices = may_issue  # those who issue, close and reopen see every notice


def is_recipient(staff: Staff, notice: RectificationNotice) -> bool:
    """The person it is addressed to, or any member of the department (the head is the
    natural one to answer)."""
    if not staff.active:
        return False
    if notice.to_staff_id is not None:
        return notice.to_staff_id == staff.id
    return staff.belongs_to(Department(notice.to_dept))


class Notices:
    def __init__(self, session: Session, *, audit: Ledger,
                 clock: Callable[[], datetime] = utcnow):
        self.session, self.audit, self.clock = session, audit, clock

    def today(self) -> date:
        return school_day(self.clock())

    # -- the group ------------------------------------------------------------------------

    def issue(self, actor: Staff, *, findings: str, reply_by: date | str, to_dept: str = "",
              to_login: str = "", handovers: str = "", obligations: str = ""
              ) -> RectificationNotice:
        """policy S1: a notice to a department (`to_dept`) or a person (`to_login`), citing
        handovers, obligations and/or findings in words, answered by `reply_by`."""
        if not may_issue(actor):
            deny(self.audit, actor, "notice.issue", None, "只有监督小组或管理层可以发出整改通知。")
        check = Checker(self.session)
        dept = check.department("to_dept", to_dept)
        people = check.staff("to_login", to_login)
        if dept is None and not people and not check.problems:
            check.problem("to_dept", "请选择接收部门，或填写接收人的登录名。")
        elif dept is not None and people:
            check.problem("to_login", "整改通知发给一个部门或一个人，请只填其一。")
        elif len(people) > 1:
            check.problem("to_login", "整改通知发给一个人；多人请发给其部门。")
        elif people and people[0].id == actor.id:
            check.problem("to_login", "不能给自己发整改通知。")
        numbers = check.handovers("handovers", handovers)
        owed = check.obligations("obligations", obligations)
        text = check.text("findings", findings, "需要整改的问题")
        day = check.day("reply_by", reply_by, "答复期限")
        if day is not None and day < self.today():
            check.problem("reply_by", "答复期限不能早于今天。")
        if check.problems:
            raise ValidationFailed(check.problems)
        now = self.clock()
        notice = RectificationNotice(
            issued_at=now, issuer_id=actor.id, to_dept=dept.value if dept else None,
            to_staff_id=people[0].id if people else None, handover_numbers=join(numbers),
            obligation_ids=join(owed), findings=text, reply_by=day, state=NoticeState.ISSUED)
        self.session.add(notice)
        self.session.flush()
        self._event(actor, notice, "issue", None, now)
        notice_changed(self.session, notice, "issue")  # in this transaction
        self.audit.append(actor=actor.login, action="notice.issue",
                          subject=f"notice:{notice.number}",
                          context={"to_dept": notice.to_dept, "to_staff": notice.to_staff_id,
                                   "handovers": numbers, "obligations": owed,
                                   "reply_by": day.isoformat()})
        return notice

    def close(self, actor: Staff, notice: RectificationNotice, note: str = ""
              ) -> RectificationNotice:
        """The group accepts the answer (or, before one, withdraws the notice)."""
        self._require_group(actor, notice, "notice.close")
        check = Checker(self.session)
        text = check.text("note", note, "说明", required=False)
        if check.problems:
            raise ValidationFailed(check.problems)
        now = self.clock()
        move(self.session, notice, [NoticeState.ISSUED, NoticeState.ANSWERED,
                                    NoticeState.REOPENED], NoticeState.CLOSED,
             "该整改通知已关闭。", closed_at=now)
        return self._step(actor, notice, "close", text or None, now)

    def reopen(self, actor: Staff, notice: RectificationNotice, note: str
               ) -> RectificationNotice:
        """The answer does not settle it: back to waiting for an answer, with a note."""
        self._require_group(actor, notice, "notice.reopen")
        check = Checker(self.session)
        text = check.text("note", note, "重新整改的理由")
        if check.problems:
            raise ValidationFailed(check.problems)
        now = self.clock()
        move(self.session, notice, [NoticeState.ANSWERED], NoticeState.REOPENED,
             "只有已答复的整改通知可以要求重新整改。")
        return self._step(actor, notice, "reopen", text, now)

    # -- the recipient --------------------------------------------------------------------

    def answer(self, actor: Staff, notice: RectificationNotice, text: str
               ) -> RectificationNotice:
        if not is_recipient(actor, notice) or actor.id == notice.issuer_id:
            deny(self.audit, actor, "notice.answer", f"notice:{notice.number}",
                 "只有整改通知的接收人可以答复。")
        check = Checker(self.session)
        answer = check.text("answer", text, "整改情况")
        if check.problems:
            raise ValidationFailed(check.problems)
        now = self.clock()
        move(self.session, notice, [NoticeState.ISSUED, NoticeState.REOPENED],
             NoticeState.ANSWERED, "该整改通知已答复或已关闭，请刷新后查看。", answered_at=now)
        return self._step(actor, notice, "answer", answer, now)

    # -- reading --------------------------------------------------------------------------

    def get(self, actor: Staff, number: str) -> RectificationNotice:
        """A notice its recipient or the group may see; NotFound for anyone else."""
        row_id = serial_id(NOTICE_PREFIX, number)
        notice = self.session.get(RectificationNotice, row_id) if row_id else None
        if notice is None or notice.number != number.strip().upper() or not (
                sees_all_notices(actor) or is_recipient(actor, notice)):
            raise NotFound("整改通知", number if row_id else "")
        return notice

    def all(self, actor: Staff, state: str | None = None) -> list[RectificationNotice]:
        """The group's list, newest first, optionally of one state."""
        if not sees_all_notices(actor):
            return []
        query = select(RectificationNotice)
        if state:
            query = query.where(RectificationNotice.state == NoticeState(state))
        return list(self.session.scalars(
            query.order_by(RectificationNotice.id.desc()).limit(LIST_LIMIT)))

    def received(self, actor: Staff) -> list[RectificationNotice]:
        """我收到的整改通知: to the person or one of their departments, newest first."""
        depts = [d.value for d in actor.department_codes]
        return list(self.session.scalars(select(RectificationNotice).where(or_(
            RectificationNotice.to_staff_id == actor.id,
            RectificationNotice.to_dept.in_(depts or ["-"])))
            .order_by(RectificationNotice.id.desc()).limit(LIST_LIMIT)))

    def waiting_for(self, actor: Staff) -> list[RectificationNotice]:
        """Received notices that wait for an answer, earliest reply deadline first."""
        return sorted((n for n in self.received(actor)
                       if NoticeState(n.state).waits_for_answer
                       and n.issuer_id != actor.id), key=lambda n: n.reply_by)

    # -- internals ------------------------------------------------------------------------

    def _require_group(self, actor: Staff, notice: RectificationNotice, action: str) -> None:
        if not may_issue(actor):
            deny(self.audit, actor, action, f"notice:{notice.number}",
                 "只有监督小组或管理层可以关闭或重开整改通知。")

    def _event(self, actor: Staff, notice: RectificationNotice, action: str,
               text: str | None, at: datetime) -> None:
        self.session.add(NoticeEvent(notice_id=notice.id, at=at, actor_id=actor.id,
                                     action=action, text=text))
        self.session.flush()

    def _step(self, actor: Staff, notice: RectificationNotice, action: str, text: str | None,
              at: datetime) -> RectificationNotice:
        self._event(actor, notice, action, text, at)
        self.session.refresh(notice)
        notice_changed(self.session, notice, action)  # in this transaction
        self.audit.append(actor=actor.login, action=f"notice.{action}",
                          subject=f"notice:{notice.number}", context={"state": notice.state})
        return notice
