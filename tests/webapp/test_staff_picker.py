"""The archive lend form's borrower picker: the form names no colleague list to type a login
into; a POSTed lookup (CSRF-checked, nothing typed in the URL) answers at most 20 active staff
by name, login or department, for the archive office only; the form still posts the login."""

from __future__ import annotations

import re

import pytest

from records.departments import Department
from tests.records.test_archive import school  # noqa: F401  (fixture)

TEACHERS = 23  # more than one answer holds


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


@pytest.fixture
def office(app, add_staff, login_client):
    arc = login_client(*add_staff("arc", depts=("ARC",), name="档案员"))
    for n in range(TEACHERS):
        add_staff(f"tea{n:02d}", depts=("TEA",), name=f"陈老师{n:02d}")
    add_staff("fin1", depts=("FIN",), name="周会计")
    add_staff("gone1", depts=("FIN",), name="周离职")
    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        svc.accounts(db).disable("gone1")
        db.commit()
    return {"arc": arc, "enr": login_client(*add_staff("enr", depts=("ENR",)))}


def ask(client, text, *, token=True):
    data = {"q": text}
    if token:
        data["csrf_token"] = csrf_of(client.get("/").get_data(as_text=True))
    return client.post("/archive/borrowers", data=data)


def test_the_lookup_finds_by_name_login_and_department(office):
    arc = office["arc"]
    found = ask(arc, "周").get_json()
    assert [i["value"] for i in found["items"]] == ["fin1"] and not found["more"]  # not gone1
    assert found["items"][0]["label"] == "周会计（财务部）· fin1"
    by_login = ask(arc, "FIN1").get_json()["items"]
    assert [i["value"] for i in by_login] == ["fin1"]
    teachers = ask(arc, Department.TEA.label_zh).get_json()
    assert len(teachers["items"]) == 20 and teachers["more"] is True
    assert ask(arc, "").get_json() == {"items": [], "more": False}
    assert ask(arc, "%").get_json()["items"] == []  # a LIKE wildcard is a character


def test_only_the_archive_office_may_look_up_and_only_by_post(office):
    assert ask(office["enr"], "周").status_code == 403
    assert ask(office["arc"], "周", token=False).status_code == 400  # CSRF
    assert office["arc"].get("/archive/borrowers?q=周").status_code in (404, 405)


def test_the_lend_form_offers_the_picker_and_still_posts_the_login(app, school, passwords):  # noqa: F811
    from tests.webapp.test_archive_pages import client_for, file_number, lend

    arc, number = client_for(app, passwords, "arc"), file_number(app)
    html = arc.get(f"/archive/{number}/lend").get_data(as_text=True)
    assert 'data-lookup="/archive/borrowers"' in html and 'name="borrower"' in html
    assert lend(arc, number, passwords).status_code == 302  # borrower=enr, a login
