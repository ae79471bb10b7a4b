"""The class registry's use cases: academic affairs creates classes and enrols students
(policy R-ACA, F4), teachers see only their own classes (policy R-TEA, C1), leaving keeps the
member row, and a roster view is recorded in the ledger with ids only (policy C2, C3)."""

from __future__ import annotations

import json
from datetime import date

import pytest

from records.class_registry import Classes, seed_demo_classes
from records.classes import ClassMember
from records.clock import utcnow
from records.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from records.students import StudentInput
from records.teaching import attach_teaching

PUPILS = [StudentInput(f"学生{c}", "女", f"2015-0{i + 1}-0{i + 1}", "", "", "", "家长",
                       f"1380000000{i}") for i, c in enumerate("甲乙丙丁戊己")]


@pytest.fixture
def world(app, add_staff):
    """aca, enr, two teachers, a finance clerk, six students; yields (db, Classes, staff, ids)."""
    for login, dept in (("aca", "ACA"), ("enr", "ENR"), ("tea", "TEA"), ("tea2", "TEA"),
                        ("fin", "FIN")):
        add_staff(login, depts=(dept,))
    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        ids = [svc.students(db).add(p, actor_id=None, actor="t").id for p in PUPILS]
        staff = {s.login: s for s in svc.accounts(db).list()}
        yield db, Classes(db, audit=svc.ledger), staff, ids


def teaching(db, staff):
    """`staff` with the students of their classes attached, as each request does (C1)."""
    return attach_teaching(db, staff, utcnow())


def ledger(app, action):
    return list(app.extensions["handover"].ledger.entries(action=action))


def test_academic_affairs_creates_and_enrols(world):
    db, classes, staff, ids = world
    c = classes.create(staff["aca"], "英语A班", "少儿英语", teacher_id=staff["tea"].id,
                       starts_on=date(2026, 3, 2), ends_on=date(2026, 6, 30))
    assert classes.enrol(staff["aca"], c.id, ids[:3]) == ids[:3]
    assert classes.enrol(staff["aca"], c.id, ids[:2]) == []  # already members: nothing new
    assert sorted(c.student_ids) == sorted(ids[:3])
    assert [s.id for s in classes.roster(staff["aca"], c.id)] == ids[:3]


def test_teacher_and_finance_cannot_create_or_enrol(world):
    db, classes, staff, ids = world
    for login in ("tea", "fin", "enr"):
        with pytest.raises(PermissionDenied) as err:
            classes.create(staff[login], "X班", "课程")
        assert "R-ACA" in err.value.message_zh
    c = classes.create(staff["aca"], "英语A班", "少儿英语", teacher_id=staff["tea"].id)
    with pytest.raises(PermissionDenied):
        classes.enrol(staff["tea"], c.id, ids[:1])


def test_bad_input_and_duplicate_name(world):
    db, classes, staff, ids = world
    with pytest.raises(ValidationFailed) as err:
        classes.create(staff["aca"], " ", "", teacher_id=staff["fin"].id,
                       starts_on=date(2026, 6, 1), ends_on=date(2026, 5, 1))
    assert {p.field for p in err.value.problems} == {"name", "course", "teacher_id", "ends_on"}
    classes.create(staff["aca"], "英语A班", "少儿英语")
    with pytest.raises(Conflict) as dup:
        classes.create(staff["aca"], "英语A班", "少儿英语")
    assert "已存在" in dup.value.message_zh


def test_teachers_see_only_their_classes(world):
    db, classes, staff, ids = world
    mine = classes.create(staff["aca"], "英语A班", "少儿英语", teacher_id=staff["tea"].id)
    other = classes.create(staff["aca"], "编程B班", "少儿编程", head_teacher_id=staff["tea2"].id)
    classes.enrol(staff["aca"], mine.id, ids[:3])
    assert classes.visible_classes(staff["tea"]) == [mine]
    assert classes.visible_classes(staff["tea2"]) == [other]
    assert classes.visible_classes(staff["fin"]) == []
    assert {c.id for c in classes.visible_classes(staff["enr"])} == {mine.id, other.id}
    assert [s.id for s in classes.roster(teaching(db, staff["tea"]), mine.id)] == ids[:3]
    with pytest.raises(NotFound):
        classes.roster(staff["tea2"], mine.id)
    with pytest.raises(NotFound):
        classes.roster(staff["fin"], mine.id)


def test_leave_keeps_the_member_row(world):
    db, classes, staff, ids = world
    c = classes.create(staff["aca"], "英语A班", "少儿英语", teacher_id=staff["tea"].id)
    classes.enrol(staff["aca"], c.id, ids[:2])
    classes.leave(staff["aca"], c.id, ids[0])
    rows = {m.student_id: m for m in db.query(ClassMember).filter_by(class_id=c.id)}
    assert set(rows) == set(ids[:2])
    assert rows[ids[0]].left_at is not None and rows[ids[1]].left_at is None
    assert [s.id for s in classes.roster(teaching(db, staff["tea"]), c.id)] == [ids[1]]
    with pytest.raises(NotFound):
        classes.leave(staff["aca"], c.id, ids[0])
    assert classes.enrol(staff["aca"], c.id, [ids[0]]) == [ids[0]]  # back on the same row
    assert db.query(ClassMember).filter_by(class_id=c.id).count() == 2


def test_roster_view_is_recorded_with_ids_only(app, world):
    db, classes, staff, ids = world
    c = classes.create(staff["aca"], "英语A班", "少儿英语", teacher_id=staff["tea"].id)
    classes.enrol(staff["aca"], c.id, ids[:3])
    classes.roster(teaching(db, staff["tea"]), c.id)
    entries = ledger(app, "class.roster")
    assert len(entries) == 1
    entry = entries[0]
    assert entry.actor == "tea" and entry.subject == f"class:{c.id}"
    assert entry.context["ids"] == ids[:3]
    text = json.dumps(entry.__dict__, ensure_ascii=False, default=str)
    assert not any(p.name in text for p in PUPILS)


def test_student_numbers_resolve_and_unknown_ones_are_named(world):
    db, classes, staff, ids = world
    from records.students import Student

    numbers = [db.get(Student, i).student_no for i in ids[:2]]
    assert classes.student_ids_by_number([n.lower() for n in numbers]) == ids[:2]
    with pytest.raises(ValidationFailed) as err:
        classes.student_ids_by_number([numbers[0], "XS-1999-99999"])
    assert "XS-1999-99999" in err.value.message_zh


def test_seed_demo_classes_is_idempotent(world):
    db, classes, staff, ids = world
    today = date(2026, 12, 1)
    made = seed_demo_classes(classes, staff["aca"], staff["tea"], ids, today)
    assert len(made) == 2 and [len(c.student_ids) for c in made] == [3, 3]
    # the first has ended (grades and archives owed), the second reports every Friday
    assert made[0].ends_on == date(2026, 11, 28) and made[1].report_weekday == 5
    assert seed_demo_classes(classes, staff["aca"], staff["tea"], ids, today) == []
    assert len(classes.visible_classes(staff["tea"])) == 2
