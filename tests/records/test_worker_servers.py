"""Background work with several app servers on one PostgreSQL (issue 15 deliverable 5): two
workers (two engines, as two servers) send each notification once, taking rows with
FOR UPDATE SKIP LOCKED so that a row another worker holds is passed over, not waited for; the
daily digest is made once per school and day, whichever server's timer fires."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from records.db import make_engine, make_session_factory
from records.handovers import Handover, Status
from records.notify import Notification, handover_changed, save_choice
from records.notify.channels import EmailChannel
from records.notify.worker import Worker
from records.scheduled import ScheduledRun
from tests.records.notify_servers import SmtpServer
from tests.records.oversight_env import make_env
from tests.vault.ledger_backends import pg_url  # noqa: F401  (fixture)
from vault import FieldCipher, Keyring, attach_field_cipher


@pytest.fixture
def two_servers(pg_url, tmp_path):  # noqa: F811
    """The oversight staff and one submitted handover; the second server's sessions on an
    engine of its own."""
    engine, env = make_env(pg_url, tmp_path)
    other = make_engine(pg_url)
    attach_field_cipher(other, FieldCipher(Keyring.open(tmp_path / "keys")))
    yield env, make_session_factory(other)
    env.session.close()
    other.dispose()
    engine.dispose()


def _worker(sessions, clock, channel, **kw) -> Worker:
    kw.setdefault("digest_hour", 23)
    return Worker(sessions, channels={"email": channel}, base_url="https://jj.school.example",
                  clock=clock, **kw)


def _emails(env, count: int) -> int:
    for login in ("aca", "aca2"):
        save_choice(env.session, env.staff(login), email=f"{login}@school.example",
                    by_email=True, by_webhook=False)
    h = env.session.scalars(select(Handover)).one()
    for _ in range(count // 2):
        handover_changed(env.session, h)  # aca and aca2: one e-mail each
    env.session.commit()
    env.clock.now = datetime.now(UTC) + timedelta(seconds=1)  # the rows are stamped "now"
    return env.session.scalar(select(func.count()).select_from(Notification)
                              .where(Notification.channel == "email"))


def test_two_servers_send_each_notification_once(two_servers):
    env, other = two_servers
    expected = _emails(env, 30)
    assert expected == 30
    with SmtpServer() as smtp:
        channel = EmailChannel(host="127.0.0.1", port=smtp.port, security="none",
                               sender="jj@school.example")
        start, results = threading.Barrier(2), []

        def run(sessions):
            start.wait()
            results.append(_worker(sessions, env.clock, channel).run_once())

        threads = [threading.Thread(target=run, args=(s,)) for s in (env.factory, other)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        ids = [m["Message-ID"] for _, m in smtp.inbox.mails]
    assert len(ids) == expected and len(set(ids)) == expected, results
    assert sorted(r.sent for r in results)[0] > 0, results  # both took part
    assert sum(r.sent for r in results) == expected


def test_a_row_held_by_another_worker_is_skipped_not_waited_for(two_servers):
    env, other = two_servers
    expected = _emails(env, 6)
    first = env.session.scalar(select(func.min(Notification.id))
                               .where(Notification.channel == "email"))
    with SmtpServer() as smtp, other() as holder:
        # another server's worker is in the middle of claiming the first row
        holder.execute(text("SELECT id FROM notification WHERE id = :id FOR UPDATE"),
                       {"id": first})
        channel = EmailChannel(host="127.0.0.1", port=smtp.port, security="none",
                               sender="jj@school.example")
        done = []
        thread = threading.Thread(target=lambda: done.append(
            _worker(env.factory, env.clock, channel).run_once()))
        thread.start()
        thread.join(10)
        finished = not thread.is_alive()
        holder.rollback()
        thread.join(30)
    assert finished, "the worker waited for the row another worker holds"
    assert done[0].sent == expected - 1


def _due_for(env, login: str) -> None:
    """A handover waiting for `login`'s department, due within the digest's horizon."""
    h = env.session.scalars(select(Handover)).one()
    h.status, h.receive_due_at = Status.SUBMITTED, env.clock.now + timedelta(hours=3)
    h.receiver_dept = env.staff(login).department_codes[0].value
    env.session.commit()


def test_the_daily_digest_is_made_once_per_school_whichever_server(two_servers):
    env, other = two_servers
    env.clock.now = datetime(2026, 10, 12, 2, 0, tzinfo=UTC)  # 10:00 school time
    _due_for(env, "aca")  # aca and aca2 are told
    results = []
    start = threading.Barrier(2)

    def run(sessions):
        start.wait()
        results.append(_worker(sessions, env.clock, None, digest_hour=8).run_once())

    threads = [threading.Thread(target=run, args=(s,)) for s in (env.factory, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(r.digests for r in results) == [0, 2]
    # later that day the other server's timer fires again, with something new for tea: the
    # school's digest of the day is made already
    env.clock.now += timedelta(hours=2)
    _due_for(env, "tea")
    assert _worker(other, env.clock, None, digest_hour=8).run_once().digests == 0
    env.session.expire_all()
    assert env.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.kind == "digest", Notification.channel == "inapp")) == 2
    assert [r.period for r in env.session.scalars(select(ScheduledRun))] == ["2026-10-12"]
    env.clock.now += timedelta(days=1)  # the next day is another run
    assert _worker(env.factory, env.clock, None, digest_hour=8).run_once().digests == 1
