"""A signed-in test client and a complete F2 submission (form fields and two uploads), for
tests that drive the real pages end to end."""

from __future__ import annotations

import re
from io import BytesIO

SCAN = b"%PDF-1.4\n% scan\n%%EOF\n"


def _token(client, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def signed_in(app, login: str, password: str):
    """A test client signed in through the login form; returns (client, csrf token)."""
    client = app.test_client()
    r = client.post("/login", data={"csrf_token": _token(client, "/login"), "login": login,
                                    "password": password})
    assert r.status_code == 302, r.status_code
    return client, _token(client, "/")


def submit_f2(client, token: str, password: str, student_id: int):
    """POST a complete, signed F2 for `student_id`."""
    form = {"csrf_token": token, "action": "submit", "password": password,
            "f.student": str(student_id), "f.course": "初二数学", "f.registration_date":
            "2026-03-02", "f.fee_paid": "4680.50", "f.payment_method": "微信支付",
            "f.class_hours": "48", "f.agreement_number": "XY-1",
            "att.enrollment_agreement": (BytesIO(SCAN), "a.pdf"),
            "att.paper_scan": (BytesIO(SCAN), "b.pdf")}
    return client.post("/handovers/new/F2", data=form, content_type="multipart/form-data")


def add_student(app) -> int:
    """One student; returns the id."""
    from records.students import StudentInput

    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        student = svc.students(db).add(StudentInput("欧阳晓雯", "女", "2015-03-12", "", "", "",
                                                    "张伟", "13812345678"),
                                       actor_id=None, actor="test")
        db.commit()
        return student.id
