"""Notifications: written in the event's transaction, sent by the worker over a real SMTP
server and a real webhook receiver on loopback, retried with backoff, failed ones shown to
the administrator, and each sent exactly once by two workers running at the same moment."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from records.errors import ValidationFailed
from records.handovers import Handover, Status
from records.notify import Inbox, Notification, handover_changed, save_choice
from records.notify.channels import (
    DeliveryFailed,
    EmailChannel,
    Outgoing,
    WebhookChannel,
    webhook_url_problem,
)
from records.notify.digest import Digest
from records.notify.worker import Worker
from records.oversight import Notices
from tests.records.notify_servers import Robot, SmtpServer, free_port


def rows(env, **where):
    query = select(Notification).order_by(Notification.id)
    for key, value in where.items():
        query = query.where(getattr(Notification, key) == value)
    return list(env.session.scalars(query))


def handover(env) -> Handover:
    return env.session.scalars(select(Handover)).one()


def test_a_submitted_handover_tells_its_possible_receivers_and_a_return_its_sender(oversight):
    env = oversight
    h = handover(env)
    handover_changed(env.session, h)
    told = {n.recipient.login for n in rows(env, kind="handover.receive")}
    assert told == {"aca", "aca2"}  # the receiving department, not the sender
    h.status = Status.RETURNED
    handover_changed(env.session, h)
    assert [n.recipient.login for n in rows(env, kind="handover.returned")] == ["enr"]
    assert all(n.channel == "inapp" for n in rows(env))  # nobody gave an address


def test_a_rectification_notice_is_told_in_its_own_transaction(oversight):
    env = oversight
    notices = Notices(env.session, audit=env.ledger, clock=env.clock)
    notices.issue(env.staff("sup"), findings="李浩然的交接逾期", reply_by="2026-10-20",
                  to_dept="ACA")
    assert {n.recipient.login for n in rows(env, kind="notice.issued")} == {"aca", "aca2"}
    assert all("李浩然" not in n.body + n.subject for n in rows(env))  # policy C1
    env.session.rollback()  # the event is not kept: neither is its notification
    assert rows(env) == []


def test_a_person_without_an_address_gets_in_app_notices_only(oversight):
    env = oversight
    with pytest.raises(ValidationFailed):
        save_choice(env.session, env.staff("aca"), email="", by_email=True, by_webhook=False)
    with pytest.raises(ValidationFailed):
        save_choice(env.session, env.staff("aca"), email="not an address", by_email=True,
                    by_webhook=False)
    save_choice(env.session, env.staff("aca2"), email="aca2@school.example", by_email=True,
                by_webhook=True)
    handover_changed(env.session, handover(env))
    assert {(n.recipient.login, n.channel) for n in rows(env)} == {
        ("aca", "inapp"), ("aca2", "inapp"), ("aca2", "email"), ("aca2", "webhook")}


def worker(env, channels, **kw) -> Worker:
    """A worker on the test's clock, set to now: events stamp their rows with the real time."""
    env.clock.now = max(env.clock.now, datetime.now(UTC) + timedelta(seconds=1))
    return Worker(env.factory, channels=channels, base_url="https://jj.school.example",
                  retry_base=timedelta(minutes=1), max_attempts=3, digest_hour=23,
                  clock=env.clock, **kw)


def test_email_goes_through_a_real_smtp_server_with_starttls_and_login(oversight, tmp_path):
    env = oversight
    save_choice(env.session, env.staff("aca"), email="aca@school.example", by_email=True,
                by_webhook=False)
    handover_changed(env.session, handover(env))
    env.session.commit()
    with SmtpServer(tmp_path, user="robot", password="s3cret") as smtp:
        channel = EmailChannel(host="localhost", port=smtp.port, security="starttls",
                               sender="jj@school.example", user="robot", password="s3cret",
                               ssl_context=smtp.client_context)
        done = worker(env, {"email": channel}).run_once()
        assert done.sent == 1
        [(to, mail)] = smtp.inbox.mails
    assert to == ["aca@school.example"]
    assert mail["Subject"] == "【待签收】交接单 JJ-2026-000001"
    assert "https://jj.school.example/handovers/JJ-2026-000001" in mail.get_content()
    env.session.expire_all()
    assert [n.status for n in rows(env, channel="email")] == ["sent"]


def test_a_wrong_smtp_password_is_a_failed_attempt(tmp_path):
    with SmtpServer(tmp_path, user="robot", password="s3cret") as smtp:
        channel = EmailChannel(host="localhost", port=smtp.port, security="starttls",
                               sender="jj@school.example", user="robot", password="wrong",
                               ssl_context=smtp.client_context)
        with pytest.raises(DeliveryFailed, match="SMTP"):
            channel.send(Outgoing("a@school.example", "s", "t"))
        assert smtp.inbox.mails == []


