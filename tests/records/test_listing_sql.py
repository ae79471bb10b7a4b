"""The visibility rule's SQL forms say what the rule says, on every kind of handover and viewer
(both databases): lists page in SQL after them, so a difference would show a row the rule
forbids or hide one it allows. And the lists' SQL order is Row.sort_key's, page after page."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from records import listing
from records.approvals import Grant
from records.classes import ClassMember, SchoolClass
from records.deadlines import WorkingCalendar
from records.handovers import Handover, HandoverStudent, Status
from records.staff import Role, Staff, StaffDepartment
from records.students import Student
from records.teaching import attach_teaching
from records.visibility import (
    Access,
    _own_access,
    access_to,
    countersignable,
    may_countersign,
    visible_among,
    visible_handovers,
    visible_student_ids,
)
from vault import PrivateCategory

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
STATUSES = (Status.DRAFT, Status.SUBMITTED, Status.COMPLETED, Status.RETURNED,
            Status.WITHDRAWN)


def _world(env):
    db = env.session
    staff = {s.login: s for s in db.scalars(select(Staff))}
    students = []
    for n in range(4):
        student = Student(student_no=f"XS-2026-{n + 1:05d}", name=f"学生{n}",
                          identity_bidx=f"bidx-{n}", created_at=T0)
        db.add(student)
        students.append(student)
    db.flush()
    s = [x.id for x in students]
    combos = itertools.product(STATUSES, ("enr", "aca", "tea"), (None, "aca", "aca2", "tea"),
                               ("ACA", "TEA"), ([s[0]], [s[0], s[1]], [s[2]]))
    for i, (status, sender, receiver, dept, about) in enumerate(combos):
        at = T0 + timedelta(hours=i)
        h = Handover(number=f"JJ-2026-{i + 100:06d}", kind="F2", method="M2", status=status,
                     sender_id=staff[sender].id, sender_dept=staff[sender].department_codes[0],
                     receiver_dept=dept,
                     receiver_id=staff[receiver].id if receiver else None, created_at=at,
                     due_at=at + timedelta(days=i % 9) if i % 4 else None,
                     receive_due_at=at + timedelta(days=i % 5) if i % 3 else None)
        h.students = [HandoverStudent(student_id=sid) for sid in about]
        db.add(h)
    taught = SchoolClass(name="一班", course="英语", teacher_id=staff["tea"].id,
                         created_at=T0, active=True)
    db.add(taught)
    db.flush()
    db.add(ClassMember(class_id=taught.id, student_id=s[3], joined_at=T0))
    db.flush()
    return db, staff, s


def _viewers(db, staff, s):
    """Everyone, an inactive account, and a teacher with an approval for the first student."""
    viewers = list(staff.values())
    gone = db.get(Staff, staff["aca2"].id)
    granted = Staff(login="tea-granted", display_name="批准", password_hash="-",
                    created_at=T0, password_changed_at=T0)
    db.add(granted)
    db.flush()
    granted.approval_grants = (Grant(7, frozenset({s[0]}), frozenset(PrivateCategory),
                                     T0 + timedelta(days=30)),)
    viewers.append(granted)
    # policy C1: a teacher of the first two students, a head and a deputy of the teaching
    # department, and an administrator who also belongs to a department
    for login, dept, role, admin in (("tea2", "TEA", Role.MEMBER, False),
                                     ("teahead", "TEA", Role.HEAD, False),
                                     ("teadeputy", "TEA", Role.DEPUTY, False),
                                     ("root", "ENR", Role.MEMBER, True)):
        person = Staff(login=login, display_name=login, password_hash="-", is_admin=admin,
                       created_at=T0, password_changed_at=T0)
        person.departments = [StaffDepartment(department=dept, role=role)]
        db.add(person)
        viewers.append(person)
    db.flush()
    second = SchoolClass(name="二班", course="英语", teacher_id=staff_id(viewers, "tea2"),
                         created_at=T0, active=True)
    db.add(second)
    db.flush()
    db.add_all([ClassMember(class_id=second.id, student_id=sid, joined_at=T0)
                for sid in s[:2]])
    db.flush()
    for who in viewers:
        attach_teaching(db, who, T0)
    return viewers, gone


def staff_id(viewers, login):
    return next(v.id for v in viewers if v.login == login)


def test_the_sql_forms_agree_with_the_rule(oversight):
    db, staff, s = _world(oversight)
    viewers, gone = _viewers(db, staff, s)
    everyone = list(db.scalars(select(Handover)))
    for deactivated in (False, True):
        gone.active = not deactivated
        for who in viewers:
            seen = {h.id for h in everyone if access_to(who, h) > Access.NONE}
            assert set(db.scalars(select(Handover.id).where(
                visible_handovers(db, who)))) == seen, who.login
            may_sign = {h.id for h in everyone if may_countersign(who, h) is None
                        and access_to(who, h) > Access.NONE}
            assert set(db.scalars(select(Handover.id).where(countersignable(who)))) == \
                may_sign, who.login
            own = {sid for h in everyone if _own_access(who, h) == Access.CONTENT
                   for sid in h.student_ids} | set(who.taught_student_ids)
            ids = visible_student_ids(db, who)
            assert ids is None if who.login in ("aca", "enr") or (
                who.login == "aca2" and not deactivated) else ids == own, who.login
            assert visible_among(db, who, s) == (set(s) if ids is None else own & set(s))


def test_lists_page_in_the_order_of_their_rows(oversight):
    db, staff, _ = _world(oversight)
    calendar, now = WorkingCalendar(), T0 + timedelta(days=3)
    for who in staff.values():
        for made in (listing.visible(db, who, now, calendar=calendar),
                     listing.inbox(db, who, now, calendar=calendar),
                     listing.outbox(db, who, now, calendar=calendar)):
            whole = made.page(1, 1000)
            expected = listing.rows(who, (r.handover for r in whole.rows), now,
                                    calendar=calendar)
            assert [r.handover.id for r in whole.rows] == [r.handover.id for r in expected]
            assert whole.total == len(whole.rows) == made.count()
            paged = [r.handover.id for n in range(1, -(-whole.total // 7) + 1)
                     for r in made.page(n, 7).rows]
            assert paged == [r.handover.id for r in whole.rows]
            assert [r.handover.id for r in made.stream(batch=5)] == paged
            last = made.page(10 ** 9, 7)
            assert last.number == last.pages and (last.rows or not whole.total)
