"""Every page of the navigation, and a handover's pages, answer every kind of user with a page
they may see or a clear refusal: never a 500, never a traceback."""

from __future__ import annotations

import pytest

PAGES = ["/", "/handovers/", "/handovers/new", "/students/", "/students/new",
         "/students/import", "/classes/", "/classes/new", "/search/", "/verify/",
         "/money/", "/money/totals", "/money/overdue", "/money/entries/new"]


@pytest.mark.parametrize("login", ["enr", "aca", "tea", "sup", "admin", "fin"])
def test_every_page_answers_every_role(sample_handovers, passwords, add_staff, login_client,
                                       login):
    if login not in passwords:
        add_staff(login, depts=() if login == "admin" else ("FIN",), admin=login == "admin",
                  name="管理员" if login == "admin" else "赵敏")
    client = login_client(login, passwords[login])
    number = sample_handovers["done"]
    for path in [*PAGES, f"/handovers/{number}", f"/handovers/{number}/pdf",
                 f"/verify/{number}", "/students/1", "/classes/1"]:
        r = client.get(path)
        body = r.get_data(as_text=True) if r.mimetype == "text/html" else ""
        assert r.status_code in (200, 403, 404), (login, path, r.status_code)
        assert "Traceback" not in body
        if r.status_code == 200 and r.mimetype == "text/html":
            assert "学生交接档案系统" in body, (login, path)
