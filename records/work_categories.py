"""Which of a student's private categories (policy C2) each kind of work opens: a matrix kept
as data beside the catalogue (records.catalogue), read by records.visibility wherever a
student's record is shown. Anything beyond goes through an approval (policy C3,
records.approvals). docs/auditing.md prints this table (a test checks it matches)."""

from __future__ import annotations

from records.departments import Department
from records.staff import Staff
from vault import PrivateCategory as C

__all__ = ["WORK_CATEGORIES", "work_categories"]

# policy R-*: the duties of each department, and what of a student they need for them.
WORK_CATEGORIES: dict[Department, frozenset[C]] = {
    # R-ENR: collects, checks and registers prospect and registration information.
    Department.ENR: frozenset({C.NAME, C.GENDER, C.AGE, C.ADDRESS, C.CONTACT, C.IDENTITY,
                               C.HEALTH, C.FINANCES}),
    # R-ACA: double-checks and enters everything received, assembles archives, runs refunds.
    Department.ACA: frozenset(C),
    # R-TEA: teaching plans and progress: name, age, grades, health notes relevant to teaching;
    # not the ID number, the home address, contact details or family finances.
    Department.TEA: frozenset({C.NAME, C.GENDER, C.AGE, C.GRADES, C.HEALTH}),
    # R-FIN: payment ledger and refunds: payment facts and whom to pay, not health or grades.
    Department.FIN: frozenset({C.NAME, C.CONTACT, C.FINANCES}),
    # R-ARC: files and classifies archives by student.
    Department.ARC: frozenset({C.NAME}),
    Department.LOG: frozenset({C.NAME}),
    Department.MGT: frozenset({C.NAME}),
    # S1: the supervision group watches deadlines and quality: numbers, never a student.
    Department.SUP: frozenset(),
}


def work_categories(staff: Staff) -> frozenset[C]:
    """What of a student `staff`'s own work opens; an administrator's, nothing (policy C1)."""
    if not staff.active or staff.is_admin:
        return frozenset()
    return frozenset().union(*(WORK_CATEGORIES[d] for d in staff.department_codes))
