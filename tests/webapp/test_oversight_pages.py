"""Rectification notices, the sanctions register and parent complaints through the pages
(policy S1, S3): the group issues, a member of the department sees it at home and answers, the
group closes; a teacher cannot issue, a non-recipient gets 404, refusals are 403 and reach the
ledger, and bad input comes back beside its field with nothing saved."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

NOTICES = "/supervision/notices/"


@pytest.fixture
def people(app, sample_handovers, passwords, add_staff, login_client):
    add_staff("mgt", name="刘志远", depts=("MGT",))
    add_staff("aca2", name="何芳", depts=("ACA",))
    return {login: login_client(login, passwords[login])
            for login in ("sup", "mgt", "aca", "aca2", "tea", "enr")}


def _csrf(client, path):
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _post(client, path, data, page=NOTICES):
    return client.post(path, data={"csrf_token": _csrf(client, page), **data})


def _issue(client, **kw):
    data = {"to_dept": "ACA", "findings": "交接单逾期未签收，请说明原因并整改。",
            "reply_by": (date.today() + timedelta(days=3)).isoformat(), **kw}
    return _post(client, f"{NOTICES}new", data)


def test_issue_answer_close(app, people, sample_handovers):
    sup, aca2, enr = people["sup"], people["aca2"], people["enr"]
    r = _issue(sup, handovers=sample_handovers["waiting"])
    assert r.status_code == 302
    page = r.headers["Location"]
    number = page.rsplit("/", 1)[1]
    assert re.fullmatch(r"ZG-\d{4}-\d{6}", number)
    home = aca2.get("/").get_data(as_text=True)
    assert 'id="notices-waiting"' in home and number in home
    assert 'id="notices-waiting"' not in enr.get("/").get_data(as_text=True)
    assert number in aca2.get(NOTICES).get_data(as_text=True)  # 我收到的整改通知
    assert enr.get(page).status_code == 404  # not theirs: they do not learn of it
    assert _post(enr, f"{page}/answer", {"answer": "x"}).status_code == 404
    view = aca2.get(page).get_data(as_text=True)
    assert 'id="answer-card"' in view and 'id="decide-card"' not in view
    r = _post(aca2, f"{page}/answer", {"answer": " "}, page)
    assert r.status_code == 400 and 'id="err-answer"' in r.get_data(as_text=True)
    assert _post(aca2, f"{page}/answer", {"answer": "已补签并调整流程。"}, page).status_code == 302
    assert _post(people["aca"], f"{page}/answer", {"answer": "我也答"}, page).status_code == 409
    assert _post(aca2, f"{page}/close", {}, page).status_code == 403  # not the group's member
    assert _post(sup, f"{page}/close", {"note": "整改到位"}, page).status_code == 302
    closed = sup.get(page).get_data(as_text=True)
    assert "已关闭" in closed and "已补签并调整流程。" in closed
    assert 'id="notices-waiting"' not in aca2.get("/").get_data(as_text=True)
    ledger = app.extensions["handover"].ledger
    steps = [(e.action, e.outcome) for e in ledger.entries(subject=f"notice:{number}")]
    assert steps == [("notice.issue", "ok"), ("notice.answer", "ok"),
                     ("notice.close", "denied"), ("notice.close", "ok")]


def test_a_teacher_cannot_issue(app, people):
    tea = people["tea"]
    assert 'id="issue-card"' not in tea.get(NOTICES).get_data(as_text=True)
    assert _issue(tea).status_code == 403
    ledger = app.extensions["handover"].ledger
    assert [e.outcome for e in ledger.entries(actor="tea", action="notice.issue")] == ["denied"]


def test_bad_input_comes_back_beside_its_field_and_nothing_is_saved(people):
    sup = people["sup"]
    r = _issue(sup, to_dept="", to_login="nobody", findings="",
               reply_by=(date.today() - timedelta(days=2)).isoformat(),
               handovers="JJ-2026-999999")
    assert r.status_code == 400
    text = r.get_data(as_text=True)
    for field in ("to_login", "findings", "reply_by", "handovers"):
        assert f'id="err-{field}"' in text, field
    assert 'id="all-notices-empty"' in sup.get(NOTICES).get_data(as_text=True)


def test_reopen_needs_a_reason_and_the_list_filters_by_state(people):
    sup, aca = people["sup"], people["aca"]
    page = _issue(sup, to_dept="", to_login="aca").headers["Location"]
    _post(aca, f"{page}/answer", {"answer": "已整改"}, page)
    r = _post(sup, f"{page}/reopen", {"note": ""}, page)
    assert r.status_code == 400 and 'id="err-note"' in r.get_data(as_text=True)
    assert _post(sup, f"{page}/reopen", {"note": "请补充说明"}, page).status_code == 302
    number = page.rsplit("/", 1)[1]
    assert number in sup.get(f"{NOTICES}?state=reopened").get_data(as_text=True)
    assert number not in sup.get(f"{NOTICES}?state=closed").get_data(as_text=True)
    assert people["aca2"].get(page).status_code == 404  # to a person: the colleague sees none


def test_register_by_management_seen_by_the_person(app, people, sample_handovers):
    mgt, sup, aca, tea = people["mgt"], people["sup"], people["aca"], people["tea"]
    page = "/supervision/register/"
    r = _post(mgt, f"{page}new", {"person": "ghost", "kind": "criticism", "reason": ""}, page)
    assert r.status_code == 400
    text = r.get_data(as_text=True)
    assert 'id="err-person"' in text and 'id="err-reason"' in text
    r = _post(sup, f"{page}new", {"person": "aca", "kind": "criticism", "reason": "x"}, page)
    assert r.status_code == 403  # the group sees the register; management decides
    r = _post(mgt, f"{page}new", {"person": "aca", "kind": "commendation",
                                  "reason": "及时签收，无差错", "handovers":
                                  sample_handovers["done"]}, page)
    assert r.status_code == 302
    assert "及时签收" in sup.get(page).get_data(as_text=True)
    assert "及时签收" in aca.get(f"{page}mine").get_data(as_text=True)
    assert "及时签收" not in tea.get(f"{page}mine").get_data(as_text=True)
    assert tea.get(page).status_code == 403
    ledger = app.extensions["handover"].ledger
    assert [e.outcome for e in ledger.entries(action="register.view")] == ["denied"]


def test_complaint_recorded_by_the_office_resolved_by_the_group(people, sample_handovers):
    aca, sup, tea = people["aca"], people["sup"], people["tea"]
    page = "/supervision/complaints/"
    r = _post(aca, f"{page}new", {"received_on": date.today().isoformat(), "channel": "phone",
                                  "summary": "", "handovers": "JJ-2026-999999"}, page)
    text = r.get_data(as_text=True)
    assert r.status_code == 400 and 'id="err-summary"' in text and 'id="err-handovers"' in text
    r = _post(aca, f"{page}new", {"received_on": date.today().isoformat(), "channel": "phone",
                                  "summary": "家长反映课表未通知",
                                  "handovers": sample_handovers["waiting"]}, page)
    assert r.status_code == 302
    detail = r.headers["Location"]
    assert 'id="resolve-card"' not in aca.get(detail).get_data(as_text=True)
    assert tea.get(page).status_code == 403 and tea.get(detail).status_code == 404
    r = _post(sup, f"{detail}/resolve", {"finding": "属实", "fault_staff": "nobody"}, detail)
    assert r.status_code == 400 and 'id="err-fault_staff"' in r.get_data(as_text=True)
    r = _post(sup, f"{detail}/resolve", {"finding": "属实", "fault_dept": "ACA"}, detail)
    assert r.status_code == 302
    assert "教务部" in sup.get(detail).get_data(as_text=True)


def test_the_supervision_page_links_the_oversight_records(people):
    page = people["sup"].get("/supervision/").get_data(as_text=True)
    assert 'id="oversight-nav"' in page and 'href="/supervision/notices/"' in page


def test_every_oversight_page_answers_every_role(people, add_staff, login_client, passwords):
    add_staff("admin", depts=(), admin=True, name="管理员")
    clients = {**people, "admin": login_client("admin", passwords["admin"])}
    pages = [NOTICES, "/supervision/register/", "/supervision/register/mine",
             "/supervision/complaints/", f"{NOTICES}ZG-2026-999999", f"{NOTICES}nonsense",
             "/supervision/complaints/TS-2026-999999", f"{NOTICES}?state=bogus"]
    for login, client in clients.items():
        for path in pages:
            r = client.get(path)
            assert r.status_code in (200, 403, 404), (login, path, r.status_code)
            assert "Traceback" not in r.get_data(as_text=True)
