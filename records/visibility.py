"""The need-to-know rule: one function answers every "may X see Y" question about handovers.
Pages, exports, the CLI and search all ask it (policy C1, C3).

- CONTENT (the form, its values, its PDF): the sender, the named receiver, and staff of the
  receiving department. Drafts: the sender only.
- METADATA (number, kind, status, departments, deadlines; no content): the supervision group
  (policy S1: it watches deadlines and quality) and administrators, who run the system.
- NONE: everyone else, who must not learn even that the handover exists.

- Approvals under policy C3 (records.approvals: named students, categories, purpose, a time
  window) widen CONTENT: a handover whose students are all among a grant's students, and whose
  form's private categories are all among its categories, may be read under that grant; a
  granted student's record shows the granted categories only. They enter here and nowhere
  else.

The rule also exists as SQL (`visible_handovers`, `countersignable`, `visible_students`), so
that lists filter, sort and page in the database; tests check that both forms agree."""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum

from sqlalchemy import ColumnElement, Select, false, or_, select
from sqlalchemy.orm import Session, lazyload, selectinload

from records.catalogue import KINDS
from records.classes import ClassMember, SchoolClass
from records.departments import Department
from records.handovers import Handover, HandoverStudent, Status
from records.staff import Staff
from records.students import Student
from vault import PrivateCategory

__all__ = ["REGISTRY_DEPARTMENTS", "Access", "access_to", "granted_categories",
           "countersignable", "granted_handover_ids", "granting_approval", "may_countersign",
           "reading_approval", "sees_all_metadata", "sees_whole_registry", "visible_handovers",
           "visible_among", "visible_student_ids", "visible_students"]


class Access(IntEnum):
    NONE = 0
    METADATA = 1
    CONTENT = 2


def access_to(staff: Staff, handover: Handover) -> Access:
    own = _own_access(staff, handover)
    if own < Access.CONTENT and granting_approval(staff, handover) is not None:  # policy C3
        return Access.CONTENT
    return own


def reading_approval(staff: Staff, handover: Handover) -> int | None:
    """The approval to cite in the ledger for a read of `handover`'s content (policy C3);
    None when the reader's own work gives them the content."""
    if _own_access(staff, handover) == Access.CONTENT:
        return None
    return granting_approval(staff, handover)


def _own_access(staff: Staff, handover: Handover) -> Access:
    if not staff.active:
        return Access.NONE
    if handover.sender_id == staff.id:
        return Access.CONTENT
    if handover.status == Status.DRAFT:
        return Access.NONE
    if handover.receiver_id == staff.id or staff.belongs_to(Department(handover.receiver_dept)):
        return Access.CONTENT
    if sees_all_metadata(staff):
        return Access.METADATA
    return Access.NONE


def granting_approval(staff: Staff, handover: Handover) -> int | None:
    """The id of an approval in force under which `staff` may read `handover` (policy C3), to
    be cited with every read made under it; None when there is none."""
    if handover.status == Status.DRAFT or not staff.approval_grants:
        return None
    needed = KINDS[handover.kind].private_categories
    for grant in staff.approval_grants:
        if grant.covers(handover.student_ids, needed):
            return grant.approval_id
    return None


def granted_categories(staff: Staff, student_id: int) -> frozenset[PrivateCategory]:
    """The categories of a student's record that `staff`'s approvals in force show (C3)."""
    return frozenset(c for g in staff.approval_grants if student_id in g.student_ids
                     for c in g.categories)


def sees_all_metadata(staff: Staff) -> bool:
    """The supervision group (policy S1) and administrators see every handover's number,
    kind, status and deadlines, never its content."""
    return staff.is_admin or staff.belongs_to(Department.SUP)


def may_countersign(staff: Staff, handover: Handover) -> str | None:
    """None if `staff` may countersign `handover` now; otherwise why not, in Chinese."""
    if handover.status != Status.SUBMITTED:
        return "只有待接收的交接单可以签收。"
    if handover.sender_id == staff.id:
        return "不能签收自己移交的交接单。"
    if handover.receiver_id is not None and handover.receiver_id != staff.id:
        return "此交接单指定了其他接收人。"
    if handover.receiver_id is None and not staff.belongs_to(Department(handover.receiver_dept)):
        return f"只有{Department(handover.receiver_dept).label_zh}的工作人员可以签收此交接单。"
    return None


