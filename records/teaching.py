"""Who teaches whom: the students of the classes a person teaches or heads, now or within the
school's period after the class or the student's place in it ended (policy R-TEA, C1). A
teacher sees the handovers and students of these classes only (records.visibility).

The relation is worked out once per request and attached to the Staff object, as approvals
are (records.approvals.attach_grants); the period is a parameter: this library reads no
configuration."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from records.classes import ClassMember, SchoolClass
from records.staff import Staff

__all__ = ["DEFAULT_TAUGHT_WITHIN_DAYS", "attach_teaching", "taught_students"]

DEFAULT_TAUGHT_WITHIN_DAYS = 180


def taught_students(staff_id: int, now: datetime, within_days: int) -> Select:
    """Ids of the students `staff_id` teaches or heads in a running class, or did within
    `within_days` before `now` (the student left, or the class ended, no longer ago)."""
    since = now - timedelta(days=within_days)
    return select(ClassMember.student_id).join(SchoolClass).where(
        or_(SchoolClass.teacher_id == staff_id, SchoolClass.head_teacher_id == staff_id),
        or_(ClassMember.left_at.is_(None), ClassMember.left_at >= since),
        or_(SchoolClass.active.is_(True), SchoolClass.ends_on >= since.date()))


def attach_teaching(session: Session, staff: Staff, now: datetime,
                    within_days: int = DEFAULT_TAUGHT_WITHIN_DAYS) -> Staff:
    """Give `staff` the students they teach or taught within `within_days` (policy C1)."""
    staff.taught_student_ids = frozenset(
        session.scalars(taught_students(staff.id, now, within_days))) if staff.active \
        else frozenset()
    return staff
