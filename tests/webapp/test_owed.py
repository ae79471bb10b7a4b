"""What is owed before anyone makes it, where people look (policy T4b, S1): an archive
transfer (F8) that nobody made after a class ended appears owed, then overdue, in
`handover owed`, `handover remind`, on the supervision page and on the owner's home page."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from records.deadlines import SCHOOL_TZ
from records.students import StudentInput


@pytest.fixture
def ended_classes(app, add_staff, passwords):
    """Class 甲 ended yesterday (its F8 is owed, not yet due); class 乙 ended 60 days ago
    (its F8 is overdue). One student each, taught by tea."""
    for login, dept in (("aca", "ACA"), ("tea", "TEA"), ("sup", "SUP")):
        passwords[login] = add_staff(login, depts=(dept,))[1]
    svc = app.extensions["handover"]
    today = datetime.now(UTC).astimezone(SCHOOL_TZ).date()
    with svc.session_factory() as db:
        accounts, classes = svc.accounts(db), svc.classes(db)
        aca, tea = accounts.get("aca"), accounts.get("tea")
        numbers = {}
        for name, ended in (("甲班", today - timedelta(days=1)),
                            ("乙班", today - timedelta(days=60))):
            student = svc.students(db).add(StudentInput(f"学生{name}", "女", "2015-03-12", "",
                                                        "", "", "家长", "13812345678"),
                                           actor_id=None, actor="t")
            c = classes.create(aca, name, "数学", teacher_id=tea.id,
                               starts_on=ended - timedelta(days=90), ends_on=ended)
            classes.enrol(aca, c.id, [student.id])
            numbers[name] = student.student_no
        db.commit()
    return numbers


def test_an_f8_nobody_made_is_owed_then_overdue_in_owed_and_remind(runner, ended_classes):
    out = runner.invoke(args=["owed", "--as", "aca", "--json"])
    assert out.exit_code == 0, out.output
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    f8 = {r["for_whom"].split("、")[1]: r for r in rows if r["kind"] == "F8"}
    assert set(f8) == {"班级 甲班", "班级 乙班"}
    assert f8["班级 乙班"]["overdue"] is True and f8["班级 甲班"]["overdue"] is False
    assert all(r["clause"] == "T4b" and r["answered_by"] is None for r in f8.values())
    assert ended_classes["乙班"] in f8["班级 乙班"]["for_whom"]
    # the teacher owes the grades (F7, T3b), not the archive
    tea = [json.loads(line) for line in runner.invoke(
        args=["owed", "--as", "tea", "--json"]).stdout.splitlines()]
    assert {r["kind"] for r in tea} == {"F7"}
    reminded = runner.invoke(args=["remind", "--json"])
    items = [json.loads(line) for line in reminded.stdout.splitlines()]
    overdue = [i for i in items if i["type"] == "obligation" and i["kind"] == "F8"]
    assert [i["for_whom"].split("、")[1] for i in overdue] == ["班级 乙班"]
    text = runner.invoke(args=["remind"]).output
    assert "已逾期  应交 #" in text and "学生乙班" not in text  # policy C1: no names


def test_the_supervision_page_and_the_home_page_list_it(ended_classes, login_client,
                                                        passwords):
    sup = login_client("sup", passwords["sup"]).get("/supervision/").get_data(as_text=True)
    section = sup[sup.index('id="owed-overdue"'):sup.index('id="figures"')]
    assert "学习档案" in section and "乙班" in section and "甲班" not in section
    assert "学生乙班" not in sup  # metadata only
    home = login_client("aca", passwords["aca"]).get("/").get_data(as_text=True)
    owed = home[home.index('id="owed"'):]
    assert "乙班" in owed and "甲班" in owed and "去填写" in owed
    assert owed.index("乙班") < owed.index("甲班")  # the overdue one first


def test_the_link_makes_a_form_for_the_obligation_and_waiving_is_checked(
        app, ended_classes, login_client, passwords, runner):
    aca = login_client("aca", passwords["aca"])
    home = aca.get("/").get_data(as_text=True)
    link = home[home.index('href="/handovers/new/F8?obligation='):].split('"')[1]
    form = aca.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert 'name="obligation"' in form and 'id="answers-obligation"' in form
    assert aca.get("/handovers/new/F8?obligation=99999999999999").status_code == 404
    ob_id = int(link.split("obligation=")[1].split("&")[0])
    refused = runner.invoke(args=["obligations", "waive", str(ob_id), "--as", "tea",
                                  "--reason", "x"])
    assert refused.exit_code != 0 and "只有教务部门或管理层" in refused.output
    done = runner.invoke(args=["obligations", "waive", str(ob_id), "--as", "aca",
                               "--reason", "学生转学"])
    assert done.exit_code == 0, done.output
    svc = app.extensions["handover"]
    actions = [(e.action, e.outcome) for e in svc.ledger.entries()
               if e.subject == f"obligation:{ob_id}"]
    assert actions == [("obligation.waive", "denied"), ("obligation.waive", "ok")]


def test_waiving_from_the_home_page(app, ended_classes, login_client, passwords, add_staff):
    aca = login_client("aca", passwords["aca"])
    home = aca.get("/").get_data(as_text=True)
    ob_id = home[home.index('data-obligation="') + 17:].split('"')[0]
    assert f'action="/obligations/{ob_id}/waive"' in home
    token = home[home.index('name="csrf_token" value="') + 25:].split('"')[0]
    tea = login_client("tea", passwords["tea"])
    tea_token = tea.get("/").get_data(as_text=True)
    tea_token = tea_token[tea_token.index('name="csrf_token" value="') + 25:].split('"')[0]
    refused = tea.post(f"/obligations/{ob_id}/waive", data={"csrf_token": tea_token,
                                                             "reason": "不想交"})
    assert refused.status_code == 403
    empty = aca.post(f"/obligations/{ob_id}/waive", data={"csrf_token": token, "reason": ""})
    assert empty.status_code == 302 and f'data-obligation="{ob_id}"' in aca.get("/").get_data(
        as_text=True)  # nothing waived
    done = aca.post(f"/obligations/{ob_id}/waive", data={"csrf_token": token,
                                                          "reason": "学生已转学"})
    assert done.status_code == 302
    assert f'data-obligation="{ob_id}"' not in aca.get("/").get_data(as_text=True)
    assert aca.post("/obligations/99999999/waive", data={"csrf_token": token,
                                                         "reason": "x"}).status_code == 404
    svc = app.extensions["handover"]
    outcomes = [e.outcome for e in svc.ledger.entries(subject=f"obligation:{ob_id}")]
    assert outcomes == ["denied", "ok"]