# Departments that register students and enter their information (policy R-ENR; policy R-ACA
# double-checks and enters received information): they work with the whole registry. Everyone
# else sees a student through a handover they may read in full, or a class they teach.
REGISTRY_DEPARTMENTS = (Department.ENR, Department.ACA)


def sees_whole_registry(staff: Staff) -> bool:
    return staff.active and any(staff.belongs_to(d) for d in REGISTRY_DEPARTMENTS)


def visible_student_ids(session: Session, staff: Staff) -> set[int] | None:
    """Ids of the students `staff`'s own work lets them see; None means the whole registry.
    Approvals (policy C3) add students apart: `granted_categories` says what of them shows.
    Where only a WHERE clause is needed, `visible_students` avoids loading the ids."""
    scope = visible_students(staff)
    return None if scope is None else set(session.scalars(scope))


def visible_among(session: Session, staff: Staff, student_ids: Iterable[int]) -> set[int]:
    """Those of `student_ids` that `staff`'s own work lets them see (one query at most)."""
    ids = set(student_ids)
    scope = visible_students(staff)
    if scope is None or not ids:
        return ids
    return set(session.scalars(select(Student.id).where(Student.id.in_(ids),
                                                        Student.id.in_(scope))))


def visible_students(staff: Staff) -> Select | None:
    """`visible_student_ids` as a query of student ids, for `Student.id.in_(...)`; None means
    the whole registry."""
    if sees_whole_registry(staff):
        return None
    via_handovers = select(HandoverStudent.student_id).join(
        Handover, HandoverStudent.handover_id == Handover.id).where(_own_content(staff))
    # policy R-TEA: teachers plan and record the learning of the students they teach.
    taught = select(ClassMember.student_id).join(SchoolClass).where(
        ClassMember.left_at.is_(None), SchoolClass.active.is_(True),
        (SchoolClass.teacher_id == staff.id) | (SchoolClass.head_teacher_id == staff.id))
    return via_handovers.union(taught)


# -- the rule as SQL: lists filter, sort and page in the database after it ------------------


def _own_content(staff: Staff) -> ColumnElement[bool]:
    """`_own_access(staff, h) == CONTENT` as a WHERE clause on Handover."""
    if not staff.active:
        return false()
    depts = [d.value for d in staff.department_codes]
    return or_(Handover.sender_id == staff.id,
               (Handover.status != Status.DRAFT)
               & or_(Handover.receiver_id == staff.id, Handover.receiver_dept.in_(depts)))


def granted_handover_ids(session: Session, staff: Staff) -> set[int]:
    """Ids of the handovers an approval in force lets `staff` read (policy C3). Approvals name
    their students, so this reads the few handovers about those students, never a table."""
    if not staff.approval_grants:
        return set()
    students = {sid for g in staff.approval_grants for sid in g.student_ids}
    about = session.scalars(
        select(Handover).options(lazyload(Handover.versions), lazyload(Handover.events),
                                 selectinload(Handover.students))
        .where(Handover.status != Status.DRAFT, Handover.id.in_(
            select(HandoverStudent.handover_id).where(
                HandoverStudent.student_id.in_(students)))))
    return {h.id for h in about if granting_approval(staff, h) is not None}


def visible_handovers(session: Session, staff: Staff) -> ColumnElement[bool]:
    """`access_to(staff, h) > NONE` as a WHERE clause on Handover: what a list may show."""
    seen = [_own_content(staff)]
    if staff.active and sees_all_metadata(staff):
        seen.append(Handover.status != Status.DRAFT)
    granted = granted_handover_ids(session, staff)
    if granted:
        seen.append(Handover.id.in_(granted))
    return or_(*seen)


def countersignable(staff: Staff) -> ColumnElement[bool]:
    """`may_countersign(staff, h) is None` as a WHERE clause on Handover: the inbox. An
    inactive account countersigns nothing (and sees nothing of its own: `_own_access`)."""
    if not staff.active:
        return false()
    depts = [d.value for d in staff.department_codes]
    return (Handover.status == Status.SUBMITTED) & (Handover.sender_id != staff.id) & or_(
        Handover.receiver_id == staff.id,
        Handover.receiver_id.is_(None) & Handover.receiver_dept.in_(depts))
