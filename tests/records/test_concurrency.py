"""Two people act at once, and a failure mid-step (DESIGN "One request, one transaction"), on
SQLite and PostgreSQL: one countersignature of two, numbers that never collide, a sign-in
throttle that counts every attempt, and a failure after any write step leaves nothing behind
(database, vault and ledger agree)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from records.errors import AuthenticationFailed, Conflict
from records.handovers import Handover, HandoverEvent, Status
from records.students import StudentInput
from records.workflow import Upload
from tests.conftest import make_app

SCAN = b"%PDF-1.4\n% scan\n%%EOF\n"


@pytest.fixture
def school(db_url, tmp_path, instance_template, passwords):
    from tests.conftest import _add_staff

    app = make_app(tmp_path / "instance", instance_template, DATABASE_URL=db_url)
    for login, dept in (("enr", "ENR"), ("aca", "ACA"), ("aca2", "ACA")):
        _add_staff(app, passwords, login, depts=(dept,))
    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        sid = svc.students(db).add(StudentInput("张子涵", "女", "2015-03-12", "", "", "", "张伟",
                                                "13812345678"), actor_id=None, actor="t").id
        db.commit()
    yield app, svc, sid
    svc.close()


def f2(sid):
    return {"student": sid, "course": "初二数学", "registration_date": "2026-09-30",
            "fee_paid": "4680.50", "payment_method": "微信支付", "class_hours": 48,
            "agreement_number": "XY-1"}


def submitted(svc, sid, passwords) -> str:
    with svc.session_factory() as db:
        wf = svc.workflow(db)
        enr = svc.accounts(db).get("enr")
        h = wf.create(enr, "F2", f2(sid), uploads=[
            Upload("enrollment_agreement", "a.pdf", SCAN), Upload("paper_scan", "s.pdf", SCAN)])
        wf.submit(enr, h, passwords["enr"])
        db.commit()
        return h.number


def in_request(svc, work):
    """One request: its own session, committed when `work` succeeds, rolled back otherwise
    (as the web app's after_request does)."""
    with svc.session_factory() as db:
        try:
            result = work(db)
            db.commit()
            return result
        except BaseException:
            db.rollback()
            raise


def ledger_actions(svc, number):
    return [(e.action, e.outcome) for e in svc.ledger.entries(subject=f"handover:{number}")
            if not e.action.endswith(".view")]


def test_two_receivers_countersign_at_once_and_exactly_one_signs(school, passwords):
    app, svc, sid = school
    number = submitted(svc, sid, passwords)
    objects_before = set(svc.vault.object_ids())
    start = threading.Barrier(2)

    def countersign(login):
        def work(db):
            wf = svc.workflow(db)
            me = svc.accounts(db).get(login)
            h = wf.get(me, number)
            start.wait()
            return wf.countersign(me, h, passwords[login]).status

        try:
            return in_request(svc, work)
        except Conflict as exc:
            return exc.message_zh

    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(countersign, ["aca", "aca2"]))
    assert outcomes.count(Status.COMPLETED) == 1, outcomes
    [lost] = [o for o in outcomes if o != Status.COMPLETED]
    assert "已由" in lost and "签收" in lost and "没有保存" in lost
    with svc.session_factory() as db:
        signed = db.scalar(select(func.count()).select_from(HandoverEvent).join(Handover)
                           .where(Handover.number == number,
                                  HandoverEvent.action == "countersigned"))
        h = db.scalar(select(Handover).where(Handover.number == number))
        assert signed == 1 and h.status == Status.COMPLETED
        final = h.current.final_object_id
    # the winner's countersigned PDF is kept, the loser's is discarded: one new object
    assert set(svc.vault.object_ids()) - objects_before == {final}
    assert ledger_actions(svc, number).count(("handover.countersign", "ok")) == 1


def test_fifty_creates_at_once_get_fifty_numbers(school, passwords):
    app, svc, sid = school
    start = threading.Barrier(10)

    def create(_):
        def work(db):
            wf = svc.workflow(db)
            return wf.create(svc.accounts(db).get("enr"), "F2", f2(sid)).number

        start.wait() if _ < 10 else None
        return in_request(svc, work)

    with ThreadPoolExecutor(10) as pool:
        numbers = list(pool.map(create, range(50)))
    assert len(set(numbers)) == 50
    year = datetime.now(UTC).year
    assert sorted(numbers) == [f"JJ-{year}-{n:06d}" for n in range(1, 51)]


def test_thirty_wrong_passwords_at_once_are_each_counted(school):
    app, svc, _ = school
    from records.staff import LoginThrottle

    start = threading.Barrier(10)

    def guess(i):
        def work(db):
            accounts = svc.accounts(db)
            accounts.policy = accounts.policy.__class__(
                max_failures=1000, lock_minutes=15, base_delay_seconds=0)
            if i < 10:
                start.wait()
            try:
                accounts.authenticate("newcomer", f"wrong-{i}")
            except AuthenticationFailed:
                db.commit()  # the count is kept, as the sign-in page does
                return "counted"

        return in_request(svc, work)

    with ThreadPoolExecutor(10) as pool:
        outcomes = list(pool.map(guess, range(30)))
    assert outcomes == ["counted"] * 30
    with svc.session_factory() as db:
        assert db.get(LoginThrottle, "newcomer").failures == 30


class Boom(Exception):
    pass


@pytest.mark.parametrize("step, after", [
    ("submit", "_put"), ("submit", "obligations.answer"), ("submit", "_changed"),
    ("countersign", "_put"), ("countersign", "obligations.on_received"),
    ("countersign", "_changed"),
])
def test_a_failure_after_any_write_step_leaves_nothing(school, passwords, monkeypatch, step,
                                                       after):
    app, svc, sid = school
    number = submitted(svc, sid, passwords) if step == "countersign" else None
    objects_before = set(svc.vault.object_ids())
    ledger_before = ledger_actions(svc, number) if number else []

    def work(db):
        wf = svc.workflow(db)
        owner, attr = (wf.obligations, after.split(".")[1]) if "." in after else (wf, after)
        real = getattr(owner, attr)
        calls = {"n": 0}

        def failing(*args, **kwargs):  # the step's write happens, then the failure
            result = real(*args, **kwargs)
            calls["n"] += 1
            if calls["n"] == 1:
                raise Boom(after)
            return result

        monkeypatch.setattr(owner, attr, failing)
        if step == "submit":
            enr = svc.accounts(db).get("enr")
            h = wf.create(enr, "F2", f2(sid), uploads=[
                Upload("enrollment_agreement", "a.pdf", SCAN),
                Upload("paper_scan", "s.pdf", SCAN)])
            nonlocal_number.append(h.number)
            wf.submit(enr, h, passwords["enr"])
        else:
            aca = svc.accounts(db).get("aca")
            wf.countersign(aca, wf.get(aca, number), passwords["aca"])

    nonlocal_number: list[str] = []
    with pytest.raises(Boom):
        in_request(svc, work)
    with svc.session_factory() as db:
        if step == "submit":
            assert db.scalar(select(func.count()).select_from(Handover)) == 0
        else:
            h = db.scalar(select(Handover).where(Handover.number == number))
            assert h.status == Status.SUBMITTED and h.current.final_object_id is None
    assert set(svc.vault.object_ids()) == objects_before  # written objects discarded
    shown = number or nonlocal_number[0]
    changes = [a for a in ledger_actions(svc, shown) if a[0].startswith("handover.")]
    assert changes == [a for a in ledger_before if a[0].startswith("handover.")]
