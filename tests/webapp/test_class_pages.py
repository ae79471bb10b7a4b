"""The class pages and the `handover class` commands: academic affairs creates classes and
enrols students (policy R-ACA, F4), a teacher sees the roster of their own class and gets 404 on
another's (policy R-TEA, C1), leaving keeps the row, roster views reach the ledger with ids only
(policy C2, C3), and bad CLI input gives a Chinese message and exit status 1."""

from __future__ import annotations

import json

import pytest

from records.class_registry import Classes
from records.classes import ClassMember, SchoolClass
from records.students import StudentInput
from tests.webapp.test_student_pages import (
    LI,
    ZHANG,
    csrf_of,
    ledger,
    post_form,
    sign_in,
    signed_in,
)

WANG = StudentInput("王梓萱", "女", "2016-01-05", "", "", "", "王强", "15024681357")


@pytest.fixture
def school(app, add_staff):
    """Staff aca, tea, tea2 and three students; returns {short name: (id, 学号)}."""
    add_staff("tea", depts=("TEA",), name="陈静")
    add_staff("tea2", depts=("TEA",), name="林老师")
    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        out = {}
        for key, data in (("zhang", ZHANG), ("li", LI), ("wang", WANG)):
            s = svc.students(db).add(data, actor_id=None, actor="seed")
            out[key] = (s.id, s.student_no)
        db.commit()
    return out


def staff_id(app, login):
    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        return svc.accounts(db).get(login).id


def members(app, class_id):
    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        return {m.student_id: m.left_at for m in db.query(ClassMember).filter_by(class_id=class_id)}


