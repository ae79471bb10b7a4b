"""A locked SQLite file (another worker holding the write lock past the busy timeout) gives
503 "稍后再试" and writes nothing (DESIGN "One request, one transaction")."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

from sqlalchemy import func, select

from records.handovers import Handover
from tests.conftest import make_app
from tests.webapp.test_student_pages import sign_in


def test_a_locked_database_answers_503_and_nothing_is_written(tmp_path, instance_template,
                                                              passwords):
    from tests.conftest import _add_staff

    app = make_app(tmp_path / "instance", instance_template, SQLITE_BUSY_SECONDS=1)
    svc = app.extensions["handover"]
    _add_staff(app, passwords, "enr", depts=("ENR",))
    client = app.test_client()
    sign_in(client, "enr", passwords["enr"])
    page = client.get("/handovers/new/F1").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    other = sqlite3.connect(svc.database_url.removeprefix("sqlite:///"), timeout=0)
    other.execute("BEGIN IMMEDIATE")  # another worker's write transaction, held
    try:
        r = client.post("/handovers/new/F1", data={"csrf_token": token, "action": "save",
                                                   "f.course_of_interest": "初一数学"})
    finally:
        other.rollback()
        other.close()
    assert r.status_code == 503 and "稍后再试" in r.get_data(as_text=True)
    with svc.session_factory() as db:
        assert db.scalar(select(func.count()).select_from(Handover)) == 0
    svc.close()


def test_a_page_view_neither_waits_for_nor_takes_the_write_lock(tmp_path, instance_template,
                                                                passwords):
    """Recording a session's last activity is bookkeeping: a busy file skips it (the next
    request tries again) instead of turning a read into a 503, and a read never holds the
    write lock while the page is made."""
    from tests.conftest import _add_staff

    app = make_app(tmp_path / "instance", instance_template, SQLITE_BUSY_SECONDS=1)
    svc = app.extensions["handover"]
    _add_staff(app, passwords, "enr", depts=("ENR",))
    client = app.test_client()
    sign_in(client, "enr", passwords["enr"])
    path = svc.database_url.removeprefix("sqlite:///")

    def age_the_session():  # two minutes ago, as the column stores it, marked by its year
        with sqlite3.connect(path) as db:
            (seen,) = db.execute("SELECT last_seen_at FROM web_session").fetchone()
            stamp = datetime.fromisoformat(seen) - timedelta(minutes=2)
            db.execute("UPDATE web_session SET last_seen_at = ?",
                       (stamp.isoformat(sep=" "),))
            return stamp.isoformat(sep=" ")

    def last_seen():
        with sqlite3.connect(path) as db:
            return db.execute("SELECT last_seen_at FROM web_session").fetchone()[0]

    aged = age_the_session()
    other = sqlite3.connect(path, timeout=0)
    other.execute("BEGIN IMMEDIATE")  # another worker's write transaction, held
    try:
        r = client.get("/")
    finally:
        other.rollback()
        other.close()
    assert r.status_code == 200, r.status_code
    assert last_seen() == aged  # skipped, not waited for
    assert client.get("/").status_code == 200
    assert last_seen() > aged  # the next request records it
    svc.close()
