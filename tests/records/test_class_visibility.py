"""A teacher sees the students of the classes they teach, or taught within the school's period
(policy R-TEA, C1), and no others."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from records.classes import ClassMember, SchoolClass
from records.students import StudentInput
from records.teaching import attach_teaching
from records.visibility import visible_student_ids


def test_teacher_sees_only_the_students_of_their_classes(app, add_staff):
    add_staff("tea", depts=("TEA",))
    add_staff("tea2", depts=("TEA",))
    svc = app.extensions["handover"]
    now = datetime.now(UTC)
    with svc.session_factory() as db:
        students = svc.students(db)
        mine = students.add(StudentInput("王梓萱", "女", "2016-01-05", "", "", "", "王强",
                                         "15024681357"), actor_id=None, actor="t")
        other = students.add(StudentInput("陈宇轩", "男", "2013-11-19", "", "", "", "陈芳",
                                          "13600002222"), actor_id=None, actor="t")
        tea, tea2 = svc.accounts(db).get("tea"), svc.accounts(db).get("tea2")
        cls = SchoolClass(name="三年级英语A班", course="少儿英语", teacher_id=tea.id,
                          created_at=now, active=True)
        db.add(cls)
        db.flush()
        member = ClassMember(class_id=cls.id, student_id=mine.id, joined_at=now)
        db.add(member)
        db.flush()
        assert visible_student_ids(db, tea) == set()  # nothing attached: nothing (fail closed)
        attach_teaching(db, tea, now, 30)
        attach_teaching(db, tea2, now, 30)
        assert visible_student_ids(db, tea) == {mine.id}
        assert other.id not in visible_student_ids(db, tea)
        assert visible_student_ids(db, tea2) == set()
        member.left_at = now
        db.flush()
        assert visible_student_ids(db, attach_teaching(db, tea, now, 30)) == {mine.id}
        later = now + timedelta(days=31)
        assert visible_student_ids(db, attach_teaching(db, tea, later, 30)) == set()
        assert visible_student_ids(db, attach_teaching(db, tea, later, 32)) == {mine.id}
