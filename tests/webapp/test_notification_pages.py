"""通知 on the web and the command line: the unread count in the menu, opening a notice,
one's channels on the account page (a bad address refused with 400, nothing stored), the
failed deliveries an administrator sees, settings that refuse a plain-http webhook, and
`handover worker --once`. The last test sends every notification of the demo through a real
SMTP server and webhook receiver and scans each for the demo students' private values."""

from __future__ import annotations

import re
from dataclasses import astuple
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from records.demo import DEMO_STUDENTS
from records.notify import Notification, NotificationChoice
from records.staff import Staff
from tests.records.notify_servers import Robot, SmtpServer
from webapp.settings import SettingsError


def csrf(client, path="/notifications/") -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def test_the_receiver_sees_an_unread_count_and_opens_the_handover(app, login_client,
                                                                  sample_handovers, passwords):
    aca = login_client("aca", passwords["aca"])
    home = aca.get("/").get_data(as_text=True)
    assert re.search(r'id="unread-count"[^>]*>1<', home)  # the waiting handover
    page = aca.get("/notifications/").get_data(as_text=True)
    assert sample_handovers["waiting"] in page and "【待签收】" in page
    with app.app_context():
        svc = app.extensions["handover"]
        with svc.session_factory() as db:
            [row] = db.scalars(select(Notification).join(Staff).where(
                Staff.login == "aca", Notification.kind == "handover.receive",
                Notification.ref == sample_handovers["waiting"]))
    token = csrf(aca)
    r = aca.post(f"/notifications/{row.id}/open", data={"csrf_token": token})
    assert r.status_code == 302
    assert r.headers["Location"].endswith(f"/handovers/{sample_handovers['waiting']}")
    assert 'id="unread-count"' not in aca.get("/").get_data(as_text=True)
    enr = login_client("enr", passwords["enr"])  # someone else's notice: not found
    assert enr.post(f"/notifications/{row.id}/open",
                    data={"csrf_token": csrf(enr)}).status_code == 404


def test_channels_are_chosen_on_the_account_page(app, login_client, add_staff):
    login, password = add_staff("tea1", depts=("TEA",))
    client = login_client(login, password)
    page = client.get("/account/password").get_data(as_text=True)
    assert 'id="notify-choice"' in page and "未配置邮件服务器" in page
    token = csrf(client, "/account/password")
    bad = client.post("/account/notifications", data={
        "csrf_token": token, "email": "没有at符号", "by_email": "1"})
    assert bad.status_code == 400 and "电子邮件地址格式不正确" in bad.get_data(as_text=True)
    none = client.post("/account/notifications", data={"csrf_token": token, "by_email": "1"})
    assert none.status_code == 400 and "请填写电子邮件地址" in none.get_data(as_text=True)
    with app.app_context(), app.extensions["handover"].session_factory() as db:
        assert db.scalars(select(NotificationChoice)).all() == []  # nothing half-written
    ok = client.post("/account/notifications", data={
        "csrf_token": token, "email": "tea1@school.example", "by_email": "1"})
    assert ok.status_code == 302
    assert 'value="tea1@school.example"' in client.get("/account/password").get_data(
        as_text=True)


def test_failed_deliveries_are_shown_to_the_administrator_only(app, login_client, add_staff,
                                                               sample_handovers, passwords):
    add_staff("root", admin=True, depts=())
    with app.app_context(), app.extensions["handover"].session_factory() as db:
        row = db.scalars(select(Notification)).first()
        row.channel, row.status, row.attempts = "email", "failed", 6
        row.last_error = "SMTP mail.school.example:587: ConnectionRefusedError"
        db.commit()
    admin = login_client("root", passwords["root"])
    page = admin.get("/notifications/").get_data(as_text=True)
    assert 'id="failed-list"' in page and "ConnectionRefusedError" in page
    aca = login_client("aca", passwords["aca"])
    assert 'id="failed-list"' not in aca.get("/notifications/").get_data(as_text=True)
    assert aca.post(f"/notifications/failed/{row.id}/retry",
                    data={"csrf_token": csrf(aca)}).status_code == 403
    r = admin.post(f"/notifications/failed/{row.id}/retry", data={"csrf_token": csrf(admin)})
    assert r.status_code == 302
    assert 'id="failed-list"' not in admin.get("/notifications/").get_data(as_text=True)


@pytest.mark.parametrize(("config", "message"), [
    ({"WEBHOOK_URL": "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x"}, "https"),
    ({"WEBHOOK_KIND": "slack"}, "WEBHOOK_KIND"),
    ({"SMTP_SECURITY": "ssl3"}, "SMTP_SECURITY"),
    ({"SMTP_HOST": "mail.school.example"}, "SMTP_FROM")])
def test_notification_settings_that_cannot_work_stop_the_start(tmp_path, config, message):
    from webapp import create_app

    with pytest.raises(SettingsError, match=message) as caught:
        create_app({"INSTANCE": tmp_path / "i", **config})
    assert "key=x" not in str(caught.value)  # the robot's key is never echoed


@pytest.mark.slow
def test_no_notification_of_the_demo_carries_a_private_value(app, runner, tmp_path):
    """policy C1, C2: every message the demo causes, and the daily digest, sent by e-mail and
    by webhook through real servers, holds no demo student's private value."""
    assert runner.invoke(args=["demo"]).exit_code == 0
    svc = app.extensions["handover"]
    with SmtpServer() as smtp, Robot() as robot:
        svc.settings.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port, SMTP_SECURITY="none",
                            SMTP_FROM="jj@school.example", WEBHOOK_URL=robot.url,
                            NOTIFY_DIGEST_HOUR=0)
        with app.app_context(), svc.session_factory() as db:
            for person in db.scalars(select(Staff)):
                db.add(NotificationChoice(staff_id=person.id, email=f"{person.login}@s.example",
                                          by_email=True, by_webhook=True,
                                          updated_at=datetime.now(UTC)))
            # every message already made goes out by both channels too
            for row in db.scalars(select(Notification).where(Notification.channel == "inapp")):
                for channel in ("email", "webhook"):
                    db.add(Notification(**{c: getattr(row, c) for c in (
                        "recipient_id", "kind", "ref_type", "ref", "subject", "body", "link",
                        "deadline", "created_at")}, channel=channel, status="pending",
                        attempts=0, next_attempt_at=row.created_at))
            db.commit()
        result = runner.invoke(args=["worker", "--once"])
        assert result.exit_code == 0, result.output
        sent = smtp.inbox.texts() + robot.texts()
    kinds = {t.split("】")[0] for t in sent}
    assert {"【待签收", "【每日提醒", "【待审批", "【整改通知"} <= kinds, kinds
    private = {v for s in DEMO_STUDENTS for v in astuple(s)[:1] + astuple(s)[2:] if v}
    assert len(private) > 20
    leaks = [(v, t[:80]) for t in sent for v in private if v in t]
    assert leaks == []
