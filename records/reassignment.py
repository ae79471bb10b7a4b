"""When staff change (they leave, move or are away for long): the work they hold moves to a
named colleague, by the administrator or the head of the department concerned, and every move
is recorded (policy G3: every step has a named person; G1: the work does not stop).

- `open_work(session, staff)`: what a person still holds.
- `transfer`: their unsigned draft, or a handover returned to them for correction, goes to a
  colleague of its sending department, who edits, signs and submits it as their own.
- `withdraw`: such a draft is withdrawn instead, with a reason; what it answered is owed again.
- `reassign`: a submitted handover addressed to them goes to another member of the receiving
  department, who countersigns it. Signed forms stay exactly as they are (the form still names
  the receiver it was addressed to); the event and the ledger record who moved it and why.
- `offboard`: all of a leaving person's open work at once, to colleagues named per department.

Every move is compare-and-set on the handover's row version, also on the version the operator
saw when they chose (`seen_version`): of two people moving one handover at once, the second is
told who acted first and nothing of theirs is kept (409)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from records.classes import SchoolClass
from records.departments import Department
from records.errors import Conflict, FieldProblem, PermissionDenied, ValidationFailed
from records.handovers import Handover, HandoverEvent, Status
from records.obligation_model import Obligation, ObligationState
from records.staff import Staff
from records.text_rules import bad_characters
from records.unit_of_work import record_change
from records.workflow import MAX_REASON, Workflow, exactly_once

__all__ = ["REASONS", "OpenWork", "Reassignment", "managed_departments", "may_manage",
           "open_work", "reason_label", "to_move_counts"]

REASONS = {"left": "离职", "moved": "调岗", "absent": "长期休假或病假", "workload": "工作调配"}
"""Why work moves: the code is chosen, the label goes to the ledger (a fixed text, never a
private value); a free note, if any, is kept encrypted in the handover's event only."""

EVENTS = {"transfer": "transferred", "withdraw": "withdrawn", "reassign": "reassigned"}
"""The handover event each move writes."""

WITH_SENDER = (Status.DRAFT, Status.RETURNED)
"""Statuses in which a handover waits for its sender (to sign, or to correct)."""


@dataclass(frozen=True)
class OpenWork:
    """What a person still holds; each list ordered by number (or name)."""

    with_them: tuple[Handover, ...]
    """Drafts and returned handovers they send: theirs to sign or correct."""
    addressed: tuple[Handover, ...]
    """Submitted handovers addressed to them by name, waiting for their countersignature."""
    waiting: tuple[Handover, ...]
    """Handovers they sent that wait for the receiver (nothing to move: the receiver acts)."""
    classes: tuple[SchoolClass, ...]
    """Active classes they teach or are head teacher of."""
    obligations: int
    """Open obligations owed by them personally."""

    @property
    def to_move(self) -> tuple[Handover, ...]:
        return self.with_them + self.addressed

    @property
    def empty(self) -> bool:
        return not (self.to_move or self.waiting or self.classes or self.obligations)

    def lines_zh(self) -> list[str]:
        """One line per kind of open work, numbers and class names only (no student data)."""
        listed = (("待其签名或修改的交接单 {} 份：", [h.number for h in self.with_them]),
                  ("指定由其签收的交接单 {} 份：", [h.number for h in self.addressed]),
                  ("其已提交、等待对方签收的交接单 {} 份（无需转交）：",
                   [h.number for h in self.waiting]),
                  ("任教或担任班主任的班级 {} 个：", [c.name for c in self.classes]))
        lines = [head.format(len(items)) + "、".join(items) for head, items in listed if items]
        if self.obligations:
            lines.append(f"由其本人负责的待交事项 {self.obligations} 项")
        return lines


def open_work(session: Session, staff: Staff) -> OpenWork:
    def handovers(*where) -> tuple[Handover, ...]:
        return tuple(session.scalars(select(Handover).where(*where).order_by(Handover.number)))

    return OpenWork(
        with_them=handovers(Handover.sender_id == staff.id, Handover.status.in_(WITH_SENDER)),
        addressed=handovers(Handover.receiver_id == staff.id,
                            Handover.status == Status.SUBMITTED),
        waiting=handovers(Handover.sender_id == staff.id, Handover.status == Status.SUBMITTED),
        classes=tuple(session.scalars(select(SchoolClass).where(
            SchoolClass.active.is_(True),
            or_(SchoolClass.teacher_id == staff.id, SchoolClass.head_teacher_id == staff.id))
            .order_by(SchoolClass.name))),
        obligations=len(session.scalars(select(Obligation.id).where(
            Obligation.owing_staff_id == staff.id,
            Obligation.state == ObligationState.OPEN)).all()))


