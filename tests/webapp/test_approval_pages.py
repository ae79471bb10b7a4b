"""Approvals (policy C3) through the pages: a teacher asks to see a student beyond their own
work, the management office grants less than asked or all of it, the teacher sees exactly the
granted fields and forms, every read cites the approval, and a revocation closes it at once."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from records.students import Student

PHONE, ADDRESS = "13987654321", "杭州市"


@pytest.fixture
def people(app, sample_handovers, passwords, add_staff, login_client):
    add_staff("mgt", name="刘志远", depts=("MGT",))
    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        student = db.scalars(select(Student)).one()
        ident = student.id, student.student_no
    return {login: login_client(login, passwords[login]) for login in ("tea", "mgt", "enr")}, \
        ident


def _csrf(client, path):
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _post(client, path, data, page="/approvals/"):
    return client.post(path, data={"csrf_token": _csrf(client, page), **data})


def test_request_grant_read_and_revoke(app, people, sample_handovers, runner):
    (clients, (student_id, student_no)) = people
    tea, mgt, enr = clients["tea"], clients["mgt"], clients["enr"]
    number = sample_handovers["done"]
    assert tea.get(f"/students/{student_id}").status_code == 404  # policy C1: not their own
    assert tea.get(f"/handovers/{number}").status_code == 404

    r = _post(tea, "/approvals/new", {"students": "XS-1999-00001", "purpose": "", "days": "90"})
    assert r.status_code == 400
    text = r.get_data(as_text=True)
    assert 'id="err-students"' in text and 'id="err-purpose"' in text and 'id="err-days"' in text
    r = _post(tea, "/approvals/new", {"students": student_no, "purpose": "家长来电询问退费进度",
                                      "days": "7", "categories": ["name", "finances", "health"]})
    assert r.status_code == 302
    approval = int(r.headers["Location"].rsplit("/", 1)[1])
    assert tea.get(f"/students/{student_id}").status_code == 404  # asked is not granted
    assert number not in runner.invoke(args=["list", "--as", "tea"]).stdout

    page = f"/approvals/{approval}"
    assert enr.get(page).status_code == 404  # others do not learn of it
    assert 'id="grant"' not in tea.get(page).get_data(as_text=True)  # never one's own
    decide = mgt.get(page).get_data(as_text=True)
    assert 'id="grant"' in decide and student_no in decide and "李浩然" not in decide
    r = _post(mgt, f"{page}/grant", {"students": str(student_id),
                                     "categories": ["name", "finances", "health"]}, page)
    assert r.status_code == 302

    assert number in runner.invoke(args=["list", "--as", "tea"]).stdout  # the CLI agrees
    opened = tea.get(page).get_data(as_text=True)
    assert 'id="opened-card"' in opened and number in opened
    student_page = tea.get(f"/students/{student_id}").get_data(as_text=True)
    assert "李浩然" in student_page and 'id="under-approval"' in student_page
    assert PHONE not in student_page and ADDRESS not in student_page  # not granted
    view = tea.get(f"/handovers/{number}")
    assert view.status_code == 200 and f"#{approval}" in view.get_data(as_text=True)
    pdf = tea.get(f"/handovers/{number}/pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    ledger = app.extensions["handover"].ledger
    cited = [e.context for e in ledger.entries(actor="tea")
             if e.action in ("vault.get", "student.view")]
    assert cited and all(c == {"approval": approval} for c in cited)
    told = runner.invoke(args=["audit", "student", student_no]).output  # a guardian asks
    assert "tea          student.view" in told and f"（依据审批 #{approval}）" in told

    r = _post(mgt, f"{page}/revoke", {"note": "已处理"}, page)
    assert r.status_code == 302
    assert tea.get(f"/students/{student_id}").status_code == 404
    assert tea.get(f"/handovers/{number}").status_code == 404


def test_refusal_needs_a_reason_and_only_the_office_decides(people):
    (clients, (_, student_no)) = people
    tea, mgt, enr = clients["tea"], clients["mgt"], clients["enr"]
    r = _post(tea, "/approvals/new", {"students": student_no, "purpose": "核对成绩",
                                      "days": "3", "categories": ["grades"]})
    page = r.headers["Location"]
    assert _post(enr, f"{page}/grant", {"categories": ["grades"]}, "/approvals/"
                 ).status_code == 404
    r = _post(mgt, f"{page}/refuse", {"note": ""}, page)
    assert r.status_code == 400 and 'id="err-note"' in r.get_data(as_text=True)
    assert _post(mgt, f"{page}/refuse", {"note": "不属于工作需要"}, page).status_code == 302
    assert "未批准" in tea.get(page).get_data(as_text=True)
    assert 'id="to-decide-empty"' in mgt.get("/approvals/").get_data(as_text=True)


def test_a_wrong_end_date_comes_back_beside_its_field(people):
    (clients, (student_id, student_no)) = people
    r = _post(clients["tea"], "/approvals/new", {"students": student_no, "purpose": "核对",
                                                 "days": "3", "categories": ["name"]})
    page = r.headers["Location"]
    r = _post(clients["mgt"], f"{page}/grant",
              {"students": str(student_id), "categories": ["name"], "until": "明天"}, page)
    assert r.status_code == 400 and 'id="err-until"' in r.get_data(as_text=True)
    assert "待审批" in clients["mgt"].get(page).get_data(as_text=True)  # nothing decided
