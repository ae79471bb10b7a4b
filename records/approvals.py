"""Approvals to view students' private information beyond one's own work (policy C3).

Need-to-know (records.visibility) lets staff see what their own handovers, department and
classes bring them. Anything beyond needs an approval by the responsible school officer: the
requester names the students, the kinds of information (policy C2 categories), the purpose and
the time window; an approver of the management office (never the requester) grants all of it or
less, or refuses. A grant ends by itself at its end time and can be revoked earlier. Every read
made under a grant cites it in the ledger, so a guardian's question "who saw my child's
information, and why" has an answer.

While a request is open nothing is visible. A granted approval becomes a `Grant` attached to the
staff member for the request at hand (`attach_grants`); records.visibility reads only that.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from records.clock import utcnow
from records.db import Base, UTCDateTime
from records.departments import Department
from records.errors import Conflict, FieldProblem, NotFound, PermissionDenied, ValidationFailed
from records.notify import approval_changed
from records.staff import Staff
from records.students import Student
from records.unit_of_work import record_change
from vault import EncryptedText, Ledger, PrivateCategory

__all__ = ["AccessApproval", "ApprovalStatus", "Approvals", "Grant", "MAX_DAYS",
           "may_approve"]

MAX_DAYS = 30  # the longest window a request may ask for; the approver may grant less
MAX_STUDENTS = 50  # one approval is for named students, not for the whole registry
MAX_TEXT = 500


class ApprovalStatus(StrEnum):
    REQUESTED = "requested"
    GRANTED = "granted"
    REFUSED = "refused"
    REVOKED = "revoked"  # by the approver side, or withdrawn by the requester

    @property
    def label_zh(self) -> str:
        return {"requested": "待审批", "granted": "已批准", "refused": "未批准",
                "revoked": "已撤销"}[self.value]


@dataclass(frozen=True)
class Grant:
    """What one granted approval lets its requester see, until when."""

    approval_id: int
    student_ids: frozenset[int]
    categories: frozenset[PrivateCategory]
    until: datetime

    def covers(self, student_ids: Iterable[int], categories: Iterable[PrivateCategory]) -> bool:
        students = set(student_ids)
        return bool(students) and students <= self.student_ids \
            and set(categories) <= self.categories


class AccessApproval(Base):
    __tablename__ = "access_approval"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Compare-and-set (DESIGN "One request, one transaction"): every UPDATE of the row says
    # which version it changes; of two people acting on the same row at once, the second
    # finds it changed (StaleDataError → 409), and nothing of theirs is stored.
    row_version: Mapped[int] = mapped_column(Integer, server_default="1")
    __mapper_args__ = {"version_id_col": row_version}

    requester_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    # The purpose may name a student or a family matter: stored encrypted (policy C2).
    purpose: Mapped[str] = mapped_column(EncryptedText("approval.purpose"))
    requested_categories: Mapped[str] = mapped_column(String(200))
    requested_until: Mapped[datetime] = mapped_column(UTCDateTime())
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), index=True)
    approver_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    granted_categories: Mapped[str | None] = mapped_column(String(200))
    granted_from: Mapped[datetime | None] = mapped_column(UTCDateTime())
    granted_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_note: Mapped[str | None] = mapped_column(EncryptedText("approval.note"))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))

    requester: Mapped[Staff] = relationship(foreign_keys=[requester_id], lazy="joined")
    approver: Mapped[Staff | None] = relationship(foreign_keys=[approver_id], lazy="joined")
    students: Mapped[list[ApprovalStudent]] = relationship(lazy="selectin",
                                                           cascade="all, delete-orphan")

    @property
    def requested_student_ids(self) -> list[int]:
        return [s.student_id for s in self.students]

    @property
    def granted_student_ids(self) -> list[int]:
        return [s.student_id for s in self.students if s.granted]

    def categories(self, granted: bool) -> list[PrivateCategory]:
        raw = self.granted_categories if granted else self.requested_categories
        return [PrivateCategory(c) for c in (raw or "").split(",") if c]

    def is_active(self, now: datetime) -> bool:
        return (self.status == ApprovalStatus.GRANTED and self.granted_until is not None
                and self.granted_from <= now < self.granted_until)

    def status_zh(self, now: datetime) -> str:
        if self.status == ApprovalStatus.GRANTED and self.granted_until <= now:
            return "已到期"
        return ApprovalStatus(self.status).label_zh


class ApprovalStudent(Base):
    """A student named in a request; `granted` marks those the approver allowed."""

    __tablename__ = "access_approval_student"
    __table_args__ = (UniqueConstraint("approval_id", "student_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    approval_id: Mapped[int] = mapped_column(ForeignKey("access_approval.id"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"), index=True)
    granted: Mapped[bool] = mapped_column(default=False)


def may_approve(staff: Staff) -> bool:
    """policy C3: the responsible school officer approves: the management office (校办)."""
    return staff.active and staff.belongs_to(Department.MGT)


def _join(categories: Iterable[PrivateCategory]) -> str:
    return ",".join(sorted({PrivateCategory(c).value for c in categories}))


class Approvals:
    """Request, decide, revoke; and the grants in force for one staff member."""

    def __init__(self, session: Session, *, audit: Ledger, clock=utcnow):
        self.session, self.audit, self.clock = session, audit, clock

    # -- the requester --------------------------------------------------------------------

    def request(self, requester: Staff, student_numbers: Iterable[str],
                categories: Iterable[str], purpose: str, days: int) -> AccessApproval:
        """A request for the named students (by 学号), the categories and `days` from now."""
        problems: list[FieldProblem] = []
        students = self._students(student_numbers, problems)
        wanted = self._categories(categories, problems)
        purpose = (purpose or "").strip()
        if not purpose:
            problems.append(FieldProblem("purpose", "请写明查看的用途（制度 C3）。"))
        elif len(purpose) > MAX_TEXT:
            problems.append(FieldProblem("purpose", f"用途不能超过 {MAX_TEXT} 字。"))
        if not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
            problems.append(FieldProblem("days", f"期限应为 1 到 {MAX_DAYS} 天。"))
        if problems:
            raise ValidationFailed(problems)
        now = self.clock()
        approval = AccessApproval(
            requester_id=requester.id, purpose=purpose, requested_categories=_join(wanted),
            requested_until=now + timedelta(days=days), requested_at=now,
            status=ApprovalStatus.REQUESTED,
            students=[ApprovalStudent(student_id=s.id) for s in students])
        self.session.add(approval)
        self.session.flush()
        self._record(requester, "approval.request", approval,
                     {"students": [s.id for s in students], "categories": _join(wanted),
                      "days": days})
        return approval

    # -- the approver ---------------------------------------------------------------------

    def grant(self, approver: Staff, approval: AccessApproval, *,
              student_ids: Iterable[int] | None = None,
              categories: Iterable[str] | None = None,
              until: datetime | None = None, note: str = "") -> AccessApproval:
        """Grant all that was asked, or less: a subset of the students and categories, an
        earlier end (a later one is cut to the requested end). Never more, and never one's own
        request."""
        self._check_decider(approver, approval)
        problems: list[FieldProblem] = []
        asked = set(approval.requested_student_ids)
        chosen = asked if student_ids is None else set(student_ids)
        if not chosen or not chosen <= asked:
            problems.append(FieldProblem("students", "请从申请的学生中选择要批准的学生。"))
        cats = set(approval.categories(granted=False)) if categories is None else \
            set(self._categories(categories, problems))
        if cats - set(approval.categories(granted=False)):
            problems.append(FieldProblem("categories", "批准的信息类别不能超出申请范围。"))
        now = self.clock()
        # never longer than asked: a later end is cut to the requested one
        end = approval.requested_until if until is None else min(until,
                                                                  approval.requested_until)
        if end <= now:
            problems.append(FieldProblem("until", "批准的截止时间须晚于现在。"))
        if problems:
            raise ValidationFailed(problems)
        for link in approval.students:
            link.granted = link.student_id in chosen
        approval.status, approval.approver_id, approval.decided_at = (
            ApprovalStatus.GRANTED, approver.id, now)
        approval.granted_categories, approval.granted_from, approval.granted_until = (
            _join(cats), now, end)
        approval.decision_note = note.strip()[:MAX_TEXT] or None
        self._record(approver, "approval.grant", approval,
                     {"students": sorted(chosen), "categories": _join(cats),
                      "until": end.isoformat()})
        return approval

    def refuse(self, approver: Staff, approval: AccessApproval, note: str) -> AccessApproval:
        self._check_decider(approver, approval)
        note = (note or "").strip()
        if not note:
            raise ValidationFailed([FieldProblem("note", "请写明不批准的理由。")])
        approval.status, approval.approver_id, approval.decided_at = (
            ApprovalStatus.REFUSED, approver.id, self.clock())
        approval.decision_note = note[:MAX_TEXT]
        self._record(approver, "approval.refuse", approval, {})
        return approval

    def revoke(self, actor: Staff, approval: AccessApproval, note: str = "") -> AccessApproval:
        """End an approval early: the management office, or the requester withdrawing their own
        request or grant."""
        if not (may_approve(actor) or actor.id == approval.requester_id):
            raise PermissionDenied(actor.login, "approval.revoke")
        if approval.status not in (ApprovalStatus.REQUESTED, ApprovalStatus.GRANTED) or (
                approval.status == ApprovalStatus.GRANTED
                and approval.granted_until <= self.clock()):
            raise Conflict("该审批已结束，无需撤销。")
        approval.status, approval.ended_at, approval.ended_by = (
            ApprovalStatus.REVOKED, self.clock(), actor.id)
        if note.strip():
            approval.decision_note = note.strip()[:MAX_TEXT]
        self._record(actor, "approval.revoke", approval, {})
        return approval

    # -- reading ----------------------------------------------------------------------------

    def get(self, actor: Staff, approval_id: int) -> AccessApproval:
        """An approval its requester or the management office may see; others get NotFound."""
        approval = self.session.get(AccessApproval, approval_id)
        if approval is None or not (actor.id == approval.requester_id or may_approve(actor)):
            raise NotFound("审批", str(approval_id))
        return approval

    def mine(self, staff: Staff) -> list[AccessApproval]:
        return list(self.session.scalars(select(AccessApproval).where(
            AccessApproval.requester_id == staff.id).order_by(AccessApproval.id.desc())))

    def to_decide(self, approver: Staff) -> list[AccessApproval]:
        """Open requests of others, oldest first (empty for anyone who may not approve)."""
        if not may_approve(approver):
            return []
        return list(self.session.scalars(select(AccessApproval).where(
            AccessApproval.status == ApprovalStatus.REQUESTED,
            AccessApproval.requester_id != approver.id).order_by(AccessApproval.id)))

    def decided(self, approver: Staff, limit: int = 50) -> list[AccessApproval]:
        if not may_approve(approver):
            return []
        return list(self.session.scalars(select(AccessApproval).where(
            AccessApproval.status != ApprovalStatus.REQUESTED)
            .order_by(AccessApproval.id.desc()).limit(limit)))

    def grants_of(self, staff: Staff) -> tuple[Grant, ...]:
        now = self.clock()
        rows = self.session.scalars(select(AccessApproval).where(
            AccessApproval.requester_id == staff.id,
            AccessApproval.status == ApprovalStatus.GRANTED,
            AccessApproval.granted_until > now))
        return tuple(Grant(a.id, frozenset(a.granted_student_ids),
                           frozenset(a.categories(granted=True)), a.granted_until)
                     for a in rows if a.is_active(now))

    def attach_grants(self, staff: Staff) -> Staff:
        """Give `staff` the grants in force now, for records.visibility to read (policy C3)."""
        staff.approval_grants = self.grants_of(staff)
        return staff

    # -- internals --------------------------------------------------------------------------

    def _check_decider(self, approver: Staff, approval: AccessApproval) -> None:
        if not may_approve(approver):
            raise PermissionDenied(approver.login, "approval.decide",
                                   "只有学校办公室（管理部门）可以审批查看学生信息的申请。")
        if approver.id == approval.requester_id:
            raise PermissionDenied(approver.login, "approval.decide", "不能审批自己的申请。")
        if approval.status != ApprovalStatus.REQUESTED:
            raise Conflict("该申请已处理。")

    def _students(self, numbers: Iterable[str], problems: list[FieldProblem]) -> list[Student]:
        wanted = list(dict.fromkeys(n.strip().upper() for n in numbers if n and n.strip()))
        if not wanted:
            problems.append(FieldProblem("students", "请填写要查看的学生学号。"))
            return []
        if len(wanted) > MAX_STUDENTS:
            problems.append(FieldProblem(
                "students", f"一次最多申请 {MAX_STUDENTS} 名学生，请写明具体学生。"))
            return []
        found = {s.student_no: s for s in self.session.scalars(
            select(Student).where(Student.student_no.in_(wanted)))}
        missing = [n for n in wanted if n not in found]
        if missing:  # 学号 are not private (policy C2): naming the unknown ones is safe
            problems.append(FieldProblem("students", f"学号不存在：{'、'.join(missing)}"))
        return [found[n] for n in wanted if n in found]

    @staticmethod
    def _categories(raw: Iterable[str], problems: list[FieldProblem]) -> list[PrivateCategory]:
        out = []
        for value in raw:
            try:
                out.append(PrivateCategory(value))
            except ValueError:
                problems.append(FieldProblem("categories", "未知的信息类别。"))
                return []
        if not out:
            problems.append(FieldProblem("categories", "请至少选择一类信息。"))
        return out

    def _record(self, actor: Staff, action: str, approval: AccessApproval, context: dict):
        """The decision is compare-and-set on the approval's row version (flushed here: a
        second decision at the same moment fails now, with StaleDataError); its ledger entry
        follows the commit."""
        self.session.flush()
        approval_changed(self.session, approval, action, actor)  # in this transaction
        record_change(self.session, self.audit, actor=actor.login, action=action,
                      subject=f"approval:{approval.id}", context=context)