@pytest.mark.parametrize("kind", ["wecom", "dingtalk"])
def test_the_group_robot_gets_a_json_post(oversight, kind):
    env = oversight
    save_choice(env.session, env.staff("aca"), email="", by_email=False, by_webhook=True)
    handover_changed(env.session, handover(env))
    env.session.commit()
    with Robot() as robot:
        channel = WebhookChannel(robot.url, kind=kind, secret="SEC" if kind == "dingtalk" else "")
        assert worker(env, {"webhook": channel}).run_once().sent == 1
        [(path, body)] = robot.posts
    assert body["msgtype"] == "text"
    assert "JJ-2026-000001" in body["text"]["content"]
    assert ("&timestamp=" in path and "&sign=" in path) == (kind == "dingtalk")


def test_a_robot_that_answers_an_error_code_fails_the_attempt():
    with Robot() as robot:
        robot.answer = {"errcode": 93000, "errmsg": "invalid webhook url"}
        with pytest.raises(DeliveryFailed, match="93000"):
            WebhookChannel(robot.url).send(Outgoing("", "s", "t"))


@pytest.mark.parametrize(("url", "ok"), [
    ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x", True),
    ("http://127.0.0.1:8080/hook", True), ("http://localhost/hook", True),
    ("http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x", False),
    ("ftp://example.com/x", False), ("not a url", False)])
def test_a_webhook_must_be_https_except_on_loopback(url, ok):
    assert (webhook_url_problem(url) is None) == ok
    if not ok:
        with pytest.raises(ValueError, match="群机器人地址"):
            WebhookChannel(url)


def test_failures_are_retried_with_backoff_then_shown_to_the_administrator(oversight):
    env = oversight
    save_choice(env.session, env.staff("aca"), email="aca@school.example", by_email=True,
                by_webhook=False)
    handover_changed(env.session, handover(env))
    env.session.commit()
    nobody = EmailChannel(host="127.0.0.1", port=free_port(), security="none",
                          sender="jj@school.example", timeout=2)
    w = worker(env, {"email": nobody})
    waits = []
    for _ in range(3):
        w.run_once()
        [row] = rows(env, channel="email")
        env.session.refresh(row)
        waits.append(row.next_attempt_at - env.clock.now)
        assert w.run_once().sent == 0  # not before its time
        env.clock.now = row.next_attempt_at
    assert row.status == "failed" and row.attempts == 3
    assert waits[:2] == [timedelta(minutes=1), timedelta(minutes=2)]  # doubled
    assert "SMTP 127.0.0.1" in row.last_error
    assert [n.id for n in Inbox(env.session).failed()] == [row.id]
    Inbox(env.session).retry(row.id)  # the administrator sends it again
    env.session.commit()
    with SmtpServer() as smtp:
        good = EmailChannel(host="127.0.0.1", port=smtp.port, security="none",
                            sender="jj@school.example")
        assert worker(env, {"email": good}).run_once().sent == 1
    env.session.refresh(row)
    assert row.status == "sent" and Inbox(env.session).failed() == []


def test_two_workers_at_once_send_each_notification_exactly_once(oversight):
    env = oversight
    for login in ("aca", "aca2", "sup", "tea", "mgt"):
        save_choice(env.session, env.staff(login), email=f"{login}@school.example",
                    by_email=True, by_webhook=False)
    h = handover(env)
    for _ in range(6):
        handover_changed(env.session, h)  # aca, aca2: 12 e-mails
        h.status = Status.RETURNED
        handover_changed(env.session, h)  # enr: no address
        h.status = Status.SUBMITTED
    env.session.commit()
    expected = len(rows(env, channel="email"))
    assert expected == 12
    with SmtpServer() as smtp:
        channel = EmailChannel(host="127.0.0.1", port=smtp.port, security="none",
                               sender="jj@school.example")
        start = threading.Barrier(2)
        results = []

        def run():
            start.wait()
            results.append(worker(env, {"email": channel}).run_once())

        threads = [threading.Thread(target=run) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        ids = sorted(m["Message-ID"] for _, m in smtp.inbox.mails)
    assert len(ids) == expected and len(set(ids)) == expected
    assert sum(r.sent for r in results) == expected


def test_the_daily_digest_lists_what_is_due_once_a_day(oversight):
    env = oversight
    h = handover(env)
    h.receive_due_at = env.clock.now + timedelta(hours=3)
    env.session.commit()
    digest = Digest(env.session, hour=8, clock=env.clock)  # 02:00 UTC is 10:00 school time
    assert digest.run() == 2  # aca and aca2 may countersign it
    assert digest.run() == 0
    [row, _] = rows(env, kind="digest")
    assert "JJ-2026-000001" in row.body and "即将到期" in row.body
    env.clock.now += timedelta(days=1)  # now overdue, and another day
    assert digest.run() == 2
    assert "已逾期" in rows(env, kind="digest")[-1].body