def make_class(app, aca, name="英语A班", teacher="tea"):
    r = post_form(aca, "/classes/new", {"name": name, "course": "少儿英语",
                                        "teacher_id": str(staff_id(app, teacher)),
                                        "starts_on": "2026-03-02", "ends_on": "2026-06-30"})
    assert r.status_code == 302, r.get_data(as_text=True)
    return int(r.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def test_academic_affairs_creates_a_class_and_enrols(app, add_staff, school):
    aca = signed_in(app, add_staff, "aca", ("ACA",))
    class_id = make_class(app, aca)
    token_page = aca.get(f"/classes/{class_id}").get_data(as_text=True)
    assert 'id="enrol-form"' in token_page
    token = csrf_of(token_page)
    r = aca.post(f"/classes/{class_id}/enrol", data={
        "csrf_token": token, "student_nos": f"{school['zhang'][1]}，{school['li'][1]}",
        "student_id": str(school["wang"][0])})
    assert r.status_code == 302
    assert set(members(app, class_id)) == {v[0] for v in school.values()}
    html = aca.get("/classes/").get_data(as_text=True)
    assert "英语A班" in html and "陈静" in html and ">3<" in html


def test_bad_new_class_form_shows_errors_next_to_fields(app, add_staff, school):
    aca = signed_in(app, add_staff, "aca", ("ACA",))
    r = post_form(aca, "/classes/new", {"name": "", "course": "x", "starts_on": "2026-13-40"})
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and 'id="starts_on-error"' in html and 'id="name-error"' in html
    make_class(app, aca)
    r = post_form(aca, "/classes/new", {"name": "英语A班", "course": "少儿英语"})
    assert r.status_code == 409 and "已存在" in r.get_data(as_text=True)


def test_teacher_cannot_create_a_class(app, add_staff, school):
    tea = signed_in(app, add_staff, "teax", ("TEA",))
    assert tea.get("/classes/new").status_code == 403
    token = csrf_of(tea.get("/classes/").get_data(as_text=True))
    r = tea.post("/classes/new", data={"csrf_token": token, "name": "X班", "course": "课"})
    assert r.status_code == 403
    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        assert db.query(SchoolClass).count() == 0


def enrolled_class(app, add_staff, school):
    aca = signed_in(app, add_staff, "aca", ("ACA",))
    class_id = make_class(app, aca)
    page = aca.get(f"/classes/{class_id}").get_data(as_text=True)
    aca.post(f"/classes/{class_id}/enrol", data={
        "csrf_token": csrf_of(page), "student_nos": f"{school['zhang'][1]} {school['li'][1]}"})
    return aca, class_id


def test_the_class_teacher_sees_the_roster_another_teacher_gets_404(app, add_staff, passwords,
                                                                     school):
    aca, class_id = enrolled_class(app, add_staff, school)
    tea, tea2 = app.test_client(), app.test_client()
    sign_in(tea, "tea", passwords["tea"])
    sign_in(tea2, "tea2", passwords["tea2"])
    r = tea.get(f"/classes/{class_id}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "张子涵" in html and "李明轩" in html and "王梓萱" not in html
    assert 'id="enrol-form"' not in html and "退出班级</button>" not in html
    assert "英语A班" in tea.get("/classes/").get_data(as_text=True)
    assert tea2.get(f"/classes/{class_id}").status_code == 404
    other = tea2.get("/classes/").get_data(as_text=True)
    assert "英语A班" not in other and 'id="classes-empty"' in other


def test_leave_keeps_the_member_row(app, add_staff, school):
    aca, class_id = enrolled_class(app, add_staff, school)
    zhang = school["zhang"][0]
    token = csrf_of(aca.get(f"/classes/{class_id}").get_data(as_text=True))
    r = aca.post(f"/classes/{class_id}/leave/{zhang}", data={"csrf_token": token})
    assert r.status_code == 302
    rows = members(app, class_id)
    assert set(rows) == {zhang, school["li"][0]}
    assert rows[zhang] is not None and rows[school["li"][0]] is None
    html = aca.get(f"/classes/{class_id}").get_data(as_text=True)
    roster = html.split('id="roster"', 1)[1]
    assert "李明轩" in roster and "张子涵" not in roster


def test_roster_view_writes_a_ledger_entry_with_ids_only(app, add_staff, passwords, school):
    aca, class_id = enrolled_class(app, add_staff, school)
    tea = app.test_client()
    sign_in(tea, "tea", passwords["tea"])
    before = len(ledger(app, "class.roster"))
    assert tea.get(f"/classes/{class_id}").status_code == 200
    entries = ledger(app, "class.roster")
    assert len(entries) == before + 1
    entry = entries[-1]
    assert entry.actor == "tea" and entry.subject == f"class:{class_id}"
    assert sorted(entry.context["ids"]) == sorted([school["zhang"][0], school["li"][0]])
    text = json.dumps(entry.__dict__, ensure_ascii=False, default=str)
    assert "张子涵" not in text and "李明轩" not in text


# -- the command line --------------------------------------------------------------------


def test_cli_add_enrol_list(app, add_staff, school):
    add_staff("aca", depts=("ACA",))
    runner = app.test_cli_runner()
    r = runner.invoke(args=["class", "add", "编程B班", "--course", "少儿编程", "--teacher", "tea",
                            "--head", "tea2", "--starts", "2026-03-02", "--as", "aca"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(args=["class", "enrol", "编程B班", school["zhang"][1], school["wang"][1],
                            "--as", "aca"])
    assert r.exit_code == 0 and "2 名" in r.output, r.output
    svc = app.extensions["handover"]
    with svc.session_factory() as db:  # one leaves: the list counts current members only
        Classes(db, audit=svc.ledger).leave(svc.accounts(db).get("aca"), 1, school["wang"][0])
        db.commit()
    r = runner.invoke(args=["class", "list", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output) == [{
        "name": "编程B班", "course": "少儿编程", "teacher": "tea", "head_teacher": "tea2",
        "starts_on": "2026-03-02", "ends_on": None, "active": True, "students": 1}]
    r = runner.invoke(args=["class", "list"])
    assert "编程B班" in r.output and "1 人" in r.output and "张子涵" not in r.output


def test_cli_bad_input_exits_1_with_a_chinese_message(app, add_staff, school):
    add_staff("aca", depts=("ACA",))
    runner = app.test_cli_runner()
    r = runner.invoke(args=["class", "add", "编程B班", "--course", "少儿编程",
                            "--starts", "2026-02-30", "--as", "aca"])
    assert r.exit_code == 1 and "开课日期应为 YYYY-MM-DD" in r.output
    assert runner.invoke(args=["class", "add", "编程B班", "--course", "少儿编程",
                               "--as", "aca"]).exit_code == 0
    r = runner.invoke(args=["class", "enrol", "编程B班", school["li"][1], "XS-1999-99999",
                            "--as", "aca"])
    assert r.exit_code == 1 and "未找到学号：XS-1999-99999" in r.output
    assert members(app, 1) == {}
    r = runner.invoke(args=["class", "add", "X班", "--course", "课", "--as", "tea"])
    assert r.exit_code == 1 and "只有教务部" in r.output


def test_report_cycle_is_set_on_the_class_page_and_refused_when_wrong(app, add_staff, school):
    """policy T3a: the weekly or fortnightly report time is a class setting of ACA's."""
    aca = signed_in(app, add_staff, "aca", ("ACA",))
    class_id = make_class(app, aca)
    bad = post_form(aca, f"/classes/{class_id}/report-cycle", {
        "report_weekday": "5", "report_hour": "25", "report_cycle_weeks": "3",
        "report_first_week": "2026-13-01"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "0-23" in html and "YYYY-MM-DD" in html
    ok = post_form(aca, f"/classes/{class_id}/report-cycle", {
        "report_weekday": "5", "report_hour": "16", "report_cycle_weeks": "2",
        "report_first_week": "2026-03-04"})
    assert ok.status_code == 302
    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        c = db.get(SchoolClass, class_id)
        # the period starts on the Monday of the week given
        assert (c.report_weekday, c.report_hour, c.report_cycle_weeks,
                c.report_first_week.isoformat()) == (5, 16, 2, "2026-03-02")
    assert "每两周周五 16:00" in aca.get(f"/classes/{class_id}").get_data(as_text=True)
    tea = signed_in(app, add_staff, "teay", ("TEA",))
    assert post_form(tea, f"/classes/{class_id}/report-cycle",
                     {"report_weekday": ""}).status_code == 403


def test_cli_report_cycle(app, add_staff, school):
    add_staff("aca", depts=("ACA",))
    runner = app.test_cli_runner()
    assert runner.invoke(args=["class", "add", "周报班", "--course", "数学", "--teacher", "tea",
                               "--as", "aca"]).exit_code == 0
    r = runner.invoke(args=["class", "report-cycle", "周报班", "--weekday", "5", "--hour", "16",
                            "--first-week", "2026-11-04", "--as", "aca"])
    assert r.exit_code == 0 and "2026-11-02" in r.output, r.output
    bad = runner.invoke(args=["class", "report-cycle", "周报班", "--weekday", "5", "--as", "aca"])
    assert bad.exit_code != 0 and "第一个报告周期" in bad.output
