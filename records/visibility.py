"""The need-to-know rule: one function answers every "may X see Y" question about handovers.
Pages, exports, the CLI and search all ask it (policy C1, C3).

- CONTENT (the form, its values, its PDF): the sender, the named receiver, and staff of the
  receiving department. Drafts: the sender only.
- METADATA (number, kind, status, departments, deadlines; no content): the supervision group
  (policy S1: it watches deadlines and quality) and administrators, who run the system.
- NONE: everyone else, who must not learn even that the handover exists.

Approvals under policy C3 (a manager's approval naming students, categories, purpose and a time
window) widen CONTENT later; they enter here and nowhere else."""

from __future__ import annotations

from enum import IntEnum

from sqlalchemy import select

from records.classes import ClassMember, SchoolClass
from records.departments import Department
from records.handovers import Handover, HandoverStudent, Status
from records.staff import Staff

__all__ = ["REGISTRY_DEPARTMENTS", "Access", "access_to", "may_countersign",
           "sees_all_metadata", "sees_whole_registry",
           "visible_student_ids"]


class Access(IntEnum):
    NONE = 0
    METADATA = 1
    CONTENT = 2


def access_to(staff: Staff, handover: Handover) -> Access:
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


def visible_student_ids(session, staff: Staff) -> set[int] | None:
    """Ids of the students `staff` may see; None means the whole registry."""
    if sees_whole_registry(staff):
        return None
    rows = session.execute(
        select(Handover, HandoverStudent.student_id)
        .join(HandoverStudent, HandoverStudent.handover_id == Handover.id)
        .where((Handover.sender_id == staff.id) | (Handover.receiver_id == staff.id)
               | Handover.receiver_dept.in_([d.value for d in staff.department_codes]))
    ).all()
    via_handovers = {sid for handover, sid in rows
                     if access_to(staff, handover) == Access.CONTENT}
    # policy R-TEA: teachers plan and record the learning of the students they teach.
    taught = session.scalars(
        select(ClassMember.student_id).join(SchoolClass).where(
            ClassMember.left_at.is_(None), SchoolClass.active.is_(True),
            (SchoolClass.teacher_id == staff.id) | (SchoolClass.head_teacher_id == staff.id)))
    return via_handovers | set(taught)