def to_move_counts(session: Session, staff_ids: Sequence[int]) -> dict[int, int]:
    """Per person among `staff_ids`: how many handovers wait for them to move (drafts and
    returned ones they send, submitted ones addressed to them), in two grouped queries."""
    counts: dict[int, int] = {}
    for who, where in ((Handover.sender_id, Handover.status.in_(WITH_SENDER)),
                       (Handover.receiver_id, Handover.status == Status.SUBMITTED)):
        for staff_id, n in session.execute(select(who, func.count()).where(
                where, who.in_(staff_ids)).group_by(who)):
            counts[staff_id] = counts.get(staff_id, 0) + n
    return counts


def managed_departments(actor: Staff) -> list[Department]:
    """The departments whose work `actor` may move (every one for the administrator)."""
    if not actor.active:
        return []
    return list(Department) if actor.is_admin else actor.headed


def may_manage(actor: Staff, department: Department) -> bool:
    """Whether `actor` may move work of `department`: the administrator, or its head."""
    return department in managed_departments(actor)


class Reassignment:
    """Moves of open work, on top of the handover workflow (its session, ledger, clock,
    obligations and change hooks)."""

    def __init__(self, workflow: Workflow):
        self.workflow = workflow
        self.session, self.audit = workflow.session, workflow.audit

    # -- one handover -------------------------------------------------------------------------

    @exactly_once
    def transfer(self, actor: Staff, handover: Handover, to: Staff, reason: str, *,
                 note: str = "", seen_version: int | None = None) -> Handover:
        """A draft or returned handover of its sender goes to `to`, a colleague of the sending
        department. Nothing of it has been signed in its current version, so it becomes their
        working copy; earlier signed versions stay as they are."""
        dept, label = self._check(actor, handover, "transfer", Department(handover.sender_dept),
                                  seen_version, reason, note)
        if handover.status not in WITH_SENDER:
            raise _wrong_status(handover, "只有草稿或被退回的交接单可以转交。")
        self._colleague(to, dept, exclude=handover.sender)
        before = handover.sender
        handover.sender = to
        self._record(actor, handover, "transfer", label, note, before, to)
        return handover

    @exactly_once
    def withdraw(self, actor: Staff, handover: Handover, reason: str, *, note: str = "",
                 seen_version: int | None = None) -> Handover:
        """A draft or returned handover withdrawn on its sender's behalf (they have left):
        what it answered is owed again, by the department."""
        _, label = self._check(actor, handover, "withdraw", Department(handover.sender_dept),
                               seen_version, reason, note)
        if handover.status not in WITH_SENDER:
            raise _wrong_status(handover, "只有草稿或被退回的交接单可以代为撤回。")
        self.workflow.obligations.reopen(handover)
        handover.status = handover.current.status = Status.WITHDRAWN
        self._record(actor, handover, "withdraw", label, note, handover.sender, None)
        return handover

    @exactly_once
    def reassign(self, actor: Staff, handover: Handover, to: Staff, reason: str, *,
                 note: str = "", seen_version: int | None = None) -> Handover:
        """A submitted handover goes to `to`, another member of the receiving department, who
        countersigns it; the sender's signed form is not touched."""
        dept, label = self._check(actor, handover, "reassign",
                                  Department(handover.receiver_dept), seen_version, reason, note)
        if handover.status != Status.SUBMITTED:
            raise _wrong_status(handover, "只有待接收的交接单可以改派接收人。")
        self._colleague(to, dept, exclude=handover.receiver)
        if to.id == handover.sender_id:
            raise ValidationFailed([FieldProblem("to", "不能改派给移交人本人签收。")])
        before = handover.receiver
        handover.receiver = to
        self._record(actor, handover, "reassign", label, note, before, to)
        return handover

    # -- a leaving person ---------------------------------------------------------------------

    def offboard(self, actor: Staff, leaving: Staff, colleagues: Sequence[Staff], reason: str,
                 *, withdraw_drafts: bool = False) -> OpenWork:
        """Move all of `leaving`'s open work: each handover to the first of `colleagues` who
        belongs to the department it needs (drafts withdrawn instead, if asked), and the
        obligations they owe personally to the department's colleague likewise. Checked as a
        whole first: nothing moves unless everything can. Returns what was open before."""
        reason_label(reason)
        work = open_work(self.session, leaving)
        needs = [(h, Department(h.receiver_dept if h in work.addressed else h.sender_dept))
                 for h in work.to_move if h in work.addressed or not withdraw_drafts]
        missing = sorted({d for _, d in needs if self._first(colleagues, d) is None})
        if missing:
            raise ValidationFailed([FieldProblem("to", "请指定以下部门中接手工作的同事："
                                                 + "、".join(d.label_zh for d in missing))])
        for handover in work.with_them:
            if withdraw_drafts:
                self.withdraw(actor, handover, reason)
        for handover, dept in needs:
            move = self.reassign if handover in work.addressed else self.transfer
            move(actor, handover, self._first(colleagues, dept), reason)
        self._move_obligations(actor, leaving, colleagues)
        return work

    def _move_obligations(self, actor: Staff, leaving: Staff,
                          colleagues: Sequence[Staff]) -> None:
        """Obligations owed by `leaving` personally go to the colleague of their department,
        or to the whole department when none was named (compare-and-set on state and owner)."""
        owed = self.session.execute(select(Obligation.id, Obligation.owing_dept).where(
            Obligation.owing_staff_id == leaving.id,
            Obligation.state == ObligationState.OPEN)).all()
        for ob_id, dept in owed:
            to = self._first(colleagues, Department(dept))
            moved = self.session.execute(update(Obligation).where(
                Obligation.id == ob_id, Obligation.owing_staff_id == leaving.id,
                Obligation.state == ObligationState.OPEN).values(
                owing_staff_id=to.id if to else None)).rowcount
            if moved != 1:
                raise Conflict("应交事项刚刚被其他人处理，您的操作没有保存。请重新执行。")
            record_change(self.session, self.audit, actor=actor.login,
                          action="obligation.transfer", subject=f"obligation:{ob_id}",
                          context={"from": leaving.id, "to": to.id if to else None})

    # -- internals ----------------------------------------------------------------------------

    @staticmethod
    def _first(colleagues: Sequence[Staff], dept: Department) -> Staff | None:
        return next((c for c in colleagues if c.active and c.belongs_to(dept)), None)

    def _check(self, actor: Staff, handover: Handover, action: str, dept: Department,
               seen_version: int | None, reason: str, note: str) -> tuple[Department, str]:
        """The department whose work it is and the reason's label, once the operator saw the
        handover as it is, may act on it, and gave a valid reason."""
        if seen_version is not None and seen_version != handover.row_version:
            raise self.workflow._acted_first(handover.number)
        if not may_manage(actor, dept):
            self.audit.append(actor=actor.login, action=f"handover.{action}",
                              subject=f"handover:{handover.number}", outcome="denied")
            raise PermissionDenied(actor.login, action,
                                   f"只有管理员或{dept.label_zh}负责人可以转交或改派此交接单。")
        return dept, reason_label(reason, note)

    @staticmethod
    def _colleague(to: Staff, dept: Department, *, exclude: Staff | None) -> None:
        if not to.active:
            raise ValidationFailed([FieldProblem("to", f"{to.display_name}的账号已停用。")])
        if not to.belongs_to(dept):
            raise ValidationFailed([FieldProblem(
                "to", f"{to.display_name}不属于{dept.label_zh}，只能交给本部门的同事。")])
        if exclude is not None and to.id == exclude.id:
            raise ValidationFailed([FieldProblem("to", "请选择另一位同事。")])

    def _record(self, actor: Staff, handover: Handover, action: str, label: str, note: str,
                before: Staff | None, after: Staff | None) -> None:
        """The event (its note, encrypted, may name people and say more) and, once committed,
        the ledger entry: ids and the reason's fixed label only. The flush is the
        compare-and-set on the row version."""
        moved = f"{before.display_name if before else '部门'}" + (
            f" → {after.display_name}" if after else "")
        text = f"{label}：{moved}" + (f"。{note.strip()}" if note.strip() else "")
        handover.events.append(HandoverEvent(
            version=handover.current_version, action=EVENTS[action], actor_id=actor.id,
            at=self.workflow.clock(), note=text))
        self.session.flush()
        record_change(self.session, self.audit, actor=actor.login,
                      action=f"handover.{action}",
                      subject=f"handover:{handover.number}", reason=label,
                      context={"from": before.id if before else None,
                               "to": after.id if after else None})
        for hook in self.workflow.on_change:
            hook(handover)

    def _raced(self, number: str) -> Conflict:
        return self.workflow._raced(number)


def _wrong_status(handover: Handover, allowed_zh: str) -> Conflict:
    return Conflict(f"交接单 {handover.number} 状态为「{Status(handover.status).label_zh}」，"
                    + allowed_zh)


def reason_label(reason: str, note: str = "") -> str:
    """The fixed label of reason code `reason`, once it and the free `note` are valid."""
    problems = []
    if reason not in REASONS:
        problems.append(FieldProblem("reason", "请选择原因：" + "、".join(
            f"{code}（{label}）" for code, label in REASONS.items())))
    if len(note) > MAX_REASON:
        problems.append(FieldProblem("note", f"说明不能超过 {MAX_REASON} 字。"))
    elif bad_characters(note, multiline=True):
        problems.append(FieldProblem("note", bad_characters(note, multiline=True)))
    if problems:
        raise ValidationFailed(problems)
    return REASONS[reason]
