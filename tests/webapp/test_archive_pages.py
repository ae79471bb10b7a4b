"""The archive pages and `handover archive` commands (policy R-ARC): the archive office sees
and searches the register (titles never in a URL), lends with the borrower's password, returns
and renews; a confidential file is refused for loan with a 409; other staff see only their own
loans; the supervision group sees the overdue list without titles; the NAV shows 档案 to those
who may use it; the digital consult is a watermarked PDF."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader

from records.archive import ArchiveFile, ArchiveLoan
from records.staff import LoginThrottle
from tests.records.test_archive import NAME, school  # noqa: F401  (fixture)
from tests.webapp.test_student_pages import csrf_of, ledger, post_form, sign_in
from webapp.settings import SettingsError


def client_for(app, passwords, login):
    client = app.test_client()
    sign_in(client, login, passwords[login])
    return client


def file_number(app) -> str:
    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        return db.query(ArchiveFile).order_by(ArchiveFile.id).first().number


def loans(app) -> list[ArchiveLoan]:
    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        return db.query(ArchiveLoan).order_by(ArchiveLoan.id).all()


def lend(client, number, passwords, **data):
    form = {"borrower": "enr", "kind": "borrow", "purpose": "教学检查", "approver": "mgt",
            "password": passwords["enr"], **data}
    return post_form(client, f"/archive/{number}/lend", form)


def test_the_register_search_and_the_file_page(app, school, passwords):  # noqa: F811
    arc = client_for(app, passwords, "arc")
    number = file_number(app)
    home = arc.get("/").get_data(as_text=True)
    assert 'href="/archive/"' in home and ">档案<" in home
    html = arc.get("/archive/").get_data(as_text=True)
    assert number in html and "少儿英语春季A班" in html
    r = post_form(arc, "/archive/", {"q": "春季A班"})
    assert r.status_code == 200 and number in r.get_data(as_text=True)
    r = post_form(arc, "/archive/", {"q": "没有这个"})
    assert number not in r.get_data(as_text=True) and 'id="archive-empty"' in r.get_data(
        as_text=True)
    assert number not in arc.get("/archive/?security=confidential").get_data(as_text=True)
    before = len(ledger(app, "archive.view"))
    page = arc.get(f"/archive/{number}").get_data(as_text=True)
    assert NAME in page and 'id="consult-form"' in page and 'id="correct-form"' in page
    assert len(ledger(app, "archive.view")) == before + 1
    urls = re.findall(r'(?:href|action|src)="([^"]*)"', page)
    assert not any("春季" in u or NAME in u for u in urls)


def test_lend_return_renew_in_the_browser(app, school, passwords):  # noqa: F811
    arc = client_for(app, passwords, "arc")
    number = file_number(app)
    r = lend(arc, number, passwords)
    assert r.status_code == 302, r.get_data(as_text=True)
    loan = loans(app)[0]
    assert r.headers["Location"].endswith(f"/archive/loans/{loan.number}")
    page = arc.get(f"/archive/loans/{loan.number}").get_data(as_text=True)
    assert 'id="return-form"' in page and 'id="renew-form"' in page
    slip = arc.get(f"/archive/loans/{loan.number}/slip")
    assert slip.status_code == 200 and slip.data.startswith(b"%PDF")
    r = arc.post(f"/archive/loans/{loan.number}/renew",
                 data={"csrf_token": csrf_of(page), "days": "3"})
    assert r.status_code == 302 and loans(app)[0].renewed_at is not None
    r = arc.post(f"/archive/loans/{loan.number}/renew",
                 data={"csrf_token": csrf_of(page), "days": "3"})
    assert r.status_code == 409 and "已续借过一次" in r.get_data(as_text=True)
    r = arc.post(f"/archive/loans/{loan.number}/return",
                 data={"csrf_token": csrf_of(page), "condition": "完好"})
    assert r.status_code == 302 and loans(app)[0].return_condition == "完好"
    assert number in arc.get(f"/archive/{number}").get_data(as_text=True)


def test_bad_input_and_a_wrong_password_write_nothing(app, school, passwords):  # noqa: F811
    # a delay no machine outruns between two requests (the default is one second)
    app.extensions["handover"].settings["LOGIN_BASE_DELAY_SECONDS"] = 60
    arc = client_for(app, passwords, "arc")
    number = file_number(app)
    r = lend(arc, number, passwords, purpose="", approver="")
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and 'id="purpose-error"' in html and 'id="approver-error"' in html
    r = lend(arc, number, passwords, password="wrong-password")
    assert r.status_code == 400 and "借阅人密码不正确" in r.get_data(as_text=True)
    assert loans(app) == []
    r = lend(arc, number, passwords)  # throttled like a sign-in: the failure was kept
    assert r.status_code == 429 and loans(app) == []


def test_confidential_file_is_refused_for_loan(app, school, passwords):  # noqa: F811
    arc = client_for(app, passwords, "arc")
    number = file_number(app)
    page = arc.get(f"/archive/{number}").get_data(as_text=True)
    r = arc.post(f"/archive/{number}/correct", data={
        "csrf_token": csrf_of(page), "security": "confidential", "reason": "含健康信息"})
    assert r.status_code == 302
    r = lend(arc, number, passwords)
    assert r.status_code == 409 and "只能在档案室现场查阅" in r.get_data(as_text=True)
    assert loans(app) == []
    assert lend(arc, number, passwords, kind="on_site").status_code == 302


def test_other_staff_see_only_their_own_loans(app, school, passwords, add_staff):  # noqa: F811
    arc = client_for(app, passwords, "arc")
    number = file_number(app)
    assert lend(arc, number, passwords).status_code == 302
    loan = loans(app)[0].number
    enr = client_for(app, passwords, "enr")
    assert ">档案<" not in enr.get("/").get_data(as_text=True)
    html = enr.get("/archive/").get_data(as_text=True)
    assert loan in html and 'id="archive-list"' not in html
    assert enr.get(f"/archive/{number}").status_code == 404
    assert enr.get(f"/archive/loans/{loan}").status_code == 200
    assert enr.get(f"/archive/{number}/lend").status_code == 403
    r = enr.post(f"/archive/{number}/lend", data={"csrf_token": csrf_of(html)})
    assert r.status_code == 403
    assert enr.get("/archive/overdue").status_code == 403
    add_staff("enr2", depts=("ENR",))
    other = client_for(app, passwords, "enr2")
    assert loan not in other.get("/archive/").get_data(as_text=True)
    assert other.get(f"/archive/loans/{loan}").status_code == 404


def test_supervision_sees_overdue_loans_without_titles(app, school, passwords):  # noqa: F811
    svc = app.extensions["handover"]
    with svc.session_factory() as db:  # a loan made on 2026-09-28, long overdue now
        desk = svc.archive_loans(db)
        desk.clock = lambda: datetime(2026, 9, 28, 1, 0, tzinfo=UTC)
        accounts = svc.accounts(db)
        file = db.query(ArchiveFile).first()
        desk.lend(accounts.get("arc"), file, borrower=accounts.get("enr"),
                  password=passwords["enr"], purpose="教学检查", approver=accounts.get("mgt"))
        db.commit()
    sup = client_for(app, passwords, "sup")
    assert ">档案<" in sup.get("/").get_data(as_text=True)
    r = sup.get("/archive/overdue")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "2026-09-30" in html and file_number(app) in html
    assert "少儿英语春季A班" not in html and NAME not in html
    arc = client_for(app, passwords, "arc")  # and the borrower cannot borrow again
    r = lend(arc, file_number(app), passwords, kind="on_site")
    assert r.status_code == 409 and "逾期未还" in r.get_data(as_text=True)
    # the borrower is told on their home page; the archive office's own page has no such notice
    home = client_for(app, passwords, "enr").get("/").get_data(as_text=True)
    assert 'id="my-overdue-loans"' in home and "2026-09-30" in home
    assert 'id="my-overdue-loans"' not in arc.get("/").get_data(as_text=True)


def test_digital_consult_from_the_file_page(app, school, passwords):  # noqa: F811
    arc = client_for(app, passwords, "arc")
    number = file_number(app)
    page = arc.get(f"/archive/{number}").get_data(as_text=True)
    r = arc.post(f"/archive/{number}/consult",
                 data={"csrf_token": csrf_of(page), "purpose": "审计检查"})
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    text = PdfReader(io.BytesIO(r.data)).pages[0].extract_text()
    assert "用途：审计检查" in text and "孙丽" in text
    assert ledger(app, "archive.consult")[-1].reason == "审计检查"
    r = arc.post(f"/archive/{number}/consult", data={"csrf_token": csrf_of(page),
                                                     "purpose": "随便看看"})
    assert r.status_code == 400


def test_hand_registration_page(app, school, passwords):  # noqa: F811
    arc = client_for(app, passwords, "arc")
    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        from records.students import Student

        student_no = db.get(Student, school["student_id"]).student_no
    r = post_form(arc, "/archive/new", {"title": "", "student_nos": "XS-1999-99999",
                                        "filed_on": "2019-02-30", "retention": "10y",
                                        "security": "normal", "location": "",
                                        "materials": "成绩报告单|成绩单"})
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and 'id="title-error"' in html and 'id="filed_on-error"' in html
    assert "未找到学号：XS-1999-99999" in html and 'id="materials-error"' in html
    r = post_form(arc, "/archive/new", {"title": "2019 年纸质档案", "student_nos": student_no,
                                        "filed_on": "2019-07-01", "retention": "10y",
                                        "security": "precious", "location": "B-02",
                                        "materials": "成绩报告单|2019 成绩单|2"})
    assert r.status_code == 302
    with svc.session_factory() as db:
        assert db.query(ArchiveFile).count() == 2


def test_cli_list_show_lend_renew_return(app, school, passwords):  # noqa: F811
    runner = app.test_cli_runner()
    number = file_number(app)
    r = runner.invoke(args=["archive", "list", "--as", "arc", "--json"])
    assert r.exit_code == 0 and json.loads(r.output)[0]["number"] == number
    r = runner.invoke(args=["archive", "lend", number, "--as", "arc", "--borrower", "enr",
                            "--approver", "mgt", "--purpose", "教学检查", "--password-stdin"],
                      input=passwords["enr"] + "\n")
    assert r.exit_code == 0 and "已登记 JY-" in r.output, r.output
    loan, due = loans(app)[0].number, loans(app)[0].due_on
    r = runner.invoke(args=["archive", "renew", loan, "--as", "arc", "--days", "2"])
    assert r.exit_code == 0 and "已续借" in r.output and loans(app)[0].due_on > due
    r = runner.invoke(args=["archive", "show", number, "--as", "arc", "--json"])
    assert json.loads(r.output)["loans"][0]["number"] == loan
    r = runner.invoke(args=["archive", "return", loan, "--as", "arc", "--condition", "完好"])
    assert r.exit_code == 0 and "已登记归还" in r.output
    r = runner.invoke(args=["archive", "list", "--as", "enr"])
    assert r.exit_code == 1 and "只有档案室" in r.output
    lend = ["archive", "lend", number, "--as", "arc", "--borrower", "enr", "--approver", "mgt",
            "--purpose", "教学检查", "--password-stdin"]
    r = runner.invoke(args=lend, input="not-the-password\n")
    assert r.exit_code == 1 and len(loans(app)) == 1
    # the failure was kept, as on the page (the stored record, not a race with the clock)
    with app.extensions["handover"].session_factory() as db:
        throttle = db.get(LoginThrottle, "enr")
        assert throttle.failures == 1 and throttle.next_allowed_at is not None


def test_demo_registers_the_f8_and_a_returned_loan(app):
    runner = app.test_cli_runner()
    r = runner.invoke(args=["demo"])
    assert r.exit_code == 0 and "已归还的借阅登记" in r.output, r.output
    r = runner.invoke(args=["archive", "show", f"DA-{datetime.now(UTC).year}-0001",
                            "--as", "arc", "--json"])
    shown = json.loads(r.output)
    assert shown["location"] == "A 柜 01 层 1 格" and shown["loans"][0]["returned"]
    assert "已归还的借阅登记" not in runner.invoke(args=["demo"]).output  # idempotent


def test_a_wrong_retention_setting_stops_the_start(tmp_path):
    from webapp import create_app

    with pytest.raises(SettingsError, match="ARCHIVE_RETENTION"):
        create_app({"INSTANCE": tmp_path / "instance", "ARCHIVE_RETENTION": "5y"})
